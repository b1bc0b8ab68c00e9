// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweeps (fail-nth) over mtmap's allocating paths: buffer
 * creation plus first touch (WB, WC, UC-, pools on and off), every live
 * memory-type change (MTMAP_IOC_SET_MEMTYPE between WB, WC and UC-), and
 * the first touch of a 2 MiB chunk.
 *
 * For n = 1, 2, ... the n-th slab or page allocation of the operation
 * fails (/proc/thread-self/fail-nth, with failslab and fail_page_alloc
 * armed for sleeping and highmem allocations), until the operation runs
 * with no failure left to inject. After every step:
 *
 *  - the call failed with an errno the uapi header documents, or a fault
 *    got SIGBUS, or it succeeded;
 *  - the buffer still has one memory type (struct mtmap_info.memtype):
 *    once every page is touched again, every user PTE has it and so has
 *    the direct-map entry of every pfn the buffer owns (the page-table
 *    dump; the pfns come from debugfs "memtypes");
 *  - no direct-map entry anywhere is WC or UC- unless mtmap tracks the
 *    pfn as that type (or it was so before the test): this is what finds
 *    a page freed, or left in a buffer, with a non-WB kernel alias;
 *  - after close and a pool drain, mtmap owns nothing ("memtypes" is
 *    empty).
 *
 * One page-table dump per step: under TCG each read takes 0.3-1 s. The
 * pool sweeps run with pool_batch at its minimum (64) to keep the number
 * of steps of a refill down. The sweeps SKIP where the kernel lacks
 * fail-nth, failslab, fail_page_alloc or the page-table dump.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mtmap_harness.h"
#include "ptdump.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define NPAGES		32
#define MAX_STEPS	1500
#define FN_TIMEOUT	600
/* End of the 4-level direct map (start of vmalloc space without KASLR). */
#define DIRECTMAP_SIZE	(64UL << 40)

struct fn_attr {
	const char *path;
	const char *val;
	char saved[32];
	bool have;
};

FIXTURE(fn) {
	int devfd;
	int nthfd;
	size_t psz;
	struct fn_attr attrs[6];
	char use_pools[8], pool_batch[16], thp[32];
	/* Non-WB direct-map ranges before the test: not ours. */
	struct pt_range *base;
	size_t nbase;
};

static void fn_set(struct fn_attr *a, const char *path, const char *val)
{
	char *buf = NULL;

	a->path = path;
	a->val = val;
	a->have = !mt_read_file(path, &buf, NULL);
	if (a->have) {
		snprintf(a->saved, sizeof(a->saved), "%s", buf);
		a->have = !mt_write_file(path, val);
	}
	free(buf);
}

static void save_param(const char *name, char *out, size_t len)
{
	char path[128], *buf = NULL;

	snprintf(path, sizeof(path), MTMAP_PARAM_DIR "%s", name);
	out[0] = '\0';
	if (!mt_read_file(path, &buf, NULL))
		snprintf(out, len, "%s", buf);
	free(buf);
}

static int set_param(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), MTMAP_PARAM_DIR "%s", name);
	return mt_write_file(path, val);
}

static bool directmap_addr(const struct ptdump *d, unsigned long a)
{
	return a >= d->page_offset && a < d->page_offset + DIRECTMAP_SIZE;
}

