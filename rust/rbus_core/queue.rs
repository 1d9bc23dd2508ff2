// SPDX-License-Identifier: GPL-2.0

//! The asynchronous request queue of a child (Interface B), like a WDF power-managed queue.
//!
//! C header: [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! A [`Client`] (an open file, or a kernel child driver) submits [`Request`]s; each is completed
//! exactly once: by the controller, by a cancel, by the client's close, or with `-ENODEV` when
//! the driver unbinds or the child is removed. Whichever comes first wins, under the queue's
//! lock, and moves the request from the queue's `pending` list to its client's `records`; a
//! request is on at most one of those lists, so both use its one set of links.
//!
//! The controller holds each request it was handed as an [`Arc`] of its own, turned into the
//! `struct rbus_request *` of `rbus_hw_ops.submit` and back by `rbus_request_complete()`. It is
//! handed over with no lock of the queue held, so a controller may complete a request inside
//! `submit`, from a work item or from a ticker alike. Its outcome is set once ([`SetOnce`]), so a
//! reader copies a record out with no lock held.
//!
//! While the controller holds requests of a child, the queue holds a runtime PM usage count of the
//! child and one of its host, taken with `pm_runtime_get_noresume()` when the first starts and
//! dropped, with an autosuspend put, when the controller gives the last back. While the child is
//! suspended, new requests wait in the queue and an asynchronous resume is requested; resume
//! starts them. Suspend is refused while the controller holds requests.
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
    list::{
        impl_list_arc_safe,
        impl_list_item,
        List,
        ListArc,
        ListLinks, //
    },
    new_spinlock,
    prelude::*,
    static_lock_class,
    sync::{
        aref::ARef,
        Arc,
        ArcBorrow,
        LockedBy,
        SetOnce,
        SpinLock, //
    },
    time::{
        Instant,
        Monotonic, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    }, //
};

use core::{
    mem::size_of,
    ptr, //
};

/// The most requests a child holds at once, over all its clients.
const QUEUE_DEPTH: u32 = ffi::RBUS_QUEUE_DEPTH;

/// Unread event records a client keeps; newer events are dropped.
const CLIENT_EVENTS_MAX: u32 = 64;

/// Consumed requests a client keeps for reuse: under TCG an allocation costs microseconds (the
/// slab's fast path is a 16-byte compare-and-exchange, which TCG runs alone).
const CLIENT_CACHE: u32 = 64;

/// `EPOLLIN | EPOLLRDNORM`, which have the values of their `POLL*` twins.
const POLL_IN: u32 = bindings::POLLIN | bindings::POLLRDNORM;

/// `EPOLLOUT | EPOLLWRNORM`.
const POLL_OUT: u32 = bindings::POLLOUT | bindings::POLLWRNORM;

/// `EPOLLHUP`.
const POLL_HUP: u32 = bindings::POLLHUP;

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

/// The request queue of a child, which the child owns from `rbus_device_add()` to its release.
#[pin_data]
pub(crate) struct Queue {
    #[pin]
    inner: SpinLock<Inner>,
    /// Submitters and pollers wait here for room.
    #[pin]
    room: WaitQueue,
}

