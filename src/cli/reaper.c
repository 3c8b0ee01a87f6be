/* The launcher's side of the world's process table.
 *
 * Every pico process is a host child of the launcher: the first one by an
 * ordinary fork, the rest because the provider forks with CLONE_PARENT.
 * So the launcher's wait4 sees every host exit, stop and continue of the
 * world.  It turns each into the guest's view in the table (zombie with its
 * status, reparenting of orphans to the nearest subreaper or pid 1,
 * PR_SET_PDEATHSIG) and notifies the guest parent: a bump of its child_seq
 * futex for waits, and a host SIGCHLD that its provider turns into the
 * guest's SIGCHLD (a doorbell: the details are read from the table).
 * When pid 1 ends, the rest of the world is killed, as in a pid namespace. */
#include "picos.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORLD_FUTEX(a, op, v, ts) syscall(SYS_futex, (a), (op), (v), (ts), 0, 0)
#define PICOS_WORLD_LOCK_IMPL
#include <picos/world.h>

void reaper_init(struct picos_world *w, int max_procs)
{
	w->launcher_pid = getpid();
	w->max_procs = max_procs > 0 ? (uint32_t)max_procs : PICOS_DEFAULT_MAX_PROCS;
	struct picos_task *t = &w->tasks[0];
	t->vpid = 1;
	t->pgid = t->sid = 1;
	t->state = TASK_LIVE;
	t->exit_signal = SIGCHLD;
	w->nprocs = 1;
	w->slots_hi = 1;
	w->last_pid = 1;
}

static struct picos_task *by_host(struct picos_world *w, int hpid)
{
	for (int i = 0; i < world_slots(w); i++)
		if (w->tasks[i].vpid && w->tasks[i].host_pid == hpid)
			return &w->tasks[i];
	return NULL;
}

static struct picos_task *by_vpid(struct picos_world *w, int vpid)
{
	for (int i = 0; i < world_slots(w); i++)
		if (w->tasks[i].vpid == vpid)
			return &w->tasks[i];
	return NULL;
}

static void free_task(struct picos_world *w, struct picos_task *t)
{
	memset(t, 0, sizeof *t);
	w->nprocs--;
}

static void ring(struct picos_task *parent, const struct picos_task *child)
{
	/* Stops and continues are always SIGCHLD; an exit is the child's
	 * exit signal, none at all for 0. */
	bool ended = child->state == TASK_ZOMBIE;
	int sig = ended ? child->exit_signal : SIGCHLD;
	if (sig <= 0)
		return;
	parent->chld_note = world_chld_note(child, sig);
	kill(parent->host_pid, sig);
}

/* Tells the guest parent that `child` changed state: the doorbell
 * (a host SIGCHLD) carries the note of what changed.  It rings before the
 * waits wake, so a wait that returns the child finds the SIGCHLD already
 * pending, as on Linux. */
static void notify(struct picos_task *parent, const struct picos_task *child,
		   bool doorbell)
{
	if (doorbell && parent->state == TASK_LIVE && parent->host_pid > 0)
		ring(parent, child);
	world_child_event(parent);
}

/* Who adopts the children of `dead`: the nearest live ancestor that is a
 * child subreaper, else pid 1. */
static struct picos_task *reaper_for(struct picos_world *w,
				     struct picos_task *dead)
{
	struct picos_task *a = by_vpid(w, dead->ppid);
	for (int depth = 0; a && depth < PICOS_MAX_TASKS; depth++) {
		if (a->state == TASK_LIVE && (a->flags & TF_SUBREAPER))
			return a;
		a = a->ppid ? by_vpid(w, a->ppid) : NULL;
	}
	return by_vpid(w, 1);
}

/* A zombie is ready for its parent: auto-reaped when the parent ignores
 * SIGCHLD (or set SA_NOCLDWAIT), else kept for wait. */
static void hand_zombie(struct picos_world *w, struct picos_task *z,
			struct picos_task *parent)
{
	if ((parent->flags & TF_NOCLDWAIT) && z->exit_signal == SIGCHLD) {
		notify(parent, z, true);
		free_task(w, z);
		return;
	}
	z->events |= TEV_SIGCHLD;
	notify(parent, z, true);
}

