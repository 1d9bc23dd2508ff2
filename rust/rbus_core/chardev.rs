// SPDX-License-Identifier: GPL-2.0

//! The char devices of user-mode child drivers: `/dev/rbus-<bus>-<addr>`.
//!
//! C headers: [`include/linux/cdev.h`](srctree/include/linux/cdev.h) and
//! [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! As i2c-dev does: a class, `rbus-dev`, whose devices are children of the rbus child, with a
//! `cdev` each, in a region of device numbers of their own. 7.3's `miscdevice` has no `poll`, no
//! parent and only a `'static` name, hence this. Child drivers live in other modules, so they
//! create and remove their char device through `rbus_chardev_register()` and
//! `rbus_chardev_unregister()`, which `rust/exports.c` exports; `rust/rbus/chardev.rs` wraps them
//! for Rust drivers. The `file_operations` are a Rust static, as Rust binder builds its own, and
//! forward to the driver's `struct rbus_chardev_ops`.
//!
//! Revocation needs no grace period. `open()` looks the driver's data up under the char device's
//! mutex, which `rbus_chardev_unregister()` takes to cut it off, so once that returns no open
//! reaches the driver's data. An open file only uses its own private data, which the driver keeps
//! valid until the file's release.
//!
//! # Lifetimes
//!
//! - The [`CharDev`] is owned by the reference count of its `struct device`, whose release
//!   callback frees it (and its minor). `rbus_chardev_register()` hands the driver that first
//!   reference, which `rbus_chardev_unregister()` drops. The `cdev` holds a reference to the
//!   device from `cdev_device_add()` until its own kobject goes, and every open file holds the
//!   `cdev` (`chrdev_open()` takes it, `__fput()` drops it after `release`), so the memory
//!   outlives every file, unregistered or not.
//! - `rbus_core`, whose code and statics ([`FOPS`], [`CLASS`], the minors) the files use, is held
//!   by each open file twice: as the `cdev`'s owner and as the `file_operations`' owner. Before a
//!   file exists, the driver calling in holds it through the symbols it uses. The device's
//!   release therefore runs while the module is live: from `rbus_chardev_unregister()`, or from
//!   the last `cdev_put()`, which drops its module reference only after the kobject's.
//! - The driver's module (`ops.owner`) is held from a successful `open` to `release`, so its
//!   callbacks stay valid for every open file, even after it unregistered the char device.
//! - The driver's `data` lives until `rbus_chardev_unregister()` returns; only `open` reads it,
//!   under the mutex that unregistration takes to clear it.

use super::{
    ida::StaticIda,
    table::Table, //
};
use crate::rbus::ffi;
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        from_result,
        to_result, //
    },
    fs::file::flags::O_NONBLOCK,
    module::this_module,
    new_mutex,
    prelude::*,
    str::as_char_ptr_in_const_context,
    sync::Mutex,
    types::{
        ForeignOwnable,
        Opaque, //
    }, //
};

use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicBool,
        AtomicU32,
        Ordering, //
    }, //
};

/// How many char devices there can be at once: the size of the region of device numbers.
const MINORS: u32 = 1 << 16;

/// The IDA of the minors, in a `static` so the exported functions reach it.
static MINOR_IDA: StaticIda = StaticIda::new();

/// The major number of the region, set by [`Class::new`] before any char device can exist.
static MAJOR: AtomicU32 = AtomicU32::new(0);

/// Set while a [`Class`] exists.
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// The class `rbus-dev`, in `/sys/class`.
static CLASS: Table<bindings::class> = Table::new(bindings::class {
    name: as_char_ptr_in_const_context(c"rbus-dev"),
    ..pin_init::zeroed()
});

