/* Dual-stack and wildcard inet sockets over loopback: an IPv6 socket
 * bound to [::] with IPV6_V6ONLY off (Linux's default) takes IPv4 clients
 * at 127.0.0.1 (their names are ::ffff:127.0.0.1) and IPv6 clients at
 * ::1, shares its port with IPv4, wakes poll and epoll for either, and
 * keeps its wildcard name; IPV6_V6ONLY on keeps IPv4 out; a listen or a
 * send without bind takes the wildcard; UDP the same; the device options
 * see no device.  Only loopback clients are used: natively a wildcard
 * socket is reachable at every address, under picos's default network
 * policy only through loopback (tests/programs/run.sh checks that). */
#include "tap.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static int port6(int s)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof a;
	if (getsockname(s, (void *)&a, &l) < 0)
		return -1;
	return ntohs(a.sin6_port); /* same offset in sockaddr_in */
}

static struct sockaddr_in v4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 v6(const char *ip, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

static int listener6(int v6only, int reuse)
{
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
	struct sockaddr_in6 any = v6("::", 0);
	if (bind(s, (void *)&any, sizeof any) < 0 || listen(s, 8) < 0)
		return -1;
	return s;
}

static int is_mapped_lo(const struct sockaddr_in6 *a)
{
	struct in6_addr m;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &m);
	return a->sin6_family == AF_INET6 && !memcmp(&a->sin6_addr, &m, sizeof m);
}

static void test_tcp_dual(void)
{
	int ls = listener6(0, 0);
	ok(ls >= 0, "TCP [::]:0 with IPV6_V6ONLY off: bind and listen");
	int v = -1;
	socklen_t l = sizeof v;
	ok(getsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l) == 0 && v == 0,
	   "IPV6_V6ONLY reads 0");
	struct sockaddr_in6 n;
	l = sizeof n;
	getsockname(ls, (void *)&n, &l);
	int port = ntohs(n.sin6_port);
	ok(l == sizeof n && n.sin6_family == AF_INET6 &&
	   IN6_IS_ADDR_UNSPECIFIED(&n.sin6_addr) && port > 0,
	   "getsockname shows [::] and the port");

	/* IPv4 client at 127.0.0.1: poll and epoll see it. */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	struct pollfd p = { .fd = ls, .events = POLLIN };
	ok(poll(&p, 1, 0) == 0, "poll: nothing pending yet");
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", port);
	ok(connect(c4, (void *)&a4, sizeof a4) == 0, "IPv4 client connects to 127.0.0.1");
	ok(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN), "poll: the listener is readable");
	ok(epoll_wait(ep, &ev, 1, 2000) == 1 && ev.data.fd == ls, "epoll: the listener is ready");
	struct sockaddr_in6 peer;
	l = sizeof peer;
	int s = accept(ls, (void *)&peer, &l);
	ok(s >= 0 && l == sizeof peer && is_mapped_lo(&peer),
	   "accept: the IPv4 peer is ::ffff:127.0.0.1");
	struct sockaddr_in c4name;
	l = sizeof c4name;
	getsockname(c4, (void *)&c4name, &l);
	ok(ntohs(peer.sin6_port) == ntohs(c4name.sin_port), "accept: the peer's port is the client's");
	l = sizeof n;
	getsockname(s, (void *)&n, &l);
	ok(is_mapped_lo(&n) && ntohs(n.sin6_port) == port,
	   "the accepted socket's name is ::ffff:127.0.0.1 and the port");
	char buf[8] = "";
	ok(write(c4, "v4", 2) == 2 && read(s, buf, sizeof buf) == 2 && !memcmp(buf, "v4", 2),
	   "data flows from the IPv4 client");
	ok(write(s, "ok", 2) == 2 && read(c4, buf, sizeof buf) == 2 && !memcmp(buf, "ok", 2),
	   "and back");
	close(s);
	close(c4);

	/* IPv6 client at ::1, and at the v4-mapped loopback. */
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = v6("::1", port);
	ok(connect(c6, (void *)&a6, sizeof a6) == 0, "IPv6 client connects to ::1");
	ok(epoll_wait(ep, &ev, 1, 2000) == 1, "epoll: ready again");
	l = sizeof peer;
	s = accept(ls, (void *)&peer, &l);
	ok(s >= 0 && IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr), "accept: the IPv6 peer is ::1");
	close(s);
	close(c6);
	c6 = socket(AF_INET6, SOCK_STREAM, 0);
	a6 = v6("::ffff:127.0.0.1", port);
	ok(connect(c6, (void *)&a6, sizeof a6) == 0, "IPv6 client connects to ::ffff:127.0.0.1");
	l = sizeof peer;
	s = accept(ls, (void *)&peer, &l);
	ok(s >= 0 && is_mapped_lo(&peer), "accept: that peer is ::ffff:127.0.0.1");
	close(s);
	close(c6);

	/* The port is taken for IPv4 too. */
	int t = socket(AF_INET, SOCK_STREAM, 0);
	a4 = v4("127.0.0.1", port);
	fails_with(bind(t, (void *)&a4, sizeof a4), EADDRINUSE, "bind 127.0.0.1 on the dual-stack port");
	a4 = v4("0.0.0.0", port);
	fails_with(bind(t, (void *)&a4, sizeof a4), EADDRINUSE, "bind 0.0.0.0 on the dual-stack port");
	close(t);

	/* Nonblocking accept with nothing pending. */
	int fl = fcntl(ls, F_GETFL);
	fcntl(ls, F_SETFL, fl | O_NONBLOCK);
	fails_with(accept(ls, NULL, NULL), EAGAIN, "nonblocking accept with nothing pending");
	close(ep);
	close(ls);
}

