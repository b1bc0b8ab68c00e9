// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for device-exclusive access: the range notifier and
 * the per-range bookkeeping (held pages, revocation counts, range lookup).
 * The filter is what keeps mtmap from revoking its own grants on every
 * kernel, whichever event type the kernel uses for a CPU revocation.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include "compat.h"
#include "exclusive.h"

#define BASE 0x10000000UL
#define NPAGES 16

struct excl_ctx {
	struct mtmap_dev_file *df;
	struct mtmap_excl_range *r;
	struct page *page;
};

static int excl_test_init(struct kunit *test)
{
	struct excl_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->df = mtmap_dev_file_alloc();
	KUNIT_ASSERT_NOT_NULL(test, ctx->df);
	ctx->r = mtmap_excl_range_alloc(ctx->df, BASE, NPAGES);
	KUNIT_ASSERT_NOT_NULL(test, ctx->r);
	/* Only stored and compared, never mapped or freed by mtmap. */
	ctx->page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->page);
	test->priv = ctx;
	return 0;
}

static void excl_test_exit(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;

	if (!ctx)
		return;
	if (ctx->page)
		__free_page(ctx->page);
	/* Ranges a test put on the file's list go with it. */
	if (ctx->r && list_empty(&ctx->r->node))
		mtmap_excl_range_free(ctx->r);
	if (ctx->df)
		mtmap_dev_file_free(ctx->df);
}

static unsigned long addr_of(unsigned long i)
{
	return BASE + i * PAGE_SIZE;
}

#ifdef MTMAP_HAVE_EXCLUSIVE
/*
 * Call the range's notifier as the kernel does: @range from @start to
 * @end, with @owner and @event. Held pages are marked first, under the
 * range's lock, as the acquire path marks them.
 */
static bool invalidate(struct mtmap_excl_range *r, unsigned long start,
		       unsigned long end, enum mmu_notifier_event event,
		       void *owner, bool blockable, unsigned long seq)
{
	struct mmu_notifier_range range = {
		.start = start, .end = end, .event = event, .owner = owner,
		.flags = blockable ? MMU_NOTIFIER_RANGE_BLOCKABLE : 0,
	};

	return mtmap_excl_invalidate(&r->notifier, &range, seq);
}

static void hold_pages(struct excl_ctx *ctx, unsigned long first, unsigned long n)
{
	unsigned long i;

	mutex_lock(&ctx->r->lock);
	for (i = first; i < first + n; i++)
		mtmap_excl_mark_held(ctx->r, addr_of(i), ctx->page);
	mutex_unlock(&ctx->r->lock);
}
#endif

/*
 * The notifier itself, not just its filter: the grant mtmap makes (its
 * own owner) must keep every page held whatever the event, and anything
 * else in the span must revoke.
 */
static void invalidate_ignores_own_grant(struct kunit *test)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	struct excl_ctx *ctx = test->priv;
	static const enum mmu_notifier_event events[] = {
		MMU_NOTIFY_EXCLUSIVE, MMU_NOTIFY_CLEAR, MMU_NOTIFY_UNMAP,
		MMU_NOTIFY_PROTECTION_VMA, MMU_NOTIFY_PROTECTION_PAGE,
		MMU_NOTIFY_MIGRATE, MMU_NOTIFY_RELEASE, MMU_NOTIFY_SOFT_DIRTY,
	};
	unsigned int i;

	hold_pages(ctx, 0, NPAGES);
	for (i = 0; i < ARRAY_SIZE(events); i++)
		KUNIT_EXPECT_TRUE_MSG(test, invalidate(ctx->r, BASE, addr_of(NPAGES), events[i],
						       ctx->df, i & 1, 7),
				      "event %d", events[i]);
	KUNIT_EXPECT_EQ(test, bitmap_weight(ctx->r->held, NPAGES), (unsigned int)NPAGES);
	KUNIT_EXPECT_EQ(test, ctx->r->invalidations, 0ULL);
	KUNIT_EXPECT_EQ(test, ctx->r->revoked, 0ULL);
	/* Not even the sequence moved: mtmap's own grant is no invalidation. */
	KUNIT_EXPECT_NE(test, ctx->r->notifier.invalidate_seq, 7UL);
#else
	kunit_skip(test, "no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
#endif
}

