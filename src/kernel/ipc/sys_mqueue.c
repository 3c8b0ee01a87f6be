/* POSIX message queues: the host's queues, in the world's IPC namespace
 * (whose mqueue file system holds them).  A queue descriptor is a host fd
 * behind a guest fd; the provider applies the guest's umask, makes waits
 * interruptible by guest signals, and hands the host the host fd of
 * SIGEV_THREAD's netlink socket. */
#include "ipc.h"
#include "../fs/io.h"
#include "../fs/vfs.h"
#include "../syscalls.h"

#define MQ_ATTR_SIZE 64	    /* struct mq_attr: 8 longs */
#define NOTIFY_COOKIE_LEN 32 /* what SIGEV_THREAD's sival_ptr points at */
#define SIGEV_THREAD 2

/* struct sigevent as the kernel reads it (64 bytes). */
struct ksigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t pad[12];
};

long sys_mq_open(const char *uname, int oflag, unsigned mode,
		 const void *uattr)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	char name[PICOS_PATH_MAX];
	long r = copy_path_from_user(name, uname, false);
	if (r < 0)
		return r;
	/* the provider's host umask is 0: the guest's is applied here */
	const void *attr = (oflag & O_CREAT) && uattr
				   ? user_ptr_for_host(uattr, MQ_ATTR_SIZE)
				   : NULL;
	long hfd = host_syscall4(__NR_mq_open, name, oflag | O_CLOEXEC,
				 mode & ~fs_umask, attr);
	/* Linux makes every queue fd close-on-exec, whatever oflag says */
	return fd_install_host_object(hfd, oflag & O_ACCMODE, oflag | O_CLOEXEC);
}

long sys_mq_unlink(const char *uname)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	char name[PICOS_PATH_MAX];
	long r = copy_path_from_user(name, uname, false);
	return r < 0 ? r : host_syscall1(__NR_mq_unlink, name);
}

/* The length of a message buffer to check.  No message is longer than
 * the queue's mq_msgsize: a send of more is EMSGSIZE before the host
 * reads, a receive copies out at most the message, so a buffer the guest
 * may not name to its full length is checked up to mq_msgsize. */
static size_t mq_len(int hfd, const void *ubuf, size_t len)
{
	long attr[8];
	if (guest_range_ok((uint64_t)ubuf, len) ||
	    host_syscall3(__NR_mq_getsetattr, hfd, NULL, attr) < 0)
		return len;
	return RT_MIN(len, (size_t)attr[2]); /* mq_msgsize */
}

/* Sends or receives on the host queue behind guest fd `fd`.  Linux
 * restarts an interrupted wait after a handler with SA_RESTART
 * (-ERESTARTSYS): the timeout is absolute, so a restart keeps it. */
static long mq_io(long nr, int fd, void *ubuf, size_t len, long prio,
		  const void *uts)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	void *buf = user_ptr_for_host(ubuf, mq_len(hfd, ubuf, len));
	long r = ipc_wait_call(-ERESTARTSYS, nr, hfd, (long)buf, (long)len,
			       prio, uts ? (long)user_ptr_for_host(uts, 16) : 0);
	io_put(f);
	return r;
}

long sys_mq_timedsend(int fd, const char *umsg, size_t len, unsigned prio,
		      const void *uts)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return mq_io(__NR_mq_timedsend, fd, (void *)umsg, len, prio, uts);
}

long sys_mq_timedreceive(int fd, char *umsg, size_t len, unsigned *uprio,
			 const void *uts)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	return mq_io(__NR_mq_timedreceive, fd, umsg, len,
		     uprio ? (long)user_ptr_for_host(uprio, 4) : 0, uts);
}

long sys_mq_notify(int fd, const void *usev)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	struct ksigevent sev;
	if (usev && copy_from_user(&sev, usev, sizeof sev) < 0)
		return -EFAULT;
	struct file *sockf = NULL, *f;
	if (usev && sev.notify == SIGEV_THREAD) {
		/* the host reads the cookie and finds the socket itself */
		sev.value = (uint64_t)user_ptr_for_host((void *)sev.value,
							NOTIFY_COOKIE_LEN);
		sev.signo = io_get(sev.signo, &sockf);
	}
	int hfd = io_get(fd, &f);
	long r = host_syscall2(__NR_mq_notify, hfd, usev ? &sev : NULL);
	io_put(f);
	io_put(sockf);
	return r;
}

long sys_mq_getsetattr(int fd, const void *unew, void *uold)
{
	if (!ipc_world_ns)
		return -ENOSYS;
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall3(
		__NR_mq_getsetattr, hfd,
		unew ? user_ptr_for_host(unew, MQ_ATTR_SIZE) : NULL,
		uold ? user_ptr_for_host(uold, MQ_ATTR_SIZE) : NULL);
	io_put(f);
	return r;
}
