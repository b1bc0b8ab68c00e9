// SPDX-License-Identifier: GPL-2.0
/*
 * Memory-type selftests for mtmap: WB, WC and UC- buffers on first touch,
 * after a live change and after pool reuse, freed pages, debugfs
 * memtypes, the shrinker and nopat. Refusals, explicit-type mappings and
 * pins: memtype_explicit_test; live changes, processes and races:
 * memtype_race_test. Oracles and helpers: memtype_harness.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memtype_harness.h"

/* ====================================================================== */
/* Per-type checks: WB, WC, UC-                                             */

FIXTURE(types) {
	int devfd;
	size_t psz;
	unsigned int eff;
};

FIXTURE_VARIANT(types) {
	unsigned int type;
};

FIXTURE_VARIANT_ADD(types, wb)		{ .type = MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(types, wc)		{ .type = MTMAP_MEMTYPE_WC };
FIXTURE_VARIANT_ADD(types, uc_minus)	{ .type = MTMAP_MEMTYPE_UC_MINUS };

FIXTURE_SETUP(types)
{
	OPEN_DEV_OR_SKIP();
	NEED_MEMTYPE(self->devfd, variant->type);
	NEED_DEBUGFS();
	self->eff = mt_effective(variant->type);
}

FIXTURE_TEARDOWN(types)
{
	if (self->devfd >= 0)
		close(self->devfd);
}

/* A fresh buffer: first touch maps every page with its type. */
TEST_F_TIMEOUT(types, first_touch, MT_TIMEOUT)
{
	struct mtmap_info info;
	struct tbuf b;

	tbuf_create(_metadata, self->devfd, &b, NPAGES, variant->type);
	ASSERT_EQ(0, mtmap_info(b.fd, &info));
	EXPECT_EQ(variant->type, info.req_memtype);
	EXPECT_EQ(self->eff, info.memtype);
	mtmap_fill(b.map, 0, NPAGES, 1);
	check_types(_metadata, &b, b.map, NPAGES, self->eff);
	EXPECT_EQ(NPAGES, b.npfns);
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 1));
	if (!ptdump_unavailable() && b.npfns > 0) {
		/* Show what the oracle saw, for the log. */
		struct ptdump d;
		const struct pt_range *u, *k;

		ASSERT_EQ(0, ptdump_load(&d));
		u = ptdump_find(&d, (unsigned long)b.map);
		k = ptdump_find(&d, ptdump_directmap_addr(&d, b.pfns[0]));
		if (u && k)
			TH_LOG("page_offset %#lx; user %#lx-%#lx pwt=%d pcd=%d pat=%d lvl=%d: %s; pfn %#lx direct map %#lx-%#lx pwt=%d pcd=%d pat=%d lvl=%d: %s",
			       d.page_offset, u->start, u->end, u->pwt, u->pcd, u->pat, u->level,
			       pt_cache_name(pt_range_cache(&d, u)), b.pfns[0], k->start, k->end,
			       k->pwt, k->pcd, k->pat, k->level, pt_cache_name(pt_range_cache(&d, k)));
		ptdump_free(&d);
	}
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/* Created as another type, touched, changed to this type, touched again. */
TEST_F_TIMEOUT(types, after_live_change, MT_TIMEOUT)
{
	unsigned int from = (variant->type + 1) % 3;
	struct mtmap_info info;
	struct tbuf b;

	NEED_MEMTYPE(self->devfd, from);
	tbuf_create(_metadata, self->devfd, &b, NPAGES, from);
	mtmap_fill(b.map, 0, NPAGES, 2);
	check_types(_metadata, &b, b.map, NPAGES, mt_effective(from));

	ASSERT_EQ(0, mtmap_set_memtype(b.fd, variant->type));
	ASSERT_EQ(0, mtmap_info(b.fd, &info));
	EXPECT_EQ(variant->type, info.req_memtype);
	EXPECT_EQ(self->eff, info.memtype);
	if (mt_effective(from) != self->eff)
		check_not_present(_metadata, b.map, NPAGES);
	/* Data survived; this read faults every page back in. */
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 2));
	mtmap_fill(b.map, 0, NPAGES, 3);
	check_types(_metadata, &b, b.map, NPAGES, self->eff);
	EXPECT_EQ(NPAGES, b.npfns);
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 3));
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/*
 * A buffer of this type is freed; the next one of the same type gets the
 * same pages back from the pool (WC/UC-), cleared, and with the type.
 */