static void invalidate_cpu_revokes(struct kunit *test)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;

	hold_pages(ctx, 0, NPAGES);
	/* A CPU access takes a page back: no owner, 6.x EXCLUSIVE, 7.x CLEAR. */
	KUNIT_EXPECT_TRUE(test, invalidate(r, addr_of(2), addr_of(3),
					   MMU_NOTIFY_EXCLUSIVE, NULL, true, 11));
	KUNIT_EXPECT_TRUE(test, invalidate(r, addr_of(7), addr_of(9),
					   MMU_NOTIFY_CLEAR, NULL, true, 13));
	KUNIT_EXPECT_FALSE(test, test_bit(2, r->held));
	KUNIT_EXPECT_FALSE(test, test_bit(7, r->held));
	KUNIT_EXPECT_FALSE(test, test_bit(8, r->held));
	KUNIT_EXPECT_NULL(test, r->pages[8]);
	KUNIT_EXPECT_EQ(test, bitmap_weight(r->held, NPAGES), NPAGES - 3U);
	KUNIT_EXPECT_EQ(test, r->revoked, 3ULL);
	KUNIT_EXPECT_EQ(test, r->invalidations, 2ULL);
	/* The sequence is set so that a grant racing with it is retried. */
	KUNIT_EXPECT_EQ(test, r->notifier.invalidate_seq, 13UL);
	/* munmap of the whole span. */
	KUNIT_EXPECT_TRUE(test, invalidate(r, 0, ULONG_MAX, MMU_NOTIFY_UNMAP, NULL,
					   true, 15));
	KUNIT_EXPECT_EQ(test, bitmap_weight(r->held, NPAGES), 0U);
	KUNIT_EXPECT_EQ(test, r->revoked, (u64)NPAGES);
#else
	kunit_skip(test, "no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
#endif
}

static void invalidate_other_owner_revokes(struct kunit *test)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	struct excl_ctx *ctx = test->priv;
	struct mtmap_dev_file *other = mtmap_dev_file_alloc();

	KUNIT_ASSERT_NOT_NULL(test, other);
	hold_pages(ctx, 4, 2);
	/* Another device's (or another fd's) grant of our page revokes ours. */
	KUNIT_EXPECT_TRUE(test, invalidate(ctx->r, addr_of(4), addr_of(5),
					   MMU_NOTIFY_EXCLUSIVE, other, true, 3));
	KUNIT_EXPECT_FALSE(test, test_bit(4, ctx->r->held));
	KUNIT_EXPECT_TRUE(test, test_bit(5, ctx->r->held));
	KUNIT_EXPECT_EQ(test, ctx->r->revoked, 1ULL);
	mtmap_dev_file_free(other);
#else
	kunit_skip(test, "no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
#endif
}

static void invalidate_nonblocking_busy(struct kunit *test)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;

	hold_pages(ctx, 0, 1);
	/* A device access in progress (lock held): a non-blocking caller backs off. */
	mutex_lock(&r->lock);
	KUNIT_EXPECT_FALSE(test, invalidate(r, BASE, addr_of(1), MMU_NOTIFY_CLEAR, NULL,
					    false, 5));
	KUNIT_EXPECT_TRUE(test, test_bit(0, r->held));
	KUNIT_EXPECT_EQ(test, r->invalidations, 0ULL);
	mutex_unlock(&r->lock);
	/* Uncontended, it revokes without blocking. */
	KUNIT_EXPECT_TRUE(test, invalidate(r, BASE, addr_of(1), MMU_NOTIFY_CLEAR, NULL,
					   false, 5));
	KUNIT_EXPECT_FALSE(test, test_bit(0, r->held));
	KUNIT_EXPECT_EQ(test, r->revoked, 1ULL);
#else
	kunit_skip(test, "no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
#endif
}

