/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rbus: the C side of the bus core.
 *
 * These structures cross module boundaries. Rust mirrors them in
 * rust/rbus/ffi.rs; rbus_driver_register() refuses a mirror whose size
 * differs from the C definition.
 */
#ifndef RBUS_GLUE_H
#define RBUS_GLUE_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "../include/uapi/linux/rbus.h"

struct file;
struct poll_table_struct;
struct rbus_request;
struct srcu_ctr;
struct srcu_struct;

/* Longest compatible string, including the terminating NUL. */
#define RBUS_COMPATIBLE_SIZE	64
/* Child addresses are 10 bits wide, like i2c's 10-bit addressing. */
#define RBUS_ADDR_MAX		0x3ff

/**
 * struct rbus_device_id - match entry of an rbus child driver
 * @compatible: NUL-terminated compatible string
 * @driver_data: index into the Rust driver's id info array
 */
struct rbus_device_id {
	char compatible[RBUS_COMPATIBLE_SIZE];
	kernel_ulong_t driver_data;
};

/* Events a suspended child can have waiting for its resume. */
#define RBUS_EVENT_QUEUE_DEPTH	64

/* Child-to-bus call flag: fail with -EAGAIN rather than sleep to resume. */
#define RBUS_CALL_NOWAIT	BIT(0)

/* Idle time after which an allowed controller suspends, in milliseconds. */
#define RBUS_HOST_AUTOSUSPEND_MS	100

/**
 * struct rbus_host - the bus side of a controller, parent of its children
 * @dev: the embedded device, "rbus<nr>", a child of the controller device
 * @nr: the bus number
 * @suspended: runtime suspended (D0 exit): a child-to-bus call must resume
 *	it first, or fails with -EAGAIN. Suspend sets it, then waits out the
 *	calls that started before; calls only read it
 * @busy_jiffies: when a call last marked the host busy
 */
struct rbus_host {
	struct device dev;
	int nr;
	bool suspended;
	unsigned long busy_jiffies;
};

/* The version of struct rbus_child_ops this core implements. */
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

/**
 * struct rbus_hw_ops - a controller's implementation of the child-to-bus calls
 * @transfer: see struct rbus_bus_ops; every member must be set
 * @reg_read: likewise
 * @reg_write: likewise
 * @subscribe: likewise
 * @submit: start an asynchronous request; see rbus_request_complete(). Runs
 *	under the child's queue lock
 *
 * The bus core calls these inside an SRCU-fast read-side critical section
 * that rbus_device_unregister() waits for, so the controller may free @ctx
 * once that returns. They run with the controller's host active, and must
 * not sleep: a %RBUS_CALL_NOWAIT caller may be atomic.
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

/**
 * struct rbus_event - an event waiting for its child's resume
 * @kind: the event kind
 * @seq: its sequence number
 * @payload: its payload
 */
struct rbus_event {
	u32 kind;
	u64 seq;
	u64 payload;
};

/**
 * struct rbus_device - a child device on an rbus controller
 * @dev: the embedded device, first so Rust can cast to it
 * @host: the controller's host, the parent of @dev
 * @addr: address on the controller, 0 to %RBUS_ADDR_MAX
 * @compatible: NUL-terminated compatible string the device was created with
 * @ssp: the controller's SRCU-fast domain, or NULL if it raises no events
 * @child_ops: the published table, or NULL; readers hold @ssp
 * @ops_lock: serializes publishing and unpublishing
 * @stats: the counters, per CPU so the hot path shares no cache line
 * @hw: the controller's implementation of child-to-bus calls, or NULL once
 *	the child is removed; readers hold rbus_call_srcu
 * @hw_ctx: its context
 * @suspended: runtime suspended (D0 exit): events wait in @queue. Suspend
 *	sets it, then waits out the callbacks that started before; readers
 *	only read it
 * @queue_lock: protects @queue, @queue_len and the clearing of @suspended
 * @queue: events raised while suspended, oldest at @queue_head
 * @queue_head: index of the oldest queued event
 * @queue_len: number of queued events
 * @resuming: resume is delivering the queue; new events wait for it
 * @resume_lock: held while resume delivers the queue
 * @req_lock: protects the request queue, its clients and their records
 * @req_pending: requests in flight, waiting or started, in submit order
 * @req_clients: the open struct rbus_client of this child
 * @req_room: submitters wait here for room in the queue
 * @req_count: requests in flight, at most %RBUS_QUEUE_DEPTH
 * @req_started: those of them the controller holds
 * @req_held: suspended: new requests wait for resume
 * @req_dead: the child is removed; no request is taken any more
 * @req_starter: the thread handing requests to the controller under
 *	@req_lock, or NULL
 * @req_submitted: requests taken
 * @req_completed: requests completed with status 0
 * @req_cancelled: requests completed with -ECANCELED
 * @req_failed: requests completed with another error
 * @req_events_dropped: events an open client missed: it had too many unread
 */
