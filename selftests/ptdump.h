/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Independent oracles for the memory-type selftests:
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

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mtmap.h>

#ifndef PTDUMP_PATH
#define PTDUMP_PATH		"/sys/kernel/debug/page_tables/current_kernel"
#endif
#ifndef MTMAP_DBG_DIR
#define MTMAP_DBG_DIR		"/sys/kernel/debug/mtmap/"
#endif
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

static inline const char *pt_cache_name(int t)
{
	static const char * const names[] = {
		[PT_WB] = "WB", [PT_WC] = "WC", [PT_UC_MINUS] = "UC-",
		[PT_WT] = "WT", [PT_UC] = "UC", [PT_WP] = "WP",
	};

	if (t == -ENOENT)
		return "not-present";
	if (t < 0 || t >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[t];
}

/* Read a whole file into a NUL-terminated malloc()ed buffer. */
static inline int mt_read_file(const char *path, char **out, size_t *outlen)
{
	size_t cap = 1 << 16, len = 0;
	char *buf, *nb;
	ssize_t n;
	int fd;

	*out = NULL;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		n = -errno;
		free(buf);
		return (int)n;
	}
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	if (outlen)
		*outlen = len;
	return 0;
}

static inline int mt_write_file(const char *path, const char *s)
{
	ssize_t n, len = (ssize_t)strlen(s);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, s, (size_t)len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return n == len ? 0 : -EIO;
}

/* Is @word one of the space-separated words of /proc/cmdline? */
static inline bool mt_cmdline_has(const char *word)
{
	size_t wl = strlen(word);
	bool found = false;
	char *buf = NULL, *p;

	if (mt_read_file("/proc/cmdline", &buf, NULL))
		return false;
	for (p = buf; (p = strstr(p, word)); p += wl) {
		if ((p == buf || p[-1] == ' ') &&
		    (p[wl] == ' ' || p[wl] == '\n' || p[wl] == '\0')) {
			found = true;
			break;
		}
	}
	free(buf);
	return found;
}

/*
 * PAT in use: the CPU has it and the kernel was not booted with nopat.
 * Decides both how PWT/PCD/PAT decode and whether WC degrades to UC-.
 */
static inline bool mt_pat_enabled(void)
{
	bool cpu_pat = false;
	char *buf = NULL, *line;

	if (mt_cmdline_has("nopat"))
		return false;
	if (mt_read_file("/proc/cpuinfo", &buf, NULL))
		return true;
	line = strstr(buf, "\nflags");
	if (line) {
		char *eol = strchr(line + 1, '\n');

		if (eol)
			*eol = '\0';
		cpu_pat = strstr(line, " pat ") || strstr(line, " pat\n");
	}
	free(buf);
	return cpu_pat;
}

/* The type the kernel gives for a requested MTMAP_MEMTYPE_*. */
static inline unsigned int mt_effective(unsigned int req)
{
	if (req == MTMAP_MEMTYPE_WC && !mt_pat_enabled())
		return MTMAP_MEMTYPE_UC_MINUS;
	return req;
}

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

/*
 * Why the page-table oracle cannot be used, or NULL if it can. The dump
 * is needed, and nokaslr so that the direct map is where we expect it.
 */
static inline const char *ptdump_unavailable(void)
{
	if (access(PTDUMP_PATH, R_OK))
		return PTDUMP_PATH " missing (no CONFIG_PTDUMP_DEBUGFS, debugfs not mounted or not root)";
	if (!mt_cmdline_has("nokaslr"))
		return "kernel not booted with nokaslr: direct map address unknown";
	return NULL;
}

static inline void ptdump_free(struct ptdump *d)
{
	free(d->r);
	d->r = NULL;
	d->n = 0;
}

static inline int ptdump_parse_level(const char *tok)
{
	static const char * const names[] = { "pgd", "p4d", "pud", "pmd", "pte" };
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(tok, names[i]))
			return i;
	return PT_LEVEL_UNKNOWN;
}

/*
 * Read and parse the dump of the calling process. Lines look like
 *   0xffff888000000000-0xffff888000200000           2M     RW   PCD PSE     GLB NX pmd
 * (flags: USR, RW/ro, PWT, PCD, PSE, PAT, GLB, NX/x; the last word is the
 * level; a line without RW/ro is not present). PAT is printed for 4K
 * entries (bit 7) and for large ones (bit 12) alike.
 */
