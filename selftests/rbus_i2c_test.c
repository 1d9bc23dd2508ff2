// SPDX-License-Identifier: GPL-2.0
/*
 * The tunnelled I2C: the rbus,i2c child of the second ACPI controller is an
 * I2C adapter (rbus_i2c) whose transfers travel over the bus to the
 * simulated segment behind it, an EEPROM at 0x50 and a temperature sensor
 * at 0x48. Unmodified at24 and lm75 bind from the SSDT; i2c-dev and
 * busybox's i2c tools work through it; removal under traffic is clean.
 *
 * RBUS_I2C_CYCLES, or else RBUS_STRESS_CYCLES, sets the number of removal
 * cycles (default 50); each takes 1.5-2 s under TCG.
 */

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>

#include "kselftest_harness.h"
#include "rbus_lib.h"

/* The controller with the tunnel child, and the child's address on it. */
#define I2C_CTRL_DIR	"/sys/bus/platform/devices/PRP0001:01"
#define TUNNEL_ADDR	0x60
#define EEPROM_ADDR	0x50
#define SENSOR_ADDR	0x48
#define EEPROM_SIZE	256
#define DEFAULT_CYCLES	50

/* The tunnel child's device name, "<nr>-0060"; false without a host. */
static bool tunnel_name(char *name, size_t size)
{
	int nr = bus_nr_of(I2C_CTRL_DIR);

	if (nr < 0)
		return false;
	snprintf(name, size, "%d-%04x", nr, TUNNEL_ADDR);
	return true;
}

/* The number of the adapter registered for the tunnel child, or -1. */
static int adapter_nr(void)
{
	char name[32], path[PATH_MAX];
	struct dirent *de;
	int nr = -1;
	DIR *dir;

	if (!tunnel_name(name, sizeof(name)))
		return -1;
	snprintf(path, sizeof(path), RBUS_DEVICES "/%s", name);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		unsigned int n;
		char end;

		if (sscanf(de->d_name, "i2c-%u%c", &n, &end) == 1) {
			nr = n;
			break;
		}
	}
	closedir(dir);
	return nr;
}

/* Polls up to ms milliseconds for the adapter; its number or -1. */
static int wait_adapter(int ms)
{
	for (; ms > 0; ms -= 10) {
		int nr = adapter_nr();

		if (nr >= 0)
			return nr;
		usleep(10000);
	}
	return adapter_nr();
}

/*
 * The sysfs directory of the client of adapter nr bound to driver, in dir;
 * false when there is none.
 */
static bool client_of(int nr, const char *driver, char *dir, size_t size)
{
	char path[PATH_MAX], drv[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/i2c/devices/i2c-%d", nr);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char link[PATH_MAX + 300];
		const char *slash;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s/driver", path, de->d_name);
		n = readlink(link, drv, sizeof(drv) - 1);
		if (n < 0)
			continue;
		drv[n] = '\0';
		slash = strrchr(drv, '/');
		if (!strcmp(slash ? slash + 1 : drv, driver)) {
			found = snprintf(dir, size, "%s/%s", path, de->d_name) < (int)size;
		}
	}
	closedir(d);
	return found;
}

/* Polls up to 10 s for a client of adapter nr bound to driver. */
static bool wait_client(int nr, const char *driver, char *dir, size_t size)
{
	for (int i = 0; i < 1000; i++) {
		if (client_of(nr, driver, dir, size))
			return true;
		usleep(10000);
	}
	return false;
}

/* Runs cmd and reads its standard output into out; its exit status. */
static int capture(char *out, size_t size, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	size_t len = 0;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < size) {
		size_t n = fread(out + len, 1, size - 1 - len, p);

		if (!n)
			break;
		len += n;
	}
	out[len] = '\0';
	return pclose(p);
}

/* One I2C_RDWR transaction on an open /dev/i2c-N: 0 or -errno. */
static int rdwr(int fd, struct i2c_msg *msgs, unsigned int n)
{
	struct i2c_rdwr_ioctl_data data = { .msgs = msgs, .nmsgs = n };

	return ioctl(fd, I2C_RDWR, &data) < 0 ? -errno : 0;
}

