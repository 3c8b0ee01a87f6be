/* Linux native AIO: io_setup, io_destroy, io_submit, io_getevents,
 * io_pgetevents, io_cancel.
 *
 * An emulation in the provider.  On Linux, AIO on buffered files runs the
 * operation inside io_submit anyway; here every read, write and sync runs
 * there too (on the host fd behind the guest fd, with the host's checks),
 * and its completion event goes into the context's ring.
 *
 * The ring is Linux's own layout (struct aio_ring: id, nr, head, tail,
 * magic, features, header length, then io_events), mapped into the guest
 * at the context id as Linux maps it, because user space reads it: libaio
 * checks the magic and compares head and tail before it makes the
 * io_getevents call for a zero timeout, and some programs reap events
 * from the ring themselves by moving head.  The provider keeps the
 * trusted tail and the slot count; head is the guest's.
 *
 * IOCB_CMD_POLL that is not ready at submit stays pending in the context
 * and completes when an io_getevents (or io_submit, io_cancel) of that
 * context sees it ready: io_getevents waits for it with a host ppoll that
 * also watches the context's wake-up pipe (written when another thread
 * adds events), with the guest's signal mask, so signals interrupt it as
 * Linux's wait.  Contexts belong to the process that made them: a forked
 * child does not inherit them (EINVAL, as on Linux), exec destroys them.
 * A CLONE_VM process sharing this memory has contexts of its own (Linux
 * shares them with the memory, but their host fds, the wake-up pipe and
 * the pending polls', are in its creator's host fd table); its end
 * destroys them. */
#include "vfs.h"
#include "io.h"
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <linux/aio_abi.h>
#include <linux/poll.h>
#include <linux/mman.h>

#define AIO_RING_MAGIC 0xa10a10a1
#define AIO_RING_COMPAT_FEATURES 1
#define AIO_MAX_NR 65536 /* /proc/sys/fs/aio-max-nr's default */
#define AIO_MAX_CTX 64	 /* contexts per process */
#define AIO_MAX_POLLS 256

struct aio_ring {
	unsigned id, nr, head, tail, magic, compat_features, incompat_features,
		header_length;
	struct io_event io_events[];
};

/* A poll request still waiting for its events. */
struct aio_poll {
	struct file *f;
	uint64_t obj, data;
	short events;
	int resfd; /* host eventfd to signal, or -1 */
};

struct aio_ctx {
	int owner;	 /* host pid of the process; 0: free slot */
	/* The owner's fd table (gproc.files): its host fds are in the host
	 * fd table that goes with it. */
	struct fdtable *files;
	bool dead;	 /* destroyed while a thread still waits on it */
	int waiters;	 /* threads inside io_getevents */
	uint64_t ring;	 /* guest address: the context id */
	uint64_t ring_len;
	unsigned nr;	 /* ring slots */
	unsigned max_reqs; /* what io_setup asked for */
	unsigned tail;	 /* the trusted tail */
	int wake[2];	 /* host pipe: readable when events may have arrived */
	int npolls;
	struct aio_poll polls[AIO_MAX_POLLS];
};

static struct aio_ctx *ctxs[AIO_MAX_CTX];

static bool ctx_live(const struct aio_ctx *c)
{
	return c && c->owner == gproc()->host_pid && !c->dead;
}

static struct aio_ctx *ctx_lookup(uint64_t id)
{
	for (int i = 0; i < AIO_MAX_CTX; i++)
		if (ctx_live(ctxs[i]) && ctxs[i]->ring == id)
			return ctxs[i];
	return NULL;
}

/* Events this process's contexts hold room for, against aio-max-nr. */
static unsigned long reqs_in_use(void)
{
	unsigned long n = 0;
	for (int i = 0; i < AIO_MAX_CTX; i++)
		if (ctx_live(ctxs[i]))
			n += ctxs[i]->max_reqs;
	return n;
}

/* A slot: free, or one whose owner does not live in this memory (a
 * forked or re-hosted copy has its parent's).  Its host fds are closed
 * when they are in the caller's host fd table (a copy of the owner's). */
