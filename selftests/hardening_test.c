// SPDX-License-Identifier: GPL-2.0
/*
 * hardening_test: promises under failure and races (issue 12), each test
 * written to fail without its fix:
 *
 *  - write_only_*: a PROT_WRITE-only mapping of a dirty-tracked buffer
 *    reads in a bounded number of faults (a read fault used to map
 *    PAGE_NONE, and the CPU faulted on it forever), prefault neighbours and
 *    PMDs included;
 *  - get_dirty_*: MTMAP_IOC_GET_DIRTY that fails with EFAULT loses no bit;
 *    its bitmaps come from kvmalloc (no high-order page needed, buffers
 *    above 128 GiB work: kmalloc() cannot give their 4+ MiB bitmap);
 *  - huge_alloc_race: threads race for one 2 MiB chunk while one of them
 *    fails its 2 MiB allocations (fail_page_alloc): one size per chunk, no
 *    VM_FAULT_OOM leaked to the core, no WARN from insert_pfn_pmd();
 *  - huge_type_race: SET_MEMTYPE against PMD faults; the PMD is never of
 *    the old type (fails under nopat when the check runs before map_lock).
 *
 * Shared fixture and macros: fault_harness.h. Accesses that could loop
 * forever run in a child with an alarm, so a loop fails instead of hanging.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault_harness.h"

#define FAIL_DIR	"/sys/kernel/debug/fail_page_alloc/"
#define NPAGES		16UL

FT_FIXTURE();

/* ------------------------------------------------------------------ */
/* Helpers: fault injection and the kernel log                        */
/* ------------------------------------------------------------------ */

static const char * const fail_attrs[] = {
	"probability", "interval", "times", "task-filter",
	"ignore-gfp-highmem", "ignore-gfp-wait", "min-order", "verbose",
};
#define NR_FAIL_ATTRS (sizeof(fail_attrs) / sizeof(fail_attrs[0]))

struct fail_saved {
	char v[NR_FAIL_ATTRS][32];
};

static int fail_write(const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAIL_DIR "%s", attr);
	return mt_write_file(path, val);
}

static bool have_fail_page_alloc(void)
{
	return access(FAIL_DIR "probability", W_OK) == 0;
}

/*
 * Fail every page allocation of order >= @min_order of the tasks that
 * set their make-it-fail (task-filter), silently.
 */
static int fail_arm(struct fail_saved *s, const char *min_order)
{
	char path[128], *buf;
	size_t i;
	int err = 0;

	for (i = 0; i < NR_FAIL_ATTRS; i++) {
		buf = NULL;
		snprintf(path, sizeof(path), FAIL_DIR "%s", fail_attrs[i]);
		if (mt_read_file(path, &buf, NULL))
			return -EIO;
		snprintf(s->v[i], sizeof(s->v[i]), "%s", buf);
		free(buf);
	}
	err |= fail_write("task-filter", "Y");
	err |= fail_write("ignore-gfp-highmem", "N");
	err |= fail_write("ignore-gfp-wait", "N");
	err |= fail_write("min-order", min_order);
	err |= fail_write("interval", "1");
	err |= fail_write("times", "-1");
	err |= fail_write("verbose", "0");
	err |= fail_write("probability", "100");
	return err;
}

static void fail_restore(struct fail_saved *s)
{
	int i;

	for (i = NR_FAIL_ATTRS - 1; i >= 0; i--)
		fail_write(fail_attrs[i], s->v[i]);
}

