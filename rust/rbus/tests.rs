// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the rbus abstractions, run in the guest when `rbus_core` loads.
//!
//! Out-of-tree doctests never run, so the abstractions are tested here instead.

use kernel::prelude::*;

#[kunit_tests(rbus_abstractions)]
mod tests {
    use super::super::rbus::{
        self,
        calls::{
            transfer_buffers,
            Bus,
            Hardware,
            TRANSFER_MAX, //
        },
        i2c_frame::{
            Frame,
            Op,
            OP_READ,
            OP_WRITE,
            OP_WRITE_READ,
            WRITE_MAX, //
        },
        requests::{
            Client,
            HwRequest, //
        },
        ticker::Tick,
        uapi,
        BusNumber,
        DeviceId,
        Host,
        Registration, //
    };
    use core::sync::atomic::{
        AtomicBool,
        AtomicU32,
        Ordering, //
    };
    use kernel::{
        device_id::{
            IdArray,
            RawDeviceId,
            RawDeviceIdIndex, //
        },
        faux,
        new_spinlock,
        prelude::*,
        sync::Arc,
        sync::SpinLock,
        time::{
            delay::fsleep,
            Delta, //
        },
        workqueue, //
    };

    /// The C view of an id.
    fn raw_of(id: &DeviceId) -> &<DeviceId as RawDeviceId>::RawType {
        // SAFETY: `DeviceId` is a transparent wrapper of `RawType`.
        unsafe { &*core::ptr::from_ref(id).cast() }
    }

    /// The raw bytes of an id's compatible string, up to the NUL.
    fn compatible_of(id: &DeviceId) -> &[u8] {
        let raw = raw_of(id);
        let len = raw
            .compatible
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(raw.compatible.len());
        &raw.compatible[..len]
    }

    static TABLE: IdArray<DeviceId, u32, 2> = IdArray::new([
        (DeviceId::new("vendor,first"), &1),
        (DeviceId::new("vendor,second"), &2),
    ]);

    #[test]
    fn device_id_holds_the_compatible() {
        let id = DeviceId::new("rbus,demo");
        assert_eq!(compatible_of(&id), b"rbus,demo");

        // 63 bytes plus the NUL fill the 64-byte field exactly.
        let long = DeviceId::new("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk");
        assert_eq!(compatible_of(&long).len(), 63);
    }

    #[test]
    fn transfer_buffers_from_c_are_checked() {
        let null = core::ptr::null_mut::<core::ffi::c_void>();
        let mut buf = [0u8; TRANSFER_MAX + 1];
        let ptr = buf.as_mut_ptr().cast::<core::ffi::c_void>();

        // SAFETY: NULL buffers, empty or refused.
        let empty = unsafe { transfer_buffers(null, 0, null, 0) };
        assert!(matches!(empty, Ok((tx, rx)) if tx.is_empty() && rx.is_empty()));
        // SAFETY: As above.
        let tx_null = unsafe { transfer_buffers(null, 1, null, 0) };
        assert_eq!(tx_null.err(), Some(EINVAL));
        // SAFETY: As above.
        let rx_null = unsafe { transfer_buffers(null, 0, null, 1) };
        assert_eq!(rx_null.err(), Some(EINVAL));
        // SAFETY: `buf` is valid for `TRANSFER_MAX + 1` bytes; it is refused before any use.
        let long = unsafe { transfer_buffers(ptr, TRANSFER_MAX + 1, null, 0) };
        assert_eq!(long.err(), Some(EINVAL));
        // SAFETY: `buf` is valid for `TRANSFER_MAX` bytes, and the read side is empty.
        let full = unsafe { transfer_buffers(ptr, TRANSFER_MAX, null, 0) };
        assert!(matches!(full, Ok((tx, rx)) if tx.len() == TRANSFER_MAX && rx.is_empty()));
    }

