/* System V semaphores: the host's semaphore sets, in the world's IPC
 * namespace.  The host applies SEM_UNDO when the host process (the guest
 * process) exits, and its threads share one undo list (CLONE_SYSVSEM);
 * the provider makes waits interruptible by guest signals and the pids
 * the guest reads its own. */
#include "ipc.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include <linux/sem.h>

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif
#define SEMBUF_SIZE 6 /* struct sembuf: short, short, short */

long sys_semget(long key, int nsems, int flags)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return host_syscall3(__NR_semget, key, nsems, flags);
}

#define NSEC 1000000000L

static long mono_ns(void)
{
	struct kts t;
	host_syscall2(__NR_clock_gettime, 1 /* CLOCK_MONOTONIC */, &t);
	return t.sec * NSEC + t.nsec;
}

/* What is left of timeout `ts` `since` a time, in `left`; false when
 * nothing is. */
static bool time_left(const struct kts *ts, long since, struct kts *left)
{
	long rem = ts->sec * NSEC + ts->nsec - (mono_ns() - since);
	*left = (struct kts){ rem / NSEC, rem % NSEC };
	return rem > 0;
}

long sys_semtimedop(int id, void *usops, unsigned nsops, const void *uts)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	/* Linux reads the timeout first (EFAULT); the host checks it */
	struct kts ts, left;
	if (uts && copy_from_user(&ts, uts, sizeof ts) < 0)
		return -EFAULT;
	bool timed = uts && ts.sec >= 0 && ts.nsec >= 0 && ts.nsec < NSEC &&
		     ts.sec < NSEC;
	left = ts;
	long start = timed ? mono_ns() : 0;
	proc.sysv_at_exit = true; /* (SEM_UNDO: exit_self.c) */
	/* The host checks nsops against its limit (E2BIG) before it reads
	 * the array, so a length it refuses needs no exact range. */
	void *sops = user_ptr_for_host(usops, RT_MIN(nsops, 65536u) * SEMBUF_SIZE);
	for (;;) {
		long r = intr_call(__NR_semtimedop, id, (long)sops, nsops,
				   uts ? (long)&left : 0, 0, 0);
		if (r != -EINTR)
			return r;
		/* Linux never restarts semop after a handler (signal(7)) */
		if (signal_interrupts())
			return -EINTR;
		/* A signal the guest ignores woke the host call, where Linux
		 * would not wake: the wait goes on for what is left. */
		if (timed && !time_left(&ts, start, &left))
			return -EAGAIN;
	}
}

long sys_semop(int id, void *usops, unsigned nsops)
{
	return sys_semtimedop(id, usops, nsops, NULL);
}

/* The number of semaphores in set `id`, 0 when there is no such set.
 * IPC_STAT needs read permission, which SETALL does not: then the set's
 * index (the id's low bits: 15, or 24 with ipcmni_extend) is asked with
 * SEM_STAT_ANY, which checks none and answers the id found there. */
static unsigned long sem_nsems(int id)
{
	struct semid64_ds ds;
	if (host_syscall4(__NR_semctl, id, 0, IPC_STAT, &ds) == 0)
		return ds.sem_nsems;
	static const int masks[] = { 0x7fff, 0xffffff };
	for (int i = 0; i < 2; i++)
		if (host_syscall4(__NR_semctl, id & masks[i], 0, SEM_STAT_ANY,
				  &ds) == id)
			return ds.sem_nsems;
	return 0;
}

/* The guest array of GETALL and SETALL, checked for the set's size (the
 * poison address when the guest may not name it; a set the host does
 * not find fails before the array is touched). */
static void *semall_buf(int id, unsigned long arg)
{
	unsigned long n = sem_nsems(id);
	return user_ptr_for_host((void *)arg, n ? n * 2 : 2);
}

long sys_semctl(int id, int num, int cmd, unsigned long arg)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	struct semid64_ds k;
	static const size_t nopids[2] = { 0, 0 };
	long r;
	switch (ipc_cmd(cmd)) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return ipc_stat_out(host_syscall4(__NR_semctl, id, num, cmd, &k),
				    (void *)arg, &k, sizeof k, nopids);
	case IPC_SET:
		r = ipc_set_in(&k, (void *)arg, sizeof k);
		return r < 0 ? r : host_syscall4(__NR_semctl, id, num, cmd, &k);
	case IPC_INFO:
	case SEM_INFO:
		return host_syscall4(__NR_semctl, id, num, cmd,
				     user_ptr_for_host((void *)arg,
						       sizeof(struct seminfo)));
	case GETALL:
	case SETALL:
		return host_syscall4(__NR_semctl, id, num, cmd,
				     semall_buf(id, arg));
	case GETPID:
		r = host_syscall4(__NR_semctl, id, num, cmd, 0);
		return r < 0 ? r : ipc_pid_to_guest((int)r);
	default: /* a value (SETVAL), nothing, or EINVAL */
		return host_syscall4(__NR_semctl, id, num, cmd, arg);
	}
}
