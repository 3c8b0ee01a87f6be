/* Sockets: socket and socketpair flags and errors; TCP over IPv4 and IPv6
 * loopback (bind, listen, accept4, connect, names, nonblocking connect,
 * wildcard binds); UDP with addresses, connected UDP, sendmmsg and
 * recvmmsg; unix stream and datagram sockets on paths (names both ways,
 * the umask on the socket file, the errors of bind and connect), abstract
 * and autobound names; SCM_RIGHTS and SCM_CREDENTIALS; socket options;
 * timeouts and signals; a forked client. */
#include "tap.h"
#include <arpa/inet.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <signal.h>
#include <net/if.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#define BAD ((void *)0xffff800000000000UL)

static struct sockaddr_in lo4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int port_of(int s)
{
	struct sockaddr_storage a;
	socklen_t l = sizeof a;
	if (getsockname(s, (void *)&a, &l) < 0)
		return -1;
	return ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
					    : ((struct sockaddr_in6 *)&a)->sin6_port);
}

static int tcp_listener(struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	*a = lo4(0);
	if (bind(s, (void *)a, sizeof *a) < 0 || listen(s, 8) < 0)
		return -1;
	a->sin_port = htons(port_of(s));
	return s;
}

static void test_socket_calls(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ok(s >= 0 && fcntl(s, F_GETFD) == FD_CLOEXEC &&
		   (fcntl(s, F_GETFL) & O_NONBLOCK),
	   "socket with SOCK_CLOEXEC|SOCK_NONBLOCK");
	struct stat st;
	ok(fstat(s, &st) == 0 && S_ISSOCK(st.st_mode), "fstat: a socket");
	int v;
	socklen_t l = sizeof v;
	ok(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l) == 0 && v == SOCK_STREAM,
	   "SO_TYPE is SOCK_STREAM");
	l = sizeof v;
	ok(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &l) == 0 && v == AF_INET,
	   "SO_DOMAIN is AF_INET");
	close(s);
	fails_with(socket(AF_INET, SOCK_STREAM | 0x100, 0), EINVAL, "socket with an unknown type flag");
	fails_with(socket(AF_MAX + 5, SOCK_STREAM, 0), EAFNOSUPPORT, "socket of a family past AF_MAX");
	fails_with(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT, "TCP socket with IPPROTO_UDP");
	fails_with(socket(AF_UNIX, 77, 0), EINVAL, "unix socket of an unknown type");
	int n = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	ok(n >= 0 && bind(n, (void *)&nl, sizeof nl) == 0, "routing netlink socket binds");
	close(n);

	int sv[2];
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	ok(write(sv[0], "ping", 4) == 4, "write one end");
	char b[8] = { 0 };
	ok(read(sv[1], b, sizeof b) == 4 && !memcmp(b, "ping", 4), "read the other");
	ok(shutdown(sv[0], SHUT_WR) == 0 && read(sv[1], b, sizeof b) == 0,
	   "shutdown(SHUT_WR): the peer reads EOF");
	fails_with(shutdown(sv[0], 7), EINVAL, "shutdown with a bad how");
	close(sv[0]);
	close(sv[1]);
	fails_with(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP, "socketpair(AF_INET)");
	fails_with(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD), EFAULT, "socketpair into a bad pointer");

	int p[2];
	if (pipe(p) < 0)
		return;
	struct sockaddr_in a = lo4(0);
	fails_with(bind(9999, (void *)&a, sizeof a), EBADF, "bind of a closed fd");
	fails_with(bind(p[0], (void *)&a, sizeof a), ENOTSOCK, "bind of a pipe");
	fails_with(connect(p[0], (void *)&a, sizeof a), ENOTSOCK, "connect of a pipe");
	fails_with(listen(p[0], 1), ENOTSOCK, "listen on a pipe");
	fails_with(accept(p[0], NULL, NULL), ENOTSOCK, "accept on a pipe");
	fails_with(getsockname(p[0], (void *)&a, &l), ENOTSOCK, "getsockname of a pipe");
	fails_with(setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v), ENOTSOCK, "setsockopt on a pipe");
	fails_with(send(p[1], "x", 1, 0), ENOTSOCK, "send on a pipe");
	fails_with(recv(p[0], b, 1, 0), ENOTSOCK, "recv on a pipe");
	fails_with(sendto(9999, "x", 1, 0, NULL, 0), EBADF, "sendto a closed fd");
	close(p[0]);
	close(p[1]);
}

