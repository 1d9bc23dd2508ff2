// SPDX-License-Identifier: GPL-2.0

//! The wire format of I2C tunnelled over child-to-bus transfers.
//!
//! A child driver that gives its child an I2C adapter carries each I2C transaction to the
//! controller as one [`Bus::transfer`](super::calls::Bus::transfer): `tx` holds a [`Frame`],
//! and `rx` is the read buffer. A transaction is a write, a read, or a write then a read of the
//! same address with a repeated START between them; a STOP ends it.
//!
//! | bytes of `tx` | what |
//! | --- | --- |
//! | `tx[0]` | the operation: [`OP_WRITE`], [`OP_READ`] or [`OP_WRITE_READ`] |
//! | `tx[1..3]` | the 7-bit client address, a little-endian `u16` in `0..=0x7f` |
//! | `tx[3..]` | the bytes written: none for [`OP_READ`], possibly none for [`OP_WRITE`] |
//!
//! `rx`'s length is the read length: zero for [`OP_WRITE`], at least one byte otherwise. A
//! zero-length write is the SMBus quick command (`i2cdetect` probes with it); no frame carries a
//! zero-length read.
//!
//! Both buffers are at most [`TRANSFER_MAX`] bytes, so a frame writes at most [`WRITE_MAX`] and
//! reads at most [`READ_MAX`] bytes. The controller answers a malformed frame with `EINVAL` and an
//! address nobody acknowledges (a NACK) with `ENXIO`, as `Documentation/i2c/fault-codes.rst`
//! asks of an adapter; the adapter passes its errors through.

use super::calls::TRANSFER_MAX;
use kernel::prelude::*;

/// A write: `tx[3..]` goes to the client, `rx` is empty.
pub const OP_WRITE: u8 = 0;
/// A read: `tx` is the header alone, `rx` is filled from the client.
pub const OP_READ: u8 = 1;
/// A write then a read with a repeated START: `tx[3..]` goes to the client, `rx` is filled.
pub const OP_WRITE_READ: u8 = 2;

/// The length of the header: the operation and the address.
pub const HEADER_LEN: usize = 3;
/// The most bytes a frame writes.
pub const WRITE_MAX: usize = TRANSFER_MAX - HEADER_LEN;
/// The most bytes a frame reads.
pub const READ_MAX: usize = TRANSFER_MAX;
/// The highest client address: addresses are 7 bits wide.
pub const ADDR_MAX: u16 = 0x7f;

/// The operation of a [`Frame`], with the bytes it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    /// A write of these bytes, possibly none.
    Write(&'a [u8]),
    /// A read of `rx`'s length.
    Read,
    /// A write of these bytes, then a read of `rx`'s length with a repeated START.
    WriteRead(&'a [u8]),
}

/// One I2C transaction, as `tx` carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The 7-bit client address.
    pub addr: u16,
    /// What the transaction does.
    pub op: Op<'a>,
}

impl<'a> Frame<'a> {
    /// Parses `tx`.
    ///
    /// Returns `EINVAL` when it is malformed: shorter than the header, an unknown operation, an
    /// address above [`ADDR_MAX`], data after an [`OP_READ`] header, or more than [`WRITE_MAX`]
    /// bytes of data.
    pub fn decode(tx: &'a [u8]) -> Result<Self> {
        let [op, lo, hi, data @ ..] = tx else {
            return Err(EINVAL);
        };
        let addr = u16::from_le_bytes([*lo, *hi]);
        if addr > ADDR_MAX || data.len() > WRITE_MAX {
            return Err(EINVAL);
        }
        let op = match *op {
            OP_WRITE => Op::Write(data),
            OP_READ if data.is_empty() => Op::Read,
            OP_WRITE_READ => Op::WriteRead(data),
            _ => return Err(EINVAL),
        };
        Ok(Self { addr, op })
    }

    /// Writes the frame into `buf` and returns the length it takes.
    ///
    /// Returns `EINVAL` if the address is above [`ADDR_MAX`] or the data exceeds [`WRITE_MAX`]
    /// bytes, so that every frame it writes [`Frame::decode`] accepts.
    pub fn encode(&self, buf: &mut [u8; TRANSFER_MAX]) -> Result<usize> {
        let (op, data): (u8, &[u8]) = match self.op {
            Op::Write(data) => (OP_WRITE, data),
            Op::Read => (OP_READ, &[]),
            Op::WriteRead(data) => (OP_WRITE_READ, data),
        };
        if self.addr > ADDR_MAX {
            return Err(EINVAL);
        }
        let [op_byte, lo, hi, rest @ ..] = buf;
        rest.get_mut(..data.len())
            .ok_or(EINVAL)?
            .copy_from_slice(data);
        *op_byte = op;
        [*lo, *hi] = self.addr.to_le_bytes();
        Ok(HEADER_LEN + data.len())
    }
}
