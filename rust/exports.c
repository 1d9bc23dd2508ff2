// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the functions of rbus_core that are written in Rust and called by
 * other modules, as the kernel exports its own Rust symbols from C. modpost
 * only sees a symbol an EXPORT_SYMBOL_GPL() line names; the comment above
 * each says which Rust file defines it, and what for.
 */

#include <linux/export.h>

#include "rbus_glue.h"

/* bus_nr.rs: a controller's bus number, */
EXPORT_SYMBOL_GPL(rbus_bus_nr_alloc);
/* and its release. */
EXPORT_SYMBOL_GPL(rbus_bus_nr_free);
/* host.rs: a controller's host, */
EXPORT_SYMBOL_GPL(rbus_host_add);
/* the handlers of its files, */
EXPORT_SYMBOL_GPL(rbus_host_set_control);
/* and its removal. */
EXPORT_SYMBOL_GPL(rbus_host_unregister);
/* device.rs: a controller's child, */
EXPORT_SYMBOL_GPL(rbus_device_add);
/* its removal, */
EXPORT_SYMBOL_GPL(rbus_device_unregister);
/* and its address, for child drivers. */
EXPORT_SYMBOL_GPL(rbus_device_addr);
/* events.rs: a child driver's bus-to-child calls, */
EXPORT_SYMBOL_GPL(rbus_child_publish);
/* and their withdrawal. */
EXPORT_SYMBOL_GPL(rbus_child_unpublish);
/* calls.rs: a child driver's child-to-bus calls. */
EXPORT_SYMBOL_GPL(rbus_query_interface);
/* driver.rs: a child driver's registration, */
EXPORT_SYMBOL_GPL(rbus_driver_register);
/* and its removal. */
EXPORT_SYMBOL_GPL(rbus_driver_unregister);
/* queue.rs: a channel to a child's request queue, */
EXPORT_SYMBOL_GPL(rbus_client_open);
/* its close, */
EXPORT_SYMBOL_GPL(rbus_client_close);
/* a batch of requests, */
EXPORT_SYMBOL_GPL(rbus_client_submit);
/* a batch from user space, */
EXPORT_SYMBOL_GPL(rbus_client_submit_user);
/* a cancel, */
EXPORT_SYMBOL_GPL(rbus_client_cancel);
/* the next record, */
EXPORT_SYMBOL_GPL(rbus_client_read);
/* the records a read() takes, */
EXPORT_SYMBOL_GPL(rbus_client_read_user);
/* poll(), */
EXPORT_SYMBOL_GPL(rbus_client_poll);
/* the child's description, */
EXPORT_SYMBOL_GPL(rbus_client_info);
/* a device event for every channel; */
EXPORT_SYMBOL_GPL(rbus_device_post_event);
/* for controllers, a request's bytes, */
EXPORT_SYMBOL_GPL(rbus_request_tx);
/* the length it reads back, */
EXPORT_SYMBOL_GPL(rbus_request_rx_len);
/* and its completion. */
EXPORT_SYMBOL_GPL(rbus_request_complete);
/* chardev.rs: a user-mode child driver's char device, */
EXPORT_SYMBOL_GPL(rbus_chardev_register);
/* and its removal. */
EXPORT_SYMBOL_GPL(rbus_chardev_unregister);
