// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the pools' accounting: which allocation is a hit, a miss
 * or a refill, what a free returns, what a drain shrinks, and that every
 * page's type in the table and in the direct map follows. The counters
 * are read the way debugfs "pools" prints them (mtmap_pool_show()), so
 * the tests see what a user sees. The pools are global: each case starts
 * and ends with them drained.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/seq_file.h>

#include "compat.h"
#include "mtmap.h"

#define NHELD 4

struct pool_stats {
	unsigned long pages;
	long hits, misses, refills, returns, shrunk;
};

struct pool_ctx {
	struct mtmap_owner a, b;
	/* Pages a case still holds, given back in the exit. */
	struct page *held[NHELD];
	struct mtmap_owner *owner[NHELD];
	u32 type[NHELD];
};

static int pool_test_init(struct kunit *test)
{
	struct pool_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->a.kind = "kunit";
	ctx->b.kind = "kunit";
	KUNIT_ASSERT_EQ(test, mtmap_owner_register(&ctx->a), 0);
	KUNIT_ASSERT_EQ(test, mtmap_owner_register(&ctx->b), 0);
	test->priv = ctx;
	if (!mtmap_arch_can_convert())
		kunit_skip(test, "no direct-map conversion on this architecture");
	if (!mtmap_pool_enabled())
		kunit_skip(test, "use_pools is off: no pool to account");
	mtmap_pool_drain_all();
	return 0;
}

static void pool_test_exit(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < NHELD; i++)
		if (ctx->held[i])
			mtmap_pool_free_pages(ctx->owner[i], &ctx->held[i], 1, ctx->type[i]);
	mtmap_pool_drain_all();
	mtmap_owner_unregister(&ctx->a);
	mtmap_owner_unregister(&ctx->b);
}

/* The line of debugfs "pools" for @type. */
static void pool_stats(struct kunit *test, u32 type, struct pool_stats *st)
{
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct seq_file m = { .buf = buf, .size = PAGE_SIZE };
	const char *name = mtmap_memtype_name(type);
	char *line;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	mtmap_pool_show(&m);
	KUNIT_ASSERT_LT(test, m.count, m.size);
	buf[m.count] = '\0';
	for (line = buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, strlen(name)) || line[strlen(name)] != ' ')
			continue;
		n = sscanf(line + strlen(name), " %lu %ld %ld %ld %ld %ld", &st->pages,
			   &st->hits, &st->misses, &st->refills, &st->returns, &st->shrunk);
		KUNIT_ASSERT_EQ(test, n, 6);
		return;
	}
	KUNIT_FAIL(test, "no %s line in:\n%s", name, buf);
}

/* Allocate into ctx->held[@slot]; the exit gives back what is left there. */
static struct page *hold(struct kunit *test, unsigned int slot,
			 struct mtmap_owner *o, u32 type)
{
	struct pool_ctx *ctx = test->priv;
	struct page *page = mtmap_pool_alloc_page(o, type, GFP_KERNEL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(page));
	ctx->held[slot] = page;
	ctx->owner[slot] = o;
	ctx->type[slot] = type;
	return page;
}

static void give_back(struct kunit *test, unsigned int slot)
{
	struct pool_ctx *ctx = test->priv;

	mtmap_pool_free_pages(ctx->owner[slot], &ctx->held[slot], 1, ctx->type[slot]);
	ctx->held[slot] = NULL;
}

static void expect_page(struct kunit *test, struct page *page, int type, u32 owner_id)
{
	int dm = type < 0 ? MTMAP_MEMTYPE_WB : (int)mtmap_memtype_effective(type);
	u32 owner;

	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(page, &owner), type);
	KUNIT_EXPECT_EQ(test, owner, owner_id);
	KUNIT_EXPECT_EQ(test, mtmap_memtype_directmap(page), dm);
}

