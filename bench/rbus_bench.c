// SPDX-License-Identifier: GPL-2.0
/*
 * rbus_bench: the kernel's side of `make bench`, timed the way refscale
 * times read-side primitives, so the two compare within one guest run.
 *
 * Every case is a loop of @loops calls (a tenth of that for the cases that
 * sleep) run by one harness, bench_one(): kthreads bound to CPUs 0 and 1
 * start together, then time their loop, interrupts off unless the case
 * sleeps. There are @nruns runs with 1 caller, then @nruns with 2 callers,
 * and each run times every case in turn (with 2 callers, those that do not
 * sleep): one run's figures are taken moments apart, so the host's drift
 * from run to run, which TCG makes large, moves all of them alike. The
 * cases:
 *
 * The bus calls the child (on a child of the module's own host, with a
 * no-op event callback):
 *   bare         the callback through a plain indirect call
 *   srcu-fast    the same inside an inline SRCU-fast read-side pair, as
 *                refscale times the pair alone
 *   exported     the bare call plus a call of a trivial function exported
 *                by rbus_core: what crossing into the core costs
 *   inlined      rbus_event_dispatch()'s fast path copied inline, without
 *                its test of the trace event
 *   protected    the callback through rbus_event_dispatch(), inline
 *                (rust/rbus_glue.h), as a C controller calls it
 *   protected-rust
 *                the same through rbus_helper_event_dispatch(), as a Rust
 *                controller calls it: one call into rbus_core more
 *
 * The child calls the bus:
 *   reg-read     a register read through the child-to-bus table, to a
 *                no-op controller: the protection of a call
 *
 * The two designs, on a child of rbus_ctrl's simulated controller that
 * this module binds as a kernel child driver ("rbus,bench-target"; the
 * cases are skipped when there is none), with the 64-byte transfer the
 * user-space channel benchmark sends:
 *   transfer        the transfer through the ops table (interface A)
 *   queue-transfer  the same transfer submitted to the child's request
 *                   queue as a kernel client, then its record read,
 *                   waiting (interface B)
 *
 * The I2C tunnel, given the number of an rbus_i2c adapter (@i2c_adapter),
 * with a one-byte EEPROM read (write the pointer, read a byte):
 *   i2c-direct   the tunnel's frame as one child-to-bus transfer of the
 *                adapter's rbus child: what the tunnel carries
 *   i2c-kernel   the read through i2c_transfer(), as at24 does it
 *
 * Every result line is
 *
 *   rbus_bench: <case> callers=<n> run=<k> ns=<ns per call, 3 decimals>
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
#include <linux/mutex.h>
#include <linux/srcu.h>
#include <linux/timekeeping.h>

#include "../rust/helpers/helpers.h"
#include "../rust/rbus_glue.h"

static int loops = 100000;
module_param(loops, int, 0444);
MODULE_PARM_DESC(loops, "Calls per caller and run (a tenth for the cases that sleep)");

static int nruns = 5;
module_param(nruns, int, 0444);
MODULE_PARM_DESC(nruns, "Runs of each measurement");

static int i2c_adapter = -1;
module_param(i2c_adapter, int, 0444);
MODULE_PARM_DESC(i2c_adapter, "An rbus_i2c adapter to time I2C transfers on, or -1");

/* The module's own host and child, with a no-op controller and callback. */

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

/*
 * The bound "rbus,bench-target" child, its table and its kernel client,
 * under bench_target_lock: the timed runs hold it, so an unbind waits for
 * them.
 */
static DEFINE_MUTEX(bench_target_lock);
static struct rbus_device *target;
static struct rbus_bus_ops target_ops;
static struct rbus_client *target_client;

/* The I2C tunnel's adapter and the table of its rbus child. */
static struct i2c_adapter *i2c_adap;
static struct rbus_bus_ops i2c_ops;

