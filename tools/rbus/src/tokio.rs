// SPDX-License-Identifier: GPL-2.0

//! Async submit and read on tokio's reactor.
//!
//! [`AsyncChannel`] puts a [`Channel`] in non-blocking mode and registers it
//! with `tokio::io::unix::AsyncFd`: `read()` waits for `POLLIN` (or
//! `POLLHUP`, after which it returns the records left and then `ENODEV`),
//! and `submit()` waits for `POLLOUT` while the child's queue is full.

use ::tokio::io::unix::AsyncFd;
use ::tokio::io::Interest;

use crate::error::{Errno, Error, Result};
use crate::{Channel, Record, Request};

/// A [`Channel`] on tokio's reactor. It needs a runtime with I/O enabled.
#[derive(Debug)]
pub struct AsyncChannel {
    fd: AsyncFd<Channel>,
}

impl AsyncChannel {
    /// Makes `channel` non-blocking and registers it with the current runtime.
    ///
    /// # Panics
    ///
    /// As `AsyncFd`, if called outside a tokio runtime with I/O enabled.
    pub fn new(channel: Channel) -> Result<Self> {
        channel.set_nonblocking(true)?;
        let path = channel.path().display().to_string();
        // SAFETY: `Channel` owns its file descriptor and never closes or replaces it while it
        // lives, so `as_raw_fd()` is the same open descriptor until the `AsyncFd` is dropped.
        let fd = unsafe {
            AsyncFd::register_with_interest(channel, Interest::READABLE | Interest::WRITABLE)
        }
        .map_err(|e| Error::from_io(format!("registering {path} with tokio"), &e.into()))?;
        Ok(Self { fd })
    }

    /// Opens the channel of a child by name or path, as [`Channel::open`], non-blocking.
    pub fn open(dev: &str) -> Result<Self> {
        Self::new(Channel::open_path(
            crate::channel::channel_path(dev)?,
            true,
        )?)
    }

    /// The channel.
    pub fn get_ref(&self) -> &Channel {
        self.fd.get_ref()
    }

    /// Submits a batch, waiting while the child's queue is full; returns how many were
    /// queued, which may be fewer than asked when the queue filled up meanwhile.
    pub async fn submit(&self, requests: &[Request]) -> Result<usize> {
        loop {
            let mut guard = self.fd.writable().await.map_err(|e| self.io_error(&e))?;
            match self.get_ref().submit(requests) {
                Err(e) if e.errno() == Errno::AGAIN => guard.clear_ready(),
                result => return result,
            }
        }
    }

    /// Waits for records and reads those that are ready, up to 64.
    pub async fn read(&self) -> Result<Vec<Record>> {
        loop {
            let mut guard = self.fd.readable().await.map_err(|e| self.io_error(&e))?;
            let records = self.get_ref().read()?;
            if !records.is_empty() {
                return Ok(records);
            }
            guard.clear_ready();
        }
    }

    fn io_error(&self, e: &std::io::Error) -> Error {
        Error::from_io(format!("waiting on {}", self.get_ref().path().display()), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{uapi, Event};

    #[test]
    fn read_waits_on_the_reactor() {
        let rt = ::tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let mut raw = uapi::rbus_record::ZERO;
        raw.type_ = uapi::RECORD_EVENT;
        raw.id = 5;
        raw.kind = 1;
        let (ch, writer) = crate::channel::tests::pipe_with_record(raw);
        rt.block_on(async {
            let ch = AsyncChannel::new(ch).unwrap();
            let records = ch.read().await.unwrap();
            assert_eq!(
                records,
                [Record::Event(Event {
                    seq: 5,
                    kind: 1,
                    payload: 0
                })]
            );
            // With the writer gone a read finds the end of the file: no records.
            drop(writer);
            let e = ch.get_ref().read().unwrap();
            assert!(e.is_empty());
        });
    }
}
