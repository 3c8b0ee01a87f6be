/* seccomp(2) and prctl(PR_SET_SECCOMP/PR_GET_SECCOMP): the errors of
 * installing (EINVAL for bad programs and flags, EFAULT, EACCES without
 * no_new_privs), every return action, filters on arguments, the SIGSYS of
 * SECCOMP_RET_TRAP and its siginfo, stacking precedence, inheritance by
 * fork, threads and execve, TSYNC, and strict mode.  Filters are forever,
 * so each case runs in a forked child.  `seccomp exec-check` is the
 * program the execve case runs: it exits 0 when the filter it inherited
 * still acts. */
#include "tap.h"
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW RET(SECCOMP_RET_ALLOW)

static const char *self;

static long install(const struct sock_filter *f, unsigned short n,
		    unsigned long flags)
{
	struct sock_fprog p = { n, (struct sock_filter *)f };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p);
}
#define INSTALL(arr, flags) install(arr, sizeof(arr) / sizeof(arr[0]), flags)

/* A filter that answers `action` to getppid and allows the rest. */
static long on_getppid(uint32_t action, unsigned long flags)
{
	struct sock_filter f[] = {
		LD(NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		RET(action),
		ALLOW,
	};
	return INSTALL(f, flags);
}

/* The errno of a raw getppid (0 when it succeeded). */
static int getppid_errno(void)
{
	errno = 0;
	long r = syscall(SYS_getppid);
	return r == -1 ? errno : 0;
}

/* ---- children: run fn with no_new_privs, report with rok ---- */

/* Runs fn in a child (with no_new_privs unless child_nnp is 0); its
 * checks come back over a pipe.  `sig` is the signal the child must die
 * of (0: it must exit 0). */
static int child_nnp = 1;
static void in_child_ex(void (*fn)(void), const char *what, int sig)
{
	int p[2];
	if (pipe(p) < 0) {
		ok(0, "%s: pipe", what);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		rep_fd = p[1];
		if (child_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(3);
		fn();
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	struct rec r;
	int n = 0, st = -1;
	while (read(p[0], &r, sizeof r) == sizeof r && ++n)
		ok(r.pass, "%s: %.120s", what, r.what);
	close(p[0]);
	waitpid(pid, &st, 0);
	if (sig)
		ok(WIFSIGNALED(st) && WTERMSIG(st) == sig,
		   "%s: the child is killed by signal %d (status %#x)", what, sig, st);
	else
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0,
		   "%s: child ran %d checks and exited 0 (status %#x)", what, n, st);
}
#define in_child(fn, what) in_child_ex(fn, what, 0)

static void rerrno(int got, int want, const char *what)
{
	rok(got == want, "%s: errno %d (got %d)", what, want, got);
}

/* ---- errors ---- */

static void errors_no_nnp(void)
{
	/* Root has CAP_SYS_ADMIN, which stands for no_new_privs: drop it
	 * from the effective set first (a no-op for anyone else). */
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	syscall(SYS_capget, &h, d);
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	syscall(SYS_capset, &h, d);
	struct sock_filter f[] = { ALLOW };
	errno = 0;
	rok(INSTALL(f, 0) == -1 && errno == EACCES,
	    "a filter without no_new_privs or CAP_SYS_ADMIN: EACCES (errno %d)",
	    errno);
	errno = 0;
	rok(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) == -1 &&
		    errno == EFAULT,
	    "a NULL program without no_new_privs: EFAULT first (errno %d)", errno);
	struct sock_fprog p = { 0, f };
	errno = 0;
	rok(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) == -1 &&
		    errno == EINVAL,
	    "an empty program without no_new_privs: EINVAL first (errno %d)",
	    errno);
	rok(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "PR_GET_SECCOMP is 0");
}

