/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the mtmap selftests. Everything returns -errno on
 * failure so that tests can assert the exact error in one expression.
 */
#ifndef MTMAP_UTIL_H
#define MTMAP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <mtmap.h>

#define MTMAP_DEV		"/dev/mtmap"
#define MTMAP_PARAM_DIR		"/sys/module/mtmap/parameters/"

#define WORDS_PER_PAGE(psz)	((psz) / sizeof(__u64))

static inline size_t mtmap_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Issue an ioctl and fold errno into the return value. */
static inline int mtmap_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* Create a buffer; returns its fd or -errno. */
static inline int mtmap_create(int devfd, __u64 size, __u32 memtype)
{
	struct mtmap_create c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.memtype = memtype;
	c.fd = -1;
	ret = mtmap_ioctl(devfd, MTMAP_IOC_CREATE, &c);
	return ret ? ret : c.fd;
}

/* Change a live buffer's memory type; 0 or -errno. */
static inline int mtmap_set_memtype(int bufd, __u32 memtype)
{
	struct mtmap_set_memtype s;

	memset(&s, 0, sizeof(s));
	s.memtype = memtype;
	return mtmap_ioctl(bufd, MTMAP_IOC_SET_MEMTYPE, &s);
}

static inline int mtmap_info(int bufd, struct mtmap_info *info)
{
	/* Poison so a field the kernel forgets to fill cannot read as 0. */
	memset(info, 0xff, sizeof(*info));
	return mtmap_ioctl(bufd, MTMAP_IOC_INFO, info);
}

/* Pages allocated so far, or (__u64)-1 if INFO fails. */
static inline __u64 mtmap_populated(int bufd)
{
	struct mtmap_info info;

	if (mtmap_info(bufd, &info))
		return (__u64)-1;
	return info.populated;
}

/*
 * Read a module parameter. Base 0 so that an octal "0600" and a decimal
 * "384" both parse to the same mode.
 */
static inline int mtmap_read_param(const char *name, unsigned long *val)
{
	char path[128], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), MTMAP_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*val = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

static inline void *mtmap_map(int bufd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bufd, off);
}

/*
 * The value expected at (@page, @word): depends on the absolute page index
 * in the buffer, so a mapping at an offset can be checked with the same
 * function, and on @seed, so a rewrite is distinguishable from stale data.
 */
static inline __u64 mtmap_pattern(size_t page, size_t word, __u64 seed)
{
	return (((__u64)page << 32) | word) ^ (seed * 0x9e3779b97f4a7c15ULL);
}

/* Fill @npages pages at @p, which is buffer page @first. */
static inline void mtmap_fill(void *p, size_t first, size_t npages, __u64 seed)
{
	size_t wpp = WORDS_PER_PAGE(mtmap_page_size());
	__u64 *w = p;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < wpp; j++)
			w[i * wpp + j] = mtmap_pattern(first + i, j, seed);
}

/*
 * Check a region written by mtmap_fill(). Returns the index of the first
 * bad word, or -1 if everything matches.
 */
static inline long mtmap_check(const void *p, size_t first, size_t npages, __u64 seed)
{
	size_t wpp = WORDS_PER_PAGE(mtmap_page_size());
	const __u64 *w = p;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < wpp; j++)
			if (w[i * wpp + j] != mtmap_pattern(first + i, j, seed))
				return (long)(i * wpp + j);
	return -1;
}

/* Index of the first non-zero byte in [p, p + len), or -1. */
static inline long mtmap_first_nonzero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return (long)i;
	return -1;
}

#define MTMAP_FAULTS_DEBUGFS	"/sys/kernel/debug/mtmap/faults"

/*
 * How often the kernel has called mtmap's ->huge_fault for a PMD since the
 * module was loaded (debugfs "faults"), or -1 if that cannot be read.
 */
static inline long mtmap_huge_fault_calls(void)
{
	long n = -1;
	FILE *f = fopen(MTMAP_FAULTS_DEBUGFS, "r");

	if (!f)
		return -1;
	if (fscanf(f, "huge_fault_pmd %ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * Does the running kernel ask for a PMD when a 2 MiB aligned chunk of a
 * MTMAP_CREATE_HUGE buffer is first touched, under the current THP sysfs
 * setting and with @advice (0, MADV_HUGEPAGE or MADV_NOHUGEPAGE) on the
 * mapping? Which mappings get PMDs is the kernel's decision and has
 * changed within stable series, so tests probe it on a scratch buffer
 * instead of deriving it from a version: 1 yes, 0 no, -errno if the probe
 * itself failed.
 */
static inline int mtmap_probe_pmd(int devfd, int advice)
{
	const size_t sz = 2UL << 20;
	struct mtmap_create c;
	long before, after;
	char *m;
	int ret;

	memset(&c, 0, sizeof(c));
	c.size = sz;
	c.memtype = MTMAP_MEMTYPE_WB;
	c.flags = MTMAP_CREATE_HUGE;
	c.fd = -1;
	ret = mtmap_ioctl(devfd, MTMAP_IOC_CREATE, &c);
	if (ret)
		return ret;
	/* Twice the size, so that a 2 MiB aligned start can be chosen. */
	m = mmap(NULL, 2 * sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	munmap(m, 2 * sz);
	m = (char *)(((uintptr_t)m + sz - 1) & ~(uintptr_t)(sz - 1));
	m = mmap(m, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, (int)c.fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	if (advice && madvise(m, sz, advice))
		ret = -errno;
	before = mtmap_huge_fault_calls();
	if (!ret)
		*(volatile char *)m = 1;
	after = mtmap_huge_fault_calls();
	munmap(m, sz);
	if (!ret)
		ret = before < 0 || after < 0 ? -ENOENT : after > before;
out:
	close((int)c.fd);
	return ret;
}

static inline long mtmap_minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

/*
 * The measured loops touch nothing but the buffer: one word per page
 * through a volatile pointer, counters in registers. noinline keeps them
 * out of the caller, so warming them up once also faults in their text.
 */
static __attribute__((noinline, unused)) long write_pass(volatile __u64 *p, size_t npages,
						 size_t stride, __u64 v)
{
	long before, after;
	size_t i;

	before = mtmap_minflt();
	for (i = 0; i < npages; i++)
		p[i * stride] = v + i;
	after = mtmap_minflt();
	return after - before;
}

static __attribute__((noinline, unused)) long read_pass(const volatile __u64 *p, size_t npages,
						size_t stride, __u64 *sum)
{
	long before, after;
	__u64 s = 0;
	size_t i;

	before = mtmap_minflt();
	for (i = 0; i < npages; i++)
		s += p[i * stride];
	after = mtmap_minflt();
	*sum = s;
	return after - before;
}


#endif /* MTMAP_UTIL_H */