FIXTURE_SETUP(fn)
{
	const char *why;
	struct ptdump d;
	size_t i;

	self->nthfd = -1;
	self->base = NULL;
	self->nbase = 0;
	self->psz = mtmap_page_size();
	MTMAP_OPEN_OR_SKIP(self->devfd);
	if (access(MTMAP_DBG_MEMTYPES, R_OK))
		SKIP(return, MTMAP_DBG_MEMTYPES " not readable (debugfs not mounted or not root)");
	self->nthfd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (self->nthfd < 0)
		SKIP(return, FAIL_NTH " missing (no CONFIG_FAULT_INJECTION)");
	if (access(FAILSLAB "ignore-gfp-wait", W_OK))
		SKIP(return, FAILSLAB " missing (no CONFIG_FAILSLAB or debugfs)");
	if (access(FAIL_PAGE "ignore-gfp-wait", W_OK))
		SKIP(return, FAIL_PAGE " missing (no CONFIG_FAIL_PAGE_ALLOC or debugfs)");
	why = ptdump_unavailable();
	if (why)
		SKIP(return, "%s", why);
	/* fail-nth is per task: nothing else needs to be filtered. */
	fn_set(&self->attrs[0], FAILSLAB "ignore-gfp-wait", "N");
	fn_set(&self->attrs[1], FAIL_PAGE "ignore-gfp-wait", "N");
	fn_set(&self->attrs[2], FAIL_PAGE "ignore-gfp-highmem", "N");
	fn_set(&self->attrs[3], FAIL_PAGE "min-order", "0");
	/* No stack dump per injected failure: hundreds of them under TCG. */
	fn_set(&self->attrs[4], FAILSLAB "verbose", "0");
	fn_set(&self->attrs[5], FAIL_PAGE "verbose", "0");
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(self->attrs[i].have) TH_LOG("cannot set %s", self->attrs[i].path);
	save_param("use_pools", self->use_pools, sizeof(self->use_pools));
	save_param("pool_batch", self->pool_batch, sizeof(self->pool_batch));
	thp_get(self->thp, sizeof(self->thp));

	/* What is not WB in the direct map before we start is not ours. */
	ASSERT_EQ(0, mt_drain_pools());
	ASSERT_EQ(0, ptdump_load(&d));
	self->base = calloc(d.n ? d.n : 1, sizeof(*self->base));
	ASSERT_NE(NULL, self->base);
	for (i = 0; i < d.n; i++) {
		const struct pt_range *r = &d.r[i];
		int t = pt_range_cache(&d, r);

		if (directmap_addr(&d, r->start) && t >= 0 && t != PT_WB)
			self->base[self->nbase++] = *r;
	}
	ptdump_free(&d);
}

FIXTURE_TEARDOWN(fn)
{
	int i;

	if (self->nthfd >= 0) {
		if (pwrite(self->nthfd, "0", 1, 0) < 0)
			perror("fail-nth");
		close(self->nthfd);
	}
	for (i = 5; i >= 0; i--)
		if (self->attrs[i].have)
			mt_write_file(self->attrs[i].path, self->attrs[i].saved);
	if (self->use_pools[0])
		set_param("use_pools", self->use_pools);
	if (self->pool_batch[0])
		set_param("pool_batch", self->pool_batch);
	if (self->thp[0])
		thp_set(self->thp);
	free(self->base);
	if (self->devfd >= 0)
		close(self->devfd);
}

/* Make the @n-th allocation of this task from now on fail. */
static int nth_arm(int fd, unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	return pwrite(fd, s, len, 0) == len ? 0 : -errno;
}

/*
 * Disarm; true if the failure was injected (the countdown reached 0).
 * The read happens before any allocation of its own syscall.
 */
static bool nth_disarm(int fd)
{
	char s[16] = "";
	ssize_t len = pread(fd, s, sizeof(s) - 1, 0);

	if (pwrite(fd, "0", 1, 0) != 1)
		perror("fail-nth");
	return len > 0 && strtol(s, NULL, 10) == 0;
}

static sigjmp_buf fn_jmp;

static void fn_sigbus(int sig)
{
	(void)sig;
	siglongjmp(fn_jmp, 1);
}

/*
 * Write one word per page of [map, +npages), or read it with @read; stop
 * at a SIGBUS. Returns 0 or -EFAULT for a SIGBUS.
 */
static int touch(char *map, size_t npages, size_t stride, bool read)
{
	struct sigaction sa = { .sa_handler = fn_sigbus }, old;
	volatile size_t i = 0;
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(fn_jmp, 1)) {
		ret = -EFAULT;
		goto out;
	}
	for (; i < npages; i++) {
		volatile __u64 *p = (volatile __u64 *)(map + i * stride);

		if (read)
			(void)*p;
		else
			*p = mtmap_pattern(i, 0, 7);
	}
out:
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

static bool in_base(const struct _test_data_fn *self, const struct ptdump *d,
		    unsigned long a, int t)
{
	size_t i;

	for (i = 0; i < self->nbase; i++)
		if (a >= self->base[i].start && a < self->base[i].end &&
		    pt_range_cache(d, &self->base[i]) == t)
			return true;
	return false;
}

