// SPDX-License-Identifier: GPL-2.0
/*
 * Device-exclusive access: mtmap plays a device that takes pages of a
 * process's anonymous memory for exclusive access and runs atomics on
 * them, the way GPUs implement system-scope atomics on memory they do not
 * own (nouveau's SVM, lib/test_hmm.c).
 *
 * The kernel replaces the PTE of a taken page with a device-exclusive
 * entry; anything that later needs the PTE (a CPU access, mprotect,
 * munmap, fork, madvise, migration, exit) restores it first and tells
 * every mmu notifier of the mm. Each range registered by userspace has an
 * interval notifier that drops the pages it covers from the emulated
 * device's page table (the held bitmap) and counts the loss; a device
 * atomic on a page that was lost takes it again first.
 *
 * Locking, outermost first: mtmap_dev_file.lock (range list, one EXCLUSIVE at
 * a time), mmap_lock, range->acquire_lock, folio lock, range->lock. The
 * notifier takes only range->lock, under whatever the invalidating path
 * holds (folio lock on a CPU fault, mmap_lock for munmap), which is why
 * nothing is allocated, faulted or locked under range->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "mtmap.h"

/*
 * Attempts at one page before giving up: a grant fails transiently when
 * the folio lock is contended (before 6.15) or an invalidation of the page
 * raced with it.
 */
#define MTMAP_EXCL_TRIES 16

/**
 * mtmap_dev_file_alloc() - per-open state of /dev/mtmap
 *
 * Return: the new state, or NULL without memory.
 */
struct mtmap_dev_file *mtmap_dev_file_alloc(void)
{
	struct mtmap_dev_file *df = kzalloc(sizeof(*df), GFP_KERNEL_ACCOUNT);

	if (!df)
		return NULL;
	mutex_init(&df->lock);
	INIT_LIST_HEAD(&df->ranges);
	return df;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_dev_file_alloc);

/**
 * mtmap_excl_range_alloc() - bookkeeping for a new exclusive range
 * @df: the file the range will belong to.
 * @start: page-aligned first address.
 * @npages: number of pages, not zero.
 *
 * The range holds no page and has no notifier yet.
 *
 * Return: the range, or NULL without memory.
 */
struct mtmap_excl_range *mtmap_excl_range_alloc(struct mtmap_dev_file *df,
						unsigned long start,
						unsigned long npages)
{
	struct mtmap_excl_range *r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);

	if (!r)
		return NULL;
	INIT_LIST_HEAD(&r->node);
	mutex_init(&r->lock);
	mutex_init(&r->acquire_lock);
	r->df = df;
	r->start = start;
	r->npages = npages;
	r->end = start + (npages << PAGE_SHIFT);
	r->held = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	r->pending = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	r->pages = kvcalloc(npages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->held || !r->pending || !r->pages) {
		mtmap_excl_range_free(r);
		return NULL;
	}
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_alloc);

/**
 * mtmap_excl_range_free() - forget a range
 * @r: the range, off any list.
 *
 * Removes the notifier, which waits for a running invalidation to finish.
 * Pages still held stay device-exclusive in the page table until the CPU
 * next touches them; mtmap_dev_file_free() restores them first.
 */
void mtmap_excl_range_free(struct mtmap_excl_range *r)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	if (r->registered)
		mmu_interval_notifier_remove(&r->notifier);
#endif
	kvfree(r->pages);
	bitmap_free(r->pending);
	bitmap_free(r->held);
	mutex_destroy(&r->acquire_lock);
	mutex_destroy(&r->lock);
	kfree(r);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_free);

/**
 * mtmap_excl_range_find() - the range that contains [@start, @end)
 * @df: the file, its lock held.
 * @start: first address.
 * @end: address after the last byte, above @start.
 * @err: set to -EEXIST when a range overlaps without containing the
 *	span, -ENOENT when none overlaps; untouched on success.
 *
 * Return: the containing range or NULL.
 */
struct mtmap_excl_range *mtmap_excl_range_find(struct mtmap_dev_file *df,
					       unsigned long start,
					       unsigned long end, int *err)
{
	struct mtmap_excl_range *r;

	list_for_each_entry(r, &df->ranges, node) {
		if (r->end <= start || r->start >= end)
			continue;
		if (r->start <= start && end <= r->end)
			return r;
		*err = -EEXIST;
		return NULL;
	}
	*err = -ENOENT;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_find);

