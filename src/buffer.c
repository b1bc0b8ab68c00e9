// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers: one file (and one inode, hence one address_space) per buffer,
 * so that every user mapping of a buffer can later be zapped precisely
 * with unmap_mapping_range() on that address_space alone.
 *
 * Lifetime: the file owns the buffer. Every mapping holds a reference to
 * the file through vma->vm_file, so ->release runs only after the last
 * fd is closed and the last mapping is gone; only then are pages freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "mtmap.h"

#define MTMAP_BATCH 512

typedef int (*mtmap_batch_fn)(struct mtmap_buffer *buf, struct page **pages,
			      unsigned int n, void *arg);

/* "mtmp": identifies our pseudo filesystem in statfs(). */
#define MTMAP_FS_MAGIC 0x6d746d70

static struct vfsmount *mtmap_mnt;

/* Every live buffer, for debugfs. */
static LIST_HEAD(mtmap_buffers);
static DEFINE_MUTEX(mtmap_buffers_lock);

/*
 * The name of every buffer file: /proc/<pid>/maps prints a mapped file's
 * path (vm_ops->name is only asked for file-less VMAs), and
 * /proc/<pid>/fd shows it too.
 */
static char *mtmap_dname(struct dentry *dentry, char *buffer, int buflen)
{
	static const char name[] = "[" MTMAP_NAME "]";

	if (buflen < (int)sizeof(name))
		return ERR_PTR(-ENAMETOOLONG);
	return memcpy(buffer + buflen - sizeof(name), name, sizeof(name));
}

static const struct dentry_operations mtmap_dentry_ops = {
	.d_dname = mtmap_dname,
};

static int mtmap_fs_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, MTMAP_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &mtmap_dentry_ops;
	return 0;
}

static struct file_system_type mtmap_fs_type = {
	.name = "mtmapfs",
	.init_fs_context = mtmap_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * mtmap_fs_init() - mount the internal filesystem buffers' inodes live on
 *
 * Return: 0 or a negative errno.
 */
int mtmap_fs_init(void)
{
	mtmap_mnt = kern_mount(&mtmap_fs_type);
	return PTR_ERR_OR_ZERO(mtmap_mnt);
}

/**
 * mtmap_fs_exit() - unmount the internal filesystem
 *
 * Only called at module exit, when no buffer can exist any more.
 */
void mtmap_fs_exit(void)
{
	kern_unmount(mtmap_mnt);
}

/*
 * Allocate the page at @idx and install it unless a racing fault got
 * there first, in which case ours goes back and theirs is returned.
 * cmpxchg() is fully ordered: the page is zeroed before anyone sees it.
 */
static struct page *mtmap_buffer_install(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct page *page, *old;

	page = buf->placement->alloc(buf);
	if (IS_ERR(page))
		return page;
	old = cmpxchg(&buf->pages[idx], NULL, page);
	if (old) {
		buf->placement->release(buf, &page, 1, buf->memtype);
		return old;
	}
	atomic_long_inc(&buf->populated);
	return page;
}

/**
 * mtmap_buffer_get_or_alloc_page() - find or allocate the page at @idx
 * @buf: the buffer
 * @idx: page index, below @buf->npages
 *
 * Racing callers for one index get the same page; it is allocated once.
 * The caller holds @buf->map_lock for read, so the buffer's memory type
 * cannot change under it.
 *
 * Return: the page (the buffer keeps its reference) or an ERR_PTR().
 */
struct page *mtmap_buffer_get_or_alloc_page(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct page *page;

	page = mtmap_huge_lookup(buf, idx) ?: mtmap_buffer_page(buf, idx);
	if (page)
		return page;

	/*
	 * A chunk of a huge buffer must not get 4 KiB pages while it is
	 * becoming one folio: both allocations are serialised by @buf->lock.
	 */
	if (buf->flags & MTMAP_CREATE_HUGE) {
		mutex_lock(&buf->lock);
		page = mtmap_huge_lookup(buf, idx) ?: mtmap_buffer_page(buf, idx);
		if (!page)
			page = mtmap_buffer_install(buf, idx);
		mutex_unlock(&buf->lock);
		return page;
	}
	/*
	 * Otherwise no lock: the first touch of a page takes no lock of the
	 * buffer's, and losing the race (two threads touching one new page)
	 * is rare.
	 */
	return mtmap_buffer_install(buf, idx);
}

/**
 * mtmap_buffer_next_page() - the next existing 4 KiB page of a buffer
 * @buf: the buffer
 * @idx: in: first index to look at; out: the index of the page returned
 *
 * Return: the first page at index *@idx or above, or NULL if none.
 */
struct page *mtmap_buffer_next_page(struct mtmap_buffer *buf, pgoff_t *idx)
{
	struct page *page;

