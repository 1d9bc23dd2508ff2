// SPDX-License-Identifier: GPL-2.0

//! The asynchronous request queue of a child (Interface B), like WDFREQUEST.
//!
//! C header: [`rust/rbus_glue.h`](../rbus_glue.h)
//!
//! A [`Client`] submits requests to its child's queue and reads one [`uapi::Record`] for each:
//! the controller completed it, it was cancelled, or it failed with `ENODEV` because the driver
//! unbound or the child went away. Dropping the client cancels its pending requests; it never
//! waits for the controller or for a grace period. A user-mode driver gives each open file a
//! client; a kernel child driver may hold one of its own.
//!
//! A controller receives the requests through [`super::calls::Hardware::submit`] as
//! [`HwRequest`]s and completes each exactly once, from process context, possibly inline.

use super::{
    chardev::PollTable,
    ffi,
    uapi,
    Device, //
};
use core::{
    marker::PhantomData,
    mem::ManuallyDrop,
    ops::Deref,
    ptr::NonNull, //
};
use kernel::{
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    types::ForeignOwnable,
    uaccess::UserPtr, //
};

/// A submitter on a child's request queue.
///
/// # Invariants
///
/// `raw` was returned by `rbus_client_open()` and is not closed yet.
pub struct Client {
    raw: NonNull<ffi::rbus_client>,
}

