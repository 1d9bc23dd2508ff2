// SPDX-License-Identifier: GPL-2.0

//! The asynchronous request queue of a child (Interface B), like a WDF power-managed queue.
//!
//! C header: [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! A [`Client`] (an open file, or a kernel child driver) submits [`Request`]s; each is completed
//! exactly once: by the controller, by a cancel, by the client's close, or with `-ENODEV` when
//! the driver unbinds or the child is removed. Whichever comes first wins, under the queue's
//! lock, and moves the request to its client's `records`: from the queue's `pending` list, or,
//! while `submit` still hands it to the controller, from no list, at the hand-over's settlement.
//! A request is on at most one of those lists, so both use its one set of links.
//!
//! The controller holds each request it was handed as an [`Arc`] of its own, turned into the
//! `struct rbus_request *` of `rbus_hw_ops.submit` and back by `rbus_request_complete()`. It is
//! handed over with no lock of the queue held, so a controller may complete a request inside
//! `submit`, from a work item or from a ticker alike. The winner writes the request's record
//! under the queue's lock; a reader copies it out, straight to user space (several of a batch
//! through a buffer on the stack), once it has taken the request off its client's `records`,
//! with no lock held.
//!
//! A round trip takes the queue's lock three times: to queue, to complete and to read. Consumed
//! requests go back to their client's [`Spares`], a lock-free stack, for the next submit, so the
//! steady state allocates nothing and takes no other lock.
//!
//! While the controller holds requests of a child, the queue holds a runtime PM usage count of the
//! child and one of its host, taken when the first starts and dropped, with an autosuspend put,
//! when the controller gives the last back. While the child is suspended, new requests wait in
//! the queue and an asynchronous resume is requested; resume starts them. Suspend is refused while
//! the controller holds requests.
//!
//! Controllers and child drivers live in other modules, so they call the `rbus_client_*()` and
//! `rbus_request_*()` functions here, which `rust/exports.c` exports.

use super::{
    calls::Call,
    device::{
        attr_group,
        attr_ro,
        to_rbus_device, //
    },
    host::mark_host_busy,
    lock::FastSpinLock,
    table::Table,
    trace,
    wait::WaitQueue, //
};
use crate::rbus::{
    ffi,
    uapi,
    Device, //
};
use kernel::{
    alloc::{
        flags::{
            GFP_ATOMIC,
            GFP_KERNEL, //
        },
        Flags, //
    },
    bindings,
    error::from_result,
    ffi::c_ulong,
    list::{
        impl_list_arc_safe,
        impl_list_item,
        List,
        ListArc,
        ListLinks, //
    },
    prelude::*,
    static_lock_class,
    sync::{
        aref::ARef,
        lock::Lock,
        Arc,
        ArcBorrow,
        LockedBy, //
    },
    time::{
        Instant,
        Monotonic, //
    },
    transmute::AsBytes,
    types::ForeignOwnable,
    uaccess::{
        UserPtr,
        UserSlice, //
    }, //
};

use core::{
    cell::UnsafeCell,
    mem::{
        size_of,
        MaybeUninit, //
    },
    ptr,
    sync::atomic::{
        AtomicBool,
        AtomicI32,
        AtomicPtr,
        AtomicU32,
        AtomicU8,
        Ordering::{
            Acquire,
            Relaxed,
            Release,
            SeqCst, //
        }, //
    }, //
};

/// The most requests a child holds at once, over all its clients.
const QUEUE_DEPTH: u32 = ffi::RBUS_QUEUE_DEPTH;

// One submit may fill the queue, and the spares hold a full batch.
const _: () = assert!(uapi::SUBMIT_MAX == QUEUE_DEPTH as usize);

/// Unread event records a client keeps; newer events are dropped.
const CLIENT_EVENTS_MAX: u32 = 64;

/// Consumed requests a client keeps for reuse: as many as it may have in flight, so that a full
/// batch allocates nothing either. Under TCG an allocation costs microseconds (the slab's fast
/// path is a 16-byte compare-and-exchange, which TCG runs alone).
const CLIENT_SPARES: u32 = QUEUE_DEPTH;

/// `EPOLLIN | EPOLLRDNORM`, which have the values of their `POLL*` twins.
const POLL_IN: u32 = bindings::POLLIN | bindings::POLLRDNORM;

/// `EPOLLOUT | EPOLLWRNORM`.
const POLL_OUT: u32 = bindings::POLLOUT | bindings::POLLWRNORM;

/// `EPOLLHUP`.
const POLL_HUP: u32 = bindings::POLLHUP;

/// `-ECANCELED`, a constant: `Error::to_errno()` is a call at `-Os`.
const STATUS_CANCELED: i32 = -(bindings::ECANCELED as i32);

/// `-ENODEV`.
const STATUS_NODEV: i32 = -(bindings::ENODEV as i32);

/// The state of a child's request queue, under its lock.
pub(crate) struct Inner {
    /// Requests in flight, waiting or started, in submit order.
    pending: List<Request>,
    /// The open clients.
    clients: List<Client>,
    /// Requests in flight, at most [`QUEUE_DEPTH`].
    count: u32,
    /// Requests the controller holds, completed or not.
    started: u32,
    /// The jiffy the child was last marked busy for its autosuspend: at most once a jiffy.
    busy_jiffies: usize,
    /// Suspended: new requests wait for resume.
    held: bool,
    /// Removed: no request is taken any more.
    dead: bool,
    /// Unbound since the last probe: no client opens.
    closed: bool,
    /// Requests taken.
    submitted: u64,
    /// Requests completed with status 0.
    completed: u64,
    /// Requests completed with `-ECANCELED`.
    cancelled: u64,
    /// Requests completed with another error.
    failed: u64,
    /// Events an open client missed.
    events_dropped: u64,
}

impl Inner {
    /// Whether the child is due to be marked busy, at most once a jiffy.
    fn mark_busy(&mut self) -> bool {
        // SAFETY: `jiffies` is the kernel's tick counter, which it only ever updates atomically.
        let now = unsafe { ptr::read_volatile(&raw const bindings::jiffies) };
        let due = self.busy_jiffies != now;
        self.busy_jiffies = now;
        due
    }
}

/// The request queue of a child, which the child owns from `rbus_device_add()` to its release.
#[pin_data]
pub(crate) struct Queue {
    /// Two calls a section (see `lock.rs`): a round trip takes it three times.
    #[pin]
    inner: FastSpinLock<Inner>,
    /// Submitters and pollers wait here for room.
    #[pin]
    room: WaitQueue,
}

impl Queue {
    /// A new, empty queue, open: only an unbind closes it, until the next probe.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- Lock::new(Inner {
                pending: List::new(),
                clients: List::new(),
                count: 0,
                started: 0,
                busy_jiffies: 0,
                held: false,
                dead: false,
                closed: false,
                submitted: 0,
                completed: 0,
                cancelled: 0,
                failed: 0,
                events_dropped: 0,
            }, c"rbus_queue", static_lock_class!()),
            room <- WaitQueue::new(c"rbus_queue_room", static_lock_class!()),
        })
    }

    /// The queue of `rdev`.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child, for `'a`.
    pub(crate) unsafe fn of<'a>(rdev: *const ffi::rbus_device) -> &'a Self {
        // SAFETY: By the safety requirements `rdev` is valid for `'a`, and its queue, which
        // `rbus_device_add()` set before handing the child out, lives until its release.
        unsafe { &*(*rdev).requests.cast::<Self>() }
    }

    /// Completes `req`, which was on `pending` or is settled by its hand-over, with `status` and,
    /// for a status of 0, the bytes `rx` read back, exactly once: its record goes to its client,
    /// and the waiters are woken.
    #[inline(always)]
    fn finish(&self, inner: &mut Inner, req: ListArc<Request>, status: i32, rx: &[u8]) {
        req.set_state(inner, State::Done);
        // SAFETY: `req` completes now, under the lock `inner` holds.
        let id = unsafe { req.write_completion(status, rx) };
        // SAFETY: As above; the stamp was written before the request was queued.
        let submitted = unsafe { *req.submitted.get() };
        trace::request_complete(&req.client.dev, id, status, submitted);
        // Submitters and pollers wait for room only while the queue is full.
        let was_full = inner.count >= QUEUE_DEPTH;
        inner.count -= 1;
        match status {
            0 => inner.completed += 1,
            STATUS_CANCELED => inner.cancelled += 1,
            _ => inner.failed += 1,
        }
        let client: *const Client = &*req.client;
        // SAFETY: The request holds its client. On the client's list, the request is only taken
        // off under the queue's lock, which `inner` holds for the rest of this function.
        let client = unsafe { &*client };
        let state = client.state.access_mut(inner);
        state.records.push_back(req);
        state.len += 1;
        // Readers, pollers and submitters add themselves to their queue, then check their
        // condition under the lock: testing for waiters under it misses none, and spares an idle
        // queue the wait queue's lock.
        if client.wait.active() {
            client.wait.wake_up_poll(POLL_IN);
        }
        if was_full && self.room.active() {
            self.room.wake_up_poll(POLL_OUT);
        }
    }

    /// Completes every request on `pending` that `pred` picks with `status`.
    fn finish_all(&self, inner: &mut Inner, status: i32, pred: impl Fn(&Request) -> bool) {
        let mut taken = List::<Request>::new();
        let mut kept = List::<Request>::new();
        while let Some(req) = inner.pending.pop_front() {
            if pred(&req) {
                taken.push_back(req);
            } else {
                kept.push_back(req);
            }
        }
        inner.pending.push_all_back(&mut kept);
        while let Some(req) = taken.pop_front() {
            self.finish(inner, req, status, &[]);
        }
    }

    /// The driver unbound: every request fails with `-ENODEV`, every client is dead and every
    /// waiter wakes. Their files stay safe until closed.
    pub(crate) fn revoke(&self) {
        self.close(false);
    }

    /// [`Queue::revoke`], and with `dead` the child is removed too, in the same section of the
    /// lock: a removal takes it once, not once to mark the queue dead and again to revoke it.
    fn close(&self, dead: bool) {
        let mut inner = self.inner.lock();
        inner.dead |= dead;
        inner.closed = true;
        self.finish_all(&mut inner, STATUS_NODEV, |_| true);
        // Out of `inner` while it is walked, so that each client's state can be reached; back
        // before the lock is dropped.
        let clients = core::mem::take(&mut inner.clients);
        for client in &clients {
            client.state.access_mut(&mut inner).dead = true;
            // Test-only: `make check RBUS_BREAK=skip-wake` must go red.
            if !cfg!(rbus_break = "skip-wake") {
                client.wait.wake_up_poll(POLL_HUP | POLL_IN);
            }
        }
        inner.clients = clients;
        // Tested under the lock, as in `finish()`: a submitter or poller adds itself to `room`,
        // then checks under the lock, so it either is seen here or finds the queue closed. A
        // child with none, as every child without a driver is, is spared the wake-up's lock.
        let waiters = self.room.active();
        drop(inner);
        if waiters {
            self.room.wake_up_poll(POLL_OUT);
        }
    }

    /// A driver is about to bind: clients may open again.
    pub(crate) fn reopen(&self) {
        self.inner.lock().closed = false;
    }

    /// The child is removed: no client or request is taken any more.
    pub(crate) fn kill(&self) {
        self.close(true);
    }

    /// D0 exit: refused while the controller holds requests; new ones wait.
    pub(crate) fn suspend(&self) -> Result {
        let mut inner = self.inner.lock();
        if inner.started != 0 {
            return Err(EBUSY);
        }
        inner.held = true;
        Ok(())
    }

    /// D0 entry: starts the requests that waited, oldest first.
    ///
    /// # Safety
    ///
    /// `rdev` must be the valid child that owns this queue.
    pub(crate) unsafe fn resume(&self, rdev: *mut ffi::rbus_device) {
        // One request a round, so that nothing is allocated: resume is rare, and at most
        // `QUEUE_DEPTH` requests wait.
        loop {
            let mut next = Chain::new();
            {
                let mut inner = self.inner.lock();
                inner.held = false;
                let waiting = inner
                    .pending
                    .iter()
                    .find(|req| req.state(&inner) == State::Waiting)
                    .map(Arc::from);
                let Some(req) = waiting else {
                    return;
                };
                // It stays on `pending`; the controller's reference is another.
                req.shared.store(true, Relaxed);
                // SAFETY: By the safety requirements `rdev` is valid.
                unsafe { start_locked(&mut inner, rdev, &req) };
                next.push_back(req);
            }
            // SAFETY: By the safety requirements `rdev` is valid, and the request was started.
            unsafe { hand_over(rdev, next) };
        }
    }

    /// Shows the counter `f` picks.
    fn show(&self, buf: *mut c_char, f: impl Fn(&Inner) -> u64) -> isize {
        let val = f(&self.inner.lock());
        // SAFETY: `buf` is the page sysfs hands `show`, and `%llu` takes a `u64`.
        unsafe { bindings::sysfs_emit(buf, c"%llu\n".as_char_ptr(), val) as isize }
    }
}