static void revoke_counts_held_pages(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;
	static const unsigned int held[] = { 0, 1, 5, 15 };
	unsigned int i;

	/* As the acquire path and the notifier do. */
	mutex_lock(&r->lock);
	KUNIT_EXPECT_EQ(test, r->end, addr_of(NPAGES));
	for (i = 0; i < ARRAY_SIZE(held); i++)
		mtmap_excl_mark_held(r, addr_of(held[i]), ctx->page);
	KUNIT_EXPECT_EQ(test, r->acquired, 4ULL);
	KUNIT_EXPECT_EQ(test, bitmap_weight(r->held, NPAGES), 4U);
	KUNIT_EXPECT_PTR_EQ(test, r->pages[5], ctx->page);

	/* Pages 1..5 invalidated: 1 and 5 were held. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(1), addr_of(6)), 2UL);
	KUNIT_EXPECT_FALSE(test, test_bit(1, r->held));
	KUNIT_EXPECT_FALSE(test, test_bit(5, r->held));
	KUNIT_EXPECT_NULL(test, r->pages[5]);
	KUNIT_EXPECT_TRUE(test, test_bit(0, r->held));
	KUNIT_EXPECT_TRUE(test, test_bit(15, r->held));

	/* Again: nothing left to lose there, still one more invalidation. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(1), addr_of(6)), 0UL);
	/* Entirely outside the range. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, 0, BASE), 0UL);
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(NPAGES), ULONG_MAX),
			0UL);
	/* Unaligned span overlapping the last page and beyond. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(15) + 100,
						addr_of(NPAGES) + PAGE_SIZE),
			1UL);
	/* Unaligned span inside the first page. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, BASE + 8, BASE + 16), 1UL);

	KUNIT_EXPECT_EQ(test, bitmap_weight(r->held, NPAGES), 0U);
	KUNIT_EXPECT_EQ(test, r->revoked, 4ULL);
	KUNIT_EXPECT_EQ(test, r->invalidations, 6ULL);
	KUNIT_EXPECT_EQ(test, r->acquired, 4ULL);

	/* Re-acquisition counts again. */
	mtmap_excl_mark_held(r, addr_of(5), ctx->page);
	mutex_unlock(&r->lock);
	KUNIT_EXPECT_EQ(test, r->acquired, 5ULL);
	KUNIT_EXPECT_TRUE(test, test_bit(5, r->held));
}

static void revoke_voids_pending_grants(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;

	mutex_lock(&r->lock);
	/* A grant in flight for page 3 and 9; only page 3 is invalidated. */
	__set_bit(3, r->pending);
	__set_bit(9, r->pending);
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(2), addr_of(4)), 0UL);
	KUNIT_EXPECT_FALSE(test, test_bit(3, r->pending));
	KUNIT_EXPECT_TRUE(test, test_bit(9, r->pending));
	/* A completed grant clears its pending bit. */
	mtmap_excl_mark_held(r, addr_of(9), ctx->page);
	mutex_unlock(&r->lock);
	KUNIT_EXPECT_FALSE(test, test_bit(9, r->pending));
	KUNIT_EXPECT_TRUE(test, test_bit(9, r->held));
}

