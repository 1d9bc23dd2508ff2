// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: two threads add and delete children through new_device and
 * delete_device while a third unbinds and rebinds the controller and a fourth
 * unbinds and rebinds a child driver. Every failure must be one the race
 * explains; afterwards the bus holds exactly its firmware children, each
 * bound. The splat check of `make check` judges the kernel log, kmemleak the
 * leaks.
 *
 * The child rebinds run on the software-node controller's bus, which is not
 * torn down meanwhile: a sysfs bind that races device_add() of the same
 * device fails with -EPROBE_DEFER and, in 7.3's driver core, leaks the
 * deferred-probe reason string (dev_err_probe() in __driver_probe_device()
 * sets it, and nothing frees it for a device never on the deferred list).
 *
 * RBUS_STRESS_CYCLES sets the number of controller unbind/bind cycles.
 */

#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "rbus_lib.h"

#define NEW_DEVICE	host_file(ACPI_CTRL_DIR, "new_device")
#define DELETE_DEVICE	host_file(ACPI_CTRL_DIR, "delete_device")
#define DEFAULT_CYCLES	100

static atomic_bool stop;
static atomic_int adds, deletes, unexpected;

struct adder {
	unsigned int base;
};

static void note_unexpected(const char *op, int err)
{
	atomic_fetch_add(&unexpected, 1);
	fprintf(stderr, "# %s: unexpected %s\n", op, strerror(-err));
}

static void *add_delete(void *arg)
{
	const struct adder *a = arg;
	unsigned int i = 0;
	char line[64];
	int ret;

	while (!atomic_load(&stop)) {
		unsigned int addr = a->base + (i++ % 8);

		snprintf(line, sizeof(line), "0x%x rbus,demo", addr);
		ret = write_str(NEW_DEVICE, line);
		/* ENOENT: the file is gone while the controller is unbound. */
		if (!ret)
			atomic_fetch_add(&adds, 1);
		else if (ret != -ENOENT && ret != -EBUSY && ret != -ENODEV)
			note_unexpected("new_device", ret);

		snprintf(line, sizeof(line), "0x%x", addr);
		ret = write_str(DELETE_DEVICE, line);
		if (!ret)
			atomic_fetch_add(&deletes, 1);
		else if (ret != -ENOENT && ret != -ENODEV)
			note_unexpected("delete_device", ret);
	}
	return NULL;
}

#define SWNODE_CTRL_DIR	"/sys/bus/platform/devices/rbus_ctrl.0.auto"

static void *rebind_children(void *arg)
{
	const int *nr = arg;
	char name[32];
	int ret;

	snprintf(name, sizeof(name), "%d-0020", *nr);
	while (!atomic_load(&stop)) {
		ret = write_str(RBUS_DRIVERS "/rbus_demo/unbind", name);
		if (ret && ret != -ENODEV && ret != -ENOENT)
			note_unexpected("child unbind", ret);
		ret = write_str(RBUS_DRIVERS "/rbus_demo/bind", name);
		if (ret && ret != -ENODEV && ret != -ENOENT && ret != -EBUSY)
			note_unexpected("child bind", ret);
	}
	return NULL;
}

FIXTURE(stress) {
	int cycles;
	int swnode_nr;
};

FIXTURE_SETUP(stress)
{
	const char *env = getenv("RBUS_STRESS_CYCLES");

	if (!rbus_load())
		SKIP(return, "rbus modules not installed");
	self->cycles = env ? atoi(env) : DEFAULT_CYCLES;
	ASSERT_LT(0, self->cycles);
	if (run("modprobe rbus_swnode"))
		SKIP(return, "rbus_swnode not installed");
	self->swnode_nr = bus_nr_of(SWNODE_CTRL_DIR);
	ASSERT_LE(0, self->swnode_nr);
}

FIXTURE_TEARDOWN(stress)
{
	run("rmmod rbus_swnode");
}

TEST_F_TIMEOUT(stress, hot_add_remove_against_bind_unbind, 7200)
{
	struct adder a1 = { .base = 0x100 }, a2 = { .base = 0x200 };
	pthread_t t1, t2, t3;
	char name[32], drv[PATH_MAX];
	int nr, ret;

	atomic_store(&stop, false);
	ASSERT_EQ(0, pthread_create(&t1, NULL, add_delete, &a1));
	ASSERT_EQ(0, pthread_create(&t2, NULL, add_delete, &a2));
	ASSERT_EQ(0, pthread_create(&t3, NULL, rebind_children, &self->swnode_nr));

	for (int i = 0; i < self->cycles; i++) {
		ret = write_str(PLAT_DRIVER "/unbind", ACPI_CTRL);
		if (ret)
			note_unexpected("controller unbind", ret);
		usleep(1000);
		ret = write_str(PLAT_DRIVER "/bind", ACPI_CTRL);
		if (ret)
			note_unexpected("controller bind", ret);
		usleep(5000);
	}

	atomic_store(&stop, true);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);

	TH_LOG("%d cycles: %d adds, %d deletes", self->cycles,
	       atomic_load(&adds), atomic_load(&deletes));
	EXPECT_EQ(0, atomic_load(&unexpected));
	/* The race was exercised: hot adds succeeded between rebinds. */
	EXPECT_LT(0, atomic_load(&adds));

	/* Nothing lost, nothing left over: a last rebind leaves the firmware children. */
	ASSERT_TRUE(exists(PLAT_DRIVER "/" ACPI_CTRL));
	ASSERT_EQ(0, write_str(PLAT_DRIVER "/unbind", ACPI_CTRL));
	ASSERT_EQ(0, write_str(PLAT_DRIVER "/bind", ACPI_CTRL));
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	EXPECT_EQ(2, count_children(nr));
	snprintf(name, sizeof(name), "%d-0010", nr);
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
	snprintf(name, sizeof(name), "%d-002a", nr);
	EXPECT_STREQ("rbus_demo", bound_driver(name, drv, sizeof(drv)));
}

TEST_HARNESS_MAIN
