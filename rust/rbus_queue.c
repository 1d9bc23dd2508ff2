// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the asynchronous request queue of a child (Interface B).
 *
 * Like a WDF power-managed queue. A client (an open file, or a kernel child
 * driver) submits requests; each is completed exactly once, by the
 * controller, by a cancel, by the client's close, or with -ENODEV when the
 * driver unbinds or the child is removed. Whichever comes first wins, under
 * rdev->req_lock, and moves the request onto its client's record list.
 *
 * A request holds two references while the controller has it: the client's,
 * dropped once its record is read or discarded, and the controller's,
 * dropped by rbus_request_complete(). Each also holds the child device, so a
 * late completion never touches freed memory.
 *
 * While the child is runtime suspended, new requests wait in the queue and
 * an asynchronous resume is requested; resume starts them. A child with
 * requests at the controller refuses to suspend, and asks to idle once its
 * queue empties.
 */

#include <linux/device.h>
#include <linux/export.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/pm_runtime.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "rbus_glue.h"

/* Unread event records a client keeps; newer events are dropped. */
#define RBUS_CLIENT_EVENTS_MAX	64

enum rbus_request_state {
	RBUS_REQ_WAITING,	/* queued while the child is suspended */
	RBUS_REQ_STARTED,	/* the controller has it */
	RBUS_REQ_DONE,		/* completed: its record is on the client's list */
};

/**
 * struct rbus_request - a request, and then its record
 * @node: in rdev->req_pending while in flight, then in client->records
 * @client: the client that submitted it
 * @rdev: the child; a reference is held
 * @ref: the client's reference, plus the controller's while it has it
 * @state: see enum rbus_request_state
 * @op: %RBUS_OP_TRANSFER
 * @tx_len: bytes of @tx
 * @rx_len: bytes to read back
 * @tx: the bytes to write
 * @rec: the record read() returns
 */
struct rbus_request {
	struct list_head node;
	struct rbus_client *client;
	struct rbus_device *rdev;
	refcount_t ref;
	enum rbus_request_state state;
	u32 op;
	u32 tx_len;
	u32 rx_len;
	u8 tx[RBUS_DATA_MAX];
	struct rbus_record rec;
};

/**
 * struct rbus_client - one submitter: an open file, or a kernel driver
 * @rdev: the child; a reference is held
 * @node: in rdev->req_clients
 * @records: completed requests and events, oldest first
 * @events: event records on @records
 * @bus_nr: the child's bus number
 * @dead: the driver unbound or the child is gone: every call fails
 * @wait: readers and pollers wait here
 *
 * All but @wait, @rdev and @bus_nr are protected by rdev->req_lock.
 */
struct rbus_client {
	struct rbus_device *rdev;
	struct list_head node;
	struct list_head records;
	unsigned int events;
	u32 bus_nr;
	bool dead;
	wait_queue_head_t wait;
};

static struct rbus_request *rbus_request_alloc(struct rbus_client *client, gfp_t gfp)
{
	struct rbus_request *req = kzalloc_obj(*req, gfp);

	if (!req)
		return NULL;
	refcount_set(&req->ref, 1);
	req->client = client;
	req->rdev = client->rdev;
	get_device(&req->rdev->dev);
	return req;
}

static void rbus_request_put(struct rbus_request *req)
{
	if (refcount_dec_and_test(&req->ref)) {
		put_device(&req->rdev->dev);
		kfree(req);
	}
}

/*
 * Completes @req with @status, exactly once: the caller checked that it is
 * not done yet. Its record goes to its client, and the waiters are woken.
 */
