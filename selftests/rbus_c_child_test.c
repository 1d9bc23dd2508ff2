// SPDX-License-Identifier: GPL-2.0
/*
 * A child driver written in C against <linux/rbus.h> alone
 * (selftests/modules/rbus_c_child.c): it binds, takes events and calls the
 * bus from every callback, unbinds under a storm without a callback running
 * late, and calls through a bus table kept past its child's removal.
 *
 * RBUS_STRESS_CYCLES sets the bind/unbind cycles (default 100).
 */

#include "kselftest_harness.h"
#include "rbus_lib.h"

#define ADDR		0x60
#define NEW_DEVICE	host_file(ACPI_CTRL_DIR, "new_device")
#define DELETE_DEVICE	host_file(ACPI_CTRL_DIR, "delete_device")
#define C_DRIVER	RBUS_DRIVERS "/rbus_c_child"
#define C_DEBUGFS	"/sys/kernel/debug/rbus_c_child"

FIXTURE(c_child) {
	int nr;
	char name[32];
	char storm[64];
};

FIXTURE_SETUP(c_child)
{
	char line[64];

	if (!rbus_load() || run("modprobe rbus_c_child"))
		SKIP(return, "rbus modules not installed");
	self->nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, self->nr);
	snprintf(self->name, sizeof(self->name), "%d-%04x", self->nr, ADDR);
	snprintf(self->storm, sizeof(self->storm), "/sys/kernel/debug/rbus%d/storm", self->nr);
	snprintf(line, sizeof(line), "%#x rbus,c-test", ADDR);
	ASSERT_EQ(0, write_str(NEW_DEVICE, line));
	/* Bound by name, whatever autoload does meanwhile. */
	for (int i = 0; i < 500 && !exists(C_DRIVER "/%s", self->name); i++)
		usleep(10000);
	ASSERT_TRUE(exists(C_DRIVER "/%s", self->name));
}

FIXTURE_TEARDOWN(c_child)
{
	char line[32];

	write_str(self->storm, "0x60 1 0");
	snprintf(line, sizeof(line), "%#x", ADDR);
	write_str(DELETE_DEVICE, line);
}

static long long kept_call(void)
{
	char buf[32];

	if (read_str(C_DEBUGFS "/kept_call", buf, sizeof(buf)))
		return 1;
	return strtoll(buf, NULL, 0);
}

/* The harness's default 30 s is about 500 cycles: make soak runs 2,500. */
TEST_F_TIMEOUT(c_child, bind_unbind_under_storm, 7200)
{
	const char *env = getenv("RBUS_STRESS_CYCLES");
	int cycles = env ? atoi(env) : 100;
	unsigned long long before = read_u64(C_DEBUGFS "/received");

	ASSERT_LT(0, cycles);
	ASSERT_EQ(0, write_str(self->storm, "0x60 1 20000"));
	for (int i = 0; i < cycles; i++) {
		ASSERT_EQ(0, write_str(C_DRIVER "/unbind", self->name));
		/* Unbound but present: its kept table still reaches the controller. */
		EXPECT_EQ(0, kept_call());
		ASSERT_EQ(0, write_str(C_DRIVER "/bind", self->name));
		usleep(2000);
	}
	ASSERT_EQ(0, write_str(self->storm, "0x60 1 0"));
	TH_LOG("%d cycles, %llu events", cycles,
	       read_u64(C_DEBUGFS "/received") - before);
	EXPECT_LT(before, read_u64(C_DEBUGFS "/received"));
	EXPECT_EQ(0ULL, read_u64(C_DEBUGFS "/call_errors"));
	EXPECT_EQ(0ULL, read_u64(C_DEBUGFS "/violations"));
}

/*
 * Unbound but present, a kept table still reaches the controller; once the
 * child is removed, every call through it fails with ENODEV and touches
 * nothing freed (KFENCE and the splat check watch that).
 */
TEST_F(c_child, call_through_table_kept_past_removal)
{
	char line[32];

	ASSERT_EQ(0, write_str(C_DRIVER "/unbind", self->name));
	EXPECT_EQ(0, kept_call());
	snprintf(line, sizeof(line), "%#x", ADDR);
	ASSERT_EQ(0, write_str(DELETE_DEVICE, line));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(-ENODEV, kept_call());
	/* A new child at the same address is not the kept table's. */
	snprintf(line, sizeof(line), "%#x rbus,c-test", ADDR);
	ASSERT_EQ(0, write_str(NEW_DEVICE, line));
	EXPECT_EQ(-ENODEV, kept_call());
}

TEST_HARNESS_MAIN
