// SPDX-License-Identifier: GPL-2.0
/*
 * The rbus bus core: the bus type, the controller bound from firmware, and
 * the children it enumerated, bound to their driver.
 *
 * The guest's SSDT (dt-bindings/rbus-ssdt.asl) describes one controller with
 * children "rbus,demo" at 0x10 and 0x2a.
 */

#include <sys/stat.h>

#include "kselftest_harness.h"
#include "rbus_lib.h"

#define RBUS_SYSFS	"/sys/bus/rbus"

FIXTURE(bus) {
};

FIXTURE_SETUP(bus)
{
	if (!rbus_load())
		SKIP(return, "rbus modules not installed");
}

FIXTURE_TEARDOWN(bus)
{
}

TEST_F(bus, registered)
{
	struct stat st;

	ASSERT_EQ(0, stat(RBUS_SYSFS "/devices", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, stat(RBUS_SYSFS "/drivers", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0, access(RBUS_SYSFS "/drivers_probe", W_OK));
}

TEST_F(bus, controller_bound)
{
	char path[PATH_MAX];

	/* ACPI names PRP0001 platform devices after the HID. */
	snprintf(path, sizeof(path), PLAT_DRIVER "/" ACPI_CTRL);
	EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s: %s", path, strerror(errno));
}

FIXTURE(child) {
	char dir[PATH_MAX];
};

FIXTURE_VARIANT(child) {
	unsigned int addr;
	const char *compatible;
};

FIXTURE_VARIANT_ADD(child, addr_0x10) {
	.addr = 0x10,
	.compatible = "rbus,demo",
};

FIXTURE_VARIANT_ADD(child, addr_0x2a) {
	.addr = 0x2a,
	.compatible = "rbus,demo",
};

FIXTURE_SETUP(child)
{
	if (!rbus_load())
		SKIP(return, "rbus modules not installed");
	snprintf(self->dir, sizeof(self->dir), RBUS_SYSFS "/devices/0-%04x",
		 variant->addr);
	ASSERT_EQ(0, access(self->dir, F_OK)) TH_LOG("%s: %s", self->dir, strerror(errno));
}

FIXTURE_TEARDOWN(child)
{
}

TEST_F(child, attributes)
{
	char path[PATH_MAX + 32], buf[128], want[128];

	snprintf(path, sizeof(path), "%s/compatible", self->dir);
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_STREQ(variant->compatible, buf);

	snprintf(path, sizeof(path), "%s/address", self->dir);
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "0x%03x", variant->addr);
	EXPECT_STREQ(want, buf);

	snprintf(path, sizeof(path), "%s/modalias", self->dir);
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "rbus:%s", variant->compatible);
	EXPECT_STREQ(want, buf);
}

TEST_F(child, uevent_modalias)
{
	char path[PATH_MAX + 32], buf[512], want[128];

	snprintf(path, sizeof(path), "%s/uevent", self->dir);
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "MODALIAS=rbus:%s", variant->compatible);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("uevent: %s", buf);
}

TEST_F(child, driver_bound)
{
	char path[PATH_MAX + 32], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/driver", self->dir);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n) TH_LOG("%s: %s", path, strerror(errno));
	link[n] = '\0';
	EXPECT_STREQ("rbus_demo", strrchr(link, '/') + 1);
}

TEST_F(child, parent_is_controller)
{
	char path[PATH_MAX + 32], real[PATH_MAX];

	snprintf(path, sizeof(path), "%s/..", self->dir);
	ASSERT_NE(NULL, realpath(path, real));
	EXPECT_NE(NULL, strstr(real, "PRP0001:00")) TH_LOG("parent: %s", real);
}

TEST_HARNESS_MAIN
