// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded structured fuzzer of the request channel and the host's control
 * files, judged against the README's contract.
 *
 * It drives a child bound to rbus_dev (its char device: ioctl, read, poll,
 * write, open and close), the host's new_device and delete_device files, and
 * the simulated device's debugfs files, with a mix of valid and invalid
 * calls: ioctl numbers near rbus's with random sizes, contents and pointers
 * (NULL, unmapped, read-only, straddling a guard page, kernel, misaligned),
 * random read() sizes and batch contents, and control lines built from
 * their grammar and then mutated.
 *
 * sequential: one thread, and a model of the whole contract: every call's
 * result is predicted. Where the contract names one errno for a call it
 * must be that one; where several checks fail at once any of their errnos
 * is right (the contract gives no order). Every record read() returns is
 * the one predicted, in order; the sysfs counters match the model every
 * 1,000 calls and at the end. The simulated latency is either zero
 * (completed inside the submit) or the longest, 10 s, which no request
 * waits out: the fuzzer cancels one that is 1,000 calls old. So nothing
 * depends on time, and the same seed replays the same calls with the same
 * results; the digests printed at the end say so. The child is removed and
 * re-added, and rbus_dev unbound and bound, as calls of the sequence.
 *
 * concurrent_removal: the same calls while a second thread deletes and
 * re-adds the child, or unbinds and rebinds rbus_dev, every few
 * milliseconds, with latencies up to 5 ms. Any call may now meet a dead
 * device, so ENODEV is always allowed, and the checks are those that hold
 * whatever the interleaving: errnos in the documented sets, each request
 * yields exactly one record on its file (a cancel that returned 0 yields
 * -ECANCELED), none is lost once read() says ENODEV, and the last child's
 * counters balance. Its sequence of calls comes from the seed, but what
 * the device answers depends on the interleaving, so it does not replay.
 *
 * RBUS_FUZZ_SEED sets the seed (printed either way), RBUS_FUZZ_OPS the
 * number of calls of both tests together (default 50,000, four fifths
 * sequential).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "kselftest_harness.h"
#include "rbus_channel_lib.h"

#define ADDR		0x42		/* the channel's child */
#define CTL_BASE	0x380		/* children the control lines may add */
#define CTL_N		16
#define SLOTS		4		/* open files at most */
#define DEPTH		256		/* the queue depth */
#define FILE_EVENTS	64		/* unread events a file keeps */
#define PAGE		4096
#define LONG_US		10000000	/* the longest latency */
#define RESOLVE_OPS	1000		/* a request pending this long is cancelled */
#define RING		8192		/* expected records a file may hold */
#define RING_DRAIN	4096		/* past this the file is closed */
#define STRUCT_MAX	4096		/* the largest struct or request (PAGE_SIZE) */
#define DEFAULT_OPS	50000
#define CHECK_EVERY	1000
#define USER_END	((1ULL << 47) - PAGE)	/* above: no user address */
#define KERNEL_PTR	0xffffffff81000000ULL
#define NONCANON_PTR	0xdead000000000000ULL
#define LOW_PTR		0x1000ULL
#define ARG_PAGES	2
#define REQ_PAGES	(RBUS_SUBMIT_MAX + 1)	/* a full batch of page-sized requests */
#define RECORD		((int)sizeof(struct rbus_record))

/* A set of errnos, all below 128: bit e for errno e. */
#define EB(e)		((__uint128_t)1 << (e))

/* A record the model expects a file to read. */
struct exp {
	__u64 id;
	__u32 type;
	__s32 status;
	__u32 kind;
	__u64 payload;
	__u32 tx_len, rx_len;
	__u8 tx[RBUS_DATA_MAX];
};

/* A request the model knows pending in the queue, oldest first. */
struct pend {
	int slot;
	long op;		/* the call that submitted it */
	__u32 fault;		/* the errno it would fail with */
	struct exp rec;		/* its record, with status 0 for now */
};

/* A file; in the concurrent test, the ids it has waiting for a record. */
struct slot {
	int fd;			/* -1: closed */
	bool nonblock, rd, wr;
	bool dead;
	unsigned int head, len;	/* ring of expected records */
	struct exp *ring;
	int events;		/* unread event records */
	/* concurrent_removal only */
	__u64 id_base;		/* ids of this file are id_base + i, i < SESSION */
	__u32 next;
	__u8 *state;		/* per id: 0 unused, 1 waiting, 2 cancelled, 3 done */
	int waiting;		/* ids waiting or cancelled: records to come */
	__u64 last_event;
};

#define SESSION		65536
#define ID_WAITING	1
#define ID_CANCELLED	2
#define ID_DONE		3

struct fuzz {
	struct __test_metadata *md;
	bool concurrent;
	__u64 seed, rng;
	long op, ops, skipped;
	long failures;
	char line_new[PATH_MAX], line_del[PATH_MAX];
	char raise[PATH_MAX], requests[PATH_MAX];
	char bind[PATH_MAX], unbind[PATH_MAX];
	struct channel ch;
	/* Memory: arguments, requests, a read-only page; each followed by a guard page. */
	__u8 *arg, *arg_guard, *req, *req_guard, *ro, *ro_guard;
	__u8 stage[2 * STRUCT_MAX + 64];
	/* The model of the channel's child. */
	bool present, bound;
	__u32 latency, fault;
	__u64 seq;
	__u64 submitted, completed, cancelled, failed, dropped;
	struct pend pend[DEPTH];
	int npend;
	struct slot slot[SLOTS];
	__u64 next_id;
	/* The children the control lines added. */
	bool ctl[CTL_N];
	/* Faults injected: a completion may carry any of them. */
	bool injected[4096];
	/* What the calls were, and what they returned. */
	__u64 digest_calls, digest_results;
	long calls[16];
	long results_ok, results_err;
	long errnos[128];
	long records, removals, unbinds;
	/* The last calls, for a failure's report. */
	char trace[32][160];
	int trace_next;
	/* concurrent_removal: the remover. */
	atomic_bool stop;
	atomic_long cycles;
	atomic_long remover_errors;
	__u64 remover_rng;
};

/* splitmix64: small and good enough for choosing calls. */
static __u64 next_u64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rnd(struct fuzz *fz, __u64 n)
{
	return n ? next_u64(&fz->rng) % n : 0;
}

/* True with probability pct percent. */
static bool pct(struct fuzz *fz, int pct)
{
	return (int)rnd(fz, 100) < pct;
}

static void mix(__u64 *digest, __u64 v)
{
	*digest = (*digest ^ v) * 0x100000001b3ULL;
}

/* Records a call for the trace and the digest. */
static void trace(struct fuzz *fz, const char *fmt, ...)
{
	char *line = fz->trace[fz->trace_next++ % 32];
	va_list ap;
	int n;

	n = snprintf(line, 160, "%ld: ", fz->op);
	va_start(ap, fmt);
	vsnprintf(line + n, 160 - n, fmt, ap);
	va_end(ap);
	for (const char *p = line + n; *p; p++)
		mix(&fz->digest_calls, (__u8)*p);
}

/* Appends the result to the current trace line and the digest. */
static void result(struct fuzz *fz, long ret, int err)
{
	char *line = fz->trace[(fz->trace_next + 31) % 32];
	size_t n = strlen(line);

	if (ret < 0)
		snprintf(line + n, 160 - n, " = -%s", strerror(err));
	else
		snprintf(line + n, 160 - n, " = %ld", ret);
	mix(&fz->digest_results, ret < 0 ? 0x10000ULL + err : (__u64)ret);
	if (ret < 0)
		fz->results_err++;
	else
		fz->results_ok++;
	if (ret < 0 && err > 0 && err < 128)
		fz->errnos[err]++;
}

static void fail(struct fuzz *fz, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fz->failures++ < 8) {
		ksft_print_msg("FUZZ MISMATCH at call %ld (RBUS_FUZZ_SEED=%#llx): %s\n", fz->op,
			       (unsigned long long)fz->seed, msg);
		if (fz->failures == 1) {
			ksft_print_msg("the calls before it:\n");
			for (int i = 0; i < 32; i++) {
				const char *line = fz->trace[(fz->trace_next + i) % 32];

				if (*line)
					ksft_print_msg("  %s\n", line);
			}
		}
	}
}

static const char *eset_str(__uint128_t allowed, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int e = 1; e < 128 && n < size; e++)
		if (allowed & EB(e))
			n += snprintf(buf + n, size - n, "%s%s", n ? "|" : "", strerrorname_np(e));
	return buf;
}

/* Checks a call that must fail with one of allowed. */
static void expect_err(struct fuzz *fz, const char *what, long ret, int err, __uint128_t allowed)
{
	char buf[256];

	if (ret >= 0)
		fail(fz, "%s returned %ld, expected %s", what, ret,
		     eset_str(allowed, buf, sizeof(buf)));
	else if (err <= 0 || err >= 128 || !(allowed & EB(err)))
		fail(fz, "%s failed with %s, expected %s", what, strerrorname_np(err),
		     eset_str(allowed, buf, sizeof(buf)));
}

/* Checks a call that must return want. */
static void expect_ret(struct fuzz *fz, const char *what, long ret, int err, long want)
{
	if (ret < 0)
		fail(fz, "%s failed with %s, expected %ld", what, strerrorname_np(err), want);
	else if (ret != want)
		fail(fz, "%s returned %ld, expected %ld", what, ret, want);
}

/* Memory: where the kernel may read and write. */

static bool within(const __u8 *base, size_t size, __u64 p, __u64 n)
{
	__u64 b = (__u64)(unsigned long)base;

	return p >= b && n <= size && p - b <= size - n;
}

