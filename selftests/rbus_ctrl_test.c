// SPDX-License-Identifier: GPL-2.0
/*
 * The rbus controller: hot add and remove through new_device and
 * delete_device with their errno contract, firmware enumeration on ACPI and
 * software nodes, removal order, the standard bus controls and autoload.
 */

#include <sys/stat.h>

#include "kselftest_harness.h"
#include "rbus_lib.h"

#define NEW_DEVICE	host_file(ACPI_CTRL_DIR, "new_device")
#define DELETE_DEVICE	host_file(ACPI_CTRL_DIR, "delete_device")

FIXTURE(ctrl) {
	int nr;
};

FIXTURE_SETUP(ctrl)
{
	if (!rbus_load())
		SKIP(return, "rbus modules not installed");
	self->nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, self->nr) TH_LOG("no children under " ACPI_CTRL_DIR);
}

FIXTURE_TEARDOWN(ctrl)
{
	/* Leave no hot-added child behind for the next test. */
	for (unsigned int addr = 0x40; addr < 0x48; addr++) {
		char line[16];

		snprintf(line, sizeof(line), "0x%x", addr);
		write_str(DELETE_DEVICE, line);
	}
}

TEST_F(ctrl, add_and_delete)
{
	char buf[128], drv[PATH_MAX];

	ASSERT_EQ(0, write_str(NEW_DEVICE, "0x40 rbus,demo\n"));
	snprintf(buf, sizeof(buf), "%d-0040", self->nr);
	ASSERT_TRUE(exists(RBUS_DEVICES "/%s", buf));
	EXPECT_STREQ("rbus_demo", bound_driver(buf, drv, sizeof(drv)));
	/* The child sits under its controller's host. */
	EXPECT_TRUE(exists(ACPI_CTRL_DIR "/rbus%d/%s", self->nr, buf));

	EXPECT_EQ(0, write_str(DELETE_DEVICE, "0x40\n"));
	EXPECT_FALSE(exists(RBUS_DEVICES "/%s", buf));
}

TEST_F(ctrl, address_parses_with_base_0)
{
	char name[32];

	/* 0x41 = 65 = 0101: three spellings of one address. */
	ASSERT_EQ(0, write_str(NEW_DEVICE, "65 rbus,demo"));
	snprintf(name, sizeof(name), "%d-0041", self->nr);
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name));
	EXPECT_EQ(-EBUSY, write_str(NEW_DEVICE, "0101 rbus,demo"));
	EXPECT_EQ(-EBUSY, write_str(NEW_DEVICE, "0x41 rbus,demo"));
	EXPECT_EQ(0, write_str(DELETE_DEVICE, "0101"));
	EXPECT_FALSE(exists(RBUS_DEVICES "/%s", name));
}

TEST_F(ctrl, address_range)
{
	char name[32];

	ASSERT_EQ(0, write_str(NEW_DEVICE, "0 rbus,demo"));
	ASSERT_EQ(0, write_str(NEW_DEVICE, "0x3ff rbus,demo"));
	snprintf(name, sizeof(name), "%d-0000", self->nr);
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name));
	snprintf(name, sizeof(name), "%d-03ff", self->nr);
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name));
	EXPECT_EQ(0, write_str(DELETE_DEVICE, "0"));
	EXPECT_EQ(0, write_str(DELETE_DEVICE, "1023"));
}

/* Each bad line fails with its errno and changes nothing. */
FIXTURE(bad_line) {
	int nr;
};

FIXTURE_VARIANT(bad_line) {
	const char *file;
	const char *line;
	int error;
};

#define BAD_NEW(_name, _line, _error)					\
	FIXTURE_VARIANT_ADD(bad_line, _name) {				\
		.file = "new_device", .line = _line, .error = _error,	\
	}
#define BAD_DEL(_name, _line, _error)					\
	FIXTURE_VARIANT_ADD(bad_line, _name) {				\
		.file = "delete_device", .line = _line, .error = _error,	\
	}

