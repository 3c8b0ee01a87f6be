/* The network beyond the policy, with raw host calls.  Under the default
 * --net=loopback: a TCP connect and a UDP sendto to the listener the
 * runner put in a network namespace of its own (HOSTILE_NET_ADDR, one end
 * of a veth pair; set only when the runner is root) must fail.  Run with
 * the argument "none" (tests/hostile/net.sh starts picos --net=none):
 * no inet socket at all.  Traffic goes nowhere but that namespace. */
#include "hostile.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in target;

static int raw_connect(void *a)
{
	(void)a;
	long s = HSC3(__NR_socket, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return held_if_failed("socket(AF_INET)", s);
	long r = HSC3(__NR_connect, s, &target, sizeof target);
	/* The listener logs these bytes: the runner excuses a logged
	 * connection only if it carries a key not enforced here. */
	if (r >= 0)
		HSC3(__NR_write, s, "net.raw-connect", 15);
	return held_if_failed("connect to the netns listener", r);
}

static int raw_sendto(void *a)
{
	(void)a;
	long s = HSC3(__NR_socket, AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return held_if_failed("socket(AF_INET, DGRAM)", s);
	struct sockaddr_in t = target;
	t.sin_port = htons(4243);
	return held_if_failed("sendto the netns address",
			      HSC6(__NR_sendto, s, "x", 1, 0, &t, sizeof t));
}

static int provider_connect(void *a)
{
	(void)a;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return report(1, "socket -> %s", strerrorname_np(errno));
	int r = connect(s, (struct sockaddr *)&target, sizeof target);
	return report(r < 0, "connect through the provider -> %s",
		      r < 0 ? strerrorname_np(errno) : "ok");
}

static int raw_socket(void *a)
{
	long type = (long)a;
	long s = HSC3(__NR_socket, AF_INET, type, 0);
	return held_if_failed(type == SOCK_RAW ? "socket(AF_INET, SOCK_RAW)"
			      : "socket(AF_INET, SOCK_STREAM)", s);
}

static int raw_socket6(void *a)
{
	(void)a;
	return held_if_failed("socket(AF_INET6, SOCK_DGRAM)",
			      HSC3(__NR_socket, AF_INET6, SOCK_DGRAM, 0));
}

int main(int argc, char **argv)
{
	hostile_init();
	int none = argc > 1 && !strcmp(argv[1], "none");
	if (none) {
		printf("# picos --net=none\n");
		ATTEMPT("net.none", "raw socket(AF_INET, SOCK_STREAM) under --net=none",
			raw_socket, SOCK_STREAM);
		ATTEMPT("net.none", "raw socket(AF_INET6) under --net=none",
			raw_socket6, 0);
		ATTEMPT("net.none", "raw socket(AF_INET, SOCK_RAW) under --net=none",
			raw_socket, SOCK_RAW);
		return hostile_done();
	}
	ATTEMPT("net.rawsock", "raw socket(AF_INET, SOCK_RAW)", raw_socket,
		SOCK_RAW);
	const char *addr = getenv("HOSTILE_NET_ADDR");
	if (addr && *addr) {
		target.sin_family = AF_INET;
		target.sin_port = htons(atoi(env_or("HOSTILE_NET_PORT", "4242")));
		inet_pton(AF_INET, addr, &target.sin_addr);
		ATTEMPT(NULL, "connect to the netns listener through the provider",
			provider_connect, 0);
		ATTEMPT("net.raw-connect", "raw connect to the netns listener",
			raw_connect, 0);
		ATTEMPT("net.raw-connect", "raw UDP sendto the netns address",
			raw_sendto, 0);
	} else {
		printf("# no network namespace (the runner is not root): "
		       "no non-loopback target\n");
	}
	return hostile_done();
}
