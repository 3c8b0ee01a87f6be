/* Delivery of guest signals on frames laid out as Linux lays them out
 * (struct rt_sigframe: return address, ucontext, siginfo, then the FPU
 * state), restart of interrupted calls, and the default actions. */
#include "signal.h"
#include "../proc/proc.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <picos/world.h>

#ifndef SS_ONSTACK
#define SS_ONSTACK 1
#define SS_DISABLE 2
#endif
#define SS_AUTODISARM (1U << 31)
#ifndef UC_FP_XSTATE
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#endif
#define SA_RESTORER_FLAG 0x04000000
#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_RF 0x10000

extern char __provider_text_start[], __provider_text_end[];
extern char intr_begin[], intr_end[], intr_eintr[];

/* The frame the guest handler finds at its %rsp. */
struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	siginfo_t info;
};

uint64_t host_mask_of(uint64_t guest_mask)
{
	return guest_mask & ~(SYNC_SIGNALS | UNBLOCKABLE);
}

enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return SIGDFL_IGN;
	case SIGCONT:
		return SIGDFL_CONT;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIGDFL_STOP;
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return SIGDFL_CORE;
	default:
		return SIGDFL_TERM;
	}
}

void die_by_signal(int sig)
{
	struct sigaction sa;
	rt_memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	host_syscall4(__NR_rt_sigaction, sig, &sa, 0, 8);
	uint64_t unblock = SIGBIT(sig);
	host_syscall4(__NR_rt_sigprocmask, SIG_UNBLOCK, &unblock, 0, 8);
	vm_leave();
	host_syscall3(__NR_tgkill, gproc()->host_pid, host_syscall0(__NR_gettid), sig);
	host_exit_group(128 + sig);
	__builtin_unreachable();
}

/* A default stop: the launcher reports the guest's stop signal, so record
 * it, then stop on the host with SIGSTOP (which no process group rule can
 * discard).  Returns after SIGCONT. */
static void stop_self(int sig)
{
	__atomic_store_n(&gproc()->task->stop_sig, sig, __ATOMIC_RELEASE);
	host_syscall2(__NR_kill, gproc()->host_pid, SIGSTOP);
	pgrp_resync(); /* continued */
}

static uint64_t ticks_of_us(uint64_t us)
{
	return us * proc.clktck / 1000000u;
}

static void sigchld_info(siginfo_t *info, const struct picos_chld_note *n)
{
	int ws = n->wstatus;
	rt_memset(info, 0, sizeof *info);
	info->si_signo = n->signo;
	info->si_pid = n->vpid;
	info->si_uid = n->uid;
	if (n->ended && (ws & 0x7f) == 0) {
		info->si_code = CLD_EXITED;
		info->si_status = (ws >> 8) & 0xff;
	} else if (n->ended) {
		info->si_code = (ws & 0x80) ? CLD_DUMPED : CLD_KILLED;
		info->si_status = ws & 0x7f;
	} else if ((ws & 0xff) == 0x7f) {
		info->si_code = CLD_STOPPED;
		info->si_status = (ws >> 8) & 0xff;
	} else {
		info->si_code = CLD_CONTINUED;
		info->si_status = SIGCONT;
	}
	info->si_utime = (long)ticks_of_us(n->utime_us);
	info->si_stime = (long)ticks_of_us(n->stime_us);
}

/* The launcher, or a child recording its own end (exit_self.c), rings
 * SIGCHLD (or the child's other exit signal); the guest's
 * siginfo comes from a child whose change its parent has not yet been told
 * of, else from the launcher's note of the last change (that child may be
 * reaped already: the signal is owed all the same).  A doorbell with
 * neither was already told. */
static bool child_signal_from_table(int sig, siginfo_t *info)
{
	struct picos_chld_note *note = &gproc()->task->chld_note;
	bool found = false;
	task_lock();
	for (int i = 0; i < world_slots(popts.world) && !found; i++) {
		struct picos_task *c = &popts.world->tasks[i];
		if (!c->vpid || c->ppid != gproc()->pid || !(c->events & TEV_SIGCHLD))
			continue;
		bool ended = c->state == TASK_ZOMBIE;
		if ((ended ? c->exit_signal : SIGCHLD) != sig)
			continue;
		c->events &= ~TEV_SIGCHLD;
		struct picos_chld_note n = world_chld_note(c, sig);
		sigchld_info(info, &n);
		if (note->vpid == c->vpid)
			note->vpid = 0;
		found = true;
	}
	if (!found && note->vpid && note->signo == sig) {
		sigchld_info(info, note);
		note->vpid = 0;
		found = true;
	}
	task_unlock();
	return found;
}

