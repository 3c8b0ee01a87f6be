/* dup, dup2, dup3, fcntl, flock, ioctl.
 *
 * Guest fd numbers are the provider's: a dup is a second slot holding the
 * same struct file (and so the same host fd, offset, status flags and
 * flock lock), never a host dup.  The close-on-exec bit is a property of
 * the slot and lives only in the provider. */
#include "vfs.h"
#include "io.h"
#include "../proc/proc.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/ioctls.h>

#include <linux/sockios.h>
#include <linux/timerfd.h>

/* struct ifreq: a 16-byte name and a 24-byte union. */
#define IFREQ_SIZE 40

long sys_dup(int fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	return fd_install(f, false, 0);
}

/* Linux: a newfd past RLIMIT_NOFILE is EBADF before oldfd is looked at. */
static long dup_to(int oldfd, int newfd, bool cloexec)
{
	if ((unsigned)newfd >= fd_limit)
		return -EBADF;
	struct file *f = fd_get(oldfd);
	if (!f)
		return -EBADF;
	return fd_install_at(f, cloexec, newfd);
}

long sys_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) {
		/* Nothing changes, not even close-on-exec. */
		struct file *f = fd_get(oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return oldfd;
	}
	return dup_to(oldfd, newfd, false);
}

long sys_dup3(int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return dup_to(oldfd, newfd, flags & O_CLOEXEC);
}

#define CLOSE_RANGE_UNSHARE 2u
#define CLOSE_RANGE_CLOEXEC 4u

/* The fd table is the process's own (no CLONE_FILES sharing yet), so
 * CLOSE_RANGE_UNSHARE has nothing to unshare. */
long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	fd_close_range(first, last, flags & CLOSE_RANGE_CLOEXEC);
	return 0;
}

/* fcntl */

/* The status flags F_SETFL may change (Linux's SETFL_MASK). */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_NDELAY | FASYNC | O_DIRECT | \
		    O_NOATIME)

/* F_DUPFD(_CLOEXEC): the lowest free fd >= arg; EINVAL when arg is at or
 * past RLIMIT_NOFILE (arg is an int taken as unsigned, as in Linux). */
static long fcntl_dupfd(int fd, unsigned long arg, bool cloexec)
{
	unsigned from = (unsigned)(int)arg;
	if (from >= fd_limit)
		return -EINVAL;
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	return fd_install(f, cloexec, (int)from);
}

/* The host fd is the file's open file description, so the host changes
 * the flags every dup sees; file->flags follows for the provider's own
 * use. */
static void sync_flags(struct file *f)
{
	long fl = host_syscall2(__NR_fcntl, f->host_fd, F_GETFL);
	if (fl >= 0)
		f->flags = (f->flags & ~SETFL_MASK) | ((int)fl & SETFL_MASK);
}

/* O_ASYNC (FASYNC) has the host signal the owner; a signal that names
 * the fd (F_SETSIG) must name the guest fd turned on through. */
static void note_async(int fd, struct file *f)
{
	if (f->flags & FASYNC)
		fd_async_note(f, fd);
}

static long fcntl_setfl(int fd, struct file *f, unsigned long arg)
{
	long r = host_syscall3(__NR_fcntl, f->host_fd, F_SETFL, arg);
	if (r >= 0) {
		sync_flags(f);
		note_async(fd, f);
	}
	return r;
}

#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY (F_LINUX_SPECIFIC_BASE + 4)
#endif

/* Leases are the host's on the host fd (it is the open file description):
 * a break signals the host process, the guest's, with SIGIO or the
 * F_SETSIG signal, whose si_fd must name this guest fd. */
static long fcntl_setlease(int fd, struct file *f, unsigned long arg)
{
	long r = host_syscall3(__NR_fcntl, f->host_fd, F_SETLEASE, arg);
	if (r >= 0 && arg != F_UNLCK)
		fd_async_note(f, fd);
	return r;
}

