/* The picos command (hosted C). */
#ifndef PICOS_CLI_H
#define PICOS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PICOS_VERSION "0.1.0"

struct bind {
	char *src, *dst;
	bool ro;
	bool dev; /* --dev-bind: device nodes beneath it may be opened */
};

/* --tmpfs DST, after --size/--tmpfs-size BYTES for a size of its own. */
struct tmpfs_opt {
	const char *dst;
	unsigned long long size; /* bytes; 0: Linux's default, half of RAM */
};

/* --overlay LOWER:UPPER[:DST]: LOWER as DST, writes copied up into
 * UPPER; `work` is the overlay's work directory beside UPPER, made and
 * removed by the picos command. */
struct overlay_opt {
	char *lower, *upper, *dst;
	char *work;
};

enum { NET_OPT_LOOPBACK, NET_OPT_HOST, NET_OPT_NONE };
/* --ns: namespaces when the host allows (auto), always (on), never (off). */
enum { NS_OPT_UNSET, NS_OPT_AUTO, NS_OPT_ON, NS_OPT_OFF };

struct run_opts {
	const char *root; /* NULL: the host's / (read-only) */
	struct bind *binds;
	int nbinds;
	struct bind *sockets; /* --bind-socket HOSTPATH:GUESTPATH */
	int nsockets;
	/* --tmpfs DST: private empty directories at these guest paths */
	struct tmpfs_opt *tmpfs;
	int ntmpfs;
	/* --proc DST and --dev DST: the world's procfs and /dev there too */
	const char **procs, **devs;
	int nprocs, ndevs;
	struct overlay_opt *overlays;
	int noverlays;
	const char *cwd;
	char **env_set; /* K=V from --env */
	int nenv_set;
	bool clear_env;
	/* --home[=DIR]: a writable $HOME, fresh (removed at the end) or the
	 * host directory DIR (kept) */
	bool home;
	const char *home_dir;
	long uid, gid; /* -1: the host's */
	const char *hostname;
	bool trace;
	const char *trace_file; /* NULL: stderr */
	bool stats;
	bool no_patch; /* --no-patch or PICOS_NO_PATCH=1 */
	bool no_dcache; /* --no-dcache or PICOS_DCACHE=0 */
	bool wait_all; /* the world ends with its last process, not pid 1 */
	int max_procs; /* 0: PICOS_DEFAULT_MAX_PROCS */
	int net;       /* NET_OPT_*: the network policy */
	int ns;        /* NS_OPT_*: UNSET defers to PICOS_NS */
	char **argv; /* the guest program and its arguments */
	int argc;
	/* Set by the OCI runtime commands (oci_spec.c), not by options:
	 * root read-only (root.readonly), the guest's supplementary groups
	 * instead of the caller's (user.additionalGids), and its bounding
	 * set narrowed to cap_bset (process.capabilities). */
	bool root_ro;
	bool groups_given;
	const uint32_t *groups;
	int ngroups;
	bool cap_bset_given;
	uint64_t cap_bset;
	/* process.capabilities' other sets (PCFG_CAPS), set with
	 * cap_bset_given: the sets the OCI runtime sets before the exec */
	bool caps_given;
	uint64_t cap_eff, cap_prm, cap_inh, cap_amb;
	bool no_term_grace; /* a SIGTERM never ends the world by itself */
	/* OCI: the container's listening socket for `picos exec` (its
	 * state directory's exec.sock), served by the world's exec door
	 * (oci_exec.c); 0: none (a listening socket is never fd 0). */
	int exec_sock;
};

/* options.c */
int parse_run_options(int argc, char **argv, struct run_opts *o);
/* --net's and --ns's words as NET_OPT_* and NS_OPT_*; -1 for others
 * (also the OCI annotations') */
int parse_net_mode(const char *v);
int parse_ns_mode(const char *v);
void print_usage(FILE *f);

/* doctor.c: `picos doctor`: which host features picos relies on this
 * host has; 0 when every required one is there. */
int run_doctor(int argc, char **argv);

/* world.c: sets up and runs one world; returns picos's exit status. */
int run_world(struct run_opts *o);

/* ns.c: the world's namespaces.  ns_fork_init creates the world's init
 * (like fork: 0 in the child), in new namespaces unless --ns/PICOS_NS say
 * off or (auto) the host refuses them; ns_active is then true in the
 * init.  There ns_build_world makes the world's network and a mount tree
 * of just the given mounts (at their host paths; `scratch` is a directory
 * of the world's own to build it in) and pivots into it; it does nothing
 * in the flat mode.  Both return -1 with a one-line message printed. */
