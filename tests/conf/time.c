/* Clocks, sleeps and futex waits: values, timing and error paths.  The
 * clock calls go through syscall() so that the native run does not take
 * the vDSO (which faults instead of returning EFAULT). */
#include "tap.h"
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A pid no process has (above any pid_max, and small enough for a CPU
 * clock id). */
#define MS 1000000L

static long sys_gettime(long clk, void *ts)
{
	return syscall(SYS_clock_gettime, clk, ts);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t now(clockid_t clk)
{
	struct timespec t;
	sys_gettime(clk, &t);
	return ns_of(&t);
}

static int make_cpuclock(int pid, int low)
{
	return (int)((~(unsigned)pid << 3) | (unsigned)low);
}

static void test_clocks(void)
{
	static const int clocks[] = {
		CLOCK_REALTIME,		CLOCK_MONOTONIC,	CLOCK_PROCESS_CPUTIME_ID,
		CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
		CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,	CLOCK_TAI,
	};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		struct timespec t = { -1, -1 }, r = { -1, -1 };
		ok(sys_gettime(clocks[i], &t) == 0 && t.tv_sec >= 0 &&
			   t.tv_nsec >= 0 && t.tv_nsec < 1000000000,
		   "clock_gettime(%d)", clocks[i]);
		ok(syscall(SYS_clock_getres, clocks[i], &r) == 0 && r.tv_sec == 0 &&
			   r.tv_nsec > 0,
		   "clock_getres(%d)", clocks[i]);
	}
	struct timespec t;
	fails_with(sys_gettime(10, &t), EINVAL, "clock_gettime of the removed clock 10");
	fails_with(sys_gettime(12, &t), EINVAL, "clock_gettime of clock 12");
	fails_with(sys_gettime(1000, &t), EINVAL, "clock_gettime of clock 1000");
	fails_with(sys_gettime(make_cpuclock(0, 7), &t), EINVAL,
		   "clock_gettime of a bad CPU clock type");
	fails_with(sys_gettime(make_cpuclock(1000, 3), &t), EINVAL,
		   "clock_gettime of a closed fd clock");
	fails_with(sys_gettime(make_cpuclock(1, 3), &t), EINVAL,
		   "clock_gettime of an fd that is not a clock");
	fails_with(sys_gettime(CLOCK_MONOTONIC, NULL), EFAULT, "clock_gettime into NULL");
	fails_with(sys_gettime(CLOCK_MONOTONIC, (void *)1), EFAULT,
		   "clock_gettime into a bad pointer");
	fails_with(sys_gettime(12, NULL), EINVAL,
		   "clock_gettime checks the clock before the pointer");
	ok(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL) == 0, "clock_getres(NULL)");
	fails_with(syscall(SYS_clock_getres, 12, NULL), EINVAL, "clock_getres of a bad clock");
	fails_with(syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void *)1), EFAULT,
		   "clock_getres into a bad pointer");

	/* CPU clocks of the own process and thread, by id. */
	clockid_t cid;
	ok(clock_getcpuclockid(getpid(), &cid) == 0, "clock_getcpuclockid(getpid())");
	ok(sys_gettime(cid, &t) == 0, "clock_gettime of the own process clock");
	ok(sys_gettime(make_cpuclock(gettid(), 6), &t) == 0,
	   "clock_gettime of the own thread clock");
	ok(sys_gettime(make_cpuclock(0, 2), &t) == 0, "clock_gettime of CPU clock pid 0");

	/* Monotonic clocks do not go back. */
	static const int mono[] = { CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
				    CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE };
	for (unsigned i = 0; i < sizeof mono / sizeof mono[0]; i++) {
		int64_t a = now(mono[i]), b = a;
		int back = 0;
		for (int k = 0; k < 1000; k++) {
			b = now(mono[i]);
			back |= b < a;
			a = b;
		}
		ok(!back, "clock %d is monotonic", mono[i]);
	}
	int64_t c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (volatile long k = 0; k < 3000000; k++)
		;
	ok(now(CLOCK_PROCESS_CPUTIME_ID) > c0, "the process CPU clock advances");
}

