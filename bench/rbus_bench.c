// SPDX-License-Identifier: GPL-2.0
/*
 * rbus_bench: the per-call cost of the ops table, timed the way refscale
 * times read-side primitives, so the two can be compared in one guest run.
 *
 * On load it registers one child on a host of its own, publishes a no-op
 * event callback and a no-op register read, then times three calls:
 *
 *   bare       the callback through a plain indirect call
 *   srcu-fast  an SRCU-fast read-side pair around it, inline, as refscale
 *              times the pair alone: what the protection costs here
 *   exported   the bare call plus a call of a trivial function exported by
 *              rbus_core: what crossing into the core module costs
 *   inlined    the fast path of rbus_event_dispatch() copied inline here,
 *              on the same child: the protected call without the crossing
 *   protected  the same callback through rbus_event_dispatch(): SRCU-fast
 *              read side, the suspended check and the per-CPU counters
 *   child-bus  a register read through the child-to-bus table
 *
 * each with 1 and 2 callers, kthreads bound to CPUs 0 and 1 that start
 * together and run @loops calls with interrupts off.
 *
 * Given the number of an rbus_i2c adapter (@i2c_adapter), it then times, in
 * the loading task with interrupts on, since an I2C transfer sleeps, and
 * @loops / 10 times per run:
 *
 *   i2c-direct  the tunnel's frame for a one-byte EEPROM read (write the
 *               pointer, read a byte) as one child-to-bus transfer of the
 *               adapter's rbus child: what the tunnel carries
 *   i2c-kernel  the same read through i2c_transfer() on the adapter, as
 *               at24 or any I2C client does it
 *
 * Every result line is
 *
 *   rbus_bench: <call> callers=<n> run=<k> ns=<ns per call, 3 decimals>
 *
 * followed by "rbus_bench: done". The module then stays loaded, doing
 * nothing, until it is removed.
 */

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/device/faux.h>
#include <linux/err.h>
#include <linux/i2c.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/srcu.h>
#include <linux/timekeeping.h>

#include "../rust/helpers/helpers.h"
#include "../rust/rbus_glue.h"

static int loops = 100000;
module_param(loops, int, 0444);
MODULE_PARM_DESC(loops, "Calls per caller and run");

static int nruns = 5;
module_param(nruns, int, 0444);
MODULE_PARM_DESC(nruns, "Runs of each measurement");

static int i2c_adapter = -1;
module_param(i2c_adapter, int, 0444);
MODULE_PARM_DESC(i2c_adapter, "An rbus_i2c adapter to time I2C transfers on, or -1");

enum bench_call {
	BENCH_BARE, BENCH_SRCU_FAST, BENCH_EXPORTED, BENCH_INLINED, BENCH_PROTECTED,
	BENCH_CHILD_BUS, BENCH_NR
};

static const char * const bench_names[BENCH_NR] = {
	[BENCH_BARE] = "bare",
	[BENCH_SRCU_FAST] = "srcu-fast",
	[BENCH_EXPORTED] = "exported",
	[BENCH_INLINED] = "inlined",
	[BENCH_PROTECTED] = "protected",
	[BENCH_CHILD_BUS] = "child-bus",
};

static noinline void bench_event(void *context, u32 kind, u64 seq, u64 payload)
{
	barrier();
}

static noinline int bench_reg_read(void *ctx, u32 reg, u32 *val)
{
	*val = reg;
	return 0;
}

static noinline int bench_unsupported(void)
{
	return -EOPNOTSUPP;
}

static int bench_transfer(void *ctx, const void *tx, size_t tx_len, void *rx, size_t rx_len)
{
	return bench_unsupported();
}

static int bench_reg_write(void *ctx, u32 reg, u32 val)
{
	return bench_unsupported();
}

static int bench_subscribe(void *ctx, u32 mask)
{
	return bench_unsupported();
}

static const struct rbus_hw_ops bench_hw_ops = {
	.transfer = bench_transfer,
	.reg_read = bench_reg_read,
	.reg_write = bench_reg_write,
	.subscribe = bench_subscribe,
};

static const struct rbus_child_ops bench_child_ops = {
	.size = sizeof(struct rbus_child_ops),
	.version = RBUS_OPS_VERSION,
	.event = bench_event,
};

static struct faux_device *bench_parent;
static struct rbus_host *bench_host;
static struct rbus_device *bench_child;
static struct rbus_bus_ops bench_bus_ops;
static struct srcu_struct bench_srcu;
static int bench_nr = -1;

/* Read through READ_ONCE() so the compiler cannot turn the call direct. */
static const struct rbus_child_ops *bench_ops_ptr = &bench_child_ops;

/**
 * struct bench_run - one timed run of one call
 * @call: the call timed
 * @callers: the number of callers
 * @ready: callers not yet at the start line
 * @done: signalled by the last caller to finish
 * @finished: callers finished
 * @ns: the callers' summed durations
 */
