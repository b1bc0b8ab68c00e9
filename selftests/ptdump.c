// SPDX-License-Identifier: GPL-2.0
/*
 * Independent oracles for the memory-type selftests (ptdump.h): the x86
 * page-table dump of the calling process and mtmap's debugfs files.
 */
#include "mtmap_util.h"
#include "ptdump.h"

const char *pt_cache_name(int t)
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

/* Is @word one of the space-separated words of /proc/cmdline? */
bool mt_cmdline_has(const char *word)
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
bool mt_pat_enabled(void)
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
unsigned int mt_effective(unsigned int req)
{
	if (req == MTMAP_MEMTYPE_WC && !mt_pat_enabled())
		return MTMAP_MEMTYPE_UC_MINUS;
	return req;
}

/* ---------------------------------------------------------------------- */
/* Page-table dump                                                          */

/* The dump is readable: enough to check levels and permissions of user PTEs. */
bool have_ptdump(void)
{
	return access(PTDUMP_PATH, R_OK) == 0;
}

/*
 * Why the page-table oracle cannot be used, or NULL if it can. The dump
 * is needed, and nokaslr so that the direct map is where we expect it.
 */
const char *ptdump_unavailable(void)
{
	if (access(PTDUMP_PATH, R_OK))
		return PTDUMP_PATH " missing (no CONFIG_PTDUMP_DEBUGFS, debugfs not mounted or not root)";
	if (!mt_cmdline_has("nokaslr"))
		return "kernel not booted with nokaslr: direct map address unknown";
	return NULL;
}

void ptdump_free(struct ptdump *d)
{
	free(d->r);
	d->r = NULL;
	d->n = 0;
}

static int ptdump_parse_level(const char *tok)
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
int ptdump_load(struct ptdump *d)
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
const struct pt_range *ptdump_find(const struct ptdump *d, unsigned long addr)
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
int pt_range_cache(const struct ptdump *d, const struct pt_range *r)
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
int ptdump_type_at(const struct ptdump *d, unsigned long addr)
{
	const struct pt_range *r = ptdump_find(d, addr);

	return r ? pt_range_cache(d, r) : -ENOENT;
}

unsigned long ptdump_directmap_addr(const struct ptdump *d, unsigned long pfn)
{
	return d->page_offset + pfn * 4096UL;
}

/* Cache type of the kernel direct-map alias of @pfn. */
int ptdump_directmap_type(const struct ptdump *d, unsigned long pfn)
{
	return ptdump_type_at(d, ptdump_directmap_addr(d, pfn));
}

/* ---------------------------------------------------------------------- */
/* /sys/kernel/debug/mtmap/memtypes                                        */

void mt_tracks_free(struct mt_tracks *m)
{
	free(m->t);
	m->t = NULL;
	m->n = 0;
}

int mt_tracks_load(struct mt_tracks *m)
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
bool mt_tracks_has_owner(const struct mt_tracks *m, const char *kind, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->t[i].kind, kind) && !strcmp(m->t[i].name, name))
			return true;
	return false;
}

/* The track entry holding @pfn, or NULL if untracked. */
const struct mt_track *mt_tracks_find(const struct mt_tracks *m, unsigned long pfn)
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
long mt_tracks_pfns(const struct mt_tracks *m, const char *kind, const char *name,
		    unsigned long **pfns)
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

/* Counters of the pool of @type (MTMAP_MEMTYPE_WC or _UC_MINUS). */
int mt_pool_stats(unsigned int type, struct mt_pool_stats *s)
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

int mt_drain_pools(void)
{
	return mt_write_file(MTMAP_DBG_DRAIN, "1\n");
}
