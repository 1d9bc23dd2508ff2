// SPDX-License-Identifier: GPL-2.0

//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rbus::uapi::DATA_MAX;
use rbus::ChildName;

use crate::input::{parse_bytes, parse_child, parse_compatible, parse_seconds};

const EXIT_CODES: &str = "\
Exit status:
  0    success
  1    the operation failed: an errno from the kernel or sysfs, no such child or controller, a request completed with an error, a timeout, the device removed during `watch`
  2    usage: bad arguments, malformed bytes or batch lines
  130  interrupted by SIGINT (a shell's status for a program it killed)

Errors are one line on stderr: `rbusctl: <what was being done>: <errno text> (<ERRNO>)`.";

/// List, add, bind and drive the children of rbus controllers.
///
/// CHILD is a child's name, <bus>-<hex address> such as 0-0040; its char
/// device's path (/dev/rbus-0-0040) is taken too.
#[derive(Debug, Parser)]
#[command(name = "rbusctl", version, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// Print JSON instead of tables: one document, or one object per line for `transfer`,
    /// `submit`, `watch` and `stats`.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// A child argument.
#[derive(Clone, Copy, Debug)]
pub struct Child(pub ChildName);

fn child(s: &str) -> Result<Child, String> {
    parse_child(s).map(Child)
}

/// A `--write` argument.
#[derive(Clone, Debug)]
pub struct Bytes(pub Vec<u8>);

fn bytes(s: &str) -> Result<Bytes, String> {
    let b = parse_bytes(s)?;
    if b.len() > DATA_MAX {
        return Err(format!("{} bytes, at most {DATA_MAX}", b.len()));
    }
    Ok(Bytes(b))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the controllers, then the children: address, compatible, driver, runtime PM
    /// state, counters, channel and I2C adapter.
    List,

    /// Add a child through its controller's `new_device`.
    Add {
        /// The child to add, such as 0-0040; its bus number picks the controller.
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
        /// Its compatible string, such as rbus,user or rbus,demo.
        #[arg(value_parser = parse_compatible)]
        compatible: String,
        /// Wait until a driver is bound, and its channel exists if that is rbus_dev.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits, in seconds.
        #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
        timeout: Duration,
    },

    /// Remove a child through its controller's `delete_device`.
    Remove {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
    },

    /// Bind a child to a driver (the driver's `bind` file).
    Bind {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
        /// The rbus driver: rbus_dev, rbus_demo, rbus_i2c...
        driver: String,
    },

    /// Unbind a child from its driver.
    Unbind {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
    },

    /// Switch a child to the user-mode driver rbus_dev (`driver_override`, unbind, bind),
    /// or back to a kernel driver with --off.
    User {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
        /// Clear `driver_override`, unbind rbus_dev and let the bus find the kernel driver.
        #[arg(long)]
        off: bool,
    },

    /// Show one child: sysfs attributes, counters, its channel's RBUS_IOC_INFO and its I2C
    /// adapter.
    Info {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
    },

    /// One synchronous round trip: write bytes, read some back.
    Transfer {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
        /// The bytes to write, in hex: "12 34" or 0x12,0x34; at most 64.
        #[arg(long, value_name = "BYTES", value_parser = bytes)]
        write: Bytes,
        /// How many bytes to read back, at most 64.
        #[arg(long, value_name = "N", default_value_t = 0,
              value_parser = clap::value_parser!(u32).range(0..=DATA_MAX as i64))]
        read: u32,
        /// How long to wait for the completion, in seconds.
        #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
        timeout: Duration,
    },

    /// Submit a batch of requests and print their completions.
    ///
    /// One request per line: the bytes to write in hex, then optionally `read N`, such as
    /// `12 34 read 4`. `#` starts a comment. Requests get ids 1, 2, 3... in line order.
    Submit {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
        /// The batch file; `-` or none reads standard input.
        file: Option<PathBuf>,
        /// How long to wait for all completions, in seconds.
        #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
        timeout: Duration,
    },

    /// Stream a child's device events (and the completions of --submit) until interrupted.
    ///
    /// Fails once the device is removed or its driver unbound, after the records left.
    Watch {
        /// The child, such as 0-0040.
        #[arg(value_parser = child)]
        child: Child,
        /// Stop after this many records.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
        duration: Option<Duration>,
        /// Submit this batch first (as `submit`), so its completions are streamed too.
        #[arg(long, value_name = "FILE")]
        submit: Option<PathBuf>,
    },

    /// Show the counters of every child, or of the children named.
    ///
    /// With --interval, again every interval: the first table has the totals, each later
    /// one the change over the interval (`events_pending` and `requests_in_flight` are
    /// levels and stay as they are). JSON samples always carry the totals.
    Stats {
        /// The children, such as 0-0040; none means all.
        #[arg(value_parser = child)]
        children: Vec<Child>,
        /// Repeat every SECS seconds until interrupted.
        #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
        interval: Option<Duration>,
        /// Stop after this many samples.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },

    /// Print the man page (roff), or write one per command into a directory.
    #[command(hide = true)]
    Man {
        /// Write rbusctl.1 and rbusctl-<command>.1 here.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}
