/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the request-channel kselftests: a child bound to rbus_dev, its
 * char device, requests, records and the queue counters.
 */
#ifndef RBUS_CHANNEL_LIB_H
#define RBUS_CHANNEL_LIB_H

#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/rbus.h>

#include "rbus_lib.h"

/* The UAPI layout, asserted with the same numbers in rust/rbus/uapi.rs. */
_Static_assert(sizeof(struct rbus_req) == 88, "rbus_req");
_Static_assert(offsetof(struct rbus_req, tx) == 24, "rbus_req.tx");
_Static_assert(sizeof(struct rbus_submit) == 24, "rbus_submit");
_Static_assert(offsetof(struct rbus_submit, reserved) == 16, "rbus_submit.reserved");
_Static_assert(sizeof(struct rbus_cancel) == 16, "rbus_cancel");
_Static_assert(sizeof(struct rbus_info) == 96, "rbus_info");
_Static_assert(offsetof(struct rbus_info, compatible) == 32, "rbus_info.compatible");
_Static_assert(sizeof(struct rbus_record) == 96, "rbus_record");
_Static_assert(offsetof(struct rbus_record, payload) == 24, "rbus_record.payload");
_Static_assert(offsetof(struct rbus_record, data) == 32, "rbus_record.data");

#define NEW_DEVICE	host_file(ACPI_CTRL_DIR, "new_device")
#define DELETE_DEVICE	host_file(ACPI_CTRL_DIR, "delete_device")

/* The child at addr on bus nr: its device name, char device and debugfs files. */
struct channel {
	int nr;
	unsigned int addr;
	char name[32];
	char node[PATH_MAX];
	char requests[PATH_MAX];
	char raise[PATH_MAX];
};

static inline void channel_init(struct channel *ch, int nr, unsigned int addr)
{
	ch->nr = nr;
	ch->addr = addr;
	snprintf(ch->name, sizeof(ch->name), "%d-%04x", nr, addr);
	snprintf(ch->node, sizeof(ch->node), "/dev/rbus-%d-%04x", nr, addr);
	snprintf(ch->requests, sizeof(ch->requests), "/sys/kernel/debug/rbus%d/requests", nr);
	snprintf(ch->raise, sizeof(ch->raise), "/sys/kernel/debug/rbus%d/raise", nr);
}

/* Adds the child as "rbus,user" and waits for its char device; 0 or -errno. */
static inline int channel_add(const struct channel *ch)
{
	char line[64];
	int ret;

	snprintf(line, sizeof(line), "%#x rbus,user", ch->addr);
	ret = write_str(NEW_DEVICE, line);
	if (ret)
		return ret;
	return wait_for(ch->node, true, 10000) ? 0 : -ETIMEDOUT;
}

static inline int channel_delete(const struct channel *ch)
{
	char line[16];

	snprintf(line, sizeof(line), "%#x", ch->addr);
	return write_str(DELETE_DEVICE, line);
}

/* Sets the simulated request latency and fault errno of the child. */
static inline int channel_sim(const struct channel *ch, unsigned int latency_us,
			      unsigned int fault)
{
	char line[64];

	snprintf(line, sizeof(line), "%#x %u %u", ch->addr, latency_us, fault);
	return write_str(ch->requests, line);
}

static inline unsigned long long channel_counter(const struct channel *ch, const char *name)
{
	return counter(ch->name, name);
}

/* submitted = completed + cancelled + failed + in flight */
static inline bool channel_balanced(const struct channel *ch)
{
	return channel_counter(ch, "requests_submitted") ==
	       channel_counter(ch, "requests_completed") +
	       channel_counter(ch, "requests_cancelled") +
	       channel_counter(ch, "requests_failed") +
	       channel_counter(ch, "requests_in_flight");
}

/* A transfer of tx_len bytes 1, 2, 3... that reads rx_len bytes back. */
static inline struct rbus_req make_req(__u64 id, __u32 tx_len, __u32 rx_len)
{
	struct rbus_req req = { .id = id, .op = RBUS_OP_TRANSFER,
				.tx_len = tx_len, .rx_len = rx_len };

	for (__u32 i = 0; i < tx_len && i < RBUS_DATA_MAX; i++)
		req.tx[i] = i + 1;
	return req;
}

/* RBUS_IOC_SUBMIT; the number queued, or -errno. */
static inline int submit_reqs(int fd, const struct rbus_req *reqs, __u32 count)
{
	struct rbus_submit s = {
		.reqs = (__u64)(unsigned long)reqs,
		.count = count,
		.req_size = sizeof(*reqs),
	};
	int ret = ioctl(fd, RBUS_IOC_SUBMIT, &s);

	return ret < 0 ? -errno : ret;
}

static inline int submit_one(int fd, __u64 id)
{
	struct rbus_req req = make_req(id, 4, 8);

	return submit_reqs(fd, &req, 1);
}

static inline int cancel_req(int fd, __u64 id)
{
	struct rbus_cancel c = { .id = id };

	return ioctl(fd, RBUS_IOC_CANCEL, &c) < 0 ? -errno : 0;
}

/* Reads one record; 0 or -errno. */
static inline int read_rec(int fd, struct rbus_record *rec)
{
	ssize_t n = read(fd, rec, sizeof(*rec));

	if (n < 0)
		return -errno;
	return n == sizeof(*rec) ? 0 : -EIO;
}

/* Waits up to ms for events on fd; the revents, or 0 on timeout. */
static inline short poll_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

/* Whether rec answers make_req(): the bytes written, inverted and repeated. */
static inline bool answer_ok(const struct rbus_record *rec, __u32 tx_len, __u32 rx_len)
{
	if (rec->type != RBUS_RECORD_COMPLETION || rec->status || rec->len != rx_len)
		return false;
	for (__u32 i = 0; i < rx_len; i++)
		if (rec->data[i] != (__u8)~((i % tx_len) + 1))
			return false;
	return true;
}

#endif /* RBUS_CHANNEL_LIB_H */
