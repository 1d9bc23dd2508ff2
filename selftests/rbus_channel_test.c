// SPDX-License-Identifier: GPL-2.0
/*
 * The request channel (Interface B): /dev/rbus-<bus>-<addr> of a child bound
 * to rbus_dev. One test per semantic of include/uapi/linux/rbus.h and per
 * errno; every errno case leaves the counters as they were.
 */

#include <pthread.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rbus_channel_lib.h"

#define ADDR		0x40
#define LONG_US		2000000	/* longer than any test waits: 2 s */
#define USER_DRIVER	RBUS_DRIVERS "/rbus_dev"
#define TEST_DRIVER	RBUS_DRIVERS "/rbus_test_child"

FIXTURE(channel) {
	struct channel ch;
	int fd;
};

FIXTURE_SETUP(channel)
{
	int nr;

	self->fd = -1;
	if (!rbus_load() || run("modprobe rbus_dev"))
		SKIP(return, "rbus modules not installed");
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	channel_init(&self->ch, nr, ADDR);
	ASSERT_EQ(0, channel_add(&self->ch));
	self->fd = open(self->ch.node, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(channel)
{
	if (self->fd >= 0)
		close(self->fd);
	channel_delete(&self->ch);
}

static unsigned long long submitted(const struct channel *ch)
{
	return channel_counter(ch, "requests_submitted");
}

TEST_F(channel, info_and_sysfs)
{
	struct rbus_info info;
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	ASSERT_EQ(0, ioctl(self->fd, RBUS_IOC_INFO, &info));
	EXPECT_EQ(RBUS_UAPI_VERSION, (int)info.version);
	EXPECT_EQ((__u32)self->ch.nr, info.bus);
	EXPECT_EQ(ADDR, (int)info.addr);
	EXPECT_EQ(256U, info.queue_depth);
	EXPECT_EQ(RBUS_SUBMIT_MAX, (int)info.submit_max);
	EXPECT_EQ(RBUS_DATA_MAX, (int)info.data_max);
	EXPECT_EQ(sizeof(struct rbus_record), info.record_size);
	EXPECT_STREQ("rbus,user", info.compatible);

	/* /sys/class/rbus-dev/rbus-<bus>-<addr>, a child of the rbus child. */
	snprintf(path, sizeof(path), "/sys/class/rbus-dev/rbus-%s/device", self->ch.name);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	EXPECT_STREQ(self->ch.name, strrchr(link, '/') + 1);
}

TEST_F(channel, round_trip)
{
	struct rbus_req req = make_req(42, 3, 7);
	struct rbus_record rec;

	EXPECT_EQ(1, submit_reqs(self->fd, &req, 1));
	/* Zero latency: completed inline, so the record is there at once. */
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(42ULL, rec.id);
	EXPECT_TRUE(answer_ok(&rec, 3, 7));
	EXPECT_EQ(1ULL, submitted(&self->ch));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_completed"));
	EXPECT_EQ(0ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

/* A full batch: as many requests as the queue holds, in one call. */
TEST_F(channel, full_batch)
{
	struct rbus_req reqs[RBUS_SUBMIT_MAX];
	struct rbus_record recs[RBUS_SUBMIT_MAX];
	bool seen[RBUS_SUBMIT_MAX] = { 0 };

	for (int i = 0; i < RBUS_SUBMIT_MAX; i++)
		reqs[i] = make_req(i, 1 + i % RBUS_DATA_MAX, RBUS_DATA_MAX - i % RBUS_DATA_MAX);
	EXPECT_EQ(RBUS_SUBMIT_MAX, submit_reqs(self->fd, reqs, RBUS_SUBMIT_MAX));
	/* One read returns every ready record that fits. */
	ASSERT_EQ((ssize_t)sizeof(recs), read(self->fd, recs, sizeof(recs)));
	for (int i = 0; i < RBUS_SUBMIT_MAX; i++) {
		__u64 id = recs[i].id;

		ASSERT_GT((__u64)RBUS_SUBMIT_MAX, id);
		EXPECT_FALSE(seen[id]);
		seen[id] = true;
		EXPECT_TRUE(answer_ok(&recs[i], reqs[id].tx_len, reqs[id].rx_len));
	}
	EXPECT_EQ((unsigned long long)RBUS_SUBMIT_MAX, submitted(&self->ch));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

TEST_F(channel, nonblocking_read_is_eagain)
{
	struct rbus_record rec;
	int fd = open(self->ch.node, O_RDWR | O_NONBLOCK);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, read_rec(fd, &rec));
	close(fd);
}

TEST_F(channel, blocking_read_and_poll_follow_latency)
{
	struct rbus_record rec;

	ASSERT_EQ(0, channel_sim(&self->ch, 100000, 0));
	ASSERT_EQ(1, submit_one(self->fd, 1));
	/* Pending: room but nothing to read. */
	EXPECT_EQ(POLLOUT, poll_fd(self->fd, POLLIN | POLLOUT, 0));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_EQ(POLLIN, poll_fd(self->fd, POLLIN, 5000));
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_TRUE(answer_ok(&rec, 4, 8));

	/* A blocking read waits for the completion. */
	ASSERT_EQ(1, submit_one(self->fd, 2));
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(2ULL, rec.id);
	EXPECT_TRUE(answer_ok(&rec, 4, 8));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

TEST_F(channel, fault_fails_requests)
{
	struct rbus_record rec;

	ASSERT_EQ(0, channel_sim(&self->ch, 0, EIO));
	ASSERT_EQ(1, submit_one(self->fd, 3));
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(-EIO, rec.status);
	EXPECT_EQ(0U, rec.len);
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_failed"));
	EXPECT_TRUE(channel_balanced(&self->ch));
	/* Bad settings. */
	EXPECT_EQ(-EINVAL, channel_sim(&self->ch, 10000001, 0));
	EXPECT_EQ(-EINVAL, channel_sim(&self->ch, 0, 4096));
	EXPECT_EQ(-EINVAL, write_str(self->ch.requests, "0x40 0"));
	EXPECT_EQ(-EINVAL, write_str(self->ch.requests, "0x40 0 0 10000001"));
	EXPECT_EQ(-EINVAL, write_str(self->ch.requests, "0x40 0 0 1x"));
	EXPECT_EQ(-EINVAL, write_str(self->ch.requests, "0x40 0 0 0 0"));
	EXPECT_EQ(0, write_str(self->ch.requests, "0x40 0 0 0"));
}

TEST_F(channel, cancel_delivers_ecanceled_once)
{
	struct rbus_record rec;
	int nb = open(self->ch.node, O_RDWR | O_NONBLOCK);

	ASSERT_LE(0, nb);
	ASSERT_EQ(0, channel_sim(&self->ch, LONG_US, 0));
	ASSERT_EQ(1, submit_one(nb, 7));
	EXPECT_EQ(0, cancel_req(nb, 7));
	ASSERT_EQ(0, read_rec(nb, &rec));
	EXPECT_EQ(7ULL, rec.id);
	EXPECT_EQ(-ECANCELED, rec.status);
	/* Exactly one record: none when the controller completes it later. */
	EXPECT_EQ(-EAGAIN, read_rec(nb, &rec));
	EXPECT_EQ(-ENOENT, cancel_req(nb, 7));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_cancelled"));
	EXPECT_EQ(0ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_TRUE(channel_balanced(&self->ch));
	close(nb);
}

TEST_F(channel, cancel_after_completion_is_ealready)
{
	struct rbus_record rec;

	ASSERT_EQ(1, submit_one(self->fd, 5));
	/* Completion won: the record is delivered as it is. */
	EXPECT_EQ(-EALREADY, cancel_req(self->fd, 5));
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(5ULL, rec.id);
	EXPECT_EQ(0, rec.status);
	EXPECT_EQ(0ULL, channel_counter(&self->ch, "requests_cancelled"));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

TEST_F(channel, cancel_of_unknown_id_is_enoent)
{
	int other = open(self->ch.node, O_RDWR);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, channel_sim(&self->ch, LONG_US, 0));
	ASSERT_EQ(1, submit_one(other, 9));
	EXPECT_EQ(-ENOENT, cancel_req(self->fd, 99));
	/* Another file's request is not this file's to cancel. */
	EXPECT_EQ(-ENOENT, cancel_req(self->fd, 9));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_in_flight"));
	close(other);
}

TEST_F(channel, close_cancels_only_its_own)
{
	struct rbus_record rec;
	int a = open(self->ch.node, O_RDWR);

	ASSERT_LE(0, a);
	ASSERT_EQ(0, channel_sim(&self->ch, 300000, 0));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(1, submit_one(a, i));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(1, submit_one(self->fd, 10 + i));
	close(a);
	EXPECT_EQ(3ULL, channel_counter(&self->ch, "requests_cancelled"));
	EXPECT_EQ(2ULL, channel_counter(&self->ch, "requests_in_flight"));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, read_rec(self->fd, &rec));
		EXPECT_EQ(10ULL + i, rec.id);
		EXPECT_TRUE(answer_ok(&rec, 4, 8));
	}
	EXPECT_EQ(2ULL, channel_counter(&self->ch, "requests_completed"));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

TEST_F(channel, full_queue_backpressure)
{
	struct rbus_req reqs[RBUS_SUBMIT_MAX];
	int nb = open(self->ch.node, O_RDWR | O_NONBLOCK);
	struct rbus_record rec;
	__u64 id = 0;

	ASSERT_LE(0, nb);
	ASSERT_EQ(0, channel_sim(&self->ch, LONG_US, 0));
	/* 250 of 256. */
	for (int b = 0; b < 5; b++) {
		for (int i = 0; i < 50; i++)
			reqs[i] = make_req(id++, 1, 1);
		ASSERT_EQ(50, submit_reqs(nb, reqs, 50));
	}
	EXPECT_EQ(POLLOUT, poll_fd(nb, POLLOUT, 0));
	/* Non-blocking: what fits is queued. */
	for (int i = 0; i < 10; i++)
		reqs[i] = make_req(id + i, 1, 1);
	EXPECT_EQ(6, submit_reqs(nb, reqs, 10));
	EXPECT_EQ(-EAGAIN, submit_reqs(nb, reqs + 6, 4));
	EXPECT_EQ(0, poll_fd(nb, POLLOUT, 0));
	EXPECT_EQ(256ULL, channel_counter(&self->ch, "requests_in_flight"));
	/* A cancel makes room, and a blocking submit goes through. */
	EXPECT_EQ(0, cancel_req(nb, 0));
	EXPECT_EQ(POLLOUT, poll_fd(nb, POLLOUT, 0));
	ASSERT_EQ(0, read_rec(nb, &rec));
	EXPECT_EQ(-ECANCELED, rec.status);
	EXPECT_EQ(1, submit_reqs(self->fd, reqs + 6, 1));
	EXPECT_EQ(257ULL, submitted(&self->ch));
	EXPECT_TRUE(channel_balanced(&self->ch));
	/* Closing cancels that file's 255; the other file's one stays. */
	close(nb);
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_EQ(256ULL, channel_counter(&self->ch, "requests_cancelled"));
}

struct blocked_submit {
	int fd;
	int ret;
};

static void *submit_thread(void *arg)
{
	struct blocked_submit *b = arg;

	b->ret = submit_one(b->fd, 1000);
	return NULL;
}

TEST_F(channel, blocking_submit_waits_for_room)
{
	struct rbus_req reqs[RBUS_SUBMIT_MAX];
	struct blocked_submit b = { .fd = self->fd, .ret = -1 };
	pthread_t t;

	ASSERT_EQ(0, channel_sim(&self->ch, 300000, 0));
	/* Fill the queue, 256, in batches as large as a submit takes. */
	for (int n = 0; n < 256; n += RBUS_SUBMIT_MAX) {
		for (int i = 0; i < RBUS_SUBMIT_MAX; i++)
			reqs[i] = make_req(n + i, 1, 1);
		ASSERT_EQ(RBUS_SUBMIT_MAX, submit_reqs(self->fd, reqs, RBUS_SUBMIT_MAX));
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, submit_thread, &b));
	usleep(100000);
	/* Still waiting: the controller completes nothing before 300 ms. */
	EXPECT_EQ(256ULL, channel_counter(&self->ch, "requests_in_flight"));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(257ULL, submitted(&self->ch));
}

TEST_F(channel, bad_input_changes_nothing)
{
	struct rbus_req reqs[RBUS_SUBMIT_MAX + 1];
	struct rbus_submit s = { .reqs = (__u64)(unsigned long)reqs, .count = 1,
				 .req_size = sizeof(struct rbus_req) };
	struct {
		struct rbus_submit s;
		__u64 tail;
	} big = { .s = s, .tail = 1 };
	struct {
		struct rbus_req r;
		__u64 tail;
	} bigreq = { .r = make_req(1, 1, 1), .tail = 1 };
	struct rbus_cancel c = { .id = 1, .reserved = 1 };
	struct rbus_req *edge;
	struct rbus_record rec;
	char small[16], *area, *unmapped;

	for (int i = 0; i <= RBUS_SUBMIT_MAX; i++)
		reqs[i] = make_req(i, 1, 1);
	/* A mapped page, then one that is not. */
	area = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, mprotect(area + 4096, 4096, PROT_NONE));
	unmapped = area + 4096;
	edge = (struct rbus_req *)unmapped - 2;
	edge[0] = make_req(0, 1, 1);
	edge[1] = make_req(1, 1, 1);

	/* Unknown ioctls. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO(RBUS_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW('x', 1, struct rbus_submit), &s));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(RBUS_IOC_MAGIC, 0x01, struct rbus_submit), &s));
	EXPECT_EQ(ENOTTY, errno);

	/* Short buffers. */
	EXPECT_EQ(-1, read(self->fd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(RBUS_IOC_MAGIC, 0x01, __u64), &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(RBUS_IOC_MAGIC, 0x00, __u64), small));
	EXPECT_EQ(EINVAL, errno);
	s.req_size = 8;
	EXPECT_EQ(-EINVAL, ioctl(self->fd, RBUS_IOC_SUBMIT, &s) ? -errno : 0);
	/* Oversize ones: a request may grow up to a page (struct_size_limit). */
	s.req_size = 8192;
	EXPECT_EQ(-E2BIG, ioctl(self->fd, RBUS_IOC_SUBMIT, &s) ? -errno : 0);
	s.req_size = sizeof(struct rbus_req);
	reqs[0].tx_len = RBUS_DATA_MAX + 1;
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, 1));
	reqs[0] = make_req(0, 1, RBUS_DATA_MAX + 1);
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, 1));
	/* Nothing to answer a read with. */
	reqs[0] = make_req(0, 0, 1);
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, 1));
	reqs[0] = make_req(0, 1, 1);
	/* Batches: empty and too large. */
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, 0));
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, RBUS_SUBMIT_MAX + 1));
	/* Unknown op, non-zero flags and reserved fields; a bad one anywhere in a batch. */
	reqs[5].op = 9;
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, 10));
	reqs[5] = make_req(5, 1, 1);
	reqs[9].flags = 1;
	EXPECT_EQ(-EINVAL, submit_reqs(self->fd, reqs, 10));
	reqs[9] = make_req(9, 1, 1);
	s.reserved = 1;
	EXPECT_EQ(-EINVAL, ioctl(self->fd, RBUS_IOC_SUBMIT, &s) ? -errno : 0);
	s.reserved = 0;
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_CANCEL, &c));
	EXPECT_EQ(EINVAL, errno);
	/* Bad user pointers. */
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SUBMIT, unmapped));
	EXPECT_EQ(EFAULT, errno);
	s.reqs = (__u64)(unsigned long)unmapped;
	EXPECT_EQ(-EFAULT, ioctl(self->fd, RBUS_IOC_SUBMIT, &s) ? -errno : 0);
	/* The last request of a batch runs into an unmapped page. */
	s.reqs = (__u64)(unsigned long)edge;
	s.count = 3;
	EXPECT_EQ(-EFAULT, ioctl(self->fd, RBUS_IOC_SUBMIT, &s) ? -errno : 0);
	s.reqs = (__u64)(unsigned long)reqs;
	s.count = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_INFO, unmapped));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_CANCEL, unmapped));
	EXPECT_EQ(EFAULT, errno);
	/* Unknown non-zero tails: of the argument, and of a request. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(RBUS_IOC_MAGIC, 0x01, big), &big));
	EXPECT_EQ(E2BIG, errno);
	s.reqs = (__u64)(unsigned long)&bigreq;
	s.req_size = sizeof(bigreq);
	EXPECT_EQ(-E2BIG, ioctl(self->fd, RBUS_IOC_SUBMIT, &s) ? -errno : 0);

	/* Nothing was queued or lost. */
	EXPECT_EQ(0ULL, submitted(&self->ch));
	EXPECT_EQ(0, poll_fd(self->fd, POLLIN, 0));

	/* Zero tails are fine: a newer caller's struct. */
	bigreq.tail = 0;
	EXPECT_EQ(1, ioctl(self->fd, RBUS_IOC_SUBMIT, &s));
	big.tail = 0;
	EXPECT_EQ(1, ioctl(self->fd, _IOW(RBUS_IOC_MAGIC, 0x01, big), &big));
	EXPECT_EQ(2ULL, submitted(&self->ch));

	/* A record that cannot be copied out stays first. */
	EXPECT_EQ(-1, read(self->fd, unmapped, sizeof(rec)));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(1ULL, rec.id);
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(0ULL, rec.id);
	EXPECT_TRUE(channel_balanced(&self->ch));
	munmap(area, 8192);
}

