// SPDX-License-Identifier: GPL-2.0
/*
 * How the bus scales with its children, from user space, in one boot.
 *
 *   rbus_scale_bench scale RUNS COMPATIBLE CTRL[,CTRL...] N...
 *
 * For each run and each N: writes N lines "<addr> COMPATIBLE" to the
 * new_device files of the controllers' hosts, one write() each, and times
 * them all; reads the kernel's memory counters before and after; then times
 * the controllers' unbind, which removes every child, and binds them again.
 * A controller holds at most 1,024 children (addresses are 10 bits), so a
 * larger N fills the controllers in the order given, each from its lowest
 * free address. Prints, per N and run:
 *
 *   add-per-child     the writes' time over N
 *   unbind-per-child  the unbinds' time over the children they removed
 *   memory-per-child  source=slab: the growth of Slab, Percpu, KernelStack
 *                     and PageTables in /proc/meminfo over N; source=memfree:
 *                     the fall of MemFree over N, every page included
 *
 * The children are what COMPATIBLE makes them. With one that no driver
 * binds (make bench uses "rbus,bench"), the bus itself is measured: the
 * device, its sysfs files, the controller's simulated device and the bus's
 * bookkeeping. With "rbus,user" each child is bound to rbus_dev, which adds
 * a char device and its /dev node. Every line names the driver the first
 * child got as driver=<name>, or driver=none.
 *
 *   rbus_scale_bench firmware RUNS CTRL
 *
 * For each run: unbinds the controller CTRL if bound, then times the write
 * to rbus_ctrl's bind, whose probe enumerates the children of CTRL's
 * firmware node (make bench gives one of 64, from a generated SSDT).
 * Prints firmware-enumerate (the whole bind) and
 * firmware-enumerate-per-child, with children=<the children it found>.
 * The controller is left bound.
 *
 * CTRL is a platform device bound to rbus_ctrl, such as PRP0001:02. Every
 * line is "rbus_bench: <case> <param>=<value>... run=<k> <ns|bytes>=<x>",
 * the format of every rbus benchmark. A negative memory growth, which only
 * noise can make, prints as 0. The thread stays on CPU 0, as TCG makes a
 * migration costly. Exits 1 on any failure, with the reason on stderr.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_setaffinity() */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* Addresses are 10 bits: RBUS_ADDR_MAX in <linux/rbus.h>. */
#define ADDRS		1024
#define MAX_CTRLS	16
#define PLATFORM	"/sys/bus/platform"
#define DRIVER		PLATFORM "/drivers/rbus_ctrl"
/* Seconds for vmstat's per-CPU counts to settle, see memory(). */
#define SETTLE_S	2

/* The /proc/meminfo lines that hold the kernel's own memory, in kB. */
static const char *const kernel_mem[] = { "Slab:", "Percpu:", "KernelStack:", "PageTables:" };

struct ctrl {
	const char *name;
	char host[256];		/* its host's directory, rbus<N> */
	int nr;			/* its bus number */
	int taken[ADDRS];	/* addresses with a child before the run */
	int fd;			/* new_device, while adding */
	int count;		/* children this run adds to it */
};

static struct ctrl ctrls[MAX_CTRLS];
static int nctrls;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "rbus_scale_bench: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	exit(1);
}

/* Writes the whole string to the file at path. */
static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		die("open", path);
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die("write", path);
	close(fd);
}

static int is_bound(const struct ctrl *c)
{
	char path[320];

	snprintf(path, sizeof(path), PLATFORM "/devices/%s/driver", c->name);
	return access(path, F_OK) == 0;
}

