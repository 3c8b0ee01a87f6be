/* /proc/<pid>/stat, status, cmdline, environ and comm, and the /proc
 * listing, checked against what the process knows of itself and of a
 * child it set up: pids and the process tree, ids, capabilities, umask,
 * blocked, ignored and caught signals, no_new_privs, seccomp, names and
 * the argument and environment strings; the same per thread in
 * task/<tid>/ and thread-self. */
#include "tap.h"
#include <dirent.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

/* A "Key:" line's value in a status text, as text. */
static const char *field(const char *text, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		p += kl + 1;
		while (*p == '\t' || *p == ' ')
			p++;
		size_t n = strcspn(p, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(out, p, n);
		out[n] = 0;
		return out;
	}
	return NULL;
}

static long num_field(const char *text, const char *key)
{
	char v[128];
	return field(text, key, v, sizeof v) ? strtol(v, NULL, 10) : -999;
}

static uint64_t hex_field(const char *text, const char *key)
{
	char v[128];
	return field(text, key, v, sizeof v) ? strtoull(v, NULL, 16) : ~0ULL;
}

/* stat: the comm in *comm, then fields from 3 on in f[3..]. */
static bool parse_stat(const char *text, char *comm, size_t csize, long long f[53])
{
	const char *o = strchr(text, '('), *c = strrchr(text, ')');
	if (!o || !c)
		return false;
	f[1] = atoll(text);
	size_t n = (size_t)(c - o - 1) < csize - 1 ? (size_t)(c - o - 1) : csize - 1;
	memcpy(comm, o + 1, n);
	comm[n] = 0;
	const char *p = c + 2;
	for (int k = 3; k < 53 && *p; k++) {
		f[k] = k == 3 ? *p : atoll(p);
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	return true;
}

/* The blocked, ignored and caught sets as the kernel keeps them. */
static uint64_t blocked_now(void)
{
	uint64_t m = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
	return m;
}

static void dispositions(uint64_t *ign, uint64_t *cgt)
{
	*ign = *cgt = 0;
	for (int sig = 1; sig <= 64; sig++) {
		struct { void *h; unsigned long fl; void *r; uint64_t m; } a;
		if (syscall(SYS_rt_sigaction, sig, NULL, &a, 8) != 0)
			continue;
		if (a.h == SIG_IGN)
			*ign |= 1ULL << (sig - 1);
		else if (a.h != SIG_DFL)
			*cgt |= 1ULL << (sig - 1);
	}
}

static void on_usr1(int sig) { (void)sig; }

/* The strings of argv or environ as /proc shows them. */
static size_t join(char **v, char *out, size_t size)
{
	size_t n = 0;
	for (; *v; v++) {
		size_t l = strlen(*v) + 1;
		if (n + l > size)
			break;
		memcpy(out + n, *v, l);
		n += l;
	}
	return n;
}

static char **test_argv;

/* limits: line k + 1 is resource k, soft and hard as getrlimit's. */
static int limits_match(const char *path)
{
	char text[8192];
	if (tap_read_file(path, text, sizeof text) <= 0)
		return 0;
	int k = -1, bad = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), k++) {
		if (k < 0 || k > 15 || strlen(l) < 67)
			continue;
		struct rlimit rl;
		getrlimit(k, &rl);
		char soft[21], hard[21];
		sscanf(l + 26, "%20s", soft);
		sscanf(l + 47, "%20s", hard);
		char ws[24], wh[24];
		snprintf(ws, sizeof ws, rl.rlim_cur == RLIM_INFINITY ? "unlimited" : "%llu",
			 (unsigned long long)rl.rlim_cur);
		snprintf(wh, sizeof wh, rl.rlim_max == RLIM_INFINITY ? "unlimited" : "%llu",
			 (unsigned long long)rl.rlim_max);
		if (strcmp(soft, ws) || strcmp(hard, wh)) {
			printf("#   %s line %d: %s %s, getrlimit %s %s\n", path, k, soft, hard, ws, wh);
			bad++;
		}
	}
	return k == 16 && bad == 0;
}

