// SPDX-License-Identifier: GPL-2.0
/*
 * mtmap-demo: what mtmap promises, step by step, each promise checked by a
 * witness that is not mtmap itself:
 *
 *  1. A write-combining (WC) buffer: its user PTEs and the kernel's
 *     direct-map entries of the same pages carry the same type, read from
 *     the kernel's page-table dump (/sys/kernel/debug/page_tables/).
 *  2. A live type change, WC -> UC- -> WB, on the mapped buffer: the dump
 *     is read again after each change, and the data survives.
 *  3. One page fault per first write, none for the second (getrusage),
 *     and no 2 MiB fault attempt (the module's debugfs fault counter).
 *  4. A device-exclusive atomic: a CPU write takes the page back from the
 *     "device", mtmap notices (CHECK_EXCLUSIVE), and the next atomic sees
 *     the CPU's value.
 *
 * Each step prints what it proved ("PROVED"), or why this kernel cannot
 * show it ("NOT SHOWN"). Exit status 0 when every claim printed is true,
 * 1 when any is false ("FALSE") or the demo could not run at all.
 * Run it as root with the module loaded: debugfs is root-only.
 */
#include <stdarg.h>
#include <sys/mman.h>

#include "mtmap_util.h"
#include "ptdump.h"

#define NPAGES	16

static int proved, falsified, unshown;

static void say(const char *tag, const char *fmt, va_list ap)
{
	printf("  %s: ", tag);
	vprintf(fmt, ap);
	putchar('\n');
}

/* Print a claim, true or not, and keep the score. */
static __attribute__((format(printf, 2, 3))) bool claim(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(ok ? "PROVED" : "FALSE", fmt, ap);
	va_end(ap);
	if (ok)
		proved++;
	else
		falsified++;
	return ok;
}

static __attribute__((format(printf, 1, 2))) void not_shown(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("NOT SHOWN", fmt, ap);
	va_end(ap);
	unshown++;
}

/*
 * The pfns of the one buffer owner that is in memtypes now but not in
 * @before. Only the page numbers come from the module: the types are
 * read from the page tables.
 */
static long buffer_pfns(const struct mt_tracks *before, unsigned long **pfns)
{
	struct mt_tracks now;
	const char *name = NULL;
	long n = -ENOENT;
	size_t i;

	if (mt_tracks_load(&now))
		return -EIO;
	for (i = 0; i < now.n; i++)
		if (!strcmp(now.t[i].kind, "buffer") &&
		    !mt_tracks_has_owner(before, "buffer", now.t[i].name))
			name = now.t[i].name;
	if (name)
		n = mt_tracks_pfns(&now, "buffer", name, pfns);
	mt_tracks_free(&now);
	return n;
}

/*
 * Read the page-table dump and check that every user PTE of @map and the
 * direct-map entry of every pfn are of type @want. Prints page 0 as an
 * example.
 */
static void check_types(const char *map, const struct mt_tracks *before, unsigned int want)
{
	size_t psz = mtmap_page_size(), i;
	unsigned long *pfns = NULL, va;
	const struct pt_range *r;
	int user_ok = 0, dm_ok = 0;
	struct ptdump d;
	long n;

	/* Not a promise of its own: said only when it fails. */
	n = buffer_pfns(before, &pfns);
	if (n != NPAGES || ptdump_load(&d)) {
		claim(false, "%s lists the buffer's %d pages (%ld) and the page-table dump parses",
		      MTMAP_DBG_MEMTYPES, NPAGES, n);
		free(pfns);
		return;
	}
	for (i = 0; i < NPAGES; i++) {
		va = (unsigned long)map + i * psz;
		r = ptdump_find(&d, va);
		user_ok += r && r->user && r->level == PT_PTE && pt_range_cache(&d, r) == (int)want;
		dm_ok += ptdump_directmap_type(&d, pfns[i]) == (int)want;
	}
	printf("  the dump says: user PTE at %#lx: %s; kernel direct map of it (%#lx): %s; ...\n",
	       (unsigned long)map, pt_cache_name(ptdump_type_at(&d, (unsigned long)map)),
	       ptdump_directmap_addr(&d, pfns[0]),
	       pt_cache_name(ptdump_directmap_type(&d, pfns[0])));
	claim(user_ok == NPAGES && dm_ok == NPAGES,
	      "every user PTE and every direct-map entry of the buffer is %s (%d/%d and %d/%d): one type per page",
	      mtmap_memtype_str(want), user_ok, NPAGES, dm_ok, NPAGES);
	ptdump_free(&d);
	free(pfns);
}