/*
 * The one-type invariant, with one page-table dump:
 *  - every page-table entry of [map, +npages) is absent or of @type;
 *  - the buffer (the newest one alive) owns exactly @populated pfns in
 *    "memtypes", all recorded as @type, all "ok", and the direct map of
 *    each is @type in the dump;
 *  - every WC/UC- direct-map entry is either baseline or a pfn mtmap
 *    tracks as that type.
 * Returns the number of PTEs of the mapping that were present.
 */
static long check_invariant(struct __test_metadata *_metadata,
			    const struct _test_data_fn *self, const char *map,
			    size_t npages, unsigned int type, long populated,
			    const char *what)
{
	const char *tname = pt_cache_name(type);
	struct mt_tracks m;
	struct ptdump d;
	long present = 0, pfns = 0, bad = 0, newest = 0;
	unsigned long a, pfn;
	size_t i;

	ASSERT_EQ(0, mt_tracks_load(&m));
	ASSERT_EQ(0, ptdump_load(&d));
	/* Buffers held by the test are older: the one under test is newest. */
	for (i = 0; i < m.n; i++)
		if (!strcmp(m.t[i].kind, "buffer") && strtol(m.t[i].name, NULL, 10) > newest)
			newest = strtol(m.t[i].name, NULL, 10);
	for (i = 0; map && i < npages; i++) {
		const struct pt_range *r = ptdump_find(&d, (unsigned long)map + i * self->psz);
		int t = r ? pt_range_cache(&d, r) : -ENOENT;

		if (t == -ENOENT)
			continue;
		present++;
		if (t != (int)type && bad++ < 3)
			TH_LOG("%s: user page %zu is %s, buffer is %s", what, i,
			       pt_cache_name(t), tname);
	}
	for (i = 0; i < m.n; i++) {
		const struct mt_track *t = &m.t[i];

		if (!t->ok && bad++ < 6)
			TH_LOG("%s: memtypes %#lx-%#lx %s %s:%s MISMATCH", what,
			       t->first, t->last, t->type, t->kind, t->name);
		if (strcmp(t->kind, "buffer") || strtol(t->name, NULL, 10) != newest)
			continue;
		if (strcmp(t->type, tname) && bad++ < 6)
			TH_LOG("%s: memtypes %#lx-%#lx is %s in a %s buffer", what,
			       t->first, t->last, t->type, tname);
		for (pfn = t->first; pfn <= t->last; pfn++) {
			int dt = ptdump_directmap_type(&d, pfn);

			pfns++;
			if (dt != (int)type && bad++ < 6)
				TH_LOG("%s: pfn %#lx of the %s buffer: direct map %s",
				       what, pfn, tname, pt_cache_name(dt));
		}
	}
	if (pfns != populated && bad++ < 8)
		TH_LOG("%s: memtypes lists %ld pfns as the buffer's (%s), it has %ld pages",
		       what, pfns, tname, populated);
	/* No untracked non-WB alias anywhere in the direct map. */
	for (i = 0; i < d.n; i++) {
		const struct pt_range *r = &d.r[i];
		int t = pt_range_cache(&d, r);

		if (!directmap_addr(&d, r->start) || t < 0 || t == PT_WB)
			continue;
		for (a = r->start; a < r->end; a += self->psz) {
			const struct mt_track *k;

			if (in_base(self, &d, a, t))
				continue;
			k = mt_tracks_find(&m, (a - d.page_offset) / self->psz);
			if ((!k || strcmp(k->type, pt_cache_name(t))) && bad++ < 10)
				TH_LOG("%s: direct map %#lx (pfn %#lx) is %s, mtmap tracks it as %s",
				       what, a, (a - d.page_offset) / self->psz,
				       pt_cache_name(t), k ? k->type : "nothing");
		}
	}
	ptdump_free(&d);
	mt_tracks_free(&m);
	EXPECT_EQ(0, bad) TH_LOG("%s: one-type invariant broken", what);
	return present;
}

