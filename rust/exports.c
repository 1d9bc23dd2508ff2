// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the functions of rbus_core that are written in Rust and called by
 * other modules.
 *
 * modpost only sees a symbol that an EXPORT_SYMBOL_GPL() line names, and
 * Rust has no such line, so they are named here, one comment above each, as
 * the kernel exports its own Rust symbols from C.
 */

#include <linux/export.h>

#include "rbus_glue.h"

/* rust/rbus_core/bus_nr.rs: a controller's bus number, */
EXPORT_SYMBOL_GPL(rbus_bus_nr_alloc);
/* and its release. */
EXPORT_SYMBOL_GPL(rbus_bus_nr_free);
/* rust/rbus_core/host.rs: a controller's host, */
EXPORT_SYMBOL_GPL(rbus_host_add);
/* and its removal. */
EXPORT_SYMBOL_GPL(rbus_host_unregister);
/* rust/rbus_core/device.rs: a controller's child, */
EXPORT_SYMBOL_GPL(rbus_device_add);
/* its removal, */
EXPORT_SYMBOL_GPL(rbus_device_unregister);
/* and its address, for child drivers. */
EXPORT_SYMBOL_GPL(rbus_device_addr);
/* rust/rbus_core/events.rs: a child driver's bus-to-child calls, */
EXPORT_SYMBOL_GPL(rbus_child_publish);
/* and their withdrawal. */
EXPORT_SYMBOL_GPL(rbus_child_unpublish);
/* rust/rbus_core/driver.rs: a child driver's registration, */
EXPORT_SYMBOL_GPL(rbus_driver_register);
/* and its removal. */
EXPORT_SYMBOL_GPL(rbus_driver_unregister);
