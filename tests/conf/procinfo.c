/* uname, sysinfo, resource limits and usage, times, the scheduling
 * queries and getrandom: success and error paths. */
#include "tap.h"
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <dirent.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <unistd.h>

/* A pid no process has (above any pid_max). */
#define NO_PID 0x3fffffff

static long sys_getrlimit(int res, void *rl)
{
	return syscall(SYS_getrlimit, res, rl);
}

static long sys_setrlimit(int res, const void *rl)
{
	return syscall(SYS_setrlimit, res, rl);
}

static long sys_prlimit(int pid, int res, const void *nw, void *old)
{
	return syscall(SYS_prlimit64, pid, res, nw, old);
}

static void test_uname(void)
{
	struct utsname u;
	ok(uname(&u) == 0, "uname");
	ok(strcmp(u.sysname, "Linux") == 0, "sysname is Linux (%s)", u.sysname);
	ok(strcmp(u.machine, "x86_64") == 0, "machine is x86_64 (%s)", u.machine);
	ok(u.nodename[0] != 0, "nodename is set (%s)", u.nodename);
	ok(u.release[0] >= '2' && u.release[0] <= '9' && strchr(u.release, '.'),
	   "release looks like a kernel version (%s)", u.release);
	ok(u.version[0] != 0, "version is set");
	ok(memchr(u.domainname, 0, sizeof u.domainname) != NULL,
	   "domainname is terminated (%s)", u.domainname);
	char host[sizeof u.nodename];
	ok(gethostname(host, sizeof host) == 0 && strcmp(host, u.nodename) == 0,
	   "gethostname matches nodename");
	fails_with(syscall(SYS_uname, NULL), EFAULT, "uname(NULL)");
	fails_with(syscall(SYS_uname, (void *)1), EFAULT, "uname of a bad pointer");
}

static void test_sysinfo(void)
{
	struct sysinfo si;
	ok(sysinfo(&si) == 0, "sysinfo");
	ok(si.uptime >= 1, "uptime is at least a second (%ld)", si.uptime);
	ok(si.procs >= 1, "at least one process (%u)", si.procs);
	ok(si.mem_unit >= 1 && si.totalram > 0 && si.freeram <= si.totalram,
	   "memory figures are sane");
	ok(si.freeswap <= si.totalswap, "swap figures are sane");
	/* The figures /proc shows: uptime, loads, and at least as many
	 * processes (sysinfo counts threads) as /proc lists. */
	FILE *f = fopen("/proc/uptime", "r");
	double up = -1, l1 = -1;
	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = -1;
		fclose(f);
	}
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l1) != 1)
			l1 = -1;
		fclose(f);
	}
	sysinfo(&si);
	ok(up >= 0 && si.uptime >= (long)up - 1 && si.uptime <= (long)up + 2,
	   "sysinfo's uptime is /proc/uptime's (%ld, %.2f)", si.uptime, up);
	double s1 = si.loads[0] / 65536.0;
	ok(l1 >= 0 && s1 > l1 - 0.2 && s1 < l1 + 0.2,
	   "sysinfo's 1-minute load is /proc/loadavg's (%.2f, %.2f)", s1, l1);
	DIR *d = opendir("/proc");
	int listed = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		listed += de->d_name[0] >= '1' && de->d_name[0] <= '9';
	if (d)
		closedir(d);
	ok(listed >= 1 && si.procs >= listed,
	   "sysinfo's procs counts at least the processes /proc lists (%u, %d)", si.procs, listed);
	fails_with(sysinfo(NULL), EFAULT, "sysinfo(NULL)");
}