static void errors(void)
{
	fails_with(syscall(SYS_seccomp, 99, 0, NULL), EINVAL, "seccomp(99)");
	fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL,
		   "SET_MODE_STRICT with flags");
	fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, (void *)8),
		   EINVAL, "SET_MODE_STRICT with args");
	fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 1UL << 20, NULL),
		   EINVAL, "SET_MODE_FILTER with an unknown flag");
	fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			   SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER,
			   NULL),
		   EINVAL, "TSYNC with NEW_LISTENER");
	fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			   SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, NULL),
		   EINVAL, "WAIT_KILLABLE_RECV without NEW_LISTENER");
	fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8),
		   EFAULT, "a bad fprog pointer");
	fails_with(prctl(PR_SET_SECCOMP, 7, 0, 0, 0), EINVAL, "PR_SET_SECCOMP(7)");
	uint32_t a = SECCOMP_RET_ALLOW;
	ok(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a) == 0,
	   "GET_ACTION_AVAIL(ALLOW)");
	a = SECCOMP_RET_KILL_PROCESS;
	ok(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a) == 0,
	   "GET_ACTION_AVAIL(KILL_PROCESS)");
	a = 0x12340000;
	fails_with(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a), EOPNOTSUPP,
		   "GET_ACTION_AVAIL(an unknown action)");
	fails_with(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, &a), EINVAL,
		   "GET_ACTION_AVAIL with flags");
	fails_with(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (void *)8),
		   EFAULT, "GET_ACTION_AVAIL with a bad pointer");
	struct seccomp_notif_sizes sz = { 0, 0, 0 };
	ok(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0 &&
		   sz.seccomp_data == sizeof(struct seccomp_data),
	   "GET_NOTIF_SIZES: seccomp_data is %u bytes", sz.seccomp_data);
	fails_with(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, (void *)8),
		   EFAULT, "GET_NOTIF_SIZES with a bad pointer");
	child_nnp = 0;
	in_child(errors_no_nnp, "without no_new_privs");
	child_nnp = 1;
}

/* Bad programs, with no_new_privs set. */
static void rbad(const struct sock_filter *f, unsigned short n, const char *what)
{
	errno = 0;
	long r = install(f, n, 0);
	rok(r == -1 && errno == EINVAL, "%s: EINVAL (got %ld, errno %d)", what, r,
	    errno);
}
#define RBAD(arr, what) rbad(arr, sizeof(arr) / sizeof(arr[0]), what)

static void bad_programs(void)
{
	struct sock_filter no_ret[] = { LD(NR_OFF) };
	RBAD(no_ret, "a program without a final return");
	struct sock_filter unaligned[] = { LD(2), ALLOW };
	RBAD(unaligned, "an unaligned load");
	struct sock_filter outside[] = { LD(sizeof(struct seccomp_data)), ALLOW };
	RBAD(outside, "a load past seccomp_data");
	struct sock_filter byte[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), ALLOW };
	RBAD(byte, "a byte load");
	struct sock_filter far[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
				     ALLOW };
	RBAD(far, "a jump past the end");
	struct sock_filter ja[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), ALLOW };
	RBAD(ja, "an unconditional jump past the end");
	struct sock_filter mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 0), ALLOW };
	RBAD(mem, "a load of scratch memory never stored");
	struct sock_filter mem16[] = { BPF_STMT(BPF_ST, 16), ALLOW };
	RBAD(mem16, "a store past the scratch memory");
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW };
	RBAD(div0, "a division by constant 0");
	struct sock_filter shift[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW };
	RBAD(shift, "a shift by 32");
	struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), ALLOW };
	RBAD(mod, "BPF_MOD (not for seccomp)");
	struct sock_filter retx[] = { BPF_STMT(BPF_RET | BPF_X, 0) };
	RBAD(retx, "a return of X");
	struct sock_filter ok1[] = { ALLOW };
	struct sock_fprog p = { 0, ok1 };
	errno = 0;
	rok(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) == -1 &&
		    errno == EINVAL,
	    "an empty program: EINVAL");
	p.len = BPF_MAXINSNS + 1;
	errno = 0;
	rok(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) == -1 &&
		    errno == EINVAL,
	    "a program of 4097 instructions: EINVAL");
	p.len = 1;
	p.filter = (struct sock_filter *)8;
	errno = 0;
	rok(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) == -1 &&
		    errno == EFAULT,
	    "a program at a bad address: EFAULT");
	rok(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0,
	    "no filter after the failures (PR_GET_SECCOMP 0)");
	rok(getppid_errno() == 0, "getppid still works");
}

/* ---- actions ---- */

