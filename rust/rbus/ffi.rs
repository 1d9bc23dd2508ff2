// SPDX-License-Identifier: GPL-2.0

//! The bus core's C entry points and the structures that cross module boundaries.
//!
//! C header: [`rust/rbus_glue.h`](../rbus_glue.h)
//!
//! Out-of-tree modules have no bindgen run of their own, so the C structures are mirrored by hand.
//! `rbus_driver_register()` refuses a [`RawDriver`] whose size differs from the C definition, and
//! the sizes below are asserted at compile time.

use super::uapi;
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int,
        c_long,
        c_ulong,
        c_void, //
    },
};

/// `RBUS_COMPATIBLE_SIZE`: the longest compatible string, including the terminating NUL.
pub const COMPATIBLE_SIZE: usize = 64;

/// `RBUS_ADDR_MAX`.
pub const ADDR_MAX: u32 = 0x3ff;

/// `struct rbus_device_id`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawDeviceId {
    pub compatible: [u8; COMPATIBLE_SIZE],
    pub driver_data: c_ulong,
}

const _: () = assert!(core::mem::size_of::<RawDeviceId>() == COMPATIBLE_SIZE + 8);

/// `RBUS_OPS_VERSION`.
pub const OPS_VERSION: u32 = 1;

/// `struct rbus_child_ops`: the bus-to-child calls a child publishes.
#[repr(C)]
pub struct RawChildOps {
    pub size: u32,
    pub version: u32,
    pub context: *mut c_void,
    pub get: Option<unsafe extern "C" fn(*mut c_void)>,
    pub put: Option<unsafe extern "C" fn(*mut c_void)>,
    pub event: Option<extern "C" fn(*mut c_void, u32, u64, u64)>,
}

// The layout the C side has: it refuses any other `size`.
const _: () = {
    use core::mem::{
        offset_of,
        size_of, //
    };
    assert!(size_of::<RawChildOps>() == 40);
    assert!(offset_of!(RawChildOps, version) == 4);
    assert!(offset_of!(RawChildOps, context) == 8);
    assert!(offset_of!(RawChildOps, get) == 16);
    assert!(offset_of!(RawChildOps, put) == 24);
    assert!(offset_of!(RawChildOps, event) == 32);
};

/// `struct rbus_bus_ops`: the child-to-bus calls a child gets from the bus.
#[repr(C)]
pub struct RawBusOps {
    pub size: u32,
    pub version: u32,
    pub context: *mut c_void,
    pub get: Option<unsafe extern "C" fn(*mut c_void)>,
    pub put: Option<unsafe extern "C" fn(*mut c_void)>,
    pub transfer: Option<
        unsafe extern "C" fn(*mut c_void, u32, *const c_void, usize, *mut c_void, usize) -> c_int,
    >,
    pub reg_read: Option<unsafe extern "C" fn(*mut c_void, u32, u32, *mut u32) -> c_int>,
    pub reg_write: Option<unsafe extern "C" fn(*mut c_void, u32, u32, u32) -> c_int>,
    pub subscribe: Option<unsafe extern "C" fn(*mut c_void, u32, u32) -> c_int>,
}

/// `RBUS_CALL_NOWAIT`: a child-to-bus call that fails with `EAGAIN` rather than sleep.
pub const CALL_NOWAIT: u32 = 1 << 0;

const _: () = {
    use core::mem::{
        offset_of,
        size_of, //
    };
    assert!(size_of::<RawBusOps>() == 64);
    assert!(offset_of!(RawBusOps, context) == 8);
    assert!(offset_of!(RawBusOps, get) == 16);
    assert!(offset_of!(RawBusOps, put) == 24);
    assert!(offset_of!(RawBusOps, transfer) == 32);
    assert!(offset_of!(RawBusOps, reg_read) == 40);
    assert!(offset_of!(RawBusOps, reg_write) == 48);
    assert!(offset_of!(RawBusOps, subscribe) == 56);
};

/// `struct rbus_hw_ops`: a controller's implementation of the child-to-bus calls.
#[repr(C)]
pub struct RawHwOps {
    pub transfer:
        Option<extern "C" fn(*mut c_void, *const c_void, usize, *mut c_void, usize) -> c_int>,
    pub reg_read: Option<extern "C" fn(*mut c_void, u32, *mut u32) -> c_int>,
    pub reg_write: Option<extern "C" fn(*mut c_void, u32, u32) -> c_int>,
    pub subscribe: Option<extern "C" fn(*mut c_void, u32) -> c_int>,
    pub submit: Option<extern "C" fn(*mut c_void, *mut RawRequest)>,
}

/// `struct rbus_request`: opaque, reached through accessor functions.
#[repr(C)]
pub struct RawRequest {
    _private: [u8; 0],
}

/// `struct rbus_client`: opaque.
#[repr(C)]
pub struct RawClient {
    _private: [u8; 0],
}

/// `struct rbus_chardev`: opaque.
#[repr(C)]
pub struct RawChardev {
    _private: [u8; 0],
}

/// `struct rbus_chardev_ops`.
#[repr(C)]
pub struct RawChardevOps {
    pub owner: *mut bindings::module,
    pub open: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    pub release: Option<unsafe extern "C" fn(*mut c_void)>,
    pub read: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, usize, bool) -> isize>,
    pub ioctl: Option<unsafe extern "C" fn(*mut c_void, u32, c_ulong, bool) -> c_long>,
    pub poll: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *mut bindings::file,
            *mut bindings::poll_table_struct,
        ) -> u32,
    >,
}

