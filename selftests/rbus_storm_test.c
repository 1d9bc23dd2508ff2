// SPDX-License-Identifier: GPL-2.0
/*
 * Event storms raised by the simulated hardware (debugfs rbus<N>/storm, a
 * ticker in process context), the controller's runtime PM and the two
 * flavours of child-to-bus calls, and teardown while children are calling.
 *
 * Every rbus_test_child event callback makes a sleeping child-to-bus call,
 * so a storm keeps the children calling; such a call must never fail
 * (rbus_test_child/call_errors). User-space threads call through each
 * child's `call` file as well.
 *
 * RBUS_STRESS_CYCLES sets the cycles of the stress tests (default 100).
 *
 * delete_while_completing removes a child while its simulated device is
 * mid-answer and a storm runs on its controller: the drop that waits for the
 * device's ticker must not run under the lock the storm's ticker takes.
 */

#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "rbus_channel_lib.h"

#define TEST_CHILD	"/sys/kernel/debug/rbus_test_child"
#define DEFAULT_CYCLES	100
/* The test children: 0x30 to 0x30 + NCHILD - 1. */
#define NCHILD		4
#define STORM_RATE_MAX	1000000

/* The current bus number of the ACPI controller; it may change on rebind. */
static atomic_int bus_nr = -1;

/* The name of the child at addr, "<nr>-<addr>". */
static void child_name(char *buf, size_t size, int addr)
{
	snprintf(buf, size, "%d-%04x", atomic_load(&bus_nr), addr);
}

static void storm_path(char *buf, size_t size)
{
	snprintf(buf, size, "/sys/kernel/debug/rbus%d/storm", atomic_load(&bus_nr));
}

/* Starts (rate > 0) or stops a storm of kind-1 events at child addr. */
static int storm(int addr, int rate)
{
	char path[PATH_MAX], line[64];

	storm_path(path, sizeof(path));
	snprintf(line, sizeof(line), "0x%x 1 %d", addr, rate);
	return write_str(path, line);
}

static int add_child(int addr)
{
	char line[64];

	snprintf(line, sizeof(line), "0x%x rbus,test", addr);
	return write_str(NEW_DEVICE, line);
}

static int delete_child(int addr)
{
	char line[16];

	snprintf(line, sizeof(line), "0x%x", addr);
	return write_str(DELETE_DEVICE, line);
}

static unsigned long long child_counter(int addr, const char *name)
{
	char dev[32];

	child_name(dev, sizeof(dev), addr);
	return counter(dev, name);
}

/* raised = delivered + pending + dropped, for the child at addr. */
static bool balanced(int addr)
{
	unsigned long long raised = raised_of(atomic_load(&bus_nr), addr);

	return raised != ~0ULL &&
	       raised == child_counter(addr, "events_delivered") +
			 child_counter(addr, "events_pending") +
			 child_counter(addr, "events_dropped");
}

static int host_power(const char *file, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), ACPI_CTRL_DIR "/rbus%d/power/%s",
		 atomic_load(&bus_nr), file);
	return write_str(path, value);
}

static bool host_status(const char *want)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), ACPI_CTRL_DIR "/rbus%d", atomic_load(&bus_nr));
	return wait_runtime_status_of(dir, want);
}

/* A child-to-bus call through the `call` file of the child at addr. */
static int child_call(int addr, const char *flavour)
{
	char dev[32], path[PATH_MAX];

	child_name(dev, sizeof(dev), addr);
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/call", dev);
	return write_str(path, flavour);
}

FIXTURE(storm) {
	unsigned long long received;
};

FIXTURE_SETUP(storm)
{
	if (!rbus_load() || run("modprobe rbus_test_child"))
		SKIP(return, "rbus modules not installed");
	atomic_store(&bus_nr, bus_nr_of(ACPI_CTRL_DIR));
	ASSERT_LE(0, atomic_load(&bus_nr));
	for (int i = 0; i < NCHILD; i++)
		ASSERT_EQ(0, add_child(0x30 + i));
	self->received = read_u64(TEST_CHILD "/received");
}