/* The command of struct number nr with direction dir and a size of size. */
#define RBUS_IOC_SIZED(dir, nr, size)	_IOC(dir, RBUS_IOC_MAGIC, nr, size)

/*
 * Structs grow up to a page, as clone3()'s and openat2()'s do: up to
 * PAGE_SIZE bytes a struct is taken if its unknown tail is zero and refused
 * with E2BIG if not; above PAGE_SIZE it is E2BIG whatever it holds, even
 * behind a NULL pointer. The same limit holds for req_size. An unknown
 * command stays ENOTTY at any size.
 */
TEST_F(channel, struct_size_limit)
{
	static __u8 buf[2 * 4096 + 64];
	static __u8 rbuf[4096 + 64];
	struct rbus_submit *s = (struct rbus_submit *)buf;
	struct rbus_cancel *c = (struct rbus_cancel *)buf;
	struct rbus_info *info = (struct rbus_info *)buf;
	struct rbus_req *r = (struct rbus_req *)rbuf;
	struct rbus_record rec;
	long page = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(4096, page);
	*r = make_req(1, 2, 2);

	/* Submit: a page with a zero tail is taken, one non-zero byte is not. */
	memset(buf, 0, sizeof(buf));
	*s = (struct rbus_submit){ .reqs = (__u64)(unsigned long)r, .count = 1,
				   .req_size = sizeof(*r) };
	EXPECT_EQ(1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x01, 4096), buf));
	buf[4095] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x01, 4096), buf));
	EXPECT_EQ(E2BIG, errno);
	buf[4095] = 0;
	/* Above a page: E2BIG, whatever the tail or the pointer. */
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x01, 4097), buf));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x01, 4097), NULL));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x01, _IOC_SIZEMASK), buf));
	EXPECT_EQ(E2BIG, errno);

	/* A request of a page: the same rule for req_size. */
	memset(rbuf, 0, sizeof(rbuf));
	*r = make_req(2, 2, 2);
	s->req_size = 4096;
	EXPECT_EQ(1, ioctl(self->fd, RBUS_IOC_SUBMIT, s));
	rbuf[4095] = 1;
	EXPECT_EQ(-E2BIG, ioctl(self->fd, RBUS_IOC_SUBMIT, s) ? -errno : 0);
	rbuf[4095] = 0;
	s->req_size = 4097;
	EXPECT_EQ(-E2BIG, ioctl(self->fd, RBUS_IOC_SUBMIT, s) ? -errno : 0);
	s->req_size = 0xffffffff;
	EXPECT_EQ(-E2BIG, ioctl(self->fd, RBUS_IOC_SUBMIT, s) ? -errno : 0);
	s->req_size = sizeof(*r) - 1;
	EXPECT_EQ(-EINVAL, ioctl(self->fd, RBUS_IOC_SUBMIT, s) ? -errno : 0);

	/* Cancel: the same limit; a page-sized one reaches the lookup. */
	memset(buf, 0, sizeof(buf));
	*c = (struct rbus_cancel){ .id = 99 };
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x02, 4096), buf));
	EXPECT_EQ(ENOENT, errno);
	buf[4095] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x02, 4096), buf));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x02, 4097), buf));
	EXPECT_EQ(E2BIG, errno);

	/* Info: a page gets zeroes beyond this version's struct; more is E2BIG. */
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_EQ(0, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_READ, 0x00, 4096), buf));
	EXPECT_EQ(RBUS_UAPI_VERSION, (int)info->version);
	EXPECT_EQ(ADDR, (int)info->addr);
	for (int i = sizeof(*info); i < 4096; i++)
		ASSERT_EQ(0, buf[i]);
	EXPECT_EQ(0xa5, buf[4096]);
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_READ, 0x00, 4097), buf));
	EXPECT_EQ(E2BIG, errno);
	/* Nothing was written. */
	EXPECT_EQ(0xa5, buf[0]);

	/* An unknown command is ENOTTY at any size. */
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x7f, 8000), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_READ, 0x01, 8000), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RBUS_IOC_SIZED(_IOC_WRITE, 0x00, 4097), buf));
	EXPECT_EQ(ENOTTY, errno);

	/* Exactly the two page-sized submits were taken. */
	EXPECT_EQ(2ULL, submitted(&self->ch));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, read_rec(self->fd, &rec));
		EXPECT_EQ((__u64)i + 1, rec.id);
		EXPECT_TRUE(answer_ok(&rec, 2, 2));
	}
	ASSERT_EQ(0, ioctl(self->fd, FIONBIO, &(int){ 1 }));
	EXPECT_EQ(-EAGAIN, read_rec(self->fd, &rec));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

