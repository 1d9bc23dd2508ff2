// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the C entry points of the bus core, on their way to Rust.
 *
 * The bus type, the bus numbers, the hosts, the child lifecycle, driver
 * registration, the counters' attributes and publishing are Rust already
 * (rust/rbus_core/); what is left here is event dispatch and its runtime
 * PM, and the child-to-bus calls. The bus type calls the runtime PM
 * callbacks from Rust.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pm_runtime.h>
#include <linux/srcu.h>

#include "rbus_glue.h"

#define to_rbus_device(d)	container_of_const(d, struct rbus_device, dev)

static_assert(offsetof(struct rbus_device, dev) == 0);

/* Child-to-bus calls run inside it; removal and host suspend wait for them. */
DEFINE_SRCU_FAST(rbus_call_srcu);

static __always_inline void rbus_deliver(struct rbus_device *rdev,
					 const struct rbus_child_ops *ops,
					 const struct rbus_event *ev)
{
	ops->event(ops->context, ev->kind, ev->seq, ev->payload);
	this_cpu_inc(rdev->stats->events_delivered);
}

/*
 * D0 exit: from here on events wait in the queue. Set the flag, then wait
 * out the callbacks that started before it: after that none runs until
 * resume.
 */
int rbus_runtime_suspend(struct device *dev)
{
	struct rbus_device *rdev = to_rbus_device(dev);
	int ret;

	ret = rbus_queue_suspend(rdev);
	if (ret)
		return ret;
	if (!rdev->ssp)
		return 0;
	WRITE_ONCE(rdev->suspended, true);
	synchronize_srcu(rdev->ssp);
	return 0;
}

/*
 * Delivers the queued events in order, then lets new ones through. Events
 * raised meanwhile wait for the drain to end (see rbus_event_dispatch()), so
 * a steady stream cannot keep it going forever.
 */
static void rbus_event_resume(struct rbus_device *rdev)
{
	const struct rbus_child_ops *ops;
	struct srcu_ctr __percpu *scp;
	struct rbus_event ev;

	guard(mutex)(&rdev->resume_lock);
	WRITE_ONCE(rdev->resuming, true);
	scp = srcu_read_lock_fast(rdev->ssp);
	ops = srcu_dereference(rdev->child_ops, rdev->ssp);
	for (;;) {
		bool more;

		scoped_guard(spinlock_irqsave, &rdev->queue_lock) {
			more = rdev->queue_len;
			if (more) {
				ev = rdev->queue[rdev->queue_head];
				rdev->queue_head = (rdev->queue_head + 1) % RBUS_EVENT_QUEUE_DEPTH;
				rdev->queue_len--;
			} else {
				WRITE_ONCE(rdev->suspended, false);
			}
		}
		if (!more)
			break;
		if (ops)
			rbus_deliver(rdev, ops, &ev);
		else
			this_cpu_inc(rdev->stats->events_dropped);
	}
	srcu_read_unlock_fast(rdev->ssp, scp);
	WRITE_ONCE(rdev->resuming, false);
}

/* D0 entry: the events that waited go first, then the requests. */
int rbus_runtime_resume(struct device *dev)
{
	struct rbus_device *rdev = to_rbus_device(dev);

	if (rdev->ssp)
		rbus_event_resume(rdev);
	rbus_queue_resume(rdev);
	return 0;
}

/*
 * The child-to-bus calls of struct rbus_bus_ops: each runs the controller's
 * implementation inside rbus_call_srcu with the host active, or fails with
 * -ENODEV once the child is removed. The context is the rbus_device, kept
 * alive by the reference the table holds; the controller's context and the
 * host are only touched while rdev->hw is set, and the host outlives that.
 */

static void rbus_call_release(struct rbus_call *call)
{
	srcu_read_unlock_fast(&rbus_call_srcu, call->scp);
	if (call->held) {
		pm_runtime_put_autosuspend(&call->held->dev);
		put_device(&call->held->dev);
	}
}

/*
 * Enters a call. An active host costs a flag read. A suspended one is resumed
 * outside the read-side section, since its suspend waits for that section,
 * and is then held active for the call; with %RBUS_CALL_NOWAIT the call
 * fails instead.
 *
 * Return: the controller's table, to be followed by rbus_call_end(), or an
 * ERR_PTR(): -ENODEV, -EAGAIN or an error of the resume.
 */
