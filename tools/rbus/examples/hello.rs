// SPDX-License-Identifier: GPL-2.0

//! A user-mode child driver in a page, on the `rbus` library: open a child's
//! channel, submit two transfers, poll, and read their records. The twin of
//! `examples/rbus_hello.c`, and its output is the same.
//!
//!   echo rbus_dev >/sys/bus/rbus/devices/0-0050/driver_override   (or compatible "rbus,user")
//!   hello /dev/rbus-0-0050

use std::process::ExitCode;
use std::time::Duration;

use rbus::{error::strerror, Channel, Record, Request};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, path] = args.as_slice() else {
        eprintln!("usage: hello /dev/rbus-<bus>-<addr>");
        return ExitCode::from(2);
    };
    match run(path) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the two transfers; the number of records still missing.
fn run(path: &str) -> rbus::Result<usize> {
    let channel = Channel::open_path(path, true)?;
    let requests = [
        Request::transfer(1, &[0x12, 0x34], 4)?,
        Request::transfer(2, &[0xff], 1)?,
    ];
    let mut left = channel.submit(&requests)?;
    while left > 0 {
        let ready = channel.poll(false, Some(Duration::from_secs(5)))?;
        if !ready.readable || ready.hangup {
            break;
        }
        for record in channel.read()? {
            if let Record::Completion(c) = record {
                print_completion(c.id, c.status, &c.data);
                left -= 1;
            }
        }
    }
    Ok(left)
}

fn print_completion(id: u64, status: i32, data: &[u8]) {
    let status = match status {
        0 => "ok".to_string(),
        s => strerror(rbus::Errno::from_raw_os_error(s.saturating_neg())),
    };
    let bytes: String = data.iter().map(|b| format!(" {b:02x}")).collect();
    println!("request {id}: {status}, {} bytes:{bytes}", data.len());
}