/* Writes `len` bytes at `off` of the EEPROM through I2C_RDWR, one page at a time. */
static int eeprom_write(int fd, unsigned int off, const unsigned char *buf, size_t len)
{
	while (len) {
		unsigned char tx[9];
		size_t chunk = 8 - (off % 8);
		struct i2c_msg msg = { .addr = EEPROM_ADDR, .buf = tx };
		int ret;

		if (chunk > len)
			chunk = len;
		tx[0] = off;
		memcpy(tx + 1, buf, chunk);
		msg.len = chunk + 1;
		ret = rdwr(fd, &msg, 1);
		if (ret)
			return ret;
		off += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* Reads `len` bytes at `off` of the EEPROM through I2C_RDWR, with a repeated start. */
static int eeprom_read(int fd, unsigned int off, unsigned char *buf, size_t len)
{
	unsigned char ptr = off;
	struct i2c_msg msgs[2] = {
		{ .addr = EEPROM_ADDR, .len = 1, .buf = &ptr },
		{ .addr = EEPROM_ADDR, .flags = I2C_M_RD, .len = len, .buf = buf },
	};

	return rdwr(fd, msgs, 2);
}

FIXTURE(i2c) {
	int nr;
	int fd;
	char dev[32];
	char eeprom[PATH_MAX];
	char sensor[PATH_MAX];
	char temperature[PATH_MAX];
};

FIXTURE_SETUP(i2c)
{
	char name[32];

	self->fd = -1;
	if (run("modprobe rbus_ctrl && modprobe rbus_i2c"))
		SKIP(return, "rbus modules not installed");
	ASSERT_TRUE(tunnel_name(name, sizeof(name))) TH_LOG("no host under " I2C_CTRL_DIR);
	self->nr = wait_adapter(10000);
	ASSERT_LE(0, self->nr) TH_LOG("no adapter under %s", name);
	snprintf(self->dev, sizeof(self->dev), "/dev/i2c-%d", self->nr);
	ASSERT_TRUE(wait_for(self->dev, true, 10000));
	self->fd = open(self->dev, O_RDWR);
	ASSERT_LE(0, self->fd);

	ASSERT_TRUE(wait_client(self->nr, "at24", self->eeprom, sizeof(self->eeprom)));
	strcat(self->eeprom, "/eeprom");
	ASSERT_TRUE(wait_client(self->nr, "lm75", self->sensor, sizeof(self->sensor)));
	snprintf(self->temperature, sizeof(self->temperature),
		 "/sys/kernel/debug/rbus%d/temperature", bus_nr_of(I2C_CTRL_DIR));
}

FIXTURE_TEARDOWN(i2c)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(i2c, adapter_names_its_child)
{
	char path[PATH_MAX], buf[128], name[32];

	ASSERT_TRUE(tunnel_name(name, sizeof(name)));
	snprintf(path, sizeof(path), "/sys/bus/i2c/devices/i2c-%d/name", self->nr);
	ASSERT_EQ(0, read_str(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, name)) TH_LOG("adapter name '%s'", buf);
	/* Its parent is the rbus child. */
	EXPECT_TRUE(exists(RBUS_DEVICES "/%s/i2c-%d", name, self->nr));
}

/* The addresses i2cdetect shows in a row, as "48" or, bound to a driver, "UU". */
static int detected(const char *out, bool *found)
{
	const char *line = out;
	int n = 0;

	memset(found, 0, 128 * sizeof(*found));
	while ((line = strchr(line, '\n'))) {
		unsigned int row;
		const char *cell;

		line++;
		if (sscanf(line, "%x:", &row) != 1 || row > 0x70 || row % 16)
			continue;
		cell = strchr(line, ':') + 1;
		for (int col = 0; col < 16 && *cell && *cell != '\n'; col++, cell += 3) {
			if (cell[1] == '-' || cell[1] == ' ')
				continue;
			if (!strncmp(cell + 1, "UU", 2) || isxdigit(cell[1])) {
				found[row + col] = true;
				n++;
			}
		}
	}
	return n;
}

TEST_F(i2c, detect_shows_exactly_the_two_devices)
{
	static char out[4096];
	char unbind[PATH_MAX], name[PATH_MAX];
	bool found[128];

	/* Bound to at24 and lm75, the two addresses show as busy. */
	ASSERT_EQ(0, capture(out, sizeof(out), "i2cdetect -y %d", self->nr));
	EXPECT_EQ(2, detected(out, found)) TH_LOG("%s", out);
	EXPECT_TRUE(found[EEPROM_ADDR]);
	EXPECT_TRUE(found[SENSOR_ADDR]);

	/* Unbound, i2cdetect probes them and every other address NACKs. */
	strcpy(name, strrchr(self->sensor, '/') + 1);
	snprintf(unbind, sizeof(unbind), "/sys/bus/i2c/drivers/lm75/unbind");
	ASSERT_EQ(0, write_str(unbind, name));
	ASSERT_EQ(0, capture(out, sizeof(out), "i2cdetect -y %d", self->nr));
	EXPECT_EQ(2, detected(out, found)) TH_LOG("%s", out);
	EXPECT_TRUE(found[EEPROM_ADDR]);
	EXPECT_TRUE(found[SENSOR_ADDR]);
	EXPECT_NE(NULL, strstr(out, "40: -- -- -- -- -- -- -- -- 48 ")) TH_LOG("%s", out);
	ASSERT_EQ(0, write_str("/sys/bus/i2c/drivers/lm75/bind", name));
}

TEST_F(i2c, eeprom_file_round_trip_across_pages)
{
	unsigned char want[EEPROM_SIZE], got[EEPROM_SIZE];
	unsigned int seed = time(NULL);
	size_t off = 0;
	int fd;

	TH_LOG("seed %u", seed);
	srand(seed);
	for (int i = 0; i < EEPROM_SIZE; i++)
		want[i] = rand();

	fd = open(self->eeprom, O_RDWR);
	ASSERT_LE(0, fd);
	/* Chunks of 1 to 37 bytes at running offsets: most cross a page. */
	while (off < EEPROM_SIZE) {
		size_t len = 1 + rand() % 37;

		if (len > EEPROM_SIZE - off)
			len = EEPROM_SIZE - off;
		ASSERT_EQ((ssize_t)len, pwrite(fd, want + off, len, off));
		off += len;
	}
	ASSERT_EQ(EEPROM_SIZE, pread(fd, got, sizeof(got), 0));
	close(fd);
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));

	/* i2c-dev sees the same memory. */
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, eeprom_read(self->fd, 0, got, 128));
	ASSERT_EQ(0, eeprom_read(self->fd, 128, got + 128, 128));
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));
}

