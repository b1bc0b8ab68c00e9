// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for the mtmap module: the /dev/mtmap uAPI (include/uapi/mtmap.h),
 * module parameters, CREATE and INFO. Mappings, first touch and sharing:
 * mtmap_map_test. Exact page-fault counts are fault_test's.
 *
 * Every test SKIPs when the module is not loaded (/dev/mtmap missing).
 */
#define _GNU_SOURCE	/* mremap() */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtmap_fixture.h"

/* The same ioctls with an explicit struct size, for the size rules. */
#define MTMAP_IOC_CREATE_SZ(sz)	_IOC(_IOC_READ | _IOC_WRITE, MTMAP_IOC_MAGIC, 0x00, (sz))
#define MTMAP_IOC_INFO_SZ(sz)	_IOC(_IOC_READ, MTMAP_IOC_MAGIC, 0x01, (sz))

_Static_assert(MTMAP_IOC_CREATE_SZ(sizeof(struct mtmap_create)) == MTMAP_IOC_CREATE,
	       "MTMAP_IOC_CREATE encoding");
_Static_assert(MTMAP_IOC_INFO_SZ(sizeof(struct mtmap_info)) == MTMAP_IOC_INFO,
	       "MTMAP_IOC_INFO encoding");
_Static_assert(sizeof(struct mtmap_create) >= MTMAP_CREATE_SIZE_VER0, "create VER0");
_Static_assert(sizeof(struct mtmap_info) >= MTMAP_INFO_SIZE_VER0, "info VER0");

#define DEFAULT_MAX_BUFFER_MB	1024UL
#define DEFAULT_DEV_MODE	0600UL

static bool module_loaded(void)
{
	return access(MTMAP_DEV, F_OK) == 0 || access("/sys/module/mtmap", F_OK) == 0;
}

/* ------------------------------------------------------------------ */
/* Module parameters and the device node                              */
/* ------------------------------------------------------------------ */

TEST(module_params)
{
	unsigned long max_mb, mode;

	if (!module_loaded())
		SKIP(return, "mtmap module not loaded");
	ASSERT_EQ(0, mtmap_read_param("max_buffer_mb", &max_mb));
	ASSERT_EQ(0, mtmap_read_param("dev_mode", &mode));
	/* Defaults, unless the harness loaded the module with others. */
	if (!mtmap_modparam_given("max_buffer_mb"))
		EXPECT_EQ(DEFAULT_MAX_BUFFER_MB, max_mb);
	if (!mtmap_modparam_given("dev_mode"))
		EXPECT_EQ(DEFAULT_DEV_MODE, mode);
}

TEST(dev_node_mode)
{
	unsigned long mode;
	struct stat st;

	if (stat(MTMAP_DEV, &st))
		SKIP(return, MTMAP_DEV " missing: mtmap module not loaded");
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0, mtmap_read_param("dev_mode", &mode));
	/* The node follows the parameter, and the default is owner-only. */
	EXPECT_EQ(mode, (unsigned long)(st.st_mode & 07777));
	if (!mtmap_modparam_given("dev_mode"))
		EXPECT_EQ(DEFAULT_DEV_MODE, (unsigned long)(st.st_mode & 07777));
}

/* ------------------------------------------------------------------ */
/* MTMAP_IOC_CREATE and MTMAP_IOC_INFO                                */
/* ------------------------------------------------------------------ */

TEST_F(mtmap, create_info)
{
	struct mtmap_info info;
	int bufd, i;

	bufd = CREATE_PAGES(4);
	ASSERT_EQ(0, mtmap_info(bufd, &info));
	EXPECT_EQ(4 * self->psz, info.size);
	EXPECT_EQ((__u32)MTMAP_MEMTYPE_WB, info.memtype);
	EXPECT_EQ((__u32)MTMAP_MEMTYPE_WB, info.req_memtype);
	EXPECT_EQ(0U, info.flags);
	EXPECT_EQ((__u32)MTMAP_PLACEMENT_SYSTEM, info.placement);
	EXPECT_EQ(0ULL, info.populated);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, info.reserved[i]);
	close(bufd);
}

