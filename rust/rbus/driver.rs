// SPDX-License-Identifier: GPL-2.0

//! rbus child drivers.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! A child driver is a type implementing [`Driver`], registered with [`module_rbus_driver!`]. It
//! matches devices by compatible string through an id table built with [`rbus_device_table!`],
//! which also emits `alias=rbus:<compatible>` into `.modinfo` so `modprobe` can autoload it:
//! modpost's `file2alias` knows nothing of a custom bus.

use super::{
    ffi,
    Device, //
};
use core::{
    marker::PhantomData,
    mem::offset_of,
    pin::Pin, //
};
use kernel::{
    device,
    device_id::{
        RawDeviceId,
        RawDeviceIdIndex, //
    },
    driver,
    error::{
        from_result,
        to_result, //
    },
    ffi::c_int,
    prelude::*,
    types::Opaque,
    ThisModule, //
};

/// The [`driver::RegistrationOps`] of an rbus [`Driver`] `T`.
pub struct Adapter<T: Driver>(PhantomData<T>);

// SAFETY:
// - `ffi::rbus_driver` is bindgen's `#[repr(C)]` `struct rbus_driver`.
// - `T::Data` is the type of the driver's device private data.
// - `DEVICE_DRIVER_OFFSET` is the offset of the embedded `struct device_driver`.
unsafe impl<T: Driver + 'static> driver::DriverLayout for Adapter<T> {
    type DriverType = ffi::rbus_driver;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = offset_of!(ffi::rbus_driver, driver);
}

// SAFETY: A call to `unregister` for a given instance of `DriverType` is guaranteed to be valid if
// a preceding call to `register` has been successful.
unsafe impl<T: Driver + 'static> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        drv: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        // SAFETY: It's safe to set the fields of `struct rbus_driver` on initialization.
        unsafe {
            (*drv.get()).id_table = T::ID_TABLE.as_ptr();
            (*drv.get()).probe = Some(Self::probe_callback);
            (*drv.get()).remove = Some(Self::remove_callback);
        }

        // SAFETY: `drv` is a valid, initialized `struct rbus_driver` that outlives the
        // registration, and `name` is a NUL-terminated string with a static lifetime.
        to_result(unsafe {
            ffi::rbus_driver_register(
                drv.get(),
                core::mem::size_of::<ffi::rbus_driver>(),
                module.as_ptr(),
                name.as_char_ptr(),
            )
        })
    }

    unsafe fn unregister(drv: &Opaque<Self::DriverType>) {
        // SAFETY: By the safety requirements `drv` was registered successfully.
        unsafe { ffi::rbus_driver_unregister(drv.get()) }
    }
}

