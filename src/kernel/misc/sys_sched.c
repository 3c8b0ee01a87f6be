/* Scheduling: affinity, policy and priority.  A guest pid or tid names a
 * thread of the world; the host lets a pico process name only the
 * calling thread (seccomp), so another thread is asked to make the call
 * on itself (proc/remote.h), after Linux's owner check for changes made
 * here with the guest identities.  The host answers with its own rules
 * (EINVAL, EPERM for policies it does not allow). */
#include "../kernel.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../proc/caps.h"
#include "../proc/remote.h"
#include "../syscalls.h"
#include "sched_rt.h"
#include <picos/world.h>

static bool is_self(int pid)
{
	return pid == 0 || pid == current()->tid;
}

/* Runs `op` for guest thread `pid`: the host call on the calling thread
 * itself, or a request the target thread carries out on itself
 * (proc/remote.h), since the host lets a pico process name only itself.
 * -ESRCH when the world has no such live thread (a negative pid too, as
 * Linux's lookup; the calls that refuse one with EINVAL check first). */
static long sched_op(int pid, unsigned op, long arg, void *data, size_t inlen,
		     size_t outlen)
{
	if (pid < 0)
		return -ESRCH;
	if (!is_self(pid))
		return remote_call(pid, op, arg, 0, inlen ? data : NULL, inlen,
				   data, outlen);
	long a[4] = { arg, 0, 0, 0 };
	return remote_run_self(op, a, data);
}

/* Linux's check for changing another task's scheduling: the caller's
 * effective uid is the target's real or effective one (check_same_owner),
 * or it has CAP_SYS_NICE.  The host cannot tell: every process of the
 * world is the same host user. */
static long may_schedule(int pid)
{
	if (pid < 0)
		return -ESRCH;
	if (is_self(pid) || capable(CAP_SYS_NICE))
		return 0;
	long r = -ESRCH;
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	if (!t) {
		struct picos_thread_id *th = tid_by_vtid(pid);
		t = th ? task_by_vpid(th->tgid) : NULL;
	}
	if (t && t->state == TASK_LIVE) {
		uint32_t uid = t->vpid == gproc()->pid ? ident.uid : t->uid;
		uint32_t euid = t->vpid == gproc()->pid ? ident.euid : t->euid;
		r = ident.euid == uid || ident.euid == euid ? 0 : -EPERM;
	}
	task_unlock();
	return r;
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
	unsigned n = RT_MIN(len, (unsigned)CPUMASK_MAX);
	long r = sched_op(pid, RQ_GETAFFINITY, n, kmask, 0, n);
	if (r == -ESRCH) {
		/* A length too short for the host's cpus fails first. */
		long e = host_syscall3(__NR_sched_getaffinity, 0, n, kmask);
		return e == -EINVAL ? e : r;
	}
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
	return sched_op(pid, RQ_GETSCHEDULER, 0, NULL, 0, 0);
}

long sys_sched_getparam(int pid, void *param)
{
	if (!param || pid < 0)
		return -EINVAL;
	int prio; /* struct sched_param is one int */
	long r = sched_op(pid, RQ_GETPARAM, 0, &prio, 0, sizeof prio);
	if (r < 0)
		return r;
	return copy_to_user(param, &prio, sizeof prio) < 0 ? -EFAULT : r;
}

long sys_sched_setaffinity(int pid, size_t len_arg, const void *umask)
{
	unsigned len = (unsigned)len_arg;
	uint64_t kmask[CPUMASK_MAX / 8];
	rt_memset(kmask, 0, sizeof kmask);
	/* Bits past what the provider keeps name cpus no host has. */
	unsigned n = RT_MIN(len, (unsigned)CPUMASK_MAX);
	if (copy_from_user(kmask, umask, n) < 0)
		return -EFAULT;
	long r = may_schedule(pid);
	return r < 0 ? r : sched_op(pid, RQ_SETAFFINITY, n, kmask, n, 0);
}

/* A setter's struct sched_param (one int) and its target, in Linux's
 * order of checks: the param, then the pid. */
static long param_and_check(int pid, const void *uparam, int *prio)
{
	if (!uparam || pid < 0)
		return -EINVAL;
	if (copy_from_user(prio, uparam, sizeof *prio) < 0)
		return -EFAULT;
	return may_schedule(pid);
}

long sys_sched_setscheduler(int pid, int policy, const void *uparam)
{
	int prio;
	long r = param_and_check(pid, uparam, &prio);
	if (r >= 0 && policy >= 0 && sched_rt_denied(pid, policy, prio))
		return -EPERM;
	return r < 0 ? r
		     : sched_op(pid, RQ_SETSCHEDULER, policy, &prio, sizeof prio, 0);
}

long sys_sched_setparam(int pid, const void *uparam)
{
	int prio;
	long r = param_and_check(pid, uparam, &prio);
	return r < 0 ? r : sched_op(pid, RQ_SETPARAM, 0, &prio, sizeof prio, 0);
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
	long r = sched_op(pid, RQ_RR_INTERVAL, 0, &ts, 0, sizeof ts);
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
		r = policy < 0 ? -EINVAL : may_schedule(pid);
		uint32_t prio; /* sched_priority, after flags and nice */
		rt_memcpy(&prio, attr + 20, sizeof prio);
		if (r >= 0 && sched_rt_denied(pid, policy, (int)prio))
			r = -EPERM;
		/* The bytes past the kernel's struct are zero (checked). */
		if (r >= 0)
			r = sched_op(pid, RQ_SETATTR, 0, attr,
				     RT_MIN(size, (uint32_t)SCHED_ATTR_SIZE_VER1),
				     0);
	}
	kfree(attr);
	return r;
}

long sys_sched_getattr(int pid, void *uattr, unsigned usize, unsigned flags)
{
	if (!uattr || pid < 0 || usize > SCHED_ATTR_MAX ||
	    usize < SCHED_ATTR_SIZE_VER0 || flags)
		return -EINVAL;
	uint8_t *attr = kzalloc(SCHED_ATTR_MAX);
	if (!attr)
		return -ENOMEM;
	/* The host writes min(usize, its size) bytes; Linux zero-fills the
	 * rest of the guest's struct (copy_struct_to_user), as the zeroed
	 * buffer does. */
	unsigned n = RT_MIN(usize, (unsigned)PICOS_REMOTE_DATA);
	long r = sched_op(pid, RQ_GETATTR, n, attr, 0, n);
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
