/* Real-time and deadline scheduling without CAP_SYS_NICE: EPERM under
 * RLIMIT_RTPRIO 0, whatever the host process behind the guest may do (a
 * world started by root whose guest dropped to uid 65534).  As root the
 * checks run in a child that dropped to uid 65534 first. */
#include "tap.h"
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
};

static void checks(void (*report)(int, const char *, ...))
{
	struct rlimit rl = { 0, 0 };
	report(setrlimit(RLIMIT_RTPRIO, &rl) == 0, "RLIMIT_RTPRIO 0");
	struct sched_param sp = { .sched_priority = 1 };
	errno = 0;
	report(sched_setscheduler(0, SCHED_FIFO, &sp) == -1 && errno == EPERM,
	       "SCHED_FIFO fails with EPERM");
	errno = 0;
	report(sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) == -1 &&
		       errno == EPERM,
	       "SCHED_RR|SCHED_RESET_ON_FORK fails with EPERM");
	sp.sched_priority = 100;
	errno = 0;
	report(sched_setscheduler(0, SCHED_FIFO, &sp) == -1 && errno == EINVAL,
	       "SCHED_FIFO priority 100 fails with EINVAL first");
	struct attr a = { .size = 48, .policy = SCHED_FIFO, .prio = 1 };
	errno = 0;
	report(syscall(SYS_sched_setattr, 0, &a, 0) == -1 && errno == EPERM,
	       "sched_setattr SCHED_FIFO fails with EPERM");
	a = (struct attr){ .size = 48, .policy = 6 /* SCHED_DEADLINE */,
			   .runtime = 1000000, .deadline = 10000000,
			   .period = 10000000 };
	errno = 0;
	report(syscall(SYS_sched_setattr, 0, &a, 0) == -1 && errno == EPERM,
	       "sched_setattr SCHED_DEADLINE fails with EPERM");
	sp.sched_priority = 0;
	report(sched_setscheduler(0, SCHED_BATCH, &sp) == 0 &&
		       sched_getscheduler(0) == SCHED_BATCH,
	       "SCHED_BATCH is allowed");
	report(sched_setscheduler(0, SCHED_OTHER, &sp) == 0,
	       "back to SCHED_OTHER");
	report(sched_getscheduler(0) == SCHED_OTHER, "the policy is SCHED_OTHER");
}

static void tap_report(int cond, const char *what, ...)
{
	ok(cond, "%s", what);
}

static void child_report(int cond, const char *what, ...)
{
	rok(cond, "%s", what);
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
