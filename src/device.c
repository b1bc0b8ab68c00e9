// SPDX-License-Identifier: GPL-2.0
/*
 * mtmap: the /dev/mtmap misc device and the module's entry points.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "exclusive.h"
#include "mtmap.h"

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Permissions of /dev/mtmap (default 0600)");

static ulong max_buffer_mb = 1024;
module_param(max_buffer_mb, ulong, 0644);
MODULE_PARM_DESC(max_buffer_mb, "Largest buffer MTMAP_IOC_CREATE accepts, in MiB (default 1024)");

static long mtmap_ioctl_create(void __user *uarg, size_t usize)
{
	struct mtmap_create c;
	struct file *file;
	const char *why;
	int fd, err;

	if (usize < MTMAP_CREATE_SIZE_VER0) {
		pr_notice_ratelimited("%s[%d]: create: struct of %zu bytes is older than the first version\n",
				      current->comm, task_pid_nr(current), usize);
		return -EINVAL;
	}
	err = copy_struct_from_user(&c, sizeof(c), uarg, usize);
	if (err) {
		if (err == -E2BIG)
			pr_notice_ratelimited("%s[%d]: create: struct has non-zero fields unknown to this kernel\n",
					      current->comm, task_pid_nr(current));
		return err;
	}
	err = mtmap_validate_create(&c, (u64)READ_ONCE(max_buffer_mb) << 20, &why);
	if (err) {
		pr_notice_ratelimited("%s[%d]: create: size %llu memtype %u flags %#x placement %u: %s\n",
				      current->comm, task_pid_nr(current), c.size,
				      c.memtype, c.flags, c.placement, why);
		return err;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = mtmap_buffer_create(&c);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	c.fd = fd;
	if (copy_to_user(uarg, &c, min(usize, sizeof(c)))) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	/* Only now, with nothing left to fail, does the fd become visible. */
	fd_install(fd, file);
	return 0;
}

static long mtmap_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct mtmap_dev_file *df = file->private_data;

	if (_IOC_TYPE(cmd) != MTMAP_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(MTMAP_IOC_CREATE):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return mtmap_ioctl_create(uarg, _IOC_SIZE(cmd));
	/* Device-exclusive access (src/exclusive.c). */
	case _IOC_NR(MTMAP_IOC_EXCLUSIVE):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return mtmap_ioctl_exclusive(df, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(MTMAP_IOC_CHECK_EXCLUSIVE):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return mtmap_ioctl_check_exclusive(df, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(MTMAP_IOC_ATOMIC):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return mtmap_ioctl_atomic(df, uarg, _IOC_SIZE(cmd));
	default:
		return -ENOTTY;
	}
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
