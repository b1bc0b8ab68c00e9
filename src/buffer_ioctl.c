// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of a buffer fd: MTMAP_IOC_INFO, MTMAP_IOC_SET_MEMTYPE and
 * MTMAP_IOC_GET_DIRTY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mtmap.h"

static long mtmap_ioctl_info(struct mtmap_buffer *buf, void __user *uarg,
			     size_t usize)
{
	struct mtmap_info info = {
		.size = buf->size,
		.memtype = READ_ONCE(buf->memtype),
		.req_memtype = READ_ONCE(buf->req_memtype),
		.flags = buf->flags,
		.placement = buf->placement->id,
		.populated = atomic_long_read(&buf->populated),
	};

	if (usize < MTMAP_INFO_SIZE_VER0)
		return -EINVAL;
	/* A newer, larger struct gets zeroes where this kernel has nothing. */
	if (usize > sizeof(info) &&
	    clear_user(uarg + sizeof(info), usize - sizeof(info)))
		return -EFAULT;
	if (copy_to_user(uarg, &info, min(usize, sizeof(info))))
		return -EFAULT;
	return 0;
}

struct mtmap_convert {
	u32 from, to;
	unsigned long done;	/* pages converted so far */
};

static int mtmap_buffer_convert_batch(struct mtmap_buffer *buf,
				      struct page **pages, unsigned int n,
				      void *arg)
{
	struct mtmap_convert *cv = arg;
	int err;

	err = mtmap_track_set_type(&buf->owner, pages, n, cv->from, cv->to);
	if (!err)
		cv->done += n;
	return err;
}

static int mtmap_buffer_unconvert_batch(struct mtmap_buffer *buf,
					struct page **pages, unsigned int n,
					void *arg)
{
	struct mtmap_convert *cv = arg;
	unsigned int i, k = 0;
	u32 owner;
	int t;

	/* Undo only the pages a failed change already converted. */
	for (i = 0; i < n; i++) {
		t = mtmap_track_lookup(pages[i], &owner);
		if (t == -ENOENT)
			t = MTMAP_MEMTYPE_WB;	/* untracked means WB */
		if (t == (int)cv->to)
			pages[k++] = pages[i];
	}
	return k ? mtmap_track_set_type(&buf->owner, pages, k, cv->to, cv->from) : 0;
}

static long mtmap_ioctl_set_memtype(struct mtmap_buffer *buf, void __user *uarg,
				    size_t usize)
{
	struct mtmap_set_memtype req;
	struct mtmap_convert cv;
	const char *why = "flags or reserved not zero";
	u32 eff, t;
	int err;

	if (usize < MTMAP_SET_MEMTYPE_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (err)
		return err;
	if (req.flags || req.reserved[0] || req.reserved[1] ||
	    mtmap_validate_memtype(req.memtype, &why)) {
		pr_notice_ratelimited("%s[%d]: set_memtype %u: %s\n",
				      current->comm, task_pid_nr(current),
				      req.memtype, why);
		return -EINVAL;
	}
	eff = mtmap_memtype_effective(req.memtype);

	down_write(&buf->map_lock);
	/*
	 * A mapping that asked for a type explicitly keeps getting it: refuse
	 * any change that would give it another effective type.
	 */
	for (t = MTMAP_MEMTYPE_WB; t <= MTMAP_MEMTYPE_WT; t++) {
		if (atomic_read(&buf->nr_pinned[t]) &&
		    mtmap_memtype_effective(t) != eff) {
			mtmap_buffer_log_alias(buf, "set_memtype", 0, buf->npages, t,
					       req.memtype);
			err = -EBUSY;
			goto out;
		}
	}
	if (eff == buf->memtype)
		goto done;
	/*
	 * No user PTE of the old type may survive the conversion: zap them
	 * all (in every process); faults wait on map_lock and come back with
	 * the new type.
	 */
	unmap_mapping_range(buf->file->f_mapping, 0, 0, 1);
	cv = (struct mtmap_convert){ .from = buf->memtype, .to = eff };
	err = mtmap_buffer_batched(buf, true, mtmap_buffer_convert_batch, &cv);
	if (err) {
		if (cv.done)
			mtmap_buffer_batched(buf, true, mtmap_buffer_unconvert_batch, &cv);
		goto out;
	}
	WRITE_ONCE(buf->memtype, eff);
done:
	WRITE_ONCE(buf->req_memtype, req.memtype);
out:
	up_write(&buf->map_lock);
	return err;
}

static long mtmap_ioctl_get_dirty(struct mtmap_buffer *buf, void __user *uarg,
				  size_t usize)
{
	struct mtmap_get_dirty req;
	unsigned long *snap;
	int err;

	if (usize < MTMAP_GET_DIRTY_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (err)
		return err;
	if (!buf->dirty || req.reserved[0] || req.reserved[1] ||
	    req.bitmap_size < DIV_ROUND_UP(buf->npages, 64) * 8) {
		pr_notice_ratelimited("%s[%d]: get_dirty: %s\n",
				      current->comm, task_pid_nr(current),
				      !buf->dirty ? "buffer does not track dirty pages" :
				      req.bitmap_size < DIV_ROUND_UP(buf->npages, 64) * 8 ?
				      "bitmap too small" : "reserved field not zero");
		return -EINVAL;
	}
	snap = bitmap_zalloc(round_up(buf->npages, 64), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;

	/*
	 * Write-protect (zap) first, then take the bits, both with faults
	 * excluded: every write after this point faults and lands in the
	 * next report.
	 */
	down_write(&buf->map_lock);
	unmap_mapping_range(buf->file->f_mapping, 0, 0, 1);
	bitmap_copy(snap, buf->dirty, buf->npages);
	bitmap_zero(buf->dirty, buf->npages);
	up_write(&buf->map_lock);

	req.dirty = bitmap_weight(snap, buf->npages);
	err = -EFAULT;
	/* On 64-bit, an unsigned long bitmap is the uAPI's __u64 words. */
	if (copy_to_user(u64_to_user_ptr(req.bitmap), snap,
			 DIV_ROUND_UP(buf->npages, 64) * 8))
		goto out;
	if (copy_to_user(uarg, &req, min(usize, sizeof(req))))
		goto out;
	err = 0;
out:
	bitmap_free(snap);
	return err;
}

/**
 * mtmap_buffer_ioctl() - ->unlocked_ioctl of buffer files
 * @file: the buffer file
 * @cmd: ioctl number
 * @arg: user pointer to the argument
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_buffer_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mtmap_buffer *buf = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != MTMAP_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(MTMAP_IOC_INFO):
		if (_IOC_DIR(cmd) != _IOC_READ)
			return -ENOTTY;
		return mtmap_ioctl_info(buf, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(MTMAP_IOC_GET_DIRTY):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return mtmap_ioctl_get_dirty(buf, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(MTMAP_IOC_SET_MEMTYPE):
		if (_IOC_DIR(cmd) != _IOC_WRITE)
			return -ENOTTY;
		return mtmap_ioctl_set_memtype(buf, uarg, _IOC_SIZE(cmd));
	default:
		return -ENOTTY;
	}
}
