// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure injection over rbus's setup paths.
 *
 * For each path the test fails the n-th allocation of its own thread
 * (/proc/thread-self/fail-nth, counted over failslab and fail_page_alloc),
 * stepping n from 1 until the operation runs with no failure left to inject.
 * Only this thread's allocations count: the failslab and fail_page_alloc
 * task filters are on and no task has make-it-fail set, so nothing else in
 * the guest fails. After every step the test checks that the operation
 * either failed with ENOMEM and left nothing behind, or succeeded whole, and
 * that the next try, with no failure injected, succeeds as on a fresh boot.
 *
 * The paths:
 *   new_device      child add, its sysfs files and, bound to rbus_dev, its
 *                   char device
 *   controller      controller bind, firmware enumeration of its children
 *                   and their drivers' probes included
 *   rbus_dev_bind   rbus_dev's bind to a child: its char device
 *   open            open() of a channel
 *   batch_submit    a batch of 16 on a new file, whose request cache is empty
 *
 * Each path reports its injection points (the steps whose failure fired) and
 * how many of them failed the operation; the rest were absorbed by a
 * fallback (kmemleak's metadata pool, a driver probe that fails alone).
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "rbus_channel_lib.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc"
#define MAX_STEPS	20000
/* Children the test adds on the ACPI controller. */
#define USER_ADDR	0x70
#define UNBOUND_ADDR	0x71
#define BATCH		16

/* Sets one fault-injection knob; 0 or -errno. */
static int knob(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return write_str(path, val);
}

/*
 * Lets failslab and fail_page_alloc fail the allocations that may sleep
 * (GFP_KERNEL: the ones setup paths make), of order 0 too, quietly, and
 * only through fail-nth (probability 0, task filter on).
 */
static int setup_injection(void)
{
	static const char *const dirs[] = { FAILSLAB, FAIL_PAGE };

	for (size_t i = 0; i < 2; i++) {
		if (knob(dirs[i], "ignore-gfp-wait", "N") ||
		    knob(dirs[i], "task-filter", "Y") ||
		    knob(dirs[i], "probability", "0") ||
		    knob(dirs[i], "verbose", "0"))
			return -1;
	}
	return knob(FAIL_PAGE, "min-order", "0");
}

/* Arms the n-th allocation of this thread to fail. */
static void arm(int nth, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

/* Disarms; whether the armed failure fired (fail-nth counted down to 0). */
static bool fired(int nth)
{
	char buf[16] = "";
	bool hit;

	if (pread(nth, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	hit = atoi(buf) == 0;
	if (pwrite(nth, "0", 1, 0) != 1)
		abort();
	return hit;
}

/* One path: its steps and what each left behind. */
struct path {
	const char *name;
	/* Prepares one step outside the armed window (opens files). */
	int (*prepare)(struct path *p);
	/* The operation itself, a single system call; 0 or -errno. */
	int (*op)(struct path *p);
	/* Checks what a step left and undoes it; false on a defect. */
	bool (*after)(struct __test_metadata *_metadata, struct path *p, int ret);
	/* The same operation with no failure injected; false if it fails. */
	bool (*clean)(struct __test_metadata *_metadata, struct path *p);
	struct channel ch;
	int fd;
	char line[64];
	dev_t rdev;
	char snapshot[2048];
	unsigned long long submitted;
};

/*
 * Steps n from 1 until an armed failure no longer fires: the operation then
 * ran with none injected and must have succeeded.
 */
static void sweep(struct __test_metadata *_metadata, struct path *p)
{
	int nth, n, ret, points = 0, failed = 0;

	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, nth);
	for (n = 1; n <= MAX_STEPS; n++) {
		bool hit;

		ASSERT_EQ(0, p->prepare(p));
		arm(nth, n);
		ret = p->op(p);
		hit = fired(nth);
		if (hit) {
			points++;
			if (ret) {
				failed++;
				EXPECT_EQ(-ENOMEM, ret) {
					TH_LOG("%s: step %d failed with %s", p->name, n, strerror(-ret));
				}
			}
		} else {
			EXPECT_EQ(0, ret) {
				TH_LOG("%s: failed with %s with no failure injected", p->name,
				       strerror(-ret));
			}
		}
		ASSERT_TRUE(p->after(_metadata, p, ret)) {
			TH_LOG("%s: step %d (%s) left the bus inconsistent", p->name, n,
			       ret ? strerror(-ret) : "succeeded");
		}
		ASSERT_TRUE(p->clean(_metadata, p)) {
			TH_LOG("%s: the try after step %d failed", p->name, n);
		}
		if (!hit)
			break;
	}
	close(nth);
	ASSERT_GT(MAX_STEPS, points);
	ASSERT_LT(0, points);
	/* Every step up to the last fired: every injection point was hit. */
	EXPECT_EQ(n - 1, points);
	ksft_print_msg("%s: %d injection points, all hit; %d failed the operation with ENOMEM, %d absorbed\n",
		       p->name, points, failed, points - failed);
}

static int write_line(struct path *p)
{
	ssize_t len = strlen(p->line);
	ssize_t n = write(p->fd, p->line, len);

	if (n < 0)
		n = -errno;
	close(p->fd);
	p->fd = -1;
	return n == len ? 0 : n < 0 ? n : -EIO;
}

static int open_file(struct path *p, const char *file)
{
	p->fd = open(file, O_WRONLY);
	return p->fd < 0 ? -errno : 0;
}

static bool child_exists(const struct channel *ch)
{
	return exists(RBUS_DEVICES "/%s", ch->name);
}

static bool char_dev_exists(const struct channel *ch)
{
	return access(ch->node, F_OK) == 0 ||
	       exists("/sys/class/rbus-dev/rbus-%d-%04x", ch->nr, ch->addr);
}

/* The child's attributes, all there and right. */
static bool child_whole(struct __test_metadata *_metadata, const struct channel *ch,
			const char *compatible)
{
	static const char *const counters[] = {
		"calls", "events_delivered", "events_deferred", "events_dropped",
		"requests_submitted", "requests_completed", "requests_cancelled",
		"requests_failed", "requests_in_flight",
	};
	char path[PATH_MAX], buf[128], want[128];

	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/compatible", ch->name);
	EXPECT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_STREQ(compatible, buf);
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/modalias", ch->name);
	snprintf(want, sizeof(want), "rbus:%s", compatible);
	EXPECT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/address", ch->name);
	EXPECT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_EQ(ch->addr, strtoul(buf, NULL, 0));
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		EXPECT_NE(~0ULL, counter(ch->name, counters[i])) {
			TH_LOG("%s: no %s", ch->name, counters[i]);
		}
	}
	EXPECT_TRUE(channel_balanced(ch));
	return !_metadata->exit_code;
}

/* The char device of a child bound to rbus_dev: present, with the same number. */
static bool char_dev_ok(struct __test_metadata *_metadata, struct path *p)
{
	struct stat st;

	EXPECT_EQ(0, stat(p->ch.node, &st));
	EXPECT_TRUE(exists("/sys/class/rbus-dev/rbus-%d-%04x", p->ch.nr, p->ch.addr));
	if (!p->rdev)
		p->rdev = st.st_rdev;
	/* A minor leaked by a failed step would move the next one. */
	EXPECT_EQ(p->rdev, st.st_rdev);
	return !_metadata->exit_code;
}

/* new_device: "0x70 rbus,user", which rbus_dev binds to at once. */

static int new_device_prepare(struct path *p)
{
	snprintf(p->line, sizeof(p->line), "%#x rbus,user", p->ch.addr);
	return open_file(p, NEW_DEVICE);
}

static bool new_device_after(struct __test_metadata *_metadata, struct path *p, int ret)
{
	char drv[64];

	if (ret) {
		EXPECT_FALSE(child_exists(&p->ch));
		EXPECT_FALSE(char_dev_exists(&p->ch));
		return !_metadata->exit_code;
	}
	if (!child_whole(_metadata, &p->ch, "rbus,user"))
		return false;
	/* rbus_dev's probe may have failed alone: then no char device. */
	if (!strcmp(bound_driver(p->ch.name, drv, sizeof(drv)), "rbus_dev"))
		char_dev_ok(_metadata, p);
	else
		EXPECT_FALSE(char_dev_exists(&p->ch));
	EXPECT_EQ(0, channel_delete(&p->ch));
	EXPECT_FALSE(child_exists(&p->ch));
	EXPECT_FALSE(char_dev_exists(&p->ch));
	return !_metadata->exit_code;
}

static bool new_device_clean(struct __test_metadata *_metadata, struct path *p)
{
	char drv[64];

	EXPECT_EQ(0, channel_add(&p->ch));
	EXPECT_STREQ("rbus_dev", bound_driver(p->ch.name, drv, sizeof(drv)));
	child_whole(_metadata, &p->ch, "rbus,user");
	char_dev_ok(_metadata, p);
	EXPECT_EQ(0, channel_delete(&p->ch));
	return !_metadata->exit_code;
}

FIXTURE(alloc_fail) {
	struct path p;
};

FIXTURE_SETUP(alloc_fail)
{
	int nr;

	memset(&self->p, 0, sizeof(self->p));
	self->p.fd = -1;
	if (access("/proc/thread-self/fail-nth", F_OK) || access(FAILSLAB, F_OK))
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB)");
	if (!rbus_load() || run("modprobe rbus_dev"))
		SKIP(return, "rbus modules not installed");
	ASSERT_EQ(0, setup_injection());
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	channel_init(&self->p.ch, nr, USER_ADDR);
}

static bool ctrl_bound(void);
static int ctrl_bind(void);

FIXTURE_TEARDOWN(alloc_fail)
{
	if (self->p.fd >= 0)
		close(self->p.fd);
	/* A failed controller sweep must not take the next tests' bus away. */
	if (!ctrl_bound())
		ctrl_bind();
	for (unsigned int addr = USER_ADDR; addr <= UNBOUND_ADDR; addr++) {
		struct channel ch;

		channel_init(&ch, bus_nr_of(ACPI_CTRL_DIR), addr);
		channel_delete(&ch);
	}
}

TEST_F_TIMEOUT(alloc_fail, new_device, 600)
{
	self->p.name = "new_device";
	self->p.prepare = new_device_prepare;
	self->p.op = write_line;
	self->p.after = new_device_after;
	self->p.clean = new_device_clean;
	sweep(_metadata, &self->p);
}

/* Controller bind: the host, firmware enumeration and the children's probes. */

/* "<name> <driver>" of every child of bus nr, in directory order. */
static void children_of(int nr, char *buf, size_t size)
{
	char prefix[16], drv[64];
	struct dirent *de;
	size_t len = 0;
	DIR *dir;

	buf[0] = '\0';
	snprintf(prefix, sizeof(prefix), "%d-", nr);
	dir = opendir(RBUS_DEVICES);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && len < size)
			len += snprintf(buf + len, size - len, "%s %s\n", de->d_name,
					bound_driver(de->d_name, drv, sizeof(drv)));
	closedir(dir);
}

