// SPDX-License-Identifier: GPL-2.0

#include <linux/percpu.h>

#include "helpers.h"

void __percpu *rbus_helper___alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

u64 *rbus_helper_per_cpu_ptr(u64 __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

void rbus_helper_this_cpu_add(u64 __percpu *ptr, u64 val)
{
	this_cpu_add(*ptr, val);
}
