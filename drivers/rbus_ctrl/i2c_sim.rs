// SPDX-License-Identifier: GPL-2.0

//! The simulated I2C segment behind a tunnel child (`rbus,i2c`): a 24c02-class EEPROM at 0x50
//! and an LM75-class temperature sensor at 0x48. Any other address does not acknowledge, and the
//! transaction fails with `ENXIO`.
//!
//! Transactions arrive as [`i2c_frame`](crate::rbus::i2c_frame) frames through the child-to-bus
//! `transfer` call: a write, a read, or a write then a read with a repeated start.

use crate::rbus::i2c_frame::{
    Frame,
    Op, //
};
use kernel::prelude::*;

/// The EEPROM's address.
pub(crate) const EEPROM_ADDR: u16 = 0x50;

/// The sensor's address.
pub(crate) const SENSOR_ADDR: u16 = 0x48;

/// The EEPROM's size in bytes.
const EEPROM_SIZE: usize = 256;

/// The EEPROM's page size: a write wraps within its page.
const EEPROM_PAGE: u8 = 8;

/// A 24c02: 256 bytes, 8-byte pages, one address pointer.
///
/// A write's first byte sets the pointer and the rest are stored from there, wrapping within the
/// page, as the part's page buffer does; only at a STOP, so a write followed by a repeated START
/// only sets the pointer. A read starts at the pointer and wraps at the end of the
/// memory. Each byte moves the pointer on, so a read continues where the last access stopped.
struct Eeprom {
    mem: [u8; EEPROM_SIZE],
    ptr: u8,
}

impl Eeprom {
    fn write(&mut self, data: &[u8]) {
        let Some((&ptr, bytes)) = data.split_first() else {
            // A write of no byte only addresses the part, as i2cdetect's quick write does.
            return;
        };
        self.ptr = ptr;
        let page = ptr & !(EEPROM_PAGE - 1);
        for &byte in bytes {
            self.mem[usize::from(self.ptr)] = byte;
            self.ptr = page | (self.ptr.wrapping_add(1) & (EEPROM_PAGE - 1));
        }
    }

    fn read(&mut self, rx: &mut [u8]) {
        for byte in rx {
            *byte = self.mem[usize::from(self.ptr)];
            self.ptr = self.ptr.wrapping_add(1);
        }
    }
}

/// The LM75's registers, selected by its pointer register.
const REG_TEMP: u8 = 0;
const REG_CONF: u8 = 1;
const REG_THYST: u8 = 2;
const REG_TOS: u8 = 3;

/// The lowest and highest temperature the sensor reports, in millidegrees Celsius.
pub(crate) const TEMP_MIN: i32 = -55_000;
pub(crate) const TEMP_MAX: i32 = 125_000;

/// A temperature in the LM75's register format: 9 bits of two's complement in half degrees,
/// left-aligned in 16 bits, rounded towards zero.
fn temp_to_reg(millicelsius: i32) -> u16 {
    let half_degrees = millicelsius.clamp(TEMP_MIN, TEMP_MAX) / 500;
    // The shift keeps the sign: -1 half degree is 0xff80.
    (half_degrees << 7) as u16
}

/// An LM75: a read-only temperature, an 8-bit configuration, and the hysteresis and
/// overtemperature thresholds, in the temperature's format (75 and 80 degrees at power-up).
///
/// A write's first byte sets the pointer; further bytes write the register it selects, most
/// significant first, and bytes past its width are ignored. A read returns the selected register,
/// repeating it past its width.
struct Sensor {
    ptr: u8,
    temp: u16,
    conf: u8,
    thyst: u16,
    tos: u16,
}

impl Sensor {
    fn write(&mut self, data: &[u8]) {
        let Some((&ptr, bytes)) = data.split_first() else {
            return;
        };
        // The part decodes the two low pointer bits: registers 4 to 7 mirror 0 to 3, which
        // sensors-detect's LM75 check relies on.
        let ptr = ptr & REG_TOS;
        self.ptr = ptr;
        let word = |old: u16| match bytes {
            [] => old,
            [msb] => (u16::from(*msb) << 8) | (old & 0xff),
            [msb, lsb, ..] => u16::from_be_bytes([*msb, *lsb]),
        };
        match ptr {
            // Bits 7 to 5 are reserved and read as zero.
            REG_CONF => self.conf = bytes.first().map_or(self.conf, |conf| conf & 0x1f),
            // The nine bits the part keeps.
            REG_THYST => self.thyst = word(self.thyst) & 0xff80,
            REG_TOS => self.tos = word(self.tos) & 0xff80,
            // The temperature is read-only.
            _ => {}
        }
    }

    fn read(&self, rx: &mut [u8]) {
        let bytes = match self.ptr {
            REG_TEMP => self.temp.to_be_bytes(),
            REG_CONF => [self.conf, self.conf],
            REG_THYST => self.thyst.to_be_bytes(),
            _ => self.tos.to_be_bytes(),
        };
        let width = if self.ptr == REG_CONF { 1 } else { 2 };
        for (byte, value) in rx.iter_mut().zip(bytes[..width].iter().cycle()) {
            *byte = *value;
        }
    }
}

/// The devices on one tunnel child's segment.
pub(crate) struct I2cSegment {
    eeprom: Eeprom,
    sensor: Sensor,
}

impl I2cSegment {
    /// A segment at power-up: an erased EEPROM (all ones) and a sensor reading 25 degrees.
    pub(crate) fn new() -> Self {
        Self {
            eeprom: Eeprom {
                mem: [0xff; EEPROM_SIZE],
                ptr: 0,
            },
            sensor: Sensor {
                ptr: REG_TEMP,
                temp: temp_to_reg(25_000),
                conf: 0,
                thyst: temp_to_reg(75_000),
                tos: temp_to_reg(80_000),
            },
        }
    }

    /// Sets the sensor's temperature. Returns `EINVAL` outside the part's range.
    pub(crate) fn set_temperature(&mut self, millicelsius: i32) -> Result {
        if !(TEMP_MIN..=TEMP_MAX).contains(&millicelsius) {
            return Err(EINVAL);
        }
        self.sensor.temp = temp_to_reg(millicelsius);
        Ok(())
    }

    /// Carries out the transaction of frame `tx`, reading into `rx`. Returns `ENXIO` when no
    /// device answers at the address, and `EINVAL` for a malformed frame.
    pub(crate) fn transfer(&mut self, tx: &[u8], rx: &mut [u8]) -> Result {
        let frame = Frame::decode(tx)?;
        let (write, read) = match frame.op {
            Op::Write(data) => (Some(data), false),
            Op::Read => (None, true),
            Op::WriteRead(data) => (Some(data), true),
        };
        if read == rx.is_empty() {
            return Err(EINVAL);
        }
        match frame.addr {
            EEPROM_ADDR => {
                match write {
                    // A write cycle starts at STOP: before a repeated START only the pointer
                    // is taken, and the bytes after it are discarded.
                    Some(data) if read => self.eeprom.write(data.get(..1).unwrap_or(&[])),
                    Some(data) => self.eeprom.write(data),
                    None => {}
                }
                if read {
                    self.eeprom.read(rx);
                }
            }
            SENSOR_ADDR => {
                if let Some(data) = write {
                    self.sensor.write(data);
                }
                if read {
                    self.sensor.read(rx);
                }
            }
            _ => return Err(ENXIO),
        }
        Ok(())
    }
}
