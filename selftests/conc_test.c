// SPDX-License-Identifier: GPL-2.0
/*
 * conc_test: threads faulting the same and neighbouring pages of buffer
 * mappings (Documentation/mapping.rst), 4 KiB (plain, prefault, dirty
 * tracking) and 2 MiB, and 4 KiB faults racing huge ones.
 *
 * Shared fixture and macros: fault_harness.h. Fault counts are getrusage()
 * ru_minflt deltas around tight loops; levels come from the x86 page-table
 * dump, and the tests that need it SKIP where it is missing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "fault_harness.h"

FT_FIXTURE();

/* ------------------------------------------------------------------ */
/* Concurrency                                                        */
/* ------------------------------------------------------------------ */

#define NT	8

struct toucher {
	pthread_barrier_t *barrier;
	volatile __u64 *base;
	size_t wpp, npages, start;
	unsigned int id;
	bool read_first;
};

/* Each thread owns word id of every page; starts staggered, wraps around. */
static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;
	size_t k, page;
	__u64 sink = 0;

	pthread_barrier_wait(t->barrier);
	for (k = 0; k < t->npages; k++) {
		page = (t->id & 1) ? (t->start + t->npages - k) % t->npages
				   : (t->start + k) % t->npages;
		if (t->read_first)
			sink += t->base[page * t->wpp + t->id];
		t->base[page * t->wpp + t->id] = mtmap_pattern(page, t->id, 131);
	}
	return (void *)(uintptr_t)sink;
}

static void run_touchers(struct __test_metadata *_metadata, volatile __u64 *base,
			 size_t wpp, size_t npages, size_t stagger)
{
	struct toucher t[NT];
	pthread_t tid[NT];
	pthread_barrier_t barrier;
	int i;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NT));
	for (i = 0; i < NT; i++) {
		t[i] = (struct toucher){ &barrier, base, wpp, npages,
					 (i / 2) * stagger, (unsigned int)i, i % 3 == 0 };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, toucher_fn, &t[i]));
	}
	for (i = 0; i < NT; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
	pthread_barrier_destroy(&barrier);
}

static long check_touched(const __u64 *m, size_t wpp, size_t npages)
{
	size_t page, w;

	for (page = 0; page < npages; page++)
		for (w = 0; w < wpp; w++) {
			__u64 want = w < NT ? mtmap_pattern(page, w, 131) : 0;

			if (m[page * wpp + w] != want)
				return (long)(page * wpp + w);
		}
	return -1;
}

FIXTURE(conc) {
	int devfd;
	size_t psz, wpp;
	char thp_saved[16];
};

FIXTURE_VARIANT(conc) {
	__u32 flags, prefault;
};

FIXTURE_VARIANT_ADD(conc, plain) { 0, 0 };
FIXTURE_VARIANT_ADD(conc, prefault16) { MTMAP_CREATE_PREFAULT, 16 };
FIXTURE_VARIANT_ADD(conc, prefault3) { MTMAP_CREATE_PREFAULT, 3 };
FIXTURE_VARIANT_ADD(conc, dirty_prefault8) { MTMAP_CREATE_PREFAULT | MTMAP_CREATE_DIRTY_TRACK, 8 };

FIXTURE_SETUP(conc) { FT_SETUP(); }
FIXTURE_TEARDOWN(conc) { FT_TEARDOWN(); }

TEST_F_TIMEOUT(conc, threads_4k, 90)
{
	const size_t n = 256;
	__u64 *m;
	int bufd, round;

	for (round = 0; round < 3; round++) {
		__u32 type = round == 1 ? MEMTYPE_OR_WB(self->devfd, MTMAP_MEMTYPE_WC) :
					  MTMAP_MEMTYPE_WB;

		bufd = CREATE(n * self->psz, type, variant->flags, variant->prefault);
		m = MAP(bufd, n * self->psz, 0);
		/* Neighbours: stagger by 1 page, so windows overlap. */
		run_touchers(_metadata, m, self->wpp, n, round == 2 ? 37 : 1);
		EXPECT_EQ((__u64)n, mtmap_populated(bufd)) TH_LOG("round %d", round);
		EXPECT_EQ(-1, check_touched(m, self->wpp, n)) TH_LOG("round %d", round);
		munmap(m, n * self->psz);
		/* A fresh mapping sees the same pages. */
		m = MAP(bufd, n * self->psz, 0);
		EXPECT_EQ(-1, check_touched(m, self->wpp, n));
		munmap(m, n * self->psz);
		close(bufd);
	}
}

