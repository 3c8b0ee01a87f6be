/* The /proc files outside pid directories and the per-process files
 * that are the host's as they are, checked against what the process can
 * learn by other calls: version and sys/kernel against uname, limits in
 * sys/ against the calls they bound, meminfo, cpuinfo and stat against
 * sysinfo, sysconf and the clock, /proc/mounts against
 * /proc/self/mounts, and io, wchan, loginuid, oom_score_adj and ns/. */
#include "tap.h"
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

static char text[1 << 16];

static long slurp(const char *path)
{
	return tap_read_file(path, text, sizeof text);
}

/* The file's single number, or -1. */
static long long number(const char *path)
{
	return slurp(path) > 0 ? atoll(text) : -1;
}

/* The number after "key" at a line's start, or -1. */
static long long line_num(const char *key)
{
	return tap_line_num(text, key, 10);
}

static int count_lines(const char *prefix)
{
	int n = 0;
	size_t k = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += strncmp(l, prefix, k) == 0;
	return n;
}

static void check_kernel(void)
{
	struct utsname u;
	ok(uname(&u) == 0, "uname");
	char want[512];
	snprintf(want, sizeof want, "Linux version %s ", u.release);
	ok(slurp("/proc/version") > 0 && strncmp(text, want, strlen(want)) == 0,
	   "/proc/version names uname's release");
	ok(slurp("/proc/sys/kernel/ostype") > 0 && strncmp(text, u.sysname, strlen(u.sysname)) == 0,
	   "sys/kernel/ostype is uname's sysname");
	ok(slurp("/proc/sys/kernel/osrelease") > 0 && strncmp(text, u.release, strlen(u.release)) == 0,
	   "sys/kernel/osrelease is uname's release");
	long long last = number("/proc/sys/kernel/cap_last_cap");
	ok(last >= 37 && prctl(PR_CAPBSET_READ, last) >= 0,
	   "sys/kernel/cap_last_cap (%lld) is a capability prctl knows", last);
	fails_with(prctl(PR_CAPBSET_READ, last + 1), EINVAL, "PR_CAPBSET_READ past cap_last_cap");
	ok(number("/proc/sys/kernel/ngroups_max") == sysconf(_SC_NGROUPS_MAX),
	   "sys/kernel/ngroups_max is sysconf's NGROUPS_MAX");
	long long pid_max = number("/proc/sys/kernel/pid_max");
	ok(pid_max >= 301 && getpid() <= pid_max, "sys/kernel/pid_max (%lld) bounds our pid", pid_max);
	ok(number("/proc/sys/kernel/threads-max") > 0, "sys/kernel/threads-max is a number");
	fails_with(open("/proc/sys/kernel/ostype", O_WRONLY), EACCES, "open sys/kernel/ostype for writing");
}

static void check_fs_vm(void)
{
	long long nr_open = number("/proc/sys/fs/nr_open");
	struct rlimit rl;
	ok(getrlimit(RLIMIT_NOFILE, &rl) == 0 && nr_open >= (long long)rl.rlim_max,
	   "sys/fs/nr_open (%lld) is at least the hard RLIMIT_NOFILE", nr_open);
	struct rlimit over = { (rlim_t)nr_open + 1, (rlim_t)nr_open + 1 };
	fails_with(setrlimit(RLIMIT_NOFILE, &over), EPERM, "RLIMIT_NOFILE past nr_open");
	ok(number("/proc/sys/fs/file-max") > 0, "sys/fs/file-max is a number");
	long long pmax = number("/proc/sys/fs/pipe-max-size");
	int p[2];
	ok(pmax >= 4096 && pipe(p) == 0 && fcntl(p[0], F_SETPIPE_SZ, (int)pmax) >= pmax,
	   "F_SETPIPE_SZ to sys/fs/pipe-max-size (%lld)", pmax);
	close(p[0]), close(p[1]);
	long long oc = number("/proc/sys/vm/overcommit_memory");
	ok(oc >= 0 && oc <= 2, "sys/vm/overcommit_memory is 0, 1 or 2 (%lld)", oc);
}

