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
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>

#include "mtmap.h"

static struct dentry *mtmap_debugfs_dir;

static int mtmap_memtypes_show(struct seq_file *m, void *unused)
{
	mtmap_track_show(m);
	mtmap_buffers_show_wb(m);
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
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mtmap_faults);

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
}

/**
 * mtmap_debugfs_exit() - remove /sys/kernel/debug/mtmap/
 */
void mtmap_debugfs_exit(void)
{
	debugfs_remove_recursive(mtmap_debugfs_dir);
}
