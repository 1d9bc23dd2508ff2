// SPDX-License-Identifier: GPL-2.0

//! The controller's `new_device` and `delete_device` files, like i2c's, and its debugfs files.
//!
//! `new_device` takes `"<addr> <compatible>"`, `delete_device` takes `"<addr>"`, each with an
//! optional trailing newline. Addresses parse with base 0 (`0x2a`, `052` and `42` are one
//! address) and range over 0 to [`rbus::ADDR_MAX`]. Parsing is strict: anything else is `EINVAL`
//! and changes nothing.

use super::children::Children;
use crate::rbus;
use kernel::prelude::*;

/// The longest compatible, without its NUL.
const COMPATIBLE_MAX: usize = 63;

/// Strips one trailing newline, as `echo` adds.
fn line(input: &[u8]) -> &[u8] {
    input.strip_suffix(b"\n").unwrap_or(input)
}

/// Parses a number with base 0, as `kstrtou64(s, 0, ...)` does without a sign: `0x` hex, a
/// leading `0` octal, else decimal.
fn parse_number(s: &[u8]) -> Result<u64> {
    let (digits, radix) = if let Some(hex) = s.strip_prefix(b"0x").or(s.strip_prefix(b"0X")) {
        (hex, 16)
    } else if s.len() > 1 && s.first() == Some(&b'0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return Err(EINVAL);
    }
    digits.iter().try_fold(0u64, |value, &c| {
        let digit = char::from(c).to_digit(radix).ok_or(EINVAL)?;
        value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(digit)))
            .ok_or(EINVAL)
    })
}

/// Parses a signed 32-bit number with base 0: [`parse_number`] after an optional `-`.
fn parse_i32(s: &[u8]) -> Result<i32> {
    match s.strip_prefix(b"-") {
        Some(magnitude) => {
            let magnitude = i64::try_from(parse_number(magnitude)?).map_err(|_| EINVAL)?;
            i32::try_from(-magnitude).map_err(|_| EINVAL)
        }
        None => i32::try_from(parse_number(s)?).map_err(|_| EINVAL),
    }
}

/// Parses a 32-bit number with base 0.
fn parse_u32(s: &[u8]) -> Result<u32> {
    u32::try_from(parse_number(s)?).map_err(|_| EINVAL)
}

/// Parses an address with base 0, then checks its range.
pub(crate) fn parse_addr(s: &[u8]) -> Result<u32> {
    match u32::try_from(parse_number(s)?) {
        Ok(addr) if addr <= rbus::ADDR_MAX => Ok(addr),
        _ => Err(EINVAL),
    }
}

/// Checks a compatible string: 1 to 63 printable characters, no blanks.
fn check_compatible(s: &[u8]) -> Result {
    if s.is_empty() || s.len() > COMPATIBLE_MAX || !s.iter().all(|c| c.is_ascii_graphic()) {
        return Err(EINVAL);
    }
    Ok(())
}

/// The host's files: `new_device` adds a child, `delete_device` removes one.
impl rbus::Control for Children {
    fn new_device(&self, input: &[u8]) -> Result {
        let input = line(input);
        let space = input.iter().position(|&c| c == b' ').ok_or(EINVAL)?;
        let addr = parse_addr(&input[..space])?;
        let compatible = &input[space + 1..];
        check_compatible(compatible)?;

        let mut buf = [0u8; COMPATIBLE_MAX + 1];
        buf[..compatible.len()].copy_from_slice(compatible);
        let compatible =
            CStr::from_bytes_with_nul(&buf[..=compatible.len()]).map_err(|_| EINVAL)?;

        self.add(addr, compatible, None)
    }

    fn delete_device(&self, input: &[u8]) -> Result {
        self.delete(parse_addr(line(input))?)
    }
}

/// Handles a write to the debugfs file `raise`: `"<addr> <kind> <payload>"` raises one event at
/// that child, synchronously, and fails with the delivery's errno.
pub(crate) fn raise(children: &Children, input: &[u8]) -> Result {
    let mut words = line(input).split(|&c| c == b' ');
    let addr = parse_addr(words.next().ok_or(EINVAL)?)?;
    let kind = u32::try_from(parse_number(words.next().ok_or(EINVAL)?)?).map_err(|_| EINVAL)?;
    let payload = parse_number(words.next().ok_or(EINVAL)?)?;
    if words.next().is_some() {
        return Err(EINVAL);
    }
    children.raise(addr, kind, payload)
}

/// Handles a write to the debugfs file `storm`: `"<addr> <kind> <rate>"` has the ticker raise
/// `kind` events at that child at `rate` per second, up to
/// [`children::STORM_RATE_MAX`](super::children::STORM_RATE_MAX); rate 0 stops it. Returns
/// whether a storm now runs, so the caller starts the ticker.
pub(crate) fn storm(children: &Children, input: &[u8]) -> Result<bool> {
    let mut words = line(input).split(|&c| c == b' ');
    let addr = parse_addr(words.next().ok_or(EINVAL)?)?;
    let kind = u32::try_from(parse_number(words.next().ok_or(EINVAL)?)?).map_err(|_| EINVAL)?;
    let rate = u32::try_from(parse_number(words.next().ok_or(EINVAL)?)?).map_err(|_| EINVAL)?;
    if words.next().is_some() {
        return Err(EINVAL);
    }
    children.set_storm(addr, kind, rate)?;
    Ok(rate > 0)
}

/// Handles a write to the debugfs file `temperature`: `"<addr> <millicelsius>"` sets the
/// temperature of the sensor behind the tunnel child at that address.
pub(crate) fn temperature(children: &Children, input: &[u8]) -> Result {
    let mut words = line(input).split(|&c| c == b' ');
    let addr = parse_addr(words.next().ok_or(EINVAL)?)?;
    let millicelsius = parse_i32(words.next().ok_or(EINVAL)?)?;
    if words.next().is_some() {
        return Err(EINVAL);
    }
    children.set_temperature(addr, millicelsius)
}

/// Handles a write to the debugfs file `requests`: `"<addr> <latency-us> <errno> [<stall-us>]"`
/// sets the child's request latency, the errno its requests fail with (0: none) and how long the
/// simulated device stalls before each answer that waited out the latency (default 0).
pub(crate) fn requests(children: &Children, input: &[u8]) -> Result {
    let mut words = line(input).split(|&c| c == b' ');
    let mut next = || -> Result<u32> { parse_u32(words.next().ok_or(EINVAL)?) };
    let addr = next()?;
    let latency = next()?;
    let fault = next()?;
    let stall = words.next().map_or(Ok(0), parse_u32)?;
    if words.next().is_some() {
        return Err(EINVAL);
    }
    if addr > rbus::ADDR_MAX {
        return Err(EINVAL);
    }
    children.set_requests(addr, latency, fault, stall)
}
