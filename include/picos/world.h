/* The world region: memory shared by the launcher and every pico process
 * of one run (a MAP_SHARED memfd at PICOS_WORLD_ADDR in each pico process).
 *
 * It holds the per-syscall statistics and the world's process table: one
 * entry per guest process with its virtual pid, parent, process group,
 * session and, once it has ended, its wait status.  Every pico process is a
 * host child of the launcher (fork is CLONE_PARENT), so the launcher is the
 * one that sees host exits and stops; it writes them here and wakes the
 * guest parent (a process that exits with nothing but its parent to tell
 * records its own end and wakes the parent itself: exit_self.c).  The
 * guest parent's wait4/waitid read the table.
 *
 * The table is guarded by one lock word holding the host pid of its owner
 * (0 when free), so the launcher can release the lock of a pico process
 * that died holding it.  Counters are updated with atomic adds.
 *
 * Every pico process can write all of it: the world's init reads it as
 * hostile input and never waits for the lock unboundedly (src/cli/reaper.c,
 * docs/security/20-launcher.md). */
#ifndef PICOS_WORLD_H
#define PICOS_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#define PICOS_NR_SYSCALLS 512
#define PICOS_WORLD_MAGIC 0x574f524cu /* "WORL" */

/* The table's capacity; --max-procs may set a lower limit. */
#define PICOS_MAX_TASKS 4096
#define PICOS_DEFAULT_MAX_PROCS 1024
/* Linux's default pid_max: virtual pids wrap below it. */
#define PICOS_PID_MAX 4194304

struct picos_sc_stat {
	uint64_t calls;
	uint64_t errors;
	uint64_t ns; /* total time spent serving the call */
	uint64_t trapped; /* of the calls, those that came by SIGSYS, not
			   * through a patched site */
};

enum picos_task_state {
	TASK_FREE = 0,
	TASK_LIVE,   /* running or stopped */
	TASK_ZOMBIE, /* ended, waiting for its parent's wait */
};

/* events: what a parent has not yet collected from a child. */
#define TEV_STOPPED 1u	 /* stopped; wait with WUNTRACED reports it */
#define TEV_CONTINUED 2u /* continued; wait with WCONTINUED reports it */
#define TEV_SIGCHLD 4u	 /* the parent's guest SIGCHLD not yet raised */

/* flags: published by the task itself. */
#define TF_NOCLDWAIT 1u	 /* SIGCHLD ignored or SA_NOCLDWAIT: auto-reap */
#define TF_NOCLDSTOP 2u	 /* SA_NOCLDSTOP: no SIGCHLD for stops */
#define TF_SUBREAPER 4u	 /* PR_SET_CHILD_SUBREAPER */
#define TF_EXECED 8u	 /* has called execve (setpgid gives EACCES) */

/* What the parent's guest SIGCHLD reports: the launcher's note of the
 * last child event it rang the doorbell for.  The child's own entry may be
 * gone by the time the doorbell is served (the parent's wait reaped it, or
 * SA_NOCLDWAIT did), yet Linux still delivers that SIGCHLD. */
struct picos_chld_note {
	int32_t vpid; /* 0: none */
	int32_t signo; /* the signal rung: SIGCHLD or the exit signal */
	uint32_t uid;
	int32_t wstatus;
	uint32_t ended; /* an exit rather than a stop or continue */
	uint64_t utime_us, stime_us;
};

/* A thread's keyrings (keyrings(7)): what Linux keeps in its credentials.
 * Serials of keys in the world's key table, 0 for none.  A process's
 * first thread keeps them in its task entry, the others in their thread
 * slots; the provider of the process writes them under `lock`, and the
 * keys' garbage collector reads them (see struct picos_keys). */
struct picos_keycred {
	int32_t session, process, thread;
	int32_t reqkey_defl; /* KEYCTL_SET_REQKEY_KEYRING's setting */
};

