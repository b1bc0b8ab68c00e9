// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the memory-type table and the page pools. They run on
 * x86 in the test VMs and really call set_pages_array_*(), then read the
 * direct map back with lookup_address() (TTM's pool tests run on UML and
 * never convert anything). Where the direct map cannot be converted
 * (arch.h) they skip: there are no WC or UC- pages to track.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "compat.h"
#include "mtmap.h"

#define NPAGES 8

struct memtype_ctx {
	struct mtmap_owner a, b;
	struct page *pages[NPAGES];
};

static int memtype_test_init(struct kunit *test)
{
	struct memtype_ctx *ctx;
	unsigned int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->a.kind = "kunit";
	ctx->b.kind = "kunit";
	KUNIT_ASSERT_EQ(test, mtmap_owner_register(&ctx->a), 0);
	KUNIT_ASSERT_EQ(test, mtmap_owner_register(&ctx->b), 0);
	for (i = 0; i < NPAGES; i++) {
		ctx->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, ctx->pages[i]);
	}
	test->priv = ctx;
	/* After the set-up, so that the exit finds it to undo. */
	if (!mtmap_arch_can_convert())
		kunit_skip(test, "no direct-map conversion on this architecture");
	return 0;
}

static void memtype_test_exit(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	unsigned int i;
	u32 owner;

	for (i = 0; i < NPAGES; i++) {
		if (!ctx->pages[i])
			continue;
		/* Whatever a failed test left behind: back to WB, untracked. */
		if (mtmap_track_lookup(ctx->pages[i], &owner) >= 0) {
			struct mtmap_owner *o = owner == ctx->a.id ? &ctx->a : &ctx->b;
			int t = mtmap_track_lookup(ctx->pages[i], &owner);

			if (t != MTMAP_MEMTYPE_WB)
				mtmap_track_set_type(o, &ctx->pages[i], 1, t, MTMAP_MEMTYPE_WB);
			mtmap_track_check_freeable(o, &ctx->pages[i], 1);
		}
		__free_page(ctx->pages[i]);
	}
	mtmap_owner_unregister(&ctx->a);
	mtmap_owner_unregister(&ctx->b);
}

/* @type -ENOENT: untracked, which is how WB pages look; then owner_id is 0. */
static void expect_all(struct kunit *test, struct page **pages, int type,
		       u32 owner_id)
{
	int dm = type < 0 ? MTMAP_MEMTYPE_WB : (int)mtmap_memtype_effective(type);
	unsigned int i;
	u32 owner;

	for (i = 0; i < NPAGES; i++) {
		KUNIT_EXPECT_EQ_MSG(test, mtmap_track_lookup(pages[i], &owner), type,
				    "page %u", i);
		KUNIT_EXPECT_EQ(test, owner, owner_id);
		KUNIT_EXPECT_EQ_MSG(test, mtmap_memtype_directmap(pages[i]), dm,
				    "direct map of page %u", i);
	}
}

static void track_state_machine(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	/* Fresh pages are WB: checked, and not in the table. */
	KUNIT_ASSERT_EQ(test, mtmap_track_check_fresh(&ctx->a, p, NPAGES), 0);
	expect_all(test, p, -ENOENT, 0);

	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_WC), 0);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->a.id);

	/* Detect: WC pages are not fresh WB pages anyone may claim. */
	KUNIT_EXPECT_EQ(test, mtmap_track_check_fresh(&ctx->b, p, NPAGES), -EBUSY);
	/* The pages are WC now: asking for them as WB -> UC- is a conflict. */
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_UC_MINUS),
			-EBUSY);
	/* Another owner cannot touch them. */
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_WB),
			-EBUSY);
	/* A non-WB page must never be let go (and then freed). */
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->a, p, NPAGES), -EBUSY);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->a.id);

	/* Detect, then commit: the wrong type makes the whole call fail. */
	KUNIT_EXPECT_EQ(test, mtmap_track_transfer(&ctx->a, &ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_UC_MINUS), -EBUSY);
	KUNIT_ASSERT_EQ(test, mtmap_track_transfer(&ctx->a, &ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_WC), 0);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->b.id);

	/* WC -> UC- goes through WB inside one call. */
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS), 0);
	expect_all(test, p, MTMAP_MEMTYPE_UC_MINUS, ctx->b.id);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB), 0);
	expect_all(test, p, -ENOENT, 0);

	KUNIT_ASSERT_EQ(test, mtmap_track_check_freeable(&ctx->b, p, NPAGES), 0);
}