struct rbus_device {
	struct device dev;
	struct rbus_host *host;
	u32 addr;
	char compatible[RBUS_COMPATIBLE_SIZE];
	struct srcu_struct *ssp;
	const struct rbus_child_ops __rcu *child_ops;
	struct mutex ops_lock;	/* serializes @child_ops updates */
	struct rbus_device_stats __percpu *stats;
	const struct rbus_hw_ops __rcu *hw;
	void *hw_ctx;
	bool suspended;
	spinlock_t queue_lock;	/* protects the queue and clearing @suspended */
	struct rbus_event queue[RBUS_EVENT_QUEUE_DEPTH];
	unsigned int queue_head;
	unsigned int queue_len;
	bool resuming;
	struct mutex resume_lock;	/* held while resume drains @queue */
	spinlock_t req_lock;	/* protects the request queue and clients */
	struct list_head req_pending;
	struct list_head req_clients;
	wait_queue_head_t req_room;
	unsigned int req_count;
	unsigned int req_started;
	bool req_held;
	bool req_dead;
	struct task_struct *req_starter;
	u64 req_submitted;
	u64 req_completed;
	u64 req_cancelled;
	u64 req_failed;
	u64 req_events_dropped;
};

/**
 * struct rbus_driver - a child driver
 * @driver: the embedded driver
 * @id_table: compatible strings, terminated by an empty entry
 * @probe: bind to a matched device
 * @remove: unbind; the driver core frees Rust driver data afterwards
 */
struct rbus_driver {
	struct device_driver driver;
	const struct rbus_device_id *id_table;
	int (*probe)(struct rbus_device *rdev, const struct rbus_device_id *id);
	void (*remove)(struct rbus_device *rdev);
};

int rbus_bus_register(void);
void rbus_bus_unregister(void);

struct rbus_host *rbus_host_add(struct device *parent, int nr);
void rbus_host_unregister(struct rbus_host *host);

struct rbus_device *rbus_device_add(struct rbus_host *host, u32 addr,
				    const char *compatible,
				    struct fwnode_handle *fwnode,
				    struct srcu_struct *ssp,
				    const struct rbus_hw_ops *hw, void *hw_ctx);
void rbus_device_unregister(struct rbus_device *rdev);
u32 rbus_device_addr(const struct rbus_device *rdev);
const char *rbus_device_compatible(const struct rbus_device *rdev);

int rbus_driver_register(struct rbus_driver *drv, size_t size,
			 struct module *owner, const char *name);
void rbus_driver_unregister(struct rbus_driver *drv);

int rbus_query_interface(struct rbus_device *rdev, struct rbus_bus_ops *ops);
int rbus_child_publish(struct rbus_device *rdev, const struct rbus_child_ops *ops);
void rbus_child_unpublish(struct rbus_device *rdev, const struct rbus_child_ops *ops);
int rbus_event_dispatch(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload);

/**
 * struct rbus_call - a child-to-bus call in progress
 * @scp: its rbus_call_srcu read-side cookie
 * @held: the host whose runtime PM usage count the call holds, or NULL
 */
struct rbus_call {
	struct srcu_ctr __percpu *scp;
	struct rbus_host *held;
};

/* Internal to rbus_core: the protection of every child-to-bus call. */
const struct rbus_hw_ops *rbus_call_begin(struct rbus_device *rdev, u32 flags,
					  struct rbus_call *call);
void rbus_call_end(struct rbus_device *rdev, struct rbus_call *call);

/* The request queue: rbus_queue.c. */
struct rbus_client;

void rbus_queue_init(struct rbus_device *rdev);
void rbus_queue_revoke(struct rbus_device *rdev);
void rbus_queue_kill(struct rbus_device *rdev);
int rbus_queue_suspend(struct rbus_device *rdev);
void rbus_queue_resume(struct rbus_device *rdev);
extern const struct attribute_group rbus_queue_group;

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

u32 rbus_request_op(const struct rbus_request *req);
const u8 *rbus_request_tx(const struct rbus_request *req, u32 *len);
u32 rbus_request_rx_len(const struct rbus_request *req);
void rbus_request_complete(struct rbus_request *req, int status, const u8 *rx, u32 len);

/* The char devices of user-mode drivers: rbus_chardev.c. */

/**
 * struct rbus_chardev_ops - the file operations of an rbus char device
 * @owner: the module of the callbacks, held while a file is open
 * @open: opens a file on @data; returns its private pointer or an ERR_PTR()
 * @release: the file is closed; frees @priv. Must not wait for a grace period
 * @read: reads into the user buffer
 * @ioctl: handles @cmd
 * @poll: polls
 *
 * @open runs under the char device's lock, which rbus_chardev_unregister()
 * takes to cut @data off; the others only see the file's @priv.
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

int rbus_chardev_init(void);
void rbus_chardev_exit(void);
struct rbus_chardev *rbus_chardev_register(struct rbus_device *rdev,
					   const struct rbus_chardev_ops *ops, void *data);
void rbus_chardev_unregister(struct rbus_chardev *cdev);

int rbus_bus_nr_alloc(void);
void rbus_bus_nr_free(int nr);

int rbus_init_srcu_struct_fast(struct srcu_struct *ssp);
struct srcu_ctr __percpu *rbus_srcu_read_lock_fast(struct srcu_struct *ssp);
void rbus_srcu_read_unlock_fast(struct srcu_struct *ssp, struct srcu_ctr __percpu *scp);

#endif /* RBUS_GLUE_H */
