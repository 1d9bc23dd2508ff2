// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: proof that the splat detectors of `make check` are armed.
 *
 * Loading it leaks a few tagged objects and raises one tagged WARN. The
 * guest loads it once, before the suite. The log checker then requires the
 * kmemleak report to list a tagged object and the kernel log to hold the
 * tagged WARNING, and counts neither as a splat. A kernel without kmemleak or
 * CONFIG_BUG, or a kmemleak scan that never ran, turns the run red instead of
 * passing blind.
 *
 * More than one object leaks: kmemleak scans whole task stacks, and a stale
 * copy of a pointer there may hide one object from a scan, never all of them.
 */

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

/* 16 bytes: one line of kmemleak's hex dump shows it whole. */
#define CANARY_LEAK_TAG	"RBUS-CANARY-LEAK"
#define CANARY_LEAKS	4

static int __init rbus_canary_init(void)
{
	int i;

	for (i = 0; i < CANARY_LEAKS; i++) {
		char *p = kzalloc(64, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		memcpy(p, CANARY_LEAK_TAG, strlen(CANARY_LEAK_TAG));
		/* The tag must reach memory; then no pointer to it is kept. */
		barrier_data(p);
	}
	WARN(1, "rbus-canary: WARN is armed\n");
	return 0;
}
module_init(rbus_canary_init);

static void __exit rbus_canary_exit(void)
{
}
module_exit(rbus_canary_exit);

MODULE_DESCRIPTION("rbus test-only canary: a tagged leak and a tagged WARN");
MODULE_LICENSE("GPL");
