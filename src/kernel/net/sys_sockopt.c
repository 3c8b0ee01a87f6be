/* setsockopt and getsockopt.  Option values travel through a provider
 * buffer.  The provider steps in where a value names something of its
 * own: ids and pids (SO_PEERCRED, SO_PEERGROUPS go to the guest's view),
 * timeouts (which change the restart rule), and options that carry guest
 * pointers or host fds, which are refused. */
#include "net.h"
#include "../fs/io.h"
#include "../syscalls.h"
#include "../proc/proc.h"

#include <linux/tcp.h>

#define SOL_NETLINK 270 /* linux/socket.h, kernel-internal */
/* Newer than Debian 12's uapi headers. */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* Values up to this size pass (the largest Linux option in use is far
 * smaller; TCP_INFO is a few hundred bytes). */
#define OPT_MAX 4096

/* Options the provider does not pass: socket filters hold a pointer to
 * the guest's program (the host would read it from wherever it points),
 * BPF attachments and SO_PEERPIDFD carry host fds, TCP zero-copy receive
 * maps pages at a guest address, and the netfilter ranges of IP and IPv6
 * hold pointers too. */
static bool opt_refused(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_ATTACH_FILTER || name == SO_ATTACH_BPF ||
		       name == SO_ATTACH_REUSEPORT_CBPF ||
		       name == SO_ATTACH_REUSEPORT_EBPF || name == SO_PEERPIDFD ||
		       name == SO_PASSPIDFD;
	case IPPROTO_TCP:
		return name == TCP_ZEROCOPY_RECEIVE;
	case IPPROTO_IP:
		return name >= 64 && name <= 131;
	case IPPROTO_IPV6:
		return name == 64 || name == 65 || name == 68 || name == 69 ||
		       name == 80;
	case IPPROTO_UDP:
	case SOL_NETLINK:
		return false;
	}
	return level < 0 || level > 300; /* protocols the host has none of */
}

/* The checks before either call touches the value: not a socket (the
 * host answers EBADF itself), or an option the provider refuses. */
static long opt_check(int hfd, struct sock *sk, int level, int name)
{
	if (hfd >= 0 && !sk)
		return -ENOTSOCK;
	if (sk && opt_refused(level, name))
		return -ENOPROTOOPT;
	return 0;
}

/* The flag a timeout option sets, or NULL. */
static bool *timeout_flag(struct sock *sk, int level, int name)
{
	if (level != SOL_SOCKET)
		return NULL;
	if (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW)
		return &sk->rcvtimeo;
	if (name == SO_SNDTIMEO_OLD || name == SO_SNDTIMEO_NEW)
		return &sk->sndtimeo;
	return NULL;
}

/* On the loopback policy a source route would send a loopback-addressed
 * packet out through another host: IPv4 LSRR/SSRR options and IPv6
 * routing headers are refused there. */

bool ip_options_route(const unsigned char *o, int len)
{
	for (int i = 0; i < len;) {
		if (o[i] == 0)
			break; /* end of options */
		if (o[i] == 1) {
			i++; /* no-op */
			continue;
		}
		if (o[i] == 131 || o[i] == 137)
			return true;
		if (i + 1 >= len || o[i + 1] < 2)
			break;
		i += o[i + 1];
	}
	return false;
}

static bool routes_elsewhere(int level, int name, const char *v, int len)
{
	if (net_policy != NET_LOOPBACK)
		return false;
	if (level == IPPROTO_IP && name == IP_OPTIONS)
		return ip_options_route((const unsigned char *)v, len);
	return level == IPPROTO_IPV6 &&
	       (name == IPV6_RTHDR || name == IPV6_2292RTHDR) && len > 0;
}

/* The device options on the loopback policy, as in a network namespace
 * that holds only lo: another device is ENODEV.  On a socket the provider
 * tied to lo itself (a wildcard bind), asking for lo again succeeds and
 * makes the tie the guest's (getsockopt shows it from then on); leaving
 * the device needs CAP_NET_RAW, which the world lacks: EPERM.  Returns 1
 * when the host should be asked. */
static long device_opt(struct sock *sk, int hfd, int name, const char *v,
		       int len)
{
	if (net_policy != NET_LOOPBACK ||
	    (sk->family != AF_INET && sk->family != AF_INET6))
		return 1;
	int want; /* 0: none, 1: lo, -1: another */
	if (name == SO_BINDTODEVICE) {
		char dev[17];
		int n = len < 16 ? len : 16;
		rt_memcpy(dev, v, (size_t)(n < 0 ? 0 : n));
		dev[n < 0 ? 0 : n] = 0;
		want = dev[0] == 0 ? 0 : rt_strcmp(dev, "lo") == 0 ? 1 : -1;
	} else {
		if (len < (int)sizeof(int))
			return 1; /* the host answers EINVAL */
		int idx = *(const int *)v;
		want = idx == 0 ? 0 : idx == lo_ifindex(hfd) ? 1 : -1;
	}
	if (want < 0)
		return -ENODEV;
	if (!sk->lo_tied)
		return 1;
	if (want == 0)
		return -EPERM;
	sk->lo_tied = false;
	return 0;
}

