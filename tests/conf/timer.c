/* POSIX timers: timer_create with every notification kind and clock,
 * timer_settime/gettime/getoverrun/delete, the siginfo a timer signal
 * carries, and that fork and exec leave no timers.  Raw syscalls name the
 * kernel's timer ids; glibc's timer_create is used for SIGEV_THREAD. */
#include "tap.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)16)

static long tcreate(long clk, struct sigevent *sev, int *id)
{
	return syscall(SYS_timer_create, clk, sev, id);
}

static long tset(int id, int flags, const struct itimerspec *nv,
		 struct itimerspec *ov)
{
	return syscall(SYS_timer_settime, id, flags, nv, ov);
}

static long tget(int id, struct itimerspec *cur)
{
	return syscall(SYS_timer_gettime, id, cur);
}

static long tdel(int id)
{
	return syscall(SYS_timer_delete, id);
}

static struct itimerspec its(long v_ns, long i_ns)
{
	struct itimerspec s = { { i_ns / 1000000000, i_ns % 1000000000 },
				{ v_ns / 1000000000, v_ns % 1000000000 } };
	return s;
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void test_none(void)
{
	static const struct {
		clockid_t clk;
		const char *name;
	} clocks[] = {
		{ CLOCK_REALTIME, "REALTIME" },
		{ CLOCK_MONOTONIC, "MONOTONIC" },
		{ CLOCK_BOOTTIME, "BOOTTIME" },
		{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID" },
		{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID" },
	};
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		int id = -1;
		struct itimerspec cur;
		ok(tcreate(clocks[i].clk, &sev, &id) == 0 && id >= 0,
		   "timer_create(%s, SIGEV_NONE)", clocks[i].name);
		ok(tget(id, &cur) == 0 && cur.it_value.tv_sec == 0 &&
			   cur.it_value.tv_nsec == 0,
		   "a new %s timer is disarmed", clocks[i].name);
		ok(tdel(id) == 0, "timer_delete of the %s timer", clocks[i].name);
	}

	int id;
	tcreate(CLOCK_MONOTONIC, &sev, &id);
	struct itimerspec nv = its(5000000000L, 1000000000L), ov, cur;
	ok(tset(id, 0, &nv, &ov) == 0 && ov.it_value.tv_sec == 0 &&
		   ov.it_value.tv_nsec == 0,
	   "timer_settime arms; the old value was disarmed");
	ok(tget(id, &cur) == 0 && ns(&cur.it_value) > 4000000000L &&
		   ns(&cur.it_value) <= 5000000000L &&
		   ns(&cur.it_interval) == 1000000000L,
	   "timer_gettime: value left and interval");
	nv = its(2000000000L, 0);
	ok(tset(id, 0, &nv, &ov) == 0 && ns(&ov.it_value) > 4000000000L &&
		   ns(&ov.it_interval) == 1000000000L,
	   "timer_settime returns the old setting");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	nv.it_interval.tv_sec = nv.it_interval.tv_nsec = 0;
	nv.it_value = now;
	nv.it_value.tv_sec += 3;
	ok(tset(id, TIMER_ABSTIME, &nv, NULL) == 0 && tget(id, &cur) == 0 &&
		   ns(&cur.it_value) > 2000000000L &&
		   ns(&cur.it_value) <= 3000000000L,
	   "TIMER_ABSTIME: the value left counts to the absolute time");
	nv.it_value.tv_sec -= 10;
	ok(tset(id, TIMER_ABSTIME, &nv, NULL) == 0 && tget(id, &cur) == 0 &&
		   ns(&cur.it_value) == 0,
	   "TIMER_ABSTIME in the past expires at once");
	ok(syscall(SYS_timer_getoverrun, id) == 0, "timer_getoverrun of a SIGEV_NONE timer");

	/* errors */
	fails_with(tset(id, 0, NULL, NULL), EINVAL, "timer_settime with no value");
	fails_with(tset(id, 0, BAD, NULL), EFAULT, "timer_settime with a bad value");
	nv = its(1000000000L, 0);
	nv.it_value.tv_nsec = 1000000000L;
	fails_with(tset(id, 0, &nv, NULL), EINVAL, "timer_settime with tv_nsec 1e9");
	nv = its(1000000000L, 0);
	fails_with(tset(id, 0, &nv, BAD), EFAULT, "timer_settime with a bad old value");
	fails_with(tget(id, BAD), EFAULT, "timer_gettime to a bad pointer");
	ok(tdel(id) == 0, "timer_delete");
	fails_with(tdel(id), EINVAL, "timer_delete twice");
	fails_with(tget(id, &cur), EINVAL, "timer_gettime of a deleted timer");
	fails_with(tset(id, 0, &nv, NULL), EINVAL, "timer_settime of a deleted timer");
	fails_with(syscall(SYS_timer_getoverrun, id), EINVAL,
		   "timer_getoverrun of a deleted timer");
	fails_with(tdel(12345), EINVAL, "timer_delete of id 12345");
	fails_with(tdel(-1), EINVAL, "timer_delete of id -1");

	fails_with(tcreate(12, &sev, &id), EINVAL, "timer_create on clock 12");
	fails_with(tcreate(1000, &sev, &id), EINVAL, "timer_create on clock 1000");
	/* the process CPU clock (CPUCLOCK_SCHED) of a pid no process has */
	fails_with(tcreate((int)((~0x3ffffff0u << 3) | 2), &sev, &id), EINVAL,
		   "timer_create on the CPU clock of no such pid");
	fails_with(tcreate(CLOCK_MONOTONIC, BAD, &id), EFAULT,
		   "timer_create with a bad sigevent");
	fails_with(tcreate(CLOCK_MONOTONIC, &sev, BAD), EFAULT,
		   "timer_create with a bad id pointer");
	struct sigevent bad = { .sigev_notify = 99 };
	fails_with(tcreate(CLOCK_MONOTONIC, &bad, &id), EINVAL, "sigev_notify 99");
	bad.sigev_notify = SIGEV_SIGNAL;
	bad.sigev_signo = 0;
	fails_with(tcreate(CLOCK_MONOTONIC, &bad, &id), EINVAL, "SIGEV_SIGNAL signal 0");
	bad.sigev_signo = 65;
	fails_with(tcreate(CLOCK_MONOTONIC, &bad, &id), EINVAL, "SIGEV_SIGNAL signal 65");
	bad.sigev_notify = SIGEV_THREAD_ID;
	bad.sigev_signo = SIGUSR1;
	bad._sigev_un._tid = 999999;
	fails_with(tcreate(CLOCK_MONOTONIC, &bad, &id), EINVAL,
		   "SIGEV_THREAD_ID with a tid no thread has");
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	bad._sigev_un._tid = child;
	fails_with(tcreate(CLOCK_MONOTONIC, &bad, &id), EINVAL,
		   "SIGEV_THREAD_ID with another process's tid");
	clockid_t cc;
	ok(clock_getcpuclockid(child, &cc) == 0 && tcreate(cc, &sev, &id) == 0 &&
		   tdel(id) == 0,
	   "timer on a child's process CPU clock");
	struct timespec cts;
	ok(syscall(SYS_clock_gettime, cc, &cts) == 0, "clock_gettime of a child's CPU clock");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

/* Signal delivery: the siginfo a timer signal carries. */
static void test_signal(void)
{
	int sig = SIGRTMIN + 2;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig };
	sev.sigev_value.sival_int = 4242;
	int id;
	ok(tcreate(CLOCK_MONOTONIC, &sev, &id) == 0, "timer_create(SIGEV_SIGNAL)");
	struct itimerspec nv = its(10000000L, 0);
	tset(id, 0, &nv, NULL);
	siginfo_t si;
	struct timespec to = { 5, 0 };
	ok(sigtimedwait(&set, &si, &to) == sig, "the timer's signal arrives");
	ok(si.si_code == SI_TIMER, "si_code SI_TIMER (got %d)", si.si_code);
	ok(si.si_timerid == id, "si_timerid is the timer id (%d, %d)", si.si_timerid, id);
	ok(si.si_value.sival_int == 4242, "si_value");
	ok(si.si_overrun == 0, "si_overrun 0 for a one-shot");

	/* A periodic timer left pending counts overruns. */
	nv = its(1000000L, 1000000L);
	tset(id, 0, &nv, NULL);
	struct timespec nap = { 0, 60000000L };
	nanosleep(&nap, NULL);
	ok(sigtimedwait(&set, &si, &to) == sig && si.si_overrun > 0,
	   "si_overrun counts expiries while pending (%d)", si.si_overrun);
	ok(syscall(SYS_timer_getoverrun, id) > 0, "timer_getoverrun after delivery");
	tdel(id);

	/* Default sigevent (NULL): SIGALRM with the id as its value. */
	signal(SIGALRM, SIG_IGN);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGALRM, SIG_DFL);
	ok(tcreate(CLOCK_REALTIME, NULL, &id) == 0, "timer_create with no sigevent");
	nv = its(5000000L, 0);
	tset(id, 0, &nv, NULL);
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	ok(sigtimedwait(&alrm, &si, &to) == SIGALRM && si.si_code == SI_TIMER &&
		   si.si_value.sival_int == id && si.si_timerid == id,
	   "no sigevent: SIGALRM, SI_TIMER, the id as value");
	tdel(id);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static volatile sig_atomic_t h_code, h_id, h_val, h_count;
static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	h_code = si->si_code;
	h_id = si->si_timerid;
	h_val = si->si_value.sival_int;
	h_count++;
}

static void test_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_timer, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR2, &sa, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
	sev.sigev_value.sival_int = 77;
	int id;
	tcreate(CLOCK_MONOTONIC, &sev, &id);
	struct itimerspec nv = its(5000000L, 0);
	tset(id, 0, &nv, NULL);
	for (int i = 0; i < 500 && !h_count; i++)
		usleep(1000);
	ok(h_count == 1 && h_code == SI_TIMER && h_id == id && h_val == 77,
	   "a handler gets SI_TIMER, the id and the value");
	tdel(id);
	signal(SIGUSR2, SIG_DFL);

