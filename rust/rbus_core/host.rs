// SPDX-License-Identifier: GPL-2.0

//! Controller hosts: the device `rbus<nr>` between a controller and its children, which carries
//! the controller's runtime PM and its files `new_device` and `delete_device`.
//!
//! C header: [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! Controllers live in other modules, so they add and remove their host through
//! `rbus_host_add()` and `rbus_host_unregister()`, which `rust/exports.c` exports. The
//! child-to-bus calls (`calls.rs`) read the host's `suspended` flag inside a read-side section of
//! the host's own SRCU-fast domain, `calls_srcu`, and resume a suspended host first.
//!
//! The files are the host device type's attribute group, so they exist as soon as the device
//! does, as i2c adapters have theirs. A write goes to the handlers the controller published with
//! `rbus_host_set_control()`, under [`HostData::control`]; the controller revokes them first in
//! its teardown, which so waits for the write in progress, and from then on writes fail with
//! `ENODEV`. A host has no bus and no class, so it sends no uevent of its own: user space finds
//! its files through the controller's `bind` uevent, which comes after the controller's probe,
//! and so after it published its handlers.
//!
//! Each host also keeps the set of its children's addresses, which makes the check for a taken
//! address one bit, where a search of the bus for the child's name cost a string comparison for
//! every child of every controller.

use super::{
    bus::BUS_TYPE,
    device::{
        attr_group,
        attr_wo,
        to_rbus_device, //
    },
    stats::Counter,
    table::Table,
    trace, //
};
use crate::rbus::ffi;
use core::{
    ptr::{
        self,
        NonNull, //
    },
    sync::atomic::{
        AtomicUsize,
        Ordering, //
    }, //
};
use kernel::{
    alloc::flags::GFP_KERNEL,
    bindings,
    error::to_result,
    ffi::{
        c_char,
        c_void, //
    },
    new_mutex,
    prelude::*,
    str::as_char_ptr_in_const_context,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Mutex,
    },
    types::Opaque, //
};

/// The number of 64-bit words in a set of addresses.
const ADDR_WORDS: usize = (ffi::RBUS_ADDR_MAX as usize + 1).div_ceil(64);

/// A host as the core allocates it: the C structure that controllers and the calls see, and the
/// state of its files and the addresses of its children, which are the core's alone.
#[pin_data]
struct HostData {
    #[pin]
    raw: Opaque<ffi::rbus_host>,
    /// Held by each write to the files across its handler, and by `rbus_host_set_control()`,
    /// which so waits for a write in progress before it returns.
    #[pin]
    control: Mutex<Control>,
    /// The addresses of the children in sysfs, a bit each: from before their `device_add()` until
    /// after their `device_del()`, so no two children of the host ever have the same name.
    #[pin]
    addrs: Mutex<[u64; ADDR_WORDS]>,
    /// The children's calls, summed, when the host last tried to suspend: only the runtime
    /// suspend callback uses it, and the PM core runs one at a time.
    calls_seen: Atomic<u64>,
}

/// The state of a host's files.
struct Control {
    /// The controller's handlers, while published.
    handlers: Option<Handlers>,
}

/// A controller's handlers of the files, and their context.
#[derive(Clone, Copy)]
struct Handlers {
    ops: NonNull<ffi::rbus_control_ops>,
    ctx: *mut c_void,
}

// SAFETY: `rbus_host_set_control()` requires the handlers and their context to be usable from any
// thread in process context until they are revoked, which happens under the same lock.
unsafe impl Send for Handlers {}

/// The host whose embedded `struct device` is `dev`.
///
/// # Safety
///
/// `dev` must be the `dev` member of a `struct rbus_host`: a device of [`HOST_TYPE`], which only
/// `rbus_host_add()` gives out.
unsafe fn to_rbus_host(dev: *mut bindings::device) -> *mut ffi::rbus_host {
    // SAFETY: By the safety requirements `dev` is the `dev` member of a `struct rbus_host`.
    unsafe { kernel::container_of!(dev, ffi::rbus_host, dev) }
}

/// The core's data of `host`.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()` and not be released yet.
unsafe fn host_data<'a>(host: *mut ffi::rbus_host) -> &'a HostData {
    // SAFETY: By the safety requirements `host` is the `raw` member of a live, pinned `HostData`,
    // which `rbus_host_add()` allocated; only shared references to it are ever made.
    unsafe { &*kernel::container_of!(Opaque::cast_from(host), HostData, raw) }
}

