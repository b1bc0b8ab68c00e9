// SPDX-License-Identifier: GPL-2.0
/*
 * mtmap_map_test: mmap of buffer fds, zero on first touch (including pages
 * reused from a pool), populated accounting, data kept across remaps,
 * close and unload attempts, sharing across mappings, processes and
 * threads. Exact page-fault counts are fault_test's (every memory type).
 *
 * Every test SKIPs when the module is not loaded (/dev/mtmap missing).
 */
#define _GNU_SOURCE	/* mremap() */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtmap_fixture.h"
#include "ptdump.h"

/* ------------------------------------------------------------------ */
/* mmap                                                               */
/* ------------------------------------------------------------------ */

TEST_F(mtmap, mmap_private_refused)
{
	void *m;
	int bufd;

	bufd = CREATE_PAGES(2);
	m = mmap(NULL, 2 * self->psz, PROT_READ, MAP_PRIVATE, bufd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE, MAP_PRIVATE, bufd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0ULL, mtmap_populated(bufd));
	close(bufd);
}

TEST_F(mtmap, mmap_out_of_range)
{
	const size_t n = 4, p = self->psz;
	static const struct { size_t off, len; } bad[] = {
		{ 4, 1 },	/* offset at the end */
		{ 5, 1 },	/* offset past the end */
		{ 0, 5 },	/* length past the end */
		{ 3, 2 },	/* straddles the end */
		{ 1, 4 },
	};
	size_t i;
	void *m;
	int bufd;

	bufd = CREATE_PAGES(n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = mmap(NULL, bad[i].len * p, PROT_READ | PROT_WRITE, MAP_SHARED,
			 bufd, (off_t)(bad[i].off * p));
		EXPECT_EQ(MAP_FAILED, m) TH_LOG("off %zu len %zu pages", bad[i].off, bad[i].len);
		EXPECT_EQ(EINVAL, errno) TH_LOG("off %zu len %zu pages", bad[i].off, bad[i].len);
		if (m != MAP_FAILED)
			munmap(m, bad[i].len * p);
	}
	/* The edges themselves are fine. */
	m = MAP_PAGES(bufd, n, 0);
	munmap(m, n * p);
	m = MAP_PAGES(bufd, 1, n - 1);
	munmap(m, p);
	close(bufd);
}

TEST_F(mtmap, mmap_offset_subrange)
{
	__u64 *full, *sub;
	int bufd;

	bufd = CREATE_PAGES(8);
	full = MAP_PAGES(bufd, 8, 0);
	mtmap_fill(full, 0, 8, 1);
	sub = MAP_PAGES(bufd, 3, 2);
	EXPECT_EQ(-1, mtmap_check(sub, 2, 3, 1));
	/* And the other way round. */
	mtmap_fill(sub, 2, 3, 2);
	EXPECT_EQ(-1, mtmap_check(full, 0, 2, 1));
	EXPECT_EQ(-1, mtmap_check((char *)full + 2 * self->psz, 2, 3, 2));
	EXPECT_EQ(-1, mtmap_check((char *)full + 5 * self->psz, 5, 3, 1));
	EXPECT_EQ(8ULL, mtmap_populated(bufd));
	munmap(sub, 3 * self->psz);
	munmap(full, 8 * self->psz);
	close(bufd);
}

