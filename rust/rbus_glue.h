/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rbus: the C side of the bus core, for the core and its controllers.
 *
 * What a child driver uses is in <linux/rbus.h>. Rust gets both headers
 * through bindgen at build time (rust/Makefile.bindgen, rust/rbus/ffi.rs).
 */
#ifndef RBUS_GLUE_H
#define RBUS_GLUE_H

#include <linux/device.h>
#include <linux/percpu.h>
#include <linux/rbus.h>
#include <linux/srcu.h>
#include <linux/tracepoint-defs.h>

struct file;
struct poll_table_struct;
struct rbus_control_ops;
struct rbus_request;
struct srcu_ctr;
struct srcu_struct;

/* Idle time after which an allowed controller suspends, in milliseconds. */
#define RBUS_HOST_AUTOSUSPEND_MS	100

/**
 * struct rbus_host - the bus side of a controller, parent of its children
 * @dev: the embedded device, "rbus<nr>", a child of the controller device
 * @nr: the bus number
 * @suspended: runtime suspended (D0 exit): a child-to-bus call must resume
 *	it first, or fails with -EAGAIN. Suspend sets it, then waits out the
 *	calls that started before; calls only read it
 * @busy_jiffies: when the request queue last marked the host busy
 * @calls_srcu: the SRCU-fast domain of its children's child-to-bus calls;
 *	removing a child and suspending the host wait for it
 *
 * The handlers of its files new_device and delete_device are the core's
 * (rust/rbus_core/host.rs), beside this structure.
 */
struct rbus_host {
	struct device dev;
	int nr;
	bool suspended;
	unsigned long busy_jiffies;
	struct srcu_struct calls_srcu;
};

/**
 * struct rbus_control_ops - a controller's handlers of its host's files
 * @new_device: a write of "<addr> <compatible>" to new_device, of @len bytes
 * @delete_device: a write of "<addr>" to delete_device, of @len bytes
 *
 * Each returns 0, which accepts the whole write, or a negative errno. They
 * run in process context, one at a time per host, and may sleep.
 */
struct rbus_control_ops {
	int (*new_device)(void *ctx, const char *buf, size_t len);
	int (*delete_device)(void *ctx, const char *buf, size_t len);
};

/**
 * struct rbus_hw_ops - a controller's implementation of the child-to-bus calls
 * @transfer: see struct rbus_bus_ops; every member must be set
 * @reg_read: likewise
 * @reg_write: likewise
 * @subscribe: likewise
 * @submit: start an asynchronous request, which the controller gives back
 *	exactly once with rbus_request_complete(), in process context: inline,
 *	or later from a work item, as no lock of the queue is held. While it
 *	holds the request, the host stays active
 *
 * The bus core calls these inside an SRCU-fast read-side critical section
 * that rbus_device_unregister() or rbus_device_put() waits for, so the
 * controller may free @ctx once that returns. They run with the controller's
 * host active, and must not sleep: a %RBUS_CALL_NOWAIT caller may be atomic.
 */
struct rbus_hw_ops {
	int (*transfer)(void *ctx, const void *tx, size_t tx_len, void *rx, size_t rx_len);
	int (*reg_read)(void *ctx, u32 reg, u32 *val);
	int (*reg_write)(void *ctx, u32 reg, u32 val);
	int (*subscribe)(void *ctx, u32 mask);
	void (*submit)(void *ctx, struct rbus_request *req);
};

/* The most requests a child holds at once, over all its clients. */
#define RBUS_QUEUE_DEPTH	256

/**
 * struct rbus_device_stats - per-CPU counters of a child
 * @events_delivered: events handed to the child's @event callback
 * @calls: child-to-bus calls that reached the controller
 * @events_deferred: events queued while the child was suspended
 * @events_dropped: events lost: the queue was full, or the child unbound
 */
struct rbus_device_stats {
	u64 events_delivered;
	u64 calls;
	u64 events_deferred;
	u64 events_dropped;
};

/* Hosts: rust/rbus_core/host.rs. */

