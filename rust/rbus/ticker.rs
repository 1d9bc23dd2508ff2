// SPDX-License-Identifier: GPL-2.0

//! A self-rearming delayed work item that is cancelled on drop.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)
//!
//! 7.3's `kernel::workqueue::DelayedWork` hands an `Arc` to the work item and has no cancel, so an
//! item that re-arms itself outlives its owner. A [`Ticker`] is owned and pinned instead: it runs
//! [`Tick::tick`] in process context on the unbound system workqueue, re-arms itself as long as
//! `tick` asks, and its drop calls `cancel_delayed_work_sync()`, which also stops an item that
//! re-arms itself. Once the drop returns, `tick` is not running and will not run again.
//!
//! Build one with [`new_ticker!`](crate::new_ticker), which gives each call site its own lockdep
//! classes, as `new_work!` does: a ticker whose work takes a lock must not share a class with one
//! that is cancelled under that lock.

use kernel::{
    bindings,
    ffi::c_int,
    prelude::*,
    sync::LockClassKey,
    time::Jiffies,
    types::Opaque, //
};

/// The work a [`Ticker`] does.
pub trait Tick: Send + Sync {
    /// Does one round of work, in process context; may sleep. Returns the delay until the next
    /// round, or `None` to stop until [`Ticker::start`] is called again.
    fn tick(&self) -> Option<Jiffies>;
}

/// Creates a stopped [`Ticker`] doing `data`'s work, with lockdep classes of its own.
///
/// A `static` in a generic function is one static for every instantiation, so the classes cannot
/// come from inside [`Ticker::new`]: every `Ticker<T>` of a module would share them, and lockdep
/// would take the work of one for the work of another. Each call site of this macro has its own.
#[macro_export]
macro_rules! new_ticker {
    ($data:expr $(,)?) => {
        $crate::rbus::ticker::Ticker::new(
            $data,
            ::kernel::optional_name!(),
            ::kernel::static_lock_class!(),
            ::kernel::c_str!(::core::concat!(
                ::core::file!(),
                ":",
                ::core::line!(),
                "_timer"
            )),
            ::kernel::static_lock_class!(),
        )
    };
}

/// A delayed work item running `T::tick`.
///
/// # Invariants
///
/// `dwork` is initialized with [`Ticker::run`] as its function. A `Ticker` is only built by
/// [`Ticker::new`] and is `!Unpin`, so it stays at its address until dropped.
#[pin_data(PinnedDrop)]
pub struct Ticker<T: Tick> {
    #[pin]
    dwork: Opaque<bindings::delayed_work>,
    data: T,
}

impl<T: Tick> Ticker<T> {
    /// A stopped ticker doing `data`'s work, with the lockdep classes of its work and its timer.
    ///
    /// Use [`new_ticker!`](crate::new_ticker), which creates the classes at its call site.
    pub fn new(
        data: T,
        name: &'static CStr,
        work_key: Pin<&'static LockClassKey>,
        timer_name: &'static CStr,
        timer_key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            dwork <- Opaque::ffi_init(move |slot: *mut bindings::delayed_work| {
                // SAFETY: `slot` is valid for writes; `run` takes a `work_struct` embedded in a
                // `Ticker<T>`, as this one is; the names and the keys are static.
                unsafe {
                    bindings::init_work_with_key(
                        &raw mut (*slot).work,
                        Some(Self::run),
                        false,
                        name.as_char_ptr(),
                        work_key.as_ptr(),
                    );
                    bindings::timer_init_key(
                        &raw mut (*slot).timer,
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE,
                        timer_name.as_char_ptr(),
                        timer_key.as_ptr(),
                    );
                }
            }),
            data,
        })
    }

    /// The work's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Runs `tick` after `delay`, or at once for zero; a pending round is moved to that time.
    pub fn start(&self, delay: Jiffies) {
        // SAFETY: By the type invariants `dwork` is initialized and stays at its address until
        // the drop cancels it.
        unsafe { self.queue(delay) };
    }

    /// Runs [`Tick::tick`] after `delay` jiffies, unless a run is already pending: unlike
    /// [`Ticker::start`], it never postpones one.
    pub fn start_if_idle(&self, delay: Jiffies) {
        // SAFETY: By the type invariants `dwork` is initialized and stays at its address until
        // the drop cancels it.
        unsafe {
            bindings::queue_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_dfl_wq,
                self.dwork.get(),
                delay,
            )
        };
    }

    /// # Safety
    ///
    /// `self.dwork` must be initialized and must not move or be freed while queued.
    unsafe fn queue(&self, delay: Jiffies) {
        // SAFETY: By the safety requirements; `system_dfl_wq` is a global that always exists.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_dfl_wq,
                self.dwork.get(),
                delay,
            )
        };
    }

    extern "C" fn run(work: *mut bindings::work_struct) {
        // SAFETY: By the type invariants `work` is the `work` member of the `dwork` member of a
        // live `Ticker<T>`: its drop waits for this function to return.
        let this = unsafe {
            let dwork = kernel::container_of!(work, bindings::delayed_work, work);
            &*kernel::container_of!(Opaque::cast_from(dwork), Self, dwork)
        };
        if let Some(delay) = this.data.tick() {
            // SAFETY: `this` is pinned and initialized; its drop cancels the re-armed work.
            unsafe { this.queue(delay) };
        }
    }
}

// SAFETY: The work item may be queued, run and cancelled from any thread; `T` is `Send`.
unsafe impl<T: Tick> Send for Ticker<T> {}

// SAFETY: Through a shared reference a `Ticker` only queues its work item, which the workqueue
// allows concurrently, and gives out `&T`, which is `Sync`.
unsafe impl<T: Tick> Sync for Ticker<T> {}

#[pinned_drop]
impl<T: Tick> PinnedDrop for Ticker<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants `dwork` is initialized. This waits for a running `run`
        // and keeps it from re-arming.
        unsafe { bindings::cancel_delayed_work_sync(self.dwork.get()) };
    }
}
