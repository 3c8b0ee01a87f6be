/* The alarm clocks (CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM) need
 * CAP_WAKE_ALARM for timerfd_create and timer_create: a guest without it
 * gets EPERM even when the host process behind it holds it (a world
 * started by root, guest dropped to uid 65534).  As root the checks run
 * in a child that dropped to uid 65534 first. */
#include "tap.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

static void checks(void (*report)(int, const char *, ...))
{
	clockid_t clocks[] = { CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM };
	for (int i = 0; i < 2; i++) {
		errno = 0;
		int fd = timerfd_create(clocks[i], TFD_CLOEXEC);
		report(fd == -1 && errno == EPERM,
		       "timerfd_create of alarm clock %d fails with EPERM",
		       clocks[i]);
		errno = 0;
		report(timerfd_create(clocks[i], 0x1234) == -1 && errno == EINVAL,
		       "bad flags are EINVAL first");
		struct sigevent sev = { .sigev_notify = SIGEV_NONE };
		timer_t t;
		errno = 0;
		long r = syscall(SYS_timer_create, clocks[i], &sev, &t);
		/* EOPNOTSUPP first where the machine has no RTC. */
		report(r == -1 && (errno == EPERM || errno == EOPNOTSUPP),
		       "timer_create of alarm clock %d is refused", clocks[i]);
	}
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	report(fd >= 0, "timerfd_create(CLOCK_MONOTONIC) works");
	close(fd);
}

static void tap_report(int cond, const char *what, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, what);
	vsnprintf(buf, sizeof buf, what, ap);
	va_end(ap);
	ok(cond, "%s", buf);
}

static void child_report(int cond, const char *what, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, what);
	vsnprintf(buf, sizeof buf, what, ap);
	va_end(ap);
	rok(cond, "%s", buf);
}

int main(void)
{
	if (getuid() != 0) {
		checks(tap_report);
		return tap_done();
	}
	int fds[2];
	ok(pipe(fds) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		rep_fd = fds[1];
		rok(setresuid(65534, 65534, 65534) == 0, "setresuid(65534)");
		checks(child_report);
		_exit(0);
	}
	close(fds[1]);
	struct rec r;
	while (read(fds[0], &r, sizeof r) == sizeof r)
		ok(r.pass, "uid 65534: %s", r.what);
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the child exited");
	return tap_done();
}
