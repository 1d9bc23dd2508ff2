// SPDX-License-Identifier: GPL-2.0

//! User-mode child drivers for rbus.
//!
//! A child bound to the generic driver `rbus_dev` has a char device,
//! `/dev/rbus-<bus>-<addr>`, whose open files are asynchronous request
//! channels (`include/uapi/linux/rbus.h`). This crate wraps them in a safe,
//! typed API:
//!
//! - [`Channel`]: open a child's channel by name or path, get its [`Info`],
//!   submit one [`Request`] or a batch, read [`Record`]s (a [`Completion`]
//!   or an [`Event`]), cancel, and wait with [`Channel::poll`];
//! - [`sysfs`]: the bus's controllers and children, their drivers and
//!   counters, and adding, removing, binding and unbinding children;
//! - with the `tokio` feature, [`tokio::AsyncChannel`]: submit and read on
//!   `tokio::io::unix::AsyncFd`.
//!
//! Every error is an [`Error`]: the errno and what was being done.
//!
//! ```no_run
//! use rbus::{Channel, Record, Request};
//!
//! let ch = Channel::open("0-0040")?;
//! ch.submit(&[Request::transfer(1, &[0x12, 0x34], 4)?])?;
//! for record in ch.read()? {
//!     if let Record::Completion(c) = record {
//!         println!("request {}: {:02x?}", c.id, c.result());
//!     }
//! }
//! # Ok::<(), rbus::Error>(())
//! ```

pub mod channel;
pub mod error;
pub mod sysfs;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod uapi;

pub use channel::{Cancel, Channel, Completion, Event, Info, Readiness, Record, Request};
pub use error::{Errno, ErrnoText, Error, Result};
pub use sysfs::{ChildName, Sysfs};
