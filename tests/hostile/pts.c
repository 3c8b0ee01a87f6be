/* Other terminals: the runner's pty (HOSTILE_PTS, of the same user, not
 * the world's) must not be written to or have input injected, with raw
 * host calls; a reader on its master logs anything that arrives. */
#include "hostile.h"
#include <sys/ioctl.h>

static const char *pts;

static int write_pts(void *a)
{
	(void)a;
	long fd = hopen(pts, O_WRONLY | O_NOCTTY, 0);
	if (fd < 0)
		return held_if_failed("openat2 of the other pts", fd);
	return held_if_failed("write to the other pts",
			      HSC3(__NR_write, fd, "hostile\n", 8));
}

static int tiocsti_pts(void *a)
{
	(void)a;
	long fd = hopen(pts, O_RDONLY | O_NOCTTY, 0);
	if (fd < 0)
		return held_if_failed("openat2 of the other pts", fd);
	char c = 'x';
	return held_if_failed("TIOCSTI on the other pts",
			      HSC3(__NR_ioctl, fd, TIOCSTI, &c));
}

/* TIOCSTI on whatever terminal the test inherited (fds 0-2 and the
 * provider's own fds). */
static int tiocsti_inherited(void *a)
{
	(void)a;
	char c = 'x';
	for (int fd = 0; fd < 1024; fd++) {
		long r = HSC3(__NR_ioctl, fd, TIOCSTI, &c);
		if (r == 0)
			return report(0, "TIOCSTI on host fd %d -> ok", fd);
	}
	return report(1, "TIOCSTI refused on every host fd");
}

static int write_provider(void *a)
{
	(void)a;
	int fd = open(pts, O_WRONLY | O_NOCTTY);
	if (fd < 0)
		return report(1, "open through the provider -> %s",
			      strerrorname_np(errno));
	long n = write(fd, "hostile\n", 8);
	return report(n < 0, "open through the provider ok, write -> %ld", n);
}

int main(void)
{
	hostile_init();
	pts = env_or("HOSTILE_PTS", "");
	if (!*pts) {
		printf("Bail out! HOSTILE_PTS not set\n");
		return 1;
	}
	ATTEMPT("pts.write", "write to the other pts (raw)", write_pts, 0);
	ATTEMPT("pts.write", "write to the other pts through the provider",
		write_provider, 0);
	ATTEMPT("pts.tiocsti", "TIOCSTI into the other pts", tiocsti_pts, 0);
	ATTEMPT("pts.tiocsti", "TIOCSTI on inherited fds", tiocsti_inherited, 0);
	return hostile_done();
}
