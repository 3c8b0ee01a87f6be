/* Setting the clocks: clock_settime, settimeofday, adjtimex,
 * clock_adjtime.  A world is like an unprivileged container: it may read
 * the host's clock state but never change it, even as guest root (the
 * world has no CAP_SYS_TIME on the host either, src/sandbox/caps.c).  So
 * each call makes Linux's argument checks in Linux's order and then
 * answers a change with EPERM, as Linux answers a caller without
 * CAP_SYS_TIME; the read-only forms of adjtimex are the host's. */
#include "../kernel.h"
#include "../syscalls.h"
#include "clock.h"
#include <linux/time.h>

#define TIMEX_SIZE 208 /* struct __kernel_timex */
#define ADJ_ADJTIME 0x8000
#define ADJ_OFFSET_SINGLESHOT 0x8001
#define ADJ_OFFSET_READONLY 0x2000
#define ADJ_TICK 0x4000
#define USER_HZ 100
#define NSEC_PER_SEC 1000000000L
/* Linux's TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years of uptime. */
#define SETTOD_SEC_MAX (9223372036LL - 946080000LL)

struct ktimex {
	unsigned modes;
	int pad0;
	long offset, freq, maxerror, esterror;
	int status;
	int pad1;
	long constant, precision, tolerance;
	struct { long sec, usec; } time;
	long tick;
	long rest[14];
};

static bool valid_settod(long sec, long nsec)
{
	return sec >= 0 && sec < SETTOD_SEC_MAX && nsec >= 0 && nsec < NSEC_PER_SEC;
}

/* Whether a clock id names a clock that exists (the host's answer for
 * its ids, the world's for pids and tids in CPU clocks). */
static long clock_exists(int clk)
{
	struct hclock hc;
	long r = clock_to_host(clk, &hc);
	if (r == 0)
		r = host_syscall2(__NR_clock_getres, hc.id, NULL);
	clock_put(&hc);
	return r;
}

long sys_clock_settime(int clk, const void *uts)
{
	struct { long sec, nsec; } ts;
	bool cpu = clk < 0 && (clk & CPUCLOCK_WHICH_MASK) != CLOCKFD;
	/* Only CLOCK_REALTIME, the CPU clocks of pids and tids (not
	 * CLOCK_PROCESS_CPUTIME_ID itself) and clock devices have a
	 * clock_set. */
	if (clk >= 0 && clk != CLOCK_REALTIME && !cpu)
		return -EINVAL;
	if (copy_from_user(&ts, uts, sizeof ts) < 0)
		return -EFAULT;
	if (clk == CLOCK_REALTIME)
		return valid_settod(ts.sec, ts.nsec) ? -EPERM : -EINVAL;
	/* CPU clocks cannot be set (EPERM once the clock is found); the
	 * world holds no posix clock devices (EINVAL for another fd). */
	long r = cpu ? clock_exists(clk) : -EINVAL;
	return r < 0 ? r : -EPERM;
}

long sys_settimeofday(const void *utv, const void *utz)
{
	struct { long sec, usec; } tv;
	int tz[2];
	if (utv) {
		if (copy_from_user(&tv, utv, sizeof tv) < 0)
			return -EFAULT;
		if (tv.usec > 1000000 || tv.usec < 0)
			return -EINVAL;
	}
	if (utz && copy_from_user(tz, utz, sizeof tz) < 0)
		return -EFAULT;
	if (utv && !valid_settod(tv.sec, tv.usec * 1000))
		return -EINVAL;
	return -EPERM; /* the capability check comes before the zone's */
}

/* Linux's timekeeping_validate_timex up to the capability checks: only
 * the read-only modes pass. */
static long timex_query_only(const struct ktimex *tx)
{
	if (tx->modes & ADJ_ADJTIME) {
		if ((tx->modes & ADJ_OFFSET_SINGLESHOT) != ADJ_OFFSET_SINGLESHOT)
			return -EINVAL;
		return (tx->modes & ADJ_OFFSET_READONLY) ? 0 : -EPERM;
	}
	return tx->modes ? -EPERM : 0;
}

static long adjtimex_realtime(void *utx)
{
	struct ktimex tx;
	_Static_assert(sizeof tx == TIMEX_SIZE, "struct __kernel_timex");
	if (copy_from_user(&tx, utx, sizeof tx) < 0)
		return -EFAULT;
	long r = timex_query_only(&tx);
	if (r < 0)
		return r;
	r = host_syscall1(__NR_adjtimex, &tx);
	if (r >= 0 && copy_to_user(utx, &tx, sizeof tx) < 0)
		return -EFAULT;
	return r;
}

long sys_adjtimex(void *utx)
{
	return adjtimex_realtime(utx);
}

long sys_clock_adjtime(int clk, void *utx)
{
	struct ktimex tx;
	/* Linux copies the struct in before it looks at the clock. */
	if (copy_from_user(&tx, utx, sizeof tx) < 0)
		return -EFAULT;
	if (clk == CLOCK_REALTIME)
		return adjtimex_realtime(utx);
	if (clk < 0 && (clk & CPUCLOCK_WHICH_MASK) == CLOCKFD)
		return -EINVAL; /* no posix clock devices in a world */
	long r = clock_exists(clk);
	return r < 0 ? r : -EOPNOTSUPP; /* no clock_adj */
}
