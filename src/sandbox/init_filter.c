/* The world's init's seccomp allowlist (init.c, docs/security/20-launcher.md),
 * compiled by libseccomp when picos is built (tools/genseccomp.c) and
 * installed by seccomp_load.c. */
#include "sandbox.h"
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

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

int sandbox_init_seccomp_export(bool pidns, int fd)
{
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
		r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "picos: cannot export the init's seccomp filter: %s\n",
			strerror(-r));
		return -1;
	}
	return 0;
}