TEST_F(mtmap, mremap_grow_shrink)
{
	const size_t p = self->psz;
	unsigned char vec[2];
	void *m, *r;
	int bufd;

	bufd = CREATE_PAGES(4);

	/* VM_DONTEXPAND: growing fails in place and with a move. */
	m = MAP_PAGES(bufd, 2, 0);
	r = mremap(m, 2 * p, 4 * p, 0);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	r = mremap(m, 2 * p, 4 * p, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	munmap(m, 2 * p);

	m = MAP_PAGES(bufd, 4, 0);
	mtmap_fill(m, 0, 4, 3);
	r = mremap(m, 4 * p, 2 * p, 0);
	ASSERT_EQ(m, r) TH_LOG("mremap shrink: %s", strerror(errno));
	EXPECT_EQ(-1, mtmap_check(m, 0, 2, 3));
	/* The tail is gone from the address space. */
	EXPECT_EQ(-1, mincore((char *)m + 2 * p, 2 * p, vec));
	EXPECT_EQ(ENOMEM, errno);
	munmap(m, 2 * p);
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* Allocation on first touch                                          */
/* ------------------------------------------------------------------ */

/*
 * WB pages come zeroed from the page allocator, so a WB buffer cannot
 * show whether mtmap clears anything. WC and UC- pages are reused from a
 * pool (LIFO): the pages a destroyed buffer dirtied are the next buffer's,
 * and only mtmap's clearing stands between the two. The pool counters
 * prove the reuse, so the check cannot pass on fresh pages.
 */
FIXTURE(zero) {
	int devfd;
	size_t psz;
};

FIXTURE_VARIANT(zero) {
	__u32 memtype;
};

FIXTURE_VARIANT_ADD(zero, wc) { .memtype = MTMAP_MEMTYPE_WC };
FIXTURE_VARIANT_ADD(zero, uc_minus) { .memtype = MTMAP_MEMTYPE_UC_MINUS };

FIXTURE_SETUP(zero)
{
	MTMAP_SETUP();
	NEED_MEMTYPE(self->devfd, variant->memtype);
}

FIXTURE_TEARDOWN(zero)
{
	if (self->devfd >= 0)
		close(self->devfd);
}

TEST_F(zero, zero_on_first_touch)
{
	const size_t n = 8, p = self->psz;
	unsigned int eff = mt_effective(variant->memtype);
	struct mt_pool_stats s0, s1, s2;
	unsigned char *m;
	size_t i;
	int bufd;

	if (access(MTMAP_DBG_POOLS, R_OK))
		SKIP(return, MTMAP_DBG_POOLS " not readable: the reuse cannot be shown");
	if (!mtmap_pools_on())
		SKIP(return, "use_pools is off: every page comes zeroed from the page allocator");
	/* Dirty every page of a buffer, then destroy it: its pages go to the pool. */
	bufd = mtmap_create(self->devfd, n * p, variant->memtype, 0, 0);
	ASSERT_LE(0, bufd) TH_LOG("create: %s", strerror(-bufd));
	m = MAP_PAGES(bufd, n, 0);
	memset(m, 0xa5, n * p);
	ASSERT_EQ(0, mt_pool_stats(eff, &s0));
	munmap(m, n * p);
	close(bufd);
	ASSERT_EQ(0, mt_pool_stats(eff, &s1));
	ASSERT_EQ(s0.returns + (long)n, s1.returns) TH_LOG("the pages did not go back to the pool");

	bufd = mtmap_create(self->devfd, n * p, variant->memtype, 0, 0);
	ASSERT_LE(0, bufd) TH_LOG("create: %s", strerror(-bufd));
	m = MAP_PAGES(bufd, n, 0);
	/* Read faults on the first half. */
	for (i = 0; i < n / 2; i++)
		EXPECT_EQ(-1, mtmap_first_nonzero(m + i * p, p)) TH_LOG("page %zu", i);
	/* Write faults on the second half: the rest of the page is zero. */
	for (i = n / 2; i < n; i++) {
		((volatile unsigned char *)m)[i * p] = 0x5a;
		EXPECT_EQ(0x5a, m[i * p]);
		EXPECT_EQ(-1, mtmap_first_nonzero(m + i * p + 1, p - 1)) TH_LOG("page %zu", i);
	}
	EXPECT_EQ(n, mtmap_populated(bufd));
	/* Every page came from the pool, none from the allocator. */
	ASSERT_EQ(0, mt_pool_stats(eff, &s2));
	EXPECT_EQ(s1.hits + (long)n, s2.hits);
	EXPECT_EQ(s1.misses, s2.misses);
	munmap(m, n * p);
	close(bufd);
}

TEST_F(mtmap, populated_counts)
{
	const size_t n = 16, p = self->psz;
	volatile unsigned char *m, *m2;
	unsigned char sink = 0;
	size_t i;
	int bufd;

	bufd = CREATE_PAGES(n);
	EXPECT_EQ(0ULL, mtmap_populated(bufd));
	m = MAP_PAGES(bufd, n, 0);
	EXPECT_EQ(0ULL, mtmap_populated(bufd));	/* mmap alone allocates nothing */

	sink += m[0];				/* read fault */
	EXPECT_EQ(1ULL, mtmap_populated(bufd));
	m[5 * p + 17] = 1;			/* write fault */
	EXPECT_EQ(2ULL, mtmap_populated(bufd));
	sink += m[15 * p];
	m[15 * p + 1] = 2;
	EXPECT_EQ(3ULL, mtmap_populated(bufd));

	/* Touching again, or through another mapping, allocates nothing. */
	sink += m[0] + m[5 * p] + m[15 * p + p - 1];
	m[0] = 3;
	m[5 * p] = 4;
	EXPECT_EQ(3ULL, mtmap_populated(bufd));
	m2 = MAP_PAGES(bufd, n, 0);
	sink += m2[0];
	m2[5 * p + 8] = 5;
	EXPECT_EQ(3ULL, mtmap_populated(bufd));
	EXPECT_EQ(5, m[5 * p + 8]);

	for (i = 0; i < n; i++)
		m[i * p + 100] = (unsigned char)i;
	EXPECT_EQ(n, mtmap_populated(bufd));
	(void)sink;
	munmap((void *)m2, n * p);
	munmap((void *)m, n * p);
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* Data                                                               */
/* ------------------------------------------------------------------ */

TEST_F(mtmap, pattern_readback)
{
	const size_t n = 32;
	void *m;
	int bufd;

	bufd = CREATE_PAGES(n);
	m = MAP_PAGES(bufd, n, 0);
	mtmap_fill(m, 0, n, 11);
	EXPECT_EQ(-1, mtmap_check(m, 0, n, 11));
	mtmap_fill(m, 0, n, 12);
	EXPECT_EQ(-1, mtmap_check(m, 0, n, 12));
	EXPECT_EQ(n, mtmap_populated(bufd));
	munmap(m, n * self->psz);
	close(bufd);
}

TEST_F(mtmap, survives_remap)
{
	const size_t n = 16;
	void *m;
	int bufd;

	bufd = CREATE_PAGES(n);
	m = MAP_PAGES(bufd, n, 0);
	mtmap_fill(m, 0, n, 21);
	ASSERT_EQ(0, munmap(m, n * self->psz));
	/* Pages belong to the buffer, not to the mapping. */
	EXPECT_EQ(n, mtmap_populated(bufd));
	m = MAP_PAGES(bufd, n, 0);
	EXPECT_EQ(-1, mtmap_check(m, 0, n, 21));
	EXPECT_EQ(n, mtmap_populated(bufd));
	munmap(m, n * self->psz);
	close(bufd);
}

TEST_F(mtmap, survives_close)
{
	const size_t n = 16;
	void *m;
	int bufd;

	bufd = CREATE_PAGES(n);
	m = MAP_PAGES(bufd, n / 2, 0);
	mtmap_fill(m, 0, n / 2, 31);
	/* The mapping alone must keep the buffer (and the module) alive. */
	ASSERT_EQ(0, close(bufd));
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	EXPECT_EQ(-1, mtmap_check(m, 0, n / 2, 31));
	mtmap_fill(m, 0, n / 2, 32);
	EXPECT_EQ(-1, mtmap_check(m, 0, n / 2, 32));
	munmap(m, n / 2 * self->psz);
}

/*
 * A buffer fd, and then a mapping alone, must keep the module loaded:
 * delete_module() refuses a module that is in use. (Should the module
 * wrongly unload, the following tests fail loudly.)
 */
TEST_F(mtmap, unload_refused_while_buffers_exist)
{
	const size_t n = 4;
	void *m;
	int bufd;

	bufd = CREATE_PAGES(n);
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "mtmap", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);
	m = MAP_PAGES(bufd, n, 0);
	mtmap_fill(m, 0, n, 35);
	ASSERT_EQ(0, close(bufd));
	EXPECT_EQ(-1, syscall(SYS_delete_module, "mtmap", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);
	EXPECT_EQ(-1, mtmap_check(m, 0, n, 35));
	munmap(m, n * self->psz);
}

TEST_F(mtmap, two_mappings)
{
	const size_t n = 8;
	void *a, *b;
	int bufd;

	bufd = CREATE_PAGES(n);
	a = MAP_PAGES(bufd, n, 0);
	b = MAP_PAGES(bufd, n, 0);
	ASSERT_NE(a, b);
	mtmap_fill(a, 0, n, 41);
	EXPECT_EQ(-1, mtmap_check(b, 0, n, 41));
	mtmap_fill(b, 0, n, 42);
	EXPECT_EQ(-1, mtmap_check(a, 0, n, 42));
	EXPECT_EQ(n, mtmap_populated(bufd));
	munmap(b, n * self->psz);
	munmap(a, n * self->psz);
	close(bufd);
}

TEST_F(mtmap, fork_shared)
{
	const size_t n = 16, len = n * self->psz;
	int bufd, status;
	void *m;
	pid_t pid;

	bufd = CREATE_PAGES(n);
	m = MAP_PAGES(bufd, n, 0);
	mtmap_fill(m, 0, n, 51);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* No ASSERT here: the harness must not unwind in the child. */
		void *own;

		if (mtmap_check(m, 0, n, 51) != -1)
			_exit(1);
		/* The inherited fd maps the same buffer too. */
		own = mtmap_map(bufd, len, 0);
		if (own == MAP_FAILED)
			_exit(2);
		if (mtmap_check(own, 0, n, 51) != -1)
			_exit(3);
		mtmap_fill(m, 0, n / 2, 52);
		mtmap_fill((char *)own + len / 2, n / 2, n / 2, 52);
		if (mtmap_check(own, 0, n, 52) != -1)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, mtmap_check(m, 0, n, 52));
	EXPECT_EQ(n, mtmap_populated(bufd));
	munmap(m, len);
	close(bufd);
}

#define NR_TOUCHERS	8
#define TOUCH_PAGES	64

struct toucher {
	pthread_barrier_t *barrier;
	volatile __u64 *base;
	size_t wpp;
	unsigned int id;
};

/* Each thread owns one word per page; all of them race to fault each page. */
static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;
	size_t k, page;

	pthread_barrier_wait(t->barrier);
	for (k = 0; k < TOUCH_PAGES; k++) {
		/* Half go up and half go down, so faults also meet midway. */
		page = (t->id & 1) ? TOUCH_PAGES - 1 - k : k;
		t->base[page * t->wpp + t->id] = mtmap_pattern(page, t->id, 61);
	}
	return NULL;
}

TEST_F(mtmap, threads_concurrent_touch)
{
	struct toucher t[NR_TOUCHERS];
	pthread_t tid[NR_TOUCHERS];
	pthread_barrier_t barrier;
	size_t wpp = WORDS_PER_PAGE(self->psz);
	size_t page, w;
	__u64 *m;
	int bufd, i;

	bufd = CREATE_PAGES(TOUCH_PAGES);
	m = MAP_PAGES(bufd, TOUCH_PAGES, 0);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NR_TOUCHERS));
	for (i = 0; i < NR_TOUCHERS; i++) {
		t[i] = (struct toucher){ &barrier, m, wpp, (unsigned int)i };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, toucher_fn, &t[i]));
	}
	for (i = 0; i < NR_TOUCHERS; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
	pthread_barrier_destroy(&barrier);

	EXPECT_EQ((__u64)TOUCH_PAGES, mtmap_populated(bufd));
	for (page = 0; page < TOUCH_PAGES; page++) {
		for (w = 0; w < wpp; w++) {
			__u64 want = w < NR_TOUCHERS ? mtmap_pattern(page, w, 61) : 0;

			if (m[page * wpp + w] != want) {
				EXPECT_EQ(want, m[page * wpp + w])
					TH_LOG("page %zu word %zu", page, w);
				goto out;
			}
		}
	}
out:
	munmap(m, TOUCH_PAGES * self->psz);
	close(bufd);
}

TEST_HARNESS_MAIN
