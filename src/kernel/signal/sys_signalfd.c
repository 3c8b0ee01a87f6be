/* signalfd and signalfd4.
 *
 * A guest signalfd is a host signalfd: the guest's mask is mirrored into
 * the host mask and blocked guest signals stay pending on the host, so
 * the host's signalfd reads exactly the pending set Linux's would (the
 * reading thread's, then the process's), and its readiness in poll,
 * select and epoll is the host's, also across fork and in threads.
 *
 * What the host writes is its own view: sender pids and uids are host
 * ids, and SIGCHLD is the launcher's doorbell.  Every record read goes
 * through signal_translate, as a delivered signal does: ids become guest
 * ids, a signal-driven I/O signal's fd the guest's, and a doorbell
 * becomes the child's siginfo from the world table (ssi_pid the guest
 * child, ssi_code CLD_*, ssi_status, times), or is dropped when the
 * table has nothing owed (already told). */
#include "signal.h"
#include "../fs/vfs.h"
#include "../proc/proc.h"
#include "../entry/entry.h"
#include <picos/world.h>
#include "../syscalls.h"
#include <linux/signalfd.h>

#define SFD_RECORD sizeof(struct signalfd_siginfo)

/* The guest's view of one record; false to drop it. */
static bool record_to_guest(struct signalfd_siginfo *s)
{
	siginfo_t info;
	rt_memset(&info, 0, sizeof info);
	info.si_signo = (int)s->ssi_signo;
	info.si_code = s->ssi_code;
	info.si_pid = (int)s->ssi_pid;
	info.si_uid = s->ssi_uid;
	info.si_stime = (long)s->ssi_stime; /* signal_mark_forged's mark */
	bool doorbell = signal_doorbell(&info);
	bool fd = signal_carries_fd((int)s->ssi_signo, &info);
	if (fd)
		info.si_fd = (int)s->ssi_fd;
	if (!signal_translate((int)s->ssi_signo, &info))
		return false;
	if (fd)
		s->ssi_fd = (uint32_t)info.si_fd;
	s->ssi_code = info.si_code;
	s->ssi_pid = (uint32_t)info.si_pid;
	s->ssi_uid = info.si_uid;
	s->ssi_stime = (uint64_t)info.si_stime;
	if (doorbell && info.si_code > 0) { /* a child's change: CLD_* */
		s->ssi_status = info.si_status;
		s->ssi_utime = (uint64_t)info.si_utime;
	}
	return true;
}

/* Reads whole records into kbuf, waiting (interruptibly) on a blocking
 * signalfd until at least one is there for the guest. */
static long sfd_read(struct file *f, void *kbuf, size_t n)
{
	if (n < SFD_RECORD)
		return -EINVAL;
	n -= n % SFD_RECORD;
	for (;;) {
		long r = intr_call3(__NR_read, f->host_fd, kbuf, n);
		if (r == -EINTR) {
			if (signal_interrupts())
				return -ERESTARTSYS;
			continue;
		}
		if (r <= 0)
			return r;
		struct signalfd_siginfo *rec = kbuf;
		size_t kept = 0;
		for (size_t i = 0; i < (size_t)r / SFD_RECORD; i++)
			if (record_to_guest(&rec[i]))
				rec[kept++] = rec[i];
		if (kept)
			return (long)(kept * SFD_RECORD);
		/* Only doorbells already told: nothing for the guest yet. */
		long fl = host_syscall2(__NR_fcntl, f->host_fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			return -EAGAIN;
	}
}

static long sfd_write(struct file *f, const void *kbuf, size_t n)
{
	(void)f, (void)kbuf, (void)n;
	return -EINVAL; /* signalfds have no write */
}

static const struct file_ops signalfd_ops = {
	.read = sfd_read,
	.write = sfd_write,
	.link = "anon_inode:[signalfd]",
};

bool signalfd_adopt(struct file *f)
{
	f->ops = &signalfd_ops;
	return true;
}

long sys_signalfd4(int ufd, const void *umask, size_t sizemask, int flags)
{
	uint64_t mask;
	if (sizemask != sizeof mask)
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof mask) < 0)
		return -EFAULT;
	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	mask &= ~UNBLOCKABLE; /* as Linux: SIGKILL and SIGSTOP never */
	if (ufd != -1) {
		struct file *f = fd_get(ufd);
		if (!f)
			return -EBADF;
		long r = f->ops == &signalfd_ops
				 ? host_syscall4(__NR_signalfd4, f->host_fd,
						 &mask, sizeof mask, 0)
				 : -EINVAL;
		file_put(f);
		return r < 0 ? r : ufd;
	}
	long hfd = host_syscall4(__NR_signalfd4, -1, &mask, sizeof mask,
				 SFD_CLOEXEC | (flags & SFD_NONBLOCK));
	if (hfd < 0)
		return hfd;
	struct file *f = file_new((int)hfd, O_RDWR | (flags & SFD_NONBLOCK),
				  NULL, NULL);
	f->ops = &signalfd_ops;
	return fd_install(f, flags & SFD_CLOEXEC, 0);
}

long sys_signalfd(int ufd, const void *umask, size_t sizemask)
{
	return sys_signalfd4(ufd, umask, sizemask, 0);
}
