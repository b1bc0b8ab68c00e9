// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for mtmap's device-exclusive access (MTMAP_IOC_EXCLUSIVE,
 * _CHECK_EXCLUSIVE, _ATOMIC): CPU access, mprotect, fork, munmap, madvise,
 * compaction and exit take pages back; mtmap notices and re-acquires them
 * for its emulated device atomics; memory it cannot take is refused.
 *
 * Every test SKIPs when the module is not loaded, and with EOPNOTSUPP's
 * reason on kernels without device-exclusive support (Debian's 6.1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mtmap_harness.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define NPAGES 16
#define PATTERN(i) (0x5a5a000000000000ULL | (__u64)(i))

_Static_assert(sizeof(struct mtmap_exclusive) == MTMAP_EXCLUSIVE_SIZE_VER0, "excl VER0");
_Static_assert(sizeof(struct mtmap_check_exclusive) == MTMAP_CHECK_EXCLUSIVE_SIZE_VER0,
	       "check VER0");
_Static_assert(sizeof(struct mtmap_atomic) == MTMAP_ATOMIC_SIZE_VER0, "atomic VER0");

static int excl(int fd, void *addr, size_t len, __u64 *held)
{
	struct mtmap_exclusive x;
	int ret;

	memset(&x, 0, sizeof(x));
	x.addr = (uintptr_t)addr;
	x.len = len;
	ret = mtmap_ioctl(fd, MTMAP_IOC_EXCLUSIVE, &x);
	if (!ret && held)
		*held = x.held;
	return ret;
}

static int check(int fd, void *addr, size_t len, unsigned char *map,
		 struct mtmap_check_exclusive *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = (uintptr_t)addr;
	c->len = len;
	c->map = (uintptr_t)map;
	return mtmap_ioctl(fd, MTMAP_IOC_CHECK_EXCLUSIVE, c);
}

/* Pages of [addr, len) mtmap holds, or -errno. */
static long held_pages(int fd, void *addr, size_t len)
{
	struct mtmap_check_exclusive c;
	int ret = check(fd, addr, len, NULL, &c);

	return ret ? ret : (long)c.held;
}

static int atomic_op(int fd, void *addr, __u32 op, __u64 value, __u64 compare,
		     __u64 *old, __u32 *result)
{
	struct mtmap_atomic a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.addr = (uintptr_t)addr;
	a.op = op;
	a.value = value;
	a.compare = compare;
	ret = mtmap_ioctl(fd, MTMAP_IOC_ATOMIC, &a);
	if (!ret) {
		if (old)
			*old = a.old;
		if (result)
			*result = a.result;
	}
	return ret;
}

/* A CPU access the compiler may not elide or merge. */
static __u64 peek(const void *p)
{
	return __atomic_load_n((const __u64 *)p, __ATOMIC_RELAXED);
}

static __u64 *word(void *base, size_t psz, unsigned int page)
{
	return (__u64 *)((char *)base + page * psz);
}

FIXTURE(excl) {
	int devfd;
	size_t psz;
	size_t len;
	char *buf;
};

FIXTURE_SETUP(excl)
{
	unsigned int i;
	int ret;

	self->buf = NULL;
	self->psz = mtmap_page_size();
	self->len = NPAGES * self->psz;
	MTMAP_OPEN_OR_SKIP(self->devfd);

	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < NPAGES; i++)
		*word(self->buf, self->psz, i) = PATTERN(i);

	/* Probe with a range of its own, left registered: harmless. */
	ret = excl(self->devfd, self->buf, self->psz, NULL);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "MTMAP_IOC_EXCLUSIVE: EOPNOTSUPP: %s",
		     "kernel without device-exclusive support (CONFIG_DEVICE_PRIVATE)");
	ASSERT_EQ(0, ret);
	/* Touch it back so every test starts from plain PTEs. */
	ASSERT_EQ(PATTERN(0), peek(self->buf));
}

FIXTURE_TEARDOWN(excl)
{
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
	if (self->devfd >= 0)
		close(self->devfd);
}

/* The whole buffer except page 0 (the probe's range). */
#define RANGE(self) ((self)->buf + (self)->psz)
#define RLEN(self) ((self)->len - (self)->psz)
#define RPAGES (NPAGES - 1)