static bool readable(struct fuzz *fz, __u64 p, __u64 n)
{
	return within(fz->arg, ARG_PAGES * PAGE, p, n) ||
	       within(fz->req, REQ_PAGES * PAGE, p, n) || within(fz->ro, PAGE, p, n);
}

static bool writable(struct fuzz *fz, __u64 p, __u64 n)
{
	return within(fz->arg, ARG_PAGES * PAGE, p, n) || within(fz->req, REQ_PAGES * PAGE, p, n);
}

/* Bytes writable from p on, in one piece. */
static __u64 writable_from(struct fuzz *fz, __u64 p)
{
	__u64 a = (__u64)(unsigned long)fz->arg, r = (__u64)(unsigned long)fz->req;

	if (p >= a && p < a + ARG_PAGES * PAGE)
		return a + ARG_PAGES * PAGE - p;
	if (p >= r && p < r + REQ_PAGES * PAGE)
		return r + REQ_PAGES * PAGE - p;
	return 0;
}

/* As the kernel's access_ok(): the range lies in user space. */
static bool access_ok(__u64 p, __u64 n)
{
	return p + n >= p && p + n <= USER_END;
}

static void ro_unlock(struct fuzz *fz)
{
	mprotect(fz->ro, PAGE, PROT_READ | PROT_WRITE);
}

static void ro_lock(struct fuzz *fz)
{
	mprotect(fz->ro, PAGE, PROT_READ);
}

/* Copies n bytes of src to p, skipping what is not ours to write; the read-only page included. */
static void place(struct fuzz *fz, __u64 p, const void *src, __u64 n)
{
	if (writable(fz, p, n)) {
		memcpy((void *)(unsigned long)p, src, n);
	} else if (within(fz->ro, PAGE, p, n)) {
		ro_unlock(fz);
		memcpy((void *)(unsigned long)p, src, n);
		ro_lock(fz);
	} else {
		/* Straddling a guard page: the part before it. */
		__u64 room = writable_from(fz, p);

		if (room)
			memcpy((void *)(unsigned long)p, src, room < n ? room : n);
	}
}

enum pmode { P_OK, P_MISALIGN, P_NULL, P_GUARD, P_STRADDLE, P_RO, P_KERNEL, P_NONCANON,
	     P_LOW, P_MODES };

static const char *const pmode_name[] = {
	"ok", "misaligned", "NULL", "guard", "straddle", "ro", "kernel", "noncanon", "low",
};

/*
 * A pointer to n bytes in the region base (size bytes, a guard page after
 * it): mostly good, sometimes bad in one of the ways of enum pmode.
 */
static __u64 pick_ptr(struct fuzz *fz, __u8 *base, __u8 *guard, size_t size, __u64 n,
		      int good_pct, enum pmode *mode)
{
	__u64 b = (__u64)(unsigned long)base, g = (__u64)(unsigned long)guard;

	*mode = pct(fz, good_pct) ? P_OK : (enum pmode)rnd(fz, P_MODES);
	switch (*mode) {
	case P_OK:
		return b;
	case P_MISALIGN:
		if (n + 8 <= size)
			return b + 1 + rnd(fz, 7);
		*mode = P_OK;
		return b;
	case P_NULL:
		return 0;
	case P_GUARD:
		return g;
	case P_STRADDLE:
		if (n > 1 && n <= size)
			return g - 1 - rnd(fz, n - 1);
		*mode = P_GUARD;
		return g;
	case P_RO:
		if (n <= PAGE)
			return (__u64)(unsigned long)fz->ro + rnd(fz, PAGE - n + 1);
		*mode = P_OK;
		return b;
	case P_KERNEL:
		return KERNEL_PTR;
	case P_NONCANON:
		return NONCANON_PTR;
	default:
		return LOW_PTR;
	}
}

/* The model of the files. */

static struct exp *ring_at(struct slot *s, unsigned int i)
{
	return &s->ring[(s->head + i) % RING];
}

static void ring_push(struct slot *s, const struct exp *e)
{
	if (s->len < RING)
		*ring_at(s, s->len++) = *e;
}

static void ring_clear(struct slot *s)
{
	s->head = 0;
	s->len = 0;
	s->events = 0;
}

/* Completes the model's request: its record goes to its file, and the counters follow. */
static void model_finish(struct fuzz *fz, struct exp *rec, int slot, __s32 status)
{
	struct slot *s = &fz->slot[slot];

	rec->status = status;
	if (!status)
		fz->completed++;
	else if (status == -ECANCELED)
		fz->cancelled++;
	else
		fz->failed++;
	ring_push(s, rec);
}

/* Takes the model's pending request i off the queue. */
static struct pend model_unpend(struct fuzz *fz, int i)
{
	struct pend p = fz->pend[i];

	memmove(&fz->pend[i], &fz->pend[i + 1], (fz->npend - i - 1) * sizeof(fz->pend[0]));
	fz->npend--;
	return p;
}

/* Removal or unbind: every pending request fails with -ENODEV, every file dies. */
static void model_revoke(struct fuzz *fz)
{
	while (fz->npend) {
		struct pend p = model_unpend(fz, 0);

		model_finish(fz, &p.rec, p.slot, -ENODEV);
	}
	for (int i = 0; i < SLOTS; i++)
		if (fz->slot[i].fd >= 0)
			fz->slot[i].dead = true;
}

/* close(): the file's pending requests are cancelled, its records dropped. */
static void model_close(struct fuzz *fz, int slot)
{
	struct slot *s = &fz->slot[slot];

	if (!s->dead) {
		for (int i = 0; i < fz->npend;) {
			if (fz->pend[i].slot == slot) {
				struct pend p = model_unpend(fz, i);

				model_finish(fz, &p.rec, slot, -ECANCELED);
			} else {
				i++;
			}
		}
	}
	ring_clear(s);
}

/* The answer of the simulated device: the bytes written, inverted and repeated. */
static void answer(const struct exp *e, __u8 *out)
{
	for (__u32 i = 0; i < e->rx_len; i++)
		out[i] = ~e->tx[i % e->tx_len];
}

/* Checks a record read() returned against the one expected. */
static void check_record(struct fuzz *fz, const struct rbus_record *got, const struct exp *want)
{
	__u8 data[RBUS_DATA_MAX] = { 0 };
	__u32 len = 0;

	fz->records++;
	if (want->type == RBUS_RECORD_COMPLETION && !want->status) {
		answer(want, data);
		len = want->rx_len;
	}
	if (got->type != want->type || got->id != want->id || got->status != want->status ||
	    got->len != len || got->kind != want->kind || got->payload != want->payload ||
	    memcmp(got->data, data, sizeof(data)))
		/* type/id/status/len/kind/payload */
		fail(fz, "record %u/%llu/%d/%u/%u/%#llx, expected %u/%llu/%d/%u/%u/%#llx",
		     got->type, (unsigned long long)got->id, got->status, got->len, got->kind,
		     (unsigned long long)got->payload, want->type, (unsigned long long)want->id,
		     want->status, len, want->kind, (unsigned long long)want->payload);
}

/* Concurrent checks of a record: it answers a request of this file that waits for one. */
static void check_record_loose(struct fuzz *fz, struct slot *s, const struct rbus_record *got)
{
	__u64 i = got->id - s->id_base;
	__u8 data[RBUS_DATA_MAX] = { 0 };
	struct exp e;

	fz->records++;
	if (got->type == RBUS_RECORD_EVENT) {
		if (got->id <= s->last_event || got->kind >= 32 || got->status || got->len)
			fail(fz, "event record {id %llu kind %u status %d len %u} after event %llu",
			     (unsigned long long)got->id, got->kind, got->status, got->len,
			     (unsigned long long)s->last_event);
		s->last_event = got->id;
		return;
	}
	if (got->type != RBUS_RECORD_COMPLETION || got->id < s->id_base || i >= s->next ||
	    (s->state[i] != ID_WAITING && s->state[i] != ID_CANCELLED)) {
		fail(fz, "record {type %u id %llu status %d}: no such request waits on this file",
		     got->type, (unsigned long long)got->id, got->status);
		return;
	}
	if (s->state[i] == ID_CANCELLED && got->status != -ECANCELED)
		fail(fz, "record of cancelled request %llu has status %d",
		     (unsigned long long)got->id, got->status);
	/* The request's bytes are a function of its id (make_fuzz_req). */
	memset(&e, 0, sizeof(e));
	e.tx_len = 1 + got->id % RBUS_DATA_MAX;
	e.rx_len = got->id % (RBUS_DATA_MAX + 1);
	for (__u32 b = 0; b < e.tx_len; b++)
		e.tx[b] = got->id * 7 + b;
	if (!got->status) {
		answer(&e, data);
		if (got->len != e.rx_len || memcmp(got->data, data, sizeof(data)))
			fail(fz, "record %llu: wrong answer", (unsigned long long)got->id);
	} else if (got->status != -ECANCELED && got->status != -ENODEV &&
		   (got->status >= 0 || -got->status >= 4096 || !fz->injected[-got->status])) {
		fail(fz, "record %llu: status %d was never injected", (unsigned long long)got->id,
		     got->status);
	}
	s->state[i] = ID_DONE;
	s->waiting--;
}

static int slot_waiting(const struct slot *s)
{
	return s->waiting;
}

/* The calls. */

static int pick_slot(struct fuzz *fz, bool open)
{
	int start = rnd(fz, SLOTS);

	for (int i = 0; i < SLOTS; i++) {
		int s = (start + i) % SLOTS;

		bool is_open = fz->slot[s].fd >= 0;

		if (is_open == open)
			return s;
	}
	return -1;
}

