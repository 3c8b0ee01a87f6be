/* Waiting for signals: rt_sigsuspend, pause, rt_sigtimedwait. */
#include "signal.h"
#include "../proc/proc.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/signal.h>

/* Waits with `mask` as the guest's mask until a signal runs a handler or
 * ends the process.  The mask in force before comes back after the
 * handler (the frame saves it). */
static long suspend_with(uint64_t mask)
{
	struct pico_thread *t = current();
	t->saved_mask = t->sigmask;
	t->restore_mask = true;
	t->sigmask = mask & ~UNBLOCKABLE;
	uint64_t hmask = host_mask_of(t->sigmask);
	signal_publish_blocked(t);
	for (;;) {
		/* The host's sigsuspend swaps the mask atomically: no window. */
		host_call_unlocked(__NR_rt_sigsuspend, (long)&hmask, 8, 0, 0, 0, 0);
		if (signal_interrupts())
			return -ERESTARTNOHAND;
	}
}

long sys_rt_sigsuspend(const void *umask, size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	uint64_t mask;
	if (copy_from_user(&mask, umask, sizeof mask) < 0)
		return -EFAULT;
	return suspend_with(mask);
}

long sys_pause(void)
{
	return suspend_with(current()->sigmask);
}

long sys_rt_sigtimedwait(const void *uset, void *uinfo, const void *uts,
			 size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	uint64_t set;
	struct kts ts;
	if (copy_from_user(&set, uset, sizeof set) < 0)
		return -EFAULT;
	long e = uts ? kts_from_user(&ts, uts) : 0;
	if (e < 0)
		return e;
	set &= ~UNBLOCKABLE;
	for (;;) {
		siginfo_t info;
		int dsig;
		if (signal_take_deferred(set, &dsig, &info)) {
			if (!signal_translate(dsig, &info))
				continue;
			if (uinfo && copy_to_user(uinfo, &info, sizeof info) < 0)
				return -EFAULT;
			return dsig;
		}
		long r = intr_call4(__NR_rt_sigtimedwait, &set, &info,
				    uts ? &ts : 0, 8);
		if (r > 0) {
			/* A doorbell already consumed by the table is no signal. */
			if (!signal_translate((int)r, &info))
				continue;
			if (uinfo && copy_to_user(uinfo, &info, sizeof info) < 0)
				return -EFAULT;
			return r;
		}
		if (r != -EINTR)
			return r;
		if (signal_interrupts())
			return -ERESTARTNOHAND;
	}
}
