/* pipe and pipe2: host pipes behind guest fds.  The host has Linux's pipe
 * semantics (PIPE_BUF atomicity, O_DIRECT packets, EPIPE and SIGPIPE,
 * F_GETPIPE_SZ/F_SETPIPE_SZ), so the provider only numbers the ends. */
#include "../fs/vfs.h"
#include "../syscalls.h"

#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL
#endif

long sys_pipe2(int *ufds, int flags)
{
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & O_NOTIFICATION_PIPE)
		return -ENOSYS; /* watch queues: not provided */
	int hfd[2];
	long r = host_syscall2(__NR_pipe2, hfd,
			       O_CLOEXEC | (flags & (O_NONBLOCK | O_DIRECT)));
	if (r < 0)
		return r;
	int st = flags & (O_NONBLOCK | O_DIRECT);
	struct file *rd = file_new(hfd[0], O_RDONLY | st, NULL, NULL);
	struct file *wr = file_new(hfd[1], O_WRONLY | st, NULL, NULL);
	rd->blocks = wr->blocks = 2;
	return fd_install_pair(rd, wr, flags & O_CLOEXEC, ufds);
}

long sys_pipe(int *ufds)
{
	return sys_pipe2(ufds, 0);
}
