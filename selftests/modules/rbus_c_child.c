// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: an rbus child driver written in C against <linux/rbus.h> alone.
 *
 * It binds to "rbus,c-test" children, subscribes to event kind 1, and calls
 * the bus (a sleeping reg_read) from every event callback, as the Rust test
 * child does. On unbind it keeps the child's bus table, with its reference,
 * instead of dropping it, so a test can call through a table kept past the
 * child's removal.
 *
 * debugfs rbus_c_child/:
 *   received     events delivered to any child
 *   call_errors  failed bus calls from a callback
 *   violations   callbacks that ran once their child had begun to unbind
 *   kept_call    reading it calls reg_read through the kept table: 0, or
 *                -errno (-ENODEV once that child is gone; -ENOENT if none)
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rbus.h>
#include <linux/slab.h>

struct rbus_c_child {
	struct rbus_bus_ops bus;
	struct rbus_child_ops ops;
	bool unbinding;
};

static atomic64_t received;
static atomic64_t call_errors;
static atomic64_t violations;

/* The bus table of the child unbound last, with its reference. */
static DEFINE_MUTEX(kept_lock);
static struct rbus_bus_ops kept;
static bool kept_valid;

static struct dentry *dir;

static void rbus_c_child_event(void *context, u32 kind, u64 seq, u64 payload)
{
	struct rbus_c_child *priv = context;
	u32 val;

	if (READ_ONCE(priv->unbinding))
		atomic64_inc(&violations);
	atomic64_inc(&received);
	if (priv->bus.reg_read(priv->bus.context, 0, 0, &val))
		atomic64_inc(&call_errors);
}

/* Drops the kept table's reference, if a table is kept. */
static void rbus_c_child_drop_kept(void)
{
	lockdep_assert_held(&kept_lock);
	if (kept_valid)
		kept.put(kept.context);
	kept_valid = false;
}

static int rbus_c_child_probe(struct rbus_device *rdev, const struct rbus_device_id *id)
{
	struct rbus_c_child *priv;
	int ret;

	priv = devm_kzalloc(&rdev->dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;

	priv->bus.size = sizeof(priv->bus);
	priv->bus.version = RBUS_OPS_VERSION;
	ret = rbus_query_interface(rdev, &priv->bus);
	if (ret)
		return ret;

	ret = priv->bus.subscribe(priv->bus.context, 0, BIT(1));
	if (ret)
		goto err_put;

	priv->ops.size = sizeof(priv->ops);
	priv->ops.version = RBUS_OPS_VERSION;
	priv->ops.context = priv;
	priv->ops.event = rbus_c_child_event;
	ret = rbus_child_publish(rdev, &priv->ops);
	if (ret)
		goto err_put;

	dev_set_drvdata(&rdev->dev, priv);
	return 0;

err_put:
	priv->bus.put(priv->bus.context);
	return ret;
}

/* The bus unpublished the table and waited: no callback runs any more. */
static void rbus_c_child_remove(struct rbus_device *rdev)
{
	struct rbus_c_child *priv = dev_get_drvdata(&rdev->dev);

	WRITE_ONCE(priv->unbinding, true);
	/* Keep this child's bus table past its removal; drop the older one. */
	guard(mutex)(&kept_lock);
	rbus_c_child_drop_kept();
	kept = priv->bus;
	kept_valid = true;
}

static const struct rbus_device_id rbus_c_child_ids[] = {
	{ .compatible = "rbus,c-test" },
	{ }
};

static struct rbus_driver rbus_c_child_driver = {
	.id_table = rbus_c_child_ids,
	.probe = rbus_c_child_probe,
	.remove = rbus_c_child_remove,
};

static int kept_call_get(void *data, u64 *val)
{
	u32 reg;
	int ret;

	guard(mutex)(&kept_lock);
	ret = kept_valid ? kept.reg_read(kept.context, 0, 0, &reg) : -ENOENT;
	*val = (u64)(s64)ret;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kept_call_fops, kept_call_get, NULL, "%lld\n");

static int __init rbus_c_child_init(void)
{
	int ret;

	dir = debugfs_create_dir("rbus_c_child", NULL);
	debugfs_create_u64("received", 0444, dir, (u64 *)&received.counter);
	debugfs_create_u64("call_errors", 0444, dir, (u64 *)&call_errors.counter);
	debugfs_create_u64("violations", 0444, dir, (u64 *)&violations.counter);
	debugfs_create_file_unsafe("kept_call", 0444, dir, NULL, &kept_call_fops);

	ret = rbus_driver_register(&rbus_c_child_driver, sizeof(rbus_c_child_driver),
				   THIS_MODULE, "rbus_c_child");
	if (ret)
		debugfs_remove_recursive(dir);
	return ret;
}
module_init(rbus_c_child_init);

static void __exit rbus_c_child_exit(void)
{
	rbus_driver_unregister(&rbus_c_child_driver);
	debugfs_remove_recursive(dir);
	scoped_guard(mutex, &kept_lock)
		rbus_c_child_drop_kept();
}
module_exit(rbus_c_child_exit);

MODULE_ALIAS("rbus:rbus,c-test");
MODULE_DESCRIPTION("rbus test-only child driver in C");
MODULE_LICENSE("GPL");
