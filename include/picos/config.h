/* The world configuration the launcher hands to the first pico process.
 *
 * It travels in a sealed memfd whose host fd number is the provider's
 * argv[1].  The format is a flat list of records, each
 *   u32 type, u32 length, `length` bytes of payload, padded to 8 bytes,
 * ended by PCFG_END.  Strings are NUL-terminated inside their payload. */
#ifndef PICOS_CONFIG_H
#define PICOS_CONFIG_H

#include <stdint.h>

#define PICOS_CONFIG_MAGIC 0x50434f53u /* "PCOS" */

enum pcfg_type {
	PCFG_END = 0,
	PCFG_MAGIC,	 /* u32 magic */
	PCFG_ARG,	 /* string: one guest argv entry, in order */
	PCFG_ENV,	 /* string: one guest environment entry */
	PCFG_EXE,	 /* string: guest path of the program to load */
	PCFG_CWD,	 /* string: guest working directory */
	PCFG_MOUNT,	 /* struct pcfg_mount + guest path string */
	PCFG_IDENTITY,	 /* struct pcfg_identity */
	PCFG_HOSTNAME,	 /* string */
	PCFG_TRACE_FD,	 /* i32 host fd for --trace output */
	PCFG_WORLD_FD,	 /* i32 host fd of the shared world memfd */
	PCFG_FLAGS,	 /* u32 PCFG_F_* */
	PCFG_STDIO_FD,	 /* i32 host fd for the provider's own messages */
	PCFG_UMASK,	 /* u32 the guest's initial umask (the host's is 0) */
	PCFG_GROUPS,	 /* u32[]: the launcher's supplementary groups (host gids) */
	PCFG_SCRATCH_FD, /* i32 host fd of the world's scratch directory for
			  * the guest's own tmpfs mounts (mount(2)) */
	PCFG_JOIN_FD,	 /* i32 with PCFG_F_JOIN: where the provider writes
			  * its pid in the world (i32) once it has one, for
			  * the exec door (src/cli/oci_exec.c) */
	PCFG_CAPS,	 /* struct pcfg_caps: an OCI config's capability sets */
};

#define PCFG_F_TRACE 1u
#define PCFG_F_STATS 2u
#define PCFG_F_NET_HOST 4u /* --net=host: inet addresses unchecked */
#define PCFG_F_NET_NONE 8u /* --net=none: no inet address at all */
#define PCFG_F_NO_PATCH 16u /* --no-patch: every call takes the trap */
#define PCFG_F_IPC_NS 32u  /* the world has its own IPC namespace */
#define PCFG_F_CWD_GIVEN 64u /* PCFG_CWD is --cwd's: check it before the guest runs */
/* A process added to a running world (`picos exec`): it takes a new
 * table entry of its own (no parent, its own session), not pid 1's. */
#define PCFG_F_JOIN 128u
/* --no-dcache: every stat walks its path (src/kernel/fs/dcache.c) */
#define PCFG_F_NO_DCACHE 256u

#define PCFG_MOUNT_RDONLY 1u
#define PCFG_MOUNT_PROC 2u /* the host's procfs, seen through the provider's procfs layer */
#define PCFG_MOUNT_SOCKET 4u /* --bind-socket: host_fd is an O_PATH fd of a unix socket */
#define PCFG_MOUNT_DEVFS 8u /* --dev: the world's /dev, names filtered as at /dev */

struct pcfg_mount {
	int32_t host_fd; /* O_PATH|O_DIRECTORY fd of the host directory (a
			  * socket's O_PATH fd for PCFG_MOUNT_SOCKET) */
	uint32_t flags;	 /* PCFG_MOUNT_* */
	char guest_path[]; /* NUL-terminated, absolute, normalised */
};

struct pcfg_identity {
	uint32_t uid, gid;
	uint64_t cap_bset; /* the launcher's capability bounding set */
};

/* The sets an OCI runtime would give the process before it execs the
 * guest program (config.json's process.capabilities); the provider then
 * applies execve's rules to them (proc/sys_caps.c, caps_init).  Without
 * this record the guest starts as after a plain exec by the launcher. */
struct pcfg_caps {
	uint64_t eff, prm, inh, amb;
};

struct pcfg_record {
	uint32_t type, len;
	unsigned char data[];
};

#define PCFG_ALIGN(n) (((n) + 7u) & ~7u)

#endif
