/* Signal delivery: handlers and their siginfo/ucontext, masks during and
 * after a handler, pending and queued signals, alternate stacks, register
 * preservation, nesting, kill/tgkill/tkill, sigsuspend/pause/sigtimedwait,
 * and default actions (seen from forked children). */
#include "tap.h"
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

#define NOPID (4194304 + 4242) /* above PID_MAX_LIMIT: never a process */

/* What the recording handler saw: counts, order and the last delivery. */
static volatile sig_atomic_t hits[NSIG];
static volatile int nrec;
static int rec_sig[16], rec_val[16];
static siginfo_t last;
static sigset_t in_mask, in_ucmask;
static void *volatile in_uc;
static volatile long in_rip;

static void rec(int sig, siginfo_t *si, void *uc)
{
	hits[sig]++;
	last = *si;
	if (nrec < 16) {
		rec_sig[nrec] = sig;
		rec_val[nrec] = si->si_value.sival_int;
		nrec++;
	}
	sigprocmask(SIG_BLOCK, NULL, &in_mask);
	in_uc = uc;
	if (uc) {
		in_rip = (long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
		in_ucmask = ((ucontext_t *)uc)->uc_sigmask;
	}
}

static void reset(void)
{
	memset((void *)hits, 0, sizeof hits);
	memset(&last, 0, sizeof last);
	nrec = in_rip = 0;
	in_uc = NULL;
}

/* Installs `rec` for `sig` with extra `flags`, also blocking `also`. */
static void on(int sig, int flags, int also)
{
	struct sigaction sa = { .sa_sigaction = rec, .sa_flags = SA_SIGINFO | flags };
	sigemptyset(&sa.sa_mask);
	if (also)
		sigaddset(&sa.sa_mask, also);
	sigaction(sig, &sa, NULL);
}

static void mask(int how, int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	sigprocmask(how, &s, NULL);
}

static int blocked(int sig) { sigset_t s; sigprocmask(SIG_BLOCK, NULL, &s); return sigismember(&s, sig); }
static int pending(int sig) { sigset_t s; sigpending(&s); return sigismember(&s, sig); }

static void arm(long us)
{
	struct itimerval it = { { 0, 0 }, { us / 1000000, us % 1000000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A forked watchdog SIGKILLs the test if it hangs (the tests use SIGALRM
 * themselves); it dies with its parent. */
static pid_t watchdog(int secs)
{
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_sec += secs;
		while (getppid() == parent &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
		if (getppid() == parent)
			kill(parent, SIGKILL);
		_exit(0);
	}
	return pid;
}

/* Waits up to 5 s for `pid` to change state per `flags`; -1 on timeout
 * or if fork failed (pid -1: never wait for or kill -1). */
static int waitfor(pid_t pid, int flags)
{
	for (int i = 0, st; pid > 0 && i < 5000; i++) {
		pid_t r = waitpid(pid, &st, flags | WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(1000);
	}
	return -1;
}

/* Reaps `pid` (killing it after 5 s); its wait status, or -1. */
static int reap(pid_t pid)
{
	int st = waitfor(pid, 0);
	if (st == -1 && pid > 0 && kill(pid, SIGKILL) == 0)
		waitpid(pid, NULL, 0);
	return st;
}

/* The wait status of a child that sets `sig` to `disp`, unblocks all
 * and sends `sig` to itself; no core files. */
static int child_status(int sig, void (*disp)(int))
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };
		setrlimit(RLIMIT_CORE, &rl);
		signal(sig, disp);
		mask(SIG_SETMASK, 0, 0);
		kill(getpid(), sig);
		_exit(0);
	}
	return reap(pid);
}
static void signal_child(pid_t c, int sig) { if (c > 0) kill(c, sig); } /* never kill(-1) */
static int killed_by(int st, int sig) { return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig; }
static int exited0(int st) { return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0; }

/* Alternate stack handler: where it runs and what sigaltstack says. */
static char altstk[1 << 16];
static volatile uintptr_t where;
static volatile int alt_flags, alt_change_errno;
static void on_alt(int sig)
{
	volatile char here = 0;
	stack_t s, n = { .ss_sp = altstk, .ss_size = sizeof altstk };
	where = (uintptr_t)&here;
	sigaltstack(NULL, &s);
	alt_flags = s.ss_flags;
	alt_change_errno = sigaltstack(&n, NULL) == -1 ? errno : 0;
	hits[sig]++;
}
static int on_altstk(void) { return where - (uintptr_t)altstk < sizeof altstk; }

/* A handler that computes with doubles, then trashes the caller-saved
 * general registers, some SSE registers and the flags. */
static void trash(int sig)
{
	volatile double d = 1.0;
	for (int i = 0; i < 50; i++)
		d = d * 1.75 + 0.5;
	__asm__ volatile("mov $-1, %%rax; mov %%rax, %%rcx; mov %%rax, %%rdx;"
			 "mov %%rax, %%rsi; mov %%rax, %%rdi; mov %%rax, %%r8;"
			 "mov %%rax, %%r9; mov %%rax, %%r10; mov %%rax, %%r11;"
			 "pcmpeqd %%xmm0, %%xmm0; pcmpeqd %%xmm1, %%xmm1;"
			 "pcmpeqd %%xmm2, %%xmm2; pcmpeqd %%xmm7, %%xmm7;"
			 "pcmpeqd %%xmm8, %%xmm8; pcmpeqd %%xmm15, %%xmm15;"
			 "cmp %%rax, %%rcx" ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
			 "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm7", "xmm8", "xmm15", "cc");
	hits[sig]++;
}

/* Integer and double work, stopped after 5 SIGALRMs when `watch`. */
__attribute__((noinline)) static long churn(long limit, int watch, double *dout, long *sout)
{
	double d = 1.0;
	long s = 0;
	volatile long i;
	for (i = 0; i < limit && (!watch || hits[SIGALRM] < 5); i++) {
		d = d * 0.999999 + (double)(i & 7) * 0.25;
		s = s * 31 + (i ^ (s >> 7));
	}
	*dout = d;
	*sout = s;
	return i;
}

/* Nesting: SIGUSR1's handler sends SIGUSR2. */
static char trail[8];
static volatile int ntrail, depth;
static void outer(int sig)
{
	(void)sig;
	depth++;
	trail[ntrail++] = '<';
	kill(getpid(), SIGUSR2);
	trail[ntrail++] = '>';
	depth--;
}
static void inner(int sig) { (void)sig, trail[ntrail++] = depth ? 'i' : 'o'; }

int main(void)
{
	pid_t wd = watchdog(40), me = getpid();
	sigset_t set, empty;
	int st;
	sigemptyset(&empty);

	/* A handler runs before kill to self returns, with full siginfo. */
	on(SIGUSR1, 0, SIGUSR2);
	mask(SIG_BLOCK, SIGURG, 0);
	reset();
	ok(kill(me, SIGUSR1) == 0 && hits[SIGUSR1] == 1, "kill to self runs the handler before it returns");
	ok(last.si_signo == SIGUSR1 && last.si_code == SI_USER, "si_signo and si_code SI_USER (%d)", last.si_code);
	ok(last.si_pid == me && last.si_uid == getuid(), "si_pid and si_uid are the sender's");
	ok(in_uc != NULL && in_rip != 0, "the handler gets a ucontext with a RIP (%#lx)", in_rip);
	ok(sigismember(&in_mask, SIGUSR1) && sigismember(&in_mask, SIGUSR2) &&
	   sigismember(&in_mask, SIGURG), "handler mask: old mask + the signal + sa_mask");
	ok(sigismember(&in_ucmask, SIGURG) && !sigismember(&in_ucmask, SIGUSR1),
	   "uc_sigmask is the interrupted mask");
	ok(!blocked(SIGUSR1) && !blocked(SIGUSR2) && blocked(SIGURG), "mask restored after the handler");
	mask(SIG_UNBLOCK, SIGURG, 0);

	/* SA_NODEFER and SA_RESETHAND. */
	on(SIGUSR1, SA_NODEFER, 0);
	reset();
	kill(me, SIGUSR1);
	ok(hits[SIGUSR1] == 1 && !sigismember(&in_mask, SIGUSR1), "SA_NODEFER leaves the signal unblocked");
	on(SIGUSR1, SA_RESETHAND, 0);
	reset();
	struct sigaction cur;
	kill(me, SIGUSR1);
	ok(hits[SIGUSR1] == 1 && sigaction(SIGUSR1, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL,
	   "SA_RESETHAND resets to SIG_DFL after one delivery");
	on(SIGUSR1, 0, 0);

	/* Blocked signals stay pending; standard ones coalesce. */
	reset();
	mask(SIG_BLOCK, SIGUSR1, 0);
	kill(me, SIGUSR1);
	ok(hits[SIGUSR1] == 0 && pending(SIGUSR1), "a blocked signal stays pending");
	mask(SIG_UNBLOCK, SIGUSR1, 0);
	ok(hits[SIGUSR1] == 1 && !pending(SIGUSR1), "and is delivered by the unblocking sigprocmask");
	reset();
	mask(SIG_BLOCK, SIGUSR1, 0);
	for (int i = 0; i < 3; i++)
		kill(me, SIGUSR1);
	mask(SIG_UNBLOCK, SIGUSR1, 0);
	ok(hits[SIGUSR1] == 1, "3 blocked SIGUSR1 coalesce into 1 delivery (%d)", hits[SIGUSR1]);

	/* Realtime signals queue, in order, with their values. */
	on(SIGRTMIN, 0, 0);
	reset();
	mask(SIG_BLOCK, SIGRTMIN, 0);
	for (int v = 1; v <= 3; v++)
		sigqueue(me, SIGRTMIN, (union sigval){ .sival_int = v });
	mask(SIG_UNBLOCK, SIGRTMIN, 0);
	ok(hits[SIGRTMIN] == 3 && rec_val[0] == 1 && rec_val[1] == 2 && rec_val[2] == 3,
	   "3 queued SIGRTMIN arrive 3 times in order (%d)", hits[SIGRTMIN]);
	ok(last.si_code == SI_QUEUE && last.si_pid == me, "sigqueue gives SI_QUEUE (%d)", last.si_code);
	on(SIGRTMIN, 0, SIGRTMIN + 1);
	on(SIGRTMIN + 1, 0, SIGRTMIN);
	reset();
	mask(SIG_BLOCK, SIGRTMIN, SIGRTMIN + 1);
	sigqueue(me, SIGRTMIN + 1, (union sigval){ .sival_int = 20 });
	sigqueue(me, SIGRTMIN, (union sigval){ .sival_int = 10 });
	mask(SIG_UNBLOCK, SIGRTMIN, SIGRTMIN + 1);
	ok(nrec == 2 && rec_sig[0] == SIGRTMIN && rec_sig[1] == SIGRTMIN + 1,
	   "the lowest-numbered realtime signal is delivered first");
	on(SIGUSR2, 0, SIGRTMIN);
	on(SIGRTMIN, 0, SIGUSR2);
	reset();
	mask(SIG_BLOCK, SIGRTMIN, SIGUSR2);
	sigqueue(me, SIGRTMIN, (union sigval){ .sival_int = 1 });
	kill(me, SIGUSR2);
	mask(SIG_UNBLOCK, SIGRTMIN, SIGUSR2);
	ok(nrec == 2 && rec_sig[0] == SIGUSR2 && rec_sig[1] == SIGRTMIN, "standard signals before realtime ones");
	reset();
	siginfo_t si = { .si_signo = SIGUSR2, .si_code = SI_QUEUE, .si_value.sival_int = 42 };
	ok(syscall(SYS_rt_sigqueueinfo, me, SIGUSR2, &si) == 0 && hits[SIGUSR2] == 1 &&
	   last.si_value.sival_int == 42 && last.si_code == SI_QUEUE, "rt_sigqueueinfo's value arrives in si_value");

	/* SA_ONSTACK runs the handler on the sigaltstack. */
	stack_t ss = { .ss_sp = altstk, .ss_size = sizeof altstk }, os;
	sigaltstack(&ss, NULL);
	struct sigaction sa = { .sa_handler = on_alt, .sa_flags = SA_ONSTACK };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	reset();
	kill(me, SIGUSR2);
	ok(hits[SIGUSR2] == 1 && on_altstk(), "SA_ONSTACK: the handler runs on the alternate stack");
	ok(alt_flags == SS_ONSTACK, "sigaltstack reports SS_ONSTACK in it (%d)", alt_flags);
	ok(alt_change_errno == EPERM, "changing the stack while on it fails with EPERM");
	ok(sigaltstack(NULL, &os) == 0 && os.ss_flags == 0, "not on the stack after the handler");
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	kill(me, SIGUSR2);
	ok(!on_altstk() && alt_flags == 0, "without SA_ONSTACK the handler stays on the normal stack");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);

	/* Registers (integer and FP) survive handlers that interrupt code. */
	signal(SIGALRM, trash);
	reset();
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	double d1, d2;
	long s1, s2, n = churn(400000000L, 1, &d1, &s1);
	arm(0);
	churn(n, 0, &d2, &s2);
	ok(hits[SIGALRM] >= 1, "timer handlers interrupted the loop (%d times)", hits[SIGALRM]);
	ok(s1 == s2 && d1 == d2, "integer and double state survives them (%ld iterations)", n);

	/* Nested delivery: a handler's kill runs another handler. */
	signal(SIGUSR1, outer);
	signal(SIGUSR2, inner);
	kill(me, SIGUSR1);
	ok(ntrail == 3 && memcmp(trail, "<i>", 3) == 0, "a signal sent from a handler nests inside it");

	/* kill, tgkill, tkill. */
	ok(kill(me, 0) == 0, "kill with signal 0 checks existence");
	fails_with(kill(NOPID, 0), ESRCH, "kill of a nonexistent pid");
	fails_with(kill(me, 65), EINVAL, "kill with signal 65");
	fails_with(kill(me, -1), EINVAL, "kill with signal -1");
	on(SIGUSR1, 0, 0);
	reset();
	long r = syscall(SYS_tgkill, me, gettid(), SIGUSR1);
	ok(r == 0 && hits[SIGUSR1] == 1 && last.si_code == SI_TKILL && last.si_pid == me,
	   "tgkill delivers with SI_TKILL (%d)", last.si_code);
	pid_t other = wd > 0 ? wd : NOPID; /* a process that is not this one */
	fails_with(syscall(SYS_tgkill, other, gettid(), SIGUSR1), ESRCH, "tgkill with the wrong tgid");
	fails_with(syscall(SYS_tgkill, me, other, 0), ESRCH, "tgkill of a tid outside the group");
	fails_with(syscall(SYS_tgkill, 0, gettid(), SIGUSR1), EINVAL, "tgkill with tgid 0");
	reset();
	ok(syscall(SYS_tkill, gettid(), SIGUSR1) == 0 && hits[SIGUSR1] == 1, "tkill delivers");

	/* A forked child signals its parent. */
	on(SIGALRM, 0, 0);
	reset();
	mask(SIG_BLOCK, SIGUSR1, 0);
	sigprocmask(SIG_BLOCK, NULL, &set);
	sigdelset(&set, SIGUSR1);
	pid_t c = fork();
	if (c == 0) {
		siginfo_t f = { .si_signo = SIGUSR1, .si_code = SI_USER };
		int eperm = syscall(SYS_rt_sigqueueinfo, me, SIGUSR1, &f) == -1 && errno == EPERM;
		if (getppid() == me)
			kill(me, SIGUSR1);
		_exit(eperm ? 0 : 1);
	}
	arm(5000000);
	while (c > 0 && !hits[SIGUSR1] && !hits[SIGALRM])
		sigsuspend(&set);
	arm(0);
	mask(SIG_UNBLOCK, SIGUSR1, 0);
	ok(hits[SIGUSR1] >= 1 && last.si_pid == c && last.si_code == SI_USER && last.si_uid == getuid(),
	   "the parent receives the child's kill(getppid(), SIGUSR1)");
	st = reap(c);
	ok(exited0(st), "rt_sigqueueinfo with si_code SI_USER to another process fails with EPERM (%#x)", st);

	/* sigsuspend and pause return EINTR after a handler. */
	reset();
	mask(SIG_BLOCK, SIGALRM, SIGUSR2);
	arm(50000);
	fails_with(sigsuspend(&empty), EINTR, "sigsuspend");
	ok(hits[SIGALRM] == 1 && !sigismember(&in_mask, SIGUSR2) && sigismember(&in_mask, SIGALRM),
	   "the handler ran with the sigsuspend mask (+ the signal)");
	ok(sigismember(&in_ucmask, SIGUSR2), "its uc_sigmask is the mask from before sigsuspend");
	ok(blocked(SIGALRM) && blocked(SIGUSR2), "sigsuspend restores the old mask");
	mask(SIG_BLOCK, SIGUSR1, 0);
	kill(me, SIGUSR1);
	fails_with(sigsuspend(&empty), EINTR, "sigsuspend with a signal already pending");
	mask(SIG_SETMASK, 0, 0);
	reset();
	arm(50000);
	fails_with(pause(), EINTR, "pause interrupted by an itimer SIGALRM");
	ok(hits[SIGALRM] == 1, "after the handler ran");

	/* sigtimedwait / sigwaitinfo take blocked pending signals. */
	reset();
	mask(SIG_BLOCK, SIGUSR1, SIGUSR2);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigqueue(me, SIGUSR1, (union sigval){ .sival_int = 7 });
	struct timespec ts = { 1, 0 };
	memset(&si, 0, sizeof si);
	ok(sigtimedwait(&set, &si, &ts) == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_QUEUE &&
	   si.si_value.sival_int == 7 && si.si_pid == me, "sigtimedwait returns a pending signal's info");
	ok(hits[SIGUSR1] == 0 && !pending(SIGUSR1), "it consumes it without running the handler");
	ts = (struct timespec){ 0, 20000000 };
	double t0 = now_ms();
	fails_with(sigtimedwait(&set, &si, &ts), EAGAIN, "sigtimedwait (20 ms) with nothing pending");
	t0 = now_ms() - t0;
	ok(t0 >= 15, "after the timeout (%.1f ms)", t0);
	ts = (struct timespec){ 0, 0 };
	fails_with(sigtimedwait(&set, &si, &ts), EAGAIN, "sigtimedwait with a zero timeout");
	ts = (struct timespec){ 0, 1000000000 };
	fails_with(sigtimedwait(&set, &si, &ts), EINVAL, "sigtimedwait with tv_nsec 1e9");
	sigaddset(&set, SIGUSR2);
	kill(me, SIGUSR2);
	ok(sigwaitinfo(&set, &si) == SIGUSR2 && si.si_code == SI_USER && si.si_pid == me, "sigwaitinfo");
	mask(SIG_SETMASK, 0, 0);

	/* Default actions, seen from children. */
	st = child_status(SIGTERM, SIG_DFL);
	ok(killed_by(st, SIGTERM), "SIGTERM kills by default (status %#x)", st);
	st = child_status(SIGUSR1, SIG_DFL);
	ok(killed_by(st, SIGUSR1), "SIGUSR1 kills by default (status %#x)", st);
	ok(exited0(child_status(SIGCHLD, SIG_DFL)), "SIGCHLD is ignored by default");
	ok(exited0(child_status(SIGURG, SIG_DFL)), "SIGURG is ignored by default");
	ok(exited0(child_status(SIGWINCH, SIG_DFL)), "SIGWINCH is ignored by default");
	ok(exited0(child_status(SIGTERM, SIG_IGN)), "SIG_IGN on SIGTERM: the child survives");
	st = child_status(SIGABRT, SIG_DFL);
	ok(killed_by(st, SIGABRT), "SIGABRT terminates by default (status %#x)", st);
	st = child_status(SIGQUIT, SIG_DFL);
	ok(killed_by(st, SIGQUIT), "SIGQUIT terminates by default (status %#x)", st);

	/* Stop, continue and kill a child from the parent. */
	c = fork();
	if (c == 0) {
		mask(SIG_SETMASK, 0, 0);
		for (int i = 0; i < 100; i++)
			usleep(100000);
		_exit(3);
	}
	signal_child(c, SIGSTOP);
	st = waitfor(c, WUNTRACED);
	ok(st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "SIGSTOP stops a child (WUNTRACED)");
	signal_child(c, SIGCONT);
	st = waitfor(c, WCONTINUED);
	ok(st != -1 && WIFCONTINUED(st), "SIGCONT continues it (WCONTINUED)");
	signal_child(c, SIGKILL);
	st = reap(c);
	ok(killed_by(st, SIGKILL), "SIGKILL kills it");

	if (wd > 0 && kill(wd, SIGKILL) == 0)
		waitpid(wd, NULL, 0);
	return tap_done();
}
