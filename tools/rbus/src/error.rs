// SPDX-License-Identifier: GPL-2.0

//! Errors: what was being done, and the errno it failed with.

use core::fmt;

pub use rustix::io::Errno;

/// An error of the library: the action that failed and its errno.
///
/// It displays as one line, e.g. `writing "0x40 rbus,user" to
/// /sys/devices/.../rbus0/new_device: Device or resource busy (EBUSY)`.
/// Arguments the library refuses before any system call (a request too long,
/// a malformed child name) carry `EINVAL`, as the kernel would.
#[derive(Debug, thiserror::Error)]
#[error("{action}: {}", ErrnoText(*errno))]
pub struct Error {
    action: String,
    errno: Errno,
}

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// An error of `action` with `errno`.
    pub fn new(action: impl Into<String>, errno: Errno) -> Self {
        Self {
            action: action.into(),
            errno,
        }
    }

    /// An error of `action` from a standard I/O error; one without an errno counts as `EIO`.
    pub fn from_io(action: impl Into<String>, err: &std::io::Error) -> Self {
        let errno = err
            .raw_os_error()
            .map_or(Errno::IO, Errno::from_raw_os_error);
        Self::new(action, errno)
    }

    /// The errno.
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// What was being done.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The same error, with more context in front of its action.
    pub fn context(self, what: impl fmt::Display) -> Self {
        Self {
            action: format!("{what}: {}", self.action),
            errno: self.errno,
        }
    }
}

/// An errno as `strerror()` text and its name: `No such device (ENODEV)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrnoText(pub Errno);

impl fmt::Display for ErrnoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.raw_os_error();
        let text = strerror(self.0);
        match errno_name(self.0) {
            Some(name) => write!(f, "{text} ({name})"),
            None => write!(f, "{text} (errno {raw})"),
        }
    }
}

/// The C library's text of an errno, as `strerror()` gives it: `No such device`.
pub fn strerror(errno: Errno) -> String {
    let raw = errno.raw_os_error();
    // std's text is `strerror()`'s followed by ` (os error N)`.
    let text = std::io::Error::from_raw_os_error(raw).to_string();
    match text.strip_suffix(&format!(" (os error {raw})")) {
        Some(t) => t.to_string(),
        None => text,
    }
}

/// The symbolic name of the errnos rbus and sysfs give.
pub fn errno_name(errno: Errno) -> Option<&'static str> {
    const NAMES: &[(Errno, &str)] = &[
        (Errno::PERM, "EPERM"),
        (Errno::NOENT, "ENOENT"),
        (Errno::SRCH, "ESRCH"),
        (Errno::INTR, "EINTR"),
        (Errno::IO, "EIO"),
        (Errno::NXIO, "ENXIO"),
        (Errno::TOOBIG, "E2BIG"),
        (Errno::BADF, "EBADF"),
        (Errno::AGAIN, "EAGAIN"),
        (Errno::NOMEM, "ENOMEM"),
        (Errno::ACCESS, "EACCES"),
        (Errno::FAULT, "EFAULT"),
        (Errno::BUSY, "EBUSY"),
        (Errno::EXIST, "EEXIST"),
        (Errno::NODEV, "ENODEV"),
        (Errno::NOTDIR, "ENOTDIR"),
        (Errno::ISDIR, "EISDIR"),
        (Errno::INVAL, "EINVAL"),
        (Errno::NOTTY, "ENOTTY"),
        (Errno::NOSPC, "ENOSPC"),
        (Errno::ROFS, "EROFS"),
        (Errno::PIPE, "EPIPE"),
        (Errno::RANGE, "ERANGE"),
        (Errno::NOSYS, "ENOSYS"),
        (Errno::NOMSG, "ENOMSG"),
        (Errno::PROTO, "EPROTO"),
        (Errno::OPNOTSUPP, "EOPNOTSUPP"),
        (Errno::TIMEDOUT, "ETIMEDOUT"),
        (Errno::ALREADY, "EALREADY"),
        (Errno::CANCELED, "ECANCELED"),
    ];
    NAMES.iter().find(|(e, _)| *e == errno).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_with_errno_text_and_name() {
        let e = Error::new("opening /dev/rbus-0-0040", Errno::NODEV);
        assert_eq!(
            e.to_string(),
            "opening /dev/rbus-0-0040: No such device (ENODEV)"
        );
        assert_eq!(e.errno(), Errno::NODEV);
        let e = e.context("transfer on 0-0040");
        assert_eq!(
            e.to_string(),
            "transfer on 0-0040: opening /dev/rbus-0-0040: No such device (ENODEV)"
        );
    }

    #[test]
    fn unnamed_errno_shows_its_number() {
        let text = ErrnoText(Errno::from_raw_os_error(200)).to_string();
        assert!(text.ends_with("(errno 200)"), "{text}");
    }

    #[test]
    fn io_errors_keep_their_errno() {
        let io = std::io::Error::from_raw_os_error(16);
        assert_eq!(Error::from_io("x", &io).errno(), Errno::BUSY);
        let io = std::io::Error::other("no errno");
        assert_eq!(Error::from_io("x", &io).errno(), Errno::IO);
    }
}
