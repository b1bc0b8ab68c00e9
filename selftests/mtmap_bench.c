// SPDX-License-Identifier: GPL-2.0
/*
 * mtmap_bench: first-touch write throughput and faults per MiB.
 *
 * Each run maps a fresh region and writes every byte of it once (memset,
 * page by page), so the time is the fault path (allocation, zeroing, PTE
 * or PMD insertion) plus the stores. Setup (create, mmap) and teardown
 * (munmap, free) are outside the timed part. Faults are ru_minflt deltas.
 *
 * Cases:
 *   anon-4k      anonymous private memory, 4 KiB pages
 *   anon-thp     anonymous private memory, 2 MiB aligned, THP
 *   memfd        memfd (shmem), MAP_SHARED, 4 KiB pages
 *   mtmap-4k-*   mtmap buffer, no flags                   x {wb, wc, uc-}
 *   mtmap-pf16-* MTMAP_CREATE_PREFAULT, prefault 16       x {wb, wc, uc-}
 *   mtmap-2m-*   MTMAP_CREATE_HUGE                        x {wb, wc, uc-}
 *
 * THP is switched per case (and restored at exit): "always" for anon-thp
 * and mtmap-2m-*, "never" for the others, so the 4 KiB cases pay for no
 * huge-page attempt. Not madvise(): some test kernels are built without
 * it (CONFIG_ADVISE_SYSCALLS=n); MADV_HUGEPAGE/NOHUGEPAGE are still
 * issued, best effort. Runs are interleaved (run r of every case, then
 * run r + 1) so that drift hits all cases alike, and each round starts
 * one case later than the one before, so that no case always follows the
 * same one. After each teardown the program sleeps SETTLE_MS, so that
 * deferred work of a teardown (RCU callbacks, KASAN quarantine, freed
 * page tables) runs before the next timed part rather than inside it.
 *
 * The throughput targets (WB vs anonymous) are measured apart from the
 * table, in back-to-back pairs of short passes (-p pairs, -l MiB per 4 KiB
 * pass), each with an A/A control that measures the method's own noise:
 * see run_pairs().
 *
 * Output: a table (median [min, max] over the runs), target checks, and a
 * CSV block between "MTMAP-BENCH-CSV-BEGIN" and "MTMAP-BENCH-CSV-END"
 * (scripts/bench.sh extracts it and plots it).
 *
 * Usage: mtmap_bench [-s MiB] [-r runs] [-c case,...] [-p pairs] [-l MiB] [-n] [-v]
 * (defaults: 8 MiB, 11 runs, every case, 512 pairs of 1 MiB passes for the
 * 4 KiB target and of 4 MiB for the 2 MiB one; -n skips the A/A controls,
 * -v prints every run and pair). With -c only the named cases run
 * (for profiling one path, scripts/profile.sh); the targets are checked
 * only when every case they compare ran.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "mtmap_util.h"

#define MAX_RUNS	51
#define MAX_SAMPLES	512	/* runs of a case, or pairs (-p) */
#define SETTLE_MS	30

enum kind { K_ANON, K_THP, K_MEMFD, K_MTMAP };

struct bcase {
	const char *name;
	enum kind kind;
	__u32 memtype, flags, prefault;
	double mibps[MAX_RUNS], fpm[MAX_RUNS];	/* MiB/s, faults per MiB */
	int n;
	bool failed, skip;
};

