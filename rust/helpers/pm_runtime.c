// SPDX-License-Identifier: GPL-2.0

#include <linux/pm_runtime.h>

#include "helpers.h"

void rbus_helper_pm_suspend_ignore_children(struct device *dev, bool enable)
{
	pm_suspend_ignore_children(dev, enable);
}