static void pool_miss_refills_batch(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats s0, s1;
	struct page *page;

	pool_stats(test, MTMAP_MEMTYPE_WC, &s0);
	KUNIT_EXPECT_EQ(test, s0.pages, 0UL);
	page = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_WC);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s1);
	/* An empty pool: one miss, one batched conversion, the rest kept. */
	KUNIT_EXPECT_EQ(test, s1.misses, s0.misses + 1);
	KUNIT_EXPECT_EQ(test, s1.refills, s0.refills + 1);
	KUNIT_EXPECT_EQ(test, s1.hits, s0.hits);
	KUNIT_EXPECT_GE(test, s1.pages, 63UL);
	KUNIT_EXPECT_LE(test, s1.pages, 1023UL);
	/* The page is the caller's, of its type in the table and the direct map. */
	expect_page(test, page, MTMAP_MEMTYPE_WC, ctx->a.id);
}

static void pool_hit_takes_one(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats s0, s1;
	struct page *first, *page;

	first = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_UC_MINUS);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &s0);
	page = hold(test, 1, &ctx->b, MTMAP_MEMTYPE_UC_MINUS);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &s1);
	KUNIT_EXPECT_EQ(test, s1.hits, s0.hits + 1);
	KUNIT_EXPECT_EQ(test, s1.misses, s0.misses);
	KUNIT_EXPECT_EQ(test, s1.refills, s0.refills);
	KUNIT_EXPECT_EQ(test, s1.pages, s0.pages - 1);
	expect_page(test, page, MTMAP_MEMTYPE_UC_MINUS, ctx->b.id);
	KUNIT_EXPECT_PTR_NE(test, page, first);
}

static void pool_free_returns_cleared(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats s0, s1;
	struct page *page;
	u32 owner;
	u8 *va;

	page = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_WC);
	va = kmap_local_page(page);
	memset(va, 0x5a, PAGE_SIZE);
	kunmap_local(va);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s0);
	give_back(test, 0);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s1);
	KUNIT_EXPECT_EQ(test, s1.returns, s0.returns + 1);
	KUNIT_EXPECT_EQ(test, s1.pages, s0.pages + 1);
	KUNIT_EXPECT_EQ(test, s1.shrunk, s0.shrunk);
	/* Kept converted, owned by the pool, and cleared for the next owner. */
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(page, &owner), MTMAP_MEMTYPE_WC);
	KUNIT_EXPECT_NE(test, owner, ctx->a.id);
	KUNIT_EXPECT_NE(test, owner, 0U);
	va = kmap_local_page(page);
	KUNIT_EXPECT_NULL(test, memchr_inv(va, 0, PAGE_SIZE));
	kunmap_local(va);
}

static void pool_drain_converts_back(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats s0, s1;
	struct page *page;

	page = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_UC_MINUS);
	give_back(test, 0);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &s0);
	KUNIT_ASSERT_GT(test, s0.pages, 0UL);
	/* Only what is in the pools, all of it, each page back to WB. */
	KUNIT_EXPECT_EQ(test, mtmap_pool_drain_all(), s0.pages);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &s1);
	KUNIT_EXPECT_EQ(test, s1.pages, 0UL);
	KUNIT_EXPECT_EQ(test, s1.shrunk, s0.shrunk + (long)s0.pages);
	/* Freed: no longer in the table (its direct map is no longer ours). */
	expect_page(test, page, -ENOENT, 0);
	KUNIT_EXPECT_EQ(test, mtmap_pool_drain_all(), 0UL);
}

static void pool_types_apart(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats wc0, wc1, uc0, uc1;
	struct page *wc, *uc;

	wc = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_WC);
	pool_stats(test, MTMAP_MEMTYPE_WC, &wc0);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &uc0);
	/* A WC pool full of pages does not serve UC-. */
	uc = hold(test, 1, &ctx->a, MTMAP_MEMTYPE_UC_MINUS);
	pool_stats(test, MTMAP_MEMTYPE_WC, &wc1);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &uc1);
	KUNIT_EXPECT_EQ(test, uc1.misses, uc0.misses + 1);
	KUNIT_EXPECT_EQ(test, wc1.pages, wc0.pages);
	KUNIT_EXPECT_EQ(test, wc1.hits, wc0.hits);
	expect_page(test, wc, MTMAP_MEMTYPE_WC, ctx->a.id);
	expect_page(test, uc, MTMAP_MEMTYPE_UC_MINUS, ctx->a.id);
}

