/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rbus: the interface of rbus child drivers written in C.
 *
 * The bus core, its controllers and its Rust child drivers take these
 * structures from here too: Rust through bindgen, at build time.
 */
#ifndef _LINUX_RBUS_H
#define _LINUX_RBUS_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/rbus.h>

struct module;
struct rbus_device_stats;
struct rbus_host;
struct rbus_hw_ops;
struct srcu_struct;

/**
 * DOC: Ownership and teardown
 *
 * A child driver owns its struct rbus_driver, which must stay valid from
 * rbus_driver_register() until rbus_driver_unregister() returns. Unregistering
 * unbinds every device bound to the driver first, so a module unregisters in
 * its exit function and nothing of it runs afterwards.
 *
 * The controller owns every struct rbus_device. A driver borrows one from its
 * &rbus_driver.probe until its &rbus_driver.remove returns. A reference taken
 * with get_device() on the embedded struct device keeps the memory, not the
 * device: once the device is removed, every child-to-bus call fails with
 * -ENODEV.
 *
 * Unbinding tears down in the reverse order of binding:
 *
 * 1. the bus unpublishes the table of rbus_child_publish(), waits until no
 *    call into it is running, and calls its &rbus_child_ops.put;
 * 2. it calls &rbus_driver.remove, which runs with no bus-to-child call
 *    running and none to come;
 * 3. it completes every request the child still has pending with -ENODEV.
 *
 * A table filled by rbus_query_interface() holds one reference on its
 * context, which the driver drops with &rbus_bus_ops.put when done with it,
 * at the latest in &rbus_driver.remove. A driver may call
 * rbus_child_unpublish() itself earlier, to stop the bus-to-child calls.
 */

/* Longest compatible string, including the terminating NUL. */
#define RBUS_COMPATIBLE_SIZE	64
/* Child addresses are 10 bits wide, like i2c's 10-bit addressing. */
#define RBUS_ADDR_MAX		0x3ff

/**
 * struct rbus_device_id - match entry of an rbus child driver
 * @compatible: NUL-terminated compatible string
 * @driver_data: the driver's; the Rust abstractions keep an index there
 */
struct rbus_device_id {
	char compatible[RBUS_COMPATIBLE_SIZE];
	kernel_ulong_t driver_data;
};

/* Child-to-bus call flag: fail with -EAGAIN rather than sleep to resume. */
#define RBUS_CALL_NOWAIT	BIT(0)

/* The version of struct rbus_child_ops and struct rbus_bus_ops this core implements. */
#define RBUS_OPS_VERSION	1

/**
 * struct rbus_child_ops - the bus-to-child calls a child driver publishes
 * @size: sizeof(struct rbus_child_ops) as the child was built
 * @version: %RBUS_OPS_VERSION
 * @context: the child's; passed back in every call
 * @get: optional; takes a reference on @context when the table is published
 * @put: optional; drops it once no call can be running any more
 * @event: a device event of @kind with sequence number @seq
 *
 * Every call runs inside an SRCU-fast read-side critical section of the
 * controller's domain. A call may sleep, but must never take device_lock()
 * or any lock held around a synchronize_srcu() of that domain: unbind holds
 * device_lock() while it waits for running calls to end.
 */
struct rbus_child_ops {
	u32 size;
	u32 version;
	void *context;
	void (*get)(void *context);
	void (*put)(void *context);
	void (*event)(void *context, u32 kind, u64 seq, u64 payload);
};

/**
 * struct rbus_bus_ops - the child-to-bus calls a child gets from the bus
 * @size: sizeof(struct rbus_bus_ops) as the child was built; set by the child
 * @version: %RBUS_OPS_VERSION; set by the child
 * @context: the bus's, passed back in every call
 * @get: takes a reference on @context, which stays valid while one is held
 * @put: drops one
 * @transfer: writes @tx, then reads @rx, as one transaction
 * @reg_read: reads register @reg of the device
 * @reg_write: writes it
 * @subscribe: the event kinds, as a mask of (1 << kind), to deliver
 *
 * rbus_query_interface() fills the table and takes one reference. Once the
 * child is removed, every call fails with -ENODEV without touching the
 * controller, however long the child keeps the table.
 *
 * Every call takes @flags. Without %RBUS_CALL_NOWAIT a call to a suspended
 * controller resumes it first and may sleep. With it the bus core never
 * sleeps and fails with -EAGAIN while the controller is suspended; the
 * controller's own implementation must not sleep either (rbus_ctrl's does
 * not).
 */
