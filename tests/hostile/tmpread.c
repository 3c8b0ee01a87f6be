/* The host's real /tmp: the world has a private /tmp, so neither the
 * canary file the runner made there (HOSTILE_TMP_FILE) nor a listing of
 * the host's /tmp may be reachable, through the provider or raw.  In flat
 * mode the names in the host's /tmp can be listed (tmp.list: Landlock's
 * list-only rule on "/" is inherited by every directory beneath it,
 * docs/security.md); its files cannot be opened (tmp.read). */
#include "hostile.h"
#include <dirent.h>

static const char *tmpfile_, *tmpdir_;

static int read_raw(void *a)
{
	(void)a;
	long fd = hopen(tmpfile_, O_RDONLY, 0);
	if (fd < 0)
		return held_if_failed("openat2 of the host /tmp canary", fd);
	char buf[64];
	long n = HSC3(__NR_read, fd, buf, sizeof buf);
	return report(n < 0, "openat2 of the host /tmp canary -> %s, read -> %s",
		      res(fd), res(n));
}

/* getdents64 of "/tmp" as the host resolves it: the runner's directory
 * (basename of HOSTILE_TMP's parent) must not be listed. */
static int list_raw(void *a)
{
	(void)a;
	char want[256];
	snprintf(want, sizeof want, "%s", tmpdir_);
	char *slash = strrchr(want, '/');
	if (slash)
		*slash = 0; /* /tmp/picos-hostile-XXXX */
	const char *base = strrchr(want, '/') ? strrchr(want, '/') + 1 : want;
	long fd = hopen("/tmp", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return held_if_failed("openat2 of /tmp", fd);
	char buf[8192];
	long n;
	while ((n = HSC3(__NR_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (!strcmp(d->d_name, base))
				return report(0, "getdents64 of /tmp lists %s",
					      base);
			off += d->d_reclen;
		}
	return report(1, "getdents64 of /tmp -> %s, %s not listed", res(n),
		      base);
}

static int read_provider(void *a)
{
	(void)a;
	int fd = open(tmpfile_, O_RDONLY);
	return report(fd < 0, "open through the provider -> %s",
		      fd < 0 ? strerrorname_np(errno) : "ok");
}

static int read_sud_off(void *a)
{
	(void)a;
	long r = sud_off();
	if (r < 0)
		return report(1, "prctl(SUD off) -> %s", res(r));
	struct hostile_open_how how = { O_RDONLY, 0, 0 };
	long fd = syscall(SYS_openat2, AT_FDCWD, tmpfile_, &how, sizeof how);
	return report(fd < 0, "dispatch off, libc openat2 -> %s",
		      fd < 0 ? strerrorname_np(errno) : "ok");
}

int main(void)
{
	hostile_init();
	tmpfile_ = env_or("HOSTILE_TMP_FILE", "");
	tmpdir_ = env_or("HOSTILE_TMP", "");
	if (!*tmpfile_ || !*tmpdir_) {
		printf("Bail out! HOSTILE_TMP_FILE not set\n");
		return 1;
	}
	ATTEMPT("tmp.read", "read the host /tmp canary (raw)", read_raw, 0);
	ATTEMPT("tmp.list", "list the host /tmp (raw)", list_raw, 0);
	ATTEMPT(NULL, "read the host /tmp canary through the provider",
		read_provider, 0);
	ATTEMPT("tmp.read", "read the host /tmp canary with dispatch off",
		read_sud_off, 0);
	return hostile_done();
}
