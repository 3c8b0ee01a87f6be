/* clone3's argument checks, in Linux's order: the size (below
 * CLONE_ARGS_SIZE_VER0 EINVAL, above a page E2BIG, a larger struct with a
 * nonzero tail E2BIG and a zero tail accepted), a bad pointer EFAULT,
 * exit_signal out of range, CSIGNAL or CLONE_DETACHED in flags, unknown
 * flags, CLONE_SIGHAND with CLONE_CLEAR_SIGHAND, CLONE_THREAD or
 * CLONE_PARENT with an exit signal, the stack pair, set_tid's size and
 * pointer rules (EINVAL, EFAULT) and an invalid pid in it (EINVAL);
 * then a working clone3 with CLONE_CLEAR_SIGHAND (handled signals reset,
 * ignored kept) and the old clone's flags check order. */
#include "tap.h"
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

struct args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

static long clone3(void *a, size_t size)
{
	return syscall(SYS_clone3, a, size);
}

/* Never a child: every call here fails. */
static void fails3(struct args a, size_t size, int err, const char *what)
{
	fails_with(clone3(&a, size), err, what);
}

static void on_usr1(int sig) { (void)sig; }

int main(void)
{
	struct args z;
	memset(&z, 0, sizeof z);
	struct args a = z;
	a.exit_signal = 100;
	fails3(a, 63, EINVAL, "size 63 (below CLONE_ARGS_SIZE_VER0)");
	fails3(a, 4097, E2BIG, "size above a page");
	char big[128];
	memset(big, 0, sizeof big);
	memcpy(big, &a, sizeof a);
	big[100] = 1;
	fails_with(clone3(big, sizeof big), E2BIG, "a nonzero byte past the known struct");
	big[100] = 0;
	fails_with(clone3(big, sizeof big), EINVAL,
		   "a zero tail is read (then exit_signal 100)");
	fails_with(clone3((void *)8, 64), EFAULT, "a bad pointer");
	fails3(a, 64, EINVAL, "exit_signal 100");
	a = z, a.exit_signal = 1ULL << 32 | SIGCHLD;
	fails3(a, 64, EINVAL, "exit_signal with high bits");
	a = z, a.flags = SIGCHLD;
	fails3(a, 64, EINVAL, "a signal in flags (CSIGNAL)");
	a = z, a.flags = 0x00400000; /* CLONE_DETACHED */
	fails3(a, 64, EINVAL, "CLONE_DETACHED");
	a = z, a.flags = 1ULL << 40;
	fails3(a, 64, EINVAL, "an unknown flag");
	a = z, a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_CLEAR_SIGHAND;
	fails3(a, 64, EINVAL, "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND");
	a = z, a.flags = CLONE_PARENT, a.exit_signal = SIGCHLD;
	fails3(a, 64, EINVAL, "CLONE_PARENT with an exit signal");
	a = z, a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, a.exit_signal = SIGCHLD;
	fails3(a, 64, EINVAL, "CLONE_THREAD with an exit signal");
	a = z, a.stack = 0x10000;
	fails3(a, 64, EINVAL, "a stack without a size");
	a = z, a.stack_size = 0x10000;
	fails3(a, 64, EINVAL, "a stack size without a stack");
	a = z, a.stack = ~0ULL - 100, a.stack_size = 4096;
	fails3(a, 64, EINVAL, "a stack beyond the user range");
	a = z, a.set_tid_size = 33;
	int tids[2] = { 0, 0 };
	a.set_tid = (uint64_t)tids;
	fails3(a, 88, EINVAL, "set_tid_size 33");
	a = z, a.set_tid_size = 1;
	fails3(a, 88, EINVAL, "set_tid_size without set_tid");
	a = z, a.set_tid = (uint64_t)tids;
	fails3(a, 88, EINVAL, "set_tid without set_tid_size");
	a = z, a.set_tid = 8, a.set_tid_size = 1, a.exit_signal = SIGCHLD;
	fails3(a, 88, EFAULT, "set_tid at a bad pointer");
	a = z, a.set_tid = (uint64_t)tids, a.set_tid_size = 1, a.exit_signal = SIGCHLD;
	fails3(a, 88, EINVAL, "set_tid holding pid 0");
	a = z, a.flags = CLONE_NEWNS | CLONE_FS, a.exit_signal = SIGCHLD;
	fails3(a, 64, EINVAL, "CLONE_NEWNS|CLONE_FS");
	a = z, a.flags = CLONE_SIGHAND, a.exit_signal = SIGCHLD;
	fails3(a, 64, EINVAL, "CLONE_SIGHAND without CLONE_VM");

	/* A real one: the child's handled signals are reset, ignored kept. */
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	a = z, a.flags = CLONE_CLEAR_SIGHAND, a.exit_signal = SIGCHLD;
	long pid = clone3(&a, 64);
	if (pid == 0) {
		struct sigaction s1, s2;
		sigaction(SIGUSR1, NULL, &s1);
		sigaction(SIGUSR2, NULL, &s2);
		_exit(s1.sa_handler == SIG_DFL && s2.sa_handler == SIG_IGN ? 0 : 1);
	}
	int st = 0;
	ok(pid > 0 && waitpid((pid_t)pid, &st, 0) == pid && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0,
	   "CLONE_CLEAR_SIGHAND: handled signals reset, ignored kept");
	struct sigaction s1;
	sigaction(SIGUSR1, NULL, &s1);
	ok(s1.sa_handler == on_usr1, "the parent's handler stays");

	/* The old clone reads only the low 32 bits of its flags. */
	pid = syscall(SYS_clone, (1UL << 32) | SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0)
		_exit(3);
	ok(pid > 0 && waitpid((pid_t)pid, &st, 0) == pid && WEXITSTATUS(st) == 3,
	   "clone ignores flag bits above 31");
	return tap_done();
}