/* /dev/kmsg positioned at its end: what the kernel logs from now on. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Log records since kmsg_open() that contain any of @needles. */
static int kmsg_count(int fd, const char * const *needles, int n)
{
	char rec[2048];
	int found = 0, i;
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten: go on with the next */
		if (len <= 0)
			break;
		rec[len] = '\0';
		for (i = 0; i < n; i++) {
			if (strstr(rec, needles[i])) {
				ksft_print_msg("kernel: %s", strchr(rec, ';') ?
					       strchr(rec, ';') + 1 : rec);
				found++;
				break;
			}
		}
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* Defect 9: PROT_WRITE-only mappings of dirty-tracked buffers        */
/* ------------------------------------------------------------------ */

/*
 * In a child with an alarm (a fault loop must fail, not hang): read
 * @npages pages of the PROT_WRITE-only mapping @m, expecting @val + i in
 * page i, within @max_faults faults; then one write to page 0 (one more
 * fault: it is recorded). Exit status: 0 ok, 1 data, 2 faults, 3 write.
 */
static int read_write_only(volatile __u64 *m, size_t wpp, size_t npages,
			   __u64 val, long max_faults)
{
	long before, faults;
	pid_t pid;
	int status;
	size_t i;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		volatile __u64 scratch[2] = { 0 };
		__u64 sum;

		/* Warm up what the measurement touches besides the buffer. */
		write_pass(scratch, 1, 1, 0);
		read_pass(scratch, 1, 1, &sum);
		alarm(10);
		before = mtmap_minflt();
		for (i = 0; i < npages; i++)
			if (m[i * wpp] != val + i)
				_exit(1);
		faults = mtmap_minflt() - before;
		if (faults > max_faults) {
			fprintf(stderr, "# %ld faults for %zu pages\n", faults, npages);
			_exit(2);
		}
		if (write_pass(m, 1, 0, val) != 1)
			_exit(3);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void write_only_case(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ft) *self, size_t len, __u32 flags,
			    __u32 prefault, bool pmd, long max_faults)
{
	size_t npages = len / self->psz, i;
	__u64 *rw, *wo, bm[64], n;
	struct ptdump d;
	int bufd, ret;

	bufd = CREATE(len, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK | flags, prefault);
	rw = MAP(bufd, len, 0);
	for (i = 0; i < npages; i++)
		rw[i * self->wpp] = 1000 + i;
	ASSERT_EQ(0, munmap(rw, len));
	/* Zaps every PTE: the reads below fault. */
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, 64, &n));
	EXPECT_EQ(npages, n);

	wo = mmap(NULL, len, PROT_WRITE, MAP_SHARED, bufd, 0);
	ASSERT_NE(MAP_FAILED, wo) TH_LOG("mmap PROT_WRITE: %s", strerror(errno));
	ret = read_write_only(wo, self->wpp, npages, 1000, max_faults);
	EXPECT_EQ(0, ret) TH_LOG("%s", ret == 128 + SIGALRM ?
				 "the reads did not complete in 10 s: fault loop" :
				 ret == 1 ? "wrong data" : ret == 2 ? "too many faults" :
				 ret == 3 ? "the write after the read did not fault once" :
				 "child failed");
	/* The child's write (its mapping is shared) was recorded. */
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, 64, &n));
	EXPECT_EQ(pmd ? HPAGES : 1ULL, n);
	EXPECT_TRUE(dirty_bit(bm, 0));

	/* In this process: the read leaves a present, readable entry. */
	if (have_ptdump()) {
		volatile __u64 v = wo[0];

		(void)v;
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, wo, pmd ? PT_PMD : PT_PTE, 0);
		/* With prefault or a PMD, the next page is readable too. */
		if (max_faults < (long)npages)
			EXPECT_MAPPED_AT(&d, (char *)wo + self->psz,
					 pmd ? PT_PMD : PT_PTE, 0);
		ptdump_free(&d);
	}
	munmap(wo, len);
	close(bufd);
}

/* 4 KiB: one fault per page read, then the write faults once more. */
TEST_F_TIMEOUT(ft, write_only_read_4k, 60)
{
	write_only_case(_metadata, self, NPAGES * self->psz, 0, 0, false, NPAGES);
}

/* Prefault: the neighbours mapped read-only must be readable too. */
TEST_F_TIMEOUT(ft, write_only_read_prefault, 60)
{
	write_only_case(_metadata, self, NPAGES * self->psz,
			MTMAP_CREATE_PREFAULT, NPAGES, false, 1);
}

/* A PMD where the kernel asks for one (read-only, readable). */
TEST_F_TIMEOUT(ft, write_only_read_huge, 60)
{
	bool pmd;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	write_only_case(_metadata, self, SZ_2M, MTMAP_CREATE_HUGE, 0, pmd,
			pmd ? 1 : (long)HPAGES);
}

/* ------------------------------------------------------------------ */
/* Defect 7: GET_DIRTY                                                */
/* ------------------------------------------------------------------ */