struct picos_task {
	int32_t vpid;	  /* 0 when the slot is free */
	int32_t host_pid; /* written by the host at clone (PARENT_SETTID) */
	int32_t ppid;	  /* virtual; 0 for the world's pid 1 */
	int32_t pgid, sid;
	/* The host process group and session the process is in, as its own
	 * host getpgid(0)/getsid(0) answer them, written by the process
	 * itself after each setpgid/setsid it mirrors on the host
	 * (proc/sys_id.c): a terminal's host numbers become guest ones
	 * through them (fs/tty.c). */
	int32_t host_pgid, host_sid;
	uint32_t state;	   /* enum picos_task_state */
	uint32_t events;   /* TEV_* */
	uint32_t flags;	   /* TF_* */
	int32_t wstatus;   /* Linux wait status of the last exit/stop */
	int32_t stop_sig;  /* guest stop signal, set before a host SIGSTOP */
	int32_t pdeathsig; /* PR_SET_PDEATHSIG */
	int32_t exit_signal; /* sent to the parent at exit (clone's CSIGNAL) */
	uint32_t uid;	   /* guest real uid, for siginfo */
	uint32_t child_seq; /* futex word: bumped at every child event */
	uint32_t vfork_wait; /* futex word: 1 while a vfork parent waits */
	/* The host pid of a process that recorded its own exit (exit_self.c)
	 * and has yet to wake its parent's waits after the table's lock;
	 * 0 once it did.  The init wakes them for one that died first. */
	int32_t exit_waking;
	/* 1 from that record until the init reaped its host process. */
	uint32_t exit_host_live;
	/* CPU time of the ended task and of the children it reaped (us). */
	uint64_t utime_us, stime_us, cutime_us, cstime_us;
	uint64_t maxrss_kb;
	struct picos_chld_note chld_note; /* as a parent */
	/* The files the task runs (program and ELF interpreter), which
	 * nobody may open for writing (ETXTBSY); ino 0 for none. */
	uint64_t text_dev[2], text_ino[2];
	/* The capability sets of the process's first thread (capget and,
	 * later, /proc/PID/status of another process), written by the
	 * process itself. */
	uint64_t cap_eff, cap_prm, cap_inh, cap_bnd, cap_amb;
	/* The ids besides `uid`, written by the process itself at every
	 * change (KEYCTL_SESSION_TO_PARENT compares a parent's). */
	uint32_t euid, suid, gid, egid, sgid;
	uint32_t pad_ids;
	struct picos_keycred keys; /* its first thread's */
	/* What other processes' /proc/<pid>/stat and status show of this
	 * one that only its provider knows, written by the process itself
	 * (src/kernel/proc/view.c): its first thread's blocked signals,
	 * the ignored and caught ones, umask, no_new_privs, seccomp mode
	 * and filter count, tracer (a guest pid, 0 for none), and whether
	 * its program started with an empty environment (the host cannot
	 * show an empty environ, exec.c). */
	uint64_t view_blocked, view_ignored, view_caught;
	uint32_t view_umask;
	uint8_t view_nnp, view_seccomp;
	uint16_t view_nfilters;
	int32_t view_tracer;
	uint8_t view_noenv;
	uint8_t view_pad[3];
	/* its first thread's name, for the /proc files of the zombie it
	 * becomes (whose host process is gone) */
	char view_comm[16];
};

/* A thread other than a process's first: its virtual tid comes from the
 * pid space (Linux's tids are pids), so the table reserves it. */
#define PICOS_MAX_THREADS 8192
struct picos_thread_id {
	int32_t vtid;	  /* 0 when the slot is free */
	int32_t host_tid;
	int32_t tgid;	  /* the process's virtual pid */
	int32_t host_pid; /* the process's host pid (the launcher frees the
			   * slots of a process that ended) */
	struct picos_keycred keys;
	/* its blocked signals, for other processes' /proc/<pid>/task/<tid>/
	 * status (src/kernel/proc/view.c), written by the thread itself */
	uint64_t view_blocked;
};