struct bench_run {
	enum bench_call call;
	int callers;
	atomic_t ready;
	struct completion done;
	atomic_t finished;
	atomic64_t ns;
};

static void bench_loop(enum bench_call call)
{
	const struct rbus_child_ops *ops = READ_ONCE(bench_ops_ptr);
	u32 val;
	int i;

	switch (call) {
	case BENCH_BARE:
		for (i = 0; i < loops; i++)
			ops->event(ops->context, 1, i, 0);
		break;
	case BENCH_SRCU_FAST:
		for (i = 0; i < loops; i++) {
			struct srcu_ctr __percpu *scp = srcu_read_lock_fast(&bench_srcu);

			ops->event(ops->context, 1, i, 0);
			srcu_read_unlock_fast(&bench_srcu, scp);
		}
		break;
	case BENCH_EXPORTED:
		for (i = 0; i < loops; i++)
			ops->event(ops->context, 1, i, rbus_device_addr(bench_child));
		break;
	case BENCH_INLINED:
		for (i = 0; i < loops; i++) {
			struct srcu_ctr __percpu *scp = srcu_read_lock_fast(bench_child->ssp);
			const struct rbus_child_ops *cops;

			cops = srcu_dereference(bench_child->child_ops, bench_child->ssp);
			if (cops && !READ_ONCE(bench_child->suspended)) {
				cops->event(cops->context, 1, i, 0);
				this_cpu_inc(bench_child->stats->events_delivered);
			}
			srcu_read_unlock_fast(bench_child->ssp, scp);
		}
		break;
	case BENCH_PROTECTED:
		for (i = 0; i < loops; i++)
			rbus_event_dispatch(bench_child, 1, i, 0);
		break;
	case BENCH_CHILD_BUS:
		for (i = 0; i < loops; i++)
			bench_bus_ops.reg_read(bench_bus_ops.context, 0, 0, &val);
		break;
	case BENCH_NR:
		break;
	}
}

static int bench_caller(void *data)
{
	struct bench_run *run = data;
	int callers = run->callers;
	unsigned long flags;
	u64 start;

	/* Warm up, then start together. */
	bench_loop(run->call);
	atomic_dec(&run->ready);
	while (atomic_read_acquire(&run->ready))
		cpu_relax();

	local_irq_save(flags);
	start = ktime_get_mono_fast_ns();
	bench_loop(run->call);
	atomic64_add(ktime_get_mono_fast_ns() - start, &run->ns);
	local_irq_restore(flags);

	/* @run is on the waiter's stack: only the last caller touches it now. */
	if (atomic_inc_return(&run->finished) == callers)
		complete(&run->done);
	return 0;
}

static int bench_one(enum bench_call call, int callers, int nr)
{
	struct bench_run run = { .call = call, .callers = callers };
	struct task_struct *threads[2];
	int cpu, ret;
	u64 ps;
	u32 rem;

	atomic_set(&run.ready, callers);
	atomic_set(&run.finished, 0);
	atomic64_set(&run.ns, 0);
	init_completion(&run.done);

	/* Created first, then woken together, so no caller spins for one never started. */
	for (cpu = 0; cpu < callers; cpu++) {
		threads[cpu] = kthread_create_on_cpu(bench_caller, &run, cpu, "rbus_bench/%u");
		if (IS_ERR(threads[cpu])) {
			ret = PTR_ERR(threads[cpu]);
			while (cpu--)
				kthread_stop(threads[cpu]);
			return ret;
		}
	}
	for (cpu = callers - 1; cpu >= 0; cpu--)
		wake_up_process(threads[cpu]);
	wait_for_completion(&run.done);

	ps = div_u64(atomic64_read(&run.ns) * 1000, (u64)callers * loops);
	ps = div_u64_rem(ps, 1000, &rem);
	pr_info("rbus_bench: %s callers=%d run=%d ns=%llu.%03u\n",
		bench_names[call], callers, nr, ps, rem);
	return 0;
}

static int bench_measure(void)
{
	int callers, call, nr, ret, cpu;
	u64 delivered = 0, missed = 0;

	for (callers = 1; callers <= 2; callers++) {
		if (callers > num_online_cpus()) {
			pr_info("rbus_bench: skipping callers=%d: %u CPUs online\n",
				callers, num_online_cpus());
			continue;
		}
		for (call = 0; call < BENCH_NR; call++) {
			for (nr = 1; nr <= nruns; nr++) {
				ret = bench_one(call, callers, nr);
				if (ret)
					return ret;
			}
		}
	}
	/* Every protected call must have reached the callback, none queued. */
	for_each_possible_cpu(cpu) {
		delivered += per_cpu_ptr(bench_child->stats, cpu)->events_delivered;
		missed += per_cpu_ptr(bench_child->stats, cpu)->events_deferred +
			  per_cpu_ptr(bench_child->stats, cpu)->events_dropped;
	}
	pr_info("rbus_bench: done: %llu protected calls delivered, %llu not\n",
		delivered, missed);
	return missed ? -EIO : 0;
}

