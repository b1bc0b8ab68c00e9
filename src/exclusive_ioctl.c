// SPDX-License-Identifier: GPL-2.0
/*
 * The device-exclusive ioctls of /dev/mtmap: MTMAP_IOC_EXCLUSIVE,
 * MTMAP_IOC_CHECK_EXCLUSIVE and MTMAP_IOC_ATOMIC (see exclusive.c for how
 * pages are taken and given back).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "exclusive.h"

#ifdef MTMAP_HAVE_EXCLUSIVE

/* Copy in an extensible struct: see the rules atop the uapi header. */
static int mtmap_excl_copy_in(void *dst, size_t size, size_t ver0,
			      const void __user *uarg, size_t usize)
{
	if (usize < ver0)
		return -EINVAL;
	return copy_struct_from_user(dst, size, uarg, usize);
}

static int mtmap_excl_check_span(u64 addr, u64 len, u64 max_pages)
{
	if (!len || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if ((len >> PAGE_SHIFT) > max_pages)
		return -EINVAL;
	if (addr + len < addr)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(addr), len))
		return -EFAULT;
	return 0;
}

/* Bind @df to the caller's mm on first use; refuse any other mm. */
static int mtmap_excl_bind(struct mtmap_dev_file *df, bool bind)
{
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
 * @df: the file.
 * @uarg: user pointer to struct mtmap_exclusive.
 * @usize: its size, from the ioctl number.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_exclusive(struct mtmap_dev_file *df, void __user *uarg,
			   size_t usize)
{
	struct mtmap_excl_range *r = NULL;
	struct mtmap_exclusive x;
	unsigned long start, end, addr;
	struct mm_struct *mm;
	bool created = false, taken;
	int err;

	err = mtmap_excl_copy_in(&x, sizeof(x), MTMAP_EXCLUSIVE_SIZE_VER0,
				 uarg, usize);
	if (err)
		return err;
	if (x.flags || x.reserved0 || x.reserved[0] || x.reserved[1])
		return -EINVAL;
	err = mtmap_excl_check_span(x.addr, x.len, MTMAP_EXCLUSIVE_MAX_PAGES);
	if (err)
		return err;
	start = x.addr;
	end = x.addr + x.len;

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
		r = mtmap_excl_range_alloc(df, start, x.len >> PAGE_SHIFT);
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
	if (err) {
		pr_debug("%s[%d]: exclusive %#lx-%#lx: %d\n", current->comm,
			 task_pid_nr(current), start, end, err);
		goto out_free;
	}
	if (created)
		WARN_ON(mtmap_excl_range_insert(df, r));
	mutex_lock(&r->lock);
	x.held = mtmap_excl_count_held(r, start, end, NULL);
	mutex_unlock(&r->lock);
	mutex_unlock(&df->lock);

	if (copy_to_user(uarg, &x, min(usize, sizeof(x))))
		return -EFAULT;
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
 * @df: the file.
 * @uarg: user pointer to struct mtmap_check_exclusive.
 * @usize: its size, from the ioctl number.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_check_exclusive(struct mtmap_dev_file *df, void __user *uarg,
				 size_t usize)
{
	struct mtmap_check_exclusive c;
	struct mtmap_excl_range *r;
	unsigned long start, end;
	u8 *map = NULL;
	int err;

	err = mtmap_excl_copy_in(&c, sizeof(c),
				 MTMAP_CHECK_EXCLUSIVE_SIZE_VER0, uarg, usize);
	if (err)
		return err;
	if (c.reserved[0] || c.reserved[1])
		return -EINVAL;
	err = mtmap_excl_check_span(c.addr, c.len, ULONG_MAX >> PAGE_SHIFT);
	if (err)
		return err;
	start = c.addr;
	end = c.addr + c.len;
	r = mtmap_excl_lookup(df, start, end, &err);
	if (!r)
		return err;
	if (c.map) {
		map = kvmalloc(c.len >> PAGE_SHIFT, GFP_KERNEL_ACCOUNT);
		if (!map)
			return -ENOMEM;
	}

	mutex_lock(&r->lock);
	c.held = mtmap_excl_count_held(r, start, end, map);
	c.acquired = r->acquired;
	c.revoked = r->revoked;
	c.invalidations = r->invalidations;
	mutex_unlock(&r->lock);

	err = 0;
	if (map && copy_to_user(u64_to_user_ptr(c.map), map,
				c.len >> PAGE_SHIFT))
		err = -EFAULT;
	kvfree(map);
	if (!err && copy_to_user(uarg, &c, min(usize, sizeof(c))))
		err = -EFAULT;
	return err;
}

/**
 * mtmap_ioctl_atomic() - MTMAP_IOC_ATOMIC
 * @df: the file.
 * @uarg: user pointer to struct mtmap_atomic.
 * @usize: its size, from the ioctl number.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
long mtmap_ioctl_atomic(struct mtmap_dev_file *df, void __user *uarg,
			size_t usize)
{
	struct mtmap_excl_op op;
	struct mtmap_excl_range *r;
	struct vm_area_struct *vma;
	struct mtmap_atomic a;
	unsigned long addr;
	bool taken = false;
	int err;

	err = mtmap_excl_copy_in(&a, sizeof(a), MTMAP_ATOMIC_SIZE_VER0, uarg,
				 usize);
	if (err)
		return err;
	if (a.flags || a.reserved0 || a.reserved[0] || a.reserved[1])
		return -EINVAL;
	if (a.op > MTMAP_ATOMIC_XCHG || !IS_ALIGNED(a.addr, sizeof(u64)))
		return -EINVAL;
	addr = a.addr;
	if (addr != a.addr)
		return -EINVAL;
	r = mtmap_excl_lookup(df, addr & PAGE_MASK,
			      (addr & PAGE_MASK) + PAGE_SIZE, &err);
	if (!r)
		return err;
	op = (struct mtmap_excl_op){
		.op = a.op, .value = a.value, .compare = a.compare,
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

	a.old = op.old;
	a.result = taken ? MTMAP_ATOMIC_REACQUIRED : 0;
	if (copy_to_user(uarg, &a, min(usize, sizeof(a))))
		return -EFAULT;
	return 0;
}

#else /* !MTMAP_HAVE_EXCLUSIVE */

long mtmap_ioctl_exclusive(struct mtmap_dev_file *df, void __user *uarg,
			   size_t usize)
{
	return -EOPNOTSUPP;
}

long mtmap_ioctl_check_exclusive(struct mtmap_dev_file *df, void __user *uarg,
				 size_t usize)
{
	return -EOPNOTSUPP;
}

long mtmap_ioctl_atomic(struct mtmap_dev_file *df, void __user *uarg,
			size_t usize)
{
	return -EOPNOTSUPP;
}

#endif /* MTMAP_HAVE_EXCLUSIVE */