FIXTURE_TEARDOWN(storm)
{
	for (int i = 0; i < NCHILD; i++) {
		storm(0x30 + i, 0);
		delete_child(0x30 + i);
	}
	/* The channel child of delete_while_completing, if it failed midway. */
	delete_child(0x50);
	host_power("control", "on");
	host_power("autosuspend_delay_ms", "100");
}

TEST_F(storm, bad_lines_are_refused)
{
	char path[PATH_MAX];

	storm_path(path, sizeof(path));
	EXPECT_EQ(-ENOENT, storm(0x3f, 100));
	EXPECT_EQ(-EINVAL, storm(0x30, STORM_RATE_MAX + 1));
	EXPECT_EQ(-EINVAL, write_str(path, "0x30 32 100"));
	EXPECT_EQ(-EINVAL, write_str(path, "0x30 1"));
	EXPECT_EQ(-EINVAL, write_str(path, "0x30 1 100 0"));
	EXPECT_EQ(-EINVAL, write_str(path, "0x30 1 -1"));
	EXPECT_EQ(0ULL, raised_of(atomic_load(&bus_nr), 0x30));
	/* Stopping a storm that does not run is no error. */
	EXPECT_EQ(0, storm(0x30, 0));
}

/* The ticker keeps to its rate, and every event is accounted for. */
TEST_F(storm, storm_is_counted_exactly)
{
	struct timespec t0, t1;
	unsigned long long raised;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, storm(0x30, 5000));
	usleep(500000);
	ASSERT_EQ(0, storm(0x30, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	raised = raised_of(atomic_load(&bus_nr), 0x30);
	TH_LOG("%llu events in %.2f s at 5000/s", raised, secs);
	EXPECT_LT(0ULL, raised);
	/* Never faster than the rate, give or take one round of the ticker. */
	EXPECT_GE(5000 * secs + 1024, (double)raised);
	/* Stopped means stopped. */
	usleep(50000);
	EXPECT_EQ(raised, raised_of(atomic_load(&bus_nr), 0x30));
	EXPECT_TRUE(balanced(0x30));
	EXPECT_EQ(self->received + child_counter(0x30, "events_delivered"),
		  read_u64(TEST_CHILD "/received"));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/call_errors"));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/violations"));
}

/* D0 exit of the controller: `try_` calls fail, sleeping calls resume it. */
TEST_F(storm, suspended_controller)
{
	unsigned long long calls = child_counter(0x30, "calls");

	ASSERT_EQ(0, host_power("autosuspend_delay_ms", "0"));
	ASSERT_EQ(0, host_power("control", "auto"));
	ASSERT_TRUE(host_status("suspended"));

	EXPECT_EQ(-EAGAIN, child_call(0x30, "try"));
	EXPECT_TRUE(host_status("suspended"));
	EXPECT_EQ(calls, child_counter(0x30, "calls"));

	EXPECT_EQ(0, child_call(0x30, "wait"));
	EXPECT_EQ(calls + 1, child_counter(0x30, "calls"));
	/* Idle again, it suspends again. */
	EXPECT_TRUE(host_status("suspended"));

	/* Event callbacks call the bus too: each resumes the controller. */
	ASSERT_EQ(0, storm(0x30, 2000));
	usleep(200000);
	ASSERT_EQ(0, storm(0x30, 0));
	EXPECT_LT(0ULL, child_counter(0x30, "events_delivered"));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/call_errors"));

	/* "on" keeps it active: `try_` calls go through. */
	ASSERT_EQ(0, host_power("control", "on"));
	ASSERT_TRUE(host_status("active"));
	EXPECT_EQ(0, child_call(0x30, "try"));
	EXPECT_EQ(-EINVAL, child_call(0x30, "maybe"));
}

/*
 * Calls keep an allowed controller awake, though none holds it: its
 * autosuspend counts them. Idle, it suspends within two delays.
 */