static void test_tod(void)
{
	struct timeval tv;
	struct timezone tz;
	ok(syscall(SYS_gettimeofday, &tv, &tz) == 0 && tv.tv_usec >= 0 &&
		   tv.tv_usec < 1000000,
	   "gettimeofday");
	long t = syscall(SYS_time, NULL);
	ok(t >= tv.tv_sec - 1 && t <= tv.tv_sec + 1, "time agrees with gettimeofday");
	ok(t > 1600000000, "time is after 2020 (%ld)", t);
	time_t t2 = 0;
	ok(syscall(SYS_time, &t2) == t2 && t2 >= t, "time stores its value");
	ok(syscall(SYS_gettimeofday, NULL, NULL) == 0, "gettimeofday(NULL, NULL)");
	ok(syscall(SYS_gettimeofday, NULL, &tz) == 0, "gettimeofday of the zone only");
	fails_with(syscall(SYS_gettimeofday, (void *)1, NULL), EFAULT,
		   "gettimeofday into a bad pointer");
	fails_with(syscall(SYS_gettimeofday, &tv, (void *)1), EFAULT,
		   "gettimeofday with a bad zone pointer");
	fails_with(syscall(SYS_time, (void *)1), EFAULT, "time into a bad pointer");
	struct timespec rt;
	sys_gettime(CLOCK_REALTIME, &rt);
	ok(rt.tv_sec >= t - 1 && rt.tv_sec <= t + 1, "CLOCK_REALTIME agrees with time");
}

static void test_sleep(void)
{
	struct timespec req = { 0, 10 * MS }, rem = { 7, 7 };
	int64_t a = now(CLOCK_MONOTONIC);
	ok(syscall(SYS_nanosleep, &req, &rem) == 0, "nanosleep 10 ms");
	int64_t d = now(CLOCK_MONOTONIC) - a;
	ok(d >= 10 * MS, "it slept at least 10 ms (%ld us)", (long)(d / 1000));
	ok(d < 5000 * MS, "and not for ages");
	ok(rem.tv_sec == 7 && rem.tv_nsec == 7, "rem is untouched when not interrupted");
	req.tv_nsec = 0;
	ok(syscall(SYS_nanosleep, &req, (void *)1) == 0,
	   "nanosleep 0 with a bad rem pointer (unused)");
	req.tv_nsec = 1000000000;
	fails_with(syscall(SYS_nanosleep, &req, NULL), EINVAL, "nanosleep with tv_nsec 1e9");
	req.tv_nsec = -1;
	fails_with(syscall(SYS_nanosleep, &req, NULL), EINVAL, "nanosleep with tv_nsec -1");
	req.tv_sec = -1;
	req.tv_nsec = 0;
	fails_with(syscall(SYS_nanosleep, &req, NULL), EINVAL, "nanosleep with tv_sec -1");
	fails_with(syscall(SYS_nanosleep, NULL, NULL), EFAULT, "nanosleep(NULL)");
	fails_with(syscall(SYS_nanosleep, (void *)1, NULL), EFAULT,
		   "nanosleep of a bad pointer");

	req.tv_sec = 0;
	req.tv_nsec = 10 * MS;
	a = now(CLOCK_MONOTONIC);
	ok(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL) == 0,
	   "clock_nanosleep 10 ms");
	ok(now(CLOCK_MONOTONIC) - a >= 10 * MS, "it slept at least 10 ms");
	struct timespec until;
	sys_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 10 * MS;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	ok(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &until,
		   (void *)1) == 0,
	   "clock_nanosleep TIMER_ABSTIME (rem unused)");
	struct timespec after;
	sys_gettime(CLOCK_REALTIME, &after);
	ok(ns_of(&after) >= ns_of(&until), "it woke after the deadline");
	sys_gettime(CLOCK_MONOTONIC, &after);
	after.tv_sec -= 1;
	ok(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &after,
		   NULL) == 0,
	   "an absolute time in the past returns at once");
	ok(syscall(SYS_clock_nanosleep, CLOCK_BOOTTIME, 0, &req, NULL) == 0,
	   "clock_nanosleep on CLOCK_BOOTTIME");
	ok(syscall(SYS_clock_nanosleep, CLOCK_TAI, 0, &req, NULL) == 0,
	   "clock_nanosleep on CLOCK_TAI");
	fails_with(syscall(SYS_clock_nanosleep, 12, 0, &req, NULL), EINVAL,
		   "clock_nanosleep on a bad clock");
	fails_with(syscall(SYS_clock_nanosleep, 12, 0, NULL, NULL), EINVAL,
		   "clock_nanosleep checks the clock before the request");
	fails_with(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &req, NULL),
		   EOPNOTSUPP, "clock_nanosleep on CLOCK_MONOTONIC_RAW");
	fails_with(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL),
		   EOPNOTSUPP, "clock_nanosleep on the thread CPU clock");
	fails_with(syscall(SYS_clock_nanosleep, make_cpuclock(gettid(), 6), 0, &req,
			   NULL),
		   EINVAL, "clock_nanosleep on the own thread's CPU clock by tid");
	clockid_t cid;
	clock_getcpuclockid(getpid(), &cid);
	struct timespec zero = { 0, 0 };
	ok(syscall(SYS_clock_nanosleep, cid, TIMER_ABSTIME, &zero, NULL) == 0,
	   "clock_nanosleep on the own process CPU clock, already past");
	fails_with(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, NULL, NULL), EFAULT,
		   "clock_nanosleep(NULL)");
	req.tv_nsec = 1000000000;
	fails_with(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), EINVAL,
		   "clock_nanosleep with tv_nsec 1e9");
	req.tv_nsec = 10 * MS;
	ok(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "glibc clock_nanosleep");
	ok(usleep(1000) == 0, "usleep");
}

