/* Scheduling calls on the caller, on another thread and on a child:
 * sched_{get,set}affinity, sched_{get,set}scheduler, sched_{get,set}param,
 * sched_get_priority_{min,max}, sched_rr_get_interval, and their errors. */
#include "tap.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static atomic_int thread_tid, stop;

static void *idle(void *arg)
{
	(void)arg;
	atomic_store(&thread_tid, (int)syscall(SYS_gettid));
	while (!atomic_load(&stop))
		usleep(1000);
	return NULL;
}

int main(void)
{
	cpu_set_t all, one, got;
	ok(sched_getaffinity(0, sizeof all, &all) == 0 && CPU_COUNT(&all) >= 1, "sched_getaffinity(0)");
	int first = -1;
	for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &all))
			first = i;
	CPU_ZERO(&one);
	CPU_SET(first, &one);

	pthread_t th;
	pthread_create(&th, NULL, idle, NULL);
	while (!atomic_load(&thread_tid))
		usleep(1000);
	int tid = atomic_load(&thread_tid);
	ok(sched_setaffinity(tid, sizeof one, &one) == 0, "sched_setaffinity of another thread to cpu %d", first);
	ok(sched_getaffinity(tid, sizeof got, &got) == 0 && CPU_EQUAL(&got, &one), "its affinity reads back");
	ok(sched_getaffinity(0, sizeof got, &got) == 0 && CPU_EQUAL(&got, &all), "the caller's is unchanged");
	ok(sched_setaffinity(0, sizeof one, &one) == 0 && sched_getaffinity(getpid(), sizeof got, &got) == 0 &&
		   CPU_EQUAL(&got, &one),
	   "sched_setaffinity(0), read back through the pid");
	ok(sched_setaffinity(0, sizeof all, &all) == 0, "back to every cpu");
	CPU_ZERO(&got);
	fails_with(sched_setaffinity(0, sizeof got, &got), EINVAL, "sched_setaffinity to no cpu");
	fails_with(sched_getaffinity(0, 3, &got), EINVAL, "sched_getaffinity with a length that is no multiple of a long");
	fails_with(sched_getaffinity(0x3ffffff0, sizeof got, &got), ESRCH, "sched_getaffinity of no such pid");
	fails_with(syscall(SYS_sched_setaffinity, 0, sizeof got, (void *)1), EFAULT, "sched_setaffinity from a bad pointer");

	ok(sched_getscheduler(tid) == SCHED_OTHER, "the thread's policy is SCHED_OTHER");
	struct sched_param sp = { 0 };
	ok(sched_setscheduler(tid, SCHED_BATCH, &sp) == 0 && sched_getscheduler(tid) == SCHED_BATCH,
	   "sched_setscheduler(thread, SCHED_BATCH)");
	ok(sched_getscheduler(0) == SCHED_OTHER, "the caller stays SCHED_OTHER");
	ok(sched_setscheduler(tid, SCHED_OTHER, &sp) == 0, "and back");
	sp.sched_priority = 5;
	fails_with(sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL, "SCHED_OTHER with priority 5");
	fails_with(sched_setscheduler(0, 12345, &sp), EINVAL, "an unknown policy");
	fails_with(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL, "sched_setscheduler without a param");
	sp.sched_priority = 0;
	ok(sched_setparam(0, &sp) == 0 && sched_getparam(tid, &sp) == 0 && sp.sched_priority == 0,
	   "sched_setparam(0), sched_getparam(thread)");
	ok(sched_get_priority_max(SCHED_FIFO) == 99 && sched_get_priority_min(SCHED_FIFO) == 1,
	   "SCHED_FIFO priorities 1..99");
	ok(sched_get_priority_max(SCHED_OTHER) == 0 && sched_get_priority_min(SCHED_OTHER) == 0,
	   "SCHED_OTHER priorities 0..0");
	fails_with(sched_get_priority_max(12345), EINVAL, "sched_get_priority_max of an unknown policy");
	struct timespec ts;
	ok(sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec >= 0, "sched_rr_get_interval(0)");
	fails_with(sched_rr_get_interval(0, (void *)1), EFAULT, "sched_rr_get_interval to a bad pointer");

	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	ok(c > 0 && sched_setaffinity(c, sizeof one, &one) == 0 && sched_getaffinity(c, sizeof got, &got) == 0 &&
		   CPU_EQUAL(&got, &one),
	   "affinity of a child process");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	fails_with(sched_getaffinity(c, sizeof got, &got), ESRCH, "of the reaped child");
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	fails_with(sched_getscheduler(tid), ESRCH, "sched_getscheduler of a joined thread");

	/* membarrier between this process's threads. */
	long q = syscall(SYS_membarrier, 0 /* QUERY */, 0, 0);
	ok(q > 0 && (q & 8 /* PRIVATE_EXPEDITED */) && (q & 16 /* REGISTER_PRIVATE_EXPEDITED */),
	   "MEMBARRIER_CMD_QUERY lists the private expedited commands (%#lx)", q);
	fails_with(syscall(SYS_membarrier, 8, 0, 0), EPERM, "PRIVATE_EXPEDITED before registering");
	ok(syscall(SYS_membarrier, 16, 0, 0) == 0 && syscall(SYS_membarrier, 8, 0, 0) == 0,
	   "REGISTER_PRIVATE_EXPEDITED, then PRIVATE_EXPEDITED");
	fails_with(syscall(SYS_membarrier, 0x12345, 0, 0), EINVAL, "an unknown membarrier command");
	return tap_done();
}
