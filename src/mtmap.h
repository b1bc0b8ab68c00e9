/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtmap internal interfaces, shared by the module's files.
 */
#ifndef _MTMAP_H
#define _MTMAP_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <uapi/mtmap.h>

#define MTMAP_NAME "mtmap"

struct mtmap_buffer;

/**
 * struct mtmap_placement - where a buffer's pages come from
 * @name: short name for logs and debugfs.
 * @id: the MTMAP_PLACEMENT_* value userspace asks for.
 * @alloc: return one zeroed page for @buf, or an ERR_PTR().
 * @release: give back a page obtained from @alloc; called only
 *	when no user mapping can reach it any more.
 *
 * System RAM is the first placement; device-private and PCI BAR memory
 * plug in here without touching the buffer or fault code.
 */
struct mtmap_placement {
	const char *name;
	u32 id;
	struct page *(*alloc)(struct mtmap_buffer *buf);
	void (*release)(struct mtmap_buffer *buf, struct page *page);
};

/**
 * struct mtmap_buffer - one buffer, owned by its file
 * @file: the buffer's file; its private_data points back here.
 * @placement: backing store of the pages.
 * @size: size in bytes.
 * @npages: size in pages.
 * @memtype: effective MTMAP_MEMTYPE_* of the pages.
 * @req_memtype: MTMAP_MEMTYPE_* requested at creation.
 * @flags: MTMAP_CREATE_* flags.
 * @lock: serialises page allocation so that racing faults on one page
 *	allocate it once.
 * @pages: page index -> struct page, filled on first touch.
 * @populated: number of entries in @pages.
 */
struct mtmap_buffer {
	struct file *file;
	const struct mtmap_placement *placement;
	u64 size;
	pgoff_t npages;
	u32 memtype;
	u32 req_memtype;
	u32 flags;
	struct mutex lock;
	struct xarray pages;
	atomic_long_t populated;
};

/* validate.c: pure argument checks, unit tested by KUnit */
int mtmap_validate_create(const struct mtmap_create *c, u64 max_bytes,
			  const char **why);
int mtmap_validate_range(u64 buf_pages, u64 pgoff, u64 npages,
			 const char **why);

/* placement.c */
const struct mtmap_placement *mtmap_placement_get(u32 id);

/* buffer.c */
struct file *mtmap_buffer_create(const struct mtmap_create *c);
struct page *mtmap_buffer_get_page(struct mtmap_buffer *buf, pgoff_t idx);
int mtmap_fs_init(void);
void mtmap_fs_exit(void);

/* fault.c */
extern const struct vm_operations_struct mtmap_vm_ops;

#endif /* _MTMAP_H */
