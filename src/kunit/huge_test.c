// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the chunk-size decision of MTMAP_CREATE_HUGE buffers
 * (mtmap_huge_chunk()): a chunk is decided once, under the buffer's locks
 * taken as a fault takes them (map_lock for read, then lock), and every
 * later fault agrees: huge once its folio exists, 4 KiB once any 4 KiB
 * page exists, 4 KiB for good when the folio could not be allocated (the
 * faulting page is allocated in the same critical section). The buffers
 * are real ones, made by mtmap_buffer_create() and freed with their file.
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>

#include "compat.h"
#include "mtmap.h"

#define CHUNK_PAGES	((unsigned long)MTMAP_HUGE_NR)

struct huge_ctx {
	struct file *file;
	struct mtmap_buffer *buf;
	const struct mtmap_placement *ram;
	/* The buffer's placement with a huge allocation that always fails. */
	struct mtmap_placement nohuge;
};

static struct folio *alloc_huge_fails(struct mtmap_buffer *buf)
{
	return NULL;
}

static int huge_test_init(struct kunit *test)
{
	struct huge_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct mtmap_create c = {
		.size = 2 * CHUNK_PAGES * PAGE_SIZE,
		.memtype = MTMAP_MEMTYPE_WB,
		.flags = MTMAP_CREATE_HUGE,
	};

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
#ifndef MTMAP_HAVE_HUGE_FAULT
	kunit_skip(test, "no ->huge_fault on this kernel: no chunk is ever huge");
#endif
	ctx->file = mtmap_buffer_create(&c);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->file));
	ctx->buf = ctx->file->private_data;
	ctx->ram = ctx->buf->placement;
	ctx->nohuge = *ctx->ram;
	ctx->nohuge.alloc_huge = alloc_huge_fails;
	return 0;
}

static void huge_test_exit(struct kunit *test)
{
	struct huge_ctx *ctx = test->priv;

	if (ctx->buf)
		ctx->buf->placement = ctx->ram;
	/* Frees the buffer, its pages and folios, before the next case. */
	if (!IS_ERR_OR_NULL(ctx->file))
		__fput_sync(ctx->file);
}

#ifdef MTMAP_HAVE_HUGE_FAULT
/* As mtmap_vm_huge_fault() calls it. */
static struct folio *chunk(struct mtmap_buffer *buf, pgoff_t chunk, pgoff_t idx)
{
	struct folio *folio;

	down_read(&buf->map_lock);
	mutex_lock(&buf->lock);
	folio = mtmap_huge_chunk(buf, chunk, idx);
	mutex_unlock(&buf->lock);
	up_read(&buf->map_lock);
	return folio;
}

/* As a 4 KiB fault allocates. */
static struct page *small_page(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct page *page;

	down_read(&buf->map_lock);
	page = mtmap_buffer_get_or_alloc_page(buf, idx);
	up_read(&buf->map_lock);
	return page;
}

static bool no_small_pages(struct mtmap_buffer *buf, pgoff_t chunk)
{
	return !memchr_inv(&buf->pages[chunk * CHUNK_PAGES], 0,
			   CHUNK_PAGES * sizeof(*buf->pages));
}
#endif

static void chunk_fresh_becomes_huge(struct kunit *test)
{
#ifdef MTMAP_HAVE_HUGE_FAULT
	struct huge_ctx *ctx = test->priv;
	struct mtmap_buffer *buf = ctx->buf;
	struct folio *folio = chunk(buf, 0, 5);

	if (!folio)
		kunit_skip(test, "no PMD-order folio available");
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&buf->huge, 0), (void *)folio);
	KUNIT_EXPECT_EQ(test, folio_order(folio), (unsigned int)MTMAP_HUGE_ORDER);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&buf->populated), (long)CHUNK_PAGES);
	KUNIT_EXPECT_TRUE(test, no_small_pages(buf, 0));
	/* Every page of the chunk is found in the folio, none past it. */
	KUNIT_EXPECT_PTR_EQ(test, mtmap_huge_lookup(buf, 0), folio_page(folio, 0));
	KUNIT_EXPECT_PTR_EQ(test, mtmap_huge_lookup(buf, CHUNK_PAGES - 1),
			    folio_page(folio, CHUNK_PAGES - 1));
	KUNIT_EXPECT_NULL(test, mtmap_huge_lookup(buf, CHUNK_PAGES));
	/* A 4 KiB fault in it gets the folio's page, allocates nothing. */
	KUNIT_EXPECT_PTR_EQ(test, small_page(buf, 9), folio_page(folio, 9));
	KUNIT_EXPECT_TRUE(test, no_small_pages(buf, 0));
#else
	kunit_skip(test, "no ->huge_fault on this kernel");
#endif
}