/* EFAULT (read-only, unmapped, PROT_NONE bitmap) loses no bit. */
TEST_F_TIMEOUT(ft, get_dirty_efault_keeps_bits, 60)
{
	size_t npages = 128, words = npages / 64, i;
	__u64 bm[2], n, *m;
	struct mtmap_get_dirty g;
	void *ro, *none;
	int bufd;

	bufd = CREATE(npages * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, npages * self->psz, 0);
	ro = mmap(NULL, self->psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, self->psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	m[3 * self->wpp] = 1;
	m[70 * self->wpp] = 1;

	memset(&g, 0, sizeof(g));
	g.bitmap_size = words * 8;
	g.bitmap = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g));
	g.bitmap = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g));
	g.bitmap = 8;	/* unmapped */
	EXPECT_EQ(-EFAULT, mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g));
	/* A write in between is reported with the kept bits. */
	m[100 * self->wpp] = 1;

	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, words, &n));
	EXPECT_EQ(3ULL, n) TH_LOG("bits lost by the failed calls");
	for (i = 0; i < npages; i++) {
		EXPECT_EQ(i == 3 || i == 70 || i == 100, dirty_bit(bm, i))
			TH_LOG("page %zu", i);
	}
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, words, &n));
	EXPECT_EQ(0ULL, n);
	munmap(ro, self->psz);
	munmap(none, self->psz);
	munmap(m, npages * self->psz);
	close(bufd);
}

/*
 * The snapshot of a max_buffer_mb-sized buffer (default 1 GiB: 32 KiB)
 * needs no high-order page: with every allocation of order >= 1 failing
 * for this task, GET_DIRTY still works (kvmalloc falls back to vmalloc).
 */
TEST_F_TIMEOUT(ft, get_dirty_no_high_order, 120)
{
	unsigned long mb;
	size_t npages, words;
	struct fail_saved s;
	__u64 *bm, n, *m;
	int bufd, ret;

	if (!have_fail_page_alloc())
		SKIP(return, FAIL_DIR " missing (no CONFIG_FAIL_PAGE_ALLOC)");
	ASSERT_EQ(0, mtmap_read_param("max_buffer_mb", &mb));
	if (mb > 4096)
		mb = 4096;
	npages = (mb << 20) / self->psz;
	words = npages / 64;
	bufd = CREATE(npages * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, npages * self->psz, 0);
	bm = malloc(words * 8);
	ASSERT_NE(NULL, bm);
	memset(bm, 0, words * 8);
	m[0] = 1;
	m[(npages - 1) * self->wpp] = 1;

	ASSERT_EQ(0, fail_arm(&s, "1"));
	ASSERT_EQ(0, mt_write_file("/proc/thread-self/make-it-fail", "1"));
	ret = mtmap_get_dirty(bufd, bm, words, &n);
	mt_write_file("/proc/thread-self/make-it-fail", "0");
	fail_restore(&s);
	EXPECT_EQ(0, ret) TH_LOG("GET_DIRTY of %lu MiB without high-order pages: %s",
				 mb, strerror(-ret));
	if (!ret) {
		EXPECT_EQ(2ULL, n);
		EXPECT_TRUE(dirty_bit(bm, 0));
		EXPECT_TRUE(dirty_bit(bm, npages - 1));
	}
	free(bm);
	munmap(m, npages * self->psz);
	close(bufd);
}

FIXTURE(big) {
	int devfd;
	unsigned long saved_mb;
	bool restore;
};

FIXTURE_SETUP(big)
{
	self->restore = false;
	MTMAP_OPEN_OR_SKIP(self->devfd);
}

FIXTURE_TEARDOWN(big)
{
	char v[32];

	if (self->restore) {
		snprintf(v, sizeof(v), "%lu", self->saved_mb);
		mt_write_file(MTMAP_PARAM_DIR "max_buffer_mb", v);
	}
	if (self->devfd >= 0)
		close(self->devfd);
}

/*
 * A dirty-tracked buffer above 128 GiB: its bitmap (4+ MiB) is more than
 * kmalloc() can ever give (order 11 > MAX_PAGE_ORDER, with a WARN). Sparse
 * touches keep it cheap; the page array costs 8 bytes per page.
 */
