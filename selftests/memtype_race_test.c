// SPDX-License-Identifier: GPL-2.0
/*
 * memtype_race_test: live memory-type changes of a mapped buffer: data
 * kept and PTEs zapped and refaulted in the new type, across processes,
 * and racing with faults. Under TCG caches are not modelled, so data
 * cannot show a stale type: the page tables are the oracle, each user PTE
 * tied to the direct-map entry of its own pfn (memtype_harness.h), while
 * the race runs and after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memtype_harness.h"

MT_FIXTURE();

/* WB -> WC -> UC- -> WB while mapped: data kept, PTEs follow the type. */
TEST_F_TIMEOUT(mt, live_change_keeps_data, MT_TIMEOUT)
{
	static const unsigned int seq[] = {
		MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB,
		MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_WB,
	};
	struct tbuf b;
	size_t i;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	NEED_DEBUGFS();
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WB);
	mtmap_fill(b.map, 0, NPAGES, 100);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		unsigned int prev = i ? seq[i - 1] : MTMAP_MEMTYPE_WB;

		ASSERT_EQ(0, mtmap_set_memtype(b.fd, seq[i])) TH_LOG("to %s", pt_cache_name(seq[i]));
		if (mt_effective(prev) != mt_effective(seq[i]))
			check_not_present(_metadata, b.map, NPAGES);
		EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 100 + i))
			TH_LOG("data lost changing %s -> %s", pt_cache_name(prev),
			       pt_cache_name(seq[i]));
		mtmap_fill(b.map, 0, NPAGES, 101 + i);
		check_types(_metadata, &b, b.map, NPAGES, mt_effective(seq[i]));
		EXPECT_EQ(NPAGES, (long)mtmap_populated(b.fd));
	}
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/* Child exit codes of live_change_multiprocess. */
enum { CHILD_OK, CHILD_DATA_BEFORE, CHILD_SYNC, CHILD_STILL_MAPPED,
       CHILD_DATA_AFTER, CHILD_PTE_TYPE, CHILD_MMAP, CHILD_PTDUMP };

static int child_check_ptes(const char *m1, const char *m2, size_t npages,
			    int want)
{
	size_t i, psz = mtmap_page_size();
	struct ptdump d;
	int ret = CHILD_OK;

	if (ptdump_load(&d))
		return CHILD_PTDUMP;
	for (i = 0; i < npages; i++) {
		if (ptdump_type_at(&d, (unsigned long)m1 + i * psz) != want ||
		    ptdump_type_at(&d, (unsigned long)m2 + i * psz) != want) {
			ret = want == -ENOENT ? CHILD_STILL_MAPPED : CHILD_PTE_TYPE;
			break;
		}
	}
	ptdump_free(&d);
	return ret;
}

/*
 * Parent and child both map the buffer (the child through the inherited
 * mapping and one of its own); the parent changes the type; the child
 * sees its PTEs zapped, reads the same data and faults in the new type.
 */
TEST_F_TIMEOUT(mt, live_change_multiprocess, MT_TIMEOUT)
{
	unsigned int eff = mt_effective(MTMAP_MEMTYPE_WC);
	int p2c[2], c2p[2], status;
	bool types;
	struct tbuf b;
	char c = 0;
	pid_t pid;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_DEBUGFS();
	types = !ptdump_unavailable();
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WB);
	mtmap_fill(b.map, 0, NPAGES, 200);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *own;
		int ret;

		close(p2c[1]);
		close(c2p[0]);
		own = mtmap_map(b.fd, NPAGES * b.psz, 0);
		if (own == MAP_FAILED)
			_exit(CHILD_MMAP);
		if (mtmap_check(b.map, 0, NPAGES, 200) != -1 ||
		    mtmap_check(own, 0, NPAGES, 200) != -1)
			_exit(CHILD_DATA_BEFORE);
		if (types && (ret = child_check_ptes(b.map, own, NPAGES, PT_WB)))
			_exit(ret);
		if (write(c2p[1], "R", 1) != 1 || read(p2c[0], &c, 1) != 1 || c != 'G')
			_exit(CHILD_SYNC);
		/* The parent changed the type: nothing of ours is mapped. */
		if (types && (ret = child_check_ptes(b.map, own, NPAGES, -ENOENT)))
			_exit(ret);
		if (mtmap_check(b.map, 0, NPAGES, 200) != -1 ||
		    mtmap_check(own, 0, NPAGES, 200) != -1)
			_exit(CHILD_DATA_AFTER);
		mtmap_fill(own, 0, NPAGES, 201);
		if (types && (ret = child_check_ptes(b.map, own, NPAGES, (int)eff)))
			_exit(ret);
		_exit(CHILD_OK);
	}
	close(p2c[0]);
	close(c2p[1]);
	ASSERT_EQ(1, read(c2p[0], &c, 1));
	ASSERT_EQ('R', c);
	ASSERT_EQ(0, mtmap_set_memtype(b.fd, MTMAP_MEMTYPE_WC));
	ASSERT_EQ(1, write(p2c[1], "G", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child died, status %#x", status);
	EXPECT_EQ(CHILD_OK, WEXITSTATUS(status))
		TH_LOG("child failed at step %d (1 data before, 3 still mapped, 4 data after, 5 PTE type, 7 ptdump)",
		       WEXITSTATUS(status));
	check_not_present(_metadata, b.map, NPAGES);
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 201));
	check_types(_metadata, &b, b.map, NPAGES, eff);
	close(p2c[1]);
	close(c2p[0]);
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

