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
#include <linux/llist.h>
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
/* Consumed requests a client keeps for reuse: an allocation is dear. */
#define RBUS_CLIENT_CACHE	64

enum rbus_request_state {
	RBUS_REQ_WAITING,	/* queued while the child is suspended */
	RBUS_REQ_STARTED,	/* the controller has it */
	RBUS_REQ_DONE,		/* completed: its record is on the client's list */
};

/**
 * struct rbus_request - a request, and then its record
 * @node: in rdev->req_pending while in flight, then in client->records
 * @free: in client->cache once consumed
 * @client: the client that submitted it
 * @rdev: the child; a reference is held
 * @ref: the client's reference, plus the controller's while it has it
 * @state: see enum rbus_request_state
 * @in: the request as submitted, checked by rbus_req_valid()
 * @rec: the record read() returns
 */
struct rbus_request {
	struct list_head node;
	struct llist_node free;
	struct rbus_client *client;
	struct rbus_device *rdev;
	refcount_t ref;
	enum rbus_request_state state;
	struct rbus_req in;
	struct rbus_record rec;
};

/**
 * struct rbus_client - one submitter: an open file, or a kernel driver
 * @rdev: the child; a reference is held
 * @node: in rdev->req_clients
 * @records: completed requests and events, oldest first
 * @events: event records on @records
 * @cache: consumed requests kept for reuse, each holding the child device;
 *	lockless, as submitting and reading may run on different threads
 * @cached: their number, about %RBUS_CLIENT_CACHE at most: concurrent
 *	readers may each fill the room they saw
 * @bus_nr: the child's bus number
 * @dead: the driver unbound or the child is gone: every call fails
 * @wait: readers and pollers wait here
 *
 * All but @wait, @rdev, @bus_nr and the cache are protected by
 * rdev->req_lock.
 */
struct rbus_client {
	struct rbus_device *rdev;
	struct list_head node;
	struct list_head records;
	unsigned int events;
	struct llist_head cache;
	atomic_t cached;
	u32 bus_nr;
	bool dead;
	wait_queue_head_t wait;
};

static void rbus_request_free(struct rbus_request *req)
{
	put_device(&req->rdev->dev);
	kfree(req);
}

static void rbus_request_put(struct rbus_request *req)
{
	if (refcount_dec_and_test(&req->ref))
		rbus_request_free(req);
}

/* Makes a cached or new request blank, with the client's reference. */
static void rbus_request_reset(struct rbus_request *req)
{
	memset(&req->rec, 0, sizeof(req->rec));
	refcount_set(&req->ref, 1);
}

/*
 * Takes up to @count requests from the client's cache into @batch; returns
 * how many. Whatever a concurrent taker finds empty, it allocates.
 */
static u32 rbus_client_cache_take(struct rbus_client *client, struct rbus_request **batch,
				  u32 count)
{
	struct llist_node *first = llist_del_all(&client->cache), *last = NULL;
	u32 n = 0;

	while (first && n < count) {
		batch[n++] = llist_entry(first, struct rbus_request, free);
		first = first->next;
	}
	atomic_sub(n, &client->cached);
	if (first) {
		struct llist_node *none = NULL;

		/* Back as it was if nothing came meanwhile, with no walk to its end. */
		if (try_cmpxchg(&client->cache.first, &none, first))
			return n;
		for (last = first; last->next; last = last->next)
			;
		llist_add_batch(first, last, &client->cache);
	}
	return n;
}

/* A blank request of @client, from its cache if it has one. */
static struct rbus_request *rbus_request_get(struct rbus_client *client, gfp_t gfp)
{
	struct rbus_request *req;

	if (!rbus_client_cache_take(client, &req, 1)) {
		req = kzalloc_obj(*req, gfp);
		if (!req)
			return NULL;
		req->client = client;
		req->rdev = client->rdev;
		get_device(&req->rdev->dev);
	}
	rbus_request_reset(req);
	return req;
}

/*
 * Drops the client's reference on the records on @consumed, a list of the
 * caller's: those the controller no longer holds go back to the cache, or
 * are freed.
 */
