// SPDX-License-Identifier: GPL-2.0

//! Tracepoints defined by this project's C, called from Rust.
//!
//! C header: [`include/trace/events/rbus.h`](../../include/trace/events/rbus.h)
//!
//! [`declare_trace!`](crate::declare_trace) is 7.3's `kernel::declare_trace!`
//! (`rust/kernel/tracepoint.rs`), with the same syntax and the same static-key check, over this
//! project's bindings instead of the kernel's. Upstream's macro cannot be used out of tree: it
//! names a tracepoint's static key and its C entry point `$crate::bindings::__tracepoint_<name>`
//! and `$crate::bindings::rust_do_trace_<name>`, and `$crate` is the `kernel` crate, whose
//! `bindings` are generated once, when the kernel is built, from the kernel's own
//! `rust/bindings/bindings_helper.h`. That file includes the in-tree trace headers (Rust binder's
//! among them); a module built against the kernel cannot add its own to it, so
//! `kernel::bindings` has no `__tracepoint_rbus_*` and no `rust_do_trace_rbus_*`.
//!
//! Both are in [`super::ffi`] instead: `rust/Makefile.bindgen` runs bindgen over the trace header
//! at this build, as the kernel's build does over its own, and `DECLARE_TRACE()` declares both
//! in any file that includes the header. `rust/rbus_trace.c` defines them, with
//! `CREATE_RUST_TRACE_POINTS` (`include/trace/define_trace.h`), as Rust binder's
//! `rust_binder_events.c` does. The key is read by `kernel::jump_label::static_branch_unlikely!`,
//! which takes the path of any `static` that C defines, so a disabled event costs what it costs
//! in C: a no-op that the kernel patches into a jump when the event is enabled. The arguments are
//! only computed, and nothing is formatted or allocated, after that jump.
//!
//! Besides each `unsafe fn <name>`, the macro gives a safe `<name>_enabled()`, as C's
//! `trace_<name>_enabled()`, for work that only a tracepoint needs, such as reading the clock.

/// Declares the Rust entry point of each tracepoint of `include/trace/events/rbus.h` named, as
/// `kernel::declare_trace!` does for the kernel's own (see the [module documentation](self)).
///
/// Each `unsafe fn $name` calls `rust_do_trace_$name()` when the tracepoint is enabled; its
/// safety requirements are whatever the event's C code requires of the arguments, which the
/// invocation may document. Each `$name_enabled()` says whether the tracepoint is enabled.
///
/// # Examples
///
/// ```ignore
/// use kernel::{
///     bindings,
///     prelude::*, //
/// };
///
/// crate::declare_trace! {
///     /// # Safety
///     ///
///     /// `dev` must be a valid device.
///     pub(crate) unsafe fn rbus_runtime_suspend(dev: *const bindings::device, ret: c_int);
/// }
/// ```
#[macro_export]
macro_rules! declare_trace {
    ($($(#[$attr:meta])* $pub:vis unsafe fn $name:ident($($argname:ident : $argtyp:ty),* $(,)?);)*) => {$(
        $( #[$attr] )*
        #[inline(always)]
        $pub unsafe fn $name($($argname : $argtyp),*) {
            #[cfg(CONFIG_TRACEPOINTS)]
            {
                if ::kernel::macros::paste!([< $name _enabled >]()) {
                    ::kernel::macros::paste! {
                        // The metavariables are this function's own parameters, not code of the
                        // caller's, whose `unsafe` is the call of this function.
                        #[expect(clippy::macro_metavars_in_unsafe)]
                        // SAFETY: The caller guarantees that it is fine to call this tracepoint.
                        unsafe { $crate::rbus::ffi::[< rust_do_trace_ $name >]($($argname),*) };
                    }
                }
            }

            #[cfg(not(CONFIG_TRACEPOINTS))]
            {
                // If tracepoints are disabled, insert a trivial use of each argument
                // to avoid unused argument warnings, and of the key's check.
                let _unused = ::kernel::macros::paste!([< $name _enabled >]);
                $( let _unused = $argname; )*
            }
        }

        ::kernel::macros::paste! {
            /// Whether the tracepoint is enabled, as C's `trace_<name>_enabled()`.
            #[inline(always)]
            $pub fn [< $name _enabled >]() -> bool {
                #[cfg(CONFIG_TRACEPOINTS)]
                {
                    // SAFETY: It is always fine to query the static key of a tracepoint, and
                    // `__tracepoint_<name>` is one, defined in C by `rust/rbus_trace.c`.
                    unsafe {
                        ::kernel::jump_label::static_branch_unlikely!(
                            $crate::rbus::ffi::[< __tracepoint_ $name >],
                            ::kernel::bindings::tracepoint,
                            key
                        )
                    }
                }

                #[cfg(not(CONFIG_TRACEPOINTS))]
                {
                    false
                }
            }
        }
    )*}
}