/* After close and a pool drain mtmap owns no page at all. */
static void check_nothing_owned(struct __test_metadata *_metadata, const char *what)
{
	struct mt_tracks m;
	size_t i;

	ASSERT_EQ(0, mt_drain_pools());
	ASSERT_EQ(0, mt_tracks_load(&m));
	for (i = 0; i < m.n && i < 4; i++)
		TH_LOG("%s: after close and drain: %#lx-%#lx %s %s:%s %s", what,
		       m.t[i].first, m.t[i].last, m.t[i].type, m.t[i].kind,
		       m.t[i].name, m.t[i].ok ? "ok" : "MISMATCH");
	EXPECT_EQ(0, m.n) TH_LOG("%s: mtmap still owns %zu ranges", what, m.n);
	mt_tracks_free(&m);
}

/*
 * For the log: how the direct map of the live buffer's pages is mapped.
 * Only pages inside a large (2 MiB/1 GiB) entry make a conversion split
 * it, which is the allocation that can fail half way through.
 */
static void log_directmap_levels(struct __test_metadata *_metadata, const char *what)
{
	long small = 0, large = 0, big = 0;
	unsigned long pfn;
	struct mt_tracks m;
	struct ptdump d;
	size_t i;

	ASSERT_EQ(0, mt_tracks_load(&m));
	ASSERT_EQ(0, ptdump_load(&d));
	for (i = 0; i < d.n; i++)
		if (directmap_addr(&d, d.r[i].start) && d.r[i].present &&
		    d.r[i].level != PT_PTE)
			big += (d.r[i].end - d.r[i].start) >> 20;
	for (i = 0; i < m.n; i++) {
		if (strcmp(m.t[i].kind, "buffer"))
			continue;
		for (pfn = m.t[i].first; pfn <= m.t[i].last; pfn++) {
			const struct pt_range *r = ptdump_find(&d, ptdump_directmap_addr(&d, pfn));

			if (r && r->level == PT_PTE)
				small++;
			else
				large++;
		}
	}
	ksft_print_msg("%s: buffer pages in 4 KiB direct-map entries: %ld, in large ones: %ld; %ld MiB of the direct map in large entries\n",
		       what, small, large, big);
	ptdump_free(&d);
	mt_tracks_free(&m);
}

struct sweep {
	const char *name;
	unsigned int steps;	/* injected */
	unsigned int errors;	/* calls that failed */
	unsigned int sigbus;
	time_t start;
};

static void sweep_report(struct sweep *s)
{
	ksft_print_msg("%s: %u failures injected, %u calls failed, %u SIGBUS, %lds\n",
		       s->name, s->steps, s->errors, s->sigbus,
		       (long)(time(NULL) - s->start));
}

static bool errno_documented(int err, const int *ok)
{
	for (; *ok; ok++)
		if (err == *ok)
			return true;
	return false;
}

/* uapi header: MTMAP_IOC_CREATE's errnos an allocation failure may give. */
static const int create_errnos[] = { ENOMEM, EMFILE, ENFILE, 0 };
/* mmap(): the core's own ENOMEM. */
static const int mmap_errnos[] = { ENOMEM, 0 };
/* MTMAP_IOC_SET_MEMTYPE: ENOMEM, the buffer keeps its old type. */
static const int set_errnos[] = { ENOMEM, 0 };

static void use_pools(struct __test_metadata *_metadata, bool on)
{
	ASSERT_EQ(0, set_param("use_pools", on ? "Y" : "N"));
	/* The smallest refill: fewer allocations to sweep through. */
	ASSERT_EQ(0, set_param("pool_batch", "64"));
}

/*
 * The end of one sweep step: unmap, close, nothing left owned. True when
 * the test has failed, so the sweep stops at the first bad step.
 */
static bool sweep_step_end(struct __test_metadata *_metadata, const char *name,
			   unsigned int n, void *map, size_t len, int fd)
{
	munmap(map, len);
	close(fd);
	check_nothing_owned(_metadata, name);
	if (_metadata->exit_code && _metadata->exit_code != KSFT_PASS) {
		TH_LOG("%s: stopped at n=%u", name, n);
		return true;
	}
	return false;
}

/* The end of a sweep: injection ran out, the invariant holds, report. */
static void sweep_end(struct __test_metadata *_metadata, struct _test_data_fn *self,
		      struct sweep *s, bool injected, unsigned int type)
{
	EXPECT_FALSE(injected) TH_LOG("%s: still injecting after %u steps", s->name, MAX_STEPS);
	check_invariant(_metadata, self, NULL, 0, type, 0, s->name);
	sweep_report(s);
}

