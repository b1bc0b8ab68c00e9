// SPDX-License-Identifier: GPL-2.0
/*
 * The device-exclusive ioctls of /dev/mtmap: MTMAP_IOC_EXCLUSIVE,
 * MTMAP_IOC_CHECK_EXCLUSIVE and MTMAP_IOC_ATOMIC (see exclusive.c for how
 * pages are taken and given back). Built only with MTMAP_HAVE_EXCLUSIVE:
 * without it the dispatcher answers EOPNOTSUPP.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "exclusive.h"
#include "ioctl.h"

#ifdef MTMAP_HAVE_EXCLUSIVE

static int mtmap_excl_check_span(struct mtmap_ioctl_ctx *ctx, u64 addr,
				 u64 len, u64 max_pages)
{
	int err = -EINVAL;

	if (!len || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len))
		mtmap_ioctl_refuse(ctx, "span %#llx+%#llx: empty or not page aligned",
				   addr, len);
	else if ((len >> PAGE_SHIFT) > max_pages)
		mtmap_ioctl_refuse(ctx, "span %#llx+%#llx: more than %llu pages",
				   addr, len, max_pages);
	else if (addr + len < addr)
		mtmap_ioctl_refuse(ctx, "span %#llx+%#llx: wraps", addr, len);
	else if (!access_ok(u64_to_user_ptr(addr), len))
		err = -EFAULT;
	else
		err = 0;
	return err;
}

/* Bind @df to the caller's mm on first use; refuse any other mm. */
static int mtmap_excl_bind(struct mtmap_dev_file *df, bool bind)
{
	lockdep_assert_held(&df->lock);
	if (!df->mm) {
		if (!bind)
			return -ENOENT;
		mmgrab(current->mm);
		df->mm = current->mm;
	}
	return df->mm == current->mm ? 0 : -EPERM;
}

static unsigned long mtmap_excl_count_held(struct mtmap_excl_range *r,
					   unsigned long start,
					   unsigned long end, u8 *map)
{
	unsigned long i, first = (start - r->start) >> PAGE_SHIFT;
	unsigned long n = (end - start) >> PAGE_SHIFT, held = 0;

	lockdep_assert_held(&r->lock);
	for (i = 0; i < n; i++) {
		bool h = test_bit(first + i, r->held);

		held += h;
		if (map)
			map[i] = h;
	}
	return held;
}

/**
 * mtmap_ioctl_exclusive() - MTMAP_IOC_EXCLUSIVE
 * @file: the /dev/mtmap file.
 * @data: struct mtmap_exclusive.
 * @ctx: the call.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_exclusive(struct file *file, void *data,
			   struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_dev_file *df = file->private_data;
	struct mtmap_exclusive *req = data;
	struct mtmap_excl_range *r = NULL;
	unsigned long start, end, addr;
	struct mm_struct *mm;
	bool created = false, taken;
	int err;

	if (req->flags || req->reserved0 || req->reserved[0] ||
	    req->reserved[1]) {
		mtmap_ioctl_refuse(ctx, "flags or reserved not zero");
		return -EINVAL;
	}
	err = mtmap_excl_check_span(ctx, req->addr, req->len,
				    MTMAP_EXCLUSIVE_MAX_PAGES);
	if (err)
		return err;
	start = req->addr;
	end = req->addr + req->len;
	mtmap_ioctl_refuse(ctx, "range %#lx-%#lx", start, end);

	mutex_lock(&df->lock);
	err = mtmap_excl_bind(df, true);
	if (err)
		goto out_unlock;
	mm = df->mm;
	r = mtmap_excl_range_find(df, start, end, &err);
	if (!r) {
		if (err != -ENOENT)
			goto out_unlock;
		err = -ENOMEM;
		r = mtmap_excl_range_alloc(df, start, req->len >> PAGE_SHIFT);
		if (!r)
			goto out_unlock;
		created = true;
		err = mtmap_excl_range_register(r, mm);
		if (err)
			goto out_free;
	}

	mmap_read_lock(mm);
	err = mtmap_excl_vmas_ok(mm, start, end);
	for (addr = start; !err && addr < end; addr += PAGE_SIZE)
		err = mtmap_excl_acquire(r, mm, addr, NULL, &taken);
	mmap_read_unlock(mm);
	if (err)
		goto out_free;
	if (created)
		WARN_ON(mtmap_excl_range_insert(df, r));
	mutex_lock(&r->lock);
	req->held = mtmap_excl_count_held(r, start, end, NULL);
	mutex_unlock(&r->lock);
	mutex_unlock(&df->lock);
	return 0;

out_free:
	if (created)
		mtmap_excl_range_free(r);
out_unlock:
	mutex_unlock(&df->lock);
	return err;
}

/* The range of @df containing [start, end), for a read-side ioctl. */
static struct mtmap_excl_range *mtmap_excl_lookup(struct mtmap_dev_file *df,
						  unsigned long start,
						  unsigned long end, int *err)
{
	struct mtmap_excl_range *r = NULL;

	mutex_lock(&df->lock);
	*err = mtmap_excl_bind(df, false);
	if (!*err) {
		r = mtmap_excl_range_find(df, start, end, err);
		/* A partial overlap is "not in one range" here. */
		if (!r)
			*err = -ENOENT;
	}
	mutex_unlock(&df->lock);
	/* Ranges are freed only with the file: @r stays valid. */
	return r;
}

