// SPDX-License-Identifier: GPL-2.0
/*
 * The I2C tunnel from user space, in one boot with rbus_bench's kernel
 * figures:
 *
 *   i2c_rdwr  one I2C_RDWR on /dev/i2c-N: a one-byte EEPROM read at 0x50
 *             (write the pointer, read a byte with a repeated start), the
 *             transaction rbus_bench times as i2c-direct and i2c-kernel
 *   syscall   getppid(), the bare syscall, for scale
 *
 * Usage: rbus_i2c_bench DEVICE LOOPS RUNS. Prints one line per case and run:
 * "rbus_i2c_bench: <name> run=<k> ns=<per operation>". The thread stays on
 * CPU 0, as TCG makes a migration costly.
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
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "rbus_i2c_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned char ptr = 0, byte;
	struct i2c_msg msgs[2] = {
		{ .addr = 0x50, .len = 1, .buf = &ptr },
		{ .addr = 0x50, .flags = I2C_M_RD, .len = 1, .buf = &byte },
	};
	struct i2c_rdwr_ioctl_data rdwr = { .msgs = msgs, .nmsgs = 2 };
	long loops, runs;
	cpu_set_t cpu0;
	int fd;

	if (argc != 4)
		return fprintf(stderr, "usage: rbus_i2c_bench DEVICE LOOPS RUNS\n"), 2;
	loops = strtol(argv[2], NULL, 0);
	runs = strtol(argv[3], NULL, 0);
	if (loops <= 0 || runs <= 0)
		return fprintf(stderr, "rbus_i2c_bench: LOOPS and RUNS must be positive\n"), 2;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		die("sched_setaffinity");
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1]);

	for (long run = 1; run <= runs; run++) {
		double start = now_ns();

		for (long i = 0; i < loops; i++)
			if (ioctl(fd, I2C_RDWR, &rdwr) != 2)
				die("I2C_RDWR");
		printf("rbus_i2c_bench: i2c_rdwr run=%ld ns=%.3f\n", run,
		       (now_ns() - start) / loops);

		start = now_ns();
		for (long i = 0; i < loops; i++)
			getppid();
		printf("rbus_i2c_bench: syscall run=%ld ns=%.3f\n", run,
		       (now_ns() - start) / loops);
	}
	close(fd);
	return 0;
}
