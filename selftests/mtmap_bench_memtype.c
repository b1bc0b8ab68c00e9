// SPDX-License-Identifier: GPL-2.0
/*
 * mtmap_bench_memtype: first-touch write throughput by memory type.
 *
 * One write per 4 KiB page over a buffer (default 32 MiB), so the time is
 * dominated by the fault path: page allocation, and for WC the direct-map
 * conversion. Cases, each run --runs times (median/min/max):
 *
 *   anon       anonymous MAP_PRIVATE memory (baseline)
 *   wb         mtmap WB buffer
 *   wc_cold    WC buffer, pools drained before each run (batched refills)
 *   wc_warm    WC buffer, pool pre-filled by a previous buffer of the size
 *   wc_nopool  WC buffer with use_pools=N: one conversion per page
 *
 * Needs root and the module loaded; debugfs for drain/pool counters. The
 * use_pools parameter is restored on exit. The size shrinks by itself so
 * that the whole run stays within --budget seconds (a calibration pass at
 * 1 MiB estimates the cost per page), which matters under TCG.
 *
 * Output: a table, then key=value lines (sizes, MiB/s, ratios).
 *
 * Usage: mtmap_bench_memtype [-s MiB] [-r runs] [-b budget_seconds]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mtmap_util.h"
#include "ptdump.h"

#define USE_POOLS_PATH	MTMAP_PARAM_DIR "use_pools"
#define MAX_RUNS	51

enum bcase { C_ANON, C_WB, C_WC_COLD, C_WC_WARM, C_WC_NOPOOL, C_NR };

static const char * const case_name[C_NR] = {
	"anon", "wb", "wc_cold", "wc_warm", "wc_nopool",
};

static const char * const case_desc[C_NR] = {
	"anonymous MAP_PRIVATE",
	"mtmap WB",
	"mtmap WC, pools cold",
	"mtmap WC, pools warm",
	"mtmap WC, use_pools=N",
};

static int devfd = -1;
static size_t psz;
static char saved_use_pools[8];
static bool use_pools_saved;
static bool have_debugfs;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void restore_use_pools(void)
{
	if (use_pools_saved)
		mt_write_file(USE_POOLS_PATH, saved_use_pools);
}

static void on_signal(int sig)
{
	restore_use_pools();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int set_use_pools(bool on)
{
	return mt_write_file(USE_POOLS_PATH, on ? "Y\n" : "N\n");
}

/* One write per page; returns the seconds the loop took. */
static double touch(char *p, size_t npages)
{
	double t0 = now_s();
	size_t i;

	for (i = 0; i < npages; i++)
		*(volatile char *)(p + i * psz) = (char)i;
	return now_s() - t0;
}

/* Map, time the first touch, tear down. Returns seconds or < 0. */
static double one_run(enum bcase c, size_t npages)
{
	size_t len = npages * psz;
	double t;
	char *p;
	int fd;

	if (c == C_ANON) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		t = touch(p, npages);
		munmap(p, len);
		return t;
	}
	fd = mtmap_create(devfd, len, c == C_WB ? MTMAP_MEMTYPE_WB : MTMAP_MEMTYPE_WC, 0, 0);
	if (fd < 0)
		return fd;
	p = mtmap_map(fd, len, 0);
	if (p == MAP_FAILED) {
		t = -errno;
		close(fd);
		return t;
	}
	t = touch(p, npages);
	munmap(p, len);
	close(fd);
	return t;
}

/* Pages in the pool WC buffers use, or -1 without debugfs. */
static long pool_pages(void)
{
	struct mt_pool_stats s;

	if (!have_debugfs || mt_pool_stats(mt_effective(MTMAP_MEMTYPE_WC), &s))
		return -1;
	return s.pages;
}

/* Put the module in the state case @c needs before a measured run. */
static int prepare(enum bcase c, size_t npages)
{
	double t;

	switch (c) {
	case C_WC_COLD:
		return have_debugfs ? mt_drain_pools() : -ENOENT;
	case C_WC_WARM:
		if (pool_pages() >= (long)npages)
			return 0;
		/* A previous buffer of the same size fills the pool. */
		t = one_run(C_WC_WARM, npages);
		return t < 0 ? (int)t : 0;
	case C_WC_NOPOOL:
		return set_use_pools(false);
	default:
		return 0;
	}
}