static struct aio_ctx *ctx_alloc(void)
{
	for (int i = 0; i < AIO_MAX_CTX; i++) {
		struct aio_ctx *c = ctxs[i];
		if (!c)
			c = ctxs[i] = kzalloc(sizeof *c);
		if (c->owner != 0 && !memory_has_process(c->owner)) {
			/* The owner's threads that waited on it are not ours. */
			if (c->files == gproc()->files) {
				host_close(c->wake[0]);
				host_close(c->wake[1]);
				for (int k = 0; k < c->npolls; k++)
					file_put(c->polls[k].f);
			}
			c->owner = 0;
			c->waiters = 0;
		}
		if (c->owner == 0) {
			rt_memset(c, 0, sizeof *c);
			return c;
		}
	}
	return NULL;
}

/* Linux's sizing (fs/aio.c): at least 4 slots per CPU (one CPU assumed),
 * doubled, two more for the head/tail gap, rounded up to whole pages. */
static unsigned ring_slots(unsigned nr_events, uint64_t *len)
{
	unsigned n = (nr_events < 4 ? 4 : nr_events) * 2 + 2;
	uint64_t size = sizeof(struct aio_ring) + sizeof(struct io_event) * n;
	*len = RT_ALIGN_UP(size, RT_PAGE_SIZE);
	return (unsigned)((*len - sizeof(struct aio_ring)) /
			  sizeof(struct io_event));
}

