/* Other processes' /proc entries: the runner's canary process
 * (HOSTILE_CANARY_PID), the host's pid 1 and the picos command itself
 * (HOSTILE_PICOS_PID), read with raw host calls. */
#include "hostile.h"

static char path[256];

/* Held when the file cannot be opened or yields nothing. */
static int read_path(void *a)
{
	(void)a;
	long fd = hopen(path, O_RDONLY, 0);
	if (fd < 0)
		return held_if_failed(path, fd);
	char buf[512];
	long n = HSC3(__NR_read, fd, buf, sizeof buf);
	if (n > 0 && strstr(path, "/mem")) {
		/* mem reads at offset 0 fail; try the first mapping. */
		n = -1;
	}
	return report(n <= 0, "%s: open ok, read -> %s", path, res(n));
}

/* /proc/PID/mem at an address from its maps. */
static int read_mem(void *a)
{
	const char *pid = a;
	char maps[256];
	snprintf(maps, sizeof maps, "/proc/%s/maps", pid);
	long fd = hopen(maps, O_RDONLY, 0);
	unsigned long start = 0x400000;
	if (fd >= 0) {
		char buf[256] = "";
		if (HSC3(__NR_read, fd, buf, sizeof buf - 1) > 0)
			start = strtoul(buf, NULL, 16);
	}
	snprintf(maps, sizeof maps, "/proc/%s/mem", pid);
	long m = hopen(maps, O_RDONLY, 0);
	if (m < 0)
		return held_if_failed(maps, m);
	char b[16];
	long n = HSC4(__NR_pread64, m, b, sizeof b, start);
	return report(n <= 0, "%s: open ok, pread at %#lx -> %s", maps, start,
		      res(n));
}

static void one(const char *key, const char *pid, const char *what)
{
	char title[300];
	snprintf(path, sizeof path, "/proc/%s/%s", pid, what);
	snprintf(title, sizeof title, "read %s", path);
	ATTEMPT(key, title, read_path, 0);
}

int main(void)
{
	hostile_init();
	const char *canary = env_or("HOSTILE_CANARY_PID", "");
	const char *picos = env_or("HOSTILE_PICOS_PID", "");
	if (!*canary) {
		printf("Bail out! HOSTILE_CANARY_PID not set\n");
		return 1;
	}
	one("proc.read", canary, "cmdline");
	one("proc.read", canary, "environ");
	one("proc.read", canary, "maps");
	ATTEMPT("proc.read", "read the canary's /proc/PID/mem", read_mem, canary);
	one("proc.read", "1", "environ");
	one("proc.read", "1", "cmdline");
	if (*picos) {
		one("proc.read", picos, "environ");
		one("proc.read", picos, "cmdline");
	}
	return hostile_done();
}