static inline int ptdump_load(struct ptdump *d)
{
	size_t cap = 4096;
	char *buf = NULL, *line, *save = NULL;
	bool next_is_low_kernel = false;
	int err;

	memset(d, 0, sizeof(*d));
	d->pat = mt_pat_enabled();
	d->page_offset = PT_PAGE_OFFSET_4LEVEL;
	err = mt_read_file(PTDUMP_PATH, &buf, NULL);
	if (err)
		return err;
	d->r = malloc(cap * sizeof(*d->r));
	if (!d->r) {
		free(buf);
		return -ENOMEM;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct pt_range pr;
		char *tok, *tsave = NULL, *rest;
		char unit;
		unsigned long size;
		int consumed = 0;

		if (!strncmp(line, "---[ ", 5)) {
			next_is_low_kernel = !!strstr(line, "Low Kernel Mapping");
			continue;
		}
		if (sscanf(line, "0x%lx-0x%lx %lu%c %n", &pr.start, &pr.end,
			   &size, &unit, &consumed) < 4 || !consumed)
			continue;
		rest = line + consumed;
		pr.present = pr.user = pr.rw = pr.pwt = pr.pcd = pr.pat = pr.pse = 0;
		pr.level = PT_LEVEL_UNKNOWN;
		for (tok = strtok_r(rest, " ", &tsave); tok; tok = strtok_r(NULL, " ", &tsave)) {
			if (!strcmp(tok, "USR"))
				pr.user = 1;
			else if (!strcmp(tok, "RW"))
				pr.present = pr.rw = 1;
			else if (!strcmp(tok, "ro"))
				pr.present = 1;
			else if (!strcmp(tok, "PWT"))
				pr.pwt = 1;
			else if (!strcmp(tok, "PCD"))
				pr.pcd = 1;
			else if (!strcmp(tok, "PAT"))
				pr.pat = 1;
			else if (!strcmp(tok, "PSE"))
				pr.pse = 1;
			else
				pr.level = (unsigned char)ptdump_parse_level(tok);
		}
		/* The marker is printed when the walk reaches PAGE_OFFSET. */
		if (next_is_low_kernel) {
			d->page_offset = pr.start;
			next_is_low_kernel = false;
		}
		if (d->n == cap) {
			struct pt_range *nr = realloc(d->r, 2 * cap * sizeof(*d->r));

			if (!nr) {
				free(buf);
				ptdump_free(d);
				return -ENOMEM;
			}
			d->r = nr;
			cap *= 2;
		}
		d->r[d->n++] = pr;
	}
	free(buf);
	return d->n ? 0 : -ENODATA;
}

/* The line covering @addr, or NULL. The dump is in address order. */
static inline const struct pt_range *ptdump_find(const struct ptdump *d,
						 unsigned long addr)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < d->r[mid].start)
			hi = mid;
		else if (addr >= d->r[mid].end)
			lo = mid + 1;
		else
			return &d->r[mid];
	}
	return NULL;
}

/*
 * Cache type of an entry. With PAT, Linux programs the PAT MSR as
 * 0 WB, 1 WC, 2 UC-, 3 UC, 4 WB, 5 WP, 6 UC-, 7 WT (index PAT:PCD:PWT);
 * without it the CPU default applies to PCD:PWT: WB, WT, UC-, UC.
 */
static inline int pt_range_cache(const struct ptdump *d, const struct pt_range *r)
{
	static const int pat_tbl[8] = { PT_WB, PT_WC, PT_UC_MINUS, PT_UC,
					 PT_WB, PT_WP, PT_UC_MINUS, PT_WT };
	static const int nopat_tbl[4] = { PT_WB, PT_WT, PT_UC_MINUS, PT_UC };
	unsigned int idx = (r->pcd << 1) | r->pwt;

	if (!r->present)
		return -ENOENT;
	return d->pat ? pat_tbl[(r->pat << 2) | idx] : nopat_tbl[idx];
}

/* Cache type at a virtual address, -ENOENT if not mapped. */
static inline int ptdump_type_at(const struct ptdump *d, unsigned long addr)
{
	const struct pt_range *r = ptdump_find(d, addr);

	return r ? pt_range_cache(d, r) : -ENOENT;
}

static inline unsigned long ptdump_directmap_addr(const struct ptdump *d,
						  unsigned long pfn)
{
	return d->page_offset + pfn * 4096UL;
}

/* Cache type of the kernel direct-map alias of @pfn. */
static inline int ptdump_directmap_type(const struct ptdump *d, unsigned long pfn)
{
	return ptdump_type_at(d, ptdump_directmap_addr(d, pfn));
}

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

