/* The dispatcher every entry path calls: table lookup, statistics, trace. */
#include "../kernel.h"
#include "entry.h"
#include "thread.h"
#include "seccomp_bpf.h"
#include <linux/time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	host_syscall2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void count(unsigned long nr, long ret, uint64_t ns)
{
	struct picos_sc_stat *s = &popts.world->stats[nr];
	__atomic_fetch_add(&s->calls, 1, __ATOMIC_RELAXED);
	if (host_is_err(ret))
		__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->ns, ns, __ATOMIC_RELAXED);
}

/* The provider lock's mode for a call's lock class (syscalls.def). */
static int lock_mode(const struct sc_entry *e)
{
	if (!e)
		return PL_NONE; /* -ENOSYS touches nothing */
	switch (e->lock) {
	case LOCK_NONE:
		return PL_NONE;
	case LOCK_FD:
	case LOCK_MM:
		return PL_SHARED;
	default:
		return PL_EXCL;
	}
}

/* Runs the handler under its lock; a shared call that met state only the
 * exclusive side guards (-EPICO_EXCL, nothing changed yet) runs again
 * exclusive. */
static long run_locked(const struct sc_entry *e, struct pico_frame *f)
{
	struct pico_thread *t = current();
	if (!e || !e->fn)
		return -ENOSYS;
	int mode = lock_mode(e);
	for (;;) {
		provider_lock_mode(mode);
		t->holds_lock = (uint8_t)mode;
		long ret = e->fn((long)f->rdi, (long)f->rsi, (long)f->rdx,
				 (long)f->r10, (long)f->r8, (long)f->r9);
		t->holds_lock = PL_NONE;
		provider_unlock_mode(mode);
		if (ret != -EPICO_EXCL || mode != PL_SHARED)
			return ret;
		mode = PL_EXCL;
	}
}

void pico_dispatch(struct pico_frame *f)
{
	struct pico_thread *t = current();
	unsigned long nr = f->orig_rax;
	const struct sc_entry *e = nr < SC_TABLE_SIZE ? &sc_table[nr] : NULL;
	bool observe = popts.trace_fd >= 0 || popts.stats;
	uint64_t t0 = popts.stats ? now_ns() : 0;

	t->frame = f;
	t->cur_nr = (long)nr;
	/* The guest's own seccomp filters see the call first; without one
	 * this is the only cost. */
	if (__builtin_expect(t->seccomp_mode != 0, 0)) {
		long sret;
		if (!seccomp_admit(f, &sret)) {
			f->rax = (uint64_t)sret;
			t->cur_nr = -1;
			if (popts.trace_fd >= 0)
				trace_syscall(e, nr, f, sret, true, NULL);
			return;
		}
	}
	if (observe && e && e->ret == R_NONE) {
		/* Calls that do not return are shown before they run. */
		if (popts.stats)
			count(nr, 0, 0);
		if (popts.trace_fd >= 0)
			trace_syscall(e, nr, f, 0, false, NULL);
	}
	/* A successful exec replaces the memory its arguments were in. */
	char call[512];
	bool early = popts.trace_fd >= 0 &&
		     (nr == __NR_execve || nr == __NR_execveat);
	if (early)
		trace_call_text(e, nr, f, call, sizeof call);

	int dc = dcache_call_begin(nr, f);
	long ret = run_locked(e, f);
	dcache_call_end(dc);
	f->rax = (uint64_t)ret;
	t->cur_nr = -1;
	if (ret == -EPICO_SLOW)
		return; /* not served: the fast path's door runs it anew */

	if (observe) {
		if (popts.stats && nr < PICOS_NR_SYSCALLS)
			count(nr, ret, now_ns() - t0);
		if (popts.trace_fd >= 0)
			trace_syscall(e, nr, f, ret, true, early ? call : NULL);
	}
}