/* mountinfo and mounts: one table, a tree (every parent listed but the
 * root's), every mount point a directory or file one can stat, and the
 * same mount points in the same order in both files. */
static void check_mounts(void)
{
	static char info[1 << 18], mounts[1 << 18];
	static unsigned long id[2048], par[2048];
	static char mp[2048][256], mp2[2048][256];
	int n = 0, n2 = 0;
	ok(tap_read_file("/proc/self/mountinfo", info, sizeof info) > 0 &&
	   tap_read_file("/proc/self/mounts", mounts, sizeof mounts) > 0, "mountinfo and mounts read");
	for (char *l = strtok(info, "\n"); l && n < 2048; l = strtok(NULL, "\n"))
		if (sscanf(l, "%lu %lu %*s %*s %255s", &id[n], &par[n], mp[n]) == 3)
			n++;
	for (char *l = strtok(mounts, "\n"); l && n2 < 2048; l = strtok(NULL, "\n"))
		if (sscanf(l, "%*s %255s", mp2[n2]) == 1)
			n2++;
	int orphans = 0, unstat = 0, differ = n != n2, root = 0;
	for (int i = 0; i < n; i++) {
		bool listed = false;
		for (int j = 0; j < n && !listed; j++)
			listed = id[j] == par[i] && j != i;
		orphans += !listed;
		root += strcmp(mp[i], "/") == 0;
		struct stat st;
		unstat += strchr(mp[i], '\\') == NULL && stat(mp[i], &st) != 0;
		differ += i < n2 && strcmp(mp[i], mp2[i]) != 0;
	}
	ok(n > 0 && root >= 1, "mountinfo has / (%d entries)", n);
	ok(orphans == 1, "mountinfo is a tree: one entry without its parent listed (%d)", orphans);
	ok(unstat == 0, "every mount point can be stat()ed (%d cannot)", unstat);
	ok(!differ, "mounts has mountinfo's mount points in its order (%d, %d)", n, n2);
}

/* maps, smaps, statm and the virtual size in status and stat agree: the
 * sum of the mappings (the vsyscall page is no mapping of the process)
 * is VmSize, statm's size and stat's vsize. */
static void check_memory(void)
{
	static char maps[1 << 20], smaps[4 << 20];
	char s[8192], st[4096], sm[256], comm[64];
	long long f[53] = { 0 };
	tap_read_file("/proc/self/status", s, sizeof s);
	tap_read_file("/proc/self/stat", st, sizeof st);
	tap_read_file("/proc/self/statm", sm, sizeof sm);
	long n = tap_read_file("/proc/self/maps", maps, sizeof maps);
	ok(n > 0 && parse_stat(st, comm, sizeof comm, f), "maps, status, stat and statm read");
	unsigned long long total = 0;
	int lines = 0;
	for (char *p = maps; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		unsigned long long a, b;
		if (sscanf(p, "%llx-%llx", &a, &b) != 2)
			continue;
		lines++;
		if (!strstr(strtok(strdup(p), "\n"), "[vsyscall]"))
			total += b - a;
	}
	long vmsize = num_field(s, "VmSize");
	ok(vmsize > 0 && total == (unsigned long long)vmsize * 1024,
	   "the mappings add up to VmSize (%llu kB, VmSize %ld kB)", total / 1024, vmsize);
	ok((unsigned long long)f[23] == (unsigned long long)vmsize * 1024,
	   "stat's vsize is VmSize (%lld)", f[23]);
	ok(strtoull(sm, NULL, 10) * 4 == (unsigned long long)vmsize,
	   "statm's size is VmSize in pages (%s)", strtok(sm, " "));
	ok(num_field(s, "VmPeak") >= vmsize, "VmPeak >= VmSize");
	long sn = tap_read_file("/proc/self/smaps", smaps, sizeof smaps);
	int records = 0;
	for (char *p = smaps; sn > 0 && (p = strstr(p, "\nSize:")); p++)
		records++;
	ok(records == lines, "smaps has a record per mapping (%d, maps %d)", records, lines);
}

