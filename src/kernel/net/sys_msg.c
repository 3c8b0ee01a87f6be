/* sendto, recvfrom, sendmsg, recvmsg, sendmmsg and recvmmsg.
 *
 * Data goes straight between the guest's buffers and the host (each iovec
 * base checked); the message header, the address and the control messages
 * are copied into the provider, where SCM_RIGHTS fds become host fds on
 * the way out and guest fds on the way in, and SCM_CREDENTIALS carry the
 * guest's pids and ids. */
#include "net.h"
#include "../fs/io.h"
#include "../proc/proc.h"
#include "../syscalls.h"

struct kmsghdr {
	void *name;
	int namelen;
	void *iov;
	size_t iovlen;
	void *control;
	size_t controllen;
	unsigned flags;
};

struct kmmsghdr {
	struct kmsghdr hdr;
	unsigned len;
};

struct kcmsghdr {
	size_t len;
	int level, type;
};


#define CMSG_ALIGN_K(n) (((n) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_HDR_K CMSG_ALIGN_K(sizeof(struct kcmsghdr))
/* Control data a guest may send in one call (Linux's optmem_max is of
 * this order). */
#define CONTROL_MAX (64 * 1024)
#define FDS_MAX 253 /* SCM_MAX_FD */
#define MSG_CTRUNC_K 8
#define SCM_PIDFD_K 4

/* Walks the control messages of [buf, buf+len): the next header, NULL
 * at the end (no room for another header), or *bad set for a header whose
 * length does not fit (Linux's CMSG_OK). */
static struct kcmsghdr *cmsg_next(char *buf, size_t len, size_t *off,
				  bool *bad)
{
	if (*off + sizeof(struct kcmsghdr) > len)
		return NULL;
	struct kcmsghdr *c = (struct kcmsghdr *)(buf + *off);
	if (c->len < sizeof(struct kcmsghdr) || c->len > len - *off) {
		*bad = true;
		return NULL;
	}
	*off += CMSG_ALIGN_K(c->len);
	return c;
}

/* On the way out: what the guest's control messages hold for the host.
 * The files whose host fds are sent stay referenced in held[]. */
struct ctl_out {
	char *buf;
	struct file *held[FDS_MAX];
	int nheld;
};

static long creds_to_host(struct kucred *c)
{
	if (c->pid != gproc()->pid)
		return -EPERM; /* Linux wants CAP_SYS_ADMIN for another pid */
	if (c->uid != ident.uid && c->uid != ident.euid && c->uid != ident.suid)
		return -EPERM;
	if (c->gid != ident.gid && c->gid != ident.egid && c->gid != ident.sgid)
		return -EPERM;
	c->pid = gproc()->host_pid;
	c->uid = ident_uid_to_host(c->uid);
	c->gid = ident_gid_to_host(c->gid);
	return 0;
}

static long rights_to_host(struct ctl_out *o, struct kcmsghdr *c)
{
	int *fds = (int *)((char *)c + CMSG_HDR_K);
	size_t n = c->len < CMSG_HDR_K ? 0 : (c->len - CMSG_HDR_K) / sizeof(int);
	if (o->nheld + (int)n > FDS_MAX)
		return -EINVAL; /* an empty list is no error */
	for (size_t i = 0; i < n; i++) {
		struct file *f = fd_get(fds[i]);
		if (!f)
			return -EBADF;
		o->held[o->nheld++] = f;
		fds[i] = f->host_fd;
	}
	return 0;
}


/* Per-message IP options and IPv6 routing headers: on the loopback
 * policy a source route is refused as its socket option is. */
static bool cmsg_routes_elsewhere(const struct kcmsghdr *c)
{
	if (net_policy != NET_LOOPBACK || c->len < CMSG_HDR_K)
		return false;
	const unsigned char *d = (const unsigned char *)c + CMSG_HDR_K;
	int n = (int)(c->len - CMSG_HDR_K);
	if (c->level == IPPROTO_IP && c->type == IP_RETOPTS)
		return ip_options_route(d, n);
	return c->level == IPPROTO_IPV6 &&
	       (c->type == IPV6_RTHDR || c->type == IPV6_2292RTHDR);
}

