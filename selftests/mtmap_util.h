/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mtmap selftests and benchmarks, defined in
 * mtmap_util.c (like tools/testing/selftests/mm/vm_util.[ch]). Nothing here
 * needs the kselftest harness, so the benchmarks link it too; the harness
 * glue (open-or-SKIP and friends) is in mtmap_harness.h.
 *
 * Everything returns -errno on failure so that tests can assert the exact
 * error in one expression.
 */
#ifndef MTMAP_UTIL_H
#define MTMAP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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
#define MTMAP_FAULTS_DEBUGFS	"/sys/kernel/debug/mtmap/faults"
#define THP_ENABLED		"/sys/kernel/mm/transparent_hugepage/enabled"

#define SZ_2M			(2UL << 20)
#define WORDS_PER_PAGE(psz)	((psz) / sizeof(__u64))

/* The uapi */
size_t mtmap_page_size(void);
int mtmap_ioctl(int fd, unsigned long cmd, void *arg);
int mtmap_create(int devfd, __u64 size, __u32 memtype, __u32 flags, __u32 prefault);
int mtmap_set_memtype(int bufd, __u32 memtype);
int mtmap_info(int bufd, struct mtmap_info *info);
__u64 mtmap_populated(int bufd);
int mtmap_get_dirty(int bufd, __u64 *bm, size_t words, __u64 *count);
bool dirty_bit(const __u64 *bm, size_t i);
int mtmap_read_param(const char *name, unsigned long *val);
bool mtmap_pools_on(void);
bool mtmap_modparam_given(const char *name);
void *mtmap_map(int bufd, size_t len, off_t off);
int mtmap_memtype_probe(int devfd, __u32 memtype);
bool mtmap_memtype_refused(int devfd, __u32 memtype);
const char *mtmap_memtype_str(__u32 memtype);

/*
 * The value expected at (@page, @word): depends on the absolute page index
 * in the buffer, so a mapping at an offset can be checked with the same
 * function, and on @seed, so a rewrite is distinguishable from stale data.
 * Inline, unlike the rest: threads racing page faults compute it between
 * their stores, and a call there would widen the race windows.
 */
static inline __u64 mtmap_pattern(size_t page, size_t word, __u64 seed)
{
	return (((__u64)page << 32) | word) ^ (seed * 0x9e3779b97f4a7c15ULL);
}

/* Data */
void mtmap_fill(void *p, size_t first, size_t npages, __u64 seed);
long mtmap_check(const void *p, size_t first, size_t npages, __u64 seed);
long mtmap_first_nonzero(const void *p, size_t len);

/* Fault counting and 2 MiB mappings */
long mtmap_huge_fault_calls(void);
int mtmap_probe_pmd(int devfd, int advice);
long mtmap_minflt(void);
long write_pass(volatile __u64 *p, size_t npages, size_t stride, __u64 v);
long read_pass(const volatile __u64 *p, size_t npages, size_t stride, __u64 *sum);

/* Address space */
bool store_segv(volatile __u64 *p, __u64 v);
bool load_segv(const volatile __u64 *p);
unsigned long reserve_aligned(size_t len);
bool have_madvise(void);

/* Files, sysfs and THP */
int mt_read_file(const char *path, char **out, size_t *outlen);
int mt_write_file(const char *path, const char *s);
void thp_get(char *mode, size_t len);
int thp_set(const char *mode);

#endif /* MTMAP_UTIL_H */
