/* Acting on another thread of the world through that thread itself.
 *
 * The world's seccomp filter lets a pico process name only itself in the
 * host calls that take a pid or tid (prlimit64, sched_set*, setpriority,
 * ioprio_set and their getters): anything else could reach host
 * processes outside the world.  So a guest call that names another
 * guest thread becomes a request: the caller writes it into its own slot
 * of the world region, rings the target thread with a host SIGSYS
 * carrying SI_PICOS_REMOTE and the slot's index, and waits on the slot's
 * futex word; the target's provider runs the call on itself (pid 0) in
 * its signal path and posts the result.  The guest's permission checks
 * (the caller's guest credentials against the target's) stay with the
 * caller, before it asks. */
#ifndef PICOS_REMOTE_H
#define PICOS_REMOTE_H

#include "../kernel.h"

enum remote_op {
	RQ_GETPRIORITY = 1, /* -> 20 - nice */
	RQ_SETPRIORITY,	    /* arg0: nice */
	RQ_IOPRIO_GET,
	RQ_IOPRIO_SET,	    /* arg0: ioprio */
	RQ_GETAFFINITY,	    /* arg0: length; data out: the mask */
	RQ_SETAFFINITY,	    /* arg0: length; data in: the mask */
	RQ_GETSCHEDULER,
	RQ_GETPARAM,	    /* data out: struct sched_param */
	RQ_SETSCHEDULER,    /* arg0: policy; data in: struct sched_param */
	RQ_SETPARAM,	    /* data in: struct sched_param */
	RQ_SETATTR,	    /* data in: struct sched_attr (its size inside) */
	RQ_GETATTR,	    /* arg0: size; data out: struct sched_attr */
	RQ_RR_INTERVAL,	    /* data out: struct timespec */
	RQ_PRLIMIT,	    /* arg0: resource, arg1: RQ_PRLIMIT_* flags;
			       data in: the new limit, out: the old one */
	/* /proc/<pid>/ of another process (fs/procfs.c): */
	RQ_FD_NEXT,	    /* arg0: from -> its lowest open fd >= from */
	RQ_FD_HOST,	    /* arg0: fd -> the host fd behind it */
	RQ_PROC_LINK,	    /* arg0: RQ_LINK_*, arg1: fd; data out: the
			       link's text, NUL-terminated -> its length */
	RQ_LIMITS,	    /* data out: the process's PICO_NLIMITS limits
			       (struct rlimit64 each) */
	RQ_SET_NAME,	    /* data in: the thread's new name (16 bytes) */
	RQ_FDINFO,	    /* arg0: fd, arg1: offset; data out: the fd's
			       /proc fdinfo text from offset -> its length */
	RQ_SETPGID,	    /* arg0: the host group to join, 0 for a new one
			       (a guest setpgid of a child, proc/sys_id.c) */
	RQ_NOPS
};
#define RQ_PRLIMIT_SET 1u   /* a new limit is given */
#define RQ_PRLIMIT_RAISE 2u /* the caller may raise the hard limit */
#define RQ_LINK_CWD 0
#define RQ_LINK_EXE 1
#define RQ_LINK_FD 2

/* Runs `op` for guest thread `tid` (not the caller: callers take their
 * own short way) and returns its result: the host's value or -errno,
 * -ESRCH when the world has no such live thread or it ended before
 * answering, -ERESTARTNOINTR when a guest signal for the caller came
 * first (the call is made again after the handler, as Linux's would be
 * unaffected), -EPERM when the host does not let the caller signal the
 * target (host identities of a world started by root differ).  `in` (inlen bytes) travels to the target, `out` (outlen
 * bytes at most) back; both at most PICOS_REMOTE_DATA. */
long remote_call(int tid, unsigned op, long arg0, long arg1,
		 const void *in, size_t inlen, void *out, size_t outlen);

/* Publishes the calling thread's nice, I/O priority and policy in its
 * slot: at its start and after each change it makes to them. */
void remote_publish_self(void);
/* The calling thread's published values, and the same values published
 * for the calling thread: a forked child, whose host process inherited
 * them from the forking thread, takes that thread's (read before the
 * fork, in its slot) without asking the host again. */
const struct picos_remote *remote_published_self(void);
void remote_publish_inherited(const struct picos_remote *from);

/* The caller's own thread: runs `op` on itself directly. */
long remote_run_self(unsigned op, const long arg[4], void *data);

/* The target's side, from the SIGSYS handler: a ring for request slot
 * `slot`, served at once unless it needs the provider lock while that
 * is taken (then at the end of the call being served, or at the
 * caller's next ring), and the requests left for that end. */
void remote_ring(int slot);
void remote_serve_pending(void);
/* At the end of a trap and at a doorbell: the requests for this thread
 * whose ring the host dropped (its `rung` word set, see world.h). */
void remote_check_rung(void);

/* Holds doorbells (the provider's host SIGSYS from other threads) off
 * while the calling thread cannot take one: the vfork parent, which
 * runs on a stack of its own with the child's provider state until the
 * child lets the memory go (a signal there would land on its signal
 * stack, which its outer handler is using), and the making of a thread,
 * which starts without %gs or a signal stack (it inherits the held mask
 * and takes doorbells once it enters guest code).  A held ring waits on
 * the host; returns the mask to give back to doorbells_release. */
uint64_t doorbells_hold(void);
void doorbells_release(uint64_t old);

#endif