/* The world's kernel keys (keyrings(7)): a fixed table of keys of the
 * types "user" and "keyring", and a pool of 64-byte chunks holding their
 * descriptions, user payloads and keyrings' lists of links (serials).
 * Only the providers use it, under the world's `lock` (the launcher
 * never reads it); src/kernel/proc/keys.c.  A key's serial is a random
 * multiple of PICOS_MAX_KEYS plus its slot, so a serial finds its slot.
 * Keys live while something refers to them: a thread's credentials
 * (struct picos_keycred in the task and thread slots), a keyring's link
 * or the per-user registry; the others are collected. */
#define PICOS_MAX_KEYS 1024
#define PICOS_KEY_CHUNK 64
#define PICOS_KEY_POOL (1024 * 1024)
#define PICOS_KEY_USERS 64

struct picos_key {
	int32_t serial;	 /* 0: a free slot */
	uint8_t type;	 /* KEYT_* (keys.c) */
	uint8_t flags;	 /* KEYF_* (keys.c) */
	uint16_t pad;
	uint32_t uid, gid, perm;
	uint32_t desc_off, desc_len;	       /* chunk+1 (0: none), bytes */
	uint32_t data_off, data_len, data_cap; /* payload or links */
	int64_t expiry;	 /* CLOCK_REALTIME seconds, 0: none */
	int64_t revoked_at;
};

struct picos_key_user {
	uint32_t uid;
	int32_t uid_ring, ses_ring, persistent; /* serials, 0: none */
};

struct picos_keys {
	uint64_t rng; /* serial generator state, seeded at first use */
	uint32_t nusers, pad;
	struct picos_key_user users[PICOS_KEY_USERS];
	struct picos_key key[PICOS_MAX_KEYS];
	uint64_t chunk_used[PICOS_KEY_POOL / PICOS_KEY_CHUNK / 64];
	unsigned char pool[PICOS_KEY_POOL];
};

/* A request a thread of the world makes of another one, which carries
 * it out on itself (the host lets a pico process name only itself in
 * calls such as setpriority or sched_setaffinity).  `word` is a futex:
 * a sequence number times 4 plus the phase (0 idle, 1 asked, 2
 * answered).  Any process of the world can write any slot: the serving
 * provider reads a request once and acts only on its own thread. */
#define PICOS_REMOTE_DATA 1024
#define PICOS_REMOTE_SLOTS (PICOS_MAX_TASKS + PICOS_MAX_THREADS)
struct picos_remote {
	uint32_t word;
	uint32_t op;	 /* enum remote_op (remote.h) */
	int32_t target;	 /* host tid of the thread that is to serve it */
	/* Set in the target's own slot before each ring: the host keeps one
	 * pending SIGSYS a thread and drops a ring that meets another (its
	 * own trap's), so the target also looks for requests when it finds
	 * this set at the end of a trap (remote_check_rung). */
	int32_t rung;
	int64_t arg[4];
	int64_t result;	 /* a return value or -errno */
	/* The slot's thread's own nice (as getpriority returns it), I/O
	 * priority, policy, real-time priority and affinity, published whenever it
	 * changes them: the answer for a caller the host does not let ring
	 * it (pub_valid 0: nothing published yet). */
	int32_t pub_valid, pub_prio20, pub_ioprio, pub_policy, pub_rtprio;
	int32_t pub_aff_len; /* bytes of pub_aff the host gave */
	uint8_t pub_aff[128]; /* its cpu affinity (the first 1024 cpus) */
	uint8_t data[PICOS_REMOTE_DATA]; /* in and out */
};

