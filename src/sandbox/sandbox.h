/* The host-side sandbox the launcher puts around a world, just before it
 * execs the provider image: no_new_privs, Landlock, the seccomp allowlist. */
#ifndef PICOS_SANDBOX_H
#define PICOS_SANDBOX_H

#include <stdbool.h>

struct landlock_path {
	const char *path;
	bool writable;
};

/* Restricts the calling process (and all it starts) to the given host
 * paths.  Returns 0, or -1 with a message already printed; returns 1 when
 * the kernel has no Landlock (the caller decides whether that is fatal).
 * With no_tcp, TCP bind and connect are refused as well (ABI 4). */
int sandbox_landlock(const struct landlock_path *paths, int n, bool no_tcp);

/* Installs the world's seccomp allowlist (hostabi.def) on every thread of
 * the calling process; inet sockets only when `inet`.  Returns 0 or -1
 * with a message printed. */
int sandbox_seccomp(bool inet);

/* Drops CAP_NET_ADMIN and CAP_NET_RAW from every set (a world as root
 * would keep them otherwise).  Returns 0 or -1 with a message printed. */
int sandbox_drop_net_caps(void);
/* CAP_SYS_TIME, in every world: guests never change the host clock. */
int sandbox_drop_time_caps(void);

/* The world's init (init.c).  Before it forks the guest's pid 1: a
 * Landlock domain that only scopes signals and abstract unix sockets
 * (returns 0, 1 when the kernel has no ABI 6, -1 with a message).  Once
 * pid 1 runs: no_new_privs and the init's own seccomp allowlist; `pidns`
 * when the init is pid 1 of its own pid namespace (kill(-1) allowed).
 * Returns 0 or -1 with a message printed. */
int sandbox_init_scope(void);
int sandbox_init_seccomp(bool pidns);

/* One line per allowed host call, for docs/security.md. */
void sandbox_print_hostabi(void);

#endif
