// SPDX-License-Identifier: GPL-2.0

//! A wait queue that blocking calls and `poll()` share.
//!
//! C header: [`include/linux/wait.h`](srctree/include/linux/wait.h)
//!
//! 7.3's [`kernel::sync::CondVar`] waits with a lock guard and cannot be polled, and its
//! `PollCondVar` waits for an RCU grace period when it is dropped, which a queue freed on every
//! `close()` cannot afford. A [`WaitQueue`] that lives as long as the files polling it needs no
//! such grace period: the VFS removes a file's poll entries before its `release`. So this is the
//! C idiom, `wait_event_interruptible()` and `poll_wait()` on one `wait_queue_head`, in Rust.

use kernel::{
    bindings,
    prelude::*,
    sync::LockClassKey,
    types::Opaque, //
};

use core::ptr;

/// A `struct wait_queue_head`.
///
/// # Invariants
///
/// `head` is an initialized wait queue head.
#[pin_data]
pub(crate) struct WaitQueue {
    #[pin]
    head: Opaque<bindings::wait_queue_head>,
}

// SAFETY: A wait queue head is made to be used from any thread; it has its own lock.
unsafe impl Send for WaitQueue {}

// SAFETY: As above, every operation on it may run concurrently.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// Creates a wait queue whose lock has the class `key`.
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: `__init_waitqueue_head()` initializes it.
            //
            // SAFETY: `slot` is valid for writes, and `name` and `key` are static.
            head <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }

    /// The `struct wait_queue_head`.
    #[inline(always)]
    fn raw(&self) -> *mut bindings::wait_queue_head {
        // CAST: `Opaque<T>` is `repr(transparent)` over `T`; `Opaque::get()` is a call at `-Os`.
        ptr::from_ref(&self.head).cast_mut().cast()
    }

    /// Whether anyone waits: `waitqueue_active()`. Only meaningful when the waiters check their
    /// condition under a lock the caller holds, as `waitqueue_active()` documents.
    ///
    /// Inline, as in C: `!list_empty(&wq_head->head)`, one load.
    #[inline(always)]
    pub(crate) fn active(&self) -> bool {
        let head = self.raw();
        // SAFETY: By the type invariants `head` is initialized. Its list is changed under its own
        // lock, which `waitqueue_active()` does not take either: `READ_ONCE()` of `next`.
        let next = unsafe { ptr::read_volatile(&raw const (*head).head.next) };
        // SAFETY: As above.
        !ptr::eq(next, unsafe { &raw const (*head).head })
    }

    /// Wakes every waiter and poller, with `mask` as the poll key: `wake_up_poll()`.
    pub(crate) fn wake_up_poll(&self, mask: u32) {
        // `poll_to_key()`: the mask travels as the key's pointer value.
        let key = mask as usize as *mut c_void;
        // SAFETY: By the type invariants `head` is initialized. `TASK_NORMAL` and one exclusive
        // waiter are what `wake_up_poll()` passes; nobody waits exclusively here.
        unsafe { bindings::__wake_up(self.raw(), bindings::TASK_NORMAL, 1, key) };
    }

    /// Waits until `cond` holds, or a signal is pending: `wait_event_interruptible()`.
    ///
    /// `cond` takes whatever lock it needs itself; a waker changes what `cond` reads, then calls
    /// [`WaitQueue::wake_up_poll`]. Fails with `ERESTARTSYS` on a signal.
    pub(crate) fn wait_interruptible(&self, mut cond: impl FnMut() -> bool) -> Result {
        if cond() {
            return Ok(());
        }
        let wait = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `wait` is valid for writes, and stays in place until `finish_wait()`.
        unsafe { bindings::init_wait(wait.get()) };
        let ret = loop {
            // SAFETY: By the type invariants `head` is initialized, and `wait` is.
            unsafe {
                bindings::prepare_to_wait(
                    self.raw(),
                    wait.get(),
                    bindings::TASK_INTERRUPTIBLE as c_int,
                )
            };
            if cond() {
                break Ok(());
            }
            if kernel::current!().signal_pending() {
                break Err(ERESTARTSYS);
            }
            // SAFETY: Sleeps until woken; `wait` is on the queue, so a wake-up is not missed.
            unsafe { bindings::schedule() };
        };
        // SAFETY: `wait` was added by `prepare_to_wait()`, and leaves the queue here.
        unsafe { bindings::finish_wait(self.raw(), wait.get()) };
        ret
    }

    /// Adds the poll in progress on `file` to the waiters: `poll_wait()`.
    ///
    /// # Safety
    ///
    /// `file` and `table` must be those of a `poll()` in progress, and the queue must live until
    /// that file is released.
    pub(crate) unsafe fn poll_wait(
        &self,
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) {
        // SAFETY: By the safety requirements; `head` is initialized by the type invariants.
        unsafe { bindings::poll_wait(file, self.raw(), table) };
    }
}
