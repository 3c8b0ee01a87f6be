/* Guest mappings on the host, checked against the provider's window. */
#include "mm.h"
#include "../entry/entry.h"
#include <linux/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static bool fixed(int flags)
{
	return flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
}

long mm_map(uint64_t addr, uint64_t len, int prot, int flags, int host_fd,
	    uint64_t off)
{
	if (fixed(flags) && !guest_range_ok(addr, len))
		return -ENOMEM;
	long r = host_mmap(addr, len, prot, flags, host_fd, off);
	if (host_is_err(r))
		return r;
	uint64_t a = (uint64_t)r;
	if (!guest_range_ok(a, len)) {
		/* Cannot happen while the window is reserved; never hand the
		 * guest provider memory if it somehow does. */
		host_munmap(a, len);
		return -ENOMEM;
	}
	mm_record(a, a + RT_ALIGN_UP(len, RT_PAGE_SIZE), prot, flags);
	long lr = mlock_new_mapping(a, len);
	if (lr < 0) {
		mm_unmap(a, len);
		return lr;
	}
	if (host_fd >= 0 && (prot & PROT_EXEC) &&
	    (flags & MAP_TYPE) == MAP_PRIVATE)
		fast_map_file(a, a + RT_ALIGN_UP(len, RT_PAGE_SIZE), host_fd, off);
	return r;
}

long mm_unmap(uint64_t addr, uint64_t len)
{
	if (!guest_range_ok(addr, len))
		return -EINVAL;
	long r = host_munmap(addr, len);
	if (r == 0)
		mm_forget(addr, addr + RT_ALIGN_UP(len, RT_PAGE_SIZE));
	return r;
}

long mm_protect(uint64_t addr, uint64_t len, int prot)
{
	if (!guest_range_ok(addr, len))
		return -ENOMEM;
	long r = host_mprotect(addr, len, prot);
	if (r == 0)
		mm_set_prot(addr, addr + RT_ALIGN_UP(len, RT_PAGE_SIZE), prot);
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