static inline void mt_tracks_free(struct mt_tracks *m)
{
	free(m->t);
	m->t = NULL;
	m->n = 0;
}

static inline int mt_tracks_load(struct mt_tracks *m)
{
	char *buf = NULL, *line, *save = NULL;
	size_t cap = 64;
	int err;

	memset(m, 0, sizeof(*m));
	err = mt_read_file(MTMAP_DBG_MEMTYPES, &buf, NULL);
	if (err)
		return err;
	m->t = malloc(cap * sizeof(*m->t));
	if (!m->t) {
		free(buf);
		return -ENOMEM;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mt_track t;
		char owner[48], dm[16], *colon;

		if (line[0] == '#')
			continue;
		memset(&t, 0, sizeof(t));
		if (sscanf(line, "%lx-%lx %7s %47s %d %15s", &t.first, &t.last,
			   t.type, owner, &t.maps, dm) != 6) {
			free(buf);
			mt_tracks_free(m);
			return -EPROTO;
		}
		colon = strchr(owner, ':');
		if (!colon) {
			free(buf);
			mt_tracks_free(m);
			return -EPROTO;
		}
		*colon = '\0';
		snprintf(t.kind, sizeof(t.kind), "%.*s", (int)sizeof(t.kind) - 1, owner);
		snprintf(t.name, sizeof(t.name), "%.*s", (int)sizeof(t.name) - 1, colon + 1);
		t.ok = !strcmp(dm, "ok");
		if (m->n == cap) {
			struct mt_track *nt = realloc(m->t, 2 * cap * sizeof(*m->t));

			if (!nt) {
				free(buf);
				mt_tracks_free(m);
				return -ENOMEM;
			}
			m->t = nt;
			cap *= 2;
		}
		m->t[m->n++] = t;
	}
	free(buf);
	return 0;
}

/* Does owner kind:name own any page? */
static inline bool mt_tracks_has_owner(const struct mt_tracks *m,
				       const char *kind, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->t[i].kind, kind) && !strcmp(m->t[i].name, name))
			return true;
	return false;
}

/* The track entry holding @pfn, or NULL if untracked. */
static inline const struct mt_track *mt_tracks_find(const struct mt_tracks *m,
						    unsigned long pfn)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (pfn >= m->t[i].first && pfn <= m->t[i].last)
			return &m->t[i];
	return NULL;
}

/*
 * Collect the pfns of owner kind:name into a malloc()ed array.
 * Returns the count (possibly 0) or -errno.
 */
static inline long mt_tracks_pfns(const struct mt_tracks *m, const char *kind,
				  const char *name, unsigned long **pfns)
{
	size_t i, n = 0, k = 0;
	unsigned long p;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->t[i].kind, kind) && !strcmp(m->t[i].name, name))
			n += m->t[i].last - m->t[i].first + 1;
	*pfns = malloc((n ? n : 1) * sizeof(**pfns));
	if (!*pfns)
		return -ENOMEM;
	for (i = 0; i < m->n; i++)
		if (!strcmp(m->t[i].kind, kind) && !strcmp(m->t[i].name, name))
			for (p = m->t[i].first; p <= m->t[i].last; p++)
				(*pfns)[k++] = p;
	return (long)n;
}

/* ---------------------------------------------------------------------- */
/* /sys/kernel/debug/mtmap/pools                                           */

struct mt_pool_stats {
	long pages, hits, misses, refills, returns, shrunk;
};

/* Counters of the pool of @type (MTMAP_MEMTYPE_WC or _UC_MINUS). */
static inline int mt_pool_stats(unsigned int type, struct mt_pool_stats *s)
{
	const char *want = type == MTMAP_MEMTYPE_WC ? "WC" : "UC-";
	char *buf = NULL, *line, *save = NULL;
	int err = -ENOENT;

	if (type != MTMAP_MEMTYPE_WC && type != MTMAP_MEMTYPE_UC_MINUS)
		return -EINVAL;
	err = mt_read_file(MTMAP_DBG_POOLS, &buf, NULL);
	if (err)
		return err;
	err = -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[8];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%7s %ld %ld %ld %ld %ld %ld", name, &s->pages,
			   &s->hits, &s->misses, &s->refills, &s->returns,
			   &s->shrunk) == 7 && !strcmp(name, want)) {
			err = 0;
			break;
		}
	}
	free(buf);
	return err;
}

static inline int mt_drain_pools(void)
{
	return mt_write_file(MTMAP_DBG_DRAIN, "1\n");
}

#endif /* MTMAP_PTDUMP_H */