static void rbus_request_finish(struct rbus_request *req, int status)
{
	struct rbus_device *rdev = req->rdev;
	struct rbus_client *client = req->client;

	lockdep_assert_held(&rdev->req_lock);
	if (req->state == RBUS_REQ_STARTED)
		rdev->req_started--;
	req->state = RBUS_REQ_DONE;
	rdev->req_count--;
	if (!status)
		rdev->req_completed++;
	else if (status == -ECANCELED)
		rdev->req_cancelled++;
	else
		rdev->req_failed++;
	req->rec.status = status;
	if (status)
		req->rec.len = 0;
	list_move_tail(&req->node, &client->records);
	/*
	 * Readers, pollers and submitters add themselves to their queue, then
	 * check their condition under req_lock: testing for waiters under it
	 * misses none, and spares an idle queue its lock.
	 */
	if (waitqueue_active(&client->wait))
		wake_up_poll(&client->wait, EPOLLIN | EPOLLRDNORM);
	if (waitqueue_active(&rdev->req_room))
		wake_up_poll(&rdev->req_room, EPOLLOUT | EPOLLWRNORM);
	/* An allowed child may suspend once the controller has none. */
	if (!rdev->req_started && rdev->dev.power.runtime_auto)
		pm_request_idle(&rdev->dev);
}

/* Hands started requests to the controller, each with its own reference. */
static void rbus_queue_start(struct rbus_device *rdev, struct rbus_request **reqs, u32 n)
{
	const struct rbus_hw_ops *hw;
	struct rbus_call call;
	u32 i;

	hw = rbus_call_begin(rdev, 0, &call);
	if (IS_ERR(hw)) {
		for (i = 0; i < n; i++)
			rbus_request_complete(reqs[i], PTR_ERR(hw), NULL, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		if (hw->submit)
			hw->submit(rdev->hw_ctx, reqs[i]);
		else
			rbus_request_complete(reqs[i], -EOPNOTSUPP, NULL, 0);
	}
	rbus_call_end(rdev, &call);
}

/**
 * rbus_request_complete() - the controller completes a request
 * @req: a request the controller got through &rbus_hw_ops.submit
 * @status: 0 or a negative errno
 * @rx: the bytes read back, for a @status of 0
 * @len: their number; at most the request's rx length is kept
 *
 * Drops the controller's reference, so @req must not be used afterwards. A
 * request that was cancelled, or failed on removal, meanwhile keeps that
 * outcome. Process context; does not sleep.
 */
void rbus_request_complete(struct rbus_request *req, int status, const u8 *rx, u32 len)
{
	struct rbus_device *rdev = req->rdev;

	scoped_guard(spinlock, &rdev->req_lock) {
		if (req->state == RBUS_REQ_STARTED) {
			if (!status) {
				len = min(len, req->rx_len);
				memcpy(req->rec.data, rx, len);
				req->rec.len = len;
			}
			rbus_request_finish(req, status);
		}
	}
	rbus_request_put(req);
}
EXPORT_SYMBOL_GPL(rbus_request_complete);

/* The request's operation, for the controller. */
u32 rbus_request_op(const struct rbus_request *req)
{
	return req->op;
}
EXPORT_SYMBOL_GPL(rbus_request_op);

/* The bytes the request writes, and their number in @len. */
const u8 *rbus_request_tx(const struct rbus_request *req, u32 *len)
{
	*len = req->tx_len;
	return req->tx;
}
EXPORT_SYMBOL_GPL(rbus_request_tx);

/* The number of bytes the request reads back, at most %RBUS_DATA_MAX. */
u32 rbus_request_rx_len(const struct rbus_request *req)
{
	return req->rx_len;
}
EXPORT_SYMBOL_GPL(rbus_request_rx_len);

/**
 * rbus_client_open() - open a channel to a child's request queue
 * @rdev: the child
 *
 * Return: the client, to be closed with rbus_client_close(), or an ERR_PTR():
 * -ENOMEM, or -ENODEV once the child is removed.
 */
struct rbus_client *rbus_client_open(struct rbus_device *rdev)
{
	struct rbus_client *client = kzalloc_obj(*client, GFP_KERNEL);

	if (!client)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&client->records);
	init_waitqueue_head(&client->wait);
	client->rdev = rdev;
	client->bus_nr = rdev->host->nr;
	get_device(&rdev->dev);

	scoped_guard(spinlock, &rdev->req_lock) {
		if (!rdev->req_dead) {
			list_add_tail(&client->node, &rdev->req_clients);
			return client;
		}
	}
	put_device(&rdev->dev);
	kfree(client);
	return ERR_PTR(-ENODEV);
}
EXPORT_SYMBOL_GPL(rbus_client_open);

