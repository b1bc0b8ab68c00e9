/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-exclusive access: the state of an open /dev/mtmap file and of
 * the ranges userspace registers with it.
 *
 * Lock order, outermost first:
 *
 *   mtmap_dev_file.lock          the range list; one EXCLUSIVE at a time
 *     mmap_lock                  (read) VMA checks, taking pages
 *       mtmap_excl_range.acquire_lock   one taker per range
 *         folio lock             held by the kernel's grant
 *           mtmap_excl_range.lock       the emulated device page table
 *
 * The notifier takes only mtmap_excl_range.lock, under whatever the
 * invalidating path holds (the folio lock on a CPU fault, mmap_lock for
 * munmap), which is why nothing is allocated, faulted or locked under
 * mtmap_excl_range.lock. mmu_interval_notifier_insert() may take
 * mmap_lock for write: it is called under mtmap_dev_file.lock only.
 */
#ifndef _MTMAP_EXCLUSIVE_H
#define _MTMAP_EXCLUSIVE_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include <uapi/mtmap.h>

/**
 * struct mtmap_dev_file - state of one open /dev/mtmap file
 * @lock: protects @mm and @ranges (not the ranges' contents).
 * @mm: address space of every range, bound by the first
 *	MTMAP_IOC_EXCLUSIVE (mmgrab()ed), or NULL.
 * @ranges: struct mtmap_excl_range list, sorted by address, disjoint.
 *
 * The struct's address is the owner mtmap passes to the kernel when it
 * takes a page, so its notifiers can tell their own grants apart.
 */
struct mtmap_dev_file {
	struct mutex lock; /* see @lock above */
	struct mm_struct *mm;
	struct list_head ranges;
};

/**
 * struct mtmap_excl_range - one range registered with MTMAP_IOC_EXCLUSIVE
 * @node: entry in mtmap_dev_file.ranges.
 * @df: the file; also the owner cookie of the range's grants.
 * @notifier: sees every invalidation of [@start, @end) in @df's mm.
 * @lock: the emulated device's page table lock: held while a page is
 *	marked held and during a device atomic; the notifier takes it to
 *	revoke, so the kernel cannot change a PTE under a device access.
 * @acquire_lock: serialises taking pages, so that two takers of one page
 *	do not revoke each other.
 * @start: first address.
 * @end: address after the last page.
 * @npages: (@end - @start) >> PAGE_SHIFT.
 * @held: bit i set while mtmap holds page i.
 * @pending: bit i set while page i is being taken; any invalidation of
 *	the page clears it, so a grant that raced with one is not trusted.
 * @pages: page i while held (no reference: the notifier clears the bit
 *	before the kernel can free the page).
 * @acquired: grants taken, counting re-acquisitions.
 * @revoked: held pages lost to invalidations.
 * @invalidations: notifier calls other than mtmap's own grants.
 * @registered: @notifier is inserted.
 */
struct mtmap_excl_range {
	struct list_head node;
	struct mtmap_dev_file *df;
	struct mmu_interval_notifier notifier;
	struct mutex lock; /* see @lock above */
	struct mutex acquire_lock; /* see @acquire_lock above */
	unsigned long start;
	unsigned long end;
	unsigned long npages;
	unsigned long *held;
	unsigned long *pending;
	struct page **pages;
	u64 acquired;
	u64 revoked;
	u64 invalidations;
	bool registered;
};

/**
 * struct mtmap_excl_op - a device atomic to run once its page is held
 * @op: MTMAP_ATOMIC_*.
 * @value: operand.
 * @compare: expected value for MTMAP_ATOMIC_CMPXCHG.
 * @old: out: the word's value before the operation.
 */
struct mtmap_excl_op {
	u32 op;
	u64 value;
	u64 compare;
	u64 old;
};

/* exclusive.c: taking and giving back pages */
struct mtmap_dev_file *mtmap_dev_file_alloc(void);
void mtmap_dev_file_free(struct mtmap_dev_file *df);
int mtmap_excl_range_register(struct mtmap_excl_range *r, struct mm_struct *mm);
int mtmap_excl_vma_ok(struct vm_area_struct *vma);
int mtmap_excl_vmas_ok(struct mm_struct *mm, unsigned long start,
		       unsigned long end);
int mtmap_excl_acquire(struct mtmap_excl_range *r, struct mm_struct *mm,
		       unsigned long word_addr, struct mtmap_excl_op *op,
		       bool *taken);
void mtmap_excl_run(struct mtmap_excl_range *r, unsigned long addr,
		    struct mtmap_excl_op *op);
bool mtmap_excl_invalidate(struct mmu_interval_notifier *mni,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq);

/* exclusive_range.c: bookkeeping, pure and unit tested */
struct mtmap_excl_range *mtmap_excl_range_alloc(struct mtmap_dev_file *df,
						unsigned long start,
						unsigned long npages);
void mtmap_excl_range_free(struct mtmap_excl_range *r);
int mtmap_excl_range_insert(struct mtmap_dev_file *df,
			    struct mtmap_excl_range *r);
struct mtmap_excl_range *mtmap_excl_range_find(struct mtmap_dev_file *df,
					       unsigned long start,
					       unsigned long end, int *err);
void mtmap_excl_mark_held(struct mtmap_excl_range *r, unsigned long addr,
			  struct page *page);
unsigned long mtmap_excl_revoke(struct mtmap_excl_range *r,
				unsigned long start, unsigned long end);
bool mtmap_excl_event_is_ours(const struct mmu_notifier_range *range,
			      const struct mtmap_dev_file *df);
u64 mtmap_excl_apply(u64 *word, u32 op, u64 value, u64 compare);

#endif /* _MTMAP_EXCLUSIVE_H */
