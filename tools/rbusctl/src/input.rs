// SPDX-License-Identifier: GPL-2.0

//! What users type: bytes, batch files, child names and durations.

use std::time::Duration;

use rbus::{ChildName, Request};

/// Parses bytes written as hex, separated by blanks or commas: `12 34`, `0x12,0x34`.
///
/// Each byte is one or two hex digits, with an optional `0x`. An empty or blank string is no
/// bytes.
pub fn parse_bytes(s: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for token in s.split(|c: char| c.is_whitespace() || c == ',') {
        if token.is_empty() {
            continue;
        }
        let digits = token
            .strip_prefix("0x")
            .or_else(|| token.strip_prefix("0X"))
            .unwrap_or(token);
        if digits.is_empty() || digits.len() > 2 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "bad byte {token:?}: bytes are 1 or 2 hex digits, such as \"12 34\" or 0x12,0x34"
            ));
        }
        // At most two hex digits: always a byte.
        bytes.push(u8::from_str_radix(digits, 16).map_err(|e| e.to_string())?);
    }
    Ok(bytes)
}

/// Parses a batch: one request per line, the bytes to write, then optionally `read N`.
///
/// Blank lines and `#` comments are skipped. Requests get ids 1, 2, 3... in line order.
///
/// ```text
/// # write 12 34, read 4 back
/// 12 34 read 4
/// ff read 1
/// 01 02 03
/// ```
pub fn parse_batch(text: &str) -> Result<Vec<Request>, String> {
    let mut requests = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: String| format!("line {}: {e}", n + 1);
        let (write, read) = match line.find("read") {
            Some(i) => {
                let count = line[i + 4..].trim();
                let read = count
                    .parse::<usize>()
                    .map_err(|_| at(format!("bad read count {count:?}: a number of bytes")))?;
                (&line[..i], read)
            }
            None => (line, 0),
        };
        let bytes = parse_bytes(write).map_err(at)?;
        let id = requests.len() as u64 + 1;
        requests.push(Request::transfer(id, &bytes, read).map_err(|e| at(e.to_string()))?);
    }
    if requests.is_empty() {
        return Err("no requests: one per line, such as \"12 34 read 4\"".into());
    }
    Ok(requests)
}

/// Parses a child: its name (`0-0040`), its char device's name (`rbus-0-0040`) or path
/// (`/dev/rbus-0-0040`), or its sysfs directory (`/sys/bus/rbus/devices/0-0040`).
pub fn parse_child(s: &str) -> Result<ChildName, String> {
    let base = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
    let name = base.strip_prefix("rbus-").unwrap_or(base);
    name.parse::<ChildName>().map_err(|_| {
        format!("{s:?} is not a child: give its name, <bus>-<hex address> such as 0-0040")
    })
}

/// The longest duration taken: a year, far from where adding it to a clock reading overflows.
const SECONDS_MAX: f64 = 365.0 * 86400.0;

/// Parses a duration in seconds, with decimals: `10`, `0.5`; more than zero, at most a year.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a number of seconds above 0, at most {SECONDS_MAX}");
    let secs: f64 = s.parse().map_err(|_| bad())?;
    if !(secs > 0.0 && secs <= SECONDS_MAX) {
        return Err(bad());
    }
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

/// Parses a compatible string as `new_device` takes it: 1 to 63 printable characters, no blanks.
pub fn parse_compatible(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 63 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "{s:?} is not a compatible: 1 to 63 printable characters, no blanks"
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("12 34").unwrap(), [0x12, 0x34]);
        assert_eq!(parse_bytes("0x12,0X3, f ").unwrap(), [0x12, 0x03, 0x0f]);
        assert_eq!(parse_bytes("").unwrap(), [0u8; 0]);
        for bad in ["zz", "123", "0x", "1 2 g", "-1", "0x123", "12;34"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?}");
        }
        assert!(parse_bytes("zz").unwrap_err().contains("\"zz\""));
    }

    #[test]
    fn batch() {
        let reqs = parse_batch("# c\n12 34 read 4\n\nff read 1 # one\n01 02\n").unwrap();
        assert_eq!(reqs.len(), 3);
        assert_eq!(
            (reqs[0].id(), reqs[0].write(), reqs[0].read_len()),
            (1, &[0x12u8, 0x34][..], 4)
        );
        assert_eq!(
            (reqs[1].id(), reqs[1].write(), reqs[1].read_len()),
            (2, &[0xffu8][..], 1)
        );
        assert_eq!((reqs[2].id(), reqs[2].read_len()), (3, 0));
        assert_eq!(
            parse_batch("12\nzz read 1").unwrap_err().split(':').next(),
            Some("line 2")
        );
        assert!(parse_batch("12 read x")
            .unwrap_err()
            .starts_with("line 1: bad read count"));
        assert!(parse_batch("12 read 65")
            .unwrap_err()
            .contains("at most 64"));
        assert!(parse_batch("# nothing\n").is_err());
    }

    #[test]
    fn children() {
        let n = parse_child("0-0040").unwrap();
        assert_eq!(parse_child("/dev/rbus-0-0040").unwrap(), n);
        assert_eq!(parse_child("rbus-0-40").unwrap(), n);
        assert_eq!(parse_child("/sys/bus/rbus/devices/0-0040/").unwrap(), n);
        assert!(parse_child("foo").is_err());
        assert!(parse_child("0-0400").is_err());
    }

    #[test]
    fn seconds_and_compatibles() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("1e18").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_seconds("x").is_err());
        assert!(parse_compatible("rbus,user").is_ok());
        assert!(parse_compatible("a b").is_err());
        assert!(parse_compatible(&"x".repeat(64)).is_err());
    }
}