/* Finds the host of a bound controller, and the addresses of its children. */
static void find_host(struct ctrl *c)
{
	char dir[192];
	struct dirent *e;
	unsigned int addr;
	DIR *d;
	int nr;

	if (snprintf(dir, sizeof(dir), PLATFORM "/devices/%s", c->name) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		die("controller", c->name);
	}
	d = opendir(dir);
	if (!d)
		die("opendir", dir);
	c->nr = -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "rbus%d", &c->nr) == 1)
			break;
	closedir(d);
	if (c->nr < 0) {
		errno = ENOENT;
		die("no host under", dir);
	}
	snprintf(c->host, sizeof(c->host), "%s/rbus%d", dir, c->nr);

	memset(c->taken, 0, sizeof(c->taken));
	d = opendir(c->host);
	if (!d)
		die("opendir", c->host);
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "%d-%x", &nr, &addr) == 2 && nr == c->nr && addr < ADDRS)
			c->taken[addr] = 1;
	closedir(d);
}

/* The number of children a controller has now. */
static int count_children(struct ctrl *c)
{
	int n = 0;

	find_host(c);
	for (int a = 0; a < ADDRS; a++)
		n += c->taken[a];
	return n;
}

/* The kernel's own memory and the free memory, in bytes, once the per-CPU counts are folded. */
static void memory(long long *kernel, long long *free)
{
	char line[256];
	long long kb;
	FILE *f;

	/*
	 * vmstat keeps per-CPU deltas of up to a few hundred pages, which its
	 * work folds in every second; the guest has no /proc/sys/vm/stat_refresh
	 * to fold them at once.
	 */
	sleep(SETTLE_S);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("open", "/proc/meminfo");
	*kernel = *free = 0;
	while (fgets(line, sizeof(line), f)) {
		char key[64];

		if (sscanf(line, "%63s %lld", key, &kb) != 2)
			continue;
		if (!strcmp(key, "MemFree:"))
			*free = kb * 1024;
		for (size_t i = 0; i < ARRAY_SIZE(kernel_mem); i++)
			if (!strcmp(key, kernel_mem[i]))
				*kernel += kb * 1024;
	}
	fclose(f);
}

/* The driver of the child at addr of c, or "none". */
static const char *driver_of(const struct ctrl *c, int addr)
{
	static char target[320];
	char path[320];
	ssize_t len;
	char *slash;

	snprintf(path, sizeof(path), "%s/%d-%04x/driver", c->host, c->nr, addr);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return "none";
	target[len] = 0;
	slash = strrchr(target, '/');
	return slash ? slash + 1 : target;
}

static void bind_all(void)
{
	for (int i = 0; i < nctrls; i++)
		if (!is_bound(&ctrls[i]))
			write_file(DRIVER "/bind", ctrls[i].name);
}

/* The growth of memory over n children; noise alone makes it negative, which prints as 0. */
static void print_memory(int n, const char *driver, const char *source, int run, long long growth)
{
	printf("rbus_bench: memory-per-child children=%d driver=%s source=%s run=%d bytes=%lld\n",
	       n, driver, source, run, growth > 0 ? growth / n : 0);
}