TEST_F(storm, calls_keep_controller_awake)
{
	struct timespec t0, t1;
	int calls = 0, refused = 0;
	double secs;

	ASSERT_EQ(0, host_power("autosuspend_delay_ms", "200"));
	ASSERT_EQ(0, host_power("control", "auto"));
	ASSERT_TRUE(host_status("suspended"));

	/* A sleeping call resumes it; `try_` calls then find it active, for ten delays. */
	ASSERT_EQ(0, child_call(0x30, "wait"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (child_call(0x30, "try"))
			refused++;
		calls++;
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (secs < 2.0);
	TH_LOG("%d calls in %.2f s, %d refused", calls, secs, refused);
	EXPECT_EQ(0, refused);
	EXPECT_TRUE(host_status("suspended"));
}

/*
 * A storm runs at 0x30 while a channel child at 0x50 is deleted with a
 * request in its simulated device's ticker, which stalls before it answers:
 * the delete waits for that round. Lockdep sees the delete's wait and the
 * storm ticker's lock in one run, so a delete that waited under the
 * controller's children lock, or tickers that shared a lock class, would be
 * reported every time.
 */
TEST_F(storm, delete_while_completing)
{
	struct rbus_record rec;
	struct channel ch;

	ASSERT_EQ(0, run("modprobe rbus_dev"));
	channel_init(&ch, atomic_load(&bus_nr), 0x50);
	ASSERT_EQ(0, storm(0x30, 20000));
	for (int i = 0; i < 5; i++) {
		int fd;

		ASSERT_EQ(0, channel_add(&ch));
		fd = open(ch.node, O_RDWR);
		ASSERT_LE(0, fd);
		/*
		 * 1 ms of latency, then a 1 s stall before the answer: the
		 * delete comes well within it, even on a loaded host.
		 */
		ASSERT_EQ(0, write_str(ch.requests, "0x50 1000 0 1000000"));
		ASSERT_EQ(1, submit_one(fd, i));
		/* The ticker took the request and stalls in its round. */
		usleep(50000);
		ASSERT_EQ(0, channel_delete(&ch));
		/* Removal failed it before the stalled answer came. */
		ASSERT_EQ(0, read_rec(fd, &rec));
		EXPECT_EQ((__u64)i, rec.id);
		EXPECT_EQ(-ENODEV, rec.status);
		close(fd);
	}
	ASSERT_EQ(0, storm(0x30, 0));
	EXPECT_LT(0ULL, raised_of(atomic_load(&bus_nr), 0x30));
	EXPECT_TRUE(balanced(0x30));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/call_errors"));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/violations"));
}

static atomic_bool stop;
static atomic_ullong calls_ok, calls_again;
static atomic_int unexpected;

/* Calls every test child in turn, both flavours, until told to stop. */
static void *call_loop(void *arg)
{
	const char *flavour = arg;

	for (int i = 0; !atomic_load(&stop); i = (i + 1) % NCHILD) {
		int ret = child_call(0x30 + i, flavour);

		if (!ret)
			atomic_fetch_add(&calls_ok, 1);
		else if (ret == -EAGAIN && !strcmp(flavour, "try"))
			atomic_fetch_add(&calls_again, 1);
		/* The child or its controller is being torn down. */
		else if (ret != -ENOENT && ret != -ENODEV)
			atomic_fetch_add(&unexpected, 1);
	}
	return NULL;
}

static void start_callers(struct __test_metadata *_metadata, pthread_t *t)
{
	atomic_store(&stop, false);
	atomic_store(&calls_ok, 0);
	atomic_store(&calls_again, 0);
	atomic_store(&unexpected, 0);
	ASSERT_EQ(0, pthread_create(&t[0], NULL, call_loop, "wait"));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, call_loop, "try"));
}

static void stop_callers(pthread_t *t)
{
	atomic_store(&stop, true);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
}

static int stress_cycles(void)
{
	const char *env = getenv("RBUS_STRESS_CYCLES");

	return env ? atoi(env) : DEFAULT_CYCLES;
}

