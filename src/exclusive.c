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
 * This file takes and gives back pages; the bookkeeping is in
 * exclusive_range.c, the ioctls in exclusive_ioctl.c, the lock order in
 * exclusive.h.
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
#include "exclusive.h"

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

#ifdef MTMAP_HAVE_EXCLUSIVE

/**
 * mtmap_excl_invalidate() - the notifier of an exclusive range
 * @mni: the range's notifier.
 * @range: the invalidation.
 * @cur_seq: its sequence number.
 *
 * Non-static only for KUnit (src/kunit/exclusive_test.c).
 *
 * Return: false if @range cannot block and the range's lock is taken.
 */
bool mtmap_excl_invalidate(struct mmu_interval_notifier *mni,
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
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_invalidate);

static const struct mmu_interval_notifier_ops mtmap_excl_notifier_ops = {
	.invalidate = mtmap_excl_invalidate,
};

/**
 * mtmap_excl_range_register() - start watching @r's span in @mm
 * @r: a new range, not yet on its file's list.
 * @mm: the file's address space.
 *
 * May register mtmap with @mm, which takes mmap_lock for write: call it
 * without mmap_lock held.
 *
 * Return: 0 or a negative errno.
 */
int mtmap_excl_range_register(struct mtmap_excl_range *r, struct mm_struct *mm)
{
	int err;

	err = mmu_interval_notifier_insert(&r->notifier, mm, r->start,
					   r->end - r->start,
					   &mtmap_excl_notifier_ops);
	if (!err)
		r->registered = true;
	return err;
}

/**
 * mtmap_excl_vma_ok() - can the kernel make pages of @vma device-exclusive?
 * @vma: the VMA.
 *
 * Return: 0, -EOPNOTSUPP (not private anonymous memory) or -EPERM (not
 * writable).
 */
int mtmap_excl_vma_ok(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma) || !vma_is_anonymous(vma))
		return -EOPNOTSUPP;
	if (!(vma->vm_flags & VM_WRITE))
		return -EPERM;
	return 0;
}

/**
 * mtmap_excl_vmas_ok() - is all of [@start, @end) memory mtmap can take?
 * @mm: the address space, its mmap_lock held.
 * @start: first address.
 * @end: address after the last byte.
 *
 * Return: 0, -EFAULT for a hole, or mtmap_excl_vma_ok()'s error.
 */
int mtmap_excl_vmas_ok(struct mm_struct *mm, unsigned long start,
		       unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	int err;

	mmap_assert_locked(mm);
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

/**
 * mtmap_excl_run() - run a device atomic on a held page
 * @r: the range, its lock held.
 * @addr: address of the word, on a page mtmap holds.
 * @op: the atomic; its result goes to @op->old.
 */
void mtmap_excl_run(struct mtmap_excl_range *r, unsigned long addr,
		    struct mtmap_excl_op *op)
{
	struct page *page;
	u64 *kaddr;

	lockdep_assert_held(&r->lock);
	page = r->pages[(addr - r->start) >> PAGE_SHIFT];
	kaddr = kmap_local_page(page);
	/*
	 * The CPU cannot reach the page (its PTE is device-exclusive) and
	 * cannot get it back before the notifier has taken range->lock,
	 * which we hold: a plain read-modify-write is atomic.
	 */
	op->old = mtmap_excl_apply(kaddr + offset_in_page(addr) / sizeof(u64),
				   op->op, op->value, op->compare);
	kunmap_local(kaddr);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_run);

/**
 * mtmap_excl_acquire() - hold the page of @word_addr, then run @op on it
 * @r: the range containing @word_addr.
 * @mm: the range's address space, its mmap_lock held for read, the VMA
 *	checked with mtmap_excl_vma_ok().
 * @word_addr: address of the word @op works on (any address for no @op).
 * @op: device atomic to run before anything can take the page back, or
 *	NULL.
 * @taken: set when this call made the grant (the page was not held).
 *
 * Return: 0, or -EBUSY (the page could not be taken after
 * MTMAP_EXCL_TRIES attempts), -EINTR, or the kernel's error.
 */
int mtmap_excl_acquire(struct mtmap_excl_range *r, struct mm_struct *mm,
		       unsigned long word_addr, struct mtmap_excl_op *op,
		       bool *taken)
{
	unsigned long addr = word_addr & PAGE_MASK;
	unsigned long i = (addr - r->start) >> PAGE_SHIFT;
	struct folio *folio;
	struct page *page;
	unsigned int tries;
	bool held;
	int err;

	mmap_assert_locked(mm);
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
