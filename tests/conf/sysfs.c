/* /sys as programs read it to size themselves: the CPU lists (online,
 * possible, present) against sysconf and the affinity mask, a CPU's
 * topology, the transparent huge page size, and the refusal to open an
 * attribute for writing (never a write: natively root may change some
 * sysfs attributes; `online` and `possible` have no store, so even root
 * gets EACCES).  Natively and under picos alike.
 *
 * Under picos (the provider window is taken) also what the world's /sys
 * leaves out (include/picos/worldsys.h): the host's block devices,
 * network interfaces, firmware and the rest are not there and not
 * listed, the directories on the way list only what leads to the kept
 * entries, and /sys/fs/cgroup is empty.  The same in both modes
 * (sysfs.variants runs it flat). */
#include "tap.h"
#include <dirent.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define CPU "/sys/devices/system/cpu"
#define THP "/sys/kernel/mm/transparent_hugepage"
/* PICOS_PROVIDER_BASE (include/picos/layout.h) */
#define WINDOW 0x7e0000000000UL

/* The first line of `path` into buf (newline dropped); NULL on error. */
static const char *line_of(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	const char *r = fgets(buf, (int)size, f);
	fclose(f);
	if (r)
		buf[strcspn(buf, "\n")] = 0;
	return r;
}

/* A sysfs CPU list ("0-3,5,7-8") into a set; the count, or -1 when it
 * does not parse. */
static int parse_list(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	if (!*s)
		return 0;
	for (;;) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= CPU_SETSIZE)
				return -1;
		}
		for (long i = a; i <= b; i++)
			CPU_SET(i, set);
		if (!*end)
			return CPU_COUNT(set);
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

static int cpu_list(const char *name, cpu_set_t *set)
{
	char path[128], buf[4096];
	snprintf(path, sizeof path, CPU "/%s", name);
	if (!line_of(path, buf, sizeof buf)) {
		printf("#   %s: %s\n", path, strerror(errno));
		return -1;
	}
	int n = parse_list(buf, set);
	if (!ok(n > 0, "%s parses (\"%s\")", path, buf))
		return -1;
	return n;
}

/* Is every CPU of a in b? */
static int subset(cpu_set_t *a, cpu_set_t *b)
{
	cpu_set_t both;
	CPU_AND(&both, a, b);
	return CPU_EQUAL(&both, a);
}

/* The cpuN directories of CPU. */
static int cpu_dirs(void)
{
	DIR *d = opendir(CPU);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "cpu", 3) && e->d_name[3] >= '0' &&
		    e->d_name[3] <= '9')
			n++;
	closedir(d);
	return n;
}

static void cpus(void)
{
	cpu_set_t online, possible, present, aff;
	int non = cpu_list("online", &online);
	int npos = cpu_list("possible", &possible);
	int npre = cpu_list("present", &present);
	if (non < 0 || npos < 0 || npre < 0)
		return;
	ok(subset(&online, &present) && subset(&present, &possible),
	   "online within present within possible");
	int r = sched_getaffinity(0, sizeof aff, &aff);
	int naff = r == 0 ? CPU_COUNT(&aff) : -1;
	ok(naff >= 1 && subset(&aff, &online),
	   "the affinity mask (%d CPUs) lies within online", naff);
	/* glibc reads online, musl counts the affinity mask */
	long onln = sysconf(_SC_NPROCESSORS_ONLN);
	if (!ok(onln == non || onln == naff,
		"sysconf(_SC_NPROCESSORS_ONLN) counts online or the affinity mask"))
		printf("#   sysconf %ld, online %d, affinity %d\n", onln, non,
		       naff);
	/* glibc counts possible, or the cpuN directories where it has no
	 * possible file to read: both are in the world's /sys; musl counts
	 * the affinity mask. */
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	int ndirs = cpu_dirs();
	if (!ok(conf == npos || conf == ndirs || conf == naff,
		"sysconf(_SC_NPROCESSORS_CONF) counts possible, the cpuN "
		"directories or the affinity mask"))
		printf("#   sysconf %ld, possible %d, cpuN %d, affinity %d\n",
		       conf, npos, ndirs, naff);
	ok(ndirs >= non, "a cpuN directory for each online CPU (%d)", ndirs);

	char buf[64];
	int first = -1;
	for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &online))
			first = i;
	char path[128];
	snprintf(path, sizeof path, CPU "/cpu%d/topology/core_id", first);
	char *end = NULL;
	ok(line_of(path, buf, sizeof buf) && (strtol(buf, &end, 10), *end == 0) &&
		   end != buf,
	   "%s reads as a number", path);
	snprintf(path, sizeof path, CPU "/cpu%d/topology/thread_siblings_list",
		 first);
	cpu_set_t sib;
	ok(line_of(path, buf, sizeof buf) && parse_list(buf, &sib) > 0 &&
		   CPU_ISSET(first, &sib),
	   "thread_siblings_list of cpu%d holds it", first);
}