BAD_NEW(new_empty, "\n", -EINVAL);
BAD_NEW(new_no_compatible, "0x40", -EINVAL);
BAD_NEW(new_empty_compatible, "0x40 \n", -EINVAL);
BAD_NEW(new_leading_space, " 0x40 rbus,demo", -EINVAL);
BAD_NEW(new_two_spaces, "0x40  rbus,demo", -EINVAL);
BAD_NEW(new_extra_word, "0x40 rbus,demo extra", -EINVAL);
BAD_NEW(new_tab, "0x40\trbus,demo", -EINVAL);
BAD_NEW(new_not_a_number, "zz rbus,demo", -EINVAL);
BAD_NEW(new_bad_hex, "0x4g rbus,demo", -EINVAL);
BAD_NEW(new_bad_octal, "09 rbus,demo", -EINVAL);
BAD_NEW(new_negative, "-1 rbus,demo", -EINVAL);
BAD_NEW(new_bare_0x, "0x rbus,demo", -EINVAL);
BAD_NEW(new_out_of_range, "0x400 rbus,demo", -EINVAL);
BAD_NEW(new_out_of_range_dec, "1024 rbus,demo", -EINVAL);
BAD_NEW(new_overflow, "4294967296 rbus,demo", -EINVAL);
BAD_NEW(new_oversize_compatible,
	"0x40 rbus,abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghi", -EINVAL);
BAD_NEW(new_control_char, "0x40 rbus,\001demo", -EINVAL);
BAD_NEW(new_duplicate, "0x10 rbus,demo", -EBUSY);
BAD_DEL(del_empty, "\n", -EINVAL);
BAD_DEL(del_not_a_number, "abc", -EINVAL);
BAD_DEL(del_trailing_junk, "0x40 x", -EINVAL);
BAD_DEL(del_out_of_range, "0x400", -EINVAL);
BAD_DEL(del_unknown, "0x47", -ENOENT);

FIXTURE_SETUP(bad_line)
{
	if (!rbus_load())
		SKIP(return, "rbus modules not installed");
	self->nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, self->nr);
}

FIXTURE_TEARDOWN(bad_line)
{
}

TEST_F(bad_line, rejected)
{
	int before = count_children(self->nr);

	EXPECT_EQ(variant->error, write_str(host_file(ACPI_CTRL_DIR, variant->file), variant->line));
	EXPECT_EQ(before, count_children(self->nr));
}

TEST_F(ctrl, oversize_write)
{
	static char line[8192];
	int before = count_children(self->nr);

	memset(line, 'a', sizeof(line) - 1);
	memcpy(line, "0x40 ", 5);
	EXPECT_EQ(-EINVAL, write_str(NEW_DEVICE, line));
	EXPECT_EQ(before, count_children(self->nr));
}

TEST_F(ctrl, firmware_children)
{
	char name[32];

	/* Good SSDT children are there; the bad ones were skipped. */
	for (unsigned int addr = 0x10; addr <= 0x2a; addr += 0x1a) {
		snprintf(name, sizeof(name), "%d-%04x", self->nr, addr);
		EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name)) TH_LOG("%s", name);
	}
	snprintf(name, sizeof(name), "%d-0011", self->nr);
	EXPECT_FALSE(exists(RBUS_DEVICES "/%s", name));
	EXPECT_EQ(2, count_children(self->nr));
	EXPECT_EQ(0, run("dmesg | grep -q 'rbus_ctrl " ACPI_CTRL ": skipping child node'"));
}