/// Where a request is.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum State {
    /// Queued while the child is suspended.
    Waiting,
    /// The controller has it.
    Started,
    /// Completed: its record is on its client's list, or read. An event's record is from the
    /// start.
    Done,
}

/// A request, and then its record.
///
/// A client reuses its consumed requests (see [`Spares`]), so what one use of a request carries,
/// its `req` and its `record`, is written again for the next.
///
/// # Invariants
///
/// - `req` and `submitted` are written only through the only reference to the request, while it
///   is on no list: one just allocated, or one taken off its client's [`Spares`]. Once queued they
///   do not change until it is consumed.
/// - `state` holds a [`State`], changed only under the queue's lock.
/// - `record` is written through the only reference to the request, as `req` is, or under the
///   queue's lock by [`Queue::finish`], which completes it, off `pending` or from its hand-over.
///   It is read only while the request is on its client's `records`, under that lock, or by
///   whoever took it off them.
/// - `next` is written only by whoever links the request: a [`Chain`] that owns a reference to
///   it, or the hand-over that gave it to the controller (see [`hand_over`]).
/// - `answer` belongs to whoever holds the controller's reference: the controller, which may
///   write its `data` in place (`rbus_request_get_io()`) and writes all of it when it completes
///   the request while `handoff` is [`HANDOFF_RUNNING`], before it sets [`HANDOFF_ANSWERED`]; or
///   the hand-over, before it handed the request over or once the call to the controller could
///   not begin. It is read only by the hand-over that finds [`HANDOFF_ANSWERED`], after the
///   controller gave its reference back. A completion that comes after the settlement may still
///   write it: nothing reads it then, until the request's next use writes it again.
#[pin_data]
pub(crate) struct Request {
    #[pin]
    links: ListLinks,
    /// The next request in a [`Chain`], as `Arc::into_foreign()` gives it.
    next: AtomicPtr<c_void>,
    /// Where the hand-over of the controller's reference is: `HANDOFF_*`.
    handoff: AtomicU32,
    /// The controller's answer, when it completes the request inside `submit`.
    answer: UnsafeCell<Answer>,
    client: Arc<Client>,
    /// The transfer, as submitted and checked by [`req_valid`]; zero for an event.
    req: UnsafeCell<uapi::Req>,
    /// What `read()` returns.
    record: UnsafeCell<uapi::Record>,
    /// When it was queued, while its completion is traced.
    submitted: UnsafeCell<Option<Instant<Monotonic>>>,
    /// Where it is. An atomic rather than `LockedBy`, whose owner check is a call at `-Os`, and
    /// several a request: [`Request::state`] and [`Request::set_state`] take the lock's guard.
    state: AtomicU8,
    /// Whether the controller holds a reference of its own, besides the list's: see
    /// [`hand_over`]. Set under the queue's lock, before that reference exists.
    shared: AtomicBool,
}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Request { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Request { using ListLinks { self.links }; }
}

// SAFETY: `req`, `submitted`, `record` and `answer` are only accessed as the type invariants say:
// each write is ordered with every other access by the queue's lock, by the ownership of the only
// reference, by the release and acquire of the spares' stack or of `handoff`. The other fields
// are `Send`.
unsafe impl Send for Request {}

// SAFETY: As above; the other fields are `Sync`.
unsafe impl Sync for Request {}

/// No hand-over of the request runs.
const HANDOFF_NONE: u32 = 0;

/// The controller's `submit` runs: a completion leaves its answer and its reference to the
/// hand-over, which completes the request once `submit` returns, with the others of its batch.
const HANDOFF_RUNNING: u32 = 1;

/// The controller completed the request inside `submit`.
const HANDOFF_ANSWERED: u32 = 2;

/// A completion the controller left to the hand-over: its status and the bytes read back.
struct Answer {
    status: i32,
    len: u32,
    data: [u8; uapi::DATA_MAX],
}

impl Answer {
    /// The bytes read back, for a status of 0.
    fn rx(&self) -> &[u8] {
        self.data.get(..self.len as usize).unwrap_or(&[])
    }
}

/// An empty transfer.
const NO_REQ: uapi::Req = uapi::Req {
    id: 0,
    op: 0,
    flags: 0,
    tx_len: 0,
    rx_len: 0,
    tx: [0; uapi::DATA_MAX],
};

impl Request {
    /// A new request of `client` with `record`: an event's, or an empty one for a transfer, which
    /// the caller writes before it queues the request.
    fn new(client: &Arc<Client>, record: uapi::Record, flags: Flags) -> Result<ListArc<Self>> {
        ListArc::pin_init(
            try_pin_init!(Self {
                links <- ListLinks::new(),
                next: AtomicPtr::new(ptr::null_mut()),
                handoff: AtomicU32::new(HANDOFF_NONE),
                answer: UnsafeCell::new(Answer {
                    status: 0,
                    len: 0,
                    data: [0; uapi::DATA_MAX],
                }),
                client: client.clone(),
                req: UnsafeCell::new(NO_REQ),
                record: UnsafeCell::new(record),
                submitted: UnsafeCell::new(None),
                state: AtomicU8::new(State::Done as u8),
                shared: AtomicBool::new(false),
            }),
            flags,
        )
    }

    /// Where the request is, read under the queue's lock.
    #[inline(always)]
    fn state(&self, _inner: &Inner) -> State {
        match self.state.load(Relaxed) {
            s if s == State::Waiting as u8 => State::Waiting,
            s if s == State::Started as u8 => State::Started,
            _ => State::Done,
        }
    }

    /// Moves the request to `state`, under the queue's lock.
    #[inline(always)]
    fn set_state(&self, _inner: &mut Inner, state: State) {
        self.state.store(state as u8, Relaxed);
    }

    /// The transfer.
    ///
    /// # Safety
    ///
    /// The request must be queued, or held by the controller, and not consumed yet.
    unsafe fn req(&self) -> &uapi::Req {
        // SAFETY: By the safety requirements and the type invariants nobody writes `req` now.
        unsafe { &*self.req.get() }
    }

    /// Writes the record of a transfer that completed with `status` and, for a status of 0, the
    /// bytes `rx` read back, at most the `rx_len` it asked for. Returns the transfer's id.
    ///
    /// # Safety
    ///
    /// The caller must hold the queue's lock, and complete the request: one it just took off
    /// `pending`, or that its hand-over settles.
    #[inline(always)]
    unsafe fn write_completion(&self, status: i32, rx: &[u8]) -> u64 {
        // SAFETY: The request was queued, so nobody writes `req`.
        let req = unsafe { self.req() };
        let n = if status == 0 {
            rx.len().min(req.rx_len as usize).min(uapi::DATA_MAX)
        } else {
            0
        };
        // SAFETY: By the safety requirements and the type invariants the record is ours to
        // write: a request that completes now is on no client's `records`.
        let rec = unsafe { &mut *self.record.get() };
        rec.id = req.id;
        rec.r#type = uapi::RECORD_COMPLETION;
        rec.status = status;
        rec.len = n as u32;
        rec.kind = 0;
        rec.payload = 0;
        if let (uapi::DATA_MAX, Ok(full)) = (n, <&[u8; uapi::DATA_MAX]>::try_from(rx)) {
            // A whole array, without the calls of a slice copy at `-Os`.
            copy_data(&mut rec.data, full);
        } else {
            // A reused request holds its last answer: none of it shows.
            let (data, rest) = rec.data.split_at_mut(n);
            if let Some(src) = rx.get(..n) {
                data.copy_from_slice(src);
            }
            rest.fill(0);
        }
        req.id
    }

