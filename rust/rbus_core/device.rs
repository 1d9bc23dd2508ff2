// SPDX-License-Identifier: GPL-2.0

//! Child devices: how controllers add and remove them, and the sysfs attributes every child has
//! (`compatible`, `address` and `modalias`).
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! Controllers live in other modules, so they add and remove children through
//! `rbus_device_add()` and `rbus_device_unregister()`, which `rust/exports.c` exports with
//! `rbus_device_addr()`. The child-to-bus calls (`calls.rs`) read `hw` inside a read-side section
//! of the host's `calls_srcu`; the request queue is `queue.rs`'s, and the events a child holds
//! are `events.rs`'s.
//!
//! The attributes are read-only statics, as `DEVICE_ATTR_RO()` declares them in C, and the bus
//! type gives them to every child through its `dev_groups`.

use super::{
    bus::BUS_TYPE,
    events,
    host,
    queue::{
        self,
        Queue, //
    },
    table::Table, //
};
use crate::rbus::ffi;
use kernel::{
    alloc::flags::{
        __GFP_ZERO,
        GFP_KERNEL, //
    },
    bindings,
    error::to_result,
    prelude::*,
    static_lock_class,
    str::as_char_ptr_in_const_context,
    sync::atomic::{
        Atomic,
        Relaxed, //
    }, //
};

use core::{
    ptr,
    slice, //
};

/// The child whose embedded `struct device` is `dev`.
///
/// # Safety
///
/// `dev` must be a device of the `rbus` bus. Every such device is the `dev` member of a
/// `struct rbus_device`: only `rbus_device_add()` puts devices on the bus.
pub(crate) unsafe fn to_rbus_device(dev: *mut bindings::device) -> *mut ffi::rbus_device {
    // SAFETY: By the safety requirements `dev` is the `dev` member of a `struct rbus_device`.
    unsafe { kernel::container_of!(dev, ffi::rbus_device, dev) }
}

