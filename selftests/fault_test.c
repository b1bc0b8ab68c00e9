// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test: the fault path of buffer mappings (Documentation/mapping.rst).
 *
 *  - first write: one fault, PTE writable (and dirty); read then write:
 *    one fault; second write: none; for WB, WC and UC- buffers;
 *  - MTMAP_CREATE_PREFAULT: one fault maps N pages (ceil(pages/N) faults
 *    for a sequential pass), capped by the VMA and the buffer;
 *  - MTMAP_CREATE_DIRTY_TRACK and MTMAP_IOC_GET_DIRTY: read faults map
 *    read-only, the first write faults once more, reports are exact across
 *    re-arms and with concurrent writers;
 *  - MTMAP_CREATE_HUGE: 2 MiB aligned mmap, PMD mappings where the kernel
 *    calls ->huge_fault (probed per THP setting and hint), fallback to
 *    4 KiB (unaligned, small VMA, partial chunk, populated chunk, failed
 *    allocation), dirty tracking, munmap/mremap/mprotect/fork/threads;
 *  - ->access (/proc/pid/mem, ptrace) and ->name ("[mtmap]");
 *  - VMA semantics of VM_PFNMAP mappings: GUP fails, MADV_DONTNEED is
 *    EINVAL, partial munmap, mremap, mprotect, fork, two processes;
 *  - threads faulting the same and neighbouring pages (4 KiB and huge).
 *
 * Fault counts are getrusage() ru_minflt deltas around tight loops. Which
 * level a page is mapped at comes from the x86 page-table dump
 * (/sys/kernel/debug/page_tables/current_kernel, CONFIG_PTDUMP_DEBUGFS);
 * the *_ptdump tests SKIP where it is missing (Debian's 6.1), the others
 * check data and fault counts everywhere. THP settings are changed per
 * test and restored in the teardown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/loop.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mtmap_util.h"
#include "ptdump.h"

#define SZ_2M		(2UL << 20)
#define HPAGES		512UL		/* 4 KiB pages per 2 MiB */
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define FAIL_DIR	"/sys/kernel/debug/fail_page_alloc/"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static int create_ex(int devfd, __u64 size, __u32 memtype, __u32 flags,
		     __u32 prefault)
{
	struct mtmap_create c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.memtype = memtype;
	c.flags = flags;
	c.prefault = prefault;
	c.fd = -1;
	ret = mtmap_ioctl(devfd, MTMAP_IOC_CREATE, &c);
	return ret ? ret : c.fd;
}

static int get_dirty(int bufd, __u64 *bm, size_t words, __u64 *count)
{
	struct mtmap_get_dirty g;
	int ret;

	memset(&g, 0, sizeof(g));
	/* Poison: every word the kernel owes us must be written. */
	memset(bm, 0xa5, words * sizeof(*bm));
	g.bitmap = (uintptr_t)bm;
	g.bitmap_size = words * sizeof(*bm);
	g.dirty = ~0ULL;
	ret = mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g);
	if (count)
		*count = g.dirty;
	return ret;
}

/* Current THP mode ("always", "madvise", "never"), "" if unknown. */
static void thp_get(char *mode, size_t len)
{
	char *buf = NULL, *l, *r;

	mode[0] = '\0';
	if (mt_read_file(THP_ENABLED, &buf, NULL))
		return;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r)
		snprintf(mode, len, "%.*s", (int)(r - l - 1), l + 1);
	free(buf);
}

static int thp_set(const char *mode)
{
	return mt_write_file(THP_ENABLED, mode);
}

enum hint { HINT_NONE, HINT_HUGE, HINT_NOHUGE };

/*
 * Does this kernel map a PMD for a buffer under THP setting @thp (already
 * set by THP_MODE) and @hint? Probed on a scratch buffer: the kernel calls
 * ->huge_fault or not (6.1 never, 6.12.107 per THP setting, 6.12.117 and
 * 7.x also with THP "never"), and where it does, mtmap must map the PMD.
 * The answer is logged, so a kernel that changes its mind shows in the log.
 */
static bool expect_pmd_probe(struct __test_metadata *_metadata, int devfd,
			     const char *thp, enum hint hint)
{
	static const char * const names[] = { "none", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE" };
	int p = mtmap_probe_pmd(devfd, hint == HINT_HUGE ? MADV_HUGEPAGE :
				hint == HINT_NOHUGE ? MADV_NOHUGEPAGE : 0);

	EXPECT_LE(0, p) TH_LOG("PMD probe: %s", strerror(-p));
	ksft_print_msg("kernel asks for PMDs with THP %s, hint %s: %s\n", thp, names[hint],
		       p == 1 ? "yes" : "no");
	return p == 1;
}

#define EXPECT_PMD(thp, hint) expect_pmd_probe(_metadata, self->devfd, thp, hint)

/* madvise() exists (CONFIG_ADVISE_SYSCALLS; debug-6.12 lacks it). */
static bool have_madvise(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (p == MAP_FAILED)
		return true;
	ok = !(madvise(p, 4096, MADV_NORMAL) && errno == ENOSYS);
	munmap(p, 4096);
	return ok;
}

#define NEED_MADVISE() do {						\
	if (!have_madvise())						\
		SKIP(return, "madvise() is ENOSYS (kernel without CONFIG_ADVISE_SYSCALLS)"); \
} while (0)