/* Steps 1 and 2: a WC buffer in the page tables, then WC -> UC- -> WB. */
static void step_types(int devfd)
{
	static const unsigned int next[] = { MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB };
	size_t psz = mtmap_page_size(), len = NPAGES * psz, i;
	unsigned int want = mt_effective(MTMAP_MEMTYPE_WC);
	const char *why = ptdump_unavailable();
	struct mt_tracks before = { 0 };
	struct mtmap_info info;
	char *map;
	int fd;

	printf("\nStep 1: a write-combining (WC) buffer, as the page tables see it\n");
	if (mtmap_memtype_refused(devfd, MTMAP_MEMTYPE_WC)) {
		not_shown("WC buffers are refused (EOPNOTSUPP): this kernel cannot change %s",
			  "the type of its direct map of RAM; WB buffers only here");
		printf("\nStep 2: a live type change\n");
		not_shown("WB only on this kernel, see step 1");
		return;
	}
	printf("  (a CPU must never see one page with two cache types: mtmap changes the\n"
	       "  kernel's own mapping of each page, the direct map, along with yours)\n");
	/* Which pages are the buffer's: only the module knows (see buffer_pfns()). */
	if (!why && mt_tracks_load(&before))
		why = MTMAP_DBG_MEMTYPES " is not readable (debugfs not mounted or not root)";
	fd = mtmap_create(devfd, len, MTMAP_MEMTYPE_WC, 0, 0);
	map = fd < 0 ? MAP_FAILED : mtmap_map(fd, len, 0);
	if (map == MAP_FAILED) {
		claim(false, "create and map a WC buffer: %s", strerror(fd < 0 ? -fd : errno));
		goto out;
	}
	mtmap_fill(map, 0, NPAGES, 1);
	printf("  created a %d-page WC buffer, mapped it at %p and wrote every page\n",
	       NPAGES, map);
	if (want != MTMAP_MEMTYPE_WC)
		printf("  PAT is off on this kernel (nopat), so WC falls back to UC-\n");
	if (why)
		not_shown("%s", why);
	else
		check_types(map, &before, want);

	printf("\nStep 2: a live type change while the buffer stays mapped\n");
	printf("  (the mappings are dropped, the pages converted, and the next touch\n"
	       "  maps them again)\n");
	for (i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		int err = mtmap_set_memtype(fd, next[i]);

		printf("  SET_MEMTYPE %s -> %s: %s\n", mtmap_memtype_str(want),
		       mtmap_memtype_str(next[i]), err ? strerror(-err) : "done");
		if (err) {
			claim(false, "SET_MEMTYPE %s", mtmap_memtype_str(next[i]));
			break;
		}
		want = next[i];
		/* Reading every page maps it again, now with the new type. */
		claim(mtmap_check(map, 0, NPAGES, 1) < 0,
		      "every word written in step 1 reads back unchanged");
		claim(!mtmap_info(fd, &info) && info.memtype == want,
		      "the buffer reports type %s", mtmap_memtype_str(want));
		if (!why)
			check_types(map, &before, want);
	}
	if (why)
		not_shown("the types in the page tables after each change: %s", why);
	munmap(map, len);
out:
	if (fd >= 0)
		close(fd);
	mt_tracks_free(&before);
}

/* Store one word and return the minor faults it cost. */
static __attribute__((noinline)) long store_counted(volatile __u64 *p, __u64 v)
{
	long before = mtmap_minflt();

	*p = v;
	return mtmap_minflt() - before;
}

