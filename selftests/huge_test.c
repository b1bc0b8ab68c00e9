// SPDX-License-Identifier: GPL-2.0
/*
 * huge_test: MTMAP_CREATE_HUGE (Documentation/mapping.rst): 2 MiB aligned
 * mmap, PMD mappings where the kernel calls ->huge_fault (probed per THP
 * setting and hint), fallback to 4 KiB (unaligned, small VMA, partial
 * chunk, populated chunk, failed allocation), dirty tracking,
 * munmap/mremap/mprotect/fork.
 *
 * Shared fixture and macros: fault_harness.h. Fault counts are getrusage()
 * ru_minflt deltas around tight loops, each checked against the module's
 * count of fault-handler calls (which sees a retried fault, getrusage()
 * does not); levels come from the x86 page-table dump, and the tests that
 * need it SKIP where it is missing.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault_harness.h"

#define FAIL_DIR	"/sys/kernel/debug/fail_page_alloc/"

FT_FIXTURE();

/* ------------------------------------------------------------------ */
/* 2 MiB mappings per THP setting and memory type                     */
/* ------------------------------------------------------------------ */

FIXTURE(huge) {
	int devfd;
	size_t psz, wpp;
	char thp_saved[16];
};

FIXTURE_VARIANT(huge) {
	const char *thp;
	enum hint hint;
	__u32 memtype;
};