static bool have_ptdump(void)
{
	return access(PTDUMP_PATH, R_OK) == 0;
}

/* write_pass() and read_pass() are in mtmap_util.h. */
#define WARM_UP() do {							\
	volatile __u64 __scratch[4] = { 0 };				\
	__u64 __sum;							\
	int __i;							\
									\
	for (__i = 0; __i < 2; __i++) {					\
		write_pass(__scratch, 1, 1, 0);				\
		read_pass(__scratch, 1, 1, &__sum);			\
		mtmap_populated(-1);					\
	}								\
} while (0)

/* Does a store to @p raise SIGSEGV? */
static sigjmp_buf segv_env;

static void segv_handler(int sig)
{
	(void)sig;
	siglongjmp(segv_env, 1);
}

static bool store_segv(volatile __u64 *p, __u64 v)
{
	struct sigaction sa, old;
	bool hit;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = segv_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_env, 1) == 0) {
		*p = v;
		hit = false;
	} else {
		hit = true;
	}
	sigaction(SIGSEGV, &old, NULL);
	return hit;
}

static bool load_segv(const volatile __u64 *p)
{
	struct sigaction sa, old;
	bool hit;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = segv_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_env, 1) == 0) {
		(void)*p;
		hit = false;
	} else {
		hit = true;
	}
	sigaction(SIGSEGV, &old, NULL);
	return hit;
}

/* A 2 MiB aligned address with @len free bytes after it (reserved). */
static unsigned long reserve_aligned(size_t len)
{
	void *r = mmap(NULL, len + SZ_2M, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	unsigned long a;

	if (r == MAP_FAILED)
		return 0;
	a = ((unsigned long)r + SZ_2M - 1) & ~(SZ_2M - 1);
	return a;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                            */
/* ------------------------------------------------------------------ */

#define FT_SETUP() do {							\
	self->psz = mtmap_page_size();					\
	self->wpp = WORDS_PER_PAGE(self->psz);				\
	self->thp_saved[0] = '\0';					\
	self->devfd = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);		\
	if (self->devfd < 0 && errno == ENOENT)				\
		SKIP(return, MTMAP_DEV " missing: mtmap module not loaded"); \
	if (self->devfd < 0 && (errno == EACCES || errno == EPERM))	\
		SKIP(return, "no permission to open " MTMAP_DEV);	\
	ASSERT_LE(0, self->devfd) TH_LOG("open %s: %s", MTMAP_DEV, strerror(errno)); \
} while (0)

#define FT_TEARDOWN() do {						\
	if (self->thp_saved[0])						\
		thp_set(self->thp_saved);				\
	if (self->devfd >= 0)						\
		close(self->devfd);					\
} while (0)

/* Switch THP to @mode for this test; the teardown restores it. */
#define THP_MODE(mode) do {						\
	if (!self->thp_saved[0])					\
		thp_get(self->thp_saved, sizeof(self->thp_saved));	\
	if (!self->thp_saved[0])					\
		SKIP(return, THP_ENABLED " missing: no THP");		\
	ASSERT_EQ(0, thp_set(mode)) TH_LOG("set THP %s", mode);		\
} while (0)

#define CREATE(size, memtype, flags, prefault) ({			\
	int __fd = create_ex(self->devfd, (size), (memtype), (flags), (prefault)); \
	ASSERT_LE(0, __fd) TH_LOG("create: %s", strerror(-__fd));	\
	__fd;								\
})

#define MAP(bufd, len, off) ({						\
	void *__m = mtmap_map((bufd), (len), (off_t)(off));		\
	ASSERT_NE(MAP_FAILED, __m) TH_LOG("mmap: %s", strerror(errno)); \
	__m;								\
})

#define PTDUMP_LOAD(d) do {						\
	int __e = ptdump_load(d);					\
	ASSERT_EQ(0, __e) TH_LOG("ptdump: %s", strerror(-__e));		\
} while (0)

/* The dump line covering @addr must be a present user entry at @level. */
#define EXPECT_MAPPED_AT(d, addr, lvl, want_rw) do {			\
	const struct pt_range *__r = ptdump_find((d), (unsigned long)(addr)); \
	ASSERT_NE(NULL, __r) TH_LOG("%#lx not in the dump", (unsigned long)(addr)); \
	EXPECT_TRUE(__r->present) TH_LOG("%#lx not present", (unsigned long)(addr)); \
	EXPECT_TRUE(__r->user) TH_LOG("%#lx not USR", (unsigned long)(addr)); \
	EXPECT_EQ((int)(lvl), (int)__r->level)				\
		TH_LOG("%#lx: level %d, want %d (3 pmd, 4 pte)",	\
		       (unsigned long)(addr), __r->level, (int)(lvl));	\
	EXPECT_EQ((int)(want_rw), (int)__r->rw)				\
		TH_LOG("%#lx: rw %d, want %d", (unsigned long)(addr),	\
		       __r->rw, (int)(want_rw));			\
} while (0)

