/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rbus: one-line wrappers of the static inline kernel functions that the
 * bus core's Rust calls and 7.3's bindings lack, as the kernel's own
 * rust/helpers/ has them. bindgen gives them to Rust (rust/Makefile.bindgen).
 */
#ifndef RBUS_HELPERS_H
#define RBUS_HELPERS_H

#include <linux/types.h>

struct device;
struct device_driver;
struct rbus_device;
struct srcu_ctr;
struct srcu_struct;

int rbus_helper_device_match_driver_override(struct device *dev,
					     const struct device_driver *drv);

void rbus_helper_pm_suspend_ignore_children(struct device *dev, bool enable);
void rbus_helper_pm_runtime_mark_last_busy(struct device *dev);
int rbus_helper_pm_runtime_put_autosuspend(struct device *dev);
int rbus_helper_pm_runtime_resume_and_get(struct device *dev);

void __percpu *rbus_helper___alloc_percpu(size_t size, size_t align);
u64 *rbus_helper_per_cpu_ptr(u64 __percpu *ptr, unsigned int cpu);
void rbus_helper_this_cpu_add(u64 __percpu *ptr, u64 val);

/* Exported: the SRCU-fast domains of other modules use them too. */
struct srcu_ctr __percpu *rbus_helper_srcu_read_lock_fast(struct srcu_struct *ssp);
void rbus_helper_srcu_read_unlock_fast(struct srcu_struct *ssp, struct srcu_ctr __percpu *scp);

/* Exported: Rust controllers are other modules. */
int rbus_helper_event_dispatch(struct rbus_device *rdev, u32 kind, u64 seq, u64 payload);

#endif /* RBUS_HELPERS_H */