static void do_close(struct fuzz *fz, int slot)
{
	struct slot *s = &fz->slot[slot];
	int ret;

	trace(fz, "close(slot %d)", slot);
	ret = close(s->fd);
	result(fz, ret, errno);
	if (ret)
		fail(fz, "close failed with %s", strerrorname_np(errno));
	if (!fz->concurrent)
		model_close(fz, slot);
	s->fd = -1;
	s->dead = false;
	ring_clear(s);
}

static void op_open(struct fuzz *fz)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_WRONLY };
	int slot = pick_slot(fz, false), flags, fd, err;
	struct slot *s;

	if (slot < 0) {
		do_close(fz, pick_slot(fz, true));
		return;
	}
	s = &fz->slot[slot];
	flags = modes[rnd(fz, 5)] | O_CLOEXEC | (pct(fz, 75) ? O_NONBLOCK : 0);
	trace(fz, "open(slot %d, %#x)", slot, flags);
	fd = open(fz->ch.node, flags);
	err = errno;
	result(fz, fd, err);
	if (fz->concurrent) {
		if (fd < 0 && err != ENOENT && err != ENODEV && err != ENXIO)
			expect_err(fz, "open", fd, err, EB(ENOENT) | EB(ENODEV) | EB(ENXIO));
	} else if (fz->bound) {
		expect_ret(fz, "open", fd < 0 ? fd : 0, err, 0);
	} else {
		expect_err(fz, "open", fd, err, EB(ENOENT));
	}
	if (fd < 0)
		return;
	memset(s, 0, offsetof(struct slot, ring));
	s->fd = fd;
	s->nonblock = flags & O_NONBLOCK;
	s->rd = (flags & O_ACCMODE) != O_WRONLY;
	s->wr = (flags & O_ACCMODE) != O_RDONLY;
	ring_clear(s);
	if (fz->concurrent) {
		s->id_base = fz->next_id;
		fz->next_id += SESSION;
		s->next = 0;
		s->waiting = 0;
		s->last_event = 0;
		memset(s->state, 0, SESSION);
	}
}

static void op_close(struct fuzz *fz)
{
	int slot = pick_slot(fz, true);

	if (slot >= 0)
		do_close(fz, slot);
	else
		op_open(fz);
}

/* An ioctl number: mostly one of rbus's, often with another size, sometimes near them. */
static unsigned int pick_cmd(struct fuzz *fz, unsigned int *size)
{
	static const unsigned int known[] = { RBUS_IOC_INFO, RBUS_IOC_SUBMIT, RBUS_IOC_CANCEL };
	static const unsigned int sizes[] = { 0, 1, 8, 15, 16, 17, 23, 24, 25, 32, 88, 95, 96, 97,
					      128, 4088, 4095, 4096, 4097, 8192, 16383 };
	unsigned int cmd = known[rnd(fz, 3)], type = RBUS_IOC_MAGIC, dir, nr;

	*size = _IOC_SIZE(cmd);
	if (pct(fz, 75))
		return cmd;
	dir = _IOC_DIR(cmd);
	nr = _IOC_NR(cmd);
	switch (rnd(fz, 6)) {
	case 0:
	case 1:
		*size = sizes[rnd(fz, ARRAY_SIZE(sizes))];
		break;
	case 2:
		*size = rnd(fz, _IOC_SIZEMASK + 1);
		break;
	case 3:
		dir = rnd(fz, 4);
		break;
	case 4:
		nr = pct(fz, 50) ? rnd(fz, 8) : rnd(fz, 256);
		break;
	default:
		/* Other types near rbus's, none of the VFS's own ioctls. */
		type = RBUS_IOC_MAGIC - 8 + rnd(fz, 17);
		break;
	}
	if (pct(fz, 30))
		*size = rnd(fz, 200);
	return _IOC(dir, type, nr, *size);
}

/* The struct's tail beyond known bytes, in stage: zero, or one byte not. */
static bool fill_tail(struct fuzz *fz, __u8 *buf, unsigned int known, unsigned int size)
{
	if (size <= known)
		return false;
	memset(buf + known, 0, size - known);
	if (pct(fz, 85))
		return false;
	buf[known + rnd(fz, size - known)] = 1 + rnd(fz, 255);
	return true;
}

/* The requests a concurrent file submits carry bytes that follow from their ids. */
static struct rbus_req make_fuzz_req(__u64 id)
{
	struct rbus_req r = { .id = id, .op = RBUS_OP_TRANSFER };

	r.tx_len = 1 + id % RBUS_DATA_MAX;
	r.rx_len = id % (RBUS_DATA_MAX + 1);
	for (__u32 b = 0; b < r.tx_len; b++)
		r.tx[b] = id * 7 + b;
	return r;
}

/* One request of a batch, mostly valid; whether it is, in *valid. */
static void gen_req(struct fuzz *fz, struct slot *s, __u32 index, struct rbus_req *r,
		    bool *valid)
{
	if (fz->concurrent) {
		/* Ids unique per file, so each record can be matched. */
		*r = make_fuzz_req(s->id_base + s->next + index);
	} else {
		memset(r, 0, sizeof(*r));
		r->id = pct(fz, 92) || !fz->next_id ? fz->next_id++ : fz->next_id - 1 - rnd(fz, 4);
		r->op = RBUS_OP_TRANSFER;
		r->tx_len = rnd(fz, RBUS_DATA_MAX + 1);
		r->rx_len = rnd(fz, RBUS_DATA_MAX + 1);
		for (int b = 0; b < RBUS_DATA_MAX; b++)
			r->tx[b] = next_u64(&fz->rng);
	}
	if (pct(fz, 2)) {
		switch (rnd(fz, 5)) {
		case 0:
			r->op = pct(fz, 50) ? 0 : 2 + rnd(fz, 0xffff);
			break;
		case 1:
			r->flags = 1u << rnd(fz, 32);
			break;
		case 2:
			r->tx_len = pct(fz, 50) ? RBUS_DATA_MAX + 1 : next_u64(&fz->rng);
			break;
		case 3:
			r->rx_len = pct(fz, 50) ? RBUS_DATA_MAX + 1 : next_u64(&fz->rng);
			break;
		default:
			r->tx_len = 0;
			r->rx_len = 1 + rnd(fz, RBUS_DATA_MAX);
			break;
		}
	}
	*valid = r->op == RBUS_OP_TRANSFER && !r->flags && r->tx_len <= RBUS_DATA_MAX &&
		 r->rx_len <= RBUS_DATA_MAX && (r->tx_len || !r->rx_len);
}

