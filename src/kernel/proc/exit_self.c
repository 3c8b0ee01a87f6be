/* An exiting process records its own end in the world's table.
 *
 * The init's wait4 sees every host exit and can record it (src/cli/
 * reaper.c), but then the parent's wait wakes only after the init ran:
 * two wake-ups on the way, where Linux's exit wakes the parent itself.
 * So a process that ends by exit or exit_group, when nothing but its
 * parent has to learn of it, makes itself the zombie, rings its parent's
 * doorbell and wakes its waits, and the init only reaps the host process.
 * Everything else goes through the init as before: deaths by a signal
 * (the host ends the process, which records nothing), several threads
 * (Linux reports the end once the last one is gone), a memory shared
 * with other processes (vfork, CLONE_VM), pid 1, a session leader (the
 * host hangs up its terminal's group when it ends), System V state the
 * host undoes at the end, and any end that owes more than the parent's
 * signal: children to reparent, an orphaned group to hang up.
 *
 * What Linux has done when a parent's wait returns the pid, this does
 * before the record: the files are closed (a pipe's reader sees its end,
 * locks are released); the rest of the end (its memory, which no other
 * process shares, the host's accounting) is the host's, after.
 *
 * Who records: the process itself, under the table's lock, the state
 * going to TASK_ZOMBIE last; the init, for a host process whose entry is
 * still live when it ends (nothing recorded, or killed before the record
 * was whole: the lock is released on its behalf and the init records the
 * end as it always did).  A zombie the init finds when it reaps was
 * recorded by the process: the init then only rings and wakes what the
 * process may not have lived to (exit_waking).  Neither records twice.
 *
 * The pid may be handed out again as soon as the parent's wait freed the
 * slot, while the host process is still leaving: after the record it
 * only leaves the lock, rings a host pid and wakes a word it read under
 * the lock (spurious at worst), and takes back its exit_waking mark with
 * an exchange that compares its own host pid, which no other process can
 * have until the init reaped this one; so a new process in the slot or
 * with the pid meets nothing of it.  One thing Linux has done that this
 * has not: a guest pidfd stands on the host pidfd, readable once the host
 * process is gone, a moment after the record; a wait that returns such a
 * zombie to a process holding pidfds waits for that first (sys_wait.c).
 * docs/architecture.md, Processes, says the rest.
 */
#include "proc.h"
#include "../entry/entry.h"
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <linux/futex.h>
#include <picos/world.h>

#define W (popts.world)

/* What a host getrusage(RUSAGE_SELF) writes: the times, then maxrss. */
struct self_usage {
	long utime_s, utime_us, stime_s, stime_us;
	long maxrss, rest[13];
};

/* The conditions this process's own state decides. */
static bool may_record_self(void)
{
	struct gproc *gp = gproc();
	return gp->nthreads <= 1 &&
	       __atomic_load_n(&proc.vm_users, __ATOMIC_ACQUIRE) <= 1 &&
	       !proc.vfork_child && !proc.sysv_at_exit && gp->pid != 1 &&
	       task_sid() != gp->pid;
}

/* Has `me` any children, ended or not?  (Under the lock.) */
static bool has_children(const struct picos_task *me)
{
	for (int i = 0; i < world_slots(W); i++) {
		const struct picos_task *c = &W->tasks[i];
		if (c->vpid && c->ppid == me->vpid && c != me)
			return true;
	}
	return false;
}

/* The parent's doorbell: its exit signal with a code that names it one
 * (signal_translate), since the sender is not the init.  The host
 * checks the permission as for kill. */
static long ring_parent(int parent_host, int sig)
{
	siginfo_t si;
	rt_memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_PICOS_CHLD;
	si.si_pid = gproc()->host_pid;
	return host_syscall3(__NR_rt_sigqueueinfo, parent_host, sig, &si);
}

static uint64_t usage_us(long s, long us)
{
	return (uint64_t)s * 1000000u + (uint64_t)us;
}

