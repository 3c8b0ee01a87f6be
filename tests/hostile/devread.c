/* /dev beyond the world's device nodes, opened with raw host calls:
 * the kernel log, physical memory, the root block device, and the other
 * terminal (HOSTILE_PTS) read. */
#include "hostile.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char path[256];

static int open_read(void *a)
{
	(void)a;
	long fd = hopen(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return held_if_failed(path, fd);
	char buf[64];
	long n = HSC3(__NR_read, fd, buf, sizeof buf);
	/* An open that succeeds is already a leak for these nodes, except
	 * a terminal with nothing to read (-EAGAIN). */
	return report(0, "%s: open ok, read -> %s", path, res(n));
}

/* The block device that holds "/": the runner's HOSTILE_ROOT_DEV (the
 * world's /sys shows no block device), else its device number from a
 * stat of "/" and its name from sysfs's uevent (DEVNAME=). */
static void root_block_device(char *out, size_t len)
{
	struct stat st;
	char ue[128], buf[512] = "";
	snprintf(out, len, "%s", env_or("HOSTILE_ROOT_DEV", "/dev/vda"));
	if (getenv("HOSTILE_ROOT_DEV"))
		return;
	if (HSC4(__NR_newfstatat, AT_FDCWD, "/", &st, 0) < 0)
		return;
	snprintf(ue, sizeof ue, "/sys/dev/block/%u:%u/uevent",
		 major(st.st_dev), minor(st.st_dev));
	long fd = hopen(ue, O_RDONLY, 0);
	if (fd < 0 || HSC3(__NR_read, fd, buf, sizeof buf - 1) <= 0)
		return;
	char *d = strstr(buf, "DEVNAME=");
	if (d) {
		d += 8;
		d[strcspn(d, "\n")] = 0;
		snprintf(out, len, "/dev/%s", d);
	}
}

static void one(const char *key, const char *p)
{
	char title[300];
	snprintf(path, sizeof path, "%s", p);
	snprintf(title, sizeof title, "open and read %s", p);
	ATTEMPT(key, title, open_read, 0);
}

int main(void)
{
	hostile_init();
	one("dev.open", "/dev/kmsg");
	one("dev.open", "/dev/mem");
	char rb[128];
	root_block_device(rb, sizeof rb);
	one("dev.open", rb);
	one("dev.open", "/dev/tty1");
	const char *pts = env_or("HOSTILE_PTS", "");
	if (*pts)
		one("dev.pts", pts);
	return hostile_done();
}
