// SPDX-License-Identifier: GPL-2.0
/*
 * Memory-type selftests for mtmap: WB, WC and UC- buffers, live type
 * changes, pools, the shrinker, explicit-type mappings and nopat.
 *
 * The oracle is the page tables themselves: the x86 page-table dump of
 * this process (/sys/kernel/debug/page_tables/current_kernel) shows both
 * the user PTEs of a mapping and the kernel direct map, with their
 * PWT/PCD/PAT bits (see ptdump.h). Which pfns a buffer owns comes from
 * mtmap's debugfs "memtypes" file: /proc/self/pagemap reports nothing
 * for VM_PFNMAP mappings (the page walker skips them), so there is no
 * independent way to learn the pfns from userspace.
 *
 * Tests need root (debugfs, pools, drop_caches). They SKIP when the
 * module is not loaded, and the page-table assertions SKIP when the dump
 * is missing or the kernel was not booted with nokaslr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtmap_harness.h"
#include "ptdump.h"

#define NPAGES		16
/*
 * Each page-table dump is a full walk, slow under TCG + KASAN, and some
 * tests read a dozen: well above the harness default of 30 s.
 */
#define MT_TIMEOUT	300

#define OPEN_DEV_OR_SKIP() do {						\
	self->psz = mtmap_page_size();					\
	MTMAP_OPEN_OR_SKIP(self->devfd);				\
} while (0)

#define NEED_DEBUGFS() do {						\
	if (access(MTMAP_DBG_MEMTYPES, R_OK))				\
		SKIP(return, MTMAP_DBG_MEMTYPES " not readable (debugfs not mounted or not root)"); \
} while (0)

#define NEED_PTDUMP() do {						\
	const char *__why = ptdump_unavailable();			\
	if (__why)							\
		SKIP(return, "%s", __why);				\
} while (0)

/*
 * At the end of a test that checked what it could without the page
 * tables: report that the page-table part was skipped.
 */
#define PTDUMP_SKIPPED() do {						\
	const char *__why = ptdump_unavailable();			\
	if (__why)							\
		SKIP(return, "page-table checks skipped: %s", __why);	\
} while (0)

/* A buffer under test: its fd, one mapping, and the pfns it owns. */
struct tbuf {
	int fd;
	char *map;
	size_t npages;
	size_t psz;
	char name[24];		/* owner name in debugfs memtypes */
	unsigned long *pfns;
	long npfns;
	struct mt_tracks before; /* memtypes before the first touch */
};

static void tbuf_release(struct tbuf *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->npages * b->psz);
	b->map = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	free(b->pfns);
	b->pfns = NULL;
	mt_tracks_free(&b->before);
}

/* Create and map a buffer; snapshot memtypes to identify it later. */
static void tbuf_create(struct __test_metadata *_metadata, int devfd,
			struct tbuf *b, size_t npages, unsigned int type)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->psz = mtmap_page_size();
	b->npages = npages;
	ASSERT_EQ(0, mt_tracks_load(&b->before));
	b->fd = mtmap_create(devfd, npages * b->psz, type, 0, 0);
	ASSERT_LE(0, b->fd) TH_LOG("create %s: %s", pt_cache_name(type), strerror(-b->fd));
	b->map = mtmap_map(b->fd, npages * b->psz, 0);
	ASSERT_NE(MAP_FAILED, b->map) TH_LOG("mmap: %s", strerror(errno));
}

/*
 * After the buffer was touched: find the buffer owner that appeared since
 * tbuf_create() and collect its pfns.
 */
static void tbuf_identify(struct __test_metadata *_metadata, struct tbuf *b)
{
	struct mt_tracks now;
	size_t i;
	int found = 0;

	ASSERT_EQ(0, mt_tracks_load(&now));
	for (i = 0; i < now.n; i++) {
		if (strcmp(now.t[i].kind, "buffer") ||
		    mt_tracks_has_owner(&b->before, "buffer", now.t[i].name))
			continue;
		if (found && !strcmp(b->name, now.t[i].name))
			continue;
		found++;
		snprintf(b->name, sizeof(b->name), "%s", now.t[i].name);
	}
	ASSERT_EQ(1, found) TH_LOG("expected exactly one new buffer owner in memtypes, found %d", found);
	free(b->pfns);
	b->npfns = mt_tracks_pfns(&now, "buffer", b->name, &b->pfns);
	mt_tracks_free(&now);
	ASSERT_LE(0, b->npfns);
}