#define PICOS_ENDED_RING 64
/* The world's mount changes (its mount namespace, as it were): guest
 * mount(2) and umount2(2) append an operation under `lock`, then raise
 * `n` (release); every provider applies the operations it has not seen
 * to its own mount table at its next path lookup (src/kernel/fs/mount.c),
 * opening an added mount's host directory by its host path itself.  Any
 * process of the world can write here: each operation is checked
 * (bounds, NUL, absolute paths, known op and flags) before use, and a
 * host path is only ever opened through the host, whose sandbox bounds
 * what it reaches. */
#define PICOS_MOUNT_OPS 128
#define PICOS_MOUNT_PATH 1024
enum { PICOS_MOP_ADD = 1, PICOS_MOP_RDONLY, PICOS_MOP_RDWR, PICOS_MOP_DETACH };
struct picos_mount_op {
	uint32_t op;	/* PICOS_MOP_* */
	uint32_t flags; /* ADD: PCFG_MOUNT_* (RDONLY, PROC, DEVFS) | PICOS_MOPF_* */
	char guest[PICOS_MOUNT_PATH]; /* the mount point, canonical */
	char host[PICOS_MOUNT_PATH];  /* ADD: the host directory */
	char source[PICOS_MOUNT_PATH]; /* ADD: what mountinfo shows */
};
#define PICOS_MOPF_TMPFS 0x100u /* ADD: a guest tmpfs (scratch directory) */
struct picos_mounts {
	uint32_t n; /* operations written */
	uint32_t pad;
	struct picos_mount_op op[PICOS_MOUNT_OPS];
};

/* Call sites the fast path patched (src/kernel/entry/fastpath.c), by
 * file, so that a process mapping the same file later patches them when
 * it maps it instead of trapping at each once.  A file is known by its
 * host identity and the guest uid that recorded it (a process patches
 * only its own uid's sites: see docs/security.md).  Guest-writable like
 * the whole region: a provider checks every entry against the bytes it
 * finds before it uses one. */
#define PICOS_FAST_FILES 64
#define PICOS_FAST_FILE_SITES 256
struct picos_fast_site {
	uint32_t off; /* the site's first byte in the file */
	uint8_t len;  /* 0 until the entry is written */
	uint8_t sc;   /* its `syscall`'s offset */
	uint8_t bytes[22]; /* the site as the file holds it (SITE_MAX) */
};
/* Sites found before their first call (src/kernel/entry/fastscan.c),
 * page by page of a file's code, when a call of the page first traps. */
#define PICOS_FAST_PAGES 64
#define PICOS_FAST_TEXTS 4
#define PICOS_FAST_FOUND 1024
struct picos_fast_file {
	uint32_t state;	 /* 0 free, 1 being claimed, 2 known */
	uint32_t nsites; /* entries claimed */
	uint64_t dev, ino, size, mtime_ns;
	uint32_t uid, pad;
	struct picos_fast_site site[PICOS_FAST_FILE_SITES];
	/* Where to look, from the file's headers (written before state 2):
	 * its executable segments' file ranges and p_vaddr - p_offset, and
	 * its table of functions (fn_vaddr 0: none, no search): the unwind
	 * table's PT_GNU_EH_FRAME, or Go's .gopclntab (fn_go) */
	struct {
		uint64_t off, end, delta;
	} text[PICOS_FAST_TEXTS];
	uint64_t fn_vaddr;
	uint32_t fn_size;
	uint32_t fn_go;
	uint32_t npages; /* entries of page[] claimed */
	uint32_t pad_pages;
	/* a window searched: its file offset / its size + 1 */
	uint32_t page[PICOS_FAST_PAGES];
	uint32_t nfound, pad_found;	  /* entries of found[] claimed */
	/* a site: its file offset | its length << 32 | its `syscall`'s
	 * offset in it << 40 | the call number << 48 (0: not written yet) */
	uint64_t found[PICOS_FAST_FOUND];
};