/// The word of an address in a set of addresses, and its bit in that word.
fn addr_bit(addr: u32) -> (usize, u64) {
    // CAST: `u32` to `usize` is lossless on every architecture Linux supports.
    (addr as usize / 64, 1 << (addr % 64))
}

/// Takes `addr` on `host` for a child about to be added. Returns `EBUSY` if another child has it,
/// and `EINVAL` above `RBUS_ADDR_MAX`.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()` and not be released yet.
pub(crate) unsafe fn claim_addr(host: *mut ffi::rbus_host, addr: u32) -> Result {
    let (word, bit) = addr_bit(addr);
    // SAFETY: By the safety requirements `host` is not released.
    let mut addrs = unsafe { host_data(host) }.addrs.lock();
    let word = addrs.get_mut(word).ok_or(EINVAL)?;
    if *word & bit != 0 {
        return Err(EBUSY);
    }
    *word |= bit;
    Ok(())
}

/// Gives back an address that [`claim_addr`] took, once its child left sysfs or failed to enter.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()` and not be released yet.
pub(crate) unsafe fn release_addr(host: *mut ffi::rbus_host, addr: u32) {
    let (word, bit) = addr_bit(addr);
    // SAFETY: By the safety requirements `host` is not released.
    if let Some(word) = unsafe { host_data(host) }.addrs.lock().get_mut(word) {
        *word &= !bit;
    }
}

/// Sets the host's `suspended` flag, which child-to-bus calls read without a lock.
///
/// # Safety
///
/// `host` must be a valid host.
unsafe fn set_suspended(host: *mut ffi::rbus_host, suspended: bool) {
    // SAFETY: By the safety requirements `host` is valid, so its flag is. Every other access to
    // it is atomic too: the calls read it with `READ_ONCE()`, and only this function writes it.
    unsafe { Atomic::from_ptr(&raw mut (*host).suspended) }.store(suspended, Relaxed);
}

/// Marks `host` busy for its autosuspend, with at most one store a jiffy: callers mostly only read
/// the line. For the request queue, whose requests hold the host active; calls count themselves
/// instead (see [`runtime_suspend_callback`]).
///
/// # Safety
///
/// `host` must be a valid host.
#[inline(always)]
pub(crate) unsafe fn mark_host_busy(host: *mut ffi::rbus_host) {
    // SAFETY: `jiffies` is the kernel's tick counter, which it only ever updates atomically.
    let now = unsafe { ptr::read_volatile(&raw const bindings::jiffies) };
    // `core`'s atomic, a plain load and store: `kernel::sync::atomic` calls a C helper for each
    // access in 7.3, on the request queue's every round trip (see `calls.rs`).
    //
    // SAFETY: By the safety requirements the host is valid, and `busy_jiffies` only ever accessed
    // atomically.
    let busy = unsafe { AtomicUsize::from_ptr(&raw mut (*host).busy_jiffies) };
    if busy.load(Ordering::Relaxed) != now {
        busy.store(now, Ordering::Relaxed);
        // SAFETY: The host is valid.
        unsafe { ffi::rbus_helper_pm_runtime_mark_last_busy(&raw mut (*host).dev) };
    }
}

/// Adds the calls of `dev`, if it is a child, to the `u64` at `sum`: a `device_for_each_child()`
/// callback.
extern "C" fn add_calls(dev: *mut bindings::device, sum: *mut c_void) -> c_int {
    // SAFETY: `device_for_each_child()` holds a reference on `dev` for this call, which keeps a
    // child's counters: they go with its release. Only `rbus_device_add()` puts devices on the
    // bus. `sum` is the caller's `u64`, which only this thread accesses.
    unsafe {
        if (*dev).bus == BUS_TYPE.as_ptr() {
            let sum = &mut *sum.cast::<u64>();
            *sum = sum.wrapping_add(Counter::Calls.sum(to_rbus_device(dev)));
        }
    }
    0
}

/// Whether the children of `host` made calls since the host last asked, which only
/// [`runtime_suspend_callback`] does.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()` and not be released yet.
unsafe fn called_since(host: *mut ffi::rbus_host) -> bool {
    let mut calls: u64 = 0;
    // SAFETY: By the safety requirements the host is registered or being removed, so its device
    // is initialized; `add_calls` takes the `u64` it is given.
    unsafe {
        bindings::device_for_each_child(
            &raw mut (*host).dev,
            (&raw mut calls).cast(),
            Some(add_calls),
        )
    };
    // SAFETY: By the safety requirements `host` is not released.
    unsafe { host_data(host) }.calls_seen.xchg(calls, Relaxed) != calls
}