static void test_tcp4(void)
{
	struct sockaddr_in a;
	int ls = tcp_listener(&a);
	ok(ls >= 0 && ntohs(a.sin_port) > 0, "TCP listener on 127.0.0.1, ephemeral port");
	struct sockaddr_in b = lo4(0);
	int s2 = socket(AF_INET, SOCK_STREAM, 0);
	fails_with(bind(s2, (void *)&b, sizeof b + 200), EINVAL, "bind with a length past sockaddr_storage");
	fails_with(bind(s2, BAD, sizeof b), EFAULT, "bind from a bad pointer");
	fails_with(bind(s2, (void *)&a, sizeof a), EADDRINUSE, "bind to the listener's port");
	fails_with(bind(s2, (void *)&b, 4), EINVAL, "bind with a short address");
	ok(bind(s2, (void *)&b, sizeof b) == 0, "bind port 0");
	fails_with(bind(s2, (void *)&b, sizeof b), EINVAL, "bind twice");
	close(s2);

	int c = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(c, (void *)&a, sizeof a) == 0, "connect to it");
	fails_with(connect(c, (void *)&a, sizeof a), EISCONN, "connect again");
	struct sockaddr_in peer, self;
	socklen_t l = sizeof peer;
	int s = accept4(ls, (void *)&peer, &l, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ok(s >= 0 && fcntl(s, F_GETFD) == FD_CLOEXEC && (fcntl(s, F_GETFL) & O_NONBLOCK),
	   "accept4 with SOCK_CLOEXEC|SOCK_NONBLOCK");
	socklen_t sl = sizeof self;
	getsockname(c, (void *)&self, &sl);
	ok(l == sizeof peer && peer.sin_port == self.sin_port &&
		   peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	   "accept's address is the client's name");
	l = sizeof peer;
	ok(getpeername(c, (void *)&peer, &l) == 0 && peer.sin_port == a.sin_port,
	   "getpeername: the listener's port");
	l = 4;
	ok(getpeername(c, (void *)&peer, &l) == 0 && l == sizeof peer,
	   "getpeername with a short buffer gives the full length");
	fails_with(getpeername(c, BAD, &l), EFAULT, "getpeername into a bad pointer");
	l = (socklen_t)-1;
	fails_with(getpeername(c, (void *)&peer, &l), EINVAL, "getpeername with a negative length");
	fails_with(getpeername(ls, (void *)&peer, &l), ENOTCONN, "getpeername of a listener");
	fails_with(syscall(SYS_accept4, ls, NULL, NULL, 0x1234), EINVAL, "accept4 with unknown flags");

	char buf[65536];
	memset(buf, 'z', sizeof buf);
	ok(send(c, buf, sizeof buf, 0) == (ssize_t)sizeof buf, "send 64 KiB");
	size_t got = 0;
	while (got < sizeof buf) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		poll(&pf, 1, 2000);
		ssize_t r = recv(s, buf, sizeof buf, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ok(got == sizeof buf, "the peer receives all of it");
	fails_with(recv(s, buf, 1, 0), EAGAIN, "recv on an empty nonblocking socket");
	ok(send(s, "back", 4, 0) == 4 && recv(c, buf, 2, MSG_PEEK) == 2 &&
		   recv(c, buf, 8, 0) == 4 && !memcmp(buf, "back", 4),
	   "send back; MSG_PEEK then recv");
	fails_with(recv(c, buf, 1, MSG_DONTWAIT), EAGAIN, "recv with MSG_DONTWAIT");
	fails_with(recv(c, BAD, 1, MSG_DONTWAIT), EFAULT, "recv into a bad buffer, even with nothing queued");
	ok(send(s, "x", 1, 0) == 1, "one more byte");
	usleep(10000);
	fails_with(recv(c, BAD, 1, 0), EFAULT, "recv into a bad buffer");
	close(s);
	ok(recv(c, buf, 8, 0) == 1 && recv(c, buf, 8, 0) == 0, "then EOF after the peer closes");
	close(c);

	/* A nonblocking connect completes through poll and SO_ERROR. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, (void *)&a, sizeof a);
	ok(r == 0 || errno == EINPROGRESS, "nonblocking connect: 0 or EINPROGRESS");
	struct pollfd pf = { .fd = c, .events = POLLOUT };
	int err = -1;
	l = sizeof err;
	ok(poll(&pf, 1, 2000) == 1 && getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0,
	   "it becomes writable with SO_ERROR 0");
	s = accept(ls, NULL, NULL);
	ok(s >= 0, "accept it");
	close(s);
	close(c);
	close(ls);

	/* Connecting to a closed port. */
	c = socket(AF_INET, SOCK_STREAM, 0);
	fails_with(connect(c, (void *)&a, sizeof a), ECONNREFUSED, "connect to a closed port");
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in6 wrong = { .sin6_family = AF_INET6 };
	fails_with(connect(c, (void *)&wrong, sizeof wrong), EAFNOSUPPORT, "connect an inet socket to an inet6 address");
	close(c);

	/* A wildcard listener: its name says 0.0.0.0, loopback reaches it. */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET };
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	ok(bind(ls, (void *)&any, sizeof any) == 0 && listen(ls, 1) == 0, "bind 0.0.0.0:0 and listen");
	l = sizeof any;
	getsockname(ls, (void *)&any, &l);
	ok(any.sin_addr.s_addr == 0 && any.sin_port != 0, "getsockname shows 0.0.0.0 and a port");
	a = lo4(ntohs(any.sin_port));
	c = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(c, (void *)&a, sizeof a) == 0, "127.0.0.1 reaches it");
	close(c);
	close(ls);

	/* listen without bind takes an ephemeral port. */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	ok(listen(ls, 1) == 0 && port_of(ls) > 0, "listen without bind: an ephemeral port");
	a = lo4(port_of(ls));
	c = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(c, (void *)&a, sizeof a) == 0, "loopback connects to it");
	close(c);
	close(ls);
}