static void check_self(void)
{
	char st[4096], comm[64], name[17] = { 0 };
	long long f[53] = { 0 };
	prctl(PR_GET_NAME, name);
	ok(tap_read_file("/proc/self/stat", st, sizeof st) > 0 && parse_stat(st, comm, sizeof comm, f),
	   "/proc/self/stat reads");
	ok(f[1] == getpid(), "stat: pid is getpid() (%lld)", f[1]);
	ok(strcmp(comm, name) == 0, "stat: comm is PR_GET_NAME's (%s)", comm);
	ok(f[3] == 'R', "stat: the reader is running (%c)", (char)f[3]);
	ok(f[4] == getppid() && f[5] == getpgrp() && f[6] == getsid(0),
	   "stat: ppid, pgrp and session are getppid, getpgrp, getsid");
	uint64_t ign, cgt;
	dispositions(&ign, &cgt);
	uint64_t low = 0x7fffffff; /* stat shows signals 1-31 only */
	ok((uint64_t)f[32] == (blocked_now() & low) && (uint64_t)f[33] == (ign & low) &&
	   (uint64_t)f[34] == (cgt & low), "stat: blocked, ignored and caught signals 1-31");

	char s[8192], v[128];
	ok(tap_read_file("/proc/self/status", s, sizeof s) > 0, "/proc/self/status reads");
	ok(field(s, "Name", v, sizeof v) && strcmp(v, name) == 0, "status: Name");
	ok(num_field(s, "Tgid") == getpid() && num_field(s, "Pid") == gettid() &&
	   num_field(s, "PPid") == getppid(), "status: Tgid, Pid, PPid");
	ok(num_field(s, "TracerPid") == 0, "status: TracerPid 0 (not traced)");
	ok(num_field(s, "NSpid") == gettid() || num_field(s, "NSpid") == -999,
	   "status: NSpid (first value) is the pid");
	uid_t r, e, sv;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &sv);
	getresgid(&gr, &ge, &gs);
	char want[128];
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", r, e, sv, (unsigned)setfsuid(-1));
	ok(field(s, "Uid", v, sizeof v) && strcmp(v, want) == 0, "status: Uid is getresuid and fsuid (%s)", v);
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", gr, ge, gs, (unsigned)setfsgid(-1));
	ok(field(s, "Gid", v, sizeof v) && strcmp(v, want) == 0, "status: Gid is getresgid and fsgid (%s)", v);
	mode_t um = umask(027);
	tap_read_file("/proc/self/status", s, sizeof s);
	ok(field(s, "Umask", v, sizeof v) && strcmp(v, "0027") == 0,
	   "status: Umask after umask(027)");
	umask(um);
	ok(hex_field(s, "SigBlk") == blocked_now(), "status: SigBlk");
	ok(hex_field(s, "SigIgn") == ign, "status: SigIgn");
	ok(hex_field(s, "SigCgt") == cgt, "status: SigCgt");
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	syscall(SYS_capget, &h, d);
	ok(hex_field(s, "CapEff") == (d[0].effective | (uint64_t)d[1].effective << 32) &&
	   hex_field(s, "CapPrm") == (d[0].permitted | (uint64_t)d[1].permitted << 32) &&
	   hex_field(s, "CapInh") == (d[0].inheritable | (uint64_t)d[1].inheritable << 32),
	   "status: CapEff, CapPrm, CapInh are capget's");
	ok(num_field(s, "NoNewPrivs") == prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
	   "status: NoNewPrivs is PR_GET_NO_NEW_PRIVS's");
	ok(num_field(s, "Seccomp") == prctl(PR_GET_SECCOMP, 0, 0, 0, 0),
	   "status: Seccomp is PR_GET_SECCOMP's");

	/* A change shows at the next open. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGRTMIN + 5, SIG_IGN); /* past the 31 the stat file shows */
	signal(SIGUSR2, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	tap_read_file("/proc/self/status", s, sizeof s);
	dispositions(&ign, &cgt);
	ok(hex_field(s, "SigBlk") == blocked_now() && (blocked_now() & (1ULL << (SIGWINCH - 1))),
	   "status: SigBlk after sigprocmask");
	ok(hex_field(s, "SigIgn") == ign && (ign & (1ULL << (SIGUSR2 - 1))),
	   "status: SigIgn after SIG_IGN");
	ok(hex_field(s, "SigCgt") == cgt && (cgt & (1ULL << (SIGUSR1 - 1))),
	   "status: SigCgt after a handler");
	tap_read_file("/proc/self/stat", st, sizeof st);
	parse_stat(st, comm, sizeof comm, f);
	ok((uint64_t)f[32] == (blocked_now() & low) && (uint64_t)f[33] == (ign & low),
	   "stat: the sets after the changes, real-time signals left out");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGRTMIN + 5, SIG_DFL);

	char c[8192], w[8192];
	long n = tap_read_file("/proc/self/cmdline", c, sizeof c);
	size_t wn = join(test_argv, w, sizeof w);
	ok(n == (long)wn && memcmp(c, w, wn) == 0, "/proc/self/cmdline is argv (%ld bytes)", n);
	n = tap_read_file("/proc/self/environ", c, sizeof c);
	wn = join(environ, w, sizeof w);
	ok(wn == 0 || (n == (long)wn && memcmp(c, w, wn) == 0),
	   "/proc/self/environ is the environment (%ld bytes)", n);
	char hn[128], want_hn[80];
	gethostname(want_hn, sizeof want_hn - 1);
	strcat(want_hn, "\n");
	ok(tap_read_file("/proc/sys/kernel/hostname", hn, sizeof hn) > 0 && strcmp(hn, want_hn) == 0,
	   "/proc/sys/kernel/hostname is gethostname's");
	getdomainname(want_hn, sizeof want_hn - 1);
	strcat(want_hn, "\n");
	ok(tap_read_file("/proc/sys/kernel/domainname", hn, sizeof hn) > 0 && strcmp(hn, want_hn) == 0,
	   "/proc/sys/kernel/domainname is getdomainname's");
	ok(limits_match("/proc/self/limits"), "limits: each resource's soft and hard limit");
	struct rlimit nf, nf_low = { 200, 300 };
	getrlimit(RLIMIT_NOFILE, &nf);
	setrlimit(RLIMIT_NOFILE, &nf_low);
	ok(limits_match("/proc/self/limits"), "limits after setrlimit(RLIMIT_NOFILE, 200, 300)");
	setrlimit(RLIMIT_NOFILE, &nf);
	prctl(PR_SET_NAME, "renamed-conf");
	tap_read_file("/proc/self/comm", c, sizeof c);
	ok(strcmp(c, "renamed-conf\n") == 0, "comm after PR_SET_NAME");
	tap_read_file("/proc/self/stat", st, sizeof st);
	parse_stat(st, comm, sizeof comm, f);
	ok(strcmp(comm, "renamed-conf") == 0, "stat's comm after PR_SET_NAME");
	prctl(PR_SET_NAME, name);
}