static void track_partial_conflict(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;
	struct page **half = p + NPAGES / 2;

	/* b's half is UC-: a's conversion of all pages must change none. */
	KUNIT_ASSERT_EQ(test, mtmap_track_check_fresh(&ctx->a, p, NPAGES), 0);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, half, NPAGES / 2,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_UC_MINUS), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_WC), -EBUSY);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_directmap(p[0]), MTMAP_MEMTYPE_WB);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_directmap(p[NPAGES / 2 - 1]), MTMAP_MEMTYPE_WB);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_directmap(p[NPAGES - 1]),
			(int)mtmap_memtype_effective(MTMAP_MEMTYPE_UC_MINUS));
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->b, half, NPAGES / 2,
						   MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->a, p, NPAGES), 0);
}

static void track_untracked_lookup(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	u32 owner = 123;

	/* WB pages nobody converted: not in the table, and the lookup says so. */
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(ctx->pages[0], &owner), -ENOENT);
	KUNIT_EXPECT_EQ(test, owner, 0U);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_directmap(ctx->pages[0]), MTMAP_MEMTYPE_WB);
	/* Untracked WB pages may go back to the allocator, whoever asks. */
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->a, ctx->pages, NPAGES), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->b, ctx->pages, NPAGES), 0);
}

static void track_fresh_rejects_converted(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p + 3, 1, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_UC_MINUS), 0);
	/* One converted page in the middle of a run spoils the run, for anyone. */
	KUNIT_EXPECT_EQ(test, mtmap_track_check_fresh(&ctx->a, p, NPAGES), -EBUSY);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_fresh(&ctx->b, p, NPAGES), -EBUSY);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_fresh(&ctx->a, p, 3), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_fresh_range(&ctx->a, page_to_pfn(p[3]), 1),
			-EBUSY);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p + 3, 1, MTMAP_MEMTYPE_UC_MINUS,
						   MTMAP_MEMTYPE_WB), 0);
	/* Back to WB: fresh again. */
	KUNIT_EXPECT_EQ(test, mtmap_track_check_fresh(&ctx->b, p, NPAGES), 0);
}

static void track_set_type_same_type(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	/* from == to: checked, not converted. */
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_WB), 0);
	expect_all(test, p, -ENOENT, 0);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_WC), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WC,
						   MTMAP_MEMTYPE_WC), 0);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->a.id);
	/* ... but still checked: the pages are not UC-, nor b's. */
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_UC_MINUS,
						   MTMAP_MEMTYPE_UC_MINUS), -EBUSY);
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->b, p, NPAGES, MTMAP_MEMTYPE_WC,
						   MTMAP_MEMTYPE_WC), -EBUSY);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->a.id);
}

static void track_set_type_rejects_types(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	/* WT and unknown values never reach the table or the direct map. */
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_WT), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WT,
						   MTMAP_MEMTYPE_WB), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WB,
						   U32_MAX), -EINVAL);
	expect_all(test, p, -ENOENT, 0);
}

static void track_uc_to_wc(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_UC_MINUS), 0);
	expect_all(test, p, MTMAP_MEMTYPE_UC_MINUS, ctx->a.id);
	/* Asking for the old type fails and changes nothing. */
	KUNIT_EXPECT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WC,
						   MTMAP_MEMTYPE_WB), -EBUSY);
	expect_all(test, p, MTMAP_MEMTYPE_UC_MINUS, ctx->a.id);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_UC_MINUS,
						   MTMAP_MEMTYPE_WC), 0);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->a.id);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WC,
						   MTMAP_MEMTYPE_WB), 0);
	expect_all(test, p, -ENOENT, 0);
}

static void track_transfer_wb(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	/* WB pages are not in the table: a transfer only checks that. */
	KUNIT_EXPECT_EQ(test, mtmap_track_transfer(&ctx->a, &ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_WB), 0);
	expect_all(test, p, -ENOENT, 0);
	/* A WB transfer of pages that are WC is a conflict. */
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p + NPAGES - 1, 1,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_WC), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_transfer(&ctx->a, &ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_WB), -EBUSY);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p + NPAGES - 1, 1,
						   MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_WB), 0);
}