/* The channel benchmark's request: 64 bytes each way, answered by the device. */
static struct rbus_req target_req = {
	.op = RBUS_OP_TRANSFER, .tx_len = RBUS_DATA_MAX, .rx_len = RBUS_DATA_MAX,
};

static int loop_bare(int n)
{
	const struct rbus_child_ops *ops = READ_ONCE(bench_ops_ptr);
	int i;

	for (i = 0; i < n; i++)
		ops->event(ops->context, 1, i, 0);
	return 0;
}

static int loop_srcu_fast(int n)
{
	const struct rbus_child_ops *ops = READ_ONCE(bench_ops_ptr);
	int i;

	for (i = 0; i < n; i++) {
		struct srcu_ctr __percpu *scp = srcu_read_lock_fast(&bench_srcu);

		ops->event(ops->context, 1, i, 0);
		srcu_read_unlock_fast(&bench_srcu, scp);
	}
	return 0;
}

static int loop_exported(int n)
{
	const struct rbus_child_ops *ops = READ_ONCE(bench_ops_ptr);
	struct rbus_device *child = READ_ONCE(bench_child);
	int i;

	for (i = 0; i < n; i++)
		ops->event(ops->context, 1, i, rbus_device_addr(child));
	return 0;
}

/* The child in a register, as @ops is for the bare call, and as a controller has it. */
static int loop_inlined(int n)
{
	struct rbus_device *child = READ_ONCE(bench_child);
	int i;

	for (i = 0; i < n; i++) {
		struct srcu_ctr __percpu *scp = srcu_read_lock_fast(child->ssp);
		const struct rbus_child_ops *cops;

		cops = srcu_dereference(child->active_ops, child->ssp);
		if (likely(cops)) {
			cops->event(cops->context, 1, i, 0);
			this_cpu_inc(child->stats->events_delivered);
		}
		srcu_read_unlock_fast(child->ssp, scp);
	}
	return 0;
}

static int loop_protected(int n)
{
	struct rbus_device *child = READ_ONCE(bench_child);
	int i;

	for (i = 0; i < n; i++)
		rbus_event_dispatch(child, 1, i, 0);
	return 0;
}

static int loop_protected_rust(int n)
{
	struct rbus_device *child = READ_ONCE(bench_child);
	int i;

	for (i = 0; i < n; i++)
		rbus_helper_event_dispatch(child, 1, i, 0);
	return 0;
}

static int loop_reg_read(int n)
{
	u32 val;
	int i;

	for (i = 0; i < n; i++)
		bench_bus_ops.reg_read(bench_bus_ops.context, 0, 0, &val);
	return 0;
}

static int loop_transfer(int n)
{
	u8 rx[RBUS_DATA_MAX];
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = target_ops.transfer(target_ops.context, 0, target_req.tx,
					  target_req.tx_len, rx, sizeof(rx));
		if (ret)
			return ret;
	}
	return 0;
}

static int loop_queue_transfer(int n)
{
	struct rbus_record rec;
	int i, ret;

	for (i = 0; i < n; i++) {
		target_req.id = i;
		ret = rbus_client_submit(target_client, &target_req, 1, false);
		if (ret < 0)
			return ret;
		ret = rbus_client_read(target_client, &rec, false);
		if (ret)
			return ret;
		if (rec.type != RBUS_RECORD_COMPLETION || rec.id != i || rec.status)
			return -EIO;
	}
	return 0;
}

/* The frame of rust/rbus/i2c_frame.rs: write then read, address, pointer. */
static const u8 i2c_frame[] = { 2, 0x50, 0x00, 0x00 };

static int loop_i2c_direct(int n)
{
	int i, ret;
	u8 byte;

	for (i = 0; i < n; i++) {
		ret = i2c_ops.transfer(i2c_ops.context, 0, i2c_frame, sizeof(i2c_frame), &byte, 1);
		if (ret)
			return ret;
	}
	return 0;
}

