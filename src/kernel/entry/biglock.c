/* The provider lock: one per pico process (per provider memory), taken by
 * the dispatcher around every call in the mode its lock class says
 * (syscalls.def, docs/architecture.md "Locking").
 *
 * The provider's state was written for one thread at a time, and most
 * calls still run that way: exclusive mode (class BIG).  The hot calls
 * whose state has a lock of its own (the fd table's, the memory map's)
 * take the lock shared (classes FD and MM), so threads doing I/O on their
 * own files or mapping memory run at once, yet never while a BIG call
 * runs.  A shared call that meets state only BIG guards returns
 * -EPICO_EXCL before it changed anything, and the dispatcher runs it again
 * exclusive.  Either mode is released around every host call that may
 * wait (intr_call, host_call_unlocked), so a blocked thread never holds up
 * the others.
 *
 * A reader-writer lock that prefers writers (a BIG call waits only for
 * the shared calls already running), on one futex word that every release
 * that may let a waiter in bumps. */
#include "../kernel.h"
#include "thread.h"
#include <linux/futex.h>

static struct {
	int32_t rw;	   /* shared holders, or -1 held exclusive */
	uint32_t writers;  /* exclusive takers waiting */
	uint32_t seq;	   /* futex word: bumped when a waiter may go on */
	uint32_t sleepers; /* threads in (or on their way to) FUTEX_WAIT */
} pl;

/* Waits until `ready` holds.  The sleeper count is raised before the
 * condition is read and the release bumps seq before it reads the count
 * (all sequentially consistent), so either the releaser wakes us or we
 * see its change: no wake-up is lost. */
static void wait_until(bool (*ready)(void))
{
	__atomic_add_fetch(&pl.sleepers, 1, __ATOMIC_SEQ_CST);
	uint32_t seen = __atomic_load_n(&pl.seq, __ATOMIC_SEQ_CST);
	if (!ready())
		host_syscall4(__NR_futex, &pl.seq, FUTEX_WAIT_PRIVATE, seen, 0);
	__atomic_sub_fetch(&pl.sleepers, 1, __ATOMIC_SEQ_CST);
}

static void wake_waiters(void)
{
	__atomic_add_fetch(&pl.seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&pl.sleepers, __ATOMIC_SEQ_CST))
		host_syscall3(__NR_futex, &pl.seq, FUTEX_WAKE_PRIVATE,
			      0x7fffffff);
}

static bool shared_ready(void)
{
	return __atomic_load_n(&pl.rw, __ATOMIC_SEQ_CST) >= 0 &&
	       __atomic_load_n(&pl.writers, __ATOMIC_SEQ_CST) == 0;
}

static bool excl_ready(void)
{
	return __atomic_load_n(&pl.rw, __ATOMIC_SEQ_CST) == 0;
}

void provider_lock_shared(void)
{
	for (;;) {
		int32_t v = __atomic_load_n(&pl.rw, __ATOMIC_SEQ_CST);
		if (v >= 0 && __atomic_load_n(&pl.writers, __ATOMIC_SEQ_CST) == 0) {
			if (__atomic_compare_exchange_n(&pl.rw, &v, v + 1, false,
							__ATOMIC_SEQ_CST,
							__ATOMIC_RELAXED))
				return;
			continue;
		}
		wait_until(shared_ready);
	}
}

void provider_unlock_shared(void)
{
	if (__atomic_sub_fetch(&pl.rw, 1, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_load_n(&pl.writers, __ATOMIC_SEQ_CST))
		wake_waiters();
}

void provider_lock(void)
{
	int32_t z = 0;
	if (__atomic_compare_exchange_n(&pl.rw, &z, -1, false, __ATOMIC_SEQ_CST,
					__ATOMIC_RELAXED))
		return;
	__atomic_add_fetch(&pl.writers, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		z = 0;
		if (__atomic_compare_exchange_n(&pl.rw, &z, -1, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			break;
		wait_until(excl_ready);
	}
	__atomic_sub_fetch(&pl.writers, 1, __ATOMIC_SEQ_CST);
}

bool provider_trylock(void)
{
	int32_t z = 0;
	return __atomic_compare_exchange_n(&pl.rw, &z, -1, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

void provider_unlock(void)
{
	__atomic_store_n(&pl.rw, 0, __ATOMIC_SEQ_CST);
	wake_waiters();
}

void provider_lock_mode(int mode)
{
	if (mode == PL_EXCL)
		provider_lock();
	else if (mode == PL_SHARED)
		provider_lock_shared();
}

void provider_unlock_mode(int mode)
{
	if (mode == PL_EXCL)
		provider_unlock();
	else if (mode == PL_SHARED)
		provider_unlock_shared();
}

bool provider_lock_is_shared(void)
{
	return current()->holds_lock == PL_SHARED;
}

/* A forked child has one thread, the one that forked inside a (BIG) call:
 * the provider lock it inherited is its own, exclusive, and no other
 * thread is left to hold the fd table's or the memory map's. */
void provider_lock_reset_after_fork(void)
{
	__atomic_store_n(&pl.rw, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&pl.writers, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pl.sleepers, 0, __ATOMIC_RELAXED);
	fdtable_lock_reset();
	mm_lock_reset();
}

void provider_lock_drop(void)
{
	provider_unlock_mode(current()->holds_lock);
}

void provider_lock_retake(void)
{
	provider_lock_mode(current()->holds_lock);
}

long host_call_unlocked(long nr, long a, long b, long c, long d, long e,
			long f)
{
	provider_lock_drop();
	long r = host_syscall6(nr, a, b, c, d, e, f);
	provider_lock_retake();
	return r;
}

/* The subsystem locks (the fd table's, the memory map's): a three-state
 * futex mutex (0 free, 1 held, 2 held with waiters), held only for short
 * stretches that never wait on anything but the heap's lock. */
void kmutex_lock(uint32_t *m)
{
	uint32_t c = 0;
	if (__atomic_compare_exchange_n(m, &c, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		host_syscall4(__NR_futex, m, FUTEX_WAIT_PRIVATE, 2, 0);
		c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
	}
}

void kmutex_unlock(uint32_t *m)
{
	if (__atomic_exchange_n(m, 0, __ATOMIC_RELEASE) == 2)
		host_syscall3(__NR_futex, m, FUTEX_WAKE_PRIVATE, 1);
}