/// `struct rbus_host`: only its embedded `struct device` is declared, as for [`RawDevice`].
#[repr(C)]
pub struct RawHost {
    pub dev: bindings::device,
}

/// The leading part of `struct rbus_device`.
///
/// Only the embedded `struct device` is declared: Rust never allocates an `rbus_device` and
/// reaches the other members through accessor functions. The C side asserts that `dev` is at
/// offset zero.
#[repr(C)]
pub struct RawDevice {
    pub dev: bindings::device,
}

/// `struct rbus_driver`.
#[repr(C)]
#[derive(Default)]
pub struct RawDriver {
    pub driver: bindings::device_driver,
    pub id_table: *const RawDeviceId,
    pub probe: Option<unsafe extern "C" fn(*mut RawDevice, *const RawDeviceId) -> c_int>,
    pub remove: Option<unsafe extern "C" fn(*mut RawDevice)>,
}

// The bindgen types behind these pointers contain zero-sized placeholder members, which
// `improper_ctypes` flags although only pointers cross the boundary.
#[expect(improper_ctypes)]
extern "C" {
    pub fn rbus_bus_register() -> c_int;
    pub fn rbus_bus_unregister();
    pub fn rbus_host_add(parent: *mut bindings::device, nr: c_int) -> *mut RawHost;
    pub fn rbus_host_unregister(host: *mut RawHost);
    pub fn rbus_device_add(
        host: *mut RawHost,
        addr: u32,
        compatible: *const c_char,
        fwnode: *mut bindings::fwnode_handle,
        ssp: *mut bindings::srcu_struct,
        hw: *const RawHwOps,
        hw_ctx: *mut c_void,
    ) -> *mut RawDevice;
    pub fn rbus_device_unregister(rdev: *mut RawDevice);
    pub fn rbus_device_addr(rdev: *const RawDevice) -> u32;
    pub fn rbus_device_compatible(rdev: *const RawDevice) -> *const c_char;
    pub fn rbus_driver_register(
        drv: *mut RawDriver,
        size: usize,
        owner: *mut bindings::module,
        name: *const c_char,
    ) -> c_int;
    pub fn rbus_driver_unregister(drv: *mut RawDriver);
    pub fn rbus_query_interface(rdev: *mut RawDevice, ops: *mut RawBusOps) -> c_int;
    pub fn rbus_child_publish(rdev: *mut RawDevice, ops: *const RawChildOps) -> c_int;
    pub fn rbus_child_unpublish(rdev: *mut RawDevice, ops: *const RawChildOps);
    pub fn rbus_event_dispatch(rdev: *mut RawDevice, kind: u32, seq: u64, payload: u64) -> c_int;
    pub fn rbus_client_open(rdev: *mut RawDevice) -> *mut RawClient;
    pub fn rbus_client_close(client: *mut RawClient);
    pub fn rbus_client_submit(
        client: *mut RawClient,
        reqs: *const uapi::Req,
        count: u32,
        nonblock: bool,
    ) -> c_int;
    pub fn rbus_client_submit_user(
        client: *mut RawClient,
        ureqs: *const c_void,
        count: u32,
        size: u32,
        nonblock: bool,
    ) -> c_int;
    pub fn rbus_client_cancel(client: *mut RawClient, id: u64) -> c_int;
    pub fn rbus_client_read(
        client: *mut RawClient,
        rec: *mut uapi::Record,
        nonblock: bool,
    ) -> c_int;
    pub fn rbus_client_read_user(
        client: *mut RawClient,
        buf: *mut c_void,
        len: usize,
        nonblock: bool,
    ) -> isize;
    pub fn rbus_client_poll(
        client: *mut RawClient,
        file: *mut bindings::file,
        pt: *mut bindings::poll_table_struct,
    ) -> u32;
    pub fn rbus_client_info(client: *mut RawClient, info: *mut uapi::Info) -> c_int;
    pub fn rbus_device_post_event(rdev: *mut RawDevice, kind: u32, seq: u64, payload: u64);
    pub fn rbus_request_op(req: *const RawRequest) -> u32;
    pub fn rbus_request_tx(req: *const RawRequest, len: *mut u32) -> *const u8;
    pub fn rbus_request_rx_len(req: *const RawRequest) -> u32;
    pub fn rbus_request_complete(req: *mut RawRequest, status: c_int, rx: *const u8, len: u32);
    pub fn rbus_chardev_register(
        rdev: *mut RawDevice,
        ops: *const RawChardevOps,
        data: *mut c_void,
    ) -> *mut RawChardev;
    pub fn rbus_chardev_unregister(cd: *mut RawChardev);
    pub fn rbus_bus_nr_alloc() -> c_int;
    pub fn rbus_bus_nr_free(nr: c_int);
    pub fn rbus_init_srcu_struct_fast(ssp: *mut bindings::srcu_struct) -> c_int;
    pub fn rbus_srcu_read_lock_fast(ssp: *mut bindings::srcu_struct) -> *mut bindings::srcu_ctr;
    pub fn rbus_srcu_read_unlock_fast(
        ssp: *mut bindings::srcu_struct,
        scp: *mut bindings::srcu_ctr,
    );
}
