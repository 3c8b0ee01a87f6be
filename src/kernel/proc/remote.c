/* Remote requests: a guest call that names another thread of the world
 * is carried out by that thread on itself (remote.h).
 *
 * The caller's slot is its own (by its table slot), so callers never
 * contend; a sequence number in the futex word tells a late answer from
 * the current one.  The target is rung with a host SIGSYS, which the
 * provider never blocks: in guest code or in an interruptible wait
 * (intr_call, where the provider lock is released) it serves the request
 * at once, and the wait, which finds no guest signal caught, takes up
 * again as after any doorbell; in other provider code it serves it at
 * the end of the call.  The caller waits in an interruptible wait of its
 * own, where it serves requests made of it (two threads asking each
 * other never deadlock), and rings again every 100 ms, checking that the
 * target still lives.  A target stopped by a stop signal answers when it
 * is continued (Linux answers at once from the stopped task): the
 * caller waits, interruptibly, meanwhile. */
#include "remote.h"
#include "proc.h"
#include "../fs/procfs.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/siginfo.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/futex.h>
#include <picos/world.h>

#define W (popts.world)

#define PHASE_IDLE 0u
#define PHASE_ASKED 1u
#define PHASE_ANSWERED 2u
#define PHASE_SERVING 3u /* claimed by the target: one serves it, once */

long prlimit_self(unsigned res, const struct rlimit64 *nw,
		  struct rlimit64 *old, bool may_raise); /* sys_info.c */

/* The caller's own slot: its process's task slot for a first thread,
 * past the tasks for the others. */
static int my_slot(void)
{
	struct pico_thread *t = current();
	if (t->tid_slot)
		return PICOS_MAX_TASKS + (int)(t->tid_slot - W->tids);
	return (int)(gproc()->task - W->tasks);
}

static bool op_needs_lock(unsigned op)
{
	/* the process's limits and fd table are provider state */
	return op == RQ_PRLIMIT || op == RQ_FD_NEXT || op == RQ_FD_HOST ||
	       op == RQ_PROC_LINK || op == RQ_LIMITS || op == RQ_FDINFO;
}

void remote_publish_self(void)
{
	struct picos_remote *s = &W->remote[my_slot()];
	int param = 0;
	host_syscall2(__NR_sched_getparam, 0, &param);
	s->pub_prio20 = (int32_t)host_syscall2(__NR_getpriority, 0, 0);
	s->pub_ioprio = (int32_t)host_syscall2(__NR_ioprio_get, 1, 0);
	s->pub_policy = (int32_t)host_syscall1(__NR_sched_getscheduler, 0);
	s->pub_rtprio = param;
	long n = host_syscall3(__NR_sched_getaffinity, 0, sizeof s->pub_aff,
			       s->pub_aff);
	s->pub_aff_len = n > 0 ? (int32_t)n : 0;
	__atomic_store_n(&s->pub_valid, 1, __ATOMIC_RELEASE);
}

const struct picos_remote *remote_published_self(void)
{
	return &W->remote[my_slot()];
}

void remote_publish_inherited(const struct picos_remote *from)
{
	struct picos_remote *s = &W->remote[my_slot()];
	if (!__atomic_load_n(&from->pub_valid, __ATOMIC_ACQUIRE) || from == s) {
		remote_publish_self();
		return;
	}
	s->pub_prio20 = from->pub_prio20;
	s->pub_ioprio = from->pub_ioprio;
	s->pub_policy = from->pub_policy;
	s->pub_rtprio = from->pub_rtprio;
	int32_t n = from->pub_aff_len;
	s->pub_aff_len = n > 0 && n <= (int32_t)sizeof s->pub_aff ? n : 0;
	rt_memcpy(s->pub_aff, from->pub_aff, sizeof s->pub_aff);
	__atomic_store_n(&s->pub_valid, 1, __ATOMIC_RELEASE);
}

