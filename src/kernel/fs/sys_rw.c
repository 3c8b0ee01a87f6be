/* read/write and the rest of the data-transfer family. */
#include "vfs.h"
#include "../syscalls.h"

/* Data moves straight between the host fd and guest memory: the host
 * kernel checks the guest buffer and answers -EFAULT itself, and the
 * provider window is refused first. */
static long rw(int nr, int fd, const void *buf, size_t n)
{
	if (n && !guest_range_ok((uint64_t)buf, n))
		return -EFAULT;
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r;
	if ((f->flags & O_PATH))
		r = -EBADF;
	else
		r = host_syscall3(nr, f->host_fd, buf, n);
	file_put(f);
	return r;
}

long sys_read(int fd, void *buf, size_t n)
{
	return rw(__NR_read, fd, buf, n);
}

long sys_write(int fd, const void *buf, size_t n)
{
	return rw(__NR_write, fd, buf, n);
}