/*
 * CREATE, mmap and the first write to every page, as one operation under
 * fail-nth; then every page is touched again (no injection) and checked.
 */
static void sweep_create_touch(struct __test_metadata *_metadata,
			       struct _test_data_fn *self, unsigned int type,
			       bool pools, __u32 flags)
{
	unsigned int eff = mt_effective(type);
	size_t len = NPAGES * self->psz;
	struct sweep s = { .start = time(NULL) };
	char name[64];
	unsigned int n;
	bool injected = true;

	snprintf(name, sizeof(name), "create+touch %s pools %s", pt_cache_name(type),
		 pools ? "on" : "off");
	s.name = name;
	use_pools(_metadata, pools);
	for (n = 1; injected && n <= MAX_STEPS; n++) {
		char *map = MAP_FAILED;
		int fd, err = 0, bus = 0;
		struct mtmap_info info;

		ASSERT_EQ(0, nth_arm(self->nthfd, n));
		fd = mtmap_create(self->devfd, len, type, flags, 0);
		if (fd >= 0) {
			map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (map == MAP_FAILED)
				err = errno;
			else
				bus = touch(map, NPAGES, self->psz, false);
		}
		injected = nth_disarm(self->nthfd);
		s.steps += injected;
		if (fd < 0) {
			s.errors++;
			EXPECT_TRUE(errno_documented(-fd, create_errnos))
				TH_LOG("n=%u: create: %s", n, strerror(-fd));
			EXPECT_TRUE(injected) TH_LOG("n=%u: create failed uninjected", n);
			continue;
		}
		if (err) {
			s.errors++;
			EXPECT_TRUE(errno_documented(err, mmap_errnos))
				TH_LOG("n=%u: mmap: %s", n, strerror(err));
			map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			ASSERT_NE(MAP_FAILED, map);
		}
		if (bus) {
			s.sigbus++;
			EXPECT_TRUE(injected) TH_LOG("n=%u: SIGBUS uninjected", n);
		}
		/* Whatever failed, the buffer works and has one type. */
		EXPECT_EQ(0, touch(map, NPAGES, self->psz, false))
			TH_LOG("n=%u: SIGBUS after the injected failure", n);
		ASSERT_EQ(0, mtmap_info(fd, &info));
		EXPECT_EQ(eff, info.memtype);
		EXPECT_EQ((__u64)NPAGES, info.populated);
		EXPECT_EQ(NPAGES, check_invariant(_metadata, self, map, NPAGES,
						  info.memtype, info.populated, name))
			TH_LOG("n=%u: not every page is mapped", n);
		if (sweep_step_end(_metadata, name, n, map, len, fd))
			break;
	}
	sweep_end(_metadata, self, &s, injected, eff);
}

/*
 * SET_MEMTYPE @from -> @to on NPAGES populated, mapped pages, under
 * fail-nth. On failure the buffer must be all @from, data intact.
 */
static void sweep_set_memtype(struct __test_metadata *_metadata,
			      struct _test_data_fn *self, unsigned int from,
			      unsigned int to)
{
	size_t len = NPAGES * self->psz;
	struct sweep s = { .start = time(NULL) };
	char name[64];
	unsigned int n;
	bool injected = true;

	snprintf(name, sizeof(name), "set_memtype %s->%s", pt_cache_name(from),
		 pt_cache_name(to));
	s.name = name;
	for (n = 1; injected && n <= MAX_STEPS; n++) {
		struct mtmap_info info;
		char *map;
		int fd, err;

		fd = mtmap_create(self->devfd, len, from, 0, 0);
		ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
		map = mtmap_map(fd, len, 0);
		ASSERT_NE(MAP_FAILED, map);
		mtmap_fill(map, 0, NPAGES, n);
		if (n == 1)
			log_directmap_levels(_metadata, name);

		ASSERT_EQ(0, nth_arm(self->nthfd, n));
		err = mtmap_set_memtype(fd, to);
		injected = nth_disarm(self->nthfd);
		s.steps += injected;
		ASSERT_EQ(0, mtmap_info(fd, &info));
		if (err) {
			s.errors++;
			EXPECT_TRUE(errno_documented(-err, set_errnos))
				TH_LOG("n=%u: SET_MEMTYPE: %s", n, strerror(-err));
			EXPECT_TRUE(injected) TH_LOG("n=%u: failed uninjected", n);
			EXPECT_EQ(mt_effective(from), info.memtype)
				TH_LOG("n=%u: a failed change changed the type", n);
		} else {
			EXPECT_EQ(mt_effective(to), info.memtype);
		}
		/* Fault everything back in (no injection): data and types. */
		EXPECT_EQ(0, touch(map, NPAGES, self->psz, true))
			TH_LOG("n=%u: SIGBUS after SET_MEMTYPE", n);
		EXPECT_EQ(-1, mtmap_check(map, 0, NPAGES, n)) TH_LOG("n=%u: data lost", n);
		EXPECT_EQ(NPAGES, check_invariant(_metadata, self, map, NPAGES,
						  info.memtype, info.populated, name))
			TH_LOG("n=%u: not every page is mapped", n);
		if (sweep_step_end(_metadata, name, n, map, len, fd))
			break;
	}
	sweep_end(_metadata, self, &s, injected, MTMAP_MEMTYPE_WB);
}

