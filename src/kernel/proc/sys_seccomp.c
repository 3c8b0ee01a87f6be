/* seccomp(2), prctl(PR_SET_SECCOMP/PR_GET_SECCOMP) and the filter check
 * before each guest call (entry/seccomp_bpf.h).
 *
 * A guest's filters are the provider's own decision about the guest's
 * calls: they see the call the guest made (its number and arguments, not
 * the host calls the provider makes to serve it) and act as Linux's do.
 * They are per thread as on Linux: a new thread and a fork child get the
 * creator's chain, execve keeps it, TSYNC gives the caller's chain to every
 * thread of the process. */
#include "proc.h"
#include "caps.h"
#include "../entry/seccomp_bpf.h"
#include "../entry/thread.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <linux/audit.h>
#include <linux/prctl.h>

#define MAX_ERRNO 4095
/* Linux's MAX_INSNS_PER_PATH: a new filter's translated length plus, for
 * each filter already in the chain, its translated length and 4. */
#define MAX_INSNS_PER_PATH ((1 << 18) / sizeof(struct sock_filter))
#define FILTER_FLAGS                                                       \
	(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |              \
	 SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER | \
	 SECCOMP_FILTER_FLAG_TSYNC_ESRCH |                                  \
	 SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)

static int mode_of(const struct pico_thread *t)
{
	return __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE);
}

/* ---- the check before every call ---- */

static bool strict_allows(unsigned long nr)
{
	return nr == __NR_read || nr == __NR_write || nr == __NR_exit ||
	       nr == __NR_rt_sigreturn;
}

/* Every filter of the chain runs; the result whose action is lowest as
 * a signed number wins (seccomp(2): KILL_PROCESS first, ALLOW last), the
 * newest filter on a tie. */
static uint32_t run_chain(const struct seccomp_filter *fl,
			  const struct seccomp_data *d)
{
	uint32_t ret = SECCOMP_RET_ALLOW;
	for (; fl; fl = fl->prev) {
		uint32_t r = seccomp_bpf_run(fl->insns, d);
		if ((int32_t)(r & SECCOMP_RET_ACTION_FULL) <
		    (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
			ret = r;
	}
	return ret;
}

/* SECCOMP_RET_TRAP: a SIGSYS the guest cannot block or ignore (Linux's
 * force_sig_seccomp); it runs on the way out like any caught signal. */
static void trap(struct pico_frame *f, uint32_t data)
{
	struct pico_thread *t = current();
	struct guest_sigaction a;
	sigaction_get(SIGSYS, &a);
	if (a.handler == (uint64_t)SIG_DFL || a.handler == (uint64_t)SIG_IGN ||
	    (t->sigmask & SIGBIT(SIGSYS)))
		die_by_signal(SIGSYS);
	siginfo_t si;
	rt_memset(&si, 0, sizeof si);
	si.si_signo = SIGSYS;
	si.si_code = SYS_SECCOMP;
	si.si_errno = (int)data;
	si.si_call_addr = (void *)f->rip;
	si.si_syscall = (int)f->orig_rax;
	si.si_arch = AUDIT_ARCH_X86_64;
	int n = t->ncaught < PICO_MAX_CAUGHT ? t->ncaught : PICO_MAX_CAUGHT - 1;
	t->caught[n].sig = SIGSYS;
	t->caught[n].settled = true; /* it runs the handler checked above */
	t->caught[n].info = si;
	__atomic_store_n(&t->ncaught, n + 1, __ATOMIC_RELEASE);
}

/* KILL_THREAD (and strict mode) end the thread alone while others live;
 * the last one takes the process with it, killed by `sig` (SIGSYS,
 * SIGKILL for strict mode). */
__attribute__((noreturn)) static void kill_thread(int sig)
{
	if (__atomic_load_n(&gproc()->nthreads, __ATOMIC_ACQUIRE) <= 1)
		die_by_signal(sig);
	provider_lock();
	current()->holds_lock = PL_EXCL;
	thread_exit(0);
}

bool seccomp_admit(struct pico_frame *f, long *ret)
{
	struct pico_thread *t = current();
	unsigned long nr = f->orig_rax;
	if (mode_of(t) == SECCOMP_MODE_STRICT_ON) {
		if (!strict_allows(nr))
			kill_thread(SIGKILL);
		return true;
	}
	struct seccomp_data d = {
		.nr = (int)nr,
		.arch = AUDIT_ARCH_X86_64,
		.instruction_pointer = f->rip,
		.args = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 },
	};
	uint32_t r = run_chain(__atomic_load_n(&t->seccomp, __ATOMIC_ACQUIRE), &d);
	uint32_t data = r & SECCOMP_RET_DATA;
	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG: /* no audit log in a world: allowed */
		return true;
	case SECCOMP_RET_ERRNO:
		*ret = -(long)(data > MAX_ERRNO ? MAX_ERRNO : data);
		return false;
	case SECCOMP_RET_TRAP:
		trap(f, data);
		*ret = (long)nr; /* the handler sees the registers of the call */
		return false;
	case SECCOMP_RET_TRACE:	      /* no tracer in a world */
	case SECCOMP_RET_USER_NOTIF: /* no listener (NEW_LISTENER is refused) */
		*ret = -ENOSYS;
		return false;
	case SECCOMP_RET_KILL_THREAD:
		kill_thread(SIGSYS);
	default: /* KILL_PROCESS and actions Linux does not know */
		die_by_signal(SIGSYS);
	}
}