/* RBUS_IOC_SUBMIT with a struct of size bytes. */
static void op_submit(struct fuzz *fz, int slot, unsigned int cmd, unsigned int size)
{
	static const __u32 counts[] = { 0, 64, RBUS_SUBMIT_MAX, RBUS_SUBMIT_MAX + 1, 0xffffffff };
	struct slot *s = &fz->slot[slot];
	struct rbus_submit sub = { 0 };
	struct rbus_req reqs[RBUS_SUBMIT_MAX];
	bool req_ok[RBUS_SUBMIT_MAX];
	__uint128_t bad = 0;
	enum pmode amode = P_OK, rmode = P_OK;
	__u64 arg, base = 0, total = 0;
	__u32 count, req_size;
	bool bad_tail = false;
	long ret, want;
	int err, n = 0;

	if (fz->concurrent && s->next + RBUS_SUBMIT_MAX > SESSION) {
		do_close(fz, slot);
		return;
	}

	/* The struct. */
	count = pct(fz, 90) ? 1 + (pct(fz, 70) ? rnd(fz, 8) : rnd(fz, RBUS_SUBMIT_MAX)) :
			      counts[rnd(fz, 5)];
	if (pct(fz, 80))
		req_size = sizeof(struct rbus_req);
	else if (pct(fz, 50))
		req_size = sizeof(struct rbus_req) + 8 * (1 + rnd(fz, 8));
	else
		switch (rnd(fz, 4)) {
		case 0:
			req_size = rnd(fz, sizeof(struct rbus_req));
			break;
		case 1:
			req_size = STRUCT_MAX;
			break;
		case 2:
			req_size = STRUCT_MAX + 1 + rnd(fz, 8);
			break;
		default:
			req_size = next_u64(&fz->rng);
			break;
		}
	sub.count = count;
	sub.req_size = req_size;
	sub.reserved = pct(fz, 96) ? 0 : 1ULL << rnd(fz, 64);

	/* The requests, at a pointer of their own. */
	if (count >= 1 && count <= RBUS_SUBMIT_MAX && req_size >= sizeof(struct rbus_req) &&
	    req_size <= STRUCT_MAX) {
		total = (__u64)count * req_size;
		base = pick_ptr(fz, fz->req, fz->req_guard, REQ_PAGES * PAGE, total, 88, &rmode);
		for (__u32 i = 0; i < count; i++) {
			__u8 *r = fz->stage;
			bool tail;

			gen_req(fz, s, i, &reqs[i], &req_ok[i]);
			memcpy(r, &reqs[i], sizeof(reqs[i]));
			tail = fill_tail(fz, r, sizeof(reqs[i]), req_size);
			place(fz, base + (__u64)i * req_size, r, req_size);
			if (!readable(fz, base + (__u64)i * req_size, req_size))
				bad |= EB(EFAULT);
			if (tail)
				bad |= EB(E2BIG);
			if (!req_ok[i])
				bad |= EB(EINVAL);
		}
		n = count;
	} else {
		base = (__u64)(unsigned long)fz->req;
		if (count < 1 || count > RBUS_SUBMIT_MAX || req_size < sizeof(struct rbus_req))
			bad |= EB(EINVAL);
		if (req_size > STRUCT_MAX)
			bad |= EB(E2BIG);
	}
	sub.reqs = base;

	/* The struct itself, at its pointer. */
	/* Nothing of a struct over a page is read: only what may be is built. */
	memset(fz->stage, 0, size < sizeof(sub) || size > STRUCT_MAX ? sizeof(sub) : size);
	memcpy(fz->stage, &sub, sizeof(sub));
	if (size <= STRUCT_MAX)
		bad_tail = fill_tail(fz, fz->stage, sizeof(sub), size);
	arg = pick_ptr(fz, fz->arg, fz->arg_guard, ARG_PAGES * PAGE, size, 90, &amode);
	/*
	 * The struct and the requests may both land in the one read-only page;
	 * placed over the requests, the struct would change what they say.
	 */
	if (amode == P_RO && rmode == P_RO && arg < base + total && base < arg + size) {
		arg = (__u64)(unsigned long)fz->arg;
		amode = P_OK;
	}
	if (size <= STRUCT_MAX)
		place(fz, arg, fz->stage, size);
	/*
	 * Until the struct is read, nothing else of the call can be judged; of
	 * one that runs into a guard page, a non-zero byte before it may be.
	 */
	if (size < sizeof(sub)) {
		bad = EB(EINVAL);
	} else if (size > STRUCT_MAX) {
		bad = EB(E2BIG);
	} else if (!readable(fz, arg, size)) {
		bad = EB(EFAULT) | (amode == P_STRADDLE && bad_tail ? EB(E2BIG) : 0);
	} else {
		if (bad_tail)
			bad |= EB(E2BIG);
		if (sub.reserved)
			bad |= EB(EINVAL);
	}

	/* What the queue would do with a valid batch. */
	want = -1;
	if (!bad && !fz->concurrent && !s->dead) {
		int room = DEPTH - fz->npend;

		if (!room)
			want = -EAGAIN;
		else if (s->nonblock || (fz->latency == 0 ? true : room >= (int)count))
			want = (s->nonblock && room < (int)count) ? room : (long)count;
		if (want == -EAGAIN && !s->nonblock)
			want = -1;
		if (want == -1) {
			/* It would wait for room that never comes: not a call to make. */
			fz->skipped++;
			return;
		}
	}

	trace(fz, "submit(slot %d, size %u, arg %s, reqs %s, count %u, req_size %u, rsvd %#llx)",
	      slot, size, pmode_name[amode], pmode_name[rmode], count, req_size,
	      (unsigned long long)sub.reserved);
	ret = ioctl(s->fd, cmd, (void *)(unsigned long)arg);
	err = errno;
	result(fz, ret, err);

	if (fz->concurrent) {
		__uint128_t allowed = bad | EB(ENODEV) | (s->nonblock ? EB(EAGAIN) : 0);

		if (bad || ret < 0) {
			expect_err(fz, "submit", ret, err, allowed);
			if (ret >= 0)
				return;
			if (!bad && err == ENODEV)
				s->dead = true;
			return;
		}
		if (ret < 1 || ret > (long)count) {
			fail(fz, "submit of %u returned %ld", count, ret);
			return;
		}
		for (long i = 0; i < ret && s->next < SESSION; i++) {
			s->state[s->next++] = ID_WAITING;
			s->waiting++;
		}
		return;
	}

	if (s->dead) {
		expect_err(fz, "submit", ret, err, bad | EB(ENODEV));
		return;
	}
	if (bad) {
		expect_err(fz, "submit", ret, err, bad);
		return;
	}
	if (want < 0) {
		expect_err(fz, "submit", ret, err, EB(-want));
		return;
	}
	expect_ret(fz, "submit", ret, err, want);
	if (ret != want)
		return;
	/* The model takes the batch: completed now, or pending until cancelled. */
	for (long i = 0; i < want && i < n; i++) {
		struct exp rec = {
			.id = reqs[i].id, .type = RBUS_RECORD_COMPLETION,
			.tx_len = reqs[i].tx_len, .rx_len = reqs[i].rx_len,
		};

		memcpy(rec.tx, reqs[i].tx, sizeof(rec.tx));
		fz->submitted++;
		if (!fz->latency) {
			model_finish(fz, &rec, slot, fz->fault ? -(int)fz->fault : 0);
		} else {
			struct pend *p = &fz->pend[fz->npend++];

			p->slot = slot;
			p->op = fz->op;
			p->fault = fz->fault;
			p->rec = rec;
		}
	}
}

/* RBUS_IOC_CANCEL with a struct of size bytes. */
static void op_cancel(struct fuzz *fz, int slot, unsigned int cmd, unsigned int size)
{
	struct slot *s = &fz->slot[slot];
	struct rbus_cancel c = { 0 };
	enum pmode mode;
	bool bad_tail = false, waiting = false;
	__uint128_t bad = 0;
	__u64 arg;
	long ret;
	int err;

	/* An id: one pending or unread on this file, a recent one, or any. */
	if (fz->concurrent) {
		if (s->next && pct(fz, 70))
			c.id = s->id_base + rnd(fz, s->next);
		else
			c.id = pct(fz, 50) ? s->id_base + s->next + rnd(fz, 4) : next_u64(&fz->rng);
		waiting = c.id >= s->id_base && c.id - s->id_base < s->next &&
			  (s->state[c.id - s->id_base] == ID_WAITING ||
			   s->state[c.id - s->id_base] == ID_CANCELLED);
	} else {
		int mine[DEPTH], n = 0;

		for (int i = 0; i < fz->npend; i++)
			if (fz->pend[i].slot == slot)
				mine[n++] = i;
		if (n && pct(fz, 45))
			c.id = fz->pend[mine[rnd(fz, n)]].rec.id;
		else if (s->len && pct(fz, 40))
			c.id = ring_at(s, rnd(fz, s->len))->id;
		else
			c.id = pct(fz, 60) ? fz->next_id - rnd(fz, 50) : next_u64(&fz->rng);
	}
	c.reserved = pct(fz, 96) ? 0 : 1ULL << rnd(fz, 64);
	memset(fz->stage, 0, size < sizeof(c) || size > STRUCT_MAX ? sizeof(c) : size);
	memcpy(fz->stage, &c, sizeof(c));
	if (size <= STRUCT_MAX)
		bad_tail = fill_tail(fz, fz->stage, sizeof(c), size);
	arg = pick_ptr(fz, fz->arg, fz->arg_guard, ARG_PAGES * PAGE, size, 90, &mode);
	if (size <= STRUCT_MAX)
		place(fz, arg, fz->stage, size);
	if (size < sizeof(c)) {
		bad = EB(EINVAL);
	} else if (size > STRUCT_MAX) {
		bad = EB(E2BIG);
	} else if (!readable(fz, arg, size)) {
		bad = EB(EFAULT) | (mode == P_STRADDLE && bad_tail ? EB(E2BIG) : 0);
	} else {
		if (bad_tail)
			bad |= EB(E2BIG);
		if (c.reserved)
			bad |= EB(EINVAL);
	}

	trace(fz, "cancel(slot %d, size %u, arg %s, id %llu, reserved %#llx)", slot, size,
	      pmode_name[mode], (unsigned long long)c.id, (unsigned long long)c.reserved);
	ret = ioctl(s->fd, cmd, (void *)(unsigned long)arg);
	err = errno;
	result(fz, ret, err);

	if (fz->concurrent) {
		if (bad) {
			expect_err(fz, "cancel", ret, err, bad | EB(ENODEV));
		} else if (waiting) {
			if (ret)
				expect_err(fz, "cancel", ret, err, EB(EALREADY) | EB(ENODEV));
			else
				s->state[c.id - s->id_base] = ID_CANCELLED;
		} else {
			expect_err(fz, "cancel", ret, err, EB(ENOENT) | EB(ENODEV));
		}
		return;
	}
	if (s->dead) {
		expect_err(fz, "cancel", ret, err, bad | EB(ENODEV));
		return;
	}
	if (bad) {
		expect_err(fz, "cancel", ret, err, bad);
		return;
	}
	/* The oldest pending request of this file with that id is cancelled. */
	for (int i = 0; i < fz->npend; i++) {
		if (fz->pend[i].slot == slot && fz->pend[i].rec.id == c.id) {
			struct pend p = model_unpend(fz, i);

			expect_ret(fz, "cancel", ret, err, 0);
			model_finish(fz, &p.rec, slot, -ECANCELED);
			return;
		}
	}
	for (unsigned int i = 0; i < s->len; i++) {
		const struct exp *e = ring_at(s, i);

		if (e->type == RBUS_RECORD_COMPLETION && e->id == c.id) {
			expect_err(fz, "cancel", ret, err, EB(EALREADY));
			return;
		}
	}
	expect_err(fz, "cancel", ret, err, EB(ENOENT));
}