static bool op_changes_published(unsigned op)
{
	return op == RQ_SETPRIORITY || op == RQ_IOPRIO_SET ||
	       op == RQ_SETSCHEDULER || op == RQ_SETPARAM ||
	       op == RQ_SETATTR || op == RQ_SETAFFINITY;
}

static long run_op(unsigned op, const long arg[4], void *data);

long remote_run_self(unsigned op, const long arg[4], void *data)
{
	long r = run_op(op, arg, data);
	if (r >= 0 && op_changes_published(op))
		remote_publish_self();
	return r;
}

static long run_op(unsigned op, const long arg[4], void *data)
{
	uint32_t len = (uint32_t)arg[0];
	if (len > PICOS_REMOTE_DATA)
		len = PICOS_REMOTE_DATA;
	switch (op) {
	case RQ_GETPRIORITY:
		return host_syscall2(__NR_getpriority, 0, 0);
	case RQ_SETPRIORITY:
		return host_syscall3(__NR_setpriority, 0, 0, arg[0]);
	case RQ_IOPRIO_GET:
		return host_syscall2(__NR_ioprio_get, 1, 0);
	case RQ_IOPRIO_SET:
		return host_syscall3(__NR_ioprio_set, 1, 0, arg[0]);
	case RQ_GETAFFINITY:
		return host_syscall3(__NR_sched_getaffinity, 0, len, data);
	case RQ_SETAFFINITY:
		return host_syscall3(__NR_sched_setaffinity, 0, len, data);
	case RQ_GETSCHEDULER:
		return host_syscall1(__NR_sched_getscheduler, 0);
	case RQ_GETPARAM:
		return host_syscall2(__NR_sched_getparam, 0, data);
	case RQ_SETSCHEDULER:
		return host_syscall3(__NR_sched_setscheduler, 0, arg[0], data);
	case RQ_SETPARAM:
		return host_syscall2(__NR_sched_setparam, 0, data);
	case RQ_SETATTR: {
		/* The size is the struct's own first word: at most ours. */
		uint32_t size;
		rt_memcpy(&size, data, sizeof size);
		if (size > PICOS_REMOTE_DATA) {
			size = PICOS_REMOTE_DATA;
			rt_memcpy(data, &size, sizeof size);
		}
		return host_syscall3(__NR_sched_setattr, 0, data, 0);
	}
	case RQ_GETATTR:
		return host_syscall4(__NR_sched_getattr, 0, data, len, 0);
	case RQ_RR_INTERVAL:
		return host_syscall2(__NR_sched_rr_get_interval, 0, data);
	case RQ_PRLIMIT: {
		struct rlimit64 nw, old;
		rt_memcpy(&nw, data, sizeof nw);
		unsigned fl = (unsigned)arg[1];
		long r = prlimit_self((unsigned)arg[0],
				      (fl & RQ_PRLIMIT_SET) ? &nw : NULL, &old,
				      fl & RQ_PRLIMIT_RAISE);
		rt_memcpy(data, &old, sizeof old);
		return r;
	}
	case RQ_FD_NEXT: {
		int fd = arg[0] >= 0 && arg[0] < 0x7fffffff ? fd_next_open((int)arg[0]) : -1;
		return fd >= 0 ? fd : -ENOENT;
	}
	case RQ_FD_HOST:
		return arg[0] >= 0 && arg[0] < 0x7fffffff
			       ? fdtable_host_fd(gproc()->files, (unsigned)arg[0])
			       : -EBADF;
	case RQ_PROC_LINK:
		return procfs_own_link((int)arg[0], (int)arg[1], data,
				       PICOS_REMOTE_DATA);
	case RQ_SET_NAME:
		/* any process of the world may have written it: a string
		 * only within its 16 bytes */
		((char *)data)[15] = 0;
		return thread_set_name(data);
	case RQ_FDINFO:
		return arg[0] >= 0 && arg[0] < 0x7fffffff
			       ? procfs_fdinfo_chunk((int)arg[0], arg[1], data,
						     PICOS_REMOTE_DATA)
			       : -ENOENT;
	case RQ_SETPGID:
		return pgrp_set_host((int)arg[0]);
	case RQ_LIMITS:
		_Static_assert(sizeof(struct rlimit64) * PICO_NLIMITS <=
				       PICOS_REMOTE_DATA,
			       "the limits fit a request");
		return prlimit_all(data);
	default:
		return -EINVAL;
	}
}