/// The file operations of every char device. Each callback finds its [`CharDev`] through the
/// inode's `cdev` and forwards to the driver's callback with the file's private data.
///
/// There is no `llseek`: `open` makes the file a stream, which cannot seek (`-ESPIPE`).
static FOPS: Table<bindings::file_operations> = Table::new(bindings::file_operations {
    owner: this_module::<crate::LocalModule>().as_ptr(),
    open: Some(open_callback),
    release: Some(release_callback),
    read: Some(read_callback),
    unlocked_ioctl: Some(ioctl_callback),
    compat_ioctl: bindings::compat_ptr_ioctl,
    poll: Some(poll_callback),
    ..pin_init::zeroed()
});

/// The class `rbus-dev`, the region of device numbers of its char devices and the IDA of their
/// minors, which exist while it lives.
///
/// # Invariants
///
/// While a [`Class`] exists, the region and the class are registered, [`MAJOR`] is the region's,
/// [`MINOR_IDA`] is initialized, and no other [`Class`] exists.
pub(crate) struct Class(());

impl Class {
    /// Registers the class. Returns `EBUSY` if it is already registered.
    pub(crate) fn new() -> Result<Self> {
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }

        let mut devt: bindings::dev_t = 0;
        // SAFETY: `devt` is valid for writes, and the name is a `'static` string, which the
        // region keeps until it is unregistered.
        let ret = to_result(unsafe {
            bindings::alloc_chrdev_region(&mut devt, 0, MINORS, c"rbus".as_char_ptr())
        });
        if let Err(e) = ret {
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }
        // Nothing reads it before the module's `init` has returned: only `rbus_chardev_register()`
        // does, which other modules reach after that.
        MAJOR.store(devt >> bindings::MINORBITS, Ordering::Relaxed);

        // SAFETY: `CLASS` is a `static`, so it outlives its registration, and `REGISTERED` was
        // false, so it is not registered.
        if let Err(e) = to_result(unsafe { bindings::class_register(CLASS.as_ptr()) }) {
            // SAFETY: Registered above, and no char device uses it yet.
            unsafe { bindings::unregister_chrdev_region(devt, MINORS) };
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }

        // SAFETY: `REGISTERED` was false, so the IDA is not initialized and nobody uses it:
        // minors are only taken by `rbus_chardev_register()`, which other modules reach once the
        // module's `init` has returned.
        unsafe { MINOR_IDA.init() };

        // INVARIANT: Registered and initialized above, and `REGISTERED` keeps out any other
        // instance.
        Ok(Self(()))
    }
}

impl Drop for Class {
    fn drop(&mut self) {
        // The reverse of `new()`. The module is going, so no char device is left: every open
        // file and every module that registered one held the module, and each char device's
        // release ran before the last of those references went (see the module's docs).
        //
        // SAFETY: By the type invariants the IDA is initialized, and the class and the region
        // are registered, by this instance only.
        unsafe {
            MINOR_IDA.destroy();
            bindings::class_unregister(CLASS.as_ptr());
            bindings::unregister_chrdev_region(
                MAJOR.load(Ordering::Relaxed) << bindings::MINORBITS,
                MINORS,
            );
        }
        REGISTERED.store(false, Ordering::Release);
    }
}

/// A minor number of the region, freed when dropped.
///
/// # Invariants
///
/// `self.0` was allocated from [`MINOR_IDA`], below [`MINORS`], and is freed only by `drop`.
struct Minor(u32);

impl Minor {
    /// Allocates the lowest free minor; `ENOSPC` once every one is taken.
    ///
    /// # Safety
    ///
    /// A [`Class`] must exist, and must outlive the returned [`Minor`].
    unsafe fn alloc() -> Result<Self> {
        // SAFETY: By the safety requirements a `Class` keeps the IDA initialized.
        let minor = unsafe { MINOR_IDA.alloc_range(0, MINORS - 1) }?;

        // INVARIANT: Allocated above, in `0..MINORS`.
        Ok(Self(minor))
    }

    /// The char device number of this minor in the region.
    fn devt(&self) -> bindings::dev_t {
        // `MKDEV()`: the minor is below `MINORS`, which fits in `MINORBITS`.
        (MAJOR.load(Ordering::Relaxed) << bindings::MINORBITS) | self.0
    }
}

