/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtmap internal interfaces, shared by the module's files.
 */
#ifndef _MTMAP_H
#define _MTMAP_H

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <uapi/mtmap.h>

#define MTMAP_NAME "mtmap"

/* Page offsets of a mapping: low bits index the buffer, high bits a type. */
#define MTMAP_PGOFF_TYPE_SHIFT (MTMAP_MMAP_TYPE_SHIFT - PAGE_SHIFT)
#define MTMAP_PGOFF_MASK ((1UL << MTMAP_PGOFF_TYPE_SHIFT) - 1)
/* Chunks of MTMAP_CREATE_HUGE buffers: one PMD each. */
#define MTMAP_HUGE_ORDER (PMD_SHIFT - PAGE_SHIFT)
#define MTMAP_HUGE_NR BIT(MTMAP_HUGE_ORDER)

/* Largest buffer: the mmap offset must not spill into the type bits. */
#define MTMAP_MAX_BYTES BIT_ULL(MTMAP_MMAP_TYPE_SHIFT)

struct mtmap_buffer;
struct seq_file;

/**
 * struct mtmap_owner - who owns tracked pages (PAT style)
 * @id: index in the owner table, set by mtmap_owner_register()
 * @kind: "buffer" or "pool"
 * @name: printable identity within @kind
 * @nr_maps: number of user mappings of the owner's pages, or NULL
 */
struct mtmap_owner {
	u32 id;
	const char *kind;
	char name[24];
	atomic_t *nr_maps;
};

/**
 * struct mtmap_placement - where a buffer's pages come from
 * @name: short name for logs and debugfs.
 * @id: the MTMAP_PLACEMENT_* value userspace asks for.
 * @check_memtype: 0 if buffers of this placement can have the
 *	MTMAP_MEMTYPE_* @memtype, else -EINVAL (or -EOPNOTSUPP for a type
 *	this architecture cannot give) with a reason in *@why.
 * @alloc: return one zeroed page for @buf, already of the buffer's memory
 *	type and owned by it, or an ERR_PTR().
 * @release: give back @n pages of type @type; called only when no user
 *	mapping can reach them any more.
 * @alloc_huge: return one zeroed PMD-order folio for @buf, of its memory
 *	type and owned by it, or NULL (the caller falls back to 4 KiB
 *	pages). Called with @buf->lock held.
 * @release_huge: give back a folio from @alloc_huge, of the buffer's
 *	current type, that no user mapping can reach any more.
 *
 * System RAM is the first placement (placement.c); device-private and
 * PCI BAR memory plug in here without touching the buffer or fault code.
 */
struct mtmap_placement {
	const char *name;
	u32 id;
	int (*check_memtype)(u32 memtype, const char **why);
	struct page *(*alloc)(struct mtmap_buffer *buf);
	void (*release)(struct mtmap_buffer *buf, struct page **pages,
			unsigned int n, u32 type);
	struct folio *(*alloc_huge)(struct mtmap_buffer *buf);
	void (*release_huge)(struct mtmap_buffer *buf, struct folio *folio);
};

/*
 * Buffer-side lock order, outermost first:
 *
 *   mtmap_buffers_lock (buffer.c)  the list of buffers, for debugfs
 *     mmap_lock or the VMA lock    taken by the core before ->fault/->mmap
 *       mtmap_buffer.map_lock      read: a fault maps; write: the memory
 *                                  type changes or dirty bits are taken
 *         mtmap_buffer.lock        huge buffers: one chunk, folio or pages;
 *                                  held across their PTE and PMD inserts
 *           mtmap_pool.lock  |     (spinlock) a pool's free list
 *           mtmap_track_lock |     (memtype.c) the memory-type table;
 *                                  never nested in each other
 *             PTE/PMD lock         written by the fault under map_lock
 *
 * A fault holds map_lock for read from the page lookup to the last PTE
 * it writes, so that a type change (map_lock for write: zap, convert) can
 * never leave a PTE of the old type. The pool shrinker takes pool locks
 * and mtmap_track_lock from reclaim, which is why conversions under
 * mtmap_track_lock allocate with memalloc_nofs_save().
 */