/* dnotify on the host directory fd: the host makes the caller (the host
 * process that is this guest process) the owner and sends it SIGIO, or
 * the F_SETSIG signal, whose si_fd must name this guest fd, on each event.
 * It drops the registration at each close of a guest fd for the file
 * (slot_release closes a host duplicate), as Linux does at every close. */
static long fcntl_notify(int fd, struct file *f, unsigned long arg)
{
	long r = host_syscall3(__NR_fcntl, f->host_fd, F_NOTIFY, arg);
	if (r >= 0 && arg != 0)
		fd_async_note(f, fd);
	return r;
}

/* A lock's holder shows as its guest pid (0 outside the world), not the
 * host's. */
static void lock_pid_to_guest(struct flock *fl)
{
	if (fl->l_type != F_UNLCK && fl->l_pid > 0)
		fl->l_pid = task_vpid_of_host(fl->l_pid);
}

/* A lock wait (F_SETLKW, flock), made with the provider's mask: only a
 * provider doorbell (another thread's request, proc/remote.h) or a
 * fault-class signal interrupts it, and a doorbell is no reason to
 * return. */
static long lock_wait(long nr, long a, long b, long c)
{
	long r;
	do
		r = host_call_unlocked(nr, a, b, c, 0, 0, 0);
	while (r == -EINTR && !signal_interrupts());
	return r;
}

/* Record locks (POSIX and OFD) are the host's: the host process is the
 * POSIX lock owner and the host fd the OFD one, as in Linux. */
static long fcntl_lock(struct file *f, int cmd, unsigned long arg)
{
	struct flock fl;
	if (copy_from_user(&fl, (void *)arg, sizeof fl) < 0)
		return -EFAULT;
	bool waits = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
	long r = waits ? lock_wait(__NR_fcntl, f->host_fd, cmd, (long)&fl)
		       : host_syscall3(__NR_fcntl, f->host_fd, cmd, &fl);
	if (r < 0 || (cmd != F_GETLK && cmd != F_OFD_GETLK))
		return r;
	lock_pid_to_guest(&fl);
	return copy_to_user((void *)arg, &fl, sizeof fl) < 0 ? -EFAULT : r;
}

/* F_SETOWN and friends name who gets SIGIO and SIGURG: a guest pid or
 * tid, which the host must see as its own.  A process group (a negative
 * owner, F_OWNER_PGRP) is not supported: guest process groups are the
 * world's, not the host's. */
struct kf_owner_ex {
	int type, pid;
};
#define F_OWNER_TID_K 0
#define F_OWNER_PID_K 1
#define F_OWNER_PGRP_K 2

static long owner_to_host(int id)
{
	if (id == 0)
		return 0;
	if (id < 0)
		return -EINVAL;
	return task_host_of_id(id);
}

static long fcntl_owner(struct file *f, int cmd, unsigned long arg)
{
	struct kf_owner_ex o;
	long r;
	switch (cmd) {
	case F_SETOWN:
		r = owner_to_host((int)arg);
		return r < 0 ? r : host_syscall3(__NR_fcntl, f->host_fd, F_SETOWN, r);
	case F_GETOWN:
		r = host_syscall2(__NR_fcntl, f->host_fd, F_GETOWN);
		return r > 0 ? task_id_of_host((int)r) : r;
	case F_SETOWN_EX:
		if (copy_from_user(&o, (void *)arg, sizeof o) < 0)
			return -EFAULT;
		if (o.type == F_OWNER_PGRP_K)
			return -EINVAL;
		if (o.type == F_OWNER_TID_K || o.type == F_OWNER_PID_K) {
			r = owner_to_host(o.pid);
			if (r < 0)
				return r;
			o.pid = (int)r;
		}
		return host_syscall3(__NR_fcntl, f->host_fd, F_SETOWN_EX, &o);
	default: /* F_GETOWN_EX */
		r = host_syscall3(__NR_fcntl, f->host_fd, F_GETOWN_EX, &o);
		if (r < 0)
			return r;
		if (o.pid > 0)
			o.pid = task_id_of_host(o.pid);
		return copy_to_user((void *)arg, &o, sizeof o) < 0 ? -EFAULT : 0;
	}
}