/* Milliseconds on CLOCK_MONOTONIC. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * An injected errno fails a request when it would have completed: after the
 * latency, not at once. Until then it is pending like any other, so a
 * cancel gets it -ECANCELED and a removal -ENODEV, exactly once each; the
 * fault set later does not reach requests submitted before.
 */
TEST_F(channel, injected_fault_waits_for_latency)
{
	struct rbus_record rec;
	long long start, took;
	int nb = open(self->ch.node, O_RDWR | O_NONBLOCK);

	ASSERT_LE(0, nb);
	ASSERT_EQ(0, channel_sim(&self->ch, 300000, EIO));

	/* Not before the latency; then -EIO. */
	start = now_ms();
	ASSERT_EQ(1, submit_one(nb, 1));
	EXPECT_EQ(-EAGAIN, read_rec(nb, &rec));
	EXPECT_EQ(POLLOUT, poll_fd(nb, POLLIN | POLLOUT, 0));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_EQ(0ULL, channel_counter(&self->ch, "requests_failed"));
	ASSERT_EQ(POLLIN, poll_fd(nb, POLLIN, 5000));
	took = now_ms() - start;
	EXPECT_LE(290, took);
	ASSERT_EQ(0, read_rec(nb, &rec));
	EXPECT_EQ(1ULL, rec.id);
	EXPECT_EQ(-EIO, rec.status);
	EXPECT_EQ(0U, rec.len);
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_failed"));

	/* A cancel before the latency wins: one record, -ECANCELED. */
	ASSERT_EQ(1, submit_one(nb, 2));
	EXPECT_EQ(0, cancel_req(nb, 2));
	ASSERT_EQ(0, read_rec(nb, &rec));
	EXPECT_EQ(2ULL, rec.id);
	EXPECT_EQ(-ECANCELED, rec.status);
	/* A later fault applies to later requests only. */
	ASSERT_EQ(1, submit_one(nb, 3));
	ASSERT_EQ(0, channel_sim(&self->ch, 300000, ENXIO));
	ASSERT_EQ(1, submit_one(nb, 4));
	for (int i = 3; i <= 4; i++) {
		ASSERT_EQ(POLLIN, poll_fd(nb, POLLIN, 5000));
		ASSERT_EQ(0, read_rec(nb, &rec));
		EXPECT_EQ((__u64)i, rec.id);
		EXPECT_EQ(i == 3 ? -EIO : -ENXIO, rec.status);
	}
	/* The cancelled one's failure, due meanwhile, made no second record. */
	EXPECT_EQ(-EAGAIN, read_rec(nb, &rec));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_cancelled"));
	EXPECT_EQ(3ULL, channel_counter(&self->ch, "requests_failed"));
	EXPECT_EQ(0ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_TRUE(channel_balanced(&self->ch));

	/* A removal before the latency wins: -ENODEV, then nothing more. */
	ASSERT_EQ(0, channel_sim(&self->ch, LONG_US, EIO));
	ASSERT_EQ(1, submit_one(nb, 5));
	ASSERT_EQ(1, submit_one(nb, 6));
	EXPECT_EQ(-ENOENT, cancel_req(nb, 7));
	EXPECT_EQ(2ULL, channel_counter(&self->ch, "requests_in_flight"));
	EXPECT_EQ(6ULL, submitted(&self->ch));
	EXPECT_TRUE(channel_balanced(&self->ch));
	ASSERT_EQ(0, channel_delete(&self->ch));
	for (int i = 5; i <= 6; i++) {
		ASSERT_EQ(0, read_rec(nb, &rec));
		EXPECT_EQ((__u64)i, rec.id);
		EXPECT_EQ(-ENODEV, rec.status);
	}
	EXPECT_EQ(-ENODEV, read_rec(nb, &rec));
	close(nb);
}

struct waiter {
	int fd;
	int ret;
	short revents;
};

static void *read_thread(void *arg)
{
	struct waiter *w = arg;
	struct rbus_record rec;

	w->ret = read_rec(w->fd, &rec);
	return NULL;
}

static void *poll_thread(void *arg)
{
	struct waiter *w = arg;

	w->revents = poll_fd(w->fd, POLLIN, 20000);
	return NULL;
}

/* Joins t within ms; false if it is still blocked. */
static bool join_within(pthread_t t, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

/*
 * Removal with open files: pending requests complete with -ENODEV, blocked
 * readers and pollers sharing the fd wake, later calls fail with ENODEV, and
 * the fd stays usable until closed. `make check RBUS_BREAK=skip-wake` must
 * fail here.
 */
TEST_F(channel, removal_wakes_and_fails_everything)
{
	struct waiter r = { .fd = self->fd, .ret = 1 }, p = { .fd = self->fd };
	int idle = open(self->ch.node, O_RDWR);
	struct rbus_info info;
	struct rbus_record rec;
	pthread_t rt, pt;

	ASSERT_LE(0, idle);
	ASSERT_EQ(0, channel_sim(&self->ch, LONG_US, 0));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(1, submit_one(idle, i));
	r.fd = p.fd = self->fd;
	ASSERT_EQ(0, pthread_create(&rt, NULL, read_thread, &r));
	ASSERT_EQ(0, pthread_create(&pt, NULL, poll_thread, &p));
	usleep(200000);

	ASSERT_EQ(0, channel_delete(&self->ch));
	EXPECT_TRUE(join_within(rt, 5000));
	EXPECT_TRUE(join_within(pt, 5000));
	EXPECT_EQ(-ENODEV, r.ret);
	EXPECT_TRUE(p.revents & POLLHUP);

	/* Every pending request yields its one record, with -ENODEV. */
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, read_rec(idle, &rec));
		EXPECT_EQ((__u64)i, rec.id);
		EXPECT_EQ(-ENODEV, rec.status);
	}
	EXPECT_EQ(-ENODEV, read_rec(idle, &rec));
	EXPECT_EQ(-ENODEV, submit_one(idle, 9));
	EXPECT_EQ(-ENODEV, cancel_req(idle, 0));
	EXPECT_EQ(-1, ioctl(idle, RBUS_IOC_INFO, &info));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(POLLHUP, poll_fd(idle, POLLIN | POLLOUT, 0));
	EXPECT_FALSE(exists("%s", self->ch.node));
	close(idle);
}

