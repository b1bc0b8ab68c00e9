// SPDX-License-Identifier: GPL-2.0
/*
 * Memory types of RAM pages, tracked PAT style.
 *
 * Every page mtmap owns is in one table, keyed by pfn, recording its owner
 * (a buffer or a pool) and its memory type. All changes go through this
 * file in two passes, as x86's reserve_ram_pages_type() does: first check
 * every page (detect), then change them all (commit). A page that is not
 * in the state the caller believes is a conflict: -EBUSY, logged, nothing
 * changed.
 *
 * This is also the only place that converts the kernel direct map: the
 * type recorded here and the direct map of a page agree whenever a user
 * PTE to the page can exist (callers convert before mapping and zap
 * before converting).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/xarray.h>

#include "compat.h"
#include "mtmap.h"

/* pfn -> xa_mk_value(owner id << 2 | memtype) */
static DEFINE_XARRAY(mtmap_track);
/* owner id -> struct mtmap_owner */
static DEFINE_XARRAY_ALLOC1(mtmap_owners);
/* Serialises detect+commit of type changes and ownership transfers. */
static DEFINE_MUTEX(mtmap_track_lock);

#define MTMAP_TYPE_BITS 2
#define MTMAP_TYPE_MASK ((1UL << MTMAP_TYPE_BITS) - 1)

static const char * const mtmap_memtype_names[] = {
	[MTMAP_MEMTYPE_WB] = "WB",
	[MTMAP_MEMTYPE_WC] = "WC",
	[MTMAP_MEMTYPE_UC_MINUS] = "UC-",
	[MTMAP_MEMTYPE_WT] = "WT",
};

/**
 * mtmap_memtype_name() - printable name of a memory type
 * @type: MTMAP_MEMTYPE_* value
 *
 * Return: a static string, "?" for an unknown value.
 */
const char *mtmap_memtype_name(u32 type)
{
	return type < ARRAY_SIZE(mtmap_memtype_names) ? mtmap_memtype_names[type] : "?";
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_memtype_name);

/**
 * mtmap_memtype_effective() - the type the kernel really gives for @type
 * @type: a requested MTMAP_MEMTYPE_* value (WB, WC or UC-)
 *
 * With PAT disabled (nopat) x86 has no write-combining: set_memory_wc()
 * and pgprot_writecombine() both produce UC-. Report what the page
 * tables will say (mtmap_arch_has_wc() in arch.h).
 *
 * Return: the effective MTMAP_MEMTYPE_* value.
 */
u32 mtmap_memtype_effective(u32 type)
{
	if (type == MTMAP_MEMTYPE_WC && !mtmap_arch_has_wc())
		return MTMAP_MEMTYPE_UC_MINUS;
	return type;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_memtype_effective);

/**
 * mtmap_memtype_pgprot() - apply a memory type to a page protection
 * @type: MTMAP_MEMTYPE_* (WB, WC or UC-)
 * @prot: a protection with WB cache bits, e.g. from vm_get_page_prot()
 *
 * Return: @prot with the cache bits of @type.
 */
pgprot_t mtmap_memtype_pgprot(u32 type, pgprot_t prot)
{
	switch (type) {
	case MTMAP_MEMTYPE_WC:
		return pgprot_writecombine(prot);
	case MTMAP_MEMTYPE_UC_MINUS:
		return pgprot_noncached(prot);
	default:
		return prot;
	}
}

/*
 * Memory type of the direct map at @page, and in @span the number of
 * pages from @page to the end of the page-table entry that maps it (1 for
 * a 4 KiB entry, up to 512 for a 2 MiB one): they all share that type.
 * The entry is read by mtmap_arch_directmap_span() (arch.h).
 */
static int mtmap_directmap_span(struct page *page, unsigned long *span)
{
	int t = mtmap_arch_directmap_span(page, span);

	/* With PAT off, WC bits are UC-: name the type the CPU applies. */
	return t < 0 ? t : (int)mtmap_memtype_effective(t);
}

/**
 * mtmap_memtype_directmap() - read the memory type of a page's kernel alias
 * @page: a lowmem page
 *
 * Reads the direct-map page table entry itself, an oracle independent of
 * both mtmap's table and the kernel's page-flag tracking.
 *
 * Return: MTMAP_MEMTYPE_* of the direct map, or -ENOENT if unmapped and
 * -EIO for a cache mode mtmap never sets.
 */