static void track_transfer_all_or_nothing(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;
	unsigned int i;
	u32 owner;

	/* First half a's, second half b's, all WC. */
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES / 2,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_WC), 0);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p + NPAGES / 2, NPAGES / 2,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_WC), 0);
	/* The detect pass sees b's pages last: a's must not have moved. */
	KUNIT_EXPECT_EQ(test, mtmap_track_transfer(&ctx->a, &ctx->b, p, NPAGES,
						   MTMAP_MEMTYPE_WC), -EBUSY);
	for (i = 0; i < NPAGES; i++) {
		KUNIT_EXPECT_EQ(test, mtmap_track_lookup(p[i], &owner), MTMAP_MEMTYPE_WC);
		KUNIT_EXPECT_EQ_MSG(test, owner, i < NPAGES / 2 ? ctx->a.id : ctx->b.id,
				    "page %u", i);
	}
	/* Handing b's half to a works, and only moves the owner. */
	KUNIT_EXPECT_EQ(test, mtmap_track_transfer(&ctx->b, &ctx->a, p + NPAGES / 2,
						   NPAGES / 2, MTMAP_MEMTYPE_WC), 0);
	expect_all(test, p, MTMAP_MEMTYPE_WC, ctx->a.id);
}

static void track_release_makes_wb(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;
	struct page *order[NPAGES];

	memcpy(order, p, sizeof(order));
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, NPAGES, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_UC_MINUS), 0);
	/* Every page proven WB afterwards: all freeable, order kept. */
	KUNIT_EXPECT_EQ(test, mtmap_track_release(&ctx->a, p, NPAGES,
						  MTMAP_MEMTYPE_UC_MINUS), NPAGES);
	KUNIT_EXPECT_MEMEQ(test, order, p, sizeof(order));
	expect_all(test, p, -ENOENT, 0);
	/* Releasing WB pages converts nothing and frees them all. */
	KUNIT_EXPECT_EQ(test, mtmap_track_release(&ctx->b, p, NPAGES, MTMAP_MEMTYPE_WB),
			NPAGES);
	expect_all(test, p, -ENOENT, 0);
}

struct walk_seen {
	struct page **pages;
	unsigned int found, foreign;
	u32 type[NPAGES];
	u32 owner[NPAGES];
	const struct mtmap_owner *o[NPAGES];
};

static void walk_fn(void *arg, unsigned long pfn, u32 type, u32 owner_id,
		    const struct mtmap_owner *o)
{
	struct walk_seen *w = arg;
	unsigned int i;

	for (i = 0; i < NPAGES; i++) {
		if (page_to_pfn(w->pages[i]) != pfn)
			continue;
		w->found++;
		w->type[i] = type;
		w->owner[i] = owner_id;
		w->o[i] = o;
		return;
	}
	w->foreign++;
}

static void track_walk_reports_pages(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;
	struct walk_seen w = { .pages = p };
	unsigned int i;

	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, 2, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_WC), 0);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p + 2, 3, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_UC_MINUS), 0);
	/* What debugfs "memtypes" prints: the non-WB pages, with their owners. */
	mtmap_track_walk(walk_fn, &w);
	KUNIT_EXPECT_EQ(test, w.found, 5U);
	for (i = 0; i < 5; i++) {
		struct mtmap_owner *o = i < 2 ? &ctx->a : &ctx->b;

		KUNIT_EXPECT_EQ_MSG(test, w.type[i], i < 2 ? MTMAP_MEMTYPE_WC :
				    MTMAP_MEMTYPE_UC_MINUS, "page %u", i);
		KUNIT_EXPECT_EQ(test, w.owner[i], o->id);
		KUNIT_EXPECT_PTR_EQ(test, w.o[i], (const struct mtmap_owner *)o);
	}
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p + 2, 3, MTMAP_MEMTYPE_UC_MINUS,
						   MTMAP_MEMTYPE_WB), 0);
	memset(&w, 0, sizeof(w));
	w.pages = p;
	mtmap_track_walk(walk_fn, &w);
	KUNIT_EXPECT_EQ(test, w.found, 2U);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, p, 2, MTMAP_MEMTYPE_WC,
						   MTMAP_MEMTYPE_WB), 0);
}

