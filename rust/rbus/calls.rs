// SPDX-License-Identifier: GPL-2.0

//! Child-to-bus calls: transfers, registers and event subscription.
//!
//! C headers: [`include/linux/rbus.h`](../../include/linux/rbus.h) and
//! [`rust/rbus_glue.h`](../rbus_glue.h)
//!
//! A child driver gets a [`Bus`] handle, the bus interface of a KMDF child: taking it is
//! `InterfaceReference`, dropping it `InterfaceDereference`. A controller implements the calls
//! with [`Hardware`]. Once the child is removed, every call on a handle fails with `ENODEV` and
//! never reaches the controller, however long the handle is kept.

use super::{
    ffi,
    requests::HwRequest,
    Device, //
};
use core::marker::PhantomData;
use kernel::{
    device,
    error::{
        from_result,
        to_result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*, //
};

/// The most bytes one transfer moves each way.
pub const TRANSFER_MAX: usize = 256;

/// A child's handle on its bus.
///
/// # Invariants
///
/// `ops` was filled by `rbus_query_interface()`, whose reference on `ops.context` this handle
/// owns.
pub struct Bus {
    ops: ffi::rbus_bus_ops,
}

impl Bus {
    /// Takes a handle on the bus of `dev`.
    pub fn new(dev: &Device<device::Bound>) -> Result<Self> {
        // SAFETY: `dev` is a valid child.
        unsafe { Self::from_raw(dev.as_raw()) }
    }

    /// Takes a handle on the bus of the child `rdev`; for the KUnit tests of the abstractions.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child for the duration of the call.
    #[doc(hidden)]
    pub unsafe fn from_raw(rdev: *mut ffi::rbus_device) -> Result<Self> {
        let mut ops = ffi::rbus_bus_ops {
            size: core::mem::size_of::<ffi::rbus_bus_ops>() as u32,
            version: ffi::RBUS_OPS_VERSION,
            context: core::ptr::null_mut(),
            get: None,
            put: None,
            transfer: None,
            reg_read: None,
            reg_write: None,
            subscribe: None,
        };

        // SAFETY: `rdev` is a valid child and `ops` a writable table of the right size.
        to_result(unsafe { ffi::rbus_query_interface(rdev, &mut ops) })?;

        // INVARIANT: filled above, with one reference taken for this handle.
        Ok(Self { ops })
    }

    /// Writes `tx`, then reads `rx`, as one transaction. Resumes a suspended controller first,
    /// so it may sleep.
    pub fn transfer(&self, tx: &[u8], rx: &mut [u8]) -> Result {
        self.transfer_flags(0, tx, rx)
    }

    /// Reads register `reg` of the device. May sleep, as [`Bus::transfer`].
    pub fn reg_read(&self, reg: u32) -> Result<u32> {
        self.reg_read_flags(0, reg)
    }

    /// Like [`Bus::reg_read`], but never sleeps; `EAGAIN` while the controller is suspended.
    pub fn try_reg_read(&self, reg: u32) -> Result<u32> {
        self.reg_read_flags(ffi::RBUS_CALL_NOWAIT, reg)
    }

    /// Writes register `reg` of the device. May sleep, as [`Bus::transfer`].
    pub fn reg_write(&self, reg: u32, val: u32) -> Result {
        self.reg_write_flags(0, reg, val)
    }

    /// Asks for events of the kinds in `mask`, bit `n` for kind `n`. May sleep, as
    /// [`Bus::transfer`].
    pub fn subscribe(&self, mask: u32) -> Result {
        self.subscribe_flags(0, mask)
    }

    fn transfer_flags(&self, flags: u32, tx: &[u8], rx: &mut [u8]) -> Result {
        if tx.len() > TRANSFER_MAX || rx.len() > TRANSFER_MAX {
            return Err(EINVAL);
        }
        let f = self.ops.transfer.ok_or(ENODEV)?;
        // SAFETY: By the type invariants `context` is referenced by this handle; the buffers are
        // valid for their lengths during the call.
        to_result(unsafe {
            f(
                self.ops.context,
                flags,
                tx.as_ptr().cast(),
                tx.len(),
                rx.as_mut_ptr().cast(),
                rx.len(),
            )
        })
    }

    fn reg_read_flags(&self, flags: u32, reg: u32) -> Result<u32> {
        let f = self.ops.reg_read.ok_or(ENODEV)?;
        let mut val = 0;
        // SAFETY: As in `transfer_flags`; `val` is writable.
        to_result(unsafe { f(self.ops.context, flags, reg, &mut val) })?;
        Ok(val)
    }

    fn reg_write_flags(&self, flags: u32, reg: u32, val: u32) -> Result {
        let f = self.ops.reg_write.ok_or(ENODEV)?;
        // SAFETY: As in `transfer_flags`.
        to_result(unsafe { f(self.ops.context, flags, reg, val) })
    }

    fn subscribe_flags(&self, flags: u32, mask: u32) -> Result {
        let f = self.ops.subscribe.ok_or(ENODEV)?;
        // SAFETY: As in `transfer_flags`.
        to_result(unsafe { f(self.ops.context, flags, mask) })
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        if let Some(put) = self.ops.put {
            // SAFETY: By the type invariants this handle owns one reference on `context`.
            unsafe { put(self.ops.context) };
        }
    }
}

// SAFETY: The calls may be made from any thread; the context is refcounted.
unsafe impl Send for Bus {}

// SAFETY: The bus core allows concurrent calls on one context.
unsafe impl Sync for Bus {}

/// A controller's implementation of the child-to-bus calls of one child.
///
/// A call the controller does not implement fails with `EOPNOTSUPP`. The calls run with the
/// controller resumed and must not sleep: a child's `try_` call may come from atomic context. (Not a `#[vtable]` trait:
/// [`NoHardware`] is public, and `#[vtable]` would tie its impl to the private module type.)
pub trait Hardware: Send + Sync {
    /// Writes `tx`, then fills `rx`.
    fn transfer(&self, _tx: &[u8], _rx: &mut [u8]) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Reads register `reg`.
    fn reg_read(&self, _reg: u32) -> Result<u32> {
        Err(EOPNOTSUPP)
    }

    /// Writes register `reg`.
    fn reg_write(&self, _reg: u32, _val: u32) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Records the subscribed event kinds.
    fn subscribe(&self, _mask: u32) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Starts an asynchronous request, to be completed once, possibly before this returns. It
    /// runs under the child's queue lock: completing requests of this child is all it may do
    /// with the queue, and a lock it takes here must not be held while it completes (or drops)
    /// a request.
    fn submit(&self, req: HwRequest) {
        req.complete(Err(EOPNOTSUPP));
    }
}

/// A controller without child-to-bus calls.
pub struct NoHardware;

impl Hardware for NoHardware {}

/// The buffers of a transfer that came from C, checked: each at most [`TRANSFER_MAX`] bytes, and
/// a NULL one empty. Returns `EINVAL` otherwise.
///
/// # Safety
///
/// A non-NULL `tx` must be valid for reads of `tx_len` bytes and a non-NULL `rx` for writes of
/// `rx_len` bytes for `'a`, and the two must not overlap.
pub(crate) unsafe fn transfer_buffers<'a>(
    tx: *const c_void,
    tx_len: usize,
    rx: *mut c_void,
    rx_len: usize,
) -> Result<(&'a [u8], &'a mut [u8])> {
    if tx_len > TRANSFER_MAX
        || rx_len > TRANSFER_MAX
        || (tx.is_null() && tx_len != 0)
        || (rx.is_null() && rx_len != 0)
    {
        return Err(EINVAL);
    }
    let tx: &[u8] = if tx_len == 0 {
        &[]
    } else {
        // SAFETY: Not NULL, so valid for `tx_len` bytes by the safety requirements.
        unsafe { core::slice::from_raw_parts(tx.cast::<u8>(), tx_len) }
    };
    let rx: &mut [u8] = if rx_len == 0 {
        &mut []
    } else {
        // SAFETY: Not NULL, so valid for writes of `rx_len` bytes, and apart from `tx`, by the
        // safety requirements.
        unsafe { core::slice::from_raw_parts_mut(rx.cast::<u8>(), rx_len) }
    };
    Ok((tx, rx))
}

