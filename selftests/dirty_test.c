// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_test: MTMAP_CREATE_DIRTY_TRACK and MTMAP_IOC_GET_DIRTY
 * (Documentation/mapping.rst): read faults map read-only, the first write
 * faults once more, reports are exact across re-arms and with concurrent
 * writers, with prefault and through ->access.
 *
 * Shared fixture and macros: fault_harness.h. Fault counts are getrusage()
 * ru_minflt deltas around tight loops, each checked against the module's
 * count of fault-handler calls (which sees a retried fault, getrusage()
 * does not); levels come from the x86 page-table dump, and the tests that
 * need it SKIP where it is missing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "fault_harness.h"

FT_FIXTURE();

/* ------------------------------------------------------------------ */
/* Dirty tracking                                                     */
/* ------------------------------------------------------------------ */

#define DP	256UL	/* pages of the dirty-tracking buffers */
#define DW	(DP / 64)

TEST_F(ft, dirty_read_maps_readonly)
{
	long reads, writes, again;
	__u64 *m, sum, bm[DW], n;
	int bufd;
	size_t i;

	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, DP * self->psz, 0);
	WARM_UP();
	reads = READ_PASS(m, DP, self->wpp, &sum);
	/* Reading records nothing. */
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(0ULL, n);
	reads += READ_PASS(m, DP, self->wpp, &sum);	/* the report zapped */
	writes = WRITE_PASS(m, DP, self->wpp, 7);
	again = WRITE_PASS(m, DP, self->wpp, 8);
	EXPECT_EQ((long)(2 * DP), reads);
	EXPECT_EQ((long)DP, writes) TH_LOG("first write to a clean page faults once more");
	EXPECT_EQ(0, again);
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(DP, n);
	for (i = 0; i < DW; i++)
		EXPECT_EQ(~0ULL, bm[i]);
	EXPECT_EQ(8ULL + 9, m[9 * self->wpp]);
	munmap(m, DP * self->psz);
	close(bufd);
}

TEST_F(ft, dirty_ptdump)
{
	struct ptdump d;
	__u64 *m, sum, bm[DW];
	unsigned long a;
	int bufd;

	NEED_PTDUMP();
	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, DP * self->psz, 0);
	a = (unsigned long)m;
	read_pass(m, 2, self->wpp, &sum);
	m[2 * self->wpp] = 1;			/* write fault on a fresh page */
	(void)m[3 * self->wpp];
	m[3 * self->wpp] = 1;			/* read, then pfn_mkwrite */
	PTDUMP_LOAD(&d);
	EXPECT_MAPPED_AT(&d, a, PT_PTE, 0);
	EXPECT_MAPPED_AT(&d, a + self->psz, PT_PTE, 0);
	EXPECT_MAPPED_AT(&d, a + 2 * self->psz, PT_PTE, 1);
	EXPECT_MAPPED_AT(&d, a + 3 * self->psz, PT_PTE, 1);
	ptdump_free(&d);
	/* GET_DIRTY zaps every PTE of the buffer. */
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, NULL));
	EXPECT_EQ(0xcULL, bm[0]);
	PTDUMP_LOAD(&d);
	EXPECT_NOT_PRESENT(&d, a);
	EXPECT_NOT_PRESENT(&d, a + 2 * self->psz);
	EXPECT_NOT_PRESENT(&d, a + 3 * self->psz);
	ptdump_free(&d);
	munmap(m, DP * self->psz);
	close(bufd);
}