    /// The record `read()` returns.
    ///
    /// # Safety
    ///
    /// The request must be on its client's `records`, with the queue's lock held, or taken off
    /// them by the caller.
    unsafe fn record(&self) -> &uapi::Record {
        // SAFETY: By the safety requirements and the type invariants nobody writes the record now.
        unsafe { &*self.record.get() }
    }

    /// Whether the record is an event's.
    ///
    /// # Safety
    ///
    /// As for [`Request::record`].
    unsafe fn is_event(&self) -> bool {
        // SAFETY: By the safety requirements.
        unsafe { self.record() }.r#type == uapi::RECORD_EVENT
    }
}

/// Copies a whole answer, inline: a copy of 64 bytes is a call of `memcpy()` or `memmove()` at
/// `-Os`, which LLVM inlines only up to four stores, and a batch makes one a request. Two halves
/// of four words each are inlined, as eight loads and eight stores.
#[inline(always)]
fn copy_data(dst: &mut [u8; uapi::DATA_MAX], src: &[u8; uapi::DATA_MAX]) {
    const HALF: usize = uapi::DATA_MAX / 2;
    let (dst_lo, dst_hi) = dst.split_at_mut(HALF);
    let (src_lo, src_hi) = src.split_at(HALF);
    // Constant lengths: the conversions cannot fail, and fold away. No loop either: an iterator
    // over the halves is calls at `-Os`.
    if let (Ok(d), Ok(s)) = (
        <&mut [u8; HALF]>::try_from(dst_lo),
        <&[u8; HALF]>::try_from(src_lo),
    ) {
        *d = *s;
    }
    if let (Ok(d), Ok(s)) = (
        <&mut [u8; HALF]>::try_from(dst_hi),
        <&[u8; HALF]>::try_from(src_hi),
    ) {
        *d = *s;
    }
}

/// Records that [`Client::read_user`] copies out at once, through a buffer on the stack of
/// `STAGE * 96` bytes.
const STAGE: usize = 8;

/// A third of a record: see [`copy_record`].
const THIRD: usize = size_of::<uapi::Record>() / 3;

const _: () = assert!(THIRD * 3 == size_of::<uapi::Record>());

/// Copies `src` to `dst`, inline: as for [`copy_data`], a copy of the whole record is a call of
/// `memcpy()` at `-Os`, and its thirds are four loads and four stores each.
///
/// # Safety
///
/// `dst` must be valid for writes of a record, and not overlap `src`.
#[inline(always)]
unsafe fn copy_record(dst: *mut uapi::Record, src: &uapi::Record) {
    let src = src.as_bytes();
    let dst = dst.cast::<[u8; THIRD]>();
    if let (Ok(a), Ok(b), Ok(c)) = (
        <&[u8; THIRD]>::try_from(&src[..THIRD]),
        <&[u8; THIRD]>::try_from(&src[THIRD..THIRD * 2]),
        <&[u8; THIRD]>::try_from(&src[THIRD * 2..]),
    ) {
        // SAFETY: By the safety requirements `dst` is valid for writes of the record's three
        // thirds, which have no alignment of their own, and does not overlap `src`.
        unsafe {
            dst.write(*a);
            dst.add(1).write(*b);
            dst.add(2).write(*c);
        }
    }
}

/// The list's reference to `req`, from its only reference: `ListArc::from_raw(Arc::into_raw())`
/// without the two layout calls `Arc::from_raw()` makes at `-Os`.
///
/// # Safety
///
/// There must be no `ListArc` of the request: its reference is not on a list.
#[inline(always)]
unsafe fn list_arc(req: Arc<Request>) -> ListArc<Request> {
    // SAFETY: `ListArc` is `repr(transparent)` over `Arc`, as its own conversion back to an `Arc`
    // relies on. `Request`'s list references are `untracked`, so by the safety requirements this is
    // the only `ListArc` of the request, as `ListArc`'s invariants require.
    unsafe { core::mem::transmute::<Arc<Request>, ListArc<Request>>(req) }
}

/// A chain of requests through [`Request::next`], oldest first: the batch a submit builds, the
/// requests it hands over, and the spares a client keeps.
///
/// The links are `Arc::into_foreign()` pointers, as the controller's are: `Arc::from_raw()` finds
/// the reference count from the data with two calls at `-Os`, `Arc::from_foreign()` with none.
///
/// # Invariants
///
/// `head` is null or the first of `len` requests, each linked to the next by `next`, the last to
/// null, and each owning a reference from `Arc::into_foreign()`. `tail` is the last, or null when
/// unknown. A request is linked once at most: those of a batch and the spares are the only
/// references to their requests, and a hand-over holds the controller's, of which a request has
/// one at a time.
struct Chain {
    head: *mut c_void,
    tail: *mut c_void,
    len: u32,
}

/// The request behind a link of a [`Chain`], borrowed.
///
/// # Safety
///
/// `link` must be a live link of a chain, which keeps its request for `'a`.
unsafe fn link<'a>(link: *mut c_void) -> ArcBorrow<'a, Request> {
    // SAFETY: By the safety requirements `link` came from `Arc::into_foreign()`, and its
    // reference outlives `'a`.
    unsafe { <Arc<Request> as ForeignOwnable>::borrow(link) }
}

