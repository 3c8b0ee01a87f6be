/* Bad guest pointers, as stress-ng's sysbadaddr and trinity pass them:
 * each call fails with EFAULT where Linux does (never a provider crash),
 * and pages Linux can read (PROT_WRITE or PROT_EXEC only, which x86
 * cannot make unreadable) work as arguments as they do natively. */
#include "tap.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static char *page(int prot)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	strcpy(p, "/");
	if (mprotect(p, 4096, prot) < 0)
		return NULL;
	return p;
}

int main(void)
{
	char *none = page(PROT_NONE);
	char *wonly = page(PROT_WRITE);
	char *xonly = page(PROT_EXEC);
	char *unmapped = page(PROT_READ);
	ok(none && wonly && xonly && unmapped, "test pages mapped");
	munmap(unmapped, 4096);
	void *bad[] = { NULL, none, unmapped, (void *)-4096L, (void *)1 };
	const char *badname[] = { "NULL", "PROT_NONE page", "unmapped page",
				  "top of the address space", "address 1" };

	/* waitid writes the siginfo even when it fails: an invalid argument
	 * with a bad infop is EFAULT, with a good one EINVAL. */
	for (unsigned i = 1; i < sizeof bad / sizeof bad[0]; i++) {
		fails_with(syscall(SYS_waitid, P_PID, 1, bad[i], 0, NULL),
			   EFAULT, badname[i]);
		fails_with(syscall(SYS_waitid, 99, 1, bad[i], WEXITED, NULL),
			   EFAULT, badname[i]);
	}
	siginfo_t si;
	fails_with(syscall(SYS_waitid, P_PID, 1, &si, 0, NULL), EINVAL,
		   "waitid without WEXITED, good infop");
	fails_with(syscall(SYS_waitid, P_PID, 1, NULL, 0, NULL), EINVAL,
		   "waitid without WEXITED, NULL infop");
	fails_with(syscall(SYS_waitid, P_ALL, 0, bad[1], WEXITED | WNOHANG,
			   NULL),
		   EFAULT, "waitid with no child and a bad infop");

	/* Bad pointers in path, buffer and struct arguments. */
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fails_with(syscall(SYS_open, bad[i], O_RDONLY), EFAULT,
			   badname[i]);
		fails_with(stat("/", bad[i]), EFAULT, badname[i]);
		fails_with(syscall(SYS_getxattr, bad[i], "user.x", NULL, 0),
			   EFAULT, badname[i]);
		fails_with(syscall(SYS_execve, bad[i], NULL, NULL), EFAULT,
			   badname[i]);
		fails_with(syscall(SYS_uname, bad[i]), EFAULT, badname[i]);
		fails_with(syscall(SYS_pipe, bad[i]), EFAULT, badname[i]);
		fails_with(syscall(SYS_getrlimit, RLIMIT_NOFILE, bad[i]), EFAULT,
			   badname[i]);
		fails_with(syscall(SYS_fstat, 1, bad[i]), EFAULT, badname[i]);
	}

	/* NULL means "none" to these. */
	for (unsigned i = 1; i < sizeof bad / sizeof bad[0]; i++) {
		fails_with(syscall(SYS_gettimeofday, bad[i], NULL), EFAULT,
			   badname[i]);
		fails_with(syscall(SYS_rt_sigaction, SIGUSR1, bad[i], NULL, 8),
			   EFAULT, badname[i]);
	}

	/* Readable although not PROT_READ: a path in a write-only or
	 * execute-only page. */
	struct stat st;
	succeeds(stat(wonly, &st), "stat of a path in a PROT_WRITE page");
	succeeds(stat(xonly, &st), "stat of a path in a PROT_EXEC page");
	succeeds(syscall(SYS_uname, wonly), "uname into a PROT_WRITE page");
	fails_with(syscall(SYS_uname, xonly), EFAULT,
		   "uname into a PROT_EXEC page");
	return tap_done();
}
