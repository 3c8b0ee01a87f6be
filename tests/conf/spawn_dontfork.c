/* Memory marks across a vfork child's exec: picos leaves the old
 * program's mappings out of the host fork that moves such a child out
 * (MADV_DONTFORK around it, put back after), so the parent's memory must
 * come out of a posix_spawn or vfork+exec as it went in: inherited by a
 * later fork where it was, and not where the guest itself said
 * MADV_DONTFORK (before the spawn, or in the vfork child). */
#include "tap.h"
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;
static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* In a forked child: 1 if *p reads as `want`, 2 if it faults, 3 if it
 * reads something else. */
static int fork_reads(volatile int *p, int want)
{
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, on_segv);
		if (sigsetjmp(jb, 1))
			_exit(2);
		_exit(*p == want ? 1 : 3);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int spawn_true(void)
{
	pid_t pid;
	char *argv[] = { "true", NULL };
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ))
		return -1;
	int st;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
			       WEXITSTATUS(st) == 0
		       ? 0
		       : -1;
}

int main(void)
{
	size_t pg = 4096;
	char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	volatile int *kept = (int *)m, *marked = (int *)(m + pg),
		     *child_marked = (int *)(m + 2 * pg);
	*kept = 7, *marked = 8, *child_marked = 9;
	/* first a mark made in a vfork child alone (the parent has made
	 * none yet), then one of the parent's own */
	pid_t pid = vfork();
	if (pid == 0) {
		madvise((void *)child_marked, pg, MADV_DONTFORK);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int st;
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0,
	   "vfork child marks memory and execs");
	ok(spawn_true() == 0, "posix_spawn after it");
	ok(fork_reads(child_marked, 9) == 2,
	   "the vfork child's MADV_DONTFORK holds for the parent");
	ok(madvise((void *)marked, pg, MADV_DONTFORK) == 0, "madvise DONTFORK");
	for (int i = 0; i < 5; i++)
		if (spawn_true() < 0)
			break;
	ok(spawn_true() == 0, "posix_spawn of /bin/true");
	ok(*kept == 7 && *marked == 8, "the parent's memory is as it was");
	ok(fork_reads(kept, 7) == 1, "a fork after spawns inherits memory");
	ok(fork_reads(marked, 8) == 2,
	   "a fork after spawns does not inherit MADV_DONTFORK memory");

	ok(fork_reads(child_marked, 9) == 2, "the vfork child's mark still holds");
	return tap_done();
}
