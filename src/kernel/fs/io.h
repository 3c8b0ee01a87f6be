/* Helpers shared by the fd-based syscall families (sys_rw.c, sys_fd.c):
 * how a guest fd and a guest pointer are handed to the host. */
#ifndef PICOS_FS_IO_H
#define PICOS_FS_IO_H

#include "vfs.h"

/* An address every host access check refuses (the top of the kernel
 * half).  A guest pointer the guest may not name (the provider window,
 * past the user top) goes to the host as this, so the host still makes
 * every check Linux makes before touching memory and then answers
 * -EFAULT itself, never reading or writing provider memory. */
#define IO_POISON ((void *)0xffffffffffff0000UL)

/* The host fd to do I/O on for guest fd `fd`: -1 when `fd` is not open or
 * is an O_PATH fd, so the host answers EBADF exactly where Linux's fdget()
 * would (after any check Linux makes first).  *fp holds the reference to
 * drop with io_put() (NULL when there is none). */
int io_get(int fd, struct file **fp);
void io_put(struct file *f);

/* `p` when [p, p+n) is the guest's to name (or n is 0), else IO_POISON. */
void *io_ubuf(const void *p, size_t n);

/* A host call on f's host fd that may wait (a pipe, socket or terminal
 * without O_NONBLOCK) is made interruptible by guest signals: it returns
 * -ERESTARTSYS when a signal will run a handler, and goes on when the
 * signal was ignored.  Calls on regular files and on the never-waiting
 * character devices (/dev/null...) go straight to the host. */
long io_call(struct file *f, long nr, long a, long b, long c, long d, long e,
	     long g);
/* The same, for a call whose timeout rule the caller knows: `timed` when
 * the socket it waits on has the timeout for that direction, so an
 * interrupted wait is -EINTR, never restarted. */
long io_call_timed(struct file *f, bool timed, long nr, long a, long b,
		   long c, long d, long e, long g);
#define FILE_BLOCKS 2

/* Linux's "not mine" answer inside ioctl handlers (never the guest's). */
#define ENOIOCTLCMD 515
/* tty.c: a terminal request on f, or -ENOIOCTLCMD for one that is not. */
long tty_ioctl(struct file *f, unsigned cmd, unsigned long arg);
/* tty.c: a read or write call `nr` on f failed with EIO: where Linux
 * would have signalled the caller's background group instead, the
 * signal is sent and taken: -ERESTARTSYS when a handler runs, 0 when the
 * call is to be made again (after a stop); else -EIO. */
long tty_io_eio(struct file *f, long nr);
/* An offset word of the guest read into *k: the pointer to give the host
 * (NULL for none, the poison address when the guest cannot read it, so
 * the host fails with EFAULT where Linux reads it). */
long *io_offset_in(const long *uoff, long *k);
/* io_get for the calls that hand the host fd itself to the host: for a
 * file whose host fd only stands in (file_ops.kind_fd), a host fd of its
 * kind, kept in *tmp until io_put_passed closes it. */
int io_get_passed(int fd, struct file **fp, int *tmp);
void io_put_passed(struct file *f, int tmp);
/* Of two files a call moves data between, the one that may make it wait
 * (a), else b: the file to hand io_call. */
struct file *io_waiter(struct file *a, struct file *b);

/* A guest iovec array copied in for a host call (sys_rw.c).  Small arrays
 * stay on the stack, as in Linux (UIO_FASTIOV). */
#include <linux/uio.h>
struct iovs {
	struct iovec fast[UIO_FASTIOV];
	struct iovec *heap;
};
/* The array to give the host: NULL for a count it refuses anyway, the
 * poison address for an array the guest cannot name, and each base the
 * guest may not name poisoned. */
const struct iovec *iovs_in(struct iovs *s, const void *uiov, int cnt);
void iovs_free(struct iovs *s);

#endif