/* Step 3: one fault per first write, none for the second. */
static void step_faults(int devfd)
{
	unsigned int type = mtmap_memtype_refused(devfd, MTMAP_MEMTYPE_WC) ?
			    MTMAP_MEMTYPE_WB : MTMAP_MEMTYPE_WC;
	size_t psz = mtmap_page_size(), wpp = WORDS_PER_PAGE(psz), i;
	long first = 0, second = 0, huge_before, huge_after;
	volatile __u64 warm = 0;
	__u64 *map;
	int fd;

	printf("\nStep 3: one page fault per first write\n");
	printf("  (the fault that allocates a page maps it writable: no second fault, no retry)\n");
	fd = mtmap_create(devfd, NPAGES * psz, type, 0, 0);
	map = fd < 0 ? MAP_FAILED : mtmap_map(fd, NPAGES * psz, 0);
	if (map == MAP_FAILED) {
		claim(false, "create and map a %s buffer", mtmap_memtype_str(type));
		goto out;
	}
	printf("  a new %d-page %s buffer: nothing is allocated until a page is touched\n",
	       NPAGES, mtmap_memtype_str(type));
	/* Fault in the counting code itself first, so only the stores count. */
	store_counted(&warm, 0);
	huge_before = mtmap_huge_fault_calls();
	for (i = 0; i < NPAGES; i++) {
		first += store_counted(&map[i * wpp], i);
		second += store_counted(&map[i * wpp + 1], i);
	}
	huge_after = mtmap_huge_fault_calls();
	printf("  getrusage: the first writes to the %d pages cost %ld faults, the second writes %ld\n",
	       NPAGES, first, second);
	claim(first == NPAGES && second == 0,
	      "one fault per page on the first write; the page was mapped writable at once, so no second fault");
	if (huge_before < 0)
		not_shown("%s is not readable: the module's fault counter", MTMAP_FAULTS_DEBUGFS);
	else
		claim(huge_after == huge_before,
		      "the module's 2 MiB fault counter (%s) stayed at %ld: every fault mapped one 4 KiB page",
		      MTMAP_FAULTS_DEBUGFS, huge_after);
	munmap(map, NPAGES * psz);
out:
	if (fd >= 0)
		close(fd);
}

/* Step 4: a device-exclusive atomic, revoked by a CPU write. */
static void step_exclusive(int devfd)
{
	struct mtmap_exclusive x = { 0 };
	struct mtmap_check_exclusive c = { 0 };
	struct mtmap_atomic a = { 0 };
	size_t psz = mtmap_page_size();
	volatile __u64 *p;
	int err;

	printf("\nStep 4: a device atomic, and the CPU taking the page back\n");
	printf("  (mtmap plays a GPU that holds your memory for atomics; any CPU access\n"
	       "  takes it back first, and mtmap notices)\n");
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		claim(false, "mmap an anonymous page: %s", strerror(errno));
		return;
	}
	*p = 41;
	x.addr = (uintptr_t)p;
	x.len = psz;
	err = mtmap_ioctl(devfd, MTMAP_IOC_EXCLUSIVE, &x);
	if (err == -EOPNOTSUPP) {
		not_shown("EXCLUSIVE: EOPNOTSUPP: this kernel has no device-exclusive support (CONFIG_DEVICE_PRIVATE)");
		goto out;
	}
	printf("  an ordinary anonymous page holds 41; the emulated device takes it for exclusive access\n");
	if (!claim(!err && x.held == 1, "EXCLUSIVE: the device holds the page (%s)",
		   err ? strerror(-err) : "held 1"))
		goto out;

	a.addr = (uintptr_t)p;
	a.op = MTMAP_ATOMIC_ADD;
	a.value = 1;
	err = mtmap_ioctl(devfd, MTMAP_IOC_ATOMIC, &a);
	claim(!err && a.old == 41 && !(a.result & MTMAP_ATOMIC_REACQUIRED),
	      "device atomic add 1: it saw 41, and needed no page back from the CPU");

	printf("  the CPU now writes 100 to the page\n");
	*p = 100;
	c.addr = (uintptr_t)p;
	c.len = psz;
	err = mtmap_ioctl(devfd, MTMAP_IOC_CHECK_EXCLUSIVE, &c);
	claim(!err && c.held == 0 && c.revoked == 1,
	      "CHECK_EXCLUSIVE: the CPU write revoked the device's hold (held %llu, revoked %llu)",
	      (unsigned long long)c.held, (unsigned long long)c.revoked);

	memset(&a, 0, sizeof(a));
	a.addr = (uintptr_t)p;
	a.op = MTMAP_ATOMIC_ADD;
	a.value = 1;
	err = mtmap_ioctl(devfd, MTMAP_IOC_ATOMIC, &a);
	claim(!err && a.old == 100 && (a.result & MTMAP_ATOMIC_REACQUIRED) && *p == 101,
	      "the next device atomic took the page back, saw the CPU's 100, and the CPU reads 101");
out:
	munmap((void *)p, psz);
}

int main(void)
{
	int devfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("mtmap demo: each step checks a promise of mtmap with a witness that is not mtmap.\n");
	devfd = open(MTMAP_DEV, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		fprintf(stderr, "open %s: %s (is the mtmap module loaded? are you root?)\n",
			MTMAP_DEV, strerror(errno));
		return 1;
	}
	step_types(devfd);
	step_faults(devfd);
	step_exclusive(devfd);
	close(devfd);

	printf("\n%d claim%s proved, %d false, %d not shown on this kernel.\n",
	       proved, proved == 1 ? "" : "s", falsified, unshown);
	return falsified ? 1 : 0;
}