int mtmap_memtype_directmap(struct page *page)
{
	unsigned long span;

	return mtmap_directmap_span(page, &span);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_memtype_directmap);

/**
 * mtmap_owner_register() - give an owner an id in the tracking table
 * @o: the owner; @o->kind and @o->name must be set
 *
 * Return: 0 or -ENOMEM/-EBUSY.
 */
int mtmap_owner_register(struct mtmap_owner *o)
{
	return xa_alloc(&mtmap_owners, &o->id, o,
			XA_LIMIT(1, (UINT_MAX >> MTMAP_TYPE_BITS)), GFP_KERNEL);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_owner_register);

/**
 * mtmap_owner_unregister() - drop an owner that owns no page any more
 * @o: the owner
 */
void mtmap_owner_unregister(struct mtmap_owner *o)
{
	xa_erase(&mtmap_owners, o->id);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_owner_unregister);

static void *mtmap_entry(const struct mtmap_owner *o, u32 type)
{
	return xa_mk_value(((unsigned long)o->id << MTMAP_TYPE_BITS) | type);
}

static void mtmap_conflict(const char *op, struct page *page,
			   const struct mtmap_owner *o, u32 want, void *cur)
{
	unsigned long v = xa_to_value(cur);

	pr_notice_ratelimited("%s[%d]: %s: pfn %#lx wanted by %s %u as %s, but %s (owner %lu, type %s)\n",
			      current->comm, task_pid_nr(current), op,
			      page_to_pfn(page), o->kind, o->id,
			      mtmap_memtype_name(want),
			      cur ? "tracked" : "untracked",
			      cur ? v >> MTMAP_TYPE_BITS : 0,
			      mtmap_memtype_name(cur ? v & MTMAP_TYPE_MASK : 0));
}

/**
 * mtmap_track_check_fresh_range() - mtmap_track_check_fresh() for consecutive pfns
 * @o: the owner they are for
 * @pfn: first pfn, e.g. of a folio straight from the page allocator
 * @n: number of pages
 *
 * Return: 0 or -EBUSY.
 */
