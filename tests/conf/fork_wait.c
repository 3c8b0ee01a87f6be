/* Process creation and reaping: fork, vfork, clone and clone3 without
 * CLONE_THREAD, getpid/getppid, wait4/waitpid/waitid and their statuses
 * (exit, signal, stop, continue), WNOHANG/WNOWAIT, ECHILD, EFAULT,
 * shared file offsets, process groups and sessions, SIGCHLD auto-reaping,
 * PR_SET_PDEATHSIG and PR_SET_CHILD_SUBREAPER.  Pids are only ever
 * compared with each other (the test is pid 1 under picos). */
#include "tap.h"
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define NOPID (4194304 + 4242) /* above PID_MAX_LIMIT: never a process */

static void *hide(unsigned long a) { void *volatile p = (void *)a; return p; }

/* Child checks: rok() and struct rec (tap.h). */

/* Runs fn in a forked child, prints its checks and checks that it exited
 * 0.  Returns the child's pid (already reaped). */
static pid_t in_child(void (*fn)(void), const char *what)
{
	int p[2];
	if (pipe(p) < 0)
		return ok(0, "%s: pipe", what), -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		rep_fd = p[1];
		fn();
		_exit(0);
	}
	close(p[1]);
	struct rec r;
	int n = 0, st = -1;
	while (read(p[0], &r, sizeof r) == sizeof r && ++n)
		ok(r.pass, "%s: %.120s", what, r.what);
	close(p[0]);
	int reaped = pid > 0 && waitpid(pid, &st, 0) == pid;
	ok(reaped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0,
	   "%s: child ran %d checks and exited 0 (status %#x)", what, n, st);
	return pid;
}

static void kill_child(pid_t pid, int sig) { if (pid > 0) kill(pid, sig); } /* never kill(-1) */

/* A child that (after stopping itself with SIGSTOP if `stop`) blocks
 * until the parent closes `gate` (its pipe's write end), then exits with
 * `code`. */
static pid_t gate_child(int gate[2], int code, int stop)
{
	if (pipe(gate) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(gate[1]);
		if (stop)
			raise(SIGSTOP);
		while (read(gate[0], &c, 1) > 0)
			;
		_exit(code);
	}
	close(gate[0]);
	return pid;
}
#define gated(gate, code) gate_child(gate, code, 0)
#define gated_stop(gate, code) gate_child(gate, code, 1)

static int exited(int st, int code) { return WIFEXITED(st) && WEXITSTATUS(st) == code; }
static int killed(int st, int sig) { return WIFSIGNALED(st) && WTERMSIG(st) == sig; }

/* The exit status of a child that exits with `code` (-1 on failure). */
static int status_of_exit(int code)
{
	int st = -1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(code);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* vfork: the child borrows the parent's memory until it exits. */
static volatile pid_t vf_ppid, vf_self;
static pid_t do_vfork(void)
{
	pid_t pid = vfork();
	if (pid == 0) {
		vf_ppid = getppid();
		vf_self = getpid();
		_exit(4);
	}
	return pid;
}

struct clone_args_v0 { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; };

/* Process groups and sessions, from children. */
static volatile sig_atomic_t nusr1, usr1_pid, usr1_code, usr1_status;
static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	nusr1++;
	usr1_pid = si->si_pid;
	usr1_code = si->si_code;
	usr1_status = si->si_status;
}

static volatile sig_atomic_t nchld, chld_pid, chld_code, chld_status;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	nchld++;
	chld_pid = si->si_pid;
	chld_code = si->si_code;
	chld_status = si->si_status;
}

static pid_t top_pid;
static void pgrp_child(void)
{
	rok(getppid() == top_pid, "child's getppid is the parent's getpid");
	rok(getpgrp() == getpgid(0) && getpgid(0) == getpgid(getpid()), "getpgrp == getpgid(0) == getpgid(self)");
	rok(getpgrp() != getpid(), "a new child is not a group leader");
	rok(setpgid(0, 0) == 0 && getpgrp() == getpid() && getpgid(0) == getpid(), "setpgid(0, 0) makes it a group leader");
	rok(getsid(0) == getsid(top_pid), "it stays in its parent's session");
	errno = 0;
	int r = setsid(), e = errno;
	rok(r == -1 && e == EPERM, "setsid in a group leader fails with EPERM (errno %d)", e);
}
static void session_child(void)
{
	pid_t me = getpid();
	rok(setsid() == me, "setsid returns the caller's pid");
	rok(getsid(0) == me && getpgrp() == me && getpgid(0) == me, "getsid(0) == getpgrp() == pid after setsid");
	errno = 0;
	int r = setsid(), e = errno;
	rok(r == -1 && e == EPERM, "a second setsid fails with EPERM (errno %d)", e);
	errno = 0;
	r = setpgid(0, getpgid(top_pid));
	e = errno;
	rok(r == -1 && e == EPERM, "setpgid of a session leader fails with EPERM (errno %d)", e);
}