/**
 * rbus_host_add() - register the host device of a controller
 * @parent: the controller device
 * @nr: its bus number, from rbus_bus_nr_alloc()
 *
 * The host, "rbus<nr>", is the parent of the controller's children and
 * carries the controller's runtime PM: power/control starts "on"; once it is
 * "auto", the host suspends after %RBUS_HOST_AUTOSUSPEND_MS without calls
 * (power/autosuspend_delay_ms changes that). Its children's power states are
 * their own.
 *
 * Return: the host, to be passed to rbus_host_unregister() once all its
 * children are unregistered, or an ERR_PTR().
 */
struct rbus_host *rbus_host_add(struct device *parent, int nr);

/**
 * rbus_host_set_control() - publish or revoke the handlers of a host's files
 * @host: the host, from rbus_host_add(), referenced by the caller; revoking
 *	may follow rbus_host_unregister()
 * @ops: the handlers, or NULL to revoke them; writes then fail with -ENODEV
 * @ctx: their context, valid until a later call revokes them
 *
 * Waits for a write in progress, so once a revoking call returns no handler
 * runs or can start. Not to be called from a handler.
 */
void rbus_host_set_control(struct rbus_host *host, const struct rbus_control_ops *ops,
			   void *ctx);

/**
 * rbus_host_unregister() - remove a host added by rbus_host_add()
 * @host: the host, with no children left (a child left is a bug: it warns)
 */
void rbus_host_unregister(struct rbus_host *host);

/* Children: rust/rbus_core/device.rs. */

/**
 * rbus_device_add() - create and register a child device
 * @host: the controller's host, from rbus_host_add()
 * @addr: address on the controller, at most %RBUS_ADDR_MAX
 * @compatible: NUL-terminated compatible string, copied
 * @fwnode: firmware node describing the child, or NULL; a reference is taken
 * @ssp: the controller's SRCU-fast domain for bus-to-child calls, or NULL; it
 *	must stay valid until rbus_device_unregister() or rbus_device_put()
 *	returns
 * @hw: the controller's child-to-bus calls for this child, or NULL
 * @hw_ctx: their context, valid until rbus_device_unregister() or
 *	rbus_device_put() returns
 *
 * The device is named "<bus nr>-<addr>" with the address as four hex digits.
 * On failure everything is released here; the caller has nothing to put.
 *
 * Return: the registered device, to be passed to rbus_device_unregister(),
 * or to rbus_device_del() and rbus_device_put(), or an ERR_PTR(): -EINVAL
 * for a bad address, or a compatible that is NULL, empty or without a NUL in
 * %RBUS_COMPATIBLE_SIZE bytes; -EBUSY when the address is taken on this bus;
 * -ENOMEM.
 */
struct rbus_device *rbus_device_add(struct rbus_host *host, u32 addr,
				    const char *compatible,
				    struct fwnode_handle *fwnode,
				    struct srcu_struct *ssp,
				    const struct rbus_hw_ops *hw, void *hw_ctx);

/**
 * rbus_device_unregister() - remove a child added by rbus_device_add()
 * @rdev: the child; its driver is unbound first
 *
 * Then the child-to-bus calls are cut off: from here on they fail with
 * -ENODEV, and this waits for those still running, so the controller may free
 * their context afterwards. Drops the reference rbus_device_add() returned.
 * The same as rbus_device_del(), then rbus_device_put().
 */
void rbus_device_unregister(struct rbus_device *rdev);

/*
 * The slow path of rbus_event_dispatch(), private to it: Rust
 * (rust/rbus_core/events.rs). It runs inside the read-side section, reads
 * the published table and the suspended flag, and returns -ENODEV without a
 * table, else queues or delivers.
 */
int __cold rbus_event_dispatch_slow(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload);

/* The event of rbus_event_dispatch(); the slow path traces it. */
DECLARE_TRACEPOINT(rbus_event);

