// SPDX-License-Identifier: GPL-2.0

//! I2C adapters whose transfers a Rust driver carries out.
//!
//! C header: [`include/linux/i2c.h`](srctree/include/linux/i2c.h)
//!
//! 7.3's `kernel::i2c` drives clients of an adapter but registers no adapter. An [`Adapter`]
//! registers a `struct i2c_adapter` under a parent device, with an `i2c_algorithm` whose
//! transfers go to an [`Algorithm`]. It takes the parent's firmware node, so that the I2C core
//! enumerates the clients described under it (ACPI `I2cSerialBusV2` resources naming the
//! parent's node, or DT child nodes), and it gets `/dev/i2c-N` from i2c-dev like any adapter.

use super::ffi;
use core::marker::PhantomData;
use kernel::{
    bindings,
    device,
    error::from_result,
    ffi::c_int,
    module::this_module,
    prelude::*,
    types::{
        ForeignOwnable,
        Opaque, //
    }, //
};

/// `I2C_FUNC_I2C`: plain I2C transfers.
pub const FUNC_I2C: u32 = bindings::I2C_FUNC_I2C;
/// `I2C_FUNC_SMBUS_EMUL`: the SMBus commands the I2C core emulates with I2C transfers.
pub const FUNC_SMBUS_EMUL: u32 = bindings::I2C_FUNC_SMBUS_EMUL;

/// `I2C_M_RD`: the message reads from the client.
pub const M_RD: u16 = bindings::I2C_M_RD as u16;
/// `I2C_M_DMA_SAFE`: the buffer may be used for DMA; a hint only.
pub const M_DMA_SAFE: u16 = bindings::I2C_M_DMA_SAFE as u16;

/// The limits of an adapter, `struct i2c_adapter_quirks`.
///
/// The I2C core checks every transfer against them before it calls [`Algorithm::xfer`], and
/// refuses one out of them with `EOPNOTSUPP`: it splits nothing. A zero limit is no limit.
#[derive(Clone, Copy)]
pub struct Quirks {
    /// `I2C_AQ_*` flags: [`Quirks::COMB_WRITE_THEN_READ`], [`Quirks::NO_ZERO_LEN_READ`].
    pub flags: u64,
    /// The most messages in a transfer; two with [`Quirks::COMB_WRITE_THEN_READ`].
    pub max_num_msgs: i32,
    /// The longest write message, alone.
    pub max_write_len: u16,
    /// The longest read message, alone.
    pub max_read_len: u16,
    /// The longest first message of a combined transfer.
    pub max_comb_1st_msg_len: u16,
    /// The longest second message of a combined transfer.
    pub max_comb_2nd_msg_len: u16,
}

impl Quirks {
    /// `I2C_AQ_COMB_WRITE_THEN_READ`: a transfer is one message, or a write then a read of the
    /// same address.
    pub const COMB_WRITE_THEN_READ: u64 = ffi::I2C_AQ_COMB_WRITE_THEN_READ;
    /// `I2C_AQ_NO_ZERO_LEN_READ`: no read message is empty.
    pub const NO_ZERO_LEN_READ: u64 = ffi::I2C_AQ_NO_ZERO_LEN_READ;

    const fn to_raw(self) -> bindings::i2c_adapter_quirks {
        bindings::i2c_adapter_quirks {
            flags: self.flags,
            max_num_msgs: self.max_num_msgs,
            max_write_len: self.max_write_len,
            max_read_len: self.max_read_len,
            max_comb_1st_msg_len: self.max_comb_1st_msg_len,
            max_comb_2nd_msg_len: self.max_comb_2nd_msg_len,
        }
    }
}

/// One message of a transfer: a view of `struct i2c_msg`.
///
/// # Invariants
///
/// `buf` is valid for reads of `len` bytes, or `len` is zero, for as long as the `Msg` is
/// borrowed; it is also valid for writes if `flags` has `I2C_M_RD`.
#[repr(transparent)]
pub struct Msg(bindings::i2c_msg);

impl Msg {
    /// The client address.
    pub fn addr(&self) -> u16 {
        self.0.addr
    }

    /// The `I2C_M_*` flags, such as [`M_RD`].
    pub fn flags(&self) -> u16 {
        self.0.flags
    }

    /// Whether the message reads from the client.
    pub fn is_read(&self) -> bool {
        self.0.flags & M_RD != 0
    }