static long control_out(struct ctl_out *o, struct kmsghdr *m)
{
	o->buf = NULL;
	o->nheld = 0;
	if (m->controllen == 0)
		return 0;
	if (m->controllen > CONTROL_MAX)
		return -ENOBUFS;
	o->buf = kmalloc(m->controllen);
	if (copy_from_user(o->buf, m->control, m->controllen) < 0)
		return -EFAULT;
	m->control = o->buf;
	size_t off = 0;
	bool bad = false;
	struct kcmsghdr *c;
	while ((c = cmsg_next(o->buf, m->controllen, &off, &bad))) {
		if (cmsg_routes_elsewhere(c))
			return -EPERM;
		if (c->level != SOL_SOCKET)
			continue;
		long r = 0;
		if (c->type == SCM_RIGHTS)
			r = rights_to_host(o, c);
		else if (c->type == SCM_CREDENTIALS) {
			if (c->len != CMSG_HDR_K + sizeof(struct kucred))
				return -EINVAL;
			r = creds_to_host((struct kucred *)((char *)c + CMSG_HDR_K));
		}
		if (r < 0)
			return r;
	}
	return bad ? -EINVAL : 0;
}

static void control_out_done(struct ctl_out *o)
{
	for (int i = 0; i < o->nheld; i++)
		file_put(o->held[i]);
	kfree(o->buf);
}

/* On the way in: host fds become guest fds.  Those that do not fit in
 * the guest's table are closed, and the message says so (MSG_CTRUNC), as
 * Linux does.  The guest fds installed are kept in `got` so a failure to
 * hand the message over can take them back. */
struct ctl_in {
	int got[FDS_MAX];
	int ngot;
};

static void rights_to_guest(struct ctl_in *in, struct kcmsghdr *c,
			    bool cloexec, unsigned *flags)
{
	int *fds = (int *)((char *)c + CMSG_HDR_K);
	size_t n = (c->len - CMSG_HDR_K) / sizeof(int);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		int hfd = fds[i];
		long fl = host_syscall2(__NR_fcntl, hfd, F_GETFL);
		long g = -EMFILE;
		if (kept == i && fl >= 0 && in->ngot < FDS_MAX) {
			struct file *f = file_new(hfd, (int)fl, NULL, NULL);
			file_adopt_received(f);
			g = fd_install(f, cloexec, 0);
		} else
			host_close(hfd);
		if (g < 0) {
			*flags |= MSG_CTRUNC_K;
			continue;
		}
		fds[kept++] = (int)g;
		in->got[in->ngot++] = (int)g;
	}
	for (size_t i = kept; i < n; i++)
		fds[i] = 0;
	c->len = CMSG_HDR_K + kept * sizeof(int);
}

/* Translates what the host received; returns the control length to give
 * the guest (shorter when fds were dropped: SCM_RIGHTS comes last). */
static size_t control_to_guest(struct ctl_in *in, char *buf, size_t len,
			       bool cloexec, unsigned *flags)
{
	size_t off = 0, start = 0;
	bool bad = false;
	struct kcmsghdr *c;
	in->ngot = 0;
	while ((start = off, c = cmsg_next(buf, len, &off, &bad))) {
		if (c->level != SOL_SOCKET)
			continue;
		if (c->type == SCM_RIGHTS) {
			rights_to_guest(in, c, cloexec, flags);
			size_t end = start + CMSG_ALIGN_K(c->len);
			if (end < off) {
				len = end < len ? end : len;
				break;
			}
		} else if (c->type == SCM_CREDENTIALS &&
			   c->len >= CMSG_HDR_K + sizeof(struct kucred)) {
			ucred_to_guest((struct kucred *)((char *)c + CMSG_HDR_K));
		} else if (c->type == SCM_PIDFD_K &&
			   c->len >= CMSG_HDR_K + sizeof(int)) {
			/* Never asked for (SO_PASSPIDFD is refused): a host fd
			 * the guest must not get. */
			int *p = (int *)((char *)c + CMSG_HDR_K);
			host_close(*p);
			*p = -1;
		}
	}
	return len;
}

static void control_in_undo(struct ctl_in *in)
{
	for (int i = 0; i < in->ngot; i++)
		fd_close(in->got[i]);
}

/* A message header copied in, with its parts ready for the host. */
struct kmsg {
	struct kmsghdr m;
	struct kaddr addr;
	int hold; /* a host fd the address names (sockaddr.c) */
	struct iovs iovs;
	void *uname, *ucontrol; /* the guest's buffers */
	size_t ucontrollen;
};

