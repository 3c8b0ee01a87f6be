/* Host unix sockets on paths: a listener in the host's /tmp
 * (HOSTILE_SOCK_TMP) and one under the read-only root
 * (HOSTILE_SOCK_CANARY, in build/hostile/canary/), with raw host calls and
 * through the provider (plain libc connect).  The runner's listeners log
 * every connection they accept. */
#include "hostile.h"
#include <sys/socket.h>
#include <sys/un.h>

static struct sockaddr_un addr;

static void set_path(const char *p)
{
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", p);
}

/* A raw connect that gets through sends its key (a) as its first bytes:
 * the listener logs them, and the runner excuses only a logged connection
 * that carries the key of an attack docs/security.md lists as not
 * enforced in this mode. */
static int raw_connect(void *a)
{
	const char *key = a;
	long s = HSC3(__NR_socket, AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return held_if_failed("socket(AF_UNIX)", s);
	long r = HSC3(__NR_connect, s, &addr, sizeof addr);
	if (r >= 0)
		HSC3(__NR_write, s, key, strlen(key));
	return held_if_failed("raw connect", r);
}

static int raw_sendto(void *a)
{
	(void)a;
	long s = HSC3(__NR_socket, AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0)
		return held_if_failed("socket(AF_UNIX, DGRAM)", s);
	long r = HSC6(__NR_sendto, s, "x", 1, 0, &addr, sizeof addr);
	/* A stream listener refuses datagrams with EPROTOTYPE only after
	 * the path resolved: anything but ENOENT/EACCES/EPERM reached it. */
	return report(r == -ENOENT || r == -EACCES || r == -EPERM,
		      "raw sendto -> %s", res(r));
}

static int provider_connect(void *a)
{
	(void)a;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return report(1, "socket -> %s", strerrorname_np(errno));
	int r = connect(s, (struct sockaddr *)&addr, sizeof addr);
	return report(r < 0, "connect through the provider -> %s",
		      r < 0 ? strerrorname_np(errno) : "ok");
}

int main(void)
{
	hostile_init();
	const char *tmp = env_or("HOSTILE_SOCK_TMP", "");
	const char *ro = env_or("HOSTILE_SOCK_CANARY", "");
	if (!*tmp || !*ro) {
		printf("Bail out! HOSTILE_SOCK_TMP/CANARY not set\n");
		return 1;
	}
	set_path(tmp);
	ATTEMPT("unix.raw-tmp", "raw connect to a socket in the host /tmp",
		raw_connect, "unix.raw-tmp");
	ATTEMPT("unix.raw-tmp", "raw sendto a socket in the host /tmp",
		raw_sendto, 0);
	ATTEMPT(NULL, "connect to the host /tmp socket through the provider",
		provider_connect, 0);
	set_path(ro);
	ATTEMPT("unix.raw-root", "raw connect to a socket under the read-only root",
		raw_connect, "unix.raw-root");
	ATTEMPT("unix.provider-root",
		"connect to a socket under the read-only root through the provider",
		provider_connect, 0);
	return hostile_done();
}
