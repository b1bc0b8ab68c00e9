// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of a buffer fd: MTMAP_IOC_INFO, MTMAP_IOC_SET_MEMTYPE and
 * MTMAP_IOC_GET_DIRTY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioctl.h"
#include "mtmap.h"

/**
 * mtmap_ioctl_info() - MTMAP_IOC_INFO
 * @file: the buffer file.
 * @data: struct mtmap_info, zeroed.
 * @ctx: the call.
 *
 * Return: 0.
 */
long mtmap_ioctl_info(struct file *file, void *data,
		      struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_buffer *buf = file->private_data;
	struct mtmap_info *req = data;

	req->size = buf->size;
	req->memtype = READ_ONCE(buf->memtype);
	req->req_memtype = READ_ONCE(buf->req_memtype);
	req->flags = buf->flags;
	req->placement = buf->placement->id;
	req->populated = atomic_long_read(&buf->populated);
	return 0;
}

/* Every page of a buffer, for one all-or-nothing conversion. */
struct mtmap_collect {
	struct page **pages;
	unsigned long n, max;
};

static int mtmap_buffer_collect_batch(struct mtmap_buffer *buf,
				      struct page **pages, unsigned int n,
				      void *arg)
{
	struct mtmap_collect *c = arg;

	lockdep_assert_held_write(&buf->map_lock);
	/* @populated counts every page the walk finds. */
	if (WARN_ON_ONCE(n > c->max - c->n))
		return -EIO;
	memcpy(c->pages + c->n, pages, n * sizeof(*pages));
	c->n += n;
	return 0;
}

/*
 * Convert every page of @buf from its type to @to in one call, so that a
 * failure leaves no page converted: no batch of the buffer can be half
 * way when map_lock is released. The array (8 bytes a page) is the only
 * allocation, and comes before anything changes.
 */
static int mtmap_buffer_convert(struct mtmap_buffer *buf, u32 to)
{
	struct mtmap_collect c = { .max = atomic_long_read(&buf->populated) };
	int err;

	lockdep_assert_held_write(&buf->map_lock);
	if (!c.max)
		return 0;
	c.pages = kvmalloc_array(c.max, sizeof(*c.pages), GFP_KERNEL);
	if (!c.pages)
		return -ENOMEM;
	err = mtmap_buffer_batched(buf, true, mtmap_buffer_collect_batch, &c);
	if (!err)
		err = mtmap_track_set_type(&buf->owner, c.pages, c.n,
					   buf->memtype, to);
	kvfree(c.pages);
	return err;
}

/**
 * mtmap_ioctl_set_memtype() - MTMAP_IOC_SET_MEMTYPE
 * @file: the buffer file.
 * @data: struct mtmap_set_memtype.
 * @ctx: the call.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_set_memtype(struct file *file, void *data,
			     struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_buffer *buf = file->private_data;
	struct mtmap_set_memtype *req = data;
	const char *why = "flags or reserved not zero";
	u32 eff, t;
	int err;

	err = req->flags || req->reserved[0] || req->reserved[1] ? -EINVAL :
	      buf->placement->check_memtype(req->memtype, &why);
	if (err) {
		mtmap_ioctl_refuse(ctx, "memtype %u: %s", req->memtype, why);
		return err;
	}
	eff = mtmap_memtype_effective(req->memtype);

	down_write(&buf->map_lock);
	/*
	 * A mapping that asked for a type explicitly keeps getting it: refuse
	 * any change that would give it another effective type.
	 */
	for (t = MTMAP_MEMTYPE_WB; t <= MTMAP_MEMTYPE_WT; t++) {
		if (atomic_read(&buf->nr_pinned[t]) &&
		    mtmap_memtype_effective(t) != eff) {
			mtmap_ioctl_refuse(ctx, "buffer %u is mapped as %s: %s would alias it",
					   buf->owner.id, mtmap_memtype_name(t),
					   mtmap_memtype_name(req->memtype));
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
	err = mtmap_buffer_convert(buf, eff);
	if (err) {
		mtmap_ioctl_refuse(ctx, "buffer %u: %s -> %s: %s", buf->owner.id,
				   mtmap_memtype_name(buf->memtype),
				   mtmap_memtype_name(eff),
				   err == -ENOMEM ? "out of memory, type unchanged" :
				   "conversion refused");
		goto out;
	}
	WRITE_ONCE(buf->memtype, eff);
done:
	WRITE_ONCE(buf->req_memtype, req->memtype);
out:
	up_write(&buf->map_lock);
	return err;
}

/**
 * mtmap_ioctl_get_dirty() - MTMAP_IOC_GET_DIRTY
 * @file: the buffer file.
 * @data: struct mtmap_get_dirty.
 * @ctx: the call.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_get_dirty(struct file *file, void *data,
			   struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_buffer *buf = file->private_data;
	u64 bytes = DIV_ROUND_UP(buf->npages, 64) * 8;
	struct mtmap_get_dirty *req = data;
	unsigned long *snap;
	int err;

	if (!buf->dirty || req->reserved[0] || req->reserved[1] ||
	    req->bitmap_size < bytes) {
		mtmap_ioctl_refuse(ctx, "%s", !buf->dirty ?
				   "buffer does not track dirty pages" :
				   req->bitmap_size < bytes ? "bitmap too small" :
				   "reserved field not zero");
		return -EINVAL;
	}
	snap = mtmap_bitmap_zalloc(round_up(buf->npages, 64), GFP_KERNEL);
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

	req->dirty = bitmap_weight(snap, buf->npages);
	err = 0;
	/* On 64-bit, an unsigned long bitmap is the uAPI's __u64 words. */
	if (copy_to_user(u64_to_user_ptr(req->bitmap), snap, bytes)) {
		/*
		 * The report did not reach userspace: give its bits back for
		 * the next call. Under map_lock for write, as they were taken:
		 * bitmap_or() is not atomic against the set_bit() of faults.
		 */
		down_write(&buf->map_lock);
		bitmap_or(buf->dirty, buf->dirty, snap, buf->npages);
		up_write(&buf->map_lock);
		mtmap_ioctl_refuse(ctx, "cannot write the bitmap");
		err = -EFAULT;
	}
	mtmap_bitmap_free(snap);
	return err;
}
