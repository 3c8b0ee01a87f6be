/* Exits racing waits: what a parent sees when its children end by
 * exit or exit_group (under picos such a child records its own end and
 * wakes its parent; deaths by signal and the rest go through the
 * world's init).  Many children ending at once under one wait loop;
 * SIGCHLD's siginfo for an exit and for a kill, and SIGCHLD already
 * pending when the wait returns; WNOWAIT then wait; a pipe's end and a
 * pidfd's readiness once the wait returned; exit_group from a thread
 * while the main thread waits; kills racing an exit; orphans reparented
 * to a subreaper when their parent ends just before or after them;
 * SIGCHLD ignored or SA_NOCLDWAIT (auto-reaping); a child dropped to
 * another uid signalling its root parent; CPU time in wait4's rusage.  Pids are
 * only compared with each other. */
#include "tap.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define MANY 64

/* MANY children end at once with codes of their own; one wait(-1) loop
 * takes every one exactly once, with its own code, then ECHILD. */
/* Reaps child c (its status in *st) and tells whether its SIGCHLD (held
 * by `chld`, blocked) was pending when waitpid returned; takes it. */
static bool reaped_with_sigchld(pid_t c, const sigset_t *chld, int *st)
{
	waitpid(c, st, 0);
	sigset_t pend;
	sigpending(&pend);
	bool pending = sigismember(&pend, SIGCHLD);
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	sigtimedwait(chld, &si, &zero);
	return pending;
}

static void many_children(void)
{
	pid_t pid[MANY];
	for (int i = 0; i < MANY; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(i + 1);
	}
	int seen = 0, wrong = 0;
	bool got[MANY] = { 0 };
	for (;;) {
		int st;
		pid_t w = wait(&st);
		if (w < 0)
			break;
		int i = 0;
		while (i < MANY && pid[i] != w)
			i++;
		if (i == MANY || got[i] || !WIFEXITED(st) || WEXITSTATUS(st) != i + 1)
			wrong++;
		else
			got[i] = true, seen++;
	}
	int e = errno;
	ok(seen == MANY && !wrong, "wait(-1) took all %d children once each, with their codes (%d, %d wrong)",
	   MANY, seen, wrong);
	ok(e == ECHILD, "then ECHILD (%d)", e);
}

/* SIGCHLD blocked: the siginfo sigwaitinfo reads for an exit and for a
 * kill; and SIGCHLD is pending by the time a wait returns the child. */
static void sigchld_info(void)
{
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int s = sigwaitinfo(&chld, &si);
	ok(s == SIGCHLD && si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 7,
	   "exit: SIGCHLD with CLD_EXITED, status 7, the child's pid (%d %d %d)", s,
	   si.si_code, si.si_status);
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7, "waitpid: exited 7");

	c = fork();
	if (c == 0)
		for (;;)
			pause();
	kill(c, SIGTERM);
	memset(&si, 0, sizeof si);
	s = sigwaitinfo(&chld, &si);
	ok(s == SIGCHLD && si.si_pid == c && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
	   "kill: SIGCHLD with CLD_KILLED, SIGTERM (%d %d %d)", s, si.si_code, si.si_status);
	ok(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	   "waitpid: killed by SIGTERM");

	int missing = 0;
	for (int i = 0; i < 200; i++) {
		c = fork();
		if (c == 0)
			_exit(0);
		if (!reaped_with_sigchld(c, &chld, &st))
			missing++;
	}
	ok(!missing, "SIGCHLD pending whenever waitpid returned the child (missing %d of 200)", missing);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* waitid(WNOWAIT) leaves the zombie: the wait after it takes it. */
static void wnowait_then_wait(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(9);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	ok(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c &&
		   si.si_code == CLD_EXITED && si.si_status == 9,
	   "waitid(WNOWAIT): exited 9");
	memset(&si, 0, sizeof si);
	ok(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c,
	   "again: still there");
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 9, "waitpid: exited 9");
	fails_with(waitpid(c, &st, WNOHANG), ECHILD, "a second waitpid");
}

