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
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "mtmap.h"

/* "mtmp": identifies our pseudo filesystem in statfs(). */
#define MTMAP_FS_MAGIC 0x6d746d70

static struct vfsmount *mtmap_mnt;

static int mtmap_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MTMAP_FS_MAGIC) ? 0 : -ENOMEM;
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

/**
 * mtmap_buffer_get_page() - find or allocate the page at @idx
 * @buf: the buffer
 * @idx: page index, below @buf->npages
 *
 * Racing callers for one index get the same page; it is allocated once.
 *
 * Return: the page (the buffer keeps its reference) or an ERR_PTR().
 */
struct page *mtmap_buffer_get_page(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct page *page;
	int err;

	page = xa_load(&buf->pages, idx);
	if (page)
		return page;

	mutex_lock(&buf->lock);
	page = xa_load(&buf->pages, idx);
	if (page)
		goto out;
	page = buf->placement->alloc(buf);
	if (IS_ERR(page))
		goto out;
	err = xa_err(xa_store(&buf->pages, idx, page, GFP_KERNEL));
	if (err) {
		buf->placement->release(buf, page);
		page = ERR_PTR(err);
		goto out;
	}
	atomic_long_inc(&buf->populated);
out:
	mutex_unlock(&buf->lock);
	return page;
}

static void mtmap_buffer_free(struct mtmap_buffer *buf)
{
	struct page *page;
	unsigned long idx;

	xa_for_each(&buf->pages, idx, page)
		buf->placement->release(buf, page);
	xa_destroy(&buf->pages);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

static int mtmap_buffer_release(struct inode *inode, struct file *file)
{
	mtmap_buffer_free(file->private_data);
	return 0;
}

static int mtmap_buffer_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mtmap_buffer *buf = file->private_data;
	const char *why;
	int err;

	if (!(vma->vm_flags & VM_SHARED)) {
		pr_notice_ratelimited("%s[%d]: mmap: only MAP_SHARED is supported\n",
				      current->comm, task_pid_nr(current));
		return -EINVAL;
	}
	err = mtmap_validate_range(buf->npages, vma->vm_pgoff, vma_pages(vma),
				   &why);
	if (err) {
		pr_notice_ratelimited("%s[%d]: mmap: pages [%lu, +%lu) of %lu: %s\n",
				      current->comm, task_pid_nr(current),
				      vma->vm_pgoff, vma_pages(vma),
				      (unsigned long)buf->npages, why);
		return err;
	}
	/* The buffer has a fixed size: refuse growth by mremap(). */
	mtmap_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &mtmap_vm_ops;
	return 0;
}

static long mtmap_ioctl_info(struct mtmap_buffer *buf, void __user *uarg,
			     size_t usize)
{
	struct mtmap_info info = {
		.size = buf->size,
		.memtype = buf->memtype,
		.req_memtype = buf->req_memtype,
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
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mtmap_buffer_fops = {
	.owner = THIS_MODULE,
	.release = mtmap_buffer_release,
	.mmap = mtmap_buffer_mmap,
	.unlocked_ioctl = mtmap_buffer_ioctl,
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

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->placement = mtmap_placement_get(c->placement);
	buf->size = c->size;
	buf->npages = c->size >> PAGE_SHIFT;
	buf->memtype = c->memtype;
	buf->req_memtype = c->memtype;
	buf->flags = c->flags;
	mutex_init(&buf->lock);
	xa_init(&buf->pages);
	atomic_long_set(&buf->populated, 0);

	inode = alloc_anon_inode(mtmap_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		file = ERR_CAST(inode);
		goto err_buf;
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
		goto err_buf;
	}
	file->private_data = buf;
	buf->file = file;
	return file;

err_buf:
	mutex_destroy(&buf->lock);
	kfree(buf);
	return file;
}