static void track_freeable_only_wb(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page **p = ctx->pages;

	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p + NPAGES - 1, 1,
						   MTMAP_MEMTYPE_WB, MTMAP_MEMTYPE_UC_MINUS), 0);
	/* One UC- page makes the whole set unfreeable, for its owner too. */
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->a, p, NPAGES), -EBUSY);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->b, p, NPAGES), -EBUSY);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->a, p, NPAGES - 1), 0);
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->b, p + NPAGES - 1, 1,
						   MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB), 0);
	KUNIT_EXPECT_EQ(test, mtmap_track_check_freeable(&ctx->b, p, NPAGES), 0);
}

static void track_effective_type(struct kunit *test)
{
	/* WB and UC- are what they say; WC is UC- where PAT is off. */
	KUNIT_EXPECT_EQ(test, mtmap_memtype_effective(MTMAP_MEMTYPE_WB), MTMAP_MEMTYPE_WB);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_effective(MTMAP_MEMTYPE_UC_MINUS),
			MTMAP_MEMTYPE_UC_MINUS);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_effective(MTMAP_MEMTYPE_WC),
			mtmap_arch_has_wc() ? MTMAP_MEMTYPE_WC : MTMAP_MEMTYPE_UC_MINUS);
}

static void pool_reuse_and_drain(struct kunit *test)
{
	struct memtype_ctx *ctx = test->priv;
	struct page *page, *again;
	u32 owner;
	u8 *va;

	if (!mtmap_pool_enabled())
		kunit_skip(test, "use_pools is off: there is no pool to reuse or drain");
	mtmap_pool_drain_all();
	page = mtmap_pool_alloc_page(&ctx->a, MTMAP_MEMTYPE_WC, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(page));
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(page, &owner), MTMAP_MEMTYPE_WC);
	KUNIT_EXPECT_EQ(test, owner, ctx->a.id);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_directmap(page),
			(int)mtmap_memtype_effective(MTMAP_MEMTYPE_WC));
	va = page_address(page);
	KUNIT_EXPECT_EQ(test, va[0] | va[PAGE_SIZE - 1], 0);
	memset(va, 0xa5, PAGE_SIZE);

	/* Back to the pool: still WC, owned by the pool, and cleared. */
	mtmap_pool_free_pages(&ctx->a, &page, 1, MTMAP_MEMTYPE_WC);
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(page, &owner), MTMAP_MEMTYPE_WC);
	KUNIT_EXPECT_NE(test, owner, ctx->a.id);

	/* LIFO: the next allocation reuses it, with no conversion. */
	again = mtmap_pool_alloc_page(&ctx->b, MTMAP_MEMTYPE_WC, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(again));
	KUNIT_EXPECT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(again, &owner), MTMAP_MEMTYPE_WC);
	KUNIT_EXPECT_EQ(test, owner, ctx->b.id);
	va = page_address(again);
	KUNIT_EXPECT_EQ(test, va[0] | va[PAGE_SIZE / 2] | va[PAGE_SIZE - 1], 0);

	mtmap_pool_free_pages(&ctx->b, &again, 1, MTMAP_MEMTYPE_WC);
	/* Draining converts every pool page back to WB before freeing it. */
	KUNIT_EXPECT_GT(test, mtmap_pool_drain_all(), 0UL);
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(page, &owner), -ENOENT);
}

static struct kunit_case mtmap_memtype_cases[] = {
	KUNIT_CASE(track_state_machine),
	KUNIT_CASE(track_partial_conflict),
	KUNIT_CASE(track_untracked_lookup),
	KUNIT_CASE(track_fresh_rejects_converted),
	KUNIT_CASE(track_set_type_same_type),
	KUNIT_CASE(track_set_type_rejects_types),
	KUNIT_CASE(track_uc_to_wc),
	KUNIT_CASE(track_transfer_wb),
	KUNIT_CASE(track_transfer_all_or_nothing),
	KUNIT_CASE(track_release_makes_wb),
	KUNIT_CASE(track_walk_reports_pages),
	KUNIT_CASE(track_freeable_only_wb),
	KUNIT_CASE(track_effective_type),
	KUNIT_CASE(pool_reuse_and_drain),
	{}
};

static struct kunit_suite mtmap_memtype_suite = {
	.name = "mtmap_memtype",
	.init = memtype_test_init,
	.exit = memtype_test_exit,
	.test_cases = mtmap_memtype_cases,
};

kunit_test_suites(&mtmap_memtype_suite);