/* Controller runtime suspend/resume loops under a storm and calls. */
TEST_F_TIMEOUT(storm, controller_suspend_resume_under_storm, 7200)
{
	int cycles = stress_cycles();
	pthread_t t[2];

	ASSERT_LT(0, cycles);
	ASSERT_EQ(0, host_power("autosuspend_delay_ms", "0"));
	for (int i = 0; i < NCHILD; i++)
		ASSERT_EQ(0, storm(0x30 + i, 20000));
	start_callers(_metadata, t);

	for (int i = 0; i < cycles; i++) {
		EXPECT_EQ(0, host_power("control", "auto"));
		usleep(3000);
		EXPECT_EQ(0, host_power("control", "on"));
		usleep(1000);
	}

	stop_callers(t);
	for (int i = 0; i < NCHILD; i++)
		ASSERT_EQ(0, storm(0x30 + i, 0));

	TH_LOG("%d cycles: %llu calls, %llu refused while suspended, %llu events",
	       cycles, atomic_load(&calls_ok), atomic_load(&calls_again),
	       read_u64(TEST_CHILD "/received") - self->received);
	EXPECT_EQ(0, atomic_load(&unexpected));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/call_errors"));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/violations"));
	/* The race ran: calls went through, and some found the controller suspended. */
	EXPECT_LT(0ULL, atomic_load(&calls_ok));
	EXPECT_LT(0ULL, atomic_load(&calls_again));
	for (int i = 0; i < NCHILD; i++)
		EXPECT_TRUE(balanced(0x30 + i));
}

/* Restarts the storms of every test child that exists. */
static void storm_all(int rate)
{
	for (int i = 0; i < NCHILD; i++)
		storm(0x30 + i, rate);
}

/*
 * delete_device and controller unbind while children are calling: the
 * children's callbacks call the bus under a storm, user space calls through
 * the `call` files, and children and their controller come and go.
 */
TEST_F_TIMEOUT(storm, teardown_while_calling, 7200)
{
	int cycles = stress_cycles(), rebinds = 0;
	unsigned long long received;
	pthread_t t[2];

	ASSERT_LT(0, cycles);
	storm_all(STORM_RATE_MAX);
	start_callers(_metadata, t);

	for (int i = 0; i < cycles; i++) {
		int addr = 0x31 + i % (NCHILD - 1);

		if (i % 10 == 9) {
			/* The controller goes with all its children, mid-call. */
			EXPECT_EQ(0, write_str(PLAT_DRIVER "/unbind", ACPI_CTRL));
			EXPECT_EQ(0, write_str(PLAT_DRIVER "/bind", ACPI_CTRL));
			atomic_store(&bus_nr, bus_nr_of(ACPI_CTRL_DIR));
			ASSERT_LE(0, atomic_load(&bus_nr));
			for (int c = 0; c < NCHILD; c++)
				EXPECT_EQ(0, add_child(0x30 + c));
			storm_all(STORM_RATE_MAX);
			rebinds++;
		} else {
			EXPECT_EQ(0, delete_child(addr));
			EXPECT_EQ(0, add_child(addr));
			EXPECT_EQ(0, storm(addr, STORM_RATE_MAX));
		}
		usleep(2000);
	}

	stop_callers(t);
	storm_all(0);
	received = read_u64(TEST_CHILD "/received") - self->received;
	TH_LOG("%d cycles, %d controller rebinds: %llu calls, %llu events",
	       cycles, rebinds, atomic_load(&calls_ok), received);
	EXPECT_EQ(0, atomic_load(&unexpected));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/call_errors"));
	EXPECT_EQ(0ULL, read_u64(TEST_CHILD "/violations"));
	EXPECT_LT(0ULL, atomic_load(&calls_ok));
	EXPECT_LT(0ULL, received);
	for (int i = 0; i < NCHILD; i++)
		EXPECT_TRUE(balanced(0x30 + i));
}

TEST_HARNESS_MAIN