/* RBUS_IOC_INFO with a struct of size bytes. */
static void op_info(struct fuzz *fz, int slot, unsigned int cmd, unsigned int size)
{
	struct slot *s = &fz->slot[slot];
	const struct rbus_info *info;
	enum pmode mode;
	__uint128_t bad = 0;
	__u64 arg;
	long ret;
	int err;

	arg = pick_ptr(fz, fz->arg, fz->arg_guard, ARG_PAGES * PAGE, size, 90, &mode);
	if (size <= 2 * STRUCT_MAX)
		memset(fz->stage, 0xa5, size + 1);
	if (size < 2 * STRUCT_MAX)
		place(fz, arg, fz->stage, size + 1);
	if (size < sizeof(*info))
		bad |= EB(EINVAL);
	else if (size > STRUCT_MAX)
		bad |= EB(E2BIG);
	else if (!writable(fz, arg, size))
		bad |= EB(EFAULT);

	trace(fz, "info(slot %d, size %u, arg %s)", slot, size, pmode_name[mode]);
	ret = ioctl(s->fd, cmd, (void *)(unsigned long)arg);
	err = errno;
	result(fz, ret, err);
	if (bad || s->dead || fz->concurrent) {
		if (bad || s->dead || ret < 0)
			expect_err(fz, "info", ret, err, bad | EB(ENODEV));
		if (ret < 0)
			return;
	}
	expect_ret(fz, "info", ret, err, 0);
	if (ret)
		return;
	info = (const struct rbus_info *)(unsigned long)arg;
	if (info->version != RBUS_UAPI_VERSION || info->bus != (__u32)fz->ch.nr ||
	    info->addr != ADDR || info->queue_depth != DEPTH ||
	    info->submit_max != RBUS_SUBMIT_MAX || info->data_max != RBUS_DATA_MAX ||
	    info->record_size != RECORD || info->reserved || strcmp(info->compatible, "rbus,user"))
		fail(fz, "info: wrong contents");
	for (unsigned int i = sizeof(*info); i < size; i++) {
		if (((const __u8 *)info)[i]) {
			fail(fz, "info: byte %u of the tail is not zero", i);
			break;
		}
	}
	if (writable(fz, arg + size, 1) && ((const __u8 *)info)[size] != 0xa5)
		fail(fz, "info: wrote past its %u bytes", size);
}

/* An ioctl: one of rbus's, or a number near them, which is ENOTTY. */
static void op_ioctl(struct fuzz *fz)
{
	int slot = pick_slot(fz, true);
	unsigned int size, cmd = pick_cmd(fz, &size);
	bool same = _IOC_TYPE(cmd) == RBUS_IOC_MAGIC;
	__u64 arg;
	long ret;
	int err;

	if (slot < 0) {
		op_open(fz);
		return;
	}
	if (same && _IOC_DIR(cmd) == _IOC_WRITE && _IOC_NR(cmd) == _IOC_NR(RBUS_IOC_SUBMIT)) {
		op_submit(fz, slot, cmd, size);
		return;
	}
	if (same && _IOC_DIR(cmd) == _IOC_WRITE && _IOC_NR(cmd) == _IOC_NR(RBUS_IOC_CANCEL)) {
		op_cancel(fz, slot, cmd, size);
		return;
	}
	if (same && _IOC_DIR(cmd) == _IOC_READ && _IOC_NR(cmd) == _IOC_NR(RBUS_IOC_INFO)) {
		op_info(fz, slot, cmd, size);
		return;
	}
	/* Unknown: ENOTTY, whatever the argument, on a live device or a dead one. */
	/* Addresses are left out of the trace: they differ from run to run. */
	if (pct(fz, 50)) {
		arg = (__u64)(unsigned long)fz->arg;
		trace(fz, "ioctl(slot %d, %#x, buffer)", slot, cmd);
	} else {
		arg = next_u64(&fz->rng);
		trace(fz, "ioctl(slot %d, %#x, %#llx)", slot, cmd, (unsigned long long)arg);
	}
	ret = ioctl(fz->slot[slot].fd, cmd, (void *)(unsigned long)arg);
	err = errno;
	result(fz, ret, err);
	expect_err(fz, "unknown ioctl", ret, err, EB(ENOTTY));
}

/* A submit of a valid batch, for throughput: most calls of a user-mode driver are these. */
static void op_submit_valid(struct fuzz *fz)
{
	int slot = pick_slot(fz, true);

	if (slot < 0) {
		op_open(fz);
		return;
	}
	op_submit(fz, slot, RBUS_IOC_SUBMIT, sizeof(struct rbus_submit));
}

static void op_read(struct fuzz *fz)
{
	static const __u64 lens[] = { 0, 1, 95, 96, 97, 191, 192, 288, 960, 4096, 8160, 8192,
				      24576, 24672, 65536 };
	struct slot *s;
	enum pmode mode;
	__u64 len, buf, fit, max, n = 0;
	int slot = pick_slot(fz, true), err;
	bool block;
	long ret;

	if (slot < 0) {
		op_open(fz);
		return;
	}
	s = &fz->slot[slot];
	if (pct(fz, 40))
		len = RECORD * (1 + rnd(fz, 8));
	else if (pct(fz, 60))
		len = lens[rnd(fz, ARRAY_SIZE(lens))];
	else
		len = rnd(fz, 32768);
	if (len <= ARG_PAGES * PAGE)
		buf = pick_ptr(fz, fz->arg, fz->arg_guard, ARG_PAGES * PAGE, len, 80, &mode);
	else
		buf = pick_ptr(fz, fz->req, fz->req_guard, REQ_PAGES * PAGE, len, 80, &mode);
	fit = writable_from(fz, buf) / RECORD;
	max = len / RECORD < DEPTH ? len / RECORD : DEPTH;

	/* A blocking read that would wait for a record that never comes is not made. */
	block = !s->nonblock && s->rd && access_ok(buf, len) && max && !s->dead;
	if (block && (fz->concurrent ? !slot_waiting(s) : !s->len)) {
		fz->skipped++;
		return;
	}

	trace(fz, "read(slot %d, %s, %llu)", slot, pmode_name[mode], (unsigned long long)len);
	ret = read(s->fd, (void *)(unsigned long)buf, len);
	err = errno;
	result(fz, ret, err);

	if (!s->rd) {
		expect_err(fz, "read", ret, err, EB(EBADF));
		return;
	}
	if (!access_ok(buf, len)) {
		expect_err(fz, "read", ret, err, EB(EFAULT));
		return;
	}
	if (!max) {
		expect_err(fz, "read", ret, err, EB(EINVAL));
		return;
	}
	if (fz->concurrent) {
		__uint128_t allowed = EB(ENODEV) | (s->nonblock ? EB(EAGAIN) : 0) |
				      (fit ? 0 : EB(EFAULT));

		if (ret < 0) {
			expect_err(fz, "read", ret, err, allowed);
			if (err == ENODEV) {
				if (slot_waiting(s))
					fail(fz, "read: ENODEV, %d requests unanswered",
					     slot_waiting(s));
				s->dead = true;
			}
			return;
		}
		if (ret % RECORD || !ret || (__u64)ret / RECORD > (max < fit ? max : fit)) {
			fail(fz, "read of %llu returned %ld", (unsigned long long)len, ret);
			return;
		}
		const struct rbus_record *recs = (const struct rbus_record *)(unsigned long)buf;

		for (long i = 0; i < ret / RECORD; i++)
			check_record_loose(fz, s, &recs[i]);
		return;
	}

	if (!s->len) {
		expect_err(fz, "read", ret, err, s->dead ? EB(ENODEV) : EB(EAGAIN));
		return;
	}
	n = s->len < max ? s->len : max;
	if (n > fit)
		n = fit;
	if (!n) {
		/* A record that cannot be copied out stays first. */
		expect_err(fz, "read", ret, err, EB(EFAULT));
		return;
	}
	expect_ret(fz, "read", ret, err, n * RECORD);
	if (ret != (long)(n * RECORD))
		return;
	for (__u64 i = 0; i < n; i++) {
		const struct exp *e = ring_at(s, 0);

		check_record(fz, (const struct rbus_record *)(unsigned long)buf + i, e);
		if (e->type == RBUS_RECORD_EVENT)
			s->events--;
		s->head = (s->head + 1) % RING;
		s->len--;
	}
}

static void op_poll(struct fuzz *fz)
{
	static const short bits[] = { POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM, POLLRDHUP };
	int slot = pick_slot(fz, true), ret;
	struct pollfd p;
	struct slot *s;
	short mask = 0;

	if (slot < 0) {
		op_open(fz);
		return;
	}
	s = &fz->slot[slot];
	p.fd = s->fd;
	p.events = 0;
	for (int i = 0; i < 6; i++)
		if (pct(fz, 40))
			p.events |= bits[i];
	p.revents = 0;
	trace(fz, "poll(slot %d, %#x)", slot, p.events);
	ret = poll(&p, 1, 0);
	result(fz, ret, errno);
	if (ret < 0) {
		fail(fz, "poll failed with %s", strerrorname_np(errno));
		return;
	}
	if (fz->concurrent) {
		if (p.revents & ~(p.events | POLLHUP | POLLERR))
			fail(fz, "poll: revents %#x for events %#x", p.revents, p.events);
		if (p.revents & POLLHUP) {
			/* Dead: every request of the file has its record by now. */
			if ((p.events & POLLIN) && slot_waiting(s) && !(p.revents & POLLIN))
				fail(fz, "poll: POLLHUP without POLLIN, %d requests unanswered",
				     slot_waiting(s));
			if (p.revents & POLLOUT)
				fail(fz, "poll: POLLOUT with POLLHUP");
			s->dead = true;
		}
		return;
	}
	if (s->len)
		mask |= POLLIN | POLLRDNORM;
	if (s->dead)
		mask |= POLLHUP;
	else if (fz->npend < DEPTH)
		mask |= POLLOUT | POLLWRNORM;
	mask &= p.events | POLLHUP | POLLERR;
	if (ret != !!mask || p.revents != mask)
		fail(fz, "poll: revents %#x (ret %d), expected %#x", p.revents, ret, mask);
}

