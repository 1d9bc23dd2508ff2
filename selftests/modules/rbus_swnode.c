// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: an rbus controller described by software nodes.
 *
 * The kernel the tests run on has no CONFIG_OF, so this module is how the
 * controller's fwnode enumeration is exercised on software nodes, the third
 * firmware type beside ACPI and DT. The platform device is named after the
 * controller driver, which binds to it by name. Its node group holds two good
 * children and four bad ones the controller must report and skip.
 */

#include <linux/err.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>

static const struct property_entry ctrl_props[] = {
	PROPERTY_ENTRY_STRING("compatible", "rbus,sim-controller"),
	{ }
};

static const struct software_node ctrl_node = {
	.name = "rbus-swnode",
	.properties = ctrl_props,
};

#define RBUS_CHILD(_var, _name, ...)					\
	static const struct property_entry _var##_props[] = {		\
		__VA_ARGS__,						\
		{ }							\
	};								\
	static const struct software_node _var = {			\
		.name = _name,						\
		.parent = &ctrl_node,					\
		.properties = _var##_props,				\
	}

RBUS_CHILD(child_20, "child@20",
	   PROPERTY_ENTRY_U32("reg", 0x20),
	   PROPERTY_ENTRY_STRING("compatible", "rbus,demo"));
RBUS_CHILD(child_3ff, "child@3ff",
	   PROPERTY_ENTRY_U32("reg", 0x3ff),
	   PROPERTY_ENTRY_STRING("compatible", "rbus,demo"));
/* Bad: no address. */
RBUS_CHILD(bad_no_reg, "bad-no-reg",
	   PROPERTY_ENTRY_STRING("compatible", "rbus,demo"));
/* Bad: the address of child@20 again. */
RBUS_CHILD(bad_duplicate, "bad-duplicate@20",
	   PROPERTY_ENTRY_U32("reg", 0x20),
	   PROPERTY_ENTRY_STRING("compatible", "rbus,demo"));
/* Bad: past the 10-bit address space. */
RBUS_CHILD(bad_range, "bad-range@400",
	   PROPERTY_ENTRY_U32("reg", 0x400),
	   PROPERTY_ENTRY_STRING("compatible", "rbus,demo"));
/* Bad: a compatible of 64 characters, one more than fits. */
#define RBUS_LONG_COMPATIBLE \
	"rbus,abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghi"
RBUS_CHILD(bad_compatible, "bad-compatible@30",
	   PROPERTY_ENTRY_U32("reg", 0x30),
	   PROPERTY_ENTRY_STRING("compatible", RBUS_LONG_COMPATIBLE));

static const struct software_node *rbus_swnode_group[] = {
	&ctrl_node,
	&child_20,
	&child_3ff,
	&bad_no_reg,
	&bad_duplicate,
	&bad_range,
	&bad_compatible,
	NULL
};

static struct platform_device *rbus_swnode_pdev;

static int __init rbus_swnode_init(void)
{
	struct platform_device_info info = {
		.name = "rbus_ctrl",
		.id = PLATFORM_DEVID_AUTO,
	};
	int ret;

	ret = software_node_register_node_group(rbus_swnode_group);
	if (ret)
		return ret;

	info.fwnode = software_node_fwnode(&ctrl_node);
	rbus_swnode_pdev = platform_device_register_full(&info);
	if (IS_ERR(rbus_swnode_pdev)) {
		ret = PTR_ERR(rbus_swnode_pdev);
		goto err_unregister_nodes;
	}

	return 0;

err_unregister_nodes:
	software_node_unregister_node_group(rbus_swnode_group);
	return ret;
}
module_init(rbus_swnode_init);

static void __exit rbus_swnode_exit(void)
{
	platform_device_unregister(rbus_swnode_pdev);
	software_node_unregister_node_group(rbus_swnode_group);
}
module_exit(rbus_swnode_exit);

MODULE_DESCRIPTION("rbus test: a controller described by software nodes");
MODULE_LICENSE("GPL");
