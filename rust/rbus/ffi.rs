// SPDX-License-Identifier: GPL-2.0

//! The bus core's C entry points and the structures that cross module boundaries.
//!
//! C headers: [`include/linux/rbus.h`](../../include/linux/rbus.h),
//! [`rust/rbus_glue.h`](../rbus_glue.h) and [`rust/helpers/helpers.h`](../helpers/helpers.h)
//!
//! bindgen generates them at build time (`rust/Makefile.bindgen`), so their layout is the C
//! compiler's. Only the rbus items are generated: the kernel types they embed are those of
//! `kernel::bindings`, and the UAPI structs are the documented ones of [`super::uapi`], whose
//! layout both sides assert.

pub use generated::*;

// The lints are those the kernel's `bindings` crate allows in its own bindgen output: the code is
// bindgen's, and which of them it trips depends on the headers.
#[allow(
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]
mod generated {
    use super::super::uapi::{
        Info as rbus_info,
        Record as rbus_record,
        Req as rbus_req, //
    };
    use kernel::{
        bindings::*,
        ffi, //
    };

    include!(concat!(
        env!("RBUS_OBJTREE"),
        "/rust/rbus_bindings_generated.rs"
    ));
}

/// `RBUS_COMPATIBLE_SIZE`, as an array length.
pub const COMPATIBLE_SIZE: usize = RBUS_COMPATIBLE_SIZE as usize;
