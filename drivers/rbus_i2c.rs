// SPDX-License-Identifier: GPL-2.0

//! An I2C adapter tunnelled over rbus: binds to `rbus,i2c` children and gives each an adapter,
//! `i2c-N`, named `rbus-i2c <child>`, whose transfers go to the controller as child-to-bus
//! transfers.
//!
//! Each transfer is one frame of [`rbus::i2c_frame`]: a single message, or a write then a read
//! of the same address (a repeated START). The adapter's quirks make the I2C core refuse any
//! other transfer, and any message longer than a frame carries, with `EOPNOTSUPP`, so nothing
//! is split behind a client's back. The SMBus commands are emulated by the I2C core, except the
//! quick read (a zero-length read, which no frame carries) and the block reads whose length the
//! client sends (`I2C_M_RECV_LEN`).
//!
//! A transfer holds the child active, resuming it first, and goes through [`Bus::transfer`],
//! so it resumes a suspended controller too, and fails
//! with `ENODEV` once the child is removed. The controller's errors pass through: `ENXIO` for an
//! address nobody acknowledged.
//!
//! Clients are found as for any adapter: ACPI devices whose `I2cSerialBusV2` resource names the
//! child's node, `new_device` in the adapter's sysfs directory, and `/dev/i2c-N`. Unbinding the
//! child deletes the adapter, which waits for its clients to go and for `/dev/i2c-N` to be closed.

use kernel::{
    device::Core,
    prelude::*,
    str::CString,
    sync::aref::ARef, //
};

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

use rbus::{
    calls::{
        Bus,
        TRANSFER_MAX, //
    },
    i2c_adapter::{
        Adapter,
        Algorithm,
        Msg,
        Msgs,
        Quirks,
        FUNC_I2C,
        FUNC_SMBUS_EMUL,
        M_DMA_SAFE,
        M_RD, //
    },
    i2c_frame::{
        Frame,
        Op,
        READ_MAX,
        WRITE_MAX, //
    },
};

crate::rbus_device_table!(
    ID_TABLE,
    <I2cChild as rbus::Driver>::IdInfo,
    [("rbus,i2c", ())]
);

/// The flags a message may have: none of `I2C_M_TEN`, `I2C_M_RECV_LEN`, `I2C_M_NOSTART` or the
/// protocol mangling ones, which the adapter does not offer.
const MSG_FLAGS: u16 = M_RD | M_DMA_SAFE;

/// The adapter's end of the tunnel.
struct Tunnel {
    bus: Bus,
    /// The child, held active around each transfer, as an adapter driver resumes its device.
    dev: ARef<rbus::Device>,
}

#[vtable]
impl Algorithm for Tunnel {
    // A transfer is exactly what one frame carries. The message count and the lengths fit a
    // frame; `max_num_msgs` is two anyway with `COMB_WRITE_THEN_READ`.
    const QUIRKS: Option<Quirks> = Some(Quirks {
        flags: Quirks::COMB_WRITE_THEN_READ | Quirks::NO_ZERO_LEN_READ,
        max_num_msgs: 2,
        max_write_len: WRITE_MAX as u16,
        max_read_len: READ_MAX as u16,
        max_comb_1st_msg_len: WRITE_MAX as u16,
        max_comb_2nd_msg_len: READ_MAX as u16,
    });

    fn xfer(&self, msgs: &mut Msgs<'_>) -> Result<usize> {
        let mut tx = [0; TRANSFER_MAX];
        let (len, read) = encode(msgs, &mut tx)?;
        let tx = tx.get(..len).ok_or(EINVAL)?;
        let _active = self.dev.pm_active()?;
        match read {
            Some(i) => {
                let rx = msgs
                    .get_mut(i)
                    .and_then(|msg| msg.read_buf())
                    .ok_or(EINVAL)?;
                self.bus.transfer(tx, rx)?;
            }
            None => self.bus.transfer(tx, &mut [])?,
        }
        Ok(msgs.len())
    }

    fn functionality(&self) -> u32 {
        FUNC_I2C | FUNC_SMBUS_EMUL
    }
}

/// Writes the transfer `msgs` into `buf` as one frame. Returns the frame's length and the
/// message its read fills, if any; `EOPNOTSUPP` if no frame carries the transfer.
fn encode(msgs: &Msgs<'_>, buf: &mut [u8; TRANSFER_MAX]) -> Result<(usize, Option<usize>)> {
    if msgs.iter().any(|msg| msg.flags() & !MSG_FLAGS != 0) {
        return Err(EOPNOTSUPP);
    }
    let (frame, read) = match (msgs.len(), msgs.get(0), msgs.get(1)) {
        (1, Some(msg), _) => match msg.data() {
            Some(data) => (
                Frame {
                    addr: msg.addr(),
                    op: Op::Write(data),
                },
                None,
            ),
            None => (
                Frame {
                    addr: msg.addr(),
                    op: Op::Read,
                },
                Some(0),
            ),
        },
        (2, Some(first), Some(second)) if second.is_read() && second.addr() == first.addr() => {
            let data = first.data().ok_or(EOPNOTSUPP)?;
            (
                Frame {
                    addr: first.addr(),
                    op: Op::WriteRead(data),
                },
                Some(1),
            )
        }
        _ => return Err(EOPNOTSUPP),
    };
    let written = match frame.op {
        Op::Write(data) | Op::WriteRead(data) => data.len(),
        Op::Read => 0,
    };
    let read_len = read.and_then(|i| msgs.get(i)).map(Msg::len);
    if written > WRITE_MAX || read_len.is_some_and(|len| len == 0 || len > READ_MAX) {
        return Err(EOPNOTSUPP);
    }
    Ok((frame.encode(buf)?, read))
}

/// A bound `rbus,i2c` child.
struct I2cChild {
    /// Deleted on drop, which then drops the `Tunnel`, and with it the `Bus` handle.
    _adapter: Adapter<Tunnel>,
}

impl rbus::Driver for I2cChild {
    type IdInfo = ();
    type Data<'bound> = Self;
    const ID_TABLE: rbus::IdTable<Self::IdInfo> = &ID_TABLE;

    fn probe<'bound>(
        dev: &'bound rbus::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        Self::new(dev)
    }
}

impl I2cChild {
    fn new(dev: &rbus::Device<Core<'_>>) -> Result<Self> {
        let bus = Bus::new(dev)?;
        let name = CString::try_from_fmt(fmt!("rbus-i2c {}", dev.as_ref().name()))?;
        let tunnel = Tunnel {
            bus,
            dev: dev.into(),
        };
        let adapter = Adapter::new(dev.as_ref(), &name, Ok::<_, Error>(tunnel))?;
        dev_dbg!(dev.as_ref(), "adapter i2c-{}\n", adapter.nr());
        Ok(Self { _adapter: adapter })
    }
}

crate::module_rbus_driver! {
    type: I2cChild,
    name: "rbus_i2c",
    authors: ["rbus developers"],
    description: "I2C adapter tunnelled over rbus child-to-bus transfers",
    license: "GPL",
}
