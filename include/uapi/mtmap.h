/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mtmap: memory-type-aware mapping of buffers to userspace.
 *
 * This header's kernel-doc is the reference for every errno mtmap
 * returns; Documentation/uapi.rst includes it.
 */
#ifndef _UAPI_LINUX_MTMAP_H
#define _UAPI_LINUX_MTMAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: objects
 *
 * Userspace opens /dev/mtmap (the *device fd*) and creates buffers with
 * %MTMAP_IOC_CREATE. Each buffer is a file descriptor of its own (the
 * *buffer fd*) that can be mmap()ed (MAP_SHARED only), queried with
 * %MTMAP_IOC_INFO and passed to other processes. Pages are allocated,
 * zeroed, on first touch.
 *
 * Reopening a buffer fd through /proc/<pid>/fd fails with ENXIO. Every
 * buffer holds a reference on the module, so delete_module() ("rmmod")
 * fails with EAGAIN (EWOULDBLOCK) while any buffer exists. Loading the
 * module with a dev_mode parameter that has bits outside 0777, or a
 * max_buffer_mb above 1 TiB, fails with EINVAL.
 */

/**
 * DOC: extensible structs
 *
 * Every struct below may grow at its end in a later version. The kernel
 * takes the struct size from the ioctl number (_IOC_SIZE) and handles a
 * size difference like openat2()/clone3():
 *
 * - a struct smaller than the first published version (the
 *   ``*_SIZE_VER0`` constants) is refused with EINVAL;
 * - a smaller (older) struct is zero-extended, so new fields get their
 *   zero defaults;
 * - a larger (newer) struct is accepted only if every byte beyond what
 *   this kernel knows is zero, otherwise E2BIG;
 * - output is copied back up to the smaller of the two sizes; an
 *   output-only struct (%MTMAP_IOC_INFO) that is larger gets zeroes
 *   beyond what this kernel knows.
 *
 * Only the size field of an ioctl number may vary: any other number,
 * direction or type, and any command issued on the wrong kind of fd,
 * fails with ENOTTY. A bad pointer gives EFAULT.
 *
 * Every refused request other than ENOTTY logs one ratelimited kernel
 * message naming the process (comm[pid]), the command, the reason and
 * the errno.
 */

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
 * RAM buffers accept WB, WC and UC-. For a WC or UC- buffer the kernel's
 * own (direct map) alias of every page is converted to the same type
 * before any user mapping of the page exists, and back to WB before the
 * page is freed: a page never has two types at once. With PAT disabled
 * (``nopat``) the kernel has no WC and gives UC- instead;
 * struct mtmap_info.memtype reports the effective type.
 *
 * WC and UC- need that conversion. Where the kernel offers a module no
 * way to change the memory type of its direct map (arm64, whose linear
 * map of RAM is always cacheable), a WC or UC- buffer would alias a
 * cacheable kernel mapping, so both are refused with EOPNOTSUPP, by
 * %MTMAP_IOC_CREATE and %MTMAP_IOC_SET_MEMTYPE alike: the request is
 * valid, this kernel cannot honour it. WB buffers work everywhere.
 * Programs can probe with a one-page CREATE.
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
 * @memtype: in: MTMAP_MEMTYPE_WB, _WC or _UC_MINUS (WT: EINVAL; WC and
 *	UC- where the direct map cannot be converted: EOPNOTSUPP; see
 *	"memory types").
 * @flags: in: MTMAP_CREATE_* flags.
 * @fd: out: the new buffer's file descriptor (opened O_RDWR|O_CLOEXEC).
 * @placement: in: one of the MTMAP_PLACEMENT_* values.
 * @prefault: in: with %MTMAP_CREATE_PREFAULT, how many pages one fault
 *	maps (the faulting page and the ones after it), 0 meaning
 *	%MTMAP_PREFAULT_DEFAULT, at most %MTMAP_PREFAULT_MAX; must be 0
 *	without the flag.
 * @reserved0: must be zero.
 * @reserved: must be zero.
 */
struct mtmap_create {
	__u64 size;
	__u32 memtype;
	__u32 flags;
	__s32 fd;
	__u32 placement;
	__u32 prefault;
	__u32 reserved0;
	__u64 reserved[2];
};

/* Size of the first published struct mtmap_create. */
#define MTMAP_CREATE_SIZE_VER0	48

