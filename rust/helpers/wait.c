// SPDX-License-Identifier: GPL-2.0

#include <linux/wait.h>

#include "helpers.h"

bool rbus_helper_waitqueue_active(struct wait_queue_head *wq_head)
{
	/* The caller holds the lock its waiters check their condition under. */
	return waitqueue_active(wq_head);
}