/* The only commands Linux allows on an O_PATH fd. */
static bool path_cmd_ok(int cmd)
{
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD ||
	       cmd == F_SETFD || cmd == F_GETFL || cmd == F_CREATED_QUERY;
}

static long do_fcntl(int fd, struct file *f, int cmd, unsigned long arg)
{
	switch (cmd) {
	case F_DUPFD:
		return fcntl_dupfd(fd, arg, false);
	case F_DUPFD_CLOEXEC:
		return fcntl_dupfd(fd, arg, true);
	case F_GETFD:
		return fd_get_cloexec(fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		fd_set_cloexec(fd, arg & FD_CLOEXEC);
		return 0;
	case F_GETFL:
		return host_syscall2(__NR_fcntl, f->host_fd, F_GETFL);
	case F_SETFL:
		return fcntl_setfl(fd, f, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return fcntl_lock(f, cmd, arg);
	case F_SETLEASE:
		return fcntl_setlease(fd, f, arg);
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
	case F_ADD_SEALS:
	case F_GET_SEALS:
	case F_SETSIG:
	case F_GETSIG:
	case F_GETLEASE:
	case F_CREATED_QUERY:
		/* Plain numbers both ways: the host decides (EBADF on a
		 * non-pipe, EINVAL without sealing support, EINVAL for a
		 * signal number past _NSIG). */
		return host_syscall3(__NR_fcntl, f->host_fd, cmd, arg);
	case F_NOTIFY:
		return fcntl_notify(fd, f, arg);
	case F_SETOWN:
	case F_GETOWN:
	case F_SETOWN_EX:
	case F_GETOWN_EX:
		return fcntl_owner(f, cmd, arg);
	default:
		/* The rw hints need plumbing the provider does not have yet. */
		return -EINVAL;
	}
}

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r;
	if ((f->flags & O_PATH) && !path_cmd_ok(cmd))
		r = -EBADF;
	else
		r = do_fcntl(fd, f, cmd, arg);
	file_put(f);
	return r;
}

/* flock locks belong to the open file description: the host fd, which
 * every dup of the guest fd shares. */
long sys_flock(int fd, int op)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = (op & LOCK_NB) ? host_syscall2(__NR_flock, hfd, op)
				: lock_wait(__NR_flock, hfd, op, 0);
	io_put(f);
	return r;
}

/* ioctl */

/* The requests passed to the host, with the size of the argument the
 * host reads (in) or writes (out).  This list and tty.c's match the ioctl
 * allowlist of the world's seccomp filter (src/sandbox/seccomp.c);
 * FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC are handled apart, terminal
 * requests in tty.c. */
static const struct ioctl_arg {
	unsigned cmd;
	unsigned short in, out;
} ioctl_args[] = {
	{ FIONREAD, 0, sizeof(int) },
	{ TIOCOUTQ, 0, sizeof(int) }, /* SIOCOUTQ on sockets */
	{ SIOCATMARK, 0, sizeof(int) },
	/* a timerfd's expiration count (checkpoint/restore) */
	{ TFD_IOC_SET_TICKS, sizeof(uint64_t), 0 },
	/* Interface queries on a socket: struct ifreq, the name in, the
	 * answer out (the setting requests need CAP_NET_ADMIN). */
	{ SIOCGIFNAME, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFFLAGS, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFADDR, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFDSTADDR, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFBRDADDR, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFNETMASK, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFMTU, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFHWADDR, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFINDEX, IFREQ_SIZE, IFREQ_SIZE },
	{ SIOCGIFTXQLEN, IFREQ_SIZE, IFREQ_SIZE },
};

union ioctl_buf {
	uint64_t u64;
	int i;
	char ifr[IFREQ_SIZE];
};

