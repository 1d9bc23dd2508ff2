// SPDX-License-Identifier: GPL-2.0
/*
 * The rbus trace events (include/trace/events/rbus.h): each test records a
 * scripted sequence in a tracefs instance of its own, with events/rbus/
 * enabled, and checks the records it left, field by field and counted,
 * against what it did and against the sysfs counters.
 */

#include <sys/stat.h>

#include "kselftest_harness.h"
#include "rbus_channel_lib.h"

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	TRACEFS "/instances/rbus_trace_test"
/* A user-mode child (rbus_dev): events, requests and its runtime PM. */
#define USER_ADDR	0x77
/* A rbus_test_child child: child-to-bus calls. */
#define TEST_ADDR	0x78
#define MAX_RECORDS	4096
/* The event kind raised; rbus_dev subscribes to every kind. */
#define KIND		5
/* Events a suspended child queues (RBUS_EVENT_QUEUE_DEPTH). */
#define QUEUE_DEPTH	64

/* One record of the trace: its event and its "key=value" fields. */
struct rec {
	char event[32];
	char fields[224];
};

FIXTURE(trace) {
	struct channel ch;
	char test[32];
	char host[16];
	/* The fields naming them: "child=<name>" and "dev=<name>". */
	char user_child[48], user_dev[48], test_child[48], host_dev[32];
	struct rec *recs;
	int n;
};

/* The records of the instance's buffer, in order; their number or -errno. */
static int read_records(struct rec *recs, int max)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen(INSTANCE "/trace", "r");
	if (!f)
		return -errno;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *ev, *end;

		/* "<task>-<pid> [<cpu>] <flags> <time>: <event>: <fields>" */
		ev = strstr(line, ": rbus_");
		if (line[0] == '#' || !ev)
			continue;
		ev += 2;
		end = strstr(ev, ": ");
		if (!end)
			continue;
		*end = '\0';
		snprintf(recs[n].event, sizeof(recs[n].event), "%s", ev);
		snprintf(recs[n].fields, sizeof(recs[n].fields), "%s", end + 2);
		recs[n].fields[strcspn(recs[n].fields, "\n")] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

/* Whether rec is of event and has every "key=value" of the NULL-ended want. */
static bool matches(const struct rec *r, const char *event, const char * const *want)
{
	bool ok = !strcmp(r->event, event);

	for (; ok && *want; want++) {
		size_t len = strlen(*want);
		const char *p = r->fields;

		ok = false;
		while ((p = strstr(p, *want))) {
			if ((p == r->fields || p[-1] == ' ') && (p[len] == ' ' || !p[len])) {
				ok = true;
				break;
			}
			p += len;
		}
	}
	return ok;
}

/* The number value of key in rec, or -1 when it has none. */
static long long value(const struct rec *r, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = r->fields; (p = strstr(p, pat)); p++)
		if (p == r->fields || p[-1] == ' ')
			return strtoll(p + strlen(pat), NULL, 0);
	return -1;
}

/* "key=value", in one of eight rotating buffers. */
static const char *kv(const char *key, const char *fmt, ...)
{
	static char bufs[8][64];
	static int next;
	char *buf = bufs[next++ % 8];
	int len;
	va_list ap;

	len = snprintf(buf, sizeof(bufs[0]), "%s=", key);
	va_start(ap, fmt);
	vsnprintf(buf + len, sizeof(bufs[0]) - len, fmt, ap);
	va_end(ap);
	return buf;
}

/* The number of records of event with every "key=value" given. */
#define COUNT(self, event, ...) ({						\
	const char * const __want[] = { __VA_ARGS__, NULL };			\
	typeof(self) __s = (self);						\
	int __c = 0;								\
	for (int __i = 0; __i < __s->n; __i++)					\
		__c += matches(&__s->recs[__i], event, __want);			\
	__c; })

/* The index of the first such record, from start on, or -1. */
#define FIND(self, start, event, ...) ({					\
	const char * const __want[] = { __VA_ARGS__, NULL };			\
	typeof(self) __s = (self);						\
	int __f = -1;								\
	for (int __i = (start); __i < __s->n && __f < 0; __i++)		\
		if (matches(&__s->recs[__i], event, __want))			\
			__f = __i;						\
	__f; })

static bool child_status(const char *name, const char *want)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), RBUS_DEVICES "/%s", name);
	return wait_runtime_status_of(dir, want);
}

static int child_control(const char *name, const char *control)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/power/control", name);
	return write_str(path, control);
}

static int host_control(const char *control)
{
	return write_str(host_file(ACPI_CTRL_DIR, "power/control"), control);
}