static void check_memtypes(struct __test_metadata *_metadata, const char *name,
			   unsigned int want, int maps, long npfns);

/*
 * The core check: every user PTE of the mapping and the direct map of
 * every pfn the buffer owns have type @want; INFO and memtypes agree.
 */
static void check_types(struct __test_metadata *_metadata, struct tbuf *b,
			const char *map, size_t npages, unsigned int want)
{
	struct mtmap_info info;
	struct ptdump d;
	size_t i;
	long k;
	int bad = 0;

	ASSERT_EQ(0, mtmap_info(b->fd, &info));
	EXPECT_EQ(want, info.memtype);
	tbuf_identify(_metadata, b);
	EXPECT_EQ((long)info.populated, b->npfns);
	check_memtypes(_metadata, b->name, want, -1, b->npfns);

	if (ptdump_unavailable())
		return;
	ASSERT_EQ(0, ptdump_load(&d));
	for (i = 0; i < npages; i++) {
		unsigned long va = (unsigned long)map + i * b->psz;
		const struct pt_range *r = ptdump_find(&d, va);
		int t = r ? pt_range_cache(&d, r) : -ENOENT;

		if (t != (int)want || !r->user || r->level != PT_PTE) {
			if (bad++ < 4)
				TH_LOG("user page %zu at %#lx: %s%s%s, want %s", i, va,
				       pt_cache_name(t),
				       r && !r->user ? " (no USR)" : "",
				       r && r->level != PT_PTE ? " (not a pte)" : "",
				       pt_cache_name(want));
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("%d user PTEs of the wrong type", bad);
	bad = 0;
	for (k = 0; k < b->npfns; k++) {
		int t = ptdump_directmap_type(&d, b->pfns[k]);

		if (t != (int)want && bad++ < 4)
			TH_LOG("pfn %#lx: direct map (%#lx) is %s, want %s",
			       b->pfns[k], ptdump_directmap_addr(&d, b->pfns[k]),
			       pt_cache_name(t), pt_cache_name(want));
	}
	EXPECT_EQ(0, bad) TH_LOG("%d direct-map aliases of the wrong type (page_offset %#lx)",
				 bad, d.page_offset);
	ptdump_free(&d);
}

/* Every page of [map, +npages) is absent from the page tables. */
static void check_not_present(struct __test_metadata *_metadata,
			      const char *map, size_t npages)
{
	size_t i, psz = mtmap_page_size();
	struct ptdump d;
	int bad = 0;

	if (ptdump_unavailable())
		return;
	ASSERT_EQ(0, ptdump_load(&d));
	for (i = 0; i < npages; i++)
		if (ptdump_type_at(&d, (unsigned long)map + i * psz) != -ENOENT)
			bad++;
	ptdump_free(&d);
	EXPECT_EQ(0, bad) TH_LOG("%d PTEs survived a type change", bad);
}

/* The direct map of every pfn is WB and mtmap no longer tracks any. */
static void check_freed_wb(struct __test_metadata *_metadata,
			   const unsigned long *pfns, long n)
{
	struct mt_tracks m;
	struct ptdump d;
	int bad = 0, tracked = 0;
	long k;

	bool pt = !ptdump_unavailable();

	ASSERT_EQ(0, mt_tracks_load(&m));
	if (pt)
		ASSERT_EQ(0, ptdump_load(&d));
	for (k = 0; k < n; k++) {
		int t = pt ? ptdump_directmap_type(&d, pfns[k]) : PT_WB;

		if (t != PT_WB && bad++ < 4)
			TH_LOG("freed pfn %#lx: direct map %s", pfns[k], pt_cache_name(t));
		if (mt_tracks_find(&m, pfns[k]) && tracked++ < 4)
			TH_LOG("freed pfn %#lx still tracked", pfns[k]);
	}
	if (pt)
		ptdump_free(&d);
	mt_tracks_free(&m);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, tracked);
}

/* memtypes lines of the buffer: type, ok, number of mappings (< 0: any). */
static void check_memtypes(struct __test_metadata *_metadata, const char *name,
			   unsigned int want, int maps, long npfns)
{
	struct mt_tracks m;
	long seen = 0;
	size_t i;

	ASSERT_EQ(0, mt_tracks_load(&m));
	for (i = 0; i < m.n; i++) {
		const struct mt_track *t = &m.t[i];

		EXPECT_TRUE(t->ok) TH_LOG("memtypes: %#lx-%#lx %s:%s is MISMATCH",
					  t->first, t->last, t->kind, t->name);
		if (strcmp(t->kind, "buffer") || strcmp(t->name, name))
			continue;
		seen += t->last - t->first + 1;
		EXPECT_STREQ(pt_cache_name(want), t->type);
		if (maps >= 0)
			EXPECT_EQ(maps, t->maps);
	}
	mt_tracks_free(&m);
	EXPECT_EQ(npfns, seen);
}

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
/* Refusals, conflicts, live changes, processes, shrinker, nopat            */

FIXTURE(mt) {
	int devfd;
	size_t psz;
};

FIXTURE_SETUP(mt)
{
	OPEN_DEV_OR_SKIP();
}

FIXTURE_TEARDOWN(mt)
{
	if (self->devfd >= 0)
		close(self->devfd);
}

TEST_F_TIMEOUT(mt, wt_create_refused, MT_TIMEOUT)
{
	int fd = mtmap_create(self->devfd, self->psz, MTMAP_MEMTYPE_WT, 0, 0);

	EXPECT_EQ(-EINVAL, fd);
	if (fd >= 0)
		close(fd);
	fd = mtmap_create(self->devfd, self->psz, 4, 0, 0);
	EXPECT_EQ(-EINVAL, fd);
	if (fd >= 0)
		close(fd);
}

TEST_F_TIMEOUT(mt, set_memtype_refused, MT_TIMEOUT)
{
	struct mtmap_set_memtype s;
	struct mtmap_info info;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	fd = mtmap_create(self->devfd, 2 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WT));
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, 4));
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, 0xffffffffu));
	memset(&s, 0, sizeof(s));
	s.memtype = MTMAP_MEMTYPE_WB;
	s.flags = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(fd, MTMAP_IOC_SET_MEMTYPE, &s));
	s.flags = 0;
	s.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(fd, MTMAP_IOC_SET_MEMTYPE, &s));
	/* Nothing changed. */
	ASSERT_EQ(0, mtmap_info(fd, &info));
	EXPECT_EQ(MTMAP_MEMTYPE_WC, info.req_memtype);
	EXPECT_EQ(mt_effective(MTMAP_MEMTYPE_WC), info.memtype);
	/* On the device fd it is not a buffer ioctl. */
	EXPECT_EQ(-ENOTTY, mtmap_set_memtype(self->devfd, MTMAP_MEMTYPE_WB));
	close(fd);
}

