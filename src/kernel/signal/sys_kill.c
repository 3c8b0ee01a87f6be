/* Sending signals: kill, tkill, tgkill, rt_sigqueueinfo.  Guest pids are
 * looked up in the world's table and the signal goes to the host process
 * behind them; its provider delivers it.  A zombie has no host process
 * any more: signalling it succeeds and does nothing, as on Linux. */
#include "signal.h"
#include "../proc/proc.h"
#include "../proc/caps.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/signal.h>
#include <picos/world.h>

/* Signals are sent after the table's lock is released: a signal may stop
 * its target (even the sender) and the launcher needs the lock to record
 * that.  Host pids are gathered under the lock, then signalled. */
static long send_host(int host_pid, int sig, bool tkill)
{
	if (host_pid <= 0 || sig == 0)
		return 0;
	/* tgkill makes the host fill in SI_TKILL, as the guest expects. */
	long r = tkill ? host_syscall3(__NR_tgkill, host_pid, host_pid, sig)
		       : host_syscall2(__NR_kill, host_pid, sig);
	return r == -ESRCH ? 0 : r; /* ended a moment ago: a zombie */
}

/* The host pid to signal for a table entry: 0 for a zombie. */
static int live_host_pid(const struct picos_task *t)
{
	return t->state == TASK_LIVE ? t->host_pid : 0;
}

/* Linux's kill permission (check_kill_permission): the caller's own
 * process; SIGCONT within its session; a real or effective uid that is
 * the target's real or saved uid; or CAP_KILL.  Checked by the provider
 * against the ids the target published in the table, in every mode: a
 * world started by root has the host check the same again, one started
 * by an unprivileged user has only this (all its processes are one host
 * user).  Under the table's lock. */
static bool may_signal(const struct picos_task *t, int sig)
{
	const struct picos_task *me = gproc()->task;
	if (t == me || (sig == SIGCONT && t->sid == me->sid))
		return true;
	uint32_t tu = __atomic_load_n(&t->uid, __ATOMIC_ACQUIRE);
	uint32_t ts = __atomic_load_n(&t->suid, __ATOMIC_ACQUIRE);
	if (ident.euid == tu || ident.euid == ts || ident.uid == tu ||
	    ident.uid == ts)
		return true;
	return capable(CAP_KILL);
}

/* Linux's protection of a pid namespace's init (pid_namespaces(7)):
 * the world's other processes signal its pid 1 only with a signal it
 * has a handler for; any other (SIGKILL and SIGSTOP always) is dropped,
 * and the call succeeds.  Its handlers are in its table slot
 * (proc/view.c).  A departure: what pid 1 sends itself acts as for any
 * process (Linux ignores that too), so a program run as the world's
 * first process behaves as it does natively when it signals itself
 * (`kill -TERM $$`, abort).  Signals from outside the world (picos's
 * relay of SIGTERM, a terminal) are not sent through here.  Under the
 * lock. */
static bool init_drops_with(const struct picos_task *t, int sig,
			    uint64_t blocked)
{
	uint64_t caught = __atomic_load_n(&t->view_caught, __ATOMIC_RELAXED);
	uint64_t bit = 1ULL << (sig - 1);
	if (t->vpid != 1 || sig <= 0 || t == gproc()->task)
		return false;
	if (sig == SIGKILL || sig == SIGSTOP)
		return true;
	/* Linux never ignores a blocked signal: the handler may be set
	 * by the time it is unblocked (or it is taken by sigwait). */
	return !(caught & bit) && !(blocked & bit);
}

/* For a signal to the process (its first thread's mask decides). */
static bool init_drops(const struct picos_task *t, int sig)
{
	return init_drops_with(t, sig,
			       __atomic_load_n(&t->view_blocked, __ATOMIC_RELAXED));
}

/* The process of guest pid or tid `id`, under the lock. */
static struct picos_task *task_of_id(int id)
{
	struct picos_task *t = task_by_vpid(id);
	struct picos_thread_id *th = t ? NULL : tid_by_vtid(id);
	return t ? t : th ? task_by_vpid(th->tgid) : NULL;
}

/* 0 when the caller may signal the process behind guest tid `id`;
 * -EPERM when not; -ESRCH for none (the send reports that itself);
 * SIGNAL_DROPPED when it may but the signal goes nowhere (init_drops). */
long may_signal_id(int id, int sig)
{
	task_lock();
	struct picos_task *t = task_of_id(id);
	/* the mask of the thread `id` names */
	struct picos_thread_id *th = t && t->vpid != id ? tid_by_vtid(id) : NULL;
	uint64_t blocked = th ? __atomic_load_n(&th->view_blocked, __ATOMIC_RELAXED)
			 : t ? __atomic_load_n(&t->view_blocked, __ATOMIC_RELAXED)
			     : 0;
	long r = !t ? 0 : !may_signal(t, sig) ? -EPERM
		 : init_drops_with(t, sig, blocked) ? SIGNAL_DROPPED
						    : 0;
	task_unlock();
	return r;
}