struct rbus_bus_ops {
	u32 size;
	u32 version;
	void *context;
	void (*get)(void *context);
	void (*put)(void *context);
	int (*transfer)(void *context, u32 flags, const void *tx, size_t tx_len,
			void *rx, size_t rx_len);
	int (*reg_read)(void *context, u32 flags, u32 reg, u32 *val);
	int (*reg_write)(void *context, u32 flags, u32 reg, u32 val);
	int (*subscribe)(void *context, u32 flags, u32 mask);
};

/* Private to the bus core: the events a suspended child can have waiting. */
#define RBUS_EVENT_QUEUE_DEPTH	64

/**
 * struct rbus_event - an event waiting for its child's resume
 * @kind: the event kind
 * @seq: its sequence number
 * @payload: its payload
 *
 * Private to the bus core; declared here because struct rbus_device points
 * to an array of them.
 */
struct rbus_event {
	u32 kind;
	u64 seq;
	u64 payload;
};

/**
 * struct rbus_device - a child device on an rbus controller
 * @dev: the embedded device, first so Rust can cast to it
 *
 * A driver uses @dev, and rbus_device_addr() for the address; the other
 * members belong to the bus core.
 */
struct rbus_device {
	struct device dev;
	/* private: */
	/* The controller's host, the parent of @dev. */
	struct rbus_host *host;
	/* Address on the controller, 0 to %RBUS_ADDR_MAX. */
	u32 addr;
	/* NUL-terminated compatible string the device was created with. */
	char compatible[RBUS_COMPATIBLE_SIZE];
	/*
	 * The controller's SRCU-fast domain; if it raises no events, its
	 * host's calls_srcu, in which no table is ever published.
	 */
	struct srcu_struct *ssp;
	/* The published table, or NULL; readers hold @ssp. */
	const struct rbus_child_ops __rcu *child_ops;
	/*
	 * @child_ops while the child is not @suspended, else NULL: the one
	 * pointer the inline dispatch reads. Readers hold @ssp; it is
	 * written with either, under @queue_lock.
	 */
	const struct rbus_child_ops __rcu *active_ops;
	/*
	 * A table the controller revoked before removing the child, or NULL:
	 * unbind waits for the grace period of @ssp that @revoked_gp names,
	 * unless it is over, then puts the table.
	 */
	const struct rbus_child_ops *revoked_ops;
	unsigned long revoked_gp;
	struct mutex ops_lock;	/* serializes @child_ops and @revoked_ops updates */
	/* The counters, per CPU so the hot path shares no cache line. */
	struct rbus_device_stats __percpu *stats;
	/*
	 * The controller's implementation of child-to-bus calls, or NULL once
	 * the child is removed; readers hold the host's calls_srcu.
	 */
	const struct rbus_hw_ops __rcu *hw;
	void *hw_ctx;	/* context of @hw */
	/*
	 * Runtime suspended (D0 exit): events wait in @queue. Suspend sets it,
	 * then waits out the callbacks that started before; readers only read it.
	 */
	bool suspended;
	/* protects the queue, @suspended and @active_ops updates */
	spinlock_t queue_lock;
	/*
	 * Events raised while suspended, oldest at @queue_head: an array of
	 * %RBUS_EVENT_QUEUE_DEPTH, allocated when a driver first publishes a
	 * table, as only a published table's events wait; NULL before.
	 */
	struct rbus_event *queue;
	unsigned int queue_head;	/* index of the oldest queued event */
	unsigned int queue_len;	/* number of queued events */
	bool resuming;	/* resume is delivering @queue; new events wait */
	struct mutex resume_lock;	/* held while resume drains @queue */
	/* The request queue and its clients: rust/rbus_core/queue.rs. */
	void *requests;
};

