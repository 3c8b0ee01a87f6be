/* execve and execveat: the test re-executes itself (its absolute path,
 * from argv[0]) in forked children, which report their checks back over
 * fd REPFD.  What survives exec (argv, envp, fds without FD_CLOEXEC, cwd,
 * umask, ignored signals, the signal mask, the pid, alarms) and what does
 * not (FD_CLOEXEC fds, handlers); #! scripts and their argv layout and
 * nesting limit; and the errors of a failed exec, which returns. */
#include "tap.h"
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define REPFD 100 /* where a re-executed child writes its check records */

static void *hide(unsigned long a) { void *volatile p = (void *)a; return p; }

/* Child checks: rok() and struct rec (tap.h), on fd REPFD. */

static char self[PATH_MAX];
static const char *dir; /* the scratch directory */
static void handler(int sig) { (void)sig; }
static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* ---- Child modes, chosen by PICOS_MODE in the environment. ---- */

/* After a full execve: everything the parent set up before exec. */
static int exec_child(int argc, char **argv, char **envp)
{
	rok(argc == 9 && streq(argv[0], self) && streq(argv[1], "--exec-child") && streq(argv[6], "two words") &&
	    streq(argv[7], "") && streq(argv[8], "tab\there") && argv[9] == NULL, "argv arrives intact (argc %d)", argc);
	int n = 0;
	while (envp[n])
		n++;
	rok(n == 4 && streq(envp[0], "PICOS_MODE=exec") && streq(envp[1], "PICOS_A=1") &&
	    streq(envp[2], "PICOS_B=two words") && streq(envp[3], "PICOS_EMPTY="), "envp arrives intact (%d entries)", n);
	rok(streq(getenv("PICOS_B"), "two words"), "getenv sees the new environment");
	rok(getpid() == atoi(argv[2]), "the pid is unchanged across exec");
	rok(getppid() == atoi(argv[3]), "so is the parent");
	char cwd[PATH_MAX];
	rok(getcwd(cwd, sizeof cwd) && streq(cwd, argv[4]), "the cwd survives exec");
	rok(umask(0) == 027, "the umask survives exec");
	char buf[16] = { 0 };
	rok(fcntl(50, F_GETFD) == 0 && pread(50, buf, sizeof buf - 1, 0) == 9 && streq(buf, "inherited"),
	    "an fd without FD_CLOEXEC survives, open on its file");
	int fds[] = { atoi(argv[5]), 51, 52 }, r, e;
	const char *how[] = { "an O_CLOEXEC fd", "an F_DUPFD_CLOEXEC fd", "an fd given FD_CLOEXEC by F_SETFD" };
	for (int i = 0; i < 3; i++) {
		errno = 0;
		r = fcntl(fds[i], F_GETFD), e = errno;
		rok(r == -1 && e == EBADF, "%s is closed (errno %d)", how[i], e);
	}
	struct sigaction sa;
	rok(sigaction(SIGUSR1, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL, "a handled signal is reset to SIG_DFL");
	rok(sigaction(SIGUSR2, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN, "an ignored signal stays SIG_IGN");
	sigset_t m;
	rok(sigprocmask(SIG_BLOCK, NULL, &m) == 0 && sigismember(&m, SIGHUP) && !sigismember(&m, SIGUSR1),
	    "the signal mask is kept");
	unsigned left = alarm(0);
	rok(left > 50 && left <= 100, "a pending alarm survives exec (%u s left)", left);
	stack_t ss;
	rok(sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE), "the alternate signal stack is cleared");
	char comm[16] = { 0 };
	const char *base = strrchr(self, '/') + 1;
	rok(prctl(PR_GET_NAME, comm) == 0 && strncmp(comm, base, 15) == 0, "comm is the file's basename (%s)", comm);
	return 0;
}

/* Started by a #! script: argv is interpreter, [optional arg], script
 * path, then the original argv[1..]. */
static int script_child(int argc, char **argv)
{
	const char *arg = getenv("PICOS_ARG"), *script = getenv("PICOS_SCRIPT");
	int i = 1;
	rok(streq(argv[0], self), "argv[0] is the interpreter path");
	if (arg) {
		rok(argc > i && streq(argv[i], arg), "argv[1] is the whole interpreter argument (%s)", argc > i ? argv[i] : "-");
		i++;
	}
	rok(argc > i && streq(argv[i], script), "argv[%d] is the script path (%s)", i, argc > i ? argv[i] : "-");
	i++;
	rok(argc == i + 2 && streq(argv[i], "x1") && streq(argv[i + 1], "x2"), "then the original argv[1..] (argc %d)", argc);
	return 0;
}

/* ---- The parent side. ---- */

/* In a forked child before exec: the new image's TAP header goes to a
 * scratch file, not into the parent's TAP stream. */
static void quiet(void)
{
	int o = open(tap_join(dir, "out"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (o < 0 || dup2(o, 1) != 1)
		_exit(105);
	close(o);
}

/* In a forked child: set up via `prep`, move the report pipe to REPFD,
 * then exec `path` (or fd `fd` with AT_EMPTY_PATH when path is NULL).
 * The parent prints the child's checks and checks its exit status. */
static void run(const char *what, void (*prep)(void), const char *path, int fd, char **argv, char **envp)
{
	int p[2], st = -1, n = 0;
	if (pipe(p) < 0)
		return (void)ok(0, "%s: pipe", what);
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(p[1], REPFD) != REPFD)
			_exit(101);
		close(p[0]);
		close(p[1]);
		quiet();
		if (prep)
			prep();
		if (path)
			execve(path, argv, envp);
		else
			syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		rok(0, "exec failed, errno %d", errno);
		_exit(102);
	}
	close(p[1]);
	struct rec r;
	while (read(p[0], &r, sizeof r) == sizeof r && ++n)
		ok(r.pass, "%s: %.120s", what, r.what);
	close(p[0]);
	int reaped = pid > 0 && waitpid(pid, &st, 0) == pid;
	ok(reaped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0, "%s: child ran %d checks, exited 0 (status %#x)",
	   what, n, st);
}

static char pidstr[16], ppidstr[16], cloexecstr[16];

/* State set up before the full exec. */
static void prep_state(void)
{
	const char *f = tap_join(dir, "data");
	int a = open(f, O_RDONLY), b = open(f, O_RDONLY | O_CLOEXEC);
	if (dup2(a, 50) != 50 || fcntl(a, F_DUPFD_CLOEXEC, 51) != 51 || dup2(a, 52) != 52 ||
	    fcntl(52, F_SETFD, FD_CLOEXEC) != 0 || b < 0)
		_exit(103);
	close(a);
	snprintf(cloexecstr, sizeof cloexecstr, "%d", b); /* b stays open */
	if (chdir(dir) != 0)
		_exit(104);
	umask(027);
	struct sigaction sa = { .sa_handler = handler };
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGHUP);
	sigprocmask(SIG_BLOCK, &m, NULL);
	stack_t ss = { .ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ };
	sigaltstack(&ss, NULL);
	alarm(100);
}