    #[test]
    fn i2c_frames_round_trip() -> Result {
        let mut buf = [0u8; TRANSFER_MAX];
        let data = [0x10, 0x20, 0x30];
        for op in [
            Op::Write(&[]),
            Op::Write(&data),
            Op::Read,
            Op::WriteRead(&data),
        ] {
            let frame = Frame { addr: 0x50, op };
            let len = frame.encode(&mut buf)?;
            assert_eq!(Frame::decode(&buf[..len])?, frame);
        }

        // The operation, the address in little endian, then the data.
        let frame = Frame {
            addr: 0x7f,
            op: Op::WriteRead(&data),
        };
        let len = frame.encode(&mut buf)?;
        assert_eq!(&buf[..len], &[OP_WRITE_READ, 0x7f, 0, 0x10, 0x20, 0x30]);

        // The longest write fills the buffer; one byte more, or a 10-bit address, is refused.
        let long = [0xa5u8; WRITE_MAX + 1];
        let frame = Frame {
            addr: 0x50,
            op: Op::Write(&long[..WRITE_MAX]),
        };
        assert_eq!(frame.encode(&mut buf)?, TRANSFER_MAX);
        assert_eq!(Frame::decode(&buf)?, frame);
        let frame = Frame {
            addr: 0x50,
            op: Op::Write(&long),
        };
        assert_eq!(frame.encode(&mut buf).err(), Some(EINVAL));
        let frame = Frame {
            addr: 0x80,
            op: Op::Read,
        };
        assert_eq!(frame.encode(&mut buf).err(), Some(EINVAL));
        Ok(())
    }

    #[test]
    fn malformed_i2c_frames_are_refused() {
        let short: [&[u8]; 3] = [&[], &[OP_WRITE], &[OP_WRITE, 0x50]];
        for tx in short {
            assert_eq!(Frame::decode(tx).err(), Some(EINVAL));
        }
        // An unknown operation, an address above 0x7f, data after a read header.
        let bad: [&[u8]; 4] = [
            &[3, 0x50, 0],
            &[OP_READ, 0x80, 0],
            &[OP_WRITE, 0x50, 1],
            &[OP_READ, 0x50, 0, 1],
        ];
        for tx in bad {
            assert_eq!(Frame::decode(tx).err(), Some(EINVAL));
        }
        // More data than a frame writes.
        let long = [0u8; TRANSFER_MAX + 1];
        assert_eq!(Frame::decode(&long).err(), Some(EINVAL));

        // A zero-length write, the SMBus quick command, is a frame.
        let quick = Frame::decode(&[OP_WRITE, 0x50, 0]);
        assert!(matches!(quick, Ok(Frame { addr: 0x50, op: Op::Write(data) }) if data.is_empty()));
    }

    #[test]
    fn id_table_maps_each_entry_to_its_info() {
        let ids = kernel::device_id::IdTable::<DeviceId, u32>::as_ptr(&TABLE);
        for (i, want) in [(0usize, 1u32), (1, 2)] {
            // SAFETY: `ids` points to `TABLE`, which has two entries and a sentinel.
            let id = unsafe { &*ids.add(i).cast::<DeviceId>() };
            // SAFETY: `id` is stored in an `IdArray<DeviceId, u32, _>`.
            assert_eq!(unsafe { *id.info_unchecked::<u32>() }, want);
        }
        // The sentinel terminates the table for the C side.
        // SAFETY: `IdArray` appends a zeroed sentinel after the two entries.
        let sentinel = unsafe { &*ids.add(2).cast::<DeviceId>() };
        assert!(compatible_of(sentinel).is_empty());
        assert_eq!(raw_of(sentinel).driver_data, 0);
    }

    #[test]
    fn srcu_fast_read_sections_nest_and_end() -> Result {
        let srcu = KBox::pin_init(crate::new_srcu_fast!(), GFP_KERNEL)?;

        // With no reader, a grace period ends at once.
        srcu.synchronize();
        {
            let outer = srcu.read_lock();
            let inner = srcu.read_lock();
            drop(inner);
            drop(outer);
        }
        // Both sections ended, so this grace period ends too, and the drop finds no reader.
        srcu.synchronize();
        drop(srcu);
        Ok(())
    }

    #[test]
    fn srcu_fast_synchronize_waits_for_readers() -> Result {
        let srcu = Arc::pin_init(crate::new_srcu_fast!(), GFP_KERNEL)?;
        let done = Arc::new(AtomicBool::new(false), GFP_KERNEL)?;

        let guard = srcu.read_lock();
        let (waiter_srcu, waiter_done) = (srcu.clone(), done.clone());
        workqueue::system().try_spawn(GFP_KERNEL, move || {
            waiter_srcu.synchronize();
            waiter_done.store(true, Ordering::Release);
        })?;

        // The grace period cannot end while this reader is inside its section.
        fsleep(Delta::from_millis(200));
        assert!(!done.load(Ordering::Acquire));

        drop(guard);
        for _ in 0..500 {
            if done.load(Ordering::Acquire) {
                break;
            }
            fsleep(Delta::from_millis(10));
        }
        assert!(done.load(Ordering::Acquire));
        Ok(())
    }