static long msg_in(struct kmsg *k, struct sock *sk, const void *umsg,
		   enum addr_op op)
{
	k->hold = -1;
	k->iovs.heap = NULL;
	if (copy_from_user(&k->m, umsg, sizeof k->m) < 0)
		return -EFAULT;
	k->uname = k->m.name;
	k->ucontrol = k->m.control;
	k->ucontrollen = k->m.controllen;
	if (k->m.name && k->m.namelen < 0)
		return -EINVAL;
	if (k->m.iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (k->m.name) {
		if (k->m.namelen > SOCKADDR_MAX)
			k->m.namelen = SOCKADDR_MAX;
		if (op == ADDR_SEND) {
			long r = addr_from_user(&k->addr, k->m.name, k->m.namelen);
			if (r < 0)
				return r;
			r = addr_to_host(sk, &k->addr, op, &k->hold);
			if (r < 0)
				return r;
			k->m.namelen = k->addr.len;
		} else {
			k->addr.len = SOCKADDR_MAX;
			k->m.namelen = SOCKADDR_MAX;
		}
		k->m.name = k->addr.bytes;
	} else {
		k->m.namelen = 0;
	}
	const struct iovec *v = iovs_in(&k->iovs, k->m.iov, (int)k->m.iovlen);
	if (v == IO_POISON)
		return -EFAULT;
	k->m.iov = (void *)v;
	return 0;
}

static void msg_done(struct kmsg *k)
{
	if (k->hold >= 0)
		host_close(k->hold);
	iovs_free(&k->iovs);
}

/* Whether a send may make the host bind the socket implicitly. */
static long send_guard(struct file *f, struct sock *sk)
{
	return sk->type == SOCK_STREAM ? 0 : sock_guard_unbound(f);
}

static long msg_send(struct file *f, struct sock *sk, int hfd,
		     const void *umsg, int flags)
{
	struct kmsg k;
	struct ctl_out o = { .buf = NULL, .nheld = 0 };
	long r = msg_in(&k, sk, umsg, ADDR_SEND);
	if (r == 0)
		r = control_out(&o, &k.m);
	if (r == 0)
		r = send_guard(f, sk);
	if (r == 0)
		r = io_call(f, __NR_sendmsg, hfd, (long)&k.m, flags, 0, 0, 0);
	control_out_done(&o);
	msg_done(&k);
	return r;
}

static long msg_recv(struct file *f, int hfd, struct kmsghdr *umsg, int flags)
{
	struct kmsg k;
	struct ctl_in in = { .ngot = 0 };
	char *ctl = NULL;
	long r = msg_in(&k, NULL, umsg, ADDR_CONNECT);
	if (r < 0)
		goto out;
	size_t clen = k.ucontrollen;
	if (clen > CONTROL_MAX)
		clen = CONTROL_MAX;
	if (clen) {
		ctl = kzalloc(clen);
		k.m.control = ctl;
	}
	k.m.controllen = clen;
	r = io_call(f, __NR_recvmsg, hfd, (long)&k.m,
		    flags | MSG_CMSG_CLOEXEC, 0, 0, 0);
	if (r < 0)
		goto out;
	unsigned mflags = k.m.flags;
	if (ctl)
		k.m.controllen = control_to_guest(&in, ctl, k.m.controllen,
						  flags & MSG_CMSG_CLOEXEC,
						  &mflags);
	if (k.m.controllen &&
	    copy_to_user(k.ucontrol, ctl, k.m.controllen) < 0) {
		/* Linux drops control data it cannot store (and the fds in
		 * it) and says so; the data still arrives. */
		control_in_undo(&in);
		k.m.controllen = 0;
		mflags |= MSG_CTRUNC_K;
	}
	if (k.uname) {
		k.addr.len = k.m.namelen;
		long e = addr_out(&k.addr, k.uname, &umsg->namelen);
		if (e < 0) {
			r = e;
			goto out;
		}
	}
	mflags &= ~MSG_CMSG_CLOEXEC;
	if (copy_to_user(&umsg->flags, &mflags, sizeof mflags) < 0 ||
	    copy_to_user(&umsg->controllen, &k.m.controllen,
			 sizeof k.m.controllen) < 0)
		r = -EFAULT;
out:
	kfree(ctl);
	msg_done(&k);
	return r;
}

/* The socket for a message call: a non-socket fd goes to the host, which
 * answers EBADF or ENOTSOCK. */
#define SOCK_OR_HOST(call)                                                 \
	struct file *f;                                                    \
	struct sock *sk;                                                   \
	int hfd = sock_get(fd, &f, &sk);                                   \
	if (!sk) {                                                         \
		long r_ = call;                                            \
		io_put(f);                                                 \
		return r_;                                                 \
	}

long sys_sendmsg(int fd, const void *umsg, int flags)
{
	SOCK_OR_HOST(host_syscall3(__NR_sendmsg, hfd, (long)IO_POISON, flags));
	long r = msg_send(f, sk, hfd, umsg, flags);
	io_put(f);
	return r;
}

long sys_recvmsg(int fd, void *umsg, int flags)
{
	SOCK_OR_HOST(host_syscall3(__NR_recvmsg, hfd, (long)IO_POISON, flags));
	long r = msg_recv(f, hfd, umsg, flags);
	io_put(f);
	return r;
}

long sys_sendto(int fd, const void *buf, size_t len, int flags,
		const void *uaddr, int alen)
{
	/* Linux checks the buffer before the fd here. */
	SOCK_OR_HOST(host_syscall6(__NR_sendto, hfd, (long)io_ubuf(buf, len),
				   len, flags, 0, 0));
	struct kaddr a;
	int hold = -1;
	long r = 0;
	void *ha = NULL;
	if (uaddr) {
		r = addr_from_user(&a, uaddr, alen);
		if (r == 0)
			r = addr_to_host(sk, &a, ADDR_SEND, &hold);
		ha = a.bytes;
		alen = a.len;
	} else {
		alen = 0;
	}
	if (r == 0)
		r = send_guard(f, sk);
	if (r == 0)
		r = io_call(f, __NR_sendto, hfd, (long)io_ubuf(buf, len),
			    (long)len, flags, (long)ha, alen);
	if (hold >= 0)
		host_close(hold);
	io_put(f);
	return r;
}

long sys_recvfrom(int fd, void *buf, size_t len, int flags, void *uaddr,
		  int *ulen)
{
	SOCK_OR_HOST(host_syscall6(__NR_recvfrom, hfd, (long)io_ubuf(buf, len),
				   len, flags, 0, 0));
	struct kaddr a;
	a.len = SOCKADDR_MAX;
	long r = io_call(f, __NR_recvfrom, hfd, (long)io_ubuf(buf, len),
			 (long)len, flags, uaddr ? (long)a.bytes : 0,
			 uaddr ? (long)&a.len : 0);
	if (r >= 0 && uaddr) {
		long e = addr_out(&a, uaddr, ulen);
		if (e < 0)
			r = e;
	}
	io_put(f);
	return r;
}

/* sendmmsg and recvmmsg: one message at a time, as Linux's loop does;
 * an error after the first message ends the batch with the count. */
long sys_sendmmsg(int fd, void *uvec, unsigned vlen, int flags)
{
	SOCK_OR_HOST(host_syscall3(__NR_sendmsg, hfd, (long)IO_POISON, flags));
	struct kmmsghdr *v = uvec;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	long r = 0;
	unsigned n = 0;
	for (; n < vlen; n++) {
		r = msg_send(f, sk, hfd, &v[n].hdr, flags);
		if (r < 0)
			break;
		unsigned sent = (unsigned)r;
		if (copy_to_user(&v[n].len, &sent, sizeof sent) < 0) {
			r = -EFAULT;
			break;
		}
	}
	io_put(f);
	return n > 0 ? (long)n : r;
}

static long now_ns(void)
{
	struct kts ts;
	host_syscall2(__NR_clock_gettime, 1 /* CLOCK_MONOTONIC */, &ts);
	return ts.sec * 1000000000L + ts.nsec;
}

long sys_recvmmsg(int fd, void *uvec, unsigned vlen, int flags, void *uts)
{
	SOCK_OR_HOST(host_syscall3(__NR_recvmsg, hfd, (long)IO_POISON, flags));
	struct kts ts;
	long deadline = 0;
	long r = 0;
	if (uts) {
		r = kts_from_user(&ts, uts);
		if (r < 0) {
			io_put(f);
			return r;
		}
		deadline = now_ns() + ts.sec * 1000000000L + ts.nsec;
	}
	struct kmmsghdr *v = uvec;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	unsigned n = 0;
	while (n < vlen) {
		int fl = flags & ~MSG_WAITFORONE;
		if (n > 0 && (flags & MSG_WAITFORONE))
			fl |= MSG_DONTWAIT;
		r = msg_recv(f, hfd, &v[n].hdr, fl);
		if (r < 0)
			break;
		unsigned got = (unsigned)r;
		if (copy_to_user(&v[n].len, &got, sizeof got) < 0) {
			r = -EFAULT;
			break;
		}
		n++;
		/* Linux looks at the timeout only after each message. */
		if (uts && now_ns() >= deadline)
			break;
	}
	if (n > 0 && uts) {
		long left = deadline - now_ns();
		if (left < 0)
			left = 0;
		ts.sec = left / 1000000000L;
		ts.nsec = left % 1000000000L;
		if (copy_to_user(uts, &ts, sizeof ts) < 0)
			r = -EFAULT, n = 0;
	}
	io_put(f);
	return n > 0 ? (long)n : r;
}
