/* Recorded signal state and process-local controls: rt_sigaction,
 * rt_sigprocmask, rt_sigpending, sigaltstack, prctl, arch_prctl. */
#include "tap.h"
#include <asm/prctl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void handler(int sig) { (void)sig; }

int main(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGUSR2);
	ok(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction installs a handler");
	ok(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == handler &&
	   (old.sa_flags & SA_RESTART) && sigismember(&old.sa_mask, SIGUSR2),
	   "sigaction reads it back");
	fails_with(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigaction on SIGKILL");
	fails_with(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigaction on SIGSTOP");
	ok(sigaction(SIGKILL, NULL, &old) == 0, "reading SIGKILL's action is allowed");
	fails_with(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL, "signal 0");
	fails_with(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL, "signal 65");
	fails_with(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL, "bad sigset size");
	fails_with(syscall(SYS_rt_sigaction, SIGUSR1, (void *)1, NULL, 8), EFAULT, "bad act pointer");

	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGKILL);
	ok(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "block SIGUSR1 (and try SIGKILL)");
	ok(sigprocmask(SIG_SETMASK, NULL, &cur) == 0 && sigismember(&cur, SIGUSR1) &&
	   !sigismember(&cur, SIGKILL), "SIGUSR1 blocked, SIGKILL never");
	ok(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0 && sigprocmask(0, NULL, &cur) == 0 &&
	   !sigismember(&cur, SIGUSR1), "unblock");
	fails_with(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL, "bad how");
	fails_with(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)1, NULL, 8), EFAULT, "bad set pointer");
	ok(sigpending(&cur) == 0 && !sigismember(&cur, SIGUSR1), "nothing pending");

	stack_t ss = { .ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ, .ss_flags = 0 }, os;
	ok(sigaltstack(&ss, NULL) == 0, "sigaltstack set");
	ok(sigaltstack(NULL, &os) == 0 && os.ss_sp == ss.ss_sp && os.ss_size == ss.ss_size &&
	   os.ss_flags == 0, "sigaltstack read back");
	stack_t tiny = { .ss_sp = ss.ss_sp, .ss_size = 1024 };
	fails_with(sigaltstack(&tiny, NULL), ENOMEM, "sigaltstack too small");
	stack_t bad = { .ss_sp = ss.ss_sp, .ss_size = SIGSTKSZ, .ss_flags = 0x10 };
	fails_with(sigaltstack(&bad, NULL), EINVAL, "sigaltstack bad flags");
	stack_t dis = { .ss_flags = SS_DISABLE };
	ok(sigaltstack(&dis, NULL) == 0 && sigaltstack(NULL, &os) == 0 &&
	   os.ss_flags == SS_DISABLE, "sigaltstack disable");

	char name[16];
	ok(prctl(PR_SET_NAME, "picos-name") == 0 && prctl(PR_GET_NAME, name) == 0 &&
	   strcmp(name, "picos-name") == 0, "PR_SET_NAME / PR_GET_NAME");
	ok(prctl(PR_SET_NAME, "a-very-long-task-name") == 0 && prctl(PR_GET_NAME, name) == 0 &&
	   strcmp(name, "a-very-long-tas") == 0, "names are cut to 15 bytes");
	ok(prctl(PR_GET_DUMPABLE) == 1, "dumpable by default");
	ok(prctl(PR_SET_DUMPABLE, 0) == 0 && prctl(PR_GET_DUMPABLE) == 0, "PR_SET_DUMPABLE 0");
	fails_with(prctl(PR_SET_DUMPABLE, 5), EINVAL, "PR_SET_DUMPABLE 5");
	prctl(PR_SET_DUMPABLE, 1);
	int sig = -1;
	ok(prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && prctl(PR_GET_PDEATHSIG, &sig) == 0 &&
	   sig == SIGTERM, "PR_SET_PDEATHSIG");
	fails_with(prctl(PR_SET_PDEATHSIG, 99), EINVAL, "PR_SET_PDEATHSIG 99");
	fails_with(prctl(PR_GET_NAME, (char *)1), EFAULT, "PR_GET_NAME to a bad pointer");
	fails_with(prctl(0x7fffffff), EINVAL, "unknown prctl option");

	unsigned long fs = 0;
	ok(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) == 0 && fs != 0, "ARCH_GET_FS");
	ok(syscall(SYS_arch_prctl, ARCH_SET_FS, fs) == 0, "ARCH_SET_FS to the same value");
	fails_with(syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1), EFAULT, "ARCH_GET_FS to a bad pointer");
	fails_with(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL, "unknown arch_prctl code");
	free(ss.ss_sp);
	return tap_done();
}
