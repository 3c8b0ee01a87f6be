/* Clocks and sleeps.  A pico process has no vDSO (the provider unmaps the
 * host's), so every clock read of the guest is a syscall served here from
 * the host's clocks.  Guest pointers go to the host after a range check:
 * the host then makes every argument check in its Linux order. */
#include "../kernel.h"
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include "../proc/proc.h"
#include "../syscalls.h"
#include "../signal/signal.h"
#include "clock.h"
#include <picos/world.h>
#include <linux/time.h>

#define TIMESPEC_SIZE 16 /* struct __kernel_timespec */
#define TIMEVAL_SIZE 16	 /* struct __kernel_old_timeval */
#define TIMEZONE_SIZE 8	 /* struct timezone */

static int make_cpuclock(int pid, int low)
{
	return (int)((~(unsigned)pid << 3) | (unsigned)low);
}

int own_thread_host_tid(int vtid)
{
	if (vtid == current()->tid)
		return (int)host_syscall0(__NR_gettid);
	long r = task_thread_host(gproc()->pid, vtid, NULL);
	return r > 0 ? (int)r : 0;
}

/* Translates the virtual pid or tid, or the guest fd, inside a clock id.
 * A thread clock names a thread of this process (Linux refuses others:
 * -EINVAL), a process clock any process of the world; the caller's own
 * ids become the host's, so the host treats them as the caller's (e.g.
 * refusing to sleep on one's own CPU clock) and makes the remaining
 * checks (a process clock of a thread that is not a leader).  Ids outside
 * the world: -EINVAL, as Linux answers for a clock of a missing pid. */
long clock_to_host(int clk, struct hclock *hc)
{
	hc->id = clk;
	hc->f = NULL;
	if (clk >= 0)
		return 0;
	int low = clk & CPUCLOCK_WHICH_MASK;
	int pid = ~(clk >> 3);
	if (low == CLOCKFD) {
		hc->f = fd_get(pid);
		if (!hc->f)
			return -EINVAL;
		hc->id = make_cpuclock(hc->f->host_fd, low);
		return 0;
	}
	if (pid == 0)
		return 0;
	long host;
	if (low & CPUCLOCK_PERTHREAD)
		host = own_thread_host_tid(pid);
	else if (pid == current()->tid)
		host = host_syscall0(__NR_gettid);
	else
		host = task_host_of_id(pid);
	if (host <= 0)
		return -EINVAL;
	hc->id = make_cpuclock((int)host, low);
	return 0;
}

void clock_put(struct hclock *hc)
{
	if (hc->f)
		file_put(hc->f);
}

/* clock_gettime and clock_getres: the guest's clock id mapped to the
 * host's, the timespec written by the host (a NULL one for getres only
 * asks whether the clock exists and is passed on as NULL). */
static long clock_call(int nr, int clk, void *ts)
{
	struct hclock hc;
	long r = clock_to_host(clk, &hc);
	if (r < 0)
		return r;
	r = host_syscall2(nr, hc.id, user_ptr_for_host(ts, TIMESPEC_SIZE));
	clock_put(&hc);
	return r;
}

long sys_clock_gettime(int clk, void *ts)
{
	return clock_call(__NR_clock_gettime, clk, ts);
}

long sys_clock_getres(int clk, void *ts)
{
	return clock_call(__NR_clock_getres, clk, ts);
}

long sys_gettimeofday(void *tv, void *tz)
{
	return host_syscall2(__NR_gettimeofday,
			     user_ptr_for_host(tv, TIMEVAL_SIZE),
			     user_ptr_for_host(tz, TIMEZONE_SIZE));
}

long sys_time(long *t)
{
	/* Linux's time() is the timekeeper's whole seconds, which is what
	 * the coarse realtime clock reads (it may trail CLOCK_REALTIME by a
	 * tick, natively too). */
	struct timespec ts;
	long r = host_syscall2(__NR_clock_gettime, CLOCK_REALTIME_COARSE, &ts);
	if (r < 0)
		return r;
	if (t && copy_to_user(t, &ts.tv_sec, sizeof *t) < 0)
		return -EFAULT;
	return ts.tv_sec;
}

/* Sleeps wait in an interruptible host call.  A signal that runs a
 * handler ends the sleep with EINTR and the time left in rem; an ignored
 * one (or a stop and continue) lets it go on for the time left, as
 * Linux's restart block does. */
static long sleep_loop(long nr, long clk, int flags, const void *ureq,
		       void *urem)
{
	struct { long sec, nsec; } req, rem = { 0, 0 };
	if (copy_from_user(&req, ureq, sizeof req) < 0) /* the host's order */
		return nr == __NR_nanosleep
			       ? -EFAULT
			       : host_syscall4(nr, clk, flags, HOST_FAULT_ADDR, 0);
	for (;;) {
		long r = nr == __NR_nanosleep
				 ? intr_call(nr, (long)&req, (long)&rem, 0, 0, 0, 0)
				 : intr_call(nr, clk, flags, (long)&req, (long)&rem, 0, 0);
		if (r != -EINTR)
			return r;
		bool abs = nr != __NR_nanosleep && (flags & TIMER_ABSTIME);
		if (signal_interrupts()) {
			if (urem && !abs && copy_to_user(urem, &rem, sizeof rem) < 0)
				return -EFAULT;
			return -ERESTART_RESTARTBLOCK;
		}
		if (!abs)
			req = rem;
	}
}

long sys_nanosleep(const void *req, void *rem)
{
	return sleep_loop(__NR_nanosleep, 0, 0, req, rem);
}

long sys_clock_nanosleep(int clk, int flags, const void *req, void *rem)
{
	struct hclock hc;
	long r = clock_to_host(clk, &hc);
	if (r < 0)
		return r;
	r = sleep_loop(__NR_clock_nanosleep, hc.id, flags, req, rem);
	clock_put(&hc);
	return r;
}