#define TYPED_OFF(t, pg)	((off_t)(MTMAP_MMAP_OFFSET(t) + (pg) * self->psz))

/*
 * Where the kernel cannot convert the direct map of RAM (arm64: a module
 * cannot change the linear map's attributes), a WC or UC- buffer would
 * alias a cacheable kernel mapping, so mtmap refuses both, exactly: CREATE
 * and SET_MEMTYPE fail with EOPNOTSUPP, nothing changes, WB keeps working
 * and the other refusals keep their errnos. Runs only where WC is refused
 * (the capability is the probe, never the architecture); where WC
 * buffers exist, the rest of this file tests them instead.
 */
TEST_F_TIMEOUT(mt, wc_uc_minus_refused_without_conversion, MT_TIMEOUT)
{
	static const __u32 refused[] = { MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS };
	struct mtmap_info info;
	size_t i;
	char *m;
	int fd;

	fd = mtmap_memtype_probe(self->devfd, MTMAP_MEMTYPE_WC);
	if (!fd)
		SKIP(return, "WC buffers are offered: this kernel converts the direct map");
	ASSERT_EQ(-EOPNOTSUPP, fd) TH_LOG("WC create: %s", strerror(-fd));
	ASSERT_TRUE(mtmap_memtype_refused(self->devfd, MTMAP_MEMTYPE_WC))
		TH_LOG("an x86 build must never see WC refused");

	for (i = 0; i < 2; i++) {
		fd = mtmap_create(self->devfd, self->psz, refused[i], 0, 0);
		EXPECT_EQ(-EOPNOTSUPP, fd) TH_LOG("create %s", mtmap_memtype_str(refused[i]));
		if (fd >= 0)
			close(fd);
		fd = mtmap_create(self->devfd, SZ_2M, refused[i], MTMAP_CREATE_HUGE, 0);
		EXPECT_EQ(-EOPNOTSUPP, fd) TH_LOG("create huge %s", mtmap_memtype_str(refused[i]));
		if (fd >= 0)
			close(fd);
		/* Argument errors come first: EINVAL, as anywhere. */
		EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 0, refused[i], 0, 0));
	}
	/* WT and unknown types keep their EINVAL. */
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, self->psz, MTMAP_MEMTYPE_WT, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, self->psz, 4, 0, 0));

	/* A WB buffer, mapped and written, cannot become WC or UC-. */
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, fd) TH_LOG("create WB: %s", strerror(-fd));
	m = mtmap_map(fd, 4 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, m);
	mtmap_fill(m, 0, 4, 600);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(-EOPNOTSUPP, mtmap_set_memtype(fd, refused[i]))
			TH_LOG("SET_MEMTYPE %s", mtmap_memtype_str(refused[i]));
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WT));
	ASSERT_EQ(0, mtmap_info(fd, &info));
	EXPECT_EQ(MTMAP_MEMTYPE_WB, info.memtype);
	EXPECT_EQ(MTMAP_MEMTYPE_WB, info.req_memtype);
	EXPECT_EQ(-1, mtmap_check(m, 0, 4, 600));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	/* Asking for a WC mapping of it is the usual alias refusal. */
	EXPECT_EQ(MAP_FAILED, mtmap_map(fd, self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 0)));
	EXPECT_EQ(EBUSY, errno);
	munmap(m, 4 * self->psz);
	close(fd);
}