static void test_tcp6(void)
{
	int ls = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	ok(bind(ls, (void *)&a, sizeof a) == 0 && listen(ls, 1) == 0, "TCP listener on [::1]");
	a.sin6_port = htons(port_of(ls));
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	ok(connect(c, (void *)&a, sizeof a) == 0, "connect over IPv6 loopback");
	struct sockaddr_in6 p;
	socklen_t l = sizeof p;
	int s = accept(ls, (void *)&p, &l);
	ok(s >= 0 && l == sizeof p && IN6_IS_ADDR_LOOPBACK(&p.sin6_addr), "accept: the peer is ::1");
	char b[4];
	ok(write(c, "v6", 2) == 2 && read(s, b, 4) == 2, "data over IPv6");
	close(s);
	close(c);
	close(ls);
}

static void test_udp(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = lo4(0);
	ok(bind(r, (void *)&a, sizeof a) == 0, "UDP bind on loopback");
	a.sin_port = htons(port_of(r));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	ok(sendto(s, "dgram", 5, 0, (void *)&a, sizeof a) == 5, "sendto from an unbound socket");
	struct sockaddr_in from;
	socklen_t l = sizeof from;
	char b[16];
	ok(recvfrom(r, b, sizeof b, 0, (void *)&from, &l) == 5 && l == sizeof from &&
		   from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(from.sin_port) == port_of(s),
	   "recvfrom: the sender's loopback address and port");
	fails_with(sendto(s, "x", 1, 0, (void *)&a, 3), EINVAL, "sendto with a short address");
	fails_with(send(s, "x", 1, 0), EDESTADDRREQ, "send on an unconnected UDP socket");
	ok(connect(s, (void *)&a, sizeof a) == 0 && send(s, "conn", 4, 0) == 4 &&
		   recv(r, b, sizeof b, 0) == 4,
	   "connected UDP: send without an address");
	ok(sendto(s, "t", 1, 0, BAD, sizeof a) == -1 && errno == EFAULT, "sendto with a bad address pointer fails with EFAULT");

	/* sendmmsg and recvmmsg: three datagrams at once. */
	struct iovec iov[3] = { { "one", 3 }, { "three", 5 }, { "seven!!", 7 } };
	struct mmsghdr mm[3];
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	ok(sendmmsg(s, mm, 3, 0) == 3 && mm[0].msg_len == 3 && mm[2].msg_len == 7,
	   "sendmmsg: 3 messages, msg_len set");
	char rb[3][16];
	struct iovec riov[3];
	struct sockaddr_in names[3];
	struct mmsghdr rm[3];
	memset(rm, 0, sizeof rm);
	for (int i = 0; i < 3; i++) {
		riov[i] = (struct iovec){ rb[i], sizeof rb[i] };
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
		rm[i].msg_hdr.msg_name = &names[i];
		rm[i].msg_hdr.msg_namelen = sizeof names[i];
	}
	usleep(10000);
	int n = recvmmsg(r, rm, 3, MSG_DONTWAIT, NULL);
	ok(n == 3 && rm[0].msg_len == 3 && rm[1].msg_len == 5 && rm[2].msg_len == 7 &&
		   !memcmp(rb[2], "seven!!", 7) && rm[2].msg_hdr.msg_namelen == sizeof names[2] &&
		   ntohs(names[2].sin_port) == port_of(s),
	   "recvmmsg: 3 messages with lengths and senders");
	fails_with(recvmmsg(r, rm, 3, MSG_DONTWAIT, NULL), EAGAIN, "recvmmsg with nothing queued");
	ok(send(s, "w1", 2, 0) == 2, "one more datagram");
	usleep(10000);
	ok(recvmmsg(r, rm, 3, MSG_WAITFORONE, NULL) == 1, "recvmmsg MSG_WAITFORONE returns after one");
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	ok(send(s, "w2", 2, 0) == 2 && recvmmsg(r, rm, 1, 0, &ts) == 1 &&
		   ts.tv_sec == 0 && ts.tv_nsec <= 50 * 1000 * 1000,
	   "recvmmsg with a timeout: the time left is written back");
	close(s);
	close(r);
}

