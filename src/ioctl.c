// SPDX-License-Identifier: GPL-2.0
/*
 * Every mtmap ioctl goes through mtmap_ioctl_dispatch(), modelled on
 * dma-heap's and DRM's ioctl paths: a table per kind of file, indexed by
 * command number, gives the command as this kernel knows it, the first
 * published size of its struct and its handler. The dispatcher applies
 * the uapi header's struct-size rules once for all commands (see the top
 * of include/uapi/mtmap.h), so that handlers only see a kernel copy of
 * the request, and it writes the one log line of a refused request.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include <uapi/mtmap.h>

#include "compat.h"
#include "ioctl.h"

/* Room for the kernel copy of any request. */
union mtmap_ioctl_data {
	struct mtmap_create create;
	struct mtmap_info info;
	struct mtmap_set_memtype set_memtype;
	struct mtmap_get_dirty get_dirty;
	struct mtmap_exclusive exclusive;
	struct mtmap_check_exclusive check_exclusive;
	struct mtmap_atomic atomic;
};

/**
 * struct mtmap_ioctl_desc - one command of a table
 * @cmd: the command as this kernel defines it (its size is the struct
 *	size this kernel knows).
 * @ver0: size of the first published version of the struct.
 * @fn: the handler, NULL where this build cannot serve the command.
 * @name: for the log.
 */
struct mtmap_ioctl_desc {
	unsigned int cmd;
	u32 ver0;
	long (*fn)(struct file *file, void *data, struct mtmap_ioctl_ctx *ctx);
	const char *name;
};