    #[test]
    fn this_cpu_add_adds_to_one_copy() -> Result {
        use kernel::{
            bindings,
            cpu::{
                self,
                CpuId, //
            },
            cpumask::Cpumask,
        };

        // SAFETY: The size and alignment are a `u64`'s, as `alloc_percpu(u64)` passes them.
        let ptr = unsafe { rbus::ffi::rbus_helper___alloc_percpu(8, 8) }.cast::<u64>();
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        // The last needs all 64 bits of the addition.
        for n in [1, 41, 1 << 40] {
            // SAFETY: `ptr` is a per-CPU `u64`, allocated above, which only this adds to.
            unsafe { rbus::percpu::this_cpu_add(ptr, n) };
        }

        // The task may have moved between the additions, but every one went to some CPU's copy,
        // whole, and no other copy changed: the allocator zeroes them all.
        //
        // SAFETY: `__cpu_possible_mask` is set up at boot, long before a module loads.
        let possible = unsafe { Cpumask::from_raw(&raw const bindings::__cpu_possible_mask) };
        let mut sum = 0u64;
        for cpu in (0..cpu::nr_cpu_ids()).filter_map(CpuId::from_u32) {
            if possible.test(cpu) {
                // SAFETY: `ptr` is a per-CPU `u64` and `cpu` a possible CPU, which has a copy,
                // no longer written.
                sum += unsafe { *rbus::ffi::rbus_helper_per_cpu_ptr(ptr, cpu.as_u32()) };
            }
        }
        // SAFETY: Allocated above and no longer used.
        unsafe { bindings::free_percpu(ptr.cast()) };
        assert_eq!(sum, 42 + (1 << 40));
        Ok(())
    }

    /// Counts its rounds in a shared counter and re-arms until it reaches `stop`.
    struct Rounds {
        count: Arc<AtomicU32>,
        stop: u32,
    }

    impl Tick for Rounds {
        fn tick(&self) -> Option<kernel::time::Jiffies> {
            (self.count.fetch_add(1, Ordering::Relaxed) + 1 < self.stop).then_some(1)
        }
    }

    /// Polls up to 5 s for `count` to reach `want`.
    fn wait_count(count: &AtomicU32, want: u32) -> bool {
        for _ in 0..500 {
            if count.load(Ordering::Relaxed) >= want {
                return true;
            }
            fsleep(Delta::from_millis(10));
        }
        false
    }

    #[test]
    fn ticker_rearms_until_told_and_stops_on_drop() -> Result {
        // Three rounds, then it stops by itself; a start runs it again.
        let count = Arc::new(AtomicU32::new(0), GFP_KERNEL)?;
        let ticker = KBox::pin_init(
            crate::new_ticker!(Rounds {
                count: count.clone(),
                stop: 3,
            }),
            GFP_KERNEL,
        )?;
        assert_eq!(count.load(Ordering::Relaxed), 0);
        ticker.start(0);
        assert!(wait_count(&count, 3));
        fsleep(Delta::from_millis(50));
        assert_eq!(count.load(Ordering::Relaxed), 3);
        ticker.start(0);
        assert!(wait_count(&count, 4));
        drop(ticker);

        // One that would re-arm forever: after its drop, no round runs.
        let count = Arc::new(AtomicU32::new(0), GFP_KERNEL)?;
        let ticker = KBox::pin_init(
            crate::new_ticker!(Rounds {
                count: count.clone(),
                stop: u32::MAX,
            }),
            GFP_KERNEL,
        )?;
        ticker.start(0);
        assert!(wait_count(&count, 5));
        drop(ticker);
        let after = count.load(Ordering::Relaxed);
        fsleep(Delta::from_millis(50));
        assert_eq!(count.load(Ordering::Relaxed), after);
        Ok(())
    }

    /// A device whose register 0 reads back what was written last.
    struct OneRegister(core::sync::atomic::AtomicU32);

    impl Hardware for OneRegister {
        fn reg_read(&self, reg: u32) -> Result<u32> {
            if reg != 0 {
                return Err(EINVAL);
            }
            Ok(self.0.load(Ordering::Relaxed))
        }

        fn reg_write(&self, reg: u32, val: u32) -> Result {
            if reg != 0 {
                return Err(EINVAL);
            }
            self.0.store(val, Ordering::Relaxed);
            Ok(())
        }
    }