#define EXPECT_NOT_PRESENT(d, addr) do {				\
	const struct pt_range *__r = ptdump_find((d), (unsigned long)(addr)); \
	EXPECT_TRUE(!__r || !__r->present)				\
		TH_LOG("%#lx still mapped", (unsigned long)(addr));	\
} while (0)

#define NEED_PTDUMP() do {						\
	if (!have_ptdump())						\
		SKIP(return, PTDUMP_PATH					\
		     " missing (no CONFIG_PTDUMP_DEBUGFS): level not checked"); \
} while (0)

FIXTURE(ft) {
	int devfd;
	size_t psz, wpp;
	char thp_saved[16];
};

FIXTURE_SETUP(ft) { FT_SETUP(); }
FIXTURE_TEARDOWN(ft) { FT_TEARDOWN(); }

/* ------------------------------------------------------------------ */
/* First write: one fault, writable and dirty (every memory type)    */
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

FIXTURE_SETUP(mt) { FT_SETUP(); }
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
	first = write_pass(m, NP, self->wpp, 0x100);
	second = write_pass(m, NP, self->wpp, 0x200);
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
	reads = read_pass(m, NP, self->wpp, &sum);
	writes = write_pass(m, NP, self->wpp, 0x300);
	again = write_pass(m, NP, self->wpp, 0x400);
	EXPECT_EQ(NP, reads);
	EXPECT_EQ(0, writes);
	EXPECT_EQ(0, again);
	EXPECT_EQ(0ULL, sum);
	EXPECT_EQ((__u64)NP, mtmap_populated(bufd));
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

FIXTURE_SETUP(pf) { FT_SETUP(); }
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
	first = write_pass(m, PF_PAGES, self->wpp, 0x10);
	second = write_pass(m, PF_PAGES, self->wpp, 0x20);
	EXPECT_EQ((long)((PF_PAGES + n - 1) / n), first);
	EXPECT_EQ(0, second);
	EXPECT_EQ((__u64)PF_PAGES, mtmap_populated(bufd));
	EXPECT_EQ(0ULL, m[3 * self->wpp + 1]);
	EXPECT_EQ(0x20ULL + 77, m[77 * self->wpp]);
	/* Reads of prefaulted pages do not fault either. */
	EXPECT_EQ(0, read_pass(m + 1, PF_PAGES, self->wpp, &sum));
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
	f = read_pass(m + start * self->wpp, 1, 0, &sum);
	EXPECT_EQ(1, f);
	EXPECT_EQ((__u64)(end - start), mtmap_populated(bufd));
	/* Inside the window: mapped, writable. */
	EXPECT_EQ(0, write_pass(m + start * self->wpp, end - start, self->wpp, 1));
	/* The pages before it were not mapped: windows from page 0 again. */
	EXPECT_EQ((long)((start + n - 1) / n), write_pass(m, start, self->wpp, 2));
	if (end < PF_PAGES)	/* the page after the window faults */
		EXPECT_EQ(1, write_pass(m + end * self->wpp, 1, 0, 3));
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
	EXPECT_EQ(1, read_pass(m, 1, 0, &sum));
	EXPECT_EQ((__u64)vma_pages, mtmap_populated(bufd));
	EXPECT_EQ(0, write_pass(m, vma_pages, self->wpp, 1));
	munmap(m, vma_pages * self->psz);
	close(bufd);

	/* A window running past the end of the buffer stops there. */
	bufd = CREATE(PF_PAGES * self->psz, variant->memtype,
		      MTMAP_CREATE_PREFAULT, variant->prefault);
	m = MAP(bufd, 8 * self->psz, (PF_PAGES - 8) * self->psz);
	expect = n < 8 - 2 ? n : 8 - 2;
	EXPECT_EQ(1, write_pass(m + 2 * self->wpp, 1, 0, 5));
	EXPECT_EQ((__u64)expect, mtmap_populated(bufd));
	EXPECT_EQ(0, write_pass(m + 2 * self->wpp, expect, self->wpp, 6));
	munmap(m, 8 * self->psz);
	close(bufd);
}

TEST_F(ft, prefault_create_limits)
{
	int fd;

	fd = create_ex(self->devfd, 16 * self->psz, 0, MTMAP_CREATE_PREFAULT,
		       MTMAP_PREFAULT_MAX + 1);
	EXPECT_EQ(-EINVAL, fd);
	fd = create_ex(self->devfd, 16 * self->psz, 0, 0, 8);
	EXPECT_EQ(-EINVAL, fd) TH_LOG("prefault count without the flag");
	fd = create_ex(self->devfd, 16 * self->psz, 0, MTMAP_CREATE_PREFAULT,
		       MTMAP_PREFAULT_MAX);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(16, MTMAP_PREFAULT_DEFAULT);
	EXPECT_EQ(512, MTMAP_PREFAULT_MAX);
}

/* ------------------------------------------------------------------ */
/* Dirty tracking                                                     */
/* ------------------------------------------------------------------ */

#define DP	256UL	/* pages of the dirty-tracking buffers */
#define DW	(DP / 64)

