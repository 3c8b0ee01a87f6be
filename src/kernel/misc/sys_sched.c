/* Scheduling queries.  The pico process is one host process, so asking
 * about itself (pid 0 or its own virtual pid) is asking the host about
 * pid 0; other pids do not exist in this world yet (-ESRCH). */
#include "../kernel.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../syscalls.h"

/* <linux/resource.h> clashes with proc.h's struct rlimit64. */
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

static bool is_self(int pid)
{
	return pid == 0 || pid == proc.pid || pid == current()->tid;
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
	long r = host_syscall3(__NR_sched_getaffinity, 0,
			       RT_MIN(len, (unsigned)CPUMASK_MAX), kmask);
	if (r < 0)
		return r;
	if (!is_self(pid))
		return -ESRCH;
	if (copy_to_user(mask, kmask, (size_t)r) < 0)
		return -EFAULT;
	return r;
}

long sys_sched_getscheduler(int pid)
{
	if (pid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	return host_syscall1(__NR_sched_getscheduler, 0);
}

long sys_sched_getparam(int pid, void *param)
{
	if (!param || pid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	/* struct sched_param is one int. */
	return host_syscall2(__NR_sched_getparam, 0,
			     user_ptr_for_host(param, sizeof(int)));
}

/* Linux's getpriority returns 20 - nice (1..40) so that no success looks
 * like an error; the host's value is passed on as it is. */
long sys_getpriority(int which, int who)
{
	switch (which) {
	case PRIO_PROCESS:
		if (!is_self(who))
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