    #[test]
    fn bus_calls_fail_with_enodev_after_surprise_removal() -> Result {
        let parent = faux::Registration::new(c"rbus-kunit-calls", None)?;
        let dev = parent.as_ref().as_ref();
        let host = Host::new(dev, BusNumber::new()?)?;
        let hw = Arc::new(
            OneRegister(core::sync::atomic::AtomicU32::new(0)),
            GFP_KERNEL,
        )?;
        let child = Registration::new(&host, 0x20, c"rbus,kunit", None, None, Some(hw))?;
        // Its controller raises no events: the inline dispatch finds no table in the domain the
        // core gave it.
        assert_eq!(child.dispatch_event(1, 0, 0).err(), Some(ENODEV));

        // SAFETY: `child` is registered.
        let bus = unsafe { Bus::from_raw(child.as_raw()) }?;
        bus.reg_write(0, 0x5a5a)?;
        assert_eq!(bus.reg_read(0)?, 0x5a5a);
        // The host is active ("on"), so the flavour that never sleeps succeeds too.
        assert_eq!(bus.try_reg_read(0)?, 0x5a5a);
        assert_eq!(bus.reg_read(1).err(), Some(EINVAL));
        // Calls the controller does not implement.
        assert_eq!(bus.transfer(&[1], &mut [0]).err(), Some(EOPNOTSUPP));
        assert_eq!(bus.subscribe(1).err(), Some(EOPNOTSUPP));

        // The controller removes the child and frees its hardware state; the child still
        // holds its handle.
        drop(child);
        assert_eq!(bus.reg_read(0).err(), Some(ENODEV));
        assert_eq!(bus.reg_write(0, 1).err(), Some(ENODEV));
        assert_eq!(bus.try_reg_read(0).err(), Some(ENODEV));
        // And once the controller's host is gone too: the child keeps it until its release.
        drop(host);
        assert_eq!(bus.reg_read(0).err(), Some(ENODEV));
        drop(bus);
        drop(parent);
        Ok(())
    }

    #[test]
    fn remove_cuts_calls_off_and_frees_the_address() -> Result {
        let parent = faux::Registration::new(c"rbus-kunit-remove", None)?;
        let dev = parent.as_ref().as_ref();
        let host = Host::new(dev, BusNumber::new()?)?;
        let hw = Arc::new(
            OneRegister(core::sync::atomic::AtomicU32::new(0)),
            GFP_KERNEL,
        )?;
        let mut first =
            Registration::new(&host, 0x40, c"rbus,kunit", None, None, Some(hw.clone()))?;
        let mut second =
            Registration::new(&host, 0x41, c"rbus,kunit", None, None, Some(hw.clone()))?;
        // SAFETY: `first` is registered.
        let bus = unsafe { Bus::from_raw(first.as_raw()) }?;
        bus.reg_write(0, 7)?;

        // Removed, the child's calls fail at once, and its address is free again, though its
        // registration, and the controller's state it holds, are not dropped yet.
        first.remove();
        second.remove();
        first.remove();
        assert_eq!(bus.reg_read(0).err(), Some(ENODEV));
        assert_eq!(first.dispatch_event(0, 1, 0).err(), Some(ENODEV));
        let again = <Registration>::new(&host, 0x40, c"rbus,kunit", None, None, None)?;

        // The drops wait for the grace period, and give the controller's state back: the test
        // holds the last reference.
        drop((first, second));
        assert!(Arc::into_unique_or_drop(hw).is_some());
        drop(again);
        drop(bus);
        drop(host);
        drop(parent);
        Ok(())
    }

    #[test]
    fn bus_numbers_are_unique_and_reused() -> Result {
        let a = BusNumber::new()?;
        let b = BusNumber::new()?;
        assert_ne!(a.get(), b.get());

        let freed = a.get();
        drop(a);
        let c = BusNumber::new()?;
        // An IDA hands out the lowest free number.
        assert!(c.get() <= freed);
        Ok(())
    }