/* One run of N children: add them, then unbind every controller that got one. */
static void scale_run(const char *compatible, int n, int run)
{
	static char lines[ADDRS * MAX_CTRLS][96];
	static int lens[ADDRS * MAX_CTRLS];
	long long kernel0, free0, kernel1, free1;
	int left = n, total = 0, used = 0, first = -1, first_ctrl = 0;
	double t_add, t_unbind;
	const char *driver;
	int unbind_fd;

	bind_all();
	/* Which controller gets which addresses, and their lines, outside the timing. */
	for (int i = 0; i < nctrls; i++) {
		struct ctrl *c = &ctrls[i];

		find_host(c);
		c->count = 0;
		for (int a = 0; a < ADDRS && left; a++) {
			if (c->taken[a])
				continue;
			if (first < 0) {
				first = a;
				first_ctrl = i;
			}
			lens[total] = snprintf(lines[total], sizeof(lines[0]), "0x%x %s", a,
					       compatible);
			total++;
			c->count++;
			left--;
		}
		if (c->count)
			used = i + 1;
	}
	if (left) {
		errno = ENOSPC;
		fprintf(stderr, "rbus_scale_bench: %d children need more controllers\n", n);
		exit(1);
	}
	for (int i = 0; i < used; i++) {
		char path[320];

		snprintf(path, sizeof(path), "%s/new_device", ctrls[i].host);
		ctrls[i].fd = open(path, O_WRONLY);
		if (ctrls[i].fd < 0)
			die("open", path);
	}
	unbind_fd = open(DRIVER "/unbind", O_WRONLY);
	if (unbind_fd < 0)
		die("open", DRIVER "/unbind");

	memory(&kernel0, &free0);
	t_add = now_ns();
	total = 0;
	for (int i = 0; i < used; i++)
		for (int k = 0; k < ctrls[i].count; k++, total++)
			if (write(ctrls[i].fd, lines[total], lens[total]) != lens[total])
				die("new_device", lines[total]);
	t_add = now_ns() - t_add;
	memory(&kernel1, &free1);

	driver = driver_of(&ctrls[first_ctrl], first);
	for (int i = 0; i < used; i++)
		close(ctrls[i].fd);

	/* The unbind removes the firmware's children too: count them all. */
	total = 0;
	for (int i = 0; i < used; i++)
		total += count_children(&ctrls[i]);
	t_unbind = now_ns();
	for (int i = 0; i < used; i++)
		if (write(unbind_fd, ctrls[i].name, strlen(ctrls[i].name)) !=
		    (ssize_t)strlen(ctrls[i].name))
			die("unbind", ctrls[i].name);
	t_unbind = now_ns() - t_unbind;
	close(unbind_fd);

	printf("rbus_bench: add-per-child children=%d driver=%s run=%d ns=%.1f\n",
	       n, driver, run, t_add / n);
	printf("rbus_bench: unbind-per-child children=%d driver=%s run=%d ns=%.1f\n",
	       n, driver, run, t_unbind / total);
	print_memory(n, driver, "slab", run, kernel1 - kernel0);
	print_memory(n, driver, "memfree", run, free0 - free1);
	fflush(stdout);
}

static void firmware_run(int run)
{
	struct ctrl *c = &ctrls[0];
	double t;
	int n;

	if (is_bound(c))
		write_file(DRIVER "/unbind", c->name);
	t = now_ns();
	write_file(DRIVER "/bind", c->name);
	t = now_ns() - t;
	n = count_children(c);
	if (!n) {
		errno = ENOENT;
		die("no children enumerated on", c->name);
	}
	printf("rbus_bench: firmware-enumerate children=%d run=%d ns=%.1f\n", n, run, t);
	printf("rbus_bench: firmware-enumerate-per-child children=%d run=%d ns=%.1f\n", n, run,
	       t / n);
	fflush(stdout);
}

static void bad_arguments(void)
{
	fprintf(stderr,
		"usage: rbus_scale_bench scale RUNS COMPATIBLE CTRL[,CTRL...] N...\n"
		"       rbus_scale_bench firmware RUNS CTRL\n");
	exit(2);
}

int main(int argc, char **argv)
{
	cpu_set_t cpu;
	int runs;

	if (argc < 4)
		bad_arguments();
	runs = atoi(argv[2]);
	if (runs < 1)
		bad_arguments();
	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu))
		die("sched_setaffinity", NULL);

	if (!strcmp(argv[1], "firmware") && argc == 4) {
		ctrls[nctrls++].name = argv[3];
		for (int run = 1; run <= runs; run++)
			firmware_run(run);
		return 0;
	}
	if (strcmp(argv[1], "scale") || argc < 6)
		bad_arguments();
	for (char *name = strtok(argv[4], ","); name; name = strtok(NULL, ",")) {
		if (nctrls == MAX_CTRLS)
			bad_arguments();
		ctrls[nctrls++].name = name;
	}
	for (int i = 5; i < argc; i++)
		if (atoi(argv[i]) < 1 || atoi(argv[i]) > ADDRS * nctrls)
			bad_arguments();
	/* Every N in each run, so each run's figures are taken moments apart. */
	for (int run = 1; run <= runs; run++)
		for (int i = 5; i < argc; i++)
			scale_run(argv[3], atoi(argv[i]), run);
	bind_all();
	return 0;
}