static int loop_i2c_kernel(int n)
{
	u8 ptr = 0, byte;
	struct i2c_msg msgs[2] = {
		{ .addr = 0x50, .len = 1, .buf = &ptr },
		{ .addr = 0x50, .flags = I2C_M_RD, .len = 1, .buf = &byte },
	};
	int i;

	for (i = 0; i < n; i++)
		if (i2c_transfer(i2c_adap, msgs, 2) != 2)
			return -EIO;
	return 0;
}

/**
 * struct bench_case - one timed call
 * @name: the name in the result lines
 * @loop: makes @n calls; returns 0 or the first call's errno
 * @sleeps: the call may sleep: timed with interrupts on, one caller, a
 *	tenth of the loops
 * @needs: what the case runs on, which must be set, or NULL
 */
struct bench_case {
	const char *name;
	int (*loop)(int n);
	bool sleeps;
	void **needs;
};

static const struct bench_case bench_cases[] = {
	{ "bare", loop_bare },
	{ "srcu-fast", loop_srcu_fast },
	{ "exported", loop_exported },
	{ "inlined", loop_inlined },
	{ "protected", loop_protected },
	{ "protected-rust", loop_protected_rust },
	{ "reg-read", loop_reg_read },
	{ "transfer", loop_transfer, true, (void **)&target_client },
	{ "queue-transfer", loop_queue_transfer, true, (void **)&target_client },
	{ "i2c-direct", loop_i2c_direct, true, (void **)&i2c_adap },
	{ "i2c-kernel", loop_i2c_kernel, true, (void **)&i2c_adap },
};

/**
 * struct bench_run - one timed run of one case
 * @c: the case
 * @callers: the number of callers
 * @n: calls per caller
 * @ready: callers not yet at the start line
 * @done: signalled by the last caller to finish
 * @finished: callers finished
 * @ns: the callers' summed durations
 * @err: the first error of a caller, or 0
 */
struct bench_run {
	const struct bench_case *c;
	int callers;
	int n;
	atomic_t ready;
	struct completion done;
	atomic_t finished;
	atomic64_t ns;
	atomic_t err;
};

static int bench_caller(void *data)
{
	struct bench_run *run = data;
	int callers = run->callers;
	unsigned long flags = 0;
	u64 start;
	int ret;

	/* Warm up, then start together. */
	ret = run->c->loop(run->n);
	atomic_dec(&run->ready);
	while (atomic_read_acquire(&run->ready))
		cpu_relax();

	if (!run->c->sleeps)
		local_irq_save(flags);
	start = ktime_get_mono_fast_ns();
	if (!ret)
		ret = run->c->loop(run->n);
	atomic64_add(ktime_get_mono_fast_ns() - start, &run->ns);
	if (!run->c->sleeps)
		local_irq_restore(flags);
	if (ret)
		atomic_cmpxchg(&run->err, 0, ret);

	/* @run is on the waiter's stack: only the last caller touches it now. */
	if (atomic_inc_return(&run->finished) == callers)
		complete(&run->done);
	return 0;
}

static int bench_one(const struct bench_case *c, int callers, int nr)
{
	struct bench_run run = {
		.c = c, .callers = callers, .n = c->sleeps ? max(loops / 10, 1) : loops,
	};
	struct task_struct *threads[2];
	int cpu, ret;
	u64 ps;
	u32 rem;

	atomic_set(&run.ready, callers);
	atomic_set(&run.finished, 0);
	atomic64_set(&run.ns, 0);
	atomic_set(&run.err, 0);
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

	ret = atomic_read(&run.err);
	if (ret) {
		pr_err("rbus_bench: %s callers=%d run=%d failed: %d\n", c->name, callers, nr, ret);
		return ret;
	}
	ps = div_u64(atomic64_read(&run.ns) * 1000, (u64)callers * run.n);
	ps = div_u64_rem(ps, 1000, &rem);
	pr_info("rbus_bench: %s callers=%d run=%d ns=%llu.%03u\n", c->name, callers, nr, ps, rem);
	return 0;
}