static void range_list_lookup(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_dev_file *df = ctx->df;
	struct mtmap_excl_range *a = ctx->r, *b, *c, *bad;
	int err = 0;

	/* a = [BASE, BASE + 16p); b after a gap; c before a. */
	b = mtmap_excl_range_alloc(df, addr_of(32), 4);
	c = mtmap_excl_range_alloc(df, BASE - 4 * PAGE_SIZE, 2);
	bad = mtmap_excl_range_alloc(df, addr_of(NPAGES - 1), 4);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	/* As the ioctls do. */
	mutex_lock(&df->lock);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, b), 0);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, a), 0);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, c), 0);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, bad), -EEXIST);
	mtmap_excl_range_free(bad);

	/* Sorted by address. */
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&df->ranges,
						   struct mtmap_excl_range, node), c);
	KUNIT_EXPECT_PTR_EQ(test, list_last_entry(&df->ranges,
						  struct mtmap_excl_range, node), b);

	KUNIT_EXPECT_PTR_EQ(test, mtmap_excl_range_find(df, BASE, addr_of(NPAGES),
							&err), a);
	KUNIT_EXPECT_PTR_EQ(test, mtmap_excl_range_find(df, addr_of(3), addr_of(4),
							&err), a);
	KUNIT_EXPECT_PTR_EQ(test, mtmap_excl_range_find(df, addr_of(35), addr_of(36),
							&err), b);
	/* Straddles the end of a. */
	KUNIT_EXPECT_NULL(test, mtmap_excl_range_find(df, addr_of(15), addr_of(17),
						      &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	/* In the gap between a and b. */
	err = 0;
	KUNIT_EXPECT_NULL(test, mtmap_excl_range_find(df, addr_of(20), addr_of(21),
						      &err));
	KUNIT_EXPECT_EQ(test, err, -ENOENT);
	/* Covers a entirely and more. */
	KUNIT_EXPECT_NULL(test, mtmap_excl_range_find(df, BASE - PAGE_SIZE,
						      addr_of(NPAGES + 1), &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	mutex_unlock(&df->lock);
	/* a, b and c now belong to df: freed with it in exit. */
}

/*
 * The device atomic as the ATOMIC ioctl runs it (mtmap_excl_run()): on
 * the page recorded for the address, at the word the address names, under
 * the range's lock, leaving every other word alone.
 */
static void atomic_runs_on_held_page(struct kunit *test)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;
	struct page *other = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct mtmap_excl_op op = { .op = MTMAP_ATOMIC_ADD, .value = 2 };
	unsigned long word = addr_of(3) + 5 * sizeof(u64);
	u64 *va;

	KUNIT_ASSERT_NOT_NULL(test, other);
	va = kmap_local_page(ctx->page);
	memset(va, 0, PAGE_SIZE);
	va[5] = 40;
	kunmap_local(va);

	mutex_lock(&r->lock);
	/* Page 2 is another page: the op must find page 3's. */
	mtmap_excl_mark_held(r, addr_of(2), other);
	mtmap_excl_mark_held(r, addr_of(3), ctx->page);
	mtmap_excl_run(r, word, &op);
	KUNIT_EXPECT_EQ(test, op.old, 40ULL);
	op = (struct mtmap_excl_op){ .op = MTMAP_ATOMIC_CMPXCHG, .value = 7, .compare = 1 };
	mtmap_excl_run(r, word, &op);
	KUNIT_EXPECT_EQ(test, op.old, 42ULL);
	op = (struct mtmap_excl_op){ .op = MTMAP_ATOMIC_CMPXCHG, .value = 7, .compare = 42 };
	mtmap_excl_run(r, word, &op);
	KUNIT_EXPECT_EQ(test, op.old, 42ULL);
	op = (struct mtmap_excl_op){ .op = MTMAP_ATOMIC_XCHG, .value = U64_MAX };
	mtmap_excl_run(r, word, &op);
	KUNIT_EXPECT_EQ(test, op.old, 7ULL);
	/* Wraps like the hardware does. */
	op = (struct mtmap_excl_op){ .op = MTMAP_ATOMIC_ADD, .value = 2 };
	mtmap_excl_run(r, word, &op);
	KUNIT_EXPECT_EQ(test, op.old, U64_MAX);
	/* An unknown op reads and changes nothing. */
	op = (struct mtmap_excl_op){ .op = 99, .value = 5 };
	mtmap_excl_run(r, word, &op);
	KUNIT_EXPECT_EQ(test, op.old, 1ULL);
	mutex_unlock(&r->lock);

	va = kmap_local_page(ctx->page);
	KUNIT_EXPECT_EQ(test, va[5], 1ULL);
	va[5] = 0;
	KUNIT_EXPECT_NULL(test, memchr_inv(va, 0, PAGE_SIZE));
	kunmap_local(va);
	va = kmap_local_page(other);
	KUNIT_EXPECT_NULL(test, memchr_inv(va, 0, PAGE_SIZE));
	kunmap_local(va);
	__free_page(other);
#else
	kunit_skip(test, "no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
#endif
}

static void range_alloc_geometry(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;
	unsigned long i;

	KUNIT_EXPECT_EQ(test, r->start, BASE);
	KUNIT_EXPECT_EQ(test, r->end, BASE + NPAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, r->npages, (unsigned long)NPAGES);
	KUNIT_EXPECT_PTR_EQ(test, r->df, ctx->df);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(r->held, NPAGES));
	KUNIT_EXPECT_TRUE(test, bitmap_empty(r->pending, NPAGES));
	for (i = 0; i < NPAGES; i++)
		KUNIT_EXPECT_NULL(test, r->pages[i]);
	KUNIT_EXPECT_FALSE(test, r->registered);
	KUNIT_EXPECT_TRUE(test, list_empty(&r->node));
}

static void range_insert_adjacent(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_dev_file *df = ctx->df;
	struct mtmap_excl_range *after, *before, *dup;
	int err = 0;

	/* Ranges that touch do not overlap. */
	after = mtmap_excl_range_alloc(df, addr_of(NPAGES), 1);
	before = mtmap_excl_range_alloc(df, BASE - PAGE_SIZE, 1);
	dup = mtmap_excl_range_alloc(df, BASE, NPAGES);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, dup);
	mutex_lock(&df->lock);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, ctx->r), 0);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, after), 0);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, before), 0);
	KUNIT_EXPECT_EQ(test, mtmap_excl_range_insert(df, dup), -EEXIST);
	KUNIT_EXPECT_TRUE(test, list_empty(&dup->node));
	mtmap_excl_range_free(dup);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&df->ranges,
						   struct mtmap_excl_range, node), before);
	KUNIT_EXPECT_PTR_EQ(test, list_next_entry(before, node), ctx->r);
	KUNIT_EXPECT_PTR_EQ(test, list_next_entry(ctx->r, node), after);
	/* The last page of one and the first of the next: two ranges. */
	KUNIT_EXPECT_NULL(test, mtmap_excl_range_find(df, addr_of(NPAGES - 1),
						      addr_of(NPAGES + 1), &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	KUNIT_EXPECT_PTR_EQ(test, mtmap_excl_range_find(df, addr_of(NPAGES),
							addr_of(NPAGES + 1), &err), after);
	mutex_unlock(&df->lock);
}

static void range_find_empty(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	int err = 0;

	mutex_lock(&ctx->df->lock);
	KUNIT_EXPECT_NULL(test, mtmap_excl_range_find(ctx->df, BASE, addr_of(1), &err));
	KUNIT_EXPECT_EQ(test, err, -ENOENT);
	mutex_unlock(&ctx->df->lock);
}

static void revoke_pending_unaligned(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;

	mutex_lock(&r->lock);
	bitmap_fill(r->pending, NPAGES);
	/* From inside page 4 to inside page 6: pages 4, 5 and 6 are touched. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(4) + 1, addr_of(6) + 1), 0UL);
	KUNIT_EXPECT_TRUE(test, test_bit(3, r->pending));
	KUNIT_EXPECT_FALSE(test, test_bit(4, r->pending));
	KUNIT_EXPECT_FALSE(test, test_bit(5, r->pending));
	KUNIT_EXPECT_FALSE(test, test_bit(6, r->pending));
	KUNIT_EXPECT_TRUE(test, test_bit(7, r->pending));
	KUNIT_EXPECT_EQ(test, bitmap_weight(r->pending, NPAGES), NPAGES - 3U);
	/* An empty span is still one invalidation, and touches nothing. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(8), addr_of(8)), 0UL);
	KUNIT_EXPECT_EQ(test, bitmap_weight(r->pending, NPAGES), NPAGES - 3U);
	KUNIT_EXPECT_EQ(test, r->invalidations, 2ULL);
	mutex_unlock(&r->lock);
}

static void mark_held_again(struct kunit *test)
{
	struct excl_ctx *ctx = test->priv;
	struct mtmap_excl_range *r = ctx->r;

	mutex_lock(&r->lock);
	mtmap_excl_mark_held(r, addr_of(NPAGES - 1), ctx->page);
	mtmap_excl_mark_held(r, addr_of(NPAGES - 1), ctx->page);
	/* Two grants counted, one page held; the last page, not past it. */
	KUNIT_EXPECT_EQ(test, r->acquired, 2ULL);
	KUNIT_EXPECT_EQ(test, bitmap_weight(r->held, NPAGES), 1U);
	KUNIT_EXPECT_TRUE(test, test_bit(NPAGES - 1, r->held));
	KUNIT_EXPECT_EQ(test, mtmap_excl_revoke(r, addr_of(NPAGES - 1), addr_of(NPAGES)),
			1UL);
	mutex_unlock(&r->lock);
}

static struct kunit_case mtmap_exclusive_cases[] = {
	KUNIT_CASE(invalidate_ignores_own_grant),
	KUNIT_CASE(invalidate_cpu_revokes),
	KUNIT_CASE(invalidate_other_owner_revokes),
	KUNIT_CASE(invalidate_nonblocking_busy),
	KUNIT_CASE(revoke_counts_held_pages),
	KUNIT_CASE(revoke_voids_pending_grants),
	KUNIT_CASE(revoke_pending_unaligned),
	KUNIT_CASE(mark_held_again),
	KUNIT_CASE(range_alloc_geometry),
	KUNIT_CASE(range_insert_adjacent),
	KUNIT_CASE(range_find_empty),
	KUNIT_CASE(range_list_lookup),
	KUNIT_CASE(atomic_runs_on_held_page),
	{}
};

static struct kunit_suite mtmap_exclusive_suite = {
	.name = "mtmap_exclusive",
	.init = excl_test_init,
	.exit = excl_test_exit,
	.test_cases = mtmap_exclusive_cases,
};

kunit_test_suites(&mtmap_exclusive_suite);
