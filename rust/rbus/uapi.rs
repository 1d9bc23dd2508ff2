// SPDX-License-Identifier: GPL-2.0

//! The user-space interface of the request channel.
//!
//! C header: [`include/uapi/linux/rbus.h`](../../include/uapi/linux/rbus.h)
//!
//! Mirrors of the header's structs. Their sizes and offsets are asserted here and, with the
//! same numbers, by `static_assert`s in `selftests/rbus_channel_lib.h`, which every channel test
//! compiles against the header, so neither side can drift. bindgen's view of the bus core's C
//! entry points uses these types for the header's (`rust/rbus/ffi.rs`).

use kernel::{
    bindings,
    ffi::{
        c_ulong,
        c_void, //
    },
    ioctl::{
        _IOR,
        _IOW, //
    },
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    },
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader, //
    },
};

/// `RBUS_UAPI_VERSION`.
pub const VERSION: u32 = 1;
/// `RBUS_DATA_MAX`: the most bytes a request writes or reads.
pub const DATA_MAX: usize = 64;
/// `RBUS_SUBMIT_MAX`: the most requests one submit takes, as many as a child's queue holds.
pub const SUBMIT_MAX: usize = 256;
/// `RBUS_OP_TRANSFER`.
pub const OP_TRANSFER: u32 = 1;
/// `RBUS_RECORD_COMPLETION`.
pub const RECORD_COMPLETION: u32 = 1;
/// `RBUS_RECORD_EVENT`.
pub const RECORD_EVENT: u32 = 2;

/// `RBUS_IOC_MAGIC`.
pub const IOC_MAGIC: u32 = 0xb9;
/// `RBUS_IOC_INFO`.
pub const IOC_INFO: u32 = _IOR::<Info>(IOC_MAGIC, 0);
/// `RBUS_IOC_SUBMIT`.
pub const IOC_SUBMIT: u32 = _IOW::<Submit>(IOC_MAGIC, 1);
/// `RBUS_IOC_CANCEL`.
pub const IOC_CANCEL: u32 = _IOW::<Cancel>(IOC_MAGIC, 2);

/// `struct rbus_req`: one request of a batch.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Req {
    /// The caller's cookie, returned in the request's record.
    pub id: u64,
    /// [`OP_TRANSFER`].
    pub op: u32,
    /// Must be zero.
    pub flags: u32,
    /// Bytes of `tx` to write.
    pub tx_len: u32,
    /// Bytes to read back.
    pub rx_len: u32,
    /// The bytes to write.
    pub tx: [u8; DATA_MAX],
}

/// `struct rbus_submit`: the argument of `RBUS_IOC_SUBMIT`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Submit {
    /// User pointer to `count` requests, `req_size` bytes apart.
    pub reqs: u64,
    /// 1 to [`SUBMIT_MAX`].
    pub count: u32,
    /// The size of [`Req`] as the caller was built.
    pub req_size: u32,
    /// Must be zero.
    pub reserved: u64,
}

/// `struct rbus_cancel`: the argument of `RBUS_IOC_CANCEL`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Cancel {
    /// The id of a request the file submitted.
    pub id: u64,
    /// Must be zero.
    pub reserved: u64,
}

/// `struct rbus_info`: the result of `RBUS_IOC_INFO`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Info {
    /// [`VERSION`].
    pub version: u32,
    /// The controller's bus number.
    pub bus: u32,
    /// The child's address.
    pub addr: u32,
    /// The most requests the child holds at once.
    pub queue_depth: u32,
    /// [`SUBMIT_MAX`].
    pub submit_max: u32,
    /// [`DATA_MAX`].
    pub data_max: u32,
    /// The size of [`Record`].
    pub record_size: u32,
    /// Zero.
    pub reserved: u32,
    /// The child's compatible string, NUL-terminated.
    pub compatible: [u8; 64],
}

/// `struct rbus_record`: what `read()` returns.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Record {
    /// The request's id, or the event's sequence number.
    pub id: u64,
    /// [`RECORD_COMPLETION`] or [`RECORD_EVENT`].
    pub r#type: u32,
    /// 0 or a negative errno.
    pub status: i32,
    /// Bytes of `data` read back.
    pub len: u32,
    /// The event kind.
    pub kind: u32,
    /// The event payload.
    pub payload: u64,
    /// The bytes read back.
    pub data: [u8; DATA_MAX],
}