/* Raises one event of KIND at the user-mode child; 0 or -errno. */
static int raise_event(const struct channel *ch)
{
	char line[32];

	snprintf(line, sizeof(line), "%#x %d 0", ch->addr, KIND);
	return write_str(ch->raise, line);
}

/* Stops recording and reads what was recorded. */
static void collect(FIXTURE_DATA(trace) *self)
{
	write_str(INSTANCE "/tracing_on", "0");
	self->n = read_records(self->recs, MAX_RECORDS);
}

FIXTURE_SETUP(trace)
{
	char line[32], drv[PATH_MAX];
	int nr;

	self->recs = NULL;
	self->n = 0;
	if (run("modprobe rbus_ctrl && modprobe rbus_dev && modprobe rbus_test_child"))
		SKIP(return, "rbus modules not installed");
	if (access(TRACEFS "/instances", F_OK))
		run("mount -t tracefs nodev " TRACEFS " 2>/dev/null");
	if (access(TRACEFS "/instances", F_OK))
		SKIP(return, "no tracefs: the kernel has no CONFIG_EVENT_TRACING");
	ASSERT_EQ(0, access(TRACEFS "/events/rbus/rbus_event/format", F_OK));
	self->recs = calloc(MAX_RECORDS, sizeof(*self->recs));
	ASSERT_NE(NULL, self->recs);

	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	channel_init(&self->ch, nr, USER_ADDR);
	snprintf(self->test, sizeof(self->test), "%d-%04x", nr, TEST_ADDR);
	snprintf(self->host, sizeof(self->host), "rbus%d", nr);
	snprintf(self->user_child, sizeof(self->user_child), "child=%s", self->ch.name);
	snprintf(self->user_dev, sizeof(self->user_dev), "dev=%s", self->ch.name);
	snprintf(self->test_child, sizeof(self->test_child), "child=%s", self->test);
	snprintf(self->host_dev, sizeof(self->host_dev), "dev=%s", self->host);

	/* A buffer of the test's own, recording from before the children exist. */
	rmdir(INSTANCE);
	ASSERT_EQ(0, mkdir(INSTANCE, 0755));
	ASSERT_EQ(0, write_str(INSTANCE "/events/rbus/enable", "1"));

	ASSERT_EQ(0, channel_add(&self->ch));
	snprintf(line, sizeof(line), "%#x rbus,test", TEST_ADDR);
	ASSERT_EQ(0, write_str(NEW_DEVICE, line));
	ASSERT_STREQ("rbus_test_child", bound_driver(self->test, drv, sizeof(drv)));
}

FIXTURE_TEARDOWN(trace)
{
	char line[16];

	host_control("on");
	child_control(self->ch.name, "on");
	channel_delete(&self->ch);
	snprintf(line, sizeof(line), "%#x", TEST_ADDR);
	write_str(DELETE_DEVICE, line);
	write_str(INSTANCE "/events/rbus/enable", "0");
	rmdir(INSTANCE);
	free(self->recs);
}

/*
 * Three events while active, a suspend, QUEUE_DEPTH + 2 events while
 * suspended, and a resume: delivered, then deferred and dropped, then the
 * deferred ones delivered in order.
 */
