/* read/write and the rest of the data-transfer family: positioned and
 * vectored I/O, lseek, sendfile, copy_file_range, the sync calls,
 * fallocate, fadvise64, readahead and ftruncate.
 *
 * Every call here is a pass-through to the host fd behind the guest fd:
 * the host has the same semantics.  The provider only translates what the
 * host must not see as is (guest fd numbers, pointers the guest may not
 * name, guest arrays and offset words) and lets the host make every check
 * in Linux's own order. */
#include "vfs.h"
#include "io.h"
#include "../net/net.h"
#include "../syscalls.h"
#include "../signal/signal.h"
#include <linux/uio.h>

int io_get(int fd, struct file **fp)
{
	struct file *f = fd_get(fd);
	*fp = f;
	if (!f || (f->flags & O_PATH))
		return -1;
	return f->host_fd;
}

/* Character devices that never make a reader or writer wait. */
static bool nonblocking_chr(unsigned long rdev)
{
	unsigned major = (unsigned)((rdev >> 8) & 0xfff);
	unsigned minor = (unsigned)((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
	return major == 1 && (minor == 3 || minor == 5 || minor == 7 ||
			      minor == 8 || minor == 9);
}

static bool file_blocks(struct file *f)
{
	if (!f->blocks) {
		struct {
			unsigned long dev, ino, nlink;
			unsigned mode, uid, gid, pad;
			unsigned long rdev;
			char rest[96];
		} st;
		int b = 1;
		if (host_syscall2(__NR_fstat, f->host_fd, &st) == 0) {
			unsigned type = st.mode & 0170000;
			/* fifos, sockets, terminals, and anonymous inodes
			 * (eventfd, timerfd, inotify: type bits 0) */
			if (type == 0010000 || type == 0140000 || type == 0 ||
			    (type == 0020000 && !nonblocking_chr(st.rdev)))
				b = FILE_BLOCKS;
		}
		f->blocks = (int8_t)b;
	}
	return f->blocks == FILE_BLOCKS && !(f->flags & O_NONBLOCK);
}

long io_call_timed(struct file *f, bool timed, long nr, long a, long b,
		   long c, long d, long e, long g)
{
	if (!f || !file_blocks(f))
		return host_syscall6(nr, a, b, c, d, e, g);
	for (;;) {
		long r = intr_call(nr, a, b, c, d, e, g);
		if (r != -EINTR)
			return r;
		/* A socket with a send or receive timeout is never restarted
		 * (signal(7)). */
		if (signal_interrupts())
			return timed ? -EINTR : -ERESTARTSYS;
	}
}

/* The calls of lock class FD run beside each other only on files that
 * never wait (regular files, /dev/null, O_NONBLOCK pipes and sockets):
 * a wait, its signal handling and a terminal's job control are left to
 * the exclusive side (the dispatcher runs the call again there). */
static bool io_needs_excl(struct file *f)
{
	return provider_lock_is_shared() && f &&
	       (file_blocks(f) || (f->ops && (f->ops->read || f->ops->write)));
}

long io_call(struct file *f, long nr, long a, long b, long c, long d, long e,
	     long g)
{
	if (io_needs_excl(f))
		return -EPICO_EXCL;
	bool timed = f && f->sk && sock_timed(f->sk, nr);
	for (;;) {
		long r = io_call_timed(f, timed, nr, a, b, c, d, e, g);
		/* nothing moved: a terminal's answer is the exclusive
		 * side's to give */
		if (r == -EIO && f && provider_lock_is_shared())
			return -EPICO_EXCL;
		/* a terminal's job control, where the host's answer is not
		 * Linux's */
		if (r != -EIO || (r = tty_io_eio(f, nr)) != 0)
			return r;
	}
}

long *io_offset_in(const long *uoff, long *k)
{
	if (!uoff)
		return NULL;
	return copy_from_user(k, uoff, sizeof *k) < 0 ? IO_POISON : k;
}

int io_get_passed(int fd, struct file **fp, int *tmp)
{
	int hfd = io_get(fd, fp);
	*tmp = *fp && (*fp)->ops && (*fp)->ops->kind_fd ? (*fp)->ops->kind_fd(*fp)
							 : -1;
	return *tmp >= 0 ? *tmp : hfd;
}

void io_put_passed(struct file *f, int tmp)
{
	if (tmp >= 0)
		host_close(tmp);
	io_put(f);
}

struct file *io_waiter(struct file *a, struct file *b)
{
	return a && file_blocks(a) ? a : b;
}

void io_put(struct file *f)
{
	if (f)
		file_put(f);
}

void *io_ubuf(const void *p, size_t n)
{
	if (n == 0 || guest_range_ok((uint64_t)p, n))
		return (void *)p;
	return IO_POISON;
}

/* A file with its own read or write hook (signalfd, pidfd) moves its data
 * through a provider buffer; larger requests get a short count, which
 * read(2) and write(2) allow. */
#define OPS_BUF 4096

static bool has_ops_io(const struct file *f, bool rd)
{
	return f && f->ops && (rd ? f->ops->read != NULL : f->ops->write != NULL);
}

/* One transfer through the hooks: the guest buffer is the iovec array
 * `v` of `cnt` entries. */
static long ops_io(struct file *f, bool rd, const struct iovec *v, int cnt)
{
	size_t n = 0;
	for (int i = 0; i < cnt; i++) {
		if ((long)v[i].iov_len < 0)
			return -EINVAL;
		n += v[i].iov_len;
		if (n > OPS_BUF) {
			n = OPS_BUF;
			break;
		}
	}
	char *k = kmalloc(n ? n : 1);
	long r = 0;
	size_t done = 0;
	if (!rd) {
		for (int i = 0; i < cnt && done < n && r == 0; i++) {
			size_t m = v[i].iov_len < n - done ? v[i].iov_len : n - done;
			r = copy_from_user(k + done, v[i].iov_base, m);
			done += m;
		}
		if (r == 0)
			r = f->ops->write(f, k, n);
	} else {
		r = f->ops->read(f, k, n);
		for (int i = 0; i < cnt && r > 0 && done < (size_t)r; i++) {
			size_t m = v[i].iov_len < (size_t)r - done ? v[i].iov_len
								    : (size_t)r - done;
			if (copy_to_user(v[i].iov_base, k + done, m) < 0)
				r = -EFAULT;
			done += m;
		}
	}
	kfree(k);
	return r;
}

static long rw(int nr, int fd, const void *buf, size_t n)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	if (hfd >= 0 && io_needs_excl(f)) {
		io_put(f);
		return -EPICO_EXCL;
	}
	if (hfd >= 0 && has_ops_io(f, nr == __NR_read)) {
		struct iovec v = { (void *)buf, n };
		long r = ops_io(f, nr == __NR_read, &v, 1);
		io_put(f);
		return r;
	}
	long r = io_call(f, nr, hfd, (long)io_ubuf(buf, n), (long)n, 0, 0, 0);
	io_put(f);
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

/* Linux checks a negative offset before the fd; the host does too. */
static long prw(int nr, int fd, const void *buf, size_t n, long off)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall4(nr, hfd, io_ubuf(buf, n), n, off);
	io_put(f);
	return r;
}

long sys_pread64(int fd, void *buf, size_t n, long off)
{
	return prw(__NR_pread64, fd, buf, n, off);
}

long sys_pwrite64(int fd, const void *buf, size_t n, long off)
{
	return prw(__NR_pwrite64, fd, buf, n, off);
}

/* A guest iovec array, copied into the provider for the host.  Small
 * arrays live on the stack, as in Linux (UIO_FASTIOV). */
/* Returns the array to hand the host.  A count the host refuses (or an
 * empty one) needs no array: the host answers EINVAL or 0 after its fd
 * checks without reading it.  An array the guest cannot name becomes the
 * poison address, and so does each base the guest may not name, so the
 * host answers -EFAULT at the point Linux does (negative lengths are left
 * for the host to refuse with EINVAL first). */
const struct iovec *iovs_in(struct iovs *s, const void *uiov, int cnt)
{
	s->heap = NULL;
	if (cnt <= 0 || cnt > UIO_MAXIOV)
		return NULL;
	size_t size = sizeof(struct iovec) * (size_t)cnt;
	struct iovec *v = s->fast;
	if (cnt > UIO_FASTIOV)
		v = s->heap = kmalloc(size);
	if (copy_from_user(v, uiov, size) < 0)
		return IO_POISON;
	for (int i = 0; i < cnt; i++)
		if ((long)v[i].iov_len > 0)
			v[i].iov_base = io_ubuf(v[i].iov_base, v[i].iov_len);
	return v;
}

void iovs_free(struct iovs *s)
{
	kfree(s->heap);
}

/* readv, writev, preadv(2), pwritev(2): (lo, hi) and flags go to the host
 * unchanged; the host ignores what its call does not take. */
static long vec(int nr, int fd, const void *uiov, int cnt, unsigned long lo,
		unsigned long hi, int flags)
{
	struct file *f;
	struct iovs s;
	int hfd = io_get(fd, &f);
	if (hfd >= 0 && io_needs_excl(f)) {
		io_put(f);
		return -EPICO_EXCL;
	}
	const struct iovec *v = iovs_in(&s, uiov, cnt);
	bool rd = nr == __NR_readv || nr == __NR_preadv2;
	/* readv/writev, and the p*v2 forms at the current position (-1). */
	bool at_pos = nr == __NR_readv || nr == __NR_writev ||
		      ((nr == __NR_preadv2 || nr == __NR_pwritev2) && (long)lo == -1);
	if (hfd >= 0 && v && v != IO_POISON && at_pos && has_ops_io(f, rd)) {
		long r = ops_io(f, rd, v, cnt);
		iovs_free(&s);
		io_put(f);
		return r;
	}
	long r = io_call(f, nr, hfd, (long)v, cnt, (long)lo, (long)hi, flags);
	iovs_free(&s);
	io_put(f);
	return r;
}

long sys_readv(int fd, const void *iov, int cnt)
{
	return vec(__NR_readv, fd, iov, cnt, 0, 0, 0);
}

long sys_writev(int fd, const void *iov, int cnt)
{
	return vec(__NR_writev, fd, iov, cnt, 0, 0, 0);
}

long sys_preadv(int fd, const void *iov, int cnt, unsigned long lo,
		unsigned long hi)
{
	return vec(__NR_preadv, fd, iov, cnt, lo, hi, 0);
}

long sys_pwritev(int fd, const void *iov, int cnt, unsigned long lo,
		 unsigned long hi)
{
	return vec(__NR_pwritev, fd, iov, cnt, lo, hi, 0);
}

/* Offset -1 (the current position) and the RWF_* flags are the host's. */
long sys_preadv2(int fd, const void *iov, int cnt, unsigned long lo,
		 unsigned long hi, int flags)
{
	return vec(__NR_preadv2, fd, iov, cnt, lo, hi, flags);
}

long sys_pwritev2(int fd, const void *iov, int cnt, unsigned long lo,
		  unsigned long hi, int flags)
{
	return vec(__NR_pwritev2, fd, iov, cnt, lo, hi, flags);
}

/* Calls that take one fd and plain numbers. */
static long fd_call(int nr, int fd, long a, long b, long c)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall4(nr, hfd, a, b, c);
	io_put(f);
	return r;
}

