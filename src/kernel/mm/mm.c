/* Guest mappings on the host, checked against the provider's window. */
#include "mm.h"
#include "../entry/entry.h"
#include <linux/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The memory map's lock: mmap, munmap and mprotect run under the shared
 * side of the provider lock (class MM), so the host call and the record
 * of its result are made one step under this lock; two threads' changes
 * reach the record in the order the host made them.  Calls that read the
 * record (mremap, mlock, fast path patching) are BIG: no MM call runs
 * beside them.  A new executable file mapping's known call sites are
 * patched under this lock (fast_map_file), which keeps two threads'
 * mmaps from patching at once. */
static uint32_t mm_lock;

void mm_lock_reset(void)
{
	__atomic_store_n(&mm_lock, 0, __ATOMIC_RELAXED);
}

static bool fixed(int flags)
{
	return flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
}

long mm_map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
	    uint64_t off)
{
	if (fixed(flags) && !guest_range_ok(addr, len))
		return -ENOMEM;
	kmutex_lock(&mm_lock);
	long r = host_mmap(addr, len, prot, flags, host_fd, off);
	uint64_t a = (uint64_t)r;
	if (!host_is_err(r) && !guest_range_ok(a, len)) {
		/* Cannot happen while the window is reserved; never hand the
		 * guest provider memory if it somehow does. */
		host_munmap(a, len);
		r = -ENOMEM;
	}
	if (!host_is_err(r)) {
		mm_record(a, a + RT_ALIGN_UP(len, RT_PAGE_SIZE), prot, flags);
		/* (under the lock: it reads the record and changes the
		 * mapping's protections, as mprotect does) */
		if (host_fd >= 0 && (prot & PROT_EXEC) &&
		    (flags & MAP_TYPE) == MAP_PRIVATE)
			fast_map_file(a, a + RT_ALIGN_UP(len, RT_PAGE_SIZE),
				      host_fd, off);
	}
	kmutex_unlock(&mm_lock);
	if (host_is_err(r))
		return r;
	long lr = mlock_new_mapping(a, len);
	if (lr < 0) {
		mm_unmap(a, len);
		return lr;
	}
	return r;
}

long mm_unmap(uint64_t addr, uint64_t len)
{
	if (!guest_range_ok(addr, len))
		return -EINVAL;
	kmutex_lock(&mm_lock);
	long r = host_munmap(addr, len);
	if (r == 0)
		mm_forget(addr, addr + RT_ALIGN_UP(len, RT_PAGE_SIZE));
	kmutex_unlock(&mm_lock);
	return r;
}

long mm_protect(uint64_t addr, uint64_t len, int prot)
{
	if (!guest_range_ok(addr, len))
		return -ENOMEM;
	kmutex_lock(&mm_lock);
	long r = host_mprotect(addr, len, prot);
	if (r == 0)
		mm_set_prot(addr, addr + RT_ALIGN_UP(len, RT_PAGE_SIZE), prot);
	kmutex_unlock(&mm_lock);
	return r;
}

void get_random(void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		long r = host_syscall3(__NR_getrandom, p, n, 0);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			kdie(125, "getrandom failed (%ld)", r);
		p += r;
		n -= (size_t)r;
	}
}
