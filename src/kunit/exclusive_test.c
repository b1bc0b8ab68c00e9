// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for device-exclusive access: the notifier's event filter and
 * the per-range bookkeeping (held pages, revocation counts, range lookup).
 * The filter is what keeps mtmap from revoking its own grants on every
 * kernel, whichever event type the kernel uses for a CPU revocation.
 */
#include <kunit/test.h>
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

static void filter_owner_not_event(struct kunit *test)
{
#ifdef CONFIG_MMU_NOTIFIER
	struct excl_ctx *ctx = test->priv;
	struct mtmap_dev_file *other = mtmap_dev_file_alloc();
	static const enum mmu_notifier_event events[] = {
		MMU_NOTIFY_EXCLUSIVE, MMU_NOTIFY_CLEAR, MMU_NOTIFY_UNMAP,
		MMU_NOTIFY_PROTECTION_VMA, MMU_NOTIFY_PROTECTION_PAGE,
		MMU_NOTIFY_MIGRATE, MMU_NOTIFY_RELEASE, MMU_NOTIFY_SOFT_DIRTY,
	};
	struct mmu_notifier_range range = {
		.start = BASE, .end = BASE + PAGE_SIZE,
	};
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, other);
#ifndef MTMAP_HAVE_EXCLUSIVE
	mtmap_dev_file_free(other);
	kunit_skip(test, "no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
#else
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		range.event = events[i];
		/* Our own grant: ignored, whatever the event. */
		range.owner = ctx->df;
		KUNIT_EXPECT_TRUE_MSG(test,
				      mtmap_excl_event_is_ours(&range, ctx->df),
				      "event %d", events[i]);
		/* CPU revocation (owner NULL): 6.x EXCLUSIVE, 7.x CLEAR. */
		range.owner = NULL;
		KUNIT_EXPECT_FALSE_MSG(test,
				       mtmap_excl_event_is_ours(&range, ctx->df),
				       "event %d", events[i]);
		/* Another device's (or another fd's) grant revokes ours. */
		range.owner = other;
		KUNIT_EXPECT_FALSE_MSG(test,
				       mtmap_excl_event_is_ours(&range, ctx->df),
				       "event %d", events[i]);
	}
	mtmap_dev_file_free(other);
#endif
#else
	kunit_skip(test, "CONFIG_MMU_NOTIFIER is off");
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

static void atomic_ops(struct kunit *test)
{
	u64 w = 40;

	KUNIT_EXPECT_EQ(test, mtmap_excl_apply(&w, MTMAP_ATOMIC_ADD, 2, 0), 40ULL);
	KUNIT_EXPECT_EQ(test, w, 42ULL);
	/* Wraps like the hardware does. */
	w = U64_MAX;
	KUNIT_EXPECT_EQ(test, mtmap_excl_apply(&w, MTMAP_ATOMIC_ADD, 2, 0), U64_MAX);
	KUNIT_EXPECT_EQ(test, w, 1ULL);
	/* Compare-exchange: fails on mismatch, old value either way. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_apply(&w, MTMAP_ATOMIC_CMPXCHG, 7, 2), 1ULL);
	KUNIT_EXPECT_EQ(test, w, 1ULL);
	KUNIT_EXPECT_EQ(test, mtmap_excl_apply(&w, MTMAP_ATOMIC_CMPXCHG, 7, 1), 1ULL);
	KUNIT_EXPECT_EQ(test, w, 7ULL);
	KUNIT_EXPECT_EQ(test, mtmap_excl_apply(&w, MTMAP_ATOMIC_XCHG, 9, 0), 7ULL);
	KUNIT_EXPECT_EQ(test, w, 9ULL);
	/* An unknown op changes nothing. */
	KUNIT_EXPECT_EQ(test, mtmap_excl_apply(&w, 99, 1, 9), 9ULL);
	KUNIT_EXPECT_EQ(test, w, 9ULL);
}

static struct kunit_case mtmap_exclusive_cases[] = {
	KUNIT_CASE(filter_owner_not_event),
	KUNIT_CASE(revoke_counts_held_pages),
	KUNIT_CASE(revoke_voids_pending_grants),
	KUNIT_CASE(range_list_lookup),
	KUNIT_CASE(atomic_ops),
	{}
};

static struct kunit_suite mtmap_exclusive_suite = {
	.name = "mtmap_exclusive",
	.init = excl_test_init,
	.exit = excl_test_exit,
	.test_cases = mtmap_exclusive_cases,
};

kunit_test_suites(&mtmap_exclusive_suite);