TEST_F_TIMEOUT(fn, create_touch_wb, FN_TIMEOUT)
{
	sweep_create_touch(_metadata, self, MTMAP_MEMTYPE_WB, true, 0);
}

TEST_F_TIMEOUT(fn, create_touch_wc_pools, FN_TIMEOUT)
{
	sweep_create_touch(_metadata, self, MTMAP_MEMTYPE_WC, true, 0);
}

TEST_F_TIMEOUT(fn, create_touch_uc_minus_pools, FN_TIMEOUT)
{
	sweep_create_touch(_metadata, self, MTMAP_MEMTYPE_UC_MINUS, true, 0);
}

TEST_F_TIMEOUT(fn, create_touch_wc_no_pools, FN_TIMEOUT)
{
	sweep_create_touch(_metadata, self, MTMAP_MEMTYPE_WC, false, 0);
}

TEST_F_TIMEOUT(fn, create_touch_uc_minus_no_pools, FN_TIMEOUT)
{
	sweep_create_touch(_metadata, self, MTMAP_MEMTYPE_UC_MINUS, false, 0);
}

/* Every ordered pair of WB, WC and UC-, pools on (the default). */
TEST_F_TIMEOUT(fn, set_memtype_all_pairs, FN_TIMEOUT)
{
	unsigned int from, to;

	use_pools(_metadata, true);
	for (from = MTMAP_MEMTYPE_WB; from <= MTMAP_MEMTYPE_UC_MINUS; from++)
		for (to = MTMAP_MEMTYPE_WB; to <= MTMAP_MEMTYPE_UC_MINUS; to++)
			if (from != to)
				sweep_set_memtype(_metadata, self, from, to);
}

#define XA_CACHE_FAILSLAB "/sys/kernel/slab/radix_tree_node/failslab"

/*
 * SET_MEMTYPE while every xarray node allocation of this task fails
 * (failslab limited to the radix_tree_node cache): more than the one
 * failure fail-nth injects, so that an undo that needs memory fails too.
 * The change succeeds or fails with ENOMEM; either way the buffer has one
 * type afterwards, data intact. Pools off: each page converted alone, so
 * no pool page keeps the table's nodes alive.
 */
