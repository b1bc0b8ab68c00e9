// SPDX-License-Identifier: GPL-2.0
/*
 * mtmap: the /dev/mtmap misc device and the module's entry points.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "compat.h"
#include "exclusive.h"
#include "ioctl.h"
#include "mtmap.h"

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Permissions of /dev/mtmap (default 0600)");

static ulong max_buffer_mb = 1024;
module_param(max_buffer_mb, ulong, 0644);
MODULE_PARM_DESC(max_buffer_mb, "Largest buffer MTMAP_IOC_CREATE accepts, in MiB (default 1024)");

/**
 * mtmap_ioctl_create() - MTMAP_IOC_CREATE
 * @file: the /dev/mtmap file.
 * @data: struct mtmap_create.
 * @ctx: the call.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_create(struct file *file, void *data,
			struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_create *req = data;
	struct file *buf_file;
	const char *why;
	int fd, err;

	err = mtmap_validate_create(req, (u64)READ_ONCE(max_buffer_mb) << 20,
				    &why);
	if (err) {
		mtmap_ioctl_refuse(ctx, "size %llu memtype %u flags %#x placement %u: %s",
				   req->size, req->memtype, req->flags,
				   req->placement, why);
		return err;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	buf_file = mtmap_buffer_create(req);
	if (IS_ERR(buf_file)) {
		put_unused_fd(fd);
		return PTR_ERR(buf_file);
	}
	req->fd = fd;
	/* The fd becomes visible only once the result reached userspace. */
	mtmap_ioctl_install_fd(ctx, fd, buf_file);
	return 0;
}

/* Per-open state: the device-exclusive ranges of this file. */
static int mtmap_dev_open(struct inode *inode, struct file *file)
{
	struct mtmap_dev_file *df = mtmap_dev_file_alloc();

	if (!df)
		return -ENOMEM;
	file->private_data = df;
	return 0;
}

static int mtmap_dev_release(struct inode *inode, struct file *file)
{
	mtmap_dev_file_free(file->private_data);
	return 0;
}

static const struct file_operations mtmap_dev_fops = {
	.owner = THIS_MODULE,
	.open = mtmap_dev_open,
	.release = mtmap_dev_release,
	.unlocked_ioctl = mtmap_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mtmap_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = MTMAP_NAME,
	.fops = &mtmap_dev_fops,
};

static int __init mtmap_init(void)
{
	int err;

	if (dev_mode & ~0777) {
		pr_err("dev_mode %#o has bits outside 0777\n", dev_mode);
		return -EINVAL;
	}
	mtmap_misc.mode = dev_mode;

	if (max_buffer_mb > (MTMAP_MAX_BYTES >> 20)) {
		pr_err("max_buffer_mb %lu above %llu\n", max_buffer_mb,
		       MTMAP_MAX_BYTES >> 20);
		return -EINVAL;
	}

	err = mtmap_pool_init();
	if (err)
		return err;
	err = mtmap_fs_init();
	if (err)
		goto err_pools;
	mtmap_debugfs_init();
	err = misc_register(&mtmap_misc);
	if (err)
		goto err_fs;
	return 0;

err_fs:
	mtmap_debugfs_exit();
	mtmap_fs_exit();
err_pools:
	mtmap_pool_exit();
	return err;
}

static void __exit mtmap_exit(void)
{
	misc_deregister(&mtmap_misc);
	mtmap_debugfs_exit();
	mtmap_fs_exit();
	mtmap_pool_exit();
}

module_init(mtmap_init);
module_exit(mtmap_exit);

MODULE_DESCRIPTION("Memory-type-aware mapping of buffers to userspace");
MODULE_AUTHOR("mtmap developers");
MODULE_LICENSE("GPL");