/* Once wait returned the child, its files are closed: a pipe it held
 * the write end of reads as ended, without waiting. */
static void pipe_end_after_wait(void)
{
	int bad = 0;
	for (int i = 0; i < 100; i++) {
		int p[2];
		if (pipe2(p, O_NONBLOCK) < 0)
			return (void)ok(0, "pipe2");
		pid_t c = fork();
		if (c == 0) {
			close(p[0]);
			_exit(0);
		}
		close(p[1]);
		int st;
		waitpid(c, &st, 0);
		char b;
		if (read(p[0], &b, 1) != 0)
			bad++;
		close(p[0]);
	}
	ok(!bad, "a pipe's end is seen as soon as wait returned its writer (%d of 100 not)", bad);
}

/* A pidfd of a child that ended is readable once a wait found it. */
static void pidfd_after_wait(void)
{
	int bad = 0;
	for (int i = 0; i < 50; i++) {
		pid_t c = fork();
		if (c == 0) {
			usleep(1000);
			_exit(0);
		}
		int fd = (int)syscall(SYS_pidfd_open, c, 0);
		if (fd < 0)
			return (void)ok(0, "pidfd_open");
		siginfo_t si;
		memset(&si, 0, sizeof si);
		waitid(P_PID, c, &si, WEXITED | WNOWAIT);
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 0) != 1)
			bad++;
		int st;
		waitpid(c, &st, 0);
		close(fd);
	}
	ok(!bad, "a pidfd is readable once waitid(WNOWAIT) found the exit (%d of 50 not)", bad);
}

static void *exit_from_thread(void *arg)
{
	(void)arg;
	usleep(20 * 1000);
	exit(3); /* exit_group, while the main thread waits */
}

/* A thread's exit_group ends the process while its main thread waits
 * for a child of its own; that child (a grandchild of the test, which
 * is a subreaper) comes to the test. */
static void thread_exit_group(void)
{
	int p[2];
	if (pipe(p) < 0)
		return (void)ok(0, "pipe");
	pid_t c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0)
			for (;;)
				pause();
		if (write(p[1], &g, sizeof g) != sizeof g)
			_exit(1);
		pthread_t t;
		pthread_create(&t, NULL, exit_from_thread, NULL);
		int st;
		waitpid(g, &st, 0);
		_exit(1); /* not reached */
	}
	pid_t g = -1;
	if (read(p[0], &g, sizeof g) != sizeof g)
		g = -1;
	close(p[0]);
	close(p[1]);
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	   "exit_group from a thread while the main thread waits: exited 3 (%#x)", st);
	kill(g, SIGKILL);
	ok(g > 0 && waitpid(g, &st, 0) == g && WIFSIGNALED(st),
	   "its child came to the subreaper");
}

/* A kill racing the child's own exit: either end, reported once. */
static void kill_racing_exit(void)
{
	int odd = 0;
	for (int i = 0; i < 200; i++) {
		pid_t c = fork();
		if (c == 0)
			_exit(5);
		if (i & 1)
			sched_yield();
		kill(c, SIGKILL);
		int st;
		pid_t w = waitpid(c, &st, 0);
		bool fine = w == c && ((WIFEXITED(st) && WEXITSTATUS(st) == 5) ||
				       (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL));
		errno = 0;
		if (!fine || waitpid(-1, &st, WNOHANG) != -1 || errno != ECHILD)
			odd++;
	}
	ok(!odd, "a kill racing an exit: exited 5 or killed, reported once (%d of 200 not)", odd);
}

/* B forks C and both end at once (B a moment before or after C): the
 * test, a subreaper, reaps B and then C with their codes. */