static void prep_pids(void)
{
	snprintf(pidstr, sizeof pidstr, "%d", (int)getpid());
	snprintf(ppidstr, sizeof ppidstr, "%d", (int)getppid());
	prep_state();
}

/* A script at dir/name whose #! line is `line`. */
static const char *script(const char *name, const char *line)
{
	const char *path = tap_join(dir, name);
	tap_put(path, line);
	chmod(path, 0755);
	return path;
}

static int ran_ok(int st) { return WIFEXITED(st) && WEXITSTATUS(st) == 0; }

int main(int argc, char **argv, char **envp)
{
	rep_fd = REPFD;
	if (!realpath(argv[0], self))
		snprintf(self, sizeof self, "%s", argv[0]);
	const char *mode = getenv("PICOS_MODE");
	if (streq(mode, "exec"))
		return exec_child(argc, argv, envp);
	if (streq(mode, "script"))
		return script_child(argc, argv);
	if (streq(mode, "hold")) { /* says it runs, then waits for fd 9's end */
		char c = 'r';
		if (write(8, &c, 1) != 1)
			return 1;
		return read(9, &c, 1) == 0 ? 0 : 1;
	}
	if (streq(mode, "ran")) {
		if (fcntl(REPFD, F_GETFD) != -1)
			rok(1, "the new image runs");
		return 0;
	}
	if (mode) {
		printf("not ok - an exec that should have failed ran (PICOS_MODE=%s)\n", mode);
		return 1;
	}
	alarm(20);
	dir = tap_scratch("exec");
	mkdir(dir, 0755);
	char rdir[PATH_MAX];
	if (!realpath(dir, rdir))
		snprintf(rdir, sizeof rdir, "%s", dir);
	tap_put(tap_join(dir, "data"), "inherited");

	/* A full exec: state that survives and state that does not. */
	char *av[] = { self, "--exec-child", pidstr, ppidstr, rdir, cloexecstr, "two words", "", "tab\there", NULL };
	char *ev[] = { "PICOS_MODE=exec", "PICOS_A=1", "PICOS_B=two words", "PICOS_EMPTY=", NULL };
	run("execve", prep_pids, self, -1, av, ev);

	/* execveat: by fd with AT_EMPTY_PATH (O_RDONLY and O_PATH fds), by
	 * a name relative to a directory fd, and its flag errors. */
	char *rv[] = { "ran", NULL }, *re[] = { "PICOS_MODE=ran", NULL };
	char *nv[] = { "never", NULL }, *ne[] = { "PICOS_MODE=never", NULL }; /* for execs that must fail */
	int fd = open(self, O_RDONLY), pfd = open(self, O_PATH);
	run("execveat(fd, \"\", AT_EMPTY_PATH)", NULL, NULL, fd, rv, re);
	run("execveat(O_PATH fd, \"\", AT_EMPTY_PATH)", NULL, NULL, pfd, rv, re);
	char sdir[PATH_MAX];
	snprintf(sdir, sizeof sdir, "%s", self);
	*strrchr(sdir, '/') = 0;
	int dfd = open(*sdir ? sdir : "/", O_RDONLY | O_DIRECTORY), st = -1;
	pid_t pid = fork();
	if (pid == 0) {
		quiet();
		syscall(SYS_execveat, dfd, strrchr(self, '/') + 1, rv, re, 0);
		_exit(102);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && ran_ok(st), "execveat(dirfd, relative name)");
	fails_with(syscall(SYS_execveat, fd, "", nv, ne, 0), ENOENT, "execveat(fd, \"\") without AT_EMPTY_PATH");
	fails_with(syscall(SYS_execveat, AT_FDCWD, self, nv, ne, 0x40000000), EINVAL, "execveat with an unknown flag");
	const char *link = tap_join(dir, "link");
	symlink(self, link);
	fails_with(syscall(SYS_execveat, AT_FDCWD, link, nv, ne, AT_SYMLINK_NOFOLLOW), ELOOP,
		   "execveat(AT_SYMLINK_NOFOLLOW) of a symlink");
	fails_with(syscall(SYS_execveat, AT_FDCWD, "nosuchfile", nv, ne, 0), ENOENT, "execveat(AT_FDCWD, missing)");
	close(dfd);
	close(pfd);

	/* #! scripts run the interpreter with Linux's argv layout: the rest of
	 * the #! line (trimmed) is one argument, argv[0] is dropped. */
	char line[PATH_MAX + 64], env_script[PATH_MAX + 16];
	char *sv[] = { "dropped-argv0", "x1", "x2", NULL };
	snprintf(line, sizeof line, "#! %s \t--script-child  a b \t\n", self);
	const char *s1 = script("s1", line);
	snprintf(env_script, sizeof env_script, "PICOS_SCRIPT=%s", s1);
	char *se1[] = { "PICOS_MODE=script", env_script, "PICOS_ARG=--script-child  a b", NULL };
	run("#! with an argument", NULL, s1, -1, sv, se1);
	snprintf(line, sizeof line, "#!%s\n", self);
	const char *s2 = script("s2", line);
	snprintf(env_script, sizeof env_script, "PICOS_SCRIPT=%s", s2);
	char *se2[] = { "PICOS_MODE=script", env_script, NULL };
	run("#! without an argument", NULL, s2, -1, sv, se2);
	int sfd = open(s2, O_RDONLY);
	snprintf(env_script, sizeof env_script, "PICOS_SCRIPT=/dev/fd/%d", sfd);
	run("execveat of a script fd", NULL, NULL, sfd, sv, se2);
	close(sfd);
	sfd = open(s2, O_RDONLY | O_CLOEXEC);
	fails_with(syscall(SYS_execveat, sfd, "", sv, se2, AT_EMPTY_PATH), ENOENT,
		   "execveat of a script through an O_CLOEXEC fd");
	close(sfd);
	const char *nointerp = script("nointerp", "#!/nonexistent/interpreter\n");
	fails_with(execve(nointerp, nv, ne), ENOENT, "a script whose interpreter is missing");

	/* Nesting: s_k's interpreter is s_{k+1}, the last one's is the test.
	 * This kernel runs 5 nested scripts and fails 6 with ELOOP. */
	for (int depth = 5; depth <= 6; depth++) {
		char name[32], prev[PATH_MAX];
		const char *top = self;
		snprintf(prev, sizeof prev, "%s", self);
		for (int k = depth; k >= 1; k--) {
			snprintf(name, sizeof name, "n%d_%d", depth, k);
			snprintf(line, sizeof line, "#!%s\n", prev);
			top = script(name, line);
			snprintf(prev, sizeof prev, "%s", top);
		}
		if (depth == 5) {
			pid = fork();
			if (pid == 0) {
				quiet();
				execve(top, rv, re);
				_exit(102);
			}
			ok(pid > 0 && waitpid(pid, &st, 0) == pid && ran_ok(st), "5 nested #! scripts run");
		} else {
			fails_with(execve(top, nv, ne), ELOOP, "6 nested #! scripts");
		}
		for (int k = 1; k <= depth; k++) {
			snprintf(name, sizeof name, "n%d_%d", depth, k);
			unlink(tap_join(dir, name));
		}
	}

	/* Errors: the exec fails and returns to the caller. */
	fails_with(execve(tap_join(dir, "missing"), nv, ne), ENOENT, "execve of a missing file");
	const char *noexec = tap_join(dir, "noexec");
	tap_put(noexec, "#!/bin/true\n");
	chmod(noexec, 0644);
	fails_with(execve(noexec, nv, ne), EACCES, "execve of a file without execute permission");
	fails_with(execve(dir, nv, ne), EACCES, "execve of a directory");
	const char *garbage = script("garbage", "this is neither ELF nor a script\n");
	fails_with(execve(garbage, nv, ne), ENOEXEC, "execve of a 0755 file with garbage content");
	const char *empty = script("empty", "");
	fails_with(execve(empty, nv, ne), ENOEXEC, "execve of an empty 0755 file");
	fails_with(execve(tap_join(noexec, "x"), nv, ne), ENOTDIR, "execve through a file as a directory");
	const char *loop = tap_join(dir, "loop");
	symlink("loop", loop);
	fails_with(execve(loop, nv, ne), ELOOP, "execve of a symlink loop");
	char *longname = malloc(PATH_MAX + 100);
	memset(longname, 'a', PATH_MAX + 99);
	longname[PATH_MAX + 99] = 0;
	fails_with(execve(longname, nv, ne), ENAMETOOLONG, "execve of a too-long path");
	fails_with(execve(hide(1), nv, ne), EFAULT, "execve with a bad path pointer");
	fails_with(execve(self, hide(1), ne), EFAULT, "execve with a bad argv pointer");
	char *badv[] = { "never", hide(1), NULL };
	fails_with(execve(self, badv, ne), EFAULT, "execve with a bad argv[1] pointer");
	fails_with(execve(self, nv, hide(1)), EFAULT, "execve with a bad envp pointer");
	size_t big = 200 * 1024;
	char *huge = malloc(big + 1);
	memset(huge, 'x', big);
	huge[big] = 0;
	char *bigv[] = { "never", huge, NULL };
	fails_with(execve(self, bigv, ne), E2BIG, "execve with a 200 KiB argument (over MAX_ARG_STRLEN)");
	free(huge);
	free(longname);
	fails_with(syscall(SYS_execveat, fd, "", nv, ne, AT_EMPTY_PATH | 0x40000000), EINVAL,
		   "execveat(AT_EMPTY_PATH) with an unknown flag too");
	close(fd);

	/* ETXTBSY: a file open for writing cannot be run, and a file being
	 * run cannot be opened for writing (nor truncated by O_TRUNC). */
	const char *copy = tap_join(dir, "copy");
	int in = open(self, O_RDONLY), out = open(copy, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	char chunk[65536];
	ssize_t got;
	while (in >= 0 && out >= 0 && (got = read(in, chunk, sizeof chunk)) > 0)
		if (write(out, chunk, (size_t)got) != got)
			break;
	close(in);
	fails_with(execve(copy, nv, ne), ETXTBSY, "execve of a file this process has open for writing");
	close(out);
	struct stat cst;
	ok(stat(copy, &cst) == 0 && cst.st_size > 0, "the copy is complete");
	int gate[2], ready[2];
	if (pipe(gate) == 0 && pipe(ready) == 0) {
		pid_t runner = fork();
		if (runner == 0) { /* runs the copy, which says so on fd 8 and
				    * then waits until the gate closes */
			close(gate[1]);
			close(ready[0]);
			dup2(gate[0], 9);
			dup2(ready[1], 8);
			char *rv[] = { "copy", NULL };
			char *re[] = { "PICOS_MODE=hold", NULL };
			execve(copy, rv, re);
			_exit(99);
		}
		close(gate[0]);
		close(ready[1]);
		char c;
		ok(read(ready[0], &c, 1) == 1, "the copy runs");
		close(ready[0]);
		fails_with(open(copy, O_WRONLY), ETXTBSY, "open(O_WRONLY) of a running program");
		fails_with(open(copy, O_RDWR | O_TRUNC), ETXTBSY, "open(O_RDWR|O_TRUNC) of a running program");
		ok(stat(copy, &cst) == 0 && cst.st_size > 0, "the running program was not truncated");
		int rd = open(copy, O_RDONLY);
		ok(rd >= 0, "open(O_RDONLY) of a running program succeeds");
		close(rd);
		close(gate[1]);
		ok(waitpid(runner, &st, 0) == runner && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the runner ends");
		int w = open(copy, O_WRONLY | O_TRUNC);
		ok(w >= 0 && fstat(w, &cst) == 0 && cst.st_size == 0, "once it ended, open(O_WRONLY|O_TRUNC) works and truncates");
		close(w);
	}

	const char *names[] = { "data", "s1", "s2", "nointerp", "noexec", "garbage", "empty", "loop", "link", "out", "copy" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		unlink(tap_join(dir, names[i]));
	rmdir(dir);
	fails_with(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid(-1) at the end (every child was reaped)");
	return tap_done();
}
