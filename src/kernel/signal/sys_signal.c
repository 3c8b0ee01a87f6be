/* Signal state: dispositions, the mask, the alternate stack, the pending
 * set, and rt_sigreturn from a guest handler.  Delivery is in deliver.c. */
#include "signal.h"
#include "../proc/proc.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>

#ifndef SS_ONSTACK
#define SS_ONSTACK 1
#define SS_DISABLE 2
#endif
#define SS_AUTODISARM (1U << 31)


long sys_rt_sigaction(int sig, const void *uact, void *uoact, size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	if (sig < 1 || sig > PICO_NSIG)
		return -EINVAL;
	struct guest_sigaction cur, act;
	sigaction_get(sig, &cur);
	if (uact) {
		if (copy_from_user(&act, uact, sizeof act) < 0)
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
	}
	if (uoact && copy_to_user(uoact, &cur, sizeof cur) < 0)
		return -EFAULT;
	if (uact) {
		act.mask &= ~UNBLOCKABLE;
		sigaction_set(sig, &act);
		if (sig == SIGCHLD)
			signal_publish_chld();
	}
	return 0;
}

long sys_rt_sigprocmask(int how, const void *uset, void *uoset,
			size_t setsize)
{
	struct pico_thread *t = current();
	if (setsize != 8)
		return -EINVAL;
	uint64_t set = 0, old = t->sigmask;
	if (uset) {
		if (copy_from_user(&set, uset, sizeof set) < 0)
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK: t->sigmask |= set; break;
		case SIG_UNBLOCK: t->sigmask &= ~set; break;
		case SIG_SETMASK: t->sigmask = set; break;
		default: return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	/* As on Linux, a bad oset fails after the mask has changed. */
	return uoset ? copy_to_user(uoset, &old, sizeof old) : 0;
}

long sys_rt_sigpending(void *uset, size_t setsize)
{
	if (setsize > 8)
		return -EINVAL;
	/* Blocked guest signals wait on the host (the host mask is the
	 * guest's while guest code runs). */
	uint64_t set = 0;
	host_syscall2(__NR_rt_sigpending, &set, 8);
	set |= signal_deferred();
	set &= current()->sigmask;
	return copy_to_user(uset, &set, setsize);
}

struct kstack {
	uint64_t sp;
	int flags;
	int pad;
	uint64_t size;
};

static bool on_altstack_now(const struct pico_thread *t, uint64_t sp)
{
	return t->ss_size && sp > t->ss_sp && sp - t->ss_sp <= t->ss_size;
}

static long restore_altstack(struct pico_thread *t, const struct kstack *ss)
{
	int mode = ss->flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		t->ss_sp = 0;
		t->ss_size = 0;
		t->ss_flags = SS_DISABLE;
		return 0;
	}
	if (ss->size < 2048) /* MINSIGSTKSZ */
		return -ENOMEM;
	t->ss_sp = ss->sp;
	t->ss_size = ss->size;
	t->ss_flags = ss->flags & SS_AUTODISARM;
	return 0;
}

long sys_sigaltstack(const void *uss, void *uoss)
{
	struct pico_thread *t = current();
	bool on = on_altstack_now(t, t->frame->rsp);
	struct kstack ss, old = { t->ss_sp,
				  on ? SS_ONSTACK
				     : t->ss_size ? t->ss_flags : SS_DISABLE,
				  0, t->ss_size };
	if (uss) {
		if (copy_from_user(&ss, uss, sizeof ss) < 0)
			return -EFAULT;
		int mode = ss.flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
	}
	if (uoss && copy_to_user(uoss, &old, sizeof old) < 0)
		return -EFAULT;
	if (uss) {
		if (on)
			return -EPERM;
		return restore_altstack(t, &ss);
	}
	return 0;
}

/* rt_sigreturn: the guest handler returned through its restorer; the
 * frame's ucontext sits at %rsp (the return address has been popped). */
#define FIX_EFLAGS 0x50dd5UL /* AC OF DF TF SF ZF AF PF CF RF */

long sys_rt_sigreturn(void)
{
	struct pico_thread *t = current();
	struct pico_frame *f = t->frame;
	struct ucontext *huc = t->uc;
	struct ucontext guc;
	if (copy_from_user(&guc, (void *)f->rsp, sizeof guc) < 0)
		die_by_signal(SIGSEGV);
	const struct sigcontext *sc = &guc.uc_mcontext;
	f->r8 = sc->r8, f->r9 = sc->r9, f->r10 = sc->r10, f->r11 = sc->r11;
	f->r12 = sc->r12, f->r13 = sc->r13, f->r14 = sc->r14, f->r15 = sc->r15;
	f->rdi = sc->rdi, f->rsi = sc->rsi, f->rbp = sc->rbp, f->rbx = sc->rbx;
	f->rdx = sc->rdx, f->rax = sc->rax, f->rcx = sc->rcx, f->rsp = sc->rsp;
	f->rip = sc->rip;
	f->eflags = (f->eflags & ~FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	/* The FPU state the handler interrupted comes back from the guest's
	 * copy; the host checks it when it returns to the guest. */
	struct _fpstate_64 *hfp = (struct _fpstate_64 *)huc->uc_mcontext.fpstate;
	if (hfp && sc->fpstate) {
		size_t n = hfp->sw_reserved.magic1 == FP_XSTATE_MAGIC1
				   ? hfp->sw_reserved.extended_size
				   : sizeof(struct _fpstate_64);
		if (copy_from_user(hfp, sc->fpstate, n) < 0)
			die_by_signal(SIGSEGV);
	}
	t->sigmask = guc.uc_sigmask & ~UNBLOCKABLE;
	/* Linux restores the alternate stack from uc_stack, quietly. */
	struct kstack ss = { (uint64_t)guc.uc_stack.ss_sp, guc.uc_stack.ss_flags, 0,
		 guc.uc_stack.ss_size };
	if (!on_altstack_now(t, f->rsp))
		restore_altstack(t, &ss);
	t->frame_set = true;
	return (long)f->rax;
}