TEST_F(channel, fd_does_not_reach_a_new_device)
{
	struct rbus_record rec;
	int fresh;

	ASSERT_EQ(0, channel_delete(&self->ch));
	ASSERT_EQ(0, channel_add(&self->ch));
	fresh = open(self->ch.node, O_RDWR);
	ASSERT_LE(0, fresh);
	EXPECT_EQ(-ENODEV, submit_one(self->fd, 1));
	EXPECT_EQ(1, submit_one(fresh, 2));
	EXPECT_EQ(-ENODEV, read_rec(self->fd, &rec));
	EXPECT_EQ(POLLHUP, poll_fd(self->fd, POLLIN, 0));
	ASSERT_EQ(0, read_rec(fresh, &rec));
	EXPECT_EQ(2ULL, rec.id);
	EXPECT_EQ(1ULL, submitted(&self->ch));
	close(fresh);
}

/* Kernel driver, user mode and back, with no reload. */
TEST_F(channel, switch_between_kernel_and_user_driver)
{
	char drv[PATH_MAX], path[PATH_MAX];
	struct rbus_record rec;
	int fd;

	ASSERT_EQ(0, run("modprobe rbus_test_child"));
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/driver_override", self->ch.name);
	ASSERT_EQ(0, write_str(path, "rbus_test_child"));
	ASSERT_EQ(0, write_str(USER_DRIVER "/unbind", self->ch.name));
	EXPECT_TRUE(wait_for(self->ch.node, false, 5000));
	/* The open file is revoked, not freed. */
	EXPECT_EQ(-ENODEV, submit_one(self->fd, 1));
	EXPECT_EQ(POLLHUP, poll_fd(self->fd, POLLIN, 0));

	ASSERT_EQ(0, write_str(TEST_DRIVER "/bind", self->ch.name));
	EXPECT_STREQ("rbus_test_child", bound_driver(self->ch.name, drv, sizeof(drv)));
	/* A kernel driver pends a request of its own. */
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/call", self->ch.name);
	EXPECT_EQ(0, write_str(path, "request"));
	EXPECT_EQ(1ULL, channel_counter(&self->ch, "requests_completed"));

	ASSERT_EQ(0, write_str(TEST_DRIVER "/unbind", self->ch.name));
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/driver_override", self->ch.name);
	ASSERT_EQ(0, write_str(path, "rbus_dev"));
	ASSERT_EQ(0, write_str(USER_DRIVER "/bind", self->ch.name));
	ASSERT_TRUE(wait_for(self->ch.node, true, 5000));
	fd = open(self->ch.node, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, submit_one(fd, 3));
	ASSERT_EQ(0, read_rec(fd, &rec));
	EXPECT_EQ(3ULL, rec.id);
	EXPECT_EQ(0, rec.status);
	close(fd);
	write_str(path, "\n");
}

