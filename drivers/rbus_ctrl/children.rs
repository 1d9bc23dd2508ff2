// SPDX-License-Identifier: GPL-2.0

//! The set of children of one controller: bounded, one per address.

use crate::rbus;
use kernel::{
    device::{
        self,
        property::FwNode, //
    },
    new_mutex,
    prelude::*,
    sync::{
        aref::ARef,
        Mutex, //
    },
};

/// A registered child and its address.
struct Child {
    addr: u32,
    _reg: rbus::Registration,
}

/// The children of one controller.
#[pin_data(PinnedDrop)]
pub(crate) struct Children {
    dev: ARef<device::Device>,
    nr: rbus::BusNumber,
    max: usize,
    /// Serializes adds and deletes: the duplicate, bound and list updates are one step.
    #[pin]
    list: Mutex<KVec<Child>>,
}

impl Children {
    /// An empty set for controller `dev`, holding at most `max` children.
    pub(crate) fn new(dev: &device::Device, max: usize) -> impl PinInit<Self, Error> + '_ {
        pin_init::pin_init_scope(move || {
            let nr = rbus::BusNumber::new()?;
            Ok(try_pin_init!(Self {
                dev: dev.into(),
                nr,
                max,
                list <- new_mutex!(KVec::new()),
            }? Error))
        })
    }

    /// The controller's bus number.
    pub(crate) fn bus_nr(&self) -> u32 {
        self.nr.get()
    }

    /// Adds the child `<nr>-<addr>`. Returns `EBUSY` if the address is taken, `ENOSPC` if the
    /// controller is full, and `EINVAL` for a bad address or compatible.
    pub(crate) fn add(&self, addr: u32, compatible: &CStr, fwnode: Option<&FwNode>) -> Result {
        let mut list = self.list.lock();
        if list.iter().any(|child| child.addr == addr) {
            return Err(EBUSY);
        }
        if list.len() >= self.max {
            return Err(ENOSPC);
        }
        let reg = rbus::Registration::new(&self.dev, &self.nr, addr, compatible, fwnode)?;
        list.push(Child { addr, _reg: reg }, GFP_KERNEL)?;
        Ok(())
    }

    /// Removes the child at `addr`, unbinding its driver first. Returns `ENOENT` if there is
    /// none.
    pub(crate) fn delete(&self, addr: u32) -> Result {
        let mut list = self.list.lock();
        let index = list
            .iter()
            .position(|child| child.addr == addr)
            .ok_or(ENOENT)?;
        // Unregistered under the lock, so an add of the same address waits for it.
        drop(list.remove(index).map_err(|_| ENOENT)?);
        Ok(())
    }

    /// The number of children.
    pub(crate) fn len(&self) -> usize {
        self.list.lock().len()
    }
}

#[pinned_drop]
impl PinnedDrop for Children {
    fn drop(self: Pin<&mut Self>) {
        // Teardown mirrors setup: the newest child goes first.
        let mut list = self.list.lock();
        while let Some(child) = list.pop() {
            drop(child);
        }
    }
}
