// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test: the fault path of buffer mappings (Documentation/mapping.rst),
 * first write and prefault. The other rules of that document are tested by
 * dirty_test, huge_test, vma_test and conc_test.
 *
 *  - first write: one fault, PTE writable; read then write: one fault;
 *    second write: none; for WB, WC and UC- buffers (the dump has no
 *    dirty bit, and x86 sets it in hardware: that mtmap writes the PTE
 *    dirty only shows where the MMU does not, arm64 without DBM);
 *  - MTMAP_CREATE_PREFAULT: one fault maps N pages (ceil(pages/N) faults
 *    for a sequential pass), capped by the VMA and the buffer.
 *
 * Shared fixture and macros: fault_harness.h. Fault counts are getrusage()
 * ru_minflt deltas around tight loops, each checked against the module's
 * count of fault-handler calls (which sees a retried fault, getrusage()
 * does not); levels come from the x86 page-table dump, and the tests that
 * need it SKIP where it is missing.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <unistd.h>

#include "fault_harness.h"

FT_FIXTURE();

/* ------------------------------------------------------------------ */
/* First write: one fault, writable (every memory type)              */
/* ------------------------------------------------------------------ */

FIXTURE(mt) {
	int devfd;
	size_t psz, wpp;
	char thp_saved[16];
};

FIXTURE_VARIANT(mt) {
	__u32 memtype;
};

FIXTURE_VARIANT_ADD(mt, wb) { .memtype = MTMAP_MEMTYPE_WB };
FIXTURE_VARIANT_ADD(mt, wc) { .memtype = MTMAP_MEMTYPE_WC };
FIXTURE_VARIANT_ADD(mt, uc_minus) { .memtype = MTMAP_MEMTYPE_UC_MINUS };

FIXTURE_SETUP(mt)
{
	FT_SETUP();
	NEED_MEMTYPE(self->devfd, variant->memtype);
}

FIXTURE_TEARDOWN(mt) { FT_TEARDOWN(); }

#define NP	64

TEST_F(mt, first_write_one_fault)
{
	long first, second;
	__u64 *m;
	int bufd;

	bufd = CREATE(NP * self->psz, variant->memtype, 0, 0);
	m = MAP(bufd, NP * self->psz, 0);
	WARM_UP();
	first = WRITE_PASS(m, NP, self->wpp, 0x100);
	second = WRITE_PASS(m, NP, self->wpp, 0x200);
	/* One fault per page leaves the PTE writable: no second fault. */
	EXPECT_EQ(NP, first);
	EXPECT_EQ(0, second);
	EXPECT_EQ((__u64)NP, mtmap_populated(bufd));
	EXPECT_EQ(0x200ULL + 5, m[5 * self->wpp]);
	/* The rest of each page was zeroed. */
	EXPECT_EQ(-1, mtmap_first_nonzero((char *)m + 8, self->psz - 8));
	munmap(m, NP * self->psz);
	close(bufd);
}

TEST_F(mt, read_then_write_one_fault)
{
	long reads, writes, again;
	__u64 *m, sum = ~0ULL;
	int bufd;

	bufd = CREATE(NP * self->psz, variant->memtype, 0, 0);
	m = MAP(bufd, NP * self->psz, 0);
	WARM_UP();
	reads = READ_PASS(m, NP, self->wpp, &sum);
	writes = WRITE_PASS(m, NP, self->wpp, 0x300);
	again = WRITE_PASS(m, NP, self->wpp, 0x400);
	/* A read fault on a shared writable mapping already maps it writable. */
	EXPECT_EQ(NP, reads);
	EXPECT_EQ(0, writes);
	EXPECT_EQ(0, again);
	EXPECT_EQ(0ULL, sum);
	EXPECT_EQ((__u64)NP, mtmap_populated(bufd));
	/* The writes into pages a read fault mapped landed. */
	EXPECT_EQ(0x400ULL + 9, m[9 * self->wpp]);
	munmap(m, NP * self->psz);
	close(bufd);
}