TEST_F(channel, events_reach_open_files)
{
	struct rbus_record rec;

	ASSERT_EQ(0, write_str(self->ch.raise, "0x40 3 77"));
	ASSERT_EQ(0, read_rec(self->fd, &rec));
	EXPECT_EQ(RBUS_RECORD_EVENT, (int)rec.type);
	EXPECT_EQ(3U, rec.kind);
	EXPECT_EQ(77ULL, rec.payload);
	EXPECT_EQ(1ULL, rec.id);
	/* Events are not requests. */
	EXPECT_EQ(0ULL, submitted(&self->ch));
}

/* A file keeps 64 unread events; the ones it misses are counted. */
TEST_F(channel, unread_events_are_bounded_and_counted)
{
	struct rbus_record recs[80];
	int other = open(self->ch.node, O_RDWR);

	ASSERT_LE(0, other);
	for (int i = 0; i < 70; i++)
		ASSERT_EQ(0, write_str(self->ch.raise, "0x40 3 0"));
	EXPECT_EQ((ssize_t)(64 * sizeof(recs[0])), read(self->fd, recs, sizeof(recs)));
	EXPECT_EQ(1ULL, recs[0].id);
	EXPECT_EQ(64ULL, recs[63].id);
	/* Both files missed six. */
	EXPECT_EQ(12ULL, channel_counter(&self->ch, "channel_events_dropped"));
	close(other);
}