static bool bit(const __u64 *bm, size_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

TEST_F(ft, dirty_read_maps_readonly)
{
	long reads, writes, again;
	__u64 *m, sum, bm[DW], n;
	int bufd;
	size_t i;

	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	m = MAP(bufd, DP * self->psz, 0);
	WARM_UP();
	reads = read_pass(m, DP, self->wpp, &sum);
	/* Reading records nothing. */
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(0ULL, n);
	reads += read_pass(m, DP, self->wpp, &sum);	/* the report zapped */
	writes = write_pass(m, DP, self->wpp, 7);
	again = write_pass(m, DP, self->wpp, 8);
	EXPECT_EQ((long)(2 * DP), reads);
	EXPECT_EQ((long)DP, writes) TH_LOG("first write to a clean page faults once more");
	EXPECT_EQ(0, again);
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
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
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, NULL));
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
	read_pass(m, DP, self->wpp, &sum);
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

		EXPECT_EQ(want, bit(bm, i)) TH_LOG("page %zu", i);
		k += want;
	}
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, bm[DW]) TH_LOG("wrote past the bitmap");
	/* Re-armed: nothing new, and every page faults again, read or write. */
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(0ULL, n);
	for (i = 0; i < DW; i++)
		EXPECT_EQ(0ULL, bm[i]);
	EXPECT_EQ((long)DP, read_pass(m, DP, self->wpp, &sum));
	EXPECT_EQ(1, write_pass(m + 17 * self->wpp, 1, 0, 1));
	EXPECT_EQ(1, write_pass(m2 + 17 * self->wpp, 1, 0, 1));
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(2ULL, n);
	EXPECT_TRUE(bit(bm, 17));
	EXPECT_TRUE(bit(bm, 128 + 17));
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
	EXPECT_EQ(-EINVAL, get_dirty(plain, bm, DW, NULL)) TH_LOG("buffer not tracking");
	close(plain);
	bufd = CREATE(DP * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_DIRTY_TRACK, 0);
	EXPECT_EQ(-EINVAL, get_dirty(bufd, bm, DW - 1, NULL)) TH_LOG("bitmap too small");
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
		ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
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
		ASSERT_EQ(0, get_dirty(bufd, &reports[k], 1, &n));
		EXPECT_EQ((__u64)__builtin_popcountll(reports[k]), n);
		__atomic_add_fetch(&s.completed, 1, __ATOMIC_SEQ_CST);
		usleep(100 + (i % 7) * 150);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < DC_WRITERS; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
	/* A final report covers whatever the last one did not. */
	k = __atomic_add_fetch(&s.started, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, get_dirty(bufd, &reports[k], 1, &n));
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
	f = write_pass(m, 16, self->wpp, 1);
	/* 1 fault maps 16 pages (only the faulting one writable), then 15 mkwrite. */
	EXPECT_EQ(16, f);
	EXPECT_EQ(16ULL, mtmap_populated(bufd));
	f = read_pass(m + 16 * self->wpp, 16, self->wpp, &sum);
	EXPECT_EQ(1, f);
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
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
	ASSERT_EQ(0, get_dirty(bufd, bm, DW, &n));
	EXPECT_EQ(1ULL, n);
	EXPECT_TRUE(bit(bm, 70));
	EXPECT_EQ(v, m[70 * self->wpp]);
	munmap(m, DP * self->psz);
	close(bufd);
}

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

FIXTURE_SETUP(huge) { FT_SETUP(); }
FIXTURE_TEARDOWN(huge) { FT_TEARDOWN(); }

