/* Unit tests of the world's seccomp filter (src/sandbox/seccomp.c): the
 * argument checks hold at the host level.  Each probe runs in a child that
 * installs the filter and makes one host call; a refused call dies of
 * SIGSYS. */
#include "../conf/tap.h"
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

int sandbox_seccomp(bool inet, bool ipc);

static const char *node = "seccomp-node";

/* -SIG when the child died of a signal, else its exit status (0: the
 * call succeeded). */
static int probe(long nr, long a, long b, long c, long d)
{
	pid_t p = fork();
	if (p == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS would dump core */
		if (sandbox_seccomp(false, false) != 0)
			_exit(99);
		_exit(syscall(nr, a, b, c, d) == 0 ? 0 : 1);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return 98;
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

static int mknod_probe(unsigned mode)
{
	int r = probe(SYS_mknodat, AT_FDCWD, (long)node, mode, (long)makedev(1, 3));
	unlink(node);
	return r;
}

int main(void)
{
	ok(mknod_probe(S_IFIFO | 0600) == 0, "mknodat of a fifo is allowed");
	ok(mknod_probe(S_IFSOCK | 0600) == 0, "mknodat of a socket is allowed");
	ok(mknod_probe(S_IFREG | 0600) == 0, "mknodat of a regular file is allowed");
	ok(mknod_probe(0600) == 0, "mknodat of type 0 is allowed");
	ok(mknod_probe(S_IFCHR | 0600) == -SIGSYS, "mknodat of a char device is refused");
	ok(mknod_probe(S_IFBLK | 0600) == -SIGSYS, "mknodat of a block device is refused");
	int p[2], on = 1;
	ok(pipe(p) == 0, "pipe");
	ok(probe(SYS_ioctl, p[0], FIOASYNC, (long)&on, 0) == 0, "ioctl FIOASYNC is allowed");
	ok(probe(SYS_ioctl, p[0], TIOCSTI, (long)"x", 0) == -SIGSYS, "ioctl TIOCSTI is refused");
	return tap_done();
}