/// The compatible string of a child.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
pub(crate) unsafe fn compatible<'a>(rdev: *const ffi::rbus_device) -> &'a CStr {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`. Its compatible is written
    // before the child is added and never changes, so a shared reference to it is sound.
    let compatible: &'a [u8; ffi::COMPATIBLE_SIZE] = unsafe { &(*rdev).compatible };

    // `rbus_device_add()` copied at most `RBUS_COMPATIBLE_SIZE - 1` bytes into the zeroed array,
    // so it ends in a NUL.
    CStr::from_bytes_until_nul(compatible).unwrap_or(c"")
}

/// The compatible string at `compatible`, without its NUL.
///
/// Returns `EINVAL` if it is null, empty, or has no NUL within `RBUS_COMPATIBLE_SIZE` bytes: a
/// child's copy must hold it with its NUL.
///
/// # Safety
///
/// `compatible` must be null or point to a NUL-terminated string that lives for `'a`.
unsafe fn compatible_arg<'a>(compatible: *const c_char) -> Result<&'a [u8]> {
    if compatible.is_null() {
        return Err(EINVAL);
    }

    // As `strnlen()` does, read up to the NUL and never past the size of the copy.
    let mut len = 0;
    while len < ffi::COMPATIBLE_SIZE {
        // SAFETY: By the safety requirements the string ends in a NUL, and none of the `len`
        // bytes before this one was it, so this one is still part of the string.
        if unsafe { *compatible.add(len) } == 0 {
            break;
        }
        len += 1;
    }
    if len == 0 || len == ffi::COMPATIBLE_SIZE {
        return Err(EINVAL);
    }

    // SAFETY: The `len` bytes read above are the string's, which lives for `'a`.
    Ok(unsafe { slice::from_raw_parts(compatible.cast::<u8>(), len) })
}

/// Frees a child once its last reference is gone.
extern "C" fn release_callback(dev: *mut bindings::device) {
    // SAFETY: The driver core releases a device whose release callback this is, which only
    // `rbus_device_add()` sets, on its children.
    let rdev = unsafe { to_rbus_device(dev) };

    // The reverse of `rbus_device_add()`: the fwnode reference, the counters, the locks, then
    // the child itself; the driver core frees the name. The events' array, which the first
    // publish allocated, goes with the request queue.
    //
    // SAFETY: The last reference is gone, so nothing uses the child any more.
    // `rbus_device_add()` took the fwnode reference, allocated the counters and initialized the
    // locks before it handed the child to the reference count.
    unsafe {
        bindings::fwnode_handle_put(bindings::__dev_fwnode(dev));
        bindings::free_percpu((*rdev).stats.cast());
        bindings::mutex_destroy(&raw mut (*rdev).ops_lock);
        bindings::mutex_destroy(&raw mut (*rdev).resume_lock);
        events::release(rdev);
        queue::release(rdev);
        bindings::put_device(&raw mut (*(*rdev).host).dev);
    }

    // Test-only: `make check RBUS_BREAK=leak` must go red.
    if !cfg!(rbus_break = "leak") {
        // SAFETY: `rbus_device_add()` allocated the child as a `KBox`, and nothing uses it.
        drop(unsafe { KBox::from_raw(rdev) });
    }
}

/// Names a child and adds it to the bus, unless its address is taken.
///
/// # Safety
///
/// `rdev` must be an initialized child of a registered host, not added yet.
unsafe fn register(rdev: *mut ffi::rbus_device) -> Result {
    // SAFETY: By the safety requirements `rdev` is valid, and so is its host.
    let (dev, host, addr) = unsafe { (&raw mut (*rdev).dev, (*rdev).host, (*rdev).addr) };
    // SAFETY: As above.
    let nr = unsafe { (*host).nr };

    // SAFETY: `dev` is initialized; `%d` takes an `int` and `%04x` an `unsigned int`.
    to_result(unsafe { bindings::dev_set_name(dev, c"%d-%04x".as_char_ptr(), nr, addr) })?;

    // Refuse a taken address here: `device_add()` would fail too, but only after sysfs warned
    // about the duplicate name with a stack dump. Bus numbers are unique, so a name is taken only
    // by a child of the same host at the same address: its set of addresses decides, in one bit,
    // and keeps the address until `device_del()`.
    //
    // SAFETY: By the safety requirements the host is registered.
    unsafe { host::claim_addr(host, addr) }?;

    // SAFETY: `dev` is initialized and named, and its parent, the host, is registered.
    let ret = to_result(unsafe { bindings::device_add(dev) });
    if ret.is_err() {
        // SAFETY: The host is registered, and the address claimed above.
        unsafe { host::release_addr(host, addr) };
    }
    ret
}

/// `rbus_device_add()` in a `Result`.
///
/// # Safety
///
/// As for `rbus_device_add()`.
unsafe fn add(
    host: *mut ffi::rbus_host,
    addr: u32,
    compatible: *const c_char,
    fwnode: *mut bindings::fwnode_handle,
    ssp: *mut bindings::srcu_struct,
    hw: *const ffi::rbus_hw_ops,
    hw_ctx: *mut c_void,
) -> Result<*mut ffi::rbus_device> {
    // SAFETY: By the safety requirements `compatible` is a string, valid for this call.
    let compatible = unsafe { compatible_arg(compatible) }?;
    if addr > ffi::RBUS_ADDR_MAX {
        return Err(EINVAL);
    }

    let rdev = KBox::<ffi::rbus_device>::new_uninit(GFP_KERNEL | __GFP_ZERO)?;
    // SAFETY: `__GFP_ZERO` zeroed the child, and all zeroes are a valid `struct rbus_device`: its
    // members are integers, `bool`s, pointers, options of function pointers and C structures of
    // those.
    let mut rdev = unsafe { rdev.assume_init() };

    // SAFETY: The size and alignment are those of the counters, as `alloc_percpu()` passes them.
    let stats = unsafe {
        ffi::rbus_helper___alloc_percpu(
            size_of::<ffi::rbus_device_stats>(),
            align_of::<ffi::rbus_device_stats>(),
        )
    };
    if stats.is_null() {
        return Err(ENOMEM);
    }
    // CAST: `rbus_helper___alloc_percpu()` returned room for one `struct rbus_device_stats`.
    rdev.stats = stats.cast();
    rdev.ssp = if ssp.is_null() {
        // SAFETY: By the safety requirements `host` is valid.
        unsafe { events::no_events_domain(host) }
    } else {
        ssp
    };
    rdev.hw_ctx = hw_ctx;
    // Nothing reads `hw` before the child is added, so this needs no more than the plain store
    // `RCU_INIT_POINTER()` makes.
    rdev.hw = hw;
    rdev.host = host;
    rdev.addr = addr;
    // `compatible_arg()` left room for the NUL, which the zeroed copy already has.
    rdev.compatible[..compatible.len()].copy_from_slice(compatible);

    // From `device_initialize()` on the device's reference count owns the child, and
    // `release_callback()` frees it.
    let rdev = KBox::into_raw(rdev);

    // SAFETY: `rdev` is valid, and its locks and queue are zeroed, not yet initialized. Each lock
    // gets a lockdep class of its own, as `spin_lock_init()` and `mutex_init()` give each call
    // site.
    unsafe {
        bindings::__spin_lock_init(
            &raw mut (*rdev).queue_lock,
            c"&rdev->queue_lock".as_char_ptr(),
            static_lock_class!().as_ptr(),
        );
        bindings::__mutex_init(
            &raw mut (*rdev).resume_lock,
            c"&rdev->resume_lock".as_char_ptr(),
            static_lock_class!().as_ptr(),
        );
        bindings::__mutex_init(
            &raw mut (*rdev).ops_lock,
            c"&rdev->ops_lock".as_char_ptr(),
            static_lock_class!().as_ptr(),
        );
    }
    // SAFETY: `rdev` is valid and has no queue yet.
    if let Err(e) = unsafe { queue::init(rdev) } {
        // SAFETY: Nothing else has the child: the reverse of the above.
        unsafe {
            bindings::free_percpu((*rdev).stats.cast());
            bindings::mutex_destroy(&raw mut (*rdev).ops_lock);
            bindings::mutex_destroy(&raw mut (*rdev).resume_lock);
            drop(KBox::from_raw(rdev));
        }
        return Err(e);
    }

    // SAFETY: `rdev` is valid, and its device zeroed, not yet initialized. By the safety
    // requirements the host is registered and `fwnode` null or a valid node, of which the child
    // takes a reference that `release_callback()` drops.
    let dev = unsafe {
        let dev = &raw mut (*rdev).dev;
        bindings::device_initialize(dev);
        (*dev).bus = BUS_TYPE.as_ptr();
        // The driver core's reference on the parent goes at `device_del()`; this one lasts
        // until the release, for calls and requests that still reach the host's domain.
        (*dev).parent = bindings::get_device(&raw mut (*host).dev);
        (*dev).release = Some(release_callback);
        bindings::device_set_node(dev, bindings::fwnode_handle_get(fwnode));
        dev
    };

    // Runtime PM starts forbidden ("on" in `power/control`), as for most buses: user space or a
    // driver allows D0 exit. It is enabled before the device is added, so a driver that probes
    // during `device_add()` may already resume it. `RPM_ACTIVE` is 0 in an `enum rpm_status`,
    // which bindgen makes signed; C passes it as the `unsigned int` that
    // `__pm_runtime_set_status()` takes.
    //
    // SAFETY: `dev` is initialized. The status can only be set while runtime PM is disabled,
    // which it still is, so it cannot fail: `pm_runtime_set_active()`'s result goes unchecked,
    // as in C. The host ignores its children, so it need not be active.
    unsafe {
        bindings::__pm_runtime_set_status(dev, bindings::rpm_status_RPM_ACTIVE as c_uint);
        bindings::pm_runtime_forbid(dev);
        bindings::pm_runtime_enable(dev);
    }

    // SAFETY: `rdev` is initialized, and its host registered.
    if let Err(e) = unsafe { register(rdev) } {
        // SAFETY: `device_initialize()` gave the only reference, which this drops once runtime
        // PM is off and suspended again, as `device_del()` would leave it, which gives back the
        // host's count of active children: the release callback frees the name, the fwnode
        // reference and the child.
        unsafe {
            bindings::__pm_runtime_disable(dev, true);
            bindings::__pm_runtime_set_status(dev, bindings::rpm_status_RPM_SUSPENDED as c_uint);
            bindings::put_device(dev);
        }
        return Err(e);
    }
    Ok(rdev)
}

/// Creates and registers a child: see `rbus_device_add()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()` and not be unregistered yet. `compatible` must be
/// null or a NUL-terminated string. `fwnode` must be null or a valid node. `ssp` must be null or
/// an SRCU-fast domain, and `hw` null or a table of calls, that, with `hw_ctx`, stay valid until
/// `rbus_device_unregister()` returns.
#[no_mangle]
unsafe extern "C" fn rbus_device_add(
    host: *mut ffi::rbus_host,
    addr: u32,
    compatible: *const c_char,
    fwnode: *mut bindings::fwnode_handle,
    ssp: *mut bindings::srcu_struct,
    hw: *const ffi::rbus_hw_ops,
    hw_ctx: *mut c_void,
) -> *mut ffi::rbus_device {
    // SAFETY: The safety requirements are `add()`'s.
    match unsafe { add(host, addr, compatible, fwnode, ssp, hw, hw_ctx) } {
        Ok(rdev) => rdev,
        Err(e) => e.to_ptr(),
    }
}

/// Removes a child, and leaves the wait for its calls to `rbus_device_put()`: see
/// `rbus_device_del()` in `rust/rbus_glue.h`. Returns the cookie of the grace period to wait for.
///
/// # Safety
///
/// `rdev` must come from `rbus_device_add()` and not be removed yet.
#[no_mangle]
unsafe extern "C" fn rbus_device_del(rdev: *mut ffi::rbus_device) -> c_ulong {
    // SAFETY: By the safety requirements `rdev` is valid, and so is its host.
    let (dev, host) = unsafe { (&raw mut (*rdev).dev, (*rdev).host) };

    // Runtime PM first, then the device, which unbinds its driver; then what the driver left in
    // the request queue fails. Once out of sysfs, its address is free for a new child.
    //
    // SAFETY: By the safety requirements `dev` is registered, and this is its only
    // unregistration. The child holds a reference on its host, and the address is its own.
    unsafe {
        bindings::__pm_runtime_disable(dev, true);
        bindings::device_del(dev);
        host::release_addr(host, (*rdev).addr);
    }
    // SAFETY: `rdev` is valid.
    unsafe { Queue::of(rdev) }.kill();

    // Cut the child-to-bus calls off: `RCU_INIT_POINTER(rdev->hw, NULL)`. Storing null needs no
    // release ordering, so a relaxed store, which is `WRITE_ONCE()`, is all it does.
    //
    // SAFETY: `rdev` is valid, and every other access to `hw` while the child is added is atomic:
    // the calls read it with `srcu_dereference()`, and only this writes it.
    unsafe { Atomic::from_ptr(&raw mut (*rdev).hw) }.store(ptr::null(), Relaxed);

    // A call that began before the store may still be running. Rather than wait for it here,
    // hand the cookie of the grace period that must pass to `rbus_device_put()`: a controller
    // that removes all its children so waits for one grace period, which covers every child
    // removed before the wait began, instead of one per child. Starting none here keeps the
    // domain idle until that wait, so `synchronize_srcu()` expedites it, as it does for one
    // child.
    //
    // SAFETY: The host's domain lives as long as the host, which outlives its children.
    unsafe { bindings::get_state_synchronize_srcu(&raw mut (*host).calls_srcu) }
}

/// Waits, unless it is over, for the grace period `cookie` names, then drops the reference
/// `rbus_device_add()` returned: see `rbus_device_put()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `rdev` must come from `rbus_device_add()`, and `cookie` from its `rbus_device_del()`; the
/// caller gives up its reference.
#[no_mangle]
unsafe extern "C" fn rbus_device_put(rdev: *mut ffi::rbus_device, cookie: c_ulong) {
    // SAFETY: By the safety requirements `rdev` is valid, and holds a reference on its host.
    let (dev, calls_srcu) = unsafe { (&raw mut (*rdev).dev, &raw mut (*(*rdev).host).calls_srcu) };

    // A later grace period covers this one: after the first of many children's puts has waited,
    // the others find their grace period over, and go on at once.
    //
    // SAFETY: The host's domain lives as long as the host, which outlives its children, and
    // this runs in process context outside its read-side sections, as the caller's contract
    // requires. The reference is the caller's.
    unsafe {
        if !bindings::poll_state_synchronize_srcu(calls_srcu, cookie) {
            bindings::synchronize_srcu(calls_srcu);
        }
        bindings::put_device(dev);
    }
}

/// Removes a child: see `rbus_device_unregister()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `rdev` must come from `rbus_device_add()` and not be removed yet.
#[no_mangle]
unsafe extern "C" fn rbus_device_unregister(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `rdev` is valid and not removed; the reference
    // `rbus_device_add()` returned is the caller's, which it gives up.
    unsafe {
        let cookie = rbus_device_del(rdev);
        rbus_device_put(rdev, cookie);
    }
}

/// The address of a child: see `rbus_device_addr()` in `include/linux/rbus.h`.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[no_mangle]
unsafe extern "C" fn rbus_device_addr(rdev: *const ffi::rbus_device) -> u32 {
    // SAFETY: By the safety requirements `rdev` is valid. Its address is written before the
    // child is added and never changes.
    unsafe { (*rdev).addr }
}

/// `show` of `compatible`: the compatible string.
extern "C" fn compatible_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, which stays valid for the call.
    let compatible = unsafe { compatible(to_rbus_device(dev)) };

    // SAFETY: `buf` is the page sysfs hands `show`, and `%s` takes a NUL-terminated string.
    let len = unsafe { bindings::sysfs_emit(buf, c"%s\n".as_char_ptr(), compatible.as_char_ptr()) };
    len as isize
}

