// SPDX-License-Identifier: GPL-2.0
/*
 * Per-memory-type page pools, TTM style.
 *
 * Converting a page's direct map costs a cross-CPU TLB flush, so WC and
 * UC- pages are converted in batches of pool_batch pages (one
 * set_pages_array_*() call each) and kept converted: a page freed by one
 * buffer is cleared and handed to the next one without any conversion.
 * Under memory pressure the shrinker converts pool pages back to WB, again
 * in batches, and frees them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <kunit/visibility.h>

#include "compat.h"
#include "mtmap.h"

static bool use_pools = true;
module_param(use_pools, bool, 0644);
MODULE_PARM_DESC(use_pools, "Keep converted WC/UC- pages in pools (default true); off converts every page on its own");

static uint pool_batch = 512;
module_param(pool_batch, uint, 0644);
MODULE_PARM_DESC(pool_batch, "Pages converted per refill of a pool (64..1024, default 512)");

static ulong pool_max_pages = 16384;
module_param(pool_max_pages, ulong, 0644);
MODULE_PARM_DESC(pool_max_pages, "Pages each pool keeps at most (default 16384 = 64 MiB)");

#define MTMAP_POOL_BATCH_MIN 64
#define MTMAP_POOL_BATCH_MAX 1024

/**
 * struct mtmap_pool - free pages of one memory type
 * @owner: tracking identity of the pool's pages
 * @type: MTMAP_MEMTYPE_* of every page in the pool
 * @lock: protects @pages and @count
 * @pages: the pages, linked through page->lru, all zeroed
 * @count: number of pages on @pages
 * @hits: allocations served from the pool
 * @misses: allocations that found the pool empty
 * @refills: batched conversions WB -> @type
 * @returns: pages given back to the pool
 * @shrunk: pages converted back to WB and freed
 */
struct mtmap_pool {
	struct mtmap_owner owner;
	u32 type;
	spinlock_t lock; /* see @lock above */
	struct list_head pages;
	unsigned long count;
	atomic_long_t hits, misses, refills, returns, shrunk;
};

static struct mtmap_pool mtmap_pools[2] = {
	{ .type = MTMAP_MEMTYPE_WC, .owner = { .kind = "pool", .name = "WC" } },
	{ .type = MTMAP_MEMTYPE_UC_MINUS, .owner = { .kind = "pool", .name = "UC-" } },
};

static struct shrinker *mtmap_shrinker;

static struct mtmap_pool *mtmap_pool_of(u32 type)
{
	return type == MTMAP_MEMTYPE_WC ? &mtmap_pools[0] :
	       type == MTMAP_MEMTYPE_UC_MINUS ? &mtmap_pools[1] : NULL;
}

/**
 * mtmap_pool_release_pages() - convert pages back to WB in one batch and free
 * @o: owner of every page
 * @pages: the pages, not mapped to userspace; reordered
 * @n: number of pages
 * @type: their current memory type
 *
 * Only pages whose direct map is proven WB afterwards are freed; the
 * others are leaked (mtmap_track_release()).
 */
void mtmap_pool_release_pages(struct mtmap_owner *o, struct page **pages,
			      unsigned int n, u32 type)
{
	unsigned int i, k = mtmap_track_release(o, pages, n, type);

	for (i = 0; i < k; i++)
		__free_page(pages[i]);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_pool_release_pages);

/*
 * Allocate up to @n zeroed WB pages and make them @o's as @type with one
 * conversion. Returns how many pages are in @pages, or -ENOMEM/-EBUSY.
 */
static int mtmap_pool_alloc_fresh(struct mtmap_owner *o, struct page **pages,
				  unsigned int n, u32 type, gfp_t gfp)
{
	unsigned int got, i;
	int err;

	for (got = 0; got < n; got++) {
		pages[got] = alloc_page(gfp | __GFP_ZERO);
		if (!pages[got])
			break;
	}
	if (!got)
		return -ENOMEM;
	err = mtmap_track_check_fresh(o, pages, got);
	if (err)
		goto err_free;
	if (type == MTMAP_MEMTYPE_WB)
		return got;
	/* Zeroed while WB; set_pages_array_*() flushes the caches first. */
	err = mtmap_track_set_type(o, pages, got, MTMAP_MEMTYPE_WB, type);
	if (err) {
		/*
		 * A half-applied conversion was undone; pages still not WB
		 * were leaked, and release frees only the others.
		 */
		mtmap_pool_release_pages(o, pages, got, MTMAP_MEMTYPE_WB);
		return err;
	}
	return got;

err_free:
	for (i = 0; i < got; i++)
		__free_page(pages[i]);
	return err;
}