TEST_F(excl, cpu_read_revokes)
{
	struct mtmap_check_exclusive c;
	unsigned char map[RPAGES];
	__u64 held, v;
	unsigned int i;

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), &held));
	ASSERT_EQ(RPAGES, held);
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), map, &c));
	EXPECT_EQ(RPAGES, c.held);
	EXPECT_EQ(0, c.revoked);
	for (i = 0; i < RPAGES; i++)
		EXPECT_EQ(1, map[i]);

	/* A CPU read of page 3 (index 2 of the range) takes it back. */
	v = peek(word(self->buf, self->psz, 3));
	EXPECT_EQ(PATTERN(3), v);
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), map, &c));
	EXPECT_EQ(RPAGES - 1, c.held);
	EXPECT_EQ(1, c.revoked);
	EXPECT_LE(1, c.invalidations);
	for (i = 0; i < RPAGES; i++)
		EXPECT_EQ(i != 2, map[i]) TH_LOG("page %u", i + 1);

	/* Reading it again costs nothing more. */
	v = peek(word(self->buf, self->psz, 3));
	EXPECT_EQ(PATTERN(3), v);
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), NULL, &c));
	EXPECT_EQ(1, c.revoked);
	/* Every other page still holds its data, read back by the CPU. */
	for (i = 1; i < NPAGES; i++)
		EXPECT_EQ(PATTERN(i), peek(word(self->buf, self->psz, i)));
	EXPECT_EQ(0, held_pages(self->devfd, RANGE(self), RLEN(self)));
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), NULL, &c));
	EXPECT_EQ(RPAGES, c.revoked);
}

TEST_F(excl, cpu_write_revokes)
{
	struct mtmap_check_exclusive c;
	__u64 old;
	__u32 res;

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	word(self->buf, self->psz, 5)[7] = 1234;
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), NULL, &c));
	EXPECT_EQ(RPAGES - 1, c.held);
	EXPECT_EQ(1, c.revoked);
	EXPECT_EQ(0, held_pages(self->devfd, word(self->buf, self->psz, 5), self->psz));

	/* The device re-acquires the page and sees the CPU's write. */
	ASSERT_EQ(0, atomic_op(self->devfd, word(self->buf, self->psz, 5) + 7,
			       MTMAP_ATOMIC_ADD, 1, 0, &old, &res));
	EXPECT_EQ(1234, old);
	EXPECT_EQ(MTMAP_ATOMIC_REACQUIRED, res);
	EXPECT_EQ(1, held_pages(self->devfd, word(self->buf, self->psz, 5), self->psz));
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), NULL, &c));
	EXPECT_EQ(RPAGES + 1, c.acquired);
	EXPECT_EQ(1235, peek(word(self->buf, self->psz, 5) + 7));
	EXPECT_EQ(PATTERN(5), peek(word(self->buf, self->psz, 5)));
	EXPECT_EQ(PATTERN(6), peek(word(self->buf, self->psz, 6)));
}

TEST_F(excl, atomics)
{
	__u64 *w = word(self->buf, self->psz, 4) + 3;
	__u64 old;
	__u32 res;

	*w = 100;
	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	ASSERT_EQ(0, atomic_op(self->devfd, w, MTMAP_ATOMIC_ADD, 5, 0, &old, &res));
	EXPECT_EQ(100, old);
	EXPECT_EQ(0, res);
	/* Compare-exchange that fails, then one that succeeds. */
	ASSERT_EQ(0, atomic_op(self->devfd, w, MTMAP_ATOMIC_CMPXCHG, 7, 100, &old, &res));
	EXPECT_EQ(105, old);
	ASSERT_EQ(0, atomic_op(self->devfd, w, MTMAP_ATOMIC_CMPXCHG, 7, 105, &old, &res));
	EXPECT_EQ(105, old);
	ASSERT_EQ(0, atomic_op(self->devfd, w, MTMAP_ATOMIC_XCHG, 9, 0, &old, &res));
	EXPECT_EQ(7, old);
	EXPECT_EQ(0, res);
	/* Still held through all of that. */
	EXPECT_EQ(RPAGES, held_pages(self->devfd, RANGE(self), RLEN(self)));
	EXPECT_EQ(9, peek(w));

	/* Argument errors. */
	EXPECT_EQ(-EINVAL, atomic_op(self->devfd, (char *)w + 4, MTMAP_ATOMIC_ADD, 1, 0,
				     NULL, NULL));
	EXPECT_EQ(-EINVAL, atomic_op(self->devfd, w, 77, 1, 0, NULL, NULL));
	EXPECT_EQ(-ENOENT, atomic_op(self->devfd, &old, MTMAP_ATOMIC_ADD, 1, 0,
				     NULL, NULL));
	EXPECT_EQ(9, peek(w));
}

