/* Calls that name another process or thread (under picos: carried out by
 * the target itself, since the host lets a pico process name only
 * itself): setpriority/getpriority, ioprio_set/ioprio_get,
 * sched_{set,get}affinity, sched_{set,get}scheduler, sched_{set,get}param,
 * sched_{set,get}attr, sched_rr_get_interval and prlimit on a child that
 * waits in a blocking read (which must not see the requests), on another
 * thread, on a thread id for prlimit, on a stopped child, between
 * threads that ask each other at once, and their errors: ESRCH for a
 * reaped child, EPERM for raising a child's hard limit without privilege
 * and, as root, for a process of another uid. */
#include "tap.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define IOPRIO(cls, lvl) (((cls) << 13) | (lvl))
#define WHO_PROCESS 1

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
};

static long ioget(int who)
{
	return syscall(SYS_ioprio_get, WHO_PROCESS, who);
}

static long ioset(int who, int prio)
{
	return syscall(SYS_ioprio_set, WHO_PROCESS, who, prio);
}

static long plim(int pid, int res, const struct rlimit *nw, struct rlimit *old)
{
	return syscall(SYS_prlimit64, pid, res, nw, old);
}

/* A child blocked in read() on `go` until the parent writes one byte;
 * it then exits with 0 only when the read saw exactly that byte (no
 * EINTR from the requests it served meanwhile) and its own limit and
 * nice are what the parent set. */
static pid_t blocked_child(int go[2])
{
	if (pipe(go) < 0)
		return -1;
	pid_t c = fork();
	if (c == 0) {
		close(go[1]);
		char b = 0;
		ssize_t n = read(go[0], &b, 1);
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		errno = 0;
		int nice = getpriority(PRIO_PROCESS, 0);
		_exit(n == 1 && b == 'x' && rl.rlim_cur == 100 && nice == 7 ? 0 : 1);
	}
	close(go[0]);
	return c;
}

/* Whether a process like the caller may raise its own hard
 * RLIMIT_FSIZE from `low` to `high` (tried in a child). */