FIXTURE_VARIANT_ADD(huge, never_wb) { "never", HINT_NONE, MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(huge, madvise_wb) { "madvise", HINT_NONE, MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(huge, madvise_hugepage_wb) { "madvise", HINT_HUGE, MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(huge, always_wb) { "always", HINT_NONE, MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(huge, always_nohugepage_wb) { "always", HINT_NOHUGE, MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(huge, never_hugepage_wb) { "never", HINT_HUGE, MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(huge, always_wc) { "always", HINT_NONE, MTMAP_MEMTYPE_WC };
FIXTURE_VARIANT_ADD(huge, always_uc_minus) { "always", HINT_NONE, MTMAP_MEMTYPE_UC_MINUS };
FIXTURE_VARIANT_ADD(huge, madvise_hugepage_wc) { "madvise", HINT_HUGE, MTMAP_MEMTYPE_WC };
FIXTURE_VARIANT_ADD(huge, madvise_hugepage_uc_minus) {
	"madvise", HINT_HUGE, MTMAP_MEMTYPE_UC_MINUS
};

FIXTURE_SETUP(huge)
{
	FT_SETUP();
	NEED_MEMTYPE(self->devfd, variant->memtype);
}
FIXTURE_TEARDOWN(huge) { FT_TEARDOWN(); }

static void *huge_map(struct __test_metadata *_metadata, int bufd, size_t len,
		      enum hint hint)
{
	void *m = mtmap_map(bufd, len, 0);
	int ret;

	ASSERT_NE(MAP_FAILED, m) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0UL, (unsigned long)m % SZ_2M) TH_LOG("mmap at %p: not 2 MiB aligned", m);
	if (hint != HINT_NONE) {
		ret = madvise(m, len, hint == HINT_HUGE ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		EXPECT_EQ(0, ret) TH_LOG("madvise: %s", strerror(errno));
	}
	return m;
}

/*
 * Chunk 0: write one word (1 fault), then every page (0 more with a PMD,
 * 511 without). Chunk 1: read every page (1 or 512 faults), zeroed, then
 * write every page (0 faults). Data survives a remap.
 */
TEST_F_TIMEOUT(huge, first_write, 60)
{
	__u64 *m, *c1, sum = ~0ULL;
	long f1, f2, r, w, h0;
	bool pmd;
	int bufd;

	if (variant->hint != HINT_NONE)
		NEED_MADVISE();
	THP_MODE(variant->thp);
	pmd = EXPECT_PMD(variant->thp, variant->hint);
	bufd = CREATE(HUGE_LEN, variant->memtype, MTMAP_CREATE_HUGE, 0);
	m = huge_map(_metadata, bufd, HUGE_LEN, variant->hint);
	c1 = m + HPAGES * self->wpp;
	WARM_UP();
	h0 = mtmap_huge_fault_calls();
	f1 = WRITE_PASS(m, 1, 0, 0x55);
	/* The probe saw what this mapping sees. */
	EXPECT_EQ(pmd, mtmap_huge_fault_calls() > h0);
	EXPECT_EQ(pmd ? HPAGES : 1ULL, mtmap_populated(bufd));
	f2 = WRITE_PASS(m, HPAGES, self->wpp, 0x66);
	EXPECT_EQ(1, f1);
	EXPECT_EQ(pmd ? 0L : (long)HPAGES - 1, f2)
		TH_LOG("the kernel %s a PMD (THP %s), the mapping has %s", pmd ? "asked for" :
		       "did not ask for", variant->thp, pmd ? "none" : "one");
	EXPECT_EQ(HPAGES, mtmap_populated(bufd));

	r = READ_PASS(c1, HPAGES, self->wpp, &sum);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, r);
	EXPECT_EQ(0ULL, sum);
	EXPECT_EQ(-1, mtmap_first_nonzero(c1, SZ_2M)) TH_LOG("chunk 1 not zeroed");
	w = WRITE_PASS(c1, HPAGES, self->wpp, 0x77);
	EXPECT_EQ(0L, w);
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));

	mtmap_fill(m, 0, 2 * HPAGES, 9);
	ASSERT_EQ(0, munmap(m, HUGE_LEN));
	m = huge_map(_metadata, bufd, HUGE_LEN, variant->hint);
	EXPECT_EQ(-1, mtmap_check(m, 0, 2 * HPAGES, 9));
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	munmap(m, HUGE_LEN);
	close(bufd);
}

TEST_F_TIMEOUT(huge, first_write_ptdump, 60)
{
	int lvl, eff = mt_effective(variant->memtype);
	struct ptdump d;
	unsigned long a;
	__u64 *m, sum;
	bool pmd;
	int bufd;

	NEED_PTDUMP();
	if (variant->hint != HINT_NONE)
		NEED_MADVISE();
	THP_MODE(variant->thp);
	pmd = EXPECT_PMD(variant->thp, variant->hint);
	lvl = pmd ? PT_PMD : PT_PTE;
	bufd = CREATE(HUGE_LEN, variant->memtype, MTMAP_CREATE_HUGE, 0);
	m = huge_map(_metadata, bufd, HUGE_LEN, variant->hint);
	a = (unsigned long)m;
	write_pass(m, HPAGES, self->wpp, 1);			/* write fault */
	read_pass(m + HPAGES * self->wpp, HPAGES, self->wpp, &sum); /* read fault */
	PTDUMP_LOAD(&d);
	EXPECT_MAPPED_AT(&d, a, lvl, 1);
	EXPECT_MAPPED_AT(&d, a + SZ_2M - self->psz, lvl, 1);
	EXPECT_MAPPED_AT(&d, a + SZ_2M, lvl, 1);
	EXPECT_MAPPED_AT(&d, a + 2 * SZ_2M - self->psz, lvl, 1);
	if (pmd) {
		const struct pt_range *r = ptdump_find(&d, a);

		ASSERT_NE(NULL, r);
		EXPECT_TRUE(r->pse);
		EXPECT_LE(r->start, a);
		EXPECT_GE(r->end, a + SZ_2M);
	}
	EXPECT_EQ(eff, ptdump_type_at(&d, a))
		TH_LOG("chunk 0 %s, want %s", pt_cache_name(ptdump_type_at(&d, a)),
		       pt_cache_name(eff));
	EXPECT_EQ(eff, ptdump_type_at(&d, a + SZ_2M + 5 * self->psz));
	ptdump_free(&d);
	munmap(m, HUGE_LEN);
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* 2 MiB fallbacks (THP "always": a PMD wherever the kernel allows)    */
/* ------------------------------------------------------------------ */

/* The mapping is placed congruent to the file offset. */
TEST_F_TIMEOUT(ft, huge_offset_congruent, 60)
{
	size_t len = 3 * SZ_2M - self->psz;
	bool pmd;
	__u64 *m, *c1;
	int bufd;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	bufd = CREATE(3 * SZ_2M, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, len, self->psz);
	EXPECT_EQ(self->psz, (unsigned long)m % SZ_2M) TH_LOG("mmap at %p", m);
	c1 = m + (HPAGES - 1) * self->wpp;		/* buffer page 512 */
	WARM_UP();
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, WRITE_PASS(c1, HPAGES, self->wpp, 1));
	EXPECT_EQ(HPAGES, mtmap_populated(bufd));
	/* Buffer pages 1..511: their chunk is not fully mapped, so 4 KiB. */
	EXPECT_EQ((long)HPAGES - 1, WRITE_PASS(m, HPAGES - 1, self->wpp, 2));
	EXPECT_EQ(2 * HPAGES - 1, mtmap_populated(bufd));
	EXPECT_EQ(2ULL + 7, m[7 * self->wpp]);
	EXPECT_EQ(1ULL + 7, c1[7 * self->wpp]);
	munmap(m, len);
	close(bufd);
}

/* Mapped at an address not congruent to the buffer chunks: 4 KiB only. */
TEST_F_TIMEOUT(ft, huge_fallback_unaligned, 60)
{
	struct ptdump d;
	unsigned long base;
	__u64 *m;
	int bufd;

	THP_MODE("always");
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	base = reserve_aligned(HUGE_LEN + SZ_2M);
	ASSERT_NE(0UL, base);
	m = mmap((void *)(base + self->psz), HUGE_LEN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, bufd, 0);
	ASSERT_EQ((void *)(base + self->psz), m) TH_LOG("mmap: %s", strerror(errno));
	WARM_UP();
	EXPECT_EQ((long)(2 * HPAGES), WRITE_PASS(m, 2 * HPAGES, self->wpp, 3));
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	mtmap_fill(m, 0, 2 * HPAGES, 4);
	EXPECT_EQ(-1, mtmap_check(m, 0, 2 * HPAGES, 4));
	if (have_ptdump()) {
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, base + SZ_2M, PT_PTE, 1);
		EXPECT_MAPPED_AT(&d, base + 2 * SZ_2M, PT_PTE, 1);
		ptdump_free(&d);
	}
	munmap(m, HUGE_LEN);
	close(bufd);
}

/* A VMA smaller than 2 MiB, and a buffer whose last chunk is partial. */
TEST_F_TIMEOUT(ft, huge_fallback_small, 60)
{
	const size_t small = 256, part = 256;	/* pages */
	bool pmd;
	__u64 *m;
	int bufd;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, small * self->psz, 0);
	WARM_UP();
	EXPECT_EQ((long)small, WRITE_PASS(m, small, self->wpp, 1));
	EXPECT_EQ((__u64)small, mtmap_populated(bufd));
	munmap(m, small * self->psz);
	close(bufd);

	bufd = CREATE(SZ_2M + part * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, SZ_2M + part * self->psz, 0);
	EXPECT_EQ(0UL, (unsigned long)m % SZ_2M);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, WRITE_PASS(m, HPAGES, self->wpp, 2));
	EXPECT_EQ((long)part, WRITE_PASS(m + HPAGES * self->wpp, part, self->wpp, 3));
	EXPECT_EQ(HPAGES + part, mtmap_populated(bufd));
	EXPECT_EQ(3ULL + part - 1, m[(HPAGES + part - 1) * self->wpp]);
	munmap(m, SZ_2M + part * self->psz);
	close(bufd);
}