bool signal_carries_fd(int sig, const siginfo_t *info)
{
	return info->si_code >= POLL_IN && info->si_code <= POLL_HUP &&
	       !(SIGBIT(sig) & (SYNC_SIGNALS | SIGBIT(SIGCHLD)));
}

#define FORGED_MARK 0x7069636f73L /* "picos" */

/* Codes the provider reads as the host's own: SIGSYS's system call
 * entry (and the provider's doorbells, SI_PICOS_STOP and SI_PICOS_REMOTE),
 * a fault's, and the fd of SIGIO-style siginfo. */
static bool code_read_by_provider(int sig, const siginfo_t *info)
{
	if (info->si_code == SI_PICOS_CHLD)
		return true;
	if (SIGBIT(sig) & SYNC_SIGNALS)
		return info->si_code > 0 ||
		       (sig == SIGSYS && (info->si_code == SI_PICOS_STOP ||
					  info->si_code == SI_PICOS_REMOTE));
	return signal_carries_fd(sig, info);
}

bool signal_marked(const siginfo_t *info)
{
	return info->si_stime == FORGED_MARK;
}

void signal_mark_forged(int sig, siginfo_t *info)
{
	if (code_read_by_provider(sig, info)) {
		info->si_stime = FORGED_MARK;
		return;
	}
	if (info->si_code != SI_USER && info->si_code != SI_TKILL)
		return;
	int host = 0;
	if (info->si_pid == gproc()->pid) {
		host = gproc()->host_pid;
	} else if (info->si_pid > 0) {
		task_lock();
		struct picos_task *t = task_by_vpid(info->si_pid);
		host = t && t->state == TASK_LIVE ? t->host_pid : 0;
		task_unlock();
	}
	if (host > 0) { /* in host ids, as the host's own: translated back */
		info->si_pid = host;
		info->si_uid = ident_uid_to_host(info->si_uid);
	} else {
		info->si_stime = FORGED_MARK;
	}
}

bool signal_sent(const siginfo_t *info)
{
	return info->si_code <= 0 || signal_marked(info);
}

bool signal_doorbell(const siginfo_t *info)
{
	if (signal_marked(info))
		return false;
	return info->si_code == SI_PICOS_CHLD ||
	       (info->si_code == SI_USER &&
		info->si_pid == popts.world->launcher_pid);
}

bool signal_translate(int sig, siginfo_t *info)
{
	if (signal_marked(info)) { /* as the guest queued it */
		info->si_stime = 0;
		return true;
	}
	/* A child's own doorbell (exit_self.c) is nothing but that. */
	if (info->si_code == SI_PICOS_CHLD)
		return child_signal_from_table(sig, info);
	if (signal_carries_fd(sig, info)) {
		int g = fd_async_guest(info->si_fd);
		if (g >= 0)
			info->si_fd = g;
		return true;
	}
	/* SI_MESGQ: a POSIX queue's notification names its sender */
	if (info->si_code != SI_USER && info->si_code != SI_TKILL &&
	    info->si_code != SI_MESGQ)
		return true;
	bool from_launcher = info->si_code == SI_USER &&
			     info->si_pid == popts.world->launcher_pid;
	/* A doorbell; another signal from the launcher (a pdeath signal)
	 * is told as an ordinary one. */
	if (from_launcher && child_signal_from_table(sig, info))
		return true;
	if (from_launcher && sig == SIGCHLD)
		return false;
	info->si_pid = info->si_pid == gproc()->host_pid
			       ? gproc()->pid
			       : task_vpid_of_sender(info->si_pid);
	info->si_uid = ident_uid_to_guest(info->si_uid);
	return true;
}

static struct guest_sigaction *action_of(int sig)
{
	return &gproc()->sigact->act[sig - 1];
}

/* The seqlock of the signal actions: even when stable.  A writer takes it
 * from even to odd (writers are rt_sigaction under the provider lock,
 * exec, and SA_RESETHAND at delivery on any thread). */
void sigaction_get(int sig, struct guest_sigaction *out)
{
	for (;;) {
		uint32_t s1 = __atomic_load_n(&gproc()->sigact->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			__builtin_ia32_pause();
			continue;
		}
		*out = *action_of(sig);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&gproc()->sigact->seq, __ATOMIC_RELAXED) == s1)
			return;
	}
}

