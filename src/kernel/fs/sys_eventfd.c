/* eventfd and eventfd2: host eventfds behind guest fds.  The host has
 * Linux's semantics (the 8-byte read and write rules, EFD_SEMAPHORE, the
 * overflow limit, readiness for poll and epoll), so the provider only
 * numbers the fd and keeps its close-on-exec bit; the host object is
 * always O_CLOEXEC.  A blocking read or write goes through io_call, so it
 * is interruptible by guest signals and restarted by Linux's rules
 * (eventfd waits answer -ERESTARTSYS). */
#include "vfs.h"
#include "../syscalls.h"

long sys_eventfd2(unsigned initval, int flags)
{
	/* The host refuses any other bit with EINVAL, as Linux does. */
	return fd_install_host_object(
		host_syscall2(__NR_eventfd2, initval, flags | O_CLOEXEC), O_RDWR,
		flags);
}

long sys_eventfd(unsigned initval)
{
	return sys_eventfd2(initval, 0);
}