/* A chunk with a 4 KiB page already allocated stays 4 KiB. */
TEST_F_TIMEOUT(ft, huge_fallback_populated, 60)
{
	bool pmd;
	__u64 *one, *m;
	int bufd;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	one = MAP(bufd, self->psz, 3 * self->psz);
	one[0] = 0xabc;
	munmap(one, self->psz);
	EXPECT_EQ(1ULL, mtmap_populated(bufd));
	m = MAP(bufd, HUGE_LEN, 0);
	WARM_UP();
	EXPECT_EQ((long)HPAGES, WRITE_PASS(m + 1, HPAGES, self->wpp, 1));
	EXPECT_EQ(HPAGES, mtmap_populated(bufd)) TH_LOG("page 3 allocated twice?");
	EXPECT_EQ(0xabcULL, m[3 * self->wpp]);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES,
		  WRITE_PASS(m + HPAGES * self->wpp, HPAGES, self->wpp, 2));
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	munmap(m, HUGE_LEN);
	close(bufd);
}

static int fail_write(const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAIL_DIR "%s", attr);
	return mt_write_file(path, val);
}

/* A failed 2 MiB allocation falls back to 4 KiB (fault injection). */
TEST_F_TIMEOUT(ft, huge_fallback_alloc_fail, 60)
{
	static const char * const attrs[] = {
		"probability", "interval", "times", "task-filter",
		"ignore-gfp-highmem", "ignore-gfp-wait", "min-order", "verbose",
	};
	char saved[8][32];
	bool pmd;
	__u64 *m;
	int bufd, i, err = 0;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	if (!pmd)
		SKIP(return, "this kernel maps no PMD for buffers: nothing to fall back from");
	if (access(FAIL_DIR "probability", W_OK))
		SKIP(return, FAIL_DIR " missing (no CONFIG_FAIL_PAGE_ALLOC)");
	for (i = 0; i < 8; i++) {
		char path[128], *buf = NULL;

		snprintf(path, sizeof(path), FAIL_DIR "%s", attrs[i]);
		ASSERT_EQ(0, mt_read_file(path, &buf, NULL));
		snprintf(saved[i], sizeof(saved[i]), "%s", buf);
		free(buf);
	}
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, HUGE_LEN, 0);
	WARM_UP();
	/* Fail every order >= 9 allocation of this task only. */
	err |= fail_write("task-filter", "Y");
	err |= fail_write("ignore-gfp-highmem", "N");
	err |= fail_write("ignore-gfp-wait", "N");
	err |= fail_write("min-order", "9");
	err |= fail_write("interval", "1");
	err |= fail_write("times", "-1");
	err |= fail_write("verbose", "0");
	err |= fail_write("probability", "100");
	err |= mt_write_file("/proc/self/make-it-fail", "1");
	EXPECT_EQ(0, err);
	EXPECT_EQ(1, WRITE_PASS(m, 1, 0, 1));
	mt_write_file("/proc/self/make-it-fail", "0");
	for (i = 7; i >= 0; i--)
		fail_write(attrs[i], saved[i]);
	EXPECT_EQ(1ULL, mtmap_populated(bufd)) TH_LOG("no 4 KiB fallback");
	/* Chunk 0 stays 4 KiB (its PMD now holds a page table)... */
	EXPECT_EQ((long)HPAGES - 1, WRITE_PASS(m + self->wpp, HPAGES - 1, self->wpp, 2));
	/* ...chunk 1, allocated without injection, is one PMD. */
	EXPECT_EQ(1L, WRITE_PASS(m + HPAGES * self->wpp, HPAGES, self->wpp, 3));
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	EXPECT_EQ(1ULL, m[0]);
	munmap(m, HUGE_LEN);
	close(bufd);
}

