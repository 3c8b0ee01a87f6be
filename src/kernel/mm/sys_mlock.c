/* Memory locks: mlock, mlock2, munlock, mlockall, munlockall.
 *
 * Locks are the host's, on guest ranges only: a range that touches the
 * provider window is not guest memory (ENOMEM, as for an unmapped
 * range), and mlockall is not passed to the host (it would lock the
 * provider's heap and stacks, and count its 16 GiB reservation against
 * RLIMIT_MEMLOCK) but applied to each recorded guest mapping, and to
 * each new one after MCL_FUTURE.  The host enforces the guest's
 * RLIMIT_MEMLOCK (sys_info.c mirrors it; the provider locks nothing of
 * its own, so the host's locked_vm is the guest's).  Guest root is held
 * to the limit by an unprivileged host as in an unprivileged container
 * (ENOMEM), and EPERM for a zero limit is the guest's rule. */
#include "../kernel.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include "mm.h"

#define MLOCK_ONFAULT 1
#define MCL_CURRENT 1
#define MCL_FUTURE 2
#define MCL_ONFAULT 4
#define RLIMIT_MEMLOCK 8

static unsigned future; /* MCL_FUTURE [| MCL_ONFAULT], or 0 */

/* Linux's can_do_mlock: a non-zero limit or CAP_IPC_LOCK. */
static bool can_do_mlock(void)
{
	return proc.rlimits[RLIMIT_MEMLOCK].cur != 0 || ident.euid == 0;
}

/* The page range [start, end) of (addr, len), as Linux rounds it. */
static bool page_range(uint64_t addr, size_t len, uint64_t *start, uint64_t *end)
{
	*start = RT_ALIGN_DOWN(addr, RT_PAGE_SIZE);
	uint64_t e = addr + len;
	if (e < addr || e > ~0ULL - RT_PAGE_SIZE)
		return false;
	*end = RT_ALIGN_UP(e, RT_PAGE_SIZE);
	return true;
}

static long lock_range(uint64_t addr, size_t len, unsigned flags)
{
	uint64_t s, e;
	if (!can_do_mlock())
		return -EPERM;
	/* A length that wraps is over any limit, and EINVAL for root. */
	if (!page_range(addr, len, &s, &e))
		return ident.euid == 0 ? -EINVAL : -ENOMEM;
	if (e > s && !guest_range_ok(s, e - s))
		return -ENOMEM;
	return host_syscall3(__NR_mlock2, s, e - s, flags);
}

long sys_mlock(unsigned long addr, size_t len)
{
	return lock_range(addr, len, 0);
}

long sys_mlock2(unsigned long addr, size_t len, unsigned flags)
{
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return lock_range(addr, len, flags);
}

long sys_munlock(unsigned long addr, size_t len)
{
	uint64_t s, e;
	if (!page_range(addr, len, &s, &e))
		return -EINVAL;
	if (e > s && !guest_range_ok(s, e - s))
		return -ENOMEM;
	return host_syscall2(__NR_munlock, s, e - s);
}

/* Locks (or unlocks) every recorded guest mapping. */
static long each_mapping(bool lock, unsigned flags)
{
	int n;
	const struct vma *v = mm_vmas(&n);
	long r = 0;
	for (int i = 0; i < n && r == 0; i++) {
		r = lock ? host_syscall3(__NR_mlock2, v[i].start,
					 v[i].end - v[i].start, flags)
			 : host_syscall2(__NR_munlock, v[i].start,
					 v[i].end - v[i].start);
		if (r == -ENOMEM && !lock)
			r = 0; /* a record the host no longer has */
	}
	return r;
}

long sys_mlockall(int flags)
{
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
	    flags == MCL_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock())
		return -EPERM;
	if (flags & MCL_CURRENT) {
		/* Linux compares the whole address space with the limit. */
		int n;
		const struct vma *v = mm_vmas(&n);
		uint64_t total = 0;
		for (int i = 0; i < n; i++)
			total += v[i].end - v[i].start;
		if (total > proc.rlimits[RLIMIT_MEMLOCK].cur && ident.euid != 0)
			return -ENOMEM;
	}
	future = (flags & MCL_FUTURE) ? flags & (MCL_FUTURE | MCL_ONFAULT) : 0;
	if (!(flags & MCL_CURRENT))
		return 0;
	/* Linux sets the lock on every mapping and ignores what it cannot
	 * fault in; the host's refusal (its limit) is passed on. */
	long r = each_mapping(true, (flags & MCL_ONFAULT) ? MLOCK_ONFAULT : 0);
	return r == -EAGAIN || r == -EFAULT ? 0 : r;
}

long sys_munlockall(void)
{
	future = 0;
	return each_mapping(false, 0);
}

long mlock_new_mapping(uint64_t start, uint64_t len)
{
	if (!future)
		return 0;
	long r = host_syscall3(__NR_mlock2, start, RT_ALIGN_UP(len, RT_PAGE_SIZE),
			       (future & MCL_ONFAULT) ? MLOCK_ONFAULT : 0);
	return r == -ENOMEM || r == -EPERM ? -EAGAIN : 0;
}

void mlock_forget_future(void)
{
	future = 0;
}
