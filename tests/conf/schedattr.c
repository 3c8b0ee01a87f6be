/* sched_setattr/sched_getattr (sizes, flags, policies) and the errno of
 * the sched_* calls for bad pids. */
#include "tap.h"
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define NOPID 0x3ffffff0

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
	uint8_t extra[16];
};

static long setattr(int pid, void *a, unsigned flags)
{
	return syscall(SYS_sched_setattr, pid, a, flags);
}

static long getattr(int pid, void *a, unsigned size, unsigned flags)
{
	return syscall(SYS_sched_getattr, pid, a, size, flags);
}

static void test_attr(void)
{
	struct attr g;
	struct attr a;
	/* first, while this process may still leave its policy */
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	memset(&a, 0, sizeof a);
	a.size = 48;
	a.policy = SCHED_BATCH;
	a.nice = 7;
	ok(setattr(c, &a, 0) == 0 && getattr(c, &g, sizeof g, 0) == 0 &&
		   g.policy == SCHED_BATCH && g.nice == 7,
	   "sched_setattr/getattr of a child");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	memset(&a, 0, sizeof a);
	a.size = 48;
	a.policy = SCHED_OTHER;
	a.nice = 3;
	ok(setattr(0, &a, 0) == 0, "sched_setattr SCHED_OTHER nice 3 (size 48)");
	memset(&g, 0xff, sizeof g);
	ok(getattr(0, &g, sizeof g, 0) == 0 && g.size == 56 && g.policy == SCHED_OTHER &&
		   g.nice == 3 && g.extra[0] == 0,
	   "sched_getattr: size 56, policy, nice; bytes past it zeroed");
	memset(&g, 0xff, sizeof g);
	ok(getattr(getpid(), &g, 48, 0) == 0 && g.size == 48 && g.util_min == 0xffffffff,
	   "sched_getattr with size 48 writes 48 bytes");
	ok(getpriority(PRIO_PROCESS, 0) == 3, "the nice shows in getpriority");
	memset(&a, 0, sizeof a);
	a.policy = SCHED_BATCH;
	a.nice = 5;
	ok(setattr(0, &a, 0) == 0 && sched_getscheduler(0) == SCHED_BATCH,
	   "SCHED_BATCH (size 0 taken as 48)");
	memset(&a, 0, sizeof a);
	a.size = sizeof a; /* 72: zero bytes past the kernel's struct */
	a.policy = SCHED_IDLE;
	a.nice = 5;
	ok(setattr(0, &a, 0) == 0 && sched_getscheduler(0) == SCHED_IDLE,
	   "SCHED_IDLE with a larger, zero-padded struct");
	a.extra[3] = 1;
	a.policy = SCHED_OTHER;
	fails_with(setattr(0, &a, 0), E2BIG, "non-zero bytes past the kernel's struct");
	ok(a.size == 56, "E2BIG writes the kernel's size back (%u)", a.size);
	memset(&a, 0, sizeof a);
	a.size = 40;
	fails_with(setattr(0, &a, 0), E2BIG, "size 40");
	ok(a.size == 56, "E2BIG for size 40 writes the size back");
	a.size = 4097;
	fails_with(setattr(0, &a, 0), E2BIG, "size 4097");
	a.size = 48;
	a.policy = SCHED_OTHER;
	fails_with(setattr(0, &a, 1), EINVAL, "sched_setattr flags 1");
	fails_with(setattr(-1, &a, 0), EINVAL, "sched_setattr pid -1");
	fails_with(setattr(0, NULL, 0), EINVAL, "sched_setattr NULL");
	fails_with(setattr(0, (void *)16, 0), EFAULT, "sched_setattr bad pointer");
	fails_with(setattr(NOPID, &a, 0), ESRCH, "sched_setattr no such pid");
	a.policy = (uint32_t)-1;
	fails_with(setattr(0, &a, 0), EINVAL, "sched_setattr policy -1");
	a.policy = 12345;
	fails_with(setattr(0, &a, 0), EINVAL, "sched_setattr policy 12345");
	a.policy = SCHED_FIFO;
	a.prio = 1;
	if (geteuid() != 0)
		fails_with(setattr(0, &a, 0), EPERM, "SCHED_FIFO without privilege");
	a.policy = SCHED_RR;
	if (geteuid() != 0)
		fails_with(setattr(0, &a, 0), EPERM, "SCHED_RR without privilege");
	a.policy = SCHED_OTHER;
	a.prio = 1;
	fails_with(setattr(0, &a, 0), EINVAL, "SCHED_OTHER with priority 1");

	fails_with(getattr(0, &g, 47, 0), EINVAL, "sched_getattr size 47");
	fails_with(getattr(0, &g, 4097, 0), EINVAL, "sched_getattr size 4097");
	fails_with(getattr(0, &g, sizeof g, 1), EINVAL, "sched_getattr flags 1");
	fails_with(getattr(-1, &g, sizeof g, 0), EINVAL, "sched_getattr pid -1");
	fails_with(getattr(0, NULL, sizeof g, 0), EINVAL, "sched_getattr NULL");
	fails_with(getattr(NOPID, &g, sizeof g, 0), ESRCH, "sched_getattr no such pid");
	fails_with(getattr(0, (void *)16, sizeof g, 0), EFAULT, "sched_getattr bad pointer");

}

static void test_bad_pids(void)
{
	cpu_set_t set;
	struct sched_param p = { 0 };
	struct timespec ts;
	fails_with(syscall(SYS_sched_getaffinity, -1, sizeof set, &set), ESRCH,
		   "sched_getaffinity(-1)");
	fails_with(syscall(SYS_sched_getaffinity, -1, 0, &set), EINVAL,
		   "sched_getaffinity(-1) with length 0");
	fails_with(syscall(SYS_sched_setaffinity, -1, sizeof set, &set), ESRCH,
		   "sched_setaffinity(-1)");
	fails_with(syscall(SYS_sched_getscheduler, -1), EINVAL, "sched_getscheduler(-1)");
	fails_with(syscall(SYS_sched_getparam, -1, &p), EINVAL, "sched_getparam(-1)");
	fails_with(syscall(SYS_sched_setparam, -1, &p), EINVAL, "sched_setparam(-1)");
	fails_with(syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, &p), EINVAL,
		   "sched_setscheduler(-1)");
	fails_with(syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL,
		   "sched_rr_get_interval(-1)");
	fails_with(syscall(SYS_sched_getscheduler, NOPID), ESRCH, "sched_getscheduler of no such pid");
	fails_with(syscall(SYS_sched_getparam, NOPID, &p), ESRCH, "sched_getparam of no such pid");
	fails_with(syscall(SYS_sched_setparam, NOPID, &p), ESRCH, "sched_setparam of no such pid");
	fails_with(syscall(SYS_sched_rr_get_interval, NOPID, &ts), ESRCH,
		   "sched_rr_get_interval of no such pid");
	fails_with(syscall(SYS_sched_setaffinity, NOPID, sizeof set, &set), ESRCH,
		   "sched_setaffinity of no such pid");
}

int main(void)
{
	test_bad_pids();
	test_attr();
	return tap_done();
}
