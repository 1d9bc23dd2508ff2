// SPDX-License-Identifier: GPL-2.0

//! Cancelling requests: a request the device has not answered yet is
//! cancelled, and its one record carries `-ECANCELED`; a cancel of a request
//! the channel does not have fails with `ENOENT`.
//!
//! Make the simulated device slow first, so the request is still pending:
//!
//!   echo "0x40 2000000 0" >/sys/kernel/debug/rbus0/requests
//!   cancel /dev/rbus-0-0040

use std::process::ExitCode;
use std::time::Duration;

use rbus::{Channel, ErrnoText, Record, Request};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, path] = args.as_slice() else {
        eprintln!("usage: cancel /dev/rbus-<bus>-<addr>");
        return ExitCode::from(2);
    };
    match run(path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str) -> rbus::Result<()> {
    let channel = Channel::open_path(path, true)?;
    channel.submit_one(&Request::transfer(7, &[0x12], 1)?)?;
    println!("cancel 7: {:?}", channel.cancel(7)?);
    // Exactly one record, at once: the cancel completed the request.
    if channel.poll(false, Some(Duration::from_secs(1)))?.readable {
        for record in channel.read()? {
            if let Record::Completion(c) = record {
                match c.result() {
                    Ok(data) => println!("request {}: ok, {data:02x?}", c.id),
                    Err(errno) => println!("request {}: {}", c.id, ErrnoText(errno)),
                }
            }
        }
    }
    match channel.cancel(99) {
        Ok(outcome) => println!("cancel 99: {outcome:?}"),
        Err(e) => println!("cancel 99: {}", ErrnoText(e.errno())),
    }
    Ok(())
}