impl Queue {
    /// A new, empty queue, open: only an unbind closes it, until the next probe.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock!(Inner {
                pending: List::new(),
                clients: List::new(),
                count: 0,
                started: 0,
                held: false,
                dead: false,
                closed: false,
                submitted: 0,
                completed: 0,
                cancelled: 0,
                failed: 0,
                events_dropped: 0,
            }),
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

    /// Completes `req`, which is on `pending`, with `status`, exactly once: its record goes to its
    /// client, and the waiters are woken.
    fn finish(&self, inner: &mut Inner, req: ListArc<Request>, status: i32) {
        self.finish_with(inner, req, status, Outcome::failed(status));
    }

    /// As [`Queue::finish`], with the controller's `outcome`.
    fn finish_with(&self, inner: &mut Inner, req: ListArc<Request>, status: i32, outcome: Outcome) {
        *req.state.access_mut(inner) = State::Done;
        if let Some(id) = req.id() {
            trace::request_complete(&req.client.dev, id, status, req.submitted);
        }
        // Submitters and pollers wait for room only while the queue is full.
        let was_full = inner.count >= QUEUE_DEPTH;
        inner.count -= 1;
        match status {
            0 => inner.completed += 1,
            s if s == ECANCELED.to_errno() => inner.cancelled += 1,
            _ => inner.failed += 1,
        }
        req.outcome.populate(outcome);
        let client: *const Client = &*req.client;
        // SAFETY: The request holds its client. On the client's list, the request is only taken
        // off under the queue's lock, which `inner` holds for the rest of this function.
        let client = unsafe { &*client };
        client.state.access_mut(inner).records.push_back(req);
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
            self.finish(inner, req, status);
        }
    }

    /// The driver unbound: every request fails with `-ENODEV`, every client is dead and every
    /// waiter wakes. Their files stay safe until closed.
    pub(crate) fn revoke(&self) {
        let mut inner = self.inner.lock();
        inner.closed = true;
        self.finish_all(&mut inner, ENODEV.to_errno(), |_| true);
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
        drop(inner);
        self.room.wake_up_poll(POLL_OUT);
    }

    /// A driver is about to bind: clients may open again.
    pub(crate) fn reopen(&self) {
        self.inner.lock().closed = false;
    }

    /// The child is removed: no client or request is taken any more.
    pub(crate) fn kill(&self) {
        self.inner.lock().dead = true;
        self.revoke();
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
            let next = {
                let mut inner = self.inner.lock();
                inner.held = false;
                let next = inner
                    .pending
                    .iter()
                    .find(|req| *req.state.access(&inner) == State::Waiting)
                    .map(Arc::from);
                let Some(req) = next else {
                    return;
                };
                // SAFETY: By the safety requirements `rdev` is valid.
                unsafe { start_locked(&mut inner, rdev, &req) };
                req
            };
            // SAFETY: By the safety requirements `rdev` is valid, and the request was started.
            unsafe { hand_over(rdev, Some(next)) };
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
enum State {
    /// Queued while the child is suspended.
    Waiting,
    /// The controller has it.
    Started,
    /// Completed: its record is on its client's list, or read.
    Done,
}

/// What a request or a record carries.
enum Kind {
    /// A transfer, as submitted and checked by [`req_valid`].
    Transfer(uapi::Req),
    /// A device event.
    Event { kind: u32, seq: u64, payload: u64 },
}

/// The outcome of a request: its status and the bytes read back.
struct Outcome {
    status: i32,
    len: u32,
    data: [u8; uapi::DATA_MAX],
}

impl Outcome {
    fn failed(status: i32) -> Self {
        Self {
            status,
            len: 0,
            data: [0; uapi::DATA_MAX],
        }
    }
}

/// A request, and then its record.
#[pin_data]
pub(crate) struct Request {
    #[pin]
    links: ListLinks,
    client: Arc<Client>,
    kind: Kind,
    state: LockedBy<State, Inner>,
    outcome: SetOnce<Outcome>,
    /// When it was submitted, while its completion is traced.
    submitted: Option<Instant<Monotonic>>,
}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Request { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Request { using ListLinks { self.links }; }
}

impl Request {
    /// A new request of `client`, in state `state`.
    fn new(client: &Arc<Client>, kind: Kind, state: State, flags: Flags) -> Result<ListArc<Self>> {
        let queue = client.queue();
        ListArc::pin_init(
            try_pin_init!(Self {
                links <- ListLinks::new(),
                client: client.clone(),
                kind,
                state: LockedBy::new(&queue.inner, state),
                outcome: SetOnce::new(),
                submitted: trace::stamp(),
            }),
            flags,
        )
    }

    /// The record `read()` returns. Only for a request whose outcome is set, or an event.
    fn record(&self) -> uapi::Record {
        let mut rec = uapi::Record::default();
        match &self.kind {
            Kind::Transfer(req) => {
                rec.id = req.id;
                rec.r#type = uapi::RECORD_COMPLETION;
                if let Some(out) = self.outcome.as_ref() {
                    rec.status = out.status;
                    rec.len = out.len;
                    rec.data = out.data;
                }
            }
            Kind::Event { kind, seq, payload } => {
                rec.id = *seq;
                rec.r#type = uapi::RECORD_EVENT;
                rec.kind = *kind;
                rec.payload = *payload;
            }
        }
        rec
    }

    fn id(&self) -> Option<u64> {
        match &self.kind {
            Kind::Transfer(req) => Some(req.id),
            Kind::Event { .. } => None,
        }
    }

    fn is_event(&self) -> bool {
        matches!(self.kind, Kind::Event { .. })
    }
}

/// The state of a client, under its queue's lock.
struct ClientState {
    /// Completed requests and events, oldest first.
    records: List<Request>,
    /// Consumed requests that nothing else holds, for reuse.
    cache: List<Request>,
    /// Their number, at most [`CLIENT_CACHE`].
    cached: u32,
    /// Event records on `records`.
    events: u32,
    /// The driver unbound or the child is gone: every call fails.
    dead: bool,
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
                        cache: List::new(),
                        cached: 0,
                        events: 0,
                        dead: false,
                    }
                ),
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
            queue.finish_all(&mut inner, ECANCELED.to_errno(), |req| {
                ptr::eq(&*req.client, self)
            });
            // SAFETY: A client is only ever on its own queue's `clients`, from `open` to here.
            drop(unsafe { inner.clients.remove(self) });
            let state = self.state.access_mut(&mut inner);
            state.cached = 0;
            // Cached requests hold the client too: this breaks that cycle.
            (
                core::mem::take(&mut state.records),
                core::mem::take(&mut state.cache),
            )
        };
        // Outside the lock: the last request may hold the last reference of the client.
        drop(records);
    }

    /// Whether `submit` should stop waiting for room.
    fn can_submit(&self) -> bool {
        let mut inner = self.queue().inner.lock();
        inner.count < QUEUE_DEPTH || self.state.access_mut(&mut inner).dead
    }

    /// Queues the `total` requests of `batch`, checked and not shared; returns how many were
    /// queued, or an error when none was: see `rbus_client_submit()`. What is not queued goes
    /// back to the cache.
    fn queue_batch(
        self: &Arc<Self>,
        mut batch: List<Request>,
        total: usize,
        nonblock: bool,
    ) -> Result<u32> {
        let queue = self.queue();
        let rdev = self.rdev();
        let mut queued = 0u32;
        let ret = loop {
            // The requests to hand over, on the stack: a batch is at most `SUBMIT_MAX`.
            let mut started: [Option<Arc<Request>>; uapi::SUBMIT_MAX] =
                [const { None }; uapi::SUBMIT_MAX];
            let mut n = 0;
            let held;
            {
                let mut inner = queue.inner.lock();
                if inner.dead || self.state.access_mut(&mut inner).dead {
                    break if queued != 0 { Ok(queued) } else { Err(ENODEV) };
                }
                held = inner.held;
                while inner.count < QUEUE_DEPTH {
                    let Some(req) = batch.pop_front() else {
                        break;
                    };
                    if let Some(id) = req.id() {
                        trace::request_submit(&self.dev, id);
                    }
                    if !held {
                        // SAFETY: `rdev` is valid while the client lives.
                        unsafe { start_locked(&mut inner, rdev, &req) };
                        if let Some(slot) = started.get_mut(n) {
                            *slot = Some(req.clone_arc());
                            n += 1;
                        }
                    }
                    inner.pending.push_back(req);
                    inner.count += 1;
                    inner.submitted += 1;
                    queued += 1;
                }
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
                unsafe { hand_over(rdev, started.iter_mut().take(n).filter_map(Option::take)) };
            }
            if queued as usize == total {
                break Ok(queued);
            }
            if nonblock {
                break if queued != 0 { Ok(queued) } else { Err(EAGAIN) };
            }
            if let Err(e) = queue.room.wait_interruptible(|| self.can_submit()) {
                break if queued != 0 { Ok(queued) } else { Err(e) };
            }
        };
        self.recycle(batch);
        ret
    }

    /// Takes up to `n` consumed requests from the cache, for [`Client::request`].
    fn cached(&self, n: usize) -> List<Request> {
        let mut out = List::new();
        let mut inner = self.queue().inner.lock();
        let state = self.state.access_mut(&mut inner);
        for _ in 0..n {
            let Some(req) = state.cache.pop_front() else {
                break;
            };
            state.cached -= 1;
            out.push_back(req);
        }
        out
    }

    /// A request of this client for `req`: one of `cache`, or a new one.
    fn request(
        self: &Arc<Self>,
        cache: &mut List<Request>,
        req: uapi::Req,
    ) -> Result<ListArc<Request>> {
        // A cached request is on no list and held by nothing else, so it is unique.
        if let Some(mut unique) = cache
            .pop_front()
            .and_then(|cached| Arc::into_unique_or_drop(cached.into_arc()))
        {
            let this = unique.as_mut().project();
            *this.kind = Kind::Transfer(req);
            *this.state = LockedBy::new(&self.queue().inner, State::Waiting);
            *this.outcome = SetOnce::new();
            *this.submitted = trace::stamp();
            return Ok(ListArc::from(unique));
        }
        Request::new(self, Kind::Transfer(req), State::Waiting, GFP_KERNEL)
    }

    /// Takes the requests of `consumed` back: those nothing else holds (a cancelled one may
    /// still be the controller's) go to the cache while it has room.
    fn recycle(&self, mut consumed: List<Request>) {
        let mut spare = List::new();
        {
            let mut inner = self.queue().inner.lock();
            let state = self.state.access_mut(&mut inner);
            while let Some(req) = consumed.pop_front() {
                if state.cached >= CLIENT_CACHE {
                    spare.push_back(req);
                    continue;
                }
                // Not the last reference, when it is not unique: nothing is freed here.
                if let Some(unique) = Arc::into_unique_or_drop(req.into_arc()) {
                    state.cache.push_back(ListArc::from(unique));
                    state.cached += 1;
                }
            }
        }
        // Freed outside the lock.
        drop(spare);
    }

    /// Builds the requests of a batch, from the cache first, and queues them.
    fn submit(
        self: &Arc<Self>,
        count: usize,
        nonblock: bool,
        mut next: impl FnMut(usize) -> Result<uapi::Req>,
    ) -> Result<u32> {
        let mut cache = self.cached(count);
        let mut batch = List::new();
        for i in 0..count {
            match next(i).and_then(|r| self.request(&mut cache, r)) {
                Ok(req) => batch.push_back(req),
                Err(e) => {
                    self.recycle(batch);
                    self.recycle(cache);
                    return Err(e);
                }
            }
        }
        self.queue_batch(batch, count, nonblock)
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
            if ptr::eq(&*next.client, self) && next.id() == Some(id) {
                found = Some(next.remove());
                break;
            }
            cursor.move_next();
        }
        if let Some(req) = found {
            queue.finish(&mut inner, req, ECANCELED.to_errno());
            return Ok(());
        }
        let state = self.state.access_mut(&mut inner);
        if state.records.iter().any(|req| req.id() == Some(id)) {
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
                let mut n = 0;
                while n < max {
                    let Some(req) = state.records.pop_front() else {
                        break;
                    };
                    if req.is_event() {
                        state.events -= 1;
                    }
                    batch.push_back(req);
                    n += 1;
                }
                if n != 0 {
                    return Ok(batch);
                }
                state.dead
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
        state.dead || !state.records.is_empty()
    }

    /// Puts records that were not consumed back first.
    fn untake(&self, mut batch: List<Request>) {
        let mut inner = self.queue().inner.lock();
        let state = self.state.access_mut(&mut inner);
        while let Some(req) = batch.pop_back() {
            if req.is_event() {
                state.events += 1;
            }
            state.records.push_front(req);
        }
    }

    /// `read()`: copies the whole records that are ready and fit: see `rbus_client_read_user()`.
    fn read_user(&self, buf: UserPtr, len: usize, nonblock: bool) -> Result<usize> {
        let size = size_of::<uapi::Record>();
        let max = (len / size).min(QUEUE_DEPTH as usize);
        if max == 0 {
            return Err(EINVAL);
        }
        let mut batch = self.take(max, nonblock)?;
        let mut writer = UserSlice::new(buf, max * size).writer();
        let mut consumed = List::new();
        let mut done = 0;
        while let Some(req) = batch.pop_front() {
            if writer.write(&req.record()).is_err() {
                batch.push_front(req);
                break;
            }
            consumed.push_back(req);
            done += size;
        }
        if !batch.is_empty() {
            self.untake(batch);
        }
        self.recycle(consumed);
        if done == 0 {
            return Err(EFAULT);
        }
        Ok(done)
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
        if state.dead {
            mask |= POLL_HUP;
        } else if count < QUEUE_DEPTH {
            mask |= POLL_OUT;
        }
        mask
    }
}

