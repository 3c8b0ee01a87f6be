/* Priorities: setpriority, getpriority, ioprio_set, ioprio_get.
 *
 * The targets are the guest's: a pid or tid (PRIO_PROCESS), every thread
 * of a process group (PRIO_PGRP) or of a guest user's processes
 * (PRIO_USER), found in the world table.  The host lets a pico process
 * name only its calling thread (seccomp), so each other thread is asked
 * to act on itself (proc/remote.h).
 * Every process of a world is the same host user, so the host would let
 * any of them change any other: the provider makes Linux's permission
 * checks with the guest identities (the target's guest uid against the
 * caller's; guest root has CAP_SYS_NICE).  Raising a priority (lowering
 * nice below the current value, or the real-time I/O class) is the
 * host's to allow for guest root: an unprivileged host user gets EACCES
 * (nice below RLIMIT_NICE) or EPERM (RT class), as in an unprivileged
 * container.  The world table knows a process's real uid, not its
 * effective one: for other processes the uid stands for both. */
#include "../kernel.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include "../proc/remote.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <picos/world.h>

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#define RLIMIT_NICE 13

#define IOPRIO_WHO_PROCESS 1 /* then _PGRP, _USER */
#define IOPRIO_CLASS_NONE 0
#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3

/* One guest thread a call acts on. */
struct prio_target {
	int tid;      /* guest tid (0: the calling thread) */
	uint32_t uid; /* guest real uid of its process */
};

#define W (popts.world)

static bool guest_privileged(void)
{
	return ident.euid == 0;
}

static uint32_t uid_of_process(int vpid)
{
	if (vpid == gproc()->pid)
		return ident.uid;
	struct picos_task *t = task_by_vpid(vpid);
	return t ? t->uid : (uint32_t)-1;
}

/* Adds every live thread of process `t`. */
static int add_threads(const struct picos_task *t, struct prio_target *out, int n)
{
	uint32_t uid = uid_of_process(t->vpid);
	if (t->host_pid > 0)
		out[n++] = (struct prio_target){ t->vpid, uid };
	for (int i = 0; i < world_tid_slots(W); i++) {
		const struct picos_thread_id *th = &W->tids[i];
		if (th->vtid && th->tgid == t->vpid && th->host_tid > 0)
			out[n++] = (struct prio_target){ th->vtid, uid };
	}
	return n;
}

/* The targets of (grp, who) in Linux's sense, `grp` a PRIO_* form
 * (PRIO_PROCESS, PRIO_PGRP, PRIO_USER). */
static int collect(int grp, int who, struct prio_target *out)
{
	int n = 0;
	if (grp == PRIO_PROCESS && (who == 0 || who == current()->tid)) {
		out[0] = (struct prio_target){ 0, ident.uid };
		return 1;
	}
	task_lock();
	if (grp == PRIO_PROCESS) {
		struct picos_task *t = task_by_vpid(who);
		struct picos_thread_id *th = t ? NULL : tid_by_vtid(who);
		if (t && t->state == TASK_LIVE && t->host_pid > 0)
			out[n++] = (struct prio_target){ t->vpid,
							 uid_of_process(t->vpid) };
		else if (th && th->host_tid > 0)
			out[n++] = (struct prio_target){ th->vtid,
							 uid_of_process(th->tgid) };
	} else {
		int pgid = grp == PRIO_PGRP ? (who ? who : gproc()->task->pgid) : 0;
		uint32_t uid = who ? (uint32_t)who : ident.uid;
		for (int i = 0; i < world_slots(W); i++) {
			struct picos_task *t = &W->tasks[i];
			if (!t->vpid || t->state != TASK_LIVE)
				continue;
			if (grp == PRIO_PGRP ? t->pgid == pgid
					     : uid_of_process(t->vpid) == uid)
				n = add_threads(t, out, n);
		}
	}
	task_unlock();
	return n;
}

/* The targets of (which, who) in a new array the caller frees: how many,
 * or -EINVAL for a form that is none of the three, or -ENOMEM.  `first`
 * is the process form's number (PRIO_PROCESS, IOPRIO_WHO_PROCESS): the
 * group and user forms follow it in both. */
static int targets_of(int which, int first, int who, struct prio_target **out)
{
	if (which < first || which > first + PRIO_USER)
		return -EINVAL;
	*out = kmalloc((PICOS_MAX_TASKS + PICOS_MAX_THREADS) *
		       sizeof(struct prio_target));
	return *out ? collect(which - first, who, *out) : -ENOMEM;
}

/* Runs `op` on target `t`: the host call on the caller itself, or a
 * request to the target thread (proc/remote.h), since the host lets a
 * pico process name only itself. */