/* The start-up steps timed for --stats (src/cli/stats.c). */
enum picos_boot_stamp {
	PICOS_BOOT_MAIN,     /* the picos command's main */
	PICOS_BOOT_INIT,     /* the world's init made (namespaces) */
	PICOS_BOOT_TREE,     /* its file tree built (mounts, /tmp) */
	PICOS_BOOT_IMAGE,    /* world region, configuration, image memfd */
	PICOS_BOOT_FORK,     /* pid 1 forked, in pid 1 */
	PICOS_BOOT_CAPS,     /* its capabilities and no_new_privs */
	PICOS_BOOT_LANDLOCK, /* its Landlock domain */
	PICOS_BOOT_SECCOMP,  /* its seccomp filter: the exec comes next */
	PICOS_BOOT_PROVIDER, /* the provider's first instruction */
	PICOS_BOOT_GUEST,    /* the program loaded: the guest's first */
	PICOS_BOOT_STAMPS
};

struct picos_world {
	uint32_t magic;
	uint32_t lock;	      /* host tid of the owner, 0 when free */
	int32_t launcher_pid; /* host pid: SIGCHLD from it is a doorbell */
	uint32_t max_procs;
	uint32_t nprocs;  /* slots in use (live and zombie) */
	int32_t last_pid; /* last virtual pid handed out */
	uint32_t ending;  /* pid 1 has ended: the world is being killed */
	uint32_t slots_hi; /* slots ever used: scans stop there */
	/* --stats: the calls that came in through a patched site (the fast
	 * path, src/kernel/entry/fastpath.c); the rest trapped */
	uint64_t fast_calls;
	/* The directory caches (src/kernel/fs/dcache.c): their generation,
	 * bumped after every call of the world that may change what a
	 * directory path names, and the number of such calls under way */
	uint64_t dcache_gen;
	uint32_t dcache_busy;
	uint32_t pad_dcache;
	struct picos_sc_stat stats[PICOS_NR_SYSCALLS];
	struct picos_task tasks[PICOS_MAX_TASKS];
	uint32_t tids_hi; /* thread slots ever used */
	uint32_t pad2;
	/* The world's names (its UTS namespace, as it were): uname reads
	 * them and sethostname/setdomainname write them, under `lock`. */
	char hostname[65], domainname[65];
	struct picos_thread_id tids[PICOS_MAX_THREADS];
	struct picos_keys keys;
	/* Requests to act on another thread (src/kernel/proc/remote.c):
	 * one slot per asking thread, a process's first thread at its task
	 * slot's index, others at PICOS_MAX_TASKS + their thread slot's. */
	struct picos_remote remote[PICOS_REMOTE_SLOTS];
	/* The last processes whose slots were freed (a ring, under `lock`):
	 * System V IPC objects keep the host pid of the last process that
	 * used them, often one that has ended, which Linux still reports;
	 * the provider tells it as that process's guest pid (ipc.c). */
	uint32_t ended_next;
	uint32_t pad3;
	struct picos_ended {
		int32_t host_pid, vpid;
	} ended[PICOS_ENDED_RING];
	struct picos_mounts mounts;
	struct picos_fast_file fast_files[PICOS_FAST_FILES];
	/* --stats: when the world's start-up passed each step
	 * (CLOCK_MONOTONIC ns, enum picos_boot_stamp), written once each by
	 * the launcher, by pid 1 before its exec and by pid 1's provider;
	 * the init only prints them (the guest may have changed them). */
	uint64_t boot_ns[PICOS_BOOT_STAMPS];
};

#define PICOS_WORLD_SIZE \
	((sizeof(struct picos_world) + 4095UL) & ~4095UL)

/* How many slots a scan of the table must look at: new tasks take the
 * lowest free slot, and this only grows.  The guest can write any value
 * here: read it once and never past the table's capacity. */
static inline int world_slots(const struct picos_world *w)
{
	uint32_t n = __atomic_load_n(&w->slots_hi, __ATOMIC_ACQUIRE);
	return n > PICOS_MAX_TASKS ? PICOS_MAX_TASKS : (int)n;
}

