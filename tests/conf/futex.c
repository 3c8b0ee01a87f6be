/* futex between threads: WAIT (value check, relative timeout, EINTR-free
 * wake), WAKE counts, WAIT_BITSET with absolute deadlines on both clocks,
 * WAKE_BITSET masks, REQUEUE and CMP_REQUEUE, WAKE_OP, and the errors for
 * bad and misaligned addresses. */
#include "tap.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static long fx(uint32_t *a, int op, uint32_t v, const void *ts, uint32_t *a2, uint32_t v3)
{
	return syscall(SYS_futex, a, op, v, ts, a2, v3);
}

static uint32_t word, word2;
static atomic_int woken, started;

struct wait_arg {
	uint32_t *addr;
	int op;
	uint32_t mask;
};

static void *waiter(void *p)
{
	struct wait_arg *w = p;
	atomic_fetch_add(&started, 1);
	long r = w->op == FUTEX_WAIT_BITSET_PRIVATE
			 ? fx(w->addr, w->op, 0, NULL, NULL, w->mask)
			 : fx(w->addr, w->op, 0, NULL, NULL, 0);
	if (r == 0)
		atomic_fetch_add(&woken, 1);
	return NULL;
}

/* Starts n waiters on addr and gives them time to sleep. */
static void start_waiters(pthread_t *t, struct wait_arg *w, int n)
{
	atomic_store(&started, 0);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, waiter, &w[i]);
	while (atomic_load(&started) < n)
		usleep(1000);
	usleep(50000); /* into the kernel's wait */
}

/* Wakes until everyone is woken (cleanup after a partial wake). */
static void drain(uint32_t *addr, pthread_t *t, int n)
{
	for (int i = 0; i < 200 && atomic_load(&woken) < n; i++) {
		fx(addr, FUTEX_WAKE_PRIVATE, 1000, NULL, NULL, 0);
		usleep(2000);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static int wait_woken(int n)
{
	for (int i = 0; i < 500 && atomic_load(&woken) < n; i++)
		usleep(1000);
	usleep(20000); /* and no more than n */
	return atomic_load(&woken);
}

static pthread_mutex_t pim;
static long pi_count;
static void *pi_worker(void *a)
{
	(void)a;
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&pim);
		pi_count++;
		pthread_mutex_unlock(&pim);
	}
	return NULL;
}