static int count_entries(const char *path, const char *prefix)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(dir);
	return n;
}

static bool ctrl_bound(void)
{
	return exists(ACPI_CTRL_DIR "/driver");
}

static int ctrl_unbind(void)
{
	return write_str(PLAT_DRIVER "/unbind", ACPI_CTRL);
}

static int ctrl_bind(void)
{
	return write_str(PLAT_DRIVER "/bind", ACPI_CTRL);
}

/* What the bus looks like with the controller unbound: children and debugfs dirs. */
struct ctrl_baseline {
	int devices;
	int debugfs;
};

static struct ctrl_baseline unbound_baseline;

static bool ctrl_unbound_ok(struct __test_metadata *_metadata)
{
	EXPECT_FALSE(ctrl_bound());
	EXPECT_GT(0, bus_nr_of(ACPI_CTRL_DIR));
	EXPECT_EQ(unbound_baseline.devices, count_entries(RBUS_DEVICES, ""));
	EXPECT_EQ(unbound_baseline.debugfs, count_entries("/sys/kernel/debug", "rbus"));
	return !_metadata->exit_code;
}

static int ctrl_prepare(struct path *p)
{
	snprintf(p->line, sizeof(p->line), "%s", ACPI_CTRL);
	return open_file(p, PLAT_DRIVER "/bind");
}