/* The kernel has transparent huge pages when /proc/meminfo counts
 * AnonHugePages (CONFIG_TRANSPARENT_HUGEPAGE); then /sys shows their
 * size, a PMD: 2 MiB on x86-64. */
static void thp(void)
{
	char buf[256];
	int has = 0;
	FILE *f = fopen("/proc/meminfo", "re");
	while (f && fgets(buf, sizeof buf, f))
		if (!strncmp(buf, "AnonHugePages:", 14))
			has = 1;
	if (f)
		fclose(f);
	if (!has) {
		printf("ok %d - " THP " # SKIP no AnonHugePages in /proc/meminfo\n",
		       ++tap_count);
		return;
	}
	const char *s = line_of(THP "/hpage_pmd_size", buf, sizeof buf);
	ok(s && !strcmp(s, "2097152"), "hpage_pmd_size is 2 MiB");
	ok(line_of(THP "/enabled", buf, sizeof buf) && strchr(buf, '['),
	   "transparent_hugepage/enabled names its mode in brackets");
}

/* Opening for writing an attribute without a store: EACCES natively
 * (for root too); under picos EROFS where the mount is read-only. */
static void no_write(const char *path)
{
	errno = 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		close(fd); /* nothing written */
	if (!ok(fd < 0 && (e == EACCES || e == EROFS || e == EPERM),
		"open(%s, O_WRONLY) is refused", path))
		printf("#   got %d, %s\n", fd, strerror(e));
}

/* The old getdents record: the name right after d_reclen. */
struct old_dirent {
	unsigned long d_ino, d_off;
	unsigned short d_reclen;
	char d_name[];
};

/* The names in directory `path`, sorted, blank-separated, without . and
 * .., through getdents64 (or the old getdents) with a buffer of `size`
 * bytes (small ones take many calls: a filtered listing must still end
 * and lose nothing). */