/* Dirty tracking on a PMD: read maps read-only, a write records the chunk. */
TEST_F_TIMEOUT(ft, huge_dirty, 60)
{
	__u64 *m, bm[2 * HPAGES / 64], n, sum;
	struct ptdump d;
	bool pmd;
	int bufd;
	size_t i;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB,
		      MTMAP_CREATE_HUGE | MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, HUGE_LEN, 0);
	WARM_UP();
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, READ_PASS(m, HPAGES, self->wpp, &sum));
	if (have_ptdump()) {
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, m, pmd ? PT_PMD : PT_PTE, 0);
		ptdump_free(&d);
	}
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, 2 * HPAGES / 64, &n));
	EXPECT_EQ(0ULL, n);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, READ_PASS(m, HPAGES, self->wpp, &sum));
	/* One write: a PMD's chunk is recorded whole, a PTE's page alone. */
	EXPECT_EQ(1L, WRITE_PASS(m + 10 * self->wpp, 1, 0, 1));
	EXPECT_EQ(pmd ? 0L : (long)HPAGES - 1, WRITE_PASS(m, HPAGES, self->wpp, 1))
		TH_LOG("after the first write");
	if (have_ptdump()) {
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, m, pmd ? PT_PMD : PT_PTE, 1);
		ptdump_free(&d);
	}
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, 2 * HPAGES / 64, &n));
	EXPECT_EQ(HPAGES, n);
	for (i = 0; i < HPAGES / 64; i++)
		EXPECT_EQ(~0ULL, bm[i]);
	for (i = HPAGES / 64; i < 2 * HPAGES / 64; i++)
		EXPECT_EQ(0ULL, bm[i]);
	/* Write-only on the untouched chunk 1: one fault with a PMD. */
	EXPECT_EQ(1L, WRITE_PASS(m + (HPAGES + 3) * self->wpp, 1, 0, 1));
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, 2 * HPAGES / 64, &n));
	EXPECT_EQ(pmd ? HPAGES : 1ULL, n);
	EXPECT_TRUE(dirty_bit(bm, HPAGES + 3));
	EXPECT_EQ(pmd ? 2 * HPAGES : HPAGES + 1, mtmap_populated(bufd));
	munmap(m, HUGE_LEN);
	close(bufd);
}