TEST_F_TIMEOUT(big, get_dirty_above_128g, 180)
{
	const unsigned long want_mb = 129UL << 10;
	size_t psz = mtmap_page_size(), wpp = WORDS_PER_PAGE(psz);
	size_t npages = (want_mb << 20) / psz, words = npages / 64, i;
	const size_t touch[] = { 0, 12345, npages / 2 + 7, npages - 1 };
	__u64 *bm, n, *m;
	char v[32];
	int bufd;

	ASSERT_EQ(0, mtmap_read_param("max_buffer_mb", &self->saved_mb));
	if (self->saved_mb < want_mb) {
		snprintf(v, sizeof(v), "%lu", want_mb);
		if (mt_write_file(MTMAP_PARAM_DIR "max_buffer_mb", v))
			SKIP(return, "max_buffer_mb not writable");
		self->restore = true;
	}
	bufd = mtmap_create(self->devfd, npages * psz, MTMAP_MEMTYPE_WB,
			    MTMAP_CREATE_DIRTY_TRACK, 0);
	ASSERT_LE(0, bufd) TH_LOG("create %lu MiB, dirty-tracked: %s", want_mb,
				  strerror(-bufd));
	m = mtmap_map(bufd, npages * psz, 0);
	ASSERT_NE(MAP_FAILED, m);
	bm = malloc(words * 8);
	ASSERT_NE(NULL, bm);
	for (i = 0; i < sizeof(touch) / sizeof(touch[0]); i++)
		m[touch[i] * wpp] = i + 1;
	ASSERT_EQ(0, mtmap_get_dirty(bufd, bm, words, &n));
	EXPECT_EQ(sizeof(touch) / sizeof(touch[0]), n);
	for (i = 0; i < sizeof(touch) / sizeof(touch[0]); i++) {
		EXPECT_TRUE(dirty_bit(bm, touch[i])) TH_LOG("page %zu", touch[i]);
	}
	EXPECT_EQ(sizeof(touch) / sizeof(touch[0]), mtmap_populated(bufd));
	free(bm);
	munmap(m, npages * psz);
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* Defect 4: racing 2 MiB faults, one thread's allocations failing     */
/* ------------------------------------------------------------------ */

#define RACE_THREADS	3
#define RACE_ROUNDS	40

struct race {
	volatile __u64 *m;
	size_t wpp;
	unsigned int round;
	pthread_barrier_t go;
	atomic_int failed_arm;
};

struct racer {
	struct race *r;
	int t;
};

/* Page that thread @t writes in round @round: distinct per thread. */
static size_t race_page(int t, unsigned int round)
{
	return (t * 97 + round * 13 + 1) % HPAGES;
}

static void *racer_fn(void *arg)
{
	struct racer *a = arg;
	struct race *r = a->r;
	unsigned int round, spin;
	size_t p;

	/* Thread 0 fails every 2 MiB allocation it makes. */
	if (!a->t && mt_write_file("/proc/thread-self/make-it-fail", "1"))
		atomic_store(&r->failed_arm, 1);
	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&r->go);
		/* Vary who comes first: the others start a little later. */
		for (spin = 0; a->t && spin < (round % 8) * 200; spin++)
			__asm__ volatile("" ::: "memory");
		p = race_page(a->t, round);
		r->m[p * r->wpp] = mtmap_pattern(p, 0, round);
		pthread_barrier_wait(&r->go);	/* main checks */
		pthread_barrier_wait(&r->go);	/* next buffer mapped */
	}
	if (!a->t)
		mt_write_file("/proc/thread-self/make-it-fail", "0");
	return NULL;
}

TEST_F_TIMEOUT(ft, huge_alloc_race, 300)
{
	static const char * const bad[] = {
		"VM_FAULT_OOM leaked", "WARNING:", "BUG:",
	};
	struct racer args[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	unsigned int round, huge = 0, small = 0;
	struct fail_saved s;
	struct race r;
	__u64 populated;
	int bufd, kmsg, t;
	bool pmd;
	size_t p;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	if (!pmd)
		SKIP(return, "this kernel maps no PMD for buffers: no 2 MiB race");
	if (!have_fail_page_alloc())
		SKIP(return, FAIL_DIR " missing (no CONFIG_FAIL_PAGE_ALLOC)");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	memset(&r, 0, sizeof(r));
	r.wpp = self->wpp;
	ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, RACE_THREADS + 1));
	ASSERT_EQ(0, fail_arm(&s, "9"));

	bufd = CREATE(SZ_2M, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	r.m = MAP(bufd, SZ_2M, 0);
	for (t = 0; t < RACE_THREADS; t++) {
		args[t] = (struct racer){ .r = &r, .t = t };
		ASSERT_EQ(0, pthread_create(&th[t], NULL, racer_fn, &args[t]));
	}
	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&r.go);	/* race */
		pthread_barrier_wait(&r.go);	/* done */
		/* One folio, or exactly the 4 KiB pages written. */
		populated = mtmap_populated(bufd);
		if (populated == HPAGES)
			huge++;
		else
			small++;
		EXPECT_TRUE(populated == HPAGES || populated == RACE_THREADS)
			TH_LOG("round %u: populated %llu", round,
			       (unsigned long long)populated);
		for (t = 0; t < RACE_THREADS; t++) {
			p = race_page(t, round);
			EXPECT_EQ(mtmap_pattern(p, 0, round), r.m[p * r.wpp])
				TH_LOG("round %u thread %d page %zu", round, t, p);
		}
		munmap((void *)r.m, SZ_2M);
		close(bufd);
		bufd = CREATE(SZ_2M, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
		r.m = MAP(bufd, SZ_2M, 0);
		pthread_barrier_wait(&r.go);	/* next */
	}
	for (t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	fail_restore(&s);
	EXPECT_EQ(0, atomic_load(&r.failed_arm));
	ksft_print_msg("%u rounds: %u chunks became one folio, %u stayed 4 KiB\n",
		       RACE_ROUNDS, huge, small);
	EXPECT_EQ(0, kmsg_count(kmsg, bad, 3));
	munmap((void *)r.m, SZ_2M);
	close(bufd);
	close(kmsg);
	pthread_barrier_destroy(&r.go);
}