    /// The number of bytes the message moves.
    pub fn len(&self) -> usize {
        self.0.len.into()
    }

    /// Whether the message moves no byte.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The bytes a write message sends; `None` for a read message, whose buffer holds no data
    /// yet.
    pub fn data(&self) -> Option<&[u8]> {
        if self.is_read() {
            return None;
        }
        if self.0.len == 0 {
            return Some(&[]);
        }
        // SAFETY: By the type invariants `buf` is valid for reads of `len` bytes while `self` is
        // borrowed; a write message's bytes are its caller's data.
        Some(unsafe { core::slice::from_raw_parts(self.0.buf, self.len()) })
    }

    /// The buffer a read message fills, zeroed; `None` for a write message, whose buffer may be
    /// read-only (callers pass `const` data to `i2c_master_send()`).
    ///
    /// Each call zeroes the buffer: callers hand uninitialized buffers, such as the SMBus
    /// emulation's on its stack, and a `&mut [u8]` covers initialized bytes only.
    pub fn read_buf(&mut self) -> Option<&mut [u8]> {
        if !self.is_read() {
            return None;
        }
        if self.0.len == 0 {
            return Some(&mut []);
        }
        // SAFETY: By the type invariants `buf` is valid for writes of `len` bytes while `self` is
        // borrowed.
        unsafe { core::ptr::write_bytes(self.0.buf, 0, self.len()) };
        // SAFETY: As above, and the bytes were just initialized. `&mut self` borrows the whole
        // transfer (see `Msgs`), so no other message's buffer, which may be this one, is
        // borrowed meanwhile.
        Some(unsafe { core::slice::from_raw_parts_mut(self.0.buf, self.len()) })
    }
}

/// The messages of one transfer.
///
/// Callers may give two messages the same buffer (a register address written, then the value
/// read into the same bytes), so a message is borrowed mutably only through `&mut Msgs`, which
/// then borrows no other: there is no slice of [`Msg`]s to split.
pub struct Msgs<'a>(&'a mut [Msg]);

impl Msgs<'_> {
    /// The number of messages.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no message; the I2C core never passes an empty transfer.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Message `i`.
    pub fn get(&self, i: usize) -> Option<&Msg> {
        self.0.get(i)
    }

    /// Message `i`, to fill its read buffer.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Msg> {
        self.0.get_mut(i)
    }

    /// The messages in order.
    pub fn iter(&self) -> core::slice::Iter<'_, Msg> {
        self.0.iter()
    }
}

/// The transfers of an I2C adapter: `struct i2c_algorithm`.
#[vtable]
pub trait Algorithm: Send + Sync + 'static {
    /// The adapter's limits, which the I2C core checks first; `None` for none.
    const QUIRKS: Option<Quirks> = None;

    /// Carries out one transfer: each message begins with a START, a repeated START after the
    /// first, and a STOP ends the last. Returns the number of messages done; errors as
    /// `Documentation/i2c/fault-codes.rst` has them (`ENXIO` for an address nobody
    /// acknowledged, `EOPNOTSUPP` for what the adapter cannot do).
    ///
    /// Runs with the adapter's bus lock held, so the transfers of one adapter never overlap. May
    /// sleep.
    fn xfer(&self, msgs: &mut Msgs<'_>) -> Result<usize>;

    /// The adapter's `I2C_FUNC_*` flags, such as [`FUNC_I2C`].
    fn functionality(&self) -> u32;
}

/// The C tables of an [`Algorithm`] `T`.
struct AlgoVtable<T: Algorithm>(PhantomData<T>);

impl<T: Algorithm> AlgoVtable<T> {
    const ALGO: bindings::i2c_algorithm = bindings::i2c_algorithm {
        __bindgen_anon_1: bindings::i2c_algorithm__bindgen_ty_1 {
            xfer: Some(Self::xfer_callback),
        },
        functionality: Some(Self::functionality_callback),
        ..pin_init::zeroed()
    };

    const QUIRKS: bindings::i2c_adapter_quirks = match T::QUIRKS {
        Some(quirks) => quirks.to_raw(),
        None => pin_init::zeroed(),
    };