	for (; *idx < buf->npages; (*idx)++) {
		page = mtmap_buffer_page(buf, *idx);
		if (page)
			return page;
	}
	return NULL;
}

/*
 * Call @fn on the buffer's populated 4 KiB pages (and, with @huge, on the
 * pages of its 2 MiB folios too), MTMAP_BATCH at a time, so that
 * memory-type conversions are batched (one TLB flush per call).
 */
static int mtmap_buffer_batched(struct mtmap_buffer *buf, bool huge,
				mtmap_batch_fn fn, void *arg)
{
	struct folio *folio;
	struct page **batch;
	unsigned long idx;
	struct page *page;
	unsigned int n = 0, i;
	int err = 0;

	BUILD_BUG_ON(MTMAP_BATCH % MTMAP_HUGE_NR);
	batch = kvmalloc_array(MTMAP_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	for (idx = 0; (page = mtmap_buffer_next_page(buf, &idx)); idx++) {
		batch[n++] = page;
		if (n == MTMAP_BATCH) {
			err = fn(buf, batch, n, arg);
			n = 0;
			if (err)
				goto out;
		}
	}
	xa_for_each(&buf->huge, idx, folio) {
		if (!huge)
			break;
		if (n + MTMAP_HUGE_NR > MTMAP_BATCH) {
			err = fn(buf, batch, n, arg);
			n = 0;
			if (err)
				goto out;
		}
		for (i = 0; i < MTMAP_HUGE_NR; i++)
			batch[n++] = folio_page(folio, i);
	}
	if (n)
		err = fn(buf, batch, n, arg);
out:
	kvfree(batch);
	return err;
}

static int mtmap_buffer_release_batch(struct mtmap_buffer *buf,
				      struct page **pages, unsigned int n,
				      void *arg)
{
	buf->placement->release(buf, pages, n, buf->memtype);
	return 0;
}

static void mtmap_buffer_free(struct mtmap_buffer *buf)
{
	struct folio *folio;
	unsigned long chunk;

	mutex_lock(&mtmap_buffers_lock);
	list_del(&buf->node);
	mutex_unlock(&mtmap_buffers_lock);

	xa_for_each(&buf->huge, chunk, folio)
		mtmap_huge_release(buf, folio);
	xa_destroy(&buf->huge);
	if (mtmap_buffer_batched(buf, false, mtmap_buffer_release_batch, NULL)) {
		/* No memory for a batch array: give pages back one by one. */
		unsigned long idx;
		struct page *page;

		for (idx = 0; (page = mtmap_buffer_next_page(buf, &idx)); idx++)
			buf->placement->release(buf, &page, 1, buf->memtype);
	}
	kvfree(buf->pages);
	bitmap_free(buf->dirty);
	mtmap_owner_unregister(&buf->owner);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

/* A run of consecutive pfns of one buffer, for debugfs. */
struct mtmap_run {
	unsigned long start, last;
	bool have, ok;
};

static void mtmap_run_flush(struct seq_file *m, struct mtmap_buffer *buf,
			    struct mtmap_run *r)
{
	if (r->have)
		mtmap_memtype_show_range(m, r->start, r->last, buf->memtype,
					 &buf->owner, r->ok);
	r->have = false;
}

static void mtmap_run_add(struct seq_file *m, struct mtmap_buffer *buf,
			  struct mtmap_run *r, unsigned long pfn)
{
	if (r->have && pfn != r->last + 1)
		mtmap_run_flush(m, buf, r);
	if (!r->have) {
		r->start = pfn;
		r->ok = true;
		r->have = true;
	}
	r->last = pfn;
	if (mtmap_memtype_directmap(pfn_to_page(pfn)) != (int)buf->memtype)
		r->ok = false;
}

/* Print @buf's pages as runs of consecutive pfns. */
static void mtmap_buffer_show_pages(struct seq_file *m, struct mtmap_buffer *buf)
{
	struct mtmap_run run = { };
	struct folio *folio;
	struct page *page;
	unsigned long idx;
	unsigned int i;

	for (idx = 0; (page = mtmap_buffer_next_page(buf, &idx)); idx++)
		mtmap_run_add(m, buf, &run, page_to_pfn(page));
	xa_for_each(&buf->huge, idx, folio) {
		for (i = 0; i < MTMAP_HUGE_NR; i++)
			mtmap_run_add(m, buf, &run, folio_pfn(folio) + i);
	}
	mtmap_run_flush(m, buf, &run);
}

/**
 * mtmap_buffers_show_wb() - print the pages of every WB buffer, for debugfs
 * @m: seq_file to print to
 *
 * WB pages are not in the memory-type table (WB is the untracked state),
 * so they are listed from their buffers.
 */
void mtmap_buffers_show_wb(struct seq_file *m)
{
	struct mtmap_buffer *buf;

	mutex_lock(&mtmap_buffers_lock);
	list_for_each_entry(buf, &mtmap_buffers, node) {
		/* No type change while the pages are printed. */
		down_read(&buf->map_lock);
		if (buf->memtype == MTMAP_MEMTYPE_WB)
			mtmap_buffer_show_pages(m, buf);
		up_read(&buf->map_lock);
	}
	mutex_unlock(&mtmap_buffers_lock);
}

static int mtmap_buffer_release(struct inode *inode, struct file *file)
{
	mtmap_buffer_free(file->private_data);
	return 0;
}

static void mtmap_log_alias(struct mtmap_buffer *buf, const char *op,
			    pgoff_t pgoff, unsigned long npages, u32 cur, u32 want)
{
	pr_notice_ratelimited("%s[%d]: %s: buffer %u pages [%lu, +%lu) are %s, %s requested: refused, it would alias two memory types\n",
			      current->comm, task_pid_nr(current), op,
			      buf->owner.id, pgoff, npages,
			      mtmap_memtype_name(cur), mtmap_memtype_name(want));
}

static int mtmap_buffer_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mtmap_buffer *buf = file->private_data;
	unsigned long view = vma->vm_pgoff >> MTMAP_PGOFF_TYPE_SHIFT;
	pgoff_t pgoff = vma->vm_pgoff & MTMAP_PGOFF_MASK;
	const char *why;
	int err;

	if (!(vma->vm_flags & VM_SHARED)) {
		pr_notice_ratelimited("%s[%d]: mmap: only MAP_SHARED is supported\n",
				      current->comm, task_pid_nr(current));
		return -EINVAL;
	}
	if (view > MTMAP_MEMTYPE_WT + 1) {
		pr_notice_ratelimited("%s[%d]: mmap: offset %#lx names no memory type\n",
				      current->comm, task_pid_nr(current),
				      vma->vm_pgoff << PAGE_SHIFT);
		return -EINVAL;
	}
	err = mtmap_validate_range(buf->npages, pgoff, vma_pages(vma), &why);
	if (err) {
		pr_notice_ratelimited("%s[%d]: mmap: pages [%lu, +%lu) of %lu: %s\n",
				      current->comm, task_pid_nr(current),
				      pgoff, vma_pages(vma),
				      (unsigned long)buf->npages, why);
		return err;
	}

	down_read(&buf->map_lock);
	if (view && view - 1 != buf->memtype && view - 1 != buf->req_memtype) {
		mtmap_log_alias(buf, "mmap", pgoff, vma_pages(vma),
				buf->memtype, view - 1);
		up_read(&buf->map_lock);
		return -EBUSY;
	}
	atomic_inc(&buf->nr_maps);
	if (view)
		atomic_inc(&buf->nr_pinned[view - 1]);
	up_read(&buf->map_lock);

	/*
	 * PFN mappings, like TTM: each fault writes a PTE whose cache bits
	 * are computed for the buffer's current type, so a live type change
	 * never depends on a stale vma->vm_page_prot.
	 * The buffer has a fixed size: no growth by mremap(). Core dumps would
	 * read WC/UC- memory through GUP, which PFN mappings do not allow.
	 */
	mtmap_vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = mtmap_memtype_pgprot(buf->memtype, vma->vm_page_prot);
	vma->vm_ops = buf->dirty ? &mtmap_vm_ops_dirty : &mtmap_vm_ops;
	return 0;
}

static long mtmap_ioctl_info(struct mtmap_buffer *buf, void __user *uarg,
			     size_t usize)
{
	struct mtmap_info info = {
		.size = buf->size,
		.memtype = READ_ONCE(buf->memtype),
		.req_memtype = READ_ONCE(buf->req_memtype),
		.flags = buf->flags,
		.placement = buf->placement->id,
		.populated = atomic_long_read(&buf->populated),
	};

	if (usize < MTMAP_INFO_SIZE_VER0)
		return -EINVAL;
	/* A newer, larger struct gets zeroes where this kernel has nothing. */
	if (usize > sizeof(info) &&
	    clear_user(uarg + sizeof(info), usize - sizeof(info)))
		return -EFAULT;
	if (copy_to_user(uarg, &info, min(usize, sizeof(info))))
		return -EFAULT;
	return 0;
}

struct mtmap_convert {
	u32 from, to;
	unsigned long done;	/* pages converted so far */
};

static int mtmap_buffer_convert_batch(struct mtmap_buffer *buf,
				      struct page **pages, unsigned int n,
				      void *arg)
{
	struct mtmap_convert *cv = arg;
	int err;

	err = mtmap_track_set_type(&buf->owner, pages, n, cv->from, cv->to);
	if (!err)
		cv->done += n;
	return err;
}

static int mtmap_buffer_unconvert_batch(struct mtmap_buffer *buf,
					struct page **pages, unsigned int n,
					void *arg)
{
	struct mtmap_convert *cv = arg;
	unsigned int i, k = 0;
	u32 owner;
	int t;

	/* Undo only the pages a failed change already converted. */
	for (i = 0; i < n; i++) {
		t = mtmap_track_lookup(pages[i], &owner);
		if (t == -ENOENT)
			t = MTMAP_MEMTYPE_WB;	/* untracked means WB */
		if (t == (int)cv->to)
			pages[k++] = pages[i];
	}
	return k ? mtmap_track_set_type(&buf->owner, pages, k, cv->to, cv->from) : 0;
}

static long mtmap_ioctl_set_memtype(struct mtmap_buffer *buf, void __user *uarg,
				    size_t usize)
{
	struct mtmap_set_memtype req;
	struct mtmap_convert cv;
	const char *why = "flags or reserved not zero";
	u32 eff, t;
	int err;

	if (usize < MTMAP_SET_MEMTYPE_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (err)
		return err;
	if (req.flags || req.reserved[0] || req.reserved[1] ||
	    mtmap_validate_memtype(req.memtype, &why)) {
		pr_notice_ratelimited("%s[%d]: set_memtype %u: %s\n",
				      current->comm, task_pid_nr(current),
				      req.memtype, why);
		return -EINVAL;
	}
	eff = mtmap_memtype_effective(req.memtype);

	down_write(&buf->map_lock);
	/*
	 * A mapping that asked for a type explicitly keeps getting it: refuse
	 * any change that would give it another effective type.
	 */
	for (t = MTMAP_MEMTYPE_WB; t <= MTMAP_MEMTYPE_WT; t++) {
		if (atomic_read(&buf->nr_pinned[t]) &&
		    mtmap_memtype_effective(t) != eff) {
			mtmap_log_alias(buf, "set_memtype", 0, buf->npages, t,
					req.memtype);
			err = -EBUSY;
			goto out;
		}
	}
	if (eff == buf->memtype)
		goto done;
	/*
	 * No user PTE of the old type may survive the conversion: zap them
	 * all (in every process); faults wait on map_lock and come back with
	 * the new type.
	 */
	unmap_mapping_range(buf->file->f_mapping, 0, 0, 1);
	cv = (struct mtmap_convert){ .from = buf->memtype, .to = eff };
	err = mtmap_buffer_batched(buf, true, mtmap_buffer_convert_batch, &cv);
	if (err) {
		if (cv.done)
			mtmap_buffer_batched(buf, true, mtmap_buffer_unconvert_batch, &cv);
		goto out;
	}
	WRITE_ONCE(buf->memtype, eff);
done:
	WRITE_ONCE(buf->req_memtype, req.memtype);
out:
	up_write(&buf->map_lock);
	return err;
}

static long mtmap_ioctl_get_dirty(struct mtmap_buffer *buf, void __user *uarg,
				  size_t usize)
{
	struct mtmap_get_dirty req;
	unsigned long *snap;
	int err;

	if (usize < MTMAP_GET_DIRTY_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_user(&req, sizeof(req), uarg, usize);
	if (err)
		return err;
	if (!buf->dirty || req.reserved[0] || req.reserved[1] ||
	    req.bitmap_size < DIV_ROUND_UP(buf->npages, 64) * 8) {
		pr_notice_ratelimited("%s[%d]: get_dirty: %s\n",
				      current->comm, task_pid_nr(current),
				      !buf->dirty ? "buffer does not track dirty pages" :
				      req.bitmap_size < DIV_ROUND_UP(buf->npages, 64) * 8 ?
				      "bitmap too small" : "reserved field not zero");
		return -EINVAL;
	}
	snap = bitmap_zalloc(round_up(buf->npages, 64), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;

	/*
	 * Write-protect (zap) first, then take the bits, both with faults
	 * excluded: every write after this point faults and lands in the
	 * next report.
	 */
	down_write(&buf->map_lock);
	unmap_mapping_range(buf->file->f_mapping, 0, 0, 1);
	bitmap_copy(snap, buf->dirty, buf->npages);
	bitmap_zero(buf->dirty, buf->npages);
	up_write(&buf->map_lock);

	req.dirty = bitmap_weight(snap, buf->npages);
	err = -EFAULT;
	/* On 64-bit, an unsigned long bitmap is the uAPI's __u64 words. */
	if (copy_to_user(u64_to_user_ptr(req.bitmap), snap,
			 DIV_ROUND_UP(buf->npages, 64) * 8))
		goto out;
	if (copy_to_user(uarg, &req, min(usize, sizeof(req))))
		goto out;
	err = 0;
out:
	bitmap_free(snap);
	return err;
}

static long mtmap_buffer_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct mtmap_buffer *buf = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != MTMAP_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(MTMAP_IOC_INFO):
		if (_IOC_DIR(cmd) != _IOC_READ)
			return -ENOTTY;
		return mtmap_ioctl_info(buf, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(MTMAP_IOC_GET_DIRTY):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return mtmap_ioctl_get_dirty(buf, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(MTMAP_IOC_SET_MEMTYPE):
		if (_IOC_DIR(cmd) != _IOC_WRITE)
			return -ENOTTY;
		return mtmap_ioctl_set_memtype(buf, uarg, _IOC_SIZE(cmd));
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mtmap_buffer_fops = {
	.owner = THIS_MODULE,
	.release = mtmap_buffer_release,
	.mmap = mtmap_buffer_mmap,
	.unlocked_ioctl = mtmap_buffer_ioctl,
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	.get_unmapped_area = mtmap_get_unmapped_area,
#endif
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * mtmap_buffer_create() - create a buffer and the file that owns it
 * @c: a validated creation request
 *
 * Return: the new file (O_RDWR, not yet installed in any fd table) or an
 * ERR_PTR().
 */
struct file *mtmap_buffer_create(const struct mtmap_create *c)
{
	struct mtmap_buffer *buf;
	struct inode *inode;
	struct file *file;
	int err;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->placement = mtmap_placement_get(c->placement);
	buf->size = c->size;
	buf->npages = c->size >> PAGE_SHIFT;
	buf->memtype = mtmap_memtype_effective(c->memtype);
	buf->req_memtype = c->memtype;
	buf->flags = c->flags;
	buf->prefault = 1;
	if (c->flags & MTMAP_CREATE_PREFAULT)
		buf->prefault = c->prefault ? c->prefault : MTMAP_PREFAULT_DEFAULT;
	if (c->flags & MTMAP_CREATE_DIRTY_TRACK) {
		buf->dirty = bitmap_zalloc(buf->npages, GFP_KERNEL_ACCOUNT);
		if (!buf->dirty) {
			kfree(buf);
			return ERR_PTR(-ENOMEM);
		}
	}
	/*
	 * One pointer per page, as TTM keeps them: a fault finds its page
	 * with one load and installs it with one cmpxchg (8 bytes per 4 KiB,
	 * 2 MiB for a buffer of max_buffer_mb's default 1 GiB).
	 */
	buf->pages = kvcalloc(buf->npages, sizeof(*buf->pages), GFP_KERNEL_ACCOUNT);
	if (!buf->pages) {
		bitmap_free(buf->dirty);
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}
	init_rwsem(&buf->map_lock);
	mutex_init(&buf->lock);
	xa_init(&buf->huge);
	atomic_long_set(&buf->populated, 0);
	buf->owner.kind = "buffer";
	buf->owner.nr_maps = &buf->nr_maps;
	err = mtmap_owner_register(&buf->owner);
	if (err) {
		file = ERR_PTR(err);
		goto err_buf;
	}
	snprintf(buf->owner.name, sizeof(buf->owner.name), "%u", buf->owner.id);

	inode = alloc_anon_inode(mtmap_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		file = ERR_CAST(inode);
		goto err_owner;
	}
	i_size_write(inode, c->size);

	/*
	 * alloc_file_pseudo() does not pin the module, but __fput() drops a
	 * reference on f_op->owner: take it here, as anon_inode_getfile()
	 * does. It is what keeps the module loaded while buffers exist.
	 */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, mtmap_mnt, MTMAP_NAME, O_RDWR,
				 &mtmap_buffer_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		goto err_owner;
	}
	file->private_data = buf;
	buf->file = file;
	mutex_lock(&mtmap_buffers_lock);
	list_add_tail(&buf->node, &mtmap_buffers);
	mutex_unlock(&mtmap_buffers_lock);
	return file;

err_owner:
	mtmap_owner_unregister(&buf->owner);
err_buf:
	kvfree(buf->pages);
	bitmap_free(buf->dirty);
	mutex_destroy(&buf->lock);
	kfree(buf);
	return file;
}