/* ---- the target's side ---- */

/* Serves slot `i` if it holds a request for this thread: the request is
 * claimed (so a late or repeated ring never runs it twice or writes into
 * the caller's next one), read once into provider memory (any process of
 * the world may write the slot), run on this thread alone, and answered.
 * False when it must wait: an operation on provider state while the
 * provider lock is taken (perhaps by the very code this handler
 * interrupted). */
static bool serve(int i)
{
	struct picos_remote *s = &W->remote[i];
	uint32_t w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
	if ((w & 3) != PHASE_ASKED ||
	    __atomic_load_n(&s->target, __ATOMIC_RELAXED) != current()->host_tid)
		return true;
	unsigned op = __atomic_load_n(&s->op, __ATOMIC_RELAXED);
	bool lock = op_needs_lock(op);
	if (lock && !provider_trylock())
		return false;
	if (!__atomic_compare_exchange_n(&s->word, &w, (w & ~3u) | PHASE_SERVING,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED)) {
		if (lock)
			provider_unlock();
		return true; /* withdrawn, or claimed by a nested ring */
	}
	op = __atomic_load_n(&s->op, __ATOMIC_RELAXED);
	long arg[4];
	for (int k = 0; k < 4; k++)
		arg[k] = (long)__atomic_load_n(&s->arg[k], __ATOMIC_RELAXED);
	uint8_t data[PICOS_REMOTE_DATA];
	rt_memcpy(data, s->data, sizeof data);
	/* the op runs as a BIG call would, whatever mode the interrupted
	 * code's call was in */
	uint8_t mode = current()->holds_lock;
	current()->holds_lock = lock ? PL_EXCL : PL_NONE;
	long r = op_needs_lock(op) && !lock ? -EAGAIN
					    : remote_run_self(op, arg, data);
	current()->holds_lock = mode;
	if (lock)
		provider_unlock();
	rt_memcpy(s->data, data, sizeof data);
	__atomic_store_n(&s->result, r, __ATOMIC_RELAXED);
	__atomic_store_n(&s->word, (w & ~3u) | PHASE_ANSWERED, __ATOMIC_RELEASE);
	host_syscall3(__NR_futex, &s->word, FUTEX_WAKE, 0x7fffffff);
	return true;
}

/* Scheduling and priority requests are host calls on this thread alone
 * and are served wherever the ring finds it; a request on the limits
 * waits for the provider lock: if it is taken, until the end of the call
 * this thread serves (or the caller's next ring). */
void remote_ring(int slot)
{
	struct pico_thread *t = current();
	if (slot < 0 || slot >= PICOS_REMOTE_SLOTS || serve(slot))
		return;
	for (int k = 0; k < t->remote_npending; k++)
		if (t->remote_pending[k] == slot)
			return;
	/* A full list drops the ring: the caller rings again. */
	if (t->remote_npending < (int)(sizeof t->remote_pending /
				       sizeof t->remote_pending[0]))
		t->remote_pending[t->remote_npending++] = slot;
}

void remote_check_rung(void)
{
	struct picos_remote *me = &W->remote[my_slot()];
	if (!__atomic_load_n(&me->rung, __ATOMIC_ACQUIRE) ||
	    !__atomic_exchange_n(&me->rung, 0, __ATOMIC_ACQ_REL))
		return;
	int host = current()->host_tid;
	for (int i = 0; i < PICOS_REMOTE_SLOTS; i++) {
		struct picos_remote *s = &W->remote[i];
		if ((__atomic_load_n(&s->word, __ATOMIC_ACQUIRE) & 3) == PHASE_ASKED &&
		    __atomic_load_n(&s->target, __ATOMIC_RELAXED) == host)
			remote_ring(i);
	}
}

