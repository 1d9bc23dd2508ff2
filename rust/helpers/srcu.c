// SPDX-License-Identifier: GPL-2.0
/*
 * rust/rbus/srcu.rs calls these from every module, so each is exported. All
 * rbus SRCU-fast domains share the lockdep class of this init_srcu_struct_fast().
 */

#include <linux/export.h>
#include <linux/srcu.h>

#include "helpers.h"

struct srcu_ctr __percpu *rbus_helper_srcu_read_lock_fast(struct srcu_struct *ssp)
{
	return srcu_read_lock_fast(ssp);
}
EXPORT_SYMBOL_GPL(rbus_helper_srcu_read_lock_fast);

void rbus_helper_srcu_read_unlock_fast(struct srcu_struct *ssp, struct srcu_ctr __percpu *scp)
{
	srcu_read_unlock_fast(ssp, scp);
}
EXPORT_SYMBOL_GPL(rbus_helper_srcu_read_unlock_fast);