/* write() is not a channel call. */
static void op_write(struct fuzz *fz)
{
	int slot = pick_slot(fz, true), err;
	__u64 len = rnd(fz, 200);
	long ret;

	if (slot < 0) {
		op_open(fz);
		return;
	}
	trace(fz, "write(slot %d, %llu)", slot, (unsigned long long)len);
	ret = write(fz->slot[slot].fd, fz->arg, len);
	err = errno;
	result(fz, ret, err);
	expect_err(fz, "write", ret, err, fz->slot[slot].wr ? EB(EINVAL) : EB(EBADF));
}

/* A write to a sysfs or debugfs file; the bytes written, or -errno. */
static long write_file(const char *path, const void *buf, size_t len)
{
	long ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* debugfs raise: an event at the channel's child, which every open file gets. */
static void op_raise(struct fuzz *fz)
{
	char line[96];
	__u32 kind = pct(fz, 90) ? rnd(fz, 32) : 32 + rnd(fz, 64);
	__u64 payload = next_u64(&fz->rng);
	unsigned int addr = pct(fz, 95) ? ADDR : CTL_BASE + CTL_N;
	long ret;

	snprintf(line, sizeof(line), pct(fz, 50) ? "%#x %u %llu" : "%#x %u %#llx\n", addr, kind,
		 (unsigned long long)payload);
	trace(fz, "raise(%#x %u %#llx)", addr, kind, (unsigned long long)payload);
	ret = write_file(fz->raise, line, strlen(line));
	result(fz, ret, -ret);
	if (addr != ADDR) {
		expect_err(fz, "raise", ret, -ret, EB(ENOENT));
		return;
	}
	if (fz->concurrent) {
		if (ret < 0)
			expect_err(fz, "raise", ret, -ret,
				   EB(ENOENT) | EB(ENODEV) | (kind >= 32 ? EB(ENOMSG) : 0));
		else if (kind >= 32)
			fail(fz, "raise of kind %u succeeded", kind);
		return;
	}
	if (!fz->present) {
		expect_err(fz, "raise", ret, -ret, EB(ENOENT));
		return;
	}
	if (kind >= 32) {
		expect_err(fz, "raise", ret, -ret, EB(ENOMSG));
		return;
	}
	fz->seq++;
	if (!fz->bound) {
		expect_err(fz, "raise", ret, -ret, EB(ENODEV));
		return;
	}
	expect_ret(fz, "raise", ret, -ret, strlen(line));
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &fz->slot[i];
		struct exp e = { .id = fz->seq, .type = RBUS_RECORD_EVENT, .kind = kind,
				 .payload = payload };

		if (s->fd < 0 || s->dead)
			continue;
		if (s->events >= FILE_EVENTS) {
			fz->dropped++;
			continue;
		}
		ring_push(s, &e);
		s->events++;
	}
}

/* debugfs requests: the latency and the fault of the channel's child, or a bad line. */
static void op_configure(struct fuzz *fz)
{
	static const __u32 faults[] = { EIO, EIO, ENXIO, ETIMEDOUT, ECANCELED, ENODEV, EAGAIN,
					ENOMEM, 512, 4095 };
	__u32 latency, fault = 0;
	char line[96];
	bool bad = false;
	long ret;

	if (fz->concurrent)
		latency = pct(fz, 40) ? 0 : 1 + rnd(fz, 5000);
	else
		latency = pct(fz, 50) ? 0 : LONG_US;
	if (pct(fz, 40))
		fault = pct(fz, 70) ? faults[rnd(fz, 10)] : 1 + rnd(fz, 4095);
	snprintf(line, sizeof(line), "%#x %u %u", ADDR, latency, fault);
	switch (pct(fz, 10) ? rnd(fz, 5) : 5) {
	case 0:
		snprintf(line, sizeof(line), "%#x %u %u", ADDR, LONG_US + 1, fault);
		bad = true;
		break;
	case 1:
		fault = 4096 + rnd(fz, 100);
		snprintf(line, sizeof(line), "%#x %u %u", ADDR, latency, fault);
		bad = true;
		break;
	case 2:
		snprintf(line, sizeof(line), "%#x %u", ADDR, latency);
		bad = true;
		break;
	case 3:
		snprintf(line, sizeof(line), "%#x %u %u 0 0", ADDR, latency, fault);
		bad = true;
		break;
	case 4:
		snprintf(line, sizeof(line), "%#x %u %u 1x", ADDR, latency, fault);
		bad = true;
		break;
	default:
		break;
	}
	trace(fz, "requests(%s)", line);
	ret = write_file(fz->requests, line, strlen(line));
	result(fz, ret, -ret);
	if (bad) {
		expect_err(fz, "requests", ret, -ret, EB(EINVAL));
		return;
	}
	if (fz->concurrent) {
		if (ret < 0)
			expect_err(fz, "requests", ret, -ret, EB(ENOENT));
		else
			fz->injected[fault] = true;
		return;
	}
	if (!fz->present) {
		expect_err(fz, "requests", ret, -ret, EB(ENOENT));
		return;
	}
	expect_ret(fz, "requests", ret, -ret, strlen(line));
	fz->latency = latency;
	fz->fault = fault;
}

/*
 * The host's control files, as the README defines them: one line, one
 * trailing newline stripped; an address in base 0 without a sign, up to
 * 0x3ff; new_device takes exactly one space, then a compatible of 1 to 63
 * printable characters and no blanks. Of a write longer than a page the
 * file sees the first page; an empty write does nothing.
 */
static int parse_addr(const __u8 *s, size_t n, unsigned int *addr)
{
	unsigned int base = 10;
	size_t i = 0;
	__u64 v = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (n > 1 && s[0] == '0') {
		base = 8;
		i = 1;
	}
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'z')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'Z')
			d = s[i] - 'A' + 10;
		else
			return -EINVAL;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	if (v > 0x3ff)
		return -EINVAL;
	*addr = v;
	return 0;
}

/* What a control write of buf does: -EINVAL, or 0 with the address. */
static int parse_line(const __u8 *buf, size_t len, bool new, unsigned int *addr)
{
	const __u8 *space;
	size_t n = len;

	if (n && buf[n - 1] == '\n')
		n--;
	if (!new)
		return parse_addr(buf, n, addr);
	space = memchr(buf, ' ', n);
	if (!space || parse_addr(buf, space - buf, addr))
		return -EINVAL;
	n -= space + 1 - buf;
	if (!n || n > 63)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (space[1 + i] < 0x21 || space[1 + i] > 0x7e)
			return -EINVAL;
	return 0;
}

/* An address, written in one of the forms base 0 takes. */
static int put_addr(struct fuzz *fz, char *out, size_t size, unsigned int addr)
{
	switch (rnd(fz, 6)) {
	case 0:
		return snprintf(out, size, "%u", addr);
	case 1:
		return snprintf(out, size, "%#o", addr);
	case 2:
		return snprintf(out, size, "0X%X", addr);
	case 3:
		return snprintf(out, size, "0x%0*x", 1 + (int)rnd(fz, 12), addr);
	default:
		return snprintf(out, size, "%#x", addr);
	}
}

static const char *const compats[] = {
	"rbus,demo", "rbus,demo", "rbus,user", "fuzz,nodriver", "fuzz,nodriver",
	"x", "a-compatible-of-sixty-three-characters-which-is-the-longest-one",
	"a-compatible-of-sixty-four-characters-which-is-one-too-many-here",
};