/* One timed run of an I2C case: @n transfers, or the first error. */
static int bench_i2c_run(const char *name, struct i2c_adapter *adap,
			 const struct rbus_bus_ops *ops, int n, int nr)
{
	/* The frame of rust/rbus/i2c_frame.rs: write then read, address, pointer. */
	static const u8 frame[] = { 2, 0x50, 0x00, 0x00 };
	u8 ptr = 0, byte;
	struct i2c_msg msgs[2] = {
		{ .addr = 0x50, .len = 1, .buf = &ptr },
		{ .addr = 0x50, .flags = I2C_M_RD, .len = 1, .buf = &byte },
	};
	u64 start, ps;
	int i, ret;
	u32 rem;

	start = ktime_get_mono_fast_ns();
	for (i = 0; i < n; i++) {
		if (ops)
			ret = ops->transfer(ops->context, 0, frame, sizeof(frame), &byte, 1);
		else
			ret = i2c_transfer(adap, msgs, 2) == 2 ? 0 : -EIO;
		if (ret)
			return ret;
	}
	ps = div_u64((ktime_get_mono_fast_ns() - start) * 1000, n);
	ps = div_u64_rem(ps, 1000, &rem);
	pr_info("rbus_bench: %s callers=1 run=%d ns=%llu.%03u\n", name, nr, ps, rem);
	return 0;
}

/* The I2C tunnel: its frame as a child-to-bus call, and through the I2C core. */
static int bench_i2c(void)
{
	struct rbus_bus_ops ops = {
		.size = sizeof(ops), .version = RBUS_OPS_VERSION,
	};
	struct i2c_adapter *adap;
	int n = max(loops / 10, 1), nr, ret;

	adap = i2c_get_adapter(i2c_adapter);
	if (!adap)
		return -ENODEV;
	/* The adapter's parent is the rbus child whose calls carry its transfers. */
	ret = -EINVAL;
	if (!adap->dev.parent || !adap->dev.parent->bus ||
	    strcmp(adap->dev.parent->bus->name, "rbus"))
		goto out;
	ret = rbus_query_interface(container_of(adap->dev.parent, struct rbus_device, dev), &ops);
	if (ret)
		goto out;
	for (nr = 1; nr <= nruns && !ret; nr++) {
		ret = bench_i2c_run("i2c-direct", adap, &ops, n, nr) ?:
		      bench_i2c_run("i2c-kernel", adap, NULL, n, nr);
	}
	ops.put(ops.context);
out:
	i2c_put_adapter(adap);
	return ret;
}

static void bench_teardown(void)
{
	if (!IS_ERR_OR_NULL(bench_child)) {
		if (bench_bus_ops.put)
			bench_bus_ops.put(bench_bus_ops.context);
		rbus_child_unpublish(bench_child, &bench_child_ops);
		rbus_device_unregister(bench_child);
	}
	if (!IS_ERR_OR_NULL(bench_host))
		rbus_host_unregister(bench_host);
	if (bench_nr >= 0)
		rbus_bus_nr_free(bench_nr);
	cleanup_srcu_struct(&bench_srcu);
	faux_device_destroy(bench_parent);
}

static int __init rbus_bench_init(void)
{
	int ret;

	if (loops <= 0 || nruns <= 0)
		return -EINVAL;

	ret = init_srcu_struct_fast(&bench_srcu);
	if (ret)
		return ret;
	bench_parent = faux_device_create("rbus-bench", NULL, NULL);
	if (!bench_parent) {
		cleanup_srcu_struct(&bench_srcu);
		return -ENOMEM;
	}
	ret = rbus_bus_nr_alloc();
	if (ret < 0)
		goto err;
	bench_nr = ret;
	bench_host = rbus_host_add(&bench_parent->dev, bench_nr);
	if (IS_ERR(bench_host)) {
		ret = PTR_ERR(bench_host);
		goto err;
	}
	bench_child = rbus_device_add(bench_host, 1, "rbus,bench", NULL, &bench_srcu,
				      &bench_hw_ops, NULL);
	if (IS_ERR(bench_child)) {
		ret = PTR_ERR(bench_child);
		goto err;
	}
	ret = rbus_child_publish(bench_child, &bench_child_ops);
	if (ret)
		goto err;
	bench_bus_ops.size = sizeof(bench_bus_ops);
	bench_bus_ops.version = RBUS_OPS_VERSION;
	ret = rbus_query_interface(bench_child, &bench_bus_ops);
	if (ret)
		goto err;

	ret = bench_measure();
	if (!ret && i2c_adapter >= 0)
		ret = bench_i2c();
	if (ret)
		goto err;
	return 0;

err:
	bench_teardown();
	return ret;
}

static void __exit rbus_bench_exit(void)
{
	bench_teardown();
}

module_init(rbus_bench_init);
module_exit(rbus_bench_exit);

MODULE_DESCRIPTION("rbus ops-table per-call microbenchmark");
MODULE_AUTHOR("rbus developers");
MODULE_LICENSE("GPL");