/// Whether the controller can carry out `r`: the op, lengths and flags.
fn req_valid(r: &uapi::Req) -> bool {
    r.op == uapi::OP_TRANSFER
        && r.flags == 0
        && r.tx_len as usize <= uapi::DATA_MAX
        && r.rx_len as usize <= uapi::DATA_MAX
        && (r.tx_len != 0 || r.rx_len == 0)
}

/// Marks `req`, in state `Waiting`, started: the controller is about to hold it.
///
/// While the controller holds any request of the child, the queue holds one runtime PM usage
/// count of the child and one of its host, taken here by the first and dropped by
/// [`complete`] for the last. The host's is taken without a resume: the call that hands the
/// request over resumes a suspended host first.
///
/// # Safety
///
/// `rdev` must be the valid child that owns `inner`'s queue.
unsafe fn start_locked(inner: &mut Inner, rdev: *mut ffi::rbus_device, req: &Request) {
    *req.state.access_mut(inner) = State::Started;
    if let Some(id) = req.id() {
        // SAFETY: By the safety requirements `rdev` is valid.
        unsafe { trace::request_start(rdev, id) };
    }
    if inner.started == 0 {
        // SAFETY: By the safety requirements `rdev` is valid, and so is its host.
        // `pm_runtime_get_noresume()` only increments a counter, so it may run under a spinlock.
        unsafe {
            ffi::rbus_helper_pm_runtime_get_noresume(&raw mut (*rdev).dev);
            ffi::rbus_helper_pm_runtime_get_noresume(&raw mut (*(*rdev).host).dev);
        }
    }
    inner.started += 1;
}

