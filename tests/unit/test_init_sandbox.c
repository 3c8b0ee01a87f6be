/* Unit tests of the world's init's own sandbox (src/sandbox/init.c): its
 * seccomp allowlist and Landlock signal scope hold at the host level.
 * Each probe runs in a child that installs the sandbox and makes one host
 * call; a refused call kills the child (SECCOMP_RET_KILL_PROCESS: SIGSYS). */
#include "../conf/tap.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int sandbox_init_seccomp(bool pidns);
int sandbox_init_scope(void);

/* -SIG when the child died of a signal, else its exit status (0: the
 * call succeeded, 1: it failed). */
static int probe(long nr, long a, long b, long c, long d, long e, long f)
{
	pid_t p = fork();
	if (p == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		if (sandbox_init_seccomp(false) != 0)
			_exit(99);
		long r = syscall(nr, a, b, c, d, e, f);
		_exit(r < 0 ? 1 : 0);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return 98;
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

/* In a child with the init's scope: kill(pid, 0) of a process it forked
 * after the scope, and of its own parent (outside the domain). */
static int scope_probe(bool parent)
{
	pid_t p = fork();
	if (p == 0) {
		if (sandbox_init_scope() != 0)
			_exit(99);
		pid_t g = fork();
		if (g == 0) {
			pause();
			_exit(0);
		}
		int r = kill(parent ? getppid() : g, 0) == 0 ? 0
			: errno == EPERM			 ? 1
								 : 2;
		kill(g, SIGKILL);
		waitpid(g, NULL, 0);
		_exit(r);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return 98;
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

int main(void)
{
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	ok(probe(SYS_kill, c, 0, 0, 0, 0, 0) == 0, "kill of a single pid is allowed");
	ok(probe(SYS_kill, -1, 0, 0, 0, 0, 0) == -SIGSYS, "kill(-1) is refused");
	ok(probe(SYS_kill, -c, 0, 0, 0, 0, 0) == -SIGSYS, "kill of a process group is refused");
	ok(probe(SYS_getpid, 0, 0, 0, 0, 0, 0) == 0, "getpid is allowed");
	ok(probe(SYS_wait4, -1, 0, 1 /* WNOHANG */, 0, 0, 0) == 1, "wait4 is allowed");
	ok(probe(SYS_openat, AT_FDCWD, (long)"/", O_RDONLY, 0, 0, 0) == -SIGSYS,
	   "openat is refused");
	ok(probe(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == 0,
	   "mmap of memory is allowed");
	ok(probe(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -SIGSYS,
	   "mmap with PROT_EXEC is refused");
	ok(probe(SYS_execve, (long)"/bin/true", 0, 0, 0, 0, 0) == -SIGSYS, "execve is refused");
	ok(probe(SYS_ptrace, 16 /* PTRACE_ATTACH */, c, 0, 0, 0, 0) == -SIGSYS, "ptrace is refused");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);

	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1);
	if (abi >= 6) {
		ok(scope_probe(false) == 0, "the scoped init signals a process it forked");
		ok(scope_probe(true) == 1, "the scoped init cannot signal a process outside");
	} else {
		ok(1, "landlock scope # SKIP no Landlock ABI 6");
		ok(1, "landlock scope # SKIP no Landlock ABI 6");
	}
	return tap_done();
}