impl Client {
    /// Opens a client on `dev`'s queue. Returns `ENODEV` if the child is removed.
    pub fn open<Ctx: kernel::device::DeviceContext>(dev: &Device<Ctx>) -> Result<Self> {
        // SAFETY: `dev` is a valid child; the client takes its own reference on it.
        let raw = from_err_ptr(unsafe { ffi::rbus_client_open(dev.as_raw()) })?;

        // INVARIANT: opened above.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Opens a client on the child `rdev`; for the KUnit tests of the abstractions.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child for the duration of the call.
    #[doc(hidden)]
    pub unsafe fn from_raw(rdev: *mut ffi::rbus_device) -> Result<Self> {
        // SAFETY: By the safety requirements; the client takes its own reference.
        let raw = from_err_ptr(unsafe { ffi::rbus_client_open(rdev) })?;

        // INVARIANT: opened above.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Queues `reqs`, which the bus core checks; waits for room unless `nonblock`. May sleep.
    ///
    /// Returns the number queued: fewer than `reqs.len()` only for `nonblock`. Fails with
    /// `EAGAIN` if the queue is full and `nonblock`, `ENODEV` once the driver unbound or the child
    /// is gone, and `EINVAL` for a bad request or an empty or oversize batch, before queueing any.
    pub fn submit(&self, reqs: &[uapi::Req], nonblock: bool) -> Result<usize> {
        let count = u32::try_from(reqs.len()).map_err(|_| EINVAL)?;
        // SAFETY: By the type invariants the client is open; `reqs` is valid for `count` requests.
        let ret =
            unsafe { ffi::rbus_client_submit(self.raw.as_ptr(), reqs.as_ptr(), count, nonblock) };
        to_result(ret)?;
        Ok(ret.unsigned_abs() as usize)
    }

    /// Queues `count` requests from the user array at `reqs`, `size` bytes apart, as
    /// `RBUS_IOC_SUBMIT` does; waits for room unless `nonblock`. May sleep.
    ///
    /// Each request is copied as `copy_struct_from_user()` does and checked before any is
    /// queued: `EINVAL` for a bad request, count or size, `E2BIG` for a non-zero tail beyond
    /// [`uapi::Req`], `EFAULT` for a bad pointer; otherwise as [`Client::submit`].
    // Inline, as `read_user`: a round trip is two of these calls, and each call and return costs
    // tens of nanoseconds under TCG.
    #[inline(always)]
    pub fn submit_user(
        &self,
        reqs: UserPtr,
        count: u32,
        size: u32,
        nonblock: bool,
    ) -> Result<usize> {
        // SAFETY: By the type invariants the client is open; the C side copies from `reqs` with
        // `copy_struct_from_user()`, which checks the user pointer.
        let ret = unsafe {
            ffi::rbus_client_submit_user(
                self.raw.as_ptr(),
                reqs.as_const_ptr(),
                count,
                size,
                nonblock,
            )
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(ret.unsigned_abs() as usize)
    }

    /// Cancels the pending request `id`: its record carries `ECANCELED`.
    ///
    /// Fails with `EALREADY` if it completed first, `ENOENT` if this client has no such request
    /// and `ENODEV` once the driver unbound or the child is gone.
    pub fn cancel(&self, id: u64) -> Result {
        // SAFETY: By the type invariants the client is open.
        to_result(unsafe { ffi::rbus_client_cancel(self.raw.as_ptr(), id) })
    }

    /// Takes the next record, waiting for one unless `nonblock`. Once the driver unbound or the
    /// child is gone, returns the records left, then fails with `ENODEV`.
    pub fn read(&self, nonblock: bool) -> Result<uapi::Record> {
        let mut rec = uapi::Record::default();
        // SAFETY: By the type invariants the client is open; `rec` is writable.
        to_result(unsafe { ffi::rbus_client_read(self.raw.as_ptr(), &mut rec, nonblock) })?;
        Ok(rec)
    }

    /// Copies whole records to the user buffer `buf` of `len` bytes, as `read()` does.
    ///
    /// Fails with `EINVAL` if `len` holds no record and `EFAULT` if `buf` is bad; a record that
    /// could not be copied stays first.
    #[inline(always)]
    pub fn read_user(&self, buf: UserPtr, len: usize, nonblock: bool) -> Result<usize> {
        // SAFETY: By the type invariants the client is open; the C side copies with
        // `copy_to_user()`, which checks the user pointer.
        let ret = unsafe {
            ffi::rbus_client_read_user(self.raw.as_ptr(), buf.as_mut_ptr().cast(), len, nonblock)
        };
        if ret < 0 {
            return Err(Error::from_errno(ret as i32));
        }
        Ok(ret.unsigned_abs())
    }

    /// The `poll()` mask of this client's file: `EPOLLIN` with a record ready, `EPOLLOUT` while
    /// the queue has room, `EPOLLHUP` once the driver unbound or the child is gone.
    pub fn poll(&self, table: &PollTable<'_>) -> u32 {
        // SAFETY: By the type invariants the client is open; `table` holds the file and poll
        // table of the poll in progress, and the client lives as long as that file.
        unsafe { ffi::rbus_client_poll(self.raw.as_ptr(), table.file(), table.raw()) }
    }

    /// Describes the child. Fails with `ENODEV` once the driver unbound or the child is gone.
    pub fn info(&self) -> Result<uapi::Info> {
        let mut info = uapi::Info {
            version: 0,
            bus: 0,
            addr: 0,
            queue_depth: 0,
            submit_max: 0,
            data_max: 0,
            record_size: 0,
            reserved: 0,
            compatible: [0; 64],
        };
        // SAFETY: By the type invariants the client is open; `info` is writable.
        to_result(unsafe { ffi::rbus_client_info(self.raw.as_ptr(), &mut info) })?;
        Ok(info)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the client is open, and this is its only close.
        unsafe { ffi::rbus_client_close(self.raw.as_ptr()) };
    }
}

// SAFETY: The C side serializes every call on a client with the child's queue lock.
unsafe impl Send for Client {}

// SAFETY: As above; concurrent calls on one client are allowed.
unsafe impl Sync for Client {}

/// A [`Client`] borrowed from the pointer [`ForeignOwnable::into_foreign`] gave, as an open file
/// holds it: see [`super::chardev::FileOps::Ptr`].
pub struct ClientRef<'a> {
    client: ManuallyDrop<Client>,
    _borrow: PhantomData<&'a Client>,
}

impl Deref for ClientRef<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

// SAFETY: `into_foreign` gives the pointer `rbus_client_open()` returned, which is not null and
// at least byte aligned; `from_foreign` and `borrow` take it back, the first as the only owner,
// as their callers promise.
unsafe impl ForeignOwnable for Client {
    const FOREIGN_ALIGN: usize = 1;

    type Borrowed<'a> = ClientRef<'a>;
    type BorrowedMut<'a> = ClientRef<'a>;

    fn into_foreign(self) -> *mut c_void {
        ManuallyDrop::new(self).raw.as_ptr().cast()
    }

    unsafe fn from_foreign(ptr: *mut c_void) -> Self {
        // INVARIANT: By the safety requirements `ptr` came from `into_foreign`, so from
        // `rbus_client_open()`, and the client is not closed: closing needs this value.
        Self {
            // SAFETY: `into_foreign` never gives null.
            raw: unsafe { NonNull::new_unchecked(ptr.cast()) },
        }
    }

    unsafe fn borrow<'a>(ptr: *mut c_void) -> ClientRef<'a> {
        ClientRef {
            // SAFETY: By the safety requirements `ptr` came from `into_foreign` and is not taken
            // back before `'a` ends; the `ManuallyDrop` never closes it.
            client: ManuallyDrop::new(unsafe { Self::from_foreign(ptr) }),
            _borrow: PhantomData,
        }
    }

    unsafe fn borrow_mut<'a>(ptr: *mut c_void) -> ClientRef<'a> {
        // SAFETY: As for `borrow`; a client is used through shared references only.
        unsafe { Self::borrow(ptr) }
    }
}

/// A request the controller holds: it completes it exactly once, with [`HwRequest::complete`] or
/// [`HwRequest::complete_in_place`]. Dropping it completes it with `EIO`.
///
/// # Invariants
///
/// `raw` is a request handed to the controller, whose reference this owns; `io` holds its bytes,
/// as `rbus_request_get_io()` gave them: `tx_len` bytes at `tx`, which do not change while the
/// controller holds the request, and `rx_len` bytes at `rx`, which only this controller uses
/// until it completes the request.
pub struct HwRequest {
    raw: NonNull<ffi::rbus_request>,
    io: ffi::rbus_request_io,
}

impl HwRequest {
    /// Takes over the controller's reference on `raw`.
    ///
    /// # Safety
    ///
    /// `raw` must be a request the bus core handed to the controller, not completed yet.
    #[inline(always)]
    pub(crate) unsafe fn from_raw(raw: *mut ffi::rbus_request) -> Option<Self> {
        let raw = NonNull::new(raw)?;
        let mut io = ffi::rbus_request_io {
            tx: core::ptr::null(),
            rx: core::ptr::null_mut(),
            tx_len: 0,
            rx_len: 0,
        };
        // SAFETY: By the safety requirements `raw` is a request the controller holds, and `io`
        // is valid for writes.
        unsafe { ffi::rbus_request_get_io(raw.as_ptr(), &mut io) };
        // INVARIANT: By the safety requirements, and `io` is what the bus core gave.
        Some(Self { raw, io })
    }

    /// The bytes to write.
    pub fn tx(&self) -> &[u8] {
        if self.io.tx.is_null() || self.io.tx_len == 0 {
            return &[];
        }
        // SAFETY: By the type invariants `tx` holds `tx_len` bytes, unchanged while this lives.
        unsafe { core::slice::from_raw_parts(self.io.tx, self.io.tx_len as usize) }
    }

    /// The number of bytes to read back, at most [`uapi::DATA_MAX`].
    pub fn rx_len(&self) -> usize {
        self.io.rx_len as usize
    }

    /// The bytes to write, and the request's own buffer of [`HwRequest::rx_len`] bytes for the
    /// answer, which [`HwRequest::complete_in_place`] completes it with, without a copy.
    pub fn buffers(&mut self) -> (&[u8], &mut [u8]) {
        let rx = if self.io.rx.is_null() || self.io.rx_len == 0 {
            &mut []
        } else {
            // SAFETY: By the type invariants `rx` holds `rx_len` bytes that only this controller
            // uses, through `&mut self`, until the request is completed, which consumes `self`.
            unsafe { core::slice::from_raw_parts_mut(self.io.rx, self.io.rx_len as usize) }
        };
        (self.tx(), rx)
    }

    /// Completes the request with the bytes read back, or an error. A request that was
    /// cancelled meanwhile keeps that outcome.
    pub fn complete(self, result: Result<&[u8]>) {
        let this = ManuallyDrop::new(self);
        let (status, rx) = match result {
            Ok(rx) => (0, rx),
            Err(e) => (e.to_errno(), &[][..]),
        };
        let len = u32::try_from(rx.len()).unwrap_or(u32::MAX);
        // SAFETY: By the type invariants this owns the controller's reference, which the call
        // consumes; `this` is not dropped, so it is not used again.
        unsafe { ffi::rbus_request_complete(this.raw.as_ptr(), status, rx.as_ptr(), len) };
    }

    /// Completes the request with the first `n` bytes of its own buffer (see
    /// [`HwRequest::buffers`]), at most [`HwRequest::rx_len`], or an error.
    #[inline(always)]
    pub fn complete_in_place(self, result: Result<usize>) {
        let this = ManuallyDrop::new(self);
        let (status, len) = match result {
            Ok(n) => (0, n.min(this.io.rx_len as usize) as u32),
            Err(e) => (e.to_errno(), 0),
        };
        // SAFETY: As in `complete`; the answer is the request's own buffer, of `len` bytes.
        unsafe { ffi::rbus_request_complete(this.raw.as_ptr(), status, this.io.rx, len) };
    }
}

impl Drop for HwRequest {
    fn drop(&mut self) {
        // SAFETY: As in `complete`.
        unsafe {
            ffi::rbus_request_complete(self.raw.as_ptr(), EIO.to_errno(), core::ptr::null(), 0)
        };
    }
}

// SAFETY: Completion is allowed from any thread in process context.
unsafe impl Send for HwRequest {}

// SAFETY: Shared references only read the bytes to write, which do not change; the answer's
// buffer needs `&mut self`.
unsafe impl Sync for HwRequest {}
