/* Memory locks: mlock, mlock2, munlock, mlockall, munlockall, their
 * accounting (VmLck in /proc/self/status) and RLIMIT_MEMLOCK.  Limits are
 * lowered in children only; root (CAP_IPC_LOCK) is not bound by them. */
#include "tap.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PG 4096L

static long vmlck_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int in_child(int (*fn)(void))
{
	pid_t c = fork();
	if (c == 0)
		_exit(fn());
	int st;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void set_limit(rlim_t n)
{
	struct rlimit rl = { n, n };
	setrlimit(RLIMIT_MEMLOCK, &rl);
}

static int over_limit(void)
{
	set_limit(64 * 1024);
	char *p = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long r = mlock(p, 32 * PG);
	if (geteuid() == 0)
		return r == 0 ? 0 : 1;
	return r == -1 && errno == ENOMEM ? 0 : 2;
}

static int zero_limit(void)
{
	set_limit(0);
	char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long r = mlock(p, PG);
	long a = mlockall(MCL_CURRENT);
	if (geteuid() == 0)
		return r == 0 && a == 0 ? 0 : 1;
	return r == -1 && errno == EPERM && a == -1 ? 0 : 2;
}

static int future_over_limit(void)
{
	set_limit(64 * 1024);
	if (mlockall(MCL_FUTURE) < 0)
		return 1;
	void *p = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (geteuid() == 0)
		return p != MAP_FAILED ? 0 : 2;
	return p == MAP_FAILED && errno == EAGAIN ? 0 : 3;
}

static int mlockall_over_limit(void)
{
	set_limit(4 * 1024);
	long r = mlockall(MCL_CURRENT);
	if (geteuid() == 0)
		return r == 0 ? 0 : 1;
	return r == -1 && errno == ENOMEM ? 0 : 2;
}

static int child_unlocked(void)
{
	return vmlck_kb() == 0 ? 0 : 1;
}

int main(void)
{
	long base = vmlck_kb();
	ok(base == 0, "nothing is locked at start (%ld kB)", base);
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(mlock(p, 4 * PG) == 0, "mlock of 4 pages");
	ok(vmlck_kb() == 16, "VmLck 16 kB (%ld)", vmlck_kb());
	unsigned char vec[4];
	ok(mincore(p, 4 * PG, vec) == 0 && (vec[0] & vec[3] & 1), "locked pages are resident");
	ok(in_child(child_unlocked) == 0, "a fork child has no locks");
	ok(munlock(p, 4 * PG) == 0 && vmlck_kb() == 0, "munlock");
	ok(mlock(p + 100, 10) == 0 && vmlck_kb() == 4, "mlock rounds to whole pages");
	munlock(p, 4 * PG);
	ok(syscall(SYS_mlock2, p, 4 * PG, MLOCK_ONFAULT) == 0 && vmlck_kb() == 16,
	   "mlock2 MLOCK_ONFAULT counts the range");
	ok(munlock(p, 4 * PG) == 0, "munlock after mlock2");
	fails_with(syscall(SYS_mlock2, p, PG, 2), EINVAL, "mlock2 flags 2");
	ok(mlock(p, 0) == 0, "mlock of length 0");

	munmap(p, 4 * PG);
	fails_with(mlock(p, PG), ENOMEM, "mlock of an unmapped page");
	fails_with(munlock(p, PG), ENOMEM, "munlock of an unmapped page");
	fails_with(mlock((void *)0x7e0000000000UL, PG), ENOMEM, "mlock at 0x7e0000000000");
	fails_with(munlock((void *)0x7e0000000000UL, PG), ENOMEM, "munlock at 0x7e0000000000");
	fails_with(mlock((void *)0xffff800000000000UL, PG), ENOMEM, "mlock of a kernel address");

	fails_with(mlockall(0), EINVAL, "mlockall(0)");
	fails_with(mlockall(MCL_ONFAULT), EINVAL, "mlockall(MCL_ONFAULT) alone");
	fails_with(mlockall(8), EINVAL, "mlockall(8)");
	ok(mlockall(MCL_CURRENT) == 0 && vmlck_kb() > 0, "mlockall(MCL_CURRENT) (%ld kB)", vmlck_kb());
	ok(munlockall() == 0 && vmlck_kb() == 0, "munlockall");
	ok(mlockall(MCL_CURRENT | MCL_ONFAULT) == 0 && vmlck_kb() > 0,
	   "mlockall(MCL_CURRENT | MCL_ONFAULT)");
	munlockall();
	ok(mlockall(MCL_FUTURE) == 0 && vmlck_kb() == 0, "mlockall(MCL_FUTURE) locks nothing yet");
	p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(p != MAP_FAILED && vmlck_kb() == 16, "a new mapping is locked (%ld kB)", vmlck_kb());
	ok(mlockall(MCL_CURRENT) == 0, "mlockall(MCL_CURRENT) ends MCL_FUTURE");
	munlockall();
	void *q = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(q != MAP_FAILED && vmlck_kb() == 0, "then new mappings are not locked");
	munmap(p, 4 * PG);
	munmap(q, 4 * PG);

	ok(in_child(over_limit) == 0, "mlock past RLIMIT_MEMLOCK: ENOMEM (root: allowed)");
	ok(in_child(zero_limit) == 0, "RLIMIT_MEMLOCK 0: EPERM (root: allowed)");
	ok(in_child(future_over_limit) == 0, "MCL_FUTURE: a mapping past the limit fails with EAGAIN (root: allowed)");
	ok(in_child(mlockall_over_limit) == 0, "mlockall(MCL_CURRENT) past the limit: ENOMEM (root: allowed)");
	return tap_done();
}
