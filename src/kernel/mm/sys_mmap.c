/* mmap and friends, brk.
 *
 * Guest mappings are host mappings; what the provider adds is that no
 * call of the guest ever maps, unmaps, moves, changes or inspects memory
 * in the provider window [PICOS_PROVIDER_BASE, PICOS_PROVIDER_END).  To
 * the guest the window looks like memory in use by someone else: fixed
 * mappings over it fail with -ENOMEM (-EEXIST for MAP_FIXED_NOREPLACE),
 * calls that walk a range (msync, madvise, mincore, mprotect) see a hole
 * there (-ENOMEM), mremap of it fails as for unmapped memory (-EFAULT)
 * and munmap of it is refused (-EINVAL). */
#include "mm.h"
#include "../fs/vfs.h"
#include "../proc/proc.h"
#include "../proc/caps.h"
#include "../syscalls.h"
#include <asm/resource.h>
#include <linux/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

/* Linux's TASK_SIZE on x86-64 (4-level paging): the last user page is
 * never mappable. */
#define TASK_SIZE (PICOS_USER_TOP - RT_PAGE_SIZE)
#define PAGE_OFF(x) ((x) & (RT_PAGE_SIZE - 1))

/* True when the page-rounded range [addr, addr+len) meets the window. */
static bool hits_window(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + RT_ALIGN_UP(len, RT_PAGE_SIZE);
	if (end < addr)
		end = ~0ULL;
	return addr < PICOS_PROVIDER_END && end > PICOS_PROVIDER_BASE;
}

/* The checks Linux makes on the mapping type and the file's access mode,
 * after placement.  Only needed when the provider refuses the placement
 * itself (the host makes them otherwise), so that a bad request over the
 * window fails as it would natively. */
static long check_type(int prot, int flags, const struct file *f)
{
	int type = flags & MAP_TYPE;
	if (type != MAP_SHARED && type != MAP_PRIVATE &&
	    type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (!f)
		return 0;
	int acc = f->flags & O_ACCMODE;
	if (type != MAP_PRIVATE) {
		if ((prot & PROT_WRITE) && acc == O_RDONLY)
			return -EACCES;
		if (acc == O_WRONLY)
			return -EACCES;
	} else if (acc == O_WRONLY) {
		return -EACCES;
	}
	return 0;
}

/* The host's vm.mmap_min_addr, read once (Linux's usual 65536 when it
 * cannot be read).  mmap runs beside other threads' (class MM): the
 * value is worked out in a local and published in one store. */
static uint64_t read_mmap_min_addr(void)
{
	uint64_t min = 65536;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	long fd = host_syscall4(__NR_openat2, AT_FDCWD,
				"/proc/sys/vm/mmap_min_addr", &how, sizeof how);
	if (fd < 0)
		return min;
	char buf[32];
	long n = host_syscall3(__NR_read, fd, buf, sizeof buf - 1);
	host_syscall1(__NR_close, fd);
	uint64_t v;
	if (n > 0) {
		buf[n] = 0;
		char *nl = rt_strchr(buf, '\n');
		if (nl)
			*nl = 0;
		if (rt_parse_u64(buf, &v))
			min = v;
	}
	return min;
}

static uint64_t mmap_min_addr(void)
{
	static uint64_t min = ~0ULL;
	uint64_t m = __atomic_load_n(&min, __ATOMIC_RELAXED);
	if (m == ~0ULL) {
		m = read_mmap_min_addr();
		__atomic_store_n(&min, m, __ATOMIC_RELAXED);
	}
	return m;
}

/* A fixed mapping below vm.mmap_min_addr needs CAP_SYS_RAWIO (Linux's
 * cap_mmap_addr).  The host process may hold it when the guest does not
 * (a world started by root, guest uid 65534): checked here, or the guest
 * could map page 0. */
static bool low_fixed_denied(unsigned long addr, int flags)
{
	return (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	       addr < mmap_min_addr() && !capable(CAP_SYS_RAWIO);
}

long sys_mmap(unsigned long addr, unsigned long len, int prot, int flags,
	      int fd, unsigned long off)
{
	if (PAGE_OFF(off))
		return -EINVAL;
	struct file *f = NULL;
	int host_fd = -1;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		host_fd = f->host_fd;
	}
	long r;
	/* Linux's order: length, then placement, then type and access. */
	if (len == 0) {
		r = -EINVAL;
	} else if (RT_ALIGN_UP(len, RT_PAGE_SIZE) == 0) {
		r = -ENOMEM;
	} else if (low_fixed_denied(addr, flags)) {
		r = -EPERM;
	} else if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
		   len <= TASK_SIZE &&
		   addr <= TASK_SIZE - len && hits_window(addr, len)) {
		r = PAGE_OFF(addr) ? -EINVAL : check_type(prot, flags, f);
		if (r == 0)
			r = (flags & MAP_FIXED) ? -ENOMEM : -EEXIST;
	} else {
		/* The host makes every other check with the host fd, whose
		 * access mode is the guest fd's. */
		r = mm_map(addr, len, prot, flags, host_fd, off);
	}
	if (f)
		file_put(f);
	return r;
}