/* ---- installing ---- */

/* The guest's struct sock_fprog, copied and checked into a new filter:
 * Linux's order (the fprog, its length, no_new_privs, the program). */
static long prepare_filter(const void *uprog, struct seccomp_filter **out)
{
	struct sock_fprog fp;
	if (copy_from_user(&fp, uprog, sizeof fp) < 0)
		return -EFAULT;
	if (fp.len == 0 || fp.len > BPF_MAXINSNS)
		return -EINVAL;
	if (!current()->no_new_privs && !capable(CAP_SYS_ADMIN))
		return -EACCES;
	struct seccomp_filter *fl =
		kmalloc(sizeof *fl + sizeof(struct sock_filter) * fp.len);
	if (!fl)
		return -ENOMEM;
	rt_memset(fl, 0, sizeof *fl);
	fl->len = fp.len;
	if (copy_from_user(fl->insns, fp.filter,
			   sizeof(struct sock_filter) * fp.len) < 0) {
		kfree(fl);
		return -EFAULT;
	}
	long r = seccomp_bpf_check(fl->insns, fl->len);
	if (r < 0) {
		kfree(fl);
		return r;
	}
	*out = fl;
	return 0;
}

static bool in_chain(const struct seccomp_filter *c,
		     const struct seccomp_filter *x)
{
	for (; c; c = c->prev)
		if (c == x)
			return true;
	return false;
}

/* TSYNC: every other thread must have no filter, or a chain the caller's
 * extends; the first that does not is named (its tid, or -ESRCH with
 * TSYNC_ESRCH).  Then each gets the caller's chain, mode and
 * no_new_privs. */
static long sync_threads(struct pico_thread *me, unsigned long flags)
{
	for_each_thread(t, gproc()) {
		if (t == me)
			continue;
		int m = mode_of(t);
		if (m == SECCOMP_MODE_OFF ||
		    (m == SECCOMP_MODE_FILTER_ON && in_chain(me->seccomp, t->seccomp)))
			continue;
		return (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) ? -ESRCH : t->tid;
	}
	for_each_thread(t, gproc()) {
		if (t == me)
			continue;
		if (me->no_new_privs)
			t->no_new_privs = true;
		__atomic_store_n(&t->seccomp, me->seccomp, __ATOMIC_RELEASE);
		__atomic_store_n(&t->seccomp_mode, SECCOMP_MODE_FILTER_ON,
				 __ATOMIC_RELEASE);
	}
	return 0;
}

