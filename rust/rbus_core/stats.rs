// SPDX-License-Identifier: GPL-2.0

//! The counters of every child, and their sysfs attributes: `events_delivered`, `calls`,
//! `events_deferred`, `events_dropped` and `events_pending`.
//!
//! C header: [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! The first four are per CPU (`struct rbus_device_stats`), so the paths that count share no
//! cache line; an attribute sums the CPUs' counts, which may be a moment old. `events_pending` is
//! the length of the queue of events that wait for a suspended child.

use super::{
    device::{
        attr_group,
        attr_ro,
        to_rbus_device, //
    },
    events::Queue,
    table::Table, //
};
use crate::rbus::{
    ffi,
    percpu, //
};
use kernel::{
    bindings,
    cpu::{
        self,
        CpuId, //
    },
    cpumask::Cpumask,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    }, //
};

use core::{
    mem::offset_of,
    ptr, //
};

/// A counter of `struct rbus_device_stats`.
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    /// Events handed to the child's `event` callback.
    EventsDelivered,
    /// Child-to-bus calls that reached the controller.
    Calls,
    /// Events queued while the child was suspended.
    EventsDeferred,
    /// Events lost: the queue was full, or the child unbound.
    EventsDropped,
}

impl Counter {
    /// The counter's offset in `struct rbus_device_stats`.
    const fn offset(self) -> usize {
        match self {
            Self::EventsDelivered => offset_of!(ffi::rbus_device_stats, events_delivered),
            Self::Calls => offset_of!(ffi::rbus_device_stats, calls),
            Self::EventsDeferred => offset_of!(ffi::rbus_device_stats, events_deferred),
            Self::EventsDropped => offset_of!(ffi::rbus_device_stats, events_dropped),
        }
    }

    /// The counter in the per-CPU counters `stats`, as a per-CPU pointer.
    fn of(self, stats: *mut ffi::rbus_device_stats) -> *mut u64 {
        // A per-CPU pointer is an offset, not an address of memory Rust may project a field
        // from: add the field's offset to it as to a number, as C's `&stats->field` does.
        stats.cast::<u8>().wrapping_add(self.offset()).cast()
    }

    /// Adds `n` to this CPU's count of the counter of `rdev`.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child.
    #[inline(always)]
    pub(crate) unsafe fn add(self, rdev: *const ffi::rbus_device, n: u64) {
        // SAFETY: By the safety requirements `rdev` is valid. Its counters are allocated before
        // the child is added and freed with it.
        let counter = self.of(unsafe { (*rdev).stats });

        // SAFETY: `counter` is a per-CPU pointer into the child's counters, which only this
        // function and `inc()` write, both with per-CPU operations.
        unsafe { percpu::this_cpu_add(counter, n) };
    }

    /// Adds one to this CPU's count of the counter of `rdev`: [`Counter::add`] of one, in one
    /// instruction fewer.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child.
    #[inline(always)]
    pub(crate) unsafe fn inc(self, rdev: *const ffi::rbus_device) {
        // SAFETY: As in `add()`.
        let counter = self.of(unsafe { (*rdev).stats });

        // SAFETY: As in `add()`.
        unsafe { percpu::this_cpu_inc(counter) };
    }