long sys_munmap(unsigned long addr, unsigned long len)
{
	if (PAGE_OFF(addr) || addr > TASK_SIZE || len > TASK_SIZE - addr)
		return -EINVAL;
	if (RT_ALIGN_UP(len, RT_PAGE_SIZE) == 0)
		return -EINVAL;
	/* mm_unmap refuses the window (-EINVAL). */
	return mm_unmap(addr, len);
}

long sys_mprotect(unsigned long addr, unsigned long len, int prot)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (PAGE_OFF(addr))
		return -EINVAL;
	if (!len)
		return 0;
	uint64_t alen = RT_ALIGN_UP((uint64_t)len, RT_PAGE_SIZE);
	if (addr + alen <= addr)
		return -ENOMEM;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | grows))
		return -EINVAL;
	/* The window is a hole: -ENOMEM, Linux's answer for unmapped
	 * memory (mm_protect refuses it). */
	return mm_protect(addr, alen, prot);
}

/* Runs `op` on the parts of [start, end) outside the window, as Linux
 * walks a range with a hole in it: the hole makes the answer -ENOMEM, any
 * other error stops the walk. */
static long around_window(uint64_t start, uint64_t end,
			  long (*op)(uint64_t, uint64_t, long), long arg)
{
	bool hole = false;
	long r;
	if (start < PICOS_PROVIDER_BASE) {
		r = op(start, RT_MIN(end, PICOS_PROVIDER_BASE) - start, arg);
		if (r == -ENOMEM)
			hole = true;
		else if (r < 0)
			return r;
	}
	if (start < PICOS_PROVIDER_END && end > PICOS_PROVIDER_BASE)
		hole = true;
	if (end > PICOS_PROVIDER_END) {
		uint64_t s = RT_MAX(start, PICOS_PROVIDER_END);
		r = op(s, end - s, arg);
		if (r == -ENOMEM)
			hole = true;
		else if (r < 0)
			return r;
	}
	return hole ? -ENOMEM : 0;
}

static long host_msync(uint64_t a, uint64_t len, long flags)
{
	return host_syscall3(__NR_msync, a, len, flags);
}

long sys_msync(unsigned long addr, unsigned long len, int flags)
{
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (PAGE_OFF(addr))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	uint64_t end = addr + RT_ALIGN_UP((uint64_t)len, RT_PAGE_SIZE);
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	return around_window(addr, end, host_msync, flags);
}

static long host_madvise(uint64_t a, uint64_t len, long advice)
{
	return host_syscall3(__NR_madvise, a, len, advice);
}