static void check_system(void)
{
	struct sysinfo si;
	ok(sysinfo(&si) == 0, "sysinfo");
	ok(slurp("/proc/meminfo") > 0 &&
	   line_num("MemTotal:") * 1024 == (long long)si.totalram * si.mem_unit,
	   "meminfo MemTotal is sysinfo's totalram");
	ok(line_num("MemTotal:") * 1024 == (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE),
	   "meminfo MemTotal is sysconf's physical pages");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ok(slurp("/proc/cpuinfo") > 0 && count_lines("processor") == cpus,
	   "cpuinfo lists the %ld online processors", cpus);
	ok(slurp("/proc/stat") > 0 && count_lines("cpu") == cpus + 1,
	   "stat has a cpu line and one per online processor");
	long long btime = line_num("btime ");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* boot time + uptime is now (rounding: both are whole seconds) */
	ok(btime > 0 && llabs(btime + (long long)si.uptime - (long long)now.tv_sec) <= 2,
	   "stat's btime plus sysinfo's uptime is the time of day");
	ok(line_num("processes ") > 0 && line_num("procs_running ") >= 1,
	   "stat counts processes and running ones");
	char a[1 << 14];
	ok(slurp("/proc/self/mounts") > 0, "/proc/self/mounts read");
	strncpy(a, text, sizeof a - 1);
	a[sizeof a - 1] = 0;
	ok(slurp("/proc/mounts") > 0 && strncmp(a, text, sizeof a - 1) == 0,
	   "/proc/mounts is /proc/self/mounts");
	/* mountstats has the same mounts, in the same order */
	char points[1 << 14] = "", mp[4096];
	size_t pl = 0;
	for (const char *l = a; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (sscanf(l, "%*s %4095s", mp) == 1 && pl + strlen(mp) + 2 < sizeof points)
			pl += (size_t)sprintf(points + pl, "%s\n", mp);
	char stats[1 << 14] = "";
	size_t sl = 0;
	ok(slurp("/proc/self/mountstats") > 0, "/proc/self/mountstats read");
	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (sscanf(l, "device %*s mounted on %4095s", mp) == 1 &&
		    sl + strlen(mp) + 2 < sizeof stats)
			sl += (size_t)sprintf(stats + sl, "%s\n", mp);
	ok(pl > 0 && strcmp(points, stats) == 0, "mountstats names the mount points of mounts, in order");
}

static void check_own(void)
{
	ok(slurp("/proc/self/io") > 0, "self/io read");
	long long before = line_num("rchar: ");
	char buf[4096];
	int fd = open("/proc/self/cmdline", O_RDONLY);
	ssize_t got = read(fd, buf, sizeof buf);
	close(fd);
	slurp("/proc/self/io");
	ok(before >= 0 && got > 0 && line_num("rchar: ") >= before + got,
	   "self/io's rchar counts a read (%lld -> %lld)", before, line_num("rchar: "));
	ok(slurp("/proc/self/wchan") >= 0, "self/wchan reads");
	ok(number("/proc/self/loginuid") >= 0 || strncmp(text, "4294967295", 10) == 0,
	   "self/loginuid is a uid");
	long long adj = number("/proc/self/oom_score_adj");
	ok(adj >= -1000 && adj <= 1000, "self/oom_score_adj is in range (%lld)", adj);
	ok(number("/proc/self/oom_score") >= 0, "self/oom_score is a number");
	char link[64], want[64];
	struct stat st;
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
	if (n > 0)
		link[n] = 0;
	ok(n > 0 && stat("/proc/self/ns/pid", &st) == 0, "ns/pid: readlink and stat");
	snprintf(want, sizeof want, "pid:[%llu]", (unsigned long long)st.st_ino);
	ok(n > 0 && strcmp(link, want) == 0, "ns/pid names its inode (%s)", n > 0 ? link : "");
	n = readlink("/proc/self/ns/mnt", link, sizeof link - 1);
	ok(n > 5 && strncmp(link, "mnt:[", 5) == 0, "ns/mnt reads mnt:[N]");
}

int main(void)
{
	check_kernel();
	check_fs_vm();
	check_system();
	check_own();
	return tap_done();
}