static void act_errno(void)
{
	rok(on_getppid(SECCOMP_RET_ERRNO | EPERM, 0) == 0, "install ERRNO(EPERM)");
	rok(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2, "PR_GET_SECCOMP is 2");
	rerrno(getppid_errno(), EPERM, "getppid");
	rok(syscall(SYS_getpid) > 0, "getpid still works");
	/* A newer filter with the same action: the newest one's data. */
	rok(on_getppid(SECCOMP_RET_ERRNO | ENOENT, 0) == 0, "install ERRNO(ENOENT)");
	rerrno(getppid_errno(), ENOENT, "getppid with two ERRNO filters");
	/* A less restrictive newer filter does not win. */
	rok(on_getppid(SECCOMP_RET_LOG, 0) == 0, "install LOG");
	rerrno(getppid_errno(), ENOENT, "getppid under LOG over ERRNO");
}

static void act_errno_data(void)
{
	rok(on_getppid(SECCOMP_RET_ERRNO | 5000, 0) == 0, "install ERRNO(5000)");
	rerrno(getppid_errno(), 4095, "the errno is capped at 4095");
}

static void act_errno_zero(void)
{
	rok(on_getppid(SECCOMP_RET_ERRNO | 0, 0) == 0, "install ERRNO(0)");
	errno = 0;
	rok(syscall(SYS_getppid) == 0, "getppid skipped, returning 0");
}

static void act_trace_notif(void)
{
	rok(on_getppid(SECCOMP_RET_TRACE | 7, 0) == 0, "install TRACE");
	rerrno(getppid_errno(), ENOSYS, "TRACE without a tracer");
	errno = 0;
	long r = syscall(SYS_getpid);
	rok(r > 0, "other calls go on");
}

static void act_notif(void)
{
	rok(on_getppid(SECCOMP_RET_USER_NOTIF, 0) == 0, "install USER_NOTIF");
	rerrno(getppid_errno(), ENOSYS, "USER_NOTIF without a listener");
}

static void act_allow_log(void)
{
	long want = syscall(SYS_getppid);
	rok(on_getppid(SECCOMP_RET_LOG, 0) == 0, "install LOG");
	rok(syscall(SYS_getppid) == want, "LOG lets the call run");
	rok(on_getppid(SECCOMP_RET_ALLOW, 0) == 0, "install ALLOW");
	rok(syscall(SYS_getppid) == want, "ALLOW lets the call run");
}

static void act_kill_process(void)
{
	rok(on_getppid(SECCOMP_RET_KILL_PROCESS, 0) == 0, "install KILL_PROCESS");
	syscall(SYS_getppid);
	rok(0, "still alive after KILL_PROCESS");
}

static void act_kill_thread(void)
{
	rok(on_getppid(SECCOMP_RET_KILL_THREAD, 0) == 0, "install KILL_THREAD");
	syscall(SYS_getppid);
	rok(0, "still alive after KILL_THREAD");
}

static void act_unknown(void)
{
	rok(on_getppid(0x00010000, 0) == 0, "install an unknown action");
	syscall(SYS_getppid);
	rok(0, "still alive after an unknown action");
}

static void act_div_zero(void)
{
	/* A division by X == 0 ends the program with 0: KILL_THREAD. */
	struct sock_filter f[] = {
		LD(NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 2),
		BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		ALLOW,
	};
	rok(INSTALL(f, 0) == 0, "install a filter dividing by X = 0 on getppid");
	syscall(SYS_getppid);
	rok(0, "still alive");
}

static volatile int victim_tid;
static void *kill_me(void *arg)
{
	(void)arg;
	victim_tid = (int)syscall(SYS_gettid);
	syscall(SYS_getppid);
	return (void *)1;
}

static void act_kill_one_thread(void)
{
	rok(on_getppid(SECCOMP_RET_KILL_THREAD, 0) == 0, "install KILL_THREAD");
	pthread_t t;
	rok(pthread_create(&t, NULL, kill_me, NULL) == 0, "a thread calls getppid");
	/* Wait for the thread's tid to go (a killed thread is never joined
	 * by every libc: musl's join waits for the thread's own exit path). */
	int gone = 0;
	for (int i = 0; i < 500 && !gone; i++) {
		if (victim_tid &&
		    syscall(SYS_tgkill, getpid(), victim_tid, 0) == -1 && errno == ESRCH)
			gone = 1;
		else
			usleep(10000);
	}
	rok(gone, "the thread is gone");
	rok(syscall(SYS_getpid) > 0, "the process goes on");
}

