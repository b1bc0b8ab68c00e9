// SPDX-License-Identifier: GPL-2.0
/*
 * memtype_explicit_test: what mtmap refuses (WT, SET_MEMTYPE misuse, WC and
 * UC- where the direct map cannot be converted), mappings of an explicit
 * type (MTMAP_MMAP_OFFSET) and the pins they hold (under nopat: memtype_test).
 * Helpers: memtype_harness.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memtype_harness.h"

MT_FIXTURE();

TEST_F_TIMEOUT(mt, wt_create_refused, MT_TIMEOUT)
{
	int fd = mtmap_create(self->devfd, self->psz, MTMAP_MEMTYPE_WT, 0, 0);

	EXPECT_EQ(-EINVAL, fd);
	if (fd >= 0)
		close(fd);
	fd = mtmap_create(self->devfd, self->psz, 4, 0, 0);
	EXPECT_EQ(-EINVAL, fd);
	if (fd >= 0)
		close(fd);
}

TEST_F_TIMEOUT(mt, set_memtype_refused, MT_TIMEOUT)
{
	struct mtmap_set_memtype s;
	struct mtmap_info info;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	fd = mtmap_create(self->devfd, 2 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WT));
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, 4));
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, 0xffffffffu));
	memset(&s, 0, sizeof(s));
	s.memtype = MTMAP_MEMTYPE_WB;
	s.flags = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(fd, MTMAP_IOC_SET_MEMTYPE, &s));
	s.flags = 0;
	s.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(fd, MTMAP_IOC_SET_MEMTYPE, &s));
	/* Nothing changed. */
	ASSERT_EQ(0, mtmap_info(fd, &info));
	EXPECT_EQ(MTMAP_MEMTYPE_WC, info.req_memtype);
	EXPECT_EQ(mt_effective(MTMAP_MEMTYPE_WC), info.memtype);
	/* On the device fd it is not a buffer ioctl. */
	EXPECT_EQ(-ENOTTY, mtmap_set_memtype(self->devfd, MTMAP_MEMTYPE_WB));
	close(fd);
}

/*
 * Where the kernel cannot convert the direct map of RAM (arm64: a module
 * cannot change the linear map's attributes), a WC or UC- buffer would
 * alias a cacheable kernel mapping, so mtmap refuses both, exactly: CREATE
 * and SET_MEMTYPE fail with EOPNOTSUPP, nothing changes, WB keeps working
 * and the other refusals keep their errnos. Runs only where WC is refused
 * (the capability is the probe, never the architecture); where WC
 * buffers exist, the rest of this file tests them instead.
 */
TEST_F_TIMEOUT(mt, wc_uc_minus_refused_without_conversion, MT_TIMEOUT)
{
	static const __u32 refused[] = { MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS };
	struct mtmap_info info;
	size_t i;
	char *m;
	int fd;

	fd = mtmap_memtype_probe(self->devfd, MTMAP_MEMTYPE_WC);
	if (!fd)
		SKIP(return, "WC buffers are offered: this kernel converts the direct map");
	ASSERT_EQ(-EOPNOTSUPP, fd) TH_LOG("WC create: %s", strerror(-fd));
	ASSERT_TRUE(mtmap_memtype_refused(self->devfd, MTMAP_MEMTYPE_WC))
		TH_LOG("an x86 build must never see WC refused");

	for (i = 0; i < 2; i++) {
		fd = mtmap_create(self->devfd, self->psz, refused[i], 0, 0);
		EXPECT_EQ(-EOPNOTSUPP, fd) TH_LOG("create %s", mtmap_memtype_str(refused[i]));
		if (fd >= 0)
			close(fd);
		fd = mtmap_create(self->devfd, SZ_2M, refused[i], MTMAP_CREATE_HUGE, 0);
		EXPECT_EQ(-EOPNOTSUPP, fd) TH_LOG("create huge %s", mtmap_memtype_str(refused[i]));
		if (fd >= 0)
			close(fd);
		/* Argument errors come first: EINVAL, as anywhere. */
		EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 0, refused[i], 0, 0));
	}
	/* WT and unknown types keep their EINVAL. */
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, self->psz, MTMAP_MEMTYPE_WT, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, self->psz, 4, 0, 0));

	/* A WB buffer, mapped and written, cannot become WC or UC-. */
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, fd) TH_LOG("create WB: %s", strerror(-fd));
	m = mtmap_map(fd, 4 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, m);
	mtmap_fill(m, 0, 4, 600);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(-EOPNOTSUPP, mtmap_set_memtype(fd, refused[i]))
			TH_LOG("SET_MEMTYPE %s", mtmap_memtype_str(refused[i]));
	EXPECT_EQ(-EINVAL, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WT));
	ASSERT_EQ(0, mtmap_info(fd, &info));
	EXPECT_EQ(MTMAP_MEMTYPE_WB, info.memtype);
	EXPECT_EQ(MTMAP_MEMTYPE_WB, info.req_memtype);
	EXPECT_EQ(-1, mtmap_check(m, 0, 4, 600));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	/* Asking for a WC mapping of it is the usual alias refusal. */
	EXPECT_EQ(MAP_FAILED, mtmap_map(fd, self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 0)));
	EXPECT_EQ(EBUSY, errno);
	munmap(m, 4 * self->psz);
	close(fd);
}