long sys_lseek(int fd, long off, int whence)
{
	return fd_call(__NR_lseek, fd, off, whence, 0);
}

/* Linux reads the offset word before looking at either fd and writes it
 * back whatever the outcome. */
long sys_sendfile(int out_fd, int in_fd, long *uoff, size_t n)
{
	long pos, *pp = NULL;
	if (uoff) {
		if (copy_from_user(&pos, uoff, sizeof pos) < 0)
			return -EFAULT;
		pp = &pos;
	}
	struct file *fo, *fi;
	int tout, tin;
	int hout = io_get_passed(out_fd, &fo, &tout);
	int hin = io_get_passed(in_fd, &fi, &tin);
	/* Either end may make it wait (a socket or pipe): wait without the
	 * provider lock, interruptibly.  (A file with a read hook, a
	 * signalfd, has no splice: the host refuses it as Linux does.) */
	long r = io_call(io_waiter(fo, fi), __NR_sendfile, hout, hin, (long)pp, (long)n, 0, 0);
	io_put_passed(fi, tin);
	io_put_passed(fo, tout);
	if (uoff && copy_to_user(uoff, &pos, sizeof pos) < 0)
		return -EFAULT;
	return r;
}

/* Linux looks at both fds before the offset words and writes them back
 * only after a transfer.  An offset word the guest cannot read goes to
 * the host as the poison address, which fails where Linux would. */