/* kill(pid > 0), tkill and tgkill: one process. */
static long kill_one(int pid, int sig, bool tkill)
{
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	int hp = t ? live_host_pid(t) : -1;
	bool may = t && may_signal(t, sig);
	bool dropped = t && init_drops(t, sig);
	task_unlock();
	if (hp >= 0 && !may)
		return -EPERM;
	if (hp >= 0 && dropped)
		return 0;
	return hp < 0 ? -ESRCH : send_host(hp, sig, tkill);
}

/* kill(0), kill(-pgid), kill(-1): every member of a group, or every
 * process but pid 1 and the caller. */
static long kill_many(int pgid, bool all, int sig)
{
	int *hp = kmalloc(sizeof(int) * PICOS_MAX_TASKS);
	int n = 0;
	bool found = false, self = false, denied = false;
	task_lock();
	for (int i = 0; i < world_slots(popts.world); i++) {
		struct picos_task *t = &popts.world->tasks[i];
		if (!t->vpid)
			continue;
		if (all ? (t->vpid == 1 || t == gproc()->task) : t->pgid != pgid)
			continue;
		found = true;
		if (!may_signal(t, sig))
			denied = true;
		else if (init_drops(t, sig))
			continue; /* counts as sent */
		else if (t == gproc()->task) /* last, so the others get it too */
			self = true;
		else
			hp[n++] = live_host_pid(t);
	}
	task_unlock();
	/* Linux: a group signal succeeds if any member got it; kill(-1)
	 * does not count refusals at all. */
	long err = denied && !all && n == 0 && !self ? -EPERM : 0;
	for (int i = 0; i < n; i++) {
		long r = send_host(hp[i], sig, false);
		if (r < 0)
			err = r;
	}
	kfree(hp);
	if (self)
		send_host(gproc()->host_pid, sig, false);
	return found ? err : -ESRCH;
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

static long kill_thread(int tgid, int tid, int sig)
{
	int htgid;
	long htid = task_thread_host(tgid, tid, &htgid);
	if (htid < 0)
		return htid;
	long p = may_signal_id(tid, sig);
	if (p < 0)
		return p;
	if (htid == 0 || sig == 0 || p == SIGNAL_DROPPED)
		return 0; /* a zombie, or the world's pid 1 */
	/* tgkill makes the host fill in SI_TKILL, as the guest expects. */
	long r = host_syscall3(__NR_tgkill, htgid, htid, sig);
	return r == -ESRCH ? 0 : r;
}

long sys_tgkill(int tgid, int tid, int sig)
{
	if (bad_sig(sig) || tgid <= 0 || tid <= 0)
		return -EINVAL;
	return kill_thread(tgid, tid, sig);
}

long sys_tkill(int tid, int sig)
{
	if (bad_sig(sig) || tid <= 0)
		return -EINVAL;
	return kill_thread(0, tid, sig);
}

/* Linux's order: the siginfo is read, then only a process sending to
 * itself may forge a non-negative code (or SI_TKILL) -- "itself" being
 * the calling thread's id -- then the target is looked up (ESRCH), and
 * only then is the signal number checked (EINVAL). */
static bool forged(const siginfo_t *info, int target)
{
	return (info->si_code >= 0 || info->si_code == SI_TKILL) &&
	       target != current()->tid;
}

long sys_rt_sigqueueinfo(int pid, int sig, const void *uinfo)
{
	siginfo_t info;
	if (copy_from_user(&info, uinfo, sizeof info) < 0)
		return -EFAULT;
	if (forged(&info, pid))
		return -EPERM;
	task_lock();
	struct picos_task *t = pid > 0 ? task_by_vpid(pid) : NULL;
	int hp = t ? live_host_pid(t) : -1;
	bool may = t && may_signal(t, sig);
	bool dropped = t && init_drops(t, sig);
	task_unlock();
	if (hp < 0)
		return -ESRCH;
	if (bad_sig(sig))
		return -EINVAL;
	if (!may)
		return -EPERM;
	if (hp == 0 || sig == 0 || dropped)
		return 0; /* a zombie, only the permission check, or pid 1 */
	signal_mark_forged(sig, &info);
	return host_syscall3(__NR_rt_sigqueueinfo, hp, sig, &info);
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const void *uinfo)
{
	siginfo_t info;
	if (copy_from_user(&info, uinfo, sizeof info) < 0)
		return -EFAULT;
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (forged(&info, tid))
		return -EPERM;
	int htgid;
	long htid = task_thread_host(tgid, tid, &htgid);
	if (htid < 0)
		return htid;
	if (bad_sig(sig))
		return -EINVAL;
	long p = may_signal_id(tid, sig);
	if (p < 0)
		return p;
	if (htid == 0 || sig == 0 || p == SIGNAL_DROPPED)
		return 0;
	signal_mark_forged(sig, &info);
	long r = host_syscall4(__NR_rt_tgsigqueueinfo, htgid, htid, sig, &info);
	return r == -ESRCH ? 0 : r;
}