TEST_F(ctrl, unbind_removes_children_first)
{
	char name[32];

	ASSERT_EQ(0, write_str(NEW_DEVICE, "0x42 rbus,demo"));
	ASSERT_EQ(0, write_str("/dev/kmsg", "rbus-test: unbind_removes_children_first\n"));
	ASSERT_EQ(0, write_str(PLAT_DRIVER "/unbind", ACPI_CTRL));
	EXPECT_EQ(0, count_children(self->nr));
	/* The host went with its children, and its files with it. */
	EXPECT_GT(0, bus_nr_of(ACPI_CTRL_DIR));
	/* Each child driver's remove ran, after the mark. */
	EXPECT_EQ(0, run("dmesg | sed -n '/rbus-test: unbind_removes/,$p' | grep -q '%d-0042: unbound'",
			 self->nr));
	EXPECT_EQ(0, run("dmesg | sed -n '/rbus-test: unbind_removes/,$p' | grep -q '%d-0010: unbound'",
			 self->nr));

	ASSERT_EQ(0, write_str(PLAT_DRIVER "/bind", ACPI_CTRL));
	self->nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, self->nr);
	/* Firmware children come back; the hot-added one does not. */
	EXPECT_EQ(2, count_children(self->nr));
	snprintf(name, sizeof(name), "%d-0042", self->nr);
	EXPECT_FALSE(exists(RBUS_DEVICES "/%s", name));
}

TEST_F(ctrl, max_children)
{
	int nr;

	ASSERT_EQ(0, run("rmmod rbus_ctrl && modprobe rbus_ctrl max_children=3"));
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	EXPECT_EQ(0, write_str(NEW_DEVICE, "0x40 rbus,demo"));
	EXPECT_EQ(-ENOSPC, write_str(NEW_DEVICE, "0x41 rbus,demo"));
	EXPECT_EQ(3, count_children(nr));
	/* A slot freed is a slot to fill. */
	EXPECT_EQ(0, write_str(DELETE_DEVICE, "0x40"));
	EXPECT_EQ(0, write_str(NEW_DEVICE, "0x41 rbus,demo"));

	/* Out of range: the controller refuses to bind. */
	EXPECT_EQ(0, run("rmmod rbus_ctrl && modprobe rbus_ctrl max_children=0"));
	EXPECT_FALSE(exists(PLAT_DRIVER "/" ACPI_CTRL));
	EXPECT_EQ(0, run("rmmod rbus_ctrl && modprobe rbus_ctrl max_children=4097"));
	EXPECT_FALSE(exists(PLAT_DRIVER "/" ACPI_CTRL));

	ASSERT_EQ(0, run("rmmod rbus_ctrl && modprobe rbus_ctrl"));
	EXPECT_TRUE(exists(PLAT_DRIVER "/" ACPI_CTRL));
}

TEST_F(ctrl, software_nodes)
{
	char dir[PATH_MAX], name[32];
	int nr;

	if (run("modprobe rbus_swnode"))
		SKIP(return, "rbus_swnode not installed");
	ASSERT_TRUE(exists(PLAT_DRIVER "/rbus_ctrl.0.auto"));
	snprintf(dir, sizeof(dir), "/sys/bus/platform/devices/rbus_ctrl.0.auto");
	nr = bus_nr_of(dir);
	ASSERT_LE(0, nr);
	/* An independent bus, numbered apart from the ACPI one. */
	EXPECT_NE(self->nr, nr);
	EXPECT_EQ(2, count_children(nr));
	snprintf(name, sizeof(name), "%d-0020", nr);
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name));
	snprintf(name, sizeof(name), "%d-03ff", nr);
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name));
	/* Four bad nodes, four reports. */
	EXPECT_EQ(0, run("test $(dmesg | grep -c 'rbus_ctrl.0.auto: skipping child node') -ge 4"));
	/* The same address on two buses is two devices. */
	EXPECT_EQ(0, write_str(NEW_DEVICE, "0x20 rbus,demo"));

	EXPECT_EQ(0, run("rmmod rbus_swnode"));
	EXPECT_EQ(0, count_children(nr));
	EXPECT_EQ(3, count_children(self->nr));
}