TEST_F(excl, mprotect_readonly)
{
	__u64 *w = word(self->buf, self->psz, 2);

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	ASSERT_EQ(0, mprotect(self->buf, self->len, PROT_READ));
	EXPECT_EQ(0, held_pages(self->devfd, RANGE(self), RLEN(self)));
	/* Documented: a device atomic needs a writable mapping. */
	EXPECT_EQ(-EPERM, atomic_op(self->devfd, w, MTMAP_ATOMIC_ADD, 1, 0, NULL, NULL));
	EXPECT_EQ(-EPERM, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	EXPECT_EQ(PATTERN(2), peek(w));

	ASSERT_EQ(0, mprotect(self->buf, self->len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, atomic_op(self->devfd, w, MTMAP_ATOMIC_ADD, 1, 0, NULL, NULL));
	EXPECT_EQ(PATTERN(2) + 1, peek(w));
}

TEST_F(excl, fork_cow)
{
	int go[2], done[2];
	unsigned int i;
	__u64 old;
	pid_t pid;
	char c;
	int status;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad = 0;

		/* Child: its copy holds the values as they were at fork. */
		for (i = 1; i < NPAGES; i++)
			bad |= peek(word(self->buf, self->psz, i)) != PATTERN(i);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		/* The parent's device atomics must not show through. */
		for (i = 1; i < NPAGES; i++)
			bad |= (peek(word(self->buf, self->psz, i)) != PATTERN(i)) << 1;
		_exit(bad);
	}

	/* fork write-protected the parent's PTEs: every page was revoked. */
	EXPECT_EQ(0, held_pages(self->devfd, RANGE(self), RLEN(self)));
	for (i = 1; i < NPAGES; i++) {
		ASSERT_EQ(0, atomic_op(self->devfd, word(self->buf, self->psz, i),
				       MTMAP_ATOMIC_ADD, 1000, 0, &old, NULL));
		EXPECT_EQ(PATTERN(i), old);
	}
	EXPECT_EQ(RPAGES, held_pages(self->devfd, RANGE(self), RLEN(self)));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	for (i = 1; i < NPAGES; i++)
		EXPECT_EQ(PATTERN(i) + 1000, peek(word(self->buf, self->psz, i)));
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

TEST_F(excl, munmap_while_exclusive)
{
	size_t half = 8 * self->psz;
	struct mtmap_check_exclusive c;

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	/* Unmap pages 8..15 while mtmap holds them. */
	ASSERT_EQ(0, munmap(self->buf + half, self->len - half));
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), NULL, &c));
	EXPECT_EQ(7, c.held);
	EXPECT_EQ(8, c.revoked);
	EXPECT_EQ(-EFAULT, atomic_op(self->devfd, word(self->buf, self->psz, 9),
				     MTMAP_ATOMIC_ADD, 1, 0, NULL, NULL));
	EXPECT_EQ(0, atomic_op(self->devfd, word(self->buf, self->psz, 7),
			       MTMAP_ATOMIC_ADD, 1, 0, NULL, NULL));
	EXPECT_EQ(PATTERN(7) + 1, peek(word(self->buf, self->psz, 7)));
	/* Unmap the rest too, still held: the teardown's munmap is a no-op. */
	ASSERT_EQ(0, munmap(self->buf, half));
	EXPECT_EQ(0, held_pages(self->devfd, RANGE(self), RLEN(self)));
	self->buf = NULL;
}

TEST_F(excl, madvise_dontneed)
{
	__u64 *w = word(self->buf, self->psz, 2);
	__u64 old;
	__u32 res;

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	if (madvise(w, self->psz, MADV_DONTNEED) && errno == ENOSYS)
		SKIP(return, "madvise() not built in (CONFIG_ADVISE_SYSCALLS)");
	EXPECT_EQ(0, held_pages(self->devfd, w, self->psz));
	EXPECT_EQ(RPAGES - 1, held_pages(self->devfd, RANGE(self), RLEN(self)));
	/* The device takes the fresh zero-filled page. */
	ASSERT_EQ(0, atomic_op(self->devfd, w, MTMAP_ATOMIC_ADD, 5, 0, &old, &res));
	EXPECT_EQ(0, old);
	EXPECT_EQ(MTMAP_ATOMIC_REACQUIRED, res);
	EXPECT_EQ(5, peek(w));
	EXPECT_EQ(PATTERN(3), peek(word(self->buf, self->psz, 3)));
}

