/* Interrupted system calls: EINTR versus SA_RESTART for read, wait4,
 * nanosleep, clock_nanosleep and sigsuspend; ignored signals; signal
 * floods and SIGCHLD storms; setitimer, getitimer and alarm. */
#include "tap.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t nalrm, nusr1, nusr2, nchld, nvt, nprof;
static volatile int kick = -1; /* the SIGALRM handler writes a byte here */

static void count(int sig)
{
	int e = errno;
	switch (sig) {
	case SIGALRM:
		nalrm++;
		if (kick >= 0)
			(void)!write(kick, "k", 1);
		break;
	case SIGUSR1: nusr1++; break;
	case SIGUSR2: nusr2++; break;
	case SIGCHLD: nchld++; break;
	case SIGVTALRM: nvt++; break;
	case SIGPROF: nprof++; break;
	}
	errno = e;
}

static void on(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void arm(int which, long us, long ius)
{
	struct itimerval it = { { ius / 1000000, ius % 1000000 }, { us / 1000000, us % 1000000 } };
	setitimer(which, &it, NULL);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000 };
	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
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

/* Reaps `pid`, killing it after 5 s; its wait status, or -1. */
static int reap(pid_t pid)
{
	int st;
	if (pid <= 0) /* fork failed: never kill(-1) */
		return -1;
	for (int i = 0; i < 5000; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int exited(int st, int code) { return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code; }

/* A child that waits for a byte on `go` (if >= 0), sleeps `ms`, sends
 * `sig` to its parent (if nonzero), sleeps `ms2`, writes `msg` to `fd`
 * and exits with `code`. */
static pid_t later(int go, long ms, int sig, long ms2, int fd, const char *msg, int code)
{
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		char b;
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* it holds `go` open itself */
		if (go >= 0 && read(go, &b, 1) < 0)
			_exit(99);
		sleep_ms(ms);
		if (sig && getppid() == parent)
			kill(parent, sig);
		sleep_ms(ms2);
		if (msg && write(fd, msg, strlen(msg)) < 0)
			_exit(98);
		_exit(code);
	}
	return pid;
}

int main(void)
{
	pid_t wd = watchdog(50);
	int p[2], go[2], st;
	char buf[16];
	double t0;
	sigset_t empty;
	sigemptyset(&empty);
	if (pipe(p) || pipe(go))
		return 1;

	/* read on an empty pipe: EINTR without SA_RESTART. */
	on(SIGALRM, count, 0);
	nalrm = 0;
	t0 = now_ms();
	arm(ITIMER_REAL, 50000, 0);
	fails_with(read(p[0], buf, sizeof buf), EINTR, "read interrupted by a handler without SA_RESTART");
	t0 = now_ms() - t0;
	ok(nalrm == 1 && t0 >= 40, "after the SIGALRM handler ran (%.0f ms)", t0);

	/* With SA_RESTART it restarts: the handler tells a child to write. */
	on(SIGALRM, count, SA_RESTART);
	nalrm = 0;
	pid_t c = later(go[0], 150, 0, 0, p[1], "hi", 0);
	kick = go[1];
	arm(ITIMER_REAL, 50000, 0);
	ssize_t n = c > 0 ? read(p[0], buf, sizeof buf) : -1;
	kick = -1;
	ok(n == 2 && memcmp(buf, "hi", 2) == 0 && nalrm == 1,
	   "with SA_RESTART the read restarts and returns the child's data (%zd)", n);
	ok(exited(reap(c), 0), "the writer child exits 0");

	/* nanosleep and clock_nanosleep: EINTR with the time remaining,
	 * SA_RESTART or not. */
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	on(SIGALRM, count, 0);
	arm(ITIMER_REAL, 50000, 0);
	fails_with(nanosleep(&req, &rem), EINTR, "nanosleep(2 s) interrupted");
	ok(rem.tv_sec < 2 && (rem.tv_sec > 0 || rem.tv_nsec > 0) && rem.tv_nsec < 1000000000,
	   "the remaining time is in (0, 2 s): %ld.%09ld", (long)rem.tv_sec, rem.tv_nsec);
	on(SIGALRM, count, SA_RESTART);
	arm(ITIMER_REAL, 50000, 0);
	fails_with(nanosleep(&req, &rem), EINTR, "nanosleep with SA_RESTART (never restarted)");
	rem = (struct timespec){ 0, 0 };
	arm(ITIMER_REAL, 50000, 0);
	int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	ok(r == EINTR, "clock_nanosleep returns EINTR (%d)", r);
	ok(rem.tv_sec < 2 && (rem.tv_sec > 0 || rem.tv_nsec > 0), "and fills in the remaining time: %ld.%09ld",
	   (long)rem.tv_sec, rem.tv_nsec);
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec += 2;
	rem = (struct timespec){ 123, 0 };
	arm(ITIMER_REAL, 50000, 0);
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem);
	ok(r == EINTR && rem.tv_sec == 123, "TIMER_ABSTIME: EINTR, the remaining time is not written");

	/* wait4 on a running child: EINTR, then restarted with SA_RESTART
	 * (the handler releases the child, which exits 7). */
	on(SIGALRM, count, 0);
	nalrm = 0;
	c = later(go[0], 0, 0, 0, -1, NULL, 7);
	arm(ITIMER_REAL, 50000, 0);
	fails_with(c > 0 ? wait4(c, &st, 0, NULL) : -1, EINTR, "wait4 interrupted by a handler without SA_RESTART");
	on(SIGALRM, count, SA_RESTART);
	kick = go[1];
	arm(ITIMER_REAL, 50000, 0);
	pid_t w = c > 0 ? wait4(c, &st, 0, NULL) : -1;
	kick = -1;
	ok(w == c && exited(st, 7) && nalrm == 2, "with SA_RESTART wait4 restarts and reaps the child");
	if (w != c)
		reap(c);

	/* sigsuspend and pause always fail with EINTR. */
	arm(ITIMER_REAL, 50000, 0);
	fails_with(sigsuspend(&empty), EINTR, "sigsuspend with an SA_RESTART handler");
	arm(ITIMER_REAL, 50000, 0);
	fails_with(pause(), EINTR, "pause with an SA_RESTART handler");

	/* Ignored signals do not interrupt a blocking read: SIG_IGN SIGALRM
	 * at 50 ms, a default-ignored SIGWINCH from a child at 100 ms. */
	signal(SIGALRM, SIG_IGN);
	signal(SIGWINCH, SIG_DFL);
	c = later(-1, 100, SIGWINCH, 200, p[1], "ig", 0);
	arm(ITIMER_REAL, 50000, 0);
	t0 = now_ms();
	n = c > 0 ? read(p[0], buf, sizeof buf) : -1;
	t0 = now_ms() - t0;
	ok(n == 2 && memcmp(buf, "ig", 2) == 0, "ignored SIGALRM and SIGWINCH do not interrupt a read (%.0f ms)",
	   t0);
	ok(exited(reap(c), 0), "the writer child exits 0");

	/* A flood: 1000 SIGUSR1 then one SIGUSR2 from a child while the
	 * parent loops; the final signal is not lost. */
	on(SIGUSR1, count, 0);
	on(SIGUSR2, count, 0);
	nusr1 = nusr2 = 0;
	pid_t parent = getpid();
	c = fork();
	if (c == 0) {
		int bad = 0;
		for (int i = 0; i < 1000 && getppid() == parent; i++)
			bad |= kill(parent, SIGUSR1);
		bad |= getppid() != parent || kill(parent, SIGUSR2);
		_exit(bad ? 1 : 0);
	}
	volatile long spins = 0;
	for (int i = 0; c > 0 && i < 20000 && !nusr2; i++) {
		for (int j = 0; j < 1000; j++)
			spins++;
		usleep(500);
	}
	ok(nusr2 == 1, "the final SIGUSR2 arrives after the flood");
	ok(nusr1 >= 1 && nusr1 <= 1000, "SIGUSR1 ran 1..1000 times (%d)", (int)nusr1);
	ok(exited(reap(c), 0), "all 1001 kills succeeded");

	/* A SIGCHLD storm: 50 children exit at once; all are reaped. */
	on(SIGCHLD, count, SA_RESTART);
	nchld = 0;
	pid_t kids[50];
	int forked = 0, good = 0;
	for (int i = 0; i < 50; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(i);
		forked += kids[i] > 0;
	}
	for (int i = 0; i < 50; i++)
		if (kids[i] > 0 && exited(reap(kids[i]), i))
			good++;
	ok(forked == 50 && good == 50, "50 children forked and reaped with their statuses (%d)", good);
	ok(nchld >= 1 && nchld <= 50, "the SIGCHLD handler ran 1..50 times (%d)", (int)nchld);
	signal(SIGCHLD, SIG_DFL);

	/* ITIMER_REAL with an interval: 3 expirations. */
	struct itimerval it, old;
	on(SIGALRM, count, SA_RESTART);
	nalrm = 0;
	t0 = now_ms();
	arm(ITIMER_REAL, 20000, 20000);
	for (int i = 0; i < 500 && nalrm < 3; i++)
		usleep(10000);
	t0 = now_ms() - t0;
	ok(nalrm >= 3, "a 20 ms interval timer expires 3 times (%d)", (int)nalrm);
	ok(t0 >= 55 && t0 < 5000, "in 60 ms or a bit more (%.0f ms)", t0);
	ok(getitimer(ITIMER_REAL, &it) == 0 && it.it_interval.tv_sec == 0 &&
	   it.it_interval.tv_usec == 20000 && it.it_value.tv_sec == 0 && it.it_value.tv_usec <= 20000,
	   "getitimer: the interval, and a value within it");
	memset(&it, 0, sizeof it);
	ok(setitimer(ITIMER_REAL, &it, &old) == 0 && old.it_interval.tv_usec == 20000,
	   "setitimer returns the old interval");
	ok(getitimer(ITIMER_REAL, &it) == 0 && !it.it_value.tv_sec && !it.it_value.tv_usec,
	   "a zero value disarms it");

	/* setitimer returns the old value, getitimer the remaining time. */
	it = (struct itimerval){ { 0, 0 }, { 10, 0 } };
	ok(setitimer(ITIMER_REAL, &it, &old) == 0 && !old.it_value.tv_sec && !old.it_value.tv_usec,
	   "setitimer 10 s: nothing armed before");
	r = getitimer(ITIMER_REAL, &it);
	ok(r == 0 && it.it_value.tv_sec >= 5 && (it.it_value.tv_sec < 10 || (it.it_value.tv_sec == 10 &&
	   !it.it_value.tv_usec)), "getitimer: remaining <= 10 s (%ld.%06ld)", (long)it.it_value.tv_sec,
	   (long)it.it_value.tv_usec);
	it = (struct itimerval){ { 0, 0 }, { 3, 0 } };
	r = setitimer(ITIMER_REAL, &it, &old);
	ok(r == 0 && old.it_value.tv_sec >= 5 && old.it_value.tv_sec <= 10,
	   "setitimer returns the old remaining value (%ld.%06ld)", (long)old.it_value.tv_sec,
	   (long)old.it_value.tv_usec);
	arm(ITIMER_REAL, 0, 0);

	/* alarm shares ITIMER_REAL and rounds to whole seconds. */
	ok(alarm(10) == 0, "alarm(10) with nothing armed returns 0");
	unsigned left = alarm(5);
	ok(left == 10, "alarm(5) returns the previous alarm's seconds (%u)", left);
	ok(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec >= 4 && it.it_value.tv_sec <= 5,
	   "getitimer sees the alarm");
	left = alarm(0);
	ok(left == 5, "alarm(0) cancels it and returns 5 (%u)", left);
	arm(ITIMER_REAL, 300000, 0);
	left = alarm(0);
	ok(left == 1, "alarm rounds a remaining 300 ms up to 1 (%u)", left);

	/* ITIMER_VIRTUAL and ITIMER_PROF fire while busy (5 s bound). */
	on(SIGVTALRM, count, SA_RESTART);
	on(SIGPROF, count, SA_RESTART);
	nvt = nprof = 0;
	arm(ITIMER_VIRTUAL, 10000, 0);
	arm(ITIMER_PROF, 10000, 0);
	/* Linux adds one tick (1-10 ms) to a CPU timer's value. */
	r = getitimer(ITIMER_VIRTUAL, &it);
	ok(r == 0 && it.it_value.tv_sec == 0 && it.it_value.tv_usec > 0 && it.it_value.tv_usec <= 20000,
	   "getitimer(ITIMER_VIRTUAL) is armed (%ld us)", (long)it.it_value.tv_usec);
	t0 = now_ms();
	while ((!nvt || !nprof) && now_ms() - t0 < 5000)
		for (int j = 0; j < 1000000; j++)
			spins++;
	ok(nvt == 1, "ITIMER_VIRTUAL fires SIGVTALRM while busy (%d)", (int)nvt);
	ok(nprof == 1, "ITIMER_PROF fires SIGPROF while busy (%d)", (int)nprof);
	ok(getitimer(ITIMER_VIRTUAL, &it) == 0 && !it.it_value.tv_sec && !it.it_value.tv_usec,
	   "a one-shot virtual timer is disarmed after firing");

	close(p[0]);
	close(p[1]);
	close(go[0]);
	close(go[1]);
	if (wd > 0 && kill(wd, SIGKILL) == 0)
		waitpid(wd, NULL, 0);
	return tap_done();
}