/**
 * rbus_device_del() - remove a child, but not wait for its calls yet
 * @rdev: the child, from rbus_device_add(); its driver is unbound first
 *
 * The first half of rbus_device_unregister(): the child leaves sysfs, its
 * address is free again and its child-to-bus calls fail with -ENODEV from
 * here on, but calls still running may use the controller's context until
 * rbus_device_put() returns, which waits for a grace period of the host's
 * domain: a controller that removes many children calls this for each, then
 * rbus_device_put() for each, and waits for one grace period instead of one
 * per child.
 *
 * Return: the cookie of the grace period to wait for, for rbus_device_put().
 */
unsigned long rbus_device_del(struct rbus_device *rdev);

/**
 * rbus_device_put() - the second half of rbus_device_unregister()
 * @rdev: the child, removed by rbus_device_del()
 * @cookie: what rbus_device_del() returned
 *
 * Waits for the grace period @cookie names, unless it is over, as it is when
 * another child's rbus_device_put() waited since: then no call that began
 * before rbus_device_del() is running, and the controller may free their
 * context. Drops the reference rbus_device_add() returned.
 */
void rbus_device_put(struct rbus_device *rdev, unsigned long cookie);

/**
 * rbus_child_revoke() - stop a child's bus-to-child calls ahead of its removal
 * @rdev: the child, registered by the caller
 *
 * Unpublishes the table of the child's driver, if any, without waiting for
 * the calls into it still running: the unbind that removing the child does
 * waits for a grace period of the controller's domain, unless one passed
 * since, before the driver's remove. A controller that removes many children
 * revokes every one first, so that their unbinds wait for one grace period,
 * not one each. The child's driver cannot publish again (-EBUSY) until it is
 * unbound.
 */
void rbus_child_revoke(struct rbus_device *rdev);

/**
 * rbus_event_dispatch() - deliver an event to a child
 * @rdev: the child, registered by the caller
 * @kind: the event kind
 * @seq: the event's sequence number
 * @payload: its payload
 *
 * The protected bus-to-child call: it runs inside an SRCU-fast read-side
 * critical section and, on its fast path, reads one pointer, the child's
 * table while it is active, and bumps one per-CPU counter: no atomic, no
 * shared cache line written. May sleep if the child's callback does.
 *
 * A suspended child gets no call: the event waits in its queue, or is
 * counted as dropped when the queue is full. While resume delivers the queue,
 * this waits for it, so events stay in order; it may sleep then.
 *
 * Inline, as srcu_read_lock_fast() is: under TCG a call and its return cost
 * more than the whole protection (see the README's "Per-call cost"). Every
 * case but the common one, an active child's table with the event
 * untraced, takes rbus_event_dispatch_slow(). Rust controllers call
 * rbus_helper_event_dispatch(), which costs them that one call.
 *
 * Return: 0 when delivered, queued or dropped; -ENODEV when no table is
 * published.
 */
static inline int rbus_event_dispatch(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload)
{
	/*
	 * Neither changes while the child is registered, and ssp is never
	 * NULL: a child whose controller raises no events has a domain in which
	 * nothing is published. Both are read before the callback, which may
	 * write memory, so that nothing is read again after it.
	 */
	struct srcu_struct *ssp = rdev->ssp;
	struct rbus_device_stats __percpu *stats = rdev->stats;
	const struct rbus_child_ops *ops;
	struct srcu_ctr __percpu *scp;
	int ret;

	scp = srcu_read_lock_fast(ssp);
	/* NULL without a table or while suspended: one test for both. */
	ops = srcu_dereference(rdev->active_ops, ssp);
	if (unlikely(!ops) || tracepoint_enabled(rbus_event))
		goto slow;
	ops->event(ops->context, kind, seq, payload);
	this_cpu_inc(stats->events_delivered);
	srcu_read_unlock_fast(ssp, scp);
	return 0;

	/* Out of the fast path's way, so that it runs straight through. */
slow:
	ret = rbus_event_dispatch_slow(rdev, kind, seq, payload);
	srcu_read_unlock_fast(ssp, scp);
	return ret;
}

/* The request queue: rust/rbus_core/queue.rs. */
struct rbus_client;