/**
 * mtmap_ioctl_check_exclusive() - MTMAP_IOC_CHECK_EXCLUSIVE
 * @file: the /dev/mtmap file.
 * @data: struct mtmap_check_exclusive.
 * @ctx: the call.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_check_exclusive(struct file *file, void *data,
				 struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_dev_file *df = file->private_data;
	struct mtmap_check_exclusive *req = data;
	struct mtmap_excl_range *r;
	unsigned long start, end;
	u8 *map = NULL;
	int err;

	if (req->reserved[0] || req->reserved[1]) {
		mtmap_ioctl_refuse(ctx, "reserved not zero");
		return -EINVAL;
	}
	err = mtmap_excl_check_span(ctx, req->addr, req->len,
				    ULONG_MAX >> PAGE_SHIFT);
	if (err)
		return err;
	start = req->addr;
	end = req->addr + req->len;
	mtmap_ioctl_refuse(ctx, "range %#lx-%#lx", start, end);
	r = mtmap_excl_lookup(df, start, end, &err);
	if (!r)
		return err;
	if (req->map) {
		map = kvmalloc(req->len >> PAGE_SHIFT, GFP_KERNEL_ACCOUNT);
		if (!map)
			return -ENOMEM;
	}

	mutex_lock(&r->lock);
	req->held = mtmap_excl_count_held(r, start, end, map);
	req->acquired = r->acquired;
	req->revoked = r->revoked;
	req->invalidations = r->invalidations;
	mutex_unlock(&r->lock);

	err = 0;
	if (map && copy_to_user(u64_to_user_ptr(req->map), map,
				req->len >> PAGE_SHIFT))
		err = -EFAULT;
	kvfree(map);
	return err;
}

/**
 * mtmap_ioctl_atomic() - MTMAP_IOC_ATOMIC
 * @file: the /dev/mtmap file.
 * @data: struct mtmap_atomic.
 * @ctx: the call.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_atomic(struct file *file, void *data,
			struct mtmap_ioctl_ctx *ctx)
{
	struct mtmap_dev_file *df = file->private_data;
	struct mtmap_atomic *req = data;
	struct mtmap_excl_range *r;
	struct vm_area_struct *vma;
	struct mtmap_excl_op op;
	unsigned long addr;
	bool taken = false;
	int err;

	if (req->flags || req->reserved0 || req->reserved[0] ||
	    req->reserved[1]) {
		mtmap_ioctl_refuse(ctx, "flags or reserved not zero");
		return -EINVAL;
	}
	addr = req->addr;
	if (req->op > MTMAP_ATOMIC_XCHG || !IS_ALIGNED(req->addr, sizeof(u64)) ||
	    addr != req->addr) {
		mtmap_ioctl_refuse(ctx, "op %u at %#llx: unknown op or misaligned address",
				   req->op, req->addr);
		return -EINVAL;
	}
	mtmap_ioctl_refuse(ctx, "op %u at %#lx", req->op, addr);
	r = mtmap_excl_lookup(df, addr & PAGE_MASK,
			      (addr & PAGE_MASK) + PAGE_SIZE, &err);
	if (!r)
		return err;
	op = (struct mtmap_excl_op){
		.op = req->op, .value = req->value, .compare = req->compare,
	};

	/* The common case: still held, no mm lock needed. */
	mutex_lock(&r->lock);
	err = -EAGAIN;
	if (test_bit((addr - r->start) >> PAGE_SHIFT, r->held)) {
		mtmap_excl_run(r, addr, &op);
		err = 0;
	}
	mutex_unlock(&r->lock);

	if (err) {
		/* Lost it: df->mm is current->mm, alive while we run. */
		mmap_read_lock(df->mm);
		vma = find_vma(df->mm, addr);
		if (!vma || vma->vm_start > addr)
			err = -EFAULT;
		else
			err = mtmap_excl_vma_ok(vma);
		if (!err)
			err = mtmap_excl_acquire(r, df->mm, addr, &op, &taken);
		mmap_read_unlock(df->mm);
		if (err)
			return err;
	}

	req->old = op.old;
	req->result = taken ? MTMAP_ATOMIC_REACQUIRED : 0;
	return 0;
}

#endif /* MTMAP_HAVE_EXCLUSIVE */