/**
 * DOC: creation flags
 *
 * %MTMAP_CREATE_DIRTY_TRACK: opt-in dirty tracking. Read faults map pages
 * read-only (and readable, also in a PROT_WRITE-only mapping); the first
 * write to a clean page costs one more fault, which records it.
 * %MTMAP_IOC_GET_DIRTY returns the pages written since the last call and
 * re-arms tracking.
 *
 * %MTMAP_CREATE_PREFAULT: a fault also maps the following pages of the
 * mapping (allocating them), struct mtmap_create.prefault pages in all.
 *
 * %MTMAP_CREATE_HUGE: back 2 MiB-aligned chunks with 2 MiB pages mapped by
 * one PMD where the kernel allows it (6.12 with THP "always" or "madvise"
 * plus MADV_HUGEPAGE; 7.x always; never on 6.1), falling back to 4 KiB
 * pages otherwise. mmap() places buffer mappings 2 MiB aligned.
 */
#define MTMAP_CREATE_DIRTY_TRACK	(1U << 0)
#define MTMAP_CREATE_PREFAULT		(1U << 1)
#define MTMAP_CREATE_HUGE		(1U << 2)

/* Every flag this kernel knows; anything else gets EINVAL. */
#define MTMAP_CREATE_FLAGS_ALL	(MTMAP_CREATE_DIRTY_TRACK | MTMAP_CREATE_PREFAULT | \
				 MTMAP_CREATE_HUGE)

/* Pages one fault maps with MTMAP_CREATE_PREFAULT and prefault 0. */
#define MTMAP_PREFAULT_DEFAULT	16
/* Largest prefault count: one 2 MiB page table's worth. */
#define MTMAP_PREFAULT_MAX	512

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

/**
 * struct mtmap_set_memtype - argument of %MTMAP_IOC_SET_MEMTYPE
 * @memtype: in: the new type, MTMAP_MEMTYPE_WB, _WC or _UC_MINUS.
 * @flags: must be zero.
 * @reserved: must be zero.
 */
struct mtmap_set_memtype {
	__u32 memtype;
	__u32 flags;
	__u64 reserved[2];
};

/* Size of the first published struct mtmap_set_memtype. */
#define MTMAP_SET_MEMTYPE_SIZE_VER0	24

/**
 * struct mtmap_get_dirty - argument of %MTMAP_IOC_GET_DIRTY
 * @bitmap: in: user pointer to a bitmap of at least
 *	DIV_ROUND_UP(pages, 64) __u64 words; bit i (word i / 64, bit i % 64)
 *	is set when page i was written since the previous call.
 * @bitmap_size: in: size of @bitmap in bytes.
 * @dirty: out: number of bits set.
 * @reserved: must be zero.
 */
struct mtmap_get_dirty {
	__u64 bitmap;
	__u64 bitmap_size;
	__u64 dirty;
	__u64 reserved[2];
};

/* Size of the first published struct mtmap_get_dirty. */
#define MTMAP_GET_DIRTY_SIZE_VER0	40

/*
 * 'J': free in Documentation/userspace-api/ioctl/ioctl-number.rst (as of
 * 6.12), and no _IO*('J', ...) in that kernel's include/ or drivers/.
 * mtmap first used 'M', which that list gives to three users already
 * (sound, mtd, fsl-diu-fb).
 */
#define MTMAP_IOC_MAGIC		'J'

/**
 * define MTMAP_IOC_CREATE - create a buffer (on the /dev/mtmap fd)
 *
 * struct mtmap_create.fd is output only; its input value is ignored.
 *
 * Errors: EINVAL (size 0, not a multiple of the page size, larger than
 * max_buffer_mb; unknown memtype; WT; unknown flag bits; prefault without
 * %MTMAP_CREATE_PREFAULT or above %MTMAP_PREFAULT_MAX; non-zero
 * reserved0/reserved; unknown placement; struct smaller than
 * %MTMAP_CREATE_SIZE_VER0), EOPNOTSUPP (WC or UC- on a kernel that
 * cannot convert the direct map of RAM, e.g. arm64; checked after every
 * EINVAL condition), E2BIG (a newer struct with non-zero fields this
 * kernel does not know), EFAULT (bad pointer), ENOMEM, EMFILE/ENFILE (no
 * fd available), ENOTTY (issued on a buffer fd).
 */
#define MTMAP_IOC_CREATE	_IOWR(MTMAP_IOC_MAGIC, 0x00, struct mtmap_create)

/**
 * define MTMAP_IOC_INFO - describe a buffer (on a buffer fd)
 *
 * Output only: a larger (newer) struct is accepted and the bytes beyond
 * what this kernel knows are zeroed.
 *
 * Errors: EINVAL (struct smaller than %MTMAP_INFO_SIZE_VER0), EFAULT,
 * ENOTTY (issued on the /dev/mtmap fd).
 */
