/* wait4 and waitid: the guest parent reads its children's state from the
 * world's table, where the launcher writes every exit, stop and continue
 * it sees (or an exiting child its own end: exit_self.c), and sleeps on
 * its own child_seq futex word until the next one. */
#include "proc.h"
#include "../entry/entry.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/siginfo.h>
#include <linux/futex.h>
#include <linux/wait.h>
#include <picos/world.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define WAIT_ANY_FLAGS (__WNOTHREAD | __WCLONE | __WALL)

struct wait_sel {
	int type; /* P_ALL, P_PID, P_PGID */
	int id;
	int options;
};

struct wait_result {
	int pid, wstatus;
	int code, status; /* siginfo si_code and si_status (waitid) */
	uint32_t uid;
	uint64_t utime_us, stime_us, maxrss_kb;
	int owed_sig; /* a doorbell the child may not have rung yet */
	int host_live; /* the host pid of a zombie whose host process may live */
};

static bool selected(const struct picos_task *c, const struct wait_sel *s)
{
	if (!c->vpid || c->ppid != gproc()->pid || c == gproc()->task)
		return false;
	/* A "clone" child (exit signal other than SIGCHLD) is waited for
	 * with __WCLONE only, the others without; __WALL takes both. */
	bool clone_child = c->exit_signal != SIGCHLD;
	if (!(s->options & __WALL) && clone_child != !!(s->options & __WCLONE))
		return false;
	switch (s->type) {
	case P_PID: return c->vpid == s->id;
	case P_PGID: return c->pgid == s->id;
	default: return true;
	}
}

static void fill(struct wait_result *r, const struct picos_task *c, int ws)
{
	r->pid = c->vpid;
	r->wstatus = ws;
	r->uid = c->uid;
	if ((ws & 0xff) == 0x7f) {
		r->code = CLD_STOPPED;
		r->status = (ws >> 8) & 0xff;
	} else if (ws == 0xffff) {
		r->code = CLD_CONTINUED;
		r->status = SIGCONT;
	} else if ((ws & 0x7f) == 0) {
		r->code = CLD_EXITED;
		r->status = (ws >> 8) & 0xff;
	} else {
		r->code = (ws & 0x80) ? CLD_DUMPED : CLD_KILLED;
		r->status = ws & 0x7f;
	}
}

/* A child that recorded its own end (exit_self.c) rings its parent's
 * doorbell after the table's lock, so a wait may find the zombie first;
 * Linux's parent has the signal pending when its wait returns the
 * child.  The parent then rings itself (the note of the end is in its
 * entry already): whichever doorbell comes second finds the change told
 * and is dropped.  The child's exit signal, or 0.  Under the lock. */
static int owed_doorbell(const struct picos_task *c)
{
	int sig = c->exit_signal;
	if (!c->exit_waking || !(c->events & TEV_SIGCHLD) || sig <= 0 || sig >= 65)
		return 0;
	return sig;
}

static void ring_self(int sig)
{
	siginfo_t si;
	rt_memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_PICOS_CHLD;
	si.si_pid = gproc()->host_pid;
	host_syscall3(__NR_rt_sigqueueinfo, gproc()->host_pid, sig, &si);
}

/* One look at the children, under the lock: 1 with *r filled, 0 when
 * children exist but none is ready, -ECHILD when there is none. */
static int collect(const struct wait_sel *s, struct wait_result *r,
		   uint32_t *seq)
{
	struct picos_task *me = gproc()->task;
	bool any = false, keep = s->options & WNOWAIT;
	*seq = __atomic_load_n(&me->child_seq, __ATOMIC_ACQUIRE);
	for (int i = 0; i < world_slots(popts.world); i++) {
		struct picos_task *c = &popts.world->tasks[i];
		if (!selected(c, s))
			continue;
		any = true;
		if (c->state == TASK_ZOMBIE && (s->options & WEXITED)) {
			fill(r, c, c->wstatus);
			r->owed_sig = owed_doorbell(c);
			r->host_live = c->exit_host_live ? c->host_pid : 0;
			r->utime_us = c->utime_us;
			r->stime_us = c->stime_us;
			r->maxrss_kb = c->maxrss_kb;
			if (!keep) {
				me->cutime_us += c->utime_us + c->cutime_us;
				me->cstime_us += c->stime_us + c->cstime_us;
				task_free(c);
			}
			return 1;
		}
		if (c->state != TASK_LIVE)
			continue;
		if ((c->events & TEV_STOPPED) && (s->options & WSTOPPED)) {
			fill(r, c, c->wstatus);
			if (!keep)
				c->events &= ~TEV_STOPPED;
			return 1;
		}
		if ((c->events & TEV_CONTINUED) && (s->options & WCONTINUED)) {
			fill(r, c, 0xffff);
			if (!keep)
				c->events &= ~TEV_CONTINUED;
			return 1;
		}
	}
	return any ? 0 : -ECHILD;
}

