/* Socket addresses between the guest and the host.
 *
 * Unix paths name files in the guest's mount table, so they are resolved
 * by the provider's path walk and given to the host in a form that cannot
 * leave the mount: bind names "<host dir>/<name>" (Landlock only lets a
 * world make sockets in its writable mounts), connect and send name the
 * socket through /proc/self/fd/N of an O_PATH fd the walk opened (Landlock
 * does not guard connecting to a path, so the host must never resolve a
 * guest-controlled path itself).
 *
 * Inet addresses follow the network policy: on "loopback" (the default) a
 * guest binds, connects and sends only to loopback addresses; a wildcard
 * bind (explicit, or the host's implicit one before a listen or a send)
 * stays a wildcard bind but on a socket tied to the loopback device
 * (SO_BINDTODEVICE "lo", which any user may set), so only packets this
 * machine sends through lo reach it: IPv4 and IPv6 clients of a
 * dual-stack IPv6 listener both get there, and getsockname, accept's peer
 * names and readiness are the host's own.  Local processes may also
 * address such a socket at the host's other addresses (their packets go
 * through lo too): accept drops those connections (sock_accept_ok), as a
 * network namespace holding only lo would never see them.  "host" passes
 * everything; "none" refuses every inet address (and Landlock refuses TCP
 * bind and connect as well). */
#include "net.h"
#include "../syscalls.h"
#include "../entry/thread.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

int net_policy = NET_LOOPBACK;

long addr_from_user(struct kaddr *a, const void *uaddr, int len)
{
	if (len < 0 || len > SOCKADDR_MAX)
		return -EINVAL;
	rt_memset(a, 0, sizeof *a);
	a->len = len;
	if (len == 0)
		return 0;
	return copy_from_user(a->bytes, uaddr, (size_t)len);
}

long addr_to_user(const struct kaddr *a, void *uaddr, int *ulen)
{
	int len;
	if (copy_from_user(&len, ulen, sizeof len) < 0)
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (len > a->len)
		len = a->len;
	if (len > 0 && copy_to_user(uaddr, a->bytes, (size_t)len) < 0)
		return -EFAULT;
	return copy_to_user(ulen, &a->len, sizeof a->len);
}

/* inet */

static bool v4_loopback(uint32_t be)
{
	return (be & 0xff) == 127; /* 127.0.0.0/8, network byte order */
}

static bool v6_mapped(const struct in6_addr *a)
{
	return a->s6_addr32[0] == 0 && a->s6_addr32[1] == 0 &&
	       a->s6_addr32[2] == __builtin_bswap32(0xffff);
}

static bool v6_any(const struct in6_addr *a)
{
	return !(a->s6_addr32[0] | a->s6_addr32[1] | a->s6_addr32[2] |
		 a->s6_addr32[3]);
}

static bool v6_loopback(const struct in6_addr *a)
{
	if (v6_mapped(a))
		return v4_loopback(a->s6_addr32[3]);
	return a->s6_addr32[0] == 0 && a->s6_addr32[1] == 0 &&
	       a->s6_addr32[2] == 0 &&
	       a->s6_addr32[3] == __builtin_bswap32(1);
}

/* Which inet address the host would take from `a` on this socket: 4, 6,
 * or 0 when it takes none (AF_UNSPEC on connect disconnects; lengths and
 * families the host refuses).  Every form the host accepts counts: IPv6
 * from 24 bytes (RFC 2133's sockaddr_in6 without the scope), AF_INET on
 * IPv6 datagram sockets, and AF_UNSPEC read as AF_INET on IPv4 sockets
 * for bind (the wildcard only) and send. */
static int inet_kind(const struct sock *sk, const struct kaddr *a,
		     enum addr_op op)
{
	if (a->family == AF_INET6)
		return a->len >= 24 ? 6 : 0;
	if (a->family == AF_INET ||
	    (a->family == AF_UNSPEC && sk->family == AF_INET && op != ADDR_CONNECT))
		return a->len >= (int)sizeof a->in ? 4 : 0;
	return 0;
}

