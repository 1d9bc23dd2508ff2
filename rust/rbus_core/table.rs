// SPDX-License-Identifier: GPL-2.0

//! C tables in Rust statics.
//!
//! The kernel takes tables such as a `struct bus_type`, a `struct dev_pm_ops` or an attribute
//! group by `const` pointer and keeps that pointer while they are registered. In C they are
//! `static const`; here they are `static`s of bindgen's types, built in a `const` context, as
//! Rust binder builds its `file_operations`. The pointers in them are not `Sync`, so they go
//! through [`Table`].

/// A C table the kernel only reads, in a `static`.
///
/// `T` is a bindgen type, which is `Copy`: it holds no `UnsafeCell`, so a shared reference to
/// it cannot write to it.
///
/// # Invariants
///
/// Nothing writes to the table: Rust gives out shared references only, and the kernel gets it
/// as a `const` pointer, through which it only reads.
#[repr(transparent)]
pub(crate) struct Table<T: Copy>(T);

impl<T: Copy> Table<T> {
    /// Wraps `table`. What it points to must be `'static` and, like the table, only read.
    pub(crate) const fn new(table: T) -> Self {
        // INVARIANT: `Table` has no method that writes to its contents, and `T: Copy` has no
        // interior mutability.
        Self(table)
    }

    /// The table.
    pub(crate) const fn get(&self) -> &T {
        &self.0
    }

    /// The table, to be handed to the kernel.
    pub(crate) const fn as_ptr(&self) -> *const T {
        &raw const self.0
    }
}

// SAFETY: By the type invariants nothing writes to the table, so threads sharing it cannot race
// on it. The raw pointers it holds are what keeps `T` from being `Sync`; only `unsafe` code
// dereferences them, under its own safety argument, and what they point to is only read too
// (strings, functions and other tables).
unsafe impl<T: Copy> Sync for Table<T> {}