static long wait_common(const struct wait_sel *s, struct wait_result *r)
{
	for (;;) {
		uint32_t seq;
		task_lock();
		int n = collect(s, r, &seq);
		task_unlock();
		if (n > 0 && r->owed_sig)
			ring_self(r->owed_sig);
		/* Linux's pidfd of a zombie is readable: a child that recorded
		 * its own end may still be leaving its host process, whose
		 * host pidfd the guest's stands on (exit_self.c). */
		if (n > 0 && r->host_live > 0 && pidfds_held())
			pidfd_host_wait_gone(r->host_live);
		if (n != 0)
			return n < 0 ? n : r->pid;
		if (s->options & WNOHANG)
			return 0;
		long e = intr_call4(__NR_futex, &gproc()->task->child_seq,
				    FUTEX_WAIT, seq, 0);
		if (e == -EINTR && signal_interrupts())
			return -ERESTARTSYS;
	}
}

/* A wait on a pidfd: a non-blocking pidfd makes it WNOHANG, and a wait
 * that would block fails with EAGAIN (Linux's kernel_waitid).  When the
 * pidfd already shows the process ended (its host process is gone) the
 * launcher may not have written the exit to the table yet: a WNOHANG
 * wait gives it a moment, so poll-then-wait finds the exit as on Linux. */
static long pidfd_wait(struct wait_sel *s, struct wait_result *r, int fd,
		       bool nonblock)
{
	if (fd < 0)
		return wait_common(s, r);
	bool nohang = s->options & WNOHANG;
	if (nonblock)
		s->options |= WNOHANG;
	long ret = wait_common(s, r);
	for (int i = 0; ret == 0 && i < 100 && pidfd_host_ended(fd); i++) {
		struct { long s, ns; } ts = { 0, 10 * 1000 * 1000 };
		host_call_unlocked(__NR_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
		ret = wait_common(s, r);
	}
	if (ret == 0 && nonblock && !nohang)
		return -EAGAIN;
	return ret;
}

struct k_rusage {
	long utime_s, utime_us, stime_s, stime_us;
	long maxrss, rest[13];
};

static long put_rusage(void *uru, const struct wait_result *r)
{
	struct k_rusage ru;
	rt_memset(&ru, 0, sizeof ru);
	ru.utime_s = (long)(r->utime_us / 1000000);
	ru.utime_us = (long)(r->utime_us % 1000000);
	ru.stime_s = (long)(r->stime_us / 1000000);
	ru.stime_us = (long)(r->stime_us % 1000000);
	ru.maxrss = (long)r->maxrss_kb;
	return copy_to_user(uru, &ru, sizeof ru);
}

long sys_wait4(int pid, int *ustatus, int options, void *uru)
{
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WAIT_ANY_FLAGS))
		return -EINVAL;
	struct wait_sel s = { P_ALL, 0, options | WEXITED };
	if (pid == (int)0x80000000)
		return -ESRCH;
	int st;
	long pr;
	if (pid > 0 && ptrace_wait(pid, options, &st, &pr)) {
		if (pr > 0 && ustatus && copy_to_user(ustatus, &st, sizeof st) < 0)
			return -EFAULT;
		return pr;
	}
	if (pid > 0)
		s.type = P_PID, s.id = pid;
	else if (pid == 0)
		s.type = P_PGID, s.id = task_pgid();
	else if (pid < -1)
		s.type = P_PGID, s.id = -pid;
	struct wait_result r = { 0 };
	long ret = wait_common(&s, &r);
	if (ret > 0) {
		if (ustatus && copy_to_user(ustatus, &r.wstatus, sizeof(int)) < 0)
			return -EFAULT;
		if (uru && put_rusage(uru, &r) < 0)
			return -EFAULT;
	}
	return ret;
}

/* waitid's selection from its arguments: 0 or the error. */
static long waitid_select(int type, int id, int options, struct wait_sel *s,
			  bool *pidfd_nonblock)
{
	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED |
			WAIT_ANY_FLAGS))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	*s = (struct wait_sel){ type, id, options };
	switch (type) {
	case P_ALL: return 0;
	case P_PID: return id <= 0 ? -EINVAL : 0;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		if (id == 0)
			s->id = task_pgid();
		return 0;
	case P_PIDFD: {
		if (id < 0)
			return -EINVAL;
		long e = pidfd_of(id, &s->id, pidfd_nonblock);
		s->type = P_PID;
		return e < 0 ? e : 0;
	}
	default:
		return -EINVAL;
	}
}

long sys_waitid(int type, int id, void *uinfo, int options, void *uru)
{
	struct wait_sel s;
	bool pidfd_nonblock = false;
	struct wait_result r = { 0 };
	long ret = waitid_select(type, id, options, &s, &pidfd_nonblock);
	if (ret == 0)
		ret = pidfd_wait(&s, &r, type == P_PIDFD ? id : -1,
				 pidfd_nonblock);
	if (ret == -ERESTARTSYS)
		return ret;
	/* Linux writes the siginfo even when the wait failed, argument
	 * checks included: a bad pointer turns any error into EFAULT. */
	if (uinfo) {
		siginfo_t si;
		rt_memset(&si, 0, sizeof si);
		if (ret > 0) {
			si.si_signo = SIGCHLD;
			si.si_code = r.code;
			si.si_pid = r.pid;
			si.si_uid = r.uid;
			si.si_status = r.status;
		}
		if (copy_to_user(uinfo, &si, sizeof si) < 0)
			return -EFAULT;
	}
	if (uru && ret > 0 && put_rusage(uru, &r) < 0)
		return -EFAULT;
	return ret < 0 ? ret : 0;
}
