/* The mount table: guest paths mapped to host directories.  Small and
 * linear: a world has a handful of mounts. */
#include "vfs.h"
#include <picos/config.h>

#define MAX_MOUNTS 64

static struct mount mounts[MAX_MOUNTS];
static int nmounts;

void mount_add(const char *guest_path, int host_fd, unsigned pcfg_flags)
{
	if (nmounts == MAX_MOUNTS)
		kdie(125, "too many mounts (at most %d)", MAX_MOUNTS);
	struct mount *m = &mounts[nmounts++];
	m->path = kstrdup(guest_path);
	m->path_len = rt_strcmp(guest_path, "/") == 0 ? 0 : rt_strlen(guest_path);
	m->host_fd = host_fd;
	m->rdonly = pcfg_flags & PCFG_MOUNT_RDONLY;
	m->procfs = pcfg_flags & PCFG_MOUNT_PROC;
	m->socket = pcfg_flags & PCFG_MOUNT_SOCKET;
	m->devfs = pcfg_flags & PCFG_MOUNT_DEVFS;
}

struct mount *mount_find(const char *path)
{
	struct mount *best = NULL;
	for (int i = 0; i < nmounts; i++) {
		struct mount *m = &mounts[i];
		if (!rt_path_has_prefix(path, m->path_len ? m->path : "/"))
			continue;
		/* Later mounts on the same path shadow earlier ones. */
		if (!best || m->path_len >= best->path_len)
			best = m;
	}
	return best;
}

bool mount_is_root(const char *path)
{
	struct mount *m = mount_find(path);
	return m && (m->path_len ? rt_strcmp(m->path, path) == 0
				 : rt_strcmp(path, "/") == 0);
}

bool mount_is_above(const char *path)
{
	for (int i = 0; i < nmounts; i++) {
		const char *mp = mounts[i].path_len ? mounts[i].path : "/";
		if (rt_strcmp(mp, path) != 0 && rt_path_has_prefix(mp, path))
			return true;
	}
	return false;
}

size_t host_fd_path(int fd, char *out, size_t size)
{
	char link[32];
	rt_snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	long n = host_syscall4(__NR_readlinkat, AT_FDCWD, link, out, size - 1);
	if (n <= 0 || out[0] != '/' || (size_t)n >= size - 1)
		n = 0;
	out[n] = 0;
	return (size_t)n;
}

/* The host directory's path as the host names it now, read once. */
static const char *host_path_of(struct mount *m)
{
	if (!m->host_path) {
		char buf[PICOS_PATH_MAX];
		host_fd_path(m->host_fd, buf, sizeof buf);
		m->host_path = kstrdup(buf);
	}
	return m->host_path;
}

bool mount_guest_path_of_host(const char *host, char *out, size_t size)
{
	struct mount *best = NULL;
	size_t best_len = 0;
	for (int i = 0; i < nmounts; i++) {
		const char *hp = host_path_of(&mounts[i]);
		if (!hp[0] || !rt_path_has_prefix(host, hp))
			continue;
		size_t n = rt_strlen(hp);
		if (!best || n >= best_len) {
			best = &mounts[i];
			best_len = n;
		}
	}
	if (!best)
		return false;
	const char *rest = host + (best_len == 1 ? 0 : best_len);
	const char *base = best->path_len ? best->path : "";
	if (!*base && !*rest)
		rest = "/";
	return (size_t)rt_snprintf(out, size, "%s%s", base, rest) < size;
}