static void act_precedence(void)
{
	/* TRAP (older) is more restrictive than ERRNO (newer); KILL beats
	 * both, but only on its own call. */
	rok(on_getppid(SECCOMP_RET_TRAP, 0) == 0, "install TRAP");
	rok(on_getppid(SECCOMP_RET_ERRNO | EPERM, 0) == 0, "install ERRNO over it");
	rok(on_getppid(SECCOMP_RET_ALLOW, 0) == 0, "install ALLOW over both");
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	sigprocmask(SIG_BLOCK, &s, NULL);
	/* A blocked SIGSYS from TRAP still kills: the parent sees SIGSYS. */
	syscall(SYS_getppid);
	rok(0, "still alive after a TRAP with SIGSYS blocked");
}

/* ---- SIGSYS ---- */

static volatile siginfo_t trap_info;
static volatile long trap_rax, trap_rip;
static volatile int trapped;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	trap_info = *si;
	trap_rax = uc->uc_mcontext.gregs[REG_RAX];
	trap_rip = uc->uc_mcontext.gregs[REG_RIP];
	trapped++;
}

static void act_trap(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	rok(on_getppid(SECCOMP_RET_TRAP | 42, 0) == 0, "install TRAP(42)");
	long r = syscall(SYS_getppid);
	rok(trapped == 1, "the handler ran once");
	rok(trap_info.si_signo == SIGSYS && trap_info.si_code == SYS_SECCOMP,
	    "si_signo SIGSYS, si_code SYS_SECCOMP (%d)", trap_info.si_code);
	rok(trap_info.si_errno == 42, "si_errno is the data (%d)", trap_info.si_errno);
	rok(trap_info.si_syscall == SYS_getppid, "si_syscall is getppid (%d)",
	    trap_info.si_syscall);
	rok(trap_info.si_arch == AUDIT_ARCH_X86_64, "si_arch is x86-64 (%#x)",
	    trap_info.si_arch);
	rok((long)trap_info.si_call_addr == trap_rip,
	    "si_call_addr is where the call returns (%p)", trap_info.si_call_addr);
	rok(trap_rax == SYS_getppid && r == SYS_getppid,
	    "the handler sees %%rax = the call number, and so does the caller (%ld)",
	    r);
}

/* ---- what filters see ---- */

