// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the mtmap selftests and benchmarks (mtmap_util.h).
 * Linked into every program rather than inlined from a header, so that
 * each helper exists once; the fault-counting passes rely on being out of
 * line anyway (see write_pass()).
 */
#include <setjmp.h>
#include <signal.h>

#include "mtmap_util.h"

size_t mtmap_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Issue an ioctl and fold errno into the return value. */
int mtmap_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/*
 * Create a buffer; returns its fd or -errno. @prefault is only valid with
 * MTMAP_CREATE_PREFAULT in @flags (the kernel refuses it otherwise).
 */
int mtmap_create(int devfd, __u64 size, __u32 memtype, __u32 flags, __u32 prefault)
{
	struct mtmap_create c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.memtype = memtype;
	c.flags = flags;
	c.prefault = prefault;
	c.fd = -1;
	ret = mtmap_ioctl(devfd, MTMAP_IOC_CREATE, &c);
	return ret ? ret : c.fd;
}

/*
 * Can this kernel make a buffer of @memtype? Creates (and closes) a
 * one-page buffer: 0, or the -errno of the refusal (-EOPNOTSUPP where the
 * direct map of RAM cannot be converted, e.g. arm64).
 */
int mtmap_memtype_probe(int devfd, __u32 memtype)
{
	int fd = mtmap_create(devfd, mtmap_page_size(), memtype, 0, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * True where @memtype buffers are refused with EOPNOTSUPP, the documented
 * answer of a kernel that cannot convert the direct map: the tests of that
 * type SKIP there, by this capability, not by architecture. An x86 build
 * never says so: x86 always converts, and a refusal there is a bug the
 * tests must report (they then fail creating the buffer), not a reason to
 * skip.
 */
bool mtmap_memtype_refused(int devfd, __u32 memtype)
{
#if defined(__x86_64__) || defined(__i386__)
	(void)devfd;
	(void)memtype;
	return false;
#else
	return mtmap_memtype_probe(devfd, memtype) == -EOPNOTSUPP;
#endif
}

const char *mtmap_memtype_str(__u32 memtype)
{
	switch (memtype) {
	case MTMAP_MEMTYPE_WB: return "WB";
	case MTMAP_MEMTYPE_WC: return "WC";
	case MTMAP_MEMTYPE_UC_MINUS: return "UC-";
	case MTMAP_MEMTYPE_WT: return "WT";
	default: return "?";
	}
}

/* Change a live buffer's memory type; 0 or -errno. */
int mtmap_set_memtype(int bufd, __u32 memtype)
{
	struct mtmap_set_memtype s;

	memset(&s, 0, sizeof(s));
	s.memtype = memtype;
	return mtmap_ioctl(bufd, MTMAP_IOC_SET_MEMTYPE, &s);
}

int mtmap_info(int bufd, struct mtmap_info *info)
{
	/* Poison so a field the kernel forgets to fill cannot read as 0. */
	memset(info, 0xff, sizeof(*info));
	return mtmap_ioctl(bufd, MTMAP_IOC_INFO, info);
}

/* Pages allocated so far, or (__u64)-1 if INFO fails. */
__u64 mtmap_populated(int bufd)
{
	struct mtmap_info info;

	if (mtmap_info(bufd, &info))
		return (__u64)-1;
	return info.populated;
}

/*
 * MTMAP_IOC_GET_DIRTY into a bitmap of @words words; the number of dirty
 * pages reported goes to @count if not NULL. 0 or -errno.
 */
int mtmap_get_dirty(int bufd, __u64 *bm, size_t words, __u64 *count)
{
	struct mtmap_get_dirty g;
	int ret;

	memset(&g, 0, sizeof(g));
	/* Poison: every word the kernel owes us must be written. */
	memset(bm, 0xa5, words * sizeof(*bm));
	g.bitmap = (uintptr_t)bm;
	g.bitmap_size = words * sizeof(*bm);
	g.dirty = ~0ULL;
	ret = mtmap_ioctl(bufd, MTMAP_IOC_GET_DIRTY, &g);
	if (count)
		*count = g.dirty;
	return ret;
}

/* Is page @i set in a GET_DIRTY bitmap? */
bool dirty_bit(const __u64 *bm, size_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

/*
 * Read a module parameter. Base 0 so that an octal "0600" and a decimal
 * "384" both parse to the same mode.
 */
int mtmap_read_param(const char *name, unsigned long *val)
{
	char path[128], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), MTMAP_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*val = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

/*
 * Is the use_pools parameter on? A bool parameter reads "Y" or "N"; a
 * module without the parameter has its pools on.
 */
bool mtmap_pools_on(void)
{
	char buf[8] = "";
	int fd = open(MTMAP_PARAM_DIR "use_pools", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 'Y';
	close(fd);
	return buf[0] != 'N' && buf[0] != 'n' && buf[0] != '0';
}

/*
 * Was the module loaded with @name=... (the harness exports the insmod
 * parameters as MTMAP_MODPARAMS)? Then its default is not in effect.
 */
bool mtmap_modparam_given(const char *name)
{
	const char *p = getenv("MTMAP_MODPARAMS");
	size_t n = strlen(name);

	for (; p && (p = strstr(p, name)); p += n)
		if (p[n] == '=' && (p == getenv("MTMAP_MODPARAMS") || p[-1] == ' '))
			return true;
	return false;
}

void *mtmap_map(int bufd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bufd, off);
}

/* Fill @npages pages at @p, which is buffer page @first. */
void mtmap_fill(void *p, size_t first, size_t npages, __u64 seed)
{
	size_t wpp = WORDS_PER_PAGE(mtmap_page_size());
	__u64 *w = p;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < wpp; j++)
			w[i * wpp + j] = mtmap_pattern(first + i, j, seed);
}

/*
 * Check a region written by mtmap_fill(). Returns the index of the first
 * bad word, or -1 if everything matches.
 */
long mtmap_check(const void *p, size_t first, size_t npages, __u64 seed)
{
	size_t wpp = WORDS_PER_PAGE(mtmap_page_size());
	const __u64 *w = p;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < wpp; j++)
			if (w[i * wpp + j] != mtmap_pattern(first + i, j, seed))
				return (long)(i * wpp + j);
	return -1;
}

/* Index of the first non-zero byte in [p, p + len), or -1. */
long mtmap_first_nonzero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return (long)i;
	return -1;
}