#define HUGE_LEN	(2 * SZ_2M)

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
	f1 = write_pass(m, 1, 0, 0x55);
	/* The probe saw what this mapping sees. */
	EXPECT_EQ(pmd, mtmap_huge_fault_calls() > h0);
	EXPECT_EQ(pmd ? HPAGES : 1ULL, mtmap_populated(bufd));
	f2 = write_pass(m, HPAGES, self->wpp, 0x66);
	EXPECT_EQ(1, f1);
	EXPECT_EQ(pmd ? 0L : (long)HPAGES - 1, f2)
		TH_LOG("the kernel %s a PMD (THP %s), the mapping has %s", pmd ? "asked for" :
		       "did not ask for", variant->thp, pmd ? "none" : "one");
	EXPECT_EQ(HPAGES, mtmap_populated(bufd));

	r = read_pass(c1, HPAGES, self->wpp, &sum);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, r);
	EXPECT_EQ(0ULL, sum);
	EXPECT_EQ(-1, mtmap_first_nonzero(c1, SZ_2M)) TH_LOG("chunk 1 not zeroed");
	w = write_pass(c1, HPAGES, self->wpp, 0x77);
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
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, write_pass(c1, HPAGES, self->wpp, 1));
	EXPECT_EQ(HPAGES, mtmap_populated(bufd));
	/* Buffer pages 1..511: their chunk is not fully mapped, so 4 KiB. */
	EXPECT_EQ((long)HPAGES - 1, write_pass(m, HPAGES - 1, self->wpp, 2));
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
	EXPECT_EQ((long)(2 * HPAGES), write_pass(m, 2 * HPAGES, self->wpp, 3));
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
	EXPECT_EQ((long)small, write_pass(m, small, self->wpp, 1));
	EXPECT_EQ((__u64)small, mtmap_populated(bufd));
	munmap(m, small * self->psz);
	close(bufd);

	bufd = CREATE(SZ_2M + part * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	m = MAP(bufd, SZ_2M + part * self->psz, 0);
	EXPECT_EQ(0UL, (unsigned long)m % SZ_2M);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, write_pass(m, HPAGES, self->wpp, 2));
	EXPECT_EQ((long)part, write_pass(m + HPAGES * self->wpp, part, self->wpp, 3));
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
	EXPECT_EQ((long)HPAGES, write_pass(m + 1, HPAGES, self->wpp, 1));
	EXPECT_EQ(HPAGES, mtmap_populated(bufd)) TH_LOG("page 3 allocated twice?");
	EXPECT_EQ(0xabcULL, m[3 * self->wpp]);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES,
		  write_pass(m + HPAGES * self->wpp, HPAGES, self->wpp, 2));
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
	EXPECT_EQ(1, write_pass(m, 1, 0, 1));
	mt_write_file("/proc/self/make-it-fail", "0");
	for (i = 7; i >= 0; i--)
		fail_write(attrs[i], saved[i]);
	EXPECT_EQ(1ULL, mtmap_populated(bufd)) TH_LOG("no 4 KiB fallback");
	/* Chunk 0 stays 4 KiB (its PMD now holds a page table)... */
	EXPECT_EQ((long)HPAGES - 1, write_pass(m + self->wpp, HPAGES - 1, self->wpp, 2));
	/* ...chunk 1, allocated without injection, is one PMD. */
	EXPECT_EQ(1L, write_pass(m + HPAGES * self->wpp, HPAGES, self->wpp, 3));
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
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, read_pass(m, HPAGES, self->wpp, &sum));
	if (have_ptdump()) {
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, m, pmd ? PT_PMD : PT_PTE, 0);
		ptdump_free(&d);
	}
	ASSERT_EQ(0, get_dirty(bufd, bm, 2 * HPAGES / 64, &n));
	EXPECT_EQ(0ULL, n);
	EXPECT_EQ(pmd ? 1L : (long)HPAGES, read_pass(m, HPAGES, self->wpp, &sum));
	/* One write: a PMD's chunk is recorded whole, a PTE's page alone. */
	EXPECT_EQ(1L, write_pass(m + 10 * self->wpp, 1, 0, 1));
	EXPECT_EQ(pmd ? 0L : (long)HPAGES - 1, write_pass(m, HPAGES, self->wpp, 1))
		TH_LOG("after the first write");
	if (have_ptdump()) {
		PTDUMP_LOAD(&d);
		EXPECT_MAPPED_AT(&d, m, pmd ? PT_PMD : PT_PTE, 1);
		ptdump_free(&d);
	}
	ASSERT_EQ(0, get_dirty(bufd, bm, 2 * HPAGES / 64, &n));
	EXPECT_EQ(HPAGES, n);
	for (i = 0; i < HPAGES / 64; i++)
		EXPECT_EQ(~0ULL, bm[i]);
	for (i = HPAGES / 64; i < 2 * HPAGES / 64; i++)
		EXPECT_EQ(0ULL, bm[i]);
	/* Write-only on the untouched chunk 1: one fault with a PMD. */
	EXPECT_EQ(1L, write_pass(m + (HPAGES + 3) * self->wpp, 1, 0, 1));
	ASSERT_EQ(0, get_dirty(bufd, bm, 2 * HPAGES / 64, &n));
	EXPECT_EQ(pmd ? HPAGES : 1ULL, n);
	EXPECT_TRUE(bit(bm, HPAGES + 3));
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
	EXPECT_GE(2L, write_pass(m, 2 * HPAGES, self->wpp, 1))
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

/* ------------------------------------------------------------------ */
/* ->access and ->name                                                */
/* ------------------------------------------------------------------ */

TEST_F(ft, name_in_maps)
{
	char *maps = NULL, want[64];
	void *m;
	int bufd;

	bufd = CREATE(4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 4 * self->psz, 0);
	ASSERT_EQ(0, mt_read_file("/proc/self/maps", &maps, NULL));
	snprintf(want, sizeof(want), "%lx-%lx ", (unsigned long)m,
		 (unsigned long)m + 4 * self->psz);
	{
		char *line = strstr(maps, want), *eol;

		ASSERT_NE(NULL, line) TH_LOG("mapping %s not in maps", want);
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		TH_LOG("%s", line);
		EXPECT_NE(NULL, strstr(line, " rw-s "));
		EXPECT_NE(NULL, strstr(line, "[mtmap]"));
	}
	free(maps);
	munmap(m, 4 * self->psz);
	close(bufd);
}