long sys_io_setup(unsigned nr_events, uint64_t *uctxp)
{
	uint64_t id;
	if (copy_from_user(&id, uctxp, sizeof id) < 0)
		return -EFAULT;
	if (id || nr_events == 0)
		return -EINVAL;
	unsigned doubled = (nr_events < 4 ? 4 : nr_events);
	if (doubled > 0x10000000U / sizeof(struct io_event) / 2)
		return -EINVAL; /* Linux's overflow guard */
	if (nr_events > AIO_MAX_NR || reqs_in_use() + nr_events > AIO_MAX_NR)
		return -EAGAIN;
	struct aio_ctx *c = ctx_alloc();
	if (!c)
		return -EAGAIN;
	c->nr = ring_slots(nr_events, &c->ring_len);
	c->max_reqs = nr_events;
	long r = host_syscall2(__NR_pipe2, c->wake, O_CLOEXEC | O_NONBLOCK);
	if (r < 0)
		return r;
	long addr = mm_map(0, c->ring_len, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (addr < 0) {
		host_close(c->wake[0]);
		host_close(c->wake[1]);
		return addr;
	}
	struct aio_ring hdr = {
		.id = 0,
		.nr = c->nr,
		.magic = AIO_RING_MAGIC,
		.compat_features = AIO_RING_COMPAT_FEATURES,
		.header_length = sizeof(struct aio_ring),
	};
	for (int i = 0; i < AIO_MAX_CTX; i++)
		if (ctxs[i] == c)
			hdr.id = (unsigned)i;
	copy_to_user((void *)addr, &hdr, sizeof hdr);
	c->ring = (uint64_t)addr;
	c->owner = gproc()->host_pid;
	c->files = gproc()->files;
	if (copy_to_user(uctxp, &c->ring, sizeof c->ring) < 0) {
		/* Linux kills the new context when the id cannot be stored. */
		c->owner = 0;
		mm_unmap(c->ring, c->ring_len);
		host_close(c->wake[0]);
		host_close(c->wake[1]);
		return -EFAULT;
	}
	return 0;
}

static unsigned ring_head(const struct aio_ctx *c)
{
	unsigned head = 0;
	copy_from_user(&head, &((struct aio_ring *)c->ring)->head, sizeof head);
	return head % c->nr;
}

static unsigned ring_used(const struct aio_ctx *c)
{
	return (c->tail + c->nr - ring_head(c)) % c->nr;
}

/* Signals an eventfd named by IOCB_FLAG_RESFD (its host fd). */
static void resfd_signal(int hfd)
{
	uint64_t one = 1;
	if (hfd >= 0)
		host_syscall3(__NR_write, hfd, &one, sizeof one);
}

/* Puts a completion event in the ring and wakes the waiters. */
static void ring_put(struct aio_ctx *c, uint64_t data, uint64_t obj, long res,
		     int resfd)
{
	struct io_event ev = { .data = data, .obj = obj, .res = res, .res2 = 0 };
	struct aio_ring *ring = (struct aio_ring *)c->ring;
	copy_to_user(&ring->io_events[c->tail], &ev, sizeof ev);
	c->tail = (c->tail + 1) % c->nr;
	copy_to_user(&ring->tail, &c->tail, sizeof c->tail);
	char b = 1;
	host_syscall3(__NR_write, c->wake[1], &b, 1); /* full pipe: awake anyway */
	resfd_signal(resfd);
}

/* The host eventfd behind guest fd `fd` for IOCB_FLAG_RESFD: -EBADF when
 * it is not open, -EINVAL when it is not an eventfd (as Linux's
 * eventfd_ctx_fdget). */
static long resfd_host(int fd)
{
	struct file *f = fd_get(fd);
	if (!f || (f->flags & O_PATH)) {
		if (f)
			file_put(f);
		return -EBADF;
	}
	char link[32], target[32];
	rt_snprintf(link, sizeof link, "/proc/self/fd/%d", f->host_fd);
	long n = host_syscall4(__NR_readlinkat, AT_FDCWD, link, target,
			       sizeof target - 1);
	int hfd = f->host_fd;
	file_put(f);
	if (n < 0)
		return -EINVAL;
	target[n] = 0;
	return rt_strcmp(target, "anon_inode:[eventfd]") == 0 ? hfd : -EINVAL;
}

/* Host errors that Linux reports from io_submit itself (the request is
 * refused, no event) rather than in the completion event. */
static long submit_error(long r)
{
	if (r == -EBADF || r == -EOPNOTSUPP)
		return r;
	if (r == -EISDIR)
		return -EINVAL; /* a directory has no read_iter */
	return 0;
}

/* PREAD, PWRITE, PREADV, PWRITEV: one preadv2/pwritev2 on the host fd.
 * Returns 1 with *res set when the operation ran, or a submit error. */
static long do_rw(struct iocb *cb, struct file *f, int hfd, long *res)
{
	bool wr = cb->aio_lio_opcode == IOCB_CMD_PWRITE ||
		  cb->aio_lio_opcode == IOCB_CMD_PWRITEV;
	bool vec = cb->aio_lio_opcode == IOCB_CMD_PREADV ||
		   cb->aio_lio_opcode == IOCB_CMD_PWRITEV;
	struct iovs s = { .heap = NULL };
	const struct iovec *v;
	int cnt;
	if (vec) {
		if (cb->aio_nbytes > UIO_MAXIOV)
			return -EINVAL;
		cnt = (int)cb->aio_nbytes;
		v = cnt ? iovs_in(&s, (void *)cb->aio_buf, cnt) : NULL;
		if (v == IO_POISON) {
			iovs_free(&s);
			return -EFAULT;
		}
	} else {
		cnt = 1;
		s.fast[0].iov_base = io_ubuf((void *)cb->aio_buf, cb->aio_nbytes);
		s.fast[0].iov_len = cb->aio_nbytes;
		v = s.fast;
		if (cb->aio_nbytes && v[0].iov_base == IO_POISON)
			return -EFAULT;
	}
	if ((long)cb->aio_offset < 0) {
		iovs_free(&s);
		return -EINVAL;
	}
	int nr = wr ? __NR_pwritev2 : __NR_preadv2;
	long off = (long)cb->aio_offset;
	long r = io_call(f, nr, hfd, (long)v, cnt, off, 0, (long)cb->aio_rw_flags);
	if (r == -ESPIPE) /* a pipe or socket: no position, as Linux's AIO */
		r = io_call(f, nr, hfd, (long)v, cnt, -1, -1,
			    (long)cb->aio_rw_flags);
	iovs_free(&s);
	long e = submit_error(r);
	if (e)
		return e;
	if (r == -ERESTARTSYS || r == -ERESTARTNOHAND || r == -ERESTARTNOINTR)
		r = -EINTR;
	*res = r;
	return 1;
}

static long do_sync(struct iocb *cb, int hfd, long *res)
{
	if (cb->aio_buf || cb->aio_offset || cb->aio_nbytes || cb->aio_rw_flags)
		return -EINVAL;
	long r = host_syscall1(cb->aio_lio_opcode == IOCB_CMD_FSYNC
				       ? __NR_fsync
				       : __NR_fdatasync,
			       hfd);
	if (r == -EBADF || r == -EINVAL || r == -EROFS)
		return r; /* no fsync for this file: refused at submit */
	*res = r;
	return 1;
}

/* The events a host fd has now, among `events` (0: none yet). */
static short poll_now(int hfd, short events)
{
	struct pollfd p = { .fd = hfd, .events = events, .revents = 0 };
	struct kts zero = { 0, 0 };
	if (host_syscall5(__NR_ppoll, &p, 1, &zero, 0, 8) <= 0)
		return 0;
	return p.revents & (events | POLLERR | POLLHUP | POLLNVAL);
}

/* POLL: completes now when ready, else waits in the context.  Returns 1
 * with *res set, 0 when pending, or a submit error. */
static long do_poll(struct aio_ctx *c, struct iocb *cb, struct file *f,
		    int hfd, uint64_t obj, int resfd, long *res)
{
	if ((uint16_t)cb->aio_buf != cb->aio_buf)
		return -EINVAL;
	if (cb->aio_offset || cb->aio_nbytes || cb->aio_rw_flags)
		return -EINVAL;
	short events = (short)(cb->aio_buf | POLLERR | POLLHUP);
	short got = poll_now(hfd, events);
	if (got) {
		*res = got;
		return 1;
	}
	if (c->npolls == AIO_MAX_POLLS)
		return -EAGAIN;
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED); /* held while pending */
	c->polls[c->npolls++] = (struct aio_poll){
		.f = f, .obj = obj, .data = cb->aio_data, .events = events,
		.resfd = resfd,
	};
	return 0;
}

