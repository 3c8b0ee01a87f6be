/* socket, socketpair, bind, connect, listen, accept, accept4, getsockname,
 * getpeername and shutdown: host sockets behind guest fds, with addresses
 * translated by sockaddr.c. */
#include "net.h"
#include "../fs/io.h"
#include "../syscalls.h"
#include "../proc/caps.h"

void sock_free(struct sock *sk)
{
	kfree(sk->unix_name);
	kfree(sk);
}

static bool has_timeout(int hfd, int opt)
{
	long tv[2] = { 0, 0 };
	int n = sizeof tv;
	host_syscall5(__NR_getsockopt, hfd, SOL_SOCKET, opt, tv, &n);
	return tv[0] || tv[1];
}

/* A socket the provider did not make (inherited from the host, or
 * received with SCM_RIGHTS) gets its state when first used as one. */
static struct sock *sock_probe(struct file *f)
{
	int family, type;
	int n = sizeof family;
	if (host_syscall5(__NR_getsockopt, f->host_fd, SOL_SOCKET, SO_DOMAIN,
			  &family, &n) < 0)
		return NULL;
	n = sizeof type;
	if (host_syscall5(__NR_getsockopt, f->host_fd, SOL_SOCKET, SO_TYPE,
			  &type, &n) < 0)
		return NULL;
	struct sock *sk = kzalloc(sizeof *sk);
	sk->family = family;
	sk->type = type;
	sk->bound = true; /* whatever it is bound to, the host chose it */
	sk->rcvtimeo = has_timeout(f->host_fd, SO_RCVTIMEO_OLD);
	sk->sndtimeo = has_timeout(f->host_fd, SO_SNDTIMEO_OLD);
	struct sock *none = NULL;
	if (!__atomic_compare_exchange_n(&f->sk, &none, sk, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kfree(sk);
		return none;
	}
	f->blocks = FILE_BLOCKS;
	return sk;
}

int sock_get(int fd, struct file **fp, struct sock **skp)
{
	int hfd = io_get(fd, fp);
	struct file *f = *fp;
	*skp = NULL;
	if (f && hfd >= 0)
		*skp = f->sk ? f->sk : sock_probe(f);
	return hfd;
}

static struct file *sock_file(int hfd, int family, int type)
{
	struct file *f = file_new(hfd, O_RDWR | (type & SOCK_NONBLOCK), NULL,
				  NULL);
	f->blocks = FILE_BLOCKS;
	f->sk = kzalloc(sizeof *f->sk);
	f->sk->family = family;
	f->sk->type = type & SOCK_TYPE_MASK;
	return f;
}

long sock_install(int hfd, int family, int type, bool cloexec)
{
	return fd_install(sock_file(hfd, family, type), cloexec, 0);
}

/* The families a guest may open: local sockets, inet (the network policy
 * decides its addresses) and routing netlink (read-only without
 * CAP_NET_ADMIN; glibc's getaddrinfo and Go's net package ask it which
 * addresses the host has).  The seccomp filter allows the same list. */
static bool family_allowed(int family, int protocol)
{
	switch (family) {
	case AF_UNIX:
		return true;
	case AF_INET:
	case AF_INET6:
		return net_policy != NET_NONE; /* --net=none: no inet at all */
	case AF_NETLINK:
		return protocol == NETLINK_ROUTE;
	}
	return false;
}

/* A host socket of a family the world allows (always close-on-exec on
 * the host), or -errno. */
static long host_socket(int family, int type, int protocol)
{
	if (family < 0 || family >= 46 /* AF_MAX */)
		return -EAFNOSUPPORT;
	if (!family_allowed(family, protocol))
		return family == AF_NETLINK ? -EPROTONOSUPPORT : -EAFNOSUPPORT;
	return host_syscall3(__NR_socket, family,
			     (type & ~SOCK_CLOEXEC) | SOCK_CLOEXEC, protocol);
}

long sys_socket(int family, int type, int protocol)
{
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	long hfd = host_socket(family, type, protocol);
	if (hfd < 0)
		return hfd;
	return sock_install((int)hfd, family, type, type & SOCK_CLOEXEC);
}

/* socketpair of a family without pairs.  Linux creates the first socket
 * before it asks the family for a pair, so the creation's errors
 * (EAFNOSUPPORT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EINVAL) come first:
 * the host makes (and the provider drops) that socket; then EOPNOTSUPP. */
static long socketpair_refused(int family, int type, int protocol)
{
	long hfd = host_socket(family, type, protocol);
	if (hfd < 0)
		return hfd;
	host_close((int)hfd);
	return -EOPNOTSUPP;
}

long sys_socketpair(int family, int type, int protocol, int *usv)
{
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (family != AF_UNIX)
		return socketpair_refused(family, type, protocol);
	int hsv[2];
	long r = host_syscall4(__NR_socketpair, family,
			       (type & ~SOCK_CLOEXEC) | SOCK_CLOEXEC, protocol,
			       hsv);
	if (r < 0)
		return r;
	return fd_install_pair(sock_file(hsv[0], family, type),
			       sock_file(hsv[1], family, type),
			       type & SOCK_CLOEXEC, usv);
}

/* An address argument for the host: translated when the fd is a socket
 * and the address could be read; otherwise the host gets what it needs to
 * answer EBADF, ENOTSOCK, EINVAL or EFAULT in Linux's order. */
struct addr_arg {
	struct kaddr k;
	void *host;
	int len;
	int hold;
};

static long addr_arg_in(struct addr_arg *x, struct sock *sk, const void *uaddr,
			int len, enum addr_op op)
{
	x->hold = -1;
	x->len = len;
	x->host = IO_POISON;
	long r = addr_from_user(&x->k, uaddr, len);
	if (r == -EINVAL)
		return 0; /* the host refuses the length after its fd checks */
	if (r < 0)
		return sk ? r : 0;
	x->host = x->k.bytes;
	if (!sk)
		return 0;
	r = addr_to_host(sk, &x->k, op, &x->hold);
	x->len = x->k.len;
	return r;
}

static void addr_arg_done(struct addr_arg *x)
{
	if (x->hold >= 0)
		host_close(x->hold);
}

/* Linux's inet_bind: a port below ip_unprivileged_port_start (1024,
 * the default of a new network namespace) needs CAP_NET_BIND_SERVICE.
 * The provider checks the guest's own capability: the host's answer is
 * the world's user's (an unprivileged world in its own network namespace
 * may bind any port there; a guest that dropped its ids may not). */
static long bind_port_allowed(const struct kaddr *a, int len)
{
	unsigned short port = 0;
	if (a->family == AF_INET && len >= (int)sizeof a->in)
		port = a->in.sin_port;
	else if (a->family == AF_INET6 && len >= (int)sizeof a->in6)
		port = a->in6.sin6_port;
	port = (unsigned short)(port >> 8 | port << 8);
	if (port == 0 || port >= 1024 || capable(CAP_NET_BIND_SERVICE))
		return 0;
	return -EACCES;
}

long sys_bind(int fd, const void *uaddr, int len)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	struct addr_arg x;
	struct kaddr guest;
	addr_from_user(&guest, uaddr, len);
	bool was_any = sk && sk->any;
	long r = addr_arg_in(&x, sk, uaddr, len, ADDR_BIND);
	if (r == 0)
		r = bind_port_allowed(&guest, len);
	if (r == 0 && sk && sk->any)
		r = sock_tie_to_lo(sk, hfd); /* a wildcard on the loopback policy */
	if (r == 0)
		r = host_syscall3(__NR_bind, hfd, x.host, x.len);
	if (r == 0 && sk) {
		sk->bound = true;
		if (sk->family == AF_UNIX && x.hold >= 0)
			unix_bound(sk, &guest, &x.k, x.hold);
	} else if (sk) {
		sk->any = was_any; /* a failed bind changes nothing */
	}
	addr_arg_done(&x);
	io_put(f);
	return r;
}