static bool addr_is_any(const struct kaddr *a, int kind)
{
	if (kind == 4)
		return a->in.sin_addr.s_addr == 0;
	const struct in6_addr *x = &a->in6.sin6_addr;
	return v6_any(x) || (v6_mapped(x) && x->s6_addr32[3] == 0);
}

static bool addr_is_loopback(const struct kaddr *a, int kind)
{
	return kind == 4 ? v4_loopback(a->in.sin_addr.s_addr)
			 : v6_loopback(&a->in6.sin6_addr);
}

/* The wildcard becomes loopback: 127.0.0.1, ::1, or ::ffff:127.0.0.1. */
static void addr_make_loopback(struct kaddr *a, int kind)
{
	if (kind == 4) {
		a->family = AF_INET;
		a->in.sin_addr.s_addr = __builtin_bswap32(0x7f000001);
	} else if (v6_mapped(&a->in6.sin6_addr)) {
		a->in6.sin6_addr.s6_addr32[3] = __builtin_bswap32(0x7f000001);
	} else {
		a->in6.sin6_addr.s6_addr32[3] = __builtin_bswap32(1);
	}
}

static long inet_to_host(struct sock *sk, struct kaddr *a, enum addr_op op)
{
	int kind = inet_kind(sk, a, op);
	if (net_policy == NET_HOST || kind == 0)
		return 0;
	if (net_policy == NET_NONE)
		return -EACCES;
	if (addr_is_any(a, kind)) {
		/* A wildcard bind stays one, on the loopback device (sys_bind
		 * ties the socket to it).  Linux connects and sends to the
		 * wildcard as to the local host: say so to the host. */
		if (op == ADDR_BIND)
			sk->any = true;
		else
			addr_make_loopback(a, kind);
		return 0;
	}
	if (addr_is_loopback(a, kind))
		return 0;
	if (op == ADDR_BIND)
		return a->family == AF_UNSPEC ? 0 /* the host refuses it */
					      : -EADDRNOTAVAIL;
	return -ENETUNREACH;
}

#define LO_NAME "lo"

int lo_ifindex(int hfd)
{
	struct {
		char name[16];
		int index;
		char pad[20];
	} ifr;
	rt_memset(&ifr, 0, sizeof ifr);
	rt_memcpy(ifr.name, LO_NAME, sizeof LO_NAME);
	long r = host_syscall3(__NR_ioctl, hfd, 0x8933 /* SIOCGIFINDEX */, &ifr);
	return r < 0 ? -1 : ifr.index;
}

static int bound_index(int hfd)
{
	int idx = 0, n = sizeof idx;
	if (host_syscall5(__NR_getsockopt, hfd, SOL_SOCKET, SO_BINDTOIFINDEX,
			  &idx, &n) < 0)
		return -1;
	return idx;
}

long sock_tie_to_lo(struct sock *sk, int hfd)
{
	int idx = bound_index(hfd), lo = lo_ifindex(hfd);
	if (idx < 0 || lo < 0)
		return -EADDRNOTAVAIL;
	if (idx == lo)
		return 0; /* the guest's own choice, or ours before */
	if (idx != 0)
		return -EADDRNOTAVAIL; /* cannot happen: sys_setsockopt refuses */
	long r = host_syscall5(__NR_setsockopt, hfd, SOL_SOCKET,
			       SO_BINDTODEVICE, LO_NAME, sizeof LO_NAME);
	if (r == 0)
		sk->lo_tied = true;
	return r;
}

bool sock_accept_ok(const struct sock *sk, int nfd)
{
	if (!sk->lo_tied || sk->type != SOCK_STREAM)
		return true;
	struct kaddr a;
	a.len = SOCKADDR_MAX;
	if (host_syscall3(__NR_getsockname, nfd, a.bytes, &a.len) < 0)
		return false;
	int kind = a.family == AF_INET ? 4 : a.family == AF_INET6 ? 6 : 0;
	return kind && addr_is_loopback(&a, kind);
}