static void test_rlimit_errors(void)
{
	struct rlimit rl, bad;
	ok(sys_getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= rl.rlim_max,
	   "getrlimit(RLIMIT_NOFILE)");
	fails_with(sys_getrlimit(RLIM_NLIMITS, &rl), EINVAL, "getrlimit of a bad resource");
	fails_with(sys_getrlimit(-1, &rl), EINVAL, "getrlimit of resource -1");
	fails_with(sys_getrlimit(RLIMIT_NOFILE, NULL), EFAULT, "getrlimit(NULL)");
	fails_with(sys_getrlimit(RLIMIT_NOFILE, (void *)1), EFAULT,
		   "getrlimit of a bad pointer");
	fails_with(sys_getrlimit(RLIM_NLIMITS, NULL), EINVAL,
		   "getrlimit checks the resource before the pointer");
	bad.rlim_cur = 10;
	bad.rlim_max = 5;
	fails_with(sys_setrlimit(RLIMIT_NOFILE, &bad), EINVAL, "setrlimit with cur > max");
	fails_with(sys_setrlimit(RLIM_NLIMITS, &rl), EINVAL, "setrlimit of a bad resource");
	fails_with(sys_setrlimit(RLIMIT_NOFILE, NULL), EFAULT, "setrlimit(NULL)");
	fails_with(sys_setrlimit(RLIM_NLIMITS, NULL), EFAULT,
		   "setrlimit reads the limit before checking the resource");
	fails_with(sys_prlimit(NO_PID, RLIMIT_NOFILE, NULL, &rl), ESRCH,
		   "prlimit64 of a missing pid");
	fails_with(sys_prlimit(-1, RLIMIT_NOFILE, NULL, &rl), ESRCH,
		   "prlimit64 of pid -1");
	fails_with(sys_prlimit(NO_PID, RLIM_NLIMITS, NULL, &rl), ESRCH,
		   "prlimit64 looks up the pid before the resource");
	fails_with(sys_prlimit(NO_PID, RLIMIT_NOFILE, (void *)1, &rl), EFAULT,
		   "prlimit64 reads the new limit before the pid lookup");
	fails_with(sys_prlimit(0, RLIM_NLIMITS, NULL, &rl), EINVAL,
		   "prlimit64 of a bad resource");
	fails_with(sys_prlimit(0, RLIMIT_NOFILE, &bad, NULL), EINVAL,
		   "prlimit64 with cur > max");
	fails_with(sys_prlimit(0, RLIMIT_NOFILE, NULL, (void *)1), EFAULT,
		   "prlimit64 with a bad old pointer");
	ok(sys_prlimit(0, RLIMIT_NOFILE, NULL, NULL) == 0,
	   "prlimit64 with neither pointer");
	ok(sys_prlimit(getpid(), RLIMIT_NOFILE, NULL, &rl) == 0,
	   "prlimit64 of the own pid");
}

