/* The world's init's own sandbox (docs/security/20-launcher.md).
 *
 * The init reads the world region, which the guest writes, so it is
 * confined as well, in two steps:
 * - before it forks the guest's pid 1: a Landlock domain that scopes
 *   signals and abstract unix sockets (ABI 6) and restricts no file
 *   access (REFER is handled only to be allowed everywhere).  Pid 1 inherits it and nests its own domain inside
 *   (start_provider), so the init may signal the world's processes
 *   (a nested domain) but no host process outside, while the world may
 *   not signal the init (an enclosing domain);
 * - once pid 1 is started: no_new_privs and a seccomp allowlist of its
 *   own (not hostabi.def, which is the providers' list): what reaping,
 *   the table's futexes, signalling children and --stats need.  Anything
 *   else kills the init; the picos command then ends the world. */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct scope_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int sandbox_init_scope(void)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			       LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 6)
		return 1; /* no scoping on this kernel */
	/* landlock_restrict_self needs no_new_privs (or CAP_SYS_ADMIN);
	 * pid 1 sets it anyway before it execs the provider. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	/* Every Landlock layer denies moving or linking a file to another
	 * directory (REFER) unless a rule allows it, even a layer that does
	 * not handle it: allow it everywhere here, pid 1's own layer decides
	 * (rename into a new directory would fail with EXDEV otherwise). */
	struct scope_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_REFER,
		.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL,
	};
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0)
		goto fail;
	int root = open("/", O_PATH | O_CLOEXEC);
	struct landlock_path_beneath_attr pb = {
		.allowed_access = LANDLOCK_ACCESS_FS_REFER,
		.parent_fd = root,
	};
	long r = root < 0 ? -1
			  : syscall(SYS_landlock_add_rule, rs,
				    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	if (root >= 0)
		close(root);
	if (r == 0)
		r = syscall(SYS_landlock_restrict_self, rs, 0);
	close(rs);
	if (r < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "picos: landlock: cannot scope the world's init: %s\n",
		strerror(errno));
	return -1;
}

/* The init's host calls. */
static const int init_calls[] = {
	SCMP_SYS(wait4), SCMP_SYS(waitid),	/* reaping, own_child */
	SCMP_SYS(futex),			/* the table's lock and wakes */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(alarm),			/* the end grace */
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(clock_gettime),		/* lock patience (vDSO fallback) */
	SCMP_SYS(write), SCMP_SYS(writev),	/* messages and --stats */
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),	/* stdio on stderr */
	SCMP_SYS(brk), SCMP_SYS(munmap),	/* malloc, free */
	SCMP_SYS(close),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

static int allow(scmp_filter_ctx ctx, int nr, unsigned n,
		 const struct scmp_arg_cmp *cmp)
{
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
	if (r < 0)
		fprintf(stderr, "picos: init seccomp: rule for %d: %s\n", nr,
			strerror(-r));
	return r;
}

int sandbox_init_seccomp(bool pidns)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("picos: init no_new_privs");
		return -1;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -1;
	int r = 0;
	for (size_t i = 0; i < sizeof init_calls / sizeof init_calls[0] && r >= 0; i++)
		r = allow(ctx, init_calls[i], 0, NULL);
	/* kill: in a pid namespace of its own, any pid (kill(-1) ends the
	 * world and cannot reach further); otherwise no negative pid (a
	 * process group, or every process the user may signal; glibc passes
	 * pid_t sign-extended).  libseccomp cannot also exclude 0 in the same
	 * rule; the init never passes it (own_child), and with Landlock's
	 * signal scope its process group outside the world is out of reach. */
	if (r >= 0 && pidns) {
		r = allow(ctx, SCMP_SYS(kill), 0, NULL);
	} else if (r >= 0) {
		struct scmp_arg_cmp nonneg = SCMP_A0(SCMP_CMP_MASKED_EQ,
						      0xffffffff80000000ULL, 0);
		r = allow(ctx, SCMP_SYS(kill), 1, &nonneg);
	}
	/* malloc's mmap: memory, never executable. */
	if (r >= 0) {
		struct scmp_arg_cmp noexec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
		r = allow(ctx, SCMP_SYS(mmap), 1, &noexec);
	}
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "picos: cannot install the init's seccomp filter: %s\n",
			strerror(-r));
		return -1;
	}
	return 0;
}