	/* SIGSYS from a timer (or kill) is an ordinary signal. */
	sigaction(SIGSYS, &sa, NULL);
	h_count = 0;
	kill(getpid(), SIGSYS);
	ok(h_count == 1 && h_code == SI_USER, "kill(SIGSYS) reaches the handler");
	h_count = 0;
	sev.sigev_signo = SIGSYS;
	tcreate(CLOCK_MONOTONIC, &sev, &id);
	tset(id, 0, &nv, NULL);
	for (int i = 0; i < 500 && !h_count; i++)
		usleep(1000);
	ok(h_count == 1 && h_code == SI_TIMER && h_id == id,
	   "a SIGSYS timer reaches the handler with SI_TIMER");
	tdel(id);
	signal(SIGSYS, SIG_DFL);
}

static pid_t other_tid;
static sem_t ready, done;
static int thread_got;
static void *waiter(void *arg)
{
	(void)arg;
	other_tid = gettid();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 3);
	sem_post(&ready);
	siginfo_t si;
	struct timespec to = { 5, 0 };
	if (sigtimedwait(&set, &si, &to) == SIGRTMIN + 3 && si.si_code == SI_TIMER)
		thread_got = si.si_value.sival_int;
	sem_post(&done);
	return NULL;
}

static void *spin(void *arg)
{
	(void)arg;
	sem_wait(&done);
	return NULL;
}