TEST_F_TIMEOUT(fn, set_memtype_xa_nodes_fail, FN_TIMEOUT)
{
	static const char * const names[] = {
		"cache-filter", "probability", "interval", "times", "task-filter",
	};
	static const char * const vals[] = { "Y", "100", "1", "-1", "Y" };
	size_t len = NPAGES * self->psz;
	struct fn_attr storm[5] = { 0 };
	char *cachef = NULL, path[5][96];
	unsigned int from, to, i;

	if (access(XA_CACHE_FAILSLAB, W_OK) || access(FAILSLAB "cache-filter", W_OK))
		SKIP(return, XA_CACHE_FAILSLAB " or " FAILSLAB "cache-filter missing");
	ASSERT_EQ(0, mt_read_file(XA_CACHE_FAILSLAB, &cachef, NULL));
	for (i = 0; i < 5; i++) {
		snprintf(path[i], sizeof(path[i]), FAILSLAB "%s", names[i]);
		fn_set(&storm[i], path[i], vals[i]);
		EXPECT_TRUE(storm[i].have) TH_LOG("cannot set %s", path[i]);
	}
	EXPECT_EQ(0, mt_write_file(XA_CACHE_FAILSLAB, "1"));
	ASSERT_EQ(0, set_param("use_pools", "N"));
	for (from = MTMAP_MEMTYPE_WB; from <= MTMAP_MEMTYPE_UC_MINUS; from++) {
		for (to = MTMAP_MEMTYPE_WB; to <= MTMAP_MEMTYPE_UC_MINUS; to++) {
			struct mtmap_info info;
			char name[64];
			int fd, err;
			char *map;

			if (from == to)
				continue;
			snprintf(name, sizeof(name), "xa nodes fail: %s->%s",
				 pt_cache_name(from), pt_cache_name(to));
			fd = mtmap_create(self->devfd, len, from, 0, 0);
			ASSERT_LE(0, fd);
			map = mtmap_map(fd, len, 0);
			ASSERT_NE(MAP_FAILED, map);
			mtmap_fill(map, 0, NPAGES, to + 10);
			ASSERT_EQ(0, mt_write_file("/proc/self/make-it-fail", "1"));
			err = mtmap_set_memtype(fd, to);
			mt_write_file("/proc/self/make-it-fail", "0");
			ASSERT_EQ(0, mtmap_info(fd, &info));
			ksft_print_msg("%s: %s\n", name, strerror(-err));
			EXPECT_TRUE(!err || err == -ENOMEM) TH_LOG("%s: %s", name, strerror(-err));
			EXPECT_EQ(mt_effective(err ? from : to), info.memtype) TH_LOG("%s", name);
			EXPECT_EQ(0, touch(map, NPAGES, self->psz, true));
			EXPECT_EQ(-1, mtmap_check(map, 0, NPAGES, to + 10));
			EXPECT_EQ(NPAGES, check_invariant(_metadata, self, map, NPAGES,
							  info.memtype, info.populated, name));
			munmap(map, len);
			close(fd);
			check_nothing_owned(_metadata, name);
		}
	}
	mt_write_file(XA_CACHE_FAILSLAB, cachef);
	free(cachef);
	for (i = 5; i-- > 0;)
		if (storm[i].have)
			mt_write_file(storm[i].path, storm[i].saved);
	check_invariant(_metadata, self, NULL, 0, MTMAP_MEMTYPE_WB, 0, "xa nodes fail");
}

/*
 * The first write to a 2 MiB chunk of a WC buffer: folio allocation and
 * its 512-page conversion, falling back to 4 KiB pages on failure.
 */
TEST_F_TIMEOUT(fn, huge_first_touch_wc, FN_TIMEOUT)
{
	unsigned int type = MTMAP_MEMTYPE_WC, eff = mt_effective(type);
	struct sweep s = { .name = "huge first touch WC", .start = time(NULL) };
	size_t hpages = SZ_2M / self->psz;
	unsigned int n, pmds = 0;
	bool injected = true;

	if (!self->thp[0])
		SKIP(return, THP_ENABLED " missing: no THP");
	ASSERT_EQ(0, thp_set("always"));
	if (mtmap_probe_pmd(self->devfd, 0) != 1)
		SKIP(return, "this kernel maps no PMD for buffers with THP always");
	use_pools(_metadata, true);
	for (n = 1; injected && n <= MAX_STEPS; n++) {
		struct mtmap_info info;
		int fd, bus;
		char *map;

		fd = mtmap_create(self->devfd, SZ_2M, type, MTMAP_CREATE_HUGE, 0);
		ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
		map = mtmap_map(fd, SZ_2M, 0);
		ASSERT_NE(MAP_FAILED, map);
		ASSERT_EQ(0UL, (unsigned long)map % SZ_2M);

		ASSERT_EQ(0, nth_arm(self->nthfd, n));
		bus = touch(map, 1, self->psz, false);
		injected = nth_disarm(self->nthfd);
		s.steps += injected;
		if (bus) {
			s.sigbus++;
			EXPECT_TRUE(injected) TH_LOG("n=%u: SIGBUS uninjected", n);
		}
		ASSERT_EQ(0, mtmap_info(fd, &info));
		pmds += info.populated == hpages;
		EXPECT_EQ(0, touch(map, hpages, self->psz, false))
			TH_LOG("n=%u: SIGBUS after the injected failure", n);
		ASSERT_EQ(0, mtmap_info(fd, &info));
		EXPECT_EQ(eff, info.memtype);
		EXPECT_EQ((__u64)hpages, info.populated);
		EXPECT_EQ((long)hpages, check_invariant(_metadata, self, map, hpages,
							info.memtype, info.populated,
							s.name))
			TH_LOG("n=%u: not every page is mapped", n);
		munmap(map, SZ_2M);
		close(fd);
		check_nothing_owned(_metadata, s.name);
		if (_metadata->exit_code && _metadata->exit_code != KSFT_PASS) {
			TH_LOG("%s: stopped at n=%u", s.name, n);
			break;
		}
	}
	EXPECT_FALSE(injected);
	/* The last, uninjected step got its PMD. */
	EXPECT_LE(1U, pmds);
	check_invariant(_metadata, self, NULL, 0, MTMAP_MEMTYPE_WB, 0, s.name);
	sweep_report(&s);
}

