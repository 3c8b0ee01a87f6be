/* Setting the clocks: clock_settime, settimeofday, adjtimex and
 * clock_adjtime.  The read-only forms run as the user the test starts
 * as (root too); the changing forms only without CAP_SYS_TIME (root
 * first drops to nobody), so a native run never changes the clock: they
 * must fail with Linux's errors (EINVAL, EFAULT, EPERM). */
#include "tap.h"
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#define BAD ((void *)16)

static void test_queries(void)
{
	struct timex tx = { .modes = 0 };
	long r = syscall(SYS_adjtimex, &tx);
	ok(r >= TIME_OK && r <= TIME_ERROR, "adjtimex(modes 0) returns a clock state (%ld)", r);
	ok(tx.tick > 0 && tx.precision >= 0 && tx.time.tv_sec > 0,
	   "adjtimex(modes 0) fills the struct (tick %ld)", tx.tick);
	struct timex tx2 = { .modes = ADJ_OFFSET_SS_READ };
	r = syscall(SYS_adjtimex, &tx2);
	ok(r >= TIME_OK && r <= TIME_ERROR, "adjtimex(ADJ_OFFSET_SS_READ) is a query");
	struct timex tx3 = { .modes = 0 };
	r = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx3);
	ok(r >= TIME_OK && r <= TIME_ERROR && tx3.tick == tx.tick,
	   "clock_adjtime(CLOCK_REALTIME, modes 0) as adjtimex");
	fails_with(syscall(SYS_adjtimex, BAD), EFAULT, "adjtimex of a bad pointer");
	fails_with(syscall(SYS_clock_adjtime, CLOCK_REALTIME, BAD), EFAULT,
		   "clock_adjtime of a bad pointer");
	fails_with(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx3), EOPNOTSUPP,
		   "clock_adjtime(CLOCK_MONOTONIC)");
	fails_with(syscall(SYS_clock_adjtime, CLOCK_PROCESS_CPUTIME_ID, &tx3), EOPNOTSUPP,
		   "clock_adjtime(CLOCK_PROCESS_CPUTIME_ID)");
	fails_with(syscall(SYS_clock_adjtime, 12, &tx3), EINVAL, "clock_adjtime(clock 12)");
	struct timex bad = { .modes = 0x8000 }; /* ADJ_ADJTIME */
	fails_with(syscall(SYS_adjtimex, &bad), EINVAL,
		   "adjtimex ADJ_ADJTIME without SINGLESHOT");
}

static void test_changes(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	fails_with(syscall(SYS_clock_settime, CLOCK_REALTIME, &now), EPERM,
		   "clock_settime(CLOCK_REALTIME)");
	fails_with(syscall(SYS_clock_settime, CLOCK_REALTIME, BAD), EFAULT,
		   "clock_settime of a bad pointer");
	struct timespec bad_ts = { now.tv_sec, 1000000000L };
	fails_with(syscall(SYS_clock_settime, CLOCK_REALTIME, &bad_ts), EINVAL,
		   "clock_settime with tv_nsec 1e9");
	bad_ts.tv_sec = -1;
	bad_ts.tv_nsec = 0;
	fails_with(syscall(SYS_clock_settime, CLOCK_REALTIME, &bad_ts), EINVAL,
		   "clock_settime with tv_sec -1");
	fails_with(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &now), EINVAL,
		   "clock_settime(CLOCK_MONOTONIC)");
	fails_with(syscall(SYS_clock_settime, CLOCK_BOOTTIME, &now), EINVAL,
		   "clock_settime(CLOCK_BOOTTIME)");
	fails_with(syscall(SYS_clock_settime, CLOCK_MONOTONIC, BAD), EINVAL,
		   "clock_settime(CLOCK_MONOTONIC) with a bad pointer");
	fails_with(syscall(SYS_clock_settime, CLOCK_PROCESS_CPUTIME_ID, &now), EINVAL,
		   "clock_settime(CLOCK_PROCESS_CPUTIME_ID)");
	fails_with(syscall(SYS_clock_settime, 12, &now), EINVAL, "clock_settime(clock 12)");
	clockid_t cc;
	clock_getcpuclockid(getpid(), &cc);
	fails_with(syscall(SYS_clock_settime, cc, &now), EPERM,
		   "clock_settime of the own CPU clock");

	struct timeval tv = { now.tv_sec, 0 };
	fails_with(syscall(SYS_settimeofday, &tv, NULL), EPERM, "settimeofday");
	fails_with(syscall(SYS_settimeofday, NULL, NULL), EPERM, "settimeofday(NULL, NULL)");
	struct timezone tz = { 0, 0 };
	fails_with(syscall(SYS_settimeofday, NULL, &tz), EPERM, "settimeofday of the zone");
	fails_with(syscall(SYS_settimeofday, BAD, NULL), EFAULT, "settimeofday of a bad pointer");
	tv.tv_usec = 1000001;
	fails_with(syscall(SYS_settimeofday, &tv, NULL), EINVAL, "settimeofday with tv_usec 1000001");
	tv.tv_usec = -1;
	fails_with(syscall(SYS_settimeofday, &tv, NULL), EINVAL, "settimeofday with tv_usec -1");

	struct timex tx = { .modes = ADJ_FREQUENCY };
	fails_with(syscall(SYS_adjtimex, &tx), EPERM, "adjtimex(ADJ_FREQUENCY)");
	tx.modes = ADJ_OFFSET_SINGLESHOT;
	fails_with(syscall(SYS_adjtimex, &tx), EPERM, "adjtimex(ADJ_OFFSET_SINGLESHOT)");
	tx.modes = ADJ_SETOFFSET;
	fails_with(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx), EPERM,
		   "clock_adjtime(ADJ_SETOFFSET)");
	tx.modes = ADJ_NANO;
	fails_with(syscall(SYS_adjtimex, &tx), EPERM, "adjtimex(ADJ_NANO)");
	tx.modes = ADJ_FREQUENCY;
	fails_with(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx), EOPNOTSUPP,
		   "clock_adjtime(CLOCK_MONOTONIC) change");
}

int main(void)
{
	test_queries();
	if (geteuid() == 0) {
		ok(setresgid(65534, 65534, 65534) == 0 &&
			   setresuid(65534, 65534, 65534) == 0,
		   "root drops to nobody before trying changes");
	}
	test_changes();
	test_queries(); /* queries work unprivileged as well */
	return tap_done();
}
