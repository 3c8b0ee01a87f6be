/* Scheduling: affinity, policy and priority.  A guest pid or tid names a
 * host thread (the caller is the host's 0, a process's first thread its
 * host pid, other threads come from the world's thread table); the host
 * then answers for it with its own rules (EPERM, EINVAL). */
#include "../kernel.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include <picos/world.h>

/* <linux/resource.h> clashes with proc.h's struct rlimit64. */
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

static bool is_self(int pid)
{
	return pid == 0 || pid == current()->tid;
}

/* The host id for a guest pid or tid: 0 for the caller, -ESRCH when the
 * world has no such live thread. */
static long host_id(int pid)
{
	if (pid < 0)
		return -EINVAL;
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
	if (id < 0)
		return id;
	long r = host_syscall3(__NR_sched_getaffinity, id,
			       RT_MIN(len, (unsigned)CPUMASK_MAX), kmask);
	if (r < 0)
		return r;
	if (copy_to_user(mask, kmask, (size_t)r) < 0)
		return -EFAULT;
	return r;
}

long sys_sched_getscheduler(int pid)
{
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
	long id = host_id(pid);
	if (id < 0)
		return id;
	long r = host_syscall2(__NR_sched_rr_get_interval, id, &ts);
	if (r < 0)
		return r;
	return copy_to_user(uts, &ts, sizeof ts);
}

/* Linux's getpriority returns 20 - nice (1..40) so that no success looks
 * like an error; the host's value is passed on as it is. */
long sys_getpriority(int which, int who)
{
	switch (which) {
	case PRIO_PROCESS:
		if (!is_self(who) && who != gproc()->pid)
			return -ESRCH;
		break;
	case PRIO_PGRP:
		if (who != 0 && who != task_pgid())
			return -ESRCH;
		break;
	case PRIO_USER:
		/* The processes of a user in this world: this one, when the
		 * uid is its real uid. */
		if (who != 0 && (uint32_t)who != ident.uid)
			return -ESRCH;
		break;
	default:
		return -EINVAL;
	}
	return host_syscall2(__NR_getpriority, PRIO_PROCESS, 0);
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