TEST_F(mtmap, create_fd_flags)
{
	int bufd, fl;

	bufd = CREATE_PAGES(1);
	fl = fcntl(bufd, F_GETFD);
	ASSERT_LE(0, fl);
	EXPECT_EQ(FD_CLOEXEC, fl & FD_CLOEXEC);
	fl = fcntl(bufd, F_GETFL);
	ASSERT_LE(0, fl);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	/* Each CREATE is a new buffer with its own fd. */
	fl = CREATE_PAGES(1);
	EXPECT_NE(bufd, fl);
	close(fl);
	close(bufd);
}

TEST_F(mtmap, create_bad_size)
{
	unsigned long max_mb;
	__u64 max;

	ASSERT_EQ(0, mtmap_read_param("max_buffer_mb", &max_mb));
	max = (__u64)max_mb << 20;

	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 0, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 1, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, self->psz / 2, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, self->psz + 1, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 2 * self->psz - 8, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, max + self->psz, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 2 * max, MTMAP_MEMTYPE_WB, 0, 0));
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, 1ULL << 62, MTMAP_MEMTYPE_WB, 0, 0));
	/* Page aligned but would overflow any size arithmetic. */
	EXPECT_EQ(-EINVAL, mtmap_create(self->devfd, ~(__u64)(self->psz - 1),
					MTMAP_MEMTYPE_WB, 0, 0));
}

TEST_F(mtmap, create_max_size)
{
	unsigned long max_mb;
	int bufd;

	ASSERT_EQ(0, mtmap_read_param("max_buffer_mb", &max_mb));
	/* "at most max_buffer_mb MiB": the limit itself is allowed, and lazy. */
	bufd = mtmap_create(self->devfd, (__u64)max_mb << 20, MTMAP_MEMTYPE_WB, 0, 0);
	ASSERT_LE(0, bufd) TH_LOG("create max: %s", strerror(-bufd));
	EXPECT_EQ(0ULL, mtmap_populated(bufd));
	close(bufd);
}

TEST_F(mtmap, create_bad_fields)
{
	struct mtmap_create c;
	int i;

#define RESET() do { memset(&c, 0, sizeof(c)); c.size = self->psz; c.fd = -1; } while (0)
	RESET();
	c.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	RESET();
	c.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	RESET();
	c.placement = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	RESET();
	c.placement = ~0u;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	for (i = 0; i < (int)(sizeof(c.reserved) / sizeof(c.reserved[0])); i++) {
		RESET();
		c.reserved[i] = 1ULL << (i * 20);
		EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c))
			TH_LOG("reserved[%d]", i);
	}
	RESET();
	c.reserved0 = 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	/* A prefault count without MTMAP_CREATE_PREFAULT is a confused caller. */
	RESET();
	c.prefault = 4;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	RESET();
	c.flags = MTMAP_CREATE_PREFAULT;
	c.prefault = MTMAP_PREFAULT_MAX + 1;
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	/* The input .fd is ignored: it is output only. */
	RESET();
	c.fd = 12345;
	ASSERT_EQ(0, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, &c));
	EXPECT_NE(12345, c.fd);
	EXPECT_EQ(0ULL, mtmap_populated(c.fd));
	close(c.fd);
#undef RESET
}

TEST_F(mtmap, create_efault)
{
	void *page;

	EXPECT_EQ(-EFAULT, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, NULL));
	page = mmap(NULL, self->psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	EXPECT_EQ(-EFAULT, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, page));
	munmap(page, self->psz);
	/* Unmapped now. */
	EXPECT_EQ(-EFAULT, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, page));
}

/*
 * A valid request in read-only memory: the kernel can read it but cannot
 * write .fd back, so the call must fail and must not leave an fd behind.
 */