static struct sockaddr_un unix_addr(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strncpy(a.sun_path, path, sizeof a.sun_path - 1);
	return a;
}

static void test_unix_paths(const char *dir)
{
	char path[128], path2[128];
	snprintf(path, sizeof path, "%s/srv.sock", dir);
	snprintf(path2, sizeof path2, "%s/cli.sock", dir);
	unlink(path);
	unlink(path2);
	mode_t old = umask(022);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = unix_addr(path);
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	ok(bind(ls, (void *)&a, alen) == 0 && listen(ls, 2) == 0, "unix bind and listen on a path");
	umask(old);
	struct stat st;
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0755,
	   "the socket file exists with the umask applied");
	struct sockaddr_un n;
	socklen_t l = sizeof n;
	ok(getsockname(ls, (void *)&n, &l) == 0 && l == alen && !strcmp(n.sun_path, path),
	   "getsockname: the bound path and its length");
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	fails_with(bind(s2, (void *)&a, alen), EADDRINUSE, "bind to an existing path");
	struct sockaddr_un nodir = unix_addr("/nonexistent-dir-picos/x.sock");
	fails_with(bind(s2, (void *)&nodir, sizeof nodir), ENOENT, "bind in a missing directory");
	fails_with(connect(s2, (void *)&nodir, sizeof nodir), ENOENT, "connect to a missing path");
	struct sockaddr_un odd = unix_addr("/");
	fails_with(bind(s2, (void *)&odd, sizeof odd), EADDRINUSE, "bind to /");
	odd = unix_addr(".");
	fails_with(bind(s2, (void *)&odd, sizeof odd), EADDRINUSE, "bind to .");
	odd = unix_addr("/proc/picos-no-such");
	fails_with(bind(s2, (void *)&odd, sizeof odd), ENOENT, "bind in /proc");
	char slash[140];
	snprintf(slash, sizeof slash, "%s/new/", dir);
	odd = unix_addr(slash);
	fails_with(bind(s2, (void *)&odd, sizeof odd), ENOENT, "bind to a name with a trailing slash");
	char reg[128];
	snprintf(reg, sizeof reg, "%s/regular", dir);
	int fd = open(reg, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	close(fd);
	struct sockaddr_un ra = unix_addr(reg);
	fails_with(connect(s2, (void *)&ra, sizeof ra), ECONNREFUSED, "connect to a regular file");
	unlink(reg);
	close(s2);

	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(connect(c, (void *)&a, sizeof a) == 0, "connect to the path");
	l = sizeof n;
	ok(getpeername(c, (void *)&n, &l) == 0 && l == alen && !strcmp(n.sun_path, path),
	   "getpeername: the server's path");
	struct sockaddr_un p;
	l = sizeof p;
	int s = accept(ls, (void *)&p, &l);
	ok(s >= 0 && l == offsetof(struct sockaddr_un, sun_path), "accept: an unnamed client");
	l = sizeof n;
	ok(getsockname(c, (void *)&n, &l) == 0 && l == offsetof(struct sockaddr_un, sun_path),
	   "getsockname of the client: unnamed");
	fails_with(sendto(c, "x", 1, 0, (void *)&a, sizeof a), EISCONN, "sendto with an address on a connected stream");
	close(s);
	close(c);

	/* A symlink to the socket: connect follows it. */
	char link[128];
	snprintf(link, sizeof link, "%s/link.sock", dir);
	unlink(link);
	ok(symlink(path, link) == 0, "a symlink to the socket");
	struct sockaddr_un la = unix_addr(link);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(connect(c, (void *)&la, sizeof la) == 0, "connect through the symlink");
	s = accept(ls, NULL, NULL);
	close(s);
	close(c);
	s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	fails_with(bind(s2, (void *)&la, sizeof la), EADDRINUSE, "bind never follows a symlink");
	close(s2);
	unlink(link);

	/* Relative paths are resolved against the cwd. */
	char cwd[512];
	if (getcwd(cwd, sizeof cwd) && chdir(dir) == 0) {
		struct sockaddr_un rel = unix_addr("srv.sock");
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		ok(connect(c, (void *)&rel, sizeof rel) == 0, "connect by a relative path");
		s = accept(ls, NULL, NULL);
		close(s);
		close(c);
		if (chdir(cwd) != 0)
			perror("chdir");
	}
	close(ls);
	unlink(path);

	/* Datagrams between two bound paths: recvfrom names the sender. */
	int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a2 = unix_addr(path2);
	ok(bind(d1, (void *)&a, sizeof a) == 0 && bind(d2, (void *)&a2, sizeof a2) == 0,
	   "two unix datagram sockets on paths");
	ok(sendto(d2, "hey", 3, 0, (void *)&a, sizeof a) == 3, "sendto a path");
	l = sizeof p;
	char b[8];
	ok(recvfrom(d1, b, sizeof b, 0, (void *)&p, &l) == 3 && !strcmp(p.sun_path, path2) &&
		   l == offsetof(struct sockaddr_un, sun_path) + strlen(path2) + 1,
	   "recvfrom: the sender's path");
	struct msghdr mh = { 0 };
	struct iovec iv = { b, sizeof b };
	mh.msg_iov = &iv;
	mh.msg_iovlen = 1;
	mh.msg_name = &p;
	mh.msg_namelen = sizeof p;
	ok(sendto(d2, "again", 5, 0, (void *)&a, sizeof a) == 5 && recvmsg(d1, &mh, 0) == 5 &&
		   !strcmp(p.sun_path, path2) && mh.msg_namelen == l,
	   "recvmsg: the sender's path in msg_name");
	close(d1);
	close(d2);
	unlink(path);
	unlink(path2);
}

