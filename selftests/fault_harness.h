/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixture and assertion macros shared by the fault-path programs
 * (Documentation/mapping.rst): fault_test, dirty_test, huge_test, vma_test
 * and conc_test. Each defines its fixtures with the same members
 *
 *	int devfd;
 *	size_t psz, wpp;
 *	char thp_saved[16];
 *
 * and FT_SETUP() / FT_TEARDOWN() as their setup and teardown.
 *
 * Fault counts are getrusage() ru_minflt deltas around write_pass() and
 * read_pass() (mtmap_util.c), after WARM_UP(). ru_minflt does not count
 * a fault whose handler returned VM_FAULT_RETRY (nor the retry's first
 * attempt), so WRITE_PASS() / READ_PASS() also read the module's count of
 * fault-handler calls (debugfs "faults", handler_calls) around the pass
 * and expect the two to agree: a retried fault shows as more calls. Which level a page is
 * mapped at comes from the x86 page-table dump (ptdump.c); the *_ptdump
 * tests SKIP where it is missing (Debian's 6.1), the others check data and
 * fault counts everywhere. THP settings are changed per test (THP_MODE())
 * and restored in the teardown.
 */
#ifndef MTMAP_FAULT_HARNESS_H
#define MTMAP_FAULT_HARNESS_H

#include "mtmap_harness.h"
#include "ptdump.h"

#define HPAGES		512UL		/* 4 KiB pages per 2 MiB */
#define HUGE_LEN	(2 * SZ_2M)	/* two chunks */

enum hint { HINT_NONE, HINT_HUGE, HINT_NOHUGE };

/*
 * Does this kernel map a PMD for a buffer under THP setting @_thp (already
 * set by THP_MODE) and @_hint? Probed on a scratch buffer: the kernel calls
 * ->huge_fault or not (6.1 never, 6.12.107 per THP setting, 6.12.117 and
 * 7.x also with THP "never"), and where it does, mtmap must map the PMD.
 * The answer is logged, so a kernel that changes its mind shows in the log.
 */
#define EXPECT_PMD(_thp, _hint) ({					\
	static const char * const __names[] = {				\
		"none", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE"		\
	};								\
	enum hint __h = (_hint);					\
	int __p = mtmap_probe_pmd(self->devfd, __h == HINT_HUGE ? MADV_HUGEPAGE : \
				  __h == HINT_NOHUGE ? MADV_NOHUGEPAGE : 0); \
									\
	EXPECT_LE(0, __p) TH_LOG("PMD probe: %s", strerror(-__p));	\
	ksft_print_msg("kernel asks for PMDs with THP %s, hint %s: %s\n", (_thp), \
		       __names[__h], __p == 1 ? "yes" : "no");		\
	__p == 1;							\
})

/*
 * Fault-handler calls of mtmap since load (->fault, ->pfn_mkwrite, and
 * ->huge_fault calls that did not fall back), or -1 where debugfs does not
 * say (not mounted, not root).
 */
static inline long ft_handler_calls(void)
{
	FILE *f = fopen(MTMAP_FAULTS_DEBUGFS, "r");
	char line[64];
	long n, ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "handler_calls %ld", &n) == 1)
			ret = n;
	fclose(f);
	return ret;
}

/*
 * @_pass (write_pass() or read_pass() and its arguments) with a second
 * witness: each of its getrusage() faults must be exactly one call of
 * mtmap's fault handlers. Evaluates to the getrusage() count.
 */
#define HANDLED_PASS(_pass) ({						\
	long __h0 = ft_handler_calls(), __f, __h1;			\
									\
	__f = (_pass);							\
	__h1 = ft_handler_calls();					\
	if (__h0 >= 0 && __h1 >= 0)					\
		EXPECT_EQ(__f, __h1 - __h0)				\
			TH_LOG("%s: %ld faults (getrusage) but %ld fault-handler calls: a retried fault?", \
			       #_pass, __f, __h1 - __h0);		\
	__f;								\
})
#define WRITE_PASS(...) HANDLED_PASS(write_pass(__VA_ARGS__))
#define READ_PASS(...) HANDLED_PASS(read_pass(__VA_ARGS__))

#define NEED_MADVISE() do {						\
	if (!have_madvise())						\
		SKIP(return, "madvise() is ENOSYS (kernel without CONFIG_ADVISE_SYSCALLS)"); \
} while (0)

/*
 * Fault in everything the passes touch besides the buffer: their text,
 * getrusage(), the INFO ioctl path and the stack frame (written, as the
 * test runs in a forked child where the stack is copy-on-write). A macro
 * so that it runs in the test body itself and the warm-up frames sit
 * exactly where the measured ones will.
 */
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

#define FT_SETUP() do {							\
	self->psz = mtmap_page_size();					\
	self->wpp = WORDS_PER_PAGE(self->psz);				\
	self->thp_saved[0] = '\0';					\
	MTMAP_OPEN_OR_SKIP(self->devfd);				\
} while (0)

#define FT_TEARDOWN() do {						\
	if (self->thp_saved[0])						\
		thp_set(self->thp_saved);				\
	if (self->devfd >= 0)						\
		close(self->devfd);					\
} while (0)

/* The plain fixture of the fault-path programs: "ft", nothing but the above. */
#define FT_FIXTURE()							\
	FIXTURE(ft) {							\
		int devfd;						\
		size_t psz, wpp;					\
		char thp_saved[16];					\
	};								\
	FIXTURE_SETUP(ft) { FT_SETUP(); }				\
	FIXTURE_TEARDOWN(ft) { FT_TEARDOWN(); }

/* Switch THP to @mode for this test; the teardown restores it. */
#define THP_MODE(mode) do {						\
	if (!self->thp_saved[0])					\
		thp_get(self->thp_saved, sizeof(self->thp_saved));	\
	if (!self->thp_saved[0])					\
		SKIP(return, THP_ENABLED " missing: no THP");		\
	ASSERT_EQ(0, thp_set(mode)) TH_LOG("set THP %s", mode);		\
} while (0)

#define CREATE(size, memtype, flags, prefault) ({			\
	int __fd = mtmap_create(self->devfd, (size), (memtype), (flags), (prefault)); \
	ASSERT_LE(0, __fd) TH_LOG("create: %s", strerror(-__fd));	\
	__fd;								\
})

#define MAP(bufd, len, off) ({						\
	void *__m = mtmap_map((bufd), (len), (off_t)(off));		\
	ASSERT_NE(MAP_FAILED, __m) TH_LOG("mmap: %s", strerror(errno));	\
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

/*
 * Only the dump is needed here (levels and permissions of user PTEs), not
 * nokaslr as for memtype_test's direct-map checks.
 */
#define NEED_PTDUMP() do {						\
	if (!have_ptdump())						\
		SKIP(return, PTDUMP_PATH				\
		     " missing (no CONFIG_PTDUMP_DEBUGFS): level not checked"); \
} while (0)

#endif /* MTMAP_FAULT_HARNESS_H */
