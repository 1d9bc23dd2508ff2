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
    mem::ManuallyDrop,
    ptr::NonNull, //
};
use kernel::{
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
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
        to_result(ret)?;
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

/// A request the controller holds: it completes it exactly once, with [`HwRequest::complete`].
/// Dropping it completes it with `EIO`.
///
/// # Invariants
///
/// `raw` is a request handed to the controller, whose reference this owns.
pub struct HwRequest {
    raw: NonNull<ffi::rbus_request>,
}

impl HwRequest {
    /// Takes over the controller's reference on `raw`.
    ///
    /// # Safety
    ///
    /// `raw` must be a request the bus core handed to the controller, not completed yet.
    pub(crate) unsafe fn from_raw(raw: *mut ffi::rbus_request) -> Option<Self> {
        // INVARIANT: By the safety requirements.
        NonNull::new(raw).map(|raw| Self { raw })
    }

    /// The bytes to write.
    pub fn tx(&self) -> &[u8] {
        let mut len = 0;
        // SAFETY: By the type invariants the request is valid.
        let tx = unsafe { ffi::rbus_request_tx(self.raw.as_ptr(), &mut len) };
        if tx.is_null() || len == 0 {
            return &[];
        }
        // SAFETY: The request holds `len` bytes at `tx`, unchanged while it lives.
        unsafe { core::slice::from_raw_parts(tx, len as usize) }
    }

    /// The number of bytes to read back, at most [`uapi::DATA_MAX`].
    pub fn rx_len(&self) -> usize {
        // SAFETY: By the type invariants the request is valid.
        unsafe { ffi::rbus_request_rx_len(self.raw.as_ptr()) as usize }
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

// SAFETY: Shared references only read the request's fixed fields.
unsafe impl Sync for HwRequest {}
