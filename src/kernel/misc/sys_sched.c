/* Scheduling: affinity, policy and priority.  A guest pid or tid names a
 * host thread (the caller is the host's 0, a process's first thread its
 * host pid, other threads come from the world's thread table); the host
 * then answers for it with its own rules (EPERM, EINVAL). */
#include "../kernel.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include "sched_rt.h"
#include <picos/world.h>

static bool is_self(int pid)
{
	return pid == 0 || pid == current()->tid;
}

/* The host id for a guest pid or tid: 0 for the caller, -ESRCH when the
 * world has no such live thread (a negative pid too, as Linux's lookup;
 * the calls that refuse one with EINVAL check it first). */
static long host_id(int pid)
{
	if (pid < 0)
		return -ESRCH;
	if (is_self(pid))
		return 0;
	return task_host_of_id(pid);
}

long sys_sched_yield(void)
{
	return host_syscall0(__NR_sched_yield);
}

/* The largest cpumask a kernel copies out: NR_CPUS is at most 8192. */
#define CPUMASK_MAX 1024

long sys_sched_getaffinity(int pid, size_t len_arg, void *mask)
{
	/* The kernel takes len as an unsigned int. */
	unsigned len = (unsigned)len_arg;
	uint64_t kmask[CPUMASK_MAX / 8];
	/* Lengths the host would refuse (too short for its cpus, not a
	 * multiple of a long) fail first; asking with at most CPUMASK_MAX
	 * keeps both answers the same for longer ones. */
	if (len & (sizeof(long) - 1))
		return -EINVAL;
	long id = host_id(pid);
	long r;
	if (id < 0) {
		/* A length too short for the host's cpus fails first. */
		r = host_syscall3(__NR_sched_getaffinity, 0,
				  RT_MIN(len, (unsigned)CPUMASK_MAX), kmask);
		return r == -EINVAL ? r : id;
	}
	r = host_syscall3(__NR_sched_getaffinity, id,
			  RT_MIN(len, (unsigned)CPUMASK_MAX), kmask);
	if (r < 0)
		return r;
	if (copy_to_user(mask, kmask, (size_t)r) < 0)
		return -EFAULT;
	return r;
}

long sys_sched_getscheduler(int pid)
{
	if (pid < 0)
		return -EINVAL;
	long id = host_id(pid);
	return id < 0 ? id : host_syscall1(__NR_sched_getscheduler, id);
}

long sys_sched_getparam(int pid, void *param)
{
	if (!param || pid < 0)
		return -EINVAL;
	long id = host_id(pid);
	if (id < 0)
		return id;
	/* struct sched_param is one int. */
	return host_syscall2(__NR_sched_getparam, id,
			     user_ptr_for_host(param, sizeof(int)));
}

long sys_sched_setaffinity(int pid, size_t len_arg, const void *umask)
{
	unsigned len = (unsigned)len_arg;
	uint64_t kmask[CPUMASK_MAX / 8];
	rt_memset(kmask, 0, sizeof kmask);
	/* Bits past what the provider keeps name cpus no host has. */
	if (copy_from_user(kmask, umask, RT_MIN(len, (unsigned)CPUMASK_MAX)) < 0)
		return -EFAULT;
	long id = host_id(pid);
	if (id < 0)
		return id;
	return host_syscall3(__NR_sched_setaffinity, id,
			     RT_MIN(len, (unsigned)CPUMASK_MAX), kmask);
}

/* A setter's struct sched_param (one int) and its target, in Linux's
 * order of checks: the param, then the pid. */
static long param_and_id(int pid, const void *uparam, int *prio)
{
	if (!uparam || pid < 0)
		return -EINVAL;
	if (copy_from_user(prio, uparam, sizeof *prio) < 0)
		return -EFAULT;
	return host_id(pid);
}

long sys_sched_setscheduler(int pid, int policy, const void *uparam)
{
	int prio;
	long id = param_and_id(pid, uparam, &prio);
	if (id >= 0 && policy >= 0 && sched_rt_denied(pid, policy, prio))
		return -EPERM;
	return id < 0 ? id : host_syscall3(__NR_sched_setscheduler, id, policy, &prio);
}

long sys_sched_setparam(int pid, const void *uparam)
{
	int prio;
	long id = param_and_id(pid, uparam, &prio);
	return id < 0 ? id : host_syscall2(__NR_sched_setparam, id, &prio);
}