/* The note of a child's current state, rung as `signo`. */
static inline struct picos_chld_note world_chld_note(const struct picos_task *c,
						     int signo)
{
	struct picos_chld_note n = {
		.vpid = c->vpid,
		.signo = signo,
		.uid = c->uid,
		.wstatus = c->wstatus,
		.ended = c->state == TASK_ZOMBIE,
		.utime_us = c->utime_us,
		.stime_us = c->stime_us,
	};
	return n;
}

/* Records that task `t`'s slot is being freed (under `lock`). */
static inline void world_note_ended(struct picos_world *w,
				    const struct picos_task *t)
{
	if (t->host_pid <= 0)
		return;
	uint32_t i = w->ended_next++ % PICOS_ENDED_RING;
	w->ended[i].host_pid = t->host_pid;
	w->ended[i].vpid = t->vpid;
}

/* The guest pid an ended process had (the newest record of its host
 * pid), or 0 (under `lock`). */
static inline int world_ended_vpid(const struct picos_world *w, int host_pid)
{
	uint32_t n = w->ended_next;
	for (uint32_t k = 1; k <= PICOS_ENDED_RING && k <= n; k++) {
		const struct picos_ended *e = &w->ended[(n - k) % PICOS_ENDED_RING];
		if (e->host_pid == host_pid)
			return e->vpid;
	}
	return 0;
}

/* Lookups and judgments both the init and an exiting process make
 * (src/cli/reaper.c, src/kernel/proc/exit_self.c), under `lock`.  Every
 * field is read once (the init reads the table as hostile input), and
 * scans stop at the table's capacity. */
#define WORLD_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static inline struct picos_task *world_by_vpid(struct picos_world *w, int vpid)
{
	if (vpid <= 0)
		return 0;
	int n = world_slots(w);
	for (int i = 0; i < n; i++)
		if (WORLD_READ(w->tasks[i].vpid) == vpid)
			return &w->tasks[i];
	return 0;
}

static inline bool world_live(const struct picos_task *t)
{
	return t && WORLD_READ(t->state) == TASK_LIVE;
}

/* Linux's orphaned process group (POSIX): no live member has a live
 * parent in another group of the same session.  The host cannot judge
 * it (every pico process's host parent is the init): the table does. */
static inline bool world_group_orphaned(struct picos_world *w, int pgid, int sid)
{
	int n = world_slots(w);
	for (int i = 0; i < n; i++) {
		struct picos_task *t = &w->tasks[i];
		if (!world_live(t) || WORLD_READ(t->pgid) != pgid)
			continue;
		struct picos_task *p = world_by_vpid(w, WORLD_READ(t->ppid));
		if (world_live(p) && WORLD_READ(p->pgid) != pgid &&
		    WORLD_READ(p->sid) == sid)
			return false;
	}
	return true;
}

/* Linux's kill_orphaned_pgrp: is the group of `t` orphaned by the end of
 * `outside` (its parent, or a reparented child's old parent, which must
 * have been its link: another group of its session), with a stopped
 * member?  Then it gets SIGHUP and SIGCONT.  Both have ended already
 * (not live) when this is asked. */
static inline bool world_hangup_due(struct picos_world *w,
				    const struct picos_task *t,
				    const struct picos_task *outside)
{
	int pgid = WORLD_READ(t->pgid), sid = WORLD_READ(t->sid);
	if (!outside || WORLD_READ(outside->pgid) == pgid ||
	    WORLD_READ(outside->sid) != sid || !world_group_orphaned(w, pgid, sid))
		return false;
	int n = world_slots(w);
	for (int i = 0; i < n; i++) {
		struct picos_task *m = &w->tasks[i];
		if (world_live(m) && WORLD_READ(m->pgid) == pgid &&
		    (WORLD_READ(m->wstatus) & 0xff) == 0x7f)
			return true;
	}
	return false;
}