TEST_F(ft, proc_mem_access)
{
	__u64 v = 0x1122334455667788ULL, r = ~0ULL;
	__u64 *m, *ro;
	int bufd, fd;

	bufd = CREATE(8 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	m = MAP(bufd, 8 * self->psz, 0);
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* Reading an untouched page allocates it, zeroed. */
	EXPECT_EQ((ssize_t)sizeof(r),
		  pread(fd, &r, sizeof(r), (off_t)(uintptr_t)(m + 2 * self->wpp)));
	EXPECT_EQ(0ULL, r);
	EXPECT_EQ(1ULL, mtmap_populated(bufd));
	EXPECT_EQ((ssize_t)sizeof(v),
		  pwrite(fd, &v, sizeof(v), (off_t)(uintptr_t)(m + 3 * self->wpp + 1)));
	EXPECT_EQ(v, m[3 * self->wpp + 1]);
	m[4 * self->wpp] = v + 1;
	EXPECT_EQ((ssize_t)sizeof(r),
		  pread(fd, &r, sizeof(r), (off_t)(uintptr_t)(m + 4 * self->wpp)));
	EXPECT_EQ(v + 1, r);
	/* Across a page boundary. */
	{
		off_t at = (off_t)(uintptr_t)((char *)m + 6 * self->psz - 32);
		char buf[64], in[64];

		memset(in, 0x3c, sizeof(in));
		EXPECT_EQ((ssize_t)sizeof(in), pwrite(fd, in, sizeof(in), at));
		EXPECT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), at));
		EXPECT_EQ(0, memcmp(buf, in, sizeof(in)));
	}
	/* A read-only shared mapping: even /proc/pid/mem may not write. */
	ro = mmap(NULL, 8 * self->psz, PROT_READ, MAP_SHARED, bufd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, pwrite(fd, &v, sizeof(v), (off_t)(uintptr_t)(ro + 7 * self->wpp)));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ((ssize_t)sizeof(r),
		  pread(fd, &r, sizeof(r), (off_t)(uintptr_t)(ro + 4 * self->wpp)));
	EXPECT_EQ(v + 1, r);
	close(fd);
	munmap(ro, 8 * self->psz);
	munmap(m, 8 * self->psz);
	close(bufd);
}

/* What gdb does: PTRACE_PEEKDATA / PTRACE_POKEDATA into a stopped child. */
TEST_F(ft, ptrace_peek_poke)
{
	__u64 *m, *ro;
	long word;
	int bufd, status;
	pid_t pid;

	bufd = CREATE(8 * self->psz, MTMAP_MEMTYPE_UC_MINUS, 0, 0);
	m = MAP(bufd, 8 * self->psz, 0);
	ro = mmap(NULL, 8 * self->psz, PROT_READ, MAP_SHARED, bufd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	m[1] = 0xfeedULL;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, m + 1, 0);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0xfeedL, word);
	/* An untouched page reads as zero. */
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, m + 5 * self->wpp, 0);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0L, word);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, m + 6 * self->wpp + 2, (void *)0x5a5aL));
	EXPECT_EQ(0x5a5aULL, m[6 * self->wpp + 2]);	/* shared with the parent */
	/* The child's read-only mapping: POKE fails, PEEK works. */
	EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, pid, ro + 3, (void *)1L));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, ro + 6 * self->wpp + 2, 0);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0x5a5aL, word);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_EQ(0ULL, m[3]);
	munmap(ro, 8 * self->psz);
	munmap(m, 8 * self->psz);
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* VMA semantics of VM_PFNMAP mappings                                */
/* ------------------------------------------------------------------ */

/* No struct page behind the PTEs: every GUP user fails with EFAULT. */
TEST_F(ft, gup_fails)
{
	char local[64];
	struct iovec liov = { local, sizeof(local) }, riov;
	struct timespec ts = { 0, 1000000 };
	int bufd, pfd[2];
	__u64 *m;
	long ret;

	bufd = CREATE(4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 4 * self->psz, 0);
	mtmap_fill(m, 0, 4, 61);
	riov.iov_base = m;
	riov.iov_len = sizeof(local);

	/* vmsplice() pins the user pages. */
	ASSERT_EQ(0, pipe(pfd));
	ret = vmsplice(pfd[1], &riov, 1, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, errno);
	close(pfd[0]);
	close(pfd[1]);
	/* process_vm_readv() GUPs the remote side (here: ourselves). */
	ret = process_vm_readv(getpid(), &liov, 1, &riov, 1, 0);
	if (ret == -1 && errno == ENOSYS) {
		TH_LOG("process_vm_readv: ENOSYS (no CONFIG_CROSS_MEMORY_ATTACH), not checked");
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EFAULT, errno);
		ret = process_vm_writev(getpid(), &liov, 1, &riov, 1, 0);
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EFAULT, errno);
	}
	/* A shared futex needs the page (GUP); a private one does not. */
	ret = syscall(SYS_futex, (uint32_t *)m, FUTEX_WAIT, *(uint32_t *)m, &ts, NULL, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, errno);
	ret = syscall(SYS_futex, (uint32_t *)m, FUTEX_WAIT_PRIVATE, *(uint32_t *)m, &ts, NULL, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ETIMEDOUT, errno);
	/* Data untouched. */
	EXPECT_EQ(-1, mtmap_check(m, 0, 4, 61));
	munmap(m, 4 * self->psz);
	close(bufd);
}