static void chunk_decided_once(struct kunit *test)
{
#ifdef MTMAP_HAVE_HUGE_FAULT
	struct huge_ctx *ctx = test->priv;
	struct mtmap_buffer *buf = ctx->buf;
	struct folio *folio = chunk(buf, 1, CHUNK_PAGES);

	if (!folio)
		kunit_skip(test, "no PMD-order folio available");
	/* Later faults anywhere in the chunk agree, even if allocation now fails. */
	buf->placement = &ctx->nohuge;
	KUNIT_EXPECT_PTR_EQ(test, chunk(buf, 1, 2 * CHUNK_PAGES - 1), folio);
	KUNIT_EXPECT_PTR_EQ(test, chunk(buf, 1, CHUNK_PAGES + 77), folio);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&buf->populated), (long)CHUNK_PAGES);
	KUNIT_EXPECT_TRUE(test, no_small_pages(buf, 1));
	/* The other chunk is still undecided. */
	KUNIT_EXPECT_NULL(test, xa_load(&buf->huge, 0));
	KUNIT_EXPECT_TRUE(test, no_small_pages(buf, 0));
#else
	kunit_skip(test, "no ->huge_fault on this kernel");
#endif
}

static void chunk_with_small_page_stays_small(struct kunit *test)
{
#ifdef MTMAP_HAVE_HUGE_FAULT
	struct huge_ctx *ctx = test->priv;
	struct mtmap_buffer *buf = ctx->buf;
	struct page *page = small_page(buf, CHUNK_PAGES + 3);

	KUNIT_ASSERT_FALSE(test, IS_ERR(page));
	/* A 4 KiB fault came first: the chunk is 4 KiB, a PMD fault too. */
	KUNIT_EXPECT_NULL(test, chunk(buf, 1, CHUNK_PAGES + 7));
	KUNIT_EXPECT_NULL(test, xa_load(&buf->huge, 1));
	KUNIT_EXPECT_NULL(test, mtmap_huge_lookup(buf, CHUNK_PAGES + 3));
	KUNIT_EXPECT_PTR_EQ(test, buf->pages[CHUNK_PAGES + 3], page);
	/* Only the page asked for: the PMD fault falls back, the 4 KiB one allocates. */
	KUNIT_EXPECT_NULL(test, buf->pages[CHUNK_PAGES + 7]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&buf->populated), 1L);
#else
	kunit_skip(test, "no ->huge_fault on this kernel");
#endif
}

static void chunk_failed_folio_small_for_good(struct kunit *test)
{
#ifdef MTMAP_HAVE_HUGE_FAULT
	struct huge_ctx *ctx = test->priv;
	struct mtmap_buffer *buf = ctx->buf;

	buf->placement = &ctx->nohuge;
	KUNIT_EXPECT_NULL(test, chunk(buf, 0, 11));
	/* The faulting page was allocated in the same critical section. */
	KUNIT_EXPECT_NOT_NULL(test, buf->pages[11]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&buf->populated), 1L);
	KUNIT_EXPECT_NULL(test, xa_load(&buf->huge, 0));
	/* Memory is back: the chunk stays 4 KiB, no fault can make it huge. */
	buf->placement = ctx->ram;
	KUNIT_EXPECT_NULL(test, chunk(buf, 0, 12));
	KUNIT_EXPECT_NULL(test, chunk(buf, 0, 11));
	KUNIT_EXPECT_NULL(test, xa_load(&buf->huge, 0));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&buf->populated), 1L);
	/* The other chunk decides for itself. */
	if (chunk(buf, 1, CHUNK_PAGES))
		KUNIT_EXPECT_EQ(test, atomic_long_read(&buf->populated),
				(long)CHUNK_PAGES + 1);
#else
	kunit_skip(test, "no ->huge_fault on this kernel");
#endif
}

static void lookup_needs_huge_buffer(struct kunit *test)
{
	struct mtmap_create c = { .size = CHUNK_PAGES * PAGE_SIZE, .memtype = MTMAP_MEMTYPE_WB };
	struct mtmap_buffer *buf;
	struct file *file;

	file = mtmap_buffer_create(&c);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	buf = file->private_data;
	/* Without MTMAP_CREATE_HUGE there are no chunks, only 4 KiB pages. */
	KUNIT_EXPECT_NULL(test, mtmap_huge_lookup(buf, 0));
	KUNIT_EXPECT_TRUE(test, xa_empty(&buf->huge));
	__fput_sync(file);
}

static struct kunit_case mtmap_huge_cases[] = {
	KUNIT_CASE(chunk_fresh_becomes_huge),
	KUNIT_CASE(chunk_decided_once),
	KUNIT_CASE(chunk_with_small_page_stays_small),
	KUNIT_CASE(chunk_failed_folio_small_for_good),
	KUNIT_CASE(lookup_needs_huge_buffer),
	{}
};

static struct kunit_suite mtmap_huge_suite = {
	.name = "mtmap_huge",
	.init = huge_test_init,
	.exit = huge_test_exit,
	.test_cases = mtmap_huge_cases,
};

kunit_test_suites(&mtmap_huge_suite);
