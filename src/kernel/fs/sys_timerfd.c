/* timerfd_create, timerfd_settime, timerfd_gettime: host timerfds behind
 * guest fds.  The host keeps the timer, counts expirations, answers the
 * 8-byte read (EAGAIN when nonblocking, ECANCELED for
 * TFD_TIMER_CANCEL_ON_SET after a clock change) and checks clocks and
 * flags, all as Linux; the privilege for the *_ALARM clocks is the
 * guest's.  The provider
 * maps the fd and copies the itimerspecs through its own buffers, in
 * Linux's order: the new value is read before any other check, the old
 * one written after the timer was set. */
#include "vfs.h"
#include "io.h"
#include "../syscalls.h"
#include "../proc/caps.h"
#include <linux/time.h>

struct kitimerspec {
	long it_interval[2];
	long it_value[2];
};

long sys_timerfd_create(int clockid, int flags)
{
	long hfd = host_syscall2(__NR_timerfd_create, clockid, flags | O_CLOEXEC);
	/* The alarm clocks need the guest's CAP_WAKE_ALARM, not only the
	 * host's (a root world's host process has it for any guest).  The
	 * host made Linux's earlier checks (flags, clock). */
	if (hfd >= 0 && (clockid == CLOCK_REALTIME_ALARM ||
			 clockid == CLOCK_BOOTTIME_ALARM) &&
	    !capable(CAP_WAKE_ALARM)) {
		host_syscall1(__NR_close, hfd);
		return -EPERM;
	}
	return fd_install_host_object(hfd, O_RDWR, flags);
}

long sys_timerfd_settime(int fd, int flags, const void *unew, void *uold)
{
	struct kitimerspec nv, ov;
	if (copy_from_user(&nv, unew, sizeof nv) < 0)
		return -EFAULT;
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall4(__NR_timerfd_settime, hfd, flags, &nv,
			       uold ? &ov : NULL);
	io_put(f);
	if (r == 0 && uold && copy_to_user(uold, &ov, sizeof ov) < 0)
		return -EFAULT;
	return r;
}

long sys_timerfd_gettime(int fd, void *ucur)
{
	struct kitimerspec cur;
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall2(__NR_timerfd_gettime, hfd, &cur);
	io_put(f);
	if (r == 0 && copy_to_user(ucur, &cur, sizeof cur) < 0)
		return -EFAULT;
	return r;
}