TEST_F(trace, event_outcomes)
{
	const char *child = self->user_child, *dev = self->user_dev;
	int total = 3 + QUEUE_DEPTH + 2, i, at, suspend, resume;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, raise_event(&self->ch));
	ASSERT_EQ(0, child_control(self->ch.name, "auto"));
	ASSERT_TRUE(child_status(self->ch.name, "suspended"));
	for (i = 0; i < QUEUE_DEPTH + 2; i++)
		ASSERT_EQ(0, raise_event(&self->ch));
	ASSERT_EQ(0, child_control(self->ch.name, "on"));
	ASSERT_TRUE(child_status(self->ch.name, "active"));
	collect(self);
	ASSERT_LT(0, self->n);

	/* Each event once per outcome, with its kind and its sequence number. */
	EXPECT_EQ(3 + QUEUE_DEPTH, COUNT(self, "rbus_event", child, "outcome=delivered"));
	EXPECT_EQ(QUEUE_DEPTH, COUNT(self, "rbus_event", child, "outcome=deferred"));
	EXPECT_EQ(2, COUNT(self, "rbus_event", child, "outcome=dropped"));
	EXPECT_EQ(total + QUEUE_DEPTH, COUNT(self, "rbus_event", child, kv("kind", "%d", KIND)));
	EXPECT_EQ(1, COUNT(self, "rbus_runtime_suspend", dev, "ret=0"));
	EXPECT_EQ(1, COUNT(self, "rbus_runtime_resume", dev, "ret=0"));

	/* In order: 1-3 delivered, the suspend, 4-67 deferred, 68-69 dropped, 4-67 delivered. */
	at = 0;
	for (i = 1; i <= 3; i++) {
		at = FIND(self, at, "rbus_event", child, kv("seq", "%d", i), "outcome=delivered");
		ASSERT_LE(0, at);
	}
	suspend = FIND(self, 0, "rbus_runtime_suspend", dev);
	EXPECT_LT(at, suspend);
	at = suspend;
	for (i = 4; i <= 3 + QUEUE_DEPTH; i++) {
		at = FIND(self, at, "rbus_event", child, kv("seq", "%d", i), "outcome=deferred");
		ASSERT_LE(0, at);
	}
	for (; i <= total; i++) {
		at = FIND(self, at, "rbus_event", child, kv("seq", "%d", i), "outcome=dropped");
		ASSERT_LE(0, at);
	}
	for (i = 4; i <= 3 + QUEUE_DEPTH; i++) {
		at = FIND(self, at, "rbus_event", child, kv("seq", "%d", i), "outcome=delivered");
		ASSERT_LE(0, at);
	}
	/* The resume's record follows the events it delivered. */
	resume = FIND(self, 0, "rbus_runtime_resume", dev);
	EXPECT_LT(at, resume);

	/* The same counts as the sysfs counters. */
	EXPECT_EQ(3ULL + QUEUE_DEPTH, channel_counter(&self->ch, "events_delivered"));
	EXPECT_EQ((unsigned long long)QUEUE_DEPTH, channel_counter(&self->ch, "events_deferred"));
	EXPECT_EQ(2ULL, channel_counter(&self->ch, "events_dropped"));
}

/*
 * The calls of rbus_test_child's probe, then its `call` file: a waiting
 * call, a `try` call on a suspended host (EAGAIN), and one after its resume.
 */
TEST_F(trace, calls_and_host_pm)
{
	const char *child = self->test_child, *dev = self->host_dev;
	char call[PATH_MAX], dir[PATH_MAX];
	static const char * const probe[] = { "reg_write", "reg_read", "transfer", "subscribe" };
	int at = 0;

	snprintf(call, sizeof(call), RBUS_DEVICES "/%s/call", self->test);
	snprintf(dir, sizeof(dir), "%s/%s", ACPI_CTRL_DIR, self->host);
	ASSERT_EQ(0, write_str(call, "wait"));
	ASSERT_EQ(0, host_control("auto"));
	ASSERT_TRUE(wait_runtime_status_of(dir, "suspended"));
	EXPECT_EQ(-EAGAIN, write_str(call, "try"));
	ASSERT_EQ(0, host_control("on"));
	ASSERT_TRUE(wait_runtime_status_of(dir, "active"));
	EXPECT_EQ(0, write_str(call, "try"));
	collect(self);
	ASSERT_LT(0, self->n);

	/* The probe's four calls, in order; RBUS_CALL_NOWAIT is flags 0x1. */
	for (int i = 0; i < 4; i++) {
		at = FIND(self, at, "rbus_call", child, kv("op", "%s", probe[i]), "flags=0x0",
			  "ret=0");
		ASSERT_LE(0, at);
	}
	at = FIND(self, at, "rbus_call", child, "op=reg_read", "flags=0x0", "ret=0");
	ASSERT_LE(0, at);
	at = FIND(self, at, "rbus_call", child, "op=reg_read", "flags=0x1", "ret=-11");
	ASSERT_LE(0, at);
	EXPECT_LT(FIND(self, 0, "rbus_runtime_suspend", dev, "ret=0"), at);
	EXPECT_GT(FIND(self, 0, "rbus_runtime_resume", dev, "ret=0"), at);
	at = FIND(self, at, "rbus_call", child, "op=reg_read", "flags=0x1", "ret=0");
	ASSERT_LE(0, at);

	EXPECT_EQ(7, COUNT(self, "rbus_call", child));
	EXPECT_EQ(1, COUNT(self, "rbus_call", child, "ret=-11"));
	/* The first autosuspend finds the calls before it, refuses and tries again. */
	EXPECT_EQ(1, COUNT(self, "rbus_runtime_suspend", dev, "ret=-16"));
	EXPECT_EQ(1, COUNT(self, "rbus_runtime_suspend", dev, "ret=0"));
	EXPECT_EQ(1, COUNT(self, "rbus_runtime_resume", dev));
	/* rbus_dev's probe subscribes its child to every kind. */
	EXPECT_EQ(1, COUNT(self, "rbus_call", self->user_child,
			   "op=subscribe", "ret=0"));
	/* The counter counts the calls that reached the controller. */
	EXPECT_EQ(6ULL, counter(self->test, "calls"));
}