/**
 * struct rbus_driver - a child driver
 * @driver: the embedded driver; rbus_driver_register() sets its name,
 *	owner and bus
 * @id_table: compatible strings, terminated by an empty entry
 * @probe: bind to a matched device; @id is NULL when the device was bound
 *	through driver_override to a compatible the table does not list
 * @remove: optional; unbind, once the bus-to-child calls have stopped
 */
struct rbus_driver {
	struct device_driver driver;
	const struct rbus_device_id *id_table;
	int (*probe)(struct rbus_device *rdev, const struct rbus_device_id *id);
	void (*remove)(struct rbus_device *rdev);
};

/**
 * rbus_driver_register() - register a child driver
 * @drv: the driver, with @id_table and @probe set
 * @size: sizeof() the caller's view of struct rbus_driver
 * @owner: the module that owns @drv
 * @name: the driver name
 *
 * Return: 0, -EINVAL when @size does not match this module's layout or a
 * mandatory member is missing, or an error from driver_register().
 */
int rbus_driver_register(struct rbus_driver *drv, size_t size,
			 struct module *owner, const char *name);

/**
 * rbus_driver_unregister() - unregister a child driver
 * @drv: a driver registered by rbus_driver_register()
 *
 * Unbinds every device bound to @drv first.
 */
void rbus_driver_unregister(struct rbus_driver *drv);

/**
 * rbus_device_pm_get() - resume a child and keep it active
 * @rdev: the child, bound to the calling driver
 *
 * A driver that does I/O on behalf of others (an I2C adapter, for instance)
 * takes this around it, as a device's own driver takes
 * pm_runtime_resume_and_get(): the child's D0 entry, with its queued events
 * and requests, runs first. Sleeps. Each success needs rbus_device_pm_put().
 *
 * Return: 0, or the resume's negative errno, with nothing held.
 */
int rbus_device_pm_get(struct rbus_device *rdev);

/**
 * rbus_device_pm_put() - let a child suspend again
 * @rdev: the child, held by rbus_device_pm_get()
 *
 * Marks it busy and drops the hold; it suspends once idle, if user space
 * allows it (power/control).
 */
void rbus_device_pm_put(struct rbus_device *rdev);

/**
 * rbus_device_addr() - the address of a child
 * @rdev: the child
 *
 * Return: the address the controller gave it, at most %RBUS_ADDR_MAX.
 */
u32 rbus_device_addr(const struct rbus_device *rdev);

int rbus_query_interface(struct rbus_device *rdev, struct rbus_bus_ops *ops);

/**
 * rbus_child_publish() - publish a child's bus-to-child calls
 * @rdev: the child, bound to the calling driver
 * @ops: the table; it must stay valid until rbus_child_unpublish() returns
 *
 * The bus calls @ops->get first, if set.
 *
 * Return: 0; -EINVAL when @ops is NULL, has another size or version, or no
 * @event; -EOPNOTSUPP when the controller raises no events; -EBUSY when a
 * table is already published; -ENOMEM when the child's first table finds no
 * memory for the events that wait while it is suspended.
 */
int rbus_child_publish(struct rbus_device *rdev, const struct rbus_child_ops *ops);

/**
 * rbus_child_unpublish() - withdraw a table published by rbus_child_publish()
 * @rdev: the child
 * @ops: the table; nothing happens if it is not the one published. NULL
 *	withdraws whichever is
 *
 * When this returns, no call into @ops is running and none can start, and
 * @ops->put has been called, if set. Sleeps; the bus also unpublishes on
 * unbind, before the driver's remove().
 */
void rbus_child_unpublish(struct rbus_device *rdev, const struct rbus_child_ops *ops);

#endif /* _LINUX_RBUS_H */