/**
 * mtmap_pool_alloc_page() - one zeroed page of @type, owned by @o
 * @o: the new owner
 * @type: MTMAP_MEMTYPE_WB, _WC or _UC_MINUS
 * @gfp: allocation flags for fresh pages
 *
 * WB pages come straight from the page allocator. WC/UC- pages come from
 * the pool of that type, which converts pool_batch fresh pages at a time;
 * with use_pools off, each page is converted on its own (the slow path
 * the benchmark compares against).
 *
 * Return: the page, already of @type in the direct map, or an ERR_PTR().
 */
struct page *mtmap_pool_alloc_page(struct mtmap_owner *o, u32 type, gfp_t gfp)
{
	struct mtmap_pool *pool = mtmap_pool_of(type);
	struct page **batch, *page = NULL;
	unsigned int n;
	int got, err;

	if (type == MTMAP_MEMTYPE_WB || !pool || !READ_ONCE(use_pools)) {
		got = mtmap_pool_alloc_fresh(o, &page, 1, type, gfp);
		return got < 0 ? ERR_PTR(got) : page;
	}

	spin_lock(&pool->lock);
	page = list_first_entry_or_null(&pool->pages, struct page, lru);
	if (page) {
		list_del(&page->lru);
		pool->count--;
	}
	spin_unlock(&pool->lock);
	if (page) {
		atomic_long_inc(&pool->hits);
		goto transfer;
	}

	atomic_long_inc(&pool->misses);
	n = clamp_t(uint, READ_ONCE(pool_batch), MTMAP_POOL_BATCH_MIN, MTMAP_POOL_BATCH_MAX);
	batch = kvmalloc_array(n, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return ERR_PTR(-ENOMEM);
	got = mtmap_pool_alloc_fresh(&pool->owner, batch, n, type,
				     (gfp & ~(__GFP_ZERO | __GFP_ACCOUNT)) | __GFP_NORETRY);
	if (got < 0) {
		kvfree(batch);
		/* Memory is tight: fall back to converting just one page. */
		got = mtmap_pool_alloc_fresh(o, &page, 1, type, gfp);
		return got < 0 ? ERR_PTR(got) : page;
	}
	atomic_long_inc(&pool->refills);
	page = batch[0];
	spin_lock(&pool->lock);
	for (n = 1; n < got; n++)
		list_add_tail(&batch[n]->lru, &pool->pages);
	pool->count += got - 1;
	spin_unlock(&pool->lock);
	kvfree(batch);

transfer:
	err = mtmap_track_transfer(&pool->owner, o, &page, 1, type);
	if (WARN_ON(err))
		return ERR_PTR(err);
	return page;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_pool_alloc_page);

/**
 * mtmap_pool_free_pages() - give back pages of one type owned by @o
 * @o: owner of every page
 * @pages: the pages, not mapped to userspace
 * @n: number of pages
 * @type: their memory type
 *
 * WC/UC- pages are cleared and go back to their pool while it is below
 * pool_max_pages; the rest are converted to WB in one batch and freed.
 */
void mtmap_pool_free_pages(struct mtmap_owner *o, struct page **pages,
			   unsigned int n, u32 type)
{
	struct mtmap_pool *pool = mtmap_pool_of(type);
	unsigned long room;
	unsigned int i, keep;

	if (!pool || !READ_ONCE(use_pools)) {
		mtmap_pool_release_pages(o, pages, n, type);
		return;
	}
	spin_lock(&pool->lock);
	room = READ_ONCE(pool_max_pages);
	room = room > pool->count ? room - pool->count : 0;
	spin_unlock(&pool->lock);
	keep = min_t(unsigned long, n, room);
	if (keep && mtmap_track_transfer(o, &pool->owner, pages, keep, type))
		keep = 0;
	/* The next owner must not see this one's data. */
	for (i = 0; i < keep; i++)
		clear_highpage(pages[i]);
	spin_lock(&pool->lock);
	for (i = 0; i < keep; i++)
		list_add(&pages[i]->lru, &pool->pages);
	pool->count += keep;
	spin_unlock(&pool->lock);
	atomic_long_add(keep, &pool->returns);
	if (keep < n)
		mtmap_pool_release_pages(o, pages + keep, n - keep, type);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_pool_free_pages);

/* Take up to @nr pages out of @pool, convert them to WB, free them. */
static unsigned long mtmap_pool_shrink(struct mtmap_pool *pool, unsigned long nr)
{
	struct page *batch[MTMAP_POOL_BATCH_MIN];
	unsigned long freed = 0;
	unsigned int n;

	while (freed < nr) {
		spin_lock(&pool->lock);
		for (n = 0; n < ARRAY_SIZE(batch) && freed + n < nr; n++) {
			batch[n] = list_first_entry_or_null(&pool->pages,
							    struct page, lru);
			if (!batch[n])
				break;
			list_del(&batch[n]->lru);
			pool->count--;
		}
		spin_unlock(&pool->lock);
		if (!n)
			break;
		mtmap_pool_release_pages(&pool->owner, batch, n, pool->type);
		atomic_long_add(n, &pool->shrunk);
		freed += n;
	}
	return freed;
}

static unsigned long mtmap_pool_shrink_count(struct shrinker *s,
					     struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(mtmap_pools[0].count) +
			  READ_ONCE(mtmap_pools[1].count);

	return n ? n : SHRINK_EMPTY;
}

static unsigned long mtmap_pool_shrink_scan(struct shrinker *s,
					    struct shrink_control *sc)
{
	unsigned long freed;