/* A child that sets up a state of its own, says so, and waits. */
static void check_child(void)
{
	int ready[2], go[2];
	if (pipe(ready) || pipe(go))
		return;
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]);
		close(go[1]);
		setpgid(0, 0);
		umask(0077);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGUSR1, on_usr1);
		signal(SIGUSR2, SIG_DFL);
		prctl(PR_SET_NAME, "conf-child");
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		/* Its fds: 0-2, the two pipe ends, and 9 at offset 5. */
		for (int fd = 3; fd < 4096; fd++)
			if (fd != ready[1] && fd != go[0])
				close(fd);
		int f9 = open("/proc/self/exe", O_RDONLY);
		char skip[5];
		if (f9 < 0 || read(f9, skip, 5) != 5 || dup2(f9, 9) != 9)
			_exit(4);
		if (f9 != 9)
			close(f9);
		if (chdir("/") != 0)
			_exit(5);
		struct rlimit cl = { 100, 150 };
		setrlimit(RLIMIT_NOFILE, &cl);
		char b = 1;
		if (write(ready[1], &b, 1) != 1)
			_exit(2);
		if (read(go[0], &b, 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char b;
	ok(read(ready[0], &b, 1) == 1, "the child is ready");
	usleep(20000); /* into its read */
	char path[64], st[4096], s[8192], comm[64], v[128];
	long long f[53] = { 0 };
	snprintf(path, sizeof path, "/proc/%d/stat", c);
	ok(tap_read_file(path, st, sizeof st) > 0 && parse_stat(st, comm, sizeof comm, f),
	   "the child's stat reads");
	ok(f[1] == c && strcmp(comm, "conf-child") == 0, "child stat: pid and comm");
	ok(f[3] == 'S', "child stat: sleeping in its read (%c)", (char)f[3]);
	ok(f[4] == getpid() && f[5] == c && f[6] == getsid(0),
	   "child stat: ppid is ours, its own group, our session");
	uint64_t blk = (1ULL << (SIGHUP - 1)) | (1ULL << (SIGTERM - 1));
	ok((uint64_t)f[32] == blk, "child stat: blocked signals (%llx)", (unsigned long long)f[32]);
	ok(((uint64_t)f[33] & (1ULL << (SIGQUIT - 1))) && ((uint64_t)f[34] & (1ULL << (SIGUSR1 - 1))) &&
	   !((uint64_t)f[33] & (1ULL << (SIGUSR2 - 1))),
	   "child stat: ignored and caught signals");
	snprintf(path, sizeof path, "/proc/%d/status", c);
	ok(tap_read_file(path, s, sizeof s) > 0, "the child's status reads");
	ok(field(s, "Name", v, sizeof v) && strcmp(v, "conf-child") == 0, "child status: Name");
	ok(num_field(s, "Pid") == c && num_field(s, "Tgid") == c && num_field(s, "PPid") == getpid(),
	   "child status: Pid, Tgid, PPid");
	ok(field(s, "Umask", v, sizeof v) && strcmp(v, "0077") == 0, "child status: Umask");
	ok(hex_field(s, "SigBlk") == blk, "child status: SigBlk");
	ok(hex_field(s, "SigIgn") & (1ULL << (SIGQUIT - 1)), "child status: SigIgn");
	ok(hex_field(s, "SigCgt") & (1ULL << (SIGUSR1 - 1)), "child status: SigCgt");
	ok(num_field(s, "NoNewPrivs") == 1, "child status: NoNewPrivs");
	uid_t r, e, sv;
	getresuid(&r, &e, &sv);
	char want[128];
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", r, e, sv, e);
	ok(field(s, "Uid", v, sizeof v) && strcmp(v, want) == 0, "child status: Uid");
	char cl[8192], w[8192];
	snprintf(path, sizeof path, "/proc/%d/cmdline", c);
	long n = tap_read_file(path, cl, sizeof cl);
	size_t wn = join(test_argv, w, sizeof w);
	ok(n == (long)wn && memcmp(cl, w, wn) == 0, "the child's cmdline is its argv");
	snprintf(path, sizeof path, "/proc/%d/comm", c);
	ok(tap_read_file(path, cl, sizeof cl) > 0 && strcmp(cl, "conf-child\n") == 0, "the child's comm");

	/* Its fds, links and fdinfo, read from here. */
	snprintf(path, sizeof path, "/proc/%d/fd", c);
	DIR *fdd = opendir(path);
	char seen[256] = "", want_fds[256];
	snprintf(want_fds, sizeof want_fds, "0 1 2 %d %d 9 ",
		 ready[1] < go[0] ? ready[1] : go[0], ready[1] < go[0] ? go[0] : ready[1]);
	struct dirent *fe;
	int fds[64], nfds = 0;
	while (fdd && (fe = readdir(fdd)) && nfds < 64)
		if (fe->d_name[0] != '.')
			fds[nfds++] = atoi(fe->d_name);
	if (fdd)
		closedir(fdd);
	for (int i = 1; i < nfds; i++) /* in order, as the text to compare */
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int x = fds[j];
			fds[j] = fds[j - 1];
			fds[j - 1] = x;
		}
	for (int i = 0; i < nfds; i++)
		snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%d ", fds[i]);
	ok(strcmp(seen, want_fds) == 0, "the child's fd/ lists its fds (%s)", seen);
	char link[256];
	ssize_t ln;
	snprintf(path, sizeof path, "/proc/%d/fd/9", c);
	ln = readlink(path, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	char mine[256];
	ssize_t mn = readlink("/proc/self/exe", mine, sizeof mine - 1);
	mine[mn > 0 ? mn : 0] = 0;
	ok(strcmp(link, mine) == 0, "the child's fd/9 link is the program (%s)", link);
	snprintf(path, sizeof path, "/proc/%d/fdinfo/9", c);
	ok(tap_read_file(path, s, sizeof s) > 0 && num_field(s, "pos") == 5,
	   "the child's fdinfo/9 has its offset");
	snprintf(path, sizeof path, "/proc/%d/cwd", c);
	ln = readlink(path, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	ok(strcmp(link, "/") == 0, "the child's cwd link (%s)", link);
	snprintf(path, sizeof path, "/proc/%d/root", c);
	ln = readlink(path, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	ok(strcmp(link, "/") == 0, "the child's root link (%s)", link);
	snprintf(path, sizeof path, "/proc/%d/exe", c);
	ln = readlink(path, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	ok(strcmp(link, mine) == 0, "the child's exe link is ours (%s)", link);
	snprintf(path, sizeof path, "/proc/%d/fd/99", c);
	errno = 0;
	ok(readlink(path, link, sizeof link) == -1 && errno == ENOENT,
	   "a closed fd of the child: ENOENT");

	snprintf(path, sizeof path, "/proc/%d/comm", c);
	int cw = open(path, O_WRONLY);
	errno = 0;
	ok(cw >= 0 && write(cw, "other", 5) == -1 && errno == EINVAL,
	   "writing another process's comm: EINVAL");
	if (cw >= 0)
		close(cw);
	snprintf(path, sizeof path, "/proc/%d/limits", c);
	char lim[8192], *of;
	ok(tap_read_file(path, lim, sizeof lim) > 0 && (of = strstr(lim, "Max open files")) &&
	   strtoul(of + 26, NULL, 10) == 100 && strtoul(of + 47, NULL, 10) == 150,
	   "the child's limits: its open files limit");

	/* The listing has both processes, and self. */
	DIR *d = opendir("/proc");
	bool me = false, child = false, self = false;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		me |= atoi(de->d_name) == getpid();
		child |= atoi(de->d_name) == c;
		self |= strcmp(de->d_name, "self") == 0;
	}
	if (d)
		closedir(d);
	ok(me && child && self, "the /proc listing has our pid, the child's and self");

	b = 0;
	ok(write(go[1], &b, 1) == 1, "the child is let go");
	int wst;
	ok(waitpid(c, &wst, 0) == c && WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "the child ends");
	snprintf(path, sizeof path, "/proc/%d/status", c);
	errno = 0;
	ok(open(path, O_RDONLY) == -1 && errno == ENOENT, "a reaped child's status is gone (ENOENT)");
	close(ready[0]);
	close(go[1]);
}

static pid_t thread_tid;
static char thread_status[8192], thread_self_status[8192];
static volatile int thread_go;
static bool thread_comm_ok;
static char thread_name[17];

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPROF);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	tap_read_file("/proc/thread-self/status", thread_self_status, sizeof thread_self_status);
	int cfd = open("/proc/thread-self/comm", O_WRONLY);
	thread_comm_ok = cfd >= 0 && write(cfd, "conf-thread", 11) == 11;
	if (cfd >= 0)
		close(cfd);
	prctl(PR_GET_NAME, thread_name);
	__atomic_store_n(&thread_go, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&thread_go, __ATOMIC_ACQUIRE) != 2)
		usleep(1000);
	return NULL;
}