/// Runtime suspend, the controller's D0 exit: sets the flag, then waits out the child-to-bus
/// calls that started before it. From then on a call resumes the host first, or fails with
/// `-EAGAIN` if it may not sleep. The domain is this host's alone: calls on other controllers
/// are not waited for.
///
/// Calls mark the host busy lazily, which keeps them free of a store to a shared line and of
/// the test for it: on the autosuspend, a host whose children made calls since its last
/// attempt marks itself busy and refuses with `-EBUSY`, so the PM core tries again one delay
/// later (`rpm_suspend()`). It so suspends one to two delays after the last call. With a delay
/// of 0 or below, which the PM core would not retry, it suspends at once.
extern "C" fn runtime_suspend_callback(dev: *mut bindings::device) -> c_int {
    // SAFETY: The PM core suspends a registered device, and only hosts have this device type.
    let host = unsafe { to_rbus_host(dev) };
    // SAFETY: `dev` is a registered device; `power.autosuspend_delay` changes under its
    // `power.lock`, which this does not hold: `READ_ONCE()`.
    let delay = unsafe { Atomic::from_ptr(&raw mut (*dev).power.autosuspend_delay) }.load(Relaxed);
    // SAFETY: The host is registered.
    if delay > 0 && !cfg!(rbus_break = "no-busy") && unsafe { called_since(host) } {
        // SAFETY: As above.
        unsafe {
            ffi::rbus_helper_pm_runtime_mark_last_busy(dev);
            trace::runtime_suspend(dev, EBUSY.to_errno());
        }
        return EBUSY.to_errno();
    }

    // SAFETY: The host is registered.
    unsafe { set_suspended(host, true) };

    // SAFETY: The host's domain lives from `rbus_host_add()` to its release. Runtime PM
    // callbacks run in process context, outside any of its read-side sections.
    unsafe { bindings::synchronize_srcu(&raw mut (*host).calls_srcu) };
    // SAFETY: The PM core suspends a registered device.
    unsafe { trace::runtime_suspend(dev, 0) };
    0
}

/// Runtime resume, the controller's D0 entry: calls go through again.
extern "C" fn runtime_resume_callback(dev: *mut bindings::device) -> c_int {
    // SAFETY: The PM core resumes a registered device, and only hosts have this device type.
    unsafe {
        set_suspended(to_rbus_host(dev), false);
        trace::runtime_resume(dev, 0);
    }
    0
}

/// Frees the host once its last reference is gone.
extern "C" fn release_callback(dev: *mut bindings::device) {
    // SAFETY: The driver core releases a device of this type when its last reference is gone,
    // so nothing uses the host any more: no call is in its domain, which a call enters only
    // with a reference on a child, whose parent the host is. `rbus_host_add()` allocated the
    // host as a pinned `KBox` of `HostData`, and initialized the domain before the device.
    unsafe {
        let host = to_rbus_host(dev);
        bindings::cleanup_srcu_struct(&raw mut (*host).calls_srcu);
        let data = kernel::container_of!(Opaque::cast_from(host), HostData, raw);
        drop(Pin::new_unchecked(KBox::from_raw(data.cast_mut())));
    }
}

/// The runtime PM of a host: `RUNTIME_PM_OPS()` with no idle callback.
static PM_OPS: Table<bindings::dev_pm_ops> = Table::new(bindings::dev_pm_ops {
    runtime_suspend: Some(runtime_suspend_callback),
    runtime_resume: Some(runtime_resume_callback),
    ..pin_init::zeroed()
});

/// A handler of `struct rbus_control_ops`.
type Handler = Option<unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> c_int>;

/// Hands a write to one of the files to the handler that `pick` chooses of those published.
///
/// # Safety
///
/// `dev` must be a host with a file open, so not released, and `buf` valid for reads of `count` bytes.
unsafe fn store(
    dev: *mut bindings::device,
    buf: *const c_char,
    count: usize,
    pick: fn(&ffi::rbus_control_ops) -> Handler,
) -> isize {
    // SAFETY: By the safety requirements `dev` is a host, not released.
    let data = unsafe { host_data(to_rbus_host(dev)) };
    // Held across the handler: revoking waits for it.
    let control = data.control.lock();
    let Some(handlers) = control.handlers else {
        return ENODEV.to_errno() as isize;
    };
    // SAFETY: Published handlers stay valid until revoked, which the lock keeps off.
    let Some(handler) = pick(unsafe { handlers.ops.as_ref() }) else {
        return EOPNOTSUPP.to_errno() as isize;
    };
    // SAFETY: Likewise for the context; `buf` holds `count` bytes.
    let ret = unsafe { handler(handlers.ctx, buf, count) };
    if ret < 0 {
        return ret as isize;
    }
    isize::try_from(count).unwrap_or(isize::MAX)
}

