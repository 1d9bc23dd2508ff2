// SPDX-License-Identifier: GPL-2.0
/*
 * rbus_event_dispatch() is inline in rust/rbus_glue.h, for C controllers;
 * Rust controllers in other modules (rust/rbus/registration.rs) call it here.
 */

#include <linux/export.h>

#include "../rbus_glue.h"
#include "helpers.h"

int rbus_helper_event_dispatch(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload)
{
	return rbus_event_dispatch(rdev, kind, seq, payload);
}
EXPORT_SYMBOL_GPL(rbus_helper_event_dispatch);
