// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mtmap's uAPI argument checks. Built as mtmap_kunit.ko
 * where CONFIG_KUNIT is set; needs mtmap.ko loaded first.
 */
#include <kunit/test.h>
#include <linux/mm.h>

#include "compat.h"
#include "mtmap.h"

#define MAX_BYTES (64ULL << 20)

static struct mtmap_create good_create(void)
{
	struct mtmap_create c = {
		.size = 16 * PAGE_SIZE,
		.memtype = MTMAP_MEMTYPE_WB,
	};

	return c;
}

static int check(struct mtmap_create c, const char **why)
{
	*why = NULL;
	return mtmap_validate_create(&c, MAX_BYTES, why);
}

static void create_accepts_good(struct kunit *test)
{
	struct mtmap_create c = good_create();
	const char *why;

	KUNIT_EXPECT_EQ(test, check(c, &why), 0);
	KUNIT_EXPECT_NULL(test, why);
	c.size = MAX_BYTES;
	KUNIT_EXPECT_EQ(test, check(c, &why), 0);
	c.size = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, check(c, &why), 0);
	/* fd is output only: whatever a reused struct holds is ignored. */
	c.fd = 42;
	KUNIT_EXPECT_EQ(test, check(c, &why), 0);
}

static void create_rejects_size(struct kunit *test)
{
	static const u64 bad[] = {
		0, 1, PAGE_SIZE - 1, PAGE_SIZE + 1, MAX_BYTES + PAGE_SIZE,
		1ULL << 62, U64_MAX, U64_MAX & PAGE_MASK,
	};
	struct mtmap_create c = good_create();
	const char *why;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c.size = bad[i];
		KUNIT_EXPECT_EQ_MSG(test, check(c, &why), -EINVAL,
				    "size %llu", bad[i]);
		KUNIT_EXPECT_NOT_NULL(test, why);
	}
}

static void create_rejects_memtype(struct kunit *test)
{
	static const u32 bad[] = { MTMAP_MEMTYPE_WT, 4, U32_MAX };
	struct mtmap_create c = good_create();
	const char *why;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c.memtype = bad[i];
		KUNIT_EXPECT_EQ_MSG(test, check(c, &why), -EINVAL,
				    "memtype %u", bad[i]);
	}
	c.memtype = MTMAP_MEMTYPE_WT;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "WT is not available for RAM");
	/* Offered where the direct map can be converted, else EOPNOTSUPP. */
	c.memtype = MTMAP_MEMTYPE_WC;
	KUNIT_EXPECT_EQ(test, check(c, &why), mtmap_arch_can_convert() ? 0 : -EOPNOTSUPP);
	c.memtype = MTMAP_MEMTYPE_UC_MINUS;
	KUNIT_EXPECT_EQ(test, check(c, &why), mtmap_arch_can_convert() ? 0 : -EOPNOTSUPP);
}

static void create_rejects_flags_reserved_placement(struct kunit *test)
{
	struct mtmap_create c;
	const char *why;
	unsigned int i, bit;

	for (bit = 0; bit < 32; bit++) {
		c = good_create();
		c.flags = 1U << bit;
		if (c.flags & MTMAP_CREATE_FLAGS_ALL)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, check(c, &why), -EINVAL, "flag bit %u", bit);
	}
	for (i = 0; i < ARRAY_SIZE(c.reserved); i++) {
		c = good_create();
		c.reserved[i] = 1;
		KUNIT_EXPECT_EQ_MSG(test, check(c, &why), -EINVAL, "reserved[%u]", i);
	}
	c = good_create();
	c.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, check(c, &why), -EINVAL);
	c = good_create();
	c.placement = 1;
	KUNIT_EXPECT_EQ(test, check(c, &why), -EINVAL);
	c = good_create();
	c.prefault = 1;
	KUNIT_EXPECT_EQ(test, check(c, &why), -EINVAL);
	c.flags = MTMAP_CREATE_PREFAULT;
	KUNIT_EXPECT_EQ(test, check(c, &why), 0);
	c.prefault = MTMAP_PREFAULT_MAX;
	KUNIT_EXPECT_EQ(test, check(c, &why), 0);
	c.prefault = MTMAP_PREFAULT_MAX + 1;
	KUNIT_EXPECT_EQ(test, check(c, &why), -EINVAL);
}

static void range_checks(struct kunit *test)
{
	const char *why;

	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 0, 16, &why), 0);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 15, 1, &why), 0);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 4, 8, &why), 0);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 0, 17, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 16, 1, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 15, 2, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 0, 0, &why), -EINVAL);
	/* Sums that would wrap must not sneak past the check. */
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, U64_MAX, 2, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(16, 1, U64_MAX, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(0, 0, 1, &why), -EINVAL);
}

