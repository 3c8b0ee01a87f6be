/* poll, ppoll, select, pselect6: guest fds become host fds, the host
 * waits, the results come back under the guest's numbers.  The host call
 * always takes a signal mask (ppoll/pselect6), the guest's own or the one
 * the guest passed, so a guest signal interrupts the wait atomically: no
 * window can lose it (intr_wait: nor one caught just before, by a call
 * from a patched site, whose host mask is the guest's meanwhile). */
#include "vfs.h"
#include "../entry/thread.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <linux/poll.h>


#define POLL_MAX_FDS (1 << 20)

/* The mask for the wait: `umask` when the guest gave one (then it is
 * restored on the way out, after any handler), else the guest's own. */
long poll_wait_mask(const void *umask, size_t size, uint64_t *hmask)
{
	struct pico_thread *t = current();
	if (umask) {
		uint64_t m;
		if (size != 8)
			return -EINVAL;
		if (copy_from_user(&m, umask, sizeof m) < 0)
			return -EFAULT;
		t->saved_mask = t->sigmask;
		t->restore_mask = true;
		t->sigmask = m & ~UNBLOCKABLE;
	}
	*hmask = host_mask_of(t->sigmask);
	return 0;
}

static long do_poll(struct pollfd *ufds, unsigned nfds, struct kts *ts,
		    const void *umask, size_t masksize)
{
	if (nfds > POLL_MAX_FDS || nfds > fd_limit)
		return -EINVAL;
	struct pollfd *p = kmalloc(sizeof *p * (nfds ? nfds : 1));
	struct file **held = kzalloc(sizeof *held * (nfds ? nfds : 1));
	long r = nfds && copy_from_user(p, ufds, sizeof *p * nfds) < 0 ? -EFAULT : 0;
	uint64_t hmask;
	if (r == 0)
		r = poll_wait_mask(umask, masksize, &hmask);
	int ready_nval = 0;
	int *gfd = kmalloc(sizeof(int) * (nfds ? nfds : 1));
	for (unsigned i = 0; r == 0 && i < nfds; i++) {
		gfd[i] = p[i].fd;
		if (p[i].fd < 0)
			continue;
		held[i] = fd_get(p[i].fd);
		if (!held[i]) {
			p[i].fd = -1; /* the host skips it; we answer POLLNVAL */
			ready_nval++;
			continue;
		}
		p[i].fd = held[i]->host_fd;
	}
	struct kts zero = { 0, 0 };
	while (r == 0) {
		r = intr_wait(__NR_ppoll, (long)p, nfds,
				  (long)(ready_nval ? &zero : ts), (long)&hmask, 8, 0);
		if (r != -EINTR)
			break;
		r = signal_interrupts() ? -ERESTARTNOHAND : 0;
	}
	if (r >= 0) {
		for (unsigned i = 0; i < nfds; i++) {
			if (gfd[i] >= 0 && !held[i]) {
				p[i].revents = POLLNVAL;
				r++;
			}
			p[i].fd = gfd[i];
		}
		if (nfds && copy_to_user(ufds, p, sizeof *p * nfds) < 0)
			r = -EFAULT;
	}
	for (unsigned i = 0; i < nfds; i++)
		if (held[i])
			file_put(held[i]);
	kfree(gfd);
	kfree(held);
	kfree(p);
	return r;
}

long sys_poll(struct pollfd *ufds, unsigned nfds, int timeout_ms)
{
	struct kts ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	return do_poll(ufds, nfds, timeout_ms < 0 ? 0 : &ts, 0, 0);
}

long sys_ppoll(struct pollfd *ufds, unsigned nfds, struct kts *uts,
	       const void *umask, size_t masksize)
{
	struct kts ts;
	long e = uts ? kts_from_user(&ts, uts) : 0;
	if (e < 0)
		return e;
	long r = do_poll(ufds, nfds, uts ? &ts : 0, umask, masksize);
	/* Linux writes the time left back. */
	if (uts && r != -EFAULT && copy_to_user(uts, &ts, sizeof ts) < 0 && r >= 0)
		r = -EFAULT;
	return r;
}

/* select's fd sets: guest bits -> host bits and back. */
#define NFDBITS_ 64
static size_t set_words(int n) { return ((size_t)n + NFDBITS_ - 1) / NFDBITS_; }
static bool bit(const uint64_t *s, int i) { return s[i / 64] >> (i % 64) & 1; }
static void setbit(uint64_t *s, int i) { s[i / 64] |= 1ULL << (i % 64); }