static long futex(void *uaddr, int op, uint32_t val, const void *ts, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

static void test_futex(void)
{
	static uint32_t word = 5;
	struct timespec ts = { 0, 10 * MS };
	ok(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0) == 0, "FUTEX_WAKE wakes nobody");
	ok(futex(&word, FUTEX_WAKE, 1, NULL, 0) == 0, "shared FUTEX_WAKE");
	ok(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, ~0u) == 0, "FUTEX_WAKE_BITSET");
	fails_with(futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, 0), EAGAIN,
		   "FUTEX_WAIT on a changed value");
	fails_with(futex(&word, FUTEX_WAIT, 4, &ts, 0), EAGAIN,
		   "shared FUTEX_WAIT on a changed value");
	int64_t a = now(CLOCK_MONOTONIC);
	fails_with(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, 0), ETIMEDOUT,
		   "FUTEX_WAIT times out");
	ok(now(CLOCK_MONOTONIC) - a >= 10 * MS, "after at least 10 ms");
	struct timespec until;
	sys_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 10 * MS;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	fails_with(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5,
			 &until, ~0u),
		   ETIMEDOUT, "FUTEX_WAIT_BITSET with an absolute realtime deadline");
	fails_with(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, 0), EINVAL,
		   "FUTEX_WAIT_BITSET with an empty bitset");
	fails_with(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, 0), EINVAL,
		   "FUTEX_WAKE_BITSET with an empty bitset");
	fails_with(futex(&word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts, 0),
		   ENOSYS, "FUTEX_CLOCK_REALTIME with plain FUTEX_WAIT");
	fails_with(futex((char *)&word + 1, FUTEX_WAKE_PRIVATE, 1, NULL, 0), EINVAL,
		   "a misaligned futex word");
	fails_with(futex(NULL, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EFAULT,
		   "FUTEX_WAIT on NULL");
	fails_with(futex(&word, FUTEX_WAIT_PRIVATE, 5, (void *)1, 0), EFAULT,
		   "FUTEX_WAIT with a bad timeout pointer");
	fails_with(futex(NULL, FUTEX_WAIT_PRIVATE, 0, (void *)1, 0), EFAULT,
		   "the timeout is read first");
	struct timespec bad = { 0, 1000000000 };
	fails_with(futex(&word, FUTEX_WAIT_PRIVATE, 5, &bad, 0), EINVAL,
		   "FUTEX_WAIT with tv_nsec 1e9");
	fails_with(futex(&word, 99, 0, NULL, 0), ENOSYS, "an unknown futex op");

	/* Unmapped memory: a private wake does not touch it, a wait does. */
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, 4096);
	ok(futex(p, FUTEX_WAKE_PRIVATE, 1, NULL, 0) == 0, "private wake on unmapped memory");
	fails_with(futex(p, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EFAULT,
		   "wait on unmapped memory");
	fails_with(futex(p, FUTEX_WAKE, 1, NULL, 0), EFAULT, "shared wake on unmapped memory");
	void *far = (void *)0x7e0000001000UL;
	ok(futex(far, FUTEX_WAKE_PRIVATE, 1, NULL, 0) == 0,
	   "private wake at 0x7e0000001000");
	fails_with(futex(far, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EFAULT,
		   "wait at 0x7e0000001000");
	fails_with(futex((char *)far + 2, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EINVAL,
		   "misaligned wait at 0x7e0000001002");
	void *kern = (void *)0xffff800000000000UL;
	fails_with(futex(kern, FUTEX_WAKE_PRIVATE, 1, NULL, 0), EFAULT,
		   "private wake at a kernel address");
}

int main(void)
{
	test_clocks();
	test_tod();
	test_sleep();
	test_futex();
	return tap_done();
}