TEST_F(excl, compaction)
{
	unsigned int i;
	__u64 old;
	int fd;

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
	if (fd < 0)
		SKIP(return, "no /proc/sys/vm/compact_memory (CONFIG_COMPACTION)");
	/* Migrating a held page must revoke it first (or leave it alone). */
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	TH_LOG("after compaction: %ld of %d pages still held",
	       held_pages(self->devfd, RANGE(self), RLEN(self)), RPAGES);
	for (i = 1; i < NPAGES; i++) {
		ASSERT_EQ(0, atomic_op(self->devfd, word(self->buf, self->psz, i),
				       MTMAP_ATOMIC_ADD, 1, 0, &old, NULL));
		EXPECT_EQ(PATTERN(i), old);
	}
	for (i = 1; i < NPAGES; i++)
		EXPECT_EQ(PATTERN(i) + 1, peek(word(self->buf, self->psz, i)));
}

TEST_F(excl, refuse_arguments)
{
	struct mtmap_exclusive x;

	EXPECT_EQ(-EINVAL, excl(self->devfd, RANGE(self) + 8, self->psz, NULL));
	EXPECT_EQ(-EINVAL, excl(self->devfd, RANGE(self), 0, NULL));
	EXPECT_EQ(-EINVAL, excl(self->devfd, RANGE(self), 100, NULL));
	memset(&x, 0, sizeof(x));
	x.addr = (uintptr_t)RANGE(self);
	x.len = self->psz;
	x.flags = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_EXCLUSIVE, &x));
	/* Not mapped. */
	EXPECT_EQ(-EFAULT, excl(self->devfd, (void *)(uintptr_t)(64 * self->psz),
				self->psz, NULL));
	/* Registered, then a range straddling it, then one inside it. */
	ASSERT_EQ(0, excl(self->devfd, RANGE(self) + self->psz, 4 * self->psz, NULL));
	EXPECT_EQ(-EEXIST, excl(self->devfd, RANGE(self), 4 * self->psz, NULL));
	EXPECT_EQ(0, excl(self->devfd, RANGE(self) + 2 * self->psz, self->psz, NULL));
	/* Pages straddling two ranges cannot be checked in one call. */
	EXPECT_EQ(-ENOENT, held_pages(self->devfd, self->buf, 3 * self->psz));
	EXPECT_EQ(-ENOENT, held_pages(self->devfd, RANGE(self) + 8 * self->psz, self->psz));
}

static void expect_refused(struct __test_metadata *_metadata, int devfd, void *p,
			   size_t len, const char *what)
{
	EXPECT_EQ(-EOPNOTSUPP, excl(devfd, p, len, NULL)) TH_LOG("%s", what);
}

TEST_F(excl, refuse_file_shared_and_buffer)
{
	void *p;
	int fd, bufd;

	fd = memfd_create("excl", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4 * self->psz));
	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 4 * self->psz);	/* COW'd: anonymous pages, file VMA */
	expect_refused(_metadata, self->devfd, p, 4 * self->psz, "private file");
	munmap(p, 4 * self->psz);
	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	expect_refused(_metadata, self->devfd, p, 4 * self->psz, "shared file");
	munmap(p, 4 * self->psz);
	close(fd);

	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	expect_refused(_metadata, self->devfd, p, 4 * self->psz, "shared anonymous");
	munmap(p, 4 * self->psz);

	bufd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, bufd);
	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, bufd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 4 * self->psz);
	expect_refused(_metadata, self->devfd, p, 4 * self->psz, "mtmap buffer");
	munmap(p, 4 * self->psz);
	close(bufd);
}

