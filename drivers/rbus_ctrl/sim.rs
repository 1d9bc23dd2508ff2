// SPDX-License-Identifier: GPL-2.0

//! The simulated hardware behind each child: a register file, a mailbox that answers transfers,
//! and the event kinds the child subscribed to.

use crate::rbus::calls::Hardware;
use core::sync::atomic::{
    AtomicU32,
    Ordering, //
};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::SpinLock, //
};

/// Registers per child.
pub(crate) const REGS: usize = 16;

/// One child's simulated device.
#[pin_data]
pub(crate) struct SimChild {
    /// A spinlock: the bus core calls [`Hardware`] from contexts that must not sleep.
    #[pin]
    regs: SpinLock<[u32; REGS]>,
    /// Subscribed event kinds: bit `n` for kind `n`.
    mask: AtomicU32,
}

impl SimChild {
    /// A device with zeroed registers and no subscription.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            regs <- new_spinlock!([0; REGS]),
            mask: AtomicU32::new(0),
        })
    }

    /// Whether the child subscribed to events of `kind`.
    pub(crate) fn subscribed(&self, kind: u32) -> bool {
        kind < u32::BITS && self.mask.load(Ordering::Relaxed) & (1 << kind) != 0
    }
}

impl Hardware for SimChild {
    /// The mailbox answers each transaction with the bytes written, inverted and repeated to
    /// fill the read.
    fn transfer(&self, tx: &[u8], rx: &mut [u8]) -> Result {
        if tx.is_empty() && !rx.is_empty() {
            return Err(EINVAL);
        }
        for (i, byte) in rx.iter_mut().enumerate() {
            *byte = !tx[i % tx.len()];
        }
        Ok(())
    }

    fn reg_read(&self, reg: u32) -> Result<u32> {
        let regs = self.regs.lock();
        regs.get(reg as usize).copied().ok_or(EINVAL)
    }

    fn reg_write(&self, reg: u32, val: u32) -> Result {
        let mut regs = self.regs.lock();
        *regs.get_mut(reg as usize).ok_or(EINVAL)? = val;
        Ok(())
    }

    fn subscribe(&self, mask: u32) -> Result {
        self.mask.store(mask, Ordering::Relaxed);
        Ok(())
    }
}