static void args_filter(void)
{
	/* dup(0) fails with ENOTTY; dup of anything else runs.  lseek with
	 * an offset whose high word is 1 fails with E2BIG. */
	struct sock_filter f[] = {
		LD(ARCH_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		RET(SECCOMP_RET_ERRNO | EXDEV),
		LD(NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 0, 3),
		LD(ARG_LO(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		RET(SECCOMP_RET_ERRNO | ENOTTY),
		LD(NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_lseek, 0, 3),
		LD(ARG_HI(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
		RET(SECCOMP_RET_ERRNO | E2BIG),
		ALLOW,
	};
	rok(INSTALL(f, 0) == 0, "install an argument filter");
	errno = 0;
	rok(syscall(SYS_dup, 0) == -1 && errno == ENOTTY, "dup(0): ENOTTY");
	long fd = syscall(SYS_dup, 1);
	rok(fd > 2, "dup(1) runs (%ld)", fd);
	errno = 0;
	rok(syscall(SYS_lseek, 0, 0x100000000L, SEEK_CUR) == -1 && errno == E2BIG,
	    "lseek with offset 1 << 32: E2BIG");
	errno = 0;
	long r = syscall(SYS_lseek, 0, 0L, SEEK_CUR);
	rok(!(r == -1 && errno == E2BIG), "lseek with offset 0 is not filtered");
}

static void alu_filter(void)
{
	/* (nr + 3) * 2 == (getppid + 3) * 2, through scratch memory and X;
	 * BPF_LEN is the size of seccomp_data. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sizeof(struct seccomp_data), 1, 0),
		RET(SECCOMP_RET_ERRNO | EXDEV),
		LD(NR_OFF),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 3),
		BPF_STMT(BPF_ST, 5),
		BPF_STMT(BPF_LDX | BPF_IMM, 2),
		BPF_STMT(BPF_LD | BPF_MEM, 5),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_IMM, (SYS_getppid + 3) * 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
		RET(SECCOMP_RET_ERRNO | ENOANO),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 0, 1),
		RET(SECCOMP_RET_ERRNO | EXDEV),
		ALLOW,
	};
	rok(INSTALL(f, 0) == 0, "install a filter with arithmetic");
	rerrno(getppid_errno(), ENOANO, "getppid");
	rok(syscall(SYS_getpid) > 0, "getpid runs");
}

static void guest_calls_only(void)
{
	/* The guest's calls are filtered, not the host calls that serve
	 * them: a ban on openat2 leaves open() (openat) alone. */
	struct sock_filter f[] = {
		LD(NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		RET(SECCOMP_RET_ERRNO | EPERM),
		ALLOW,
	};
	rok(INSTALL(f, 0) == 0, "install a ban on openat2");
	int fd = open("/dev/null", O_RDONLY);
	rok(fd >= 0, "open(/dev/null) works");
	close(fd);
	errno = 0;
	rok(syscall(SYS_openat2, AT_FDCWD, "/dev/null", NULL, 0) == -1 &&
		    errno == EPERM,
	    "openat2 itself: EPERM");
}

static void limits(void)
{
	static struct sock_filter big[BPF_MAXINSNS];
	for (int i = 0; i < BPF_MAXINSNS; i++)
		big[i] = (struct sock_filter)ALLOW;
	/* Linux counts the eBPF translation of each filter (3 + 2 per
	 * return: 8195 here) and 4 more for each older one, against 32768:
	 * 3 of them fit (fewer when the test started under filters of its
	 * host, which count too). */
	int n = 0;
	while (n < 10 && install(big, BPF_MAXINSNS, 0) == 0)
		n++;
	int e = errno;
	rok(n >= 1 && n <= 3 && e == ENOMEM,
	    "at most 3 filters of 4096 returns, then ENOMEM (got %d, errno %d)",
	    n, e);
	rok(getppid_errno() == 0, "the calls run");
}

/* ---- inheritance ---- */

static void fork_inherit(void)
{
	rok(on_getppid(SECCOMP_RET_ERRNO | EPERM, 0) == 0, "install ERRNO(EPERM)");
	pid_t pid = fork();
	if (pid == 0)
		syscall(SYS_exit_group, getppid_errno() == EPERM &&
						prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2
					? 0
					: 1);
	int st = -1;
	waitpid(pid, &st, 0);
	rok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a fork child has the filter");
}

static void exec_inherit(void)
{
	rok(on_getppid(SECCOMP_RET_ERRNO | EL2HLT, 0) == 0, "install ERRNO(EL2HLT)");
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "exec-check", (char *)NULL);
		syscall(SYS_exit_group, 99);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	rok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the filter and no_new_privs survive execve (status %#x)", st);
}

static int exec_check(void)
{
	return getppid_errno() == EL2HLT && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2 &&
			       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1
		       ? 0
		       : 1;
}

/* A thread that reports getppid's errno when told, until told to stop. */
static int req[2], resp[2];
static volatile int worker_tid;
static void *worker(void *arg)
{
	(void)arg;
	worker_tid = (int)syscall(SYS_gettid);
	char c;
	while (read(req[0], &c, 1) == 1 && c != 'q') {
		int e;
		if (c == 'i') /* install a filter of its own */
			e = on_getppid(SECCOMP_RET_ERRNO | EDOM, 0) == 0 ? 0 : errno;
		else
			e = getppid_errno();
		if (write(resp[1], &e, sizeof e) != sizeof e)
			break;
	}
	return NULL;
}

static int ask(char c)
{
	int e = -1;
	if (write(req[1], &c, 1) != 1 || read(resp[0], &e, sizeof e) != sizeof e)
		return -1;
	return e;
}

static void threads(void)
{
	pthread_t t;
	if (pipe(req) < 0 || pipe(resp) < 0 ||
	    pthread_create(&t, NULL, worker, NULL) != 0) {
		rok(0, "set-up");
		return;
	}
	rok(ask('g') == 0, "the thread calls getppid");
	rok(on_getppid(SECCOMP_RET_ERRNO | EPERM, 0) == 0,
	    "the main thread installs ERRNO(EPERM) without TSYNC");
	rok(ask('g') == 0, "the other thread is not filtered");
	rok(on_getppid(SECCOMP_RET_ERRNO | EACCES, SECCOMP_FILTER_FLAG_TSYNC) == 0,
	    "TSYNC: the other thread had no filter");
	rok(ask('g') == EACCES, "now it is filtered too");
	rok(ask('i') == 0, "the other thread adds a filter of its own");
	rerrno(getppid_errno(), EACCES, "the main thread keeps its chain");
	long r = on_getppid(SECCOMP_RET_ERRNO | ENOENT, SECCOMP_FILTER_FLAG_TSYNC);
	rok(r == worker_tid, "TSYNC fails with the tid of the thread whose chain "
			     "diverged (%ld, tid %d)", r, worker_tid);
	errno = 0;
	r = on_getppid(SECCOMP_RET_ERRNO | ENOENT,
		       SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
	rok(r == -1 && errno == ESRCH, "with TSYNC_ESRCH: ESRCH");
	rerrno(getppid_errno(), EACCES, "the failed TSYNC installed nothing");
	rok(ask('g') == EDOM, "the thread's own filter acts");
	if (write(req[1], "q", 1) != 1)
		rok(0, "stopping the thread");
	pthread_join(t, NULL);
}

/* ---- strict mode ---- */

static void strict_ok(void)
{
	rok(1, "entering strict mode");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
		syscall(SYS_exit, 5);
	struct rec r = { .pass = 1 };
	strcpy(r.what, "write works in strict mode");
	if (write(rep_fd, &r, sizeof r) != sizeof r)
		syscall(SYS_exit, 6);
	syscall(SYS_exit, 0); /* exit, not exit_group */
}

static void strict_kill(void)
{
	rok(1, "entering strict mode");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
		syscall(SYS_exit, 5);
	syscall(SYS_getppid);
	syscall(SYS_exit, 7);
}

/* Strict mode is per thread, and kills the thread alone. */
static void *strict_thread(void *arg)
{
	(void)arg;
	victim_tid = (int)syscall(SYS_gettid);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) == 0)
		syscall(SYS_getppid);
	return NULL;
}

static void strict_one_thread(void)
{
	pthread_t t;
	rok(pthread_create(&t, NULL, strict_thread, NULL) == 0,
	    "a thread enters strict mode and calls getppid");
	int gone = 0;
	for (int i = 0; i < 500 && !gone; i++) {
		if (victim_tid &&
		    syscall(SYS_tgkill, getpid(), victim_tid, 0) == -1 && errno == ESRCH)
			gone = 1;
		else
			usleep(10000);
	}
	rok(gone, "the thread is gone");
	rok(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 && syscall(SYS_getppid) > 0,
	    "the main thread is not in strict mode and goes on");
}

static void strict_after_filter(void)
{
	rok(on_getppid(SECCOMP_RET_ERRNO | EPERM, 0) == 0, "install a filter");
	errno = 0;
	rok(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) == -1 &&
		    errno == EINVAL,
	    "strict mode after a filter: EINVAL");
	struct sock_filter f[] = { ALLOW };
	struct sock_fprog p = { 1, f };
	rok(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p, 0, 0) == 0,
	    "PR_SET_SECCOMP(FILTER) adds a filter");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "exec-check") == 0)
		return exec_check();
	self = argv[0];
	errors();
	in_child(bad_programs, "bad programs");
	in_child(act_errno, "ERRNO");
	in_child(act_errno_data, "ERRNO data");
	in_child(act_errno_zero, "ERRNO 0");
	in_child(act_trace_notif, "TRACE");
	in_child(act_notif, "USER_NOTIF");
	in_child(act_allow_log, "ALLOW and LOG");
	in_child_ex(act_kill_process, "KILL_PROCESS", SIGSYS);
	in_child_ex(act_kill_thread, "KILL_THREAD", SIGSYS);
	in_child_ex(act_unknown, "an unknown action", SIGSYS);
	in_child_ex(act_div_zero, "division by zero", SIGSYS);
	in_child(act_kill_one_thread, "KILL_THREAD of one thread");
	in_child_ex(act_precedence, "precedence", SIGSYS);
	in_child(act_trap, "TRAP");
	in_child(args_filter, "arguments");
	in_child(alu_filter, "arithmetic");
	in_child(guest_calls_only, "guest calls");
	in_child(limits, "limits");
	in_child(fork_inherit, "fork");
	in_child(exec_inherit, "execve");
	in_child(threads, "threads");
	in_child(strict_ok, "strict mode");
	in_child_ex(strict_kill, "strict mode kill", SIGKILL);
	in_child(strict_one_thread, "strict mode in one thread");
	in_child(strict_after_filter, "strict after filter");
	return tap_done();
}
