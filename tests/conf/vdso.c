/* The vDSO: the program gets one (AT_SYSINFO_EHDR, "[vdso]" in its
 * maps), its clocks agree with the system calls they stand for, getcpu
 * names a CPU, a forked child and an exec'd program have it too, and a
 * program that unmapped it still execs a program whose clocks work. */
#include "tap.h"
#include <elf.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The [vdso] line of our maps: its start and end, false if none. */
static bool vdso_range(uintptr_t *start, uintptr_t *end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", start, end) == 2;
	if (f)
		fclose(f);
	return found;
}

static void check_clocks(void)
{
	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
					 CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW,
					 CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE };
	static const char *const names[] = { "REALTIME", "MONOTONIC", "BOOTTIME",
					     "MONOTONIC_RAW", "REALTIME_COARSE",
					     "MONOTONIC_COARSE" };
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		struct timespec a, b, c;
		clock_gettime(ids[i], &a);
		syscall(SYS_clock_gettime, ids[i], &b);
		clock_gettime(ids[i], &c);
		/* the coarse clocks tick every few ms: compare at that grain */
		int64_t slack = i >= 4 ? 20000000 : 0;
		ok(ns(&a) <= ns(&b) + slack && ns(&b) <= ns(&c) + slack && ns(&c) - ns(&a) < 1000000000,
		   "CLOCK_%s: the library's reading brackets the system call's", names[i]);
	}
	struct timeval tv;
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	ok(gettimeofday(&tv, NULL) == 0 && tv.tv_sec - rt.tv_sec <= 1 && tv.tv_sec >= rt.tv_sec,
	   "gettimeofday agrees with CLOCK_REALTIME");
	/* time() reads the coarse clock (the seconds of the last tick), which
	 * may still be a second behind a CLOCK_REALTIME read just before it
	 * when that read fell between a second's start and the next tick */
	time_t t = time(NULL);
	ok(t - rt.tv_sec <= 1 && t >= rt.tv_sec - 1, "time() agrees with CLOCK_REALTIME");
	struct timespec res;
	ok(clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(&res) > 0 && ns(&res) <= 1000000,
	   "clock_getres(CLOCK_MONOTONIC)");
	int cpu = sched_getcpu();
	ok(cpu >= 0 && cpu < sysconf(_SC_NPROCESSORS_CONF), "sched_getcpu names a CPU (%d)", cpu);
	unsigned c2 = 99, node = 99;
	ok(syscall(SYS_getcpu, &c2, &node, NULL) == 0 && c2 < (unsigned)sysconf(_SC_NPROCESSORS_CONF),
	   "the getcpu system call names a CPU");
	struct timespec bad;
	fails_with(syscall(SYS_clock_gettime, 12345, &bad), EINVAL, "clock_gettime of no clock");
	fails_with(clock_gettime(12345, &bad), EINVAL, "the library's clock_gettime of no clock");
}

static void check_vdso(const char *who)
{
	uintptr_t ehdr = getauxval(AT_SYSINFO_EHDR), start = 0, end = 0;
	ok(ehdr != 0, "%s: AT_SYSINFO_EHDR is given", who);
	ok(vdso_range(&start, &end) && start == ehdr, "%s: maps show [vdso] at it", who);
	ok(ehdr && memcmp((void *)ehdr, ELFMAG, SELFMAG) == 0 &&
	   ((Elf64_Ehdr *)ehdr)->e_type == ET_DYN, "%s: it is an ELF shared object", who);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--exec") == 0) {
		check_vdso("after exec");
		return tap_done();
	}
	if (argc == 2 && strcmp(argv[1], "--no-vdso-parent") == 0) {
		/* exec'd by a program that unmapped its vDSO: clocks work */
		struct timespec a, b;
		ok(clock_gettime(CLOCK_MONOTONIC, &a) == 0 && syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b) == 0 &&
		   ns(&a) <= ns(&b), "after an exec from a program without its vDSO: CLOCK_MONOTONIC");
		return tap_done();
	}
	check_vdso("the program");
	check_clocks();
	pid_t c = fork();
	if (c == 0) {
		uintptr_t s, e;
		struct timespec a;
		_exit(getauxval(AT_SYSINFO_EHDR) && vdso_range(&s, &e) &&
		      clock_gettime(CLOCK_MONOTONIC, &a) == 0 ? 0 : 1);
	}
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a forked child has the vDSO and its clocks");
	/* the exec'd checks print their own TAP lines: run them apart */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl("/proc/self/exe", argv[0], "--exec", (char *)NULL);
		_exit(127);
	}
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "an exec'd program has the vDSO");
	c = fork();
	if (c == 0) {
		uintptr_t s, e;
		if (!vdso_range(&s, &e) || munmap((void *)s, e - s) < 0)
			_exit(126);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		/* a raw execve: the library must not call into the vDSO now */
		char *args[] = { argv[0], "--no-vdso-parent", NULL };
		syscall(SYS_execve, "/proc/self/exe", args, environ);
		_exit(127);
	}
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a program that unmapped its vDSO execs one whose clocks work");
	return tap_done();
}
