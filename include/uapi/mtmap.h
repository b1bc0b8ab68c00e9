/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mtmap: memory-type-aware mapping of buffers to userspace.
 *
 * Userspace opens /dev/mtmap and creates buffers with MTMAP_IOC_CREATE.
 * Each buffer is a file descriptor of its own that can be mmap()ed
 * (MAP_SHARED only), queried with MTMAP_IOC_INFO and passed to other
 * processes. Pages are allocated, zeroed, on first touch.
 *
 * Extensible structs: every struct below may grow at its end in a later
 * version. The kernel takes the struct size from the ioctl number
 * (_IOC_SIZE) and handles a size difference like openat2()/clone3():
 *  - a struct smaller than the first published version (the *_SIZE_VER0
 *    constants) is refused with EINVAL;
 *  - a smaller (older) struct is zero-extended, so new fields get their
 *    zero defaults;
 *  - a larger (newer) struct is accepted only if every byte beyond what
 *    this kernel knows is zero, otherwise E2BIG;
 *  - output is copied back up to the smaller of the two sizes.
 */
#ifndef _UAPI_LINUX_MTMAP_H
#define _UAPI_LINUX_MTMAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: memory types
 *
 * %MTMAP_MEMTYPE_WB: write-back, cached (the default, value 0).
 * %MTMAP_MEMTYPE_WC: write-combining.
 * %MTMAP_MEMTYPE_UC_MINUS: uncached, overridable by MTRRs ("UC-").
 * %MTMAP_MEMTYPE_WT: write-through. Not available for RAM: x86 exports
 * no way for a module to make the kernel direct map of RAM write-through,
 * so a WT buffer in RAM would alias WT with WB. Refused with EINVAL.
 *
 * Until the memory-type support lands, only %MTMAP_MEMTYPE_WB is accepted;
 * the other values are refused with EINVAL.
 */
#define MTMAP_MEMTYPE_WB	0
#define MTMAP_MEMTYPE_WC	1
#define MTMAP_MEMTYPE_UC_MINUS	2
#define MTMAP_MEMTYPE_WT	3

/**
 * DOC: placements
 *
 * %MTMAP_PLACEMENT_SYSTEM: pages come from the kernel page allocator
 * (system RAM). The only placement so far; device placements follow.
 */
#define MTMAP_PLACEMENT_SYSTEM	0

/**
 * struct mtmap_create - argument of %MTMAP_IOC_CREATE
 * @size: in: buffer size in bytes; a non-zero multiple of the page size,
 *	at most the module parameter max_buffer_mb MiB.
 * @memtype: in: one of the MTMAP_MEMTYPE_* values.
 * @flags: in: MTMAP_CREATE_* flags; none are defined yet, must be 0.
 * @fd: out: the new buffer's file descriptor (opened O_RDWR|O_CLOEXEC).
 * @placement: in: one of the MTMAP_PLACEMENT_* values.
 * @reserved: must be zero.
 */
struct mtmap_create {
	__u64 size;
	__u32 memtype;
	__u32 flags;
	__s32 fd;
	__u32 placement;
	__u64 reserved[3];
};

/* Size of the first published struct mtmap_create. */
#define MTMAP_CREATE_SIZE_VER0	48

/* Every flag this kernel knows; anything else gets EINVAL. */
#define MTMAP_CREATE_FLAGS_ALL	0

/**
 * struct mtmap_info - result of %MTMAP_IOC_INFO
 * @size: buffer size in bytes.
 * @memtype: effective memory type of the buffer's pages (MTMAP_MEMTYPE_*).
 *	It differs from @req_memtype where the kernel degrades a type,
 *	e.g. WC becomes UC- when PAT is disabled.
 * @req_memtype: memory type asked for at creation.
 * @flags: MTMAP_CREATE_* flags the buffer was created with.
 * @placement: MTMAP_PLACEMENT_* of the buffer's pages.
 * @populated: number of pages allocated so far.
 * @reserved: zero on output.
 */
struct mtmap_info {
	__u64 size;
	__u32 memtype;
	__u32 req_memtype;
	__u32 flags;
	__u32 placement;
	__u64 populated;
	__u64 reserved[4];
};

/* Size of the first published struct mtmap_info. */
#define MTMAP_INFO_SIZE_VER0	64

#define MTMAP_IOC_MAGIC		'M'

/**
 * define MTMAP_IOC_CREATE - create a buffer (on the /dev/mtmap fd)
 *
 * Errors: EINVAL (size 0, not page aligned, larger than max_buffer_mb,
 * unknown memtype/flags/placement, non-zero reserved, struct smaller than
 * MTMAP_CREATE_SIZE_VER0), E2BIG (a newer struct with non-zero fields this
 * kernel does not know), EFAULT (bad pointer), ENOMEM, EMFILE/ENFILE (no
 * fd available), ENOTTY (issued on a buffer fd).
 */
#define MTMAP_IOC_CREATE	_IOWR(MTMAP_IOC_MAGIC, 0x00, struct mtmap_create)

/**
 * define MTMAP_IOC_INFO - describe a buffer (on a buffer fd)
 *
 * Errors: EINVAL (struct smaller than MTMAP_INFO_SIZE_VER0), EFAULT,
 * ENOTTY (issued on the /dev/mtmap fd).
 */
#define MTMAP_IOC_INFO		_IOR(MTMAP_IOC_MAGIC, 0x01, struct mtmap_info)

/**
 * DOC: mmap of a buffer fd
 *
 * Only MAP_SHARED mappings are allowed (MAP_PRIVATE: EINVAL). The file
 * offset and the length must lie inside the buffer (EINVAL otherwise).
 * A mapping cannot grow with mremap() (EFAULT from mremap, as for any
 * VM_DONTEXPAND mapping). Touching a page allocates it, zeroed; the first
 * write to a page costs exactly one page fault and leaves the PTE writable
 * and dirty.
 */

#endif /* _UAPI_LINUX_MTMAP_H */