/**
 * rbus_client_close() - cancel a client's requests and free it
 * @client: the client
 *
 * Its pending requests complete with -ECANCELED; their records, and those
 * not read yet, are discarded. Other clients' requests are untouched. Never
 * waits for the controller or for a grace period.
 */
void rbus_client_close(struct rbus_client *client)
{
	struct rbus_device *rdev = client->rdev;
	struct rbus_request *req, *tmp;
	LIST_HEAD(records);

	scoped_guard(spinlock, &rdev->req_lock) {
		list_for_each_entry_safe(req, tmp, &rdev->req_pending, node)
			if (req->client == client)
				rbus_request_finish(req, -ECANCELED);
		list_del(&client->node);
		list_splice_init(&client->records, &records);
	}
	list_for_each_entry_safe(req, tmp, &records, node)
		rbus_request_put(req);
	put_device(&rdev->dev);
	kfree(client);
}
EXPORT_SYMBOL_GPL(rbus_client_close);

static bool rbus_client_can_submit(struct rbus_client *client)
{
	struct rbus_device *rdev = client->rdev;

	guard(spinlock)(&rdev->req_lock);
	return client->dead || rdev->req_count < RBUS_QUEUE_DEPTH;
}

/**
 * rbus_client_submit() - queue a batch of requests
 * @client: the client
 * @reqs: @count requests; the caller checked them
 * @count: 1 to %RBUS_SUBMIT_MAX
 * @nonblock: queue what fits rather than wait for room
 *
 * May sleep: to allocate, to wait for room and to resume the controller.
 *
 * Return: the number queued, or -EAGAIN (full, @nonblock), -ERESTARTSYS,
 * -ENOMEM or -ENODEV when none was.
 */
int rbus_client_submit(struct rbus_client *client, const struct rbus_req *reqs,
		       u32 count, bool nonblock)
{
	struct rbus_request *batch[RBUS_SUBMIT_MAX];
	struct rbus_device *rdev = client->rdev;
	u32 queued = 0, i;
	int ret = 0;

	if (!count || count > RBUS_SUBMIT_MAX)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		struct rbus_request *req = rbus_request_alloc(client, GFP_KERNEL);

		if (!req) {
			while (i--)
				rbus_request_put(batch[i]);
			return -ENOMEM;
		}
		req->op = reqs[i].op;
		req->tx_len = reqs[i].tx_len;
		req->rx_len = reqs[i].rx_len;
		memcpy(req->tx, reqs[i].tx, req->tx_len);
		req->rec.id = reqs[i].id;
		req->rec.type = RBUS_RECORD_COMPLETION;
		batch[i] = req;
	}

	while (queued < count) {
		u32 first = queued;
		bool held;

		spin_lock(&rdev->req_lock);
		if (client->dead || rdev->req_dead) {
			spin_unlock(&rdev->req_lock);
			ret = -ENODEV;
			break;
		}
		held = rdev->req_held;
		while (queued < count && rdev->req_count < RBUS_QUEUE_DEPTH) {
			struct rbus_request *req = batch[queued++];

			if (held) {
				req->state = RBUS_REQ_WAITING;
			} else {
				req->state = RBUS_REQ_STARTED;
				refcount_inc(&req->ref);
				rdev->req_started++;
			}
			list_add_tail(&req->node, &rdev->req_pending);
			rdev->req_count++;
			rdev->req_submitted++;
		}
		spin_unlock(&rdev->req_lock);

		/* Queued requests are the client's and the controller's now. */
		if (held)
			pm_request_resume(&rdev->dev);
		else if (queued > first)
			rbus_queue_start(rdev, batch + first, queued - first);
		if (queued == count)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		ret = wait_event_interruptible(rdev->req_room, rbus_client_can_submit(client));
		if (ret)
			break;
	}
	for (i = queued; i < count; i++)
		rbus_request_put(batch[i]);
	return queued ? queued : ret;
}
EXPORT_SYMBOL_GPL(rbus_client_submit);

/**
 * rbus_client_cancel() - cancel a request of this client
 * @client: the client
 * @id: the request's id; of several pending with it, the oldest
 *
 * Return: 0 when cancelled (its record carries -ECANCELED), -EALREADY when it
 * completed first (its record is unread), -ENOENT when the client has no
 * such request, -ENODEV when the client is dead.
 */