/* Asking explicitly for a type the buffer does not have: EBUSY. */
TEST_F_TIMEOUT(mt, explicit_mmap_conflict, MT_TIMEOUT)
{
	size_t len = 2 * self->psz;
	void *m;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	/* The seed case: WC direct map, WT user PTE. */
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WT, 0));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WB, 2));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	if (mt_pat_enabled()) {
		m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_UC_MINUS, 0));
		EXPECT_EQ(MAP_FAILED, m);
		EXPECT_EQ(EBUSY, errno);
	}
	/* No type 5: EINVAL, not EBUSY. */
	m = mtmap_map(fd, len, (off_t)(5ULL << MTMAP_MMAP_TYPE_SHIFT));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, fd);
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WC, 0));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WT, 0));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EBUSY, errno);
	/* Range rules still apply to typed offsets. */
	m = mtmap_map(fd, len, TYPED_OFF(MTMAP_MEMTYPE_WB, 3));
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* A typed mapping of the buffer's own type works and shares the data. */
TEST_F_TIMEOUT(mt, explicit_mmap_right_type, MT_TIMEOUT)
{
	unsigned int eff = mt_effective(MTMAP_MEMTYPE_WC);
	struct ptdump d;
	char *plain, *typed;
	size_t i;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	typed = mtmap_map(fd, 2 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 2));
	ASSERT_NE(MAP_FAILED, typed) TH_LOG("typed mmap: %s", strerror(errno));
	plain = mtmap_map(fd, 4 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, plain);
	mtmap_fill(typed, 2, 2, 8);
	EXPECT_EQ(-1, mtmap_check(plain + 2 * self->psz, 2, 2, 8));
	mtmap_fill(plain, 0, 4, 9);
	EXPECT_EQ(-1, mtmap_check(typed, 2, 2, 9));
	if (!ptdump_unavailable()) {
		ASSERT_EQ(0, ptdump_load(&d));
		for (i = 0; i < 2; i++)
			EXPECT_EQ((int)eff, ptdump_type_at(&d, (unsigned long)typed + i * self->psz));
		for (i = 0; i < 4; i++)
			EXPECT_EQ((int)eff, ptdump_type_at(&d, (unsigned long)plain + i * self->psz));
		ptdump_free(&d);
	}
	munmap(typed, 2 * self->psz);
	munmap(plain, 4 * self->psz);
	close(fd);
}

/* A typed mapping pins the type: SET_MEMTYPE to another one is EBUSY. */
TEST_F_TIMEOUT(mt, set_memtype_pinned_busy, MT_TIMEOUT)
{
	struct mtmap_info info;
	char *typed, *plain;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_WC, 0, 0);
	ASSERT_LE(0, fd);
	plain = mtmap_map(fd, 4 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, plain);
	mtmap_fill(plain, 0, 4, 10);
	/* A plain mapping does not pin. */
	ASSERT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_UC_MINUS));
	ASSERT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WC));

	typed = mtmap_map(fd, 4 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_WC, 0));
	ASSERT_NE(MAP_FAILED, typed);
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	/* (Under nopat WC already is UC-: that would be no change.) */
	if (mt_pat_enabled())
		EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_UC_MINUS));
	/* The same type is not a change. */
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WC));
	ASSERT_EQ(0, mtmap_info(fd, &info));
	EXPECT_EQ(mt_effective(MTMAP_MEMTYPE_WC), info.memtype);
	EXPECT_EQ(-1, mtmap_check(typed, 0, 4, 10));

	/* A forked child inherits the pin; it goes when both have unmapped. */
	{
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (!pid)
			_exit(mtmap_check(typed, 0, 4, 10) == -1 ? 0 : 1);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	ASSERT_EQ(0, munmap(typed, 4 * self->psz));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	EXPECT_EQ(-1, mtmap_check(plain, 0, 4, 10));
	munmap(plain, 4 * self->psz);
	close(fd);
}

/* VMA splits keep the pin count right: open/close of every piece. */
TEST_F_TIMEOUT(mt, pinned_split_unmap, MT_TIMEOUT)
{
	char *typed;
	int fd;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	fd = mtmap_create(self->devfd, 4 * self->psz, MTMAP_MEMTYPE_UC_MINUS, 0, 0);
	ASSERT_LE(0, fd);
	typed = mtmap_map(fd, 4 * self->psz, TYPED_OFF(MTMAP_MEMTYPE_UC_MINUS, 0));
	ASSERT_NE(MAP_FAILED, typed);
	mtmap_fill(typed, 0, 4, 11);
	/* Punch the middle: two pinned pieces remain. */
	ASSERT_EQ(0, munmap(typed + self->psz, self->psz));
	ASSERT_EQ(0, mprotect(typed + 2 * self->psz, self->psz, PROT_READ));
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	ASSERT_EQ(0, munmap(typed, self->psz));
	EXPECT_EQ(-EBUSY, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	EXPECT_EQ(-1, mtmap_check(typed + 2 * self->psz, 2, 2, 11));
	ASSERT_EQ(0, munmap(typed + 2 * self->psz, 2 * self->psz));
	EXPECT_EQ(0, mtmap_set_memtype(fd, MTMAP_MEMTYPE_WB));
	close(fd);
}

TEST_HARNESS_MAIN
