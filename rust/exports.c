// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the functions of rbus_core that are written in Rust and called by
 * other modules, as the kernel exports its own Rust symbols from C. modpost
 * only sees a symbol an EXPORT_SYMBOL_GPL() line names; the comment above
 * each group says which Rust file defines it, and what for.
 */

#include <linux/export.h>

#include "rbus_glue.h"

/* bus_nr.rs, host.rs: a controller's bus number, its host and its files. */
EXPORT_SYMBOL_GPL(rbus_bus_nr_alloc);
EXPORT_SYMBOL_GPL(rbus_bus_nr_free);
EXPORT_SYMBOL_GPL(rbus_host_add);
EXPORT_SYMBOL_GPL(rbus_host_set_control);
EXPORT_SYMBOL_GPL(rbus_host_unregister);
/* device.rs: a controller's children; a child's address, for its driver. */
EXPORT_SYMBOL_GPL(rbus_device_add);
EXPORT_SYMBOL_GPL(rbus_device_unregister);
EXPORT_SYMBOL_GPL(rbus_device_addr);
/* power.rs: a child held active by its driver. */
EXPORT_SYMBOL_GPL(rbus_device_pm_get);
EXPORT_SYMBOL_GPL(rbus_device_pm_put);
/* events.rs, calls.rs: a child driver's two interface tables. */
EXPORT_SYMBOL_GPL(rbus_child_publish);
EXPORT_SYMBOL_GPL(rbus_child_unpublish);
EXPORT_SYMBOL_GPL(rbus_query_interface);
/* driver.rs: a child driver's registration. */
EXPORT_SYMBOL_GPL(rbus_driver_register);
EXPORT_SYMBOL_GPL(rbus_driver_unregister);
/* queue.rs: the channels to a child's request queue, for its driver, */
EXPORT_SYMBOL_GPL(rbus_client_open);
EXPORT_SYMBOL_GPL(rbus_client_close);
EXPORT_SYMBOL_GPL(rbus_client_submit);
EXPORT_SYMBOL_GPL(rbus_client_submit_user);
EXPORT_SYMBOL_GPL(rbus_client_cancel);
EXPORT_SYMBOL_GPL(rbus_client_read);
EXPORT_SYMBOL_GPL(rbus_client_read_user);
EXPORT_SYMBOL_GPL(rbus_client_poll);
EXPORT_SYMBOL_GPL(rbus_client_info);
EXPORT_SYMBOL_GPL(rbus_device_post_event);
/* and a request's bytes, read length and completion, for its controller. */
EXPORT_SYMBOL_GPL(rbus_request_tx);
EXPORT_SYMBOL_GPL(rbus_request_rx_len);
EXPORT_SYMBOL_GPL(rbus_request_complete);
/* chardev.rs: a user-mode child driver's char device. */
EXPORT_SYMBOL_GPL(rbus_chardev_register);
EXPORT_SYMBOL_GPL(rbus_chardev_unregister);
