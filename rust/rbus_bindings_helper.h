/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads for rust/rbus/ffi.rs (rust/Makefile.bindgen); only
 * bindgen compiles it.
 */

#include <linux/i2c.h>
#include <trace/events/rbus.h>

#include "helpers/helpers.h"
#include "rbus_glue.h"

/*
 * bindgen evaluates no macro that expands to another function-like macro,
 * such as BIT(). As the kernel's rust/bindings/bindings_helper.h does, a
 * constant gives it the value, and the build drops the prefix.
 */
const u32 RUST_CONST_HELPER_RBUS_CALL_NOWAIT = RBUS_CALL_NOWAIT;

/* The limits of the tunnelled I2C adapter (rust/rbus/i2c_adapter.rs). */
const u64 RUST_CONST_HELPER_I2C_AQ_COMB_WRITE_THEN_READ = I2C_AQ_COMB_WRITE_THEN_READ;
const u64 RUST_CONST_HELPER_I2C_AQ_NO_ZERO_LEN_READ = I2C_AQ_NO_ZERO_LEN_READ;
