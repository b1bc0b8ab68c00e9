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

#include <kunit/visibility.h>
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
#include "ioctl.h"
#include "mtmap.h"

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
		buf->placement->release_huge(buf, folio);
	xa_destroy(&buf->huge);
	if (mtmap_buffer_batched(buf, false, mtmap_buffer_release_batch, NULL)) {
		/* No memory for a batch array: give pages back one by one. */
		unsigned long idx;
		struct page *page;

		for (idx = 0; (page = mtmap_buffer_next_page(buf, &idx)); idx++)
			buf->placement->release(buf, &page, 1, buf->memtype);
	}
	kvfree(buf->pages);
	mtmap_bitmap_free(buf->dirty);
	mtmap_owner_unregister(&buf->owner);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

/**
 * mtmap_buffer_walk() - call @fn on every live buffer
 * @fn: the callback; it may sleep, and must not create or free buffers
 * @arg: passed to @fn
 *
 * For debugfs: buffers cannot be freed while @fn runs.
 */
void mtmap_buffer_walk(void (*fn)(struct mtmap_buffer *buf, void *arg),
		       void *arg)
{
	struct mtmap_buffer *buf;

	mutex_lock(&mtmap_buffers_lock);
	list_for_each_entry(buf, &mtmap_buffers, node)
		fn(buf, arg);
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
		buf->dirty = mtmap_bitmap_zalloc(buf->npages, GFP_KERNEL_ACCOUNT);
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
		mtmap_bitmap_free(buf->dirty);
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
	mtmap_bitmap_free(buf->dirty);
	mutex_destroy(&buf->lock);
	kfree(buf);
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_buffer_create);
