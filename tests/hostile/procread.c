/* Other processes' /proc entries, read with raw host calls: the runner's
 * canary process (HOSTILE_CANARY_PID), the picos command running this
 * test (HOSTILE_PICOS_PID) and the host's pid 1.
 *
 * A pid names a host process only together with its start time (field 22
 * of /proc/PID/stat), which the runner records (HOSTILE_CANARY_START,
 * HOSTILE_PICOS_START, HOSTILE_HOST_INIT_START).  In ns mode the world's
 * procfs belongs to its own pid namespace: those pids are absent or are
 * other (world) processes, and /proc/1 is the world's init, whose command
 * line is the picos command's; reading it leaks nothing of the host.  In
 * flat mode /proc is the host's: cmdline (and stat, and the listing of
 * pids) of any host process are readable (procfs asks for no ptrace
 * access there; docs/security.md, proc.read-cmdline and proc.list), while
 * environ, maps and mem need ptrace read access, which Landlock refuses
 * for processes outside the world's domain (proc.read: held in every
 * mode). */
#include "hostile.h"
#include <dirent.h>

/* The process a test aims at: its host pid and start time. */
struct target {
	const char *pid;
	const char *start;
	const char *name;
};

/* Reads /proc/PID/FILE raw into buf (NUL-terminated); the byte count,
 * or a negative errno from the open or the read. */
static long read_proc(const char *pid, const char *file, char *buf,
		      long size)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/%s/%s", pid, file);
	long fd = hopen(path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	long n = HSC3(__NR_read, fd, buf, size - 1);
	HSC1(__NR_close, fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* The start time /proc/PID/stat shows (field 22: the 20th after the
 * command's closing parenthesis), or NULL with why in *err. */
static const char *start_of(const char *pid, long *err)
{
	static char stat[1024];
	static char start[32];
	long n = read_proc(pid, "stat", stat, sizeof stat);
	*err = n;
	if (n <= 0)
		return NULL;
	char *p = strrchr(stat, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return NULL;
	snprintf(start, sizeof start, "%.*s", (int)strcspn(p + 1, " "),
		 p + 1);
	return start;
}

/* Is /proc/<t->pid> the host process the runner recorded?  Held (1)
 * when it is absent or another process; *note says which. */
static int not_the_target(const struct target *t, char *note, size_t size)
{
	long err;
	const char *start = start_of(t->pid, &err);
	if (!start) {
		snprintf(note, size, "/proc/%s/stat -> %s: not there", t->pid,
			 res(err));
		return 1;
	}
	if (strcmp(start, t->start)) {
		snprintf(note, size,
			 "/proc/%s is another process (start %s, %s's %s)",
			 t->pid, start, t->name, t->start);
		return 1;
	}
	return 0;
}

static const struct target *cur;
static const char *cur_file;

/* Reads cur_file of the target: held when the pid is not the target's,
 * or the file cannot be opened or yields nothing. */
static int read_target(void *a)
{
	(void)a;
	char note[200];
	if (not_the_target(cur, note, sizeof note))
		return report(1, "%s", note);
	char buf[512];
	long n;
	if (!strcmp(cur_file, "mem")) {
		/* mem at offset 0 never reads; try the first mapping. */
		unsigned long at = 0x400000;
		if (read_proc(cur->pid, "maps", buf, sizeof buf) > 0)
			at = strtoul(buf, NULL, 16);
		char path[128];
		snprintf(path, sizeof path, "/proc/%s/mem", cur->pid);
		long fd = hopen(path, O_RDONLY, 0);
		if (fd < 0)
			return held_if_failed(path, fd);
		n = HSC4(__NR_pread64, fd, buf, 16, at);
		return report(n <= 0, "%s: open ok, pread at %#lx -> %s", path,
			      at, res(n));
	}
	n = read_proc(cur->pid, cur_file, buf, sizeof buf);
	return report(n <= 0, "/proc/%s/%s of the %s -> %s", cur->pid,
		      cur_file, cur->name, res(n));
}

static void one(const char *key, const struct target *t, const char *file)
{
	char title[300];
	snprintf(title, sizeof title, "read /proc/PID/%s of the %s", file,
		 t->name);
	cur = t;
	cur_file = file;
	ATTEMPT(key, title, read_target, 0);
}

/* Lists /proc raw and looks for any of the targets (pid and start time)
 * among its entries. */
static const struct target *targets[3];
static int list_proc(void *a)
{
	(void)a;
	long fd = hopen("/proc", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return held_if_failed("openat2 of /proc", fd);
	char buf[8192];
	long n;
	int pids = 0;
	while ((n = HSC3(__NR_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			pids++;
			for (int i = 0; i < 3 && targets[i]; i++) {
				char note[200];
				if (strcmp(d->d_name, targets[i]->pid))
					continue;
				if (!not_the_target(targets[i], note,
						    sizeof note))
					return report(0, "/proc lists the %s "
							 "(pid %s)",
						      targets[i]->name,
						      d->d_name);
			}
		}
	return report(1, "getdents64 of /proc -> %s: %d pids, none of them "
			 "the canary's or the picos command's", res(n), pids);
}

/* /proc/1 must not be the host's init: in ns mode it is the world's. */
static const char *host_init_cmdline;
static int host_init(void *a)
{
	const struct target *init = a;
	char note[200];
	char cmd[512];
	long n = read_proc("1", "cmdline", cmd, sizeof cmd);
	for (long i = 0; i < n; i++)
		if (!cmd[i])
			cmd[i] = ' ';
	int same_cmd = n > 0 && !strcmp(cmd, host_init_cmdline);
	if (not_the_target(init, note, sizeof note) && !same_cmd)
		return report(1, "%s; its cmdline \"%s\" is not the host "
				 "init's", note, n > 0 ? cmd : res(n));
	return report(0, "/proc/1 is the host's init (cmdline \"%s\")",
		      n > 0 ? cmd : res(n));
}

int main(void)
{
	hostile_init();
	struct target canary = { env_or("HOSTILE_CANARY_PID", ""),
				 env_or("HOSTILE_CANARY_START", ""),
				 "canary process" };
	struct target picos = { env_or("HOSTILE_PICOS_PID", ""),
				env_or("HOSTILE_PICOS_START", ""),
				"picos command" };
	struct target init = { "1", env_or("HOSTILE_HOST_INIT_START", ""),
			       "host's init" };
	host_init_cmdline = env_or("HOSTILE_HOST_INIT_CMDLINE", "");
	if (!*canary.pid || !*canary.start || !*picos.pid || !*picos.start ||
	    !*init.start || !*host_init_cmdline) {
		printf("Bail out! HOSTILE_CANARY_PID/START, HOSTILE_PICOS_PID/"
		       "START or HOSTILE_HOST_INIT_START/CMDLINE not set\n");
		return 1;
	}
	targets[0] = &canary;
	targets[1] = &picos;
	ATTEMPT("proc.list", "find the canary and the picos command in /proc",
		list_proc, 0);
	ATTEMPT("proc.list", "/proc/1 is not the host's init", host_init,
		&init);
	const struct target *all[] = { &canary, &picos, &init };
	for (int i = 0; i < 3; i++) {
		one("proc.read-cmdline", all[i], "cmdline");
		one("proc.read", all[i], "environ");
		one("proc.read", all[i], "maps");
		one("proc.read", all[i], "mem");
	}
	return hostile_done();
}