static void test_v6only(void)
{
	int ls = listener6(1, 0);
	ok(ls >= 0, "TCP [::]:0 with IPV6_V6ONLY on");
	int port = port6(ls);
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", port);
	fails_with(connect(c4, (void *)&a4, sizeof a4), ECONNREFUSED, "IPv4 client of a v6-only listener");
	close(c4);
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = v6("::1", port);
	ok(connect(c6, (void *)&a6, sizeof a6) == 0, "IPv6 client of a v6-only listener connects");
	close(c6);
	/* Its port is free for IPv4. */
	int t = socket(AF_INET, SOCK_STREAM, 0);
	a4 = v4("127.0.0.1", port);
	ok(bind(t, (void *)&a4, sizeof a4) == 0, "127.0.0.1 may take the v6-only listener's port");
	close(t);
	close(ls);
}

static void test_reuseaddr(void)
{
	int ls = listener6(0, 1);
	int port = port6(ls);
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", port);
	connect(c4, (void *)&a4, sizeof a4);
	int s = accept(ls, NULL, NULL);
	/* The server closes first: its side goes to TIME_WAIT. */
	close(s);
	char b;
	ok(read(c4, &b, 1) == 0, "the client sees the server's close");
	close(c4);
	close(ls);
	int one = 1;
	ls = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in6 any = v6("::", port);
	ok(bind(ls, (void *)&any, sizeof any) == 0 && listen(ls, 1) == 0,
	   "SO_REUSEADDR: [::] rebinds the port at once");
	c4 = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(c4, (void *)&a4, sizeof a4) == 0, "and 127.0.0.1 reaches it again");
	close(c4);
	close(ls);
}