/**
 * mtmap_excl_range_insert() - add a range to its file, kept sorted
 * @df: the file, its lock held.
 * @r: the range.
 *
 * Return: 0, or -EEXIST if @r overlaps a range of @df.
 */
int mtmap_excl_range_insert(struct mtmap_dev_file *df, struct mtmap_excl_range *r)
{
	struct mtmap_excl_range *pos;

	list_for_each_entry(pos, &df->ranges, node) {
		if (pos->end <= r->start)
			continue;
		if (pos->start < r->end)
			return -EEXIST;
		list_add_tail(&r->node, &pos->node);
		return 0;
	}
	list_add_tail(&r->node, &df->ranges);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_insert);

/**
 * mtmap_excl_mark_held() - record that mtmap holds the page at @addr
 * @r: the range, its lock held.
 * @addr: an address inside @r.
 * @page: the page now exclusive to mtmap.
 */
void mtmap_excl_mark_held(struct mtmap_excl_range *r, unsigned long addr,
			  struct page *page)
{
	unsigned long i = (addr - r->start) >> PAGE_SHIFT;

	r->pages[i] = page;
	__set_bit(i, r->held);
	__clear_bit(i, r->pending);
	r->acquired++;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_mark_held);

/**
 * mtmap_excl_revoke() - the kernel invalidated [@start, @end)
 * @r: the range, its lock held.
 * @start: first invalidated address (need not lie in @r).
 * @end: address after the last invalidated byte.
 *
 * Drops every page of @r the span touches, held or being taken, and
 * counts one invalidation.
 *
 * Return: the number of held pages lost.
 */
unsigned long mtmap_excl_revoke(struct mtmap_excl_range *r,
				unsigned long start, unsigned long end)
{
	unsigned long first, last, i, n = 0;

	r->invalidations++;
	start = max(start, r->start);
	end = min(end, r->end);
	if (start >= end)
		return 0;
	first = (start - r->start) >> PAGE_SHIFT;
	last = (end - r->start + PAGE_SIZE - 1) >> PAGE_SHIFT;
	for_each_set_bit_from(first, r->held, last) {
		__clear_bit(first, r->held);
		r->pages[first] = NULL;
		n++;
	}
	first = (start - r->start) >> PAGE_SHIFT;
	for (i = first; i < last; i++)
		__clear_bit(i, r->pending);
	r->revoked += n;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_revoke);

/**
 * mtmap_excl_apply() - one emulated device atomic on a word
 * @word: the word; the caller excludes every other accessor.
 * @op: MTMAP_ATOMIC_ADD, _CMPXCHG or _XCHG (anything else: no change).
 * @value: operand.
 * @compare: expected value for MTMAP_ATOMIC_CMPXCHG.
 *
 * Return: the old value of *@word.
 */
u64 mtmap_excl_apply(u64 *word, u32 op, u64 value, u64 compare)
{
	u64 old = READ_ONCE(*word);

	switch (op) {
	case MTMAP_ATOMIC_ADD:
		WRITE_ONCE(*word, old + value);
		break;
	case MTMAP_ATOMIC_CMPXCHG:
		if (old == compare)
			WRITE_ONCE(*word, value);
		break;
	case MTMAP_ATOMIC_XCHG:
		WRITE_ONCE(*word, value);
		break;
	}
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_apply);

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

/**
 * mtmap_excl_event_is_ours() - is this invalidation mtmap's own grant?
 * @range: the invalidation.
 * @df: the file whose ranges see it.
 *
 * Taking a page invalidates it too, with @df as owner; treating that as a
 * revocation would drop every page as it is taken. Only the owner is
 * compared, not the event: a CPU access that takes a page back is
 * MMU_NOTIFY_EXCLUSIVE up to 6.x and MMU_NOTIFY_CLEAR in 7.x, both with no
 * owner, and another device's grant carries its own owner.
 *
 * Return: true when the invalidation must be ignored.
 */
bool mtmap_excl_event_is_ours(const struct mmu_notifier_range *range,
			      const struct mtmap_dev_file *df)
{
	return range->owner == df;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_event_is_ours);

