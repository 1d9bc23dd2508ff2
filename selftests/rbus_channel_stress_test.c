// SPDX-License-Identifier: GPL-2.0
/*
 * Stress of the request channel: submitters, cancellers, readers, pollers
 * and closers on one child while it is deleted and re-added, with exact
 * accounting. Every request a file queued yields exactly one record on that
 * file, unless the file was closed first; a cancel that returned 0 yields
 * -ECANCELED; a blocked reader always wakes. A third of the files are shared
 * by two threads: one submits and cancels while the other polls and reads.
 *
 * RBUS_CHANNEL_REQUESTS sets the number of requests to queue (default
 * 100000).
 *
 * unbind_while_opening unbinds and rebinds rbus_dev from a child while two
 * threads open its char device: no file opened for one binding may work once
 * that binding is gone, in particular not in the next one.
 * RBUS_STRESS_CYCLES sets its cycles (default 150).
 */

#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "rbus_channel_lib.h"

#define ADDR		0x41
#define WORKERS		4
#define SESSION_MAX	4096	/* requests one file queues at most */
#define DEFAULT_REQUESTS 100000

struct stress {
	struct channel ch;
	unsigned long long target;
	atomic_bool stop;
	atomic_ullong queued;
	atomic_ullong received;
	atomic_ullong discarded;	/* queued on files closed before reading */
	atomic_ullong cancelled;
	atomic_ullong enodev;
	atomic_ullong sessions;
	atomic_ullong errors;		/* duplicate, foreign, wrong or lost records */
};

/* One file's requests: which were queued, cancelled, and answered. */
struct session {
	struct stress *st;
	int fd;
	bool blocking;
	bool shared;		/* a second thread reads */
	atomic_bool submitting;
	__u32 next_id;
	atomic_uint issued;	/* ids below it may have been queued */
	atomic_uint queued;
	atomic_uint received;
	atomic_bool cancel_ok[SESSION_MAX];
	bool seen[SESSION_MAX];	/* the reading thread's */
};

static void check_record(struct stress *st, struct session *s, const struct rbus_record *rec)
{
	if (rec->type == RBUS_RECORD_EVENT)
		return;
	if (rec->type != RBUS_RECORD_COMPLETION || rec->id >= atomic_load(&s->issued) ||
	    s->seen[rec->id] ||
	    (atomic_load(&s->cancel_ok[rec->id]) && rec->status != -ECANCELED) ||
	    (!rec->status && !answer_ok(rec, 4, 8))) {
		ksft_print_msg("bad record: id %llu status %d\n",
			       (unsigned long long)rec->id, rec->status);
		atomic_fetch_add(&st->errors, 1);
		return;
	}
	s->seen[rec->id] = true;
	atomic_fetch_add(&s->received, 1);
	atomic_fetch_add(&st->received, 1);
	if (rec->status == -ENODEV)
		atomic_fetch_add(&st->enodev, 1);
}

/*
 * Reads what is ready; with wait, waits for a record first (in read() or in
 * poll(), as the file is blocking or not). False once the file is dead and
 * drained, or when nothing came for 10 s.
 */
static bool read_ready(struct stress *st, struct session *s, bool wait)
{
	struct rbus_record recs[32];
	ssize_t n;

	if (wait && !s->blocking && !(poll_fd(s->fd, POLLIN, 10000) & (POLLIN | POLLHUP)))
		return false;
	n = read(s->fd, recs, sizeof(recs));
	if (n < 0)
		return errno != ENODEV;
	for (ssize_t i = 0; i < n / (ssize_t)sizeof(recs[0]); i++)
		check_record(st, s, &recs[i]);
	return true;
}

static void run_session(struct stress *st, struct session *s)
{
	__u32 want = 64 + rand() % 1024;
	bool alive = true;

	while (alive && s->next_id < want && !atomic_load(&st->stop)) {
		struct rbus_req reqs[16];
		int n = 1 + rand() % 16, queued, ret;

		for (int i = 0; i < n; i++)
			reqs[i] = make_req(s->next_id + i, 4, 8);
		atomic_store(&s->issued, s->next_id + n);
		queued = submit_reqs(s->fd, reqs, n);
		if (queued > 0) {
			s->next_id += queued;
			atomic_fetch_add(&s->queued, queued);
			atomic_fetch_add(&st->queued, queued);
		} else if (queued == -ENODEV) {
			break;
		} else if (queued != -EAGAIN) {
			atomic_fetch_add(&st->errors, 1);
			break;
		}
		if (s->next_id && rand() % 4 == 0) {
			__u32 id = rand() % s->next_id;

			ret = cancel_req(s->fd, id);
			if (!ret) {
				atomic_store(&s->cancel_ok[id], true);
				atomic_fetch_add(&st->cancelled, 1);
			} else if (ret != -EALREADY && ret != -ENOENT && ret != -ENODEV) {
				atomic_fetch_add(&st->errors, 1);
			}
		}
		/* A blocking file reads when it drains; a full queue waits for records. */
		if (!s->blocking && !s->shared)
			alive = read_ready(st, s, queued == -EAGAIN);
	}
}