static void test_rlimit_roundtrip(void)
{
	struct rlimit orig, rl, old;
	ok(getrlimit(RLIMIT_CORE, &orig) == 0, "getrlimit(RLIMIT_CORE)");
	rl.rlim_cur = 0;
	rl.rlim_max = orig.rlim_max;
	ok(setrlimit(RLIMIT_CORE, &rl) == 0, "setrlimit(RLIMIT_CORE) soft to 0");
	ok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
		   rl.rlim_max == orig.rlim_max,
	   "the new soft limit reads back");
	rl.rlim_cur = orig.rlim_cur;
	ok(sys_prlimit(0, RLIMIT_CORE, &rl, &old) == 0 && old.rlim_cur == 0 &&
		   old.rlim_max == orig.rlim_max,
	   "prlimit64 sets and returns the previous limit");
	ok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == orig.rlim_cur,
	   "the soft limit is restored");

	/* The stack limit, a limit the host enforces too. */
	ok(getrlimit(RLIMIT_STACK, &orig) == 0, "getrlimit(RLIMIT_STACK)");
	rl = orig;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (64 << 20))
		rl.rlim_cur = 64 << 20;
	rl.rlim_cur -= 4096;
	ok(setrlimit(RLIMIT_STACK, &rl) == 0 && getrlimit(RLIMIT_STACK, &old) == 0 &&
		   old.rlim_cur == rl.rlim_cur,
	   "setrlimit(RLIMIT_STACK) round trip");
	ok(setrlimit(RLIMIT_STACK, &orig) == 0, "RLIMIT_STACK restored");

	/* A virtual-only limit. */
	ok(getrlimit(RLIMIT_MSGQUEUE, &orig) == 0, "getrlimit(RLIMIT_MSGQUEUE)");
	rl = orig;
	rl.rlim_cur = rl.rlim_cur > 100 ? rl.rlim_cur - 100 : 0;
	ok(setrlimit(RLIMIT_MSGQUEUE, &rl) == 0 &&
		   getrlimit(RLIMIT_MSGQUEUE, &old) == 0 && old.rlim_cur == rl.rlim_cur,
	   "setrlimit(RLIMIT_MSGQUEUE) round trip");
	ok(setrlimit(RLIMIT_MSGQUEUE, &orig) == 0, "RLIMIT_MSGQUEUE restored");

	/* Raising a hard limit takes privilege. */
	ok(getrlimit(RLIMIT_MEMLOCK, &orig) == 0, "getrlimit(RLIMIT_MEMLOCK)");
	if (orig.rlim_max != RLIM_INFINITY && orig.rlim_max > 0) {
		rl.rlim_cur = rl.rlim_max = orig.rlim_max - 1;
		if (rl.rlim_cur > orig.rlim_cur)
			rl.rlim_cur = orig.rlim_cur;
		ok(setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "lower the RLIMIT_MEMLOCK hard limit");
		/* Root may raise it back only with CAP_SYS_RESOURCE, which
		 * a container's root often lacks. */
		errno = 0;
		int r = setrlimit(RLIMIT_MEMLOCK, &orig);
		if (geteuid() != 0)
			ok(r == -1 && errno == EPERM,
			   "raising a hard limit back without privilege fails with EPERM");
		else
			ok(r == 0 || errno == EPERM,
			   "root raising a hard limit back succeeds or fails with EPERM");
		getrlimit(RLIMIT_MEMLOCK, &rl);
		ok(r == 0 ? rl.rlim_max == orig.rlim_max : rl.rlim_max == orig.rlim_max - 1,
		   "the hard limit is what the answer says");
	}
}

/* RLIMIT_NOFILE bounds the fd numbers. */
static void test_nofile(void)
{
	struct rlimit orig, rl;
	ok(getrlimit(RLIMIT_NOFILE, &orig) == 0, "getrlimit(RLIMIT_NOFILE)");
	rl.rlim_cur = 64;
	rl.rlim_max = orig.rlim_max;
	ok(setrlimit(RLIMIT_NOFILE, &rl) == 0, "RLIMIT_NOFILE soft to 64");
	fails_with(dup2(1, 64), EBADF, "dup2 to the limit");
	int fd = dup2(1, 63);
	ok(fd == 63, "dup2 just below the limit");
	close(fd);
	int last = -1, n = 0;
	for (;;) {
		fd = dup(1);
		if (fd < 0)
			break;
		last = fd;
		n++;
	}
	ok(fd < 0 && errno == EMFILE && last == 63, "dup fills the table up to fd 63 (%d)", last);
	for (int i = 63; n > 0 && i >= 3; i--, n--)
		close(i);
	rl.rlim_cur = rl.rlim_max + 1;
	fails_with(setrlimit(RLIMIT_NOFILE, &rl), EINVAL, "RLIMIT_NOFILE soft above hard");
	rl.rlim_cur = orig.rlim_max;
	ok(setrlimit(RLIMIT_NOFILE, &rl) == 0, "RLIMIT_NOFILE soft up to the hard limit");
	fd = dup2(1, 1500);
	ok(fd == 1500 || (orig.rlim_max <= 1500 && fd < 0), "a high fd number fits now");
	if (fd >= 0)
		close(fd);
	ok(setrlimit(RLIMIT_NOFILE, &orig) == 0, "RLIMIT_NOFILE restored");
}

