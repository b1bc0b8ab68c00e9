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
 * Expected: the baseline costs 2 faults per page on an arm64 CPU without
 * hardware dirty-bit management (DBM) and 1 with it (and on x86); mtmap
 * costs 1 everywhere. Whether the CPU has DBM comes from the kernel log
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

/* First-write faults over NP pages of @fd's mapping, or -errno. */
static long first_write_faults(int fd, size_t psz)
{
	__u64 *m;
	long f, again;

	m = mmap(NULL, NP * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	warm_up();
	f = write_pass(m, NP, psz / sizeof(__u64), 0x100);
	again = write_pass(m, NP, psz / sizeof(__u64), 0x200);
	munmap(m, NP * psz);
	/* A second write that still faults would hide in the first count. */
	if (again)
		printf("# second write pass took %ld faults\n", again);
	return f;
}

int main(int argc, char **argv)
{
	size_t psz = mtmap_page_size();
	int want_dbm = -1, dbm, fd, devfd, bufd, want;
	long f;

	if (argc > 1 && !strncmp(argv[1], "--dbm=", 6))
		want_dbm = atoi(argv[1] + 6);
	printf("TAP version 13\n1..3\n");

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

	/* Two faults per page where the CPU cannot set the dirty bit itself. */
	want = dbm == 0 ? 2 : 1;
	fd = open(TB_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		tap(true, "baseline_first_write", "SKIP " TB_DEV " missing (ttm_baseline.ko)");
	} else {
		f = first_write_faults(fd, psz);
		close(fd);
		if (f < 0) {
			printf("# mmap %s: %s\n", TB_DEV, strerror((int)-f));
			tap(false, "baseline_first_write", NULL);
		} else {
			printf("# baseline_first_write_faults_per_page %.2f\n", (double)f / NP);
			printf("# expected %d.00 (the TTM-style handler%s)\n", want,
			       want == 2 ? " pays the double fault here" : "");
			tap(f == (long)want * NP, "baseline_first_write", NULL);
		}
	}

	devfd = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		tap(true, "mtmap_first_write", "SKIP " MTMAP_DEV " missing (mtmap.ko not loaded)");
		return tap_failed ? 1 : 0;
	}
	bufd = mtmap_create(devfd, NP * psz, MTMAP_MEMTYPE_WB, 0, 0);
	close(devfd);
	if (bufd < 0) {
		printf("# create: %s\n", strerror(-bufd));
		tap(false, "mtmap_first_write", NULL);
		return 1;
	}
	f = first_write_faults(bufd, psz);
	close(bufd);
	if (f >= 0)
		printf("# mtmap_first_write_faults_per_page %.2f\n", (double)f / NP);
	else
		printf("# mmap buffer: %s\n", strerror((int)-f));
	/* mtmap promises one fault per first write on every CPU. */
	tap(f == NP, "mtmap_first_write", NULL);
	return tap_failed ? 1 : 0;
}