struct rbus_client *rbus_client_open(struct rbus_device *rdev);
void rbus_client_close(struct rbus_client *client);
int rbus_client_submit(struct rbus_client *client, const struct rbus_req *reqs,
		       u32 count, bool nonblock);
int rbus_client_submit_user(struct rbus_client *client, const void __user *ureqs,
			    u32 count, u32 size, bool nonblock);
int rbus_client_cancel(struct rbus_client *client, u64 id);
int rbus_client_read(struct rbus_client *client, struct rbus_record *rec, bool nonblock);
ssize_t rbus_client_read_user(struct rbus_client *client, char __user *buf, size_t len,
			      bool nonblock);
__poll_t rbus_client_poll(struct rbus_client *client, struct file *file,
			  struct poll_table_struct *pt);
int rbus_client_info(struct rbus_client *client, struct rbus_info *info);
void rbus_device_post_event(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload);

/**
 * struct rbus_request_io - a request's bytes, for the controller that holds it
 * @tx: the bytes to write
 * @rx: a buffer of @rx_len bytes for the answer, the controller's until it
 *	completes the request. An answer written there and passed to
 *	rbus_request_complete() as is, is not copied
 * @tx_len: the number of bytes at @tx, at most %RBUS_DATA_MAX
 * @rx_len: the number of bytes to read back, at most %RBUS_DATA_MAX
 */
struct rbus_request_io {
	const u8 *tx;
	u8 *rx;
	u32 tx_len;
	u32 rx_len;
};

void rbus_request_get_io(struct rbus_request *req, struct rbus_request_io *io);
void rbus_request_complete(struct rbus_request *req, int status, const u8 *rx, u32 len);

/* The char devices of user-mode drivers: rust/rbus_core/chardev.rs. */

/**
 * struct rbus_chardev_ops - the file operations of an rbus char device
 * @owner: the module of the callbacks, held while a file is open
 * @open: opens a file on @data; returns its private pointer or an ERR_PTR()
 * @release: the file is closed; frees @priv. Must not wait for a grace period
 * @read: reads into the user buffer
 * @ioctl: handles @cmd
 * @poll: polls
 *
 * Every callback must be set. @open runs under the char device's lock, which
 * rbus_chardev_unregister() takes to cut @data off; the others only see the
 * file's @priv.
 */
struct rbus_chardev_ops {
	struct module *owner;
	void *(*open)(void *data);
	void (*release)(void *priv);
	ssize_t (*read)(void *priv, char __user *buf, size_t len, bool nonblock);
	long (*ioctl)(void *priv, unsigned int cmd, unsigned long arg, bool nonblock);
	__poll_t (*poll)(void *priv, struct file *file, struct poll_table_struct *pt);
};

struct rbus_chardev;

/**
 * rbus_chardev_register() - create /dev/rbus-<bus>-<addr> for a child
 * @rdev: the child, bound to the calling driver
 * @ops: the file operations, copied; @ops->owner is held while a file is open
 * @data: given to @ops->open until rbus_chardev_unregister()
 *
 * The char device is a device of class "rbus-dev", a child of @rdev, with a
 * cdev whose files are streams (they cannot seek).
 *
 * Return: the char device, or an ERR_PTR(): -EINVAL when a callback of @ops
 * is missing, -ENOSPC when every minor is taken, -ENOMEM.
 */
struct rbus_chardev *rbus_chardev_register(struct rbus_device *rdev,
					   const struct rbus_chardev_ops *ops, void *data);

/**
 * rbus_chardev_unregister() - remove a char device
 * @cdev: from rbus_chardev_register()
 *
 * Once this returns no open() runs or can start, so the data may go. Open
 * files keep working on their own private data until released; the char
 * device's memory goes with the last of them.
 */
void rbus_chardev_unregister(struct rbus_chardev *cdev);

/* Bus numbers, lowest free first: rust/rbus_core/bus_nr.rs. */
int rbus_bus_nr_alloc(void);
void rbus_bus_nr_free(int nr);

#endif /* RBUS_GLUE_H */
