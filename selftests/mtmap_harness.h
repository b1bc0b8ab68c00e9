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

#endif /* MTMAP_HARNESS_H */