/* What the record leaves to do after the lock: the parent's doorbell
 * (0: none) and the wake of its waits. */
struct after_record {
	int parent_host, sig;
	uint32_t *child_seq;
};

/* The record, as the init's on_exit and hand_zombie make it, under the
 * lock.  False, with nothing changed, when the end is the init's. */
static bool record(struct picos_task *me, int code,
		   const struct self_usage *ru, struct after_record *after)
{
	struct picos_task *p = task_by_vpid(me->ppid);
	if (W->ending || me->state != TASK_LIVE || !p || p == me ||
	    p->state != TASK_LIVE || p->host_pid <= 0 || has_children(me))
		return false;
	/* From here the process counts as ended, for the judgment of its
	 * group (the init judges it with the process a zombie too). */
	me->state = TASK_ZOMBIE;
	int sig = me->exit_signal;
	bool rings = sig > 0 && sig < 65;
	bool autoreap = (p->flags & TF_NOCLDWAIT) && sig == SIGCHLD;
	/* An auto-reaped child's slot goes now, with nothing left for the
	 * init to finish: its doorbell rings under the lock, where a
	 * refusal can still leave the end to the init. */
	if (world_hangup_due(W, me, p) ||
	    (autoreap && ring_parent(p->host_pid, sig) < 0)) {
		me->state = TASK_LIVE;
		return false;
	}
	me->wstatus = (code & 0xff) << 8;
	me->events = TEV_SIGCHLD;
	me->utime_us = usage_us(ru->utime_s, ru->utime_us);
	me->stime_us = usage_us(ru->stime_s, ru->stime_us);
	me->maxrss_kb = (uint64_t)ru->maxrss;
	if (rings)
		p->chld_note = world_chld_note(me, sig);
	__atomic_fetch_add(&p->child_seq, 1, __ATOMIC_RELEASE);
	if (autoreap) {
		host_syscall3(__NR_futex, &p->child_seq, FUTEX_WAKE, 0x7fffffff);
		task_free(me);
		return true;
	}
	/* The doorbell and the wake wait for the lock's release: rung
	 * under it, the parent would wake only to wait for the lock. */
	me->exit_waking = gproc()->host_pid;
	me->exit_host_live = 1;
	*after = (struct after_record){ p->host_pid, rings ? sig : 0,
					&p->child_seq };
	return true;
}

void exit_record_self(int code)
{
	if (!may_record_self())
		return;
	/* Linux closes the files before the parent can learn of the end.
	 * All the host fds go at once (the provider needs none of its own
	 * any more), without a write to the fd table, whose pages the
	 * process still shares copy-on-write with its parent. */
	host_syscall3(__NR_close_range, 0, ~0u, 0);
	struct self_usage ru;
	if (host_syscall2(__NR_getrusage, 0 /* RUSAGE_SELF */, &ru) < 0)
		return;
	struct picos_task *me = gproc()->task;
	int self = gproc()->host_pid;
	struct after_record after = { 0, 0, NULL };
	/* The lock is held for microseconds; one that stays taken (an owner
	 * the world corrupted) must not keep the host process from ending,
	 * which is how the init learns of it. */
	if (!task_lock_patient(5))
		return;
	bool recorded = record(me, code, &ru, &after);
	task_unlock();
	if (!recorded || !after.child_seq)
		return; /* the init's, or auto-reaped: all done */
	/* The slots may be other processes' by now (the parent's wait freed
	 * this one): a spurious doorbell or wake is harmless, and the mark
	 * is taken back only while it still names this host process.  A
	 * doorbell the host refused (a parent of another user, in a world
	 * started by root) leaves the mark: the parent's wait or the init
	 * rings it instead (sys_wait.c, reaper.c). */
	long rung = after.sig ? ring_parent(after.parent_host, after.sig) : 0;
	host_syscall3(__NR_futex, after.child_seq, FUTEX_WAKE, 0x7fffffff);
	int mine = self;
	if (rung >= 0)
		__atomic_compare_exchange_n(&me->exit_waking, &mine, 0, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}
