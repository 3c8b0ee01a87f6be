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