TEST_F(i2c, page_write_wraps_within_its_page)
{
	unsigned char tx[9] = { 0x1c, 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char want[8] = { 5, 6, 7, 8, 1, 2, 3, 4 }, got[8];
	struct i2c_msg msg = { .addr = EEPROM_ADDR, .len = sizeof(tx), .buf = tx };
	unsigned char wr[3] = { 0x18, 0xee, 0xee }, byte;
	struct i2c_msg rs[2] = {
		{ .addr = EEPROM_ADDR, .len = sizeof(wr), .buf = wr },
		{ .addr = EEPROM_ADDR, .flags = I2C_M_RD, .len = 1, .buf = &byte },
	};

	/* Eight bytes from 0x1c fill 0x1c-0x1f, then wrap to 0x18. */
	ASSERT_EQ(0, rdwr(self->fd, &msg, 1));
	ASSERT_EQ(0, eeprom_read(self->fd, 0x18, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));

	/* Before a repeated start, bytes after the pointer are discarded: no STOP, no write. */
	ASSERT_EQ(0, rdwr(self->fd, rs, 2));
	EXPECT_EQ(want[0], byte);
	ASSERT_EQ(0, eeprom_read(self->fd, 0x18, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));
}

TEST_F(i2c, i2ctransfer_and_i2cdump_agree)
{
	unsigned char mem[EEPROM_SIZE], pattern[16];
	static char out[8192];
	const char *line;
	int rows = 0;

	for (int i = 0; i < 16; i++)
		pattern[i] = 0xa0 + i;
	ASSERT_EQ(0, eeprom_write(self->fd, 0x40, pattern, sizeof(pattern)));

	/* A write of the pointer, then a read with a repeated start. */
	ASSERT_EQ(0, capture(out, sizeof(out), "i2ctransfer -f -y %d w1@0x%x 0x40 r16",
			     self->nr, EEPROM_ADDR));
	EXPECT_NE(NULL, strstr(out, "0xa0 0xa1 0xa2 0xa3 0xa4 0xa5 0xa6 0xa7 "
				    "0xa8 0xa9 0xaa 0xab 0xac 0xad 0xae 0xaf")) TH_LOG("%s", out);

	/* i2cdump's rows match the memory as I2C_RDWR reads it. */
	ASSERT_EQ(0, eeprom_read(self->fd, 0, mem, 128));
	ASSERT_EQ(0, eeprom_read(self->fd, 128, mem + 128, 128));
	ASSERT_EQ(0, capture(out, sizeof(out), "i2cdump -f -y %d 0x%x b", self->nr, EEPROM_ADDR));
	for (line = out; (line = strchr(line, '\n')); ) {
		unsigned int row, b[16];

		line++;
		if (sscanf(line, "%x: %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x", &row,
			   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7], &b[8],
			   &b[9], &b[10], &b[11], &b[12], &b[13], &b[14], &b[15]) != 17)
			continue;
		ASSERT_GT(EEPROM_SIZE, (int)row);
		for (int i = 0; i < 16; i++) {
			EXPECT_EQ(mem[row + i], b[i]) TH_LOG("byte 0x%02x", row + i);
		}
		rows++;
	}
	EXPECT_EQ(16, rows) TH_LOG("%s", out);
}