/* munmap of one page inside a PMD: the rest stays mapped, data intact. */
TEST_F_TIMEOUT(ft, huge_partial_munmap, 60)
{
	struct ptdump d;
	bool pmd;
	__u64 *m;
	char *c;
	int bufd;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, HUGE_LEN, 0);
	c = (char *)m;
	mtmap_fill(m, 0, 2 * HPAGES, 21);
	ASSERT_EQ(0, munmap(c + 100 * self->psz, self->psz));
	EXPECT_TRUE(load_segv((__u64 *)(c + 100 * self->psz)));
	EXPECT_EQ(-1, mtmap_check(m, 0, 100, 21));
	EXPECT_EQ(-1, mtmap_check(c + 101 * self->psz, 101, 2 * HPAGES - 101, 21));
	if (pmd && have_ptdump()) {
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, c, PT_PTE, 1);		/* split */
		EXPECT_MAPPED_AT(&d, c + SZ_2M, PT_PMD, 1);	/* untouched */
		ptdump_free(&d);
	}
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	munmap(c, 100 * self->psz);
	munmap(c + 101 * self->psz, HUGE_LEN - 101 * self->psz);
	/* The page is still there for a new mapping. */
	m = MAP(bufd, HUGE_LEN, 0);
	EXPECT_EQ(-1, mtmap_check(m, 0, 2 * HPAGES, 21));
	munmap(m, HUGE_LEN);
	close(bufd);
}

/* mremap of a PMD mapping, to an aligned and to an unaligned address. */
TEST_F_TIMEOUT(ft, huge_mremap, 60)
{
	unsigned long dst;
	void *m, *r;
	int bufd;

	THP_MODE("always");
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, HUGE_LEN, 0);
	mtmap_fill(m, 0, 2 * HPAGES, 31);
	r = mremap(m, HUGE_LEN, 2 * HUGE_LEN, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	dst = reserve_aligned(HUGE_LEN + SZ_2M);
	ASSERT_NE(0UL, dst);
	r = mremap(m, HUGE_LEN, HUGE_LEN, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)dst);
	ASSERT_EQ((void *)dst, r) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(-1, mtmap_check(r, 0, 2 * HPAGES, 31));
	m = r;
	dst = reserve_aligned(HUGE_LEN + SZ_2M);
	ASSERT_NE(0UL, dst);
	r = mremap(m, HUGE_LEN, HUGE_LEN, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)(dst + self->psz));
	ASSERT_EQ((void *)(dst + self->psz), r) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(-1, mtmap_check(r, 0, 2 * HPAGES, 31));
	mtmap_fill(r, 0, 2 * HPAGES, 32);
	EXPECT_EQ(-1, mtmap_check(r, 0, 2 * HPAGES, 32));
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	munmap(r, HUGE_LEN);
	close(bufd);
}

TEST_F_TIMEOUT(ft, huge_mprotect, 60)
{
	__u64 *m;
	int bufd;

	THP_MODE("always");
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, HUGE_LEN, 0);
	mtmap_fill(m, 0, 2 * HPAGES, 41);
	ASSERT_EQ(0, mprotect(m, HUGE_LEN, PROT_READ));
	EXPECT_TRUE(store_segv(m + 5, 1));
	EXPECT_TRUE(store_segv(m + (HPAGES + 5) * self->wpp, 1));
	EXPECT_EQ(-1, mtmap_check(m, 0, 2 * HPAGES, 41));
	ASSERT_EQ(0, mprotect(m, HUGE_LEN, PROT_READ | PROT_WRITE));
	WARM_UP();
	EXPECT_GE(2L, WRITE_PASS(m, 2 * HPAGES, self->wpp, 1))
		TH_LOG("at most one fault per chunk");
	mtmap_fill(m, 0, 2 * HPAGES, 42);
	EXPECT_EQ(-1, mtmap_check(m, 0, 2 * HPAGES, 42));
	munmap(m, HUGE_LEN);
	close(bufd);
}

TEST_F_TIMEOUT(ft, huge_fork, 60)
{
	int bufd, status, p2c[2], c2p[2];
	char tok;
	void *m;
	pid_t pid;

	THP_MODE("always");
	bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, HUGE_LEN, 0);
	mtmap_fill(m, 0, 2 * HPAGES, 51);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (mtmap_check(m, 0, 2 * HPAGES, 51) != -1)
			_exit(1);
		mtmap_fill(m, 0, HPAGES, 52);
		if (write(c2p[1], "x", 1) != 1 || read(p2c[0], &tok, 1) != 1)
			_exit(2);
		if (mtmap_check((char *)m + SZ_2M, HPAGES, HPAGES, 53) != -1)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(1, read(c2p[0], &tok, 1));
	EXPECT_EQ(-1, mtmap_check(m, 0, HPAGES, 52));
	mtmap_fill((char *)m + SZ_2M, HPAGES, HPAGES, 53);
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd));
	munmap(m, HUGE_LEN);
	close(bufd);
}

TEST_HARNESS_MAIN