#define MTMAP_IOC_INFO		_IOR(MTMAP_IOC_MAGIC, 0x01, struct mtmap_info)

/**
 * define MTMAP_IOC_SET_MEMTYPE - change the memory type of a live buffer
 *
 * Works while the buffer is mapped, in any number of processes: every
 * user PTE of the buffer is zapped, the populated pages are converted in
 * batches, and the next touch of each page faults it back in with the new
 * type. Faults racing with the change wait for it. Data is preserved.
 *
 * Errors: EINVAL (unknown type, WT, non-zero flags/reserved, struct too
 * small), EOPNOTSUPP (WC or UC- on a kernel that cannot convert the
 * direct map of RAM, e.g. arm64; the buffer is left as it was), E2BIG,
 * EFAULT, EBUSY (a mapping asked for a type explicitly
 * with MTMAP_MMAP_OFFSET() whose effective type differs from the new
 * one: it would alias it), ENOMEM (no memory to record the new type or
 * to split the kernel's direct map for it: the change is all or nothing,
 * the buffer and every page keep the old type), ENOTTY (on the /dev/mtmap
 * fd).
 */
#define MTMAP_IOC_SET_MEMTYPE	_IOW(MTMAP_IOC_MAGIC, 0x02, struct mtmap_set_memtype)

/**
 * define MTMAP_IOC_GET_DIRTY - pages written since the last call
 *
 * Only for buffers created with %MTMAP_CREATE_DIRTY_TRACK. Every user
 * PTE of the buffer is write-protected again (zapped) atomically with
 * taking the report, so no write is ever missed: a write racing with the
 * call is in this report or the next.
 *
 * Errors: EINVAL (buffer created without %MTMAP_CREATE_DIRTY_TRACK,
 * bitmap smaller than DIV_ROUND_UP(pages, 64) * 8 bytes, non-zero
 * reserved, struct too small), E2BIG, EFAULT (struct or bitmap), ENOMEM,
 * ENOTTY (on /dev/mtmap). A bitmap that cannot be written (EFAULT) loses
 * nothing: its pages are reported again by the next call, with those
 * written since. An EFAULT from writing the struct back comes after the
 * bitmap was written: that report is complete in the bitmap.
 */
#define MTMAP_IOC_GET_DIRTY	_IOWR(MTMAP_IOC_MAGIC, 0x03, struct mtmap_get_dirty)

/*
 * Device-exclusive access (MTMAP_IOC_EXCLUSIVE and friends, 0x10-0x1f),
 * issued on the /dev/mtmap fd. See Documentation/exclusive.rst.
 */

/**
 * DOC: device-exclusive access
 *
 * mtmap emulates a device that takes pages of the caller's memory for
 * exclusive access (as a GPU does for atomics): while mtmap holds a page,
 * the CPU page table has no usable entry for it, and any CPU access, or
 * anything else the kernel does to the mapping (mprotect, munmap, fork,
 * madvise, migration, exit), takes it back first. mtmap notices every such
 * revocation and re-acquires the page before its next device atomic.
 *
 * Only private anonymous memory qualifies (not hugetlb, not shared, not
 * file-backed, not mtmap buffers), in a writable mapping. Ranges belong to
 * the open file and to the address space that registered the first one;
 * closing the file releases them all.
 *
 * Kernels built without CONFIG_DEVICE_PRIVATE or CONFIG_MMU_NOTIFIER
 * (Debian 12's stock 6.1 among them) fail all these ioctls with
 * EOPNOTSUPP.
 */

/**
 * struct mtmap_exclusive - argument of %MTMAP_IOC_EXCLUSIVE
 * @addr: in: start of the range; page aligned.
 * @len: in: length in bytes; a non-zero multiple of the page size, at most
 *	%MTMAP_EXCLUSIVE_MAX_PAGES pages.
 * @flags: must be zero.
 * @reserved0: must be zero.
 * @held: out: pages of the range mtmap holds when the call returns.
 * @reserved: must be zero.
 */
struct mtmap_exclusive {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 reserved0;
	__u64 held;
	__u64 reserved[2];
};

/* Size of the first published struct mtmap_exclusive. */
#define MTMAP_EXCLUSIVE_SIZE_VER0	48

/* Largest range one MTMAP_IOC_EXCLUSIVE takes: 1 GiB of 4 KiB pages. */
#define MTMAP_EXCLUSIVE_MAX_PAGES	(1U << 18)