/* The number of the hwmon device of the client at sysfs dir, or -1. */
static int hwmon_of(const char *dir)
{
	char path[PATH_MAX + 8];
	struct dirent *de;
	int nr = -1;
	DIR *d;

	snprintf(path, sizeof(path), "%s/hwmon", dir);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "hwmon%d", &nr) == 1)
			break;
	closedir(d);
	return nr;
}

TEST_F(i2c, sensor_reports_the_set_temperature)
{
	static const int temps[] = { 25000, -12500, 100500, 0 };
	char path[PATH_MAX], line[64], name[32];
	int nr;

	nr = hwmon_of(self->sensor);
	ASSERT_LE(0, nr);
	ASSERT_GT((int)sizeof(path), snprintf(path, sizeof(path), "%s/hwmon/hwmon%d/temp1_input",
					       self->sensor, nr));
	ASSERT_TRUE(tunnel_name(name, sizeof(name)));
	for (unsigned int i = 0; i < sizeof(temps) / sizeof(temps[0]); i++) {
		snprintf(line, sizeof(line), "0x%x %d", TUNNEL_ADDR, temps[i]);
		ASSERT_EQ(0, write_str(self->temperature, line));
		EXPECT_EQ(temps[i], atoi((read_str(path, line, sizeof(line)), line)))
			TH_LOG("set %d, read %s", temps[i], line);
	}
	/* Out of the part's range, and no such child. */
	snprintf(line, sizeof(line), "0x%x 130000", TUNNEL_ADDR);
	EXPECT_EQ(-EINVAL, write_str(self->temperature, line));
	snprintf(line, sizeof(line), "0x%x 20000", TUNNEL_ADDR + 1);
	EXPECT_EQ(-ENOENT, write_str(self->temperature, line));
}

TEST_F(i2c, errors_are_the_documented_ones)
{
	static unsigned char big[300];
	unsigned char byte;
	struct i2c_msg msg = { .addr = 0x33, .flags = I2C_M_RD, .len = 1, .buf = &byte };

	/* Nobody at 0x33: a NACK. */
	EXPECT_EQ(-ENXIO, rdwr(self->fd, &msg, 1));
	/* Over the adapter's quirks: the I2C core refuses, nothing is split. */
	msg.addr = EEPROM_ADDR;
	msg.flags = 0;
	msg.len = sizeof(big);
	msg.buf = big;
	EXPECT_EQ(-EOPNOTSUPP, rdwr(self->fd, &msg, 1));
	msg.flags = I2C_M_RD;
	EXPECT_EQ(-EOPNOTSUPP, rdwr(self->fd, &msg, 1));
	/* The bus still works. */
	EXPECT_EQ(0, eeprom_read(self->fd, 0, &byte, 1));
}

