/* The world's init: its side of the world's process table.
 *
 * Every pico process is a host child of the world's init: the first one by
 * an ordinary fork, the rest because the provider forks with CLONE_PARENT.
 * So the init's wait4 sees every host exit, stop and continue of the
 * world.  It turns each into the guest's view in the table (zombie with its
 * status, reparenting of orphans to the nearest subreaper or pid 1,
 * PR_SET_PDEATHSIG) and notifies the guest parent: a bump of its child_seq
 * futex for waits, and a host SIGCHLD that its provider turns into the
 * guest's SIGCHLD (a doorbell: the details are read from the table).
 * A process that ends by exit with nothing but its parent to tell has
 * recorded its own end and rung its parent before its host process ends
 * (src/kernel/proc/exit_self.c): the init finds a zombie then, reaps the
 * host process and makes only the wake-up the process may have missed.
 * When pid 1 ends, the rest of the world is killed, as in a pid namespace.
 *
 * The table lives in the world region, which every pico process can write
 * at will, so it is hostile input here (docs/security/20-launcher.md):
 * - every count and index is read once, with an atomic load, and clamped
 *   to the table's capacity before use; every field the init acts on is
 *   read once into a local (the guest may change it meanwhile);
 * - the init signals only its own unreaped children (own_child): a pid
 *   from the table that is anything else is ignored, so a forged entry
 *   cannot aim a signal at a host process outside the world;
 * - it never waits for the lock unboundedly (init_lock): a lock that a
 *   non-child holds, or a child holds too long, means the world is
 *   corrupted: the init kills its children, stops writing the table and
 *   leaves after a short grace; whatever is left (a process the table
 *   hides) the picos command ends as its subreaper.
 * - after pid 1's end it reaps for a bounded time only (END_GRACE_S),
 *   unless --wait-all: then it reaps until its last child is gone, and a
 *   relayed SIGTERM or SIGHUP, with no pid 1 to take it, ends the init
 *   (and so the world). */
#include "picos.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORLD_FUTEX(a, op, v, ts) syscall(SYS_futex, (a), (op), (v), (ts), 0, 0)
#define PICOS_WORLD_LOCK_IMPL
#include <picos/world.h>

/* How long a live pico process may hold the table's lock before the init
 * takes the world for corrupted: providers hold it for microseconds. */
#define LOCK_PATIENCE_MS 2000
/* After pid 1 ended or the world was found corrupted: how long the init
 * goes on reaping before it leaves the rest to the picos command (which
 * kills whatever is left, table or no table, as their subreaper). */
#define END_GRACE_S 2

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* The host pid of the guest's pid 1, for the SIGTERM/SIGHUP relay (read by
 * a signal handler). */
static volatile pid_t pid1_host;
/* The init's helper child (the exec door): killed with the world. */
static pid_t helper_pid;
static bool wait_all;

void reaper_wait_all(void)
{
	wait_all = true;
}
static volatile sig_atomic_t end_grace_over;

/* This process's pid: the init asks it for every exit and signal it
 * handles, so it is kept once known (reaper_init, in the init; a
 * process the init forks execs or ends without asking). */
static pid_t init_pid;

static pid_t self_pid(void)
{
	return init_pid ? init_pid : getpid();
}

/* True when `pid` is an unreaped child of this process.  Its pid cannot be
 * reused while it is unreaped, and nobody but us reaps it (we are its only
 * parent and single-threaded), so a signal sent right after this check
 * reaches that child.  Async-signal-safe. */
static bool own_child(pid_t pid)
{
	if (pid <= 0 || pid == self_pid())
		return false;
	int saved = errno;
	siginfo_t si;
	int r = waitid(P_PID, (id_t)pid, &si,
		       WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL);
	errno = saved;
	return r == 0;
}

/* A signal to a host pid named by the table: only to our own children, and
 * only a real signal number. */
static void signal_child(pid_t pid, int sig)
{
	if (sig > 0 && sig < 65 && own_child(pid))
		kill(pid, sig);
}