static void test_unix_abstract(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[] = "\0picos-conf-abstract";
	memcpy(a.sun_path, name, sizeof name - 1);
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + sizeof name - 1;
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(bind(ls, (void *)&a, alen) == 0 && listen(ls, 1) == 0, "bind an abstract name");
	struct sockaddr_un n;
	socklen_t l = sizeof n;
	ok(getsockname(ls, (void *)&n, &l) == 0 && l == alen && !memcmp(n.sun_path, name, sizeof name - 1),
	   "getsockname: the abstract name");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(connect(c, (void *)&a, alen) == 0, "connect to it");
	close(c);
	close(ls);
	int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un au = { .sun_family = AF_UNIX };
	ok(bind(ab, (void *)&au, offsetof(struct sockaddr_un, sun_path)) == 0, "autobind");
	l = sizeof n;
	ok(getsockname(ab, (void *)&n, &l) == 0 && l == offsetof(struct sockaddr_un, sun_path) + 6 &&
		   n.sun_path[0] == 0,
	   "autobind: an abstract name of 5 characters");
	close(ab);
}

static void test_rights(void)
{
	int sv[2], p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0)
		return;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iv = { "F", 1 };
	struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(2 * sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	int fds[2] = { p[0], p[1] };
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	ok(sendmsg(sv[0], &m, 0) == 1, "sendmsg with SCM_RIGHTS (both pipe ends)");

	char b[4];
	struct iovec riv = { b, sizeof b };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ru;
	struct msghdr rm = { .msg_iov = &riv, .msg_iovlen = 1, .msg_control = ru.buf,
			     .msg_controllen = sizeof ru.buf };
	int lowest = dup(0);
	close(lowest);
	ok(recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC) == 1, "recvmsg");
	c = CMSG_FIRSTHDR(&rm);
	int got[2] = { -1, -1 };
	if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
		memcpy(got, CMSG_DATA(c), sizeof got);
	ok(got[0] == lowest && got[1] > got[0], "two fds arrive, at the lowest free numbers");
	ok(rm.msg_controllen == CMSG_SPACE(2 * sizeof(int)) && !(rm.msg_flags & MSG_CTRUNC),
	   "msg_controllen is what was written");
	ok(fcntl(got[0], F_GETFD) == FD_CLOEXEC, "MSG_CMSG_CLOEXEC marks them close-on-exec");
	ok(write(got[1], "via", 3) == 3 && read(p[0], b, 3) == 3 && !memcmp(b, "via", 3),
	   "the received write end writes into the original pipe");
	close(got[0]);
	close(got[1]);

	/* A control buffer too small for the fds: MSG_CTRUNC. */
	ok(sendmsg(sv[0], &m, 0) == 1, "send two fds again");
	char small[CMSG_SPACE(sizeof(int))];
	rm.msg_control = small;
	rm.msg_controllen = CMSG_LEN(sizeof(int)); /* room for one fd */
	ok(recvmsg(sv[1], &rm, 0) == 1 && (rm.msg_flags & MSG_CTRUNC), "a short control buffer: MSG_CTRUNC");
	c = CMSG_FIRSTHDR(&rm);
	if (c && c->cmsg_type == SCM_RIGHTS) {
		int one;
		memcpy(&one, CMSG_DATA(c), sizeof one);
		ok(fcntl(one, F_GETFD) == 0, "the fd that fit arrives without close-on-exec");
		close(one);
	} else {
		ok(0, "one fd still arrives");
	}

	fds[0] = 9999;
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), fds, sizeof fds);
	fails_with(sendmsg(sv[0], &m, 0), EBADF, "SCM_RIGHTS with a closed fd");
	m.msg_control = BAD;
	fails_with(syscall(SYS_sendmsg, sv[0], &m, 0), EFAULT, "sendmsg with a bad control pointer");
	fails_with(syscall(SYS_sendmsg, sv[0], BAD, 0), EFAULT, "sendmsg with a bad header");
	close(p[0]);
	close(p[1]);

	/* Credentials. */
	int on = 1;
	ok(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0, "SO_PASSCRED");
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cu;
	memset(&cu, 0, sizeof cu);
	struct msghdr cm = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = cu.buf,
			     .msg_controllen = sizeof cu.buf };
	c = CMSG_FIRSTHDR(&cm);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred me = { getpid(), getuid(), getgid() };
	memcpy(CMSG_DATA(c), &me, sizeof me);
	ok(sendmsg(sv[0], &cm, 0) == 1, "sendmsg with SCM_CREDENTIALS of this process");
	memset(&cu, 0, sizeof cu);
	cm.msg_iov = &riv; /* a writable buffer this time */
	long rr = recvmsg(sv[1], &cm, 0);
	ok(rr == 1, "recvmsg");
	if (rr != 1)
		printf("# recvmsg: %ld %s\n", rr, strerror(errno));
	c = CMSG_FIRSTHDR(&cm);
	struct ucred rc = { 0, 0, 0 };
	if (c && c->cmsg_type == SCM_CREDENTIALS)
		memcpy(&rc, CMSG_DATA(c), sizeof rc);
	ok(rc.pid == getpid() && rc.uid == getuid() && rc.gid == getgid(),
	   "the receiver sees this pid, uid and gid");
	struct ucred pc;
	socklen_t l = sizeof pc;
	ok(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &l) == 0 && pc.pid == getpid() &&
		   pc.uid == getuid() && pc.gid == getgid(),
	   "SO_PEERCRED: this pid, uid and gid");
	if (getuid() != 0) {
		cm.msg_iov = &iv;
		c = CMSG_FIRSTHDR(&cm);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
		me.pid = getpid() == 1 ? 2 : 1;
		memcpy(CMSG_DATA(c), &me, sizeof me);
		fails_with(sendmsg(sv[0], &cm, 0), EPERM, "SCM_CREDENTIALS with another pid");
	}
	close(sv[0]);
	close(sv[1]);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static void arm(int ms)
{
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_options_and_signals(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int v = 1, w = 0;
	socklen_t l = sizeof w;
	ok(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v) == 0 &&
		   getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &w, &l) == 0 && w == 1 && l == sizeof w,
	   "SO_REUSEADDR round trip");
	ok(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0, "TCP_NODELAY");
	fails_with(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT, "an unknown option");
	fails_with(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, BAD, sizeof v), EFAULT, "setsockopt from a bad pointer");
	fails_with(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 1), EINVAL, "setsockopt with a short value");
	fails_with(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &w, BAD), EFAULT, "getsockopt with a bad length pointer");
	l = sizeof w;
	fails_with(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, BAD, &l), EFAULT, "getsockopt into a bad pointer");
	struct linger lg = { 1, 5 }, lg2;
	l = sizeof lg2;
	ok(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0 &&
		   getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &l) == 0 && lg2.l_onoff == 1 && lg2.l_linger == 5,
	   "SO_LINGER round trip");
	close(s);

	struct sockaddr_in a;
	int ls = tcp_listener(&a);
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	arm(30);
	fails_with(accept(ls, NULL, NULL), EINTR, "accept interrupted by a handler without SA_RESTART");
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct timeval tv = { 0, 300 * 1000 };
	ok(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "SO_RCVTIMEO 300 ms");
	char b[4];
	fails_with(recv(sv[0], b, 1, 0), EAGAIN, "recv times out with EAGAIN");
	arm(30);
	alarms = 0;
	fails_with(recv(sv[0], b, 1, 0), EINTR, "a socket with a timeout: EINTR even with SA_RESTART");
	ok(alarms == 1, "the handler ran");
	close(sv[0]);
	close(sv[1]);

	/* A forked client, and accept restarted under SA_RESTART. */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100 * 1000);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (void *)&a, sizeof a) < 0 || write(c, "kid", 3) != 3)
			_exit(1);
		_exit(0);
	}
	arm(30);
	alarms = 0;
	int s2 = accept(ls, NULL, NULL);
	ok(s2 >= 0 && alarms == 1, "accept restarted after a SA_RESTART handler, then the child connects");
	ok(read(s2, b, 3) == 3 && !memcmp(b, "kid", 3), "the child's data");
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child exits 0");
	close(s2);
	close(ls);
	signal(SIGALRM, SIG_DFL);
}