int main(void)
{
	alarm(20);
	pid_t self = getpid(), pid;
	pid_t other = getppid() > 0 ? getppid() : NOPID; /* an existing non-child where there is one */
	int st, gate[2];
	top_pid = self;

	/* Nothing to wait for yet, and other processes are no children. */
	fails_with(waitpid(-1, &st, 0), ECHILD, "waitpid(-1) with no children");
	fails_with(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1, WNOHANG) with no children");
	fails_with(waitpid(other, &st, 0), ECHILD, "waitpid on a non-child pid");
	fails_with(waitpid(NOPID, &st, 0), ECHILD, "waitpid on a pid that does not exist");
	siginfo_t si;
	fails_with(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "waitid(P_ALL) with no children");
	fails_with(waitpid(-1, &st, 0x10000000), EINVAL, "waitpid with an unknown option bit");
	fails_with(waitid(P_ALL, 0, &si, 0), EINVAL, "waitid without WEXITED/WSTOPPED/WCONTINUED");

	/* fork: two processes, parent and child pids tie up. */
	int pp[2];
	pid_t seen = 0;
	if (pipe(pp) == 0) {
		pid = fork();
		if (pid == 0) {
			pid_t v[2] = { getpid(), getppid() };
			if (write(pp[1], v, sizeof v) < 0)
				_exit(1);
			_exit(0);
		}
		pid_t v[2] = { 0, 0 };
		ok(read(pp[0], v, sizeof v) == sizeof v, "the child reports its getpid/getppid");
		ok(pid > 0 && v[0] == pid && v[0] != self, "fork returns the child's pid to the parent (%d)", (int)pid);
		ok(v[1] == self, "the child's getppid is the parent's getpid");
		seen = waitpid(pid, &st, 0);
		ok(seen == pid && exited(st, 0), "waitpid returns the pid and status 0");
		close(pp[0]);
		close(pp[1]);
	}

	/* Exit statuses: only the low 8 bits travel. */
	ok(exited(status_of_exit(0), 0), "WEXITSTATUS 0");
	ok(exited(status_of_exit(3), 3), "WEXITSTATUS 3");
	ok(exited(status_of_exit(255), 255), "WEXITSTATUS 255");
	ok(exited(status_of_exit(256 + 7), 7), "_exit(263) is seen as 7");

	/* vfork: shared memory, the parent resumes after the child exits. */
	vf_ppid = vf_self = 0;
	pid = do_vfork();
	ok(pid > 0 && vf_self == pid && vf_ppid == self, "vfork child wrote its pid and ppid into shared memory");
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 4), "vfork child's status 4");

	/* clone and clone3 with SIGCHLD and no sharing flags act like fork. */
	pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0)
		_exit(getppid() == self ? 5 : 6);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 5), "clone(SIGCHLD): child sees its parent and exits 5");
	struct clone_args_v0 ca = { .exit_signal = SIGCHLD };
	pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		_exit(getppid() == self ? 8 : 9);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 8), "clone3(exit_signal SIGCHLD): child exits 8");
	fails_with(syscall(SYS_clone3, &ca, 8), EINVAL, "clone3 with a too-small size");

	/* A "clone" child: its exit signal is SIGUSR1, or none at all.  Only
	 * __WCLONE or __WALL waits see it; the parent gets that signal. */
	struct sigaction usr = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART }, old_usr;
	sigemptyset(&usr.sa_mask);
	sigaction(SIGUSR1, &usr, &old_usr);
	nusr1 = usr1_pid = usr1_code = usr1_status = 0;
	pid = syscall(SYS_clone, SIGUSR1, 0, NULL, NULL, 0);
	if (pid == 0)
		_exit(4);
	ok(pid > 0 && waitpid(pid, &st, __WCLONE) == pid && exited(st, 4), "clone(SIGUSR1): waitpid(__WCLONE) reaps it, status 4");
	ok(nusr1 == 1 && usr1_pid == pid && usr1_code == CLD_EXITED && usr1_status == 4,
	   "clone(SIGUSR1): the parent got SIGUSR1 with CLD_EXITED, the pid and status 4 (%d runs)", (int)nusr1);
	nusr1 = 0;
	pid = syscall(SYS_clone, SIGUSR1, 0, NULL, NULL, 0);
	if (pid == 0)
		_exit(2);
	fails_with(waitpid(pid, &st, 0), ECHILD, "waitpid without __WCLONE on a clone child");
	fails_with(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1) with only a clone child");
	ok(waitpid(pid, &st, __WALL) == pid && exited(st, 2), "waitpid(__WALL) reaps the clone child");
	pid = fork();
	if (pid == 0)
		_exit(1);
	fails_with(waitpid(pid, &st, __WCLONE), ECHILD, "waitpid(__WCLONE) on a fork child");
	ok(waitpid(pid, &st, 0) == pid && exited(st, 1), "waitpid reaps the fork child");
	nusr1 = 0;
	pid = syscall(SYS_clone, 0, 0, NULL, NULL, 0);
	if (pid == 0)
		_exit(6);
	ok(pid > 0 && waitpid(pid, &st, __WALL) == pid && exited(st, 6) && nusr1 == 0,
	   "clone with exit signal 0: __WALL reaps it, no signal");
	sigaction(SIGUSR1, &old_usr, NULL);
	fails_with(syscall(SYS_clone3, hide(1), sizeof ca), EFAULT, "clone3 with a bad args pointer");

	/* WNOHANG while the child runs; then wait4 with rusage. */
	pid = gated(gate, 0);
	ok(pid > 0 && waitpid(pid, &st, WNOHANG) == 0, "waitpid(WNOHANG) returns 0 while the child runs");
	memset(&si, 0xff, sizeof si);
	si.si_pid = 12345;
	ok(waitid(P_PID, pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0, "waitid(WNOHANG) returns 0, si_pid 0");
	close(gate[1]);
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	ok(pid > 0 && wait4(pid, &st, 0, &ru) == pid && exited(st, 0) && ru.ru_utime.tv_sec >= 0 &&
	   ru.ru_utime.tv_usec < 1000000, "wait4 with a rusage pointer");

	/* waitid: P_PID with WNOWAIT leaves the zombie, then P_ALL reaps it. */
	pid = fork();
	if (pid == 0)
		_exit(42);
	memset(&si, 0, sizeof si);
	ok(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid && si.si_signo == SIGCHLD &&
	   si.si_code == CLD_EXITED && si.si_status == 42 && si.si_uid == getuid(),
	   "waitid(P_PID, WNOWAIT): si_pid, si_signo SIGCHLD, si_code CLD_EXITED, si_status 42, si_uid");
	memset(&si, 0, sizeof si);
	ok(waitid(P_ALL, 0, &si, WEXITED) == 0 && si.si_pid == pid && si.si_status == 42,
	   "the zombie is still there for waitid(P_ALL)");
	fails_with(waitpid(pid, &st, WNOHANG), ECHILD, "waitpid after the zombie was reaped");

	/* setpgid from the parent, then waitid(P_PGID) and waitpid(-pgid). */
	pid = gated(gate, 11);
	ok(pid > 0 && setpgid(pid, pid) == 0 && getpgid(pid) == pid, "setpgid(child, child) from the parent");
	ok(getpgid(0) != pid, "the parent's group is unchanged");
	close(gate[1]);
	memset(&si, 0, sizeof si);
	ok(pid > 0 && waitid(P_PGID, pid, &si, WEXITED) == 0 && si.si_pid == pid && si.si_status == 11,
	   "waitid(P_PGID) finds the child in its group");
	pid = gated(gate, 12);
	ok(pid > 0 && setpgid(pid, 0) == 0 && getpgid(pid) == pid, "setpgid(child, 0) uses the child's pid");
	close(gate[1]);
	ok(pid > 0 && waitpid(-pid, &st, 0) == pid && exited(st, 12), "waitpid(-pgid)");
	fails_with(setpgid(other, 0), ESRCH, "setpgid of a non-child");
	fails_with(setpgid(NOPID, 0), ESRCH, "setpgid of a pid that does not exist");
	fails_with(setpgid(0, -1), EINVAL, "setpgid to a negative pgid");
	fails_with(waitid(P_PGID, getpgrp(), &si, WEXITED | WNOHANG), ECHILD, "waitid(P_PGID) on a group without children");
	ok(getsid(0) == getsid(self) && getpgid(0) == getpgrp() && getpgid(self) == getpgrp(),
	   "getsid(0)/getpgid(0) agree with the explicit-pid forms");

	/* A bad status pointer: the child is reaped all the same. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	fails_with(wait4(pid, hide(1), 0, NULL), EFAULT, "wait4 with a bad status pointer");
	fails_with(waitpid(pid, &st, WNOHANG), ECHILD, "waitpid after that EFAULT (the child was reaped anyway)");
	pid = fork();
	if (pid == 0)
		_exit(0);
	fails_with(waitid(P_PID, pid, hide(1), WEXITED), EFAULT, "waitid with a bad siginfo pointer");
	fails_with(waitpid(pid, &st, WNOHANG), ECHILD, "waitpid after the waitid EFAULT (the child was reaped anyway)");
	/* Linux writes the siginfo even when there is no child to report. */
	fails_with(waitid(P_ALL, 0, hide(1), WEXITED), EFAULT, "waitid to a bad pointer with no children");

	/* Stop and continue: WUNTRACED/WSTOPPED and WCONTINUED.  The child
	 * waits on a gate after it is continued: were it to exit at once, its
	 * exit could be reported instead of the continue. */
	pid = gated_stop(gate, 21);
	ok(pid > 0 && waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	   "waitpid(WUNTRACED) sees WIFSTOPPED, WSTOPSIG SIGSTOP");
	ok(pid > 0 && waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "a stop is reported once");
	kill_child(pid, SIGCONT);
	ok(pid > 0 && waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st), "waitpid(WCONTINUED) sees WIFCONTINUED");
	close(gate[1]);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 21), "then the child exits 21");
	pid = gated_stop(gate, 22);
	memset(&si, 0, sizeof si);
	ok(pid > 0 && waitid(P_PID, pid, &si, WSTOPPED) == 0 && si.si_pid == pid && si.si_code == CLD_STOPPED &&
	   si.si_status == SIGSTOP, "waitid(WSTOPPED): CLD_STOPPED, si_status SIGSTOP");
	kill_child(pid, SIGCONT);
	memset(&si, 0, sizeof si);
	ok(pid > 0 && waitid(P_PID, pid, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED &&
	   si.si_status == SIGCONT, "waitid(WCONTINUED): CLD_CONTINUED, si_status SIGCONT");
	close(gate[1]);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 22), "then the child exits 22");

	/* Death by signal. */
	pid = gated(gate, 0);
	kill_child(pid, SIGKILL);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && killed(st, SIGKILL) && !WIFEXITED(st),
	   "SIGKILL: WIFSIGNALED, WTERMSIG SIGKILL");
	close(gate[1]);
	pid = gated(gate, 0);
	kill_child(pid, SIGTERM);
	memset(&si, 0, sizeof si);
	ok(pid > 0 && waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_code == CLD_KILLED &&
	   si.si_status == SIGTERM, "SIGTERM: waitid sees CLD_KILLED, si_status SIGTERM");
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && killed(st, SIGTERM), "SIGTERM: WTERMSIG SIGTERM");
	close(gate[1]);

	/* fork shares the open file description, so its offset. */
	const char *dir = tap_scratch("fork_wait");
	mkdir(dir, 0700);
	const char *file = tap_join(dir, "f");
	int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600);
	pid = fork();
	if (pid == 0)
		_exit(write(fd, "hello", 5) == 5 ? 0 : 1);
	ok(fd >= 0 && pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 0), "child writes 5 bytes to an inherited fd");
	ok(lseek(fd, 0, SEEK_CUR) == 5, "the parent's offset moved to 5");
	close(fd);
	unlink(file);

	/* Process groups and sessions, seen from children. */
	in_child(pgrp_child, "pgrp");
	pid = in_child(session_child, "setsid");

	/* SA_NOCLDWAIT and SIG_IGN on SIGCHLD reap children automatically:
	 * wait blocks until they are gone, then fails with ECHILD. */
	struct sigaction sa = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT }, old;
	sigaction(SIGCHLD, &sa, &old);
	pid = fork();
	if (pid == 0)
		_exit(1);
	fails_with(waitpid(pid, &st, 0), ECHILD, "SA_NOCLDWAIT: waitpid");
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	pid = fork();
	if (pid == 0)
		_exit(1);
	fails_with(wait4(-1, &st, 0, NULL), ECHILD, "SIGCHLD SIG_IGN: wait4(-1)");
	sigaction(SIGCHLD, &old, NULL);
	ok(exited(status_of_exit(6), 6), "children are waitable again after SIG_DFL");

	/* SIGCHLD is owed even when wait reaps the child first: by the time
	 * waitpid returns, the handler has run once with the child's siginfo.
	 * With SA_NOCLDWAIT and a handler, Linux still sends it. */
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	for (int round = 0; round < 2; round++) {
		nchld = 0;
		chld_pid = chld_code = chld_status = 0;
		pid = fork();
		if (pid == 0)
			_exit(3);
		pid_t got = waitpid(pid, &st, 0);
		if (round == 0)
			ok(got == pid && exited(st, 3), "SIGCHLD handler: waitpid reaps the child");
		else
			ok(got == -1 && errno == ECHILD, "SA_NOCLDWAIT with a handler: waitpid fails with ECHILD");
		ok(nchld == 1 && chld_pid == pid && chld_code == CLD_EXITED && chld_status == 3,
		   "%s: the handler ran once before waitpid returned (%d runs, pid %s, code %d, status %d)",
		   round ? "SA_NOCLDWAIT" : "reaped child", (int)nchld,
		   chld_pid == pid ? "ok" : "wrong", (int)chld_code, (int)chld_status);
		sa.sa_flags |= SA_NOCLDWAIT;
		sigaction(SIGCHLD, &sa, NULL);
	}
	sigaction(SIGCHLD, &old, NULL);

	/* PR_SET_CHILD_SUBREAPER: orphans come to this process. */
	int on = -1;
	ok(prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on == 0, "PR_GET_CHILD_SUBREAPER: 0 by default");
	ok(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 && prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on == 1,
	   "PR_SET_CHILD_SUBREAPER 1 round trip");
	fails_with(prctl(PR_GET_CHILD_SUBREAPER, hide(1)), EFAULT, "PR_GET_CHILD_SUBREAPER to a bad pointer");
	int ready[2], res[2];
	if (pipe(ready) == 0 && pipe(res) == 0) {
		pid = fork(); /* the middle process */
		if (pid == 0) {
			pid_t mid = getpid(), g = fork();
			if (g == 0) { /* the grandchild: wait to be orphaned */
				char c = 'r';
				pid_t v[2] = { getpid(), 0 };
				if (write(ready[1], &c, 1) != 1)
					_exit(1);
				for (int i = 0; i < 2000 && getppid() == mid; i++)
					usleep(1000);
				v[1] = getppid();
				_exit(write(res[1], v, sizeof v) == sizeof v ? 0 : 1);
			}
			char c;
			_exit(g > 0 && read(ready[0], &c, 1) == 1 ? 0 : 1);
		}
		close(ready[1]);
		close(res[1]);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 0), "the middle process forks and exits");
		pid_t v[2] = { 0, 0 };
		ok(read(res[0], v, sizeof v) == sizeof v && v[1] == self,
		   "the orphaned grandchild's getppid becomes the subreaper's pid");
		ok(v[0] > 0 && waitpid(v[0], &st, 0) == v[0] && exited(st, 0), "the subreaper reaps the grandchild");
		close(ready[0]);
		close(res[0]);
	}

	/* PR_SET_PDEATHSIG: a grandchild dies with its parent; it is seen
	 * through the subreaper and through its pipe end closing. */
	if (pipe(ready) == 0 && pipe(res) == 0) {
		pid = fork();
		if (pid == 0) {
			pid_t mid = getpid(), g = fork();
			if (g == 0) {
				pid_t me = getpid();
				close(res[0]);
				if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != mid)
					_exit(1);
				if (write(ready[1], &me, sizeof me) != sizeof me)
					_exit(1);
				for (;;)
					pause();
			}
			pid_t gp = 0;
			_exit(g > 0 && read(ready[0], &gp, sizeof gp) == sizeof gp && gp == g ? 0 : 1);
		}
		close(res[1]);
		close(ready[1]);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 0), "pdeathsig: the middle process exits");
		char c;
		ok(read(res[0], &c, 1) == 0, "pdeathsig: the grandchild's pipe end closes");
		memset(&si, 0, sizeof si);
		ok(waitid(P_ALL, 0, &si, WEXITED) == 0 && si.si_code == CLD_KILLED && si.si_status == SIGKILL,
		   "pdeathsig: the grandchild died of SIGKILL");
		close(res[0]);
		close(ready[0]);
	}
	ok(prctl(PR_SET_CHILD_SUBREAPER, 0) == 0 && prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on == 0,
	   "PR_SET_CHILD_SUBREAPER 0");
	fails_with(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1) at the end (every child was reaped)");
	rmdir(dir);
	return tap_done();
}