TEST_F_TIMEOUT(types, after_pool_reuse, MT_TIMEOUT)
{
	struct mt_pool_stats s0 = { 0 }, s1 = { 0 };
	unsigned long *first_pfns;
	long nfirst, k, j, common = 0;
	/* With use_pools off there is no pool: only the clearing is checked. */
	bool pooled = self->eff != MTMAP_MEMTYPE_WB && mtmap_pools_on();
	struct tbuf a, b;

	if (!mtmap_pools_on())
		TH_LOG("use_pools is off: pages come from the page allocator");
	tbuf_create(_metadata, self->devfd, &a, NPAGES, variant->type);
	mtmap_fill(a.map, 0, NPAGES, 4);
	tbuf_identify(_metadata, &a);
	ASSERT_EQ(NPAGES, a.npfns);
	first_pfns = a.pfns;
	nfirst = a.npfns;
	a.pfns = NULL;
	tbuf_release(&a);

	if (pooled)
		ASSERT_EQ(0, mt_pool_stats(self->eff, &s0));
	tbuf_create(_metadata, self->devfd, &b, NPAGES, variant->type);
	/* Pool pages are cleared before reuse: the first buffer's data is gone. */
	EXPECT_EQ(-1, mtmap_first_nonzero(b.map, NPAGES * self->psz));
	mtmap_fill(b.map, 0, NPAGES, 5);
	check_types(_metadata, &b, b.map, NPAGES, self->eff);
	if (pooled) {
		ASSERT_EQ(0, mt_pool_stats(self->eff, &s1));
		EXPECT_LE(s0.hits + NPAGES, s1.hits)
			TH_LOG("pool hits %ld -> %ld for %d pages", s0.hits, s1.hits, NPAGES);
		EXPECT_EQ(s0.misses, s1.misses);
		/* LIFO: the pages the first buffer returned come back first. */
		for (k = 0; k < b.npfns; k++)
			for (j = 0; j < nfirst; j++)
				if (b.pfns[k] == first_pfns[j]) {
					common++;
					break;
				}
		EXPECT_EQ(NPAGES, common) TH_LOG("only %ld of %d pages reused", common, NPAGES);
	}
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 5));
	free(first_pfns);
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/* Destroyed buffer + drained pools: the direct map is WB again. */
TEST_F_TIMEOUT(types, freed_directmap_wb, MT_TIMEOUT)
{
	struct mt_pool_stats s;
	unsigned long *pfns;
	struct tbuf b;
	long n;

	tbuf_create(_metadata, self->devfd, &b, NPAGES, variant->type);
	mtmap_fill(b.map, 0, NPAGES, 6);
	check_types(_metadata, &b, b.map, NPAGES, self->eff);
	pfns = b.pfns;
	n = b.npfns;
	b.pfns = NULL;
	ASSERT_EQ(NPAGES, n);
	/* munmap first, then close: the last reference frees the buffer. */
	munmap(b.map, NPAGES * self->psz);
	b.map = NULL;
	tbuf_release(&b);

	ASSERT_EQ(0, mt_drain_pools());
	ASSERT_EQ(0, mt_pool_stats(MTMAP_MEMTYPE_WC, &s));
	EXPECT_EQ(0, s.pages);
	ASSERT_EQ(0, mt_pool_stats(MTMAP_MEMTYPE_UC_MINUS, &s));
	EXPECT_EQ(0, s.pages);
	check_freed_wb(_metadata, pfns, n);
	free(pfns);
	PTDUMP_SKIPPED();
}

/* debugfs memtypes: the buffer's pfns, its type, its mappings, "ok". */
TEST_F_TIMEOUT(types, memtypes_debugfs, MT_TIMEOUT)
{
	struct tbuf b;
	char *map2;

	tbuf_create(_metadata, self->devfd, &b, NPAGES, variant->type);
	map2 = mtmap_map(b.fd, NPAGES * self->psz, 0);
	ASSERT_NE(MAP_FAILED, map2);
	/* Touch half of the pages, some through each mapping. */
	mtmap_fill(b.map, 0, NPAGES / 4, 7);
	mtmap_fill(map2 + NPAGES / 4 * self->psz, NPAGES / 4, NPAGES / 4, 7);
	tbuf_identify(_metadata, &b);
	EXPECT_EQ(NPAGES / 2, b.npfns);
	EXPECT_EQ(NPAGES / 2, (long)mtmap_populated(b.fd));
	check_memtypes(_metadata, b.name, self->eff, 2, NPAGES / 2);
	ASSERT_EQ(0, munmap(map2, NPAGES * self->psz));
	check_memtypes(_metadata, b.name, self->eff, 1, NPAGES / 2);
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES / 2, 7));
	tbuf_release(&b);
}