/* Each rejection names its own reason: the log line a user reads. */
static void create_reasons(struct kunit *test)
{
	struct mtmap_create c;
	const char *why;

	c = good_create();
	c.size = 0;
	KUNIT_EXPECT_EQ(test, check(c, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "size is zero");
	c.size = PAGE_SIZE + 1;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "size not a multiple of the page size");
	c.size = MAX_BYTES + PAGE_SIZE;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "size above max_buffer_mb");
	c = good_create();
	c.flags = 1U << 31;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "unknown flags");
	c = good_create();
	c.prefault = 1;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "prefault count without MTMAP_CREATE_PREFAULT");
	c.flags = MTMAP_CREATE_PREFAULT;
	c.prefault = MTMAP_PREFAULT_MAX + 1;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "prefault count above MTMAP_PREFAULT_MAX");
	c = good_create();
	c.placement = U32_MAX;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "unknown placement");
	c = good_create();
	c.memtype = 17;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "unknown memtype");
	/* Reserved fields are checked first: garbage everywhere says so. */
	c.reserved0 = 1;
	c.size = 0;
	check(c, &why);
	KUNIT_EXPECT_STREQ(test, why, "reserved field not zero");
}

static void create_max_bytes(struct kunit *test)
{
	struct mtmap_create c = good_create();
	const char *why;

	/* The module parameter caps below the hard limit ... */
	c.size = 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, mtmap_validate_create(&c, PAGE_SIZE, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, mtmap_validate_create(&c, 2 * PAGE_SIZE, &why), 0);
	/* ... and never lifts the hard limit. */
	c.size = MTMAP_MAX_BYTES + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, mtmap_validate_create(&c, U64_MAX, &why), -EINVAL);
	c.size = MTMAP_MAX_BYTES;
	KUNIT_EXPECT_EQ(test, mtmap_validate_create(&c, U64_MAX, &why), 0);
}

static void memtype_values(struct kunit *test)
{
	int conv = mtmap_arch_can_convert() ? 0 : -EOPNOTSUPP;
	const char *why = NULL;

	KUNIT_EXPECT_EQ(test, mtmap_validate_memtype(MTMAP_MEMTYPE_WB, &why), 0);
	KUNIT_EXPECT_NULL(test, why);
	KUNIT_EXPECT_EQ(test, mtmap_validate_memtype(MTMAP_MEMTYPE_WC, &why), conv);
	KUNIT_EXPECT_EQ(test, mtmap_validate_memtype(MTMAP_MEMTYPE_UC_MINUS, &why), conv);
	KUNIT_EXPECT_EQ(test, mtmap_validate_memtype(MTMAP_MEMTYPE_WT, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "WT is not available for RAM");
	KUNIT_EXPECT_EQ(test, mtmap_validate_memtype(MTMAP_MEMTYPE_WT + 1, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "unknown memtype");
	KUNIT_EXPECT_EQ(test, mtmap_validate_memtype(U32_MAX, &why), -EINVAL);
}

static void range_reasons_and_extremes(struct kunit *test)
{
	const char *why;

	KUNIT_EXPECT_EQ(test, mtmap_validate_range(U64_MAX, U64_MAX - 1, 1, &why), 0);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(U64_MAX, U64_MAX - 1, 2, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "range extends beyond the buffer");
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(U64_MAX, 0, U64_MAX, &why), 0);
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(4, 4, 1, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "offset beyond the buffer");
	KUNIT_EXPECT_EQ(test, mtmap_validate_range(4, 0, 0, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "empty range");
}

static struct kunit_case mtmap_validate_cases[] = {
	KUNIT_CASE(create_accepts_good),
	KUNIT_CASE(create_rejects_size),
	KUNIT_CASE(create_rejects_memtype),
	KUNIT_CASE(create_rejects_flags_reserved_placement),
	KUNIT_CASE(range_checks),
	KUNIT_CASE(create_reasons),
	KUNIT_CASE(create_max_bytes),
	KUNIT_CASE(memtype_values),
	KUNIT_CASE(range_reasons_and_extremes),
	{}
};

static struct kunit_suite mtmap_validate_suite = {
	.name = "mtmap_validate",
	.test_cases = mtmap_validate_cases,
};

kunit_test_suites(&mtmap_validate_suite);

MTMAP_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests for mtmap");
MODULE_LICENSE("GPL");