static long set_mode_filter(unsigned long flags, const void *uprog)
{
	if (flags & ~(unsigned long)FILTER_FLAGS)
		return -EINVAL;
	if ((flags & SECCOMP_FILTER_FLAG_TSYNC) &&
	    (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
	    !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		return -EINVAL;
	if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) &&
	    !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return -EINVAL;
	/* A listener fd needs a supervisor side picos does not have: the
	 * flag is refused as a kernel without it refuses it. */
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		return -EINVAL;
	struct seccomp_filter *fl;
	long r = prepare_filter(uprog, &fl);
	if (r < 0)
		return r;
	struct pico_thread *me = current();
	if (mode_of(me) == SECCOMP_MODE_STRICT_ON) {
		kfree(fl);
		return -EINVAL;
	}
	uint32_t prev_cost = me->seccomp ? me->seccomp->chain_cost : 0;
	fl->kernel_len = seccomp_bpf_kernel_len(fl->insns, fl->len);
	if (fl->kernel_len + prev_cost > MAX_INSNS_PER_PATH) {
		kfree(fl);
		return -ENOMEM;
	}
	fl->chain_cost = prev_cost + fl->kernel_len + 4;
	fl->log = flags & SECCOMP_FILTER_FLAG_LOG;
	fl->prev = me->seccomp;
	if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
		/* Check with the new chain in place; undo on failure. */
		const struct seccomp_filter *old = me->seccomp;
		me->seccomp = fl;
		r = sync_threads(me, flags);
		if (r != 0) {
			me->seccomp = old;
			kfree(fl);
			return r;
		}
	}
	__atomic_store_n(&me->seccomp, fl, __ATOMIC_RELEASE);
	__atomic_store_n(&me->seccomp_mode, SECCOMP_MODE_FILTER_ON, __ATOMIC_RELEASE);
	return 0;
}

static long set_mode_strict(void)
{
	struct pico_thread *me = current();
	if (mode_of(me) == SECCOMP_MODE_FILTER_ON)
		return -EINVAL;
	__atomic_store_n(&me->seccomp_mode, SECCOMP_MODE_STRICT_ON, __ATOMIC_RELEASE);
	return 0;
}

static long action_avail(const uint32_t *uaction)
{
	uint32_t a;
	if (copy_from_user(&a, uaction, sizeof a) < 0)
		return -EFAULT;
	switch (a) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_USER_NOTIF:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ALLOW:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static long seccomp_op(unsigned op, unsigned long flags, void *uargs);

long sys_seccomp(unsigned op, unsigned long flags, void *uargs)
{
	long r = seccomp_op(op, flags, uargs);
	if (r >= 0 && (op == SECCOMP_SET_MODE_STRICT ||
		       op == SECCOMP_SET_MODE_FILTER))
		view_publish_thread_of(gproc());
	return r;
}

static long seccomp_op(unsigned op, unsigned long flags, void *uargs)
{
	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		if (flags || uargs)
			return -EINVAL;
		return set_mode_strict();
	case SECCOMP_SET_MODE_FILTER:
		return set_mode_filter(flags, uargs);
	case SECCOMP_GET_ACTION_AVAIL:
		if (flags)
			return -EINVAL;
		return action_avail(uargs);
	case SECCOMP_GET_NOTIF_SIZES: {
		if (flags)
			return -EINVAL;
		struct seccomp_notif_sizes s = {
			.seccomp_notif = sizeof(struct seccomp_notif),
			.seccomp_notif_resp = sizeof(struct seccomp_notif_resp),
			.seccomp_data = sizeof(struct seccomp_data),
		};
		return copy_to_user(uargs, &s, sizeof s) < 0 ? -EFAULT : 0;
	}
	default:
		return -EINVAL;
	}
}

long seccomp_prctl(int option, unsigned long a2, unsigned long a3)
{
	if (option == PR_GET_SECCOMP)
		return mode_of(current());
	switch (a2) { /* PR_SET_SECCOMP */
	case SECCOMP_MODE_STRICT_ON:
		return sys_seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL);
	case SECCOMP_MODE_FILTER_ON:
		return sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, (void *)a3);
	default:
		return -EINVAL;
	}
}