/// `show` of `address`: the child's address, as three hex digits.
extern "C" fn address_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, which stays valid for the call.
    // The address is written before the child is added and never changes.
    let addr: c_uint = unsafe { (*to_rbus_device(dev)).addr };

    // SAFETY: `buf` is the page sysfs hands `show`, and `%x` takes an `unsigned int`.
    let len = unsafe { bindings::sysfs_emit(buf, c"0x%03x\n".as_char_ptr(), addr) };
    len as isize
}

/// `show` of `modalias`: what the child's uevent gives as `MODALIAS`.
extern "C" fn modalias_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, which stays valid for the call.
    let compatible = unsafe { compatible(to_rbus_device(dev)) };

    // SAFETY: `buf` is the page sysfs hands `show`, and `%s` takes a NUL-terminated string.
    let len =
        unsafe { bindings::sysfs_emit(buf, c"rbus:%s\n".as_char_ptr(), compatible.as_char_ptr()) };
    len as isize
}

/// The type of a `show` callback.
pub(crate) type Show = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *mut c_char,
) -> isize;

/// `__ATTR_RO()`: a file `name`, mode 0444, that `show` reads.
pub(crate) const fn attr_ro(name: &'static CStr, show: Show) -> Table<bindings::device_attribute> {
    Table::new(bindings::device_attribute {
        attr: bindings::attribute {
            name: as_char_ptr_in_const_context(name),
            mode: 0o444,
            ..pin_init::zeroed()
        },
        __bindgen_anon_1: bindings::device_attribute__bindgen_ty_1 { show: Some(show) },
        ..pin_init::zeroed()
    })
}