TEST_F(mtmap, create_efault_readonly)
{
	struct mtmap_create *c;
	int lowest, after;

	c = mmap(NULL, self->psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	c->size = self->psz;
	c->fd = -1;
	ASSERT_EQ(0, mprotect(c, self->psz, PROT_READ));

	lowest = fcntl(self->devfd, F_DUPFD, 0);
	ASSERT_LE(0, lowest);
	close(lowest);
	EXPECT_EQ(-EFAULT, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE, c));
	after = fcntl(self->devfd, F_DUPFD, 0);
	ASSERT_LE(0, after);
	close(after);
	EXPECT_EQ(lowest, after) TH_LOG("fd %d leaked by failed CREATE", lowest);
	munmap(c, self->psz);
}

TEST_F(mtmap, create_struct_size)
{
	const size_t known = sizeof(struct mtmap_create);
	union {
		struct mtmap_create c;
		unsigned char raw[sizeof(struct mtmap_create) + 16];
	} big;
	size_t i;

	memset(&big, 0, sizeof(big));
	big.c.size = self->psz;
	big.c.fd = -1;

	/* Older than the first version: refused, even with a valid prefix. */
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE_SZ(0), &big));
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE_SZ(16), &big));
	EXPECT_EQ(-EINVAL, mtmap_ioctl(self->devfd,
				       MTMAP_IOC_CREATE_SZ(MTMAP_CREATE_SIZE_VER0 - 1), &big));

	/* Newer with a field this kernel does not know: E2BIG. */
	big.raw[known] = 1;
	EXPECT_EQ(-E2BIG, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE_SZ(sizeof(big)), &big));
	big.raw[known] = 0;
	big.raw[sizeof(big) - 1] = 0x80;
	EXPECT_EQ(-E2BIG, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE_SZ(sizeof(big)), &big));
	big.raw[sizeof(big) - 1] = 0;

	/* Newer but all-zero tail: works like the known struct. */
	ASSERT_EQ(0, mtmap_ioctl(self->devfd, MTMAP_IOC_CREATE_SZ(sizeof(big)), &big));
	ASSERT_LE(0, big.c.fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(big.c.fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0ULL, mtmap_populated(big.c.fd));
	/* Output is copied only up to what the kernel knows. */
	for (i = known; i < sizeof(big); i++)
		EXPECT_EQ(0, big.raw[i]) TH_LOG("tail byte %zu", i);
	close(big.c.fd);
}

TEST_F(mtmap, info_struct_size)
{
	union {
		struct mtmap_info i;
		unsigned char raw[sizeof(struct mtmap_info) + 16];
	} big;
	int bufd;

	bufd = CREATE_PAGES(3);
	EXPECT_EQ(-EINVAL, mtmap_ioctl(bufd, MTMAP_IOC_INFO_SZ(16), &big));
	EXPECT_EQ(-EINVAL, mtmap_ioctl(bufd, MTMAP_IOC_INFO_SZ(MTMAP_INFO_SIZE_VER0 - 1), &big));
	EXPECT_EQ(-EFAULT, mtmap_ioctl(bufd, MTMAP_IOC_INFO, NULL));

	memset(&big, 0, sizeof(big));
	ASSERT_EQ(0, mtmap_ioctl(bufd, MTMAP_IOC_INFO_SZ(sizeof(big)), &big));
	EXPECT_EQ(3 * self->psz, big.i.size);
	EXPECT_EQ(0ULL, big.i.populated);
	close(bufd);
}

TEST_F(mtmap, bad_ioctls)
{
	struct mtmap_create c = { .size = self->psz, .fd = -1 };
	struct mtmap_info info;
	int bufd;

	/* Unknown commands on /dev/mtmap, each with a valid argument. */
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(self->devfd,
				       _IOWR(MTMAP_IOC_MAGIC, 0x02, struct mtmap_create), &c));
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(self->devfd,
				       _IOWR(MTMAP_IOC_MAGIC, 0xff, struct mtmap_create), &c));
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(self->devfd, _IO(MTMAP_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(self->devfd, _IOWR('X', 0x00, struct mtmap_create), &c));
	/* Commands on the wrong kind of fd. */
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(self->devfd, MTMAP_IOC_INFO, &info));

	bufd = CREATE_PAGES(1);
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(bufd, MTMAP_IOC_CREATE, &c));
	EXPECT_EQ(-ENOTTY, mtmap_ioctl(bufd, _IOR(MTMAP_IOC_MAGIC, 0x02, struct mtmap_info),
				       &info));
	close(bufd);
}