/* Asking explicitly for a type the buffer does not have: EBUSY. */
TEST_F_TIMEOUT(mt, explicit_mmap_conflict, MT_TIMEOUT)
{
	size_t len = 2 * self->psz;
	void *m;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	/* The seed case: WC direct map, WT user PTE. */
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WT, 0));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WB, 2));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	if (mt_pat_enabled()) {
		m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_UC_MINUS, 0));
		EXPECT_EQ(MAP_FAILED, m);
		EXPECT_EQ(EBUSY, errno);
	}
	/* No type 5: EINVAL, not EBUSY. */
	m = mtmap_map(fd, len, (off_t)(5ULL << MTMAP_MMAP_TYPE_SHIFT));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, fd);
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WC, 0));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WT, 0));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	/* Range rules still apply to typed offsets. */
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WB, 3));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* A typed mapping of the buffer's own type works and shares the data. */
TEST_F_TIMEOUT(mt, explicit_mmap_right_type, MT_TIMEOUT)
{
	unsigned int eff = mt_effective(MTMAP_MEMTYPE_WC);
	struct ptdump d;
	char *plain, *typed;
	size_t i;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	typed = mtmap_map(fd, 2 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 2));
	ASSERT_NE(MAP_FAILED, typed) TH_LOG("typed mmap: %s", strerror(errno));
	plain = mtmap_map(fd, 4 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, plain);
	mtmap_fill(typed, 2, 2, 8);
	EXPECT_EQ(-1, mtmap_check(plain + 2 * self->psz, 2, 2, 8));
	mtmap_fill(plain, 0, 4, 9);
	EXPECT_EQ(-1, mtmap_check(typed, 2, 2, 9));
	if (!ptdump_unavailable()) {
		ASSERT_EQ(0, ptdump_load(&d));
		for (i = 0; i < 2; i++)
			EXPECT_EQ((int)eff, ptdump_type_at(&d, (unsigned long)typed + i * self->psz));
		for (i = 0; i < 4; i++)
			EXPECT_EQ((int)eff, ptdump_type_at(&d, (unsigned long)plain + i * self->psz));
		ptdump_free(&d);
	}
	munmap(typed, 2 * self->psz);
	munmap(plain, 4 * self->psz);
	close(fd);
}