static void poll_remove(struct aio_ctx *c, int i)
{
	file_put(c->polls[i].f);
	c->polls[i] = c->polls[--c->npolls];
}

/* Completes the pending polls that are ready now. */
static void polls_check(struct aio_ctx *c)
{
	for (int i = 0; i < c->npolls;) {
		struct aio_poll *p = &c->polls[i];
		short got = poll_now(p->f->host_fd, p->events);
		if (got) {
			ring_put(c, p->data, p->obj, got, p->resfd);
			poll_remove(c, i);
		} else {
			i++;
		}
	}
}

static long submit_one(struct aio_ctx *c, struct iocb *ucb)
{
	struct iocb cb;
	if (copy_from_user(&cb, ucb, sizeof cb) < 0)
		return -EFAULT;
	if (cb.aio_reserved2)
		return -EINVAL;
	if ((long)cb.aio_nbytes < 0)
		return -EINVAL; /* Linux's overflow check */
	/* A free slot: events not yet reaped and pending polls hold one. */
	if (ring_used(c) + (unsigned)c->npolls + 1 >= c->nr)
		return -EAGAIN;
	struct file *f;
	int hfd = io_get((int)cb.aio_fildes, &f);
	long r;
	if (hfd < 0) {
		r = -EBADF;
		goto out;
	}
	int resfd = -1;
	if (cb.aio_flags & IOCB_FLAG_RESFD) {
		r = resfd_host((int)cb.aio_resfd);
		if (r < 0)
			goto out;
		resfd = (int)r;
	}
	uint32_t key = 0; /* KIOCB_KEY */
	if (copy_to_user(&ucb->aio_key, &key, sizeof key) < 0) {
		r = -EFAULT;
		goto out;
	}
	long res = 0;
	switch (cb.aio_lio_opcode) {
	case IOCB_CMD_PREAD:
	case IOCB_CMD_PWRITE:
	case IOCB_CMD_PREADV:
	case IOCB_CMD_PWRITEV:
		r = do_rw(&cb, f, hfd, &res);
		break;
	case IOCB_CMD_FSYNC:
	case IOCB_CMD_FDSYNC:
		r = do_sync(&cb, hfd, &res);
		break;
	case IOCB_CMD_POLL:
		r = do_poll(c, &cb, f, hfd, (uint64_t)ucb, resfd, &res);
		break;
	default:
		r = -EINVAL;
	}
	if (r == 1)
		ring_put(c, cb.aio_data, (uint64_t)ucb, res, resfd);
	if (r > 0 || r == 0)
		r = 0;
out:
	io_put(f);
	return r;
}