int rbus_client_cancel(struct rbus_client *client, u64 id)
{
	struct rbus_device *rdev = client->rdev;
	struct rbus_request *req;

	guard(spinlock)(&rdev->req_lock);
	if (client->dead)
		return -ENODEV;
	list_for_each_entry(req, &rdev->req_pending, node) {
		if (req->client == client && req->rec.id == id) {
			rbus_request_finish(req, -ECANCELED);
			return 0;
		}
	}
	list_for_each_entry(req, &client->records, node)
		if (req->rec.type == RBUS_RECORD_COMPLETION && req->rec.id == id)
			return -EALREADY;
	return -ENOENT;
}
EXPORT_SYMBOL_GPL(rbus_client_cancel);

/* Takes the oldest record off the list, or NULL; sets @dead. */
static struct rbus_request *rbus_client_pop(struct rbus_client *client, bool *dead)
{
	struct rbus_request *req;

	guard(spinlock)(&client->rdev->req_lock);
	*dead = client->dead;
	req = list_first_entry_or_null(&client->records, struct rbus_request, node);
	if (req) {
		list_del(&req->node);
		if (req->rec.type == RBUS_RECORD_EVENT)
			client->events--;
	}
	return req;
}

/* Puts a record back at the head of the list: copying it out failed. */
static void rbus_client_unpop(struct rbus_client *client, struct rbus_request *req)
{
	guard(spinlock)(&client->rdev->req_lock);
	list_add(&req->node, &client->records);
	if (req->rec.type == RBUS_RECORD_EVENT)
		client->events++;
}

static bool rbus_client_readable(struct rbus_client *client)
{
	guard(spinlock)(&client->rdev->req_lock);
	return client->dead || !list_empty(&client->records);
}

/* Waits for the next record. */
static struct rbus_request *rbus_client_next(struct rbus_client *client, bool nonblock)
{
	for (;;) {
		struct rbus_request *req;
		bool dead;
		int ret;

		req = rbus_client_pop(client, &dead);
		if (req)
			return req;
		if (dead)
			return ERR_PTR(-ENODEV);
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		ret = wait_event_interruptible(client->wait, rbus_client_readable(client));
		if (ret)
			return ERR_PTR(ret);
	}
}

/**
 * rbus_client_read() - take the next record
 * @client: the client
 * @rec: filled with it
 * @nonblock: fail with -EAGAIN rather than wait
 *
 * Once the client is dead, the records left are returned, then -ENODEV.
 *
 * Return: 0, -EAGAIN, -ERESTARTSYS or -ENODEV.
 */
int rbus_client_read(struct rbus_client *client, struct rbus_record *rec, bool nonblock)
{
	struct rbus_request *req = rbus_client_next(client, nonblock);

	if (IS_ERR(req))
		return PTR_ERR(req);
	*rec = req->rec;
	rbus_request_put(req);
	return 0;
}
EXPORT_SYMBOL_GPL(rbus_client_read);

/**
 * rbus_client_read_user() - read() of a client's file
 * @client: the client
 * @buf: the user buffer
 * @len: its length: room for at least one struct rbus_record
 * @nonblock: fail with -EAGAIN rather than wait for the first record
 *
 * Copies whole records while they are ready and fit. A record that cannot be
 * copied stays first on the list.
 *
 * Return: the bytes copied, or -EINVAL, -EFAULT, -EAGAIN, -ERESTARTSYS or
 * -ENODEV when none was.
 */
ssize_t rbus_client_read_user(struct rbus_client *client, char __user *buf, size_t len,
			      bool nonblock)
{
	size_t done = 0;

	if (len < sizeof(struct rbus_record))
		return -EINVAL;
	while (len - done >= sizeof(struct rbus_record)) {
		struct rbus_request *req = rbus_client_next(client, nonblock || done);

		if (IS_ERR(req))
			return done ? done : PTR_ERR(req);
		if (copy_to_user(buf + done, &req->rec, sizeof(req->rec))) {
			rbus_client_unpop(client, req);
			return done ? done : -EFAULT;
		}
		rbus_request_put(req);
		done += sizeof(struct rbus_record);
	}
	return done;
}
EXPORT_SYMBOL_GPL(rbus_client_read_user);

