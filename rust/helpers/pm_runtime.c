// SPDX-License-Identifier: GPL-2.0

#include <linux/pm_runtime.h>

#include "helpers.h"

void rbus_helper_pm_suspend_ignore_children(struct device *dev, bool enable)
{
	pm_suspend_ignore_children(dev, enable);
}

void rbus_helper_pm_runtime_mark_last_busy(struct device *dev)
{
	pm_runtime_mark_last_busy(dev);
}

int rbus_helper_pm_runtime_put_autosuspend(struct device *dev)
{
	return pm_runtime_put_autosuspend(dev);
}

int rbus_helper_pm_runtime_resume_and_get(struct device *dev)
{
	return pm_runtime_resume_and_get(dev);
}