long sock_guard_unbound(struct file *f)
{
	struct sock *sk = f->sk;
	if (net_policy != NET_LOOPBACK || sk->bound ||
	    (sk->family != AF_INET && sk->family != AF_INET6))
		return 0;
	struct kaddr a;
	a.len = SOCKADDR_MAX;
	long r = host_syscall3(__NR_getsockname, f->host_fd, a.bytes, &a.len);
	if (r < 0)
		return 0;
	bool port0 = a.family == AF_INET ? a.in.sin_port == 0
					 : a.in6.sin6_port == 0;
	if (!port0) {
		sk->bound = true; /* bound already, by connect */
		return 0;
	}
	/* The host would bind the wildcard: it may, on the loopback device. */
	r = sock_tie_to_lo(sk, f->host_fd);
	if (r == 0)
		sk->bound = sk->any = true;
	/* Raw and ping sockets have no ports and may refuse: let the call
	 * itself go on; only its destination is checked. */
	return r == -EADDRNOTAVAIL ? r : 0;
}

/* unix */

#define PROC_FD "/proc/self/fd/"

/* The guest path in a unix address (NUL-terminated at the length, as
 * Linux does), or NULL for an abstract or unnamed one. */
static char *unix_path(struct kaddr *a)
{
	int n = a->len - (int)sizeof a->family;
	if (n <= 0 || a->un.sun_path[0] == 0)
		return NULL;
	if (n > UNIX_PATH_MAX)
		n = UNIX_PATH_MAX;
	char *p = current()->kpath[0];
	rt_memcpy(p, a->un.sun_path, (size_t)n);
	p[n] = 0;
	return p;
}

static long set_host_path(struct kaddr *a, const char *s1, const char *s2)
{
	size_t n = (size_t)rt_snprintf(a->un.sun_path, UNIX_PATH_MAX, "%s%s",
				       s1, s2);
	if (n >= UNIX_PATH_MAX)
		return -ENAMETOOLONG;
	a->len = (int)(sizeof a->family + n + 1);
	return 0;
}

static long unix_bind_to_host(struct kaddr *a, const char *path, int *hold)
{
	struct pico_thread *t = current();
	struct lookup lk;
	const char *name;
	long r = path_lookup(AT_FDCWD, path, 0, &lk, t->lpath[0]);
	if (r < 0)
		return r;
	if (*lk.rel == 0)
		return -EADDRINUSE; /* a mount root exists */
	long pfd = vfs_open_parent(&lk, &name);
	if (pfd < 0)
		return pfd;
	*hold = (int)pfd;
	struct mount *pm = mount_find(t->parent);
	/* procfs refuses new names itself (ENOENT), as the host's does. */
	if (pm && pm->rdonly && !pm->procfs) {
		char st[160];
		r = host_syscall4(__NR_newfstatat, pfd, name, st,
				  AT_SYMLINK_NOFOLLOW);
		return r == 0 ? -EADDRINUSE : r == -ENOENT ? -EROFS : r;
	}
	r = perm_dir_change((int)pfd, name, false);
	if (r < 0)
		return r;
	/* The host's own name for the directory, so that peers can read
	 * the address back (getpeername, accept). */
	char dir[UNIX_PATH_MAX];
	host_fd_path((int)pfd, dir, sizeof dir);
	char *s = t->kpath[1];
	rt_snprintf(s, PICOS_PATH_MAX, "%s/%s", dir, name);
	if (dir[0] && set_host_path(a, s, "") == 0)
		return 0;
	rt_snprintf(s, PICOS_PATH_MAX, PROC_FD "%ld/", pfd);
	return set_host_path(a, s, name);
}

/* A guest connects (or sends) only to sockets in its writable mounts,
 * which the world itself (or the user, for a rw --bind) put there, and to
 * those the user named with --bind-socket: a host daemon's socket under
 * the read-only root, or in /proc, is refused with EACCES, what Linux
 * gives without write permission on the socket file.  The mount is the
 * one the walk ended in, after every symlink (vfs_open resolves them in
 * the provider), so a link cannot lead out. */