TEST_F(ctrl, child_bind_unbind)
{
	char name[32], drv[PATH_MAX];

	snprintf(name, sizeof(name), "%d-0010", self->nr);
	ASSERT_EQ(0, write_str(RBUS_DRIVERS "/rbus_demo/unbind", name));
	EXPECT_STREQ("", bound_driver(name, drv, sizeof(drv)));
	ASSERT_EQ(0, write_str(RBUS_DRIVERS "/rbus_demo/bind", name));
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
	/* Binding a bound device is refused, as on any bus. */
	EXPECT_EQ(-EBUSY, write_str(RBUS_DRIVERS "/rbus_demo/bind", name));
}

TEST_F(ctrl, driver_override)
{
	char name[32], path[PATH_MAX], drv[PATH_MAX], buf[64];

	snprintf(name, sizeof(name), "%d-002a", self->nr);
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/driver_override", name);

	ASSERT_EQ(0, write_str(path, "no_such_driver"));
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_STREQ("no_such_driver", buf);
	ASSERT_EQ(0, write_str(RBUS_DRIVERS "/rbus_demo/unbind", name));
	EXPECT_EQ(0, write_str("/sys/bus/rbus/drivers_probe", name));
	EXPECT_STREQ("", bound_driver(name, drv, sizeof(drv)));

	/* An override naming the driver binds it even without a match. */
	ASSERT_EQ(0, write_str(path, "rbus_demo"));
	EXPECT_EQ(0, write_str("/sys/bus/rbus/drivers_probe", name));
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));

	ASSERT_EQ(0, write_str(path, "\n"));
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_STREQ("(null)", buf);

	/* A compatible no driver lists stays unbound, until an override names one. */
	snprintf(name, sizeof(name), "%d-0045", self->nr);
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/driver_override", name);
	ASSERT_EQ(0, write_str(NEW_DEVICE, "0x45 vendor,unknown"));
	EXPECT_STREQ("", bound_driver(name, drv, sizeof(drv)));
	ASSERT_EQ(0, write_str(path, "rbus_demo"));
	EXPECT_EQ(0, write_str("/sys/bus/rbus/drivers_probe", name));
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
}

TEST_F(ctrl, drivers_autoprobe)
{
	char name[32], drv[PATH_MAX];

	snprintf(name, sizeof(name), "%d-0043", self->nr);
	ASSERT_EQ(0, write_str("/sys/bus/rbus/drivers_autoprobe", "0"));
	EXPECT_EQ(0, write_str(NEW_DEVICE, "0x43 rbus,demo"));
	EXPECT_STREQ("", bound_driver(name, drv, sizeof(drv)));
	EXPECT_EQ(0, write_str("/sys/bus/rbus/drivers_probe", name));
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
	ASSERT_EQ(0, write_str("/sys/bus/rbus/drivers_autoprobe", "1"));
}

TEST_F(ctrl, rmmod_child_driver_unbinds_only_its_devices)
{
	char name[32], drv[PATH_MAX];

	ASSERT_EQ(0, rmmod_settled("rbus_demo"));
	snprintf(name, sizeof(name), "%d-0010", self->nr);
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s", name));
	EXPECT_STREQ("", bound_driver(name, drv, sizeof(drv)));
	EXPECT_TRUE(exists(PLAT_DRIVER "/" ACPI_CTRL));
	ASSERT_EQ(0, run("modprobe rbus_demo"));
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
}

/* mdev -d runs in the guest and loads modules by MODALIAS. */
TEST_F(ctrl, autoload)
{
	char name[32], path[PATH_MAX], drv[PATH_MAX];

	if (run("pidof mdev >/dev/null"))
		SKIP(return, "no mdev -d running to load modules");
	ASSERT_EQ(0, rmmod_settled("rbus_demo"));

	ASSERT_EQ(0, write_str(NEW_DEVICE, "0x44 rbus,demo"));
	snprintf(name, sizeof(name), "%d-0044", self->nr);
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/driver", name);
	EXPECT_TRUE(wait_for(path, true, 10000));
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
	EXPECT_EQ(0, run("grep -q '^rbus_demo ' /proc/modules"));
	run("modprobe rbus_demo");
}

TEST_HARNESS_MAIN