static long prio_op(const struct prio_target *t, unsigned op, long arg)
{
	if (!t->tid) {
		long a[4] = { arg, 0, 0, 0 };
		return remote_run_self(op, a, NULL);
	}
	return remote_call(t->tid, op, arg, 0, NULL, 0, NULL, 0);
}

/* Linux's set_one_prio_perm and set_task_ioprio's check. */
static bool may_change(const struct prio_target *t)
{
	return guest_privileged() || t->uid == ident.euid || t->uid == ident.uid;
}

static long set_one_prio(const struct prio_target *t, int nice, long error)
{
	if (!may_change(t))
		return -EPERM;
	long cur = prio_op(t, RQ_GETPRIORITY, 0);
	if (cur == -ERESTARTNOINTR)
		return cur;
	if (cur < 0)
		return error; /* gone meanwhile */
	/* Lowering nice: the guest's RLIMIT_NICE (20 - nice) for users;
	 * guest root asks the host, which may refuse with EACCES. */
	if (nice < 20 - cur && !guest_privileged() &&
	    (uint64_t)(20 - nice) > proc.rlimits[RLIMIT_NICE].cur)
		return -EACCES;
	long r = prio_op(t, RQ_SETPRIORITY, nice);
	if (r < 0)
		return r;
	return error == -ESRCH ? 0 : error;
}

long sys_setpriority(int which, int who, int nice)
{
	struct prio_target *t;
	int n = targets_of(which, PRIO_PROCESS, who, &t);
	if (n < 0)
		return n;
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	long error = -ESRCH;
	for (int i = 0; i < n && error != -ERESTARTNOINTR; i++)
		error = set_one_prio(&t[i], nice, error);
	kfree(t);
	return error;
}

/* Linux returns 20 - nice (1..40) so that no success looks like an
 * error; over a group, the highest priority (lowest nice). */
long sys_getpriority(int which, int who)
{
	struct prio_target *t;
	int n = targets_of(which, PRIO_PROCESS, who, &t);
	if (n < 0)
		return n;
	long best = -ESRCH;
	for (int i = 0; i < n; i++) {
		long v = prio_op(&t[i], RQ_GETPRIORITY, 0);
		if (v == -ERESTARTNOINTR) {
			best = v;
			break;
		}
		if (v > best)
			best = v;
	}
	kfree(t);
	return best;
}

/* ioprio_check_cap: the class and level before any target is looked at;
 * the real-time class needs CAP_SYS_NICE (guest root; the host may still
 * refuse it). */
static long ioprio_check(int ioprio)
{
	int cls = (ioprio >> 13) & 7, level = ioprio & 7;
	switch (cls) {
	case IOPRIO_CLASS_RT:
		if (!guest_privileged())
			return -EPERM;
		return 0;
	case IOPRIO_CLASS_BE:
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return level ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

long sys_ioprio_set(int which, int who, int ioprio)
{
	long r = ioprio_check(ioprio);
	if (r < 0)
		return r;
	struct prio_target *t;
	int n = targets_of(which, IOPRIO_WHO_PROCESS, who, &t);
	if (n < 0)
		return n;
	r = -ESRCH;
	/* Linux stops at the first thread it may not change; a thread that
	 * ended meanwhile is skipped. */
	for (int i = 0; i < n; i++) {
		long x = may_change(&t[i]) ? prio_op(&t[i], RQ_IOPRIO_SET, ioprio)
					   : -EPERM;
		if (x == -ESRCH)
			continue;
		r = x;
		if (r < 0)
			break;
	}
	kfree(t);
	return r;
}

/* Linux's ioprio_best: a class that is set wins over "none" (which
 * counts as best effort), the lower class number wins, then the lower
 * level. */
static int ioprio_best(int a, int b)
{
	int ac = (a >> 13) & 7, bc = (b >> 13) & 7;
	if (ac == IOPRIO_CLASS_NONE)
		ac = IOPRIO_CLASS_BE;
	if (bc == IOPRIO_CLASS_NONE)
		bc = IOPRIO_CLASS_BE;
	if (ac == bc)
		return a < b ? a : b;
	return ac > bc ? b : a;
}

long sys_ioprio_get(int which, int who)
{
	struct prio_target *t;
	int n = targets_of(which, IOPRIO_WHO_PROCESS, who, &t);
	if (n < 0)
		return n;
	long r = -ESRCH;
	for (int i = 0; i < n; i++) {
		long v = prio_op(&t[i], RQ_IOPRIO_GET, 0);
		if (v == -ERESTARTNOINTR) {
			r = v;
			break;
		}
		if (v < 0)
			continue;
		r = (r == -ESRCH || which == IOPRIO_WHO_PROCESS) ? v
							     : ioprio_best((int)r, (int)v);
	}
	kfree(t);
	return r;
}