/// `store` of `new_device`: `"<addr> <compatible>"` adds a child.
extern "C" fn new_device_store(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs writes to a file of a registered host, with a buffer of `count` bytes.
    unsafe { store(dev, buf, count, |ops| ops.new_device) }
}

/// `store` of `delete_device`: `"<addr>"` removes a child.
extern "C" fn delete_device_store(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs writes to a file of a registered host, with a buffer of `count` bytes.
    unsafe { store(dev, buf, count, |ops| ops.delete_device) }
}

static NEW_DEVICE: Table<bindings::device_attribute> = attr_wo(c"new_device", new_device_store);
static DELETE_DEVICE: Table<bindings::device_attribute> =
    attr_wo(c"delete_device", delete_device_store);

/// The files, `NULL`-terminated.
static ATTRS: Table<[*const bindings::attribute; 3]> = Table::new([
    &NEW_DEVICE.get().attr,
    &DELETE_DEVICE.get().attr,
    ptr::null(),
]);

/// The attribute group of every host.
static GROUP: Table<bindings::attribute_group> = attr_group(ATTRS.get().as_ptr());

/// The attribute groups of every host, `NULL`-terminated.
static GROUPS: Table<[*const bindings::attribute_group; 2]> =
    Table::new([GROUP.as_ptr(), ptr::null()]);

/// The device type of every host.
static HOST_TYPE: Table<bindings::device_type> = Table::new(bindings::device_type {
    name: as_char_ptr_in_const_context(c"rbus_host"),
    // The kernel only reads the array, which C declares without `const`.
    groups: GROUPS.get().as_ptr().cast_mut(),
    pm: PM_OPS.as_ptr(),
    release: Some(release_callback),
    ..pin_init::zeroed()
});

/// `rbus_host_add()` in a `Result`.
///
/// # Safety
///
/// As for `rbus_host_add()`.
unsafe fn add(parent: *mut bindings::device, nr: c_int) -> Result<*mut ffi::rbus_host> {
    let data = KBox::pin_init(
        pin_init!(HostData {
            raw <- Opaque::ffi_init(|slot: *mut ffi::rbus_host| {
                // SAFETY: `slot` is valid for writes, and all zeroes are a valid
                // `struct rbus_host`: its members are integers, a `bool`, pointers and options of
                // function pointers, and an SRCU domain and a device yet to be initialized.
                unsafe { slot.write_bytes(0, 1) };
            }),
            control <- new_mutex!(Control { handlers: None }),
            addrs <- new_mutex!([0; ADDR_WORDS]),
            calls_seen: Atomic::new(0),
        }),
        GFP_KERNEL,
    )?;
    // From `device_initialize()` on the device's reference count owns the host, and
    // `release_callback()` frees it; it never moves.
    //
    // SAFETY: The data is not moved out of the box, which `release_callback()` rebuilds.
    let data = KBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
    // SAFETY: `data` is valid, and no reference to its host exists yet.
    let host = unsafe { &mut *(*data).raw.get() };
    host.nr = nr;
    // Each host's domain has the lockdep class of this call site, as `init_srcu_struct_fast()`
    // gives one.
    //
    // SAFETY: The domain is zeroed, not yet initialized; the name and the class are static.
    let ret = to_result(unsafe {
        crate::rbus::srcu::init_srcu_struct_fast(
            &raw mut host.calls_srcu,
            c"&host->calls_srcu",
            kernel::static_lock_class!(),
        )
    });
    if let Err(e) = ret {
        // SAFETY: `data` came from `KBox::into_raw()` above, and nothing else refers to it.
        drop(unsafe { KBox::from_raw(data) });
        return Err(e);
    }
    let host: *mut ffi::rbus_host = host;
    // SAFETY: `host` is valid, and `dev` is its embedded device.
    let dev = unsafe { &raw mut (*host).dev };

    // SAFETY: `dev` is zeroed, not yet initialized. By the safety requirements `parent` is a
    // valid device, on which `device_add()` takes a reference.
    unsafe {
        bindings::device_initialize(dev);
        (*dev).parent = parent;
        (*dev).type_ = HOST_TYPE.as_ptr();
    }

    // SAFETY: `dev` is initialized, and `%d` takes an `int`.
    let ret = to_result(unsafe { bindings::dev_set_name(dev, c"rbus%d".as_char_ptr(), nr) })
        // SAFETY: `dev` is initialized and named.
        .and_then(|()| to_result(unsafe { bindings::device_add(dev) }));
    if let Err(e) = ret {
        // SAFETY: `device_initialize()` gave the only reference, which this drops: the release
        // callback frees the name and the host.
        unsafe { bindings::put_device(dev) };
        return Err(e);
    }

    // Runtime PM starts forbidden ("on" in `power/control`). Once allowed, the host suspends after
    // `RBUS_HOST_AUTOSUSPEND_MS` without calls; its children's power states are their own.
    // `RPM_ACTIVE` is 0 in an `enum rpm_status`, which bindgen makes signed; C passes it as the
    // `unsigned int` that `__pm_runtime_set_status()` takes.
    //
    // SAFETY: `dev` is registered. The status can only be set while runtime PM is disabled,
    // which it still is, so it cannot fail: `pm_runtime_set_active()`'s result goes unchecked,
    // as in C.
    unsafe {
        bindings::__pm_runtime_set_status(dev, bindings::rpm_status_RPM_ACTIVE as c_uint);
        ffi::rbus_helper_pm_suspend_ignore_children(dev, true);
        bindings::pm_runtime_set_autosuspend_delay(dev, ffi::RBUS_HOST_AUTOSUSPEND_MS as c_int);
        bindings::__pm_runtime_use_autosuspend(dev, true);
        bindings::pm_runtime_forbid(dev);
        bindings::pm_runtime_enable(dev);
    }
    Ok(host)
}