static const char *names_of(const char *path, size_t size, int old)
{
	static char out[4096];
	char names[64][64];
	int n = 0;
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return strerror(errno);
	char buf[4096];
	long r;
	while ((r = syscall(old ? SYS_getdents : SYS_getdents64, fd, buf,
			    size)) > 0)
		for (long off = 0; off < r;) {
			struct dirent64 *d = (void *)(buf + off);
			struct old_dirent *o = (void *)(buf + off);
			const char *name = old ? o->d_name : d->d_name;
			if (strcmp(name, ".") && strcmp(name, "..") && n < 64)
				snprintf(names[n++], 64, "%.63s", name);
			off += old ? o->d_reclen : d->d_reclen;
		}
	close(fd);
	if (r < 0)
		return strerror(errno);
	qsort(names, (size_t)n, sizeof names[0],
	      (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s",
			 i ? " " : "", names[i]);
	return out;
}

/* One of `want`'s alternatives ("a b|a b c": with and without an entry
 * the host may lack). */
static void lists(const char *path, const char *want)
{
	char got[4096];
	snprintf(got, sizeof got, "%s", names_of(path, 4096, 0));
	char alts[256];
	snprintf(alts, sizeof alts, "%s", want);
	int found = !strcmp(want, got);
	for (char *save, *a = strtok_r(alts, "|", &save); a;
	     a = strtok_r(NULL, "|", &save))
		found |= !strcmp(a, got);
	if (!ok(found, "%s lists %s", path, want))
		printf("#   got \"%s\"\n", got);
	/* The smallest buffer that holds the longest name shown: a call for
	 * nearly every record, and hidden names longer than that (the host
	 * has them) must not make the listing fail with EINVAL. */
	size_t longest = 2;
	for (const char *p = got; *p;) {
		size_t n = strcspn(p, " ");
		longest = n > longest ? n : longest;
		p += n + (p[n] == ' ');
	}
	size_t small = (19 + longest + 1 + 7) & ~(size_t)7;
	ok(!strcmp(names_of(path, small, 0), got),
	   "%s lists the same %zu bytes at a time", path, small);
	ok(!strcmp(names_of(path, 4096, 1), got),
	   "%s lists the same through the old getdents", path);
}

static void absent(const char *path)
{
	struct stat st;
	errno = 0;
	int r = stat(path, &st);
	if (!ok(r < 0 && errno == ENOENT, "%s is not there (ENOENT)", path))
		printf("#   got %d, %s\n", r, strerror(errno));
}

/* Every mount point /proc/self/mountinfo names below /sys is there (in
 * picos's flat mode the host's cgroup mounts below the empty
 * /sys/fs/cgroup are left out of the table, as the directory hides
 * them). */
static void mount_points(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!ok(f != NULL, "/proc/self/mountinfo opens"))
		return;
	char line[4096], mp[4096];
	int n = 0, there = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
		    !strncmp(mp, "/sys", 4) && (!mp[4] || mp[4] == '/')) {
			struct stat st;
			n++;
			if (stat(mp, &st) == 0)
				there++;
			else
				printf("#   %s: %s\n", mp, strerror(errno));
		}
	fclose(f);
	ok(there == n, "the %d mount points below /sys in mountinfo are there",
	   n);
}

static void world_view(void)
{
	lists("/sys", "devices fs kernel");
	lists("/sys/devices", "system");
	lists("/sys/devices/system", "cpu node");
	lists("/sys/kernel", "mm");
	lists("/sys/kernel/mm", "hugepages transparent_hugepage|"
				"transparent_hugepage|hugepages");
	lists("/sys/fs", "cgroup");
	lists("/sys/fs/cgroup", "");
	absent("/sys/block");
	absent("/sys/class/net");
	absent("/sys/class");
	absent("/sys/firmware");
	absent("/sys/kernel/debug");
	absent("/sys/kernel/security");
	absent("/sys/devices/virtual/net/lo");
	absent("/sys/devices/system/memory");
	absent("/sys/fs/cgroup/cgroup.procs");
	absent("/sys/fs/cgroup/memory");
	absent("/sys/kernel/mm/ksm");
	absent("/sys/dev/block");
	/* A kept directory's link out of the kept trees leads nowhere. */
	absent(CPU "/cpu0/subsystem/uevent");
	/* ".." through the kept tree walks back into the narrowed /sys */
	absent(CPU "/../../../class/net");
	int fd = open(CPU, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	errno = 0;
	int r = fd < 0 ? -2 : fstatat(fd, "../../../block", &st, 0);
	ok(r == -1 && errno == ENOENT,
	   "fstatat(cpu dir, \"../../../block\") is ENOENT");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	cpus();
	thp();
	no_write(CPU "/online");
	no_write(CPU "/possible");
	mount_points();
	void *w = mmap((void *)WINDOW, 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int picos = w == MAP_FAILED;
	if (!picos)
		munmap(w, 4096);
	if (picos)
		world_view();
	else
		printf("ok %d - the world's narrowed /sys # SKIP natively: "
		       "the host's sysfs shows everything\n",
		       ++tap_count);
	return tap_done();
}