void remote_serve_pending(void)
{
	struct pico_thread *t = current();
	int n = t->remote_npending;
	t->remote_npending = 0;
	for (int k = 0; k < n; k++)
		serve(t->remote_pending[k]);
}

uint64_t doorbells_hold(void)
{
	uint64_t sys = SIGBIT(SIGSYS), old = 0;
	host_syscall4(__NR_rt_sigprocmask, SIG_BLOCK, &sys, &old, 8);
	return old;
}

void doorbells_release(uint64_t old)
{
	host_syscall4(__NR_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
}

/* ---- the caller's side ---- */

/* 0, or the host's refusal: -ESRCH (gone) or -EPERM (a world started
 * by root gives guest identities to the host threads, and the host lets
 * a process signal only its own user's unless it has CAP_KILL). */
static long ring(int host_pid, int host_tid, int slot, struct picos_remote *target)
{
	/* first the mark the target finds if the host drops the ring */
	if (target)
		__atomic_store_n(&target->rung, 1, __ATOMIC_RELEASE);
	siginfo_t si;
	rt_memset(&si, 0, sizeof si);
	si.si_signo = SIGSYS;
	si.si_code = SI_PICOS_REMOTE;
	si.si_int = slot;
	return host_syscall4(__NR_rt_tgsigqueueinfo, host_pid, host_tid, SIGSYS,
			     &si);
}

/* Whether guest thread `tid` is still host thread `host`. */
static bool still_there(int tid, int host_pid, int host)
{
	int hp = 0;
	return task_thread_host(0, tid, &hp) == host && hp == host_pid &&
	       host_syscall3(__NR_tgkill, host_pid, host, 0) != -ESRCH;
}

/* Takes the request back unless the target claimed it: true when
 * withdrawn. */
static bool withdraw(struct picos_remote *s, uint32_t asked)
{
	uint32_t w = asked;
	return __atomic_compare_exchange_n(&s->word, &w, asked & ~3u, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* The slot of guest thread `tid`, or -1. */
static int slot_of(int tid)
{
	int i = -1;
	task_lock();
	struct picos_task *t = task_by_vpid(tid);
	struct picos_thread_id *th = t ? NULL : tid_by_vtid(tid);
	if (t)
		i = (int)(t - W->tasks);
	else if (th)
		i = PICOS_MAX_TASKS + (int)(th - W->tids);
	task_unlock();
	return i;
}

/* What `tid` published, for the getters that have it: the answer when
 * the host does not let the caller ring it; `err` otherwise. */
static long published(int tid, unsigned op, void *out, size_t outlen,
		      long err)
{
	int i = slot_of(tid);
	if (i < 0)
		return -ESRCH;
	const struct picos_remote *s = &W->remote[i];
	if (!__atomic_load_n(&s->pub_valid, __ATOMIC_ACQUIRE))
		return err;
	switch (op) {
	case RQ_GETPRIORITY:
		return s->pub_prio20;
	case RQ_IOPRIO_GET:
		return s->pub_ioprio;
	case RQ_GETSCHEDULER:
		return s->pub_policy;
	case RQ_GETPARAM: {
		int32_t p = s->pub_rtprio;
		if (outlen >= sizeof p)
			rt_memcpy(out, &p, sizeof p);
		return 0;
	}
	case RQ_GETAFFINITY: {
		/* read once: any process of the world may write it */
		int32_t n = __atomic_load_n(&s->pub_aff_len, __ATOMIC_RELAXED);
		if (n <= 0 || n > (int32_t)sizeof s->pub_aff)
			return err;
		if ((size_t)n > outlen)
			n = (int32_t)outlen;
		rt_memcpy(out, s->pub_aff, (size_t)n);
		return n;
	}
	default:
		return err;
	}
}

/* Stopped by a stop signal (the launcher's last word on it). */
static bool task_stopped(int pid)
{
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	bool r = t && (__atomic_load_n(&t->wstatus, __ATOMIC_ACQUIRE) & 0xff) == 0x7f;
	task_unlock();
	return r;
}

long remote_call(int tid, unsigned op, long arg0, long arg1,
		 const void *in, size_t inlen, void *out, size_t outlen)
{
	int host_pid = 0;
	long host = task_thread_host(0, tid, &host_pid);
	if (host <= 0 || host_pid <= 0)
		return -ESRCH;
	if (host == current()->host_tid) {
		long a[4] = { arg0, arg1, 0, 0 };
		uint8_t data[PICOS_REMOTE_DATA];
		rt_memset(data, 0, sizeof data);
		if (inlen)
			rt_memcpy(data, in, inlen);
		long r = remote_run_self(op, a, data);
		if (outlen)
			rt_memcpy(out, data, outlen);
		return r;
	}
	int slot = my_slot();
	struct picos_remote *s = &W->remote[slot];
	uint32_t seq = (__atomic_load_n(&s->word, __ATOMIC_RELAXED) >> 2) + 1;
	uint32_t asked = (seq << 2) | PHASE_ASKED;
	s->op = op;
	s->target = (int32_t)host;
	s->arg[0] = arg0, s->arg[1] = arg1, s->arg[2] = s->arg[3] = 0;
	rt_memset(s->data, 0, sizeof s->data);
	if (inlen)
		rt_memcpy(s->data, in, inlen);
	__atomic_store_n(&s->word, asked, __ATOMIC_RELEASE);
	int ts = slot_of(tid);
	struct picos_remote *t_slot = ts >= 0 ? &W->remote[ts] : NULL;
	long e = ring(host_pid, (int)host, slot, t_slot);
	if (e < 0 && withdraw(s, asked))
		return e == -EPERM ? published(tid, op, out, outlen, e) : e;
	uint32_t answered = (seq << 2) | PHASE_ANSWERED;
	bool interrupted = false;
	for (;;) {
		uint32_t w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		if (w == answered)
			break;
		if ((w & ~3u) != (seq << 2) || (w & 3) == PHASE_IDLE)
			return -ESRCH; /* not ours any more (a hostile write) */
		struct { long s, ns; } ts = { 0, 100 * 1000 * 1000 };
		/* Once a guest signal is caught, the wait for a claimed
		 * request (one host call away from its answer) is not
		 * interruptible any more. */
		long r = interrupted ? host_syscall4(__NR_futex, &s->word,
						     FUTEX_WAIT, w, &ts)
				     : intr_call4(__NR_futex, &s->word,
						  FUTEX_WAIT, w, &ts);
		if (r == -EINTR && !interrupted && signal_interrupts()) {
			/* A guest signal: take the request back and make the
			 * call again after the handler, unless the target is
			 * already at it (then its answer is awaited). */
			if (withdraw(s, asked))
				return -ERESTARTNOINTR;
			interrupted = true;
		}
		if (r == -ETIMEDOUT && !still_there(tid, host_pid, (int)host)) {
			withdraw(s, asked);
			return -ESRCH;
		}
		/* A stopped child makes a parent's setpgid on the host when
		 * it is continued (pgrp_resync): Linux's setpgid does not
		 * wait for it. */
		if (r == -ETIMEDOUT && op == RQ_SETPGID && task_stopped(tid) &&
		    withdraw(s, asked))
			return 0;
		if (r == -ETIMEDOUT && w == asked) /* a ring it had to drop */
			ring(host_pid, (int)host, slot, t_slot);
	}
	if (outlen)
		rt_memcpy(out, s->data, outlen);
	return __atomic_load_n(&s->result, __ATOMIC_RELAXED);
}