/*
 * The reading thread of a shared file: polls and reads until the submitter
 * is done and every record came, or the file is dead.
 */
static void *shared_reader(void *arg)
{
	struct session *s = arg;

	while (atomic_load(&s->submitting) ||
	       atomic_load(&s->received) < atomic_load(&s->queued)) {
		short revents = poll_fd(s->fd, POLLIN, 100);

		if ((revents & POLLIN) && !read_ready(s->st, s, false))
			break;
		if ((revents & POLLHUP) && !read_ready(s->st, s, false))
			break;
	}
	return NULL;
}

static void *worker(void *arg)
{
	struct stress *st = arg;
	struct session *s = malloc(sizeof(*s));

	while (s && !atomic_load(&st->stop)) {
		pthread_t reader;

		memset(s, 0, sizeof(*s));
		s->st = st;
		s->blocking = rand() % 2;
		s->shared = rand() % 3 == 0;
		s->fd = open(st->ch.node, s->blocking ? O_RDWR : O_RDWR | O_NONBLOCK);
		if (s->fd < 0) {
			usleep(1000);
			continue;
		}
		atomic_fetch_add(&st->sessions, 1);
		atomic_store(&s->submitting, true);
		if (s->shared && pthread_create(&reader, NULL, shared_reader, s))
			s->shared = false;
		run_session(st, s);
		atomic_store(&s->submitting, false);
		if (s->shared) {
			pthread_join(reader, NULL);
			if (atomic_load(&s->received) != atomic_load(&s->queued)) {
				ksft_print_msg("lost %u records\n",
					       atomic_load(&s->queued) - atomic_load(&s->received));
				atomic_fetch_add(&st->errors, 1);
			}
		} else if (rand() % 4 == 0) {
			/* A closer: its requests are cancelled, their records discarded. */
			atomic_fetch_add(&st->discarded,
					 atomic_load(&s->queued) - atomic_load(&s->received));
		} else {
			/* Drain: every queued request yields its record, or the file dies. */
			while (atomic_load(&s->received) < atomic_load(&s->queued) &&
			       read_ready(st, s, true))
				;
			if (atomic_load(&s->received) != atomic_load(&s->queued)) {
				ksft_print_msg("lost %u records\n",
					       atomic_load(&s->queued) - atomic_load(&s->received));
				atomic_fetch_add(&st->errors, 1);
			}
		}
		close(s->fd);
	}
	free(s);
	return NULL;
}

FIXTURE(channel_stress) {};

FIXTURE_SETUP(channel_stress) {}

FIXTURE_TEARDOWN(channel_stress) {}

/* The harness's 30 s is too short for a soak; the runner's timeout applies. */
TEST_F_TIMEOUT(channel_stress, delete_and_readd_under_load, 7200)
{
	static struct stress st;
	const char *env = getenv("RBUS_CHANNEL_REQUESTS");
	pthread_t workers[WORKERS];
	int nr, cycles = 0;

	if (!rbus_load() || run("modprobe rbus_dev"))
		SKIP(return, "rbus modules not installed");
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	channel_init(&st.ch, nr, ADDR);
	st.target = env ? strtoull(env, NULL, 0) : DEFAULT_REQUESTS;
	ASSERT_EQ(0, channel_add(&st.ch));
	srand(1);

	for (int i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pthread_create(&workers[i], NULL, worker, &st));
	while (atomic_load(&st.queued) < st.target && !atomic_load(&st.errors)) {
		usleep(20000 + rand() % 80000);
		ASSERT_EQ(0, channel_delete(&st.ch));
		ASSERT_EQ(0, channel_add(&st.ch));
		/* Inline completion, or a latency that leaves requests pending. */
		ASSERT_EQ(0, channel_sim(&st.ch, cycles % 2 ? 500 : 0, 0));
		cycles++;
	}
	atomic_store(&st.stop, true);
	for (int i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pthread_join(workers[i], NULL));

	ksft_print_msg("%d delete/re-add cycles, %llu files: %llu requests queued, %llu records read (%llu cancelled, %llu -ENODEV), %llu discarded by close\n",
		       cycles, atomic_load(&st.sessions), atomic_load(&st.queued),
		       atomic_load(&st.received), atomic_load(&st.cancelled),
		       atomic_load(&st.enodev), atomic_load(&st.discarded));
	EXPECT_EQ(0ULL, atomic_load(&st.errors));
	EXPECT_LE(st.target, atomic_load(&st.queued));
	EXPECT_LT(0, cycles);
	EXPECT_LT(0ULL, atomic_load(&st.enodev));
	EXPECT_EQ(atomic_load(&st.queued), atomic_load(&st.received) + atomic_load(&st.discarded));
	/* The last child's own books, with every file closed. */
	EXPECT_EQ(0ULL, channel_counter(&st.ch, "requests_in_flight"));
	EXPECT_TRUE(channel_balanced(&st.ch));
	channel_delete(&st.ch);
}

