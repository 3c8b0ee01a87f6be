/* Sockets: host sockets behind guest fds.
 *
 * The host has Linux's socket semantics, so data calls pass through; the
 * provider translates what crosses the boundary: addresses (unix paths
 * live in the guest's mount table, and the network policy decides which
 * inet addresses a guest may bind, connect or send to), fds carried by
 * SCM_RIGHTS, pids and ids carried by SCM_CREDENTIALS and SO_PEERCRED. */
#ifndef PICOS_NET_H
#define PICOS_NET_H

#include "../fs/vfs.h"
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/un.h>
#include <asm/socket.h>

/* Kernel ABI constants the uapi headers leave to libc. */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define MSG_DONTWAIT 0x40
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000
#define NETLINK_ROUTE 0

/* The largest address the kernel copies in (sizeof sockaddr_storage). */
#define SOCKADDR_MAX 128

/* An address on its way between the guest and the host. */
struct kaddr {
	union {
		unsigned short family;
		struct sockaddr_un un;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		char bytes[SOCKADDR_MAX];
	};
	int len;
};

/* What the provider remembers of a socket (struct file's sk). */
struct sock {
	int family, type;
	bool bound;	  /* an explicit bind succeeded */
	bool any;	  /* bound to the wildcard address (loopback policy) */
	bool lo_tied;	  /* the provider tied it to the loopback device */
	/* SO_RCVTIMEO, SO_SNDTIMEO set: a call they bound is never
	 * restarted after a signal (EINTR), as signal(7) says. */
	bool rcvtimeo, sndtimeo;
	char *unix_name;  /* the guest path a unix socket was bound to */
};

/* SCM_CREDENTIALS and SO_PEERCRED (struct ucred). */
struct kucred {
	int32_t pid;
	uint32_t uid, gid;
};

/* The world's network policy (--net). */
enum net_policy { NET_LOOPBACK, NET_HOST, NET_NONE };
extern int net_policy;

/* sockaddr.c */
/* Copies a guest address in (Linux's move_addr_to_kernel): -EINVAL for a
 * length outside [0, SOCKADDR_MAX], -EFAULT. */
long addr_from_user(struct kaddr *a, const void *uaddr, int len);
/* Copies an address out (move_addr_to_user): the guest's length word
 * says how much fits, and receives the full length. */
long addr_to_user(const struct kaddr *a, void *uaddr, int *ulen);
/* Makes a guest address one the host may be given, for `op` (bind,
 * connect or send).  A unix path becomes a host path; *hold receives a
 * host fd the address names (close it after the call, -1 for none).  An
 * inet address the policy refuses gives the errno Linux gives in a
 * network namespace without that address or route. */
enum addr_op { ADDR_BIND, ADDR_CONNECT, ADDR_SEND };
long addr_to_host(struct sock *sk, struct kaddr *a, enum addr_op op, int *hold);
/* Turns an address the host reported into the guest's view (unix paths
 * back into guest paths). */
void addr_to_guest(struct kaddr *a);
/* On the loopback policy, an inet socket about to listen or send without
 * a bind is tied to the loopback device first: the host's automatic bind
 * takes the wildcard address. */
long sock_guard_unbound(struct file *f);
/* Ties a socket about to be bound to a wildcard address to the loopback
 * device (SO_BINDTODEVICE), so that only this machine reaches it. */
long sock_tie_to_lo(struct sock *sk, int hfd);
/* The host's loopback device index (1 in every network namespace, but
 * asked, not assumed; -1 if the host does not say), asked through hfd. */
int lo_ifindex(int hfd);
/* Whether a connection accepted on `sk` (host fd nfd) may reach the
 * guest: on a socket tied to lo, only one addressed to loopback. */
bool sock_accept_ok(const struct sock *sk, int nfd);
/* After a unix bind: remembers the guest's name for getsockname and gives
 * the new socket the mode the guest's umask asks for. */
/* Host pid and ids in a ucred become the guest's (pid 0 outside the
 * world). */
void ucred_to_guest(struct kucred *c);
/* An address the host wrote, handed to the guest's buffer and length
 * word (unix paths back into guest paths). */
long addr_out(struct kaddr *a, void *uaddr, int *ulen);
void unix_bound(struct sock *sk, const struct kaddr *guest,
		const struct kaddr *host, int pfd);

/* sys_socket.c */
/* The socket behind guest fd `fd`, with a reference in *fp (NULL: not a
 * socket or not open; the host fd, or -1, is still returned so the host
 * answers EBADF or ENOTSOCK in Linux's order). */
int sock_get(int fd, struct file **fp, struct sock **skp);
/* Wraps a new host socket in a guest fd. */
long sock_install(int hfd, int family, int type, bool cloexec);

void sock_free(struct sock *sk);

/* sys_sockopt.c: IPv4 options holding a source route (LSRR, SSRR). */
bool ip_options_route(const unsigned char *o, int len);

/* Whether the socket's timeout bounds the host call `nr` (receiving
 * calls and accept take the receive timeout, the others the send one). */
static inline bool sock_timed(const struct sock *sk, long nr)
{
	switch (nr) {
	case __NR_read:
	case __NR_readv:
	case __NR_recvfrom:
	case __NR_recvmsg:
	case __NR_accept4:
		return sk->rcvtimeo;
	}
	return sk->sndtimeo;
}

#endif
