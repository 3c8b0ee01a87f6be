/* Orphaned process groups (POSIX, Linux's kill_orphaned_pgrp): when an
 * exit leaves a process group with no member whose parent is in another
 * group of the same session, and a member is stopped, the group gets
 * SIGHUP then SIGCONT.  Set up: the test (a child subreaper, so orphans
 * come to it natively and under picos alike) forks B, a session leader;
 * B forks M, the leader of a group of its own in B's session; M forks C
 * in M's group, which stops itself.  M is the group's link (its parent B
 * is in another group of the session): when M exits, C's new parent is
 * the test, in another session, so the group is orphaned and C dies of
 * SIGHUP.  The same with C not stopped: nothing happens to it.  And with
 * the link kept (C reparented to a parent in the same session, through
 * B as subreaper): C stays, stopped, until killed. */
#include "tap.h"
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* Runs the scenario; returns C's wait status as the test sees it, after
 * SIGKILL if C was still there after 1 s. */
static int scenario(bool stop_c, bool b_subreaper, bool *c_was_alive)
{
	int cp[2];
	if (pipe(cp) < 0)
		return -1;
	pid_t b = fork();
	if (b == 0) {
		setsid();
		if (b_subreaper)
			prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		pid_t m = fork();
		if (m == 0) {
			setpgid(0, 0);
			pid_t c = fork();
			if (c == 0) {
				if (stop_c)
					raise(SIGSTOP);
				else
					for (;;)
						pause();
				_exit(0); /* continued without SIGHUP */
			}
			if (write(cp[1], &c, sizeof c) != sizeof c)
				_exit(1);
			int st;
			if (stop_c) /* C is stopped before M goes */
				waitpid(c, &st, WUNTRACED);
			_exit(0);
		}
		int st;
		waitpid(m, &st, 0);
		if (b_subreaper) { /* C is B's now: B waits for it */
			pid_t c;
			if (read(cp[0], &c, sizeof c) != sizeof c)
				_exit(1);
			usleep(300 * 1000);
			/* (its stop was M's to collect) */
			bool there = waitpid(c, &st, WNOHANG) == 0;
			kill(c, SIGKILL);
			waitpid(c, &st, 0);
			_exit(there && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : 3);
		}
		for (;;)
			pause();
	}
	int st = 0;
	if (b_subreaper) {
		waitpid(b, &st, 0);
		close(cp[0]);
		close(cp[1]);
		*c_was_alive = true;
		return st;
	}
	pid_t c;
	if (read(cp[0], &c, sizeof c) != sizeof c)
		return -1;
	close(cp[0]);
	close(cp[1]);
	/* C is the test's child once M has ended */
	int r = 0;
	for (int i = 0; i < 100; i++) {
		r = waitpid(c, &st, WNOHANG);
		if (r == c)
			break;
		usleep(10 * 1000);
	}
	*c_was_alive = r != c;
	if (r != c) {
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
	}
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	return st;
}

int main(void)
{
	ok(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "the test is a subreaper");
	bool alive = false;
	int st = scenario(true, false, &alive);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP,
	   "a stopped member of a newly orphaned group dies of SIGHUP (status %#x)", st);
	st = scenario(false, false, &alive);
	ok(alive && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	   "no stopped member: the orphaned group is left alone (status %#x)", st);
	st = scenario(true, true, &alive);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a group still linked in its session is left alone (status %#x)", st);
	return tap_done();
}
