// SPDX-License-Identifier: GPL-2.0

//! Write-only device attributes backed by Rust data.
//!
//! C header: [`include/linux/device.h`](srctree/include/linux/device.h)
//!
//! 7.3 has no Rust abstraction for sysfs attributes. A [`DeviceAttribute`] creates one file in a
//! device's sysfs directory, like `DEVICE_ATTR_WO()` plus `device_create_file()`, and hands each
//! write to its [`Store`] implementation. Dropping it removes the file; the kernel waits for
//! writes in progress to finish first, so a `store` never runs after the drop returns.

use core::marker::PhantomPinned;
use kernel::{
    bindings,
    device,
    error::{
        from_result,
        to_result, //
    },
    ffi::c_char,
    prelude::*,
    sync::aref::ARef,
    types::Opaque, //
};

/// Handles writes to a [`DeviceAttribute`].
pub trait Store: Send + Sync {
    /// Handles one write of `input`, which holds at most one page. Returning `Ok(())` accepts
    /// the whole write.
    fn store(&self, input: &[u8]) -> Result;
}

/// A write-only sysfs file of a device.
///
/// # Invariants
///
/// `attr` is a valid `struct device_attribute` whose file exists in `dev`'s sysfs directory for
/// as long as `self` lives, and whose `store` callback is `store_callback::<T>`.
#[pin_data(PinnedDrop)]
pub struct DeviceAttribute<T: Store> {
    dev: ARef<device::Device>,
    data: T,
    #[pin]
    attr: Opaque<bindings::device_attribute>,
    #[pin]
    _pin: PhantomPinned,
}

impl<T: Store> DeviceAttribute<T> {
    /// Creates the file `name` (mode 0200) in `dev`'s sysfs directory; writes go to `data`.
    pub fn new<'a>(
        dev: &'a device::Device,
        name: &'static CStr,
        data: T,
    ) -> impl PinInit<Self, Error> + 'a
    where
        T: 'a,
    {
        // Taken here: inside `try_pin_init!`, `dev` names the initialized field.
        // CAST: `device::Device` is a transparent wrapper of `struct device`.
        let raw = core::ptr::from_ref(dev)
            .cast::<bindings::device>()
            .cast_mut();

        try_pin_init!(Self {
            dev: dev.into(),
            // Initialized before `attr`: a write may arrive as soon as the file exists.
            data,
            attr <- Opaque::try_ffi_init(move |slot: *mut bindings::device_attribute| {
                // SAFETY: `slot` is valid for writes; a zeroed `device_attribute` is a valid
                // value (no `show`, no `store`, no lockdep key).
                unsafe { slot.write(pin_init::zeroed()) };

                // SAFETY: `slot` was initialized above and is not shared yet.
                let attr = unsafe { &mut *slot };
                attr.attr.name = name.as_char_ptr();
                attr.attr.mode = 0o200;
                attr.__bindgen_anon_2.store = Some(Self::store_callback);
                #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
                {
                    // Dynamically allocated attributes need a static lockdep key, as
                    // `sysfs_attr_init()` gives them in C.
                    attr.attr.key = kernel::static_lock_class!().as_ptr();
                }

                // SAFETY: `raw` is a valid device and `slot` a pinned, initialized attribute
                // that outlives the file: `PinnedDrop` removes the file first.
                to_result(unsafe { bindings::device_create_file(raw, slot) })
            }),
            _pin: PhantomPinned,
        })
    }

    extern "C" fn store_callback(
        _dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *const c_char,
        count: usize,
    ) -> isize {
        // SAFETY: The kernel only calls this for the attribute created in `new`, which is the
        // `attr` field of a pinned `Self` that lives until its file is removed.
        let this = unsafe { &*kernel::container_of!(Opaque::cast_from(attr), Self, attr) };

        // SAFETY: sysfs hands `store` a buffer of `count` bytes, which stays valid for the call.
        let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };

        from_result(|| {
            this.data.store(input)?;
            Ok(isize::try_from(count).unwrap_or(isize::MAX))
        })
    }
}

#[pinned_drop]
impl<T: Store> PinnedDrop for DeviceAttribute<T> {
    fn drop(self: Pin<&mut Self>) {
        // CAST: `device::Device` is a transparent wrapper of `struct device`.
        let raw = core::ptr::from_ref(&*self.dev)
            .cast::<bindings::device>()
            .cast_mut();

        // SAFETY: By the type invariants the file exists; removing it waits for writes in
        // progress, after which `data` may be dropped.
        unsafe { bindings::device_remove_file(raw, self.attr.get()) };
    }
}

// SAFETY: The attribute is only touched by the kernel through its file, and `T` is `Send`.
unsafe impl<T: Store> Send for DeviceAttribute<T> {}

// SAFETY: Shared references give no access to the attribute, and `T` is `Sync`.
unsafe impl<T: Store> Sync for DeviceAttribute<T> {}