impl Drop for Minor {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the minor is allocated, and this is its only release. A
        // `Minor` lives in a `CharDev`, or briefly in `register()`, and both run while the module
        // is live (see the module's docs), with its `Class`.
        unsafe { MINOR_IDA.free(self.0) };
    }
}

/// The callbacks of a driver's `struct rbus_chardev_ops`, every one present.
///
/// # Invariants
///
/// The callbacks are code of the module `owner`, and follow the contract of
/// `struct rbus_chardev_ops` in `rust/rbus_glue.h`.
struct Ops {
    owner: *mut bindings::module,
    open: unsafe extern "C" fn(data: *mut c_void) -> *mut c_void,
    release: unsafe extern "C" fn(priv_: *mut c_void),
    read: unsafe extern "C" fn(priv_: *mut c_void, buf: *mut c_char, len: usize, nb: bool) -> isize,
    ioctl: unsafe extern "C" fn(priv_: *mut c_void, cmd: c_uint, arg: c_ulong, nb: bool) -> c_long,
    poll: unsafe extern "C" fn(
        priv_: *mut c_void,
        file: *mut bindings::file,
        pt: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t,
}

impl Ops {
    /// Copies `ops`; `EINVAL` if a callback is missing.
    ///
    /// # Safety
    ///
    /// `ops` must be a table whose callbacks are code of `ops.owner` and follow the contract of
    /// `struct rbus_chardev_ops`.
    unsafe fn new(ops: &ffi::rbus_chardev_ops) -> Result<Self> {
        let (Some(open), Some(release), Some(read), Some(ioctl), Some(poll)) =
            (ops.open, ops.release, ops.read, ops.ioctl, ops.poll)
        else {
            return Err(EINVAL);
        };

        // INVARIANT: By the safety requirements.
        Ok(Self {
            owner: ops.owner,
            open,
            release,
            read,
            ioctl,
            poll,
        })
    }
}

/// The `struct rbus_chardev` that `rbus_chardev_register()` hands out: the class device
/// `rbus-<bus>-<addr>` of a child bound to a user-mode driver, and its `cdev`.
///
/// # Invariants
///
/// Once `register()` has initialized it:
/// - `dev` is an initialized device of [`CLASS`] whose number is `minor`'s and whose reference
///   count owns the [`CharDev`]: its release callback, [`dev_release_callback`], frees it;
/// - `cdev` is initialized with [`FOPS`], and owned by `rbus_core`;
/// - `data` is the driver's data, valid while it is not `None`.
#[pin_data]
struct CharDev {
    #[pin]
    dev: Opaque<bindings::device>,
    #[pin]
    cdev: Opaque<bindings::cdev>,
    /// The driver's data, given to `ops.open`, or `None` once unregistered. Its lock serializes
    /// `open` against `rbus_chardev_unregister()`.
    #[pin]
    data: Mutex<Option<NonNull<c_void>>>,
    /// Used by every file until its release, unregistered or not.
    ops: Ops,
    // Freed last, when the memory goes: no other char device can take the number before this
    // one's `cdev` and device are gone.
    minor: Minor,
}

impl CharDev {
    /// The char device whose `cdev` is `cdev`.
    ///
    /// # Safety
    ///
    /// `cdev` must be the `cdev` of an initialized [`CharDev`] that stays alive for `'a`.
    unsafe fn from_cdev<'a>(cdev: *mut bindings::cdev) -> &'a Self {
        // CAST: `Opaque<T>` is `repr(transparent)` over `T`.
        let cdev = Opaque::cast_from(cdev).cast_mut();

        // SAFETY: By the safety requirements `cdev` is the `cdev` member of a live `CharDev`.
        unsafe { &*kernel::container_of!(cdev, Self, cdev) }
    }