/* A typed mapping pins the type: SET_MEMTYPE to another one is EBUSY. */
TEST_F_TIMEOUT(mt, set_memtype_pinned_busy, MT_TIMEOUT)
{
	struct mtmap_info info;
	char *typed, *plain;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	plain = mtmap_map(fd, 4 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, plain);
	mtmap_fill(plain, 0, 4, 10);
	/* A plain mapping does not pin. */
	ASSERT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_UC_MINUS));
	ASSERT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WC));

	typed = mtmap_map(fd, 4 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 0));
	ASSERT_NE(MAP_FAILED, typed);
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	/* (Under nopat WC already is UC-: that would be no change.) */
	if (mt_pat_enabled())
		EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_UC_MINUS));
	/* The same type is not a change. */
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WC));
	ASSERT_EQ(0, mtmap_info(fd, &info));
	EXPECT_EQ(mt_effective(MTMAP_MEMTYPE_WC), info.memtype);
	EXPECT_EQ(-1, mtmap_check(typed, 0, 4, 10));

	/* A forked child inherits the pin; it goes when both have unmapped. */
	{
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (!pid)
			_exit(mtmap_check(typed, 0, 4, 10) == -1 ? 0 : 1);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	ASSERT_EQ(0, munmap(typed, 4 * self->psz));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	EXPECT_EQ(-1, mtmap_check(plain, 0, 4, 10));
	munmap(plain, 4 * self->psz);
	close(fd);
}

/* VMA splits keep the pin count right: open/close of every piece. */
TEST_F_TIMEOUT(mt, pinned_split_unmap, MT_TIMEOUT)
{
	char *typed;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_UC_MINUS, 0, 0);
	ASSERT_LE(0, fd);
	typed = mtmap_map(fd, 4 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_UC_MINUS, 0));
	ASSERT_NE(MAP_FAILED, typed);
	mtmap_fill(typed, 0, 4, 11);
	/* Punch the middle: two pinned pieces remain. */
	ASSERT_EQ(0, munmap(typed + self->psz, self->psz));
	ASSERT_EQ(0, mprotect(typed + 2 * self->psz, self->psz, PROT_READ));
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	ASSERT_EQ(0, munmap(typed, self->psz));
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	EXPECT_EQ(-1, mtmap_check(typed + 2 * self->psz, 2, 2, 11));
	ASSERT_EQ(0, munmap(typed + 2 * self->psz, 2 * self->psz));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	close(fd);
}

/* WB -> WC -> UC- -> WB while mapped: data kept, PTEs follow the type. */
TEST_F_TIMEOUT(mt, live_change_keeps_data, MT_TIMEOUT)
{
	static const unsigned int seq[] = {
		MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB,
		MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_WB,
	};
	struct tbuf b;
	size_t i;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	NEED_DEBUGFS();
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WB);
	mtmap_fill(b.map, 0, NPAGES, 100);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		unsigned int prev = i ? seq[i - 1] : MTMAP_MEMTYPE_WB;

		ASSERT_EQ(0, mtmap_set_memtype(b.fd, seq[i])) TH_LOG("to %s", pt_cache_name(seq[i]));
		if (mt_effective(prev) != mt_effective(seq[i]))
			check_not_present(_metadata, b.map, NPAGES);
		EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 100 + i))
			TH_LOG("data lost changing %s -> %s", pt_cache_name(prev),
			       pt_cache_name(seq[i]));
		mtmap_fill(b.map, 0, NPAGES, 101 + i);
		check_types(_metadata, &b, b.map, NPAGES, mt_effective(seq[i]));
		EXPECT_EQ(NPAGES, (long)mtmap_populated(b.fd));
	}
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/* Child exit codes of live_change_multiprocess. */
enum { CHILD_OK, CHILD_DATA_BEFORE, CHILD_SYNC, CHILD_STILL_MAPPED,
       CHILD_DATA_AFTER, CHILD_PTE_TYPE, CHILD_MMAP, CHILD_PTDUMP };

static int child_check_ptes(const char *m1, const char *m2, size_t npages,
			    int want)
{
	size_t i, psz = mtmap_page_size();
	struct ptdump d;
	int ret = CHILD_OK;

	if (ptdump_load(&d))
		return CHILD_PTDUMP;
	for (i = 0; i < npages; i++) {
		if (ptdump_type_at(&d, (unsigned long)m1 + i * psz) != want ||
		    ptdump_type_at(&d, (unsigned long)m2 + i * psz) != want) {
			ret = want == -ENOENT ? CHILD_STILL_MAPPED : CHILD_PTE_TYPE;
			break;
		}
	}
	ptdump_free(&d);
	return ret;
}