TEST_F(ft, dirty_bitmap_exact)
{
	static const size_t pages[] = { 0, 1, 63, 64, 65, 127, 128, 200, 255 };
	__u64 *m, *m2, bm[DW + 2], n, sum;
	size_t i, k;
	int bufd;

	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, DP * self->psz, 0);
	m2 = MAP(bufd, 64 * self->psz, 128 * self->psz);	/* a second view */
	WARM_UP();
	READ_PASS(m, DP, self->wpp, &sum);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		if (pages[i] >= 128 && pages[i] < 192)
			m2[(pages[i] - 128) * self->wpp + 3] = i;	/* through m2 */
		else
			m[pages[i] * self->wpp + 3] = i;
	}
	/* A bitmap larger than needed: only the needed words are written. */
	memset(bm, 0xa5, sizeof(bm));
	{
		struct mtmap_get_dirty g = { .bitmap = (uintptr_t)bm,
					     .bitmap_size = sizeof(bm) };

		ASSERT_EQ(0, mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g));
		n = g.dirty;
	}
	EXPECT_EQ(ARRAY_SIZE(pages), n);
	for (i = 0, k = 0; i < DP; i++) {
		bool want = k < ARRAY_SIZE(pages) && pages[k] == i;

		EXPECT_EQ(want, dirty_bit(bm, i)) TH_LOG("page %zu", i);
		k += want;
	}
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, bm[DW]) TH_LOG("wrote past the bitmap");
	/* Re-armed: nothing new, and every page faults again, read or write. */
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(0ULL, n);
	for (i = 0; i < DW; i++)
		EXPECT_EQ(0ULL, bm[i]);
	EXPECT_EQ((long)DP, READ_PASS(m, DP, self->wpp, &sum));
	EXPECT_EQ(1, WRITE_PASS(m + 17 * self->wpp, 1, 0, 1));
	EXPECT_EQ(1, WRITE_PASS(m2 + 17 * self->wpp, 1, 0, 1));
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(2ULL, n);
	EXPECT_TRUE(dirty_bit(bm, 17));
	EXPECT_TRUE(dirty_bit(bm, 128 + 17));
	munmap(m2, 64 * self->psz);
	munmap(m, DP * self->psz);
	close(bufd);
}

TEST_F(ft, dirty_errors)
{
	__u64 bm[DW];
	struct mtmap_get_dirty g;
	int bufd, plain;

	plain = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	EXPECT_EQ(-EINVAL, mtmap_get_dirty(plain, bm, DW, NULL)) TH_LOG("buffer not tracking");
	close(plain);
	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	EXPECT_EQ(-EINVAL, mtmap_get_dirty(bufd, bm, DW - 1, NULL)) TH_LOG("bitmap too small");
	memset(&g, 0, sizeof(g));
	g.bitmap = (uintptr_t)bm;
	g.bitmap_size = sizeof(bm);
	g.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g));
	g.reserved[1] = 0;
	g.bitmap = 8;
	EXPECT_EQ(-EFAULT, mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g));
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(self->devfd, MTMAP_IOC_GET_DIRTY, &g));
	close(bufd);
}

/* Random subsets, many re-arms, a single writer: reports are exact. */
TEST_F_TIMEOUT(ft, dirty_many_rearms, 120)
{
	const int rounds = 300;
	__u64 *m, bm[DW], want[DW], n;
	unsigned int seed = 1;
	size_t i, nw;
	int bufd, r, bad = 0;

	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB,
		      MTMAP_CREATE_DIRTY_TRACK | MTMAP_CREATE_PREFAULT, 8);
	m = MAP(bufd, DP * self->psz, 0);
	for (r = 0; r < rounds && !bad; r++) {
		memset(want, 0, sizeof(want));
		nw = rand_r(&seed) % 40;
		for (i = 0; i < nw; i++) {
			size_t p = rand_r(&seed) % DP;

			/* Reads mixed in: they must never count. */
			if (rand_r(&seed) & 1)
				(void)((volatile __u64 *)m)[((p + 1) % DP) * self->wpp];
			m[p * self->wpp + (r % self->wpp)] = r;
			want[p / 64] |= 1ULL << (p % 64);
		}
		ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
		for (i = 0; i < DW; i++) {
			if (bm[i] != want[i]) {
				EXPECT_EQ(want[i], bm[i]) TH_LOG("round %d word %zu", r, i);
				bad = 1;
			}
		}
		nw = 0;
		for (i = 0; i < DW; i++)
			nw += __builtin_popcountll(want[i]);
		EXPECT_EQ(nw, n) TH_LOG("round %d", r);
	}
	munmap(m, DP * self->psz);
	close(bufd);
}