/// Hands started requests to the controller, each with its own reference, with no lock held.
///
/// # Safety
///
/// `rdev` must be a valid child, and every request of `reqs` one of its started requests.
unsafe fn hand_over(rdev: *mut ffi::rbus_device, reqs: impl IntoIterator<Item = Arc<Request>>) {
    let mut reqs = reqs.into_iter().peekable();
    if reqs.peek().is_none() {
        return;
    }
    // SAFETY: By the safety requirements `rdev` is valid.
    let call = unsafe { Call::begin(rdev, 0) };
    let submit = match &call {
        Ok(call) => call.hw().submit.ok_or(EOPNOTSUPP).map(|f| (f, call.ctx())),
        Err(e) => Err(*e),
    };
    for req in reqs {
        match submit {
            Ok((submit, ctx)) => {
                let raw = Arc::into_raw(req).cast_mut().cast::<ffi::rbus_request>();
                // SAFETY: Inside the call, the controller's table and context are valid; `raw`
                // carries the reference the controller gives back with `rbus_request_complete()`.
                unsafe { submit(ctx, raw) };
            }
            Err(e) => complete(req, e.to_errno(), &[]),
        }
    }
    // The call, if it began, ends once every request is handed over.
    drop(call);
}

/// Completes a started request with `status` and, for a status of 0, the bytes `rx` read back,
/// unless it was completed meanwhile; then lets it go.
fn complete(req: Arc<Request>, status: i32, rx: &[u8]) {
    let rdev = req.client.rdev();
    let queue = req.client.queue();
    let idle = {
        let mut inner = queue.inner.lock();
        inner.started -= 1;
        if *req.state.access(&inner) == State::Started {
            let mut out = Outcome::failed(status);
            if status == 0 {
                let want = match &req.kind {
                    Kind::Transfer(r) => r.rx_len as usize,
                    Kind::Event { .. } => 0,
                };
                let n = rx.len().min(want);
                if let (Some(dst), Some(src)) = (out.data.get_mut(..n), rx.get(..n)) {
                    dst.copy_from_slice(src);
                    out.len = n as u32;
                }
            }
            // SAFETY: A started request is on its queue's `pending`, and on no other list.
            if let Some(la) = unsafe { inner.pending.remove(&req) } {
                queue.finish_with(&mut inner, la, status, out);
            }
        }
        inner.started == 0
    };
    if idle {
        // The usage counts `start_locked()` took: the child, and its host, may idle once the
        // controller holds nothing of theirs. The put marks them busy first.
        //
        // SAFETY: The request holds its client, which holds the child, which holds its host.
        unsafe {
            ffi::rbus_helper_pm_runtime_put_autosuspend(&raw mut (*rdev).dev);
            ffi::rbus_helper_pm_runtime_put_autosuspend(&raw mut (*(*rdev).host).dev);
        }
    }
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
    // SAFETY: By the safety requirements `req` came from `Arc::into_raw()` in `hand_over()`, and
    // this takes its reference back.
    let req = unsafe { Arc::from_raw(req.cast_const().cast::<Request>()) };
    let rx = if status == 0 && !rx.is_null() {
        // SAFETY: By the safety requirements `rx` holds `len` bytes for a status of 0.
        unsafe { core::slice::from_raw_parts(rx, len as usize) }
    } else {
        &[]
    };
    complete(req, status, rx);
}