impl Chain {
    /// An empty chain.
    fn new() -> Self {
        Self {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
            len: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Adds `req` at the end.
    fn push_back(&mut self, req: Arc<Request>) {
        req.next.store(ptr::null_mut(), Relaxed);
        let raw = req.into_foreign();
        let tail = self.tail();
        if tail.is_null() {
            self.head = raw;
        } else {
            // SAFETY: By the type invariants `tail` is a live link of the chain.
            unsafe { link(tail) }.next.store(raw, Relaxed);
        }
        // INVARIANT: `raw` is linked last, and carries its reference.
        self.tail = raw;
        self.len += 1;
    }

    /// Takes the first request.
    fn pop_front(&mut self) -> Option<Arc<Request>> {
        if self.head.is_null() {
            return None;
        }
        let raw = self.head;
        // SAFETY: By the type invariants `raw` is a live link of the chain, whose reference the
        // chain owns and gives to the caller. Its `next` is read before the caller may hand it
        // on.
        self.head = unsafe { link(raw) }.next.load(Relaxed);
        if self.head.is_null() {
            self.tail = ptr::null_mut();
        }
        self.len -= 1;
        // SAFETY: As above, `raw` came from `Arc::into_foreign()`.
        Some(unsafe { <Arc<Request> as ForeignOwnable>::from_foreign(raw) })
    }

    /// Drops the chain, without the call its drop glue is at `-Os` when it is empty, as most are
    /// when they go.
    #[inline(always)]
    fn discard(self) {
        if self.is_empty() {
            // Empty, it holds no reference.
            core::mem::forget(self);
        } else {
            drop(self);
        }
    }

    /// The last request, found if it is not known.
    fn tail(&mut self) -> *mut c_void {
        if self.tail.is_null() {
            let mut at = self.head;
            while !at.is_null() {
                self.tail = at;
                // SAFETY: By the type invariants `at` is a live link of the chain.
                at = unsafe { link(at) }.next.load(Relaxed);
            }
        }
        self.tail
    }
}

impl Drop for Chain {
    #[inline(always)]
    fn drop(&mut self) {
        // Inline, but its drop glue is a call at `-Os`: [`Chain::discard`] spares an empty chain,
        // as most are when they go, that call.
        while let Some(req) = self.pop_front() {
            drop(req);
        }
    }
}

/// A client's consumed requests, kept for its next submits: a lock-free stack, as the kernel's
/// `llist`, so that neither a submit nor a read takes the queue's lock for it. Any number of
/// readers and submits push (`llist_add()`); one taker at a time pops (`llist_del_first()`, which
/// `llist.h` allows "with a lock among the deleters"). The lock among takers is `taking`, tried and
/// never waited for: a submit that finds another taking allocates instead.
///
/// One taker at a time makes the pop safe from the ABA problem: while a taker holds `taking`, the
/// request at `head` leaves the stack only through it, so when `head` is still that request its
/// `next`, written before it was pushed, is still the request below.
///
/// # Invariants
///
/// `head` is null or the first request of a [`Chain`], whose references the stack owns; each is
/// the only reference to its request, which is on no list. Only the holder of `taking` takes
/// requests off the stack.
struct Spares {
    head: AtomicPtr<c_void>,
    /// Whether a taker is popping.
    taking: AtomicBool,
    /// How many there are, to keep them to [`CLIENT_SPARES`]: every push adds its requests once,
    /// after it linked them, and every pop takes its own off once, so the count may lag, and
    /// briefly drop below zero, but it does not drift.
    count: AtomicI32,
}

impl Spares {
    fn new() -> Self {
        // INVARIANT: Empty, with no taker.
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
            taking: AtomicBool::new(false),
            count: AtomicI32::new(0),
        }
    }

    /// Takes up to `max` spares, fewer if there are not as many or another taker is popping.
    /// Each is the only reference to its request, which the caller may write.
    #[inline(always)]
    fn take(&self, max: u32) -> Chain {
        // Acquire: the pop's reads come after the previous taker's.
        if max == 0 || self.head.load(Relaxed).is_null() || self.taking.swap(true, Acquire) {
            return Chain::new();
        }
        let taken = self.pop(max);
        // Release: the next taker's pops come after this one's.
        self.taking.store(false, Release);
        self.count.fetch_sub(taken.len as i32, Relaxed);
        taken
    }

    /// Pops up to `max` spares, at least one, for [`Spares::take`], which holds `taking`.
    ///
    /// The first `max` come off with one exchange of `head`, to the request after them; that
    /// exchange fails only when a push came in front, and then they come off one by one from the
    /// new head.
    #[inline(always)]
    fn pop(&self, max: u32) -> Chain {
        let mut taken = Chain::new();
        while taken.len < max {
            // Acquire: the reads and writes of a request's last use, and its link, which its
            // push released, come before its reuse.
            let head = self.head.load(Acquire);
            if head.is_null() {
                break;
            }
            // The last of the requests wanted, and how many there are down to it. The stack
            // below `head` changes only through this taker: pushes only come in front.
            let (mut last, mut len) = (head, 1);
            while len < max - taken.len {
                // SAFETY: By the type invariants only this taker, which holds `taking`, takes
                // requests off the stack, so every request from `head` down stays a live link of
                // it until the exchange below.
                let next = unsafe { link(last) }.next.load(Relaxed);
                if next.is_null() {
                    break;
                }
                last = next;
                len += 1;
            }
            // SAFETY: As above.
            let rest = unsafe { link(last) }.next.load(Relaxed);
            if self
                .head
                .compare_exchange(head, rest, Acquire, Relaxed)
                .is_err()
            {
                // A push came in front: try again from the new head.
                continue;
            }
            // The requests from `head` to `last` came off the stack, with the references it
            // owned, by the exchange above: cut them from the rest, and add them to the chain.
            //
            // SAFETY: `last` is a live link, now of no stack but this taker's.
            unsafe { link(last) }.next.store(ptr::null_mut(), Relaxed);
            if taken.is_empty() {
                taken.head = head;
            } else {
                let tail = taken.tail();
                // SAFETY: `tail` is the last link of `taken`, which owns it.
                unsafe { link(tail) }.next.store(head, Relaxed);
            }
            // INVARIANT: `head` to `last` are `len` links, the last linked to null, each with
            // the reference the stack owned.
            taken.tail = last;
            taken.len += len;
        }
        taken
    }

    /// Gives `chain` back, as much of it as fits: the rest is freed.
    ///
    /// # Safety
    ///
    /// Each request of `chain` must be the only reference to its request, which is on no list.
    #[inline(always)]
    unsafe fn give(&self, chain: Chain) {
        // Most are empty: no call for those.
        if chain.is_empty() {
            chain.discard();
        } else {
            // SAFETY: By the safety requirements.
            unsafe { self.push(chain) };
        }
    }

    /// [`Spares::give`] of a chain that is not empty.
    ///
    /// # Safety
    ///
    /// As for [`Spares::give`].
    unsafe fn push(&self, chain: Chain) {
        let room = (CLIENT_SPARES as i32 - self.count.load(Relaxed).max(0)).max(0) as u32;
        let mut kept = chain;
        if kept.len > room {
            let mut fits = Chain::new();
            while fits.len < room {
                let Some(req) = kept.pop_front() else {
                    break;
                };
                fits.push_back(req);
            }
            // What does not fit is freed here, without the queue's lock.
            drop(core::mem::replace(&mut kept, fits));
        }
        if kept.is_empty() {
            return;
        }
        let tail = kept.tail();
        let n = kept.len;
        let mut head = self.head.load(Relaxed);
        loop {
            // SAFETY: `tail` is the last link of `kept`, whose references the caller owns.
            unsafe { link(tail) }.next.store(head, Relaxed);
            // Release: the reads and writes of the requests' last use, and their links, come
            // before their reuse.
            match self
                .head
                .compare_exchange_weak(head, kept.head, Release, Relaxed)
            {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        // INVARIANT: The stack owns the references of `kept` now, which the caller's safety
        // requirements make unique.
        core::mem::forget(kept);
        self.count.fetch_add(n as i32, Relaxed);
    }
}

/// The state of a client, under its queue's lock.
struct ClientState {
    /// Completed requests and events, oldest first.
    records: List<Request>,
    /// Their number, so that a read of them all moves the list at once.
    len: u32,
    /// Event records on `records`.
    events: u32,
    /// Requests of a submit in progress, on no list until its hand-over settles them, each with
    /// a record to come (see [`hand_over`]).
    handing: u32,
    /// The driver unbound or the child is gone: every call fails.
    dead: bool,
}

impl ClientState {
    /// Whether a reader gets `ENODEV` once the records left are read: the client is dead, and no
    /// hand-over of its own has a record still to give it.
    fn drained_dead(&self) -> bool {
        self.dead && self.handing == 0
    }
}

/// One submitter on a child's queue: an open file, or a kernel driver.
#[pin_data]
pub(crate) struct Client {
    #[pin]
    links: ListLinks,
    /// The child, whose reference keeps its queue.
    dev: ARef<Device>,
    /// The child's bus number.
    bus_nr: u32,
    state: LockedBy<ClientState, Inner>,
    /// Consumed requests, for reuse. They hold the client: [`Client::close`] lets them go.
    spares: Spares,
    /// Readers and pollers wait here.
    #[pin]
    wait: WaitQueue,
}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Client { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Client { using ListLinks { self.links }; }
}

impl Client {
    fn rdev(&self) -> *mut ffi::rbus_device {
        self.dev.as_raw()
    }

    fn queue(&self) -> &Queue {
        // SAFETY: The client holds a reference on its child, so the child and its queue are
        // valid while it lives.
        unsafe { Queue::of(self.rdev()) }
    }

    /// Opens a client on `rdev`'s queue: see `rbus_client_open()`.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child.
    unsafe fn open(rdev: *mut ffi::rbus_device) -> Result<Arc<Self>> {
        // CAST: `Device` is a transparent wrapper of `struct rbus_device`.
        //
        // SAFETY: By the safety requirements `rdev` is valid for this call; the `ARef` takes a
        // reference of its own.
        let dev: ARef<Device> = unsafe { &*rdev.cast::<Device>() }.into();
        // SAFETY: As above; the host outlives its children.
        let bus_nr = unsafe { (*(*rdev).host).nr } as u32;
        // SAFETY: As above.
        let queue = unsafe { Queue::of(rdev) };
        let client: ListArc<Self> = ListArc::pin_init(
            try_pin_init!(Self {
                links <- ListLinks::new(),
                dev,
                bus_nr,
                state: LockedBy::new(
                    &queue.inner,
                    ClientState {
                        records: List::new(),
                        len: 0,
                        events: 0,
                        handing: 0,
                        dead: false,
                    }
                ),
                spares: Spares::new(),
                wait <- WaitQueue::new(c"rbus_client_wait", static_lock_class!()),
            }),
            GFP_KERNEL,
        )?;
        let arc = client.clone_arc();
        let mut inner = queue.inner.lock();
        if inner.dead || inner.closed {
            drop(inner);
            return Err(ENODEV);
        }
        inner.clients.push_back(client);
        Ok(arc)
    }

    /// Cancels the client's requests and leaves the queue: see `rbus_client_close()`.
    fn close(&self) {
        let queue = self.queue();
        let records = {
            let mut inner = queue.inner.lock();
            if !inner.pending.is_empty() {
                queue.finish_all(&mut inner, STATUS_CANCELED, |req| {
                    ptr::eq(&*req.client, self)
                });
            }
            // SAFETY: A client is only ever on its own queue's `clients`, from `open` to here.
            drop(unsafe { inner.clients.remove(self) });
            let state = self.state.access_mut(&mut inner);
            state.len = 0;
            core::mem::take(&mut state.records)
        };
        // Outside the lock: the last request may hold the last reference of the client. The
        // spares hold the client too: this breaks that cycle. The client is being closed, so no
        // submit takes and no read gives any back meanwhile, and this take gets them all.
        drop(records);
        drop(self.spares.take(u32::MAX));
    }

    /// Whether `submit` should stop waiting for room.
    fn can_submit(&self) -> bool {
        let mut inner = self.queue().inner.lock();
        inner.count < QUEUE_DEPTH || self.state.access_mut(&mut inner).dead
    }

    /// Builds the `count` requests of a batch, from the spares first, and queues them: `fill`
    /// writes request `i` and checks it. Returns how many were queued, or an error when none
    /// was: see `rbus_client_submit()`.
    fn submit(
        this: ArcBorrow<'_, Self>,
        count: usize,
        nonblock: bool,
        mut fill: impl FnMut(usize, &mut uapi::Req) -> Result,
    ) -> Result<u32> {
        let mut spares = this.spares.take(count as u32);
        let mut batch = Chain::new();
        let mut ret = Ok(());
        for i in 0..count {
            let req = match spares.pop_front() {
                Some(req) => req,
                None => match Request::new(&this.into(), uapi::Record::default(), GFP_KERNEL) {
                    Ok(req) => req.into_arc(),
                    Err(e) => {
                        ret = Err(e);
                        break;
                    }
                },
            };
            // SAFETY: A spare, or a new request, is the only reference to its request, which is on
            // no list: by the type invariants of `Request` this may write its transfer.
            let dst = unsafe { &mut *req.req.get() };
            let filled = fill(i, dst);
            batch.push_back(req);
            if let Err(e) = filled {
                ret = Err(e);
                break;
            }
        }
        if let Err(e) = ret {
            // SAFETY: Built above, the batch holds only spares and new requests.
            unsafe {
                this.spares.give(batch);
                this.spares.give(spares);
            }
            return Err(e);
        }
        // The spares taken were as many as the batch at most, and it used them all.
        debug_assert!(spares.is_empty());
        spares.discard();
        this.queue_batch(batch, nonblock)
    }

    /// Queues the requests of `batch`, written, checked and not shared; returns how many were
    /// queued, or an error when none was: see `rbus_client_submit()`. What is not queued goes back
    /// to the spares.
    fn queue_batch(&self, mut batch: Chain, nonblock: bool) -> Result<u32> {
        let queue = self.queue();
        let rdev = self.rdev();
        let total = batch.len;
        let mut queued = 0u32;
        let ret = loop {
            // The requests started here, whose only references become the controller's.
            let mut started = Chain::new();
            let held;
            {
                let mut inner = queue.inner.lock();
                if inner.dead || self.state.access_mut(&mut inner).dead {
                    break if queued != 0 { Ok(queued) } else { Err(ENODEV) };
                }
                held = inner.held;
                if !held && batch.len <= QUEUE_DEPTH.saturating_sub(inner.count) {
                    // All of it starts, as most batches do: walked in place, and handed over
                    // whole, without taking each request off the batch and linking it again.
                    let mut at = batch.head;
                    while !at.is_null() {
                        // SAFETY: `at` is a live link of the batch, which keeps its request.
                        let req = unsafe { link(at) };
                        at = req.next.load(Relaxed);
                        // SAFETY: The batch's link is the only reference to its request.
                        let id = unsafe { self.stamp_queued(&req) };
                        req.set_state(&mut inner, State::Started);
                        // SAFETY: `rdev` is valid while the client lives.
                        unsafe { count_started(&mut inner, rdev, id) };
                    }
                    let n = batch.len;
                    inner.count += n;
                    inner.submitted += u64::from(n);
                    queued += n;
                    // On no list until their hand-over settles them. `started` is empty: the
                    // batch is, after the swap, and nothing is dropped.
                    core::mem::swap(&mut started, &mut batch);
                }
                while inner.count < QUEUE_DEPTH {
                    let Some(req) = batch.pop_front() else {
                        break;
                    };
                    // SAFETY: The request is still the only reference to its request.
                    let id = unsafe { self.stamp_queued(&req) };
                    if held {
                        req.set_state(&mut inner, State::Waiting);
                        // SAFETY: The batch's requests are the only references to theirs, so
                        // there is no `ListArc` of it.
                        let req = unsafe { list_arc(req) };
                        inner.pending.push_back(req);
                    } else {
                        req.set_state(&mut inner, State::Started);
                        // SAFETY: `rdev` is valid while the client lives.
                        unsafe { count_started(&mut inner, rdev, id) };
                        // On no list until its hand-over settles it.
                        started.push_back(req);
                    }
                    inner.count += 1;
                    inner.submitted += 1;
                    queued += 1;
                }
                let handing = started.len;
                self.state.access_mut(&mut inner).handing += handing;
            }
            // Queued requests are the client's and the controller's now.
            if held {
                // SAFETY: `rdev` is valid while the client lives; the request is asynchronous.
                unsafe {
                    bindings::__pm_runtime_resume(
                        &raw mut (*rdev).dev,
                        bindings::RPM_ASYNC as c_int,
                    )
                };
            } else {
                // SAFETY: As above, and each request was started.
                unsafe { hand_over(rdev, started) };
            }
            if queued == total {
                break Ok(queued);
            }
            if nonblock {
                break if queued != 0 { Ok(queued) } else { Err(EAGAIN) };
            }
            if let Err(e) = queue.room.wait_interruptible(|| self.can_submit()) {
                break if queued != 0 { Ok(queued) } else { Err(e) };
            }
        };
        // SAFETY: The requests left in the batch were never queued.
        unsafe { self.spares.give(batch) };
        ret
    }

    /// Marks `req`, written by `submit`, queued: traces it and stamps it, and clears `shared`.
    /// Returns its id.
    ///
    /// # Safety
    ///
    /// The caller's reference to `req` must be the only one, on no list but a [`Chain`].
    #[inline(always)]
    unsafe fn stamp_queued(&self, req: &Request) -> u64 {
        // SAFETY: Written by `submit`, the transfer stays as it is while queued.
        let id = unsafe { req.req() }.id;
        trace::request_submit(&self.dev, id);
        // SAFETY: By the safety requirements, as the type invariants of `Request` require.
        unsafe { *req.submitted.get() = trace::stamp() };
        req.shared.store(false, Relaxed);
        id
    }

    /// Cancels the oldest pending request `id`: see `rbus_client_cancel()`.
    fn cancel(&self, id: u64) -> Result {
        let queue = self.queue();
        let mut inner = queue.inner.lock();
        if self.state.access_mut(&mut inner).dead {
            return Err(ENODEV);
        }
        let mut found = None;
        let mut cursor = inner.pending.cursor_front();
        while let Some(next) = cursor.peek_next() {
            // SAFETY: The request is queued.
            if ptr::eq(&*next.client, self) && unsafe { next.req() }.id == id {
                found = Some(next.remove());
                break;
            }
            cursor.move_next();
        }
        if let Some(req) = found {
            queue.finish(&mut inner, req, STATUS_CANCELED, &[]);
            return Ok(());
        }
        let state = self.state.access_mut(&mut inner);
        if state.records.iter().any(|req| {
            // SAFETY: The request is on the client's `records`, under the lock.
            let rec = unsafe { req.record() };
            rec.r#type == uapi::RECORD_COMPLETION && rec.id == id
        }) {
            return Err(EALREADY);
        }
        Err(ENOENT)
    }

    /// Moves up to `max` of the oldest records out, waiting for the first unless `nonblock`.
    fn take(&self, max: usize, nonblock: bool) -> Result<List<Request>> {
        loop {
            let mut batch = List::new();
            let dead = {
                let mut inner = self.queue().inner.lock();
                let state = self.state.access_mut(&mut inner);
                if state.len != 0 && state.len as usize <= max {
                    // All of them, at once.
                    state.len = 0;
                    state.events = 0;
                    return Ok(core::mem::take(&mut state.records));
                }
                let mut n = 0;
                while n < max {
                    let Some(req) = state.records.pop_front() else {
                        break;
                    };
                    state.len -= 1;
                    // SAFETY: It was on the client's `records`, and the lock is held.
                    if unsafe { req.is_event() } {
                        state.events -= 1;
                    }
                    batch.push_back(req);
                    n += 1;
                }
                if n != 0 {
                    return Ok(batch);
                }
                state.drained_dead()
            };
            if dead {
                return Err(ENODEV);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            self.wait.wait_interruptible(|| self.readable())?;
        }
    }

    fn readable(&self) -> bool {
        let mut inner = self.queue().inner.lock();
        let state = self.state.access_mut(&mut inner);
        state.drained_dead() || !state.records.is_empty()
    }

    /// Puts records that were not consumed back first.
    fn untake(&self, mut batch: List<Request>) {
        let mut inner = self.queue().inner.lock();
        let state = self.state.access_mut(&mut inner);
        while let Some(req) = batch.pop_back() {
            // SAFETY: Taken off the client's `records` by the caller.
            if unsafe { req.is_event() } {
                state.events += 1;
            }
            state.records.push_front(req);
            state.len += 1;
        }
    }

    /// Keeps a consumed request for reuse, unless something else still holds it (a cancelled
    /// one may still be the controller's).
    #[inline(always)]
    fn consumed(spare: &mut Chain, req: ListArc<Request>) {
        let req = req.into_arc();
        if !req.shared.load(Relaxed) {
            // Not shared, the list's reference is the request's only one: a request the
            // controller never held, or whose reference became the list's (see `hand_over()`).
            // That spares two calls of the reference count.
            spare.push_back(req);
        } else if let Some(unique) = Arc::into_unique_or_drop(req) {
            // Not the last reference, when it is not unique: nothing is freed here.
            spare.push_back(unique.into());
        }
    }

    /// Takes one record: see `rbus_client_read()`.
    fn read(&self, nonblock: bool) -> Result<uapi::Record> {
        let mut batch = self.take(1, nonblock)?;
        let mut spare = Chain::new();
        let mut rec = uapi::Record::default();
        if let Some(req) = batch.pop_front() {
            // SAFETY: Taken off the client's `records` above.
            rec = *unsafe { req.record() };
            Self::consumed(&mut spare, req);
        }
        // SAFETY: Each is the only reference to its request, on no list.
        unsafe { self.spares.give(spare) };
        Ok(rec)
    }

    /// `read()`: copies the whole records that are ready and fit, straight from the requests:
    /// see `rbus_client_read_user()`.
    ///
    /// A single record goes straight from its request. Several go through a buffer on the stack,
    /// [`STAGE`] at a time, so that a batch makes one `_copy_to_user()` for each [`STAGE`] records
    /// rather than one a record: under TCG each makes three calls (itself, `__access_ok()` and the
    /// string copy), and the inline copy into the buffer costs less.
    fn read_user(&self, buf: UserPtr, len: usize, nonblock: bool) -> Result<usize> {
        let size = size_of::<uapi::Record>();
        let max = (len / size).min(QUEUE_DEPTH as usize);
        if max == 0 {
            return Err(EINVAL);
        }
        let mut batch = self.take(max, nonblock)?;
        let mut spare = Chain::new();
        // Whole records copied out, oldest first: at most the `max` taken, which fit in `len`.
        let mut done = 0;
        let mut next = batch.pop_front();
        if batch.is_empty() {
            if let Some(req) = next {
                let mut writer = UserSlice::new(buf, size).writer();
                // SAFETY: Taken off the client's `records` above.
                if writer.write(unsafe { req.record() }).is_ok() {
                    Self::consumed(&mut spare, req);
                    done = 1;
                } else {
                    batch.push_back(req);
                }
            }
        } else {
            let mut stage = MaybeUninit::<[uapi::Record; STAGE]>::uninit();
            let stage = stage.as_mut_ptr().cast::<uapi::Record>();
            // The requests of the records in the buffer, as `Arc::into_foreign()` gives them: no
            // drop glue, and no call to take them back.
            let mut held = [const { MaybeUninit::<*mut c_void>::uninit() }; STAGE];
            while next.is_some() {
                let mut n = 0;
                while n < STAGE {
                    let Some(req) = next.take() else {
                        break;
                    };
                    // SAFETY: `n` is below `STAGE`, so `stage.add(n)` is a record of the buffer,
                    // which is apart from the request's. The request was taken off the client's
                    // `records` above.
                    unsafe { copy_record(stage.add(n), req.record()) };
                    held[n].write(req.into_arc().into_foreign());
                    n += 1;
                    next = batch.pop_front();
                }
                let bytes = n * size;
                // SAFETY: The first `n` records of the buffer were written above, so its first
                // `bytes` bytes are initialized. The `done + n` records taken are at most `max`,
                // so the user range is within the caller's `len` bytes at `buf`, and
                // `_copy_to_user()` checks it (`access_ok()`) and handles a fault. Its length is
                // at most the buffer's, on this stack: there is no other kernel object to check.
                let left = unsafe {
                    bindings::_copy_to_user(
                        buf.wrapping_byte_add(done * size).as_mut_ptr(),
                        stage.cast::<c_void>(),
                        bytes as c_ulong,
                    )
                } as usize;
                // A record copied in part is not consumed, as one that failed whole.
                let copied = (bytes - left.min(bytes)) / size;
                let mut i = 0;
                while i < copied {
                    // SAFETY: Each of the first `n` was written above, from `Arc::into_foreign()`
                    // of a `ListArc`'s reference, which this takes back, once: there is no other
                    // `ListArc` of the request.
                    let req = unsafe { list_arc(Arc::from_foreign(held[i].assume_init())) };
                    Self::consumed(&mut spare, req);
                    i += 1;
                }
                done += copied;
                if left != 0 {
                    // The rest go back first, in order, before those not taken yet.
                    if let Some(req) = next.take() {
                        batch.push_front(req);
                    }
                    let mut i = n;
                    while i > copied {
                        i -= 1;
                        // SAFETY: As above, for the others of the first `n`.
                        let req = unsafe { list_arc(Arc::from_foreign(held[i].assume_init())) };
                        batch.push_front(req);
                    }
                    break;
                }
            }
        }
        if batch.is_empty() {
            // Nothing to drop: without the call its drop glue is at `-Os`.
            core::mem::forget(batch);
        } else {
            self.untake(batch);
        }
        // SAFETY: Each is the only reference to its request, on no list.
        unsafe { self.spares.give(spare) };
        if done == 0 {
            return Err(EFAULT);
        }
        Ok(done * size)
    }

    /// The `poll()` mask: see `rbus_client_poll()`.
    fn poll_mask(&self) -> u32 {
        let mut inner = self.queue().inner.lock();
        let count = inner.count;
        let state = self.state.access_mut(&mut inner);
        let mut mask = 0;
        if !state.records.is_empty() {
            mask |= POLL_IN;
        }
        if state.drained_dead() {
            // Only once the records of a submit still handing over are in: `POLLHUP` tells a
            // reader that none is missing.
            mask |= POLL_HUP;
        } else if !state.dead && count < QUEUE_DEPTH {
            mask |= POLL_OUT;
        }
        mask
    }
}

/// Whether the controller can carry out `r`: the op, lengths and flags.
///
/// Without short circuits: the fields are plain loads, and under TCG each branch ends a
/// translation block, where a batch checks each of its requests.
#[inline(always)]
#[expect(clippy::needless_bitwise_bool)]
fn req_valid(r: &uapi::Req) -> bool {
    (r.op == uapi::OP_TRANSFER)
        & (r.flags == 0)
        & (r.tx_len as usize <= uapi::DATA_MAX)
        & (r.rx_len as usize <= uapi::DATA_MAX)
        & ((r.tx_len != 0) | (r.rx_len == 0))
}

/// Takes a runtime PM usage count of `dev` that resumes nothing: `pm_runtime_get_noresume()`,
/// which is `atomic_inc()` of the count, inline.
///
/// # Safety
///
/// `dev` must be a valid device.
unsafe fn pm_get_noresume(dev: *mut bindings::device) {
    // SAFETY: By the safety requirements `dev` is valid, and the PM core only ever accesses
    // `usage_count` atomically.
    let count = unsafe { AtomicI32::from_ptr(&raw mut (*dev).power.usage_count.counter) };
    count.fetch_add(1, Relaxed);
}

/// Drops a runtime PM usage count of `dev`, as `pm_runtime_put_autosuspend()` does. While other
/// counts remain, that put marks the device busy and decrements the count
/// (`rpm_drop_usage_count()`): here the decrement is inline, and the caller marks the device
/// busy at most once a jiffy; unlike the PM core, it emits no `rpm_usage` trace event. The last
/// count goes to `pm_runtime_put_autosuspend()` itself, which marks the device busy and suspends
/// it once its autosuspend delay has passed, if it is allowed to. The count is the PM core's own
/// `power.usage_count`: a kernel without `CONFIG_PM` has none, so `rbus_core` does not build
/// there.
///
/// # Safety
///
/// `dev` must be a valid device, of which the caller holds a usage count.
unsafe fn pm_put_autosuspend(dev: *mut bindings::device) {
    // SAFETY: As in `pm_get_noresume()`.
    let count = unsafe { AtomicI32::from_ptr(&raw mut (*dev).power.usage_count.counter) };
    // `atomic_add_unless(count, -1, 1)`, fully ordered as `atomic_sub_return()` is.
    let mut old = count.load(Relaxed);
    while old > 1 {
        match count.compare_exchange_weak(old, old - 1, SeqCst, Relaxed) {
            Ok(_) => return,
            Err(now) => old = now,
        }
    }
    // SAFETY: By the safety requirements the caller's count is this put's.
    unsafe { ffi::rbus_helper_pm_runtime_put_autosuspend(dev) };
}

/// Marks `req`, queued and waiting, started: the controller is about to hold it.
///
/// # Safety
///
/// `rdev` must be the valid child that owns `inner`'s queue.
unsafe fn start_locked(inner: &mut Inner, rdev: *mut ffi::rbus_device, req: &Request) {
    req.set_state(inner, State::Started);
    // SAFETY: The request is queued.
    let id = unsafe { req.req() }.id;
    // SAFETY: By the safety requirements.
    unsafe { count_started(inner, rdev, id) };
}

/// Counts request `id` started: the controller is about to hold it.
///
/// While the controller holds any request of the child, the queue holds one runtime PM usage
/// count of the child and one of its host, taken here by the first and dropped by
/// [`put_idle`] for the last. The host's is taken without a resume: the call that hands the
/// request over resumes a suspended host first.
///
/// # Safety
///
/// `rdev` must be the valid child that owns `inner`'s queue.
#[inline(always)]
unsafe fn count_started(inner: &mut Inner, rdev: *mut ffi::rbus_device, id: u64) {
    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { trace::request_start(rdev, id) };
    if inner.started == 0 {
        // SAFETY: By the safety requirements `rdev` is valid, and so is its host.
        unsafe {
            pm_get_noresume(&raw mut (*rdev).dev);
            pm_get_noresume(&raw mut (*(*rdev).host).dev);
        }
    }
    inner.started += 1;
}

/// Hands started requests to the controller with no lock held, then settles them in one lock
/// section.
///
/// A submit's requests are on no list while they are handed over: the hand-over holds the only
/// reference of each, which becomes the controller's. Once `submit` returned, one lock section
/// settles the batch. What the controller answered inside `submit`, as `rbus_ctrl`'s simulated
/// device does at zero latency (see [`HANDOFF_RUNNING`]), is completed with the reference it
/// gave back, which becomes its record's: no other is taken or dropped. What the controller kept
/// goes on `pending` with a reference of its own (`shared`), where a cancel, a close or a removal
/// finds it; a removal that came meanwhile fails it there. Until that section a cancel does not
/// find it (`ENOENT`), as before its submit returned, and a reader of a removed child waits for
/// its record rather than get `ENODEV` first (`handing`). A request that [`Queue::resume`] starts
/// stays on `pending`, and its controller's reference is its own from the start.
///
/// # Safety
///
/// `rdev` must be a valid child, and every request of `reqs` one of its started requests, with the
/// only reference to it unless it is `shared`.
unsafe fn hand_over(rdev: *mut ffi::rbus_device, reqs: Chain) {
    if reqs.is_empty() {
        return;
    }
    // SAFETY: By the safety requirements `rdev` is valid.
    let call = unsafe { Call::begin(rdev, 0) };
    let submit = match &call {
        Ok(call) => call.hw().submit.ok_or(EOPNOTSUPP).map(|f| (f, call.ctx())),
        Err(e) => Err(*e),
    };
    // The requests handed over, in order, linked through `next` while the controller holds them,
    // as the chain linked them: no chain holds them now. Walked in place, without taking each off
    // the chain and linking it again: each link is read before its request is handed over, and
    // only this hand-over links them meanwhile.
    let handed = reqs.head;
    // INVARIANT: The chain's references are this hand-over's now, each the controller's once it
    // is handed over.
    core::mem::forget(reqs);
    let mut at = handed;
    while !at.is_null() {
        let raw = at;
        // SAFETY: `raw` is a link of the chain, whose reference this hand-over holds until it
        // hands it over below.
        let req = unsafe { link(raw) };
        at = req.next.load(Relaxed);
        match submit {
            Ok((submit, ctx)) => {
                req.handoff.store(HANDOFF_RUNNING, Relaxed);
                // SAFETY: Inside the call, the controller's table and context are valid; `raw`
                // carries the reference the controller gives back with
                // `rbus_request_complete()`.
                unsafe { submit(ctx, raw.cast()) };
            }
            Err(e) => {
                // Never handed over: answered with the call's error, here.
                //
                // SAFETY: This holds the reference the controller would have had, and so the
                // answer.
                unsafe {
                    (*req.answer.get()).status = e.to_errno();
                    (*req.answer.get()).len = 0;
                }
                req.handoff.store(HANDOFF_ANSWERED, Relaxed);
            }
        }
    }
    // The call, if it began, ends once every request is handed over: inline, without the call
    // its drop is.
    if let Ok(call) = call {
        call.end();
    }
    // SAFETY: By the safety requirements `rdev` is valid.
    let queue = unsafe { Queue::of(rdev) };
    // The hand-over's references of resumed requests, dropped after the lock.
    let mut spent = Chain::new();
    let (idle, busy) = {
        let mut inner = queue.inner.lock();
        let mut at = handed;
        while !at.is_null() {
            let raw = at;
            // SAFETY: While a request's `handoff` is `HANDOFF_RUNNING`, its completion leaves its
            // reference to this hand-over, so the request is the controller's still, or was given
            // back; past the exchange below, the controller completes it only under this lock.
            let req = unsafe { link(raw) };
            at = req.next.load(Relaxed);
            // Acquire: an answer was written before it was marked. A request marked answered
            // stays so until its next use, so a load finds it so without the exchange, which is
            // a locked instruction (under TCG, a call of a helper); only one the controller may
            // still answer needs it.
            if req.handoff.load(Acquire) == HANDOFF_RUNNING
                && req
                    .handoff
                    .compare_exchange(HANDOFF_RUNNING, HANDOFF_NONE, Relaxed, Acquire)
                    .is_ok()
            {
                // The controller keeps it, and completes it later.
                if !req.shared.load(Relaxed) {
                    req.client.state.access_mut(&mut inner).handing -= 1;
                    req.shared.store(true, Relaxed);
                    let own = Arc::from(req);
                    // SAFETY: The request is on no list, so there is no `ListArc` of it.
                    let own = unsafe { list_arc(own) };
                    if inner.dead || own.client.state.access(&inner).dead {
                        // A removal came meanwhile: it fails as the others did.
                        queue.finish(&mut inner, own, STATUS_NODEV, &[]);
                    } else {
                        inner.pending.push_back(own);
                    }
                }
                continue;
            }
            // Answered inside `submit`, or never handed over: the reference is this hand-over's.
            //
            // SAFETY: It came from `Arc::into_foreign()`, as every link of a chain does.
            let req = unsafe { <Arc<Request> as ForeignOwnable>::from_foreign(raw) };
            // SAFETY: The request was answered, and this found it so. The answer is the
            // request's, which the reference keeps through the completion.
            let answer = unsafe { &*req.answer.get() };
            let (status, rx) = (answer.status, answer.rx());
            if req.shared.load(Relaxed) {
                // Resumed: on `pending`, as a completion from elsewhere.
                complete_locked(queue, &mut inner, &req, status, rx);
                spent.push_back(req);
            } else {
                inner.started -= 1;
                req.client.state.access_mut(&mut inner).handing -= 1;
                // SAFETY: The only reference, on no list: there is no `ListArc` of it.
                let req = unsafe { list_arc(req) };
                queue.finish(&mut inner, req, status, rx);
            }
        }
        let idle = inner.started == 0;
        (idle, idle && inner.mark_busy())
    };
    // SAFETY: By the safety requirements.
    unsafe { put_idle(rdev, idle, busy) };
    // Last, not under the lock.
    spent.discard();
}

/// Completes `req`, started, with `status` and, for a status of 0, the bytes `rx` read back,
/// unless it was completed meanwhile: the controller gave it back.
#[inline(always)]
fn complete_locked(queue: &Queue, inner: &mut Inner, req: &Request, status: i32, rx: &[u8]) {
    inner.started -= 1;
    if req.state(inner) == State::Started {
        // SAFETY: A started request is on its queue's `pending`, and on no other list.
        if let Some(la) = unsafe { inner.pending.remove(req) } {
            queue.finish(inner, la, status, rx);
        }
    }
}

/// Drops the usage counts [`start_locked()`] took once the controller holds nothing of the child
/// (`idle`): the child, and its host, may suspend. They are marked busy first, at most once a
/// jiffy (`busy`; the autosuspend delay is in milliseconds).
///
/// # Safety
///
/// `rdev` must be a valid child, whose queue found it `idle`.
// Inline: a synchronous round trip ends idle, and under TCG a call costs.
#[inline(always)]
unsafe fn put_idle(rdev: *mut ffi::rbus_device, idle: bool, busy: bool) {
    if !idle {
        return;
    }
    // SAFETY: By the safety requirements `rdev` is valid, and holds its host.
    unsafe {
        if busy {
            ffi::rbus_helper_pm_runtime_mark_last_busy(&raw mut (*rdev).dev);
        }
        mark_host_busy((*rdev).host);
        pm_put_autosuspend(&raw mut (*rdev).dev);
        pm_put_autosuspend(&raw mut (*(*rdev).host).dev);
    }
}

/// Completes a started request with `status` and, for a status of 0, the bytes `rx` read back,
/// unless it was completed meanwhile; then lets it go.
fn complete(req: Arc<Request>, status: i32, rx: &[u8]) {
    let rdev = req.client.rdev();
    let queue = req.client.queue();
    let (idle, busy) = {
        let mut inner = queue.inner.lock();
        complete_locked(queue, &mut inner, &req, status, rx);
        let idle = inner.started == 0;
        (idle, idle && inner.mark_busy())
    };
    // SAFETY: The request holds its client, which holds the child.
    unsafe { put_idle(rdev, idle, busy) };
    // Last, not under the lock: this may drop the client's, and then the child's, last
    // reference.
    drop(req);
}

/// The controller gives a request back: see `rbus_request_complete()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `req` must be a request the bus core handed to the controller, whose reference this
/// consumes, and `rx` valid for `len` bytes when `status` is 0.
#[no_mangle]
unsafe extern "C" fn rbus_request_complete(
    req: *mut ffi::rbus_request,
    status: c_int,
    rx: *const u8,
    len: u32,
) {
    // SAFETY: By the safety requirements `req` came from `Arc::into_foreign()` in `hand_over()`,
    // and this takes its reference back.
    let req = unsafe { <Arc<Request> as ForeignOwnable>::from_foreign(req.cast()) };
    let len = if status == 0 && !rx.is_null() {
        len as usize
    } else {
        0
    };
    let answer = req.answer.get();
    if req.handoff.load(Relaxed) == HANDOFF_RUNNING {
        // Inside `submit`, most likely: the hand-over completes it, with the rest of its batch.
        let n = len.min(uapi::DATA_MAX);
        // SAFETY: The controller that held the request owns its answer's buffer, and by the
        // safety requirements that is the caller. While `handoff` is `HANDOFF_RUNNING` the
        // hand-over does not read it.
        unsafe {
            // An answer written in place (`rbus_request_get_io()`) is where it belongs. A C
            // controller may pass a part of that buffer, so the copy may overlap.
            let data = (&raw mut (*answer).data).cast::<u8>();
            if !ptr::eq(rx, data) && n != 0 {
                ptr::copy(rx, data, n);
            }
            (*answer).status = status;
            (*answer).len = n as u32;
        }
        // Release: the answer, before the hand-over may read it.
        if req
            .handoff
            .compare_exchange(HANDOFF_RUNNING, HANDOFF_ANSWERED, Release, Relaxed)
            .is_ok()
        {
            // The hand-over owns this reference now.
            let _ = req.into_foreign();
            return;
        }
    }
    let rx = if len != 0 {
        // SAFETY: By the safety requirements `rx` holds `len` bytes for a status of 0. Nothing
        // writes them while the controller still holds the request, as it does for this call.
        unsafe { core::slice::from_raw_parts(rx, len) }
    } else {
        &[]
    };
    complete(req, status, rx);
}

/// A request's bytes, for the controller: see `rbus_request_get_io()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `req` must be a request the controller holds, and `io` valid for writes.
#[no_mangle]
unsafe extern "C" fn rbus_request_get_io(
    req: *mut ffi::rbus_request,
    io: *mut ffi::rbus_request_io,
) {
    // SAFETY: By the safety requirements `req` is a live request from `Arc::into_foreign()`, which
    // the controller's reference keeps.
    let req = unsafe { link(req.cast()) };
    // SAFETY: The controller holds the request, so its transfer does not change.
    let r = unsafe { req.req() };
    // SAFETY: By the safety requirements `io` is valid for writes. The answer's buffer is the
    // controller's while it holds the request (see `Request`); `rx_len` is at most its size, as
    // `req_valid()` checked.
    unsafe {
        io.write(ffi::rbus_request_io {
            tx: r.tx.as_ptr(),
            rx: (&raw mut (*req.answer.get()).data).cast(),
            tx_len: r.tx_len,
            rx_len: r.rx_len,
        })
    };
}

/// The client behind a `struct rbus_client *`, borrowed.
///
/// # Safety
///
/// `client` must come from `rbus_client_open()` and not be closed.
unsafe fn client<'a>(client: *mut ffi::rbus_client) -> ArcBorrow<'a, Client> {
    // SAFETY: By the safety requirements the pointer is the one `rbus_client_open()` got from
    // `Arc::into_foreign()`, whose reference the caller owns until it closes the client.
    unsafe { <Arc<Client> as ForeignOwnable>::borrow(client.cast()) }
}

/// Opens a channel to a child's request queue: see `rbus_client_open()`.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[no_mangle]
unsafe extern "C" fn rbus_client_open(rdev: *mut ffi::rbus_device) -> *mut ffi::rbus_client {
    // SAFETY: By the safety requirements.
    match unsafe { Client::open(rdev) } {
        Ok(client) => client.into_foreign().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// Cancels a client's requests and frees it: see `rbus_client_close()`.
///
/// # Safety
///
/// `client` must come from `rbus_client_open()`; this is its only close.
#[no_mangle]
unsafe extern "C" fn rbus_client_close(client: *mut ffi::rbus_client) {
    // SAFETY: By the safety requirements this takes back the reference `rbus_client_open()` gave.
    let client = unsafe { <Arc<Client> as ForeignOwnable>::from_foreign(client.cast()) };
    client.close();
}

/// Queues a batch of requests: see `rbus_client_submit()`.
///
/// # Safety
///
/// `client` must be open, and `reqs` valid for `count` requests.
#[no_mangle]
unsafe extern "C" fn rbus_client_submit(
    client: *mut ffi::rbus_client,
    reqs: *const uapi::Req,
    count: u32,
    nonblock: bool,
) -> c_int {
    from_result(|| {
        if count == 0 || count as usize > uapi::SUBMIT_MAX || reqs.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: By the safety requirements `reqs` holds `count` requests.
        let reqs = unsafe { core::slice::from_raw_parts(reqs, count as usize) };
        if !reqs.iter().all(req_valid) {
            return Err(EINVAL);
        }
        // SAFETY: By the safety requirements.
        let client = unsafe { self::client(client) };
        let queued = Client::submit(client, reqs.len(), nonblock, |i, dst| {
            *dst = *reqs.get(i).ok_or(EINVAL)?;
            Ok(())
        })?;
        Ok(queued as c_int)
    })
}

/// Queues a batch from user space: see `rbus_client_submit_user()`.
///
/// # Safety
///
/// `client` must be open.
#[no_mangle]
unsafe extern "C" fn rbus_client_submit_user(
    client: *mut ffi::rbus_client,
    ureqs: *const c_void,
    count: u32,
    size: u32,
    nonblock: bool,
) -> c_int {
    from_result(|| {
        let ksize = size_of::<uapi::Req>();
        let size = size as usize;
        if count == 0 || count as usize > uapi::SUBMIT_MAX || size < ksize {
            return Err(EINVAL);
        }
        // As for the ioctl's own struct: a request may grow up to a page.
        if size > kernel::page::PAGE_SIZE {
            return Err(E2BIG);
        }
        // SAFETY: By the safety requirements.
        let client = unsafe { self::client(client) };
        let base = UserPtr::from_ptr(ureqs.cast_mut());
        let queued = Client::submit(client, count as usize, nonblock, |i, dst| {
            let at = base.wrapping_byte_add(i * size);
            // Straight into the request, as `copy_struct_from_user()`: a larger struct's tail
            // must be zero.
            uapi::read_struct_at(at, size, dst)?;
            if req_valid(dst) {
                Ok(())
            } else {
                Err(EINVAL)
            }
        })?;
        Ok(queued as c_int)
    })
}

/// Cancels a request: see `rbus_client_cancel()`.
///
/// # Safety
///
/// `client` must be open.
#[no_mangle]
unsafe extern "C" fn rbus_client_cancel(client: *mut ffi::rbus_client, id: u64) -> c_int {
    // SAFETY: By the safety requirements.
    let client = unsafe { self::client(client) };
    from_result(|| client.cancel(id).map(|()| 0))
}

/// Takes the next record: see `rbus_client_read()`.
///
/// # Safety
///
/// `client` must be open, and `rec` valid for writes.
#[no_mangle]
unsafe extern "C" fn rbus_client_read(
    client: *mut ffi::rbus_client,
    rec: *mut uapi::Record,
    nonblock: bool,
) -> c_int {
    // SAFETY: By the safety requirements.
    let client = unsafe { self::client(client) };
    from_result(|| {
        let record = client.read(nonblock)?;
        // SAFETY: By the safety requirements `rec` is valid for writes.
        unsafe { rec.write(record) };
        Ok(0)
    })
}

/// `read()` of a client's file: see `rbus_client_read_user()`.
///
/// # Safety
///
/// `client` must be open.
#[no_mangle]
unsafe extern "C" fn rbus_client_read_user(
    client: *mut ffi::rbus_client,
    buf: *mut c_char,
    len: usize,
    nonblock: bool,
) -> isize {
    // SAFETY: By the safety requirements.
    let client = unsafe { self::client(client) };
    match client.read_user(UserPtr::from_ptr(buf.cast()), len, nonblock) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `poll()` of a client's file: see `rbus_client_poll()`.
///
/// # Safety
///
/// `client` must be open, and `file` and `pt` those of a `poll()` in progress on the file that
/// owns the client.
#[no_mangle]
unsafe extern "C" fn rbus_client_poll(
    client: *mut ffi::rbus_client,
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> u32 {
    // SAFETY: By the safety requirements.
    let client = unsafe { self::client(client) };
    // SAFETY: The client lives until the file is released, and the child, whose reference it
    // holds, keeps the queue as long.
    unsafe {
        client.wait.poll_wait(file, pt);
        client.queue().room.poll_wait(file, pt);
    }
    client.poll_mask()
}

/// Describes a client's child: see `rbus_client_info()`.
///
/// # Safety
///
/// `client` must be open, and `info` valid for writes.
#[no_mangle]
unsafe extern "C" fn rbus_client_info(
    client: *mut ffi::rbus_client,
    info: *mut uapi::Info,
) -> c_int {
    // SAFETY: By the safety requirements.
    let client = unsafe { self::client(client) };
    from_result(|| {
        {
            let mut inner = client.queue().inner.lock();
            if client.state.access_mut(&mut inner).dead {
                return Err(ENODEV);
            }
        }
        let rdev = client.rdev();
        let mut out = uapi::Info {
            version: uapi::VERSION,
            bus: client.bus_nr,
            // SAFETY: The client holds the child; its address never changes.
            addr: unsafe { (*rdev).addr },
            queue_depth: QUEUE_DEPTH,
            submit_max: uapi::SUBMIT_MAX as u32,
            data_max: uapi::DATA_MAX as u32,
            record_size: size_of::<uapi::Record>() as u32,
            reserved: 0,
            compatible: [0; 64],
        };
        // SAFETY: As above; the compatible string never changes either.
        let compatible = unsafe { super::device::compatible(rdev) }.to_bytes();
        let n = compatible.len().min(out.compatible.len() - 1);
        out.compatible[..n].copy_from_slice(&compatible[..n]);
        // SAFETY: By the safety requirements `info` is valid for writes.
        unsafe { info.write(out) };
        Ok(0)
    })
}

/// Gives every client of a child a device event: see `rbus_device_post_event()`.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[no_mangle]
unsafe extern "C" fn rbus_device_post_event(
    rdev: *mut ffi::rbus_device,
    kind: u32,
    seq: u64,
    payload: u64,
) {
    // SAFETY: By the safety requirements.
    let queue = unsafe { Queue::of(rdev) };
    let mut inner = queue.inner.lock();
    // Out of `inner` while it is walked, as in `Queue::revoke()`.
    let clients = core::mem::take(&mut inner.clients);
    for client in &clients {
        let client = Arc::from(client);
        let state = client.state.access_mut(&mut inner);
        if state.dead {
            continue;
        }
        let ev = if state.events < CLIENT_EVENTS_MAX {
            let record = uapi::Record {
                id: seq,
                r#type: uapi::RECORD_EVENT,
                kind,
                payload,
                ..uapi::Record::default()
            };
            Request::new(&client, record, GFP_ATOMIC).ok()
        } else {
            None
        };
        let Some(ev) = ev else {
            inner.events_dropped += 1;
            continue;
        };
        let state = client.state.access_mut(&mut inner);
        state.records.push_back(ev);
        state.len += 1;
        state.events += 1;
        client.wait.wake_up_poll(POLL_IN);
    }
    inner.clients = clients;
    drop(inner);
}

/// `show` of a counter of the queue.
macro_rules! counter_show {
    ($name:ident, $field:ident) => {
        extern "C" fn $name(
            dev: *mut bindings::device,
            _attr: *mut bindings::device_attribute,
            buf: *mut c_char,
        ) -> isize {
            // SAFETY: sysfs shows an attribute of a device of this bus, valid for the call.
            let queue = unsafe { Queue::of(to_rbus_device(dev)) };
            queue.show(buf, |inner| u64::from(inner.$field))
        }
    };
}

counter_show!(requests_submitted_show, submitted);
counter_show!(requests_completed_show, completed);
counter_show!(requests_cancelled_show, cancelled);
counter_show!(requests_failed_show, failed);
counter_show!(requests_in_flight_show, count);
counter_show!(channel_events_dropped_show, events_dropped);

static SUBMITTED: Table<bindings::device_attribute> =
    attr_ro(c"requests_submitted", requests_submitted_show);
static COMPLETED: Table<bindings::device_attribute> =
    attr_ro(c"requests_completed", requests_completed_show);
static CANCELLED: Table<bindings::device_attribute> =
    attr_ro(c"requests_cancelled", requests_cancelled_show);
static FAILED: Table<bindings::device_attribute> =
    attr_ro(c"requests_failed", requests_failed_show);
static IN_FLIGHT: Table<bindings::device_attribute> =
    attr_ro(c"requests_in_flight", requests_in_flight_show);
static EVENTS_DROPPED: Table<bindings::device_attribute> =
    attr_ro(c"channel_events_dropped", channel_events_dropped_show);

/// The attributes, `NULL`-terminated.
static ATTRS: Table<[*const bindings::attribute; 7]> = Table::new([
    &SUBMITTED.get().attr,
    &COMPLETED.get().attr,
    &CANCELLED.get().attr,
    &FAILED.get().attr,
    &IN_FLIGHT.get().attr,
    &EVENTS_DROPPED.get().attr,
    ptr::null(),
]);

/// The attribute group of the queue's counters, for the bus type's `dev_groups`.
pub(crate) static GROUP: Table<bindings::attribute_group> = attr_group(ATTRS.get().as_ptr());

/// Sets up the queue of a new child: see `rbus_device_add()`.
///
/// # Safety
///
/// `rdev` must be a valid child with no queue yet.
pub(crate) unsafe fn init(rdev: *mut ffi::rbus_device) -> Result {
    let queue = KBox::pin_init(Queue::new(), GFP_KERNEL)?;
    // SAFETY: The queue is pinned for as long as the child lives: `release` takes it back.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(queue) });
    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { (*rdev).requests = raw.cast() };
    Ok(())
}

/// Frees the queue of a released child.
///
/// # Safety
///
/// `rdev` must be a child that nothing uses any more, whose queue `init` set up.
pub(crate) unsafe fn release(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `requests` came from `KBox::into_raw()` in `init`.
    let queue = unsafe { KBox::from_raw((*rdev).requests.cast::<Queue>()) };
    drop(queue);
}