/* Names only: a child driver's probe may fail alone under injection. */
static void names_only(char *s)
{
	char *in = s, *out = s;

	while (*in) {
		while (*in && *in != ' ')
			*out++ = *in++;
		while (*in && *in != '\n')
			in++;
		if (*in)
			*out++ = *in++;
	}
	*out = '\0';
}

static bool ctrl_after(struct __test_metadata *_metadata, struct path *p, int ret)
{
	char now[sizeof(p->snapshot)], want[sizeof(p->snapshot)];
	int nr;

	if (ret)
		return ctrl_unbound_ok(_metadata);
	EXPECT_TRUE(ctrl_bound());
	nr = bus_nr_of(ACPI_CTRL_DIR);
	EXPECT_EQ(p->ch.nr, nr);
	children_of(nr, now, sizeof(now));
	names_only(now);
	snprintf(want, sizeof(want), "%s", p->snapshot);
	names_only(want);
	EXPECT_STREQ(want, now);
	EXPECT_EQ(0, ctrl_unbind());
	return ctrl_unbound_ok(_metadata);
}

static bool ctrl_clean(struct __test_metadata *_metadata, struct path *p)
{
	char now[sizeof(p->snapshot)];

	EXPECT_EQ(0, ctrl_bind());
	/* The same bus number: a failed step leaked none. */
	EXPECT_EQ(p->ch.nr, bus_nr_of(ACPI_CTRL_DIR));
	children_of(p->ch.nr, now, sizeof(now));
	EXPECT_STREQ(p->snapshot, now);
	EXPECT_EQ(0, ctrl_unbind());
	return ctrl_unbound_ok(_metadata);
}