static sem_t fired;
static int fired_val;
static void on_thread_notify(union sigval v)
{
	fired_val = v.sival_int;
	sem_post(&fired);
}

static void test_threads(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sem_init(&ready, 0, 0);
	sem_init(&done, 0, 0);
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	sem_wait(&ready);
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGRTMIN + 3 };
	sev._sigev_un._tid = other_tid;
	sev.sigev_value.sival_int = 99;
	int id;
	ok(tcreate(CLOCK_MONOTONIC, &sev, &id) == 0,
	   "SIGEV_THREAD_ID with another thread's tid");
	struct itimerspec nv = its(5000000L, 0);
	tset(id, 0, &nv, NULL);
	sem_wait(&done);
	pthread_join(th, NULL);
	ok(thread_got == 99, "the signal reached that thread");
	tdel(id);

	/* The CPU clock of another thread (pthread_getcpuclockid). */
	sem_init(&done, 0, 0);
	pthread_create(&th, NULL, spin, NULL);
	clockid_t cc;
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	ok(pthread_getcpuclockid(th, &cc) == 0 && tcreate(cc, &none, &id) == 0,
	   "timer on another thread's CPU clock");
	struct timespec cts;
	ok(syscall(SYS_clock_gettime, cc, &cts) == 0, "clock_gettime of another thread's CPU clock");
	nv = its(1000000000L, 0);
	struct itimerspec cur;
	ok(tset(id, 0, &nv, NULL) == 0 && tget(id, &cur) == 0 &&
		   ns(&cur.it_value) > 0,
	   "the thread CPU-clock timer is armed");
	tdel(id);
	sem_post(&done);
	pthread_join(th, NULL);

	/* SIGEV_THREAD as glibc builds it on SIGEV_THREAD_ID. */
	sem_init(&fired, 0, 0);
	struct sigevent tsev = { .sigev_notify = SIGEV_THREAD,
				 .sigev_notify_function = on_thread_notify };
	tsev.sigev_value.sival_int = 123;
	timer_t t;
	ok(timer_create(CLOCK_MONOTONIC, &tsev, &t) == 0, "timer_create(SIGEV_THREAD)");
	struct itimerspec v = its(5000000L, 0);
	timer_settime(t, 0, &v, NULL);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	ok(sem_timedwait(&fired, &dl) == 0 && fired_val == 123,
	   "SIGEV_THREAD runs the function with the value");
	ok(timer_delete(t) == 0, "timer_delete of the SIGEV_THREAD timer");
}

