/* POSIX timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete.
 *
 * A guest timer is a host timer of this pico process, and its guest id is
 * the host's id.  The provider makes no host timers of its own, so the
 * host's ids count up from 0 per process exactly as Linux hands them to
 * the guest natively, the host's checks of an id (EINVAL for one that
 * does not exist) are Linux's, and the siginfo the host queues (SI_TIMER,
 * si_timerid, si_overrun, si_value) is already the guest's: delivery,
 * which runs without the provider lock, needs no table.  What the
 * provider translates are the guest ids inside the arguments: the clock
 * (CPU-time clocks of guest pids and tids) and SIGEV_THREAD_ID's guest
 * tid.
 *
 * Linux deletes a process's timers at exec and a fork child has none.
 * The host does the latter; the in-place exec keeps the host process, so
 * the provider records the ids it created and deletes them at exec (a
 * multi-threaded exec moves into a host fork, which has none already). */
#include "../kernel.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include "../proc/caps.h"
#include <linux/time.h>
#include "clock.h"

#define SIGEV_THREAD_ID 4
#define SIGEVENT_SIZE 64

struct ksigevent {
	uint64_t value;
	int signo;
	int notify;
	int tid; /* SIGEV_THREAD_ID */
	int pad[11];
};

struct kitimerspec {
	long interval_sec, interval_nsec, value_sec, value_nsec;
};

/* The ids of this process's live timers, unordered. */
static int *timer_ids;
static int ntimers, timer_cap;

static void timer_record(int id)
{
	if (ntimers == timer_cap) {
		int cap = timer_cap ? 2 * timer_cap : 16;
		int *n = kmalloc((size_t)cap * sizeof *n);
		if (!n)
			return; /* exec then leaves this one to the host */
		if (ntimers)
			rt_memcpy(n, timer_ids, (size_t)ntimers * sizeof *n);
		kfree(timer_ids);
		timer_ids = n;
		timer_cap = cap;
	}
	timer_ids[ntimers++] = id;
}

static void timer_forget(int id)
{
	for (int i = 0; i < ntimers; i++)
		if (timer_ids[i] == id) {
			timer_ids[i] = timer_ids[--ntimers];
			return;
		}
}

void timers_exec(void)
{
	for (int i = 0; i < ntimers; i++)
		host_syscall1(__NR_timer_delete, timer_ids[i]);
	ntimers = 0;
}

void timers_forget_all(void)
{
	ntimers = 0;
}

long sys_timer_create(int clk, const void *usev, int *uid)
{
	struct ksigevent sev;
	if (usev && copy_from_user(&sev, usev, sizeof sev) < 0)
		return -EFAULT;
	struct hclock hc;
	long r = clock_to_host(clk, &hc);
	if (r < 0)
		return r;
	/* A tid that is not one of this process's threads becomes one no
	 * host task has, so the host refuses it in Linux's order. */
	if (usev && sev.notify == SIGEV_THREAD_ID)
		sev.tid = own_thread_host_tid(sev.tid);
	int id;
	r = host_syscall3(__NR_timer_create, hc.id, usev ? &sev : NULL, &id);
	clock_put(&hc);
	if (r < 0)
		return r;
	/* The alarm clocks need the guest's CAP_WAKE_ALARM (the host made
	 * Linux's earlier checks; its process may hold the capability when
	 * the guest does not). */
	if ((clk == CLOCK_REALTIME_ALARM || clk == CLOCK_BOOTTIME_ALARM) &&
	    !capable(CAP_WAKE_ALARM)) {
		host_syscall1(__NR_timer_delete, id);
		return -EPERM;
	}
	if (copy_to_user(uid, &id, sizeof id) < 0) {
		host_syscall1(__NR_timer_delete, id); /* as Linux undoes it */
		return -EFAULT;
	}
	timer_record(id);
	return 0;
}

long sys_timer_settime(int id, int flags, const void *unew, void *uold)
{
	struct kitimerspec nv, ov;
	if (!unew)
		return -EINVAL;
	if (copy_from_user(&nv, unew, sizeof nv) < 0)
		return -EFAULT;
	long r = host_syscall4(__NR_timer_settime, id, flags, &nv,
			       uold ? &ov : NULL);
	if (r == 0 && uold && copy_to_user(uold, &ov, sizeof ov) < 0)
		return -EFAULT;
	return r;
}

long sys_timer_gettime(int id, void *ucur)
{
	struct kitimerspec cur;
	long r = host_syscall2(__NR_timer_gettime, id, &cur);
	if (r == 0 && copy_to_user(ucur, &cur, sizeof cur) < 0)
		return -EFAULT;
	return r;
}

long sys_timer_getoverrun(int id)
{
	return host_syscall1(__NR_timer_getoverrun, id);
}

long sys_timer_delete(int id)
{
	long r = host_syscall1(__NR_timer_delete, id);
	if (r == 0)
		timer_forget(id);
	return r;
}