/* MTMAP_IOC_<ioc>, whose struct first had MTMAP_<ioc>_SIZE_VER0 bytes. */
#define MTMAP_IOCTL(ioc, func)						\
	[_IOC_NR(MTMAP_IOC_##ioc)] = {					\
		.cmd = MTMAP_IOC_##ioc +				\
		       BUILD_BUG_ON_ZERO(_IOC_SIZE(MTMAP_IOC_##ioc) >	\
					 sizeof(union mtmap_ioctl_data)), \
		.ver0 = MTMAP_##ioc##_SIZE_VER0,			\
		.fn = func,						\
		.name = "MTMAP_IOC_" #ioc,				\
	}

/* Issued on the /dev/mtmap fd. */
static const struct mtmap_ioctl_desc mtmap_dev_ioctls[] = {
	MTMAP_IOCTL(CREATE, mtmap_ioctl_create),
#ifdef MTMAP_HAVE_EXCLUSIVE
	MTMAP_IOCTL(EXCLUSIVE, mtmap_ioctl_exclusive),
	MTMAP_IOCTL(CHECK_EXCLUSIVE, mtmap_ioctl_check_exclusive),
	MTMAP_IOCTL(ATOMIC, mtmap_ioctl_atomic),
#else
	/* They exist, but fail with EOPNOTSUPP whatever their argument. */
	MTMAP_IOCTL(EXCLUSIVE, NULL),
	MTMAP_IOCTL(CHECK_EXCLUSIVE, NULL),
	MTMAP_IOCTL(ATOMIC, NULL),
#endif
};

/* Issued on a buffer fd. */
static const struct mtmap_ioctl_desc mtmap_buffer_ioctls[] = {
	MTMAP_IOCTL(INFO, mtmap_ioctl_info),
	MTMAP_IOCTL(SET_MEMTYPE, mtmap_ioctl_set_memtype),
	MTMAP_IOCTL(GET_DIRTY, mtmap_ioctl_get_dirty),
};

/**
 * mtmap_ioctl_refuse() - give the reason a request is refused
 * @ctx: the call.
 * @fmt: printf format of the reason, and its arguments.
 *
 * The dispatcher logs it, with the errno, once for the call.
 */
void mtmap_ioctl_refuse(struct mtmap_ioctl_ctx *ctx, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(ctx->why, sizeof(ctx->why), fmt, args);
	va_end(args);
}

/**
 * mtmap_ioctl_install_fd() - install @file as @fd once the call succeeded
 * @ctx: the call.
 * @fd: an fd from get_unused_fd_flags().
 * @file: the file; the dispatcher owns the reference from now on.
 *
 * Nothing may fail after fd_install(): a file that userspace can see
 * cannot be taken back. The dispatcher installs it after the result has
 * been copied out, and otherwise releases both.
 */
void mtmap_ioctl_install_fd(struct mtmap_ioctl_ctx *ctx, int fd,
			    struct file *file)
{
	ctx->new_fd = fd;
	ctx->new_file = file;
}

/*
 * A newer, larger struct that is output only gets zeroes where this
 * kernel has nothing; an input one was checked to hold zeroes there.
 */
static int mtmap_ioctl_copy_out(void __user *uarg, const void *kdata,
				size_t ksize, size_t usize, bool zero_tail)
{
	if (zero_tail && usize > ksize &&
	    clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	if (copy_to_user(uarg, kdata, min(usize, ksize)))
		return -EFAULT;
	return 0;
}

static long mtmap_ioctl_dispatch(struct file *file,
				 const struct mtmap_ioctl_desc *table,
				 unsigned int n, unsigned int cmd,
				 unsigned long arg)
{
	struct mtmap_ioctl_ctx ctx = { .usize = _IOC_SIZE(cmd), .new_fd = -1 };
	void __user *uarg = (void __user *)arg;
	const struct mtmap_ioctl_desc *d;
	union mtmap_ioctl_data data;
	unsigned int nr = _IOC_NR(cmd);
	unsigned int dir;
	size_t ksize;
	long ret;

	if (_IOC_TYPE(cmd) != MTMAP_IOC_MAGIC || nr >= n)
		return -ENOTTY;
	d = &table[array_index_nospec(nr, n)];
	/* Only the size may differ from the command as this kernel knows it. */
	if (!d->cmd || (cmd & ~IOCSIZE_MASK) != (d->cmd & ~IOCSIZE_MASK))
		return -ENOTTY;
	dir = _IOC_DIR(d->cmd);
	ksize = _IOC_SIZE(d->cmd);
	memset(&data, 0, sizeof(data));

	if (!d->fn) {
		ret = -EOPNOTSUPP;
		mtmap_ioctl_refuse(&ctx, "not supported by this kernel");
		goto out;
	}
	if (ctx.usize < d->ver0) {
		ret = -EINVAL;
		mtmap_ioctl_refuse(&ctx, "struct of %zu bytes is older than the first version",
				   ctx.usize);
		goto out;
	}
	if (dir & _IOC_WRITE) {
		ret = copy_struct_from_user(&data, ksize, uarg, ctx.usize);
		if (ret) {
			mtmap_ioctl_refuse(&ctx, ret == -E2BIG ?
					   "struct has non-zero fields unknown to this kernel" :
					   "cannot read the struct");
			goto out;
		}
	}

	ret = d->fn(file, &data, &ctx);

	if (!ret && (dir & _IOC_READ)) {
		ret = mtmap_ioctl_copy_out(uarg, &data, ksize, ctx.usize,
					   !(dir & _IOC_WRITE));
		if (ret)
			mtmap_ioctl_refuse(&ctx, "cannot write the struct back");
	}
	if (ctx.new_file) {
		if (!ret) {
			fd_install(ctx.new_fd, ctx.new_file);
		} else {
			put_unused_fd(ctx.new_fd);
			fput(ctx.new_file);
		}
	}
out:
	/* Unknown commands stay quiet: isatty() and the like probe fds. */
	if (ret)
		pr_notice_ratelimited("%s[%d]: %s: %s: %pe\n", current->comm,
				      task_pid_nr(current), d->name,
				      ctx.why[0] ? ctx.why : "failed",
				      ERR_PTR(ret));
	return ret;
}

/**
 * mtmap_dev_ioctl() - ->unlocked_ioctl of /dev/mtmap
 * @file: an open /dev/mtmap.
 * @cmd: ioctl number.
 * @arg: user pointer to the request.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return mtmap_ioctl_dispatch(file, mtmap_dev_ioctls,
				    ARRAY_SIZE(mtmap_dev_ioctls), cmd, arg);
}

/**
 * mtmap_buffer_ioctl() - ->unlocked_ioctl of buffer files
 * @file: a buffer file.
 * @cmd: ioctl number.
 * @arg: user pointer to the request.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_buffer_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	return mtmap_ioctl_dispatch(file, mtmap_buffer_ioctls,
				    ARRAY_SIZE(mtmap_buffer_ioctls), cmd, arg);
}