const _: () = {
    use core::mem::{
        offset_of,
        size_of, //
    };
    assert!(size_of::<Req>() == 88);
    assert!(offset_of!(Req, op) == 8);
    assert!(offset_of!(Req, flags) == 12);
    assert!(offset_of!(Req, tx_len) == 16);
    assert!(offset_of!(Req, rx_len) == 20);
    assert!(offset_of!(Req, tx) == 24);
    assert!(size_of::<Submit>() == 24);
    assert!(offset_of!(Submit, count) == 8);
    assert!(offset_of!(Submit, req_size) == 12);
    assert!(offset_of!(Submit, reserved) == 16);
    assert!(size_of::<Cancel>() == 16);
    assert!(offset_of!(Cancel, reserved) == 8);
    assert!(size_of::<Info>() == 96);
    assert!(offset_of!(Info, record_size) == 24);
    assert!(offset_of!(Info, compatible) == 32);
    assert!(size_of::<Record>() == 96);
    assert!(offset_of!(Record, r#type) == 8);
    assert!(offset_of!(Record, status) == 12);
    assert!(offset_of!(Record, len) == 16);
    assert!(offset_of!(Record, kind) == 20);
    assert!(offset_of!(Record, payload) == 24);
    assert!(offset_of!(Record, data) == 32);
};

impl Default for Record {
    /// An empty record: all zeroes, as `read()` would never return it.
    fn default() -> Self {
        Self {
            id: 0,
            r#type: 0,
            status: 0,
            len: 0,
            kind: 0,
            payload: 0,
            data: [0; DATA_MAX],
        }
    }
}

// SAFETY: These structs have no padding (asserted above) and any bit pattern is a valid value.
unsafe impl FromBytes for Req {}
// SAFETY: As above.
unsafe impl AsBytes for Req {}
// SAFETY: As above.
unsafe impl FromBytes for Submit {}
// SAFETY: As above.
unsafe impl FromBytes for Cancel {}
// SAFETY: As above.
unsafe impl AsBytes for Info {}
// SAFETY: As above.
unsafe impl AsBytes for Record {}

/// Reads a `T` that user space passed as `size` bytes: the struct grows only at its end.
///
/// Returns `EINVAL` if `size` is smaller than `T` and `E2BIG` if the bytes beyond `T` are not
/// zero, as `copy_struct_from_user()` does; `EFAULT` for a bad pointer.
pub fn read_struct<T: FromBytes>(reader: &mut UserSliceReader, size: usize) -> Result<T> {
    let known = core::mem::size_of::<T>();
    if size < known {
        return Err(EINVAL);
    }
    let value = reader.read::<T>()?;
    // Not even a call for a struct of this version's size, as `RBUS_IOC_SUBMIT`'s on the round
    // trip's path.
    if size > known {
        check_tail(reader, size - known)?;
    }
    Ok(value)
}

/// As [`read_struct`], from `size` bytes at `at`, into `dst`, which may be changed even on
/// failure. Inline: a submit reads each request of its batch with it.
///
/// A struct of this version's size is one call of `_copy_from_user()`, as
/// [`UserSliceReader::read`] makes it, straight into `dst`: [`UserSliceReader::read_slice`] is two
/// calls more (itself, and the helper of `copy_from_user()`), each a request of a batch.
#[inline(always)]
pub fn read_struct_at<T: FromBytes + AsBytes>(at: UserPtr, size: usize, dst: &mut T) -> Result {
    let known = core::mem::size_of::<T>();
    if size < known {
        return Err(EINVAL);
    }
    if size > known {
        let reader = &mut UserSlice::new(at, size).reader();
        reader.read_slice(dst.as_bytes_mut())?;
        return check_tail(reader, size - known);
    }
    let out = dst.as_bytes_mut();
    // SAFETY: `out` is valid for writes of `known` bytes, and any bytes are a valid `T`
    // (`FromBytes`). `_copy_from_user()` checks the user range (`access_ok()`) and handles a
    // fault, zeroing what it could not copy. Its length is a constant, so there is no kernel
    // object to check the size of, as [`UserSliceReader::read`] reasons too.
    let left = unsafe {
        bindings::_copy_from_user(
            out.as_mut_ptr().cast::<c_void>(),
            at.as_const_ptr(),
            known as c_ulong,
        )
    };
    if left != 0 {
        return Err(EFAULT);
    }
    Ok(())
}

/// Reads the `rest` bytes beyond a struct: `E2BIG` unless they are zero.
fn check_tail(reader: &mut UserSliceReader, mut rest: usize) -> Result {
    while rest > 0 {
        let mut chunk = [0u8; 64];
        let n = rest.min(chunk.len());
        reader.read_slice(&mut chunk[..n])?;
        if chunk[..n].iter().any(|&b| b != 0) {
            return Err(E2BIG);
        }
        rest -= n;
    }
    Ok(())
}