TEST_F_TIMEOUT(alloc_fail, controller, 900)
{
	/* The children and their drivers after a bind with nothing injected. */
	if (!ctrl_bound())
		ASSERT_EQ(0, ctrl_bind());
	ASSERT_EQ(0, ctrl_unbind());
	unbound_baseline.devices = count_entries(RBUS_DEVICES, "");
	unbound_baseline.debugfs = count_entries("/sys/kernel/debug", "rbus");
	ASSERT_EQ(0, ctrl_bind());
	self->p.ch.nr = bus_nr_of(ACPI_CTRL_DIR);
	children_of(self->p.ch.nr, self->p.snapshot, sizeof(self->p.snapshot));
	ASSERT_NE('\0', self->p.snapshot[0]);
	ASSERT_EQ(0, ctrl_unbind());

	self->p.name = "controller bind";
	self->p.prepare = ctrl_prepare;
	self->p.op = write_line;
	self->p.after = ctrl_after;
	self->p.clean = ctrl_clean;
	sweep(_metadata, &self->p);
	EXPECT_EQ(0, ctrl_bind());
}

/* rbus_dev's bind to an unbound child. */

static int dev_bind_prepare(struct path *p)
{
	snprintf(p->line, sizeof(p->line), "%s", p->ch.name);
	return open_file(p, RBUS_DRIVERS "/rbus_dev/bind");
}

static int dev_unbind(struct path *p)
{
	return write_str(RBUS_DRIVERS "/rbus_dev/unbind", p->ch.name);
}

static bool dev_bind_after(struct __test_metadata *_metadata, struct path *p, int ret)
{
	char drv[64];

	if (ret) {
		EXPECT_STREQ("", bound_driver(p->ch.name, drv, sizeof(drv)));
		EXPECT_FALSE(char_dev_exists(&p->ch));
		return !_metadata->exit_code;
	}
	EXPECT_STREQ("rbus_dev", bound_driver(p->ch.name, drv, sizeof(drv)));
	char_dev_ok(_metadata, p);
	EXPECT_EQ(0, dev_unbind(p));
	EXPECT_FALSE(char_dev_exists(&p->ch));
	return !_metadata->exit_code;
}

static bool dev_bind_clean(struct __test_metadata *_metadata, struct path *p)
{
	char drv[64];

	EXPECT_EQ(0, write_str(RBUS_DRIVERS "/rbus_dev/bind", p->ch.name));
	EXPECT_STREQ("rbus_dev", bound_driver(p->ch.name, drv, sizeof(drv)));
	char_dev_ok(_metadata, p);
	EXPECT_EQ(0, dev_unbind(p));
	return !_metadata->exit_code;
}

TEST_F_TIMEOUT(alloc_fail, rbus_dev_bind, 600)
{
	channel_init(&self->p.ch, self->p.ch.nr, UNBOUND_ADDR);
	ASSERT_EQ(0, channel_add(&self->p.ch));
	ASSERT_EQ(0, dev_unbind(&self->p));

	self->p.name = "rbus_dev bind";
	self->p.prepare = dev_bind_prepare;
	self->p.op = write_line;
	self->p.after = dev_bind_after;
	self->p.clean = dev_bind_clean;
	sweep(_metadata, &self->p);
	EXPECT_EQ(0, channel_delete(&self->p.ch));
}

/* A round trip on an open channel: one request, its answer. */
static bool round_trip(struct __test_metadata *_metadata, int fd)
{
	struct rbus_record rec;

	EXPECT_EQ(1, submit_one(fd, 7));
	EXPECT_EQ(POLLIN, poll_fd(fd, POLLIN, 5000) & POLLIN);
	EXPECT_EQ(0, read_rec(fd, &rec));
	EXPECT_EQ(7ULL, rec.id);
	EXPECT_TRUE(answer_ok(&rec, 4, 8));
	return !_metadata->exit_code;
}

