/* setpriority/getpriority and ioprio_set/ioprio_get on the caller, other
 * processes, threads, process groups and users, with Linux's errors; the
 * checks of other users' processes (EPERM) run only as root, which can
 * make two unprivileged children.  PRIO_USER changes name only a uid no
 * process has: a native run as root must not renice the machine. */
#include "tap.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define NOPID 0x3ffffff0
#define NOUID 4000123
#define IOPRIO(c, l) (((c) << 13) | (l))
#define WHO_PROCESS 1
#define WHO_PGRP 2
#define WHO_USER 3

static long gp(int which, int who)
{
	return syscall(SYS_getpriority, which, who); /* 20 - nice */
}

static long sp(int which, int who, int nice)
{
	return syscall(SYS_setpriority, which, who, nice);
}

static long ioget(int which, int who)
{
	return syscall(SYS_ioprio_get, which, who);
}

static long ioset(int which, int who, int prio)
{
	return syscall(SYS_ioprio_set, which, who, prio);
}

static pid_t child_in_group(int own_group)
{
	pid_t c = fork();
	if (c == 0) {
		if (own_group)
			setpgid(0, 0);
		pause();
		_exit(0);
	}
	if (own_group)
		setpgid(c, c);
	return c;
}

static void end(pid_t c)
{
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
}

static sem_t go, stop;
static pid_t th_tid;
static void *sleeper(void *arg)
{
	(void)arg;
	th_tid = gettid();
	sem_post(&go);
	sem_wait(&stop);
	return NULL;
}

static void test_nice(void)
{
	long p0 = gp(PRIO_PROCESS, 0);
	int n0 = 20 - (int)p0;
	ok(p0 >= 1 && p0 <= 40, "getpriority(PRIO_PROCESS, 0) is 20 - nice (%ld)", p0);
	ok(gp(PRIO_PROCESS, getpid()) == p0, "getpriority of the own pid");
	ok(sp(PRIO_PROCESS, 0, n0 + 2) == 0 && gp(PRIO_PROCESS, 0) == p0 - 2,
	   "setpriority raises nice by 2");
	int n1 = n0 + 2;
	long r = sp(PRIO_PROCESS, 0, n0);
	if (geteuid() == 0)
		ok(r == 0, "root lowers nice again");
	else
		ok(r == -1 && errno == EACCES, "lowering nice without privilege: EACCES");
	n1 = 20 - (int)gp(PRIO_PROCESS, 0);
	ok(sp(PRIO_PROCESS, 0, 100) == 0 && gp(PRIO_PROCESS, 0) == 1,
	   "nice 100 is clamped to 19");
	/* the rest runs at nice 19 */
	(void)n1;

	pid_t c = child_in_group(0);
	ok(gp(PRIO_PROCESS, c) == 1, "a fork child inherits nice 19");
	end(c);

	/* A thread's nice is its own. */
	sem_init(&go, 0, 0);
	sem_init(&stop, 0, 0);
	pthread_t th;
	pthread_create(&th, NULL, sleeper, NULL);
	sem_wait(&go);
	ok(gp(PRIO_PROCESS, th_tid) == 1, "getpriority of a thread's tid");
	sem_post(&stop);
	pthread_join(th, NULL);

	/* process groups */
	c = child_in_group(1);
	ok(gp(PRIO_PGRP, c) == 1, "getpriority(PRIO_PGRP) of a child's group");
	ok(gp(PRIO_PGRP, 0) == 1, "getpriority(PRIO_PGRP, 0): the own group");
	end(c);

	/* users */
	ok(gp(PRIO_USER, 0) >= 1, "getpriority(PRIO_USER, 0)");
	ok(gp(PRIO_USER, (int)getuid()) >= 1, "getpriority(PRIO_USER, own uid)");
	fails_with(gp(PRIO_USER, NOUID), ESRCH, "getpriority of a uid without processes");
	fails_with(sp(PRIO_USER, NOUID, 19), ESRCH, "setpriority of a uid without processes");

	/* errors */
	fails_with(gp(PRIO_PROCESS, NOPID), ESRCH, "getpriority of no such pid");
	fails_with(sp(PRIO_PROCESS, NOPID, 19), ESRCH, "setpriority of no such pid");
	fails_with(gp(PRIO_PROCESS, -1), ESRCH, "getpriority of pid -1");
	fails_with(sp(PRIO_PROCESS, -1, 19), ESRCH, "setpriority of pid -1");
	fails_with(gp(PRIO_PGRP, NOPID), ESRCH, "getpriority of no such group");
	fails_with(sp(PRIO_PGRP, NOPID, 19), ESRCH, "setpriority of no such group");
	fails_with(gp(3, 0), EINVAL, "getpriority which 3");
	fails_with(sp(-1, 0, 0), EINVAL, "setpriority which -1");
}