/* Interface queries: the host's interfaces, as Linux answers them. */
static void test_ifreq(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	ok(ioctl(s, SIOCGIFINDEX, &r) == 0 && r.ifr_ifindex > 0, "SIOCGIFINDEX of lo");
	int idx = r.ifr_ifindex;
	ok(if_nametoindex("lo") == (unsigned)idx, "if_nametoindex agrees");
	memset(&r, 0, sizeof r);
	r.ifr_ifindex = idx;
	ok(ioctl(s, SIOCGIFNAME, &r) == 0 && !strcmp(r.ifr_name, "lo"), "SIOCGIFNAME of its index");
	strcpy(r.ifr_name, "lo");
	ok(ioctl(s, SIOCGIFFLAGS, &r) == 0 && (r.ifr_flags & IFF_LOOPBACK), "SIOCGIFFLAGS: IFF_LOOPBACK");
	ok(ioctl(s, SIOCGIFADDR, &r) == 0 &&
		   ((struct sockaddr_in *)&r.ifr_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	   "SIOCGIFADDR: 127.0.0.1");
	strcpy(r.ifr_name, "nosuchif0");
	fails_with(ioctl(s, SIOCGIFINDEX, &r), ENODEV, "SIOCGIFINDEX of an unknown interface");
	fails_with(ioctl(s, SIOCGIFINDEX, BAD), EFAULT, "SIOCGIFINDEX with a bad pointer");
	struct ifconf c = { .ifc_len = 0, .ifc_buf = NULL };
	ok(ioctl(s, SIOCGIFCONF, &c) == 0 && c.ifc_len > 0 && c.ifc_len % sizeof(struct ifreq) == 0,
	   "SIOCGIFCONF without a buffer: the length needed");
	struct ifreq all[32];
	int need = c.ifc_len;
	c.ifc_len = sizeof all;
	c.ifc_req = all;
	int found = 0;
	if (ioctl(s, SIOCGIFCONF, &c) == 0)
		for (int i = 0; i < c.ifc_len / (int)sizeof all[0]; i++)
			found += !strcmp(all[i].ifr_name, "lo");
	ok(c.ifc_len == need && found == 1, "SIOCGIFCONF: every address, lo among them");
	c.ifc_req = BAD;
	fails_with(ioctl(s, SIOCGIFCONF, &c), EFAULT, "SIOCGIFCONF into a bad buffer");
	int q = -1;
	ok(ioctl(s, SIOCOUTQ, &q) == 0 && q == 0, "SIOCOUTQ of an idle socket: 0");
	close(s);
	int p[2];
	if (pipe(p) == 0) {
		strcpy(r.ifr_name, "lo");
		fails_with(ioctl(p[0], SIOCGIFINDEX, &r), ENOTTY, "SIOCGIFINDEX on a pipe");
		close(p[0]);
		close(p[1]);
	}
}

/* Edge cases of options and control messages. */
static void test_edges(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct ucred c;
	socklen_t l = 8;
	ok(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, &l) == 0 && l == 8 && c.pid == getpid(),
	   "SO_PEERCRED into 8 bytes: the pid, cut to 8");
	gid_t groups[64];
	l = 0;
	int r = getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, groups, &l);
	ok((r == -1 && errno == ERANGE && l > 0 && l % sizeof(gid_t) == 0) || (r == 0 && l == 0),
	   "SO_PEERGROUPS with no room: ERANGE and the length needed (or no groups)");
	struct timeval tv = { 5, 0 }, zero = { 0, 0 };
	ok(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
		   setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero) == 0,
	   "a receive timeout, then no send timeout");
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &sa, NULL);
	arm(30);
	char b[4];
	fails_with(recv(sv[0], b, 1, 0), EINTR, "recv still bounded by its timeout: EINTR");
	signal(SIGALRM, SIG_DFL);

	/* Empty and short control data. */
	struct iovec iv = { "e", 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_LEN(0) };
	struct cmsghdr *ch = CMSG_FIRSTHDR(&m);
	ch->cmsg_level = SOL_SOCKET;
	ch->cmsg_type = SCM_RIGHTS;
	ch->cmsg_len = CMSG_LEN(0);
	ok(sendmsg(sv[1], &m, 0) == 1, "SCM_RIGHTS with no fds is accepted");
	m.msg_controllen = 8;
	ok(sendmsg(sv[1], &m, 0) == 1, "a control buffer shorter than a header is ignored");
	m.msg_controllen = sizeof u.buf;
	ch->cmsg_len = sizeof u.buf + 8;
	fails_with(sendmsg(sv[1], &m, 0), EINVAL, "a header longer than the control buffer");
	ok(recv(sv[0], b, sizeof b, 0) == 2, "the two bytes arrive");

	/* A bad control pointer on receive: the fd is dropped, not left behind. */
	int p[2];
	if (pipe(p) == 0) {
		m.msg_controllen = CMSG_SPACE(sizeof(int));
		ch->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(ch), &p[0], sizeof(int));
		ok(sendmsg(sv[1], &m, 0) == 1, "send an fd");
		int next = dup(0);
		close(next);
		char rb[4];
		struct iovec riv = { rb, sizeof rb };
		struct msghdr rm = { .msg_iov = &riv, .msg_iovlen = 1, .msg_control = BAD,
				     .msg_controllen = CMSG_SPACE(sizeof(int)) };
		ok(recvmsg(sv[0], &rm, 0) == 1 && (rm.msg_flags & MSG_CTRUNC) && rm.msg_controllen == 0,
		   "recvmsg into a bad control pointer: the data, MSG_CTRUNC, no control");
		int again = dup(0);
		ok(again == next, "the fd it carried is not left installed");
		close(again);
		close(p[0]);
		close(p[1]);
	}
	close(sv[0]);
	close(sv[1]);

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct {
		struct sockaddr_un a;
		char extra[32];
	} big;
	memset(&big, 0, sizeof big);
	big.a.sun_family = AF_UNIX;
	strcpy(big.a.sun_path, "/tmp/picos-long-addr");
	fails_with(bind(s, (void *)&big, sizeof big), EINVAL, "a unix address longer than sockaddr_un");
	close(s);

	int n = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	int grp = 1; /* RTNLGRP_LINK */
	ok(setsockopt(n, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof grp) == 0,
	   "NETLINK_ADD_MEMBERSHIP");
	unsigned mem[4] = { 0 };
	l = 0;
	ok(getsockopt(n, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, mem, &l) == 0 && l > 0 && mem[0] == 0,
	   "NETLINK_LIST_MEMBERSHIPS with no room: the length needed, nothing written");
	l = sizeof mem;
	ok(getsockopt(n, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, mem, &l) == 0 && (mem[0] & 1),
	   "NETLINK_LIST_MEMBERSHIPS: the group");
	close(n);
}