static inline int world_tid_slots(const struct picos_world *w)
{
	uint32_t n = __atomic_load_n(&w->tids_hi, __ATOMIC_ACQUIRE);
	return n > PICOS_MAX_THREADS ? PICOS_MAX_THREADS : (int)n;
}

#endif

/* Outside the header guard: a file may include world.h for the layout
 * and again, with PICOS_WORLD_LOCK_IMPL defined, for the lock. */
#if defined(PICOS_WORLD_LOCK_IMPL) && !defined(PICOS_WORLD_LOCK_DONE)
#define PICOS_WORLD_LOCK_DONE
/* The lock, for both sides: WORLD_FUTEX(addr, op, val, timeout) must be
 * defined as a raw futex call before including the inline functions below
 * (PICOS_WORLD_LOCK_IMPL).  Waiters sleep at most 10 ms at a time so a
 * lock released by the launcher on behalf of a dead owner is seen. */
#include <linux/futex.h>
#include <linux/time_types.h>

/* Bit 30 of the lock word: someone sleeps on the lock, so its release
 * must wake them.  Without it the release is a store and no host call
 * (the table is taken a few times per fork, wait and exit).  Owners are
 * host pids, below 2^22 (PID_MAX_LIMIT), so the bit is never a pid's. */
#define PICOS_WORLD_LOCK_WAITERS 0x40000000u

static inline uint32_t world_lock_owner(uint32_t word)
{
	return word & ~PICOS_WORLD_LOCK_WAITERS;
}

/* Sleeps (at most 10 ms) while the lock holds `seen`, marked as waited
 * for first; returns at once when the word changed meanwhile. */
static inline void world_lock_wait(struct picos_world *w, uint32_t seen)
{
	uint32_t want = seen | PICOS_WORLD_LOCK_WAITERS;
	if (seen != want &&
	    !__atomic_compare_exchange_n(&w->lock, &seen, want, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	struct __kernel_timespec ts = { 0, 10 * 1000 * 1000 };
	WORLD_FUTEX(&w->lock, FUTEX_WAIT, want, &ts);
}

/* A taker that has slept takes the lock marked as waited for: others may
 * sleep behind it, and only the mark makes its release wake them. */
static inline void world_lock(struct picos_world *w, int self)
{
	uint32_t mine = (uint32_t)self;
	for (;;) {
		uint32_t seen = 0;
		if (__atomic_compare_exchange_n(&w->lock, &seen, mine, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		world_lock_wait(w, seen);
		mine = (uint32_t)self | PICOS_WORLD_LOCK_WAITERS;
	}
}

static inline void world_unlock(struct picos_world *w)
{
	uint32_t old = __atomic_exchange_n(&w->lock, 0, __ATOMIC_RELEASE);
	if (old & PICOS_WORLD_LOCK_WAITERS)
		WORLD_FUTEX(&w->lock, FUTEX_WAKE, 1, 0);
}

/* The launcher: a host process that ended while holding the lock. */
static inline void world_unlock_dead(struct picos_world *w, int dead)
{
	uint32_t word = __atomic_load_n(&w->lock, __ATOMIC_RELAXED);
	if (word && world_lock_owner(word) == (uint32_t)dead &&
	    __atomic_compare_exchange_n(&w->lock, &word, 0, false,
					__ATOMIC_RELEASE, __ATOMIC_RELAXED))
		WORLD_FUTEX(&w->lock, FUTEX_WAKE, 0x7fffffff, 0);
}

/* Bumps a task's child_seq and wakes its waits. */
static inline void world_child_event(struct picos_task *t)
{
	__atomic_fetch_add(&t->child_seq, 1, __ATOMIC_RELEASE);
	WORLD_FUTEX(&t->child_seq, FUTEX_WAKE, 0x7fffffff, 0);
}
#endif