TEST_F(excl, refuse_hugetlb)
{
	size_t hsz = 2UL << 20;
	void *p;
	int fd;

	p = mmap(NULL, hsz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		/* Reserve a few 2 MiB pages if we may. */
		fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "4", 1) != 1)
				TH_LOG("cannot reserve huge pages");
			close(fd);
		}
		p = mmap(NULL, hsz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	}
	if (p == MAP_FAILED)
		SKIP(return, "no hugetlb pages: %s", strerror(errno));
	memset(p, 1, hsz);
	expect_refused(_metadata, self->devfd, p, hsz, "hugetlb");
	expect_refused(_metadata, self->devfd, p, self->psz, "hugetlb, one page");
	munmap(p, hsz);
}

/*
 * Ask for THPs in [p, p + len): MADV_HUGEPAGE, or where madvise() is not
 * built in, THP "always" (the previous setting saved in @saved).
 */
static int want_thp(void *p, size_t len, char *saved, size_t n)
{
	saved[0] = 0;
	if (!madvise(p, len, MADV_HUGEPAGE))
		return 0;
	thp_get(saved, n);
	return thp_set("always");
}

static void restore_thp(const char *saved)
{
	int ret;

	if (!saved[0])
		return;
	ret = thp_set(saved);
	if (ret)
		fprintf(stderr, "%s: %s\n", THP_ENABLED, strerror(-ret));
}

/* AnonHugePages of this process, in kB, or -1. */
static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST_F(excl, thp_split_first)
{
	size_t hsz = 2UL << 20, n = hsz / self->psz, i;
	struct mtmap_check_exclusive c;
	char *raw, *p, saved[32];
	__u64 held, old;
	int ret;

	raw = mmap(NULL, 2 * hsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	p = (char *)(((uintptr_t)raw + hsz - 1) & ~(hsz - 1));
	ret = want_thp(p, hsz, saved, sizeof(saved));
	if (ret) {
		munmap(raw, 2 * hsz);
		SKIP(return, "neither MADV_HUGEPAGE nor THP \"always\": %s", strerror(-ret));
	}
	for (i = 0; i < n; i++)
		*word(p, self->psz, i) = PATTERN(i);
	restore_thp(saved);
	if (anon_huge_kb() < 2048) {
		munmap(raw, 2 * hsz);
		SKIP(return, "no THP was allocated (AnonHugePages %ld kB)", anon_huge_kb());
	}

	ASSERT_EQ(0, excl(self->devfd, p, hsz, &held));
	EXPECT_EQ(n, held);
	EXPECT_EQ(0, anon_huge_kb()) TH_LOG("the PMD should be split now");
	for (i = 0; i < n; i += 37) {
		ASSERT_EQ(0, atomic_op(self->devfd, word(p, self->psz, i),
				       MTMAP_ATOMIC_ADD, 1, 0, &old, NULL));
		EXPECT_EQ(PATTERN(i), old);
	}
	/* One CPU read revokes one 4 KiB page, not the whole THP. */
	EXPECT_EQ(PATTERN(1), peek(word(p, self->psz, 1)));
	ASSERT_EQ(0, check(self->devfd, p, hsz, NULL, &c));
	EXPECT_EQ(n - 1, c.held);
	EXPECT_EQ(1, c.revoked);
	for (i = 0; i < n; i++)
		EXPECT_EQ(PATTERN(i) + (i % 37 == 0), peek(word(p, self->psz, i)));
	munmap(raw, 2 * hsz);
}

TEST_F(excl, close_releases)
{
	__u64 held;
	int fd2;

	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	/* Data intact; the CPU owns the pages again. */
	EXPECT_EQ(PATTERN(9), peek(word(self->buf, self->psz, 9)));
	fd2 = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, excl(fd2, self->buf, self->len, &held));
	EXPECT_EQ(NPAGES, held);
	close(fd2);
	EXPECT_EQ(PATTERN(15), peek(word(self->buf, self->psz, 15)));
}

