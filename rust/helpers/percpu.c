// SPDX-License-Identifier: GPL-2.0

#include <linux/percpu.h>

#include "helpers.h"

void __percpu *rbus_helper___alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}