static void test_implicit(void)
{
	/* listen without bind: the wildcard, dual-stack. */
	int ls = socket(AF_INET6, SOCK_STREAM, 0);
	ok(listen(ls, 1) == 0, "IPv6 listen without bind");
	struct sockaddr_in6 n;
	socklen_t l = sizeof n;
	getsockname(ls, (void *)&n, &l);
	ok(IN6_IS_ADDR_UNSPECIFIED(&n.sin6_addr) && n.sin6_port != 0,
	   "its name is [::] and an ephemeral port");
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", ntohs(n.sin6_port));
	ok(connect(c4, (void *)&a4, sizeof a4) == 0, "127.0.0.1 reaches it");
	close(c4);
	close(ls);

	ls = socket(AF_INET, SOCK_STREAM, 0);
	ok(listen(ls, 1) == 0, "IPv4 listen without bind");
	struct sockaddr_in n4;
	l = sizeof n4;
	getsockname(ls, (void *)&n4, &l);
	ok(n4.sin_addr.s_addr == 0 && n4.sin_port != 0, "its name is 0.0.0.0 and a port");
	close(ls);

	/* An unbound UDP socket's send binds the wildcard. */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ra = v4("127.0.0.1", 0);
	bind(r, (void *)&ra, sizeof ra);
	l = sizeof ra;
	getsockname(r, (void *)&ra, &l);
	ok(sendto(u, "x", 1, 0, (void *)&ra, sizeof ra) == 1, "UDP send without bind");
	l = sizeof n4;
	getsockname(u, (void *)&n4, &l);
	ok(n4.sin_addr.s_addr == 0 && n4.sin_port != 0, "the sender's name is 0.0.0.0 and a port");
	struct sockaddr_in from;
	l = sizeof from;
	char b;
	ok(recvfrom(r, &b, 1, 0, (void *)&from, &l) == 1 &&
	   from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && from.sin_port == n4.sin_port,
	   "the datagram comes from 127.0.0.1 and that port");
	close(u);
	close(r);
}

static void test_udp_dual(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = v6("::", 0);
	ok(bind(u, (void *)&any, sizeof any) == 0, "UDP [::]:0 bind");
	int port = port6(u);
	int c4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", port);
	ok(sendto(c4, "4", 1, 0, (void *)&a4, sizeof a4) == 1, "IPv4 datagram to 127.0.0.1");
	struct pollfd p = { .fd = u, .events = POLLIN };
	ok(poll(&p, 1, 2000) == 1, "poll: the UDP socket is readable");
	struct sockaddr_in6 from;
	socklen_t l = sizeof from;
	char b = 0;
	ok(recvfrom(u, &b, 1, 0, (void *)&from, &l) == 1 && b == '4' && is_mapped_lo(&from),
	   "recvfrom: from ::ffff:127.0.0.1");
	int c6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = v6("::1", port);
	ok(sendto(c6, "6", 1, 0, (void *)&a6, sizeof a6) == 1, "IPv6 datagram to ::1");
	l = sizeof from;
	ok(recvfrom(u, &b, 1, 0, (void *)&from, &l) == 1 && b == '6' &&
	   IN6_IS_ADDR_LOOPBACK(&from.sin6_addr), "recvfrom: from ::1");
	/* And it answers both. */
	ok(sendto(u, "r", 1, 0, (void *)&from, l) == 1 && recv(c6, &b, 1, 0) == 1 && b == 'r',
	   "the reply reaches the IPv6 client");
	close(c4);
	close(c6);
	close(u);
}

static void test_device(void)
{
	int ls = listener6(0, 0);
	char dev[16] = "x";
	socklen_t l = sizeof dev;
	ok(getsockopt(ls, SOL_SOCKET, SO_BINDTODEVICE, dev, &l) == 0 && l == 0,
	   "SO_BINDTODEVICE: a wildcard listener has no device");
	int idx = -1;
	l = sizeof idx;
	ok(getsockopt(ls, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, &l) == 0 && idx == 0,
	   "SO_BINDTOIFINDEX: 0");
	ok(setsockopt(ls, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == 0,
	   "SO_BINDTODEVICE lo");
	l = sizeof dev;
	ok(getsockopt(ls, SOL_SOCKET, SO_BINDTODEVICE, dev, &l) == 0 && l == 3 &&
	   !strcmp(dev, "lo"), "now it reads lo");
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", port6(ls));
	ok(connect(c4, (void *)&a4, sizeof a4) == 0, "127.0.0.1 still reaches it");
	close(c4);
	close(ls);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	fails_with(setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "nosuchdev0", 11), ENODEV,
		   "SO_BINDTODEVICE to a device that does not exist");
	close(s);
}

int main(void)
{
	test_tcp_dual();
	test_v6only();
	test_reuseaddr();
	test_implicit();
	test_udp_dual();
	test_device();
	return tap_done();
}
