/* futex: passed to the host for the wait, wake, requeue and wake-op
 * operations.  Guest futex words are host memory of the same process, so
 * the host's queues are the guest's.
 *
 * The PI lock operations carry the owner's tid in the word, which the host
 * would read as a host tid, so the provider does them itself on the plain
 * wait and wake: the same word protocol (owner tid, FUTEX_WAITERS,
 * FUTEX_OWNER_DIED), the same errors, but no priority boost of the owner.
 * The PI requeue operations (condition variables over PI mutexes) are
 * built the same way: a waiter sleeps on the condition word and, once
 * woken, takes the PI lock itself; the requeue wakes the waiters it would
 * have moved, and they queue on the lock word instead of being moved
 * there. */
#include "../kernel.h"
#include "../syscalls.h"
#include "../signal/signal.h"
#include "../entry/thread.h"
#include <linux/futex.h>
#include <linux/time_types.h>

static bool has_timeout(int cmd)
{
	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
}

/* The address the host may use for the guest's futex word.  A word in
 * the provider window must never reach the host (a wait would compare
 * provider memory, a shared wake could wake a provider waiter): it is
 * moved to the same offset of page 0, which is never mapped, so the host
 * gives what it gives natively for unmapped memory (-EINVAL when
 * misaligned, -EFAULT for a wait, 0 for a private wake).  Addresses past
 * the user half go as they are: the host refuses them before any access. */
static uint64_t host_uaddr(uint64_t a)
{
	if (guest_range_ok(a, sizeof(uint32_t)) || a >= PICOS_USER_TOP)
		return a;
	return a & (RT_PAGE_SIZE - 1);
}

static int my_tid(void)
{
	return current()->tid;
}

/* Takes a PI lock word for the caller.  A waiter that gets it sets
 * FUTEX_WAITERS too: others may still sleep, and that bit sends their
 * owner's unlock through the kernel (here), which wakes the next. */
static long pi_lock(uint32_t *uaddr, int op, int cmd,
		    const struct __kernel_timespec *kt)
{
	if ((uint64_t)uaddr & 3)
		return -EINVAL;
	uint32_t tid = (uint32_t)my_tid();
	int priv = op & FUTEX_PRIVATE_FLAG;
	/* LOCK_PI's deadline is on CLOCK_REALTIME, LOCK_PI2's on the clock
	 * the flag names; both absolute. */
	int clock = (cmd == FUTEX_LOCK_PI || (op & FUTEX_CLOCK_REALTIME))
			    ? FUTEX_CLOCK_REALTIME
			    : 0;
	bool waited = false;
	for (;;) {
		uint32_t v;
		if (copy_from_user(&v, uaddr, 4) < 0)
			return -EFAULT;
		uint32_t owner = v & FUTEX_TID_MASK;
		if (owner == tid)
			return -EDEADLK;
		if (owner == 0) {
			/* Free (perhaps with OWNER_DIED, which stays for the
			 * new owner to see). */
			uint32_t nv = tid | (v & FUTEX_OWNER_DIED) |
				      (waited ? FUTEX_WAITERS : 0);
			long r = cmpxchg_user32(uaddr, v, nv);
			if (r < 0)
				return r;
			if ((uint32_t)r == v)
				return 0;
			continue;
		}
		if (cmd == FUTEX_TRYLOCK_PI)
			return -EAGAIN;
		if (!(v & FUTEX_WAITERS)) {
			long r = cmpxchg_user32(uaddr, v, v | FUTEX_WAITERS);
			if (r < 0)
				return r;
			if ((uint32_t)r != v)
				continue;
			v |= FUTEX_WAITERS;
		}
		waited = true;
		long r = intr_call(__NR_futex, (long)host_uaddr((uint64_t)uaddr),
				   FUTEX_WAIT_BITSET | priv | clock, v, (long)kt, 0,
				   FUTEX_BITSET_MATCH_ANY);
		if (r == -ETIMEDOUT)
			return r;
		if (r == -EINTR && signal_interrupts())
			return -ERESTARTNOINTR; /* Linux restarts a PI lock */
		if (r < 0 && r != -EAGAIN && r != -EINTR)
			return r;
	}
}

static long pi_unlock(uint32_t *uaddr, int op)
{
	if ((uint64_t)uaddr & 3)
		return -EINVAL;
	uint32_t tid = (uint32_t)my_tid();
	for (;;) {
		uint32_t v;
		if (copy_from_user(&v, uaddr, 4) < 0)
			return -EFAULT;
		if ((v & FUTEX_TID_MASK) != tid)
			return -EPERM;
		long r = cmpxchg_user32(uaddr, v, 0);
		if (r < 0)
			return r;
		if ((uint32_t)r != v)
			continue;
		if (v & FUTEX_WAITERS)
			host_syscall6l(__NR_futex, host_uaddr((uint64_t)uaddr),
				       FUTEX_WAKE | (op & FUTEX_PRIVATE_FLAG), 1,
				       0, 0, 0);
		return 0;
	}
}

/* FUTEX_WAIT_REQUEUE_PI: wait on uaddr while it holds val, then return
 * holding the PI lock at uaddr2 (or its error).  Both steps share the
 * absolute deadline (CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME). */