static void check_thread(void)
{
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	while (!__atomic_load_n(&thread_go, __ATOMIC_ACQUIRE))
		usleep(1000);
	uint64_t prof = 1ULL << (SIGPROF - 1);
	ok(num_field(thread_self_status, "Pid") == thread_tid &&
	   num_field(thread_self_status, "Tgid") == getpid(),
	   "thread-self/status: the thread's Pid, the process's Tgid");
	ok(hex_field(thread_self_status, "SigBlk") & prof, "thread-self/status: the thread's SigBlk");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", getpid(), thread_tid);
	ok(tap_read_file(path, thread_status, sizeof thread_status) > 0 &&
	   num_field(thread_status, "Pid") == thread_tid &&
	   num_field(thread_status, "Tgid") == getpid(),
	   "task/<tid>/status: Pid is the tid, Tgid the pid");
	ok(hex_field(thread_status, "SigBlk") & prof, "task/<tid>/status: the thread's SigBlk");
	/* ... also read by another process */
	int rp[2];
	if (pipe(rp) == 0) {
		pid_t r = fork();
		if (r == 0) {
			char ts[8192];
			char b = tap_read_file(path, ts, sizeof ts) > 0 &&
				 (hex_field(ts, "SigBlk") & prof) &&
				 num_field(ts, "Pid") == thread_tid;
			if (write(rp[1], &b, 1) != 1)
				_exit(1);
			_exit(0);
		}
		char b = 0;
		ok(read(rp[0], &b, 1) == 1 && b == 1 && waitpid(r, NULL, 0) == r,
		   "another process reads the thread's own SigBlk and Pid");
		close(rp[0]);
		close(rp[1]);
	}
	snprintf(path, sizeof path, "/proc/self/task/%d/status", getpid());
	char s[8192];
	ok(tap_read_file(path, s, sizeof s) > 0 && !(hex_field(s, "SigBlk") & prof),
	   "task/<pid>/status: the first thread's SigBlk");
	char st[4096], comm[64];
	long long f[53] = { 0 };
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", thread_tid);
	ok(tap_read_file(path, st, sizeof st) > 0 && parse_stat(st, comm, sizeof comm, f) &&
	   f[1] == thread_tid && f[4] == getppid(), "task/<tid>/stat: pid is the tid, ppid the process's");
	ok(thread_comm_ok && strcmp(thread_name, "conf-thread") == 0,
	   "a thread names itself through thread-self/comm (PR_GET_NAME %s)", thread_name);
	char tc[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", thread_tid);
	ok(tap_read_file(path, tc, sizeof tc) > 0 && strcmp(tc, "conf-thread\n") == 0,
	   "task/<tid>/comm shows it");
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", getpid());
	char mc[64], myname[17] = { 0 };
	prctl(PR_GET_NAME, myname);
	ok(tap_read_file(path, mc, sizeof mc) > 0 && strncmp(mc, myname, strlen(myname)) == 0,
	   "the first thread keeps its name (%s)", myname);
	/* glibc names another thread through its task/<tid>/comm */
	ok(pthread_setname_np(th, "by-main") == 0, "pthread_setname_np of another thread");
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", thread_tid);
	ok(tap_read_file(path, tc, sizeof tc) > 0 && strcmp(tc, "by-main\n") == 0,
	   "its comm shows the new name (%.15s)", tc);
	char got[16] = "";
	ok(pthread_getname_np(th, got, sizeof got) == 0 && strcmp(got, "by-main") == 0,
	   "pthread_getname_np reads it back (%s)", got);
	__atomic_store_n(&thread_go, 2, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
}

/* Run with no environment at all: its environ file is empty. */
static int empty_env_child(void)
{
	char buf[64];
	return tap_read_file("/proc/self/environ", buf, sizeof buf) == 0 ? 0 : 1;
}

static void check_empty_env(void)
{
	pid_t c = fork();
	if (c == 0) {
		char *args[] = { "procfs_pid", "--empty-env", NULL }, *env[] = { NULL };
		execve("/proc/self/exe", args, env);
		_exit(2);
	}
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a program started with no environment has an empty environ (%d)",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A child that ended and is not waited for yet: a zombie, in /proc as
 * Linux shows one (state Z, its name, parent and exit status, no
 * command line, no links), gone once waited for. */
static void check_zombie(void)
{
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_SET_NAME, "zomb-name");
		_exit(3);
	}
	char path[64], text[4096], comm[64];
	long long f[53];
	/* it is a zombie once waitid sees it, without reaping it */
	siginfo_t si;
	ok(waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c,
	   "the child ended (waitid WNOWAIT)");
	snprintf(path, sizeof path, "/proc/%d/stat", c);
	ok(tap_read_file(path, text, sizeof text) > 0 && parse_stat(text, comm, sizeof comm, f) &&
	   strcmp(comm, "zomb-name") == 0 && f[3] == 'Z' && f[4] == getpid() &&
	   f[5] == getpgrp() && f[6] == getsid(0) && f[20] == 1,
	   "zombie's stat: its name, state Z, parent, group, session, one thread");
	ok(f[52] == (3 << 8), "zombie's stat: its exit code (%lld)", f[52]);
	snprintf(path, sizeof path, "/proc/%d/status", c);
	char v[64];
	ok(tap_read_file(path, text, sizeof text) > 0 &&
	   strcmp(field(text, "State", v, sizeof v), "Z (zombie)") == 0 &&
	   num_field(text, "PPid") == getpid() && num_field(text, "Pid") == c &&
	   strcmp(field(text, "Name", v, sizeof v), "zomb-name") == 0,
	   "zombie's status: Name, State Z (zombie), Pid, PPid");
	ok(strstr(text, "VmSize") == NULL, "zombie's status has no VmSize");
	snprintf(path, sizeof path, "/proc/%d/cmdline", c);
	ok(tap_read_file(path, text, sizeof text) == 0, "zombie's cmdline is empty");
	snprintf(path, sizeof path, "/proc/%d/statm", c);
	ok(tap_read_file(path, text, sizeof text) > 0 && strcmp(text, "0 0 0 0 0 0 0\n") == 0,
	   "zombie's statm is all zeros");
	snprintf(path, sizeof path, "/proc/%d/exe", c);
	char link[256];
	fails_with(readlink(path, link, sizeof link), ENOENT, "readlink of a zombie's exe");
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d", c);
	ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "a zombie's directory is there");
	DIR *d = opendir("/proc");
	bool listed = false;
	for (struct dirent *e; d && (e = readdir(d));)
		listed |= atoi(e->d_name) == c;
	if (d)
		closedir(d);
	ok(listed, "/proc lists the zombie");
	int st2;
	ok(waitpid(c, &st2, 0) == c && WIFEXITED(st2) && WEXITSTATUS(st2) == 3, "waited for");
	fails_with(stat(path, &st), ENOENT, "stat of its directory after the wait");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--empty-env") == 0)
		return empty_env_child();
	test_argv = argv;
	check_self();
	check_memory();
	check_empty_env();
	check_mounts();
	check_child();
	check_zombie();
	check_thread();
	return tap_done();
}