long sys_sched_get_priority_max(int policy)
{
	return host_syscall1(__NR_sched_get_priority_max, policy);
}

long sys_sched_get_priority_min(int policy)
{
	return host_syscall1(__NR_sched_get_priority_min, policy);
}

long sys_sched_rr_get_interval(int pid, void *uts)
{
	struct { long sec, nsec; } ts;
	if (pid < 0)
		return -EINVAL;
	long id = host_id(pid);
	if (id < 0)
		return id;
	long r = host_syscall2(__NR_sched_rr_get_interval, id, &ts);
	if (r < 0)
		return r;
	return copy_to_user(uts, &ts, sizeof ts);
}

/* struct sched_attr: 48 bytes in its first version, 56 with the
 * utilization clamps; Linux takes any size up to a page, as long as the
 * bytes it does not know are zero. */
#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_ATTR_MAX 4096
#define SCHED_ATTR_SIZE_VER1 56

/* sched_setattr: Linux's checks in its order (flags and pid, the size,
 * bytes past the kernel's struct that are not zero: E2BIG with the
 * kernel's size written back, a negative policy, then the pid), then the
 * host's checks and change for the thread. */
long sys_sched_setattr(int pid, void *uattr, unsigned flags)
{
	if (!uattr || pid < 0 || flags)
		return -EINVAL;
	uint32_t size;
	if (copy_from_user(&size, uattr, sizeof size) < 0)
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0;
	uint8_t *attr = kzalloc(SCHED_ATTR_MAX);
	if (!attr)
		return -ENOMEM;
	long r = 0;
	if (size < SCHED_ATTR_SIZE_VER0 || size > SCHED_ATTR_MAX)
		r = -E2BIG;
	else if (copy_from_user(attr, uattr, size) < 0)
		r = -EFAULT;
	for (uint32_t i = SCHED_ATTR_SIZE_VER1; r == 0 && i < size; i++)
		if (attr[i])
			r = -E2BIG;
	if (r == -E2BIG) {
		uint32_t ksize = SCHED_ATTR_SIZE_VER1;
		if (copy_to_user(uattr, &ksize, sizeof ksize) < 0)
			r = -EFAULT;
	}
	if (r == 0) {
		rt_memcpy(attr, &size, sizeof size);
		int32_t policy;
		rt_memcpy(&policy, attr + 4, sizeof policy);
		r = policy < 0 ? -EINVAL : host_id(pid);
		uint32_t prio; /* sched_priority, after flags and nice */
		rt_memcpy(&prio, attr + 20, sizeof prio);
		if (r >= 0 && sched_rt_denied(pid, policy, (int)prio))
			r = -EPERM;
		if (r >= 0)
			r = host_syscall3(__NR_sched_setattr, r, attr, 0);
	}
	kfree(attr);
	return r;
}

long sys_sched_getattr(int pid, void *uattr, unsigned usize, unsigned flags)
{
	if (!uattr || pid < 0 || usize > SCHED_ATTR_MAX ||
	    usize < SCHED_ATTR_SIZE_VER0 || flags)
		return -EINVAL;
	long id = host_id(pid);
	if (id < 0)
		return id;
	uint8_t *attr = kzalloc(SCHED_ATTR_MAX);
	if (!attr)
		return -ENOMEM;
	long r = host_syscall4(__NR_sched_getattr, id, attr, usize, 0);
	/* The host wrote min(usize, its size) bytes; Linux zero-fills the
	 * rest of the guest's struct (copy_struct_to_user), as the zeroed
	 * buffer does. */
	if (r == 0 && copy_to_user(uattr, attr, usize) < 0)
		r = -EFAULT;
	kfree(attr);
	return r;
}

long sys_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	(void)cache; /* unused since Linux 2.6.24 */
	return host_syscall3(__NR_getcpu, user_ptr_for_host(cpu, sizeof *cpu),
			     user_ptr_for_host(node, sizeof *node), NULL);
}

/* membarrier: the guest's threads are host threads of one mm, so the
 * host's barriers (and their registrations) are the guest's. */
long sys_membarrier(int cmd, unsigned flags, int cpu_id)
{
	return host_syscall3(__NR_membarrier, cmd, flags, cpu_id);
}