/*
 * O_DIRECT into a buffer: the block layer pins the user pages, which fails.
 * Needs a block device (a loop device on a tmpfs file): tmpfs itself
 * accepts O_DIRECT without pinning anything.
 */
TEST_F(ft, gup_fails_o_direct)
{
	char path[] = "/tmp/mtmap-odirect-XXXXXX", dev[32];
	int ctl, nr, lfd, ffd, dfd, bufd;
	void *m, *anon;
	ssize_t n;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		SKIP(return, "/dev/loop-control missing (no loop driver): no block device for O_DIRECT");
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	ASSERT_LE(0, nr);
	close(ctl);
	ffd = mkstemp(path);
	ASSERT_LE(0, ffd);
	unlink(path);
	ASSERT_EQ(0, ftruncate(ffd, 1 << 20));
	snprintf(dev, sizeof(dev), "/dev/loop%d", nr);
	lfd = open(dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, ioctl(lfd, LOOP_SET_FD, ffd));
	dfd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	/* Sanity: O_DIRECT into anonymous memory works. */
	anon = mmap(NULL, 16 * self->psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_EQ((ssize_t)(16 * self->psz), pread(dfd, anon, 16 * self->psz, 0));
	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 16 * self->psz, 0);
	mtmap_fill(m, 0, 16, 62);
	n = pread(dfd, m, 16 * self->psz, 0);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, mtmap_check(m, 0, 16, 62));
	close(dfd);
	ioctl(lfd, LOOP_CLR_FD, 0);
	close(lfd);
	close(ffd);
	munmap(anon, 16 * self->psz);
	munmap(m, 16 * self->psz);
	close(bufd);
}

/* The kernel refuses MADV_DONTNEED for VM_PFNMAP: EINVAL, data untouched. */
TEST_F(ft, madvise_dontneed_einval)
{
	__u64 *m;
	int bufd;

	NEED_MADVISE();
	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 16 * self->psz, 0);
	mtmap_fill(m, 0, 16, 71);
	EXPECT_EQ(-1, madvise(m, 16 * self->psz, MADV_DONTNEED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, madvise(m + 4 * self->wpp, self->psz, MADV_DONTNEED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mtmap_check(m, 0, 16, 71)) TH_LOG("data changed by the refused madvise");
	/* Still mapped: no refault. */
	WARM_UP();
	EXPECT_EQ(0, write_pass(m + 1, 16, self->wpp, 5));
	EXPECT_EQ(16ULL, mtmap_populated(bufd));
	munmap(m, 16 * self->psz);
	close(bufd);
}

TEST_F(ft, partial_munmap)
{
	char *c;
	void *again;
	__u64 *m;
	int bufd;

	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 16 * self->psz, 0);
	c = (char *)m;
	mtmap_fill(m, 0, 16, 81);
	ASSERT_EQ(0, munmap(c + 4 * self->psz, 4 * self->psz));
	EXPECT_TRUE(load_segv((__u64 *)(c + 5 * self->psz)));
	EXPECT_EQ(-1, mtmap_check(c, 0, 4, 81));
	EXPECT_EQ(-1, mtmap_check(c + 8 * self->psz, 8, 8, 81));
	WARM_UP();
	{
		__u64 sum;

		EXPECT_EQ(0, read_pass((__u64 *)(c + 8 * self->psz), 8, self->wpp, &sum));
	}
	/* Unmapping the head keeps the tail, and the pages stay in the buffer. */
	ASSERT_EQ(0, munmap(c, 4 * self->psz));
	EXPECT_EQ(-1, mtmap_check(c + 8 * self->psz, 8, 8, 81));
	again = MAP(bufd, 4 * self->psz, 4 * self->psz);
	EXPECT_EQ(-1, mtmap_check(again, 4, 4, 81));
	EXPECT_EQ(16ULL, mtmap_populated(bufd));
	munmap(again, 4 * self->psz);
	munmap(c + 8 * self->psz, 8 * self->psz);
	close(bufd);
}