/* SIOCGIFCONF: struct ifconf holds a pointer to the guest's array, which
 * the host fills through a provider buffer. */
struct kifconf {
	int len;
	int pad;
	char *buf;
};
#define IFCONF_MAX (64 * 1024)

static long ioctl_ifconf(struct file *f, unsigned long arg)
{
	struct kifconf c;
	if (copy_from_user(&c, (void *)arg, sizeof c) < 0)
		return -EFAULT;
	char *ubuf = c.buf;
	char *k = NULL;
	if (ubuf) {
		if (c.len < 0)
			c.len = 0;
		if (c.len > IFCONF_MAX)
			c.len = IFCONF_MAX;
		k = kzalloc((size_t)c.len + 1);
		c.buf = k;
	}
	long r = host_syscall3(__NR_ioctl, f->host_fd, SIOCGIFCONF, &c);
	if (r >= 0 && ubuf && c.len > 0 && copy_to_user(ubuf, k, (size_t)c.len) < 0)
		r = -EFAULT;
	kfree(k);
	c.buf = ubuf;
	if (r >= 0 && copy_to_user((void *)arg, &c, sizeof c) < 0)
		r = -EFAULT;
	return r;
}

/* The argument travels through a provider buffer.  An input the guest
 * cannot read goes to the host as the poison address, so a request the
 * file does not support still answers ENOTTY first, as in Linux. */
static long ioctl_copy(struct file *f, const struct ioctl_arg *a,
		       unsigned long arg)
{
	union ioctl_buf buf;
	void *p = &buf;
	rt_memset(&buf, 0, sizeof buf);
	if (a->in && copy_from_user(&buf, (void *)arg, a->in) < 0)
		p = IO_POISON;
	long r = host_syscall3(__NR_ioctl, f->host_fd, a->cmd, p);
	if (r >= 0 && a->out && copy_to_user((void *)arg, &buf, a->out) < 0)
		return -EFAULT;
	return r;
}

/* FIONBIO sets O_NONBLOCK on the file: keep file->flags in step. */
static long ioctl_fionbio(struct file *f, unsigned long arg)
{
	int on;
	if (copy_from_user(&on, (void *)arg, sizeof on) < 0)
		return -EFAULT;
	long r = host_syscall3(__NR_ioctl, f->host_fd, FIONBIO, &on);
	if (r >= 0)
		sync_flags(f);
	return r;
}

/* FIOASYNC is O_ASYNC: keep file->flags in step and note the guest fd
 * (see note_async). */
static long ioctl_fioasync(int fd, struct file *f, unsigned long arg)
{
	int on;
	if (copy_from_user(&on, (void *)arg, sizeof on) < 0)
		return -EFAULT;
	long r = host_syscall3(__NR_ioctl, f->host_fd, FIOASYNC, &on);
	if (r >= 0) {
		sync_flags(f);
		note_async(fd, f);
	}
	return r;
}

static long do_ioctl(int fd, struct file *f, unsigned cmd, unsigned long arg)
{
	switch (cmd) {
	case FIOCLEX:
		fd_set_cloexec(fd, true);
		return 0;
	case FIONCLEX:
		fd_set_cloexec(fd, false);
		return 0;
	case FIONBIO:
		return ioctl_fionbio(f, arg);
	case FIOASYNC:
		return ioctl_fioasync(fd, f, arg);
	case SIOCGIFCONF:
		return ioctl_ifconf(f, arg);
	}
	long r = tty_ioctl(f, cmd, arg);
	if (r != -ENOIOCTLCMD)
		return r;
	for (size_t i = 0; i < RT_ARRAY_SIZE(ioctl_args); i++)
		if (ioctl_args[i].cmd == cmd)
			return ioctl_copy(f, &ioctl_args[i], arg);
	return -ENOTTY;
}

long sys_ioctl(int fd, unsigned cmd, unsigned long arg)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = (f->flags & O_PATH) ? -EBADF : do_ioctl(fd, f, cmd, arg);
	file_put(f);
	return r;
}