/**
 * struct mtmap_check_exclusive - argument of %MTMAP_IOC_CHECK_EXCLUSIVE
 * @addr: in: start of the pages to report; page aligned.
 * @len: in: length in bytes; a non-zero multiple of the page size. The
 *	pages must all lie in one range registered with
 *	%MTMAP_IOC_EXCLUSIVE.
 * @map: in: user pointer to len / page size bytes, or 0. Byte i is set
 *	to 1 when mtmap holds page i exclusively, 0 when not.
 * @held: out: number of those pages mtmap holds.
 * @acquired: out: pages the whole range acquired so far, counting
 *	re-acquisitions.
 * @revoked: out: held pages of the whole range the kernel took back.
 * @invalidations: out: notifier calls that hit the range, other than
 *	mtmap's own acquisitions (which it filters out).
 * @reserved: must be zero.
 */
struct mtmap_check_exclusive {
	__u64 addr;
	__u64 len;
	__u64 map;
	__u64 held;
	__u64 acquired;
	__u64 revoked;
	__u64 invalidations;
	__u64 reserved[2];
};

/* Size of the first published struct mtmap_check_exclusive. */
#define MTMAP_CHECK_EXCLUSIVE_SIZE_VER0	72

/**
 * DOC: device atomics
 *
 * %MTMAP_ATOMIC_ADD: *addr += value.
 * %MTMAP_ATOMIC_CMPXCHG: if (*addr == compare) *addr = value.
 * %MTMAP_ATOMIC_XCHG: *addr = value.
 *
 * Each returns the old value of the naturally aligned 64-bit word at addr
 * in struct mtmap_atomic.old, atomically with respect to the CPU and to
 * every other device atomic.
 */
#define MTMAP_ATOMIC_ADD	0
#define MTMAP_ATOMIC_CMPXCHG	1
#define MTMAP_ATOMIC_XCHG	2

/* struct mtmap_atomic.result: the page had to be taken back from the CPU. */
#define MTMAP_ATOMIC_REACQUIRED	(1U << 0)

/**
 * struct mtmap_atomic - argument of %MTMAP_IOC_ATOMIC
 * @addr: in: address of a naturally aligned __u64 inside a range
 *	registered with %MTMAP_IOC_EXCLUSIVE.
 * @op: in: one of the MTMAP_ATOMIC_* operations.
 * @flags: must be zero.
 * @value: in: operand.
 * @compare: in: expected value (%MTMAP_ATOMIC_CMPXCHG only, else ignored).
 * @old: out: value of the word before the operation.
 * @result: out: MTMAP_ATOMIC_REACQUIRED when mtmap had lost the page and
 *	took it back for this operation.
 * @reserved0: must be zero.
 * @reserved: must be zero.
 */
struct mtmap_atomic {
	__u64 addr;
	__u32 op;
	__u32 flags;
	__u64 value;
	__u64 compare;
	__u64 old;
	__u32 result;
	__u32 reserved0;
	__u64 reserved[2];
};

/* Size of the first published struct mtmap_atomic. */
#define MTMAP_ATOMIC_SIZE_VER0	64

/**
 * define MTMAP_IOC_EXCLUSIVE - take a range of memory for exclusive access
 *
 * Registers [addr, addr + len) of the caller's address space with the
 * /dev/mtmap fd and makes every page device-exclusive (faulting it in
 * writable first). A range that lies inside one already registered
 * re-acquires the pages of it mtmap lost. On success every page is held;
 * on failure no new range exists (pages already taken stay unreadable to
 * the CPU only until its next access, which restores them).
 *
 * Errors: EOPNOTSUPP (kernel without device-exclusive support; or the
 * range includes hugetlb, shared, file-backed or mtmap buffer memory),
 * EPERM (a mapping of the range is not writable; or the fd is bound to
 * another process's address space), EFAULT (part of the range is not
 * mapped; bad pointer), EINVAL (unaligned or empty range, more than
 * %MTMAP_EXCLUSIVE_MAX_PAGES pages, non-zero flags/reserved, struct too
 * small), E2BIG, EEXIST (overlaps a registered range without lying inside
 * it), EBUSY (a page could not be taken, e.g. a large folio the kernel
 * cannot split), ENOMEM, EINTR (fatal signal).
 *
 * One EFAULT is not a failure of the request: the struct is written back
 * after the work is done, so an EFAULT from that write comes with the
 * range registered and every page held; only the returned fields are
 * lost. Repeating the call with the same range then succeeds (it lies
 * inside the registered range) and reports them.
 */
