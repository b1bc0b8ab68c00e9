// SPDX-License-Identifier: GPL-2.0
/*
 * ttm_baseline_test: first-write faults per page, 64 pages, for the
 * TTM-style baseline device (/dev/ttm_baseline, ttm_baseline.ko) and for
 * an mtmap WB buffer, measured the same way (getrusage() ru_minflt around
 * one store per page) and printed side by side for the lane's summary:
 *
 *   # baseline_first_write_faults_per_page 2.00
 *   # mtmap_first_write_faults_per_page 1.00
 *
 * and the rest of the table the same way: a read then a write
 * (baseline_/mtmap_read_then_write), and for mtmap the first write with
 * prefault 16 (mtmap_prefault16) and a read then a write under dirty
 * tracking (mtmap_dirty_read_then_write).
 *
 * Expected: the baseline costs 2 faults per page on an arm64 CPU without
 * hardware dirty-bit management (DBM) and 1 with it (and on x86), for a
 * first write and for a read then a write; mtmap costs 1 everywhere (1/16
 * with prefault 16, 2 under dirty tracking, where the second records the
 * page). Whether the CPU has DBM comes from the kernel log
 * ("Hardware dirty bit management"); --dbm=0|1 states what the lane's CPU
 * model should have, so a log that disagrees fails the run instead of
 * silently changing what the baseline proves. Output is TAP; a device
 * that is missing is a SKIP.
 */
#define _GNU_SOURCE
#include <sys/klog.h>

#include "mtmap_util.h"

#define NP		64
#define TB_DEV		"/dev/ttm_baseline"
#define DBM_MSG		"Hardware dirty bit management"

static int tap_n, tap_failed;

static void tap(bool ok, const char *name, const char *directive)
{
	tap_failed += !ok;
	printf("%s %d %s%s%s\n", ok ? "ok" : "not ok", ++tap_n, name,
	       directive ? " # " : "", directive ? directive : "");
}

/* 1 if the kernel log says the CPUs manage the dirty bit, 0 if not, -1 unknown. */
static int log_says_dbm(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	int n, ret;

	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	if (!buf)
		return -1;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	ret = n < 0 ? -1 : strstr(buf, DBM_MSG) != NULL;
	free(buf);
	return ret;
}

/* Warm up the measured loop's text and stack, as fault_harness.h's WARM_UP(). */
static void warm_up(void)
{
	volatile __u64 scratch[4] = { 0 };
	__u64 sum;
	int i;

	for (i = 0; i < 2; i++) {
		write_pass(scratch, 1, 1, 0);
		read_pass(scratch, 1, 1, &sum);
	}
}

enum access { FIRST_WRITE, READ_THEN_WRITE };

/* Faults over NP pages of @fd's mapping for @how, or -errno. */
static long faults(int fd, size_t psz, enum access how)
{
	__u64 *m, sum;
	long f = 0, again;

	m = mmap(NULL, NP * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	warm_up();
	if (how == READ_THEN_WRITE)
		f = read_pass(m, NP, psz / sizeof(__u64), &sum);
	f += write_pass(m, NP, psz / sizeof(__u64), 0x100);
	again = write_pass(m, NP, psz / sizeof(__u64), 0x200);
	munmap(m, NP * psz);
	/* A second write that still faults would hide in the first count. */
	if (again)
		printf("# second write pass took %ld faults\n", again);
	return f;
}

/*
 * One row of the table: print "# WHO_WHAT_faults_per_page N.NN" (the lane's
 * summary collects these) and check it is @want faults in all.
 */
static void row(const char *who, const char *what, long f, long want)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s", who, what);
	if (f < 0) {
		printf("# %s: %s\n", name, strerror((int)-f));
		tap(false, name, NULL);
		return;
	}
	printf("# %s_faults_per_page %.2f\n", name, (double)f / NP);
	if (f != want)
		printf("# %s: %ld faults over %d pages, expected %ld\n", name, f, NP, want);
	tap(f == want, name, NULL);
}

/* An mtmap buffer of NP pages with @flags, measured for @how; or -errno. */
static long mtmap_faults(int devfd, size_t psz, __u32 flags, __u32 prefault,
			 enum access how)
{
	int bufd = mtmap_create(devfd, NP * psz, MTMAP_MEMTYPE_WB, flags, prefault);
	long f;

	if (bufd < 0)
		return bufd;
	f = faults(bufd, psz, how);
	close(bufd);
	return f;
}

int main(int argc, char **argv)
{
	size_t psz = mtmap_page_size();
	int want_dbm = -1, dbm, fd, devfd, want;

	if (argc > 1 && !strncmp(argv[1], "--dbm=", 6))
		want_dbm = atoi(argv[1] + 6);
	printf("TAP version 13\n1..7\n");

#ifdef __aarch64__
	dbm = log_says_dbm();
#else
	dbm = 1;	/* x86 sets the dirty bit in hardware. */
#endif
	printf("# kernel log: hardware dirty bit management %s\n",
	       dbm < 0 ? "unknown" : dbm ? "detected" : "not detected");
	if (want_dbm < 0)
		tap(true, "dbm_matches_cpu_model", "SKIP no --dbm= given");
	else
		tap(dbm == want_dbm, "dbm_matches_cpu_model", NULL);

	/*
	 * Two faults per page where the CPU cannot set the dirty bit itself:
	 * the handler's clean PTE is read-only to the MMU, after a write
	 * fault as after a read fault.
	 */
	want = dbm == 0 ? 2 : 1;
	printf("# baseline expected %d.00 per page (the TTM-style handler%s)\n", want,
	       want == 2 ? " pays the double fault here" : "");
	fd = open(TB_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		tap(true, "baseline_first_write", "SKIP " TB_DEV " missing (ttm_baseline.ko)");
		tap(true, "baseline_read_then_write", "SKIP " TB_DEV " missing (ttm_baseline.ko)");
	} else {
		row("baseline", "first_write", faults(fd, psz, FIRST_WRITE), want * NP);
		row("baseline", "read_then_write", faults(fd, psz, READ_THEN_WRITE), want * NP);
		close(fd);
	}

	devfd = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		static const char * const rows[] = {
			"mtmap_first_write", "mtmap_read_then_write",
			"mtmap_prefault16", "mtmap_dirty_read_then_write",
		};
		unsigned int i;

		for (i = 0; i < 4; i++)
			tap(true, rows[i], "SKIP " MTMAP_DEV " missing (mtmap.ko not loaded)");
		return tap_failed ? 1 : 0;
	}
	/*
	 * mtmap promises, on every CPU: one fault per first write, a read
	 * and then a write one fault in all, one per N pages with prefault
	 * N, and under dirty tracking one more for the first write after a
	 * read (which records the page).
	 */
	row("mtmap", "first_write", mtmap_faults(devfd, psz, 0, 0, FIRST_WRITE), NP);
	row("mtmap", "read_then_write", mtmap_faults(devfd, psz, 0, 0, READ_THEN_WRITE), NP);
	row("mtmap", "prefault16",
	    mtmap_faults(devfd, psz, MTMAP_CREATE_PREFAULT, 16, FIRST_WRITE), NP / 16);
	row("mtmap", "dirty_read_then_write",
	    mtmap_faults(devfd, psz, MTMAP_CREATE_DIRTY_TRACK, 0, READ_THEN_WRITE), 2 * NP);
	close(devfd);
	return tap_failed ? 1 : 0;
}