const struct rbus_hw_ops *rbus_call_begin(struct rbus_device *rdev, u32 flags,
					  struct rbus_call *call)
{
	const struct rbus_hw_ops *hw;
	struct rbus_host *host;
	int ret;

	call->held = NULL;
	for (;;) {
		call->scp = srcu_read_lock_fast(&rbus_call_srcu);
		hw = srcu_dereference(rdev->hw, &rbus_call_srcu);
		if (!hw) {
			ret = -ENODEV;
			break;
		}
		host = rdev->host;
		/* Test-only: `make check RBUS_BREAK=skip-pm` must go red. */
		if (call->held || IS_ENABLED(CONFIG_RBUS_BREAK_SKIP_PM) ||
		    !READ_ONCE(host->suspended)) {
			this_cpu_inc(rdev->stats->calls);
			return hw;
		}
		if (flags & RBUS_CALL_NOWAIT) {
			ret = -EAGAIN;
			break;
		}
		get_device(&host->dev);
		srcu_read_unlock_fast(&rbus_call_srcu, call->scp);
		ret = pm_runtime_resume_and_get(&host->dev);
		if (ret < 0) {
			put_device(&host->dev);
			return ERR_PTR(ret);
		}
		call->held = host;
	}
	rbus_call_release(call);
	return ERR_PTR(ret);
}

void rbus_call_end(struct rbus_device *rdev, struct rbus_call *call)
{
	struct rbus_host *host = rdev->host;
	unsigned long now = jiffies;

	/*
	 * Keeps an allowed host awake while calls come. At most one store a
	 * jiffy: otherwise the calls only read the line.
	 */
	if (READ_ONCE(host->busy_jiffies) != now) {
		WRITE_ONCE(host->busy_jiffies, now);
		pm_runtime_mark_last_busy(&host->dev);
	}
	rbus_call_release(call);
}

static int rbus_call_transfer(void *context, u32 flags, const void *tx, size_t tx_len,
			      void *rx, size_t rx_len)
{
	struct rbus_device *rdev = context;
	const struct rbus_hw_ops *hw;
	struct rbus_call call;
	int ret;

	hw = rbus_call_begin(rdev, flags, &call);
	if (IS_ERR(hw))
		return PTR_ERR(hw);
	ret = hw->transfer(rdev->hw_ctx, tx, tx_len, rx, rx_len);
	rbus_call_end(rdev, &call);
	return ret;
}

static int rbus_call_reg_read(void *context, u32 flags, u32 reg, u32 *val)
{
	struct rbus_device *rdev = context;
	const struct rbus_hw_ops *hw;
	struct rbus_call call;
	int ret;

	hw = rbus_call_begin(rdev, flags, &call);
	if (IS_ERR(hw))
		return PTR_ERR(hw);
	ret = hw->reg_read(rdev->hw_ctx, reg, val);
	rbus_call_end(rdev, &call);
	return ret;
}

static int rbus_call_reg_write(void *context, u32 flags, u32 reg, u32 val)
{
	struct rbus_device *rdev = context;
	const struct rbus_hw_ops *hw;
	struct rbus_call call;
	int ret;

	hw = rbus_call_begin(rdev, flags, &call);
	if (IS_ERR(hw))
		return PTR_ERR(hw);
	ret = hw->reg_write(rdev->hw_ctx, reg, val);
	rbus_call_end(rdev, &call);
	return ret;
}

static int rbus_call_subscribe(void *context, u32 flags, u32 mask)
{
	struct rbus_device *rdev = context;
	const struct rbus_hw_ops *hw;
	struct rbus_call call;
	int ret;

	hw = rbus_call_begin(rdev, flags, &call);
	if (IS_ERR(hw))
		return PTR_ERR(hw);
	ret = hw->subscribe(rdev->hw_ctx, mask);
	rbus_call_end(rdev, &call);
	return ret;
}

static void rbus_call_get(void *context)
{
	get_device(&((struct rbus_device *)context)->dev);
}

static void rbus_call_put(void *context)
{
	put_device(&((struct rbus_device *)context)->dev);
}

/**
 * rbus_query_interface() - get the bus's child-to-bus calls
 * @rdev: the child
 * @ops: the table to fill, with @size and @version set by the caller
 *
 * Like a KMDF bus interface: the table holds one reference on its context,
 * taken here (InterfaceReference); the caller drops it with @ops->put
 * (InterfaceDereference).
 *
 * Return: 0, or -EINVAL when @size or @version is not this core's.
 */