static void orphans_racing(void)
{
	int bad = 0;
	for (int i = 0; i < 60; i++) {
		pid_t b = fork();
		if (b == 0) {
			pid_t c = fork();
			if (c == 0) {
				if (i % 3 == 1)
					usleep(500);
				_exit(22);
			}
			if (i % 3 == 2)
				usleep(500);
			_exit(11);
		}
		int st, got_b = 0, got_c = 0;
		pid_t w;
		while ((w = waitpid(-1, &st, 0)) > 0) {
			if (w == b)
				got_b += WIFEXITED(st) && WEXITSTATUS(st) == 11;
			else
				got_c += WIFEXITED(st) && WEXITSTATUS(st) == 22;
		}
		if (got_b != 1 || got_c != 1)
			bad++;
	}
	ok(!bad, "parent and child ending together: the subreaper reaps both (%d of 60 not)", bad);
}

/* SIGCHLD ignored: children are reaped as they end, and a wait blocks
 * until the last one has, then fails with ECHILD. */
static void ignored_sigchld(void)
{
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < 20; i++)
		if (fork() == 0) {
			usleep(i * 200);
			_exit(0);
		}
	int st;
	errno = 0;
	pid_t w = wait(&st);
	ok(w == -1 && errno == ECHILD, "SIGCHLD ignored: wait ends with ECHILD once all 20 ended");
	signal(SIGCHLD, SIG_DFL);
}

static volatile sig_atomic_t nchld, last_code;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	nchld++;
	last_code = si->si_code;
}

/* SA_NOCLDWAIT with a handler: children are reaped as they end, the
 * handler still gets SIGCHLD, and a wait ends with ECHILD. */
static void nocldwait_handler(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT | SA_RESTART;
	sigaction(SIGCHLD, &sa, &old);
	nchld = 0;
	for (int i = 0; i < 10; i++)
		if (fork() == 0)
			_exit(i);
	int st;
	errno = 0;
	pid_t w = wait(&st);
	int e = errno;
	for (int i = 0; i < 100 && !nchld; i++)
		usleep(1000);
	ok(w == -1 && e == ECHILD, "SA_NOCLDWAIT: wait ends with ECHILD (%d, %d)", (int)w, e);
	ok(nchld >= 1 && last_code == CLD_EXITED, "and the handler got SIGCHLD, CLD_EXITED (%d, %d)",
	   (int)nchld, (int)last_code);
	sigaction(SIGCHLD, &old, NULL);
}

/* A child that dropped to another uid still signals its root parent
 * (Linux sends the exit signal whatever the ids). */
static void dropped_child(void)
{
	if (getuid() != 0) {
		ok(1, "# SKIP a uid drop needs root");
		return;
	}
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid_t c = fork();
	if (c == 0)
		_exit(setuid(65534) == 0 ? 4 : 1);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int s = sigwaitinfo(&chld, &si);
	ok(s == SIGCHLD && si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 4,
	   "a child dropped to uid 65534: SIGCHLD, CLD_EXITED 4 (%d %d %d)", s, si.si_code,
	   si.si_status);
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 4, "waitpid: exited 4");
	int missing = 0;
	for (int i = 0; i < 20; i++) {
		c = fork();
		if (c == 0)
			_exit(setuid(65534) == 0 ? 6 : 1);
		if (!reaped_with_sigchld(c, &chld, &st) || !WIFEXITED(st) || WEXITSTATUS(st) != 6)
			missing++;
	}
	ok(!missing, "its SIGCHLD pending when waitpid returned it (missing %d of 20)", missing);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* wait4's rusage holds the child's CPU time. */
static void rusage_of_child(void)
{
	pid_t c = fork();
	if (c == 0) {
		struct timespec a, b;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		do
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < 30000000L);
		_exit(0);
	}
	int st;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	ok(wait4(c, &st, 0, &ru) == c, "wait4 of a child that ran 30 ms");
	long us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
		  ru.ru_stime.tv_usec;
	ok(us >= 20000, "its rusage shows the CPU time (%ld us)", us);
}

int main(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	many_children();
	sigchld_info();
	wnowait_then_wait();
	pipe_end_after_wait();
	pidfd_after_wait();
	thread_exit_group();
	kill_racing_exit();
	orphans_racing();
	ignored_sigchld();
	nocldwait_handler();
	dropped_child();
	rusage_of_child();
	return tap_done();
}