/* RLIMIT_AS bounds the address space (the host enforces it). */
static void test_as(void)
{
	struct rlimit orig, rl;
	ok(getrlimit(RLIMIT_AS, &orig) == 0, "getrlimit(RLIMIT_AS)");
	rl.rlim_cur = 8UL << 30;
	rl.rlim_max = orig.rlim_max;
	if (orig.rlim_max < rl.rlim_cur)
		return;
	ok(setrlimit(RLIMIT_AS, &rl) == 0, "RLIMIT_AS soft to 8 GiB");
	void *p = mmap(NULL, 1UL << 30, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ok(p != MAP_FAILED, "1 GiB fits");
	if (p != MAP_FAILED)
		munmap(p, 1UL << 30);
	fails_with(mmap(NULL, 16UL << 30, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
		   ENOMEM, "16 GiB does not");
	ok(setrlimit(RLIMIT_AS, &orig) == 0, "RLIMIT_AS restored");
	p = mmap(NULL, 16UL << 30, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ok(p != MAP_FAILED, "16 GiB fits again");
	if (p != MAP_FAILED)
		munmap(p, 16UL << 30);
}

static void test_usage(void)
{
	struct rusage ru = { 0 };
	int r = getrusage(RUSAGE_SELF, &ru);
	ok(r == 0 && ru.ru_maxrss > 0, "getrusage(RUSAGE_SELF), maxrss %ld",
	   ru.ru_maxrss);
	ok(ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000,
	   "times are normalised");
	ok(getrusage(RUSAGE_CHILDREN, &ru) == 0, "getrusage(RUSAGE_CHILDREN)");
	ok(getrusage(RUSAGE_THREAD, &ru) == 0, "getrusage(RUSAGE_THREAD)");
	fails_with(syscall(SYS_getrusage, 5, &ru), EINVAL, "getrusage of a bad who");
	fails_with(syscall(SYS_getrusage, -2, &ru), EINVAL, "getrusage(RUSAGE_BOTH)");
	fails_with(syscall(SYS_getrusage, RUSAGE_SELF, NULL), EFAULT, "getrusage(NULL)");
	fails_with(syscall(SYS_getrusage, 5, NULL), EINVAL,
		   "getrusage checks who before the pointer");

	struct tms t;
	long a = syscall(SYS_times, &t);
	ok(a != -1, "times");
	long b = syscall(SYS_times, NULL);
	ok(b != -1 && b >= a, "times(NULL) returns the ticks too");
	ok(t.tms_utime >= 0 && t.tms_stime >= 0 && t.tms_cutime >= 0,
	   "tms fields are sane");
	fails_with(syscall(SYS_times, (void *)1), EFAULT, "times of a bad pointer");
}

static void test_sched(void)
{
	unsigned char mask[1024];
	long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
	ok(n >= 8 && n % 8 == 0, "sched_getaffinity returns the mask size (%ld)", n);
	int cpus = 0;
	for (long i = 0; i < n; i++)
		cpus += __builtin_popcount(mask[i]);
	ok(cpus >= 1, "at least one cpu (%d)", cpus);
	ok(syscall(SYS_sched_getaffinity, getpid(), sizeof mask, mask) == n,
	   "sched_getaffinity of the own pid");
	fails_with(syscall(SYS_sched_getaffinity, 0, 0, mask), EINVAL,
		   "sched_getaffinity with length 0");
	fails_with(syscall(SYS_sched_getaffinity, 0, 12, mask), EINVAL,
		   "sched_getaffinity with a length not a multiple of 8");
	fails_with(syscall(SYS_sched_getaffinity, NO_PID, sizeof mask, mask), ESRCH,
		   "sched_getaffinity of a missing pid");
	fails_with(syscall(SYS_sched_getaffinity, NO_PID, 12, mask), EINVAL,
		   "sched_getaffinity checks the length before the pid");
	fails_with(syscall(SYS_sched_getaffinity, 0, sizeof mask, NULL), EFAULT,
		   "sched_getaffinity into NULL");
	cpu_set_t set;
	ok(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == cpus,
	   "glibc sched_getaffinity agrees");

	ok(sched_yield() == 0, "sched_yield");
	ok(sched_getscheduler(0) == SCHED_OTHER, "sched_getscheduler is SCHED_OTHER");
	fails_with(sched_getscheduler(-1), EINVAL, "sched_getscheduler(-1)");
	fails_with(sched_getscheduler(NO_PID), ESRCH, "sched_getscheduler of a missing pid");
	struct sched_param sp = { .sched_priority = 99 };
	ok(sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "sched_getparam");
	fails_with(sched_getparam(0, NULL), EINVAL, "sched_getparam(NULL)");
	fails_with(sched_getparam(-1, &sp), EINVAL, "sched_getparam(-1)");
	fails_with(sched_getparam(NO_PID, &sp), ESRCH, "sched_getparam of a missing pid");
	fails_with(sched_getparam(0, (void *)1), EFAULT, "sched_getparam of a bad pointer");

	errno = 0;
	int prio = getpriority(PRIO_PROCESS, 0);
	ok(errno == 0 && prio >= -20 && prio <= 19, "getpriority (%d)", prio);
	long raw = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	ok(raw == 20 - prio, "the raw getpriority value is 20 - nice (%ld)", raw);
	errno = 0;
	ok(getpriority(PRIO_PGRP, 0) == prio && errno == 0, "getpriority(PRIO_PGRP)");
	fails_with(syscall(SYS_getpriority, 3, 0), EINVAL, "getpriority of a bad which");
	fails_with(syscall(SYS_getpriority, PRIO_PROCESS, NO_PID), ESRCH,
		   "getpriority of a missing pid");

	unsigned cpu = ~0u, node = ~0u;
	long r = syscall(SYS_getcpu, &cpu, &node, NULL);
	ok(r == 0 && cpu < 4096 && node < 4096, "getcpu (cpu %u node %u)", cpu, node);
	ok(syscall(SYS_getcpu, NULL, NULL, NULL) == 0, "getcpu with no pointers");
	fails_with(syscall(SYS_getcpu, (void *)1, NULL, NULL), EFAULT,
		   "getcpu into a bad pointer");
}

static void test_getrandom(void)
{
	unsigned char a[64], b[64];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	ok(getrandom(a, sizeof a, 0) == sizeof a, "getrandom 64 bytes");
	ok(getrandom(b, sizeof b, GRND_NONBLOCK) == sizeof b, "getrandom GRND_NONBLOCK");
	ok(memcmp(a, b, sizeof a) != 0, "two draws differ");
	ok(getrandom(a, 16, GRND_INSECURE) == 16, "getrandom GRND_INSECURE");
	ok(getrandom(a, 16, GRND_RANDOM | GRND_NONBLOCK) == 16 || errno == EAGAIN,
	   "getrandom GRND_RANDOM");
	ok(getrandom(NULL, 0, 0) == 0, "getrandom of nothing");
	fails_with(getrandom(a, 16, 0x100), EINVAL, "getrandom with a bad flag");
	fails_with(getrandom(a, 16, GRND_INSECURE | GRND_RANDOM), EINVAL,
		   "getrandom with GRND_INSECURE|GRND_RANDOM");
	fails_with(getrandom(NULL, 16, 0), EFAULT, "getrandom into NULL");
	fails_with(getrandom(NULL, 16, 0x100), EINVAL,
		   "getrandom checks the flags before the buffer");

	/* A buffer that runs into unmapped memory gets a short count. */
	unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p + 4096, 4096);
	ok(getrandom(p + 4000, 200, 0) == 96, "getrandom stops at unmapped memory");
	munmap(p, 4096);
}

int main(void)
{
	test_uname();
	test_sysinfo();
	test_rlimit_errors();
	test_rlimit_roundtrip();
	test_nofile();
	test_as();
	test_usage();
	test_sched();
	test_getrandom();
	return tap_done();
}