static void op_control(struct fuzz *fz)
{
	static const __u8 odd[] = { ' ', ' ', '\t', '\n', '\0', '-', '+', 'x', 'X', '0', '9',
				    'g', 0x7f, 0x80, 0xff, ',' };
	static __u8 buf[PAGE + 1024];
	bool new = pct(fz, 55);
	unsigned int addr = CTL_BASE + rnd(fz, CTL_N), parsed;
	size_t len = 0, seen;
	enum pmode mode = P_OK;
	char shown[200];
	__u64 ptr;
	long ret;
	int want;

	/* From the grammar. */
	if (pct(fz, 3)) {
		/* Leading zeros, some lines longer than a page. */
		len = snprintf((char *)buf, sizeof(buf), "0x");
		for (int z = rnd(fz, 5000); z > 0 && len < sizeof(buf) - 80; z--)
			buf[len++] = '0';
		len += snprintf((char *)buf + len, sizeof(buf) - len, "%x", addr);
	} else if (pct(fz, 3)) {
		/* Out of range. */
		static const char *const far[] = { "0x400", "1024", "0xffffffff", "4294967296",
						   "0x10000000000000000", "99999999999999999999" };

		len = snprintf((char *)buf, sizeof(buf), "%s", far[rnd(fz, 6)]);
	} else {
		len = put_addr(fz, (char *)buf, sizeof(buf), addr);
	}
	if (new) {
		const char *compat = compats[rnd(fz, ARRAY_SIZE(compats))];

		buf[len++] = ' ';
		if (pct(fz, 10)) {
			/* A random printable one. */
			for (int i = 1 + rnd(fz, 70); i > 0; i--)
				buf[len++] = 0x21 + rnd(fz, 0x5e);
		} else {
			len += snprintf((char *)buf + len, sizeof(buf) - len, "%s", compat);
		}
	}
	if (pct(fz, 50))
		buf[len++] = '\n';

	/* Mutated. */
	if (pct(fz, 45)) {
		for (int m = 1 + rnd(fz, 3); m > 0; m--) {
			size_t at = rnd(fz, len + 1);

			switch (rnd(fz, 7)) {
			case 0:		/* insert */
				if (len + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = pct(fz, 70) ? odd[rnd(fz, 16)] : rnd(fz, 256);
					len++;
				}
				break;
			case 1:		/* delete */
				if (at < len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			case 2:		/* replace */
				if (at < len)
					buf[at] = pct(fz, 70) ? odd[rnd(fz, 16)] : rnd(fz, 256);
				break;
			case 3:		/* truncate */
				len = at;
				break;
			case 4:		/* a second line */
				if (len + 24 < sizeof(buf))
					len += snprintf((char *)buf + len, sizeof(buf) - len,
							"\n%#x rbus,demo", addr);
				break;
			case 5: {	/* longer than a page */
				size_t to = PAGE + 1 + rnd(fz, 512);

				while (len < to)
					buf[len++] = 'a' + rnd(fz, 26);
				break;
			}
			default:	/* a leading blank */
				if (len + 1 < sizeof(buf)) {
					memmove(buf + 1, buf, len);
					buf[0] = pct(fz, 50) ? ' ' : '\t';
					len++;
				}
				break;
			}
		}
	}

	/* What the contract says of it. */
	seen = len < PAGE ? len : PAGE;
	want = parse_line(buf, seen, new, &parsed);
	if (!want && (parsed < CTL_BASE || parsed >= CTL_BASE + CTL_N)) {
		/* A valid line for a child that is not the fuzzer's: not to be written. */
		fz->skipped++;
		return;
	}
	ptr = (__u64)(unsigned long)buf;
	if (pct(fz, 3)) {
		ptr = pct(fz, 50) ? 0 : KERNEL_PTR;
		mode = ptr ? P_KERNEL : P_NULL;
	}

	/* The first bytes, printable. */
	for (size_t i = 0, o = 0; o < sizeof(shown) - 5; i++) {
		if (i == len || i == 40) {
			shown[o] = '\0';
			break;
		}
		if (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '\\')
			shown[o++] = buf[i];
		else
			o += snprintf(shown + o, sizeof(shown) - o, "\\x%02x", buf[i]);
		shown[o] = '\0';
	}
	trace(fz, "%s(%zu bytes%s%s)", new ? "new_device" : "delete_device", len,
	      mode == P_OK ? ": " : ", bad pointer: ", shown);
	{
		int fd = open(new ? fz->line_new : fz->line_del, O_WRONLY | O_CLOEXEC);

		if (fd < 0) {
			ret = -errno;
		} else {
			ret = write(fd, (void *)(unsigned long)ptr, len);
			if (ret < 0)
				ret = -errno;
			close(fd);
		}
	}
	result(fz, ret, -ret);

	if (mode == P_KERNEL) {
		expect_err(fz, "control write", ret, -ret, EB(EFAULT));
		return;
	}
	if (!len) {
		expect_ret(fz, "empty control write", ret, -ret, 0);
		return;
	}
	if (mode != P_OK) {
		expect_err(fz, "control write", ret, -ret, EB(EFAULT));
		return;
	}
	if (want) {
		expect_err(fz, new ? "new_device" : "delete_device", ret, -ret, EB(EINVAL));
		return;
	}
	if (new && fz->ctl[parsed - CTL_BASE]) {
		expect_err(fz, "new_device", ret, -ret, EB(EBUSY));
		return;
	}
	if (!new && !fz->ctl[parsed - CTL_BASE]) {
		expect_err(fz, "delete_device", ret, -ret, EB(ENOENT));
		return;
	}
	expect_ret(fz, new ? "new_device" : "delete_device", ret, -ret, seen);
	if (ret == (long)seen)
		fz->ctl[parsed - CTL_BASE] = new;
}

/* The sequential test's removal and unbind of the channel's child, and their undoing. */
static void op_lifecycle(struct fuzz *fz)
{
	char line[32];
	long ret;

	if (!fz->present) {
		snprintf(line, sizeof(line), "%#x rbus,user", ADDR);
		trace(fz, "new_device(%s)", line);
		ret = write_file(fz->line_new, line, strlen(line));
		result(fz, ret, -ret);
		expect_ret(fz, "new_device of the channel", ret, -ret, strlen(line));
		if (!wait_for(fz->ch.node, true, 10000))
			fail(fz, "%s did not come back", fz->ch.node);
		fz->present = true;
		fz->bound = true;
		fz->latency = 0;
		fz->fault = 0;
		fz->seq = 0;
		fz->submitted = 0;
		fz->completed = 0;
		fz->cancelled = 0;
		fz->failed = 0;
		fz->dropped = 0;
		return;
	}
	if (!fz->bound) {
		trace(fz, "bind(%s)", fz->ch.name);
		ret = write_file(fz->bind, fz->ch.name, strlen(fz->ch.name));
		result(fz, ret, -ret);
		expect_ret(fz, "bind", ret, -ret, strlen(fz->ch.name));
		fz->bound = true;
		return;
	}
	if (pct(fz, 50)) {
		snprintf(line, sizeof(line), "%#x", ADDR);
		trace(fz, "delete_device(%s)", line);
		ret = write_file(fz->line_del, line, strlen(line));
		result(fz, ret, -ret);
		expect_ret(fz, "delete_device of the channel", ret, -ret, strlen(line));
		model_revoke(fz);
		fz->removals++;
		fz->present = false;
		fz->bound = false;
	} else {
		trace(fz, "unbind(%s)", fz->ch.name);
		ret = write_file(fz->unbind, fz->ch.name, strlen(fz->ch.name));
		result(fz, ret, -ret);
		expect_ret(fz, "unbind", ret, -ret, strlen(fz->ch.name));
		model_revoke(fz);
		fz->unbinds++;
		fz->bound = false;
	}
}

/* The sysfs counters of the channel's child against the model. */
static void check_counters(struct fuzz *fz)
{
	static const char *const names[] = {
		"requests_submitted", "requests_completed", "requests_cancelled",
		"requests_failed", "requests_in_flight", "channel_events_dropped",
	};
	unsigned long long want[] = { fz->submitted, fz->completed, fz->cancelled, fz->failed,
				      fz->npend, fz->dropped };

	if (!fz->present)
		return;
	for (int i = 0; i < 6; i++) {
		unsigned long long got = channel_counter(&fz->ch, names[i]);

		if (got != want[i])
			fail(fz, "%s is %llu, the model says %llu", names[i], got, want[i]);
	}
}

/* Cancels a request that has been pending for RESOLVE_OPS calls: its latency must not run out. */
static bool resolve_old(struct fuzz *fz)
{
	struct rbus_cancel c = { 0 };
	struct pend p;
	long ret;
	int err;

	if (!fz->npend || fz->op - fz->pend[0].op < RESOLVE_OPS)
		return false;
	/* The oldest request is the oldest of its file with its id. */
	c.id = fz->pend[0].rec.id;
	trace(fz, "cancel(slot %d, id %llu), pending since call %ld", fz->pend[0].slot,
	      (unsigned long long)c.id, fz->pend[0].op);
	ret = ioctl(fz->slot[fz->pend[0].slot].fd, RBUS_IOC_CANCEL, &c);
	err = errno;
	result(fz, ret, err);
	expect_ret(fz, "cancel", ret, err, 0);
	p = model_unpend(fz, 0);
	model_finish(fz, &p.rec, p.slot, -ECANCELED);
	return true;
}

/* One call, chosen by the seed. */
static void one_op(struct fuzz *fz)
{
	int r;

	if (!fz->concurrent) {
		if (resolve_old(fz))
			return;
		for (int i = 0; i < SLOTS; i++) {
			if (fz->slot[i].fd >= 0 && fz->slot[i].len > RING_DRAIN) {
				do_close(fz, i);
				return;
			}
		}
		if ((!fz->present || !fz->bound) && pct(fz, 20)) {
			op_lifecycle(fz);
			return;
		}
	}
	r = rnd(fz, 1000);
	if (r < 300)
		op_submit_valid(fz);
	else if (r < 470)
		op_read(fz);
	else if (r < 690)
		op_ioctl(fz);
	else if (r < 760)
		op_poll(fz);
	else if (r < 800)
		op_open(fz);
	else if (r < 830)
		op_close(fz);
	else if (r < 845)
		op_write(fz);
	else if (r < 885)
		op_raise(fz);
	else if (r < 915)
		op_configure(fz);
	else if (r < 997)
		op_control(fz);
	else if (!fz->concurrent)
		op_lifecycle(fz);
	else
		op_poll(fz);
}

/* Setup and teardown. */

/* One seed for the whole program: each test runs in a child forked after this. */
static __u64 seed;

static void __attribute__((constructor)) fuzz_seed(void)
{
	const char *env = getenv("RBUS_FUZZ_SEED");

	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = time(NULL) ^ ((__u64)getpid() << 32);
}

static long fuzz_ops(void)
{
	const char *env = getenv("RBUS_FUZZ_OPS");
	long ops = env && *env ? strtol(env, NULL, 0) : DEFAULT_OPS;

	return ops > 0 ? ops : DEFAULT_OPS;
}

FIXTURE(fuzz) {
	struct fuzz *fz;
};

FIXTURE_SETUP(fuzz)
{
	struct fuzz *fz;
	__u8 *area;
	int nr;

	self->fz = NULL;
	if (!rbus_load() || run("modprobe rbus_dev"))
		SKIP(return, "rbus modules not installed");
	nr = bus_nr_of(ACPI_CTRL_DIR);
	ASSERT_LE(0, nr);
	ASSERT_EQ(PAGE, sysconf(_SC_PAGESIZE));
	fz = calloc(1, sizeof(*fz));
	ASSERT_NE(NULL, fz);
	self->fz = fz;
	fz->md = _metadata;
	channel_init(&fz->ch, nr, ADDR);
	snprintf(fz->line_new, sizeof(fz->line_new), "%s", NEW_DEVICE);
	snprintf(fz->line_del, sizeof(fz->line_del), "%s", DELETE_DEVICE);
	snprintf(fz->raise, sizeof(fz->raise), "%s", fz->ch.raise);
	snprintf(fz->requests, sizeof(fz->requests), "%s", fz->ch.requests);
	snprintf(fz->bind, sizeof(fz->bind), RBUS_DRIVERS "/rbus_dev/bind");
	snprintf(fz->unbind, sizeof(fz->unbind), RBUS_DRIVERS "/rbus_dev/unbind");
	for (int i = 0; i < SLOTS; i++) {
		fz->slot[i].fd = -1;
		fz->slot[i].ring = calloc(RING, sizeof(struct exp));
		fz->slot[i].state = calloc(SESSION, 1);
		ASSERT_NE(NULL, fz->slot[i].ring);
		ASSERT_NE(NULL, fz->slot[i].state);
	}

	/* [arg][guard][req][guard][ro][guard] */
	area = mmap(NULL, (ARG_PAGES + REQ_PAGES + 4) * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	fz->arg = area;
	fz->arg_guard = fz->arg + ARG_PAGES * PAGE;
	fz->req = fz->arg_guard + PAGE;
	fz->req_guard = fz->req + REQ_PAGES * PAGE;
	fz->ro = fz->req_guard + PAGE;
	fz->ro_guard = fz->ro + PAGE;
	ASSERT_EQ(0, mprotect(fz->arg_guard, PAGE, PROT_NONE));
	ASSERT_EQ(0, mprotect(fz->req_guard, PAGE, PROT_NONE));
	ASSERT_EQ(0, mprotect(fz->ro_guard, PAGE, PROT_NONE));
	ASSERT_EQ(0, mprotect(fz->ro, PAGE, PROT_READ));

	/* Nothing of an earlier run. */
	channel_delete(&fz->ch);
	for (int i = 0; i < CTL_N; i++) {
		char line[16];

		snprintf(line, sizeof(line), "%#x", CTL_BASE + i);
		write_str(fz->line_del, line);
	}
	ASSERT_EQ(0, channel_add(&fz->ch));
	fz->present = true;
	fz->bound = true;
	fz->seed = seed;
	fz->ops = fuzz_ops();
}

FIXTURE_TEARDOWN(fuzz)
{
	struct fuzz *fz = self->fz;

	if (!fz)
		return;
	atomic_store(&fz->stop, true);
	for (int i = 0; i < SLOTS; i++)
		if (fz->slot[i].fd >= 0)
			close(fz->slot[i].fd);
	channel_delete(&fz->ch);
	for (int i = 0; i < CTL_N; i++) {
		char line[16];

		snprintf(line, sizeof(line), "%#x", CTL_BASE + i);
		write_str(fz->line_del, line);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void report(struct fuzz *fz, const char *name, long long ms)
{
	char buf[2048];
	size_t n = 0;

	for (int e = 1; e < 128 && n < sizeof(buf) - 64; e++)
		if (fz->errnos[e])
			n += snprintf(buf + n, sizeof(buf) - n, " %s %ld", strerrorname_np(e),
				      fz->errnos[e]);
	buf[n] = '\0';
	ksft_print_msg("%s: errnos:%s\n", name, buf);
	ksft_print_msg("%s: %ld calls in %lld ms: %ld succeeded, %ld failed as expected\n",
		       name, fz->op - fz->skipped, ms, fz->results_ok, fz->results_err);
	ksft_print_msg("%s: %ld records checked, %ld removals and %ld unbinds of the child\n",
		       name, fz->records, fz->removals, fz->unbinds);
	ksft_print_msg("%s: %ld blocking calls not made: they would have waited for good\n",
		       name, fz->skipped);
	ksft_print_msg("%s: calls digest %016llx, results digest %016llx\n", name,
		       (unsigned long long)fz->digest_calls,
		       (unsigned long long)fz->digest_results);
}

/* A watchdog: a call that blocks for good fails the test with the call named. */
static struct fuzz *watched;

static void watchdog(int sig)
{
	char msg[256];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg), "# FUZZ HANG at call %ld (RBUS_FUZZ_SEED=%#llx): %s\n",
		     watched->op, (unsigned long long)watched->seed,
		     watched->trace[(watched->trace_next + 31) % 32]);
	if (write(STDOUT_FILENO, msg, n) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

static void arm_watchdog(struct fuzz *fz)
{
	watched = fz;
	signal(SIGALRM, watchdog);
}

TEST_F_TIMEOUT(fuzz, sequential, 14400)
{
	struct fuzz *fz = self->fz;
	long long start = now_ms();

	fz->rng = fz->seed ^ 0x5e9e47a1ULL;
	fz->ops = fz->ops - fz->ops / 5;
	ksft_print_msg("RBUS_FUZZ_SEED=%#llx RBUS_FUZZ_OPS=%ld: %ld sequential calls\n",
		       (unsigned long long)fz->seed, fuzz_ops(), fz->ops);
	arm_watchdog(fz);
	for (fz->op = 0; fz->op - fz->skipped < fz->ops && !fz->failures; fz->op++) {
		alarm(30);
		one_op(fz);
		if (fz->op % CHECK_EVERY == CHECK_EVERY - 1)
			check_counters(fz);
	}
	alarm(0);
	/* Close every file: what they left pending is cancelled. */
	for (int i = 0; i < SLOTS && !fz->failures; i++)
		if (fz->slot[i].fd >= 0)
			do_close(fz, i);
	if (!fz->failures) {
		if (!fz->present || !fz->bound)
			op_lifecycle(fz);
		if (!fz->present || !fz->bound)
			op_lifecycle(fz);
		check_counters(fz);
		EXPECT_EQ(0, fz->npend);
		EXPECT_TRUE(channel_balanced(&fz->ch));
	}
	report(fz, "sequential", now_ms() - start);
	EXPECT_EQ(0, fz->failures);
}

/* The remover: the child goes and comes back, or its driver does, every few milliseconds. */
static void *remover(void *arg)
{
	struct fuzz *fz = arg;
	char add[32], del[32];

	snprintf(add, sizeof(add), "%#x rbus,user", ADDR);
	snprintf(del, sizeof(del), "%#x", ADDR);
	while (!atomic_load(&fz->stop)) {
		bool unbind = next_u64(&fz->remover_rng) % 3 == 0;
		int ret;

		usleep(next_u64(&fz->remover_rng) % 8000);
		ret = unbind ? write_str(fz->unbind, fz->ch.name) : write_str(fz->line_del, del);
		if (ret) {
			ksft_print_msg("the removing thread's %s failed: %s\n",
				       unbind ? "unbind" : "delete_device", strerror(-ret));
			atomic_fetch_add(&fz->remover_errors, 1);
			break;
		}
		usleep(next_u64(&fz->remover_rng) % 8000);
		ret = unbind ? write_str(fz->bind, fz->ch.name) : write_str(fz->line_new, add);
		if (ret) {
			ksft_print_msg("the removing thread's %s failed: %s\n",
				       unbind ? "bind" : "new_device", strerror(-ret));
			atomic_fetch_add(&fz->remover_errors, 1);
			break;
		}
		atomic_fetch_add(&fz->cycles, 1);
		if (unbind)
			fz->unbinds++;
		else
			fz->removals++;
	}
	return NULL;
}

TEST_F_TIMEOUT(fuzz, concurrent_removal, 14400)
{
	struct fuzz *fz = self->fz;
	long long start = now_ms();
	struct rbus_record rec;
	pthread_t t;
	int fd;

	fz->concurrent = true;
	fz->rng = fz->seed ^ 0xc0c0a1e5ULL;
	fz->remover_rng = fz->seed ^ 0x4e30e4e1ULL;
	fz->ops = fz->ops / 5;
	fz->next_id = 1;
	ksft_print_msg("RBUS_FUZZ_SEED=%#llx RBUS_FUZZ_OPS=%ld: %ld calls, concurrent removal\n",
		       (unsigned long long)fz->seed, fuzz_ops(), fz->ops);
	arm_watchdog(fz);
	ASSERT_EQ(0, pthread_create(&t, NULL, remover, fz));
	for (fz->op = 0; fz->op - fz->skipped < fz->ops && !fz->failures && !fz->remover_errors;
	     fz->op++) {
		alarm(30);
		one_op(fz);
	}
	alarm(0);
	atomic_store(&fz->stop, true);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, fz->remover_errors);

	/* The child is back, bound; the last one's counters balance once every file is closed. */
	if (!exists("%s/%s", RBUS_DEVICES, fz->ch.name))
		ASSERT_EQ(0, channel_add(&fz->ch));
	if (!exists("%s", fz->ch.node)) {
		ASSERT_EQ(0, write_str(fz->bind, fz->ch.name));
		ASSERT_TRUE(wait_for(fz->ch.node, true, 10000));
	}
	for (int i = 0; i < SLOTS; i++)
		if (fz->slot[i].fd >= 0)
			do_close(fz, i);
	ASSERT_EQ(0, channel_sim(&fz->ch, 0, 0));
	fd = open(fz->ch.node, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(1, submit_one(fd, i));
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, read_rec(fd, &rec));
		EXPECT_TRUE(answer_ok(&rec, 4, 8));
	}
	close(fd);
	EXPECT_EQ(0ULL, channel_counter(&fz->ch, "requests_in_flight"));
	EXPECT_TRUE(channel_balanced(&fz->ch));
	report(fz, "concurrent_removal", now_ms() - start);
	EXPECT_LT(0, fz->cycles);
	EXPECT_EQ(0, fz->failures);
}

TEST_HARNESS_MAIN