long sys_madvise(unsigned long addr, unsigned long len, int advice)
{
	/* An empty range at 0 lets the host judge the advice itself (it
	 * knows which ones this kernel has) without touching memory. */
	long r = host_madvise(0, 0, advice);
	if (r < 0)
		return r;
	/* Memory failure injection takes host pages out of service: host
	 * administration, refused whoever the guest is (Linux: EPERM
	 * without CAP_SYS_ADMIN, which a root world's host process has). */
	if (advice == MADV_HWPOISON || advice == MADV_SOFT_OFFLINE)
		return -EPERM;
	if (PAGE_OFF(addr))
		return -EINVAL;
	uint64_t alen = RT_ALIGN_UP((uint64_t)len, RT_PAGE_SIZE);
	if (len && !alen)
		return -EINVAL;
	uint64_t end = addr + alen;
	if (end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	if (advice == MADV_DONTFORK)
		proc.guest_dontfork = true;
	return around_window(addr, end, host_madvise, advice);
}

/* mincore goes through a provider buffer, a chunk at a time as Linux
 * does, so that the window can end the walk as a hole and the guest's
 * vector is only written with copy_to_user. */
#define MINCORE_CHUNK 1024 /* pages per host call */

long sys_mincore(unsigned long addr, unsigned long len, unsigned char *vec)
{
	/* The host checks the alignment and the range (-EINVAL, -ENOMEM)
	 * and answers 0 for an empty one; an always-faulting vector makes
	 * it stop at its vector check, before it reads any page. */
	long r = host_syscall3(__NR_mincore, addr, len, HOST_FAULT_ADDR);
	if (r != -EFAULT)
		return r;
	uint64_t pages = (len + RT_PAGE_SIZE - 1) / RT_PAGE_SIZE;
	uint64_t v = (uint64_t)vec;
	if (v + pages < v || v + pages > PICOS_USER_TOP)
		return -EFAULT;
	unsigned char buf[MINCORE_CHUNK];
	uint64_t a = addr;
	while (pages) {
		uint64_t n = RT_MIN(pages, (uint64_t)MINCORE_CHUNK);
		if (a >= PICOS_PROVIDER_BASE && a < PICOS_PROVIDER_END)
			return -ENOMEM;
		if (a < PICOS_PROVIDER_BASE &&
		    a + n * RT_PAGE_SIZE > PICOS_PROVIDER_BASE)
			n = (PICOS_PROVIDER_BASE - a) / RT_PAGE_SIZE;
		r = host_syscall3(__NR_mincore, a, n * RT_PAGE_SIZE, buf);
		if (r < 0)
			return r;
		if (copy_to_user(vec, buf, n) < 0)
			return -EFAULT;
		vec += n;
		a += n * RT_PAGE_SIZE;
		pages -= n;
	}
	return 0;
}

/* mremap's parameter checks (mm/mremap.c check_mremap_params), made here
 * only when a range meets the window and the host cannot be asked. */
static long mremap_params(uint64_t addr, uint64_t old_len, uint64_t new_len,
			  int flags, uint64_t new_addr)
{
	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (PAGE_OFF(addr))
		return -EINVAL;
	if (!new_len || new_len > TASK_SIZE)
		return -EINVAL;
	if (!(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)))
		return 0;
	if (new_addr > TASK_SIZE - new_len || PAGE_OFF(new_addr))
		return -EINVAL;
	if (!(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && old_len != new_len)
		return -EINVAL;
	if (addr < new_addr + new_len && new_addr < addr + old_len)
		return -EINVAL;
	return 0;
}

long sys_mremap(unsigned long addr, unsigned long old_len,
		unsigned long new_len, int flags, unsigned long new_addr)
{
	uint64_t olen = RT_ALIGN_UP((uint64_t)old_len, RT_PAGE_SIZE);
	uint64_t nlen = RT_ALIGN_UP((uint64_t)new_len, RT_PAGE_SIZE);
	bool old_bad = hits_window(addr, RT_MAX(olen, RT_PAGE_SIZE));
	/* A DONTUNMAP address is only a hint unless MREMAP_FIXED. */
	bool new_bad = (flags & MREMAP_FIXED) && hits_window(new_addr, nlen);
	if (old_bad || new_bad) {
		long r = mremap_params(addr, olen, nlen, flags, new_addr);
		if (r < 0)
			return r;
		/* The window is unmapped memory to the guest: -EFAULT as
		 * for a source that is not mapped; a fixed target in it is
		 * in use, as for mmap(MAP_FIXED). */
		return old_bad ? -EFAULT : -ENOMEM;
	}
	if ((flags & MREMAP_FIXED) && low_fixed_denied(new_addr, MAP_FIXED)) {
		long r = mremap_params(addr, olen, nlen, flags, new_addr);
		if (r < 0)
			return r;
		return mm_find(addr) ? -EPERM : -EFAULT;
	}
	/* The record of the source, for the moved or grown range. */
	const struct vma *v = mm_find(addr);
	int prot = v ? v->prot : PROT_READ | PROT_WRITE;
	int vflags = v ? v->flags : MAP_PRIVATE | MAP_ANONYMOUS;
	long r = host_syscall5(__NR_mremap, addr, old_len, new_len, flags,
			       new_addr);
	if (host_is_err(r))
		return r;
	uint64_t na = (uint64_t)r;
	if (!guest_range_ok(na, nlen))
		kdie(125, "mremap placed guest memory at %p, in the provider "
			  "window",
		     (void *)na);
	if (na == addr) {
		/* Resized in place. */
		if (nlen < olen)
			mm_forget(addr + nlen, addr + olen);
		else if (nlen > olen)
			mm_record(addr + olen, addr + nlen, prot, vflags);
		return r;
	}
	/* Moved: the source is gone unless DONTUNMAP kept it (empty), or it
	 * was a zero-length duplicate of a shared mapping. */
	if (olen && !(flags & MREMAP_DONTUNMAP))
		mm_forget(addr, addr + olen);
	mm_record(na, na + nlen, prot, vflags);
	return r;
}

/* brk is the provider's: the break moves over anonymous private pages
 * mapped just past the program, like Linux's heap. */
void mm_brk_init(uint64_t start)
{
	uint64_t base = RT_ALIGN_UP(start, RT_PAGE_SIZE);
	/* Linux randomises the break within 32 MiB past the program. */
	uint64_t r;
	get_random(&r, sizeof r);
	if (proc_randomize())
		base += (r % (0x2000000UL / RT_PAGE_SIZE)) * RT_PAGE_SIZE;
	proc.brk_start = proc.brk_cur = proc.brk_mapped = base;
}

long sys_brk(unsigned long addr)
{
	/* Below the start (brk(0) included) or past the user half: the
	 * break stays and brk returns it, as Linux does. */
	if (addr < proc.brk_start || addr > TASK_SIZE)
		return (long)proc.brk_cur;
	uint64_t want = RT_ALIGN_UP(addr, RT_PAGE_SIZE);
	uint64_t limit = proc.rlimits[RLIMIT_DATA].cur;
	if (limit != ~0ULL && addr - proc.brk_start > limit)
		return (long)proc.brk_cur;
	if (want > proc.brk_mapped) {
		/* Linux keeps a free page between the heap and the next
		 * mapping; NOREPLACE keeps the heap off any mapping (and out
		 * of the window, which mm_map refuses). */
		unsigned char v;
		if (host_syscall3(__NR_mincore, want, RT_PAGE_SIZE, &v) == 0)
			return (long)proc.brk_cur;
		long m = mm_map(proc.brk_mapped, want - proc.brk_mapped,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				-1, 0);
		if (host_is_err(m))
			return (long)proc.brk_cur;
		proc.brk_mapped = want;
	} else if (want < proc.brk_mapped) {
		if (mm_unmap(want, proc.brk_mapped - want) < 0)
			return (long)proc.brk_cur;
		proc.brk_mapped = want;
	}
	proc.brk_cur = addr;
	return (long)addr;
}