#include <sys/types.h>
struct ns_mount {
	const char *host;
	/* where the world's tree has it: `host`, or for a host directory
	 * the tree makes anew (in /dev or /proc) a path in `scratch` */
	const char *at;
	bool ro, proc;
	bool tmpfs; /* a tmpfs of its own at `host` (of `size` bytes, 0: default) */
	unsigned long long size;
	bool dev; /* --dev-bind: no nodev */
	bool devfs; /* --dev: the world's own /dev, made by ns_build_world */
	const struct overlay_opt *overlay; /* an overlayfs at `at`, not a bind */
};
extern bool ns_active;
pid_t ns_fork_init(const struct run_opts *o);
/* Under --ns=auto, a world whose namespaces could not be built (say the
 * host masks /proc, so no procfs may be mounted) runs flat instead: the
 * init calls ns_give_up (true: picos will retry, exit quietly), picos
 * sees it with ns_init_gave_up once the init is gone and starts a flat
 * init with ns_fork_flat. */
bool ns_give_up(void);
bool ns_init_gave_up(void);
pid_t ns_fork_flat(void);
int ns_build_world(const struct ns_mount *m, int n, const char *scratch,
		   int net);
/* In the init of a world with namespaces: its IPC namespace's mqueue
 * file system mounted at `dir` (made here), in its own mount namespace;
 * -1 when there is none. */
int ns_mount_mqueue(const char *dir);
/* In the init of a world with namespaces: a tmpfs of its own mount
 * namespace at `dir` (made here), for the world's scratch directories;
 * -1 when there is none. */
int ns_mount_scratch(const char *dir);

/* reaper.c: the launcher is the host parent of every pico process. */
struct picos_world;
void reaper_init(struct picos_world *w, int max_procs);
/* Reaps every pico process of the world until none is left; returns the
 * host wait status of pid 1 (host pid `first`). */
int reaper_run(struct picos_world *w, int first);
/* --wait-all: pid 1's end does not end the world; its last process's
 * does (its status is still pid 1's). */
void reaper_wait_all(void);
/* The host pid of the guest's pid 1, as soon as it is forked. */
void reaper_track(int pid1);
/* Relays a signal to the guest's pid 1 (its current host process, if it is
 * our child); async-signal-safe, never touches the table's lock.  False
 * before pid 1 exists. */
bool reaper_relay(int sig);
/* When >= 0: where the init writes one byte each time the guest's pid 1
 * stops, so the picos command on a terminal can stop too (world.c). */
extern int reaper_stop_fd;

/* The world's exec door (oci_exec.c), a child of the init that pid 1
 * forked (world.c): a process it starts is reported here at its end,
 * with (host pid, pid in the world or 0, wait status) as three int32s
 * in one message, when the
 * table has no guest parent for it (the init's end of a socketpair with
 * the door; -1: no door).  reaper_helper names the door, which is
 * killed with the world. */
extern int reaper_exec_fd;
void reaper_helper(int pid);

/* world.c, in the exec door's child: becomes a new pico process of the
 * running world (PCFG_F_JOIN) with `eo`'s program, environment, ids and
 * cwd (guest path; eo->cwd set: checked as --cwd); its provider writes
 * its pid in the world to report_fd (-1: none); never returns. */
__attribute__((noreturn)) void world_start_joiner(struct run_opts *eo,
						  const char *cwd, int report_fd);
/* oci_exec.c: the exec door's loop (o: the world's options, cwd: pid
 * 1's guest cwd, status_fd: its end of the init's reports); never
 * returns. */
__attribute__((noreturn)) void exec_door_run(struct run_opts *o, const char *cwd,
					     int status_fd);

/* stats.c */
struct picos_world;
void print_stats(const struct picos_world *w, FILE *out);
/* --stats: CLOCK_MONOTONIC now, in ns, for the start-up's steps
 * (enum picos_boot_stamp); picos_main_ns: when main began. */
uint64_t mono_ns(void);
extern uint64_t picos_main_ns;
void print_boot(const struct picos_world *w, uint64_t end_ns, FILE *out);

/* The provider image, embedded by image.S. */
extern const unsigned char picos_provider_image[];
extern const unsigned char picos_provider_image_end[];

#endif
