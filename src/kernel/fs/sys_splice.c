/* Moving data through pipes without a user copy: splice, tee, vmsplice,
 * and sync_file_range.
 *
 * All four are pass-throughs to the host fds behind the guest fds: the
 * host makes every check in Linux's order (flags, fds, which end must be
 * a pipe, ESPIPE for an offset on a pipe).  The provider translates only
 * what the host must not see as is: offset words and iovec arrays in
 * guest memory.  A call that may wait (an end is a pipe or socket
 * without O_NONBLOCK) goes through io_call, so it releases the provider
 * lock and is interrupted by guest signals like read and write.  A file
 * whose host fd only stands in for it (an ended pidfd) is passed as a
 * host fd of its kind (io_get_passed), which the host refuses as Linux
 * refuses the guest's. */
#include "vfs.h"
#include "io.h"
#include "../net/net.h"
#include "../syscalls.h"

/* Linux writes an offset back only after a transfer that did not fail. */
static long offset_out(long r, long *uoff, const long *k)
{
	if (r >= 0 && uoff && copy_to_user(uoff, k, sizeof *k) < 0)
		return -EFAULT;
	return r;
}

/* The end a splice waits on (see io_waiter), the socket end first when
 * there is one (the other end is then a pipe): its receive or send
 * timeout means an interrupted wait is never restarted, as in Linux's
 * socket splice. */
static struct file *waits_on(struct file *fi, struct file *fo, bool *timed)
{
	struct file *w = fo && fo->sk ? io_waiter(fo, fi) : io_waiter(fi, fo);
	*timed = w && w->sk && (w == fi ? w->sk->rcvtimeo : w->sk->sndtimeo);
	return w;
}

long sys_splice(int fd_in, long *uoff_in, int fd_out, long *uoff_out,
		size_t n, unsigned flags)
{
	long kin, kout;
	long *pin = io_offset_in(uoff_in, &kin);
	long *pout = io_offset_in(uoff_out, &kout);
	struct file *fi, *fo;
	int tin, tout;
	int hin = io_get_passed(fd_in, &fi, &tin);
	int hout = io_get_passed(fd_out, &fo, &tout);
	bool timed;
	struct file *w = waits_on(fi, fo, &timed);
	long r = io_call_timed(w, timed, __NR_splice, hin, (long)pin, hout,
			       (long)pout, (long)n, flags);
	io_put_passed(fo, tout);
	io_put_passed(fi, tin);
	/* Linux's order: the out offset first. */
	r = offset_out(r, uoff_out, &kout);
	return offset_out(r, uoff_in, &kin);
}

long sys_tee(int fd_in, int fd_out, size_t n, unsigned flags)
{
	struct file *fi, *fo;
	int tin, tout;
	int hin = io_get_passed(fd_in, &fi, &tin);
	int hout = io_get_passed(fd_out, &fo, &tout);
	long r = io_call(io_waiter(fi, fo), __NR_tee, hin, hout, (long)n, flags,
			 0, 0);
	io_put_passed(fo, tout);
	io_put_passed(fi, tin);
	return r;
}

/* The guest's iovecs are copied in and each base the guest may not name
 * is poisoned (iovs_in) before the host touches them: the host then maps
 * guest pages into the pipe, or copies out of it into them. */
long sys_vmsplice(int fd, const void *uiov, unsigned long nr, unsigned flags)
{
	struct file *f;
	struct iovs s;
	int tmp;
	int hfd = io_get_passed(fd, &f, &tmp);
	/* A count past UIO_MAXIOV reaches the host unchanged (EINVAL after
	 * its fd check) with no array. */
	int cnt = nr > UIO_MAXIOV ? 0 : (int)nr;
	const struct iovec *v = iovs_in(&s, uiov, cnt);
	long r = io_call(f, __NR_vmsplice, hfd, (long)v, (long)nr, flags, 0, 0);
	iovs_free(&s);
	io_put_passed(f, tmp);
	return r;
}

/* SYNC_FILE_RANGE_WAIT_* waits for writeback of a regular file, not for
 * another process: a plain host call. */
long sys_sync_file_range(int fd, long off, long n, unsigned flags)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall4(__NR_sync_file_range, hfd, off, n, flags);
	io_put(f);
	return r;
}
