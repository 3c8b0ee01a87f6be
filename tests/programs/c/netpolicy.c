/* The loopback network policy against every address form the host
 * accepts: run under `picos run` (default --net=loopback), each line
 * names a form and what became of it.  Where a bind succeeds, the
 * host's /proc/net table shows where the socket really is. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void report(const char *what, int r)
{
	printf("%s: %s\n", what, r == 0 ? "ok" : strerrorname_np(errno));
}

/* The local address of the host socket bound to `port` in a /proc/net
 * table, as the table spells it. */
static void where(const char *table, int port)
{
	char line[512], want[8];
	snprintf(want, sizeof want, ":%04X", port);
	FILE *f = fopen(table, "r");
	while (f && fgets(line, sizeof line, f)) {
		char local[64];
		if (sscanf(line, "%*s %63s", local) == 1 && strstr(local, want) &&
		    !strcmp(strstr(local, want), want)) {
			*strstr(local, want) = 0;
			printf("  %s: %s\n", table, local);
		}
	}
	if (f)
		fclose(f);
}

static int port_of(int s)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof a;
	getsockname(s, (void *)&a, &l);
	return ntohs(a.sin6_port); /* same offset in sockaddr_in */
}

int main(void)
{
	/* AF_UNSPEC with the wildcard is a v4 wildcard bind. */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in un = { .sin_family = AF_UNSPEC };
	report("bind udp4 AF_UNSPEC 0.0.0.0", bind(u, (void *)&un, sizeof un));
	where("/proc/net/udp", port_of(u));
	un.sin_port = htons(9);
	un.sin_addr.s_addr = inet_addr("192.0.2.1");
	report("sendto udp4 AF_UNSPEC 192.0.2.1", (int)sendto(u, "x", 1, 0, (void *)&un, sizeof un) < 0 ? -1 : 0);
	close(u);

	/* RFC 2133 sockaddr_in6 (24 bytes, no scope id). */
	int t6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	report("bind tcp6 [::] len 24", bind(t6, (void *)&a6, 24));
	listen(t6, 1);
	where("/proc/net/tcp6", port_of(t6));
	close(t6);
	t6 = socket(AF_INET6, SOCK_STREAM, 0);
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	a6.sin6_port = htons(80);
	report("connect tcp6 2001:db8::1 len 24", connect(t6, (void *)&a6, 24));
	close(t6);

	/* An AF_INET address on an IPv6 datagram socket. */
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(9) };
	a4.sin_addr.s_addr = inet_addr("192.0.2.1");
	report("connect udp6 AF_INET 192.0.2.1", connect(u6, (void *)&a4, sizeof a4));
	close(u6);

	/* A loose source route through another host. */
	int t = socket(AF_INET, SOCK_STREAM, 0);
	unsigned char lsrr[8] = { 1, 131, 7, 4, 192, 0, 2, 1 };
	report("IP_OPTIONS with LSRR", setsockopt(t, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof lsrr));
	unsigned char rr[8] = { 1, 7, 7, 4, 0, 0, 0, 0 }; /* record route: harmless */
	report("IP_OPTIONS with record route", setsockopt(t, IPPROTO_IP, IP_OPTIONS, rr, sizeof rr));
	close(t);

	/* The plain forms, for reference. */
	t = socket(AF_INET, SOCK_STREAM, 0);
	a4.sin_port = htons(80);
	report("connect tcp4 192.0.2.1", connect(t, (void *)&a4, sizeof a4));
	close(t);
	return 0;
}