/* ====================================================================== */
/* Shrinker and nopat                                                       */

MT_FIXTURE();

/* drop_caches runs the shrinker: pool pages go back to WB and are freed. */
TEST_F_TIMEOUT(mt, shrinker_releases_pool, MT_TIMEOUT)
{
	unsigned int eff = mt_effective(MTMAP_MEMTYPE_WC);
	const char *pool_name = pt_cache_name(eff);
	struct mt_pool_stats s0, s1;
	unsigned long *pfns;
	struct mt_tracks m;
	struct tbuf b;
	long n;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_DEBUGFS();
	if (!mtmap_pools_on())
		SKIP(return, "use_pools is off: there is no pool to shrink");
	ASSERT_EQ(0, mt_drain_pools());
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WC);
	mtmap_fill(b.map, 0, NPAGES, 300);
	tbuf_release(&b);

	ASSERT_EQ(0, mt_pool_stats(eff, &s0));
	ASSERT_LT(0, s0.pages) TH_LOG("pool empty after a buffer was freed (use_pools off?)");
	ASSERT_EQ(0, mt_tracks_load(&m));
	n = mt_tracks_pfns(&m, "pool", pool_name, &pfns);
	mt_tracks_free(&m);
	ASSERT_LE(0, n);
	EXPECT_EQ(s0.pages, n);

	ASSERT_EQ(0, mt_write_file(DROP_CACHES, "3\n"));
	ASSERT_EQ(0, mt_pool_stats(eff, &s1));
	EXPECT_EQ(0, s1.pages);
	EXPECT_EQ(s0.shrunk + s0.pages, s1.shrunk)
		TH_LOG("shrunk %ld -> %ld, pool had %ld", s0.shrunk, s1.shrunk, s0.pages);
	check_freed_wb(_metadata, pfns, n);
	free(pfns);
	PTDUMP_SKIPPED();
}

/* nopat: WC degrades to UC-, in INFO and in the page tables. */
TEST_F_TIMEOUT(mt, nopat_wc_is_uc_minus, MT_TIMEOUT)
{
	struct mtmap_info info;
	struct tbuf b;

	if (!mt_cmdline_has("nopat"))
		SKIP(return, "kernel not booted with nopat");
	NEED_DEBUGFS();
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WC);
	ASSERT_EQ(0, mtmap_info(b.fd, &info));
	EXPECT_EQ(MTMAP_MEMTYPE_UC_MINUS, info.memtype);
	EXPECT_EQ(MTMAP_MEMTYPE_WC, info.req_memtype);
	mtmap_fill(b.map, 0, NPAGES, 400);
	check_types(_metadata, &b, b.map, NPAGES, MTMAP_MEMTYPE_UC_MINUS);
	check_memtypes(_metadata, b.name, MTMAP_MEMTYPE_UC_MINUS, 1, NPAGES);
	/* Changing WC -> UC- is no change at all under nopat. */
	ASSERT_EQ(0, mtmap_set_memtype(b.fd, MTMAP_MEMTYPE_UC_MINUS));
	ASSERT_EQ(0, mtmap_set_memtype(b.fd, MTMAP_MEMTYPE_WC));
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 400));
	check_types(_metadata, &b, b.map, NPAGES, MTMAP_MEMTYPE_UC_MINUS);
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/*
 * nopat: a mapping pinned as WC (really UC-) must block a change to WB,
 * also after the requested type was switched to UC- (same effective type).
 */
TEST_F_TIMEOUT(mt, nopat_pinned_wc_blocks_wb, MT_TIMEOUT)
{
	char *typed;
	int fd;

	if (!mt_cmdline_has("nopat"))
		SKIP(return, "kernel not booted with nopat");
	fd = mtmap_create(self->devfd, 2 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	typed = mtmap_map(fd, 2 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 0));
	ASSERT_NE(MAP_FAILED, typed) TH_LOG("WC-typed mmap of a WC buffer: %s", strerror(errno));
	mtmap_fill(typed, 0, 2, 500);
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_UC_MINUS));
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB))
		TH_LOG("the WC pin was forgotten once req_memtype became UC-");
	munmap(typed, 2 * self->psz);
	close(fd);
}

TEST_HARNESS_MAIN
