/* Signal state: dispositions, the mask and the alternate stack are
 * recorded with Linux's checks.  Delivery is the signals issue's work;
 * until then the host's default actions apply to host-raised signals. */
#include "../proc/proc.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/signal.h>

#ifndef SS_ONSTACK
#define SS_ONSTACK 1
#define SS_DISABLE 2
#endif
#define SS_AUTODISARM (1U << 31)

#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

long sys_rt_sigaction(int sig, const void *uact, void *uoact, size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	if (sig < 1 || sig > PICO_NSIG)
		return -EINVAL;
	struct guest_sigaction *cur = &proc.sigactions[sig - 1];
	struct guest_sigaction act;
	if (uact) {
		if (copy_from_user(&act, uact, sizeof act) < 0)
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
	}
	if (uoact && copy_to_user(uoact, cur, sizeof *cur) < 0)
		return -EFAULT;
	if (uact) {
		act.mask &= ~UNBLOCKABLE;
		*cur = act;
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
	uint64_t none = 0; /* nothing is ever pending before delivery exists */
	return copy_to_user(uset, &none, setsize);
}

long sys_sigaltstack(const void *uss, void *uoss)
{
	struct pico_thread *t = current();
	struct {
		uint64_t sp;
		int flags;
		int pad;
		uint64_t size;
	} ss, old = { t->ss_sp, t->ss_size ? t->ss_flags : SS_DISABLE, 0,
		      t->ss_size };
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
		int mode = ss.flags & ~SS_AUTODISARM;
		if (mode == SS_DISABLE) {
			t->ss_sp = 0;
			t->ss_size = 0;
			t->ss_flags = SS_DISABLE;
		} else {
			if (ss.size < 2048) /* MINSIGSTKSZ */
				return -ENOMEM;
			t->ss_sp = ss.sp;
			t->ss_size = ss.size;
			t->ss_flags = ss.flags & SS_AUTODISARM;
		}
	}
	return 0;
}
