// SPDX-License-Identifier: GPL-2.0
/*
 * rbus_user_bench: user space's side of `make bench`, one thread pinned to
 * CPU 0 (under TCG a migration is costly), in the same boot as the kernel's
 * figures of bench/rbus_bench.c.
 *
 * Every case is one operation that the harness, time_case(), repeats: the
 * whole loop is timed, or, for a case with a prepare step (close() needs an
 * fd to close), each operation alone. The cases:
 *
 * Rulers:
 *   syscall       getppid(): a bare system call
 *   pipe          write() + read() of one record's size through a pipe
 *   eventfd       write() + read() of an eventfd's 8-byte counter
 *   close-pipe    close() of a pipe's last fd, which frees the pipe
 *
 * The request channel (interface B for a user-mode driver), on a child
 * bound to rbus_dev (-c DEVICE); each request a 64-byte transfer answered
 * inline by the simulated device:
 *   round-trip    RBUS_IOC_SUBMIT of one request + read() of its record
 *   batch         one RBUS_IOC_SUBMIT of N requests + one read() of their
 *                 N records, for N = 1, 4, 16, 64, ... up to
 *                 RBUS_SUBMIT_MAX; its figure is per request
 *   close-channel close() of an idle /dev/rbus-* fd, which frees its client
 *   info-ioctl    RBUS_IOC_INFO: the cost of reaching the driver
 *   read-empty    an O_NONBLOCK read() with nothing ready (EAGAIN)
 *
 * The I2C tunnel from user space (-i /dev/i2c-N):
 *   i2c-rdwr      one I2C_RDWR of a one-byte EEPROM read at 0x50 (write the
 *                 pointer, read a byte), the transaction rbus_bench times as
 *                 i2c-direct and i2c-kernel
 *
 * Usage: rbus_user_bench [-c DEVICE] [-i I2C_DEVICE] LOOPS RUNS. A case
 * whose device is not given is skipped. Each run times every case once, so
 * ratios can pair figures taken moments apart. Every result line is
 *
 *   rbus_bench: <case>[ batch=<n>] callers=1 run=<k> ns=<ns per operation>
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_setaffinity() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include <linux/rbus.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *channel_path;
static const char *i2c_path;
static struct rbus_req reqs[RBUS_SUBMIT_MAX];
static struct rbus_record recs[RBUS_SUBMIT_MAX];

/* The fds a case's operation works on, set up before its loop. */
static int fd, fd2;
static unsigned int batch;
static __u8 i2c_ptr, i2c_byte;
static struct i2c_msg i2c_msgs[2] = {
	{ .addr = 0x50, .len = 1, .buf = &i2c_ptr },
	{ .addr = 0x50, .flags = I2C_M_RD, .len = 1, .buf = &i2c_byte },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "rbus_user_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void open_channel(int flags)
{
	fd = open(channel_path, O_RDWR | flags);
	if (fd < 0)
		die(channel_path);
}

static void open_channel_blocking(void)
{
	open_channel(0);
}

static void open_channel_nonblock(void)
{
	open_channel(O_NONBLOCK);
}

static void close_fds(void)
{
	close(fd);
	if (fd2 >= 0)
		close(fd2);
	fd2 = -1;
}

static void open_pipe(void)
{
	int p[2];

	if (pipe(p))
		die("pipe");
	fd = p[0];
	fd2 = p[1];
}

static void open_eventfd(void)
{
	fd = eventfd(0, 0);
	if (fd < 0)
		die("eventfd");
}

static void open_i2c(void)
{
	fd = open(i2c_path, O_RDWR);
	if (fd < 0)
		die(i2c_path);
}

static void op_syscall(void)
{
	getppid();
}

static void op_pipe(void)
{
	if (write(fd2, recs, sizeof(recs[0])) != sizeof(recs[0]) ||
	    read(fd, recs, sizeof(recs[0])) != sizeof(recs[0]))
		die("pipe io");
}

static void op_eventfd(void)
{
	__u64 v = 1;

	if (write(fd, &v, sizeof(v)) != sizeof(v) || read(fd, &v, sizeof(v)) != sizeof(v))
		die("eventfd io");
}

static void op_submit_and_read(void)
{
	struct rbus_submit s = { .reqs = (__u64)(unsigned long)reqs, .count = batch,
				 .req_size = sizeof(reqs[0]) };
	size_t len = batch * sizeof(recs[0]);

	if (ioctl(fd, RBUS_IOC_SUBMIT, &s) != (int)batch)
		die("submit");
	if (read(fd, recs, len) != (ssize_t)len)
		die("read");
	if (recs[batch - 1].type != RBUS_RECORD_COMPLETION || recs[batch - 1].status)
		die("record");
}

static void op_info(void)
{
	struct rbus_info info;

	if (ioctl(fd, RBUS_IOC_INFO, &info))
		die("info");
}

static void op_read_empty(void)
{
	if (read(fd, recs, sizeof(recs[0])) != -1 || errno != EAGAIN)
		die("read_empty");
}

static void op_i2c_rdwr(void)
{
	struct i2c_rdwr_ioctl_data data = { .msgs = i2c_msgs, .nmsgs = 2 };

	if (ioctl(fd, I2C_RDWR, &data) != 2)
		die("I2C_RDWR");
}

static void prepare_pipe(void)
{
	open_pipe();
	close(fd2);
	fd2 = -1;
}

static void op_close(void)
{
	close(fd);
}

static void nothing(void)
{
}

/**
 * struct bench_case - one operation and what it needs
 * @name: the name in the result lines
 * @batch: requests per operation, for a batch (the figure is per request)
 * @needs: the device path the case runs on, or NULL
 * @setup: opens what @op uses, before the loop
 * @prepare: untimed, before each operation; then each is timed alone
 * @op: the timed operation
 * @teardown: closes what @setup opened
 */
struct bench_case {
	const char *name;
	unsigned int batch;
	const char **needs;
	void (*setup)(void);
	void (*prepare)(void);
	void (*op)(void);
	void (*teardown)(void);
};

static const struct bench_case cases[] = {
	{ "syscall", 0, NULL, nothing, NULL, op_syscall, nothing },
	{ "pipe", 0, NULL, open_pipe, NULL, op_pipe, close_fds },
	{ "eventfd", 0, NULL, open_eventfd, NULL, op_eventfd, close_fds },
	{ "close-pipe", 0, NULL, nothing, prepare_pipe, op_close, nothing },
	{ "round-trip", 1, &channel_path, open_channel_blocking, NULL, op_submit_and_read,
	  close_fds },
	{ "batch", 1, &channel_path, open_channel_blocking, NULL, op_submit_and_read, close_fds },
	{ "batch", 4, &channel_path, open_channel_blocking, NULL, op_submit_and_read, close_fds },
	{ "batch", 16, &channel_path, open_channel_blocking, NULL, op_submit_and_read, close_fds },
	{ "batch", 64, &channel_path, open_channel_blocking, NULL, op_submit_and_read, close_fds },
	{ "batch", 256, &channel_path, open_channel_blocking, NULL, op_submit_and_read, close_fds },
	{ "close-channel", 0, &channel_path, nothing, open_channel_blocking, op_close, nothing },
	{ "info-ioctl", 0, &channel_path, open_channel_blocking, NULL, op_info, close_fds },
	{ "read-empty", 0, &channel_path, open_channel_nonblock, NULL, op_read_empty, close_fds },
	{ "i2c-rdwr", 0, &i2c_path, open_i2c, NULL, op_i2c_rdwr, close_fds },
};

/* The harness: ns per operation (per request for a batch) over @loops. */
static double time_case(const struct bench_case *c, long loops)
{
	long n = c->batch > 1 ? loops / c->batch : loops;
	double t = 0;

	if (n < 1)
		n = 1;
	batch = c->batch ? c->batch : 1;
	fd2 = -1;
	c->setup();
	if (c->prepare) {
		for (long i = 0; i < n; i++) {
			c->prepare();
			t -= now_ns();
			c->op();
			t += now_ns();
		}
	} else {
		t = now_ns();
		for (long i = 0; i < n; i++)
			c->op();
		t = now_ns() - t;
	}
	c->teardown();
	return t / ((double)n * batch);
}

int main(int argc, char **argv)
{
	cpu_set_t cpu;
	long loops, runs;
	int opt;

	while ((opt = getopt(argc, argv, "c:i:")) != -1) {
		switch (opt) {
		case 'c':
			channel_path = optarg;
			break;
		case 'i':
			i2c_path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	loops = atol(argv[optind]);
	runs = atol(argv[optind + 1]);
	if (loops < 1 || runs < 1)
		goto usage;

	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu))
		die("sched_setaffinity");
	for (int i = 0; i < RBUS_SUBMIT_MAX; i++)
		reqs[i] = (struct rbus_req){ .id = i, .op = RBUS_OP_TRANSFER,
					     .tx_len = RBUS_DATA_MAX, .rx_len = RBUS_DATA_MAX };
	for (long run = 1; run <= runs; run++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			const struct bench_case *c = &cases[i];
			double ns;

			if ((c->needs && !*c->needs) || c->batch > RBUS_SUBMIT_MAX)
				continue;
			ns = time_case(c, loops);
			if (!strcmp(c->name, "batch"))
				printf("rbus_bench: batch batch=%u callers=1 run=%ld ns=%.1f\n",
				       c->batch, run, ns);
			else
				printf("rbus_bench: %s callers=1 run=%ld ns=%.1f\n", c->name, run,
				       ns);
			fflush(stdout);
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: %s [-c DEVICE] [-i I2C_DEVICE] LOOPS RUNS\n", argv[0]);
	return 2;
}