#define OPENERS		2
#define OPEN_MAX	65536
/* Files open at once, well under RLIMIT_NOFILE however slow a cycle is. */
#define OPEN_AT_ONCE	256

/* Files opened by the opener threads, in order; the main thread checks them. */
struct opened {
	const char *node;
	atomic_bool stop;
	pthread_mutex_t lock;
	int fds[OPEN_MAX];
	int count;
	int closed;	/* fds[] below this are closed */
};

static void *opener(void *arg)
{
	struct opened *o = arg;

	while (!atomic_load(&o->stop)) {
		int fd, open_now;

		pthread_mutex_lock(&o->lock);
		open_now = o->count - o->closed;
		pthread_mutex_unlock(&o->lock);
		if (open_now >= OPEN_AT_ONCE) {
			usleep(100);
			continue;
		}
		fd = open(o->node, O_RDWR | O_NONBLOCK);
		if (fd < 0) {
			/* Unbound: the node is gone until the rebind. */
			usleep(100);
			continue;
		}
		pthread_mutex_lock(&o->lock);
		if (o->count < OPEN_MAX)
			o->fds[o->count++] = fd;
		else
			close(fd);
		pthread_mutex_unlock(&o->lock);
		/* Tens of files a cycle, not hundreds: each costs two submits. */
		usleep(300);
	}
	return NULL;
}

/*
 * While rbus_dev is unbound, every file opened so far belongs to a binding
 * that is gone, wherever its open() raced the unbind: each must refuse a
 * submit with ENODEV, and still does after the rebind.
 */
TEST_F_TIMEOUT(channel_stress, unbind_while_opening, 7200)
{
	const char *env = getenv("RBUS_STRESS_CYCLES");
	int cycles = env ? atoi(env) : 150, checked = 0, live = 0;
	static struct opened o = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char unbind[PATH_MAX], bind[PATH_MAX];
	pthread_t threads[OPENERS];
	struct channel ch;
	int nr, fd;

	if (!rbus_load() || run("modprobe rbus_dev"))
		SKIP(return, "rbus modules not installed");
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	ASSERT_LT(0, cycles);
	channel_init(&ch, nr, ADDR);
	ASSERT_EQ(0, channel_add(&ch));
	snprintf(unbind, sizeof(unbind), RBUS_DRIVERS "/rbus_dev/unbind");
	snprintf(bind, sizeof(bind), RBUS_DRIVERS "/rbus_dev/bind");
	o.node = ch.node;

	for (int i = 0; i < OPENERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, opener, &o));
	for (int c = 0; c < cycles && o.count < OPEN_MAX; c++) {
		int from = checked, to;

		usleep(2000 + rand() % 8000);
		ASSERT_EQ(0, write_str(unbind, ch.name));
		pthread_mutex_lock(&o.lock);
		to = o.count;
		pthread_mutex_unlock(&o.lock);
		for (int i = from; i < to; i++)
			live += submit_one(o.fds[i], i) != -ENODEV;
		ASSERT_EQ(0, write_str(bind, ch.name));
		ASSERT_TRUE(wait_for(ch.node, true, 10000));
		/* The next binding does not revive them. */
		for (int i = from; i < to; i++) {
			live += submit_one(o.fds[i], i) != -ENODEV;
			close(o.fds[i]);
		}
		pthread_mutex_lock(&o.lock);
		o.closed = to;
		pthread_mutex_unlock(&o.lock);
		checked = to;
	}
	atomic_store(&o.stop, true);
	for (int i = 0; i < OPENERS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));

	ksft_print_msg("%d cycles: %d files checked, %d of them live after their unbind\n",
		       cycles, checked, live);
	EXPECT_LT(0, checked);
	EXPECT_EQ(0, live);
	for (int i = checked; i < o.count; i++)
		close(o.fds[i]);
	/* A file of the last binding works. */
	fd = open(ch.node, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, submit_one(fd, 0));
	close(fd);
	channel_delete(&ch);
}

TEST_HARNESS_MAIN