/**
 * struct mtmap_buffer - one buffer, owned by its file
 * @file: the buffer's file; its private_data points back here.
 * @placement: backing store of the pages.
 * @owner: identity of the buffer in the memory-type table.
 * @size: size in bytes.
 * @npages: size in pages.
 * @memtype: effective MTMAP_MEMTYPE_* of every page (written under
 *	@map_lock held for write).
 * @req_memtype: MTMAP_MEMTYPE_* last requested by userspace.
 * @flags: MTMAP_CREATE_* flags.
 * @map_lock: held for read while a fault looks up and maps a page, for
 *	write while the memory type changes, so no PTE of the old type can
 *	be created once the change has zapped them.
 * @lock: serialises page allocation in buffers with MTMAP_CREATE_HUGE, so
 *	that a chunk is either one folio or 4 KiB pages (other buffers
 *	install pages with a cmpxchg on @pages), and their PTE and PMD
 *	inserts, so that neither meets the other's entry.
 * @pages: @npages pointers, page index -> struct page, filled on first
 *	touch (4 KiB pages; NULL inside a chunk that is a huge folio).
 * @huge: chunk index -> PMD-order folio (MTMAP_CREATE_HUGE only).
 * @populated: pages allocated: entries in @pages plus 512 per huge folio.
 * @nr_maps: number of VMAs mapping the buffer.
 * @nr_pinned: per memory type, VMAs that asked for that type explicitly
 *	(MTMAP_MMAP_OFFSET()); the type cannot change while any exist.
 * @prefault: pages one fault maps (1 without MTMAP_CREATE_PREFAULT).
 * @node: entry in the list of all buffers (debugfs).
 * @dirty: with MTMAP_CREATE_DIRTY_TRACK, one bit per page written since
 *	the last MTMAP_IOC_GET_DIRTY; set under @map_lock held for read,
 *	harvested under it held for write.
 */
struct mtmap_buffer {
	struct file *file;
	const struct mtmap_placement *placement;
	struct mtmap_owner owner;
	u64 size;
	pgoff_t npages;
	u32 memtype;
	u32 req_memtype;
	u32 flags;
	struct rw_semaphore map_lock;
	struct mutex lock; /* see @lock above */
	struct page **pages;
	struct xarray huge;
	atomic_long_t populated;
	atomic_t nr_maps;
	atomic_t nr_pinned[MTMAP_MEMTYPE_WT + 1];
	unsigned int prefault;
	struct list_head node;
	unsigned long *dirty;
};

/* validate.c: pure argument checks, unit tested by KUnit */
int mtmap_validate_create(const struct mtmap_create *c, u64 max_bytes,
			  const char **why);
int mtmap_validate_range(u64 buf_pages, u64 pgoff, u64 npages,
			 const char **why);
int mtmap_validate_memtype(u32 memtype, const char **why);

/* memtype.c */
const char *mtmap_memtype_name(u32 type);
u32 mtmap_memtype_effective(u32 type);
pgprot_t mtmap_memtype_pgprot(u32 type, pgprot_t prot);
int mtmap_memtype_directmap(struct page *page);
int mtmap_owner_register(struct mtmap_owner *o);
void mtmap_owner_unregister(struct mtmap_owner *o);
int mtmap_track_check_fresh(struct mtmap_owner *o, struct page **pages, unsigned int n);
int mtmap_track_check_fresh_range(struct mtmap_owner *o, unsigned long pfn,
				  unsigned long n);
int mtmap_track_set_type(struct mtmap_owner *o, struct page **pages,
			 unsigned int n, u32 from, u32 to);
int mtmap_track_transfer(struct mtmap_owner *from, struct mtmap_owner *to,
			 struct page **pages, unsigned int n, u32 type);
unsigned int mtmap_track_release(struct mtmap_owner *o, struct page **pages,
				 unsigned int n, u32 type);