static void test_nice_others(void)
{
	pid_t c = child_in_group(1);
	ok(sp(PRIO_PROCESS, c, 19) == 0 && gp(PRIO_PROCESS, c) == 1,
	   "setpriority of a child");
	ok(sp(PRIO_PGRP, c, 19) == 0 && gp(PRIO_PGRP, c) == 1,
	   "setpriority of a child's group");
	end(c);
	if (geteuid() != 0)
		return;
	/* root: two children with other uids; one may not renice the other */
	pid_t a = fork();
	if (a == 0) {
		if (setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	usleep(100000);
	pid_t b = fork();
	if (b == 0) {
		if (setresuid(65533, 65533, 65533) < 0)
			_exit(10);
		long r = sp(PRIO_PROCESS, a, 19);
		int e = errno;
		long g = gp(PRIO_PROCESS, a);
		long ir = ioset(WHO_PROCESS, a, IOPRIO(2, 4));
		int ie = errno;
		_exit(r == -1 && e == EPERM ? (g >= 1 ? (ir == -1 && ie == EPERM ? 0 : 4) : 3) : 2);
	}
	int st;
	waitpid(b, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "another user's process: setpriority and ioprio_set EPERM, getpriority works (status %#x)",
	   st);
	ok(sp(PRIO_PROCESS, a, 19) == 0, "root may renice it");
	end(a);
}

static void test_ioprio(void)
{
	long p = ioget(WHO_PROCESS, 0);
	ok(p >= 0, "ioprio_get of the caller (%#lx)", p);
	ok(ioset(WHO_PROCESS, 0, IOPRIO(2, 5)) == 0 &&
		   ioget(WHO_PROCESS, 0) == IOPRIO(2, 5),
	   "best-effort level 5 set and read back");
	ok(ioset(WHO_PROCESS, getpid(), IOPRIO(3, 0)) == 0 &&
		   ioget(WHO_PROCESS, getpid()) == IOPRIO(3, 0),
	   "the idle class");
	if (geteuid() != 0)
		fails_with(ioset(WHO_PROCESS, 0, IOPRIO(1, 0)), EPERM,
			   "the real-time class without privilege");
	fails_with(ioset(WHO_PROCESS, 0, IOPRIO(5, 0)), EINVAL, "class 5");
	fails_with(ioset(WHO_PROCESS, 0, IOPRIO(0, 3)), EINVAL, "class none with a level");
	fails_with(ioset(4, 0, IOPRIO(2, 4)), EINVAL, "ioprio_set which 4");
	fails_with(ioset(0, 0, IOPRIO(2, 4)), EINVAL, "ioprio_set which 0");
	fails_with(ioget(4, 0), EINVAL, "ioprio_get which 4");
	fails_with(ioset(WHO_PROCESS, NOPID, IOPRIO(2, 4)), ESRCH, "ioprio_set of no such pid");
	fails_with(ioget(WHO_PROCESS, NOPID), ESRCH, "ioprio_get of no such pid");
	fails_with(ioget(WHO_PGRP, NOPID), ESRCH, "ioprio_get of no such group");
	fails_with(ioget(WHO_USER, NOUID), ESRCH, "ioprio_get of a uid without processes");
	fails_with(ioset(WHO_USER, NOUID, IOPRIO(2, 4)), ESRCH, "ioprio_set of a uid without processes");

	pid_t c = child_in_group(1);
	ok(ioset(WHO_PGRP, c, IOPRIO(2, 6)) == 0 && ioget(WHO_PROCESS, c) == IOPRIO(2, 6),
	   "ioprio_set of a group reaches its process");
	ok(ioget(WHO_PGRP, c) == IOPRIO(2, 6), "ioprio_get of the group");
	ok(ioset(WHO_PROCESS, c, IOPRIO(2, 1)) == 0 && ioget(WHO_PROCESS, c) == IOPRIO(2, 1),
	   "ioprio_set of a child");
	end(c);
	ok(ioget(WHO_USER, 0) >= 0, "ioprio_get of the own user");
}

int main(void)
{
	setpgid(0, 0); /* the own group holds only this test and its children */
	test_ioprio();
	test_nice();
	test_nice_others();
	return tap_done();
}
