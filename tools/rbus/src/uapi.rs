// SPDX-License-Identifier: GPL-2.0

//! The request channel's structs and numbers, from `include/uapi/linux/rbus.h`.
//!
//! The structs are `#[repr(C)]` mirrors of the header's. Their sizes and
//! field offsets are asserted at compile time against the ones the C compiler
//! gives the header (see `build.rs`), and the constants and ioctl numbers are
//! the header's own values, so this module cannot drift from the header.

use core::mem::{offset_of, size_of};

/// What the C compiler says of the header: sizes, offsets and constants.
mod header {
    include!(concat!(env!("OUT_DIR"), "/uapi_layout.rs"));
}

/// The interface version `RBUS_IOC_INFO` reports.
pub const UAPI_VERSION: u32 = header::RBUS_UAPI_VERSION as u32;
/// The most bytes a request writes or reads.
pub const DATA_MAX: usize = header::RBUS_DATA_MAX as usize;
/// The most requests one `RBUS_IOC_SUBMIT` takes.
pub const SUBMIT_MAX: usize = header::RBUS_SUBMIT_MAX as usize;
/// Write, then read back: the only request operation.
pub const OP_TRANSFER: u32 = header::RBUS_OP_TRANSFER as u32;
/// A record of a completed request.
pub const RECORD_COMPLETION: u32 = header::RBUS_RECORD_COMPLETION as u32;
/// A record of a device event.
pub const RECORD_EVENT: u32 = header::RBUS_RECORD_EVENT as u32;

/// `RBUS_IOC_INFO`, as the header computes it.
pub const IOC_INFO: rustix::ioctl::Opcode = header::RBUS_IOC_INFO as rustix::ioctl::Opcode;
/// `RBUS_IOC_SUBMIT`, as the header computes it.
pub const IOC_SUBMIT: rustix::ioctl::Opcode = header::RBUS_IOC_SUBMIT as rustix::ioctl::Opcode;
/// `RBUS_IOC_CANCEL`, as the header computes it.
pub const IOC_CANCEL: rustix::ioctl::Opcode = header::RBUS_IOC_CANCEL as rustix::ioctl::Opcode;

/// `struct rbus_req`: one request of a batch.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct rbus_req {
    pub id: u64,
    pub op: u32,
    pub flags: u32,
    pub tx_len: u32,
    pub rx_len: u32,
    pub tx: [u8; DATA_MAX],
}

/// `struct rbus_submit`: the argument of `RBUS_IOC_SUBMIT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct rbus_submit {
    pub reqs: u64,
    pub count: u32,
    pub req_size: u32,
    pub reserved: u64,
}

/// `struct rbus_cancel`: the argument of `RBUS_IOC_CANCEL`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct rbus_cancel {
    pub id: u64,
    pub reserved: u64,
}

/// `struct rbus_info`: the result of `RBUS_IOC_INFO`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct rbus_info {
    pub version: u32,
    pub bus: u32,
    pub addr: u32,
    pub queue_depth: u32,
    pub submit_max: u32,
    pub data_max: u32,
    pub record_size: u32,
    pub reserved: u32,
    pub compatible: [u8; 64],
}

/// `struct rbus_record`: what `read()` returns, one per completion or event.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct rbus_record {
    pub id: u64,
    pub type_: u32,
    pub status: i32,
    pub len: u32,
    pub kind: u32,
    pub payload: u64,
    pub data: [u8; DATA_MAX],
}

impl rbus_req {
    /// An all-zero request.
    pub const ZERO: Self = Self {
        id: 0,
        op: 0,
        flags: 0,
        tx_len: 0,
        rx_len: 0,
        tx: [0; DATA_MAX],
    };
}

impl rbus_info {
    /// An all-zero info.
    pub const ZERO: Self = Self {
        version: 0,
        bus: 0,
        addr: 0,
        queue_depth: 0,
        submit_max: 0,
        data_max: 0,
        record_size: 0,
        reserved: 0,
        compatible: [0; 64],
    };
}

impl rbus_record {
    /// An all-zero record.
    pub const ZERO: Self = Self {
        id: 0,
        type_: 0,
        status: 0,
        len: 0,
        kind: 0,
        payload: 0,
        data: [0; DATA_MAX],
    };
}