impl<T: Driver + 'static> Adapter<T> {
    extern "C" fn probe_callback(
        rdev: *mut ffi::rbus_device,
        id: *const ffi::rbus_device_id,
    ) -> c_int {
        // SAFETY: The bus core only calls probe with a valid `struct rbus_device`.
        //
        // INVARIANT: `rdev` is valid for the duration of `probe_callback()`.
        let dev = unsafe { &*rdev.cast::<Device<device::CoreInternal<'_>>>() };

        let info = if id.is_null() {
            // Bound through `driver_override` to a compatible the table does not list.
            None
        } else {
            // SAFETY: `DeviceId` is a `#[repr(transparent)]` wrapper of `struct rbus_device_id`,
            // and a non-NULL `id` points into `T::ID_TABLE`.
            let id = unsafe { &*id.cast::<DeviceId>() };

            // SAFETY: `id` comes from `T::ID_TABLE`, an `IdArray<DeviceId, T::IdInfo, _>`.
            Some(unsafe { id.info_unchecked::<T::IdInfo>() })
        };

        from_result(|| {
            let data = T::probe(dev, info);

            dev.as_ref().set_drvdata(data)?;
            Ok(0)
        })
    }

    extern "C" fn remove_callback(rdev: *mut ffi::rbus_device) {
        // SAFETY: The bus core only calls remove with a valid `struct rbus_device`.
        //
        // INVARIANT: `rdev` is valid for the duration of `remove_callback()`.
        let dev = unsafe { &*rdev.cast::<Device<device::CoreInternal<'_>>>() };

        // SAFETY: `remove_callback` is only called after a successful `probe_callback`, which
        // stored a `Pin<KBox<T::Data<'_>>>` with `set_drvdata()`.
        let data = unsafe { dev.as_ref().drvdata_borrow::<T::Data<'_>>() };

        T::unbind(dev, data);
    }
}

/// A compatible string an rbus driver matches.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct DeviceId(ffi::rbus_device_id);

impl DeviceId {
    /// Creates an id for `compatible`, which must be shorter than 64 bytes.
    #[inline(always)]
    pub const fn new(compatible: &'static str) -> Self {
        let src = compatible.as_bytes();
        build_assert!(
            src.len() < ffi::COMPATIBLE_SIZE,
            "rbus compatible strings are at most 63 bytes"
        );

        let mut id = ffi::rbus_device_id {
            compatible: [0; ffi::COMPATIBLE_SIZE],
            driver_data: 0,
        };
        let mut i = 0;
        while i < src.len() {
            id.compatible[i] = src[i];
            i += 1;
        }

        Self(id)
    }
}

// SAFETY: `DeviceId` is a `#[repr(transparent)]` wrapper of `struct rbus_device_id` and does not
// add additional invariants, so it's safe to transmute to `RawType`.
unsafe impl RawDeviceId for DeviceId {
    type RawType = ffi::rbus_device_id;
}

// SAFETY: `DRIVER_DATA_OFFSET` is the offset to the `driver_data` field.
unsafe impl RawDeviceIdIndex for DeviceId {
    const DRIVER_DATA_OFFSET: usize = offset_of!(ffi::rbus_device_id, driver_data);
}

/// The id table of an rbus driver.
pub type IdTable<T> = &'static dyn kernel::device_id::IdTable<DeviceId, T>;

/// Declares the id table of an rbus driver and its module aliases.
///
/// # Examples
///
/// ```ignore
/// kernel::rbus_device_table!(
///     ID_TABLE,
///     <MyDriver as rbus::Driver>::IdInfo,
///     [("vendor,thing", ())]
/// );
/// ```
#[macro_export]
macro_rules! rbus_device_table {
    ($table_name:ident, $id_info_type:ty, [$(($compat:literal, $info:expr $(,)?)),* $(,)?]) => {
        static $table_name: ::kernel::device_id::IdArray<
            $crate::rbus::DeviceId,
            $id_info_type,
            { <[$crate::rbus::DeviceId]>::len(&[$($crate::rbus::DeviceId::new($compat),)*]) },
        > = ::kernel::device_id::IdArray::new([
            $(($crate::rbus::DeviceId::new($compat), &$info),)*
        ]);

        $(
            const _: () = {
                const ALIAS: &[u8] = concat!("alias=rbus:", $compat, "\0").as_bytes();

                // `used(compiler)`, as `module!` has it: a retained section would not merge
                // with the other `.modinfo` strings.
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static MODALIAS: [u8; ALIAS.len()] = {
                    let mut out = [0; ALIAS.len()];
                    let mut i = 0;
                    while i < ALIAS.len() {
                        out[i] = ALIAS[i];
                        i += 1;
                    }
                    out
                };
            };
        )*
    };
}

/// An rbus child driver.
///
/// Drivers are written in safe Rust: the device they get is a [`Device`] whose accessors are
/// safe, and the driver data `Data` lives from a successful `probe` until after `unbind`.
pub trait Driver {
    /// The type holding information about each entry of the id table.
    type IdInfo: 'static;

    /// The driver's device private data.
    type Data<'bound>: Send + 'bound;

    /// The table of compatible strings this driver binds to.
    const ID_TABLE: IdTable<Self::IdInfo>;

    /// Binds to `dev`. `id_info` is `None` when the device was bound through `driver_override`
    /// without a matching table entry.
    fn probe<'bound>(
        dev: &'bound Device<device::Core<'_>>,
        id_info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// Called when `dev` unbinds, before the driver data is dropped.
    fn unbind<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }
}

/// Declares a kernel module that registers one rbus driver.
///
/// # Examples
///
/// ```ignore
/// kernel::module_rbus_driver! {
///     type: MyDriver,
///     name: "my_driver",
///     authors: ["rbus developers"],
///     description: "An rbus child driver",
///     license: "GPL",
/// }
/// ```
#[macro_export]
macro_rules! module_rbus_driver {
    ($($f:tt)*) => {
        ::kernel::module_driver!(<T>, $crate::rbus::Adapter<T>, { $($f)* });
    };
}
