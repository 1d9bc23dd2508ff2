// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes every child has: `compatible`, `address` and `modalias`.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! They are read-only statics, as `DEVICE_ATTR_RO()` declares them in C, and the bus type gives
//! them to every child through its `dev_groups`.

use super::table::Table;
use crate::rbus::ffi;
use kernel::{
    bindings,
    prelude::*,
    str::as_char_ptr_in_const_context, //
};

use core::ptr;

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

    // `rbus_device_add()` copied it with `strscpy()`, so it ends in a NUL.
    CStr::from_bytes_until_nul(compatible).unwrap_or(c"")
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
type Show = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *mut c_char,
) -> isize;

/// `__ATTR_RO()`: a file `name`, mode 0444, that `show` reads.
const fn attr_ro(name: &'static CStr, show: Show) -> Table<bindings::device_attribute> {
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
pub(crate) static GROUP: Table<bindings::attribute_group> = Table::new(bindings::attribute_group {
    __bindgen_anon_2: bindings::attribute_group__bindgen_ty_2 {
        attrs_const: ATTRS.get().as_ptr(),
    },
    ..pin_init::zeroed()
});
