/* Other terminals: the runner's pty (HOSTILE_PTS, of the same user, not
 * the world's) must not be written to or have input injected, with raw
 * host calls; a reader on its master logs anything that arrives.  Nor
 * may input be injected into a pty the world made itself. */
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

/* TIOCSTI on a pty the world made itself, with raw calls throughout (as
 * root, or with dev.tty.legacy_tiocsti set, the host would take it). */
static int tiocsti_own_pty(void *a)
{
	(void)a;
	long m = hopen("/dev/ptmx", O_RDWR | O_NOCTTY, 0);
	if (m < 0)
		return report(1, "no pty to try: openat2 of /dev/ptmx -> %ld", m);
	int unlock = 0;
	HSC3(__NR_ioctl, m, TIOCSPTLCK, &unlock);
	/* the slave; in the flat mode it cannot be opened (Landlock), and
	 * the master is a terminal too */
	long s = HSC3(__NR_ioctl, m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	char c = 'x';
	return held_if_failed("TIOCSTI on the world's own pty",
			      HSC3(__NR_ioctl, s >= 0 ? s : m, TIOCSTI, &c));
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
	ATTEMPT("pts.tiocsti", "TIOCSTI on a pty the world made",
		tiocsti_own_pty, 0);
	return hostile_done();
}
