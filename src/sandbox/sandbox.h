/* The host-side sandbox the launcher puts around a world, just before it
 * execs the provider image: no_new_privs, Landlock, the seccomp allowlist. */
#ifndef PICOS_SANDBOX_H
#define PICOS_SANDBOX_H

#include <stdbool.h>

/* What one Landlock rule grants beneath its path. */
enum ll_kind {
	LL_READ,   /* read files, list directories (a read-only mount) */
	LL_WRITE,  /* read, write, create, remove, rename, truncate */
	LL_LIST,   /* list directories only (names, never contents) */
	LL_DEVICE, /* read, write and ioctl of one device node */
};

struct landlock_path {
	const char *path;
	int fd; /* an O_PATH fd of path, used instead of it; or -1 */
	enum ll_kind kind;
};

/* The rule list of a world (llpaths.c). */
struct ll_paths {
	struct landlock_path *v;
	int n, cap;
};

void ll_paths_add(struct ll_paths *l, const char *path, enum ll_kind kind);
/* The same for a path the launcher holds open (a mount's O_PATH fd): the
 * rule then holds for that directory whatever mounts come over its path
 * before the rules are made. */
void ll_paths_add_fd(struct ll_paths *l, const char *path, int fd,
		     enum ll_kind kind);
/* Read rules for the host directory `dir` of a read-only mount, leaving
 * out the host paths in `excl` (shadowed by other mounts, or never the
 * world's): where one lies beneath `dir`, `dir` gets LL_LIST and each of
 * its entries is covered in turn (directories recursively, regular
 * files with a rule of their own, symlinks and special files none).
 * dirfd (or -1) is an O_PATH fd of dir, used when dir is one rule. */
void ll_paths_cover(struct ll_paths *l, const char *dir, int dirfd,
		    const char *const *excl, int nexcl);
/* LL_DEVICE rules for the terminals the world inherited: the device node
 * each of fds 0, 1 and 2 names, when it is a terminal. */
void ll_paths_add_inherited_ttys(struct ll_paths *l);

/* Restricts the calling process (and all it starts) to the given host
 * paths.  Returns 0, or -1 with a message already printed; returns 1 when
 * the kernel has no Landlock (the caller decides whether that is fatal).
 * With no_tcp, TCP bind and connect are refused as well (ABI 4). */
int sandbox_landlock(const struct landlock_path *paths, int n, bool no_tcp);

/* Installs the world's seccomp allowlist (hostabi.def) on every thread of
 * the calling process; inet sockets only when `inet`, the IPC calls only
 * when `ipc` (the world has its own IPC namespace).  Returns 0 or -1
 * with a message printed. */
int sandbox_seccomp(bool inet, bool ipc);
/* The same allowlist as a classic BPF program written to `fd`
 * (seccomp_export_bpf), for tools/genseccomp.c at build time.  Returns
 * 0 or -1 with a message printed. */
int sandbox_seccomp_export(bool inet, bool ipc, int fd);
/* The init's allowlist (init_filter.c), the same way. */
int sandbox_init_seccomp_export(bool pidns, int fd);

/* Keeps only the host capabilities a world needs (caps.c's table; the
 * network ones only with net_host): bounding, effective and permitted
 * sets cut to it, inheritable and ambient sets cleared.  Returns 0 or -1
 * with a message printed. */
int sandbox_limit_caps(bool net_host);

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