/// Registers the host of the controller `parent`, numbered `nr`: see `rbus_host_add()` in
/// `rust/rbus_glue.h`.
///
/// # Safety
///
/// `parent` must be a valid device, and `nr` a bus number from `rbus_bus_nr_alloc()` that no
/// other host has.
#[no_mangle]
unsafe extern "C" fn rbus_host_add(
    parent: *mut bindings::device,
    nr: c_int,
) -> *mut ffi::rbus_host {
    // SAFETY: By the safety requirements.
    match unsafe { add(parent, nr) } {
        Ok(host) => host,
        Err(e) => e.to_ptr(),
    }
}

/// Publishes or revokes the handlers of a host's files: see `rbus_host_set_control()` in
/// `rust/rbus_glue.h`.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()`, and the caller must hold a reference on it. `ops`
/// must be NULL, or valid, with `ctx`, for calls from any thread in process context until a later
/// call revokes them. It must not be called from a handler, which holds the lock it takes.
#[no_mangle]
unsafe extern "C" fn rbus_host_set_control(
    host: *mut ffi::rbus_host,
    ops: *const ffi::rbus_control_ops,
    ctx: *mut c_void,
) {
    // SAFETY: By the safety requirements the caller holds a reference, so `host` is not released.
    let data = unsafe { host_data(host) };
    data.control.lock().handlers = NonNull::new(ops.cast_mut()).map(|ops| Handlers { ops, ctx });
}

/// Tells `device_for_each_child()` that the host has a child.
extern "C" fn found_child(_dev: *mut bindings::device, _data: *mut c_void) -> c_int {
    1
}

/// Removes a host: see `rbus_host_unregister()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()`, not be unregistered yet, and have no children left.
#[no_mangle]
unsafe extern "C" fn rbus_host_unregister(host: *mut ffi::rbus_host) {
    // SAFETY: By the safety requirements `host` is valid.
    let dev = unsafe { &raw mut (*host).dev };

    // A child left behind is a controller's bug: one added after it tore its children down, for
    // instance through a file whose handlers it did not revoke first.
    //
    // SAFETY: `dev` is registered; the callback takes no reference.
    let left = unsafe { bindings::device_for_each_child(dev, ptr::null_mut(), Some(found_child)) };
    kernel::warn_on!(left != 0);

    // The reverse of `rbus_host_add()`: runtime PM, then the device, whose last reference goes
    // with it unless a call still holds one.
    //
    // SAFETY: By the safety requirements `dev` is registered, and this is its only
    // unregistration.
    unsafe {
        bindings::__pm_runtime_disable(dev, true);
        bindings::__pm_runtime_use_autosuspend(dev, false);
        bindings::device_unregister(dev);
    }
}