static long wait_requeue_pi(uint32_t *uaddr, int op, uint32_t val,
			    const void *utimeout, uint32_t *uaddr2)
{
	if (((uint64_t)uaddr | (uint64_t)uaddr2) & 3 || uaddr == uaddr2)
		return -EINVAL;
	struct __kernel_timespec kts;
	if (utimeout && copy_from_user(&kts, utimeout, sizeof kts) < 0)
		return -EFAULT;
	int priv = op & FUTEX_PRIVATE_FLAG;
	int clock = op & FUTEX_CLOCK_REALTIME;
	long r = intr_call(__NR_futex, (long)host_uaddr((uint64_t)uaddr),
			   FUTEX_WAIT_BITSET | priv | clock, val,
			   utimeout ? (long)&kts : 0, 0, FUTEX_BITSET_MATCH_ANY);
	if (r == -EINTR)
		return signal_interrupts() ? -ERESTARTNOINTR : -EAGAIN;
	if (r < 0)
		return r;
	/* LOCK_PI2 takes the deadline on the clock the flag names.  Once
	 * woken, a signal cannot restart the whole call (it would wait on
	 * uaddr again): Linux answers EAGAIN then, and so does this. */
	r = pi_lock(uaddr2, priv | clock, FUTEX_LOCK_PI2, utimeout ? &kts : NULL);
	return r == -ERESTARTNOINTR ? -EAGAIN : r;
}

/* FUTEX_CMP_REQUEUE_PI: Linux wakes one waiter and moves up to
 * nr_requeue more to the PI lock; here all of them are woken (atomically
 * with the compare) and go for the lock themselves. */
static long cmp_requeue_pi(uint32_t *uaddr, int op, uint32_t nr_wake,
			   long nr_requeue, uint32_t *uaddr2, uint32_t cmpval)
{
	if (nr_wake != 1 || nr_requeue < 0 || uaddr == uaddr2 ||
	    ((uint64_t)uaddr2 & 3))
		return -EINVAL;
	if (nr_requeue > 0x7ffffffe)
		nr_requeue = 0x7ffffffe;
	/* A plain compare-and-requeue that moves nobody: compare, wake. */
	return host_syscall6l(__NR_futex, host_uaddr((uint64_t)uaddr),
			      FUTEX_CMP_REQUEUE | (op & FUTEX_PRIVATE_FLAG),
			      (uint64_t)(1 + nr_requeue), 0,
			      host_uaddr((uint64_t)uaddr2), cmpval);
}

long sys_futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout,
	       uint32_t *uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	struct __kernel_timespec kts;
	const void *t = timeout;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		break;
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		if (timeout && copy_from_user(&kts, timeout, sizeof kts) < 0)
			return -EFAULT;
		return pi_lock(uaddr, op, cmd, timeout ? &kts : NULL);
	case FUTEX_TRYLOCK_PI:
		return pi_lock(uaddr, op, cmd, NULL);
	case FUTEX_UNLOCK_PI:
		return pi_unlock(uaddr, op);
	case FUTEX_WAIT_REQUEUE_PI:
		return wait_requeue_pi(uaddr, op, val, timeout, uaddr2);
	case FUTEX_CMP_REQUEUE_PI:
		return cmp_requeue_pi(uaddr, op, val, (long)timeout, uaddr2,
				      val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_WAKE_OP:
		/* `timeout` is a count (val2) here, not a pointer. */
		return host_syscall6l(__NR_futex, host_uaddr((uint64_t)uaddr),
				      op, val, (uint64_t)timeout,
				      host_uaddr((uint64_t)uaddr2), val3);
	default:
		return -ENOSYS;
	}
	/* Linux reads the timeout before anything else. */
	if (timeout && has_timeout(cmd)) {
		if (copy_from_user(&kts, timeout, sizeof kts) < 0)
			return -EFAULT;
		t = &kts;
	}
	if (!has_timeout(cmd))
		return host_syscall6l(__NR_futex, host_uaddr((uint64_t)uaddr),
				      op, val, t, 0, val3);
	/* A wait is interruptible by guest signals. */
	for (;;) {
		long r = intr_call(__NR_futex, (long)host_uaddr((uint64_t)uaddr),
				   op, val, (long)t, 0, val3);
		if (r != -EINTR)
			return r;
		if (signal_interrupts())
			return timeout ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
	}
}

#ifndef __NR_futex_waitv
#define __NR_futex_waitv 449
#endif

/* futex_waitv: the waiters are copied in and their words moved the way
 * FUTEX_WAIT's are; the host waits (interruptibly).  The deadline is
 * absolute, so an interrupted wait may simply start again. */
long sys_futex_waitv(const struct futex_waitv *uwaiters, unsigned nr,
		     unsigned flags, const void *utimeout, int clockid)
{
	struct futex_waitv w[FUTEX_WAITV_MAX];
	struct __kernel_timespec kts;
	/* Linux's order: the arguments, the clock (only with a timeout),
	 * then the timeout and the waiters are read. */
	if (flags || nr == 0 || nr > FUTEX_WAITV_MAX || !uwaiters)
		return -EINVAL;
	if (utimeout && clockid != 0 /* CLOCK_REALTIME */ &&
	    clockid != 1 /* CLOCK_MONOTONIC */)
		return -EINVAL;
	if (utimeout && copy_from_user(&kts, utimeout, sizeof kts) < 0)
		return -EFAULT;
	if (copy_from_user(w, uwaiters, sizeof w[0] * nr) < 0)
		return -EFAULT;
	for (unsigned i = 0; i < nr; i++)
		w[i].uaddr = host_uaddr(w[i].uaddr);
	for (;;) {
		long r = intr_call(__NR_futex_waitv, (long)w, nr, 0,
				   utimeout ? (long)&kts : 0, clockid, 0);
		if (r != -EINTR)
			return r;
		if (signal_interrupts())
			return -ERESTARTSYS;
	}
}