    /// The counter of `rdev`, summed over every possible CPU.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child.
    pub(crate) unsafe fn sum(self, rdev: *const ffi::rbus_device) -> u64 {
        // SAFETY: By the safety requirements `rdev` is valid. Its counters are allocated before
        // the child is added and freed with it.
        let counter = self.of(unsafe { (*rdev).stats });

        // SAFETY: `__cpu_possible_mask` is a static the kernel sets up at boot, long before a
        // module loads, and never frees.
        let possible = unsafe { Cpumask::from_raw(&raw const bindings::__cpu_possible_mask) };

        let mut sum: u64 = 0;
        for cpu in (0..cpu::nr_cpu_ids()).filter_map(CpuId::from_u32) {
            if !possible.test(cpu) {
                continue;
            }

            // SAFETY: `counter` is a per-CPU pointer into the child's counters, and `cpu` a
            // possible CPU, which has a copy of them.
            let count = unsafe { ffi::rbus_helper_per_cpu_ptr(counter, cpu.as_u32()) };

            // `READ_ONCE()`, as C sums per-CPU counters.
            //
            // SAFETY: `count` is this CPU's copy, an aligned `u64` that lives as long as the
            // child. The only writes to it are the marked per-CPU additions of the bus core, so
            // this marked load races with none of them.
            sum = sum.wrapping_add(unsafe { Atomic::from_ptr(count) }.load(Relaxed));
        }
        sum
    }
}

/// `show` of a counter: its sum as `%llu`.
///
/// # Safety
///
/// `dev` must be a device of the `rbus` bus, valid for the call, and `buf` the page sysfs hands
/// `show`.
unsafe fn show_counter(dev: *mut bindings::device, buf: *mut c_char, counter: Counter) -> isize {
    // SAFETY: By the safety requirements `dev` is a valid child.
    let sum: u64 = unsafe { counter.sum(to_rbus_device(dev)) };

    // SAFETY: By the safety requirements `buf` is the page of `show`, and `%llu` takes an
    // `unsigned long long`.
    let len = unsafe { bindings::sysfs_emit(buf, c"%llu\n".as_char_ptr(), sum) };
    len as isize
}

extern "C" fn events_delivered_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, valid for the call, into `buf`.
    unsafe { show_counter(dev, buf, Counter::EventsDelivered) }
}

extern "C" fn calls_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, valid for the call, into `buf`.
    unsafe { show_counter(dev, buf, Counter::Calls) }
}

extern "C" fn events_deferred_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, valid for the call, into `buf`.
    unsafe { show_counter(dev, buf, Counter::EventsDeferred) }
}

extern "C" fn events_dropped_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, valid for the call, into `buf`.
    unsafe { show_counter(dev, buf, Counter::EventsDropped) }
}

/// `show` of `events_pending`: the events waiting for the child's resume.
extern "C" fn events_pending_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs shows an attribute of a device of this bus, which stays valid for the call.
    let rdev = unsafe { to_rbus_device(dev) };

    // SAFETY: `rdev` is valid for the call.
    let len: c_uint = unsafe { Queue::lock(rdev) }.len();

    // SAFETY: `buf` is the page sysfs hands `show`, and `%u` takes an `unsigned int`.
    let len = unsafe { bindings::sysfs_emit(buf, c"%u\n".as_char_ptr(), len) };
    len as isize
}

static EVENTS_DELIVERED: Table<bindings::device_attribute> =
    attr_ro(c"events_delivered", events_delivered_show);
static CALLS: Table<bindings::device_attribute> = attr_ro(c"calls", calls_show);
static EVENTS_DEFERRED: Table<bindings::device_attribute> =
    attr_ro(c"events_deferred", events_deferred_show);
static EVENTS_DROPPED: Table<bindings::device_attribute> =
    attr_ro(c"events_dropped", events_dropped_show);
static EVENTS_PENDING: Table<bindings::device_attribute> =
    attr_ro(c"events_pending", events_pending_show);

/// The attributes, `NULL`-terminated, as `attrs_const` of an attribute group takes them.
static ATTRS: Table<[*const bindings::attribute; 6]> = Table::new([
    &EVENTS_DELIVERED.get().attr,
    &CALLS.get().attr,
    &EVENTS_DEFERRED.get().attr,
    &EVENTS_DROPPED.get().attr,
    &EVENTS_PENDING.get().attr,
    ptr::null(),
]);

/// The counters' attribute group of every child, for the bus type's `dev_groups`.
pub(crate) static GROUP: Table<bindings::attribute_group> = attr_group(ATTRS.get().as_ptr());
