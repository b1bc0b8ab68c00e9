/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference mtmap cares about lives here, so the
 * rest of the module is written against one API. Supported: Debian 12's
 * 6.1, 6.12 and the newest 7.x, on x86-64; 6.1 on arm64. Architecture
 * differences are in arch.h, included from here.
 */
#ifndef _MTMAP_COMPAT_H
#define _MTMAP_COMPAT_H

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>

#include "arch.h"

/*
 * vm_flags became read-only with accessors in 6.3; before, the field was
 * written directly. Only call this from ->mmap (the helpers assert the
 * mmap write lock).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void mtmap_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
static inline void mtmap_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#endif

/*
 * MODULE_IMPORT_NS() took an identifier until 6.13 and a string literal
 * since.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define MTMAP_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#else
#define MTMAP_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#endif

/*
 * Shrinkers are allocated by the core since 6.7; before, the caller
 * embedded struct shrinker and registered it with a name (6.0+).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *
mtmap_shrinker_create(const char *name,
		      unsigned long (*count)(struct shrinker *, struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *, struct shrink_control *))
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int err;

	if (!s)
		return ERR_PTR(-ENOMEM);
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	err = register_shrinker(s, "%s", name);
	if (err) {
		kfree(s);
		return ERR_PTR(err);
	}
	return s;
}

static inline void mtmap_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
	kfree(s);
}
#else
static inline struct shrinker *
mtmap_shrinker_create(const char *name,
		      unsigned long (*count)(struct shrinker *, struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *, struct shrink_control *))
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return ERR_PTR(-ENOMEM);
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
	return s;
}

static inline void mtmap_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#endif

/*
 * Call @fn, an apply_to_page_range() callback, on the faulting address's
 * PTE under its lock, found from the PMD the core's own walk reached
 * (vmf->pmd). Returns false where that cannot be done: then the caller
 * walks from the PGD (apply_to_page_range()). Before 6.4 a fault holds
 * mmap_lock, under which a VMA's PTE tables are never freed (munmap frees
 * them under the write lock), and pte_offset_map_lock() is inline; the
 * core's fault path itself maps vmf->pmd's table this way. Since 6.4 a
 * fault may hold only the VMA lock, and 6.5 made PTE tables RCU-freed and
 * revalidated by __pte_offset_map_lock(), which is not exported.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
static inline bool mtmap_fault_apply_pte(struct vm_fault *vmf, pte_fn_t fn, void *data)
{
	pmd_t pmd = READ_ONCE(*vmf->pmd);
	spinlock_t *ptl;	/* the PTE table's */
	pte_t *pte;

	if (!pmd_present(pmd) || pmd_trans_huge(pmd) || pmd_devmap(pmd) ||
	    pmd_bad(pmd))
		return false;	/* no table yet (the walk allocates it) */
	pte = pte_offset_map_lock(vmf->vma->vm_mm, vmf->pmd, vmf->address, &ptl);
	fn(pte, vmf->address, data);
	pte_unmap_unlock(pte, ptl);
	return true;
}
#else
static inline bool mtmap_fault_apply_pte(struct vm_fault *vmf, pte_fn_t fn, void *data)
{
	return false;
}
#endif

/*
 * ->huge_fault takes a page order since 6.6 (an enum before). mtmap maps
 * PMDs only from 6.6: 6.1 never calls ->huge_fault for such a VMA anyway.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0) && \
	IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)
#define MTMAP_HAVE_HUGE_FAULT 1

/*
 * pfn_t is gone in 7.x, where vmf_insert_pfn_pmd() takes the pfn itself;
 * Kbuild defines MTMAP_HAVE_PFN_T when the tree still has <linux/pfn_t.h>.
 */
#ifdef MTMAP_HAVE_PFN_T
#include <linux/pfn_t.h>
static inline vm_fault_t mtmap_insert_pfn_pmd(struct vm_fault *vmf,
					      unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(pfn), write);
}
#else
static inline vm_fault_t mtmap_insert_pfn_pmd(struct vm_fault *vmf,
					      unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pmd(vmf, pfn, write);
}
#endif
#endif

/*
 * Device-exclusive access (src/exclusive.c). Needs CONFIG_DEVICE_PRIVATE,
 * which Debian's 6.1 lacks although <linux/rmap.h> declares the function
 * anyway (the failure would only show at modpost), and CONFIG_MMU_NOTIFIER
 * for the interval notifier that sees revocations. Without both, the
 * ioctls return -EOPNOTSUPP.
 *
 * make_device_exclusive_range() became the per-page
 * make_device_exclusive() in 6.15. mtmap_make_exclusive() gives both the
 * new function's contract: the page at @addr, made device-exclusive,
 * returned with its folio locked and referenced, or an ERR_PTR().
 */
#if IS_ENABLED(CONFIG_DEVICE_PRIVATE) && IS_ENABLED(CONFIG_MMU_NOTIFIER)
#define MTMAP_HAVE_EXCLUSIVE 1
#include <linux/rmap.h>

/* get_user_pages_remote() lost its vmas argument in 6.5. */
static inline long mtmap_gup_one(struct mm_struct *mm, unsigned long addr,
				 unsigned int gup_flags, struct page **page)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL);
#endif
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
static inline struct page *mtmap_make_exclusive(struct mm_struct *mm,
						unsigned long addr, void *owner)
{
	struct folio *folio;

	return make_device_exclusive(mm, addr, owner, &folio);
}
#else
/*
 * The range function grants only the head page of a large folio (NULL for
 * tail pages); exclusive.c splits PMD-mapped THPs first on these kernels.
 */
#define MTMAP_EXCLUSIVE_NEEDS_SPLIT 1

static inline struct page *mtmap_make_exclusive(struct mm_struct *mm,
						unsigned long addr, void *owner)
{
	struct page *page = NULL;
	int n;

	n = make_device_exclusive_range(mm, addr, addr + PAGE_SIZE, &page,
					owner);
	if (n < 0)
		return ERR_PTR(n);
	if (!n)
		return ERR_PTR(-EFAULT);
	if (!page)
		return ERR_PTR(-EBUSY);
	return page;
}
#endif
#endif

/*
 * The pfn a VM_PFNMAP mapping maps at @addr, read from the page table
 * (debugfs "ptes"), mmap_lock held: follow_pfnmap_start() from 6.12 (PTE
 * or PMD), follow_pte() before, which takes the VMA from 6.10 on and
 * reports no PMD (nor does mtmap map one before 6.6). Return: 0 or -errno.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline int mtmap_follow_pfn(struct vm_area_struct *vma,
				   unsigned long addr, unsigned long *pfn)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int err = follow_pfnmap_start(&args);

	if (err)
		return err;
	*pfn = args.pfn;
	follow_pfnmap_end(&args);
	return 0;
}
#else
static inline int mtmap_follow_pfn(struct vm_area_struct *vma,
				   unsigned long addr, unsigned long *pfn)
{
	spinlock_t *ptl; /* the PTE lock follow_pte() took */
	pte_t *ptep;
	int err;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	err = follow_pte(vma, addr, &ptep, &ptl);
#else
	err = follow_pte(vma->vm_mm, addr, &ptep, &ptl);
#endif
	if (err)
		return err;
	*pfn = pte_pfn(ptep_get(ptep));
	pte_unmap_unlock(ptep, ptl);
	return 0;
}
#endif

#endif /* _MTMAP_COMPAT_H */
