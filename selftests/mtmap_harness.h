/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest-harness glue shared by the mtmap *_test programs: the few
 * helpers that must be macros because they SKIP or ASSERT on behalf of
 * the test body (a function cannot return from its caller). Plain helpers
 * are in mtmap_util.c. Include it in place of kselftest_harness.h.
 */
#ifndef MTMAP_HARNESS_H
#define MTMAP_HARNESS_H

#include "kselftest_harness.h"
#include "mtmap_util.h"

/*
 * Open /dev/mtmap into @fd or SKIP: an absent module is not a failure, and
 * neither is an unprivileged run against the default 0600 node.
 */
#define MTMAP_OPEN_OR_SKIP(fd) do {					\
	(fd) = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);			\
	if ((fd) < 0 && errno == ENOENT)				\
		SKIP(return, MTMAP_DEV " missing: mtmap module not loaded"); \
	if ((fd) < 0 && (errno == EACCES || errno == EPERM))		\
		SKIP(return, "no permission to open " MTMAP_DEV);	\
	ASSERT_LE(0, (fd)) TH_LOG("open %s: %s", MTMAP_DEV, strerror(errno)); \
} while (0)

/*
 * SKIP a test of memory type @t where the kernel refuses such buffers
 * because it cannot convert the direct map of RAM (EOPNOTSUPP: arm64;
 * see Documentation/memtypes.rst). Never skips in an x86 build.
 */
#define NEED_MEMTYPE(devfd, t) do {					\
	if (mtmap_memtype_refused((devfd), (t)))			\
		SKIP(return, "%s buffers refused (EOPNOTSUPP): this kernel cannot convert the direct map of RAM", \
		     mtmap_memtype_str(t));				\
} while (0)

/*
 * @t where the kernel offers it, else WB, logged: for tests whose subject
 * is not the memory type (VMA semantics, races) but that use WC or UC-
 * where they can. Never falls back in an x86 build.
 */
#define MEMTYPE_OR_WB(devfd, t) ({					\
	__u32 __t = (t);						\
	if (mtmap_memtype_refused((devfd), __t)) {			\
		ksft_print_msg("%s buffers refused (EOPNOTSUPP: no direct-map conversion): WB instead\n", \
			       mtmap_memtype_str(__t));			\
		__t = MTMAP_MEMTYPE_WB;					\
	}								\
	__t;								\
})

#endif /* MTMAP_HARNESS_H */