static void orphan_children(struct picos_world *w, struct picos_task *dead)
{
	struct picos_task *adopter = NULL;
	for (int i = 0; i < world_slots(w); i++) {
		struct picos_task *c = &w->tasks[i];
		if (!c->vpid || c->ppid != dead->vpid || c == dead)
			continue;
		if (c->state == TASK_LIVE && c->pdeathsig && c->host_pid > 0)
			kill(c->host_pid, c->pdeathsig);
		if (!adopter)
			adopter = reaper_for(w, dead);
		if (!adopter || adopter == dead) {
			c->ppid = 0;
			continue;
		}
		c->ppid = adopter->vpid;
		c->exit_signal = SIGCHLD; /* as Linux's reparent does */
		if (c->state == TASK_ZOMBIE)
			hand_zombie(w, c, adopter);
	}
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* The thread ids of a process that ended (its threads went with it). */
static void free_tids(struct picos_world *w, int host_pid)
{
	for (int i = 0; i < world_tid_slots(w); i++)
		if (w->tids[i].vtid && w->tids[i].host_pid == host_pid)
			memset(&w->tids[i], 0, sizeof w->tids[i]);
}

static void on_exit(struct picos_world *w, struct picos_task *t, int ws,
		    const struct rusage *ru)
{
	free_tids(w, t->host_pid);
	t->state = TASK_ZOMBIE;
	t->wstatus = ws;
	if (t->vfork_wait) { /* a vfork child that died: its parent goes on */
		__atomic_store_n(&t->vfork_wait, 0, __ATOMIC_RELEASE);
		WORLD_FUTEX(&t->vfork_wait, FUTEX_WAKE, 1, 0);
	}
	t->events = 0;
	t->utime_us = tv_us(ru->ru_utime);
	t->stime_us = tv_us(ru->ru_stime);
	t->maxrss_kb = (uint64_t)ru->ru_maxrss;
	if (t->vpid == 1) {
		w->ending = 1;
		return;
	}
	orphan_children(w, t);
	struct picos_task *p = t->ppid ? by_vpid(w, t->ppid) : NULL;
	if (p && p->state == TASK_LIVE)
		hand_zombie(w, t, p);
	else
		free_task(w, t);
}

static void on_stop_or_continue(struct picos_world *w, struct picos_task *t,
				int ws)
{
	if (WIFSTOPPED(ws)) {
		int sig = t->stop_sig ? t->stop_sig : WSTOPSIG(ws);
		t->stop_sig = 0;
		t->wstatus = (sig << 8) | 0x7f;
		t->events = (t->events & ~TEV_CONTINUED) | TEV_STOPPED | TEV_SIGCHLD;
	} else {
		t->wstatus = 0xffff;
		t->events = (t->events & ~TEV_STOPPED) | TEV_CONTINUED | TEV_SIGCHLD;
	}
	struct picos_task *p = t->ppid ? by_vpid(w, t->ppid) : NULL;
	if (p && p->state == TASK_LIVE)
		notify(p, t, !(p->flags & TF_NOCLDSTOP));
}

static void kill_world(struct picos_world *w)
{
	for (int i = 0; i < world_slots(w); i++) {
		struct picos_task *t = &w->tasks[i];
		if (t->vpid && t->state == TASK_LIVE && t->host_pid > 0)
			kill(t->host_pid, SIGKILL);
	}
}

int reaper_run(struct picos_world *w, int first)
{
	int first_status = 0;
	bool ended = false;
	for (;;) {
		int ws;
		struct rusage ru;
		pid_t pid = wait4(-1, &ws, __WALL | WUNTRACED | WCONTINUED, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: the world is empty */
		}
		bool gone = WIFEXITED(ws) || WIFSIGNALED(ws);
		if (gone)
			world_unlock_dead(w, pid);
		world_lock(w, getpid());
		struct picos_task *t = by_host(w, pid);
		/* Pid 1 is the table's: its host process changes when a
		 * multi-threaded pid 1 execs (sys_thread.c).  Before it joined
		 * the table it is the first host child. */
		struct picos_task *p1 = by_vpid(w, 1);
		bool is_pid1 = t ? t->vpid == 1
				 : pid == first && (!p1 || p1->host_pid <= 0 ||
						    p1->host_pid == first);
		if (is_pid1 && gone && !ended) {
			first_status = ws;
			ended = true;
		}
		if (t && gone)
			on_exit(w, t, ws, &ru);
		else if (t)
			on_stop_or_continue(w, t, ws);
		if (ended)
			kill_world(w);
		world_unlock(w);
	}
	return first_status;
}