static bool mtmap_excl_invalidate(struct mmu_interval_notifier *mni,
				  const struct mmu_notifier_range *range,
				  unsigned long cur_seq)
{
	struct mtmap_excl_range *r =
		container_of(mni, struct mtmap_excl_range, notifier);

	if (mtmap_excl_event_is_ours(range, r->df))
		return true;
	if (mmu_notifier_range_blockable(range))
		mutex_lock(&r->lock);
	else if (!mutex_trylock(&r->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	mtmap_excl_revoke(r, range->start, range->end);
	mutex_unlock(&r->lock);
	return true;
}

static const struct mmu_interval_notifier_ops mtmap_excl_notifier_ops = {
	.invalidate = mtmap_excl_invalidate,
};

/* Whether the kernel can make pages of @vma device-exclusive. */
static int mtmap_excl_vma_ok(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma) || !vma_is_anonymous(vma))
		return -EOPNOTSUPP;
	if (!(vma->vm_flags & VM_WRITE))
		return -EPERM;
	return 0;
}

/* Every byte of [start, end) mapped, by VMAs mtmap can take pages of. */
static int mtmap_excl_vmas_ok(struct mm_struct *mm, unsigned long start,
			      unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	int err;

	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return -EFAULT;
		err = mtmap_excl_vma_ok(vma);
		if (err)
			return err;
	}
	return 0;
}

#ifdef MTMAP_EXCLUSIVE_NEEDS_SPLIT
/*
 * make_device_exclusive_range() grants the head page of a large folio only
 * (and converts every PTE of the folio while at it), never a tail page.
 * Split a PMD-mapped THP first: no splitting function is exported, but
 * setting up a migration of the PMD splits it (migrate_vma_collect_pmd),
 * and finalizing without destination pages puts every page back.
 */
static int mtmap_excl_split(struct mm_struct *mm, unsigned long addr)
{
	struct migrate_vma args = { .flags = MIGRATE_VMA_SELECT_SYSTEM };
	struct vm_area_struct *vma;
	struct page *page = NULL;
	unsigned long npages;
	bool large;
	long n;
	int err;

	n = mtmap_gup_one(mm, addr, FOLL_WRITE, &page);
	if (n != 1)
		return 0; /* mtmap_make_exclusive() reports the error */
	large = folio_test_large(page_folio(page));
	put_page(page);
	if (!large)
		return 0;

	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr)
		return -EFAULT;
	args.vma = vma;
	args.start = max(ALIGN_DOWN(addr, PMD_SIZE), vma->vm_start);
	args.end = min(ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, vma->vm_end);
	npages = (args.end - args.start) >> PAGE_SHIFT;
	args.src = kcalloc(npages, sizeof(*args.src), GFP_KERNEL);
	args.dst = kcalloc(npages, sizeof(*args.dst), GFP_KERNEL);
	err = -ENOMEM;
	if (args.src && args.dst) {
		err = migrate_vma_setup(&args);
		if (!err)
			migrate_vma_finalize(&args);
	}
	kfree(args.dst);
	kfree(args.src);
	return err;
}
#else
/*
 * make_device_exclusive() splits a PMD and breaks COW itself, but through
 * its own GUP, after we started watching for invalidations: each of those
 * (and the restore of an entry left by a voided attempt) would void the
 * grant again. Fault the page in writable, split, beforehand.
 */
static int mtmap_excl_split(struct mm_struct *mm, unsigned long addr)
{
	struct page *page = NULL;

	if (mtmap_gup_one(mm, addr, FOLL_WRITE | FOLL_SPLIT_PMD, &page) == 1)
		put_page(page);
	return 0; /* mtmap_make_exclusive() reports any error */
}
#endif

/* A device atomic to run once its page is held. */
struct mtmap_excl_op {
	u32 op;
	u64 value;
	u64 compare;
	u64 old;
};

/* Run @op on the held page of @addr; range->lock held. */
static void mtmap_excl_run(struct mtmap_excl_range *r, unsigned long addr,
			   struct mtmap_excl_op *op)
{
	struct page *page = r->pages[(addr - r->start) >> PAGE_SHIFT];
	u64 *kaddr = kmap_local_page(page);

	/*
	 * The CPU cannot reach the page (its PTE is device-exclusive) and
	 * cannot get it back before the notifier has taken range->lock,
	 * which we hold: a plain read-modify-write is atomic.
	 */
	op->old = mtmap_excl_apply(kaddr + offset_in_page(addr) / sizeof(u64),
				   op->op, op->value, op->compare);
	kunmap_local(kaddr);
}

/*
 * Take the page of @word_addr unless it is held already, then run @op (if
 * any) on the word before anything can take the page back. mmap_lock held
 * for read, the VMA checked. Sets *@taken when this call made the grant.
 */