/// The bytes a request writes, and their number in `len`.
///
/// # Safety
///
/// `req` must be a request the controller holds, and `len` valid for writes.
#[no_mangle]
unsafe extern "C" fn rbus_request_tx(req: *const ffi::rbus_request, len: *mut u32) -> *const u8 {
    // SAFETY: By the safety requirements `req` is a live `Request`, which the controller's
    // reference keeps.
    let req = unsafe { &*req.cast::<Request>() };
    let (tx, n) = match &req.kind {
        Kind::Transfer(r) => (r.tx.as_ptr(), r.tx_len),
        Kind::Event { .. } => (ptr::null(), 0),
    };
    // SAFETY: By the safety requirements `len` is valid for writes.
    unsafe { *len = n };
    tx
}

/// The number of bytes a request reads back, at most `RBUS_DATA_MAX`.
///
/// # Safety
///
/// `req` must be a request the controller holds.
#[no_mangle]
unsafe extern "C" fn rbus_request_rx_len(req: *const ffi::rbus_request) -> u32 {
    // SAFETY: As in `rbus_request_tx()`.
    let req = unsafe { &*req.cast::<Request>() };
    match &req.kind {
        Kind::Transfer(r) => r.rx_len,
        Kind::Event { .. } => 0,
    }
}

/// The client behind a `struct rbus_client *`, borrowed.
///
/// # Safety
///
/// `client` must come from `rbus_client_open()` and not be closed.
unsafe fn client<'a>(client: *mut ffi::rbus_client) -> ArcBorrow<'a, Client> {
    // SAFETY: By the safety requirements the pointer is the one `rbus_client_open()` got from
    // `Arc::into_raw()`, whose reference the caller owns until it closes the client.
    unsafe { ArcBorrow::from_raw(client.cast_const().cast::<Client>()) }
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
        Ok(client) => Arc::into_raw(client).cast_mut().cast(),
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
    let client = unsafe { Arc::from_raw(client.cast_const().cast::<Client>()) };
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
        let client: Arc<Client> = unsafe { self::client(client) }.into();
        let queued = client.submit(reqs.len(), nonblock, |i| reqs.get(i).copied().ok_or(EINVAL))?;
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
        let client: Arc<Client> = unsafe { self::client(client) }.into();
        let base = UserPtr::from_ptr(ureqs.cast_mut());
        let queued = client.submit(count as usize, nonblock, |i| {
            let at = base.wrapping_byte_add(i * size);
            // As `copy_struct_from_user()`: a larger struct's tail must be zero.
            let r: uapi::Req = uapi::read_struct(&mut UserSlice::new(at, size).reader(), size)?;
            if req_valid(&r) {
                Ok(r)
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
        let batch = client.take(1, nonblock)?;
        if let Some(req) = batch.iter().next() {
            // SAFETY: By the safety requirements `rec` is valid for writes.
            unsafe { rec.write(req.record()) };
        }
        client.recycle(batch);
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
            Request::new(
                &client,
                Kind::Event { kind, seq, payload },
                State::Done,
                GFP_ATOMIC,
            )
            .ok()
        } else {
            None
        };
        let Some(ev) = ev else {
            inner.events_dropped += 1;
            continue;
        };
        let state = client.state.access_mut(&mut inner);
        state.records.push_back(ev);
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