static void finish(enum bcase c)
{
	if (c == C_WC_NOPOOL)
		set_use_pools(true);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct result {
	bool ok;
	const char *why;
	double med, min, max;	/* MiB/s */
	double med_ms;
	long pool_hits, pool_misses, pool_refills;
};

static void measure(enum bcase c, size_t npages, int runs, struct result *r)
{
	double mib = (double)(npages * psz) / (1 << 20), s[MAX_RUNS];
	struct mt_pool_stats p0 = { 0 }, p1 = { 0 };
	bool stats;
	int i;

	memset(r, 0, sizeof(*r));
	if ((c == C_WC_COLD || c == C_WC_WARM) && !have_debugfs) {
		r->why = "needs /sys/kernel/debug/mtmap";
		return;
	}
	if (c == C_WC_NOPOOL && !use_pools_saved) {
		r->why = "use_pools parameter not writable";
		return;
	}
	stats = have_debugfs && c >= C_WC_COLD &&
		!mt_pool_stats(mt_effective(MTMAP_MEMTYPE_WC), &p0);
	for (i = 0; i < runs; i++) {
		double t;

		if (prepare(c, npages)) {
			r->why = "preparation failed";
			finish(c);
			return;
		}
		t = one_run(c, npages);
		finish(c);
		if (t <= 0) {
			r->why = t < 0 ? strerror((int)-t) : "zero time";
			return;
		}
		s[i] = t;
	}
	if (stats && !mt_pool_stats(mt_effective(MTMAP_MEMTYPE_WC), &p1)) {
		r->pool_hits = p1.hits - p0.hits;
		r->pool_misses = p1.misses - p0.misses;
		r->pool_refills = p1.refills - p0.refills;
	}
	qsort(s, runs, sizeof(s[0]), cmp_double);
	r->ok = true;
	r->med_ms = s[runs / 2] * 1e3;
	if (!(runs & 1))
		r->med_ms = (s[runs / 2 - 1] + s[runs / 2]) / 2 * 1e3;
	r->med = mib / (r->med_ms / 1e3);
	r->min = mib / s[runs - 1];
	r->max = mib / s[0];
}

/* Wall time of a whole run (setup + touch + teardown) per page, seconds. */
static double calibrate(enum bcase c, size_t npages)
{
	double t0 = now_s();

	if (c >= C_WC_COLD && c != C_WC_NOPOOL && !have_debugfs)
		return 0;
	if (c == C_WC_NOPOOL && !use_pools_saved)
		return 0;
	if (prepare(c, npages)) {
		finish(c);
		return 0;
	}
	one_run(c, npages);
	finish(c);
	return (now_s() - t0) / npages;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-s MiB] [-r runs] [-b budget_seconds]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long size_mib = 32, runs = 5, budget = 60, maxpool = 0, v;
	struct result res[C_NR];
	double per_page = 0, start = now_s();
	size_t npages, cal_pages;
	int opt, c;
	char *buf = NULL;

	while ((opt = getopt(argc, argv, "s:r:b:h")) != -1) {
		switch (opt) {
		case 's': size_mib = strtoul(optarg, NULL, 0); break;
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 'b': budget = strtoul(optarg, NULL, 0); break;
		default: usage(argv[0]);
		}
	}
	if (!size_mib || !runs || runs > MAX_RUNS || !budget)
		usage(argv[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = mtmap_page_size();
	devfd = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		printf("# SKIP: cannot open %s: %s\n", MTMAP_DEV, strerror(errno));
		printf("result=skip\n");
		return 4;
	}
	have_debugfs = !access(MTMAP_DBG_POOLS, R_OK) && !access(MTMAP_DBG_DRAIN, W_OK);
	if (!mt_read_file(USE_POOLS_PATH, &buf, NULL)) {
		snprintf(saved_use_pools, sizeof(saved_use_pools), "%s", buf);
		free(buf);
		use_pools_saved = !access(USE_POOLS_PATH, W_OK);
	}
	if (use_pools_saved) {
		atexit(restore_use_pools);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		/* The pooled cases need pools on, whatever the module was loaded with. */
		set_use_pools(true);
	}

	/* The warm case needs the pool to hold a whole buffer. */
	if (!mtmap_read_param("pool_max_pages", &maxpool) && maxpool &&
	    size_mib * (1UL << 20) / psz > maxpool) {
		size_mib = maxpool * psz >> 20;
		if (!size_mib)
			size_mib = 1;
		printf("# size capped to %lu MiB by pool_max_pages=%lu\n", size_mib, maxpool);
	}

	/* Calibrate at 1 MiB: how long does a page cost in all cases together? */
	cal_pages = (1UL << 20) / psz;
	for (c = 0; c < C_NR; c++)
		per_page += calibrate(c, cal_pages);
	npages = size_mib * (1UL << 20) / psz;
	if (per_page > 0 && per_page * npages * runs > budget * 0.8) {
		double fit = budget * 0.8 / (per_page * runs);
		unsigned long mib = (unsigned long)(fit * psz / (1 << 20));

		if (!mib)
			mib = 1;
		if (mib < size_mib) {
			printf("# size scaled down from %lu to %lu MiB to fit a %lu s budget (%.1f us/page over all cases)\n",
			       size_mib, mib, budget, per_page * 1e6);
			size_mib = mib;
		}
	}
	npages = size_mib * (1UL << 20) / psz;

	for (c = 0; c < C_NR; c++)
		measure(c, npages, (int)runs, &res[c]);
	if (have_debugfs)
		mt_drain_pools();

	printf("\nmtmap first-touch write throughput: %lu MiB (%zu pages), 1 write per %zu B page, %lu runs\n",
	       size_mib, npages, psz, runs);
	printf("WC is effectively %s on this kernel\n",
	       pt_cache_name(mt_effective(MTMAP_MEMTYPE_WC)));
	printf("%-10s %-24s %10s %10s %10s %10s %8s %10s\n", "case", "what",
	       "med MiB/s", "min", "max", "med ms", "vs WB", "vs nopool");
	for (c = 0; c < C_NR; c++) {
		struct result *r = &res[c];

		if (!r->ok) {
			printf("%-10s %-24s %s\n", case_name[c], case_desc[c], r->why);
			continue;
		}
		printf("%-10s %-24s %10.1f %10.1f %10.1f %10.2f", case_name[c],
		       case_desc[c], r->med, r->min, r->max, r->med_ms);
		if (res[C_WB].ok)
			printf(" %8.3f", r->med / res[C_WB].med);
		else
			printf(" %8s", "-");
		if (res[C_WC_NOPOOL].ok)
			printf(" %10.3f", r->med / res[C_WC_NOPOOL].med);
		else
			printf(" %10s", "-");
		printf("\n");
	}
	printf("(ratios are of median throughput; > 1 means faster)\n\n");

	printf("size_mib=%lu\nnpages=%zu\nruns=%lu\n", size_mib, npages, runs);
	printf("wc_effective=%s\n", pt_cache_name(mt_effective(MTMAP_MEMTYPE_WC)));
	for (c = 0; c < C_NR; c++) {
		struct result *r = &res[c];

		if (!r->ok) {
			printf("%s_status=skipped\n", case_name[c]);
			continue;
		}
		printf("%s_mibs_median=%.1f\n%s_mibs_min=%.1f\n%s_mibs_max=%.1f\n%s_ms_median=%.2f\n",
		       case_name[c], r->med, case_name[c], r->min, case_name[c], r->max,
		       case_name[c], r->med_ms);
		if (c >= C_WC_COLD && have_debugfs)
			printf("%s_pool_hits=%ld\n%s_pool_misses=%ld\n%s_pool_refills=%ld\n",
			       case_name[c], r->pool_hits, case_name[c], r->pool_misses,
			       case_name[c], r->pool_refills);
	}
	for (c = 0; c < C_NR; c++) {
		if (!res[c].ok)
			continue;
		if (c != C_WB && res[C_WB].ok)
			printf("ratio_%s_vs_wb=%.3f\n", case_name[c], res[c].med / res[C_WB].med);
		if (c != C_WC_NOPOOL && res[C_WC_NOPOOL].ok)
			printf("ratio_%s_vs_nopool=%.3f\n", case_name[c],
			       res[c].med / res[C_WC_NOPOOL].med);
	}
	v = (unsigned long)((now_s() - start) * 1000);
	printf("elapsed_ms=%lu\n", v);
	close(devfd);
	return 0;
}