static int mtmap_excl_acquire(struct mtmap_excl_range *r,
			      struct mm_struct *mm, unsigned long word_addr,
			      struct mtmap_excl_op *op, bool *taken)
{
	unsigned long addr = word_addr & PAGE_MASK;
	unsigned long i = (addr - r->start) >> PAGE_SHIFT;
	struct folio *folio;
	struct page *page;
	unsigned int tries;
	bool held;
	int err;

	*taken = false;
	/* Nobody else sets our held bit while we hold acquire_lock. */
	mutex_lock(&r->acquire_lock);
	for (tries = 0; ; tries++) {
		mutex_lock(&r->lock);
		held = test_bit(i, r->held);
		if (held && op)
			mtmap_excl_run(r, word_addr, op);
		mutex_unlock(&r->lock);
		if (held) {
			err = 0;
			break;
		}
		err = -EBUSY;
		if (tries >= MTMAP_EXCL_TRIES)
			break;
		err = -EINTR;
		if (fatal_signal_pending(current))
			break;
		/* Before pending is set: splitting invalidates the page. */
		err = mtmap_excl_split(mm, addr);
		if (err)
			break;
		/* From here on, any invalidation of the page voids the grant. */
		mutex_lock(&r->lock);
		__set_bit(i, r->pending);
		mutex_unlock(&r->lock);
		/* Waits out an invalidation of the range already running. */
		mmu_interval_read_begin(&r->notifier);

		page = mtmap_make_exclusive(mm, addr, r->df);
		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			if (err == -EBUSY || err == -EAGAIN) {
				cond_resched();
				continue;
			}
			break;
		}
		folio = page_folio(page);
		/*
		 * The kernel treats device-exclusive entries as clean, and
		 * device writes bypass the PTE: the folio is dirty from now on
		 * (it cannot be cleaned without revoking us first).
		 */
		folio_mark_dirty(folio);

		mutex_lock(&r->lock);
		held = test_bit(i, r->pending);
		if (held) {
			mtmap_excl_mark_held(r, addr, page);
			if (op)
				mtmap_excl_run(r, word_addr, op);
		}
		mutex_unlock(&r->lock);
		folio_unlock(folio);
		folio_put(folio);
		if (held) {
			*taken = true;
			err = 0;
			break;
		}
	}
	if (err) {
		mutex_lock(&r->lock);
		__clear_bit(i, r->pending);
		mutex_unlock(&r->lock);
	}
	mutex_unlock(&r->acquire_lock);
	return err;
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
		/* May register with the mm: takes mmap_lock for write. */
		err = mmu_interval_notifier_insert(&r->notifier, mm, start,
						   x.len,
						   &mtmap_excl_notifier_ops);
		if (err)
			goto out_free;
		r->registered = true;
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

/*
 * Give the held pages of @r back to the CPU: a fault on a device-exclusive
 * entry restores the PTE, so a closed file leaves nothing the kernel
 * cannot migrate or reclaim. Called with @mm pinned.
 */
static void mtmap_excl_restore(struct mtmap_excl_range *r,
			       struct mm_struct *mm)
{
	unsigned long i;

	mmap_read_lock(mm);
	for (i = 0; i < r->npages; i++) {
		struct page *page;
		bool held;

		mutex_lock(&r->lock);
		held = test_bit(i, r->held);
		mutex_unlock(&r->lock);
		if (held && mtmap_gup_one(mm, r->start + (i << PAGE_SHIFT), 0,
					  &page) == 1)
			put_page(page);
	}
	mmap_read_unlock(mm);
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

static inline void mtmap_excl_restore(struct mtmap_excl_range *r,
				      struct mm_struct *mm)
{
}

#endif /* MTMAP_HAVE_EXCLUSIVE */

/**
 * mtmap_dev_file_free() - release an open /dev/mtmap file's state
 * @df: the state; nothing else uses it any more.
 *
 * Restores the pages still held (when the address space is alive) and
 * removes every range with its notifier.
 */
void mtmap_dev_file_free(struct mtmap_dev_file *df)
{
	struct mtmap_excl_range *r, *tmp;
	bool live = df->mm && mmget_not_zero(df->mm);

	list_for_each_entry_safe(r, tmp, &df->ranges, node) {
		list_del(&r->node);
		if (live)
			mtmap_excl_restore(r, df->mm);
		mtmap_excl_range_free(r);
	}
	if (live)
		mmput(df->mm);
	if (df->mm)
		mmdrop(df->mm);
	mutex_destroy(&df->lock);
	kfree(df);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_dev_file_free);