/* fork: the child has none of the parent's timers; exec deletes them. */
static void test_fork_exec(const char *self)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	int id;
	tcreate(CLOCK_MONOTONIC, &sev, &id);
	struct itimerspec cur;
	pid_t c = fork();
	if (c == 0)
		_exit(tget(id, &cur) == -1 && errno == EINVAL ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a fork child has no timers");
	ok(tget(id, &cur) == 0, "the parent keeps its timer");

	for (int threaded = 0; threaded < 2; threaded++) {
		c = fork();
		if (c == 0) {
			int mine;
			tcreate(CLOCK_MONOTONIC, &sev, &mine);
			struct itimerspec nv = its(5000000000L, 0);
			tset(mine, 0, &nv, NULL);
			pthread_t th;
			if (threaded) {
				sem_init(&done, 0, 0);
				pthread_create(&th, NULL, spin, NULL);
			}
			char arg[32];
			snprintf(arg, sizeof arg, "%d", mine);
			execl(self, self, "--after-exec", arg, (char *)NULL);
			_exit(3);
		}
		waitpid(c, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "exec deletes the timers%s (status %#x)",
		   threaded ? " (multi-threaded exec)" : "", st);
	}
	tdel(id);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--after-exec") == 0) {
		struct itimerspec cur;
		int id = atoi(argv[2]);
		return tget(id, &cur) == -1 && errno == EINVAL ? 0 : 2;
	}
	test_none();
	test_signal();
	test_handler();
	test_threads();
	test_fork_exec(argv[0][0] == '/' ? argv[0] : "/proc/self/exe");
	return tap_done();
}