/*
 * Parent and child both map the buffer (the child through the inherited
 * mapping and one of its own); the parent changes the type; the child
 * sees its PTEs zapped, reads the same data and faults in the new type.
 */
TEST_F_TIMEOUT(mt, live_change_multiprocess, MT_TIMEOUT)
{
	unsigned int eff = mt_effective(MTMAP_MEMTYPE_WC);
	int p2c[2], c2p[2], status;
	bool types;
	struct tbuf b;
	char c = 0;
	pid_t pid;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_DEBUGFS();
	types = !ptdump_unavailable();
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WB);
	mtmap_fill(b.map, 0, NPAGES, 200);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *own;
		int ret;

		close(p2c[1]);
		close(c2p[0]);
		own = mtmap_map(b.fd, NPAGES * b.psz, 0);
		if (own == MAP_FAILED)
			_exit(CHILD_MMAP);
		if (mtmap_check(b.map, 0, NPAGES, 200) != -1 ||
		    mtmap_check(own, 0, NPAGES, 200) != -1)
			_exit(CHILD_DATA_BEFORE);
		if (types && (ret = child_check_ptes(b.map, own, NPAGES, PT_WB)))
			_exit(ret);
		if (write(c2p[1], "R", 1) != 1 || read(p2c[0], &c, 1) != 1 || c != 'G')
			_exit(CHILD_SYNC);
		/* The parent changed the type: nothing of ours is mapped. */
		if (types && (ret = child_check_ptes(b.map, own, NPAGES, -ENOENT)))
			_exit(ret);
		if (mtmap_check(b.map, 0, NPAGES, 200) != -1 ||
		    mtmap_check(own, 0, NPAGES, 200) != -1)
			_exit(CHILD_DATA_AFTER);
		mtmap_fill(own, 0, NPAGES, 201);
		if (types && (ret = child_check_ptes(b.map, own, NPAGES, (int)eff)))
			_exit(ret);
		_exit(CHILD_OK);
	}
	close(p2c[0]);
	close(c2p[1]);
	ASSERT_EQ(1, read(c2p[0], &c, 1));
	ASSERT_EQ('R', c);
	ASSERT_EQ(0, mtmap_set_memtype(b.fd, MTMAP_MEMTYPE_WC));
	ASSERT_EQ(1, write(p2c[1], "G", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child died, status %#x", status);
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status))
		TH_LOG("child failed at step %d (1 data before, 3 still mapped, 4 data after, 5 PTE type, 7 ptdump)",
		       WEXITSTATUS(status));
	check_not_present(_metadata, b.map, NPAGES);
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 201));
	check_types(_metadata, &b, b.map, NPAGES, eff);
	close(p2c[1]);
	close(c2p[0]);
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/* Faults racing with type changes: every thread always reads its data. */
struct race_arg {
	char *map;
	size_t first, npages;
	volatile int *stop;
	long errors, rounds;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	size_t psz = mtmap_page_size();
	char *m = a->map + a->first * psz;
	__u64 seed = 1000 + a->first;

	while (!*a->stop) {
		mtmap_fill(m, a->first, a->npages, seed);
		if (mtmap_check(m, a->first, a->npages, seed) != -1)
			a->errors++;
		seed++;
		a->rounds++;
	}
	return NULL;
}

TEST_F_TIMEOUT(mt, live_change_races_faults, MT_TIMEOUT)
{
	static const unsigned int cycle[] = {
		MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB,
	};
	struct race_arg args[2];
	pthread_t th[2];
	volatile int stop = 0;
	char *map;
	int fd, i;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	fd = mtmap_create(self->devfd, NPAGES * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, fd);
	map = mtmap_map(fd, NPAGES * self->psz, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < 2; i++) {
		args[i] = (struct race_arg){ .map = map, .first = i * NPAGES / 2,
					     .npages = NPAGES / 2, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_thread, &args[i]));
	}
	for (i = 0; i < 30; i++) {
		EXPECT_EQ(0, mtmap_set_memtype(fd, cycle[i % 3]));
		usleep(2000);
	}
	stop = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, args[i].errors) TH_LOG("thread %d: %ld of %ld rounds bad",
						    i, args[i].errors, args[i].rounds);
	}
	munmap(map, NPAGES * self->psz);
	close(fd);
}

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