/// Asserts a struct's size and each field's offset against the header's.
macro_rules! assert_layout {
    ($st:ident, $size:ident, $($field:ident => $offset:ident),+ $(,)?) => {
        const _: () = assert!(size_of::<$st>() == header::$size);
        $(const _: () = assert!(offset_of!($st, $field) == header::$offset);)+
    };
}

assert_layout!(rbus_req, SIZE_RBUS_REQ,
    id => OFFSET_RBUS_REQ_ID,
    op => OFFSET_RBUS_REQ_OP,
    flags => OFFSET_RBUS_REQ_FLAGS,
    tx_len => OFFSET_RBUS_REQ_TX_LEN,
    rx_len => OFFSET_RBUS_REQ_RX_LEN,
    tx => OFFSET_RBUS_REQ_TX,
);
assert_layout!(rbus_submit, SIZE_RBUS_SUBMIT,
    reqs => OFFSET_RBUS_SUBMIT_REQS,
    count => OFFSET_RBUS_SUBMIT_COUNT,
    req_size => OFFSET_RBUS_SUBMIT_REQ_SIZE,
    reserved => OFFSET_RBUS_SUBMIT_RESERVED,
);
assert_layout!(rbus_cancel, SIZE_RBUS_CANCEL,
    id => OFFSET_RBUS_CANCEL_ID,
    reserved => OFFSET_RBUS_CANCEL_RESERVED,
);
assert_layout!(rbus_info, SIZE_RBUS_INFO,
    version => OFFSET_RBUS_INFO_VERSION,
    bus => OFFSET_RBUS_INFO_BUS,
    addr => OFFSET_RBUS_INFO_ADDR,
    queue_depth => OFFSET_RBUS_INFO_QUEUE_DEPTH,
    submit_max => OFFSET_RBUS_INFO_SUBMIT_MAX,
    data_max => OFFSET_RBUS_INFO_DATA_MAX,
    record_size => OFFSET_RBUS_INFO_RECORD_SIZE,
    reserved => OFFSET_RBUS_INFO_RESERVED,
    compatible => OFFSET_RBUS_INFO_COMPATIBLE,
);
assert_layout!(rbus_record, SIZE_RBUS_RECORD,
    id => OFFSET_RBUS_RECORD_ID,
    type_ => OFFSET_RBUS_RECORD_TYPE,
    status => OFFSET_RBUS_RECORD_STATUS,
    len => OFFSET_RBUS_RECORD_LEN,
    kind => OFFSET_RBUS_RECORD_KIND,
    payload => OFFSET_RBUS_RECORD_PAYLOAD,
    data => OFFSET_RBUS_RECORD_DATA,
);

/// No struct has padding the header does not name: each field is accounted for, so every byte
/// pattern is a valid value and viewing the structs as bytes is sound.
const _: () = assert!(size_of::<rbus_req>() == 8 + 4 * 4 + DATA_MAX);
const _: () = assert!(size_of::<rbus_submit>() == 8 + 4 + 4 + 8);
const _: () = assert!(size_of::<rbus_cancel>() == 8 + 8);
const _: () = assert!(size_of::<rbus_info>() == 8 * 4 + 64);
const _: () = assert!(size_of::<rbus_record>() == 8 + 4 * 4 + 8 + DATA_MAX);

/// Plain old data: `#[repr(C)]`, no padding, every bit pattern valid.
///
/// # Safety
///
/// Only types for which all of the above holds may implement it.
pub(crate) unsafe trait Pod: Copy {}

// SAFETY: `#[repr(C)]` integers and byte arrays, padding-free as asserted above.
unsafe impl Pod for rbus_record {}

/// Views a slice of plain old data as its bytes, for `read()` to fill.
pub(crate) fn as_bytes_mut<T: Pod>(items: &mut [T]) -> &mut [u8] {
    // SAFETY: `T: Pod` has no padding and accepts any bytes, so its memory is `len * size` bytes
    // that may be read and written as `u8`; the borrow of `items` covers the returned slice.
    unsafe { core::slice::from_raw_parts_mut(items.as_mut_ptr().cast::<u8>(), size_of_val(items)) }
}
