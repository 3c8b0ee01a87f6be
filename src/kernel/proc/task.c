/* The provider's side of the world's process table (include/picos/world.h):
 * the shared lock, lookups, and pid allocation. */
#include "proc.h"
#include "../entry/entry.h"

#define WORLD_FUTEX(a, op, v, ts) \
	host_syscall4(__NR_futex, (a), (op), (v), (ts))
#define PICOS_WORLD_LOCK_IMPL
#include <picos/world.h>

#define W (popts.world)

void task_lock(void)
{
	world_lock(W, proc.host_pid);
}

void task_unlock(void)
{
	world_unlock(W);
}

struct picos_task *task_by_vpid(int vpid)
{
	if (vpid <= 0)
		return NULL;
	for (int i = 0; i < PICOS_MAX_TASKS; i++)
		if (W->tasks[i].vpid == vpid)
			return &W->tasks[i];
	return NULL;
}

struct picos_task *task_by_host(int host_pid)
{
	for (int i = 0; i < PICOS_MAX_TASKS; i++)
		if (W->tasks[i].vpid && W->tasks[i].host_pid == host_pid)
			return &W->tasks[i];
	return NULL;
}

/* A pid is free when no process, group or session uses it (Linux never
 * hands out the id of a live process group or session either). */
static bool pid_in_use(int pid)
{
	for (int i = 0; i < PICOS_MAX_TASKS; i++) {
		const struct picos_task *t = &W->tasks[i];
		if (t->vpid && (t->vpid == pid || t->pgid == pid || t->sid == pid))
			return true;
	}
	return false;
}

struct picos_task *task_alloc(void)
{
	if (W->ending || W->nprocs >= W->max_procs)
		return NULL;
	struct picos_task *slot = NULL;
	for (int i = 0; i < PICOS_MAX_TASKS && !slot; i++)
		if (!W->tasks[i].vpid)
			slot = &W->tasks[i];
	if (!slot)
		return NULL;
	int pid = W->last_pid;
	do {
		pid = pid + 1 >= PICOS_PID_MAX ? 2 : pid + 1;
	} while (pid_in_use(pid));
	W->last_pid = pid;
	rt_memset(slot, 0, sizeof *slot);
	slot->vpid = pid;
	slot->state = TASK_LIVE;
	W->nprocs++;
	return slot;
}

void task_free(struct picos_task *t)
{
	rt_memset(t, 0, sizeof *t);
	W->nprocs--;
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
	proc.task->flags = (proc.task->flags & ~clear) | set;
	task_unlock();
}

/* Single words another process may change (reparenting, setpgid on a
 * child): read atomically, no lock needed. */
int task_ppid(void) { return __atomic_load_n(&proc.task->ppid, __ATOMIC_ACQUIRE); }
int task_pgid(void) { return __atomic_load_n(&proc.task->pgid, __ATOMIC_ACQUIRE); }
int task_sid(void) { return __atomic_load_n(&proc.task->sid, __ATOMIC_ACQUIRE); }
