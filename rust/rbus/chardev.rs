// SPDX-License-Identifier: GPL-2.0

//! Char devices of user-mode child drivers: `/dev/rbus-<bus>-<addr>`.
//!
//! C header: [`rust/rbus_glue.h`](../rbus_glue.h)
//!
//! 7.3's `miscdevice` has no `poll`, takes only a `'static` name, has no parent and lives in
//! `/sys/class/misc`. A [`CharDev`] is a device of class `rbus-dev` under the child, with a
//! `cdev`, as i2c-dev has. Each open file owns what [`FileOps::open`] gives it, a
//! [`FileOps::Ptr`] as `miscdevice`'s `Ptr`, until it is released.
//!
//! Dropping the [`CharDev`] stops new opens and waits for running ones, so the device data may
//! go then. Open files keep their own value, which must stay valid by itself (it typically is or
//! holds a [`super::requests::Client`], which the bus core revokes on unbind). No grace period is
//! waited for anywhere, on unbind or on close.

use super::{
    ffi,
    Device, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    device,
    error::from_err_ptr,
    ffi::{
        c_char,
        c_long,
        c_ulong,
        c_void, //
    },
    prelude::*,
    types::ForeignOwnable,
    uaccess::UserPtr,
    ThisModule, //
};

/// The poll table of a `poll()` in progress on a file.
pub struct PollTable<'a> {
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
    _lifetime: PhantomData<&'a ()>,
}

impl PollTable<'_> {
    pub(crate) fn file(&self) -> *mut bindings::file {
        self.file
    }

    pub(crate) fn raw(&self) -> *mut bindings::poll_table_struct {
        self.pt
    }
}

/// The operations of the files of a [`CharDev`], as `kernel::miscdevice::MiscDevice`'s.
pub trait FileOps: Sized + Send + Sync + 'static {
    /// The data of the char device, given to every `open`.
    type Data: Send + Sync;

    /// What an open file owns: a `KBox` of its state, or a handle that owns its state itself,
    /// such as a [`super::requests::Client`], which spares the file an allocation of its own.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Opens a file. Runs under the char device's lock: it must not wait for the device's unbind.
    fn open(data: &Self::Data) -> Result<Self::Ptr>;

    /// `read()` into the user buffer `buf` of `len` bytes; waits unless `nonblock`.
    fn read(
        file: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        buf: UserPtr,
        len: usize,
        nonblock: bool,
    ) -> Result<usize>;

    /// `ioctl()`; `arg` is a user pointer or a value, as `cmd` says. Unknown commands are
    /// `ENOTTY`.
    fn ioctl(
        file: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        cmd: u32,
        arg: usize,
        nonblock: bool,
    ) -> Result<isize>;

    /// `poll()`: the ready mask, after registering with `table` what to wait on.
    fn poll(file: <Self::Ptr as ForeignOwnable>::Borrowed<'_>, table: &PollTable<'_>) -> u32;
}

/// The char device `/dev/rbus-<bus>-<addr>` of a bound child.
///
/// # Invariants
///
/// `raw` was registered by `rbus_chardev_register()` with the callbacks of `T` and a pointer to
/// `data`, and is not unregistered yet.
pub struct CharDev<T: FileOps> {
    raw: NonNull<ffi::rbus_chardev>,
    // Dropped after `raw` is unregistered: no open runs then. Only the open callback reads it,
    // through the pointer the bus core keeps.
    _data: Pin<KBox<T::Data>>,
}

impl<T: FileOps> CharDev<T> {
    /// Creates the char device of `dev`; `module` is held while a file is open.
    pub fn new(
        dev: &Device<device::Bound>,
        module: &'static ThisModule,
        data: impl PinInit<T::Data, Error>,
    ) -> Result<Self> {
        let data = KBox::pin_init(data, GFP_KERNEL)?;
        let ops = ffi::rbus_chardev_ops {
            owner: module.as_ptr(),
            open: Some(Self::open_callback),
            release: Some(Self::release_callback),
            read: Some(Self::read_callback),
            ioctl: Some(Self::ioctl_callback),
            poll: Some(Self::poll_callback),
        };
        let ptr = core::ptr::from_ref::<T::Data>(&data).cast_mut().cast();

        // SAFETY: `dev` is a valid, bound child; the bus core copies `ops`, whose callbacks live
        // in `module`, which each open file holds. `data` stays valid until `drop` unregistered
        // the char device, after which no open uses it.
        let raw = from_err_ptr(unsafe { ffi::rbus_chardev_register(dev.as_raw(), &ops, ptr) })?;

        // INVARIANT: registered above with `data`.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
            _data: data,
        })
    }

    extern "C" fn open_callback(data: *mut c_void) -> *mut c_void {
        // SAFETY: The bus core passes the `data` of a registered `CharDev`, under the lock that
        // `drop` takes before `data` goes.
        let data = unsafe { &*data.cast::<T::Data>() };
        match T::open(data) {
            Ok(file) => file.into_foreign(),
            Err(e) => e.to_ptr(),
        }
    }

    extern "C" fn release_callback(file: *mut c_void) {
        // SAFETY: `file` came from `into_foreign()` in `open_callback`; release is its last use.
        drop(unsafe { <T::Ptr as ForeignOwnable>::from_foreign(file) });
    }

    /// # Safety
    ///
    /// `file` must be the private pointer of an open file, from `open_callback`, and `'a` end
    /// before its release.
    unsafe fn file<'a>(file: *mut c_void) -> <T::Ptr as ForeignOwnable>::Borrowed<'a> {
        // SAFETY: By the safety requirements `file` came from `into_foreign()`, and lives until
        // `release_callback`, which no other callback of the file overlaps.
        unsafe { <T::Ptr as ForeignOwnable>::borrow(file) }
    }

    extern "C" fn read_callback(
        file: *mut c_void,
        buf: *mut c_char,
        len: usize,
        nonblock: bool,
    ) -> isize {
        // SAFETY: The bus core passes an open file's private pointer, for the call.
        let file = unsafe { Self::file(file) };
        match T::read(file, UserPtr::from_ptr(buf.cast()), len, nonblock) {
            Ok(n) => isize::try_from(n).unwrap_or(isize::MAX),
            Err(e) => e.to_errno() as isize,
        }
    }

    extern "C" fn ioctl_callback(
        file: *mut c_void,
        cmd: u32,
        arg: c_ulong,
        nonblock: bool,
    ) -> c_long {
        // SAFETY: The bus core passes an open file's private pointer, for the call.
        let file = unsafe { Self::file(file) };
        match T::ioctl(file, cmd, arg, nonblock) {
            Ok(n) => n as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    extern "C" fn poll_callback(
        file: *mut c_void,
        raw_file: *mut bindings::file,
        pt: *mut bindings::poll_table_struct,
    ) -> u32 {
        // SAFETY: The bus core passes an open file's private pointer, for the call.
        let file = unsafe { Self::file(file) };
        T::poll(
            file,
            &PollTable {
                file: raw_file,
                pt,
                _lifetime: PhantomData,
            },
        )
    }
}

impl<T: FileOps> Drop for CharDev<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the char device is registered, and this is its only
        // unregistration; afterwards no open runs or starts, so `data` may be dropped.
        unsafe { ffi::rbus_chardev_unregister(self.raw.as_ptr()) };
    }
}

// SAFETY: The char device is refcounted by the kernel and may be unregistered from any thread.
unsafe impl<T: FileOps> Send for CharDev<T> {}

// SAFETY: Shared references only reach `T::Data`, which is `Sync`.
unsafe impl<T: FileOps> Sync for CharDev<T> {}