/**
 * rbus_client_poll() - poll() of a client's file
 * @client: the client
 * @file: the file
 * @pt: the poll table
 *
 * Return: EPOLLIN with a record ready, EPOLLOUT while the queue has room, and
 * EPOLLHUP once the client is dead.
 */
__poll_t rbus_client_poll(struct rbus_client *client, struct file *file,
			  struct poll_table_struct *pt)
{
	struct rbus_device *rdev = client->rdev;
	__poll_t mask = 0;

	poll_wait(file, &client->wait, pt);
	poll_wait(file, &rdev->req_room, pt);

	guard(spinlock)(&rdev->req_lock);
	if (!list_empty(&client->records))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (client->dead)
		mask |= EPOLLHUP;
	else if (rdev->req_count < RBUS_QUEUE_DEPTH)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
EXPORT_SYMBOL_GPL(rbus_client_poll);

/**
 * rbus_client_info() - describe the client's child
 * @client: the client
 * @info: filled
 *
 * Return: 0, or -ENODEV when the client is dead.
 */
int rbus_client_info(struct rbus_client *client, struct rbus_info *info)
{
	struct rbus_device *rdev = client->rdev;

	scoped_guard(spinlock, &rdev->req_lock) {
		if (client->dead)
			return -ENODEV;
	}
	memset(info, 0, sizeof(*info));
	info->version = RBUS_UAPI_VERSION;
	info->bus = client->bus_nr;
	info->addr = rdev->addr;
	info->queue_depth = RBUS_QUEUE_DEPTH;
	info->submit_max = RBUS_SUBMIT_MAX;
	info->data_max = RBUS_DATA_MAX;
	info->record_size = sizeof(struct rbus_record);
	strscpy(info->compatible, rdev->compatible);
	return 0;
}
EXPORT_SYMBOL_GPL(rbus_client_info);

/**
 * rbus_device_post_event() - give every client of a child a device event
 * @rdev: the child
 * @kind: the event kind
 * @seq: its sequence number
 * @payload: its payload
 *
 * A client that has %RBUS_CLIENT_EVENTS_MAX event records unread misses the
 * event. Does not sleep.
 */
void rbus_device_post_event(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload)
{
	struct rbus_client *client;

	guard(spinlock)(&rdev->req_lock);
	list_for_each_entry(client, &rdev->req_clients, node) {
		struct rbus_request *ev;

		if (client->dead || client->events >= RBUS_CLIENT_EVENTS_MAX)
			continue;
		ev = rbus_request_alloc(client, GFP_ATOMIC);
		if (!ev)
			continue;
		ev->state = RBUS_REQ_DONE;
		ev->rec.type = RBUS_RECORD_EVENT;
		ev->rec.id = seq;
		ev->rec.kind = kind;
		ev->rec.payload = payload;
		list_add_tail(&ev->node, &client->records);
		client->events++;
		wake_up_poll(&client->wait, EPOLLIN | EPOLLRDNORM);
	}
}
EXPORT_SYMBOL_GPL(rbus_device_post_event);

void rbus_queue_init(struct rbus_device *rdev)
{
	spin_lock_init(&rdev->req_lock);
	INIT_LIST_HEAD(&rdev->req_pending);
	INIT_LIST_HEAD(&rdev->req_clients);
	init_waitqueue_head(&rdev->req_room);
}

/*
 * The driver unbound: every request fails with -ENODEV, every client is dead
 * and every waiter wakes. Their files stay safe until closed.
 */
void rbus_queue_revoke(struct rbus_device *rdev)
{
	struct rbus_request *req, *tmp;
	struct rbus_client *client;

	guard(spinlock)(&rdev->req_lock);
	list_for_each_entry_safe(req, tmp, &rdev->req_pending, node)
		rbus_request_finish(req, -ENODEV);
	list_for_each_entry(client, &rdev->req_clients, node) {
		client->dead = true;
		/* Test-only: `make check RBUS_BREAK=skip-wake` must go red. */
		if (!IS_ENABLED(CONFIG_RBUS_BREAK_SKIP_WAKE))
			wake_up_poll(&client->wait, EPOLLHUP | EPOLLIN | EPOLLRDNORM);
	}
	wake_up_all(&rdev->req_room);
}

/* The child is removed: no client or request is taken any more. */
void rbus_queue_kill(struct rbus_device *rdev)
{
	scoped_guard(spinlock, &rdev->req_lock)
		rdev->req_dead = true;
	rbus_queue_revoke(rdev);
}

/* D0 exit: refused while the controller has requests; new ones wait. */
int rbus_queue_suspend(struct rbus_device *rdev)
{
	guard(spinlock)(&rdev->req_lock);
	if (rdev->req_started)
		return -EBUSY;
	rdev->req_held = true;
	return 0;
}

/* D0 entry: start the requests that waited, oldest first. */
void rbus_queue_resume(struct rbus_device *rdev)
{
	for (;;) {
		struct rbus_request *req, *next = NULL;

		scoped_guard(spinlock, &rdev->req_lock) {
			rdev->req_held = false;
			list_for_each_entry(req, &rdev->req_pending, node) {
				if (req->state == RBUS_REQ_WAITING) {
					req->state = RBUS_REQ_STARTED;
					refcount_inc(&req->ref);
					rdev->req_started++;
					next = req;
					break;
				}
			}
		}
		if (!next)
			return;
		rbus_queue_start(rdev, &next, 1);
	}
}

/* Shows the u64 counter at @offset in struct rbus_device. */
static ssize_t rbus_queue_stat(struct device *dev, char *buf, size_t offset)
{
	struct rbus_device *rdev = container_of(dev, struct rbus_device, dev);
	u64 val;

	scoped_guard(spinlock, &rdev->req_lock)
		val = *(u64 *)((char *)rdev + offset);
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t requests_submitted_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	return rbus_queue_stat(dev, buf, offsetof(struct rbus_device, req_submitted));
}
static DEVICE_ATTR_RO(requests_submitted);

static ssize_t requests_completed_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	return rbus_queue_stat(dev, buf, offsetof(struct rbus_device, req_completed));
}
static DEVICE_ATTR_RO(requests_completed);

