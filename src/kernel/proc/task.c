/* The provider's side of the world's process table (include/picos/world.h):
 * the shared lock, lookups, and pid allocation. */
#include "proc.h"
#include "../entry/entry.h"
#include "../mm/mm.h"

#define WORLD_FUTEX(a, op, v, ts) \
	host_syscall4(__NR_futex, (a), (op), (v), (ts))
#define PICOS_WORLD_LOCK_IMPL
#include <asm/signal.h>
#include <asm/siginfo.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <picos/world.h>

#define W (popts.world)

void task_lock(void)
{
	world_lock(W, gproc()->host_pid);
}

bool task_lock_patient(int tries)
{
	uint32_t mine = (uint32_t)gproc()->host_pid;
	for (int i = 0;; i++) {
		uint32_t seen = 0;
		if (__atomic_compare_exchange_n(&W->lock, &seen, mine, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		if (i >= tries)
			return false;
		world_lock_wait(W, seen);
		mine |= PICOS_WORLD_LOCK_WAITERS; /* (world_lock says why) */
	}
}

void task_unlock(void)
{
	world_unlock(W);
}

struct picos_task *task_by_vpid(int vpid)
{
	if (vpid <= 0)
		return NULL;
	for (int i = 0; i < world_slots(W); i++)
		if (W->tasks[i].vpid == vpid)
			return &W->tasks[i];
	return NULL;
}

struct picos_task *task_by_host(int host_pid)
{
	for (int i = 0; i < world_slots(W); i++)
		if (W->tasks[i].vpid && W->tasks[i].host_pid == host_pid)
			return &W->tasks[i];
	return NULL;
}

/* A pid is free when no process, group or session uses it (Linux never
 * hands out the id of a live process group or session either). */
static bool pid_in_use(int pid)
{
	for (int i = 0; i < world_slots(W); i++) {
		const struct picos_task *t = &W->tasks[i];
		if (t->vpid && (t->vpid == pid || t->pgid == pid || t->sid == pid))
			return true;
	}
	for (int i = 0; i < world_tid_slots(W); i++)
		if (W->tids[i].vtid == pid)
			return true;
	return false;
}

static int next_free_pid(void)
{
	int pid = W->last_pid;
	do {
		pid = pid + 1 >= PICOS_PID_MAX ? 2 : pid + 1;
	} while (pid_in_use(pid));
	W->last_pid = pid;
	return pid;
}

struct picos_thread_id *tid_alloc(int host_tid)
{
	struct picos_thread_id *slot = NULL;
	int i;
	for (i = 0; i < PICOS_MAX_THREADS && !slot; i++)
		if (!W->tids[i].vtid)
			slot = &W->tids[i];
	if (!slot)
		return NULL;
	if (i > world_tid_slots(W))
		__atomic_store_n(&W->tids_hi, (uint32_t)i, __ATOMIC_RELEASE);
	slot->vtid = next_free_pid();
	slot->host_tid = host_tid;
	slot->tgid = gproc()->pid;
	slot->host_pid = gproc()->host_pid;
	return slot;
}

struct picos_thread_id *tid_by_vtid(int vtid)
{
	for (int i = 0; i < world_tid_slots(W); i++)
		if (W->tids[i].vtid == vtid)
			return &W->tids[i];
	return NULL;
}

void tid_free(struct picos_thread_id *t)
{
	rt_memset(t, 0, sizeof *t);
}

struct picos_task *task_alloc(void)
{
	if (W->ending || W->nprocs >= W->max_procs)
		return NULL;
	struct picos_task *slot = NULL;
	int i;
	for (i = 0; i < PICOS_MAX_TASKS && !slot; i++)
		if (!W->tasks[i].vpid)
			slot = &W->tasks[i];
	if (!slot)
		return NULL;
	if (i > world_slots(W)) /* i is one past the slot */
		__atomic_store_n(&W->slots_hi, (uint32_t)i, __ATOMIC_RELEASE);
	int pid = next_free_pid();
	rt_memset(slot, 0, sizeof *slot);
	slot->vpid = pid;
	slot->state = TASK_LIVE;
	W->nprocs++;
	return slot;
}

void task_free(struct picos_task *t)
{
	world_note_ended(W, t);
	rt_memset(t, 0, sizeof *t);
	W->nprocs--;
}

long task_host_of_id(int id)
{
	long r = -ESRCH;
	task_lock();
	struct picos_task *t = task_by_vpid(id);
	struct picos_thread_id *th = t ? NULL : tid_by_vtid(id);
	if (t && t->state == TASK_LIVE && t->host_pid > 0)
		r = t->host_pid;
	else if (th && th->host_tid > 0)
		r = th->host_tid;
	task_unlock();
	return r;
}

long task_thread_host(int tgid, int tid, int *host_tgid)
{
	long r = -ESRCH;
	task_lock();
	struct picos_task *t = task_by_vpid(tid);
	struct picos_thread_id *th = t ? NULL : tid_by_vtid(tid);
	if (t && (!tgid || tgid == tid)) {
		r = t->state == TASK_LIVE ? t->host_pid : 0;
		if (host_tgid)
			*host_tgid = (int)r;
	} else if (th && (!tgid || th->tgid == tgid)) {
		r = th->host_tid;
		if (host_tgid)
			*host_tgid = th->host_pid;
	}
	task_unlock();
	return r;
}

int task_id_of_host(int host)
{
	int v = task_vpid_of_host(host);
	task_lock();
	for (int i = 0; !v && i < world_tid_slots(W); i++)
		if (W->tids[i].vtid && W->tids[i].host_tid == host)
			v = W->tids[i].vtid;
	task_unlock();
	return v;
}

int task_vpid_of_sender(int host_pid)
{
	task_lock();
	struct picos_task *t = task_by_host(host_pid);
	int v = t ? t->vpid : world_ended_vpid(W, host_pid);
	task_unlock();
	return v;
}

int task_vpid_of_host(int host_pid)
{
	task_lock();
	struct picos_task *t = task_by_host(host_pid);
	int v = t ? t->vpid : 0;
	task_unlock();
	return v;
}

void task_set_flags(uint32_t set, uint32_t clear)
{
	task_lock();
	gproc()->task->flags = (gproc()->task->flags & ~clear) | set;
	task_unlock();
}

/* Single words another process may change (reparenting, setpgid on a
 * child): read atomically, no lock needed. */
int task_ppid(void) { return __atomic_load_n(&gproc()->task->ppid, __ATOMIC_ACQUIRE); }
int task_pgid(void) { return __atomic_load_n(&gproc()->task->pgid, __ATOMIC_ACQUIRE); }
int task_sid(void) { return __atomic_load_n(&gproc()->task->sid, __ATOMIC_ACQUIRE); }

struct text_stat {
	unsigned long dev, ino, nlink;
	unsigned mode;
	char rest[128];
};

static void text_of(int fd, uint64_t *dev, uint64_t *ino)
{
	struct text_stat st;
	*dev = *ino = 0;
	if (fd >= 0 && host_syscall2(__NR_fstat, fd, &st) == 0) {
		*dev = st.dev;
		*ino = st.ino;
	}
}

void task_set_text(int exe_fd, int interp_fd)
{
	uint64_t dev[2], ino[2];
	text_of(exe_fd, &dev[0], &ino[0]);
	text_of(interp_fd, &dev[1], &ino[1]);
	task_lock();
	for (int i = 0; i < 2; i++) {
		gproc()->task->text_dev[i] = dev[i];
		gproc()->task->text_ino[i] = ino[i];
	}
	task_unlock();
}

bool task_text_busy(uint64_t dev, uint64_t ino)
{
	bool busy = false;
	task_lock();
	for (int i = 0; i < world_slots(W) && !busy; i++) {
		const struct picos_task *t = &W->tasks[i];
		if (!t->vpid || t->state != TASK_LIVE)
			continue;
		busy = (t->text_ino[0] == ino && t->text_dev[0] == dev) ||
		       (t->text_ino[1] == ino && t->text_dev[1] == dev);
	}
	task_unlock();
	return busy;
}

/* Signals pending for the caller (its own and the process's): Linux
 * keeps them across execve, so the host process taking over is sent them
 * again, with their siginfo. */
#define CARRY_MAX 64
struct carried_signals {
	int n;
	siginfo_t info[CARRY_MAX];
};

static void take_pending(struct carried_signals *c)
{
	uint64_t pend = 0;
	struct kts zero = { 0, 0 };
	c->n = 0;
	host_syscall2(__NR_rt_sigpending, &pend, sizeof pend);
	for (int sig = 1; sig <= 64 && c->n < CARRY_MAX; sig++) {
		if (!(pend & (1ULL << (sig - 1))))
			continue;
		uint64_t one = 1ULL << (sig - 1);
		/* Real-time signals may be queued more than once. */
		while (c->n < CARRY_MAX &&
		       host_syscall4(__NR_rt_sigtimedwait, &one,
				     &c->info[c->n], &zero, sizeof one) == sig)
			c->n++;
	}
}

static void give_pending(const struct carried_signals *c)
{
	for (int i = 0; i < c->n; i++)
		host_syscall3(__NR_rt_sigqueueinfo, gproc()->host_pid,
			      c->info[i].si_signo, &c->info[i]);
}

long task_rehost(void)
{
	/* Interval timers belong to the host process: Linux keeps them
	 * across execve, so the new one takes over what is left of them. */
	struct { long iv_s, iv_us, v_s, v_us; } timers[3];
	for (int i = 0; i < 3; i++)
		host_syscall2(__NR_getitimer, i, &timers[i]);
	struct carried_signals pending;
	take_pending(&pending);
	/* The new process execs at once: the old program's memory is left
	 * out of the fork instead of copied (its page tables, and the
	 * copy-on-write faults the old memory's other users, a vfork
	 * parent most often, would then take) and unmapped.  The marks go
	 * again before anyone else can fork from that memory (under the
	 * provider lock).  Not when the guest marked memory itself. */
	bool lean = !proc.guest_dontfork;
	bool left_out = lean && mm_guest_dontfork(true);
	long r = host_syscall5(__NR_clone,
			       CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD, 0,
			       &gproc()->task->host_pid, 0, 0);
	if (r != 0 && lean)
		mm_guest_dontfork(false);
	if (r < 0) {
		give_pending(&pending); /* still this process's */
		return r;
	}
	if (r > 0) { /* the old host process: done */
		provider_lock_drop(); /* its memory may live on (CLONE_VM) */
		host_exit_group(0);
	}
	if (left_out)
		mm_guest_not_copied();
	gproc()->host_pid = (int)host_syscall0(__NR_getpid);
	current()->host_tid = gproc()->host_pid;
	for (int i = 0; i < 3; i++)
		if (timers[i].v_s || timers[i].v_us)
			host_syscall3(__NR_setitimer, i, &timers[i], 0);
	give_pending(&pending);
	host_syscall2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (host_syscall0(__NR_getppid) != popts.world->launcher_pid)
		host_exit_group(137);
	entry_arm_sud();
	return 0;
}

int world_thread_count(void)
{
	int n = 0;
	task_lock();
	for (int i = 0; i < world_slots(W); i++)
		n += W->tasks[i].vpid && W->tasks[i].state == TASK_LIVE;
	for (int i = 0; i < world_tid_slots(W); i++)
		n += W->tids[i].vtid != 0;
	task_unlock();
	return n;
}