	/* set_pages_array_wb() may allocate page tables: not from FS/IO-less reclaim. */
	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	freed = mtmap_pool_shrink(&mtmap_pools[0], sc->nr_to_scan);
	if (freed < sc->nr_to_scan)
		freed += mtmap_pool_shrink(&mtmap_pools[1], sc->nr_to_scan - freed);
	return freed ? freed : SHRINK_STOP;
}

/**
 * mtmap_pool_enabled() - whether freed WC/UC- pages are kept in pools
 *
 * Return: the use_pools parameter's current value.
 */
bool mtmap_pool_enabled(void)
{
	return READ_ONCE(use_pools);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_pool_enabled);

/**
 * mtmap_pool_drain_all() - return every pool page to the system
 *
 * Return: the number of pages freed.
 */
unsigned long mtmap_pool_drain_all(void)
{
	return mtmap_pool_shrink(&mtmap_pools[0], ULONG_MAX) +
	       mtmap_pool_shrink(&mtmap_pools[1], ULONG_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_pool_drain_all);

/**
 * mtmap_pool_show() - print pool sizes and counters, for debugfs
 * @m: seq_file to print to
 */
void mtmap_pool_show(struct seq_file *m)
{
	unsigned int i;

	seq_puts(m, "# type pages hits misses refills returns shrunk\n");
	for (i = 0; i < ARRAY_SIZE(mtmap_pools); i++) {
		struct mtmap_pool *p = &mtmap_pools[i];

		seq_printf(m, "%s %lu %ld %ld %ld %ld %ld\n",
			   mtmap_memtype_name(p->type), READ_ONCE(p->count),
			   atomic_long_read(&p->hits), atomic_long_read(&p->misses),
			   atomic_long_read(&p->refills), atomic_long_read(&p->returns),
			   atomic_long_read(&p->shrunk));
	}
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_pool_show);

/**
 * mtmap_pool_init() - set up the pools and register their shrinker
 *
 * Also registers the memory-type table's owner of leaked pages: pools
 * are the first thing that converts pages.
 *
 * Return: 0 or a negative errno.
 */
int mtmap_pool_init(void)
{
	unsigned int i;
	int err;

	err = mtmap_track_init();
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(mtmap_pools); i++) {
		spin_lock_init(&mtmap_pools[i].lock);
		INIT_LIST_HEAD(&mtmap_pools[i].pages);
		err = mtmap_owner_register(&mtmap_pools[i].owner);
		if (err)
			goto err_owners;
	}
	mtmap_shrinker = mtmap_shrinker_create("mtmap-pool", mtmap_pool_shrink_count,
					       mtmap_pool_shrink_scan);
	if (IS_ERR(mtmap_shrinker)) {
		err = PTR_ERR(mtmap_shrinker);
		goto err_owners;
	}
	return 0;

err_owners:
	while (i--)
		mtmap_owner_unregister(&mtmap_pools[i].owner);
	mtmap_track_exit();
	return err;
}

/**
 * mtmap_pool_exit() - free every pool page and unregister the shrinker
 */
void mtmap_pool_exit(void)
{
	unsigned int i;

	mtmap_shrinker_destroy(mtmap_shrinker);
	mtmap_pool_drain_all();
	for (i = 0; i < ARRAY_SIZE(mtmap_pools); i++)
		mtmap_owner_unregister(&mtmap_pools[i].owner);
	mtmap_track_exit();
}
