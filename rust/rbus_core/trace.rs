// SPDX-License-Identifier: GPL-2.0

//! The bus core's trace events: the `rbus` trace system.
//!
//! C header: [`include/trace/events/rbus.h`](../../include/trace/events/rbus.h)
//!
//! Each wrapper costs a patched no-op while its event is disabled (see `rust/rbus/tracepoint.rs`).
//! The fast path of event dispatch, inline in `rust/rbus_glue.h`, takes the slow path of
//! `events.rs` while `rbus_event` is enabled, which traces the event here.

use crate::rbus::{
    ffi,
    Device, //
};
use kernel::{
    bindings,
    prelude::*,
    time::{
        Instant,
        Monotonic, //
    }, //
};

crate::declare_trace! {
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_event(dev: *const bindings::device, kind: u32, seq: u64, outcome: c_int);
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_call(dev: *const bindings::device, op: u32, flags: u32, ret: c_int);
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_request_submit(dev: *const bindings::device, id: u64);
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_request_start(dev: *const bindings::device, id: u64);
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_request_complete(
        dev: *const bindings::device,
        id: u64,
        status: c_int,
        latency_ns: u64,
    );
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_runtime_suspend(dev: *const bindings::device, ret: c_int);
    /// # Safety
    ///
    /// `dev` must be a valid device.
    unsafe fn rbus_runtime_resume(dev: *const bindings::device, ret: c_int);
}

/// What became of an event.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum Outcome {
    /// Its callback is called.
    Delivered = ffi::RBUS_TRACE_DELIVERED,
    /// It waits for the child's resume.
    Deferred = ffi::RBUS_TRACE_DEFERRED,
    /// It is lost: the queue was full, or the child unbound before it could be delivered.
    Dropped = ffi::RBUS_TRACE_DROPPED,
}

/// A child-to-bus call.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum Op {
    /// `transfer`: a write, then a read.
    Transfer = ffi::RBUS_TRACE_TRANSFER,
    /// `reg_read`.
    RegRead = ffi::RBUS_TRACE_REG_READ,
    /// `reg_write`.
    RegWrite = ffi::RBUS_TRACE_REG_WRITE,
    /// `subscribe`: the event kinds the child takes.
    Subscribe = ffi::RBUS_TRACE_SUBSCRIBE,
}

/// Traces `ev` of `rdev`, and what became of it.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[inline(always)]
pub(crate) unsafe fn event(rdev: *mut ffi::rbus_device, ev: &ffi::rbus_event, outcome: Outcome) {
    // SAFETY: By the safety requirements `rdev` is valid, and so is its device.
    unsafe { rbus_event(&raw const (*rdev).dev, ev.kind, ev.seq, outcome as c_int) };
}

/// Whether child-to-bus calls are traced: their fast path leaves it to the slow one.
#[inline(always)]
pub(crate) fn call_enabled() -> bool {
    rbus_call_enabled()
}

/// Traces a child-to-bus call `op` of `rdev`, with `flags`, that returned `ret`.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[inline(always)]
pub(crate) unsafe fn call(rdev: *mut ffi::rbus_device, op: Op, flags: u32, ret: c_int) {
    // SAFETY: By the safety requirements `rdev` is valid, and so is its device.
    unsafe { rbus_call(&raw const (*rdev).dev, op as u32, flags, ret) };
}

/// Traces the submit of request `id` to `dev`.
#[inline(always)]
pub(crate) fn request_submit(dev: &Device, id: u64) {
    // SAFETY: `dev` is a valid child, so its device is valid.
    unsafe { rbus_request_submit(&raw const (*dev.as_raw()).dev, id) };
}

/// Traces the start of request `id` of `rdev`: the controller is handed it.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[inline(always)]
pub(crate) unsafe fn request_start(rdev: *mut ffi::rbus_device, id: u64) {
    // SAFETY: By the safety requirements `rdev` is valid, and so is its device.
    unsafe { rbus_request_start(&raw const (*rdev).dev, id) };
}

/// The time of a request's submit, for the latency of its completion, or `None` while that
/// event is disabled: reading the clock is only worth it for the event.
#[inline(always)]
pub(crate) fn stamp() -> Option<Instant<Monotonic>> {
    rbus_request_complete_enabled().then(Instant::now)
}

/// Traces the completion of request `id` of `dev` with `status`, `submitted` at the [`stamp`].
#[inline(always)]
pub(crate) fn request_complete(
    dev: &Device,
    id: u64,
    status: c_int,
    submitted: Option<Instant<Monotonic>>,
) {
    if !rbus_request_complete_enabled() {
        return;
    }
    let latency = submitted.map_or(0, |t| u64::try_from(t.elapsed().as_nanos()).unwrap_or(0));
    // SAFETY: `dev` is a valid child, so its device is valid.
    unsafe { rbus_request_complete(&raw const (*dev.as_raw()).dev, id, status, latency) };
}

/// Traces a runtime suspend of the child or host `dev`, which returns `ret`.
///
/// # Safety
///
/// `dev` must be a valid device.
#[inline(always)]
pub(crate) unsafe fn runtime_suspend(dev: *const bindings::device, ret: c_int) {
    // SAFETY: By the safety requirements.
    unsafe { rbus_runtime_suspend(dev, ret) };
}

/// Traces a runtime resume of the child or host `dev`, which returns `ret`.
///
/// # Safety
///
/// `dev` must be a valid device.
#[inline(always)]
pub(crate) unsafe fn runtime_resume(dev: *const bindings::device, ret: c_int) {
    // SAFETY: By the safety requirements.
    unsafe { rbus_runtime_resume(dev, ret) };
}