static int bench_measure(void)
{
	const struct bench_case *c;
	int callers, nr, ret, cpu;
	u64 delivered = 0, missed = 0;

	for (callers = 1; callers <= 2; callers++) {
		if (callers > num_online_cpus()) {
			pr_info("rbus_bench: skipping callers=%d: %u CPUs online\n",
				callers, num_online_cpus());
			continue;
		}
		/* A run times every case in turn: its figures are moments apart. */
		for (nr = 1; nr <= nruns; nr++) {
			for (c = bench_cases; c < bench_cases + ARRAY_SIZE(bench_cases); c++) {
				if (callers > 1 && c->sleeps)
					continue;
				guard(mutex)(&bench_target_lock);
				if (c->needs && !*c->needs) {
					if (callers == 1 && nr == 1)
						pr_info("rbus_bench: skipping %s: nothing to run it on\n",
							c->name);
					continue;
				}
				ret = bench_one(c, callers, nr);
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

/* The "rbus,bench-target" child: a kernel child driver of both interfaces. */
static int bench_target_probe(struct rbus_device *rdev, const struct rbus_device_id *id)
{
	struct rbus_client *client;
	int ret;

	guard(mutex)(&bench_target_lock);
	if (target)
		return -EBUSY;
	target_ops.size = sizeof(target_ops);
	target_ops.version = RBUS_OPS_VERSION;
	ret = rbus_query_interface(rdev, &target_ops);
	if (ret)
		return ret;
	client = rbus_client_open(rdev);
	if (IS_ERR(client)) {
		target_ops.put(target_ops.context);
		return PTR_ERR(client);
	}
	target = rdev;
	target_client = client;
	return 0;
}

static void bench_target_remove(struct rbus_device *rdev)
{
	guard(mutex)(&bench_target_lock);
	if (rdev != target)
		return;
	rbus_client_close(target_client);
	target_ops.put(target_ops.context);
	target_client = NULL;
	target = NULL;
}

static const struct rbus_device_id bench_target_ids[] = {
	{ .compatible = "rbus,bench-target" },
	{ }
};

static struct rbus_driver bench_target_driver = {
	.id_table = bench_target_ids,
	.probe = bench_target_probe,
	.remove = bench_target_remove,
};

static bool bench_target_registered;

/* The I2C adapter's rbus child, whose calls carry its transfers. */
static int bench_i2c_get(void)
{
	struct i2c_adapter *adap = i2c_get_adapter(i2c_adapter);
	int ret = -EINVAL;

	if (!adap)
		return -ENODEV;
	if (!adap->dev.parent || !adap->dev.parent->bus ||
	    strcmp(adap->dev.parent->bus->name, "rbus"))
		goto err;
	i2c_ops.size = sizeof(i2c_ops);
	i2c_ops.version = RBUS_OPS_VERSION;
	ret = rbus_query_interface(container_of(adap->dev.parent, struct rbus_device, dev),
				   &i2c_ops);
	if (ret)
		goto err;
	i2c_adap = adap;
	return 0;
err:
	i2c_put_adapter(adap);
	return ret;
}

static void bench_teardown(void)
{
	if (i2c_adap) {
		i2c_ops.put(i2c_ops.context);
		i2c_put_adapter(i2c_adap);
		i2c_adap = NULL;
	}
	if (bench_target_registered)
		rbus_driver_unregister(&bench_target_driver);
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
	/* Binds an existing "rbus,bench-target" child before it returns. */
	ret = rbus_driver_register(&bench_target_driver, sizeof(bench_target_driver),
				   THIS_MODULE, "rbus_bench");
	if (ret)
		goto err;
	bench_target_registered = true;
	if (i2c_adapter >= 0) {
		ret = bench_i2c_get();
		if (ret)
			goto err;
	}

	ret = bench_measure();
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

MODULE_DESCRIPTION("rbus benchmarks of both interfaces, kernel side");
MODULE_AUTHOR("rbus developers");
MODULE_LICENSE("GPL");