/// The type of a `store` callback.
pub(crate) type Store = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *const c_char,
    usize,
) -> isize;

/// `__ATTR_WO()`: a file `name`, mode 0200, whose writes go to `store`.
pub(crate) const fn attr_wo(
    name: &'static CStr,
    store: Store,
) -> Table<bindings::device_attribute> {
    Table::new(bindings::device_attribute {
        attr: bindings::attribute {
            name: as_char_ptr_in_const_context(name),
            mode: 0o200,
            ..pin_init::zeroed()
        },
        __bindgen_anon_2: bindings::device_attribute__bindgen_ty_2 { store: Some(store) },
        ..pin_init::zeroed()
    })
}

/// An attribute group of the `NULL`-terminated `attrs`, as `attrs_const` takes them.
pub(crate) const fn attr_group(
    attrs: *const *const bindings::attribute,
) -> Table<bindings::attribute_group> {
    Table::new(bindings::attribute_group {
        __bindgen_anon_2: bindings::attribute_group__bindgen_ty_2 { attrs_const: attrs },
        ..pin_init::zeroed()
    })
}

static COMPATIBLE: Table<bindings::device_attribute> = attr_ro(c"compatible", compatible_show);
static ADDRESS: Table<bindings::device_attribute> = attr_ro(c"address", address_show);
static MODALIAS: Table<bindings::device_attribute> = attr_ro(c"modalias", modalias_show);

/// The attributes, `NULL`-terminated, as `attrs_const` of an attribute group takes them.
static ATTRS: Table<[*const bindings::attribute; 4]> = Table::new([
    &COMPATIBLE.get().attr,
    &ADDRESS.get().attr,
    &MODALIAS.get().attr,
    ptr::null(),
]);

/// The attribute group of every child, for the bus type's `dev_groups`.
pub(crate) static GROUP: Table<bindings::attribute_group> = attr_group(ATTRS.get().as_ptr());