static void pool_wb_bypasses(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats wc0, wc1, uc0, uc1;
	struct page *page;
	u8 *va;

	pool_stats(test, MTMAP_MEMTYPE_WC, &wc0);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &uc0);
	page = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_WB);
	/* Straight from the allocator: zeroed, WB, untracked. */
	expect_page(test, page, -ENOENT, 0);
	va = kmap_local_page(page);
	KUNIT_EXPECT_NULL(test, memchr_inv(va, 0, PAGE_SIZE));
	kunmap_local(va);
	give_back(test, 0);
	pool_stats(test, MTMAP_MEMTYPE_WC, &wc1);
	pool_stats(test, MTMAP_MEMTYPE_UC_MINUS, &uc1);
	KUNIT_EXPECT_MEMEQ(test, &wc0, &wc1, sizeof(wc0));
	KUNIT_EXPECT_MEMEQ(test, &uc0, &uc1, sizeof(uc0));
}

static void pool_release_pages_to_wb(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats s0, s1;
	struct page *pages[2];
	u32 owner;

	pages[0] = alloc_page(GFP_KERNEL | __GFP_ZERO);
	pages[1] = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!pages[0] || !pages[1]) {
		if (pages[0])
			__free_page(pages[0]);
		if (pages[1])
			__free_page(pages[1]);
		KUNIT_FAIL(test, "no memory");
		return;
	}
	KUNIT_ASSERT_EQ(test, mtmap_track_set_type(&ctx->a, pages, 2, MTMAP_MEMTYPE_WB,
						   MTMAP_MEMTYPE_WC), 0);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s0);
	/* The no-pool path: converted back and freed, no pool involved. */
	mtmap_pool_release_pages(&ctx->a, pages, 2, MTMAP_MEMTYPE_WC);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s1);
	KUNIT_EXPECT_MEMEQ(test, &s0, &s1, sizeof(s0));
	/* Freed, so only the table can be asked: it forgot them. */
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(pages[0], &owner), -ENOENT);
	KUNIT_EXPECT_EQ(test, mtmap_track_lookup(pages[1], &owner), -ENOENT);
}

static void pool_reuse_changes_owner(struct kunit *test)
{
	struct pool_ctx *ctx = test->priv;
	struct pool_stats s0, s1;
	struct page *page;

	page = hold(test, 0, &ctx->a, MTMAP_MEMTYPE_WC);
	/* Back to the pool, then the pool's page is handed out again. */
	give_back(test, 0);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s0);
	KUNIT_EXPECT_PTR_EQ(test, hold(test, 1, &ctx->b, MTMAP_MEMTYPE_WC), page);
	pool_stats(test, MTMAP_MEMTYPE_WC, &s1);
	KUNIT_EXPECT_EQ(test, s1.hits, s0.hits + 1);
	/* The reused page changed owner, not type: no conversion happened. */
	KUNIT_EXPECT_EQ(test, s1.refills, s0.refills);
	expect_page(test, page, MTMAP_MEMTYPE_WC, ctx->b.id);
	give_back(test, 1);
}

static struct kunit_case mtmap_pool_cases[] = {
	KUNIT_CASE(pool_miss_refills_batch),
	KUNIT_CASE(pool_hit_takes_one),
	KUNIT_CASE(pool_free_returns_cleared),
	KUNIT_CASE(pool_drain_converts_back),
	KUNIT_CASE(pool_types_apart),
	KUNIT_CASE(pool_wb_bypasses),
	KUNIT_CASE(pool_release_pages_to_wb),
	KUNIT_CASE(pool_reuse_changes_owner),
	{}
};

static struct kunit_suite mtmap_pool_suite = {
	.name = "mtmap_pool",
	.init = pool_test_init,
	.exit = pool_test_exit,
	.test_cases = mtmap_pool_cases,
};

kunit_test_suites(&mtmap_pool_suite);