/* Checks that request id was submitted, started and completed once, in order, with status. */
static int request_ok(FIXTURE_DATA(trace) *self, struct __test_metadata *_metadata,
		      unsigned long long id, int status)
{
	const char *child = self->user_child;
	char idkv[32];
	int submit, start, done;

	snprintf(idkv, sizeof(idkv), "id=%llu", id);
	EXPECT_EQ(1, COUNT(self, "rbus_request_submit", child, idkv));
	EXPECT_EQ(1, COUNT(self, "rbus_request_start", child, idkv));
	EXPECT_EQ(1, COUNT(self, "rbus_request_complete", child, idkv));
	submit = FIND(self, 0, "rbus_request_submit", child, idkv);
	start = FIND(self, 0, "rbus_request_start", child, idkv);
	done = FIND(self, 0, "rbus_request_complete", child, idkv,
		    kv("status", "%d", status));
	EXPECT_LE(0, submit);
	EXPECT_LT(submit, start);
	EXPECT_LT(start, done);
	return done;
}

/*
 * On the char device: a request completed inline, one after 20 ms, one
 * cancelled (the controller's later answer is no second completion), and
 * one submitted while the child is suspended, which its resume starts.
 */
TEST_F(trace, requests)
{
	struct rbus_record rec;
	long long latency;
	int fd, done, resume;

	fd = open(self->ch.node, O_RDWR);
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, channel_sim(&self->ch, 0, 0));
	ASSERT_EQ(1, submit_one(fd, 1));
	ASSERT_EQ(0, read_rec(fd, &rec));

	ASSERT_EQ(0, channel_sim(&self->ch, 20000, 0));
	ASSERT_EQ(1, submit_one(fd, 2));
	ASSERT_EQ(0, read_rec(fd, &rec));
	EXPECT_EQ(2ULL, rec.id);

	ASSERT_EQ(0, channel_sim(&self->ch, 300000, 0));
	ASSERT_EQ(1, submit_one(fd, 3));
	EXPECT_EQ(0, cancel_req(fd, 3));
	ASSERT_EQ(0, read_rec(fd, &rec));
	EXPECT_EQ(-ECANCELED, rec.status);
	/* The controller gives it back after 300 ms. */
	usleep(600000);

	ASSERT_EQ(0, channel_sim(&self->ch, 0, 0));
	ASSERT_EQ(0, child_control(self->ch.name, "auto"));
	ASSERT_TRUE(child_status(self->ch.name, "suspended"));
	ASSERT_EQ(1, submit_one(fd, 4));
	ASSERT_EQ(0, read_rec(fd, &rec));
	EXPECT_EQ(4ULL, rec.id);
	EXPECT_EQ(0, rec.status);
	/* Idle again, it suspends again. */
	ASSERT_TRUE(child_status(self->ch.name, "suspended"));
	ASSERT_EQ(0, child_control(self->ch.name, "on"));
	ASSERT_TRUE(child_status(self->ch.name, "active"));
	close(fd);
	collect(self);
	ASSERT_LT(0, self->n);

	request_ok(self, _metadata, 1, 0);
	done = request_ok(self, _metadata, 2, 0);
	ASSERT_LE(0, done);
	latency = value(&self->recs[done], "latency_ns");
	EXPECT_LE(20000000LL, latency);
	EXPECT_GT(10000000000LL, latency);
	request_ok(self, _metadata, 3, -ECANCELED);
	done = request_ok(self, _metadata, 4, 0);

	/* Request 4 waited for the resume: its start is the resume's work. */
	resume = FIND(self, FIND(self, 0, "rbus_request_submit", self->user_child, "id=4"),
		      "rbus_runtime_resume", self->user_dev, "ret=0");
	EXPECT_LT(FIND(self, 0, "rbus_request_start", self->user_child, "id=4"), resume);
	EXPECT_EQ(2, COUNT(self, "rbus_runtime_suspend", self->user_dev, "ret=0"));
	EXPECT_EQ(2, COUNT(self, "rbus_runtime_resume", self->user_dev, "ret=0"));

	/* The same counts as the sysfs counters. */
	EXPECT_EQ(4, COUNT(self, "rbus_request_submit", self->user_child));
	EXPECT_EQ(4ULL, channel_counter(&self->ch, "requests_submitted"));
	EXPECT_EQ(3ULL, channel_counter(&self->ch, "requests_completed"));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_cancelled"));
}

TEST_HARNESS_MAIN
