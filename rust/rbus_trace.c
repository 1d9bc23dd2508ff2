// SPDX-License-Identifier: GPL-2.0
/*
 * The rbus trace events (include/trace/events/rbus.h), created here with the
 * rust_do_trace_*() entry points that rust/rbus/tracepoint.rs calls, as Rust
 * binder's rust_binder_events.c creates its own.
 */

#define CREATE_TRACE_POINTS
#define CREATE_RUST_TRACE_POINTS
#include <trace/events/rbus.h>

/* Controllers test it in the inline rbus_event_dispatch() (rust/rbus_glue.h). */
EXPORT_TRACEPOINT_SYMBOL_GPL(rbus_event);
