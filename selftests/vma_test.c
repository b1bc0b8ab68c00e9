// SPDX-License-Identifier: GPL-2.0
/*
 * vma_test: ->access (/proc/pid/mem, ptrace) and ->name ("[mtmap]"), and
 * the VMA semantics of VM_PFNMAP mappings (Documentation/mapping.rst): GUP
 * fails, MADV_DONTNEED is EINVAL, partial munmap, mremap, mprotect, fork,
 * two processes.
 *
 * Shared fixture and macros: fault_harness.h. Fault counts are getrusage()
 * ru_minflt deltas around tight loops; levels come from the x86 page-table
 * dump, and the tests that need it SKIP where it is missing.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault_harness.h"

FT_FIXTURE();

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

	bufd = CREATE(8 * self->psz, MEMTYPE_OR_WB(self->devfd, MTMAP_MEMTYPE_WC), 0, 0);
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

	bufd = CREATE(8 * self->psz, MEMTYPE_OR_WB(self->devfd, MTMAP_MEMTYPE_UC_MINUS), 0, 0);
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

	bufd = CREATE(16 * self->psz, MEMTYPE_OR_WB(self->devfd, MTMAP_MEMTYPE_WC), 0, 0);
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

TEST_HARNESS_MAIN
