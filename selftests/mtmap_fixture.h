/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of mtmap_test (uAPI) and mtmap_map_test (mappings, first
 * touch, data): an open /dev/mtmap and the page size.
 */
#ifndef MTMAP_FIXTURE_H
#define MTMAP_FIXTURE_H

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "mtmap_harness.h"

#define MTMAP_SETUP() do {						\
	self->psz = mtmap_page_size();					\
	MTMAP_OPEN_OR_SKIP(self->devfd);				\
} while (0)

FIXTURE(mtmap) {
	int devfd;
	size_t psz;
};

FIXTURE_SETUP(mtmap)
{
	MTMAP_SETUP();
}

FIXTURE_TEARDOWN(mtmap)
{
	if (self->devfd >= 0)
		close(self->devfd);
}

/* Create an npages buffer and return its fd, failing the test otherwise. */
#define CREATE_PAGES(npages) ({						\
	int __fd = mtmap_create(self->devfd, (__u64)(npages) * self->psz, \
				MTMAP_MEMTYPE_WB, 0, 0);		\
	ASSERT_LE(0, __fd) TH_LOG("create: %s", strerror(-__fd));	\
	__fd;								\
})

#define MAP_PAGES(bufd, npages, first) ({				\
	void *__m = mtmap_map((bufd), (npages) * self->psz,		\
			      (off_t)((first) * self->psz));		\
	ASSERT_NE(MAP_FAILED, __m) TH_LOG("mmap: %s", strerror(errno)); \
	__m;								\
})

#endif /* MTMAP_FIXTURE_H */