/*
 * Concurrent writers and reports. Writer: r0 = reports completed; store;
 * r1 = reports started; log (page, r0, r1). The store is covered by the
 * first report that starts after it, and no report completed before it
 * started can contain it: it must be in one of reports r0+1 .. r1+1.
 * Conversely every reported bit needs such a write (no phantom pages).
 */
#define DC_WRITERS	3
#define DC_WRITES	30000	/* log capacity per writer */
#define DC_PAGES	64
#define DC_REPORTS	300
#define DC_MAX_REPORTS	(DC_REPORTS + 1)

struct dc_log { unsigned short page; unsigned int r0, r1; };

struct dc_shared {
	__u64 *m;
	size_t wpp;
	unsigned int started, completed;	/* reports */
	int stop;
	pthread_barrier_t barrier;
};

struct dc_writer {
	struct dc_shared *s;
	struct dc_log log[DC_WRITES];
	__u64 last[DC_PAGES];
	unsigned int id;
	int n;			/* writes logged */
	unsigned int end_report;	/* reports started when it stopped */
};

static void *dc_writer_fn(void *arg)
{
	struct dc_writer *w = arg;
	struct dc_shared *s = w->s;
	unsigned int seed = 77 + w->id;
	int i;

	pthread_barrier_wait(&s->barrier);
	for (i = 0; i < DC_WRITES && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); i++) {
		unsigned int p = rand_r(&seed) % DC_PAGES;
		__u64 v = ((__u64)w->id << 32) | (unsigned int)i;

		w->log[i].page = p;
		w->log[i].r0 = __atomic_load_n(&s->completed, __ATOMIC_SEQ_CST);
		((volatile __u64 *)s->m)[p * s->wpp + w->id] = v;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		w->log[i].r1 = __atomic_load_n(&s->started, __ATOMIC_SEQ_CST);
		w->last[p] = v;
		if (!(i & 7))
			usleep(20);	/* leave the reporter some CPU */
	}
	w->n = i;
	w->end_report = __atomic_load_n(&s->started, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST_F_TIMEOUT(ft, dirty_concurrent_writers, 240)
{
	static struct dc_writer w[DC_WRITERS];
	static __u64 reports[DC_MAX_REPORTS + 2];	/* [k] = report k */
	static __u64 allowed[DC_MAX_REPORTS + 2];
	struct dc_shared s;
	pthread_t tid[DC_WRITERS];
	unsigned int k, nrep, missed = 0, phantom = 0, nwrites = 0;
	__u64 n;
	int bufd, i, j;

	bufd = CREATE(DC_PAGES * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	memset(&s, 0, sizeof(s));
	s.m = MAP(bufd, DC_PAGES * self->psz, 0);
	s.wpp = self->wpp;
	ASSERT_EQ(0, pthread_barrier_init(&s.barrier, NULL, DC_WRITERS + 1));
	for (i = 0; i < DC_WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = &s;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, dc_writer_fn, &w[i]));
	}
	pthread_barrier_wait(&s.barrier);
	/* DC_REPORTS reports while the writers write, then stop them. */
	for (i = 0; i < DC_REPORTS; i++) {
		k = __atomic_add_fetch(&s.started, 1, __ATOMIC_SEQ_CST);
		ASSERT_EQ(0, mtmap_get_dirty(bufd, &reports[k], 1, &n));
		EXPECT_EQ((__u64)__builtin_popcountll(reports[k]), n);
		__atomic_add_fetch(&s.completed, 1, __ATOMIC_SEQ_CST);
		usleep(100 + (i % 7) * 150);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < DC_WRITERS; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
	/* A final report covers whatever the last one did not. */
	k = __atomic_add_fetch(&s.started, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, mtmap_get_dirty(bufd, &reports[k], 1, &n));
	s.completed++;
	nrep = k;
	for (i = 0; i < DC_WRITERS; i++) {
		nwrites += w[i].n;
		TH_LOG("writer %d: %d writes, during reports 1..%u", i, w[i].n, w[i].end_report);
	}
	TH_LOG("%u reports for %u writes", nrep, nwrites);
	EXPECT_LT(DC_REPORTS, nwrites) TH_LOG("too few writes to race with");

	/* No missed write. */
	for (i = 0; i < DC_WRITERS; i++) {
		for (j = 0; j < w[i].n; j++) {
			const struct dc_log *l = &w[i].log[j];
			bool found = false;

			for (k = l->r0 + 1; k <= l->r1 + 1 && k <= nrep; k++) {
				if (reports[k] >> l->page & 1) {
					found = true;
					break;
				}
			}
			if (!found && missed++ < 5)
				TH_LOG("write %d of writer %d to page %u missed (reports %u..%u)",
				       j, i, l->page, l->r0 + 1, l->r1 + 1);
			/* The reports this write may explain a bit of. */
			for (k = l->r0 + 1; k <= l->r1 + 1 && k <= nrep; k++)
				allowed[k] |= 1ULL << l->page;
		}
	}
	EXPECT_EQ(0U, missed);
	/* No phantom page: each bit of report k has a write it may cover. */
	for (k = 1; k <= nrep; k++) {
		__u64 bits = reports[k] & ~allowed[k];

		if (bits && phantom++ < 5)
			TH_LOG("report %u: pages %#llx with no write", k,
			       (unsigned long long)bits);
	}
	EXPECT_EQ(0U, phantom);
	/* Data: each writer's word holds its last value. */
	for (i = 0; i < DC_WRITERS; i++)
		for (j = 0; j < DC_PAGES; j++)
			EXPECT_EQ(w[i].last[j], s.m[j * self->wpp + i])
				TH_LOG("writer %d page %d", i, j);
	EXPECT_EQ((__u64)DC_PAGES, mtmap_populated(bufd));
	munmap(s.m, DC_PAGES * self->psz);
	close(bufd);
}

/* With prefault, neighbours are mapped read-only: their writes still count. */
TEST_F(ft, dirty_with_prefault)
{
	__u64 *m, bm[DW], n, sum;
	long f;
	int bufd;

	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB,
		      MTMAP_CREATE_DIRTY_TRACK | MTMAP_CREATE_PREFAULT, 16);
	m = MAP(bufd, DP * self->psz, 0);
	WARM_UP();
	f = WRITE_PASS(m, 16, self->wpp, 1);
	/* 1 fault maps 16 pages (only the faulting one writable), then 15 mkwrite. */
	EXPECT_EQ(16, f);
	EXPECT_EQ(16ULL, mtmap_populated(bufd));
	f = READ_PASS(m + 16 * self->wpp, 16, self->wpp, &sum);
	EXPECT_EQ(1, f);
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(16ULL, n);
	EXPECT_EQ(0xffffULL, bm[0]);
	munmap(m, DP * self->psz);
	close(bufd);
}

/* Writes through /proc/self/mem (->access) are recorded too. */
TEST_F(ft, dirty_access_write)
{
	__u64 *m, bm[DW], v = 0x1234, n;
	int bufd, memfd;

	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, DP * self->psz, 0);
	memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ((ssize_t)sizeof(v), pwrite(memfd, &v, sizeof(v),
					     (off_t)(uintptr_t)(m + 70 * self->wpp)));
	close(memfd);
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(1ULL, n);
	EXPECT_TRUE(dirty_bit(bm, 70));
	EXPECT_EQ(v, m[70 * self->wpp]);
	munmap(m, DP * self->psz);
	close(bufd);
}

TEST_HARNESS_MAIN
