/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference mtmap cares about lives here, so the
 * rest of the module is written against one API. Supported: Debian 12's
 * 6.1, 6.12 and the newest 7.x.
 */
#ifndef _MTMAP_COMPAT_H
#define _MTMAP_COMPAT_H

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/version.h>

/*
 * vm_flags became read-only with accessors in 6.3; before, the field was
 * written directly. Only call this from ->mmap (the helpers assert the
 * mmap write lock).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void mtmap_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
static inline void mtmap_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#endif

/*
 * MODULE_IMPORT_NS() took an identifier until 6.13 and a string literal
 * since.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define MTMAP_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#else
#define MTMAP_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#endif

#endif /* _MTMAP_COMPAT_H */