/* An mtmap case: memory type suffix, create flags, prefault count. */
#define MT_CASE(n, t, f, pf) \
	{ .name = n, .kind = K_MTMAP, .memtype = MTMAP_MEMTYPE_##t, .flags = f, .prefault = pf }

static struct bcase cases[] = {
	{ .name = "anon-4k", .kind = K_ANON },
	{ .name = "anon-thp", .kind = K_THP },
	{ .name = "memfd", .kind = K_MEMFD },
	MT_CASE("mtmap-4k-wb", WB, 0, 0),
	MT_CASE("mtmap-4k-wc", WC, 0, 0),
	MT_CASE("mtmap-4k-uc-", UC_MINUS, 0, 0),
	MT_CASE("mtmap-pf16-wb", WB, MTMAP_CREATE_PREFAULT, 16),
	MT_CASE("mtmap-pf16-wc", WC, MTMAP_CREATE_PREFAULT, 16),
	MT_CASE("mtmap-pf16-uc-", UC_MINUS, MTMAP_CREATE_PREFAULT, 16),
	MT_CASE("mtmap-2m-wb", WB, MTMAP_CREATE_HUGE, 0),
	MT_CASE("mtmap-2m-wc", WC, MTMAP_CREATE_HUGE, 0),
	MT_CASE("mtmap-2m-uc-", UC_MINUS, MTMAP_CREATE_HUGE, 0),
};
#define NCASES	((int)(sizeof(cases) / sizeof(cases[0])))

static char thp_saved[16];
static bool verbose;
static bool control = true;
static int pairs = 512;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Save the THP mode (for thp_restore()) and switch to @mode. */
static void thp_save_set(const char *mode)
{
	thp_get(thp_saved, sizeof(thp_saved));
	thp_set(mode);
}

static void thp_restore(void)
{
	if (thp_saved[0])
		thp_set(thp_saved);
}

/* The timed part: write every byte once, page by page. */
static __attribute__((noinline)) void touch(char *p, size_t len, size_t psz)
{
	size_t off;

	for (off = 0; off < len; off += psz)
		memset(p + off, 0x5a, psz);
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* A region of @len for @c: returns the pointer, or NULL. */
static char *region_get(const struct bcase *c, int devfd, size_t len, int *fd,
			void **raw, size_t *rawlen)
{
	char *p;

	*fd = -1;
	*raw = NULL;
	*rawlen = 0;
	switch (c->kind) {
	case K_ANON:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		madvise(p, len, MADV_NOHUGEPAGE);
		*raw = p;
		*rawlen = len;
		return p;
	case K_THP:
		/* Over-allocate and trim to a 2 MiB aligned start. */
		*rawlen = len + SZ_2M;
		*raw = mmap(NULL, *rawlen, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (*raw == MAP_FAILED)
			return NULL;
		p = (char *)(((unsigned long)*raw + SZ_2M - 1) & ~(SZ_2M - 1));
		madvise(p, len, MADV_HUGEPAGE);
		return p;
	case K_MEMFD:
		*fd = memfd_create("mtmap-bench", MFD_CLOEXEC);
		if (*fd < 0 || ftruncate(*fd, (off_t)len))
			return NULL;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
		if (p == MAP_FAILED)
			return NULL;
		*raw = p;
		*rawlen = len;
		return p;
	case K_MTMAP: {
		int bufd = mtmap_create(devfd, len, c->memtype, c->flags, c->prefault);

		if (bufd < 0)
			return NULL;
		*fd = bufd;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
		if (p == MAP_FAILED)
			return NULL;
		if (c->flags & MTMAP_CREATE_HUGE)
			madvise(p, len, MADV_HUGEPAGE);
		*raw = p;
		*rawlen = len;
		return p;
	}
	}
	return NULL;
}

/* One timed first-touch pass of @len over a fresh region of @c. */
static int measure(const struct bcase *c, int devfd, size_t len, size_t psz,
		   double *secs, long *faults)
{
	void *raw;
	size_t rawlen;
	long f0, f1;
	double t0, t1;
	char *p;
	int fd;

	thp_set(c->kind == K_THP || (c->flags & MTMAP_CREATE_HUGE) ? "always" : "never");
	p = region_get(c, devfd, len, &fd, &raw, &rawlen);
	if (!p) {
		fprintf(stderr, "%s: setup failed: %s\n", c->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f0 = mtmap_minflt();
	t0 = now();
	touch(p, len, psz);
	t1 = now();
	f1 = mtmap_minflt();
	*secs = t1 - t0;
	*faults = f1 - f0;
	if (raw && raw != MAP_FAILED)
		munmap(raw, rawlen);
	if (fd >= 0)
		close(fd);
	usleep(SETTLE_MS * 1000);
	return 0;
}

static int run_one(struct bcase *c, int devfd, size_t len, size_t psz)
{
	double secs;
	long faults;

	if (measure(c, devfd, len, psz, &secs, &faults))
		return -1;
	c->mibps[c->n] = (double)len / (1 << 20) / secs;
	c->fpm[c->n] = (double)faults / ((double)len / (1 << 20));
	if (verbose)
		printf("# run %d %-15s %8.1f MiB/s %8.2f faults/MiB\n", c->n, c->name,
		       c->mibps[c->n], c->fpm[c->n]);
	c->n++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 { double med, min, max; };

static struct stat3 stats(const double *v, int n)
{
	double s[MAX_SAMPLES];
	struct stat3 r = { 0, 0, 0 };

	if (!n)
		return r;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static struct bcase *find(const char *name)
{
	int i;

	for (i = 0; i < NCASES; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

/*
 * Whether the kernel asks mtmap for PMDs under the THP setting the 2 MiB
 * cases run with ("always"): probed, never derived from
 * the kernel version (stable updates have changed it).
 */
static bool huge_fault_kernel(int devfd)
{
	static int probed = -1;

	if (probed < 0) {
		thp_set("always");
		probed = mtmap_probe_pmd(devfd, 0) == 1;
		printf("# PMD probe (THP always): the kernel %s ->huge_fault\n",
		       probed ? "calls" : "does not call");
	}
	return probed;
}

/* Whether the cases -c selected include @name. */
static bool ran(const char *name)
{
	const struct bcase *c = find(name);

	return c && !c->skip && !c->failed && c->n;
}

static int check(const char *what, bool ok)
{
	printf("target %-72s %s\n", what, ok ? "met" : "MISSED");
	return ok ? 0 : 1;
}

/*
 * A throughput target: @c against @base in pairs (-p) of back-to-back
 * short passes (@len each), in ABBA order. The emulated machine's speed
 * drifts by up to 2x within seconds (TCG, itself in a VM whose host takes
 * the CPU away in bursts), so a ratio of two cases measured seconds apart
 * is mostly noise; within a pair, tens of milliseconds apart, both see
 * the same machine.
 *
 * The estimate is the median of the per-pair ratios (time of @base / time
 * of @c: above 1 means @c is faster). A burst that slows one pass of a
 * pair moves one ratio, not the median; the ratio of the summed times is
 * printed beside it, but a single burst of a few hundred milliseconds
 * moves it by several percent (A/A controls read 0.95x and 1.04x with
 * it). Both come with a 95% bootstrap interval (the pairs resampled
 * BOOTSTRAP times). The bootstrap takes the pairs as independent; bursts
 * that span several pairs make the interval too narrow (that 1.04x came
 * with 1.02-1.06), so the A/A control, @base against itself with the same
 * code (control_paired(), true ratio 1), is the check on the method.
 */
#define BOOTSTRAP 2000
static_assert(MAX_RUNS <= MAX_SAMPLES, "stats() buffer");

struct estimate {
	double val, lo, hi;	/* point estimate, 95% interval */
};

struct paired {
	struct estimate med, sum;
};

static double ratio_of_sums(const double *tb, const double *tc, const int *idx, int n)
{
	double sb = 0, sc = 0;
	int i;

	for (i = 0; i < n; i++) {
		sb += tb[idx[i]];
		sc += tc[idx[i]];
	}
	return sb / sc;
}

static double median_of(const double *ratio, const int *idx, int n)
{
	double v[MAX_SAMPLES];
	int i;

	for (i = 0; i < n; i++)
		v[i] = ratio[idx[i]];
	return stats(v, n).med;
}

static struct estimate interval(double val, double *boot)
{
	struct estimate e = { .val = val };

	qsort(boot, BOOTSTRAP, sizeof(*boot), cmp_double);
	e.lo = boot[BOOTSTRAP * 25 / 1000];
	e.hi = boot[BOOTSTRAP * 975 / 1000 - 1];
	return e;
}

static int run_pairs(const struct bcase *c, const struct bcase *base, int devfd,
		     size_t len, size_t psz, struct paired *res)
{
	static double tc[MAX_SAMPLES], tb[MAX_SAMPLES], ratio[MAX_SAMPLES];
	static double boot_med[BOOTSTRAP], boot_sum[BOOTSTRAP];
	static int idx[MAX_SAMPLES];
	unsigned long long rng = 0x9e3779b97f4a7c15ULL;	/* fixed: reproducible */
	long faults;
	int i, b;

	for (i = 0; i < pairs; i++) {
		bool base_first = i & 1;

		if ((base_first && measure(base, devfd, len, psz, &tb[i], &faults)) ||
		    measure(c, devfd, len, psz, &tc[i], &faults) ||
		    (!base_first && measure(base, devfd, len, psz, &tb[i], &faults)))
			return -1;
		ratio[i] = tb[i] / tc[i];
		if (verbose)
			printf("# pair %3d %s %.3f ms, %s %.3f ms, ratio %.3f\n", i, c->name,
			       tc[i] * 1e3, base->name, tb[i] * 1e3, ratio[i]);
	}
	for (b = 0; b < BOOTSTRAP; b++) {
		for (i = 0; i < pairs; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			idx[i] = (int)(rng % (unsigned int)pairs);
		}
		boot_med[b] = median_of(ratio, idx, pairs);
		boot_sum[b] = ratio_of_sums(tb, tc, idx, pairs);
	}
	for (i = 0; i < pairs; i++)
		idx[i] = i;
	res->med = interval(median_of(ratio, idx, pairs), boot_med);
	res->sum = interval(ratio_of_sums(tb, tc, idx, pairs), boot_sum);
	return 0;
}

static void paired_text(char *text, size_t size, const char *what, const struct paired *r,
			size_t len)
{
	snprintf(text, size, "%s (%.2fx, 95%% %.2f-%.2f; sum %.2fx, 95%% %.2f-%.2f; %d x %zu MiB)",
		 what, r->med.val, r->med.lo, r->med.hi, r->sum.val, r->sum.lo, r->sum.hi,
		 pairs, len >> 20);
}

static int check_paired(const char *what, const struct bcase *c,
			const struct bcase *base, int devfd, size_t len, size_t psz)
{
	struct paired r;
	char text[192];

	if (run_pairs(c, base, devfd, len, psz, &r))
		return check(what, false);
	paired_text(text, sizeof(text), what, &r, len);
	return check(text, r.med.val >= 1.0);
}

/* The A/A control of a target: @base against itself, reported, not judged. */
static void control_paired(const char *what, const struct bcase *base, int devfd,
			   size_t len, size_t psz)
{
	struct paired r;
	char text[192];

	if (!control || run_pairs(base, base, devfd, len, psz, &r))
		return;
	paired_text(text, sizeof(text), what, &r, len);
	printf("control %s\n", text);
}

/* -c: skip every case not in the comma-separated @list. */
static int select_cases(char *list)
{
	char *name, *save = NULL;
	int i;

	for (i = 0; i < NCASES; i++)
		cases[i].skip = true;
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		struct bcase *c = find(name);

		if (!c) {
			fprintf(stderr, "unknown case %s\n", name);
			return -1;
		}
		c->skip = false;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t mib = 8, pair_mib = 1, len, psz = mtmap_page_size();
	int runs = 11, r, i, k, opt, devfd, missed = 0;
	struct utsname u;
	double t_start = now();

	while ((opt = getopt(argc, argv, "s:r:c:p:l:nv")) != -1) {
		switch (opt) {
		case 's':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'c':
			if (select_cases(optarg))
				return 2;
			break;
		case 'p':
			pairs = atoi(optarg);
			break;
		case 'l':
			pair_mib = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			control = false;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s MiB] [-r runs] [-c case,...] [-p pairs] [-l MiB] [-n] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || mib < 2 || mib % 2 || pairs < 8 ||
	    pairs > MAX_SAMPLES || pair_mib < 1 || pair_mib > 64) {
		fprintf(stderr, "runs 1..%d, size an even number of MiB >= 2, pairs 8..%d, -l 1..64\n",
			MAX_RUNS, MAX_SAMPLES);
		return 2;
	}
	len = mib << 20;
	devfd = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		fprintf(stderr, "%s: %s\n", MTMAP_DEV, strerror(errno));
		return 1;
	}
	uname(&u);
	/* One CPU for the whole run: no migration between timed parts. */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	thp_save_set("madvise");
	printf("# mtmap_bench: kernel %s, %zu MiB per run, %d runs per case, THP per case (was %s)\n",
	       u.release, mib, runs, thp_saved[0] ? thp_saved : "?");
	fflush(stdout);

	/* One unmeasured warm-up run per case (binary text, pools, THP). */
	for (i = 0; i < NCASES; i++) {
		if (cases[i].skip)
			continue;
		if (run_one(&cases[i], devfd, len, psz))
			cases[i].failed = true;
		cases[i].n = 0;
	}
	for (r = 0; r < runs; r++) {
		for (k = 0; k < NCASES; k++) {
			struct bcase *c = &cases[(r + k) % NCASES];

			if (!c->skip && !c->failed && run_one(c, devfd, len, psz))
				c->failed = true;
		}
	}

	printf("\n%-15s %10s %10s %10s   %10s %10s %10s %8s\n", "case", "MiB/s", "min", "max",
	       "faults/MiB", "min", "max", "per 4K");
	for (i = 0; i < NCASES; i++) {
		struct bcase *c = &cases[i];
		struct stat3 t = stats(c->mibps, c->n), f = stats(c->fpm, c->n);

		if (c->skip)
			continue;
		if (c->failed) {
			printf("%-15s FAILED\n", c->name);
			continue;
		}
		printf("%-15s %10.1f %10.1f %10.1f   %10.2f %10.2f %10.2f %8.4f\n", c->name,
		       t.med, t.min, t.max, f.med, f.min, f.max, f.med / 256.0);
	}

	printf("\n");
	{
		static const char * const types[] = { "wb", "wc", "uc-" };
		char name[32], what[96];

		for (k = 0; k < 3; k++) {
			struct stat3 f;

			snprintf(name, sizeof(name), "mtmap-4k-%s", types[k]);
			if (ran(name)) {
				f = stats(find(name)->fpm, find(name)->n);
				snprintf(what, sizeof(what), "%s: 1.00 fault per 4 KiB page (%.4f)",
					 name, f.max / 256);
				missed += check(what, f.min == 256 && f.max == 256);
			}
			snprintf(name, sizeof(name), "mtmap-pf16-%s", types[k]);
			if (ran(name)) {
				f = stats(find(name)->fpm, find(name)->n);
				snprintf(what, sizeof(what), "%s: <= 1/16 fault per page (%.4f)",
					 name, f.max / 256);
				missed += check(what, f.max <= 16);
			}
			snprintf(name, sizeof(name), "mtmap-2m-%s", types[k]);
			if (ran(name) && !huge_fault_kernel(devfd)) {
				/* Documentation/mapping.rst: the 4 KiB fallback. */
				f = stats(find(name)->fpm, find(name)->n);
				snprintf(what, sizeof(what),
					 "%s: no PMDs asked, 4 KiB fallback: 1.00 fault per page (%.4f)",
					 name, f.max / 256);
				missed += check(what, f.min == 256 && f.max == 256);
			} else if (ran(name)) {
				f = stats(find(name)->fpm, find(name)->n);
				snprintf(what, sizeof(what), "%s: 1 fault per 2 MiB (%.2f/MiB)",
					 name, f.max);
				missed += check(what, f.max <= 0.5);
			}
		}
		if (ran("anon-4k") && ran("mtmap-4k-wb")) {
			missed += check_paired("WB 4K >= 1.0x anon 4K", find("mtmap-4k-wb"),
					       find("anon-4k"), devfd, pair_mib << 20, psz);
			control_paired("anon 4K vs itself (A/A)", find("anon-4k"), devfd,
				       pair_mib << 20, psz);
		}
		/*
		 * Only where the kernel asks for PMDs (the fault-count rows
		 * above check the 4 KiB fallback elsewhere).
		 */
		if (ran("anon-thp") && ran("mtmap-2m-wb") && !huge_fault_kernel(devfd)) {
			printf("target %-72s n/a (no PMDs)\n", "WB 2M >= 1.0x anon THP");
		} else if (ran("anon-thp") && ran("mtmap-2m-wb")) {
			missed += check_paired("WB 2M >= 1.0x anon THP", find("mtmap-2m-wb"),
					       find("anon-thp"), devfd, 4 << 20, psz);
			control_paired("anon THP vs itself (A/A)", find("anon-thp"), devfd,
				       4 << 20, psz);
		}
		thp_restore();
	}

	printf("\nMTMAP-BENCH-CSV-BEGIN\n");
	printf("case,kernel,size_mib,runs,mibps_median,mibps_min,mibps_max,"
	       "faults_per_mib_median,faults_per_mib_min,faults_per_mib_max,faults_per_4k_page\n");
	for (i = 0; i < NCASES; i++) {
		struct bcase *c = &cases[i];
		struct stat3 t = stats(c->mibps, c->n), f = stats(c->fpm, c->n);

		if (c->skip || c->failed)
			continue;
		printf("%s,%s,%zu,%d,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%.5f\n", c->name, u.release,
		       mib, c->n, t.med, t.min, t.max, f.med, f.min, f.max, f.med / 256.0);
	}
	printf("MTMAP-BENCH-CSV-END\n");
	printf("# %d target(s) missed; %.1f s\n", missed, now() - t_start);
	close(devfd);
	for (i = 0; i < NCASES; i++)
		if (cases[i].failed)
			return 1;
	return 0;
}