static ssize_t requests_cancelled_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	return rbus_queue_stat(dev, buf, offsetof(struct rbus_device, req_cancelled));
}
static DEVICE_ATTR_RO(requests_cancelled);

static ssize_t requests_failed_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	return rbus_queue_stat(dev, buf, offsetof(struct rbus_device, req_failed));
}
static DEVICE_ATTR_RO(requests_failed);

static ssize_t requests_in_flight_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	struct rbus_device *rdev = container_of(dev, struct rbus_device, dev);
	unsigned int val;

	scoped_guard(spinlock, &rdev->req_lock)
		val = rdev->req_count;
	return sysfs_emit(buf, "%u\n", val);
}
static DEVICE_ATTR_RO(requests_in_flight);

static struct attribute *rbus_queue_attrs[] = {
	&dev_attr_requests_submitted.attr,
	&dev_attr_requests_completed.attr,
	&dev_attr_requests_cancelled.attr,
	&dev_attr_requests_failed.attr,
	&dev_attr_requests_in_flight.attr,
	NULL,
};

const struct attribute_group rbus_queue_group = {
	.attrs = rbus_queue_attrs,
};

/* The UAPI layout, asserted with the same numbers in rust/rbus/uapi.rs. */
static_assert(sizeof(struct rbus_req) == 88);
static_assert(offsetof(struct rbus_req, tx) == 24);
static_assert(sizeof(struct rbus_submit) == 24);
static_assert(offsetof(struct rbus_submit, reserved) == 16);
static_assert(sizeof(struct rbus_cancel) == 16);
static_assert(sizeof(struct rbus_info) == 96);
static_assert(offsetof(struct rbus_info, compatible) == 32);
static_assert(sizeof(struct rbus_record) == 96);
static_assert(offsetof(struct rbus_record, payload) == 24);
static_assert(offsetof(struct rbus_record, data) == 32);
