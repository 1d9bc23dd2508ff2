/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rbus: the C side of the bus core.
 *
 * These structures cross module boundaries. Rust mirrors them in
 * rust/rbus/ffi.rs; rbus_driver_register() refuses a mirror whose size
 * differs from the C definition.
 */
#ifndef RBUS_GLUE_H
#define RBUS_GLUE_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>

struct srcu_ctr;
struct srcu_struct;

/* Longest compatible string, including the terminating NUL. */
#define RBUS_COMPATIBLE_SIZE	64
/* Child addresses are 10 bits wide, like i2c's 10-bit addressing. */
#define RBUS_ADDR_MAX		0x3ff

/**
 * struct rbus_device_id - match entry of an rbus child driver
 * @compatible: NUL-terminated compatible string
 * @driver_data: index into the Rust driver's id info array
 */
struct rbus_device_id {
	char compatible[RBUS_COMPATIBLE_SIZE];
	kernel_ulong_t driver_data;
};

/**
 * struct rbus_device - a child device on an rbus controller
 * @dev: the embedded device, first so Rust can cast to it
 * @addr: address on the controller, 0 to %RBUS_ADDR_MAX
 * @compatible: NUL-terminated compatible string the device was created with
 */
struct rbus_device {
	struct device dev;
	u32 addr;
	char compatible[RBUS_COMPATIBLE_SIZE];
};

/**
 * struct rbus_driver - a child driver
 * @driver: the embedded driver
 * @id_table: compatible strings, terminated by an empty entry
 * @probe: bind to a matched device
 * @remove: unbind; the driver core frees Rust driver data afterwards
 */
struct rbus_driver {
	struct device_driver driver;
	const struct rbus_device_id *id_table;
	int (*probe)(struct rbus_device *rdev, const struct rbus_device_id *id);
	void (*remove)(struct rbus_device *rdev);
};

int rbus_bus_register(void);
void rbus_bus_unregister(void);

struct rbus_device *rbus_device_add(struct device *parent, int bus_nr, u32 addr,
				    const char *compatible,
				    struct fwnode_handle *fwnode);
void rbus_device_unregister(struct rbus_device *rdev);
u32 rbus_device_addr(const struct rbus_device *rdev);
const char *rbus_device_compatible(const struct rbus_device *rdev);

int rbus_driver_register(struct rbus_driver *drv, size_t size,
			 struct module *owner, const char *name);
void rbus_driver_unregister(struct rbus_driver *drv);

int rbus_bus_nr_alloc(void);
void rbus_bus_nr_free(int nr);

int rbus_init_srcu_struct_fast(struct srcu_struct *ssp);
struct srcu_ctr __percpu *rbus_srcu_read_lock_fast(struct srcu_struct *ssp);
void rbus_srcu_read_unlock_fast(struct srcu_struct *ssp, struct srcu_ctr __percpu *scp);

#endif /* RBUS_GLUE_H */