/* The level and permission of what the faults mapped. */
TEST_F(mt, first_write_ptdump)
{
	struct ptdump d;
	__u64 *m, sum;
	int bufd, eff;
	unsigned long a;

	NEED_PTDUMP();
	bufd = CREATE(NP * self->psz, variant->memtype, 0, 0);
	m = MAP(bufd, NP * self->psz, 0);
	a = (unsigned long)m;
	write_pass(m, NP / 2, self->wpp, 1);			/* write faults */
	read_pass(m + NP / 2 * self->wpp, NP / 2, self->wpp, &sum); /* read faults */
	PTDUMP_LOAD(&d);
	eff = mt_effective(variant->memtype);
	EXPECT_MAPPED_AT(&d, a, PT_PTE, 1);
	EXPECT_MAPPED_AT(&d, a + (NP / 2 - 1) * self->psz, PT_PTE, 1);
	/* A read fault maps writable too: no dirty tracking. */
	EXPECT_MAPPED_AT(&d, a + NP / 2 * self->psz, PT_PTE, 1);
	EXPECT_MAPPED_AT(&d, a + (NP - 1) * self->psz, PT_PTE, 1);
	EXPECT_EQ(eff, ptdump_type_at(&d, a))
		TH_LOG("cache type %s", pt_cache_name(ptdump_type_at(&d, a)));
	EXPECT_EQ(eff, ptdump_type_at(&d, a + (NP - 1) * self->psz));
	ptdump_free(&d);
	munmap(m, NP * self->psz);
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* Prefault                                                           */
/* ------------------------------------------------------------------ */

FIXTURE(pf) {
	int devfd;
	size_t psz, wpp;
	char thp_saved[16];
};

FIXTURE_VARIANT(pf) {
	__u32 memtype;
	__u32 prefault;		/* as passed */
	__u32 n;		/* pages one fault maps */
};

FIXTURE_VARIANT_ADD(pf, default_wb) { MTMAP_MEMTYPE_WB, 0, MTMAP_PREFAULT_DEFAULT };
FIXTURE_VARIANT_ADD(pf, n1_wb) { MTMAP_MEMTYPE_WB, 1, 1 };
FIXTURE_VARIANT_ADD(pf, n4_wb) { MTMAP_MEMTYPE_WB, 4, 4 };
FIXTURE_VARIANT_ADD(pf, n16_wb) { MTMAP_MEMTYPE_WB, 16, 16 };
FIXTURE_VARIANT_ADD(pf, n100_wb) { MTMAP_MEMTYPE_WB, 100, 100 };
FIXTURE_VARIANT_ADD(pf, max_wb) { MTMAP_MEMTYPE_WB, MTMAP_PREFAULT_MAX, MTMAP_PREFAULT_MAX };
FIXTURE_VARIANT_ADD(pf, n16_wc) { MTMAP_MEMTYPE_WC, 16, 16 };
FIXTURE_VARIANT_ADD(pf, n16_uc_minus) { MTMAP_MEMTYPE_UC_MINUS, 16, 16 };

FIXTURE_SETUP(pf)
{
	FT_SETUP();
	NEED_MEMTYPE(self->devfd, variant->memtype);
}

FIXTURE_TEARDOWN(pf) { FT_TEARDOWN(); }

#define PF_PAGES	1024UL	/* 4 MiB: two max-size prefaults */

TEST_F(pf, sequential_write)
{
	const size_t n = variant->n;
	long first, second;
	__u64 *m, sum;
	int bufd;

	bufd = CREATE(PF_PAGES * self->psz, variant->memtype,
		      MTMAP_CREATE_PREFAULT, variant->prefault);
	m = MAP(bufd, PF_PAGES * self->psz, 0);
	WARM_UP();
	first = WRITE_PASS(m, PF_PAGES, self->wpp, 0x10);
	second = WRITE_PASS(m, PF_PAGES, self->wpp, 0x20);
	EXPECT_EQ((long)((PF_PAGES + n - 1) / n), first);
	EXPECT_EQ(0, second);
	EXPECT_EQ((__u64)PF_PAGES, mtmap_populated(bufd));
	EXPECT_EQ(0ULL, m[3 * self->wpp + 1]);
	EXPECT_EQ(0x20ULL + 77, m[77 * self->wpp]);
	/* Reads of prefaulted pages do not fault either. */
	EXPECT_EQ(0, READ_PASS(m + 1, PF_PAGES, self->wpp, &sum));
	EXPECT_EQ(0ULL, sum);
	munmap(m, PF_PAGES * self->psz);
	close(bufd);
}

/* A fault maps the faulting page and the N - 1 after it, no more. */
TEST_F(pf, window_starts_at_fault)
{
	const size_t n = variant->n, start = 5;
	size_t end = start + n < PF_PAGES ? start + n : PF_PAGES;
	__u64 *m, sum;
	long f;
	int bufd;

	bufd = CREATE(PF_PAGES * self->psz, variant->memtype,
		      MTMAP_CREATE_PREFAULT, variant->prefault);
	m = MAP(bufd, PF_PAGES * self->psz, 0);
	WARM_UP();
	f = READ_PASS(m + start * self->wpp, 1, 0, &sum);
	EXPECT_EQ(1, f);
	EXPECT_EQ((__u64)(end - start), mtmap_populated(bufd));
	/* Inside the window: mapped, writable. */
	EXPECT_EQ(0, WRITE_PASS(m + start * self->wpp, end - start, self->wpp, 1));
	/* The pages before it were not mapped: windows from page 0 again. */
	EXPECT_EQ((long)((start + n - 1) / n), WRITE_PASS(m, start, self->wpp, 2));
	if (end < PF_PAGES)	/* the page after the window faults */
		EXPECT_EQ(1, WRITE_PASS(m + end * self->wpp, 1, 0, 3));
	munmap(m, PF_PAGES * self->psz);
	close(bufd);
}

/* Capped by the end of the VMA and of the buffer. */
TEST_F(pf, capped_by_vma_and_buffer)
{
	const size_t n = variant->n;
	size_t vma_pages = 3, expect;
	__u64 *m, sum;
	int bufd;

	if (n < 4)
		SKIP(return, "prefault %zu: nothing to cap", n);
	/* A VMA shorter than the window: only its pages are allocated. */
	bufd = CREATE(PF_PAGES * self->psz, variant->memtype,
		      MTMAP_CREATE_PREFAULT, variant->prefault);
	m = MAP(bufd, vma_pages * self->psz, 0);
	WARM_UP();
	EXPECT_EQ(1, READ_PASS(m, 1, 0, &sum));
	EXPECT_EQ((__u64)vma_pages, mtmap_populated(bufd));
	EXPECT_EQ(0, WRITE_PASS(m, vma_pages, self->wpp, 1));
	munmap(m, vma_pages * self->psz);
	close(bufd);

	/* A window running past the end of the buffer stops there. */
	bufd = CREATE(PF_PAGES * self->psz, variant->memtype,
		      MTMAP_CREATE_PREFAULT, variant->prefault);
	m = MAP(bufd, 8 * self->psz, (PF_PAGES - 8) * self->psz);
	expect = n < 8 - 2 ? n : 8 - 2;
	EXPECT_EQ(1, WRITE_PASS(m + 2 * self->wpp, 1, 0, 5));
	EXPECT_EQ((__u64)expect, mtmap_populated(bufd));
	EXPECT_EQ(0, WRITE_PASS(m + 2 * self->wpp, expect, self->wpp, 6));
	munmap(m, 8 * self->psz);
	close(bufd);
}

TEST_F(ft, prefault_create_limits)
{
	int fd;

	fd = mtmap_create(self->devfd, 16 * self->psz, 0, MTMAP_CREATE_PREFAULT,
			  MTMAP_PREFAULT_MAX + 1);
	EXPECT_EQ(-EINVAL, fd);
	fd = mtmap_create(self->devfd, 16 * self->psz, 0, 0, 8);
	EXPECT_EQ(-EINVAL, fd) TH_LOG("prefault count without the flag");
	fd = mtmap_create(self->devfd, 16 * self->psz, 0, MTMAP_CREATE_PREFAULT,
			  MTMAP_PREFAULT_MAX);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(16, MTMAP_PREFAULT_DEFAULT);
	EXPECT_EQ(512, MTMAP_PREFAULT_MAX);
}

TEST_HARNESS_MAIN