int mtmap_track_check_fresh_range(struct mtmap_owner *o, unsigned long pfn,
				  unsigned long n)
{
	unsigned long k, span;

	for (k = 0; k < n; k += span) {
		if (mtmap_directmap_span(pfn_to_page(pfn + k), &span) != MTMAP_MEMTYPE_WB) {
			mtmap_conflict("add", pfn_to_page(pfn + k), o, MTMAP_MEMTYPE_WB,
				       xa_load(&mtmap_track, pfn + k));
			return -EBUSY;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_check_fresh_range);

/**
 * mtmap_track_check_fresh() - check that fresh pages really are WB and unowned
 * @o: the owner they are for
 * @pages: pages straight from the page allocator
 * @n: number of pages
 *
 * WB is the state of a page the table does not hold (as for x86's own
 * RAM tracking: no page flag means WB), so nothing is stored here; the
 * buffer's page array records who owns a WB page. Detect only: a page
 * whose direct map is not WB (freed by someone while still WC) is a
 * conflict.
 *
 * The table is not searched: a page in it is always one of ours with a
 * non-WB direct map (set_type() converts under the table lock, and
 * mtmap_track_check_freeable() refuses to let a tracked page go), so the
 * direct-map check already catches it. It costs one page-table walk per
 * direct-map entry and no lock, which matters on every first touch.
 *
 * Return: 0 or -EBUSY.
 */
int mtmap_track_check_fresh(struct mtmap_owner *o, struct page **pages, unsigned int n)
{
	unsigned long pfn;
	unsigned int i, j;
	int err;

	/* Runs of consecutive pfns are checked a direct-map entry at a time. */
	for (i = 0; i < n; i = j) {
		pfn = page_to_pfn(pages[i]);
		for (j = i + 1; j < n && page_to_pfn(pages[j]) == pfn + (j - i); j++)
			;
		err = mtmap_track_check_fresh_range(o, pfn, j - i);
		if (err)
			return err;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_check_fresh);

/*
 * Detect pass shared by the operations below; called with the lock held.
 * A WB page is expected to be absent from the table.
 */
static int mtmap_track_detect(const char *op, struct mtmap_owner *o,
			      struct page **pages, unsigned int n, u32 type)
{
	void *want = type == MTMAP_MEMTYPE_WB ? NULL : mtmap_entry(o, type);
	unsigned int i;

	lockdep_assert_held(&mtmap_track_lock);
	for (i = 0; i < n; i++) {
		void *cur = xa_load(&mtmap_track, page_to_pfn(pages[i]));

		if (cur != want) {
			mtmap_conflict(op, pages[i], o, type, cur);
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * Record @n WB (untracked) pages as @o's of @type. New entries may need
 * memory, so a caller going from WB records first and converts after: a
 * failure here has changed nothing (what was stored is erased again).
 */
static int mtmap_track_commit(struct mtmap_owner *o, struct page **pages,
			      unsigned int n, u32 type)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&mtmap_track_lock);
	for (i = 0; i < n; i++) {
		err = xa_err(xa_store(&mtmap_track, page_to_pfn(pages[i]),
				      mtmap_entry(o, type), GFP_KERNEL));
		if (err) {
			while (i--)
				xa_erase(&mtmap_track, page_to_pfn(pages[i]));
			return err;
		}
	}
	return 0;
}

/* Convert the direct map, in one batch (arch.h: -EOPNOTSUPP where it cannot). */
static int mtmap_set_pages(struct page **pages, unsigned int n, u32 type)
{
	return mtmap_arch_set_pages(pages, n, type);
}

/*
 * Rewrite the entry of a page already in the table, or erase it for WB:
 * the slot exists, so nothing is allocated and nothing can fail.
 */
static void mtmap_track_overwrite(struct mtmap_owner *o, struct page *page,
				  u32 type)
{
	void *old;

	lockdep_assert_held(&mtmap_track_lock);
	if (type == MTMAP_MEMTYPE_WB) {
		xa_erase(&mtmap_track, page_to_pfn(page));
		return;
	}
	old = xa_store(&mtmap_track, page_to_pfn(page), mtmap_entry(o, type),
		       GFP_NOWAIT | __GFP_NOWARN);
	WARN_ON_ONCE(!old || xa_is_err(old));
}

/* Pages never to be freed: not proven WB after a failed conversion. */
static struct mtmap_owner mtmap_owner_leaked = {
	.kind = "leaked",
	.name = "not-WB",
};

/*
 * TTM's error path: set_pages_array_*() does not undo what it applied
 * before a direct-map split failed, so convert every page back to WB
 * (split pages need no allocation for that) and read each direct map:
 * pages proven WB are untracked, the others leaked (moved to the leaked
 * owner, in place when @tracked). Returns the number of pages leaked.
 */
static unsigned int mtmap_track_back_to_wb(struct page **pages,
					   unsigned int n, bool tracked)
{
	unsigned int i, leaked = 0;
	int dm;

	lockdep_assert_held(&mtmap_track_lock);
	mtmap_set_pages(pages, n, MTMAP_MEMTYPE_WB);	/* its error: see the direct map */
	for (i = 0; i < n; i++) {
		dm = mtmap_memtype_directmap(pages[i]);
		if (dm != MTMAP_MEMTYPE_WB) {
			dm = dm < 0 ? MTMAP_MEMTYPE_UC_MINUS : dm;
			leaked++;
		}
		if (tracked)
			mtmap_track_overwrite(&mtmap_owner_leaked, pages[i], dm);
		else if (dm != MTMAP_MEMTYPE_WB)
			/* Best effort: untracked, it is leaked all the same. */
			xa_store(&mtmap_track, page_to_pfn(pages[i]),
				 mtmap_entry(&mtmap_owner_leaked, dm),
				 GFP_NOWAIT | __GFP_NOWARN);
	}
	if (leaked)
		pr_err_ratelimited("%u page(s) still not WB after a failed conversion: leaked, never freed\n",
				   leaked);
	return leaked;
}

/**
 * mtmap_track_set_type() - convert pages owned by @o from @from to @to
 * @o: owner of every page
 * @pages: the pages, none of them mapped to userspace
 * @n: number of pages; converted with one batched call per step
 * @from: current type of every page
 * @to: new type (WB, WC or UC-)
 *
 * All or nothing, under the table lock (which debugfs takes too) and with
 * no user mapping of the pages, so nobody sees a page half way. From WB,
 * the pages are recorded first (the only step that allocates for the
 * table) and converted after; if the conversion fails (a direct-map split
 * could not allocate), they go back to WB and are untracked, except pages
 * whose direct map cannot be proven WB: those are leaked, and
 * mtmap_track_release() keeps the caller from freeing them. From WC or
 * UC-, entries are only rewritten in place, so neither the change nor its
 * undo allocates for the table; non-WB to non-WB goes through WB, as x86
 * requires. The pages were split to 4 KiB in the direct map when first
 * converted, so these conversions allocate nothing either; if one fails
 * anyway, the pages are converted back to @from.
 *
 * Return: 0; -EBUSY if a page is not owned by @o as @from (nothing is
 * changed); -ENOMEM if the change could not be made, after which every
 * page is as it was (of @from, owned by @o), apart from leaked ones.
 */
int mtmap_track_set_type(struct mtmap_owner *o, struct page **pages,
			 unsigned int n, u32 from, u32 to)
{
	unsigned int nofs, i;
	int err;

	if (to > MTMAP_MEMTYPE_UC_MINUS || from > MTMAP_MEMTYPE_UC_MINUS)
		return -EINVAL;
	/*
	 * set_pages_array_*() may allocate page tables to split the direct
	 * map. Keep that allocation out of FS reclaim: our pool shrinker
	 * (which refuses !__GFP_FS) converts pages too and would wait for
	 * mtmap_track_lock, which we hold.
	 */
	nofs = memalloc_nofs_save();
	mutex_lock(&mtmap_track_lock);
	err = mtmap_track_detect("set_type", o, pages, n, from);
	if (err || from == to)
		goto out;
	if (from == MTMAP_MEMTYPE_WB) {
		err = mtmap_track_commit(o, pages, n, to);
		if (err)
			goto out;
		if (mtmap_set_pages(pages, n, to)) {
			mtmap_track_back_to_wb(pages, n, true);
			err = -ENOMEM;
		}
		goto out;
	}
	if (!mtmap_set_pages(pages, n, MTMAP_MEMTYPE_WB) &&
	    (to == MTMAP_MEMTYPE_WB || !mtmap_set_pages(pages, n, to))) {
		for (i = 0; i < n; i++)
			mtmap_track_overwrite(o, pages[i], to);
		goto out;
	}
	/*
	 * Back to @from; the entries still say @from. Cannot fail on split
	 * pages; if it does, tracked pages still go to WB before any free.
	 */
	mtmap_set_pages(pages, n, MTMAP_MEMTYPE_WB);
	WARN_ON_ONCE(mtmap_set_pages(pages, n, from));
	err = -ENOMEM;
out:
	mutex_unlock(&mtmap_track_lock);
	memalloc_nofs_restore(nofs);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_set_type);

/**
 * mtmap_track_release() - make pages WB so they can go back to the allocator
 * @o: owner of every page
 * @pages: the pages, not mapped to userspace; reordered
 * @n: number of pages
 * @type: their current type (recorded as @o's), or WB (untracked)
 *
 * Converts the pages to WB in one batch and reads back the direct map of
 * each: only pages proven WB may be freed, the others are leaked. Pages
 * leaked earlier are skipped quietly, pages not @o's as @type (a bug)
 * with a warning.
 *
 * Return: the number of pages that may be freed, moved to the front of
 * @pages; the caller frees exactly those.
 */
unsigned int mtmap_track_release(struct mtmap_owner *o, struct page **pages,
				 unsigned int n, u32 type)
{
	void *want = type == MTMAP_MEMTYPE_WB ? NULL : mtmap_entry(o, type);
	unsigned int nofs, i, k = 0;
	void *cur;

	nofs = memalloc_nofs_save();
	mutex_lock(&mtmap_track_lock);
	for (i = 0; i < n; i++) {
		cur = xa_load(&mtmap_track, page_to_pfn(pages[i]));
		if (cur == want) {
			pages[k++] = pages[i];
			continue;
		}
		if (!cur || xa_to_value(cur) >> MTMAP_TYPE_BITS != mtmap_owner_leaked.id) {
			mtmap_conflict("release", pages[i], o, type, cur);
			WARN_ON_ONCE(1);
		}
	}
	n = k;
	if (type != MTMAP_MEMTYPE_WB)
		mtmap_track_back_to_wb(pages, n, true);
	/* Freeable: untracked now (back_to_wb() untracks only WB pages) and WB. */
	for (i = 0, k = 0; i < n; i++) {
		if (xa_load(&mtmap_track, page_to_pfn(pages[i])) ||
		    (mtmap_memtype_directmap(pages[i]) != MTMAP_MEMTYPE_WB &&
		     mtmap_track_back_to_wb(&pages[i], 1, false)))
			continue;
		pages[k++] = pages[i];
	}
	mutex_unlock(&mtmap_track_lock);
	memalloc_nofs_restore(nofs);
	return k;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_release);

/**
 * mtmap_track_init() - register the owner of leaked pages
 * Return: 0 or -ENOMEM/-EBUSY.
 */
int mtmap_track_init(void)
{
	return mtmap_owner_register(&mtmap_owner_leaked);
}

/**
 * mtmap_track_exit() - unregister the owner of leaked pages (never freed)
 */
void mtmap_track_exit(void)
{
	mtmap_owner_unregister(&mtmap_owner_leaked);
}

/**
 * mtmap_track_transfer() - hand pages of type @type from one owner to another
 * @from: current owner of every page
 * @to: new owner
 * @pages: the pages
 * @n: number of pages
 * @type: type of every page
 *
 * WB pages are not in the table, so for them this only checks that.
 *
 * Return: 0, or -EBUSY (nothing changed) if a page is not @from's as @type.
 */
int mtmap_track_transfer(struct mtmap_owner *from, struct mtmap_owner *to,
			 struct page **pages, unsigned int n, u32 type)
{
	unsigned int i;
	int err;

	mutex_lock(&mtmap_track_lock);
	err = mtmap_track_detect("transfer", from, pages, n, type);
	/* Storing over existing entries: cannot fail. */
	for (i = 0; !err && type != MTMAP_MEMTYPE_WB && i < n; i++)
		mtmap_track_overwrite(to, pages[i], type);
	mutex_unlock(&mtmap_track_lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_transfer);

/**
 * mtmap_track_check_freeable() - check that pages may go back to the allocator
 * @o: owner of every page
 * @pages: the pages
 * @n: number of pages
 *
 * A WC or UC- page must never reach the page allocator.
 *
 * Return: 0 when every page is WB (untracked), or -EBUSY.
 */
int mtmap_track_check_freeable(struct mtmap_owner *o, struct page **pages,
			       unsigned int n)
{
	int err;

	mutex_lock(&mtmap_track_lock);
	err = mtmap_track_detect("remove", o, pages, n, MTMAP_MEMTYPE_WB);
	mutex_unlock(&mtmap_track_lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_check_freeable);

/**
 * mtmap_track_lookup() - current owner and type of a page
 * @page: the page
 * @owner_id: set to the owner id, 0 if untracked
 *
 * Return: MTMAP_MEMTYPE_* of a tracked page, or -ENOENT for a page the
 * table does not hold (WB).
 */
int mtmap_track_lookup(struct page *page, u32 *owner_id)
{
	void *cur = xa_load(&mtmap_track, page_to_pfn(page));

	*owner_id = cur ? xa_to_value(cur) >> MTMAP_TYPE_BITS : 0;
	return cur ? (int)(xa_to_value(cur) & MTMAP_TYPE_MASK) : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_lookup);

/**
 * mtmap_track_walk() - call @fn on every tracked (non-WB) page, by pfn
 * @fn: called with the table lock held, so that nothing changes and no
 *	owner goes away meanwhile; gets @arg, the pfn, its type, its owner's
 *	id and the owner (NULL if that id is unknown)
 * @arg: passed to @fn
 *
 * For debugfs. @fn must not call back into the table.
 */
void mtmap_track_walk(void (*fn)(void *arg, unsigned long pfn, u32 type,
				 u32 owner_id, const struct mtmap_owner *o),
		      void *arg)
{
	unsigned long pfn;
	void *entry;

	mutex_lock(&mtmap_track_lock);
	xa_for_each(&mtmap_track, pfn, entry) {
		unsigned long v = xa_to_value(entry);

		fn(arg, pfn, v & MTMAP_TYPE_MASK, v >> MTMAP_TYPE_BITS,
		   xa_load(&mtmap_owners, v >> MTMAP_TYPE_BITS));
	}
	mutex_unlock(&mtmap_track_lock);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_track_walk);