#define MTMAP_IOC_EXCLUSIVE	_IOWR(MTMAP_IOC_MAGIC, 0x10, struct mtmap_exclusive)

/**
 * define MTMAP_IOC_CHECK_EXCLUSIVE - which pages mtmap still holds
 *
 * Errors: EOPNOTSUPP (no kernel support), ENOENT (the pages are not all in
 * one registered range), EPERM (fd bound to another address space),
 * EINVAL (unaligned or empty, non-zero reserved, struct too small), E2BIG,
 * EFAULT, ENOMEM.
 */
#define MTMAP_IOC_CHECK_EXCLUSIVE _IOWR(MTMAP_IOC_MAGIC, 0x11, struct mtmap_check_exclusive)

/**
 * define MTMAP_IOC_ATOMIC - emulated device atomic on held memory
 *
 * Performs struct mtmap_atomic.op on the word at addr while mtmap holds
 * its page exclusively, re-acquiring the page first if the kernel took it
 * back. Nothing else, CPU or device, touches the word in between.
 *
 * Errors: EOPNOTSUPP (no kernel support; or the page is no longer
 * anonymous memory mtmap can take), ENOENT (addr is in no registered
 * range), EPERM (the mapping is no longer writable, e.g. after
 * mprotect(PROT_READ); or the fd is bound to another address space),
 * EFAULT (addr is no longer mapped), EINVAL (misaligned addr, unknown op,
 * non-zero flags/reserved, struct too small), E2BIG, EBUSY, ENOMEM, EINTR.
 *
 * EFAULT is also what a struct that cannot be written back gives, and
 * that write comes after the operation: the word at addr has then been
 * changed, only old and result are lost. Such a call must not be
 * repeated blindly (an ADD would be applied twice); every other error
 * means the word was not touched.
 */
#define MTMAP_IOC_ATOMIC	_IOWR(MTMAP_IOC_MAGIC, 0x12, struct mtmap_atomic)

/**
 * define MTMAP_MMAP_TYPE_SHIFT - mmap offset bit where a type request starts
 *
 * An mmap offset of MTMAP_MMAP_OFFSET(type) + byte offset maps the buffer
 * and asks for @type explicitly: if the buffer's pages are of another
 * type the mmap fails with EBUSY (it would create an alias of another
 * type), and while such a mapping exists MTMAP_IOC_SET_MEMTYPE to another
 * type fails with EBUSY. A plain offset (below 1 << 40) maps with
 * whatever type the buffer has. Buffers are therefore smaller than 1 TiB.
 */
#define MTMAP_MMAP_TYPE_SHIFT	40
#define MTMAP_MMAP_OFFSET(memtype) \
	(((__u64)(memtype) + 1) << MTMAP_MMAP_TYPE_SHIFT)

/**
 * DOC: mmap of a buffer fd
 *
 * Only MAP_SHARED mappings are allowed (MAP_PRIVATE: EINVAL). The file
 * offset (less any MTMAP_MMAP_OFFSET() part) and the length must lie
 * inside the buffer (EINVAL otherwise); offset bits above
 * %MTMAP_MMAP_TYPE_SHIFT that name no memory type are EINVAL, and
 * MTMAP_MMAP_OFFSET() of a type other than the buffer's is EBUSY. The
 * user PTEs carry the buffer's memory type, the same as the kernel's
 * alias of each page.
 * A mapping cannot grow with mremap() (EFAULT from mremap, as for any
 * VM_DONTEXPAND mapping); madvise(MADV_DONTNEED) fails with EINVAL (the
 * kernel refuses it on PFN mappings). Touching a page allocates it, zeroed; the first
 * write to a page costs exactly one page fault and leaves the PTE writable
 * (and the CPU sets it dirty on that write). A read fault of a writable
 * mapping also maps the page writable, so a later write costs no fault.
 * A first touch that finds no memory for the page, or for converting it
 * to the buffer's type, fails as an anonymous page fault without memory
 * does (VM_FAULT_OOM: the OOM killer runs, or the access is retried);
 * SIGBUS if the page cannot be given the buffer's type for another
 * reason (e.g. the page allocator handed out a page of another type).
 * PTEs are PFN mappings (no struct page reference, as TTM does), so
 * get_user_pages() on a buffer mapping fails (O_DIRECT I/O into a buffer
 * gets EFAULT); ptrace and /proc/<pid>/mem work.
 */

#endif /* _UAPI_LINUX_MTMAP_H */