int rbus_query_interface(struct rbus_device *rdev, struct rbus_bus_ops *ops)
{
	if (ops->size != sizeof(*ops) || ops->version != RBUS_OPS_VERSION)
		return -EINVAL;

	ops->context = rdev;
	ops->get = rbus_call_get;
	ops->put = rbus_call_put;
	ops->transfer = rbus_call_transfer;
	ops->reg_read = rbus_call_reg_read;
	ops->reg_write = rbus_call_reg_write;
	ops->subscribe = rbus_call_subscribe;
	ops->get(ops->context);
	return 0;
}
EXPORT_SYMBOL_GPL(rbus_query_interface);

/*
 * The slow path of rbus_event_dispatch(), for a suspended child: queue the
 * event, or count it dropped when the queue is full. While resume delivers
 * the queue, wait for it, then deliver in order. Called and returns inside
 * the read-side section.
 */
static noinline void rbus_dispatch_suspended(struct rbus_device *rdev,
					     const struct rbus_child_ops *ops,
					     const struct rbus_event *ev)
{
	while (READ_ONCE(rdev->suspended)) {
		bool wait = false;

		scoped_guard(spinlock_irqsave, &rdev->queue_lock) {
			unsigned int tail;

			if (!rdev->suspended)
				break;
			if (rdev->resuming) {
				wait = true;
				break;
			}
			if (rdev->queue_len == RBUS_EVENT_QUEUE_DEPTH) {
				this_cpu_inc(rdev->stats->events_dropped);
				return;
			}
			tail = (rdev->queue_head + rdev->queue_len) % RBUS_EVENT_QUEUE_DEPTH;
			rdev->queue[tail] = *ev;
			rdev->queue_len++;
			this_cpu_inc(rdev->stats->events_deferred);
			return;
		}
		if (!wait)
			break;
		/* Resume is draining the queue: wait, then deliver in order. */
		mutex_lock(&rdev->resume_lock);
		mutex_unlock(&rdev->resume_lock);
	}
	rbus_deliver(rdev, ops, ev);
}

/**
 * rbus_event_dispatch() - deliver an event to a child
 * @rdev: the child
 * @kind: the event kind
 * @seq: the event's sequence number
 * @payload: its payload
 *
 * The protected bus-to-child call: it runs inside an SRCU-fast read-side
 * critical section and, on its fast path, reads the child's table and
 * suspended flag and bumps one per-CPU counter: no atomic, no shared cache
 * line written. May sleep if the child's callback does.
 *
 * A suspended child gets no call: the event waits in its queue, or is
 * counted as dropped when the queue is full. While resume delivers the queue,
 * this waits for it, so events stay in order; it may sleep then.
 *
 * The function is aligned so that it never straddles a page: under QEMU TCG,
 * where `make bench` runs, a call into code that crosses a page boundary
 * cost 200-300 ns instead of 84 ns, and twice that with two callers. On
 * hardware the alignment costs some padding and nothing else.
 *
 * Return: 0 when delivered, queued or dropped; -ENODEV when no table is
 * published.
 */
int __aligned(256) rbus_event_dispatch(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload)
{
	struct rbus_event ev = { .kind = kind, .seq = seq, .payload = payload };
	struct srcu_struct *ssp = rdev->ssp;
	const struct rbus_child_ops *ops;
	struct srcu_ctr __percpu *scp;
	int ret = 0;

	if (!ssp)
		return -ENODEV;

	scp = srcu_read_lock_fast(ssp);
	ops = srcu_dereference(rdev->child_ops, ssp);
	if (unlikely(!ops))
		ret = -ENODEV;
	/* Test-only: `make check RBUS_BREAK=skip-pm` must go red. */
	else if (!IS_ENABLED(CONFIG_RBUS_BREAK_SKIP_PM) && unlikely(READ_ONCE(rdev->suspended)))
		rbus_dispatch_suspended(rdev, ops, &ev);
	else
		rbus_deliver(rdev, ops, &ev);
	srcu_read_unlock_fast(ssp, scp);
	return ret;
}
EXPORT_SYMBOL_GPL(rbus_event_dispatch);