TEST_F(ft, mremap_semantics)
{
	unsigned long dst;
	void *m, *r;
	int bufd;

	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 8 * self->psz, 0);
	mtmap_fill(m, 0, 8, 91);
	/* Growth: EFAULT, in place or moving, the mapping unchanged. */
	EXPECT_EQ(MAP_FAILED, mremap(m, 8 * self->psz, 16 * self->psz, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(MAP_FAILED, mremap(m, 8 * self->psz, 16 * self->psz, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, mtmap_check(m, 0, 8, 91));
	/* Shrink. */
	r = mremap(m, 8 * self->psz, 6 * self->psz, 0);
	ASSERT_EQ(m, r);
	EXPECT_EQ(-1, mtmap_check(m, 0, 6, 91));
	EXPECT_TRUE(load_segv((__u64 *)((char *)m + 7 * self->psz)));
	/* Move: data intact, the PTEs move along (no refault). */
	dst = reserve_aligned(SZ_2M);
	ASSERT_NE(0UL, dst);
	r = mremap(m, 6 * self->psz, 6 * self->psz, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)(dst + 3 * self->psz));
	ASSERT_EQ((void *)(dst + 3 * self->psz), r) TH_LOG("mremap: %s", strerror(errno));
	WARM_UP();
	{
		__u64 sum;
		long f = read_pass(r, 6, self->wpp, &sum);

		TH_LOG("reads after the move: %ld faults for 6 pages", f);
		EXPECT_GE(6L, f);
	}
	EXPECT_EQ(-1, mtmap_check(r, 0, 6, 91));
	EXPECT_TRUE(load_segv(m));
	mtmap_fill(r, 0, 6, 92);
	EXPECT_EQ(-1, mtmap_check(r, 0, 6, 92));
	EXPECT_EQ(8ULL, mtmap_populated(bufd));
	munmap(r, 6 * self->psz);
	close(bufd);
}

TEST_F(ft, mprotect_semantics)
{
	__u64 *m;
	long f;
	int bufd;

	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	m = MAP(bufd, 16 * self->psz, 0);
	mtmap_fill(m, 0, 16, 101);
	ASSERT_EQ(0, mprotect(m, 16 * self->psz, PROT_READ));
	EXPECT_TRUE(store_segv(m + 3 * self->wpp, 1));
	EXPECT_FALSE(load_segv(m + 3 * self->wpp));
	EXPECT_EQ(-1, mtmap_check(m, 0, 16, 101));
	ASSERT_EQ(0, mprotect(m, 16 * self->psz, PROT_NONE));
	EXPECT_TRUE(load_segv(m));
	ASSERT_EQ(0, mprotect(m, 16 * self->psz, PROT_READ | PROT_WRITE));
	WARM_UP();
	f = write_pass(m + 1, 16, self->wpp, 1);
	EXPECT_GE(16L, f) TH_LOG("at most one fault per page after mprotect RW");
	TH_LOG("write after mprotect(RW): %ld faults for 16 pages", f);
	EXPECT_EQ(0, write_pass(m + 1, 16, self->wpp, 2));
	EXPECT_EQ(mtmap_pattern(0, 0, 101), m[0]);
	EXPECT_EQ(2ULL + 15, m[15 * self->wpp + 1]);
	munmap(m, 16 * self->psz);
	close(bufd);
}

/* fork: the child shares the pages; writes visible both ways. */
TEST_F(ft, fork_shares_both_ways)
{
	int bufd, status, p2c[2], c2p[2];
	char tok;
	void *m;
	pid_t pid;

	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	m = MAP(bufd, 16 * self->psz, 0);
	mtmap_fill(m, 0, 8, 111);		/* pages 8..15 untouched */
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (mtmap_check(m, 0, 8, 111) != -1)
			_exit(1);
		mtmap_fill((char *)m + 8 * self->psz, 8, 8, 112);	/* child allocates */
		if (write(c2p[1], "x", 1) != 1 || read(p2c[0], &tok, 1) != 1)
			_exit(2);
		if (mtmap_check(m, 0, 8, 113) != -1)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(1, read(c2p[0], &tok, 1));
	EXPECT_EQ(-1, mtmap_check((char *)m + 8 * self->psz, 8, 8, 112));
	mtmap_fill(m, 0, 8, 113);
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(16ULL, mtmap_populated(bufd));
	munmap(m, 16 * self->psz);
	close(bufd);
}

/* Two processes with mmaps of their own, and two mmaps in one process. */
TEST_F(ft, two_processes_two_mmaps)
{
	int bufd, status, sv[2];
	void *a, *b;
	pid_t pid;
	char tok;

	bufd = CREATE(16 * self->psz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_PREFAULT, 4);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		void *cm = mtmap_map(bufd, 16 * self->psz, 0);

		if (cm == MAP_FAILED)
			_exit(1);
		mtmap_fill(cm, 0, 16, 121);
		if (write(sv[1], "x", 1) != 1 || read(sv[1], &tok, 1) != 1)
			_exit(2);
		if (mtmap_check(cm, 0, 16, 122) != -1)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(1, read(sv[0], &tok, 1));
	a = MAP(bufd, 16 * self->psz, 0);
	b = MAP(bufd, 8 * self->psz, 8 * self->psz);
	EXPECT_EQ(-1, mtmap_check(a, 0, 16, 121));
	EXPECT_EQ(-1, mtmap_check(b, 8, 8, 121));
	mtmap_fill(a, 0, 8, 122);
	mtmap_fill(b, 8, 8, 122);
	EXPECT_EQ(-1, mtmap_check(a, 0, 16, 122));
	ASSERT_EQ(1, write(sv[0], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(16ULL, mtmap_populated(bufd));
	munmap(b, 8 * self->psz);
	munmap(a, 16 * self->psz);
	close(bufd);
}

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
		bufd = CREATE(n * self->psz, round == 1 ? MTMAP_MEMTYPE_WC : MTMAP_MEMTYPE_WB,
			      variant->flags, variant->prefault);
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
		bufd = CREATE(HUGE_LEN, round == 3 ? MTMAP_MEMTYPE_UC_MINUS : MTMAP_MEMTYPE_WB,
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