static int may_raise_own(const struct rlimit *low, const struct rlimit *high)
{
	pid_t p = fork();
	if (p == 0)
		_exit(setrlimit(RLIMIT_FSIZE, low) == 0 && setrlimit(RLIMIT_FSIZE, high) == 0);
	int st = 0;
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static void test_child(void)
{
	int go[2];
	pid_t c = blocked_child(go);
	usleep(20000); /* let it reach its read */

	ok(setpriority(PRIO_PROCESS, c, 7) == 0 && getpriority(PRIO_PROCESS, c) == 7,
	   "setpriority and getpriority of a child blocked in read");
	ok(ioset(c, IOPRIO(2, 3)) == 0 && ioget(c) == IOPRIO(2, 3),
	   "ioprio_set and ioprio_get of the child");

	cpu_set_t all, one, got;
	sched_getaffinity(0, sizeof all, &all);
	int first = 0;
	while (!CPU_ISSET(first, &all))
		first++;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	ok(sched_setaffinity(c, sizeof one, &one) == 0 &&
		   sched_getaffinity(c, sizeof got, &got) == 0 && CPU_EQUAL(&got, &one),
	   "sched_setaffinity and sched_getaffinity of the child");
	ok(sched_getaffinity(0, sizeof got, &got) == 0 && CPU_EQUAL(&got, &all),
	   "the caller's affinity is unchanged");

	struct sched_param sp = { 0 };
	ok(sched_setscheduler(c, SCHED_BATCH, &sp) == 0 && sched_getscheduler(c) == SCHED_BATCH,
	   "sched_setscheduler of the child to SCHED_BATCH");
	struct attr a = { .size = sizeof a, .policy = SCHED_BATCH, .nice = 7 };
	ok(syscall(SYS_sched_setattr, c, &a, 0) == 0, "sched_setattr of the child (SCHED_BATCH, nice 7)");
	memset(&a, 0, sizeof a);
	ok(syscall(SYS_sched_getattr, c, &a, sizeof a, 0) == 0 && a.policy == SCHED_BATCH &&
		   a.nice == 7,
	   "sched_getattr of the child reads it back (policy %u, nice %d)", a.policy, a.nice);
	ok(sched_setscheduler(c, SCHED_IDLE, &sp) == 0 && sched_getscheduler(c) == SCHED_IDLE,
	   "to SCHED_IDLE");
	ok(sched_getscheduler(0) == SCHED_OTHER, "the caller stays SCHED_OTHER");
	sp.sched_priority = 3;
	ok(sched_getparam(c, &sp) == 0 && sp.sched_priority == 0, "sched_getparam of the child");
	ok(sched_setparam(c, &sp) == 0, "sched_setparam of the child");
	struct timespec ts = { -1, -1 };
	ok(sched_rr_get_interval(c, &ts) == 0 && ts.tv_sec >= 0, "sched_rr_get_interval of the child");
	/* Leaving SCHED_IDLE takes a nice the child's RLIMIT_NICE allows,
	 * or CAP_SYS_NICE. */
	if (geteuid() == 0)
		ok(sched_setscheduler(c, SCHED_OTHER, &sp) == 0 && sched_getscheduler(c) == SCHED_OTHER,
		   "root moves the child back to SCHED_OTHER");
	else
		fails_with(sched_setscheduler(c, SCHED_OTHER, &sp), EPERM,
			   "leaving SCHED_IDLE with nice 7 and RLIMIT_NICE 0");


	struct rlimit old, nw = { 100, 0 };
	ok(plim(c, RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_cur > 0, "prlimit reads the child's RLIMIT_NOFILE");
	nw.rlim_max = old.rlim_max;
	struct rlimit back;
	ok(plim(c, RLIMIT_NOFILE, &nw, &back) == 0 && back.rlim_cur == old.rlim_cur &&
		   back.rlim_max == old.rlim_max,
	   "prlimit sets it and returns the old one");
	ok(plim(c, RLIMIT_NOFILE, NULL, &back) == 0 && back.rlim_cur == 100, "and reads back the new one");
	struct rlimit low = { 1 << 20, 1 << 20 }, high = { 1 << 20, RLIM_INFINITY };
	ok(plim(c, RLIMIT_FSIZE, &low, NULL) == 0 && plim(c, RLIMIT_FSIZE, NULL, &back) == 0 &&
		   back.rlim_max == 1 << 20,
	   "prlimit lowers the child's hard RLIMIT_FSIZE");
	/* Raising a hard limit takes the caller's CAP_SYS_RESOURCE (which
	 * root in a container may lack): as raising one's own would. */
	int own_ok = may_raise_own(&low, &high);
	if (own_ok)
		ok(plim(c, RLIMIT_FSIZE, &high, NULL) == 0, "raising it again, as for oneself");
	else
		fails_with(plim(c, RLIMIT_FSIZE, &high, NULL), EPERM,
			   "raising the child's hard limit without CAP_SYS_RESOURCE");
	fails_with(plim(c, 999, NULL, &back), EINVAL, "prlimit of the child with resource 999");

	int st = -1;
	ok(write(go[1], "x", 1) == 1 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the child's read got its byte (no EINTR) and it sees its new limit and nice (status %#x)", st);
	close(go[1]);

	fails_with(setpriority(PRIO_PROCESS, c, 3), ESRCH, "setpriority of the reaped child");
	fails_with(getpriority(PRIO_PROCESS, c), ESRCH, "getpriority of the reaped child");
	fails_with(ioget(c), ESRCH, "ioprio_get of the reaped child");
	fails_with(sched_setaffinity(c, sizeof one, &one), ESRCH, "sched_setaffinity of the reaped child");
	fails_with(sched_getscheduler(c), ESRCH, "sched_getscheduler of the reaped child");
	fails_with(sched_setscheduler(c, SCHED_BATCH, &sp), ESRCH, "sched_setscheduler of the reaped child");
	fails_with(plim(c, RLIMIT_NOFILE, NULL, &back), ESRCH, "prlimit of the reaped child");
}

static atomic_int thread_tid;

static void *reader(void *arg)
{
	int fd = *(int *)arg;
	atomic_store(&thread_tid, (int)syscall(SYS_gettid));
	char b;
	return (void *)(intptr_t)read(fd, &b, 1);
}

static void test_thread(void)
{
	int p[2];
	pipe(p);
	pthread_t th;
	pthread_create(&th, NULL, reader, &p[0]);
	while (!atomic_load(&thread_tid))
		usleep(1000);
	usleep(20000);
	int tid = atomic_load(&thread_tid);
	int mine = getpriority(PRIO_PROCESS, 0);
	ok(setpriority(PRIO_PROCESS, tid, 5) == 0 && getpriority(PRIO_PROCESS, tid) == 5,
	   "setpriority and getpriority of another thread blocked in read");
	ok(getpriority(PRIO_PROCESS, 0) == mine, "the caller's nice is unchanged");
	ok(ioset(tid, IOPRIO(2, 2)) == 0 && ioget(tid) == IOPRIO(2, 2), "ioprio of another thread");
	cpu_set_t all, got;
	sched_getaffinity(0, sizeof all, &all);
	ok(sched_getaffinity(tid, sizeof got, &got) == 0 && CPU_EQUAL(&got, &all),
	   "sched_getaffinity of another thread");
	struct rlimit mine_rl, its;
	getrlimit(RLIMIT_CORE, &mine_rl);
	ok(plim(tid, RLIMIT_CORE, NULL, &its) == 0 && its.rlim_cur == mine_rl.rlim_cur &&
		   its.rlim_max == mine_rl.rlim_max,
	   "prlimit of a thread id reads its process's limit");
	void *ret;
	write(p[1], "x", 1);
	pthread_join(th, &ret);
	ok((intptr_t)ret == 1, "the thread's read returned its byte (%ld)", (long)(intptr_t)ret);
	close(p[0]);
	close(p[1]);
}

/* As root: a process of another uid may read but not change a process
 * of a third uid. */
static void test_other_uid(void)
{
	if (geteuid() != 0)
		return;
	int go[2];
	pipe(go);
	pid_t a = fork();
	if (a == 0) {
		setresuid(65534, 65534, 65534);
		char b;
		read(go[0], &b, 1);
		_exit(0);
	}
	usleep(20000);
	pid_t b = fork();
	if (b == 0) {
		setresgid(65533, 65533, 65533);
		setresuid(65533, 65533, 65533);
		cpu_set_t set;
		struct sched_param sp = { 0 };
		struct rlimit rl;
		int bad = 0;
		errno = 0;
		if (sched_getaffinity(a, sizeof set, &set) != 0)
			bad |= 1;
		if (sched_setaffinity(a, sizeof set, &set) != -1 || errno != EPERM)
			bad |= 2;
		if (sched_setscheduler(a, SCHED_BATCH, &sp) != -1 || errno != EPERM)
			bad |= 4;
		if (plim(a, RLIMIT_NOFILE, NULL, &rl) != -1 || errno != EPERM)
			bad |= 8;
		if (sched_getscheduler(a) != SCHED_OTHER)
			bad |= 16;
		_exit(bad);
	}
	int st = -1;
	waitpid(b, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "another uid: sched_getaffinity and sched_getscheduler work, sched_setaffinity, "
	   "sched_setscheduler and prlimit give EPERM (status %#x)", st);
	write(go[1], "x", 1);
	waitpid(a, NULL, 0);
	close(go[0]);
	close(go[1]);
}

/* Threads that ask each other at the same time (each one the target of
 * the next one's calls while it waits for its own). */
#define NMUTUAL 4
static atomic_int mutual_tid[NMUTUAL], mutual_ready, mutual_done, mutual_errors;

static void *mutual(void *arg)
{
	int me = (int)(intptr_t)arg;
	atomic_store(&mutual_tid[me], (int)syscall(SYS_gettid));
	atomic_fetch_add(&mutual_ready, 1);
	while (atomic_load(&mutual_ready) < NMUTUAL)
		;
	int next = atomic_load(&mutual_tid[(me + 1) % NMUTUAL]);
	cpu_set_t set;
	for (int i = 0; i < 200; i++) {
		if (setpriority(PRIO_PROCESS, next, 3) != 0 ||
		    getpriority(PRIO_PROCESS, next) != 3 ||
		    sched_getaffinity(next, sizeof set, &set) != 0)
			atomic_fetch_add(&mutual_errors, 1);
	}
	/* Each stays until every one is done: it is another's target. */
	atomic_fetch_add(&mutual_done, 1);
	while (atomic_load(&mutual_done) < NMUTUAL)
		usleep(1000);
	return NULL;
}

static void test_mutual(void)
{
	pthread_t th[NMUTUAL];
	for (int i = 0; i < NMUTUAL; i++)
		pthread_create(&th[i], NULL, mutual, (void *)(intptr_t)i);
	for (int i = 0; i < NMUTUAL; i++)
		pthread_join(th[i], NULL);
	ok(atomic_load(&mutual_errors) == 0,
	   "%d threads renice and read each other 200 times each (%d errors)",
	   NMUTUAL, atomic_load(&mutual_errors));
}

static pid_t to_continue;

static void *continue_later(void *arg)
{
	(void)arg;
	usleep(300000);
	kill(to_continue, SIGCONT);
	return NULL;
}

/* A stopped child: Linux answers at once; under picos the child's own
 * provider answers once it is continued (docs/security.md).  Either way
 * the answers are right and nothing hangs. */
static void test_stopped(void)
{
	pid_t c = fork();
	if (c == 0) {
		raise(SIGSTOP);
		pause();
		_exit(0);
	}
	int st = 0;
	waitpid(c, &st, WUNTRACED);
	ok(WIFSTOPPED(st), "the child stopped");
	to_continue = c;
	pthread_t th;
	pthread_create(&th, NULL, continue_later, NULL);
	ok(setpriority(PRIO_PROCESS, c, 4) == 0 && getpriority(PRIO_PROCESS, c) == 4,
	   "setpriority and getpriority of a stopped child");
	pthread_join(th, NULL);
	cpu_set_t got;
	ok(sched_getaffinity(c, sizeof got, &got) == 0 && CPU_COUNT(&got) >= 1,
	   "sched_getaffinity of the continued child");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
}

int main(void)
{
	test_child();
	test_thread();
	test_other_uid();
	test_stopped();
	test_mutual();
	return tap_done();
}
