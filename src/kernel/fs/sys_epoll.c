/* epoll: a host epoll instance behind a guest fd.  Registrations name
 * guest fds, which become the host fds behind them; the event's data word
 * is the guest's and comes back untouched, so the host's ready lists are
 * the guest's.  A registration lives as long as the open file, on the
 * host as on Linux.  Waits take the guest's mask (or the one given) on the
 * host, atomically, and are never restarted (EINTR, as Linux). */
#include "vfs.h"
#include "../entry/thread.h"
#include "../signal/signal.h"
#include "../syscalls.h"

#define EPOLL_CLOEXEC O_CLOEXEC
#define EP_MAX_EVENTS (0x7fffffff / 12) /* struct epoll_event is 12 bytes */


long sys_epoll_create1(int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	long h = host_syscall1(__NR_epoll_create1, EPOLL_CLOEXEC);
	if (h < 0)
		return h;
	struct file *f = file_new((int)h, O_RDWR, NULL, NULL);
	return fd_install(f, flags & EPOLL_CLOEXEC, 0);
}

long sys_epoll_create(int size)
{
	if (size <= 0)
		return -EINVAL;
	return sys_epoll_create1(0);
}

long sys_epoll_ctl(int epfd, int op, int fd, void *uevent)
{
	struct {
		uint32_t events;
		uint64_t data;
	} __attribute__((packed)) ev;
	/* EPOLL_CTL_DEL ignores the event (Linux reads none). */
	if (op != 2 && copy_from_user(&ev, uevent, sizeof ev) < 0)
		return -EFAULT;
	struct file *ep = fd_get(epfd);
	if (!ep)
		return -EBADF;
	struct file *f = fd_get(fd);
	long r;
	if (!f)
		r = -EBADF;
	else if (f == ep)
		r = -EINVAL;
	else
		r = host_syscall4(__NR_epoll_ctl, ep->host_fd, op, f->host_fd,
				  op != 2 ? &ev : NULL);
	if (f)
		file_put(f);
	file_put(ep);
	return r;
}

/* The wait itself: `kts` (epoll_pwait2) or `ms`, with the guest's mask. */
static long ep_wait(int epfd, void *uevents, int max, int ms,
		    const struct kts *kts, bool pwait2, const void *umask,
		    size_t masksize)
{
	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!guest_range_ok((uint64_t)uevents, (uint64_t)max * 12))
		return -EFAULT;
	struct file *ep = fd_get(epfd);
	if (!ep)
		return -EBADF;
	uint64_t hmask;
	long r = poll_wait_mask(umask, masksize, &hmask);
	while (r == 0) {
		r = pwait2 ? intr_wait(__NR_epoll_pwait2, ep->host_fd,
						(long)uevents, max, (long)kts,
						(long)&hmask, 8)
			   : intr_wait(__NR_epoll_pwait, ep->host_fd,
						(long)uevents, max, ms,
						(long)&hmask, 8);
		if (r != -EINTR)
			break;
		r = signal_interrupts() ? -EINTR : 0;
	}
	file_put(ep);
	return r;
}

long sys_epoll_wait(int epfd, void *events, int max, int ms)
{
	return ep_wait(epfd, events, max, ms, NULL, false, NULL, 0);
}

long sys_epoll_pwait(int epfd, void *events, int max, int ms,
		     const void *umask, size_t masksize)
{
	return ep_wait(epfd, events, max, ms, NULL, false, umask, masksize);
}

long sys_epoll_pwait2(int epfd, void *events, int max, const void *uts,
		      const void *umask, size_t masksize)
{
	struct kts ts;
	long e = uts ? kts_from_user(&ts, uts) : 0;
	if (e < 0)
		return e;
	return ep_wait(epfd, events, max, 0, uts ? &ts : NULL, true, umask,
		       masksize);
}