/*
 * Huge: threads fault both chunks at once through the 2 MiB mapping, while
 * others fault through a 1 MiB (4 KiB-only) mapping of the same chunks.
 * Each page is allocated once: exactly 1024 populated, one data view.
 */
TEST_F_TIMEOUT(ft, threads_huge, 120)
{
	struct ptdump d;
	bool pmd;
	__u64 *m, *small;
	int bufd, round;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	for (round = 0; round < 4; round++) {
		bufd = CREATE(HUGE_LEN,
			      round == 3 ? MEMTYPE_OR_WB(self->devfd, MTMAP_MEMTYPE_UC_MINUS) :
			      MTMAP_MEMTYPE_WB,
			      MTMAP_CREATE_HUGE | (round == 2 ? MTMAP_CREATE_DIRTY_TRACK : 0), 0);
		m = MAP(bufd, HUGE_LEN, 0);
		if (round == 1) {
			/* A 4 KiB page first: chunk 1 stays 4 KiB. */
			small = MAP(bufd, SZ_2M / 2, SZ_2M + SZ_2M / 4);
			small[0] = 1;
			small[0] = 0;
			munmap(small, SZ_2M / 2);
		}
		run_touchers(_metadata, m, self->wpp, 2 * HPAGES, round == 0 ? 1 : 97);
		EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd)) TH_LOG("round %d", round);
		EXPECT_EQ(-1, check_touched(m, self->wpp, 2 * HPAGES)) TH_LOG("round %d", round);
		if (pmd && round != 1 && have_ptdump()) {
			PTDUMP_LOAD(&d);
			EXPECT_MAPPED_AT(&d, m, PT_PMD, 1);
			EXPECT_MAPPED_AT(&d, (char *)m + SZ_2M, PT_PMD, 1);
			ptdump_free(&d);
		}
		munmap(m, HUGE_LEN);
		close(bufd);
	}
}

/* Threads racing 4 KiB faults (small view) against huge faults (full view). */
struct mixed_arg {
	pthread_barrier_t *barrier;
	volatile __u64 *p;
	size_t wpp, npages;
	unsigned int id;
};

static void *mixed_fn(void *arg)
{
	struct mixed_arg *a = arg;
	size_t k;

	pthread_barrier_wait(a->barrier);
	for (k = 0; k < a->npages; k++)
		a->p[((k * 7 + a->id * 13) % a->npages) * a->wpp + a->id] = a->id + 1;
	return NULL;
}

TEST_F_TIMEOUT(ft, threads_huge_vs_4k, 120)
{
	struct mixed_arg a[4];
	pthread_t tid[4];
	pthread_barrier_t barrier;
	__u64 *m, *s;
	int bufd, i, round;
	size_t k;

	THP_MODE("always");
	for (round = 0; round < 6; round++) {
		bufd = CREATE(HUGE_LEN, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
		m = MAP(bufd, HUGE_LEN, 0);
		/* The small view covers the second half of chunk 0. */
		s = MAP(bufd, SZ_2M / 2, SZ_2M / 2);
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 4));
		for (i = 0; i < 4; i++) {
			a[i] = (struct mixed_arg){ &barrier, i & 1 ? s : m, self->wpp,
						   i & 1 ? HPAGES / 2 : 2 * HPAGES,
						   (unsigned int)i };
			ASSERT_EQ(0, pthread_create(&tid[i], NULL, mixed_fn, &a[i]));
		}
		for (i = 0; i < 4; i++)
			ASSERT_EQ(0, pthread_join(tid[i], NULL));
		pthread_barrier_destroy(&barrier);
		EXPECT_EQ(2 * HPAGES, mtmap_populated(bufd)) TH_LOG("round %d", round);
		for (k = 0; k < 2 * HPAGES; k++) {
			bool in_small = k >= HPAGES / 2 && k < HPAGES;

			if (m[k * self->wpp] != 1 || m[k * self->wpp + 2] != 3 ||
			    m[k * self->wpp + 1] != (in_small ? 2ULL : 0) ||
			    m[k * self->wpp + 3] != (in_small ? 4ULL : 0)) {
				EXPECT_EQ(0, 1)
					TH_LOG("round %d page %zu: %llx %llx %llx %llx",
					       round, k, (unsigned long long)m[k * self->wpp],
					       (unsigned long long)m[k * self->wpp + 1],
					       (unsigned long long)m[k * self->wpp + 2],
					       (unsigned long long)m[k * self->wpp + 3]);
				break;
			}
		}
		munmap(s, SZ_2M / 2);
		munmap(m, HUGE_LEN);
		close(bufd);
	}
}

TEST_HARNESS_MAIN