/* ------------------------------------------------------------------ */
/* Memory types                                                       */
/* ------------------------------------------------------------------ */

FIXTURE(memtype) {
	int devfd;
	size_t psz;
};

FIXTURE_SETUP(memtype)
{
	MTMAP_SETUP();
}

FIXTURE_TEARDOWN(memtype)
{
	if (self->devfd >= 0)
		close(self->devfd);
}

FIXTURE_VARIANT(memtype) {
	__u32 memtype;
	int err;	/* expected errno from CREATE, 0 if accepted */
};

/*
 * ===================== MEMORY-TYPE ACCEPTANCE TABLE =====================
 * Until memory-type support lands only WB is accepted. When WC or UC-
 * become supported, set their .err to 0 here; the test then also checks
 * INFO and that the buffer maps and holds data. WT stays refused for good
 * (RAM cannot be made write-through, see the uapi header). WC and UC-
 * SKIP where the kernel refuses them with EOPNOTSUPP (no direct-map
 * conversion, arm64; memtype_test checks that refusal).
 */
FIXTURE_VARIANT_ADD(memtype, wb)	{ .memtype = MTMAP_MEMTYPE_WB,       .err = 0 };
FIXTURE_VARIANT_ADD(memtype, wc)	{ .memtype = MTMAP_MEMTYPE_WC,       .err = 0 };
FIXTURE_VARIANT_ADD(memtype, uc_minus)	{ .memtype = MTMAP_MEMTYPE_UC_MINUS, .err = 0 };
FIXTURE_VARIANT_ADD(memtype, wt)	{ .memtype = MTMAP_MEMTYPE_WT,       .err = EINVAL };
FIXTURE_VARIANT_ADD(memtype, unknown_4)	{ .memtype = 4,                      .err = EINVAL };
FIXTURE_VARIANT_ADD(memtype, unknown_max) { .memtype = 0xffffffffu,          .err = EINVAL };
/* ======================================================================= */

TEST_F(memtype, create)
{
	struct mtmap_info info;
	void *map;
	int bufd;

	if (!variant->err)
		NEED_MEMTYPE(self->devfd, variant->memtype);
	bufd = mtmap_create(self->devfd, 2 * self->psz, variant->memtype, 0, 0);
	if (variant->err) {
		EXPECT_EQ(-variant->err, bufd);
		if (bufd >= 0)
			close(bufd);
		return;
	}
	ASSERT_LE(0, bufd) TH_LOG("create memtype %u: %s", variant->memtype, strerror(-bufd));
	ASSERT_EQ(0, mtmap_info(bufd, &info));
	EXPECT_EQ(variant->memtype, info.req_memtype);
	/* The only documented degradation is WC -> UC- (PAT disabled). */
	if (variant->memtype == MTMAP_MEMTYPE_WC && info.memtype == MTMAP_MEMTYPE_UC_MINUS)
		TH_LOG("WC degraded to UC-");
	else
		EXPECT_EQ(variant->memtype, info.memtype);

	map = mtmap_map(bufd, 2 * self->psz, 0);
	ASSERT_NE(MAP_FAILED, map);
	mtmap_fill(map, 0, 2, variant->memtype + 1);
	EXPECT_EQ(-1, mtmap_check(map, 0, 2, variant->memtype + 1));
	EXPECT_EQ(2ULL, mtmap_populated(bufd));
	munmap(map, 2 * self->psz);
	close(bufd);
}

TEST_HARNESS_MAIN