TEST_F(excl, exit_while_exclusive)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(MTMAP_DEV, O_RDWR);
		char *p = mmap(NULL, 64 * self->psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (fd < 0 || p == MAP_FAILED)
			_exit(2);
		memset(p, 7, 64 * self->psz);
		if (excl(fd, p, 64 * self->psz, NULL))
			_exit(3);
		/* Exit holding everything, the fd still open. */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Stress: CPU threads and device atomics on the same counters. */
#define NCOUNTERS 8
#define CPU_THREADS 3
#define DEV_THREADS 2

struct stress {
	int devfd;
	__u64 *ctr[NCOUNTERS];
	int stop;
	int err;
};

struct stress_thread {
	struct stress *s;
	unsigned int id;
	unsigned long ops;
	unsigned long per[NCOUNTERS];
};

static void *cpu_thread(void *arg)
{
	struct stress_thread *t = arg;
	unsigned int i = t->id;

	while (!__atomic_load_n(&t->s->stop, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(t->s->ctr[i % NCOUNTERS], 1, __ATOMIC_SEQ_CST);
		t->per[i++ % NCOUNTERS]++;
		t->ops++;
	}
	return NULL;
}

static void *dev_thread(void *arg)
{
	struct stress_thread *t = arg;
	unsigned int i = t->id;
	__u64 old, cur;
	int ret;

	while (!__atomic_load_n(&t->s->stop, __ATOMIC_RELAXED)) {
		__u64 *c = t->s->ctr[i % NCOUNTERS];

		if (t->id & 1) {
			/* Increment by compare-exchange, as a device would. */
			ret = atomic_op(t->s->devfd, c, MTMAP_ATOMIC_ADD, 0, 0, &cur, NULL);
			while (!ret) {
				ret = atomic_op(t->s->devfd, c, MTMAP_ATOMIC_CMPXCHG,
						cur + 1, cur, &old, NULL);
				if (ret || old == cur)
					break;
				cur = old;
			}
		} else {
			ret = atomic_op(t->s->devfd, c, MTMAP_ATOMIC_ADD, 1, 0, NULL, NULL);
		}
		if (ret) {
			t->s->err = ret;
			break;
		}
		t->per[i++ % NCOUNTERS]++;
		t->ops++;
	}
	return NULL;
}

TEST_F(excl, stress_cpu_and_device_atomics)
{
	struct stress_thread th[CPU_THREADS + DEV_THREADS];
	pthread_t tid[CPU_THREADS + DEV_THREADS];
	struct mtmap_check_exclusive c;
	struct stress s = { .devfd = self->devfd };
	unsigned long cpu_ops = 0, dev_ops = 0;
	unsigned int i, j, secs = 3;
	__u64 sum = 0, want;
	const char *env = getenv("MTMAP_STRESS_SECS");

	if (env)
		secs = atoi(env);
	/* Two counters per page, on four pages, some sharing a cache line. */
	for (i = 0; i < NCOUNTERS; i++) {
		s.ctr[i] = word(self->buf, self->psz, 1 + i / 2) + (i & 1);
		*s.ctr[i] = 0;
	}
	ASSERT_EQ(0, excl(self->devfd, RANGE(self), RLEN(self), NULL));
	for (i = 0; i < CPU_THREADS + DEV_THREADS; i++) {
		th[i] = (struct stress_thread){ .s = &s, .id = i };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL,
					    i < CPU_THREADS ? cpu_thread : dev_thread, &th[i]));
	}
	sleep(secs);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < CPU_THREADS + DEV_THREADS; i++) {
		pthread_join(tid[i], NULL);
		if (i < CPU_THREADS)
			cpu_ops += th[i].ops;
		else
			dev_ops += th[i].ops;
	}
	ASSERT_EQ(0, s.err);
	for (i = 0; i < NCOUNTERS; i++) {
		sum += peek(s.ctr[i]);
		/* Exact per counter too: no add may land on a neighbour. */
		for (want = 0, j = 0; j < CPU_THREADS + DEV_THREADS; j++)
			want += th[j].per[i];
		EXPECT_EQ(want, peek(s.ctr[i])) TH_LOG("counter %u", i);
	}
	ASSERT_EQ(0, check(self->devfd, RANGE(self), RLEN(self), NULL, &c));
	TH_LOG("%lu CPU adds, %lu device adds, %llu re-acquisitions, %llu revocations",
	       cpu_ops, dev_ops, (unsigned long long)c.acquired,
	       (unsigned long long)c.revoked);
	EXPECT_LT(0, cpu_ops);
	EXPECT_LT(0, dev_ops);
	EXPECT_EQ(cpu_ops + dev_ops, sum);
	/* Untouched pages kept their data. */
	for (i = 5; i < NPAGES; i++)
		EXPECT_EQ(PATTERN(i), peek(word(self->buf, self->psz, i)));
}

TEST_HARNESS_MAIN
