/* The world's seccomp allowlist, built with libseccomp from hostabi.def.
 * It is built when picos is (tools/genseccomp.c exports the four
 * variants as BPF into picos, seccomp_load.c installs them): compiling
 * it took about 1.2 ms of every start-up.
 *
 * Guest code never reaches the host kernel directly: Syscall User
 * Dispatch turns each of its syscalls into SIGSYS for the provider.  This
 * filter bounds what the provider's host ABI can do if a hostile guest
 * jumps into provider code with its own arguments.  Anything not listed
 * traps (SIGSYS with SYS_SECCOMP), which the provider reports and dies of;
 * a few calls are argument-checked as well. */
#include "sandbox.h"
#include <errno.h>
#include <linux/prctl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <linux/timerfd.h> /* also O_NONBLOCK, O_EXCL (linux/fcntl.h) */
#include <termios.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>

struct host_call {
	const char *name;
	const char *why;
	bool ipc; /* only for a world with its own IPC namespace */
};

static const struct host_call host_abi[] = {
#define HOST(name, why) { #name, why, false },
#define HOST_IPC(name, why) { #name, why, true },
#include "hostabi.def"
#undef HOST
};

/* <asm/termbits.h>'s, which clashes with glibc's <termios.h>: the size
 * in the TCGETS2 family's numbers. */
struct termios2 {
	unsigned c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line, c_cc[19];
	unsigned c_ispeed, c_ospeed;
};
_Static_assert(sizeof(struct termios2) == 44, "Linux's struct termios2");

/* The ioctl requests the provider passes through for the guest. */
static const unsigned long ioctl_allowed[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP,
	TIOCSPGRP, FIONREAD, FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX, TIOCGSID,
	TIOCOUTQ, SIOCATMARK, SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS,
	SIOCGIFADDR, SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK,
	SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN,
	TFD_IOC_SET_TICKS,
	/* terminals and ptys (src/kernel/fs/tty.c); never TIOCSTI or
	 * TIOCLINUX, which inject input into a terminal: the user's shell */
	TCGETS2, TCSETS2, TCSETSW2, TCSETSF2, TCFLSH, TCSBRK, TCSBRKP, TCXONC,
	TIOCSBRK, TIOCCBRK, TIOCSCTTY, TIOCNOTTY, TIOCEXCL, TIOCNXCL,
	TIOCGEXCL, TIOCMGET, TIOCMSET, TIOCMBIS, TIOCMBIC, TIOCGSOFTCAR,
	TIOCSSOFTCAR, TIOCGETD, TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT,
	TIOCGPKT, TIOCGPTPEER,
};

/* The prctl options the provider itself uses. */
static const int prctl_allowed[] = {
	PR_SET_SYSCALL_USER_DISPATCH, PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG,
	PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, /* the guest's, per thread */
	/* started by root: the guest's flags on the host process, which
	 * takes the guest's ids (sys_id.c) */
	PR_SET_KEEPCAPS, PR_SET_DUMPABLE,
};

/* The only clone the provider makes: a new pico process whose host parent
 * is the launcher. */
static const unsigned long clone_allowed[] = {
	CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD,
	/* the guest's vfork: the child borrows the address space as a task
	 * of this provider with a copy of the host fd table (vfork.c), with
	 * and without its TLS */
	CLONE_VM | CLONE_FS | CLONE_VFORK | CLONE_PARENT | CLONE_PARENT_SETTID |
		CLONE_CHILD_CLEARTID | SIGCHLD,
	CLONE_VM | CLONE_FS | CLONE_VFORK | CLONE_PARENT | CLONE_PARENT_SETTID |
		CLONE_CHILD_CLEARTID | CLONE_SETTLS | SIGCHLD,
	/* a CLONE_VM guest child: another host process in this memory */
	CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_PARENT | CLONE_PARENT_SETTID |
		CLONE_CHILD_CLEARTID | SIGCHLD,
	CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_PARENT | CLONE_PARENT_SETTID |
		CLONE_CHILD_CLEARTID | CLONE_SETTLS | SIGCHLD,
	/* ... with a copy of the host fd table (no guest CLONE_FILES) */
	CLONE_VM | CLONE_FS | CLONE_PARENT | CLONE_PARENT_SETTID |
		CLONE_CHILD_CLEARTID | SIGCHLD,
	CLONE_VM | CLONE_FS | CLONE_PARENT | CLONE_PARENT_SETTID |
		CLONE_CHILD_CLEARTID | CLONE_SETTLS | SIGCHLD,
	/* a guest thread, with and without its TLS (sys_thread.c) */
	CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
	CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
		CLONE_SETTLS,
};