/* An own child that has exited but is not yet reaped. */
static bool dead_child(pid_t pid)
{
	if (pid <= 0 || pid == self_pid())
		return false;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0)
		return false;
	return si.si_pid == pid;
}

void reaper_init(struct picos_world *w, int max_procs)
{
	init_pid = getpid();
	w->launcher_pid = init_pid;
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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes the table's lock for the init, with bounded patience.  The owner
 * word holds the host pid of a pico process (task_lock): one that died
 * holding it is released on its behalf; one that is not our child at all,
 * or holds it longer than LOCK_PATIENCE_MS, makes this fail: the world
 * is corrupted. */
static bool init_lock(struct picos_world *w)
{
	uint32_t self = (uint32_t)getpid(), mine = self;
	int64_t deadline = now_ms() + LOCK_PATIENCE_MS;
	for (;;) {
		uint32_t seen = 0;
		if (__atomic_compare_exchange_n(&w->lock, &seen, mine, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		uint32_t owner = world_lock_owner(seen);
		if (owner == self || seen > 0x7fffffffu || !own_child((pid_t)owner))
			return false;
		if (dead_child((pid_t)owner)) {
			world_unlock_dead(w, (int)owner);
			continue;
		}
		if (now_ms() > deadline)
			return false;
		world_lock_wait(w, seen);
		mine = self | PICOS_WORLD_LOCK_WAITERS; /* (world_lock says why) */
	}
}

static struct picos_task *by_host(struct picos_world *w, int hpid)
{
	int n = world_slots(w);
	for (int i = 0; i < n; i++)
		if (READ_ONCE(w->tasks[i].vpid) &&
		    READ_ONCE(w->tasks[i].host_pid) == hpid)
			return &w->tasks[i];
	return NULL;
}

static struct picos_task *by_vpid(struct picos_world *w, int vpid)
{
	return world_by_vpid(w, vpid);
}

static void free_task(struct picos_world *w, struct picos_task *t)
{
	world_note_ended(w, t);
	memset(t, 0, sizeof *t);
	uint32_t n = READ_ONCE(w->nprocs);
	if (n > 0)
		WRITE_ONCE(w->nprocs, n - 1);
}

static void ring(struct picos_task *parent, pid_t parent_host,
		 const struct picos_task *child)
{
	/* Stops and continues are always SIGCHLD; an exit is the child's
	 * exit signal, none at all for 0. */
	bool ended = READ_ONCE(child->state) == TASK_ZOMBIE;
	int sig = ended ? READ_ONCE(child->exit_signal) : SIGCHLD;
	if (sig <= 0 || sig >= 65)
		return;
	parent->chld_note = world_chld_note(child, sig);
	signal_child(parent_host, sig);
}

/* Tells the guest parent that `child` changed state: the doorbell
 * (a host SIGCHLD) carries the note of what changed.  It rings before the
 * waits wake, so a wait that returns the child finds the SIGCHLD already
 * pending, as on Linux. */
static void notify(struct picos_task *parent, const struct picos_task *child,
		   bool doorbell)
{
	pid_t host = READ_ONCE(parent->host_pid);
	if (doorbell && READ_ONCE(parent->state) == TASK_LIVE && host > 0)
		ring(parent, host, child);
	world_child_event(parent);
}

static bool live(const struct picos_task *t)
{
	return world_live(t);
}

/* Who adopts the children of `dead`: the nearest live ancestor that is a
 * child subreaper, else pid 1.  The walk is bounded (the table may hold a
 * cycle). */
static struct picos_task *reaper_for(struct picos_world *w,
				     struct picos_task *dead)
{
	struct picos_task *a = by_vpid(w, READ_ONCE(dead->ppid));
	for (int depth = 0; a && depth < PICOS_MAX_TASKS; depth++) {
		if (live(a) && (READ_ONCE(a->flags) & TF_SUBREAPER))
			return a;
		a = by_vpid(w, READ_ONCE(a->ppid));
	}
	return by_vpid(w, 1);
}

/* A zombie is ready for its parent: auto-reaped when the parent ignores
 * SIGCHLD (or set SA_NOCLDWAIT), else kept for wait. */
static void hand_zombie(struct picos_world *w, struct picos_task *z,
			struct picos_task *parent)
{
	if ((READ_ONCE(parent->flags) & TF_NOCLDWAIT) &&
	    READ_ONCE(z->exit_signal) == SIGCHLD) {
		notify(parent, z, true);
		free_task(w, z);
		return;
	}
	z->events |= TEV_SIGCHLD;
	notify(parent, z, true);
}

/* Linux's kill_orphaned_pgrp (world_hangup_due): a group that an exit
 * orphans and that has a stopped member gets SIGHUP, then SIGCONT, so it
 * does not stay stopped with nobody to continue it.  `t` is in the
 * group; `outside` is the process whose exit may orphan it. */
static void hangup_if_orphaned(struct picos_world *w,
			       const struct picos_task *t,
			       const struct picos_task *outside)
{
	if (!world_hangup_due(w, t, outside))
		return;
	int pgid = READ_ONCE(t->pgid), n = world_slots(w);
	for (int sig = SIGHUP; sig; sig = sig == SIGHUP ? SIGCONT : 0)
		for (int i = 0; i < n; i++) {
			struct picos_task *m = &w->tasks[i];
			if (live(m) && READ_ONCE(m->pgid) == pgid)
				signal_child(READ_ONCE(m->host_pid), sig);
		}
}

static void orphan_children(struct picos_world *w, struct picos_task *dead,
			    int dead_vpid)
{
	struct picos_task *adopter = NULL;
	int n = world_slots(w);
	for (int i = 0; i < n; i++) {
		struct picos_task *c = &w->tasks[i];
		if (!READ_ONCE(c->vpid) || READ_ONCE(c->ppid) != dead_vpid || c == dead)
			continue;
		int deathsig = READ_ONCE(c->pdeathsig);
		if (live(c) && deathsig)
			signal_child(READ_ONCE(c->host_pid), deathsig);
		if (!adopter)
			adopter = reaper_for(w, dead);
		if (!adopter || adopter == dead) {
			WRITE_ONCE(c->ppid, 0);
			continue;
		}
		WRITE_ONCE(c->ppid, READ_ONCE(adopter->vpid));
		WRITE_ONCE(c->exit_signal, SIGCHLD); /* as Linux's reparent does */
		if (READ_ONCE(c->state) == TASK_ZOMBIE && c != adopter)
			hand_zombie(w, c, adopter);
		else if (live(c))
			hangup_if_orphaned(w, c, dead);
	}
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* The thread ids of a process that ended (its threads went with it). */
static void free_tids(struct picos_world *w, int host_pid)
{
	int n = world_tid_slots(w);
	for (int i = 0; i < n; i++)
		if (READ_ONCE(w->tids[i].vtid) &&
		    READ_ONCE(w->tids[i].host_pid) == host_pid)
			memset(&w->tids[i], 0, sizeof w->tids[i]);
}

/* A process that recorded its own end (src/kernel/proc/exit_self.c):
 * the zombie is made; what may be left is its parent's doorbell and the
 * wake of its waits, which it makes after the table's lock and may not
 * have lived to make (or the host refused the doorbell).  A doorbell for
 * a change the parent was already told of (TEV_SIGCHLD gone) is not
 * rung again. */
static void on_recorded_exit(struct picos_world *w, struct picos_task *t,
			     int hpid)
{
	if (READ_ONCE(t->exit_waking) != hpid)
		return;
	WRITE_ONCE(t->exit_waking, 0);
	struct picos_task *p = by_vpid(w, READ_ONCE(t->ppid));
	if (live(p) && p != t)
		notify(p, t, READ_ONCE(t->events) & TEV_SIGCHLD);
}

static void on_exit(struct picos_world *w, struct picos_task *t, int hpid,
		    int ws, const struct rusage *ru)
{
	free_tids(w, hpid);
	/* Only the process itself makes a zombie whose host process the
	 * init has not reaped: its record stands, whatever the host status
	 * (a kill after the record does not change the end Linux reports
	 * either). */
	if (READ_ONCE(t->state) == TASK_ZOMBIE) {
		WRITE_ONCE(t->exit_host_live, 0);
		on_recorded_exit(w, t, hpid);
		return;
	}
	WRITE_ONCE(t->state, TASK_ZOMBIE);
	WRITE_ONCE(t->wstatus, ws);
	if (READ_ONCE(t->vfork_wait)) { /* a vfork child that died: its parent goes on */
		__atomic_store_n(&t->vfork_wait, 0, __ATOMIC_RELEASE);
		WORLD_FUTEX(&t->vfork_wait, FUTEX_WAKE, 1, 0);
	}
	WRITE_ONCE(t->events, 0);
	t->utime_us = tv_us(ru->ru_utime);
	t->stime_us = tv_us(ru->ru_stime);
	t->maxrss_kb = (uint64_t)ru->ru_maxrss;
	int vpid = READ_ONCE(t->vpid);
	if (vpid == 1 && !wait_all) {
		WRITE_ONCE(w->ending, 1);
		return;
	}
	/* (with --wait-all pid 1 goes like any process with no parent: its
	 * children have none either, ppid 0) */
	orphan_children(w, t, vpid);
	struct picos_task *p = by_vpid(w, READ_ONCE(t->ppid));
	if (live(p) && p != t) {
		hangup_if_orphaned(w, t, p); /* its own group, t now a zombie */
		hand_zombie(w, t, p);
	} else {
		free_task(w, t);
	}
}

static void on_stop_or_continue(struct picos_world *w, struct picos_task *t,
				int ws)
{
	if (WIFSTOPPED(ws)) {
		int sig = READ_ONCE(t->stop_sig);
		if (sig <= 0 || sig >= 65)
			sig = WSTOPSIG(ws);
		WRITE_ONCE(t->stop_sig, 0);
		WRITE_ONCE(t->wstatus, (sig << 8) | 0x7f);
		WRITE_ONCE(t->events, (READ_ONCE(t->events) & ~TEV_CONTINUED) |
					      TEV_STOPPED | TEV_SIGCHLD);
	} else {
		WRITE_ONCE(t->wstatus, 0xffff);
		WRITE_ONCE(t->events, (READ_ONCE(t->events) & ~TEV_STOPPED) |
					      TEV_CONTINUED | TEV_SIGCHLD);
	}
	struct picos_task *p = by_vpid(w, READ_ONCE(t->ppid));
	if (live(p) && p != t)
		notify(p, t, !(READ_ONCE(p->flags) & TF_NOCLDSTOP));
}

/* Kills every process of the world.  In a pid namespace of its own the
 * init is that namespace's pid 1, and kill(-1) reaches exactly the world;
 * otherwise the table names the processes, and only our own children are
 * signalled (one the table hides is ended by the picos command, as an
 * orphan, once we are gone). */
static void kill_world(struct picos_world *w)
{
	if (getpid() == 1) {
		kill(-1, SIGKILL);
		return;
	}
	signal_child(pid1_host, SIGKILL);
	signal_child(helper_pid, SIGKILL);
	int n = world_slots(w);
	for (int i = 0; i < n; i++) {
		struct picos_task *t = &w->tasks[i];
		if (READ_ONCE(t->vpid) && live(t))
			signal_child(READ_ONCE(t->host_pid), SIGKILL);
	}
}

int reaper_stop_fd = -1;
int reaper_exec_fd = -1;

void reaper_helper(int pid)
{
	helper_pid = pid;
}

/* The exec door learns the end of the processes it started: those with
 * no guest parent (or none in the table at all: it ended before it took
 * an entry, or the table is not read).  The host pid and status are
 * wait4's; the table only decides whether to tell and names the pid in
 * the world, so a forged entry at most sends the door a pid it does not
 * know (ignored), keeps one back (its exec then waits as for a process
 * that runs on), or gives an exec another world process's status.  The
 * socket is non-blocking: a door that does not read never stops the
 * init. */
static void report_exec_end(struct picos_world *w, pid_t pid, int ws,
			    const struct picos_task *t)
{
	if (reaper_exec_fd < 0 || (t && READ_ONCE(t->ppid) != 0))
		return;
	/* Gone from the table before its host process ended: it recorded
	 * its own end and its parent reaped it, so it had a guest parent. */
	if (!t && w && world_ended_vpid(w, pid))
		return;
	/* (the pid in the world lets the door follow a process that moved
	 * to a new host process: an exec from several threads) */
	int32_t m[3] = { pid, t ? READ_ONCE(t->vpid) : 0, ws };
	if (write(reaper_exec_fd, m, sizeof m) < 0 && errno != EAGAIN)
		reaper_exec_fd = -1;
}

void reaper_track(int pid1)
{
	pid1_host = pid1;
}

bool reaper_relay(int sig)
{
	if (pid1_host <= 0)
		return false;
	signal_child(pid1_host, sig);
	return true;
}

static void on_alarm(int sig)
{
	(void)sig;
	end_grace_over = 1;
}

/* From now on the init waits at most END_GRACE_S more seconds. */
static void start_end_grace(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: wait4 returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(END_GRACE_S);
}

/* Is the host process `pid`, which just ended, the guest's pid 1?  Pid 1
 * is the table's: its host process changes when a multi-threaded pid 1
 * execs (sys_thread.c), and the table then names the new one, which must
 * be our child.  Updates pid1_host. */
static bool pid1_ended(struct picos_world *w, pid_t pid, bool use_table)
{
	if (pid != pid1_host)
		return false;
	if (use_table) {
		struct picos_task *p1 = by_vpid(w, 1);
		pid_t now = p1 ? READ_ONCE(p1->host_pid) : 0;
		if (now > 0 && now != pid && own_child(now)) {
			pid1_host = now;
			return false;
		}
	}
	return true;
}

int reaper_run(struct picos_world *w, int first)
{
	/* If pid 1's end is never seen (a corrupted world the init gave up
	 * on), the world counts as killed. */
	int first_status = SIGKILL;
	bool ended = false, corrupted = false;
	reaper_track(first);
	for (;;) {
		int ws;
		struct rusage ru;
		if (end_grace_over)
			break; /* the picos command ends what is left */
		pid_t pid = wait4(-1, &ws, __WALL | WUNTRACED | WCONTINUED, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: the world is empty */
		}
		bool gone = WIFEXITED(ws) || WIFSIGNALED(ws);
		if (gone)
			world_unlock_dead(w, pid);
		if (!corrupted && !init_lock(w)) {
			fprintf(stderr, "picos: the world's process table is "
					"corrupted (its lock is held by %u); "
					"ending the world\n",
				READ_ONCE(w->lock));
			corrupted = true;
			kill_world(w);
			start_end_grace();
		}
		bool use_table = !corrupted;
		if (gone && !ended && pid1_ended(w, pid, use_table)) {
			first_status = ws;
			ended = true;
			if (wait_all)
				pid1_host = 0; /* a relayed signal ends the init */
			else
				start_end_grace();
		}
		if (gone)
			report_exec_end(use_table ? w : NULL, pid, ws,
					use_table ? by_host(w, pid) : NULL);
		if (use_table) {
			struct picos_task *t = by_host(w, pid);
			if (t && gone)
				on_exit(w, t, pid, ws, &ru);
			else if (live(t))
				on_stop_or_continue(w, t, ws);
			else if (WIFSTOPPED(ws) && (t || world_ended_vpid(w, pid)))
				/* it recorded its end, then was stopped on
				 * its way out: nobody would continue it */
				signal_child(pid, SIGKILL);
		}
		/* A stop of the guest's pid 1 (^Z from the terminal the world
		 * was handed) is the user's job stopping: the picos command is
		 * told (its host pid is ours to trust, not the table). */
		if (WIFSTOPPED(ws) && pid == pid1_host && reaper_stop_fd >= 0 &&
		    write(reaper_stop_fd, "S", 1) < 0)
			reaper_stop_fd = -1;
		if (ended && (!wait_all || corrupted))
			kill_world(w);
		if (use_table)
			world_unlock(w);
	}
	alarm(0);
	return first_status;
}