long sys_connect(int fd, const void *uaddr, int len)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	struct addr_arg x;
	long r = addr_arg_in(&x, sk, uaddr, len, ADDR_CONNECT);
	if (r == 0)
		r = io_call(f, __NR_connect, hfd, (long)x.host, x.len, 0, 0, 0);
	addr_arg_done(&x);
	io_put(f);
	return r;
}

long sys_listen(int fd, int backlog)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	long r = sk ? sock_guard_unbound(f) : 0;
	if (r == 0)
		r = host_syscall2(__NR_listen, hfd, backlog);
	io_put(f);
	return r;
}

long sys_shutdown(int fd, int how)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	long r = host_syscall2(__NR_shutdown, hfd, how);
	io_put(f);
	return r;
}

long sys_accept4(int fd, void *uaddr, int *ulen, int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	struct kaddr k;
	long r;
	for (;;) {
		k.len = SOCKADDR_MAX;
		r = io_call(f, __NR_accept4, hfd, (long)k.bytes, (long)&k.len,
			    SOCK_CLOEXEC | (flags & SOCK_NONBLOCK), 0, 0);
		if (r < 0 || !sk || sock_accept_ok(sk, (int)r))
			break;
		/* Addressed to a host address that is not loopback: reset it
		 * and wait for the next one (a nonblocking accept then says
		 * EAGAIN, as after a connection the peer reset). */
		struct { int onoff, linger; } lg = { 1, 0 };
		host_syscall5(__NR_setsockopt, r, SOL_SOCKET, SO_LINGER, &lg,
			      sizeof lg);
		host_close((int)r);
	}
	if (r < 0) {
		io_put(f);
		return r;
	}
	int nfd = (int)r;
	if (uaddr && (r = addr_out(&k, uaddr, ulen)) < 0) {
		/* Linux drops the new connection when the address cannot be
		 * stored. */
		host_close(nfd);
		io_put(f);
		return r;
	}
	struct file *nf = sock_file(nfd, sk->family,
				    sk->type | (flags & SOCK_NONBLOCK));
	nf->sk->lo_tied = sk->lo_tied; /* the host copies the device */
	r = fd_install(nf, flags & SOCK_CLOEXEC, 0);
	io_put(f);
	return r;
}

long sys_accept(int fd, void *uaddr, int *ulen)
{
	return sys_accept4(fd, uaddr, ulen, 0);
}

static long sock_name(int nr, int fd, void *uaddr, int *ulen)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	struct kaddr k;
	k.len = SOCKADDR_MAX;
	long r = host_syscall3(nr, hfd, k.bytes, &k.len);
	if (r == 0 && nr == __NR_getsockname && sk && sk->unix_name) {
		/* The name the guest bound, not the host path made of it. */
		size_t n = rt_strlen(sk->unix_name);
		rt_memset(k.un.sun_path, 0, sizeof k.un.sun_path);
		rt_memcpy(k.un.sun_path, sk->unix_name, n);
		k.len = (int)(sizeof k.family + n + (n < UNIX_PATH_MAX));
	} else if (r == 0) {
		addr_to_guest(&k);
	}
	if (r == 0)
		r = addr_to_user(&k, uaddr, ulen);
	io_put(f);
	return r;
}

long sys_getsockname(int fd, void *uaddr, int *ulen)
{
	return sock_name(__NR_getsockname, fd, uaddr, ulen);
}

long sys_getpeername(int fd, void *uaddr, int *ulen)
{
	return sock_name(__NR_getpeername, fd, uaddr, ulen);
}