/* open() of the channel. */

static int open_prepare(struct path *p)
{
	(void)p;
	return 0;
}

static int open_op(struct path *p)
{
	p->fd = open(p->ch.node, O_RDWR | O_NONBLOCK);
	return p->fd < 0 ? -errno : 0;
}

static bool open_after(struct __test_metadata *_metadata, struct path *p, int ret)
{
	if (!ret) {
		round_trip(_metadata, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	EXPECT_TRUE(channel_balanced(&p->ch));
	EXPECT_EQ(0ULL, channel_counter(&p->ch, "requests_in_flight"));
	return !_metadata->exit_code;
}

static bool open_clean(struct __test_metadata *_metadata, struct path *p)
{
	int fd = open(p->ch.node, O_RDWR | O_NONBLOCK);

	EXPECT_LE(0, fd);
	if (fd < 0)
		return false;
	round_trip(_metadata, fd);
	close(fd);
	return !_metadata->exit_code;
}

TEST_F_TIMEOUT(alloc_fail, open, 600)
{
	ASSERT_EQ(0, channel_add(&self->p.ch));
	self->p.name = "open";
	self->p.prepare = open_prepare;
	self->p.op = open_op;
	self->p.after = open_after;
	self->p.clean = open_clean;
	sweep(_metadata, &self->p);
	EXPECT_EQ(0, channel_delete(&self->p.ch));
}

/* A batch on a new file: every request is a new allocation. */

static struct rbus_req batch[BATCH];

static int submit_prepare(struct path *p)
{
	for (int i = 0; i < BATCH; i++)
		batch[i] = make_req(i + 1, 4, 8);
	p->submitted = channel_counter(&p->ch, "requests_submitted");
	p->fd = open(p->ch.node, O_RDWR | O_NONBLOCK);
	return p->fd < 0 ? -errno : 0;
}

static int submit_op(struct path *p)
{
	int ret = submit_reqs(p->fd, batch, BATCH);

	return ret < 0 ? ret : ret == BATCH ? 0 : -EIO;
}

/* Reads the batch's records back, each once and right. */
static bool read_batch(struct __test_metadata *_metadata, int fd)
{
	struct rbus_record rec;
	unsigned int seen = 0;

	for (int i = 0; i < BATCH; i++) {
		if (!(poll_fd(fd, POLLIN, 5000) & POLLIN) || read_rec(fd, &rec))
			break;
		if (rec.id >= 1 && rec.id <= BATCH && answer_ok(&rec, 4, 8))
			seen |= 1u << (rec.id - 1);
	}
	EXPECT_EQ((1u << BATCH) - 1, seen);
	EXPECT_EQ(-EAGAIN, read_rec(fd, &rec));
	return !_metadata->exit_code;
}

static bool submit_after(struct __test_metadata *_metadata, struct path *p, int ret)
{
	struct rbus_record rec;

	if (ret) {
		/* All or nothing: no request of the batch was queued. */
		EXPECT_EQ(p->submitted, channel_counter(&p->ch, "requests_submitted"));
		EXPECT_EQ(-EAGAIN, read_rec(p->fd, &rec));
	} else {
		EXPECT_EQ(p->submitted + BATCH, channel_counter(&p->ch, "requests_submitted"));
		read_batch(_metadata, p->fd);
	}
	EXPECT_TRUE(channel_balanced(&p->ch));
	EXPECT_EQ(0ULL, channel_counter(&p->ch, "requests_in_flight"));
	close(p->fd);
	p->fd = -1;
	return !_metadata->exit_code;
}

static bool submit_clean(struct __test_metadata *_metadata, struct path *p)
{
	int fd = open(p->ch.node, O_RDWR | O_NONBLOCK);

	EXPECT_LE(0, fd);
	if (fd < 0)
		return false;
	EXPECT_EQ(BATCH, submit_reqs(fd, batch, BATCH));
	read_batch(_metadata, fd);
	close(fd);
	return !_metadata->exit_code;
}

TEST_F_TIMEOUT(alloc_fail, batch_submit, 600)
{
	ASSERT_EQ(0, channel_add(&self->p.ch));
	self->p.name = "batch submit";
	self->p.prepare = submit_prepare;
	self->p.op = submit_op;
	self->p.after = submit_after;
	self->p.clean = submit_clean;
	sweep(_metadata, &self->p);
	EXPECT_EQ(0, channel_delete(&self->p.ch));
}

TEST_HARNESS_MAIN