/*
 * SET_MEMTYPE WB -> WC of a buffer of two 2 MiB folios. Every buffer is
 * kept until the end, so that each step gets folios the page allocator
 * did not just take back: their direct map is still one large entry per
 * folio, and the conversion must split both, the second split failing
 * at some n while the first folio's pages are already converted.
 */
#define HELD_MAX	128

TEST_F_TIMEOUT(fn, huge_set_memtype_wb_wc, FN_TIMEOUT)
{
	struct sweep s = { .name = "huge set_memtype WB->WC", .start = time(NULL) };
	size_t len = 2 * SZ_2M, hpages = len / self->psz;
	int held_fd[HELD_MAX];
	char *held_map[HELD_MAX];
	unsigned int n, k, nheld = 0;
	bool injected = true;

	if (!self->thp[0])
		SKIP(return, THP_ENABLED " missing: no THP");
	ASSERT_EQ(0, thp_set("always"));
	if (mtmap_probe_pmd(self->devfd, 0) != 1)
		SKIP(return, "this kernel maps no PMD for buffers with THP always");
	for (n = 1; injected && n <= HELD_MAX; n++) {
		struct mtmap_info info;
		int fd, err;
		char *map;

		fd = mtmap_create(self->devfd, len, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
		ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
		map = mtmap_map(fd, len, 0);
		ASSERT_NE(MAP_FAILED, map);
		held_fd[nheld] = fd;
		held_map[nheld++] = map;
		mtmap_fill(map, 0, hpages, n);
		if (n == 1)
			log_directmap_levels(_metadata, s.name);

		ASSERT_EQ(0, nth_arm(self->nthfd, n));
		err = mtmap_set_memtype(fd, MTMAP_MEMTYPE_WC);
		injected = nth_disarm(self->nthfd);
		s.steps += injected;
		ASSERT_EQ(0, mtmap_info(fd, &info));
		if (err) {
			s.errors++;
			EXPECT_TRUE(errno_documented(-err, set_errnos))
				TH_LOG("n=%u: SET_MEMTYPE: %s", n, strerror(-err));
			EXPECT_EQ(MTMAP_MEMTYPE_WB, info.memtype);
		}
		EXPECT_EQ(0, touch(map, hpages, self->psz, true));
		EXPECT_EQ(-1, mtmap_check(map, 0, hpages, n)) TH_LOG("n=%u: data lost", n);
		EXPECT_EQ((long)hpages, check_invariant(_metadata, self, map, hpages,
							info.memtype, info.populated,
							s.name))
			TH_LOG("n=%u", n);
		if (_metadata->exit_code && _metadata->exit_code != KSFT_PASS) {
			TH_LOG("%s: stopped at n=%u", s.name, n);
			break;
		}
	}
	EXPECT_FALSE(injected);
	for (k = 0; k < nheld; k++) {
		munmap(held_map[k], len);
		close(held_fd[k]);
	}
	check_nothing_owned(_metadata, s.name);
	check_invariant(_metadata, self, NULL, 0, MTMAP_MEMTYPE_WB, 0, s.name);
	sweep_report(&s);
}

TEST_HARNESS_MAIN
