// SPDX-License-Identifier: GPL-2.0
/*
 * The request channel against a pipe, from one thread, in one boot:
 *
 *   pipe_rw     write() + read() of one record's size through a pipe
 *   round_trip  RBUS_IOC_SUBMIT of one request, completed inline at zero
 *               latency, + read() of its record
 *   batch64     one RBUS_IOC_SUBMIT of 64 requests + one read() of their
 *               64 records, per request
 *   close_pipe  close() of a pipe's last fd, which frees the pipe
 *   close_child close() of an idle /dev/rbus-* fd, which frees its client
 *   info_ioctl  RBUS_IOC_INFO: the cost of reaching the driver, for comparison
 *   read_empty  an O_NONBLOCK read() with nothing ready (EAGAIN), likewise
 *
 * Usage: rbus_channel_bench DEVICE LOOPS RUNS. Prints one line per run:
 * "rbus_channel_bench: <name> run=<k> ns=<per operation>". Each run times
 * every case once, so the ratios pair figures taken moments apart; the
 * thread stays on CPU 0, as TCG makes a migration costly.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_setaffinity() */
#endif
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/rbus.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *device;
static struct rbus_req reqs[RBUS_SUBMIT_MAX];
static struct rbus_record recs[RBUS_SUBMIT_MAX];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "rbus_channel_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void submit_and_read(int fd, unsigned int count)
{
	struct rbus_submit s = { .reqs = (__u64)(unsigned long)reqs, .count = count,
				 .req_size = sizeof(reqs[0]) };
	size_t len = count * sizeof(recs[0]);

	if (ioctl(fd, RBUS_IOC_SUBMIT, &s) != (int)count)
		die("submit");
	if (read(fd, recs, len) != (ssize_t)len)
		die("read");
}

/* Each returns the total time of its timed part over loops operations. */
static double pipe_rw(long loops)
{
	int p[2];
	double t;

	if (pipe(p))
		die("pipe");
	t = now_ns();
	for (long i = 0; i < loops; i++) {
		if (write(p[1], recs, sizeof(recs[0])) != sizeof(recs[0]) ||
		    read(p[0], recs, sizeof(recs[0])) != sizeof(recs[0]))
			die("pipe io");
	}
	t = now_ns() - t;
	close(p[0]);
	close(p[1]);
	return t;
}

static double round_trip(long loops)
{
	int fd = open(device, O_RDWR);
	double t;

	if (fd < 0)
		die(device);
	t = now_ns();
	for (long i = 0; i < loops; i++)
		submit_and_read(fd, 1);
	t = now_ns() - t;
	close(fd);
	return t;
}

static double batch64(long loops)
{
	int fd = open(device, O_RDWR);
	long batches = loops / RBUS_SUBMIT_MAX;
	double t;

	if (fd < 0)
		die(device);
	t = now_ns();
	for (long i = 0; i < batches; i++)
		submit_and_read(fd, RBUS_SUBMIT_MAX);
	t = now_ns() - t;
	close(fd);
	/* Per request, as if loops had run. */
	return t * loops / (batches * RBUS_SUBMIT_MAX);
}

static double close_pipe(long loops)
{
	double t = 0;
	int p[2];

	for (long i = 0; i < loops; i++) {
		if (pipe(p))
			die("pipe");
		close(p[1]);
		t -= now_ns();
		close(p[0]);
		t += now_ns();
	}
	return t;
}

static double close_child(long loops)
{
	double t = 0;

	for (long i = 0; i < loops; i++) {
		int fd = open(device, O_RDWR);

		if (fd < 0)
			die(device);
		t -= now_ns();
		close(fd);
		t += now_ns();
	}
	return t;
}

static double info_ioctl(long loops)
{
	int fd = open(device, O_RDWR);
	struct rbus_info info;
	double t;

	if (fd < 0)
		die(device);
	t = now_ns();
	for (long i = 0; i < loops; i++)
		if (ioctl(fd, RBUS_IOC_INFO, &info))
			die("info");
	t = now_ns() - t;
	close(fd);
	return t;
}

static double read_empty(long loops)
{
	int fd = open(device, O_RDWR | O_NONBLOCK);
	double t;

	if (fd < 0)
		die(device);
	t = now_ns();
	for (long i = 0; i < loops; i++)
		if (read(fd, recs, sizeof(recs[0])) != -1 || errno != EAGAIN)
			die("read_empty");
	t = now_ns() - t;
	close(fd);
	return t;
}

static const struct {
	const char *name;
	double (*fn)(long loops);
} benches[] = {
	{ "pipe_rw", pipe_rw },
	{ "round_trip", round_trip },
	{ "batch64", batch64 },
	{ "close_pipe", close_pipe },
	{ "close_child", close_child },
	{ "info_ioctl", info_ioctl },
	{ "read_empty", read_empty },
};

int main(int argc, char **argv)
{
	long loops, runs;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEVICE LOOPS RUNS\n", argv[0]);
		return 2;
	}
	device = argv[1];
	{
		cpu_set_t cpu;

		CPU_ZERO(&cpu);
		CPU_SET(0, &cpu);
		if (sched_setaffinity(0, sizeof(cpu), &cpu))
			die("sched_setaffinity");
	}
	loops = atol(argv[2]);
	runs = atol(argv[3]);
	if (loops < RBUS_SUBMIT_MAX || runs < 1) {
		fprintf(stderr, "rbus_channel_bench: LOOPS >= %d, RUNS >= 1\n", RBUS_SUBMIT_MAX);
		return 2;
	}
	for (int i = 0; i < RBUS_SUBMIT_MAX; i++)
		reqs[i] = (struct rbus_req){ .id = i, .op = RBUS_OP_TRANSFER,
					     .tx_len = RBUS_DATA_MAX, .rx_len = RBUS_DATA_MAX };
	for (long run = 0; run < runs; run++)
		for (size_t b = 0; b < ARRAY_SIZE(benches); b++)
			printf("rbus_channel_bench: %s run=%ld ns=%.1f\n", benches[b].name, run,
			       benches[b].fn(loops) / loops);
	return 0;
}