    /// The char device of an inode of ours.
    ///
    /// # Safety
    ///
    /// `inode` must be an inode whose `i_cdev` is a live [`CharDev`]'s `cdev` for `'a`, as
    /// `chrdev_open()` leaves it before it calls [`open_callback`].
    unsafe fn from_inode<'a>(inode: *mut bindings::inode) -> &'a Self {
        // `i_cdev` shares an anonymous union with `i_pipe` and `i_link`, which bindgen names.
        //
        // SAFETY: By the safety requirements `inode` is valid and holds a char device's `i_cdev`,
        // one of ours that lives for `'a`.
        unsafe { Self::from_cdev((*inode).__bindgen_anon_5.i_cdev) }
    }

    /// The char device of an open file.
    ///
    /// # Safety
    ///
    /// `file` must be a file opened by [`open_callback`], and valid for `'a`.
    unsafe fn from_file<'a>(file: *mut bindings::file) -> &'a Self {
        // SAFETY: By the safety requirements `file` is valid and was opened through the inode of
        // one of our char devices, whose `i_cdev` `chrdev_open()` set. The file holds that `cdev`
        // until after its release, and with it the `CharDev` (see the module's docs).
        unsafe { Self::from_inode((*file).f_inode) }
    }

    /// Opens `file`, unless the char device is unregistered.
    ///
    /// # Safety
    ///
    /// `inode` and `file` must be those of an open in progress on this char device.
    unsafe fn open(&self, inode: *mut bindings::inode, file: *mut bindings::file) -> Result {
        // A stream: no position, no seek, and reads and writes that may run in parallel. It
        // cannot fail, and coming first it leaves nothing to undo after the driver's `open`.
        //
        // SAFETY: By the safety requirements `inode` and `file` are valid.
        to_result(unsafe { bindings::stream_open(inode, file) })?;

        let guard = self.data.lock();
        let data = (*guard).ok_or(ENODEV)?;

        // SAFETY: By the type invariants of `Ops`, `owner` is a module, whose refcount
        // `try_module_get()` takes unless it is going. A null `owner`, built in, always succeeds.
        if !unsafe { bindings::try_module_get(self.ops.owner) } {
            return Err(ENODEV);
        }

        // SAFETY: The module of `open` is held, and `data` is the driver's, valid while the
        // lock, held here, keeps `rbus_chardev_unregister()` from clearing it.
        let private = from_err_ptr(unsafe { (self.ops.open)(data.as_ptr()) });
        let private = match private {
            Ok(private) => private,
            Err(e) => {
                // SAFETY: Taken above, and no file holds it.
                unsafe { bindings::module_put(self.ops.owner) };
                return Err(e);
            }
        };

        // The file owns `private` and the module reference until `release_callback()`.
        //
        // SAFETY: By the safety requirements `file` is valid, and its private data ours to set.
        unsafe { (*file).private_data = private };
        Ok(())
    }
}

/// Frees a char device once its device's last reference is gone.
extern "C" fn dev_release_callback(dev: *mut bindings::device) {
    // CAST: `Opaque<T>` is `repr(transparent)` over `T`.
    let dev = Opaque::cast_from(dev).cast_mut();

    // SAFETY: Only `register()` sets this release callback, on the `dev` of a `CharDev` it
    // allocated as a `Pin<KBox<CharDev>>`; the last reference is gone, so nothing uses it. Its
    // fields drop in declaration order: the lock, the callbacks, then the minor, freed only now.
    drop(unsafe {
        <Pin<KBox<CharDev>> as ForeignOwnable>::from_foreign(
            kernel::container_of!(dev, CharDev, dev).cast(),
        )
    });
}

/// `open()`: opens a file on the driver's data, unless the char device is unregistered.
extern "C" fn open_callback(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `FOPS` are only given to our `cdev`s, so `chrdev_open()` calls this with an inode
    // whose `i_cdev` is one of them, and holds it (and so the `CharDev`) during the call.
    let cd = unsafe { CharDev::from_inode(inode) };

    from_result(|| {
        // SAFETY: The VFS passes the inode and file of an open in progress on `cd`.
        unsafe { cd.open(inode, file) }?;
        Ok(0)
    })
}

/// The last close of a file: the driver frees its private data, and its module is let go.
extern "C" fn release_callback(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: The VFS releases a file that `open_callback()` opened, holding it for the call.
    let cd = unsafe { CharDev::from_file(file) };

    // SAFETY: The file's private data is the driver's, from `ops.open`; this is the file's last
    // call, after every other on it has returned. The file holds `ops.owner` until the
    // `module_put()`, after which nothing of the driver's runs.
    unsafe {
        (cd.ops.release)((*file).private_data);
        bindings::module_put(cd.ops.owner);
    }
    0
}

/// Whether `file` is non-blocking.
///
/// # Safety
///
/// `file` must be valid.
unsafe fn nonblock(file: *mut bindings::file) -> bool {
    // SAFETY: By the safety requirements `file` is valid.
    unsafe { (*file).f_flags & O_NONBLOCK != 0 }
}

/// `read()`, forwarded to the driver.
extern "C" fn read_callback(
    file: *mut bindings::file,
    buf: *mut c_char,
    len: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS reads from a file that `open_callback()` opened, holding it for the call.
    let cd = unsafe { CharDev::from_file(file) };

    // SAFETY: The file is open, so its private data is the driver's and the file holds the
    // driver's module; `buf` is the user buffer of `len` bytes the VFS checked.
    unsafe { (cd.ops.read)((*file).private_data, buf, len, nonblock(file)) }
}

/// `ioctl()`, forwarded to the driver; `compat_ptr_ioctl()` reaches it too.
extern "C" fn ioctl_callback(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: The VFS calls an ioctl on a file that `open_callback()` opened, holding it for the
    // call.
    let cd = unsafe { CharDev::from_file(file) };

    // SAFETY: The file is open, so its private data is the driver's and the file holds the
    // driver's module.
    unsafe { (cd.ops.ioctl)((*file).private_data, cmd, arg, nonblock(file)) }
}

/// `poll()`, forwarded to the driver.
extern "C" fn poll_callback(
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: The VFS polls a file that `open_callback()` opened, holding it for the call.
    let cd = unsafe { CharDev::from_file(file) };

    // SAFETY: The file is open, so its private data is the driver's and the file holds the
    // driver's module; `pt` is the poll table of this call, or null.
    unsafe { (cd.ops.poll)((*file).private_data, file, pt) }
}

/// `rbus_chardev_register()` in a `Result`.
///
/// # Safety
///
/// As for `rbus_chardev_register()`.
unsafe fn register(
    rdev: *mut ffi::rbus_device,
    ops: *const ffi::rbus_chardev_ops,
    data: *mut c_void,
) -> Result<*mut ffi::rbus_chardev> {
    // SAFETY: By the safety requirements `ops` is a valid table for this call, of the calling
    // driver's module.
    let ops = unsafe { Ops::new(&*ops) }?;
    // SAFETY: By the safety requirements `rbus_core` is live, so its `Class` exists, until after
    // the `CharDev` holding the minor is gone (see the module's docs).
    let minor = unsafe { Minor::alloc() }?;
    let devt = minor.devt();

    let cd = KBox::pin_init(
        try_pin_init!(CharDev {
            dev: Opaque::zeroed(),
            cdev: Opaque::zeroed(),
            data <- new_mutex!(NonNull::new(data)),
            ops,
            minor,
        }),
        GFP_KERNEL,
    )?;

    // From `device_initialize()` on the device's reference count owns the char device, and
    // `dev_release_callback()` frees it.
    let cd = cd.into_foreign().cast::<CharDev>();
    // SAFETY: `cd` is valid: it was just allocated, and nothing else has it yet.
    let (dev, cdev) = unsafe { ((*cd).dev.get(), (*cd).cdev.get()) };

    // SAFETY: `dev` and `cdev` are zeroed, not yet initialized. By the safety requirements
    // `rdev` is a registered child, on which `device_add()` takes a reference. `CLASS` is
    // registered while `rbus_core` is live, and `FOPS` is a `static`.
    unsafe {
        bindings::device_initialize(dev);
        (*dev).class = CLASS.as_ptr();
        (*dev).parent = &raw mut (*rdev).dev;
        (*dev).devt = devt;
        (*dev).release = Some(dev_release_callback);
        bindings::cdev_init(cdev, FOPS.as_ptr());
        // Each open file holds `rbus_core`, whose code and statics it uses.
        (*cdev).owner = this_module::<crate::LocalModule>().as_ptr();
    }

    // SAFETY: `dev` is initialized, `rdev`'s device is registered so it has a name, and `%s`
    // takes a string, which `dev_set_name()` copies.
    let ret = to_result(unsafe {
        bindings::dev_set_name(
            dev,
            c"rbus-%s".as_char_ptr(),
            bindings::dev_name(&raw mut (*rdev).dev),
        )
    })
    // SAFETY: `cdev` and `dev` are initialized, and `dev` named; its parent is registered.
    .and_then(|()| to_result(unsafe { bindings::cdev_device_add(cdev, dev) }));
    if let Err(e) = ret {
        // SAFETY: `device_initialize()` gave the only reference, which this drops: the release
        // callback frees the name, the minor and the char device.
        unsafe { bindings::put_device(dev) };
        return Err(e);
    }

    // INVARIANT: Initialized above; the reference `device_initialize()` gave is the caller's.
    // CAST: C only sees `struct rbus_chardev` as an opaque pointer, which comes back to
    // `rbus_chardev_unregister()`.
    Ok(cd.cast())
}

/// Creates the char device of a child: see `rbus_chardev_register()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `rbus_core` must be live, as it is for a module that calls this through the exported symbol.
/// `rdev` must be a registered child, bound to the calling driver; `ops` a valid table for the
/// call, whose callbacks are code of `ops->owner` and follow the contract of
/// `struct rbus_chardev_ops`; `data` what `ops->open` takes, valid until
/// `rbus_chardev_unregister()` returns.
#[no_mangle]
unsafe extern "C" fn rbus_chardev_register(
    rdev: *mut ffi::rbus_device,
    ops: *const ffi::rbus_chardev_ops,
    data: *mut c_void,
) -> *mut ffi::rbus_chardev {
    // SAFETY: The safety requirements are `register()`'s.
    match unsafe { register(rdev, ops, data) } {
        Ok(cd) => cd,
        Err(e) => e.to_ptr(),
    }
}

/// Removes a char device: see `rbus_chardev_unregister()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `cd` must come from `rbus_chardev_register()` and not be unregistered yet.
#[no_mangle]
unsafe extern "C" fn rbus_chardev_unregister(cd: *mut ffi::rbus_chardev) {
    let dev = {
        // CAST: `rbus_chardev_register()` gave out a `CharDev`.
        // SAFETY: By the safety requirements `cd` is initialized, and the caller's reference
        // keeps it alive until the `put_device()` below.
        let cd = unsafe { &*cd.cast::<CharDev>() };

        // Cut the driver's data off: once the lock is released no `open` runs or can start that
        // sees it, so the driver may free it when this returns.
        *cd.data.lock() = None;

        // SAFETY: By the type invariants `cdev` and `dev` were added together, and this is their
        // only removal. Open files keep their `cdev`, and through it the device, until released.
        unsafe { bindings::cdev_device_del(cd.cdev.get(), cd.dev.get()) };
        cd.dev.get()
    };

    // SAFETY: This drops the reference `rbus_chardev_register()` returned; the char device is
    // freed now unless a file still holds it. `dev` is not used afterwards.
    unsafe { bindings::put_device(dev) };
}
