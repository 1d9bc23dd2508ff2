// SPDX-License-Identifier: GPL-2.0
/*
 * rbus: the char devices of user-mode child drivers, /dev/rbus-<bus>-<addr>.
 *
 * As i2c-dev does: a class, "rbus-dev", whose devices are children of the
 * rbus child, with a cdev each. 7.3's miscdevice has no poll, no parent and
 * only a 'static name, hence this.
 *
 * Revocation needs no grace period. open() looks the driver's data up under
 * the char device's mutex, which rbus_chardev_unregister() takes to cut it
 * off; an open file only uses its own private data, which the driver keeps
 * valid until release. The char device's memory lives as long as any file
 * (the cdev holds its device), and the driver's module is held while a file
 * is open.
 */

#include <linux/cdev.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "rbus_glue.h"

#define RBUS_CHARDEV_MINORS	65536

/**
 * struct rbus_chardev - the char device of a child bound to a user-mode driver
 * @dev: the class device, "rbus-<bus>-<addr>", a child of the rbus child
 * @cdev: the char device
 * @lock: serializes open() against rbus_chardev_unregister()
 * @ops: a copy of the driver's file operations, used until the last release
 * @data: the driver's data given to @ops->open, or NULL once unregistered
 */
struct rbus_chardev {
	struct device dev;
	struct cdev cdev;
	struct mutex lock;	/* protects @data */
	struct rbus_chardev_ops ops;
	void *data;
};

static dev_t rbus_chardev_devt;
static DEFINE_IDA(rbus_chardev_ida);

static const struct class rbus_dev_class = {
	.name = "rbus-dev",
};

static struct rbus_chardev *rbus_chardev_of(const struct file *file)
{
	return container_of(file_inode(file)->i_cdev, struct rbus_chardev, cdev);
}

static int rbus_chardev_open(struct inode *inode, struct file *file)
{
	struct rbus_chardev *cd = container_of(inode->i_cdev, struct rbus_chardev, cdev);
	void *priv;

	guard(mutex)(&cd->lock);
	if (!cd->data || !try_module_get(cd->ops.owner))
		return -ENODEV;
	priv = cd->ops.open(cd->data);
	if (IS_ERR(priv)) {
		module_put(cd->ops.owner);
		return PTR_ERR(priv);
	}
	file->private_data = priv;
	return stream_open(inode, file);
}

static int rbus_chardev_release(struct inode *inode, struct file *file)
{
	struct rbus_chardev *cd = rbus_chardev_of(file);

	cd->ops.release(file->private_data);
	module_put(cd->ops.owner);
	return 0;
}

static ssize_t rbus_chardev_read(struct file *file, char __user *buf, size_t len,
				 loff_t *ppos)
{
	return rbus_chardev_of(file)->ops.read(file->private_data, buf, len,
						 file->f_flags & O_NONBLOCK);
}

static long rbus_chardev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return rbus_chardev_of(file)->ops.ioctl(file->private_data, cmd, arg,
						  file->f_flags & O_NONBLOCK);
}

static __poll_t rbus_chardev_poll(struct file *file, struct poll_table_struct *pt)
{
	return rbus_chardev_of(file)->ops.poll(file->private_data, file, pt);
}

static const struct file_operations rbus_chardev_fops = {
	.owner = THIS_MODULE,
	.open = rbus_chardev_open,
	.release = rbus_chardev_release,
	.read = rbus_chardev_read,
	.unlocked_ioctl = rbus_chardev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = rbus_chardev_poll,
};

static void rbus_chardev_dev_release(struct device *dev)
{
	struct rbus_chardev *cd = container_of(dev, struct rbus_chardev, dev);

	ida_free(&rbus_chardev_ida, MINOR(dev->devt));
	mutex_destroy(&cd->lock);
	kfree(cd);
}

/**
 * rbus_chardev_register() - create /dev/rbus-<bus>-<addr> for a child
 * @rdev: the child, bound to the calling driver
 * @ops: the file operations, copied; @ops->owner is held while a file is open
 * @data: given to @ops->open until rbus_chardev_unregister()
 *
 * Return: the char device, or an ERR_PTR().
 */
struct rbus_chardev *rbus_chardev_register(struct rbus_device *rdev,
					   const struct rbus_chardev_ops *ops, void *data)
{
	struct rbus_chardev *cd;
	int minor, ret;

	cd = kzalloc_obj(*cd, GFP_KERNEL);
	if (!cd)
		return ERR_PTR(-ENOMEM);
	minor = ida_alloc_max(&rbus_chardev_ida, RBUS_CHARDEV_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		kfree(cd);
		return ERR_PTR(minor);
	}
	mutex_init(&cd->lock);
	cd->ops = *ops;
	cd->data = data;

	device_initialize(&cd->dev);
	cd->dev.class = &rbus_dev_class;
	cd->dev.parent = &rdev->dev;
	cd->dev.devt = MKDEV(MAJOR(rbus_chardev_devt), minor);
	cd->dev.release = rbus_chardev_dev_release;
	cdev_init(&cd->cdev, &rbus_chardev_fops);
	cd->cdev.owner = THIS_MODULE;

	ret = dev_set_name(&cd->dev, "rbus-%s", dev_name(&rdev->dev));
	if (!ret)
		ret = cdev_device_add(&cd->cdev, &cd->dev);
	if (ret) {
		put_device(&cd->dev);
		return ERR_PTR(ret);
	}
	return cd;
}
EXPORT_SYMBOL_GPL(rbus_chardev_register);

/**
 * rbus_chardev_unregister() - remove a char device
 * @cd: from rbus_chardev_register()
 *
 * Once this returns no open() runs or can start, so the data may go. Open
 * files keep working on their own private data until released.
 */
void rbus_chardev_unregister(struct rbus_chardev *cd)
{
	scoped_guard(mutex, &cd->lock)
		cd->data = NULL;
	cdev_device_del(&cd->cdev, &cd->dev);
	put_device(&cd->dev);
}
EXPORT_SYMBOL_GPL(rbus_chardev_unregister);

int rbus_chardev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&rbus_chardev_devt, 0, RBUS_CHARDEV_MINORS, "rbus");
	if (ret)
		return ret;
	ret = class_register(&rbus_dev_class);
	if (ret)
		unregister_chrdev_region(rbus_chardev_devt, RBUS_CHARDEV_MINORS);
	return ret;
}

void rbus_chardev_exit(void)
{
	class_unregister(&rbus_dev_class);
	unregister_chrdev_region(rbus_chardev_devt, RBUS_CHARDEV_MINORS);
	ida_destroy(&rbus_chardev_ida);
}
