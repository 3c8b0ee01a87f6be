/* The host's sysfs beyond the world's /sys (include/picos/worldsys.h),
 * reached with raw host calls: files of its network interfaces, block
 * devices, kernel and cgroup tree read, also through ".." out of a kept
 * directory and through a kept CPU's link to its bus (sys.read); its
 * directories opened and the directories on the way and the cgroup tree
 * listed (sys.list); kept attributes opened for writing, never written
 * (sys.write).  With namespaces the world's /sys is a tmpfs holding only
 * the kept entries, bound read-only.  Without them Landlock reads only
 * the kept entries and writes none, but the names are the provider's
 * alone to hide (sys.list in docs/security.md). */
#include "hostile.h"
#include <dirent.h>

/* Opens `a` (a path) as the host resolves it and reads it: held when
 * the host refuses the open. */
static int read_raw(void *a)
{
	const char *path = a;
	long fd = hopen(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return held_if_failed(path, fd);
	char buf[64];
	long n = HSC3(__NR_read, fd, buf, sizeof buf);
	return report(0, "openat2(%s) -> %s, read -> %s", path, res(fd),
		      res(n));
}

/* Opens directory `a` raw: held when it is not there. */
static int open_dir_raw(void *a)
{
	const char *path = a;
	long fd = hopen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	return report(fd < 0, "openat2(%s, O_DIRECTORY) -> %s", path, res(fd));
}

static const char *const hidden[] = { "block", "class", "firmware", "bus",
				      "module", "dev", "memory", "debug",
				      NULL };

/* A directory and the names it must not list (NULL: none at all but
 * "." and "..", for the empty /sys/fs/cgroup). */
struct listing {
	const char *path;
	const char *const *names;
};

static int must_not_list(const struct listing *l, const char *name)
{
	if (!l->names)
		return strcmp(name, ".") && strcmp(name, "..");
	for (const char *const *h = l->names; *h; h++)
		if (!strcmp(name, *h))
			return 1;
	return 0;
}

/* Lists a directory raw: held when it lists none of those names. */
static int list_raw(void *a)
{
	const struct listing *l = a;
	long fd = hopen(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return held_if_failed(l->path, fd);
	char buf[8192];
	long n;
	while ((n = HSC3(__NR_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (must_not_list(l, d->d_name))
				return report(0, "getdents64 of %s lists %s",
					      l->path, d->d_name);
			off += d->d_reclen;
		}
	return report(1, "getdents64 of %s -> %s, nothing hidden listed",
		      l->path, res(n));
}

/* Opens `a` for writing raw, and writes nothing even when it opens: an
 * open for writing is already the breach. */
static int open_write_raw(void *a)
{
	const char *path = a;
	long fd = hopen(path, O_WRONLY | O_CLOEXEC, 0);
	if (fd >= 0)
		HSC1(__NR_close, fd);
	return report(fd < 0, "openat2(%s, O_WRONLY) -> %s", path, res(fd));
}

static void one(const char *key, const char *verb, int (*fn)(void *),
		const char *path, const void *arg)
{
	char title[300];
	snprintf(title, sizeof title, "%s %s (raw)", verb, path);
	ATTEMPT(key, title, fn, arg);
}

static void read_one(const char *path)
{
	one("sys.read", "open and read", read_raw, path, path);
}

static void open_dir_one(const char *path)
{
	one("sys.list", "open", open_dir_raw, path, path);
}

static void list_one(const struct listing *l)
{
	one("sys.list", "list", list_raw, l->path, l);
}

int main(void)
{
	hostile_init();
	read_one("/sys/class/net/lo/address");
	read_one("/sys/kernel/notes");
	read_one("/sys/devices/system/cpu/../../../kernel/notes");
	read_one("/sys/devices/system/cpu/cpu0/subsystem/uevent");
	read_one("/sys/fs/cgroup/cgroup.controllers"); /* cgroup v2 */
	read_one("/sys/fs/cgroup/pids/cgroup.procs");	/* cgroup v1 */
	/* the block device holding "/" (HOSTILE_ROOT_DEV: /dev/NAME) */
	const char *rd = env_or("HOSTILE_ROOT_DEV", "/dev/vda");
	char blk[256];
	snprintf(blk, sizeof blk, "/sys/class/block/%s/dev",
		 strrchr(rd, '/') ? strrchr(rd, '/') + 1 : rd);
	read_one(blk);
	open_dir_one("/sys/class/net");
	open_dir_one("/sys/block");
	open_dir_one("/sys/firmware");
	open_dir_one("/sys/devices/system/cpu/../../../class/net");
	static const struct listing dirs[] = {
		{ "/sys", hidden },
		{ "/sys/devices/system", hidden },
		{ "/sys/kernel", hidden },
		{ "/sys/fs/cgroup", NULL },
	};
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		list_one(&dirs[i]);
	/* Attributes a root user may write natively (the CPU's online
	 * switch, the huge page policy); no store for anyone else. */
	one("sys.write", "open for writing", open_write_raw,
	    "/sys/devices/system/cpu/cpu1/online",
	    "/sys/devices/system/cpu/cpu1/online");
	one("sys.write", "open for writing", open_write_raw,
	    "/sys/kernel/mm/transparent_hugepage/enabled",
	    "/sys/kernel/mm/transparent_hugepage/enabled");
	return hostile_done();
}
