/* mmap and friends, brk. */
#include "mm.h"
#include "../fs/vfs.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include <linux/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

long sys_mmap(unsigned long addr, unsigned long len, int prot, int flags,
	      int fd, unsigned long off)
{
	if (off & (RT_PAGE_SIZE - 1))
		return -EINVAL;
	if (len == 0)
		return -EINVAL;
	int host_fd = -1;
	struct file *f = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		host_fd = f->host_fd;
	}
	long r = mm_map(addr, len, prot, flags, host_fd, off);
	if (f)
		file_put(f);
	return r;
}

long sys_munmap(unsigned long addr, unsigned long len)
{
	if (addr & (RT_PAGE_SIZE - 1) || len == 0)
		return -EINVAL;
	return mm_unmap(addr, len);
}

long sys_mprotect(unsigned long addr, unsigned long len, int prot)
{
	if (addr & (RT_PAGE_SIZE - 1))
		return -EINVAL;
	return mm_protect(addr, len, prot);
}

/* brk is the provider's: the break moves over anonymous private pages
 * mapped just past the program, like Linux's heap. */
void mm_brk_init(uint64_t start)
{
	uint64_t base = RT_ALIGN_UP(start, RT_PAGE_SIZE);
	/* Linux randomises the break within 32 MiB past the program. */
	uint64_t r;
	get_random(&r, sizeof r);
	base += (r % (0x2000000UL / RT_PAGE_SIZE)) * RT_PAGE_SIZE;
	proc.brk_start = proc.brk_cur = proc.brk_mapped = base;
}

long sys_brk(unsigned long addr)
{
	if (addr < proc.brk_start)
		return (long)proc.brk_cur;
	uint64_t want = RT_ALIGN_UP(addr, RT_PAGE_SIZE);
	uint64_t limit = proc.rlimits[2].cur; /* RLIMIT_DATA */
	if (limit != ~0ULL && addr - proc.brk_start > limit)
		return (long)proc.brk_cur;
	if (want > proc.brk_mapped) {
		long m = mm_map(proc.brk_mapped, want - proc.brk_mapped,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				-1, 0);
		if (host_is_err(m))
			return (long)proc.brk_cur;
		proc.brk_mapped = want;
	} else if (want < proc.brk_mapped) {
		mm_unmap(want, proc.brk_mapped - want);
		proc.brk_mapped = want;
	}
	proc.brk_cur = addr;
	return (long)addr;
}
