// SPDX-License-Identifier: GPL-2.0

#include <linux/device.h>

#include "helpers.h"

int rbus_helper_device_match_driver_override(struct device *dev,
					     const struct device_driver *drv)
{
	return device_match_driver_override(dev, drv);
}
