/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl path of both kinds of mtmap file (/dev/mtmap and buffers):
 * one dispatcher, one table per kind of file, handlers that only see the
 * kernel's copy of the request. See ioctl.c.
 */
#ifndef _MTMAP_IOCTL_H
#define _MTMAP_IOCTL_H

#include <linux/compiler.h>
#include <linux/types.h>

struct file;

/* Longest reason a refusal's log line gives. */
#define MTMAP_IOCTL_WHY_LEN 128

/**
 * struct mtmap_ioctl_ctx - what a handler may tell the dispatcher
 * @usize: size of userspace's struct, from the ioctl number.
 * @new_file: a file the handler created, installed as @new_fd only once
 *	the result has reached userspace (released otherwise).
 * @new_fd: the fd reserved for @new_file.
 * @why: reason of a refusal, for the one log line the dispatcher writes.
 */
struct mtmap_ioctl_ctx {
	size_t usize;
	struct file *new_file;
	int new_fd;
	char why[MTMAP_IOCTL_WHY_LEN];
};

__printf(2, 3)
void mtmap_ioctl_refuse(struct mtmap_ioctl_ctx *ctx, const char *fmt, ...);
void mtmap_ioctl_install_fd(struct mtmap_ioctl_ctx *ctx, int fd,
			    struct file *file);
long mtmap_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long mtmap_buffer_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg);

/*
 * Handlers, one per command: @file is the file the ioctl was issued on,
 * @data the request (struct mtmap_<command>), copied in and zero-extended
 * when the command has _IOC_WRITE, copied back when it has _IOC_READ and
 * the handler returns 0.
 */

/* device.c */
long mtmap_ioctl_create(struct file *file, void *data,
			struct mtmap_ioctl_ctx *ctx);

/* buffer_ioctl.c */
long mtmap_ioctl_info(struct file *file, void *data,
		      struct mtmap_ioctl_ctx *ctx);
long mtmap_ioctl_set_memtype(struct file *file, void *data,
			     struct mtmap_ioctl_ctx *ctx);
long mtmap_ioctl_get_dirty(struct file *file, void *data,
			   struct mtmap_ioctl_ctx *ctx);

/* exclusive_ioctl.c (with MTMAP_HAVE_EXCLUSIVE only) */
long mtmap_ioctl_exclusive(struct file *file, void *data,
			   struct mtmap_ioctl_ctx *ctx);
long mtmap_ioctl_check_exclusive(struct file *file, void *data,
				 struct mtmap_ioctl_ctx *ctx);
long mtmap_ioctl_atomic(struct file *file, void *data,
			struct mtmap_ioctl_ctx *ctx);

#endif /* _MTMAP_IOCTL_H */
