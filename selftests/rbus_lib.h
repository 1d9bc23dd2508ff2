/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the rbus kselftests: sysfs access with errno results and
 * locating the ACPI controller and its bus number.
 */
#ifndef RBUS_LIB_H
#define RBUS_LIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RBUS_DEVICES	"/sys/bus/rbus/devices"
#define RBUS_DRIVERS	"/sys/bus/rbus/drivers"
#define PLAT_DRIVER	"/sys/bus/platform/drivers/rbus_ctrl"
/* The controller the guest's SSDT describes. */
#define ACPI_CTRL	"PRP0001:00"
#define ACPI_CTRL_DIR	"/sys/bus/platform/devices/" ACPI_CTRL

/* Writes str to path in one write(); 0 or -errno. */
static inline int write_str(const char *path, const char *str)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(str))
		ret = -EIO;
	close(fd);
	return ret;
}

/* Reads path into buf without the trailing newline; 0 or -errno. */
static inline int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline bool exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

static inline int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The name of the driver bound to an rbus device, or "" when unbound. */
static inline const char *bound_driver(const char *dev, char *buf, size_t size)
{
	char path[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/driver", dev);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return "";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

/* Polls up to ms milliseconds for the file to appear (want) or vanish. */
static inline bool wait_for(const char *path, bool want, int ms)
{
	for (; ms > 0; ms -= 10) {
		if ((access(path, F_OK) == 0) == want)
			return true;
		usleep(10000);
	}
	return (access(path, F_OK) == 0) == want;
}

/*
 * The bus number of the controller whose sysfs directory is ctrl_dir: its
 * host device "rbus<nr>" is the parent of children named "<nr>-<addr>".
 * Returns -1 when it has none.
 */
static inline int bus_nr_of(const char *ctrl_dir)
{
	struct dirent *de;
	int nr = -1;
	DIR *dir;

	dir = opendir(ctrl_dir);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		unsigned int n;
		char end;

		if (sscanf(de->d_name, "rbus%u%c", &n, &end) == 1) {
			nr = n;
			break;
		}
	}
	closedir(dir);
	return nr;
}

/*
 * The path of the file name (new_device or delete_device) of the host of the
 * controller at ctrl_dir, "<ctrl_dir>/rbus<nr>/<name>", looked up anew on each
 * call, since a rebind may renumber the host. A controller without a host
 * gives a path that does not exist. Each thread rotates through four buffers.
 */
static inline const char *host_file(const char *ctrl_dir, const char *name)
{
	static __thread char paths[4][PATH_MAX];
	static __thread unsigned int next;
	char *path = paths[next++ % 4];

	snprintf(path, PATH_MAX, "%s/rbus%d/%s", ctrl_dir, bus_nr_of(ctrl_dir), name);
	return path;
}

/* Reads a number from a sysfs or debugfs file; ~0 on error. */
static inline unsigned long long read_u64(const char *path)
{
	char buf[64];

	if (read_str(path, buf, sizeof(buf)))
		return ~0ULL;
	return strtoull(buf, NULL, 0);
}

/* Reads the counter name of child dev; ~0 on error. */
static inline unsigned long long counter(const char *dev, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), RBUS_DEVICES "/%s/%s", dev, name);
	return read_u64(path);
}

/*
 * The events the simulated device of child addr on bus nr raised and the bus
 * took (debugfs rbus<nr>/raised, "<addr> <count>" lines); ~0 when unknown.
 */
static inline unsigned long long raised_of(int nr, unsigned int addr)
{
	unsigned long long count, found = ~0ULL;
	char path[64];
	unsigned int a;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/rbus%d/raised", nr);
	f = fopen(path, "r");
	if (!f)
		return ~0ULL;
	while (fscanf(f, "%x %llu", &a, &count) == 2)
		if (a == addr)
			found = count;
	fclose(f);
	return found;
}

/* Polls up to 5 s for the device at sysfs dir to reach runtime PM status want. */
static inline bool wait_runtime_status_of(const char *dir, const char *want)
{
	char path[PATH_MAX + 32], buf[32];

	snprintf(path, sizeof(path), "%s/power/runtime_status", dir);
	for (int i = 0; i < 500; i++) {
		if (!read_str(path, buf, sizeof(buf)) && !strcmp(buf, want))
			return true;
		usleep(10000);
	}
	return false;
}

/* Counts the children of bus nr in /sys/bus/rbus/devices. */
static inline int count_children(int nr)
{
	struct dirent *de;
	int count = 0;
	DIR *dir;

	dir = opendir(RBUS_DEVICES);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		unsigned int n;

		if (sscanf(de->d_name, "%u-", &n) == 1 && (int)n == nr)
			count++;
	}
	closedir(dir);
	return count;
}

/*
 * Waits (up to 20 s) until mdev has run no modprobe for half a second: the
 * uevents of earlier tests can make it load a module just removed.
 */
static inline void settle_autoload(void)
{
	int quiet = 0;

	for (int i = 0; i < 200 && quiet < 5; i++) {
		quiet = run("pidof modprobe >/dev/null") ? quiet + 1 : 0;
		usleep(100000);
	}
}

/* Removes a module and keeps it out against late autoloads; 0 on success. */
static inline int rmmod_settled(const char *module)
{
	for (int i = 0; i < 5; i++) {
		settle_autoload();
		if (run("rmmod %s 2>/dev/null", module) &&
		    run("grep -q '^%s ' /proc/modules", module) == 0)
			continue;
		settle_autoload();
		if (run("grep -q '^%s ' /proc/modules", module))
			return 0;
	}
	return -1;
}

/* Loads the controller and the demo child driver; false if not installed. */
static inline bool rbus_load(void)
{
	return run("modprobe rbus_ctrl && modprobe rbus_demo") == 0;
}

#endif /* RBUS_LIB_H */
