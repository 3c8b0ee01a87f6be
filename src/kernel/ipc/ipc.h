/* System V IPC and POSIX message queues: served by the host kernel in the
 * world's own IPC namespace (docs/architecture.md, "IPC").  The provider
 * translates what the host cannot know: guest pids and ids in what the
 * calls return or take, guest pointers, the provider window, and guest
 * signals for the calls that wait. */
#ifndef PICOS_IPC_H
#define PICOS_IPC_H

#include "../kernel.h"
#include "../signal/signal.h" /* the restart codes */
#include <linux/ipc.h>

/* Whether the world has an IPC namespace of its own (PCFG_F_IPC_NS, set
 * at boot).  Without one the calls are -ENOSYS, as on a kernel built
 * without CONFIG_SYSVIPC and CONFIG_POSIX_MQUEUE: the host's namespace
 * would let the world see and keep objects outside itself. */
extern bool ipc_world_ns;

/* The guest pid of a host pid the host recorded: of a live or zombie
 * process, or one of the last that ended (0 for none or one older). */
int ipc_pid_to_guest(int host_pid);

/* The command of a *ctl call, without IPC_64 (glibc may add it; x86-64
 * has one layout, which the host also accepts with it). */
static inline int ipc_cmd(int cmd) { return cmd & ~IPC_64; }

/* IPC_SET: the guest's struct (`size` bytes, an ipc64_perm first) copied
 * into `k` with its owner's ids turned into host ids. */
long ipc_set_in(void *k, const void *ubuf, size_t size);
/* After a stat command filled `k` (`size` bytes, an ipc64_perm first):
 * the ids and the two pids at pid_off[0..1] (0: none) made the guest's,
 * then copied out (-EFAULT).  Returns `r`, the host call's answer. */
long ipc_stat_out(long r, void *ubuf, void *k, size_t size,
		  const size_t pid_off[2]);

/* shmctl and msgctl, which have one shape: a stat command (IPC_STAT,
 * SHM_STAT/MSG_STAT and their _ANY forms) goes through a provider buffer
 * and ipc_stat_out, IPC_SET through ipc_set_in, the two info commands
 * write the guest's buffer (range-checked), and the others take none. */
struct ipc_ctl_kind {
	long nr;		/* __NR_shmctl or __NR_msgctl */
	size_t ds_size;		/* struct shmid64_ds or msqid64_ds */
	size_t pid_off[2];	/* its pids */
	int stat_cmd, stat_any_cmd; /* SHM_STAT, SHM_STAT_ANY... */
	int info_cmd;		/* SHM_INFO or MSG_INFO */
	size_t ipc_info_size, info_size; /* what IPC_INFO and info_cmd write */
};
long ipc_ctl(const struct ipc_ctl_kind *k, int id, int cmd, void *ubuf);
#define IPC_DS_MAX 128 /* the largest ds_size ipc_ctl holds */

/* A host call that waits on an IPC object, made interruptible by guest
 * signals: returns `intr` (Linux's answer for this call) when a signal
 * will run a handler or end the process, and goes on waiting when every
 * caught signal was ignored. */
long ipc_wait_call(long intr, long nr, long a, long b, long c, long d,
		   long e);

#endif