static bool unix_connect_allowed(const struct mount *m)
{
	return m->socket || (!m->rdonly && !m->procfs);
}

static long unix_connect_to_host(struct kaddr *a, const char *path, int *hold)
{
	struct lookup lk;
	long r = path_lookup(AT_FDCWD, path, LK_FOLLOW, &lk, current()->lpath[0]);
	if (r < 0)
		return r;
	long fd = vfs_open_path(&lk, true);
	if (fd < 0)
		return fd;
	if (!unix_connect_allowed(lk.mnt)) {
		host_close((int)fd);
		return -EACCES;
	}
	*hold = (int)fd;
	r = perm_fd((int)fd, 2 /* write, as Linux's unix connect */);
	if (r < 0)
		return r;
	char s[32];
	rt_snprintf(s, sizeof s, PROC_FD "%ld", fd);
	return set_host_path(a, s, "");
}

static long unix_to_host(struct kaddr *a, enum addr_op op, int *hold)
{
	if (a->family != AF_UNIX)
		return 0; /* the host refuses it */
	if (a->len > (int)sizeof a->un)
		return -EINVAL; /* longer than sockaddr_un, as Linux checks */
	const char *path = unix_path(a);
	if (!path)
		return 0; /* abstract (scoped to the world) or autobind */
	if (op == ADDR_BIND)
		return unix_bind_to_host(a, path, hold);
	return unix_connect_to_host(a, path, hold);
}

long addr_to_host(struct sock *sk, struct kaddr *a, enum addr_op op, int *hold)
{
	*hold = -1;
	if (a->len < (int)sizeof a->family)
		return 0;
	if (sk->family == AF_UNIX)
		return unix_to_host(a, op, hold);
	if (sk->family == AF_INET || sk->family == AF_INET6)
		return inet_to_host(sk, a, op);
	return 0;
}

void unix_bound(struct sock *sk, const struct kaddr *guest,
		const struct kaddr *host, int pfd)
{
	size_t n = (size_t)(guest->len - (int)sizeof guest->family);
	if (n > UNIX_PATH_MAX)
		n = UNIX_PATH_MAX;
	char *s = kmalloc(n + 1);
	rt_memcpy(s, guest->un.sun_path, n);
	s[n] = 0;
	kfree(sk->unix_name);
	sk->unix_name = s;
	/* The host's umask is 0: apply the guest's, never through a link. */
	const char *name = rt_strrchr(host->un.sun_path, '/');
	if (name && pfd >= 0)
		host_syscall4(__NR_fchmodat2, pfd, name + 1, 0777 & ~fs_umask,
			      AT_SYMLINK_NOFOLLOW);
}

long addr_out(struct kaddr *a, void *uaddr, int *ulen)
{
	addr_to_guest(a);
	return addr_to_user(a, uaddr, ulen);
}

/* A host socket path back into the guest's tree: through the mount whose
 * host directory is its longest prefix.  Names made through /proc/self/fd
 * (too long for a host path) and names outside every mount stay as the
 * host has them. */
void addr_to_guest(struct kaddr *a)
{
	if (a->family != AF_UNIX || a->len <= (int)sizeof a->family ||
	    a->un.sun_path[0] != '/')
		return;
	char host[UNIX_PATH_MAX + 1];
	size_t n = (size_t)(a->len - (int)sizeof a->family);
	if (n > UNIX_PATH_MAX)
		n = UNIX_PATH_MAX;
	rt_memcpy(host, a->un.sun_path, n);
	host[n] = 0;
	char *g = current()->kpath[1];
	if (!mount_guest_path_of_host(host, g, PICOS_PATH_MAX))
		return;
	size_t gl = rt_strlen(g);
	if (gl >= UNIX_PATH_MAX)
		gl = UNIX_PATH_MAX;
	rt_memset(a->un.sun_path, 0, sizeof a->un.sun_path);
	rt_memcpy(a->un.sun_path, g, gl);
	a->len = (int)(sizeof a->family + gl + (gl < UNIX_PATH_MAX ? 1 : 0));
}