TEST_F(i2c, transfer_resumes_a_suspended_child_and_controller)
{
	char host[PATH_MAX], child[PATH_MAX], name[32], path[PATH_MAX + 32];
	unsigned char buf[4];

	ASSERT_TRUE(tunnel_name(name, sizeof(name)));
	snprintf(host, sizeof(host), I2C_CTRL_DIR "/rbus%d", bus_nr_of(I2C_CTRL_DIR));
	snprintf(child, sizeof(child), RBUS_DEVICES "/%s", name);

	snprintf(path, sizeof(path), "%s/power/control", child);
	ASSERT_EQ(0, write_str(path, "auto"));
	snprintf(path, sizeof(path), "%s/power/control", host);
	ASSERT_EQ(0, write_str(path, "auto"));
	EXPECT_TRUE(wait_runtime_status_of(child, "suspended"));
	EXPECT_TRUE(wait_runtime_status_of(host, "suspended"));

	EXPECT_EQ(0, eeprom_read(self->fd, 0, buf, sizeof(buf)));

	snprintf(path, sizeof(path), "%s/power/control", host);
	EXPECT_EQ(0, write_str(path, "on"));
	snprintf(path, sizeof(path), "%s/power/control", child);
	EXPECT_EQ(0, write_str(path, "on"));
}

TEST_F(i2c, adapter_new_and_delete_device)
{
	char path[PATH_MAX];

	/* A client by hand: nobody answers at 0x51, so at24 does not bind, but it is there. */
	snprintf(path, sizeof(path), "/sys/bus/i2c/devices/i2c-%d/new_device", self->nr);
	ASSERT_EQ(0, write_str(path, "24c02 0x51"));
	EXPECT_TRUE(exists("/sys/bus/i2c/devices/%d-0051", self->nr));
	EXPECT_EQ(-EBUSY, write_str(path, "24c02 0x51"));
	snprintf(path, sizeof(path), "/sys/bus/i2c/devices/i2c-%d/delete_device", self->nr);
	ASSERT_EQ(0, write_str(path, "0x51"));
	EXPECT_FALSE(exists("/sys/bus/i2c/devices/%d-0051", self->nr));
	EXPECT_EQ(-ENOENT, write_str(path, "0x51"));
}

static atomic_bool stop;
static atomic_int reads_ok, reads_failed;

/* Reads the EEPROM file in a loop; errors are expected while it goes away. */
static void *read_loop(void *arg)
{
	const char *eeprom = arg;
	unsigned char buf[64];

	while (!atomic_load(&stop)) {
		int fd = open(eeprom, O_RDONLY);

		if (fd < 0) {
			atomic_fetch_add(&reads_failed, 1);
			usleep(1000);
			continue;
		}
		if (pread(fd, buf, sizeof(buf), 0) == sizeof(buf))
			atomic_fetch_add(&reads_ok, 1);
		else
			atomic_fetch_add(&reads_failed, 1);
		close(fd);
	}
	return NULL;
}

/* A removal that runs in its own thread: i2c_del_adapter() waits for the i2c-dev files. */
struct removal {
	const char *file;
	char line[64];
	int ret;
};

static void *remove_thread(void *arg)
{
	struct removal *r = arg;

	r->ret = write_str(r->file, r->line);
	return NULL;
}

/* Polls up to 10 s for adapter nr to leave sysfs. */
static bool wait_adapter_gone(int nr)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/bus/i2c/devices/i2c-%d", nr);
	return wait_for(path, false, 10000);
}

/*
 * The three ways the adapter goes: delete_device of the tunnel child (added
 * back by new_device, with at24 then added through the adapter's own
 * new_device, as the new child has no firmware node), unbind of rbus_i2c,
 * and rmmod rbus_i2c. Each with /dev/i2c-N held open, at24 bound and a
 * reader looping on the EEPROM file.
 *
 * i2c_del_adapter() waits for the last reference to the adapter, which an
 * open /dev/i2c-N holds: the removal finishes at its close. Meanwhile the
 * adapter is gone from sysfs, but the child is not, and a transfer on the
 * open file may still reach it. An open /dev/i2c-N also holds rbus_i2c, so
 * rmmod fails until it is closed.
 */