long sys_io_submit(uint64_t id, long nr, struct iocb **uiocbpp)
{
	if (nr < 0)
		return -EINVAL;
	struct aio_ctx *c = ctx_lookup(id);
	if (!c)
		return -EINVAL;
	if (nr > (long)c->nr)
		nr = c->nr;
	polls_check(c);
	long i, r = 0;
	for (i = 0; i < nr; i++) {
		struct iocb *ucb;
		if (copy_from_user(&ucb, uiocbpp + i, sizeof ucb) < 0) {
			r = -EFAULT;
			break;
		}
		r = submit_one(c, ucb);
		if (r)
			break;
	}
	return i ? i : r;
}

static void ctx_free(struct aio_ctx *c)
{
	host_close(c->wake[0]);
	host_close(c->wake[1]);
	c->owner = 0;
}

static void ctx_kill(struct aio_ctx *c)
{
	/* Pending polls would end with res 0 (Linux cancels them), but
	 * nobody can read the ring any more: just drop them. */
	while (c->npolls)
		poll_remove(c, 0);
	if (c->ring_len)
		mm_unmap(c->ring, c->ring_len);
	if (c->waiters) {
		/* Threads in io_getevents wake up, see it dead and answer
		 * EINVAL; the last one frees it. */
		c->dead = true;
		char b = 1;
		host_syscall3(__NR_write, c->wake[1], &b, 1);
	} else {
		ctx_free(c);
	}
}

long sys_io_destroy(uint64_t id)
{
	struct aio_ctx *c = ctx_lookup(id);
	if (!c)
		return -EINVAL;
	ctx_kill(c);
	return 0;
}

void aio_exec(void)
{
	for (int i = 0; i < AIO_MAX_CTX; i++)
		if (ctx_live(ctxs[i])) {
			/* mm_unmap_all has taken the ring already. */
			ctxs[i]->ring_len = 0;
			ctx_kill(ctxs[i]);
		}
}

void aio_leave(void)
{
	for (int i = 0; i < AIO_MAX_CTX; i++)
		if (ctxs[i] && ctxs[i]->owner == gproc()->host_pid) {
			/* The ring stays mapped, as Linux leaves the memory to
			 * its other users; the threads waiting end with us. */
			ctxs[i]->ring_len = 0;
			ctxs[i]->waiters = 0;
			ctx_kill(ctxs[i]);
		}
}

/* Copies up to nr events out of the ring, moving head.  Returns how many,
 * or -EFAULT when none could be stored. */
static long ring_take(struct aio_ctx *c, long nr, struct io_event *uev)
{
	struct aio_ring *ring = (struct aio_ring *)c->ring;
	unsigned head = ring_head(c);
	long n = 0;
	while (n < nr && head != c->tail) {
		struct io_event ev;
		if (copy_from_user(&ev, &ring->io_events[head], sizeof ev) < 0 ||
		    copy_to_user(uev + n, &ev, sizeof ev) < 0) {
			if (n == 0)
				return -EFAULT;
			break;
		}
		head = (head + 1) % c->nr;
		n++;
	}
	copy_to_user(&ring->head, &head, sizeof head);
	return n;
}

/* Waits (provider lock released) until the wake-up pipe or a pending poll
 * is ready, the time in *ts passes (NULL: forever) or a signal comes. */
static long ctx_wait(struct aio_ctx *c, struct kts *ts, uint64_t hmask)
{
	int n = c->npolls + 1;
	struct pollfd *p = kmalloc(sizeof *p * (size_t)n);
	p[0] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
	for (int i = 1; i < n; i++)
		p[i] = (struct pollfd){ .fd = c->polls[i - 1].f->host_fd,
					.events = c->polls[i - 1].events };
	c->waiters++;
	long r = host_call_unlocked(__NR_ppoll, (long)p, n, (long)ts,
				    (long)&hmask, 8, 0);
	c->waiters--;
	kfree(p);
	return r;
}