static volatile sig_atomic_t got_sigio;
static void on_sigio(int s) { (void)s; got_sigio++; }

/* SIGIO: the owner names a guest pid or tid. */
static void test_owner(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	signal(SIGIO, on_sigio);
	ok(fcntl(sv[0], F_SETOWN, getpid()) == 0 && fcntl(sv[0], F_GETOWN) == getpid(),
	   "F_SETOWN to this process, F_GETOWN gives it back");
	ok(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_ASYNC) == 0, "O_ASYNC on");
	got_sigio = 0;
	ok(write(sv[1], "io", 2) == 2, "the peer writes");
	for (int i = 0; i < 100 && !got_sigio; i++)
		usleep(1000);
	ok(got_sigio >= 1, "SIGIO arrives");
	struct f_owner_ex o = { F_OWNER_TID, (pid_t)syscall(SYS_gettid) }, back;
	ok(fcntl(sv[0], F_SETOWN_EX, &o) == 0 && fcntl(sv[0], F_GETOWN_EX, &back) == 0 &&
		   back.type == F_OWNER_TID && back.pid == o.pid,
	   "F_SETOWN_EX to this thread, F_GETOWN_EX gives it back");
	fails_with(fcntl(sv[0], F_SETOWN, 999999), ESRCH, "F_SETOWN to a pid that does not exist");
	fails_with(fcntl(sv[0], F_GETOWN_EX, BAD), EFAULT, "F_GETOWN_EX into a bad pointer");
	ok(fcntl(sv[0], F_SETOWN, 0) == 0 && fcntl(sv[0], F_GETOWN) == 0, "F_SETOWN 0 clears it");
	signal(SIGIO, SIG_DFL);
	close(sv[0]);
	close(sv[1]);
}

