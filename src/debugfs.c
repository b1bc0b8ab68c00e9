// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/mtmap/: what mtmap owns, for people and for tests.
 *
 * memtypes: every pfn range mtmap owns with its type, owner, number of user
 *           mappings, and a fresh check of the direct map: the tracked
 *           (WC/UC-) ranges first, then the pages of WB buffers. RAM
 *           included, which the kernel's own x86/pat_memtype_list leaves
 *           out.
 * pools:    pool sizes and hit/miss counters.
 * drain_pools: write anything to give every pool page back to the system.
 * faults:   "huge_fault_pmd N": how often the core called ->huge_fault for
 *           a PMD. Tests read it to learn whether this kernel asks for
 *           PMDs on a given mapping, instead of guessing from its version.
 *           "handler_calls N": calls of the fault handlers that did not
 *           fall back; with getrusage() faults it shows a retried fault.
 * ptes:     "vaddr pfn" for every present page of the reader's own
 *           mtmap mappings, read from its page tables (not from mtmap's
 *           bookkeeping): with the kernel's page-table dump, the tests tie
 *           each user PTE to the direct-map entry of its own pfn, which
 *           /proc/self/pagemap cannot (it skips VM_PFNMAP).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "compat.h"
#include "mtmap.h"

static struct dentry *mtmap_debugfs_dir;

/*
 * A run of consecutive pfns with one owner and one type: one line of
 * "memtypes". The owner is copied at the start of the run, so that the
 * line can be printed after the lock that kept the owner alive is gone.
 */
struct mtmap_pfn_run {
	struct seq_file *m;
	unsigned long start, last;
	u32 type, owner_id;
	const char *kind;
	char name[sizeof_field(struct mtmap_owner, name)];
	int maps;
	bool have, ok;
};

static void mtmap_run_flush(struct mtmap_pfn_run *r)
{
	if (r->have)
		seq_printf(r->m, "%#lx-%#lx %s %s:%s %d %s\n", r->start, r->last,
			   mtmap_memtype_name(r->type), r->kind, r->name,
			   r->maps, r->ok ? "ok" : "MISMATCH");
	r->have = false;
}

/*
 * Extend the run by @pfn, or print it and start another. Every page's
 * direct map is read afresh: "ok" only if all of them have @type.
 */
static void mtmap_run_add(void *arg, unsigned long pfn, u32 type,
			  u32 owner_id, const struct mtmap_owner *o)
{
	struct mtmap_pfn_run *r = arg;

	if (r->have && (pfn != r->last + 1 || type != r->type ||
			owner_id != r->owner_id))
		mtmap_run_flush(r);
	if (!r->have) {
		r->start = pfn;
		r->type = type;
		r->owner_id = owner_id;
		r->kind = o ? o->kind : "?";
		strscpy(r->name, o ? o->name : "?", sizeof(r->name));
		r->maps = o && o->nr_maps ? atomic_read(o->nr_maps) : 0;
		r->ok = true;
		r->have = true;
	}
	r->last = pfn;
	if (mtmap_memtype_directmap(pfn_to_page(pfn)) !=
	    (int)mtmap_memtype_effective(type))
		r->ok = false;
}

/*
 * WB pages are not in the memory-type table (WB is the untracked state),
 * so they are listed from their buffers.
 */
static void mtmap_run_add_wb_buffer(struct mtmap_buffer *buf, void *arg)
{
	struct folio *folio;
	struct page *page;
	unsigned long idx;
	unsigned int i;

	/* No type change while the pages are printed. */
	down_read(&buf->map_lock);
	if (buf->memtype == MTMAP_MEMTYPE_WB) {
		for (idx = 0; (page = mtmap_buffer_next_page(buf, &idx)); idx++)
			mtmap_run_add(arg, page_to_pfn(page), buf->memtype,
				      buf->owner.id, &buf->owner);
		xa_for_each(&buf->huge, idx, folio) {
			for (i = 0; i < MTMAP_HUGE_NR; i++)
				mtmap_run_add(arg, folio_pfn(folio) + i,
					      buf->memtype, buf->owner.id,
					      &buf->owner);
		}
	}
	up_read(&buf->map_lock);
	mtmap_run_flush(arg);
}

/* The tracked (WC/UC-) ranges first, then the pages of WB buffers. */
static int mtmap_memtypes_show(struct seq_file *m, void *unused)
{
	struct mtmap_pfn_run run = { .m = m };

	seq_puts(m, "# pfn-range type owner maps directmap\n");
	mtmap_track_walk(mtmap_run_add, &run);
	mtmap_run_flush(&run);
	mtmap_buffer_walk(mtmap_run_add_wb_buffer, &run);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtmap_memtypes);

static int mtmap_pools_dbg_show(struct seq_file *m, void *unused)
{
	mtmap_pool_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtmap_pools_dbg);

static int mtmap_faults_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "huge_fault_pmd %ld\n", mtmap_huge_fault_count());
	seq_printf(m, "handler_calls %ld\n", mtmap_fault_handler_count());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtmap_faults);

static int mtmap_ptes_show(struct seq_file *m, void *unused)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long addr, pfn;

	seq_puts(m, "# vaddr pfn\n");
	if (!mm)
		return 0;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (vma->vm_ops != &mtmap_vm_ops && vma->vm_ops != &mtmap_vm_ops_dirty)
				continue;
			for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE)
				if (!mtmap_follow_pfn(vma, addr, &pfn))
					seq_printf(m, "%#lx %#lx\n", addr, pfn);
		}
	}
	mmap_read_unlock(mm);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtmap_ptes);

static ssize_t mtmap_drain_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	mtmap_pool_drain_all();
	return len;
}

static const struct file_operations mtmap_drain_fops = {
	.owner = THIS_MODULE,
	.write = mtmap_drain_write,
	.llseek = noop_llseek,
};

/**
 * mtmap_debugfs_init() - create /sys/kernel/debug/mtmap/
 *
 * debugfs failures are not fatal; the files are simply missing.
 */
void mtmap_debugfs_init(void)
{
	mtmap_debugfs_dir = debugfs_create_dir(MTMAP_NAME, NULL);
	debugfs_create_file("memtypes", 0400, mtmap_debugfs_dir, NULL,
			    &mtmap_memtypes_fops);
	debugfs_create_file("pools", 0400, mtmap_debugfs_dir, NULL,
			    &mtmap_pools_dbg_fops);
	debugfs_create_file("drain_pools", 0200, mtmap_debugfs_dir, NULL,
			    &mtmap_drain_fops);
	debugfs_create_file("faults", 0400, mtmap_debugfs_dir, NULL,
			    &mtmap_faults_fops);
	debugfs_create_file("ptes", 0400, mtmap_debugfs_dir, NULL,
			    &mtmap_ptes_fops);
}

/**
 * mtmap_debugfs_exit() - remove /sys/kernel/debug/mtmap/
 */
void mtmap_debugfs_exit(void)
{
	debugfs_remove_recursive(mtmap_debugfs_dir);
}