/* Calls newer than the libseccomp this was built with, by number. */
static const struct {
	const char *name;
	int nr;
} newer_calls[] = {
	{ "fchmodat2", 452 }, { "setxattrat", 463 }, { "getxattrat", 464 },
	{ "listxattrat", 465 }, { "removexattrat", 466 },
	{ "futex_waitv", 449 },
};

static int resolve(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	for (size_t i = 0; nr == __NR_SCMP_ERROR &&
			   i < sizeof newer_calls / sizeof newer_calls[0];
	     i++)
		if (strcmp(newer_calls[i].name, name) == 0)
			nr = newer_calls[i].nr;
	return nr;
}

static int add_checked(scmp_filter_ctx ctx, int nr, const unsigned long *vals,
		       int n)
{
	for (int i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					 SCMP_A1(SCMP_CMP_EQ, vals[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_checked_a0(scmp_filter_ctx ctx, int nr,
			  const unsigned long *vals, int n)
{
	for (int i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					 SCMP_A0(SCMP_CMP_EQ, vals[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* mknodat(2) file types: regular files, fifos and sockets only (a type
 * of 0 is a regular file).  A world never makes a device node, whatever
 * its user may do on the host (sys_dir.c refuses them with EPERM). */
static const unsigned long mknod_types[] = { 0, S_IFREG, S_IFIFO, S_IFSOCK };

static int add_mknodat(scmp_filter_ctx ctx, int nr)
{
	int r = 0;
	for (size_t i = 0;
	     i < sizeof mknod_types / sizeof mknod_types[0] && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT,
					     mknod_types[i]));
	return r;
}

/* socket(2) families: as sys_socket allows (net/sys_socket.c). */
static int add_socket(scmp_filter_ctx ctx, int nr, bool inet)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				 SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 2,
				     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
				     SCMP_A2(SCMP_CMP_EQ, 0 /* NETLINK_ROUTE */));
	if (r == 0 && inet)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     SCMP_A0(SCMP_CMP_EQ, AF_INET));
	if (r == 0 && inet)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     SCMP_A0(SCMP_CMP_EQ, AF_INET6));
	return r;
}

/* Calls that name a process or thread: the host would act on any host
 * process of the user (another world's, the user's shell), so the
 * provider may name only itself, as 0.  Operations on other threads of
 * the world are requests those threads carry out on themselves
 * (src/kernel/proc/remote.c).  For the sched_* calls and prlimit64 the
 * first argument is the pid (0: the calling thread, the calling process
 * for prlimit64); setpriority/getpriority take (PRIO_PROCESS, 0) and
 * ioprio_set/ioprio_get (IOPRIO_WHO_PROCESS, 0), the calling thread. */
static const char *const pid_first[] = {
	"prlimit64", "sched_setaffinity", "sched_getaffinity",
	"sched_setscheduler", "sched_getscheduler", "sched_setparam",
	"sched_getparam", "sched_setattr", "sched_getattr",
	"sched_rr_get_interval",
	/* the guest's process groups and sessions mirrored on the host
	 * (src/kernel/proc/sys_id.c) */
	"setpgid", "getpgid", "getsid",
};
static const struct {
	const char *name;
	unsigned long which;
} which_who[] = {
	{ "setpriority", 0 /* PRIO_PROCESS */ },
	{ "getpriority", 0 },
	{ "ioprio_set", 1 /* IOPRIO_WHO_PROCESS */ },
	{ "ioprio_get", 1 },
};

static bool names_self_only(const char *name)
{
	for (size_t k = 0; k < sizeof pid_first / sizeof pid_first[0]; k++)
		if (strcmp(pid_first[k], name) == 0)
			return true;
	for (size_t k = 0; k < sizeof which_who / sizeof which_who[0]; k++)
		if (strcmp(which_who[k].name, name) == 0)
			return true;
	return false;
}

static int add_self_only(scmp_filter_ctx ctx, int nr, const char *name)
{
	for (size_t k = 0; k < sizeof which_who / sizeof which_who[0]; k++)
		if (strcmp(which_who[k].name, name) == 0)
			return seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, nr, 2,
				SCMP_A0(SCMP_CMP_EQ, which_who[k].which),
				SCMP_A1(SCMP_CMP_EQ, 0));
	/* pid_t is an int: the kernel reads only the low 32 bits */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, 0));
}

