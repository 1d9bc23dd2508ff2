// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the C entry points of the bus core, on their way to Rust.
 *
 * The bus type, the bus numbers, the hosts, the child lifecycle, driver
 * registration, the counters' attributes, the events and the children's
 * runtime PM are Rust already (rust/rbus_core/); what is left here is the
 * child-to-bus calls.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/pm_runtime.h>
#include <linux/srcu.h>

#include "rbus_glue.h"

static_assert(offsetof(struct rbus_device, dev) == 0);

/* Child-to-bus calls run inside it; removal and host suspend wait for them. */
DEFINE_SRCU_FAST(rbus_call_srcu);

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