    const fn algo() -> &'static bindings::i2c_algorithm {
        &Self::ALGO
    }

    const fn quirks() -> *const bindings::i2c_adapter_quirks {
        if T::QUIRKS.is_some() {
            &Self::QUIRKS
        } else {
            core::ptr::null()
        }
    }

    /// # Safety
    ///
    /// `adap` must be an adapter registered by [`Adapter::new`] for `T` and not deleted yet.
    unsafe fn data<'a>(adap: *mut bindings::i2c_adapter) -> Pin<&'a T> {
        // SAFETY: By the safety requirements `algo_data` holds the `Pin<KBox<T>>` of a live
        // `Adapter<T>`, which keeps it until `i2c_del_adapter()` returned.
        unsafe { <Pin<KBox<T>> as ForeignOwnable>::borrow((*adap).algo_data) }
    }

    extern "C" fn xfer_callback(
        adap: *mut bindings::i2c_adapter,
        msgs: *mut bindings::i2c_msg,
        num: c_int,
    ) -> c_int {
        // SAFETY: The I2C core calls the algorithm of a registered adapter only, and not once
        // `i2c_del_adapter()` returned (see `Adapter`).
        let data = unsafe { Self::data(adap) };
        from_result(|| {
            let num = usize::try_from(num).map_err(|_| EINVAL)?;
            if msgs.is_null() || num == 0 {
                return Err(EINVAL);
            }
            // CAST: `Msg` is a transparent wrapper of `struct i2c_msg`.
            // SAFETY: The I2C core passes its caller's array of `num` messages, which nothing
            // else touches until the transfer returns.
            let raw = unsafe { core::slice::from_raw_parts_mut(msgs.cast::<Msg>(), num) };
            if raw.iter().any(|m| m.0.buf.is_null() && m.0.len != 0) {
                return Err(EINVAL);
            }
            // INVARIANT: Each `buf` is valid for its `len` bytes, and for writes if `I2C_M_RD`
            // is set, for the transfer: the I2C core's contract with its callers; the only NULL
            // ones, refused above otherwise, are empty.
            let mut msgs = Msgs(raw);
            let done = data.xfer(&mut msgs)?.min(num);
            Ok(c_int::try_from(done).unwrap_or(c_int::MAX))
        })
    }

    extern "C" fn functionality_callback(adap: *mut bindings::i2c_adapter) -> u32 {
        // SAFETY: As in `xfer_callback`.
        let data = unsafe { Self::data(adap) };
        data.functionality()
    }
}

/// A registered I2C adapter, `i2c-N`, whose transfers `T` carries out.
///
/// # Teardown
///
/// Dropping it calls `i2c_del_adapter()`, and only once that returned drops `T` and frees the
/// `struct i2c_adapter`. `i2c_del_adapter()` takes no bus lock: it does not order against a
/// transfer by locking, but by references. The I2C core calls the algorithm only for a caller
/// that holds a reference to the adapter's device: a client, whose device's parent it is; an
/// open `/dev/i2c-N` file, which i2c-dev holds from `open()` to `release()`; any other
/// `i2c_get_adapter()` user; and the ACPI operation region handler on the parent's node.
/// `i2c_del_adapter()` removes that handler, unbinds and unregisters the clients (their
/// drivers' `remove` ends their transfers), removes `/dev/i2c-N`, unregisters the device, and
/// then waits for `dev_released`, which `i2c_adapter_dev_release()` completes when the last
/// reference is dropped. A transfer in flight runs under one of those references, so once
/// `i2c_del_adapter()` returns no callback runs or can start: `T` may go, and so may the memory,
/// which the adapter's device does not free (its release only completes `dev_released`).
///
/// As for every I2C adapter, the drop therefore waits while a `/dev/i2c-N` file is open: the
/// parent's unbind waits for user space to close it.
///
/// # Invariants
///
/// `adap` was registered by `i2c_add_adapter()` with the tables of `AlgoVtable<T>` and
/// `algo_data` from `Pin<KBox<T>>::into_foreign()`, and is not deleted yet.
pub struct Adapter<T: Algorithm> {
    adap: Pin<KBox<Opaque<bindings::i2c_adapter>>>,
    // `T` is owned through `adap`'s `algo_data`.
    _data: PhantomData<Pin<KBox<T>>>,
}