    #[test]
    fn child_registration_checks_its_input() -> Result {
        let parent = faux::Registration::new(c"rbus-kunit", None)?;
        let dev = parent.as_ref().as_ref();
        let host = Host::new(dev, BusNumber::new()?)?;

        let child = <Registration>::new(&host, 0x10, c"rbus,kunit", None, None, None)?;
        assert_eq!(
            <Registration>::new(&host, 0x10, c"rbus,kunit", None, None, None).err(),
            Some(EBUSY)
        );
        assert_eq!(
            <Registration>::new(&host, rbus::ADDR_MAX + 1, c"rbus,kunit", None, None, None).err(),
            Some(EINVAL)
        );
        assert_eq!(
            <Registration>::new(&host, 0x11, c"", None, None, None).err(),
            Some(EINVAL)
        );
        assert_eq!(
            <Registration>::new(
                &host,
                0x12,
                c"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
                None,
                None,
                None
            )
            .err(),
            Some(EINVAL)
        );

        // The highest address is valid, and the same address on another bus is too.
        let top = <Registration>::new(&host, rbus::ADDR_MAX, c"rbus,kunit", None, None, None)?;
        let host2 = Host::new(dev, BusNumber::new()?)?;
        let other = <Registration>::new(&host2, 0x10, c"rbus,kunit", None, None, None)?;

        // Children go before their parent, as a controller's do.
        drop((other, top, child));
        drop((host2, host));
        drop(parent);
        Ok(())
    }

    /// A controller that holds every request until the test completes it.
    #[pin_data]
    struct Parked {
        #[pin]
        reqs: SpinLock<KVec<HwRequest>>,
    }

    impl Hardware for Parked {
        fn submit(&self, req: HwRequest) {
            // Dropped, it would complete with `EIO`, which the test would see.
            let _ = self.reqs.lock().push(req, GFP_ATOMIC);
        }
    }

    fn transfer(id: u64) -> uapi::Req {
        let mut req = uapi::Req {
            id,
            op: uapi::OP_TRANSFER,
            flags: 0,
            tx_len: 1,
            rx_len: 2,
            tx: [0; uapi::DATA_MAX],
        };
        req.tx[0] = 0x42;
        req
    }

    #[test]
    fn requests_complete_exactly_once() -> Result {
        let parent = faux::Registration::new(c"rbus-kunit-requests", None)?;
        let dev = parent.as_ref().as_ref();
        let host = Host::new(dev, BusNumber::new()?)?;
        let hw = Arc::pin_init(
            pin_init!(Parked {
                reqs <- new_spinlock!(KVec::new()),
            }),
            GFP_KERNEL,
        )?;
        let child = Registration::new(&host, 0x30, c"rbus,kunit", None, None, Some(hw.clone()))?;
        // SAFETY: `child` is registered.
        let client = unsafe { Client::from_raw(child.as_raw()) }?;

        assert_eq!(client.submit(&[transfer(1), transfer(2)], true)?, 2);
        let mut bad = transfer(9);
        bad.flags = 1;
        assert_eq!(client.submit(&[transfer(8), bad], true).err(), Some(EINVAL));
        assert_eq!(hw.reqs.lock().len(), 2);
        assert_eq!(client.read(true).err(), Some(EAGAIN));

        // Cancel wins over the controller's later completion: one record, -ECANCELED.
        client.cancel(1)?;
        let rec = client.read(true)?;
        assert_eq!((rec.id, rec.status), (1, ECANCELED.to_errno()));
        let held = core::mem::take(&mut *hw.reqs.lock());
        for req in held {
            assert_eq!(req.tx(), &[0x42]);
            req.complete(Ok(&[7, 8, 9]));
        }
        let rec = client.read(true)?;
        assert_eq!((rec.id, rec.status, rec.len), (2, 0, 2));
        assert_eq!(&rec.data[..2], &[7, 8]);
        assert_eq!(client.read(true).err(), Some(EAGAIN));
        assert_eq!(client.cancel(2).err(), Some(ENOENT));

        // Removal fails what is pending; the client stays safe to use.
        assert_eq!(client.submit(&[transfer(3)], true)?, 1);
        drop(child);
        let rec = client.read(true)?;
        assert_eq!((rec.id, rec.status), (3, ENODEV.to_errno()));
        assert_eq!(client.read(false).err(), Some(ENODEV));
        assert_eq!(client.submit(&[transfer(4)], true).err(), Some(ENODEV));
        // The controller lets go of the request late; nothing changes. Not under its lock:
        // submit takes it under the queue lock, and a dropped request completes.
        let held = core::mem::take(&mut *hw.reqs.lock());
        drop(held);
        assert_eq!(client.read(true).err(), Some(ENODEV));

        drop(client);
        drop(host);
        drop(parent);
        Ok(())
    }
}
