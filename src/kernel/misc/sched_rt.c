/* Linux's rule for a thread without CAP_SYS_NICE: a real-time policy only
 * under RLIMIT_RTPRIO (a new RT policy needs a non-zero limit, a priority
 * above the thread's own needs a limit that high), a deadline policy
 * never.  The host process of a world started by root may hold
 * CAP_SYS_NICE when the guest does not: without this check a guest that
 * is uid 65534 (trinity, in the fuzzing test) made host threads
 * real-time.  Invalid policies and priorities are left to the host
 * (EINVAL comes first on Linux).  The limit is the caller's (a target in
 * another process of the world has its own on Linux), and another
 * thread's current priority is taken as 0 (the host is asked only about
 * the caller). */
#include "sched_rt.h"
#include "../kernel.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../proc/caps.h"
#include "../syscalls.h"
#include <asm/resource.h>
#include <linux/sched.h>

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

bool sched_rt_denied(int pid, int policy, int prio)
{
	policy &= ~SCHED_RESET_ON_FORK;
	if (capable(CAP_SYS_NICE))
		return false;
	if (policy == SCHED_DEADLINE)
		return true;
	if ((policy != SCHED_FIFO && policy != SCHED_RR) || prio < 1 ||
	    prio > 99)
		return false;
	bool self = pid == 0 || pid == current()->tid;
	long cur = self ? host_syscall1(__NR_sched_getscheduler, 0)
			: sys_sched_getscheduler(pid);
	if (cur < 0)
		return false; /* no such thread: the caller's lookup says so */
	int cur_prio = 0;
	if (self && host_syscall2(__NR_sched_getparam, 0, &cur_prio) < 0)
		cur_prio = 0;
	uint64_t lim = proc.rlimits[RLIMIT_RTPRIO].cur;
	if ((cur & ~SCHED_RESET_ON_FORK) != policy && lim == 0)
		return true;
	return prio > cur_prio && (uint64_t)prio > lim;
}
