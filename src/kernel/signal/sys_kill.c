/* Sending signals: kill, tkill, tgkill, rt_sigqueueinfo.  Guest pids are
 * looked up in the world's table and the signal goes to the host process
 * behind them; its provider delivers it.  A zombie has no host process
 * any more: signalling it succeeds and does nothing, as on Linux. */
#include "signal.h"
#include "../proc/proc.h"
#include "../entry/entry.h"
#include "../syscalls.h"
#include <asm/signal.h>
#include <picos/world.h>

static long send_host(const struct picos_task *t, int sig, bool tkill)
{
	if (t->state != TASK_LIVE || sig == 0)
		return 0;
	/* tgkill makes the host fill in SI_TKILL, as the guest expects. */
	long r = tkill ? host_syscall3(__NR_tgkill, t->host_pid, t->host_pid, sig)
		       : host_syscall2(__NR_kill, t->host_pid, sig);
	return r == -ESRCH ? 0 : r; /* ended a moment ago: a zombie */
}

/* kill(pid > 0), tkill and tgkill: one process. */
static long kill_one(int pid, int sig, bool tkill)
{
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	long r = t ? send_host(t, sig, tkill) : -ESRCH;
	task_unlock();
	return r;
}

/* kill(0), kill(-pgid), kill(-1): every member of a group, or every
 * process but pid 1 and the caller. */
static long kill_many(int pgid, bool all, int sig)
{
	bool found = false, self = false;
	long err = 0;
	task_lock();
	for (int i = 0; i < PICOS_MAX_TASKS; i++) {
		struct picos_task *t = &popts.world->tasks[i];
		if (!t->vpid)
			continue;
		if (all ? (t->vpid == 1 || t == proc.task) : t->pgid != pgid)
			continue;
		found = true;
		if (t == proc.task) { /* last, so the others get it too */
			self = true;
			continue;
		}
		long r = send_host(t, sig, false);
		if (r < 0)
			err = r;
	}
	task_unlock();
	if (self && sig)
		host_syscall2(__NR_kill, proc.host_pid, sig);
	if (!found)
		return -ESRCH;
	return err;
}

static bool bad_sig(int sig)
{
	return sig < 0 || sig > PICO_NSIG;
}

long sys_kill(int pid, int sig)
{
	if (bad_sig(sig))
		return -EINVAL;
	if (pid > 0)
		return kill_one(pid, sig, false);
	if (pid == 0)
		return kill_many(task_pgid(), false, sig);
	if (pid == -1)
		return kill_many(0, true, sig);
	if (pid == (int)0x80000000)
		return -ESRCH;
	return kill_many(-pid, false, sig);
}

/* One thread per process until the threads issue: a tid is its pid. */
long sys_tgkill(int tgid, int tid, int sig)
{
	if (bad_sig(sig) || tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != tid)
		return -ESRCH;
	return kill_one(tid, sig, true);
}

long sys_tkill(int tid, int sig)
{
	if (bad_sig(sig) || tid <= 0)
		return -EINVAL;
	return kill_one(tid, sig, true);
}

long sys_rt_sigqueueinfo(int pid, int sig, const void *uinfo)
{
	siginfo_t info;
	if (copy_from_user(&info, uinfo, sizeof info) < 0)
		return -EFAULT;
	if (bad_sig(sig))
		return -EINVAL;
	/* As Linux: only negative codes may be forged for another process. */
	if ((info.si_code >= 0 || info.si_code == SI_TKILL) && pid != proc.pid)
		return -EPERM;
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	long r = -ESRCH;
	if (t)
		r = t->state == TASK_LIVE
			    ? host_syscall3(__NR_rt_sigqueueinfo, t->host_pid, sig, &info)
			    : 0;
	task_unlock();
	return r;
}