/* ------------------------------------------------------------------ */
/* Defect 3: SET_MEMTYPE against PMD faults (nopat)                   */
/* ------------------------------------------------------------------ */

struct reader {
	volatile __u64 *m;
	atomic_long reads;
	atomic_int stop;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	__u64 sum = 0;

	while (!atomic_load(&rd->stop)) {
		sum += rd->m[0];
		atomic_fetch_add(&rd->reads, 1);
	}
	return (void *)(uintptr_t)sum;
}

/*
 * A reader keeps faulting on the chunk while the buffer changes from WB
 * (the type its mapping was created with, hence vm_page_prot) to UC-.
 * Its fault starts during the change and waits on map_lock; it must then
 * see UC- and map 4 KiB PTEs of UC-, never a PMD of WB (nopat: the PMD's
 * cache bits are vm_page_prot's as they are). A fresh mapping each round:
 * a chunk once mapped by PTEs keeps its page table.
 */
TEST_F_TIMEOUT(ft, huge_type_race, 300)
{
	unsigned int round, stale = 0;
	struct reader rd;
	struct ptdump d;
	pthread_t th;
	long seen;
	int bufd, type;
	bool pmd;

	THP_MODE("always");
	pmd = EXPECT_PMD("always", HINT_NONE);
	if (!pmd)
		SKIP(return, "this kernel maps no PMD for buffers");
	NEED_PTDUMP();
	ksft_print_msg("PAT %s\n", mt_pat_enabled() ? "enabled" : "disabled (nopat)");
	bufd = CREATE(SZ_2M, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	for (round = 0; round < 8; round++) {
		ASSERT_EQ(0, mtmap_set_memtype(bufd, MTMAP_MEMTYPE_WB));
		memset(&rd, 0, sizeof(rd));
		rd.m = MAP(bufd, SZ_2M, 0);
		ASSERT_EQ(0, pthread_create(&th, NULL, reader_fn, &rd));
		while (atomic_load(&rd.reads) < 1000)
			;
		ASSERT_EQ(0, mtmap_set_memtype(bufd, MTMAP_MEMTYPE_UC_MINUS));
		/* The reader's fault is done, and it read once more. */
		seen = atomic_load(&rd.reads);
		while (atomic_load(&rd.reads) < seen + 1000)
			;
		PTDUMP_LOAD(&d);
		type = ptdump_type_at(&d, (unsigned long)rd.m);
		if (type != PT_UC_MINUS)
			stale++;
		EXPECT_EQ(PT_UC_MINUS, type)
			TH_LOG("round %u: %s mapping of a UC- buffer (%s)", round,
			       pt_cache_name(type),
			       ptdump_find(&d, (unsigned long)rd.m) &&
			       ptdump_find(&d, (unsigned long)rd.m)->level == PT_PMD ?
			       "PMD" : "PTE");
		ptdump_free(&d);
		atomic_store(&rd.stop, 1);
		pthread_join(th, NULL);
		munmap((void *)rd.m, SZ_2M);
	}
	ksft_print_msg("8 rounds, %u with a PMD of the old type\n", stale);
	close(bufd);
}

TEST_HARNESS_MAIN