static long do_select(int n, void *uin, void *uout, void *uex, struct kts *ts,
		      const void *umask, size_t masksize)
{
	if (n < 0)
		return -EINVAL;
	if ((uint64_t)n > fd_limit)
		n = (int)fd_limit;
	size_t gw = set_words(n);
	void *usets[3] = { uin, uout, uex };
	uint64_t *g[3] = { 0 }, *h[3] = { 0 };
	struct file **held = kzalloc(sizeof *held * (size_t)(n ? n : 1));
	long r = 0;
	int hmax = 0;
	for (int k = 0; k < 3; k++) {
		g[k] = kzalloc(gw * 8 + 8);
		if (usets[k] && copy_from_user(g[k], usets[k], gw * 8) < 0)
			r = -EFAULT;
	}
	/* Every named fd must be open (EBADF), as on Linux. */
	for (int i = 0; r == 0 && i < n; i++) {
		if (!bit(g[0], i) && !bit(g[1], i) && !bit(g[2], i))
			continue;
		held[i] = fd_get(i);
		if (!held[i])
			r = -EBADF;
		else if (held[i]->host_fd + 1 > hmax)
			hmax = held[i]->host_fd + 1;
	}
	uint64_t hmask;
	if (r == 0)
		r = poll_wait_mask(umask, masksize, &hmask);
	size_t hw = set_words(hmax);
	for (int k = 0; k < 3; k++) {
		h[k] = kzalloc(hw * 8 + 8);
		for (int i = 0; r == 0 && i < n; i++)
			if (held[i] && bit(g[k], i))
				setbit(h[k], held[i]->host_fd);
	}
	struct { const void *ss; size_t len; } sig = { &hmask, 8 };
	while (r == 0) {
		r = intr_wait(__NR_pselect6, hmax, (long)(uin ? h[0] : 0),
				  (long)(uout ? h[1] : 0), (long)(uex ? h[2] : 0),
				  (long)ts, (long)&sig);
		if (r != -EINTR)
			break;
		r = signal_interrupts() ? -ERESTARTNOHAND : 0;
		/* The host cleared nothing on EINTR: the sets stand. */
	}
	if (r >= 0) {
		for (int k = 0; k < 3; k++) {
			rt_memset(g[k], 0, gw * 8);
			for (int i = 0; i < n; i++)
				if (held[i] && bit(h[k], held[i]->host_fd))
					setbit(g[k], i);
			if (usets[k] && copy_to_user(usets[k], g[k], gw * 8) < 0)
				r = -EFAULT;
		}
	}
	for (int i = 0; i < n; i++)
		if (held[i])
			file_put(held[i]);
	for (int k = 0; k < 3; k++) {
		kfree(g[k]);
		kfree(h[k]);
	}
	kfree(held);
	return r;
}

struct ktv {
	long sec, usec;
};

long sys_select(int n, void *in, void *out, void *ex, struct ktv *utv)
{
	struct ktv tv;
	struct kts ts;
	if (utv) {
		if (copy_from_user(&tv, utv, sizeof tv) < 0)
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0)
			return -EINVAL;
		ts.sec = tv.sec + tv.usec / 1000000;
		ts.nsec = (tv.usec % 1000000) * 1000;
	}
	long r = do_select(n, in, out, ex, utv ? &ts : 0, 0, 0);
	if (utv && r != -EFAULT) { /* Linux writes the time left back */
		tv.sec = ts.sec;
		tv.usec = ts.nsec / 1000;
		copy_to_user(utv, &tv, sizeof tv);
	}
	return r;
}

long sys_pselect6(int n, void *in, void *out, void *ex, struct kts *uts,
		  const void *usig)
{
	struct kts ts;
	struct { const void *ss; size_t len; } sig = { 0, 0 };
	long e = uts ? kts_from_user(&ts, uts) : 0;
	if (e < 0)
		return e;
	if (usig && copy_from_user(&sig, usig, sizeof sig) < 0)
		return -EFAULT;
	long r = do_select(n, in, out, ex, uts ? &ts : 0, sig.ss, sig.len);
	if (uts && r != -EFAULT)
		copy_to_user(uts, &ts, sizeof ts);
	return r;
}