static void drain(int fd)
{
	char buf[64];
	while (host_syscall3(__NR_read, fd, buf, sizeof buf) > 0)
		;
}

/* io_getevents and io_pgetevents: `interrupted` is what a signal makes of
 * the call when no event came (-EINTR, or -ERESTARTNOHAND for the
 * pgetevents form, as Linux). */
static long getevents(uint64_t id, long min_nr, long nr, struct io_event *uev,
		      const void *uts, const void *umask, size_t masksize,
		      bool have_mask, long interrupted)
{
	/* Linux's order: the timeout, the mask, then the context and the
	 * counts. */
	struct kts ts, *tp = NULL;
	if (uts) {
		if (copy_from_user(&ts, uts, sizeof ts) < 0)
			return -EFAULT;
		/* Linux takes the time as it comes: negative or zero is no
		 * wait. */
		if (ts.sec < 0 || (ts.sec == 0 && ts.nsec <= 0))
			ts = (struct kts){ 0, 0 };
		while (ts.nsec >= 1000000000L) {
			ts.sec++;
			ts.nsec -= 1000000000L;
		}
		tp = &ts;
	}
	uint64_t hmask;
	long r = poll_wait_mask(have_mask ? umask : NULL, masksize, &hmask);
	if (r < 0)
		return r;
	struct aio_ctx *c = ctx_lookup(id);
	if (!c || min_nr > nr || min_nr < 0 || nr < 0)
		return -EINVAL;
	long got = 0;
	for (;;) {
		polls_check(c);
		r = ring_take(c, nr - got, uev + got);
		if (r < 0) {
			if (got == 0)
				return r;
			break;
		}
		got += r;
		if (got >= min_nr || got == nr)
			break;
		if (tp && tp->sec == 0 && tp->nsec == 0)
			break;
		drain(c->wake[0]);
		r = ctx_wait(c, tp, hmask);
		if (c->dead) {
			if (c->waiters == 0)
				ctx_free(c);
			return got ? got : -EINVAL;
		}
		if (r == -EINTR && signal_interrupts())
			return got ? got : interrupted;
		if (r == 0 && tp) { /* the time is up: take what came */
			polls_check(c);
			r = ring_take(c, nr - got, uev + got);
			got += r > 0 ? r : 0;
			break;
		}
	}
	return got;
}

long sys_io_getevents(uint64_t id, long min_nr, long nr,
		      struct io_event *uev, const void *uts)
{
	return getevents(id, min_nr, nr, uev, uts, NULL, 0, false, -EINTR);
}

long sys_io_pgetevents(uint64_t id, long min_nr, long nr,
		       struct io_event *uev, const void *uts, const void *usig)
{
	struct {
		const void *mask;
		size_t size;
	} s = { NULL, 0 };
	if (usig && copy_from_user(&s, usig, sizeof s) < 0)
		return -EFAULT;
	return getevents(id, min_nr, nr, uev, uts, s.mask, s.size,
			 s.mask != NULL, -ERESTARTNOHAND);
}

long sys_io_cancel(uint64_t id, struct iocb *ucb, struct io_event *uresult)
{
	(void)uresult; /* Linux no longer writes it: the event goes to the ring */
	struct aio_ctx *c = ctx_lookup(id);
	if (!c)
		return -EINVAL;
	uint32_t key;
	if (copy_from_user(&key, &ucb->aio_key, sizeof key) < 0)
		return -EFAULT;
	if (key != 0)
		return -EINVAL;
	polls_check(c);
	for (int i = 0; i < c->npolls; i++) {
		if (c->polls[i].obj != (uint64_t)ucb)
			continue;
		/* A cancelled poll completes with no events. */
		ring_put(c, c->polls[i].data, c->polls[i].obj, 0,
			 c->polls[i].resfd);
		poll_remove(c, i);
		return -EINPROGRESS;
	}
	return -EINVAL; /* done already, or never submitted */
}
