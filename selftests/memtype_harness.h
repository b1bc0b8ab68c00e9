/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the memory-type programs: memtype_test (per-type checks,
 * pools, shrinker, nopat), memtype_explicit_test (refusals, explicit-type
 * mappings, pins) and memtype_race_test (live type changes, processes,
 * races).
 *
 * The oracle is the page tables themselves: the x86 page-table dump of
 * this process (/sys/kernel/debug/page_tables/current_kernel) shows both
 * the user PTEs of a mapping and the kernel direct map, with their
 * PWT/PCD/PAT bits (see ptdump.h). Which pfn each user PTE maps comes from
 * mtmap's debugfs "ptes" file, which reads this process's page tables
 * (/proc/self/pagemap reports nothing for VM_PFNMAP mappings: the page
 * walker skips them); which pfns a buffer owns from debugfs "memtypes".
 *
 * Tests need root (debugfs, pools, drop_caches). They SKIP when the
 * module is not loaded, and the page-table assertions SKIP when the dump
 * is missing or the kernel was not booted with nokaslr.
 */
#ifndef MTMAP_MEMTYPE_HARNESS_H
#define MTMAP_MEMTYPE_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static inline void tbuf_release(struct tbuf *b)
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
static inline void tbuf_create(struct __test_metadata *_metadata, int devfd,
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
static inline void tbuf_identify(struct __test_metadata *_metadata, struct tbuf *b)
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

static inline void check_memtypes(struct __test_metadata *_metadata, const char *name,
			   unsigned int want, int maps, long npfns);

/* debugfs "ptes": which pfn each present page of our mappings maps. */
#define MTMAP_DBG_PTES		MTMAP_DBG_DIR "ptes"

struct mt_pte {
	unsigned long va, pfn;
};

struct mt_ptes {
	struct mt_pte *p;
	long n;
};

static inline void mt_ptes_free(struct mt_ptes *pt)
{
	free(pt->p);
	pt->p = NULL;
	pt->n = 0;
}

/* Lines "vaddr pfn level", by address (the file walks the VMAs in order). */
static inline int mt_ptes_load(struct mt_ptes *pt)
{
	char *buf = NULL, *line, *save = NULL;
	unsigned long va, pfn;
	long cap = 64;
	int err;

	pt->n = 0;
	pt->p = malloc(cap * sizeof(*pt->p));
	if (!pt->p)
		return -ENOMEM;
	err = mt_read_file(MTMAP_DBG_PTES, &buf, NULL);
	if (err) {
		mt_ptes_free(pt);
		return err;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%lx %lx", &va, &pfn) != 2)
			continue;
		if (pt->n == cap) {
			struct mt_pte *np = realloc(pt->p, 2 * cap * sizeof(*pt->p));

			if (!np) {
				free(buf);
				mt_ptes_free(pt);
				return -ENOMEM;
			}
			pt->p = np;
			cap *= 2;
		}
		pt->p[pt->n++] = (struct mt_pte){ .va = va, .pfn = pfn };
	}
	free(buf);
	return 0;
}

/* The pfn mapped at @va, or -1UL if the page is not present. */
static inline unsigned long mt_ptes_pfn(const struct mt_ptes *pt, unsigned long va)
{
	long lo = 0, hi = pt->n - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;

		if (pt->p[mid].va == va)
			return pt->p[mid].pfn;
		if (pt->p[mid].va < va)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1UL;
}

/*
 * Tie every user PTE of [@map, +@npages) to the direct-map entry of its
 * own pfn: the user PTE is a present user 4 KiB PTE of type @want, the
 * page tables say which pfn it maps (debugfs "ptes"), that pfn is one of
 * @own[@nown] (the buffer's, from "memtypes"; @own NULL: not checked), no
 * other page maps it, and its direct map is of @want too. A page that is
 * not present fails only with @all; @want < 0 takes each page's user
 * type as the one its direct map must have. Returns the pages checked.
 */
static inline long check_ptes_tied(struct __test_metadata *_metadata,
				   const struct ptdump *d, const struct mt_ptes *pt,
				   const char *map, size_t npages, int want,
				   const unsigned long *own, long nown, bool all)
{
	size_t i, j, psz = mtmap_page_size();
	int bad_user = 0, bad_dm = 0, bad_pfn = 0, missing = 0;
	unsigned long *pfns = calloc(npages ? npages : 1, sizeof(*pfns));
	long checked = 0, k;

	if (!pfns) {
		EXPECT_NE(NULL, pfns);
		return 0;
	}
	for (i = 0; i < npages; i++) {
		unsigned long va = (unsigned long)map + i * psz;
		const struct pt_range *r = ptdump_find(d, va);
		unsigned long pfn = mt_ptes_pfn(pt, va);
		int ut = r && r->present ? pt_range_cache(d, r) : -ENOENT;
		int dm;

		pfns[i] = -1UL;
		if (ut == -ENOENT || pfn == -1UL) {
			/* Mapped in one reading and not the other: faulting now. */
			if (all && missing++ < 4)
				TH_LOG("page %zu at %#lx: %s", i, va,
				       ut == -ENOENT ? "no user PTE" : "no pfn in debugfs ptes");
			continue;
		}
		checked++;
		pfns[i] = pfn;
		if ((want >= 0 && ut != want) || !r->user || r->level != PT_PTE) {
			if (bad_user++ < 4)
				TH_LOG("user page %zu at %#lx: %s%s%s, want %s", i, va,
				       pt_cache_name(ut), !r->user ? " (no USR)" : "",
				       r->level != PT_PTE ? " (not a pte)" : "",
				       pt_cache_name(want));
		}
		dm = ptdump_directmap_type(d, pfn);
		if (dm != ut && bad_dm++ < 4)
			TH_LOG("user page %zu at %#lx is %s, its pfn %#lx is %s in the direct map (%#lx)",
			       i, va, pt_cache_name(ut), pfn, pt_cache_name(dm),
			       ptdump_directmap_addr(d, pfn));
		for (k = 0; own && k < nown && own[k] != pfn; k++)
			;
		for (j = 0; j < i && pfns[j] != pfn; j++)
			;
		if (((own && k == nown) || j < i) && bad_pfn++ < 4)
			TH_LOG("user page %zu at %#lx maps pfn %#lx, %s", i, va, pfn,
			       j < i ? "as another page does" : "not the buffer's");
	}
	free(pfns);
	EXPECT_EQ(0, missing) TH_LOG("%d pages not mapped", missing);
	EXPECT_EQ(0, bad_user) TH_LOG("%d user PTEs of the wrong type", bad_user);
	EXPECT_EQ(0, bad_dm) TH_LOG("%d user PTEs whose own pfn's direct map differs", bad_dm);
	EXPECT_EQ(0, bad_pfn) TH_LOG("%d user PTEs mapping a wrong pfn", bad_pfn);
	return checked;
}

/*
 * The core check: every user PTE of the mapping has type @want, and so
 * has the direct map of the very pfn it maps (check_ptes_tied()), and of
 * every other pfn the buffer owns; INFO and memtypes agree.
 */
static inline void check_types(struct __test_metadata *_metadata, struct tbuf *b,
			       const char *map, size_t npages, unsigned int want)
{
	struct mtmap_info info;
	struct mt_ptes pt;
	struct ptdump d;
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
	ASSERT_EQ(0, mt_ptes_load(&pt)) TH_LOG("cannot read " MTMAP_DBG_PTES);
	EXPECT_EQ((long)npages, check_ptes_tied(_metadata, &d, &pt, map, npages, (int)want,
						b->pfns, b->npfns, true));
	mt_ptes_free(&pt);
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
static inline void check_not_present(struct __test_metadata *_metadata,
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
static inline void check_freed_wb(struct __test_metadata *_metadata,
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
static inline void check_memtypes(struct __test_metadata *_metadata, const char *name,
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

/* Explicit-type mapping offset of page @pg (needs self->psz). */
#define TYPED_OFF(t, pg)	((off_t)(MTMAP_MMAP_OFFSET(t) + (pg) * self->psz))

/* The fixture of the tests that make their own buffers: "mt". */
#define MT_FIXTURE()							\
	FIXTURE(mt) {							\
		int devfd;						\
		size_t psz;						\
	};								\
	FIXTURE_SETUP(mt) { OPEN_DEV_OR_SKIP(); }			\
	FIXTURE_TEARDOWN(mt)						\
	{								\
		if (self->devfd >= 0)					\
			close(self->devfd);				\
	}

#endif /* MTMAP_MEMTYPE_HARNESS_H */