int mtmap_track_check_freeable(struct mtmap_owner *o, struct page **pages,
			       unsigned int n);
int mtmap_track_lookup(struct page *page, u32 *owner_id);
int mtmap_track_init(void);
void mtmap_track_exit(void);
void mtmap_track_walk(void (*fn)(void *arg, unsigned long pfn, u32 type,
				 u32 owner_id, const struct mtmap_owner *o),
		      void *arg);

/* pool.c */
struct page *mtmap_pool_alloc_page(struct mtmap_owner *o, u32 type, gfp_t gfp);
void mtmap_pool_free_pages(struct mtmap_owner *o, struct page **pages,
			   unsigned int n, u32 type);
void mtmap_pool_release_pages(struct mtmap_owner *o, struct page **pages,
			      unsigned int n, u32 type);
unsigned long mtmap_pool_drain_all(void);
bool mtmap_pool_enabled(void);
void mtmap_pool_show(struct seq_file *m);
int mtmap_pool_init(void);
void mtmap_pool_exit(void);

/* placement.c */
const struct mtmap_placement *mtmap_placement_get(u32 id);

/* buffer.c, buffer_pages.c: buffer objects and their pages */
struct file *mtmap_buffer_create(const struct mtmap_create *c);
struct page *mtmap_buffer_get_or_alloc_page(struct mtmap_buffer *buf, pgoff_t idx);
struct page *mtmap_buffer_install(struct mtmap_buffer *buf, pgoff_t idx);

/* The 4 KiB page at @idx if it exists. */
static inline struct page *mtmap_buffer_page(struct mtmap_buffer *buf,
					     pgoff_t idx)
{
	/* Pairs with the installing cmpxchg/store: the page is zeroed. */
	return smp_load_acquire(&buf->pages[idx]);
}

struct page *mtmap_buffer_next_page(struct mtmap_buffer *buf, pgoff_t *idx);
int mtmap_buffer_batched(struct mtmap_buffer *buf, bool huge,
			 int (*fn)(struct mtmap_buffer *buf, struct page **pages,
				   unsigned int n, void *arg),
			 void *arg);
int mtmap_fs_init(void);
void mtmap_fs_exit(void);
void mtmap_buffer_walk(void (*fn)(struct mtmap_buffer *buf, void *arg),
		       void *arg);

/* Type a mapping asked for with MTMAP_MMAP_OFFSET(), or -1 for none. */
static inline int mtmap_vma_pinned_type(const struct vm_area_struct *vma)
{
	return (int)(vma->vm_pgoff >> MTMAP_PGOFF_TYPE_SHIFT) - 1;
}

/*
 * Bitmaps of one bit per page scale with max_buffer_mb (32 MiB at the 1 TiB
 * limit, above what kmalloc() can give): kvmalloc, and kvfree to free.
 */
static inline unsigned long *mtmap_bitmap_zalloc(unsigned long nbits, gfp_t gfp)
{
	return kvcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long), gfp);
}

static inline void mtmap_bitmap_free(unsigned long *bitmap)
{
	kvfree(bitmap);
}

/* huge.c */
struct page *mtmap_huge_lookup(struct mtmap_buffer *buf, pgoff_t idx);
struct folio *mtmap_huge_chunk(struct mtmap_buffer *buf, pgoff_t chunk,
			       pgoff_t idx);
long mtmap_huge_fault_count(void);
vm_fault_t mtmap_vm_huge_fault(struct vm_fault *vmf, unsigned int order);
unsigned long mtmap_get_unmapped_area(struct file *file, unsigned long addr,
				      unsigned long len, unsigned long pgoff,
				      unsigned long flags);

/* fault.c */
extern const struct vm_operations_struct mtmap_vm_ops;
extern const struct vm_operations_struct mtmap_vm_ops_dirty;
long mtmap_fault_handler_count(void);

/* debugfs.c */
void mtmap_debugfs_init(void);
void mtmap_debugfs_exit(void);

#endif /* _MTMAP_H */