/* Faults racing with type changes: every thread always reads its data. */
struct race_arg {
	char *map;
	size_t first, npages;
	volatile int *stop;
	long errors, rounds;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	size_t psz = mtmap_page_size();
	char *m = a->map + a->first * psz;
	__u64 seed = 1000 + a->first;

	while (!*a->stop) {
		mtmap_fill(m, a->first, a->npages, seed);
		if (mtmap_check(m, a->first, a->npages, seed) != -1)
			a->errors++;
		seed++;
		a->rounds++;
	}
	return NULL;
}

/*
 * Faults race with type changes. Data alone cannot fail under TCG (no
 * caches), so the page tables are checked: the changer pauses every few
 * changes while the faulting threads go on, and every user PTE present
 * then must be of the buffer's current type, over a pfn of the buffer
 * whose direct map is of that type too (a fault that slipped in with the
 * old type, or a PTE that survived the zap, fails it); and again after
 * the race, every page mapped.
 */
TEST_F_TIMEOUT(mt, live_change_races_faults, MT_TIMEOUT)
{
	static const unsigned int cycle[] = {
		MTMAP_MEMTYPE_WC, MTMAP_MEMTYPE_UC_MINUS, MTMAP_MEMTYPE_WB,
	};
	long seen = 0, snaps = 0;
	struct race_arg args[2];
	volatile int stop = 0;
	bool pt = !ptdump_unavailable();
	struct mt_ptes ptes;
	struct ptdump d;
	struct tbuf b;
	pthread_t th[2];
	int i;

	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_WC);
	NEED_MEMTYPE(self->devfd, MTMAP_MEMTYPE_UC_MINUS);
	NEED_DEBUGFS();
	tbuf_create(_metadata, self->devfd, &b, NPAGES, MTMAP_MEMTYPE_WB);
	for (i = 0; i < 2; i++) {
		args[i] = (struct race_arg){ .map = b.map, .first = i * NPAGES / 2,
					     .npages = NPAGES / 2, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_thread, &args[i]));
	}
	for (i = 0; i < 30; i++) {
		EXPECT_EQ(0, mtmap_set_memtype(b.fd, cycle[i % 3]));
		usleep(2000);
		if (!pt || i % 5 != 4)
			continue;
		/* Only faults run now: they must map the current type. */
		ASSERT_EQ(0, ptdump_load(&d));
		ASSERT_EQ(0, mt_ptes_load(&ptes));
		seen += check_ptes_tied(_metadata, &d, &ptes, b.map, NPAGES,
					(int)mt_effective(cycle[i % 3]), NULL, 0, false);
		snaps++;
		mt_ptes_free(&ptes);
		ptdump_free(&d);
	}
	stop = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, args[i].errors) TH_LOG("thread %d: %ld of %ld rounds bad",
						    i, args[i].errors, args[i].rounds);
	}
	if (pt) {
		TH_LOG("%ld user PTEs checked in %ld snapshots during the race", seen, snaps);
		EXPECT_LT(0, seen) TH_LOG("no PTE was mapped at any snapshot: nothing raced");
	}
	/* After: every page mapped, its PTE and its pfn's direct map of the last type. */
	mtmap_fill(b.map, 0, NPAGES, 600);
	check_types(_metadata, &b, b.map, NPAGES, mt_effective(cycle[29 % 3]));
	EXPECT_EQ(-1, mtmap_check(b.map, 0, NPAGES, 600));
	tbuf_release(&b);
	PTDUMP_SKIPPED();
}

TEST_HARNESS_MAIN