static uint32_t piword;
static long pi_other_result;
static void *pi_other(void *a)
{
	(void)a;
	pi_other_result = syscall(SYS_futex, &piword, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == -1 ? errno : 0;
	long r = syscall(SYS_futex, &piword, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	pi_other_result |= (r == -1 && errno == EPERM) ? 0x100 : 0;
	return NULL;
}

static long waitv_result = -1;
static void *waitv_waiter(void *p)
{
	waitv_result = syscall(SYS_futex_waitv, p, 2, 0, NULL, CLOCK_MONOTONIC);
	return NULL;
}

/* Requeue-PI: a condition word and a PI lock word. */
static uint32_t cond_word, pi_mutex;
static atomic_int rq_tid, rq_result = -1, rq_owned;

static void *requeue_waiter(void *a)
{
	(void)a;
	rq_tid = (int)syscall(SYS_gettid);
	uint32_t seq = cond_word;
	long r = fx(&cond_word, FUTEX_WAIT_REQUEUE_PI_PRIVATE, seq, NULL, &pi_mutex, 0);
	rq_result = r == 0 ? 0 : errno;
	rq_owned = (pi_mutex & FUTEX_TID_MASK) == (uint32_t)rq_tid;
	if (r == 0)
		fx(&pi_mutex, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void test_requeue_pi(void)
{
	uint32_t me = (uint32_t)syscall(SYS_gettid);
	struct timespec past = { 0, 0 };
	fails_with(fx(&cond_word, FUTEX_WAIT_REQUEUE_PI_PRIVATE, cond_word + 1, NULL, &pi_mutex, 0), EAGAIN,
		   "FUTEX_WAIT_REQUEUE_PI on a changed word");
	fails_with(fx(&cond_word, FUTEX_WAIT_REQUEUE_PI_PRIVATE, cond_word, NULL, &cond_word, 0), EINVAL,
		   "FUTEX_WAIT_REQUEUE_PI onto the same word");
	fails_with(fx(&cond_word, FUTEX_WAIT_REQUEUE_PI_PRIVATE, cond_word, &past, &pi_mutex, 0), ETIMEDOUT,
		   "FUTEX_WAIT_REQUEUE_PI with a deadline past");
	fails_with(fx(&cond_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, NULL, &pi_mutex, cond_word), EINVAL,
		   "FUTEX_CMP_REQUEUE_PI waking 2");
	fails_with(fx(&cond_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, NULL, &pi_mutex, cond_word + 1), EAGAIN,
		   "FUTEX_CMP_REQUEUE_PI with a stale value");
	ok(fx(&cond_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, NULL, &pi_mutex, cond_word) == 0,
	   "FUTEX_CMP_REQUEUE_PI with no waiter: 0");

	/* The lock is free: the waiter returns owning it. */
	pthread_t t;
	pthread_create(&t, NULL, requeue_waiter, NULL);
	usleep(100 * 1000);
	cond_word++;
	long n = fx(&cond_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, &pi_mutex, cond_word);
	pthread_join(t, NULL);
	ok(n == 1 && rq_result == 0 && rq_owned, "a waiter woken by FUTEX_CMP_REQUEUE_PI returns owning the lock");
	ok(pi_mutex == 0, "and unlocks it");

	/* The lock is held: the waiter gets it when the holder lets go. */
	ok(fx(&pi_mutex, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0, "lock the PI word");
	rq_result = -1;
	pthread_create(&t, NULL, requeue_waiter, NULL);
	usleep(100 * 1000);
	cond_word++;
	n = fx(&cond_word, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, &pi_mutex, cond_word);
	usleep(100 * 1000);
	ok(n == 1 && rq_result == -1, "the requeued waiter waits for the lock");
	ok((pi_mutex & FUTEX_TID_MASK) == me && (pi_mutex & FUTEX_WAITERS), "the lock word shows waiters");
	ok(fx(&pi_mutex, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0, "unlock it");
	pthread_join(t, NULL);
	ok(rq_result == 0 && rq_owned, "the waiter returned owning the lock");
}

int main(void)
{
	struct timespec rel = { 0, 20 * 1000 * 1000 };
	word = 1;
	fails_with(fx(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN, "FUTEX_WAIT when the word differs");
	word = 0;
	fails_with(fx(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), ETIMEDOUT, "FUTEX_WAIT with a 20 ms timeout");
	struct timespec now, abs;
	clock_gettime(CLOCK_MONOTONIC, &now);
	abs = now;
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	fails_with(fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT,
		   "FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline");
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	fails_with(fx(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
		   ETIMEDOUT, "FUTEX_WAIT_BITSET with an absolute CLOCK_REALTIME deadline");
	fails_with(fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0), EINVAL, "FUTEX_WAIT_BITSET with mask 0");
	fails_with(fx((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EINVAL,
		   "FUTEX_WAIT on a misaligned word");
	fails_with(fx((uint32_t *)16, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT, "FUTEX_WAIT on an unmapped word");
	ok(fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0, "FUTEX_WAKE with no waiter wakes 0");

	/* WAKE counts. */
	pthread_t t[4];
	struct wait_arg w[4];
	for (int i = 0; i < 4; i++)
		w[i] = (struct wait_arg){ &word, FUTEX_WAIT_PRIVATE, 0 };
	atomic_store(&woken, 0);
	start_waiters(t, w, 4);
	ok(fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 1, "FUTEX_WAKE(1) with 4 waiters returns 1");
	ok(wait_woken(1) == 1, "exactly one waiter woke");
	ok(fx(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 3, "FUTEX_WAKE(10) wakes the other 3");
	drain(&word, t, 4);

	/* WAKE_BITSET wakes only waiters whose mask meets its own. */
	for (int i = 0; i < 4; i++)
		w[i] = (struct wait_arg){ &word, FUTEX_WAIT_BITSET_PRIVATE, i < 2 ? 1u : 2u };
	atomic_store(&woken, 0);
	start_waiters(t, w, 4);
	ok(fx(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2) == 2, "FUTEX_WAKE_BITSET(mask 2) wakes the 2 with mask 2");
	ok(fx(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 1) == 2, "mask 1 wakes the other 2");
	drain(&word, t, 4);

	/* REQUEUE: wake 1, move the rest to word2. */
	for (int i = 0; i < 4; i++)
		w[i] = (struct wait_arg){ &word, FUTEX_WAIT_PRIVATE, 0 };
	atomic_store(&woken, 0);
	start_waiters(t, w, 4);
	ok(fx(&word, FUTEX_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)10, &word2, 0) == 4,
	   "FUTEX_REQUEUE wakes 1 and requeues 3 (returns 4)");
	ok(wait_woken(1) == 1, "one woke");
	ok(fx(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 0, "none is left on the first word");
	ok(fx(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 3, "the 3 wait on the second word");
	drain(&word2, t, 4);

	/* CMP_REQUEUE checks the word first. */
	word = 0;
	fails_with(fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)1, &word2, 5), EAGAIN,
		   "FUTEX_CMP_REQUEUE when the word is not val3");
	for (int i = 0; i < 2; i++)
		w[i] = (struct wait_arg){ &word, FUTEX_WAIT_PRIVATE, 0 };
	atomic_store(&woken, 0);
	start_waiters(t, w, 2);
	ok(fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)1, &word2, 0) == 1,
	   "FUTEX_CMP_REQUEUE(0 woken, 1 moved) returns 1");
	ok(fx(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 1, "the moved waiter is on the second word");
	ok(fx(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 1, "the other is still on the first");
	drain(&word, t, 2);

	/* WAKE_OP: word2 = word2 + 1 (old 0), wake 1 on word, and on word2
	 * too when old == 0. */
	word2 = 0;
	w[0] = (struct wait_arg){ &word, FUTEX_WAIT_PRIVATE, 0 };
	atomic_store(&woken, 0);
	start_waiters(t, w, 1);
	uint32_t op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);
	ok(fx(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)(uintptr_t)1, &word2, op) == 1,
	   "FUTEX_WAKE_OP wakes the waiter on the first word");
	ok(word2 == 1, "and added 1 to the second word (%u)", word2);
	drain(&word, t, 1);
	word = word2 = 0;

	/* futex_waitv: any of several words. */
	struct futex_waitv v[2] = {
		{ .val = 0, .uaddr = (uintptr_t)&word, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
		{ .val = 0, .uaddr = (uintptr_t)&word2, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
	};
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	fails_with(syscall(SYS_futex_waitv, v, 2, 0, &abs, CLOCK_MONOTONIC), ETIMEDOUT,
		   "futex_waitv on 2 words with a 20 ms deadline");
	word2 = 1;
	fails_with(syscall(SYS_futex_waitv, v, 2, 0, NULL, CLOCK_MONOTONIC), EAGAIN,
		   "futex_waitv when the second word differs");
	word2 = 0;
	fails_with(syscall(SYS_futex_waitv, v, 0, 0, NULL, CLOCK_MONOTONIC), EINVAL, "futex_waitv of no word");
	fails_with(syscall(SYS_futex_waitv, v, 2, 1, NULL, CLOCK_MONOTONIC), EINVAL, "futex_waitv with flags");
	fails_with(syscall(SYS_futex_waitv, (void *)16, 2, 0, NULL, CLOCK_MONOTONIC), EFAULT,
		   "futex_waitv from a bad pointer");
	pthread_t wt;
	atomic_store(&woken, 0);
	pthread_create(&wt, NULL, waitv_waiter, v);
	usleep(50000);
	ok(fx(&word2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 1, "a wake of the second word");
	pthread_join(wt, NULL);
	ok(waitv_result == 1, "futex_waitv returns the index of the woken word (%ld)", waitv_result);

	/* PI locks: the word protocol and its errors, and a priority-
	 * inheritance mutex under contention. */
	piword = 0;
	pid_t me = (pid_t)syscall(SYS_gettid);
	ok(fx(&piword, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0 && piword == (uint32_t)me,
	   "FUTEX_LOCK_PI on a free word stores the caller's tid");
	fails_with(fx(&piword, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK, "FUTEX_LOCK_PI of a word the caller owns");
	pthread_create(&wt, NULL, pi_other, NULL);
	pthread_join(wt, NULL);
	ok(pi_other_result == (EAGAIN | 0x100), "another thread: TRYLOCK_PI is EAGAIN, UNLOCK_PI is EPERM (%#lx)",
	   pi_other_result);
	ok(fx(&piword, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0 && piword == 0, "FUTEX_UNLOCK_PI frees the word");
	fails_with(fx(&piword, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM, "FUTEX_UNLOCK_PI of a free word");
	ok(fx(&piword, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0 && piword == (uint32_t)me,
	   "FUTEX_TRYLOCK_PI on a free word");
	fx(&piword, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);

	pthread_mutexattr_t pa;
	pthread_mutexattr_init(&pa);
	pthread_mutexattr_setprotocol(&pa, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&pim, &pa);
	pthread_t pt[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&pt[i], NULL, pi_worker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(pt[i], NULL);
	ok(pi_count == 20000, "a PTHREAD_PRIO_INHERIT mutex: 4 threads x 5000 locked increments = %ld", pi_count);
	ok(pthread_mutex_trylock(&pim) == 0 && pthread_mutex_unlock(&pim) == 0, "then trylock and unlock it");
	test_requeue_pi();
	return tap_done();
}