/* A power-managed queue: requests for a suspended child resume it and complete. */
TEST_F(channel, requests_resume_a_suspended_child)
{
	struct rbus_req reqs[8];
	struct rbus_record rec;
	char control[PATH_MAX + 16], dir[PATH_MAX];

	snprintf(dir, sizeof(dir), RBUS_DEVICES "/%s", self->ch.name);
	snprintf(control, sizeof(control), "%s/power/control", dir);
	ASSERT_EQ(0, write_str(control, "auto"));
	ASSERT_TRUE(wait_runtime_status_of(dir, "suspended"));

	for (int i = 0; i < 8; i++)
		reqs[i] = make_req(i, 2, 2);
	ASSERT_EQ(8, submit_reqs(self->fd, reqs, 8));
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(POLLIN, poll_fd(self->fd, POLLIN, 5000));
		ASSERT_EQ(0, read_rec(self->fd, &rec));
		EXPECT_TRUE(answer_ok(&rec, 2, 2));
	}
	EXPECT_EQ(8ULL, channel_counter(&self->ch, "requests_completed"));
	/* Idle again, it suspends again. */
	EXPECT_TRUE(wait_runtime_status_of(dir, "suspended"));
	ASSERT_EQ(0, write_str(control, "on"));
	EXPECT_TRUE(channel_balanced(&self->ch));
}

/* The README's example: submit, poll and read, as a user-mode driver does. */
TEST_F(channel, readme_example_runs)
{
	if (access("./rbus_hello", X_OK))
		SKIP(return, "rbus_hello not installed");
	EXPECT_EQ(0, run("./rbus_hello %s", self->ch.node));
	EXPECT_EQ(2ULL, channel_counter(&self->ch, "requests_completed"));
}

TEST_HARNESS_MAIN
