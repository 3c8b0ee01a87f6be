/* Per-thread provider state, found through %gs (never %fs: that is the
 * guest's TLS). */
#ifndef PICOS_THREAD_H
#define PICOS_THREAD_H

#include "frame.h"
#include <stdint.h>
#include <asm/siginfo.h>

/* A host signal caught while the provider was serving a call, delivered
 * to the guest on the way out. */
struct caught_signal {
	int sig;
	bool settled; /* translated and kept: it runs a handler */
	siginfo_t info;
};
#define PICO_MAX_CAUGHT 8

#include "thread_asm.h"
#define PICO_ALTSTACK_SIZE ((unsigned long)PT_ALTSTACK_SIZE)

struct gproc;
/* A guest thread's capability sets (capabilities(7)), one bit per
 * capability, and its securebits.  The provider's own bookkeeping: they
 * never reach the host (proc/caps.h). */
struct guest_caps {
	uint64_t eff, prm, inh, bset, amb;
	uint32_t securebits;
};

struct seccomp_filter;

struct pico_thread {
	struct pico_thread *self; /* %gs:0 */
	int ncaught;		  /* %gs:8, read by intr_syscall (intr.S) */
	int pad0;
	/* %gs:16, read by the fast path's exit (fastpath.S): where it
	 * returns to in the guest. */
	uint64_t fast_ret;
	struct gproc *gp;	  /* the guest process it belongs to */
	struct pico_frame *frame; /* frame of the syscall being served */
	struct ucontext *uc;	  /* host context of the current entry */
	long cur_nr;		  /* syscall being served, -1 in guest code */
	int tid;		  /* virtual tid */
	void *altstack;		  /* provider stack for host signal handlers,
				   * %gs:PT_ALTSTACK (the fast path runs on it) */
	uint64_t clear_child_tid; /* set_tid_address */
	uint64_t robust_list, robust_len;
	/* Guest signal state of this thread. */
	uint64_t sigmask;
	uint64_t saved_mask;	  /* sigsuspend/ppoll: the mask to restore */
	bool restore_mask;
	bool frame_set;		  /* rt_sigreturn/execve rewrote the frame */
	struct caught_signal caught[PICO_MAX_CAUGHT];
	/* Fault-class signals (SIGSEGV, SIGBUS...) sent by a process while
	 * the guest blocks them: the host never blocks those, so they wait
	 * here until the mask lets them through. */
	uint64_t deferred;
	siginfo_t deferred_info[32];
	/* Threads after the first: their tid's table slot, and a word the
	 * host clears when the host thread is gone. */
	struct picos_thread_id *tid_slot;
	uint32_t host_alive;
	uint8_t holds_lock; /* the provider lock's mode, PL_* (biglock.c) */
	struct guest_caps caps;
	bool no_new_privs;
	/* Guest seccomp (entry/seccomp_bpf.h): 0 off, 1 strict, 2 filter;
	 * dispatch tests seccomp_mode alone when no filter is installed. */
	int seccomp_mode;
	const struct seccomp_filter *seccomp; /* newest filter of the chain */
	uint64_t ss_sp, ss_size;
	int ss_flags;
	int host_tid;
	/* Every area of this memory's live tasks (ptrace.c finds tracees
	 * through it, gproc_next_thread a process's threads), and ptrace
	 * state: the tracer's guest pid and host pid, a stop asked for
	 * (pt_req) or left for the end of the call (pt_pending), the stop
	 * word (a futex: 1 while stopped), whether the tracer's wait saw
	 * the stop, and the registers at the stop. */
	struct pico_thread *all_next;
	int pt_tracer, pt_tracer_host;
	bool pt_req, pt_pending, pt_reported, pt_seized;
	uint32_t pt_stopped;
	struct pico_frame pt_regs;
	uint64_t pt_fs_base;
	const void *pt_fpstate;
	/* Remote requests (proc/remote.h) rung while this thread served a
	 * call outside an interruptible wait: their slots, served at the
	 * call's end. */
	int remote_pending[8];
	int remote_npending;
	/* Scratch for path work: one syscall at a time per thread.
	 * kpath: guest strings copied in; lpath: lookup results;
	 * walk_*: the slow walk's own; parent: vfs_open_parent's. */
	char kpath[2][4096], lpath[2][4096];
	char walk_pend[4096], walk_link[4096], parent[4096];
	/* The fast path (fastpath.c): the call entered through a patched
	 * site's stub, its frame for the door into the slow path, and the
	 * slow path's restart point for it. */
	struct pico_frame fast_frame;
	uint64_t fast_stub;
	int fast_state;	       /* FAST_NONE, FAST_BEFORE or FAST_AFTER */
	bool in_fast;	       /* serving a call entered by the fast path */
	bool fast_mask_closed; /* intr_call left async signals blocked */
	uint64_t rewind_rip;   /* a restart goes here, not 2 bytes back */
};

static inline struct pico_thread *current(void)
{
	struct pico_thread *t;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

/* Allocates a thread area with its alternate stack and installs it in %gs
 * and as the host sigaltstack of the calling host thread. */
struct pico_thread *thread_create_current(int tid);

#endif