TEST_F_TIMEOUT(i2c, removal_under_traffic, 7200)
{
	const char *env = getenv("RBUS_I2C_CYCLES") ?: getenv("RBUS_STRESS_CYCLES");
	int cycles = env ? atoi(env) : DEFAULT_CYCLES;
	char name[32], line[64], eeprom[PATH_MAX];
	bool firmware = true;
	unsigned char byte;
	int nr;

	ASSERT_LT(0, cycles);
	/* The fixture's open /dev/i2c-N would hold every removal. */
	close(self->fd);
	self->fd = -1;
	atomic_store(&reads_ok, 0);
	atomic_store(&reads_failed, 0);
	for (int i = 0; i < cycles; i++) {
		struct removal r = { .ret = -EINPROGRESS };
		int how = i % 3, fd, ret;
		pthread_t reader, remover;

		nr = wait_adapter(10000);
		ASSERT_LE(0, nr) TH_LOG("cycle %d: no adapter", i);
		if (!firmware) {
			/* The child new_device added has no firmware node: add at24 by hand. */
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "/sys/bus/i2c/devices/i2c-%d/new_device", nr);
			ASSERT_EQ(0, write_str(path, "24c02 0x50"));
		}
		ASSERT_TRUE(wait_client(nr, "at24", eeprom, sizeof(eeprom))) TH_LOG("cycle %d", i);
		strcat(eeprom, "/eeprom");
		snprintf(line, sizeof(line), "/dev/i2c-%d", nr);
		ASSERT_TRUE(wait_for(line, true, 10000));
		fd = open(line, O_RDWR);
		ASSERT_LE(0, fd);

		atomic_store(&stop, false);
		ASSERT_EQ(0, pthread_create(&reader, NULL, read_loop, eeprom));
		usleep(20000);

		ASSERT_TRUE(tunnel_name(name, sizeof(name)));
		if (how == 2) {
			/* Not reloaded behind the test's back by a late autoload. */
			settle_autoload();
			/* The open file holds the module. */
			EXPECT_NE(0, run("rmmod rbus_i2c 2>/dev/null"));
			EXPECT_EQ(0, eeprom_read(fd, 0, &byte, 1));
			close(fd);
			/* mdev may still load it for an older child's add uevent: keep it out. */
			EXPECT_EQ(0, rmmod_settled("rbus_i2c"));
			EXPECT_TRUE(wait_adapter_gone(nr)) TH_LOG("cycle %d", i);
		} else {
			if (how == 0) {
				r.file = host_file(I2C_CTRL_DIR, "delete_device");
				snprintf(r.line, sizeof(r.line), "0x%x", TUNNEL_ADDR);
			} else {
				r.file = RBUS_DRIVERS "/rbus_i2c/unbind";
				snprintf(r.line, sizeof(r.line), "%s", name);
			}
			ASSERT_EQ(0, pthread_create(&remover, NULL, remove_thread, &r));
			EXPECT_TRUE(wait_adapter_gone(nr)) TH_LOG("cycle %d", i);
			/* The child is still there until the file goes, which it may reach. */
			ret = eeprom_read(fd, 0, &byte, 1);
			EXPECT_TRUE(ret == 0 || ret == -ENODEV) TH_LOG("cycle %d: %d", i, ret);
			close(fd);
			pthread_join(remover, NULL);
			EXPECT_EQ(0, r.ret) TH_LOG("cycle %d: %s", i, strerror(-r.ret));
		}
		atomic_store(&stop, true);
		pthread_join(reader, NULL);

		switch (how) {
		case 0:
			snprintf(line, sizeof(line), "0x%x rbus,i2c", TUNNEL_ADDR);
			ASSERT_EQ(0, write_str(host_file(I2C_CTRL_DIR, "new_device"), line));
			firmware = false;
			break;
		case 1:
			ASSERT_EQ(0, write_str(RBUS_DRIVERS "/rbus_i2c/bind", name));
			break;
		case 2:
			ASSERT_EQ(0, run("modprobe rbus_i2c"));
			break;
		}
	}
	TH_LOG("%d cycles: %d reads done, %d failed", cycles, atomic_load(&reads_ok),
	       atomic_load(&reads_failed));
	EXPECT_LT(0, atomic_load(&reads_ok));

	/* The bus keeps working; a controller rebind brings the firmware child back. */
	ASSERT_EQ(0, write_str(PLAT_DRIVER "/unbind", "PRP0001:01"));
	ASSERT_EQ(0, write_str(PLAT_DRIVER "/bind", "PRP0001:01"));
	nr = wait_adapter(10000);
	ASSERT_LE(0, nr);
	EXPECT_TRUE(wait_client(nr, "at24", eeprom, sizeof(eeprom)));
	EXPECT_TRUE(wait_client(nr, "lm75", eeprom, sizeof(eeprom)));
}

TEST_HARNESS_MAIN