static bool timeout_set(const char *v, int len)
{
	for (int i = 0; i < len; i++)
		if (v[i])
			return true;
	return false;
}

long sys_setsockopt(int fd, int level, int name, const void *uval, int len)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	long r;
	char *buf = NULL;
	void *hv = IO_POISON;
	if ((r = opt_check(hfd, sk, level, name)) < 0)
		goto out;
	if (len > 0 && len <= OPT_MAX) {
		buf = kmalloc((size_t)len);
		if (copy_from_user(buf, uval, (size_t)len) == 0)
			hv = buf;
	} else if (len > OPT_MAX) {
		r = -EINVAL;
		goto out;
	} else {
		hv = (void *)uval; /* len <= 0: the host reads nothing */
		hv = io_ubuf(hv, 0);
	}
	if (sk && hv == buf && routes_elsewhere(level, name, buf, len)) {
		r = -EPERM;
		goto out;
	}
	if (sk && hv == buf && level == SOL_SOCKET &&
	    (name == SO_BINDTODEVICE || name == SO_BINDTOIFINDEX) &&
	    (r = device_opt(sk, hfd, name, buf, len)) <= 0)
		goto out;
	r = host_syscall5(__NR_setsockopt, hfd, level, name, (long)hv, len);
	bool *tf = sk ? timeout_flag(sk, level, name) : NULL;
	if (r == 0 && tf)
		*tf = hv == buf && timeout_set(buf, len);
out:
	kfree(buf);
	io_put(f);
	return r;
}

void ucred_to_guest(struct kucred *c)
{
	c->pid = c->pid > 0 ? task_vpid_of_host(c->pid) : 0;
	c->uid = ident_uid_to_guest(c->uid);
	c->gid = ident_gid_to_guest(c->gid);
}

/* Host ids in an option value become the guest's. */
static void opt_to_guest(int level, int name, char *v, int len)
{
	if (level != SOL_SOCKET)
		return;
	if (name == SO_PEERCRED && len >= (int)sizeof(struct kucred))
		ucred_to_guest((struct kucred *)v);
	if (name == SO_PEERGROUPS)
		for (int i = 0; i + 4 <= len; i += 4)
			*(uint32_t *)(v + i) =
			    ident_gid_to_guest(*(uint32_t *)(v + i));
}

long sys_getsockopt(int fd, int level, int name, void *uval, int *ulen)
{
	struct file *f;
	struct sock *sk;
	int hfd = sock_get(fd, &f, &sk);
	int len;
	long r;
	char *buf = NULL;
	if ((r = opt_check(hfd, sk, level, name)) < 0)
		goto out;
	if (copy_from_user(&len, ulen, sizeof len) < 0) {
		/* The host reads the length itself after its fd checks. */
		r = host_syscall5(__NR_getsockopt, hfd, level, name,
				  (long)IO_POISON, (long)IO_POISON);
		goto out;
	}
	int cap = len < 0 ? 0 : len > OPT_MAX ? OPT_MAX : len;
	/* SO_PEERCRED is fetched whole, so a short buffer gets the guest's
	 * ids too, cut to its length. */
	bool cred = level == SOL_SOCKET && name == SO_PEERCRED && len >= 0;
	int want = cred ? (int)sizeof(struct kucred) : cap;
	buf = kzalloc((size_t)(want > cap ? want : cap) + 1);
	int hlen = len < 0 ? len : want;
	r = host_syscall5(__NR_getsockopt, hfd, level, name, (long)buf,
			  (long)&hlen);
	if (r == 0 && sk && sk->lo_tied && level == SOL_SOCKET &&
	    (name == SO_BINDTODEVICE || name == SO_BINDTOIFINDEX)) {
		/* The provider's tie to lo is not the guest's: no device. */
		rt_memset(buf, 0, (size_t)cap);
		if (name == SO_BINDTODEVICE)
			hlen = 0;
	}
	if (r == -ERANGE && copy_to_user(ulen, &hlen, sizeof hlen) < 0)
		r = -EFAULT; /* the length it needs (SO_PEERGROUPS, SO_PEERSEC) */
	if (r < 0)
		goto out;
	opt_to_guest(level, name, buf, hlen < want ? hlen : want);
	/* Some options report more than they were given room for (the
	 * length they need): copy no more than the buffer held. */
	int n = hlen < cap ? hlen : cap;
	if (cred && hlen > len)
		hlen = len;
	if (n > 0 && copy_to_user(uval, buf, (size_t)n) < 0)
		r = -EFAULT;
	else if (copy_to_user(ulen, &hlen, sizeof hlen) < 0)
		r = -EFAULT;
out:
	kfree(buf);
	io_put(f);
	return r;
}