/*
 * How often the kernel has called mtmap's ->huge_fault for a PMD since the
 * module was loaded (debugfs "faults"), or -1 if that cannot be read.
 */
long mtmap_huge_fault_calls(void)
{
	long n = -1;
	FILE *f = fopen(MTMAP_FAULTS_DEBUGFS, "r");

	if (!f)
		return -1;
	if (fscanf(f, "huge_fault_pmd %ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * Does the running kernel ask for a PMD when a 2 MiB aligned chunk of a
 * MTMAP_CREATE_HUGE buffer is first touched, under the current THP sysfs
 * setting and with @advice (0, MADV_HUGEPAGE or MADV_NOHUGEPAGE) on the
 * mapping? Which mappings get PMDs is the kernel's decision and has
 * changed within stable series, so tests probe it on a scratch buffer
 * instead of deriving it from a version: 1 yes, 0 no, -errno if the probe
 * itself failed.
 */
int mtmap_probe_pmd(int devfd, int advice)
{
	const size_t sz = SZ_2M;
	long before, after;
	int ret, bufd;
	char *m;

	bufd = mtmap_create(devfd, sz, MTMAP_MEMTYPE_WB, MTMAP_CREATE_HUGE, 0);
	if (bufd < 0)
		return bufd;
	ret = 0;
	/* Twice the size, so that a 2 MiB aligned start can be chosen. */
	m = mmap(NULL, 2 * sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	munmap(m, 2 * sz);
	m = (char *)(((uintptr_t)m + sz - 1) & ~(uintptr_t)(sz - 1));
	m = mmap(m, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, bufd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	if (advice && madvise(m, sz, advice))
		ret = -errno;
	before = mtmap_huge_fault_calls();
	if (!ret)
		*(volatile char *)m = 1;
	after = mtmap_huge_fault_calls();
	munmap(m, sz);
	if (!ret)
		ret = before < 0 || after < 0 ? -ENOENT : after > before;
out:
	close(bufd);
	return ret;
}

long mtmap_minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

/*
 * The measured loops touch nothing but the buffer: one word per page
 * through a volatile pointer, counters in registers. noinline keeps them
 * out of the caller, so warming them up once also faults in their text;
 * being in their own translation unit also keeps the compiler from
 * cloning them per call site (a clone's text would fault on first use).
 * Both return the minor faults the pass took.
 */
__attribute__((noinline)) long write_pass(volatile __u64 *p, size_t npages, size_t stride,
					  __u64 v)
{
	long before, after;
	size_t i;

	before = mtmap_minflt();
	for (i = 0; i < npages; i++)
		p[i * stride] = v + i;
	after = mtmap_minflt();
	return after - before;
}

__attribute__((noinline)) long read_pass(const volatile __u64 *p, size_t npages, size_t stride,
					 __u64 *sum)
{
	long before, after;
	__u64 s = 0;
	size_t i;

	before = mtmap_minflt();
	for (i = 0; i < npages; i++)
		s += p[i * stride];
	after = mtmap_minflt();
	*sum = s;
	return after - before;
}

/* store_segv() / load_segv(): does the access raise SIGSEGV? */
static sigjmp_buf segv_env;

static void segv_handler(int sig)
{
	(void)sig;
	siglongjmp(segv_env, 1);
}

/* Does a store of @v to @p (@write) or a load from it raise SIGSEGV? */
static bool access_segv(volatile __u64 *p, bool write, __u64 v)
{
	struct sigaction sa, old;
	bool hit;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = segv_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_env, 1) == 0) {
		if (write)
			*p = v;
		else
			(void)*p;
		hit = false;
	} else {
		hit = true;
	}
	sigaction(SIGSEGV, &old, NULL);
	return hit;
}

bool store_segv(volatile __u64 *p, __u64 v)
{
	return access_segv(p, true, v);
}

bool load_segv(const volatile __u64 *p)
{
	return access_segv((volatile __u64 *)p, false, 0);
}

/* A 2 MiB aligned address with @len free bytes after it (reserved). */
unsigned long reserve_aligned(size_t len)
{
	void *r = mmap(NULL, len + SZ_2M, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	unsigned long a;

	if (r == MAP_FAILED)
		return 0;
	a = ((unsigned long)r + SZ_2M - 1) & ~(SZ_2M - 1);
	return a;
}

/* madvise() exists (CONFIG_ADVISE_SYSCALLS; debug-6.12 lacks it). */
bool have_madvise(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (p == MAP_FAILED)
		return true;
	ok = !(madvise(p, 4096, MADV_NORMAL) && errno == ENOSYS);
	munmap(p, 4096);
	return ok;
}

/* Read a whole file into a NUL-terminated malloc()ed buffer. */
int mt_read_file(const char *path, char **out, size_t *outlen)
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

int mt_write_file(const char *path, const char *s)
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

/*
 * THP "enabled" mode. tools/testing/selftests/mm/thp_settings.c is not
 * used: it exit()s on any sysfs error (a kernel without THP must SKIP,
 * not kill the test child), saves and rewrites every THP knob where only
 * "enabled" changes, and is missing from the older kernel trees KSRC may
 * point at, while mtmap_bench is built without KSRC at all.
 */

/* Current THP mode ("always", "madvise", "never"), "" if unknown. */
void thp_get(char *mode, size_t len)
{
	char *buf = NULL, *l, *r;

	mode[0] = '\0';
	if (mt_read_file(THP_ENABLED, &buf, NULL))
		return;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r)
		snprintf(mode, len, "%.*s", (int)(r - l - 1), l + 1);
	free(buf);
}

int thp_set(const char *mode)
{
	return mt_write_file(THP_ENABLED, mode);
}