static int drain_fd;
static void *drain(void *arg)
{
	char b[8192];
	long total = 0;
	ssize_t r;
	(void)arg;
	while ((r = read(drain_fd, b, sizeof b)) > 0)
		total += r;
	return (void *)total;
}

/* sendfile into a socket waits for the reader: it must not keep other
 * threads (here, the reader) out while it waits. */
static void test_sendfile(const char *dir)
{
	char path[128];
	snprintf(path, sizeof path, "%s/big", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	static char chunk[65536];
	memset(chunk, 'q', sizeof chunk);
	for (int i = 0; i < 16; i++)
		if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
			break;
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	drain_fd = sv[1];
	pthread_t t;
	pthread_create(&t, NULL, drain, NULL);
	off_t off = 0;
	long sent = 0;
	while (sent < 16 * 65536) {
		ssize_t r = sendfile(sv[0], fd, &off, 16 * 65536 - sent);
		if (r <= 0)
			break;
		sent += r;
	}
	ok(sent == 16 * 65536 && off == sent, "sendfile of 1 MiB into a socket another thread drains");
	close(sv[0]);
	void *got;
	pthread_join(t, &got);
	ok((long)got == 16 * 65536, "the reader got all of it");
	close(sv[1]);
	close(fd);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/picos-sock-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_socket_calls();
	test_tcp4();
	test_tcp6();
	test_udp();
	test_unix_paths(dir);
	test_unix_abstract();
	test_rights();
	test_options_and_signals();
	test_sendfile(dir);
	test_ifreq();
	test_edges();
	test_owner();
	rmdir(dir);
	return tap_done();
}
