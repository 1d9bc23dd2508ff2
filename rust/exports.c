// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the functions of rbus_core that are written in Rust and called by
 * other modules, exported from C as the kernel exports its own Rust symbols:
 * modpost only sees a symbol that an EXPORT_SYMBOL_GPL() names.
 * The comment above each group says which Rust file defines it, and what for.
 */

#include <linux/export.h>

#include "rbus_glue.h"

/* One line per symbol, as the kernel's EXPORT_SYMBOL_RUST_GPL() gives them. */
#define RBUS_EXPORT(sym) EXPORT_SYMBOL_GPL(sym)

/* bus_nr.rs, host.rs: a controller's bus number, its host and its files. */
RBUS_EXPORT(rbus_bus_nr_alloc);
RBUS_EXPORT(rbus_bus_nr_free);
RBUS_EXPORT(rbus_host_add);
RBUS_EXPORT(rbus_host_set_control);
RBUS_EXPORT(rbus_host_unregister);
/* device.rs: a controller's children; a child's address, for its driver. */
RBUS_EXPORT(rbus_device_add);
RBUS_EXPORT(rbus_device_unregister);
RBUS_EXPORT(rbus_device_del);
RBUS_EXPORT(rbus_device_put);
RBUS_EXPORT(rbus_device_addr);
/* power.rs: a child held active by its driver. */
RBUS_EXPORT(rbus_device_pm_get);
RBUS_EXPORT(rbus_device_pm_put);
/* events.rs, calls.rs: a child driver's two interface tables, */
RBUS_EXPORT(rbus_child_publish);
RBUS_EXPORT(rbus_child_unpublish);
RBUS_EXPORT(rbus_child_revoke);
RBUS_EXPORT(rbus_query_interface);
/* and the slow path of rbus_event_dispatch(), inline in every controller. */
RBUS_EXPORT(rbus_event_dispatch_slow);
/* driver.rs: a child driver's registration. */
RBUS_EXPORT(rbus_driver_register);
RBUS_EXPORT(rbus_driver_unregister);
/* queue.rs: the channels to a child's request queue, for its driver, */
RBUS_EXPORT(rbus_client_open);
RBUS_EXPORT(rbus_client_close);
RBUS_EXPORT(rbus_client_submit);
RBUS_EXPORT(rbus_client_submit_user);
RBUS_EXPORT(rbus_client_cancel);
RBUS_EXPORT(rbus_client_read);
RBUS_EXPORT(rbus_client_read_user);
RBUS_EXPORT(rbus_client_poll);
RBUS_EXPORT(rbus_client_info);
RBUS_EXPORT(rbus_device_post_event);
/* and a request's bytes and completion, for its controller. */
RBUS_EXPORT(rbus_request_get_io);
RBUS_EXPORT(rbus_request_complete);
/* chardev.rs: a user-mode child driver's char device. */
RBUS_EXPORT(rbus_chardev_register);
RBUS_EXPORT(rbus_chardev_unregister);