/* The allowlist as a libseccomp filter, or NULL with a message. */
static scmp_filter_ctx world_filter(bool inet, bool ipc)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		fprintf(stderr, "picos: cannot create the seccomp filter\n");
		return NULL;
	}
	int r = 0;
	for (size_t i = 0; i < sizeof host_abi / sizeof host_abi[0] && r == 0;
	     i++) {
		if (host_abi[i].ipc && !ipc)
			continue;
		int nr = resolve(host_abi[i].name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "picos: unknown host call %s\n",
				host_abi[i].name);
			r = -1;
			break;
		}
		if (strcmp(host_abi[i].name, "ioctl") == 0)
			r = add_checked(ctx, nr, ioctl_allowed,
					sizeof ioctl_allowed /
						sizeof ioctl_allowed[0]);
		else if (strcmp(host_abi[i].name, "clone") == 0) {
			r = add_checked_a0(ctx, nr, clone_allowed,
					   sizeof clone_allowed /
						   sizeof clone_allowed[0]);
		} else if (strcmp(host_abi[i].name, "prctl") == 0) {
			for (size_t k = 0;
			     k < sizeof prctl_allowed / sizeof prctl_allowed[0] &&
			     r == 0;
			     k++)
				r = seccomp_rule_add(
					ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_EQ,
						(unsigned)prctl_allowed[k]));
			/* the host's record of where the guest's argument
			 * and environment strings are (exec.c) */
			if (r == 0)
				r = seccomp_rule_add(
					ctx, SCMP_ACT_ALLOW, nr, 2,
					SCMP_A0(SCMP_CMP_EQ, PR_SET_MM),
					SCMP_A1(SCMP_CMP_EQ, PR_SET_MM_MAP));
		} else if (strcmp(host_abi[i].name, "socket") == 0) {
			r = add_socket(ctx, nr, inet);
		} else if (strcmp(host_abi[i].name, "mknodat") == 0) {
			r = add_mknodat(ctx, nr);
		} else if (names_self_only(host_abi[i].name)) {
			r = add_self_only(ctx, nr, host_abi[i].name);
		} else if (strcmp(host_abi[i].name, "pidfd_open") == 0) {
			static const unsigned long pidfd_flags[] = {
				0, O_NONBLOCK, O_EXCL, O_EXCL | O_NONBLOCK
			}; /* PIDFD_NONBLOCK, PIDFD_THREAD */
			r = add_checked(ctx, nr, pidfd_flags, 4);
		} else if (strcmp(host_abi[i].name, "socketpair") == 0) {
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					     SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
		} else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* execveat of the provider image itself, by fd only (AT_EMPTY_PATH):
	 * needed now by the launcher's child, and later for re-exec. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 1,
				     SCMP_A4(SCMP_CMP_EQ, 0x1000));
	if (r < 0) {
		fprintf(stderr, "picos: cannot build the seccomp filter: %s\n",
			strerror(-r));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int sandbox_seccomp_export(bool inet, bool ipc, int fd)
{
	scmp_filter_ctx ctx = world_filter(inet, ipc);
	if (!ctx)
		return -1;
	int r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "picos: cannot export the seccomp filter: %s\n",
			strerror(-r));
		return -1;
	}
	return 0;
}

void sandbox_print_hostabi(void)
{
	for (size_t i = 0; i < sizeof host_abi / sizeof host_abi[0]; i++)
		printf("| `%s` | %s%s |\n", host_abi[i].name, host_abi[i].why,
		       host_abi[i].ipc ? " (own IPC namespace only)" : "");
	printf("| `execveat` | start the provider image from its memfd "
	       "(AT_EMPTY_PATH only) |\n");
}
