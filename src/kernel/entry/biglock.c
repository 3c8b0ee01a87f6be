/* The provider lock: one per pico process, held by a thread while it
 * serves a system call.
 *
 * The provider's shared state (fd table, mappings, signal actions, the
 * cwd, identity) was written for one thread; with threads, serving one
 * call at a time per process keeps it consistent without a lock per
 * object.  The lock is released around every host call that may wait
 * (intr_call: pipe and socket I/O, futex waits, sleeps, wait4), so a
 * blocked thread never holds up the others.  A three-state futex mutex
 * (0 free, 1 held, 2 held with waiters). */
#include "../kernel.h"
#include "thread.h"
#include <linux/futex.h>

static uint32_t biglock;

void provider_lock(void)
{
	uint32_t c = 0;
	if (__atomic_compare_exchange_n(&biglock, &c, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&biglock, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		host_syscall4(__NR_futex, &biglock, FUTEX_WAIT_PRIVATE, 2, 0);
		c = __atomic_exchange_n(&biglock, 2, __ATOMIC_ACQUIRE);
	}
}

bool provider_trylock(void)
{
	uint32_t c = 0;
	return __atomic_compare_exchange_n(&biglock, &c, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void provider_unlock(void)
{
	if (__atomic_exchange_n(&biglock, 0, __ATOMIC_RELEASE) == 2)
		host_syscall3(__NR_futex, &biglock, FUTEX_WAKE_PRIVATE, 1);
}

/* A forked child has one thread, the one that forked inside a call:
 * the lock it inherited is its own. */
void provider_lock_reset_after_fork(void)
{
	__atomic_store_n(&biglock, 1, __ATOMIC_RELAXED);
}

void provider_lock_drop(void)
{
	if (current()->holds_lock)
		provider_unlock();
}

void provider_lock_retake(void)
{
	if (current()->holds_lock)
		provider_lock();
}

long host_call_unlocked(long nr, long a, long b, long c, long d, long e,
			long f)
{
	provider_lock_drop();
	long r = host_syscall6(nr, a, b, c, d, e, f);
	provider_lock_retake();
	return r;
}