long sys_copy_file_range(int fd_in, long *uoff_in, int fd_out, long *uoff_out,
			 size_t n, unsigned flags)
{
	long pin, pout;
	long *pi = io_offset_in(uoff_in, &pin);
	long *po = io_offset_in(uoff_out, &pout);
	struct file *fi, *fo;
	int tin, tout;
	int hin = io_get_passed(fd_in, &fi, &tin);
	int hout = io_get_passed(fd_out, &fo, &tout);
	long r = host_syscall6l(__NR_copy_file_range, hin, pi, hout, po, n,
				flags);
	io_put_passed(fo, tout);
	io_put_passed(fi, tin);
	if (r > 0 && uoff_in && copy_to_user(uoff_in, &pin, sizeof pin) < 0)
		r = -EFAULT;
	if (r > 0 && uoff_out && copy_to_user(uoff_out, &pout, sizeof pout) < 0)
		r = -EFAULT;
	return r;
}

long sys_fsync(int fd)
{
	return fd_call(__NR_fsync, fd, 0, 0, 0);
}

long sys_fdatasync(int fd)
{
	return fd_call(__NR_fdatasync, fd, 0, 0, 0);
}

long sys_sync(void)
{
	host_syscall0(__NR_sync);
	return 0;
}

long sys_syncfs(int fd)
{
	return fd_call(__NR_syncfs, fd, 0, 0, 0);
}

long sys_fallocate(int fd, int mode, long off, long len)
{
	return fd_call(__NR_fallocate, fd, mode, off, len);
}

long sys_fadvise64(int fd, long off, long len, int advice)
{
	return fd_call(__NR_fadvise64, fd, off, len, advice);
}

long sys_readahead(int fd, long off, size_t n)
{
	return fd_call(__NR_readahead, fd, off, (long)n, 0);
}

/* A negative length is EINVAL before the fd is looked at: the host's
 * order too. */
long sys_ftruncate(int fd, long len)
{
	return fd_call(__NR_ftruncate, fd, len, 0, 0);
}