void sigaction_set(int sig, const struct guest_sigaction *act)
{
	for (;;) {
		uint32_t s = __atomic_load_n(&gproc()->sigact->seq, __ATOMIC_RELAXED);
		if (!(s & 1) &&
		    __atomic_compare_exchange_n(&gproc()->sigact->seq, &s, s + 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		__builtin_ia32_pause();
	}
	*action_of(sig) = *act;
	__atomic_fetch_add(&gproc()->sigact->seq, 1, __ATOMIC_RELEASE);
	view_publish_signals();
}

static int act_with(int sig, const struct guest_sigaction *a);

/* What a signal will do now: 0 nothing, 1 run a handler; a fatal or
 * stopping default is carried out here. */
static int act_now(int sig)
{
	struct guest_sigaction a;
	sigaction_get(sig, &a);
	return act_with(sig, &a);
}

static int act_with(int sig, const struct guest_sigaction *a)
{
	uint64_t h = a->handler;
	if (h == (uint64_t)SIG_IGN)
		return 0;
	if (h != (uint64_t)SIG_DFL)
		return 1;
	switch (sig_default_action(sig)) {
	case SIGDFL_TERM:
	case SIGDFL_CORE:
		die_by_signal(sig);
	case SIGDFL_STOP:
		stop_self(sig);
		return 0;
	default:
		return 0;
	}
}

static size_t fpstate_size(const struct _fpstate_64 *fp)
{
	if (!fp)
		return 0;
	if (fp->sw_reserved.magic1 == FP_XSTATE_MAGIC1)
		return fp->sw_reserved.extended_size;
	return sizeof(struct _fpstate_64);
}

size_t signal_fpstate_size(const void *fp)
{
	return fpstate_size(fp);
}

/* The handler starts with a clean FPU, as on Linux: the host restores the
 * init state from an xsave header with no components and default control
 * words. */
static void fpstate_reset(struct _fpstate_64 *fp)
{
	if (!fp)
		return;
	fp->cwd = 0x37f;
	fp->swd = 0;
	fp->twd = 0;
	fp->mxcsr = 0x1f80;
	if (fp->sw_reserved.magic1 == FP_XSTATE_MAGIC1)
		((struct _header *)((char *)fp + 512))->xfeatures = 0;
}

static bool on_altstack(const struct pico_thread *t, uint64_t sp)
{
	return t->ss_size && sp > t->ss_sp && sp - t->ss_sp <= t->ss_size;
}

/* Builds the guest frame for `sig` on the guest context in `uc` and points
 * uc at the handler.  `saved` is the mask the frame restores. */
static bool build_frame(struct ucontext *uc, int sig, const siginfo_t *info,
			uint64_t saved, const struct guest_sigaction *act)
{
	struct pico_thread *t = current();
	struct sigcontext *sc = &uc->uc_mcontext;
	struct _fpstate_64 *fp = (struct _fpstate_64 *)sc->fpstate;
	size_t fpsize = fpstate_size(fp);
	uint64_t sp = sc->rsp;
	bool was_on = on_altstack(t, sp);
	stack_t ss_now = { .ss_sp = (void *)t->ss_sp,
			   .ss_flags = t->ss_size ? (was_on ? SS_ONSTACK : t->ss_flags)
						  : SS_DISABLE,
			   .ss_size = t->ss_size };

	if ((act->flags & SA_ONSTACK) && t->ss_size && !was_on)
		sp = t->ss_sp + t->ss_size;
	else
		sp -= 128; /* the red zone */
	sp = (sp - fpsize) & ~63UL;
	uint64_t fp_addr = sp;
	sp -= sizeof(struct rt_sigframe);
	sp = (sp & ~15UL) - 8;

	struct rt_sigframe fr;
	rt_memset(&fr, 0, sizeof fr);
	fr.pretcode = (act->flags & SA_RESTORER_FLAG) ? act->restorer : 0;
	fr.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	fr.uc.uc_stack = ss_now;
	fr.uc.uc_mcontext = *sc;
	fr.uc.uc_mcontext.fpstate = fpsize ? (struct _fpstate *)fp_addr : 0;
	fr.uc.uc_mcontext.oldmask = saved;
	fr.uc.uc_sigmask = saved;
	fr.info = *info;
	if (copy_to_user((void *)sp, &fr, sizeof fr) < 0 ||
	    (fpsize && copy_to_user((void *)fp_addr, fp, fpsize) < 0))
		return false;

	if ((act->flags & SA_ONSTACK) && (t->ss_flags & SS_AUTODISARM) && !was_on) {
		t->ss_sp = 0;
		t->ss_size = 0;
		t->ss_flags = SS_DISABLE;
	}
	sc->rip = act->handler;
	sc->rsp = sp;
	sc->rdi = (uint64_t)sig;
	sc->rsi = sp + __builtin_offsetof(struct rt_sigframe, info);
	sc->rdx = sp + __builtin_offsetof(struct rt_sigframe, uc);
	sc->rax = 0;
	sc->eflags &= ~(uint64_t)(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF);
	fpstate_reset(fp);

	t->sigmask |= act->mask;
	if (!(act->flags & SA_NODEFER))
		t->sigmask |= SIGBIT(sig);
	t->sigmask &= ~UNBLOCKABLE;
	if (act->flags & SA_RESETHAND) {
		struct guest_sigaction reset = *act;
		reset.handler = (uint64_t)SIG_DFL; /* Linux keeps the flags */
		sigaction_set(sig, &reset);
	}
	return true;
}

/* Runs the handler `sig` has now (one consistent reading of its action:
 * another thread may be changing it), or its default. */
static void deliver(struct ucontext *uc, int sig, const siginfo_t *info,
		    uint64_t saved)
{
	struct guest_sigaction a;
	sigaction_get(sig, &a);
	if (!act_with(sig, &a))
		return;
	if (!build_frame(uc, sig, info, saved, &a))
		die_by_signal(SIGSEGV); /* Linux: force_sigsegv */
}

/* The receiving side of the world's pid 1's protection (sys_kill.c
 * init_drops): a signal another process of the world sent it, with no
 * handler for it, is discarded when it would be taken, as Linux's
 * get_signal does for a namespace's init (also when it was blocked at
 * the sending).  What pid 1 sent itself, and what came from outside the
 * world (si_pid 0: picos's relay, a terminal, the kernel), acts as
 * before.  SIGKILL and SIGSTOP never get here from the world (the
 * senders drop them). */
static bool init_discards(int sig, const siginfo_t *info)
{
	if (gproc()->pid != 1 || !signal_sent(info) || info->si_pid <= 1)
		return false;
	struct guest_sigaction a;
	sigaction_get(sig, &a);
	return a.handler == (uint64_t)SIG_DFL;
}

void signal_from_guest(int sig, siginfo_t *info, struct ucontext *uc)
{
	struct pico_thread *t = current();
	if (!signal_translate(sig, info) || init_discards(sig, info) ||
	    !act_now(sig))
		return;
	deliver(uc, sig, info, t->sigmask);
	uc->uc_sigmask = host_mask_of(t->sigmask);
}

static void on_async(int sig, siginfo_t *info, void *ucv);

void signal_fault(int sig, siginfo_t *info, struct ucontext *uc)
{
	struct pico_thread *t = current();
	if (signal_sent(info)) { /* not raised by a fault */
		if (!(t->sigmask & SIGBIT(sig)))
			on_async(sig, info, uc); /* in guest or provider code */
		else if (!(t->deferred & SIGBIT(sig))) { /* standard: one pending */
			t->deferred |= SIGBIT(sig);
			t->deferred_info[sig] = *info;
		}
		return;
	}
	struct guest_sigaction a;
	sigaction_get(sig, &a);
	uint64_t h = a.handler;
	/* As Linux's force_sig: blocked or ignored, the fault kills. */
	if (h == (uint64_t)SIG_DFL || h == (uint64_t)SIG_IGN ||
	    (t->sigmask & SIGBIT(sig)))
		die_by_signal(sig);
	deliver(uc, sig, info, t->sigmask);
	uc->uc_sigmask = host_mask_of(t->sigmask);
}

static bool in_provider(uint64_t ip)
{
	return ip >= (uint64_t)__provider_text_start &&
	       ip < (uint64_t)__provider_text_end;
}

static void on_async(int sig, siginfo_t *info, void *ucv)
{
	struct ucontext *uc = ucv;
	struct pico_thread *t = current();
	uint64_t ip = uc->uc_mcontext.rip;
	if (!in_provider(ip)) {
		signal_from_guest(sig, info, uc);
		return;
	}
	/* In an interruptible call of the provider: record, deliver later. */
	if (t->ncaught < PICO_MAX_CAUGHT) {
		t->caught[t->ncaught].sig = sig;
		t->caught[t->ncaught].settled = false;
		t->caught[t->ncaught].info = *info;
		__atomic_store_n(&t->ncaught, t->ncaught + 1, __ATOMIC_RELEASE);
	} else {
		/* Full (a burst of queued signals while the mask is open:
		 * an interruptible wait, the fast path): the host keeps it,
		 * pending for this thread behind a closed mask until the
		 * call's end puts the guest's back; a real-time signal is
		 * never lost. */
		host_syscall4(__NR_rt_tgsigqueueinfo, gproc()->host_pid,
			      t->host_tid, sig, info);
		uc->uc_sigmask |= ~(SYNC_SIGNALS | UNBLOCKABLE);
		if (t->in_fast)
			t->fast_mask_closed = true;
	}
	if (ip >= (uint64_t)intr_begin && ip < (uint64_t)intr_end)
		uc->uc_mcontext.rip = (uint64_t)intr_eintr;
	fast_exit_redirect(uc); /* leaving the fast path: through the door */
}

void signal_install_async(void)
{
	uint64_t async = ~(SYNC_SIGNALS | UNBLOCKABLE);
	for (int sig = 1; sig <= 64; sig++) {
		if (SIGBIT(sig) & (SYNC_SIGNALS | UNBLOCKABLE))
			continue;
		struct sigaction sa;
		rt_memset(&sa, 0, sizeof sa);
		sa.sa_handler = (__sighandler_t)(void *)on_async;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER;
		sa.sa_restorer = host_sigreturn;
		sa.sa_mask = async;
		long r = host_syscall4(__NR_rt_sigaction, sig, &sa, 0, 8);
		if (r < 0)
			kdie(125, "cannot install the handler for host signal %d (%ld)",
			     sig, r);
	}
}

long intr_syscall(long nr, long a, long b, long c, long d, long e, long f);

/* A thread's blocked signals, for other processes' /proc/<pid>/status
 * and task/<tid>/status (proc/view.c): at the end of each call and while
 * it waits (sigsuspend's temporary mask). */
void signal_publish_blocked(struct pico_thread *t)
{
	if (t->tid == gproc()->pid)
		__atomic_store_n(&gproc()->task->view_blocked, t->sigmask,
				 __ATOMIC_RELAXED);
	else if (t->tid_slot)
		__atomic_store_n(&t->tid_slot->view_blocked, t->sigmask,
				 __ATOMIC_RELAXED);
}

/* A terminal's job-control stops the guest ignores: blocked on the host
 * for the call, so the host's terminal answers as Linux does for an
 * ignored SIGTTIN/SIGTTOU (a background read fails with EIO, a write or
 * tcsetpgrp goes ahead) instead of sending a signal the provider would
 * drop, for ever (its host disposition is always the provider's). */
static uint64_t ignored_tty_stops(void)
{
	uint64_t m = 0;
	for (int sig = SIGTTIN; sig <= SIGTTOU; sig++) {
		struct guest_sigaction a;
		sigaction_get(sig, &a);
		if (a.handler == (uint64_t)SIG_IGN)
			m |= SIGBIT(sig);
	}
	return m;
}

long intr_call(long nr, long a, long b, long c, long d, long e, long f)
{
	struct pico_thread *t = current();
	uint64_t open = host_mask_of(t->sigmask) | ignored_tty_stops();
	signal_publish_blocked(t);
	uint64_t closed = ~(SYNC_SIGNALS | UNBLOCKABLE);
	provider_lock_drop(); /* a waiting thread holds up no other */
	/* (the fast path too: its host mask is the guest's, but the wait
	 * needs the ignored terminal stops blocked as well; it puts the
	 * guest's back on its way out) */
	host_syscall4(__NR_rt_sigprocmask, SIG_SETMASK, &open, 0, 8);
	long r = intr_syscall(nr, a, b, c, d, e, f);
	host_syscall4(__NR_rt_sigprocmask, SIG_SETMASK, &closed, 0, 8);
	if (t->in_fast)
		t->fast_mask_closed = true;
	provider_lock_retake();
	return r;
}

long intr_wait(long nr, long a, long b, long c, long d, long e, long f)
{
	provider_lock_drop();
	long r = intr_syscall(nr, a, b, c, d, e, f);
	provider_lock_retake();
	return r;
}

/* Keeps only the caught signals that will run a handler; carries out
 * fatal and stopping defaults, drops the ignored. */
static int settle_caught(void)
{
	struct pico_thread *t = current();
	int n = 0;
	for (int i = 0; i < t->ncaught; i++) {
		struct caught_signal *c = &t->caught[i];
		if (!c->settled &&
		    (!signal_translate(c->sig, &c->info) ||
		     init_discards(c->sig, &c->info) || !act_now(c->sig)))
			continue;
		c->settled = true;
		if (n != i)
			t->caught[n] = *c;
		n++;
	}
	t->ncaught = n;
	return n;
}

bool signal_interrupts(void)
{
	return settle_caught() > 0;
}

static bool has_sa_restart(int sig)
{
	struct guest_sigaction a;
	sigaction_get(sig, &a);
	return a.flags & SA_RESTART;
}

bool is_restart_code(long r)
{
	return r == -ERESTARTSYS || r == -ERESTARTNOINTR ||
	       r == -ERESTARTNOHAND || r == -ERESTART_RESTARTBLOCK;
}

/* Deferred fault-class signals the mask now lets through join the
 * caught ones. */
static void undefer(struct pico_thread *t)
{
	uint64_t ready = t->deferred & ~t->sigmask;
	for (int sig = 1; ready && sig < 32; sig++) {
		if (!(ready & SIGBIT(sig)) || t->ncaught == PICO_MAX_CAUGHT)
			continue;
		ready &= ~SIGBIT(sig);
		t->deferred &= ~SIGBIT(sig);
		struct caught_signal *c = &t->caught[t->ncaught++];
		c->sig = sig;
		c->settled = false;
		c->info = t->deferred_info[sig];
	}
}

uint64_t signal_deferred(void)
{
	return current()->deferred;
}

bool signal_take_deferred(uint64_t set, int *sig, siginfo_t *info)
{
	struct pico_thread *t = current();
	uint64_t hit = t->deferred & set;
	for (int s = 1; hit && s < 32; s++) {
		if (!(hit & SIGBIT(s)))
			continue;
		t->deferred &= ~SIGBIT(s);
		*sig = s;
		*info = t->deferred_info[s];
		return true;
	}
	return false;
}

void signal_exit(struct pico_frame *f, struct ucontext *uc)
{
	struct pico_thread *t = current();
	if (t->deferred & ~t->sigmask)
		undefer(t);
	int n = t->ncaught ? settle_caught() : 0;
	long ret = (long)f->rax;
	if (!t->frame_set && is_restart_code(ret)) {
		bool restart;
		if (n == 0 || ret == -ERESTARTNOINTR)
			restart = true;
		else if (ret == -ERESTARTSYS)
			restart = has_sa_restart(t->caught[0].sig);
		else
			restart = false;
		if (restart) {
			f->rax = f->orig_rax;
			/* back onto the `syscall` instruction (for a call from a
			 * patched site, its stub's copy of it) */
			f->rip = t->rewind_rip ? t->rewind_rip : f->rip - 2;
		} else {
			f->rax = (uint64_t)-EINTR;
		}
	}
	frame_to_sigcontext(f, &uc->uc_mcontext);
	uint64_t saved = t->restore_mask ? t->saved_mask : t->sigmask;
	for (int i = 0; i < n; i++) {
		deliver(uc, t->caught[i].sig, &t->caught[i].info, saved);
		saved = t->sigmask;
	}
	if (t->restore_mask && n == 0)
		t->sigmask = t->saved_mask;
	t->restore_mask = false;
	t->ncaught = 0;
	uc->uc_sigmask = host_mask_of(t->sigmask);
	signal_publish_blocked(t);
}

void signal_exec_reset(void)
{
	for (int sig = 1; sig <= PICO_NSIG; sig++) {
		struct guest_sigaction *a = action_of(sig);
		if (a->handler != (uint64_t)SIG_IGN)
			rt_memset(a, 0, sizeof *a);
		else
			a->flags = 0;
	}
	struct pico_thread *t = current();
	t->ss_sp = 0;
	t->ss_size = 0;
	t->ss_flags = SS_DISABLE;
	signal_publish_chld();
}

void signal_publish_chld(void)
{
	struct guest_sigaction *a = action_of(SIGCHLD);
	uint32_t set = 0;
	if (a->handler == (uint64_t)SIG_IGN || (a->flags & SA_NOCLDWAIT))
		set |= TF_NOCLDWAIT;
	if (a->flags & SA_NOCLDSTOP)
		set |= TF_NOCLDSTOP;
	task_set_flags(set, (TF_NOCLDWAIT | TF_NOCLDSTOP) & ~set);
}

void signal_fpu_reset(struct ucontext *uc)
{
	fpstate_reset((struct _fpstate_64 *)uc->uc_mcontext.fpstate);
}
