/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Independent oracles for the memory-type selftests, defined in ptdump.c:
 *
 *  - the x86 page-table dump of the calling process
 *    (/sys/kernel/debug/page_tables/current_kernel, CONFIG_PTDUMP_DEBUGFS),
 *    which shows the user PTEs and the kernel direct map with their
 *    PWT/PCD/PAT bits (arch/x86/mm/dump_pagetables.c);
 *  - the module's debugfs files (memtypes, pools, drain_pools), used only
 *    to learn which pfns a buffer or pool owns and the pool counters.
 *
 * The dump is read into memory once (it is big, and slow to produce under
 * TCG + KASAN) and then looked up by address with a binary search.
 *
 * Every function returns -errno on failure.
 */
#ifndef MTMAP_PTDUMP_H
#define MTMAP_PTDUMP_H

#include <stdbool.h>
#include <stddef.h>

#include <mtmap.h>

#define PTDUMP_PATH		"/sys/kernel/debug/page_tables/current_kernel"
#define MTMAP_DBG_DIR		"/sys/kernel/debug/mtmap/"
#define MTMAP_DBG_MEMTYPES	MTMAP_DBG_DIR "memtypes"
#define MTMAP_DBG_POOLS		MTMAP_DBG_DIR "pools"
#define MTMAP_DBG_DRAIN		MTMAP_DBG_DIR "drain_pools"
#define DROP_CACHES		"/proc/sys/vm/drop_caches"

/* Where the direct map starts with 4-level paging and no KASLR. */
#define PT_PAGE_OFFSET_4LEVEL	0xffff888000000000UL

/*
 * Cache types decoded from the page tables. The first four share their
 * values with MTMAP_MEMTYPE_* so the two can be compared directly.
 */
enum pt_cache {
	PT_WB = MTMAP_MEMTYPE_WB,
	PT_WC = MTMAP_MEMTYPE_WC,
	PT_UC_MINUS = MTMAP_MEMTYPE_UC_MINUS,
	PT_WT = MTMAP_MEMTYPE_WT,
	PT_UC,
	PT_WP,
};

const char *pt_cache_name(int t);
bool mt_cmdline_has(const char *word);
bool mt_pat_enabled(void);
unsigned int mt_effective(unsigned int req);

/* ---------------------------------------------------------------------- */
/* Page-table dump                                                          */

enum pt_level { PT_PGD, PT_P4D, PT_PUD, PT_PMD, PT_PTE, PT_LEVEL_UNKNOWN };

/* One line of the dump: [start, end) with the same flags at one level. */
struct pt_range {
	unsigned long start, end;
	unsigned char present, user, rw, pwt, pcd, pat, pse, level;
};

struct ptdump {
	struct pt_range *r;
	size_t n;
	unsigned long page_offset;	/* start of the direct map */
	bool pat;			/* decode with the PAT layout */
};

bool have_ptdump(void);
const char *ptdump_unavailable(void);
int ptdump_load(struct ptdump *d);
void ptdump_free(struct ptdump *d);
const struct pt_range *ptdump_find(const struct ptdump *d, unsigned long addr);
int pt_range_cache(const struct ptdump *d, const struct pt_range *r);
int ptdump_type_at(const struct ptdump *d, unsigned long addr);
unsigned long ptdump_directmap_addr(const struct ptdump *d, unsigned long pfn);
int ptdump_directmap_type(const struct ptdump *d, unsigned long pfn);

/* ---------------------------------------------------------------------- */
/* /sys/kernel/debug/mtmap/memtypes                                        */

/* "0x1234-0x1240 WC buffer:7 2 ok": pfns first..last inclusive. */
struct mt_track {
	unsigned long first, last;
	char type[8];
	char kind[16];
	char name[24];
	int maps;
	bool ok;
};

struct mt_tracks {
	struct mt_track *t;
	size_t n;
};

void mt_tracks_free(struct mt_tracks *m);
int mt_tracks_load(struct mt_tracks *m);
bool mt_tracks_has_owner(const struct mt_tracks *m, const char *kind, const char *name);
const struct mt_track *mt_tracks_find(const struct mt_tracks *m, unsigned long pfn);
long mt_tracks_pfns(const struct mt_tracks *m, const char *kind, const char *name,
		    unsigned long **pfns);

/* ---------------------------------------------------------------------- */
/* /sys/kernel/debug/mtmap/pools                                           */

struct mt_pool_stats {
	long pages, hits, misses, refills, returns, shrunk;
};

int mt_pool_stats(unsigned int type, struct mt_pool_stats *s);
int mt_drain_pools(void);

#endif /* MTMAP_PTDUMP_H */