impl<T: Algorithm> Adapter<T> {
    /// Registers an adapter under `parent`, with `parent`'s firmware node, named `name`
    /// (truncated to 47 bytes, as `strscpy()` does) and numbered dynamically.
    ///
    /// Its owner is the module of `T`'s `#[vtable]` impl, whose code the callbacks run: i2c-dev
    /// holds it while `/dev/i2c-N` is open.
    pub fn new(
        parent: &device::Device<device::Bound>,
        name: &CStr,
        data: impl PinInit<T, Error>,
    ) -> Result<Self> {
        let data = KBox::pin_init(data, GFP_KERNEL)?;
        let adap = KBox::into_pin(KBox::<Opaque<bindings::i2c_adapter>>::zeroed(GFP_KERNEL)?);
        let raw = adap.get();

        // CAST: `device::Device` is a transparent wrapper of `struct device`.
        let parent = core::ptr::from_ref(parent)
            .cast::<bindings::device>()
            .cast_mut();

        // SAFETY: `raw` is a zeroed `struct i2c_adapter` nobody else sees yet; the tables are
        // `static`. `parent` is a valid device, which the adapter's device holds once added,
        // and its firmware node lives as long as it.
        let dest = unsafe {
            (*raw).owner = this_module::<T::OwnerModule>().as_ptr();
            (*raw).class = 0;
            (*raw).algo = AlgoVtable::<T>::algo();
            (*raw).quirks = AlgoVtable::<T>::quirks();
            (*raw).dev.parent = parent;
            bindings::device_set_node(&raw mut (*raw).dev, bindings::__dev_fwnode(parent));
            &mut (*raw).name
        };
        let src = name.to_bytes();
        let len = src.len().min(dest.len() - 1);
        if let (Some(dest), Some(src)) = (dest.get_mut(..len), src.get(..len)) {
            dest.copy_from_slice(src);
        }

        // SAFETY: As above; the I2C core reads `algo_data` only in the callbacks.
        unsafe { (*raw).algo_data = data.into_foreign() };

        // SAFETY: `raw` is a filled `struct i2c_adapter`, pinned in `adap`.
        let ret = unsafe { bindings::i2c_add_adapter(raw) };
        if ret != 0 {
            // SAFETY: `algo_data` was set above. A failed `i2c_add_adapter()` unwound itself,
            // waiting for `dev_released` if it had initialized the device, so no reference to the
            // adapter and no call into `T` is left.
            drop(unsafe { Pin::<KBox<T>>::from_foreign((*raw).algo_data) });
            return Err(Error::from_errno(ret));
        }

        // INVARIANT: registered above with the tables of `AlgoVtable<T>` and `data`.
        Ok(Self {
            adap,
            _data: PhantomData,
        })
    }

    /// The adapter's bus number, the `N` of `i2c-N`.
    pub fn nr(&self) -> i32 {
        // SAFETY: By the type invariants the adapter is registered; the I2C core sets `nr` in
        // `i2c_add_adapter()` and changes it no more.
        unsafe { (*self.adap.get()).nr }
    }
}

impl<T: Algorithm> Drop for Adapter<T> {
    fn drop(&mut self) {
        let raw = self.adap.get();
        // SAFETY: By the type invariants `algo_data` came from `into_foreign()`, and `raw` is
        // valid.
        let data = unsafe { (*raw).algo_data };

        // Test-only: `make check RBUS_BREAK=i2c-no-wait` must go red: `T` goes while transfers
        // may still run, and clients' `remove` may still call it.
        let broken = cfg!(rbus_break = "i2c-no-wait");
        if broken {
            // SAFETY: Not safe, on purpose: a transfer in flight may still borrow `T`.
            drop(unsafe { Pin::<KBox<T>>::from_foreign(data) });
        }

        // SAFETY: By the type invariants the adapter is registered, and this is its only
        // deletion. It returns once no reference to the adapter is left (see `# Teardown`).
        unsafe { bindings::i2c_del_adapter(raw) };

        if !broken {
            // SAFETY: `data` came from `into_foreign()`; no callback runs or can start any more.
            drop(unsafe { Pin::<KBox<T>>::from_foreign(data) });
        }
        // `adap` is freed next, once `i2c_del_adapter()` waited for its last reference.
    }
}

// SAFETY: The adapter may be deleted from any thread, and `T` is `Send`.
unsafe impl<T: Algorithm> Send for Adapter<T> {}

// SAFETY: Shared references only read `nr`, which does not change while the adapter is
// registered.
unsafe impl<T: Algorithm> Sync for Adapter<T> {}
