/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rbus: the asynchronous request channel of a child device.
 *
 * Binding the generic user-mode driver "rbus_dev" to a child creates
 * /dev/rbus-<bus>-<addr>. Each open file is a channel of its own:
 *
 * - RBUS_IOC_SUBMIT queues a batch of requests and returns at once;
 * - read() returns one struct rbus_record per completed request, and one per
 *   device event, blocking unless O_NONBLOCK;
 * - poll() reports EPOLLIN when a record is ready, EPOLLOUT when the
 *   device's queue has room, and EPOLLHUP once the device is gone;
 * - RBUS_IOC_CANCEL cancels one request: it completes with -ECANCELED;
 * - close() cancels the file's pending requests.
 *
 * Every submitted request yields exactly one record. Once the device is
 * removed (or the driver unbound), pending requests complete with -ENODEV,
 * read() returns the records left and then fails with ENODEV, and every
 * other call fails with ENODEV.
 *
 * The structs have a fixed layout. They grow only at their end: the kernel
 * takes a larger struct if the part it does not know is zero (E2BIG if not),
 * and a smaller one that holds at least the first version. A struct may grow
 * up to a page (4096 bytes), as clone3()'s and openat2()'s may.
 */
#ifndef _UAPI_LINUX_RBUS_H
#define _UAPI_LINUX_RBUS_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: errnos
 *
 * The calls of a channel fail with:
 *
 * - %ENOTTY: an unknown command (another type, number or direction), at
 *   any size;
 * - %EINVAL: a struct smaller than its first version, a @req_size below
 *   sizeof(struct rbus_req), a batch of 0 or more than %RBUS_SUBMIT_MAX, a
 *   bad field or a non-zero reserved one (nothing of the batch is queued),
 *   a read() with room for no record;
 * - %E2BIG: a struct or request of up to a page whose bytes beyond this
 *   version's are not zero, and any struct (the size in the command) or
 *   @req_size above a page, whatever it holds;
 * - %EFAULT: a bad user pointer; a record that cannot be copied out stays
 *   first;
 * - %EAGAIN: with O_NONBLOCK, a full queue or no record to read;
 * - %ENOENT, %EALREADY: a cancel of a request this file has not pending or
 *   unread, or that completed first;
 * - %ENODEV: the device is gone or its driver unbound (read() first
 *   returns the records left).
 */

/* The version of this interface, reported by RBUS_IOC_INFO. */
#define RBUS_UAPI_VERSION	1

/* The most bytes a request writes or reads. */
#define RBUS_DATA_MAX		64
/*
 * The most requests one RBUS_IOC_SUBMIT takes: as many as a device's queue
 * holds (struct rbus_info's @queue_depth), so one call can fill it. It was
 * 64 before; RBUS_IOC_INFO reports it as @submit_max.
 */
#define RBUS_SUBMIT_MAX		256

/* Request operations. */
/* Write tx, then read rx_len bytes back: the I2C-style transfer. */
#define RBUS_OP_TRANSFER	1

/**
 * struct rbus_req - one request of a batch
 * @id: the caller's cookie, returned in the request's record
 * @op: %RBUS_OP_TRANSFER
 * @flags: must be zero
 * @tx_len: bytes of @tx to write, at most %RBUS_DATA_MAX
 * @rx_len: bytes to read back, at most %RBUS_DATA_MAX
 * @tx: the bytes to write
 */
struct rbus_req {
	__u64 id;
	__u32 op;
	__u32 flags;
	__u32 tx_len;
	__u32 rx_len;
	__u8 tx[RBUS_DATA_MAX];
};

/**
 * struct rbus_submit - argument of RBUS_IOC_SUBMIT
 * @reqs: user pointer to an array of @count requests, @req_size bytes apart
 * @count: 1 to %RBUS_SUBMIT_MAX
 * @req_size: sizeof(struct rbus_req) as the caller was built
 * @reserved: must be zero
 *
 * Every request is checked before any is queued. When the device's queue
 * is full, a blocking file waits for room and an O_NONBLOCK one queues what
 * fits: the ioctl returns the number queued, or fails with EAGAIN if none.
 */
struct rbus_submit {
	__u64 reqs;
	__u32 count;
	__u32 req_size;
	__u64 reserved;
};

/**
 * struct rbus_cancel - argument of RBUS_IOC_CANCEL
 * @id: the id of a request this file submitted
 * @reserved: must be zero
 *
 * Returns 0 when the request was cancelled: its record carries -ECANCELED.
 * Fails with EALREADY when it had completed already (its record is delivered
 * as it is), and ENOENT when this file has no such request.
 */
struct rbus_cancel {
	__u64 id;
	__u64 reserved;
};

/**
 * struct rbus_info - result of RBUS_IOC_INFO
 * @version: %RBUS_UAPI_VERSION
 * @bus: the controller's bus number
 * @addr: the child's address on it
 * @queue_depth: the most requests the device holds at once
 * @submit_max: %RBUS_SUBMIT_MAX
 * @data_max: %RBUS_DATA_MAX
 * @record_size: sizeof(struct rbus_record) as the kernel was built
 * @reserved: zero
 * @compatible: the child's compatible string, NUL-terminated
 */
struct rbus_info {
	__u32 version;
	__u32 bus;
	__u32 addr;
	__u32 queue_depth;
	__u32 submit_max;
	__u32 data_max;
	__u32 record_size;
	__u32 reserved;
	char compatible[64];
};

/* Record types. */
#define RBUS_RECORD_COMPLETION	1	/* a request completed */
#define RBUS_RECORD_EVENT	2	/* the device raised an event */

/**
 * struct rbus_record - what read() returns, one per completion or event
 * @id: the request's id; for an event, its sequence number
 * @type: %RBUS_RECORD_COMPLETION or %RBUS_RECORD_EVENT
 * @status: 0 or a negative errno: -ECANCELED, -ENODEV, -EIO...
 * @len: bytes of @data read back
 * @kind: the event kind; zero for a completion
 * @payload: the event payload; zero for a completion
 * @data: the bytes read back
 *
 * read() needs room for at least one record and returns whole records only.
 */
struct rbus_record {
	__u64 id;
	__u32 type;
	__s32 status;
	__u32 len;
	__u32 kind;
	__u64 payload;
	__u8 data[RBUS_DATA_MAX];
};

#define RBUS_IOC_MAGIC		0xB9

#define RBUS_IOC_INFO		_IOR(RBUS_IOC_MAGIC, 0x00, struct rbus_info)
#define RBUS_IOC_SUBMIT		_IOW(RBUS_IOC_MAGIC, 0x01, struct rbus_submit)
#define RBUS_IOC_CANCEL		_IOW(RBUS_IOC_MAGIC, 0x02, struct rbus_cancel)

#endif /* _UAPI_LINUX_RBUS_H */