static void rbus_client_recycle(struct rbus_client *client, struct list_head *consumed)
{
	int room = RBUS_CLIENT_CACHE - atomic_read(&client->cached), n = 0;
	struct llist_node *first = NULL, *last = NULL;
	struct rbus_request *req, *tmp;

	list_for_each_entry_safe(req, tmp, consumed, node) {
		/* Cancelled while the controller had it: it frees it. */
		if (!refcount_dec_and_test(&req->ref))
			continue;
		if (n >= room) {
			rbus_request_free(req);
			continue;
		}
		/* Chained here, added at once: one atomic a call, not a record. */
		req->free.next = first;
		first = &req->free;
		last = last ?: first;
		n++;
	}
	if (n) {
		atomic_add(n, &client->cached);
		llist_add_batch(first, last, &client->cache);
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
	/* As above: submitters and pollers check for room under req_lock. */
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
	/*
	 * Handed over under req_lock: a controller that completes inline, from
	 * this thread, finds the lock held rather than taking it once more per
	 * request (see rbus_request_complete()).
	 */
	spin_lock(&rdev->req_lock);
	WRITE_ONCE(rdev->req_starter, current);
	for (i = 0; i < n; i++) {
		if (hw->submit)
			hw->submit(rdev->hw_ctx, reqs[i]);
		else
			rbus_request_complete(reqs[i], -EOPNOTSUPP, NULL, 0);
	}
	WRITE_ONCE(rdev->req_starter, NULL);
	spin_unlock(&rdev->req_lock);
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
 * outcome. Process context; does not sleep. From within &rbus_hw_ops.submit,
 * which runs under the child's queue lock, only requests of that child may be
 * completed.
 */
void rbus_request_complete(struct rbus_request *req, int status, const u8 *rx, u32 len)
{
	struct rbus_device *rdev = req->rdev;
	/* Only this thread can have set it to itself: it holds req_lock. */
	bool inline_completion = READ_ONCE(rdev->req_starter) == current;

	if (!inline_completion)
		spin_lock(&rdev->req_lock);
	lockdep_assert_held(&rdev->req_lock);
	if (req->state == RBUS_REQ_STARTED) {
		if (!status) {
			len = min(len, req->in.rx_len);
			memcpy(req->rec.data, rx, len);
			req->rec.len = len;
		}
		rbus_request_finish(req, status);
	}
	if (!inline_completion)
		spin_unlock(&rdev->req_lock);
	rbus_request_put(req);
}
EXPORT_SYMBOL_GPL(rbus_request_complete);

/* The request's operation, for the controller. */
u32 rbus_request_op(const struct rbus_request *req)
{
	return req->in.op;
}
EXPORT_SYMBOL_GPL(rbus_request_op);

/* The bytes the request writes, and their number in @len. */
const u8 *rbus_request_tx(const struct rbus_request *req, u32 *len)
{
	*len = req->in.tx_len;
	return req->in.tx;
}
EXPORT_SYMBOL_GPL(rbus_request_tx);

/* The number of bytes the request reads back, at most %RBUS_DATA_MAX. */
u32 rbus_request_rx_len(const struct rbus_request *req)
{
	return req->in.rx_len;
}
EXPORT_SYMBOL_GPL(rbus_request_rx_len);

/**
 * rbus_client_open() - open a channel to a child's request queue
 * @rdev: the child
 *
 * Return: the client, to be closed with rbus_client_close(), or an ERR_PTR():
 * -ENOMEM, or -ENODEV once the child is removed, or from its driver's remove
 * until the next probe: a client never outlives the binding it opened in.
 */
struct rbus_client *rbus_client_open(struct rbus_device *rdev)
{
	struct rbus_client *client = kzalloc_obj(*client, GFP_KERNEL);

	if (!client)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&client->records);
	init_llist_head(&client->cache);
	init_waitqueue_head(&client->wait);
	client->rdev = rdev;
	client->bus_nr = rdev->host->nr;
	get_device(&rdev->dev);

	scoped_guard(spinlock, &rdev->req_lock) {
		if (!rdev->req_dead && !rdev->req_closed) {
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
	/* Cached requests have no reference left. */
	llist_for_each_entry_safe(req, tmp, llist_del_all(&client->cache), free)
		rbus_request_free(req);
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

/* Whether the controller can carry out @r: the op, lengths and flags. */
static bool rbus_req_valid(const struct rbus_req *r)
{
	return r->op == RBUS_OP_TRANSFER && !r->flags && r->tx_len <= RBUS_DATA_MAX &&
	       r->rx_len <= RBUS_DATA_MAX && (r->tx_len || !r->rx_len);
}

/* Makes a blank request the one in its @in, which is valid. */
static void rbus_request_fill(struct rbus_request *req)
{
	req->rec.id = req->in.id;
	req->rec.type = RBUS_RECORD_COMPLETION;
}

/* Gives back blank requests that were not queued. */
static void rbus_client_put_batch(struct rbus_client *client, struct rbus_request **batch,
				  u32 count)
{
	LIST_HEAD(unused);
	u32 i;

	for (i = 0; i < count; i++)
		list_add(&batch[i]->node, &unused);
	rbus_client_recycle(client, &unused);
}

/* Takes @count blank requests for @client into @batch. */
static int rbus_client_get_batch(struct rbus_client *client, struct rbus_request **batch,
				 u32 count)
{
	u32 i, cached = rbus_client_cache_take(client, batch, count);

	for (i = 0; i < cached; i++)
		rbus_request_reset(batch[i]);
	for (; i < count; i++) {
		batch[i] = rbus_request_get(client, GFP_KERNEL);
		if (!batch[i]) {
			rbus_client_put_batch(client, batch, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Queues the filled requests of @batch; what is not queued is given back.
 * Returns the number queued, or an error when none was.
 */
static int rbus_client_queue(struct rbus_client *client, struct rbus_request **batch,
			     u32 count, bool nonblock)
{
	struct rbus_device *rdev = client->rdev;
	u32 queued = 0;
	int ret = 0;

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
	if (queued < count)
		rbus_client_put_batch(client, batch + queued, count - queued);
	return queued ? queued : ret;
}

/**
 * rbus_client_submit() - queue a batch of requests
 * @client: the client
 * @reqs: @count requests
 * @count: 1 to %RBUS_SUBMIT_MAX
 * @nonblock: queue what fits rather than wait for room
 *
 * Every request is checked before any is queued. May sleep: to allocate,
 * to wait for room and to resume the controller.
 *
 * Return: the number queued, or -EINVAL (a bad request or count), -EAGAIN
 * (full, @nonblock), -ERESTARTSYS, -ENOMEM or -ENODEV when none was.
 */
int rbus_client_submit(struct rbus_client *client, const struct rbus_req *reqs,
		       u32 count, bool nonblock)
{
	struct rbus_request *batch[RBUS_SUBMIT_MAX];
	u32 i;
	int ret;

	if (!count || count > RBUS_SUBMIT_MAX)
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (!rbus_req_valid(&reqs[i]))
			return -EINVAL;
	ret = rbus_client_get_batch(client, batch, count);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		batch[i]->in = reqs[i];
		rbus_request_fill(batch[i]);
	}
	return rbus_client_queue(client, batch, count, nonblock);
}
EXPORT_SYMBOL_GPL(rbus_client_submit);

/**
 * rbus_client_submit_user() - RBUS_IOC_SUBMIT: queue a batch from user space
 * @client: the client
 * @ureqs: the user's array of @count requests, @size bytes apart
 * @count: 1 to %RBUS_SUBMIT_MAX
 * @size: at least sizeof(struct rbus_req), at most a page
 * @nonblock: queue what fits rather than wait for room
 *
 * As rbus_client_submit(), after copying each request the way
 * copy_struct_from_user() does: a larger one whose tail is not zero fails
 * with -E2BIG, a bad pointer with -EFAULT. Nothing is queued unless every
 * request is copied and valid.
 */
int rbus_client_submit_user(struct rbus_client *client, const void __user *ureqs,
			    u32 count, u32 size, bool nonblock)
{
	struct rbus_request *batch[RBUS_SUBMIT_MAX];
	u32 i;
	int ret;

	if (!count || count > RBUS_SUBMIT_MAX || size < sizeof(struct rbus_req) ||
	    size > PAGE_SIZE)
		return -EINVAL;
	ret = rbus_client_get_batch(client, batch, count);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		struct rbus_req *r = &batch[i]->in;

		ret = copy_struct_from_user(r, sizeof(*r), ureqs + (size_t)i * size, size);
		if (!ret && !rbus_req_valid(r))
			ret = -EINVAL;
		if (ret) {
			rbus_client_put_batch(client, batch, count);
			return ret;
		}
		rbus_request_fill(batch[i]);
	}
	return rbus_client_queue(client, batch, count, nonblock);
}
EXPORT_SYMBOL_GPL(rbus_client_submit_user);

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

static bool rbus_client_readable(struct rbus_client *client)
{
	guard(spinlock)(&client->rdev->req_lock);
	return client->dead || !list_empty(&client->records);
}

/*
 * Moves up to @max of the oldest records onto @batch, waiting for the first
 * unless @nonblock. Returns their number, or -EAGAIN, -ERESTARTSYS or, once
 * the client is dead and has none left, -ENODEV.
 */
static int rbus_client_take(struct rbus_client *client, struct list_head *batch,
			    size_t max, bool nonblock)
{
	for (;;) {
		struct rbus_request *req;
		size_t n = 0;
		bool dead;
		int ret;

		scoped_guard(spinlock, &client->rdev->req_lock) {
			dead = client->dead;
			while (n < max && !list_empty(&client->records)) {
				req = list_first_entry(&client->records, struct rbus_request, node);
				list_move_tail(&req->node, batch);
				if (req->rec.type == RBUS_RECORD_EVENT)
					client->events--;
				n++;
			}
		}
		if (n)
			return n;
		if (dead)
			return -ENODEV;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(client->wait, rbus_client_readable(client));
		if (ret)
			return ret;
	}
}

/* Puts records that were not consumed back at the head of the list. */
static void rbus_client_untake(struct rbus_client *client, struct list_head *batch)
{
	struct rbus_request *req;

	guard(spinlock)(&client->rdev->req_lock);
	list_for_each_entry(req, batch, node)
		if (req->rec.type == RBUS_RECORD_EVENT)
			client->events++;
	list_splice(batch, &client->records);
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
	LIST_HEAD(batch);
	int ret;

	ret = rbus_client_take(client, &batch, 1, nonblock);
	if (ret < 0)
		return ret;
	*rec = list_first_entry(&batch, struct rbus_request, node)->rec;
	rbus_client_recycle(client, &batch);
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
 * Copies the whole records that are ready and fit. A record that cannot be
 * copied stays first on the list.
 *
 * Return: the bytes copied, or -EINVAL, -EFAULT, -EAGAIN, -ERESTARTSYS or
 * -ENODEV when none was.
 */
ssize_t rbus_client_read_user(struct rbus_client *client, char __user *buf, size_t len,
			      bool nonblock)
{
	size_t max = min(len / sizeof(struct rbus_record), (size_t)RBUS_QUEUE_DEPTH);
	struct rbus_request *req, *tmp;
	LIST_HEAD(consumed);
	LIST_HEAD(batch);
	size_t done = 0;
	int n;

	if (!max)
		return -EINVAL;
	n = rbus_client_take(client, &batch, max, nonblock);
	if (n < 0)
		return n;
	list_for_each_entry_safe(req, tmp, &batch, node) {
		if (copy_to_user(buf + done, &req->rec, sizeof(req->rec)))
			break;
		done += sizeof(req->rec);
		list_move_tail(&req->node, &consumed);
	}
	if (!list_empty(&batch))
		rbus_client_untake(client, &batch);
	rbus_client_recycle(client, &consumed);
	return done ? done : -EFAULT;
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
 * event, which counts in the child's channel_events_dropped. Does not sleep.
 */
void rbus_device_post_event(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload)
{
	struct rbus_client *client;

	guard(spinlock)(&rdev->req_lock);
	list_for_each_entry(client, &rdev->req_clients, node) {
		struct rbus_request *ev;

		if (client->dead)
			continue;
		ev = client->events < RBUS_CLIENT_EVENTS_MAX ?
		     rbus_request_get(client, GFP_ATOMIC) : NULL;
		if (!ev) {
			rdev->req_events_dropped++;
			continue;
		}
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
	rdev->req_closed = true;
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

/* A driver is about to bind: clients may open again. */
void rbus_queue_reopen(struct rbus_device *rdev)
{
	guard(spinlock)(&rdev->req_lock);
	rdev->req_closed = false;
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

static ssize_t channel_events_dropped_show(struct device *dev, struct device_attribute *attr,
					   char *buf)
{
	return rbus_queue_stat(dev, buf, offsetof(struct rbus_device, req_events_dropped));
}
static DEVICE_ATTR_RO(channel_events_dropped);

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
	&dev_attr_channel_events_dropped.attr,
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
