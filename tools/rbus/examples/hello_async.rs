// SPDX-License-Identifier: GPL-2.0

//! `hello` on tokio: the same two transfers through `rbus::tokio::AsyncChannel`,
//! on a current-thread runtime. Its output is the same as `hello`'s.
//!
//!   hello_async /dev/rbus-0-0050

use std::process::ExitCode;
use std::time::Duration;

use rbus::tokio::AsyncChannel;
use rbus::{error::strerror, Channel, Record, Request};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, path] = args.as_slice() else {
        eprintln!("usage: hello_async /dev/rbus-<bus>-<addr>");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("starting the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(path)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the two transfers; the number of records still missing.
async fn run(path: &str) -> rbus::Result<usize> {
    let channel = AsyncChannel::new(Channel::open_path(path, true)?)?;
    let requests = [
        Request::transfer(1, &[0x12, 0x34], 4)?,
        Request::transfer(2, &[0xff], 1)?,
    ];
    let mut left = channel.submit(&requests).await?;
    while left > 0 {
        // As the C example's poll(): give up after 5 s without a record.
        let Ok(records) = tokio::time::timeout(Duration::from_secs(5), channel.read()).await else {
            break;
        };
        for record in records? {
            if let Record::Completion(c) = record {
                let status = match c.result() {
                    Ok(_) => "ok".to_string(),
                    Err(errno) => strerror(errno),
                };
                let bytes: String = c.data.iter().map(|b| format!(" {b:02x}")).collect();
                println!("request {}: {status}, {} bytes:{bytes}", c.id, c.data.len());
                left -= 1;
            }
        }
    }
    Ok(left)
}