/// The C table for a [`Hardware`] `T`; its context is a `T` that outlives the child's
/// registration.
pub(crate) struct HwVtable<T: Hardware>(PhantomData<T>);

impl<T: Hardware> HwVtable<T> {
    pub(crate) const OPS: ffi::rbus_hw_ops = ffi::rbus_hw_ops {
        transfer: Some(Self::transfer),
        reg_read: Some(Self::reg_read),
        reg_write: Some(Self::reg_write),
        subscribe: Some(Self::subscribe),
        submit: Some(Self::submit),
    };

    /// # Safety
    ///
    /// `ctx` must point to a live `T`.
    unsafe fn hw<'a>(ctx: *mut c_void) -> &'a T {
        // SAFETY: By the safety requirements.
        unsafe { &*ctx.cast::<T>() }
    }

    extern "C" fn transfer(
        ctx: *mut c_void,
        tx: *const c_void,
        tx_len: usize,
        rx: *mut c_void,
        rx_len: usize,
    ) -> c_int {
        // SAFETY: The bus core passes the context given at registration, a live `T`.
        let hw = unsafe { Self::hw(ctx) };
        from_result(|| {
            // SAFETY: The bus core passes the caller's buffers, valid for their lengths unless
            // NULL, for the duration of the call; a C child driver calls without `Bus`'s checks.
            let (tx, rx) = unsafe { transfer_buffers(tx, tx_len, rx, rx_len) }?;
            hw.transfer(tx, rx).map(|()| 0)
        })
    }

    extern "C" fn reg_read(ctx: *mut c_void, reg: u32, val: *mut u32) -> c_int {
        // SAFETY: As in `transfer`.
        let hw = unsafe { Self::hw(ctx) };
        from_result(|| {
            let v = hw.reg_read(reg)?;
            // SAFETY: The bus core passes a writable `u32`.
            unsafe { val.write(v) };
            Ok(0)
        })
    }

    extern "C" fn reg_write(ctx: *mut c_void, reg: u32, val: u32) -> c_int {
        // SAFETY: As in `transfer`.
        let hw = unsafe { Self::hw(ctx) };
        from_result(|| hw.reg_write(reg, val).map(|()| 0))
    }

    extern "C" fn subscribe(ctx: *mut c_void, mask: u32) -> c_int {
        // SAFETY: As in `transfer`.
        let hw = unsafe { Self::hw(ctx) };
        from_result(|| hw.subscribe(mask).map(|()| 0))
    }

    extern "C" fn submit(ctx: *mut c_void, req: *mut ffi::rbus_request) {
        // SAFETY: As in `transfer`.
        let hw = unsafe { Self::hw(ctx) };
        // SAFETY: The bus core hands over a started request with the controller's reference.
        if let Some(req) = unsafe { HwRequest::from_raw(req) } {
            hw.submit(req);
        }
    }
}
