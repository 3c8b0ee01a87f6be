/* Filtered directories: host directories the world sees only part of.
 * Each is a guest directory and the paths kept below it; a path below
 * the directory that is not kept, not beneath a kept tree and not on the
 * way to a kept path is not there (ENOENT, set_mount in namei.c) and not
 * listed (getdents), so the host's other entries do not show, even by
 * name.  The directories on the way list only what leads to a kept path.
 *
 *  - /dev: the world's device names.  With namespaces the world's /dev is
 *    a tmpfs holding just these (src/cli/ns.c); without them the guest's
 *    /dev is the host's, where Landlock lets only these be opened
 *    (src/sandbox/landlock.c).
 *  - /sys: the host sysfs entries programs read to size themselves
 *    (include/picos/worldsys.h).  With namespaces the world's /sys is a
 *    tmpfs with just these bound read-only (src/cli/ns.c); without them
 *    Landlock reads only these (src/cli/world.c) and this filter alone
 *    hides the other names (docs/security.md, "Not enforced": sys.list).
 *
 * Only where the mount holding the path is above the directory (the
 * world's root): a mount of its own at the directory or below it (a
 * --bind) is the user's and shows as it is.  A --dev mount
 * (PCFG_MOUNT_DEVFS) is the world's /dev at another path: its paths are
 * filtered as the same paths below /dev. */
#include "vfs.h"
#include "../ipc/ipc.h"
#include <picos/worldsys.h>

struct kept {
	const char *path; /* canonical guest path below the directory */
	bool empty;	  /* the directory alone, listed empty */
};

struct filtered_dir {
	const char *dir;
	const struct kept *kept;
	size_t nkept;
};

#define TREE(p) { p, false },
#define EMPTY(p) { p, true },
#define DEV(name) TREE("/dev/" name)
static const struct kept world_dev[] = {
	DEV("null") DEV("zero") DEV("full") DEV("random") DEV("urandom")
	DEV("tty") DEV("ptmx") DEV("pts") DEV("shm") DEV("fd") DEV("stdin")
	DEV("stdout") DEV("stderr")
};

static const struct kept world_sys[] = { PICOS_WORLD_SYS(TREE, EMPTY) };

#define FILTERED(d, k) { d, k, sizeof k / sizeof *k }
static const struct filtered_dir filtered[] = {
	FILTERED("/dev", world_dev),
	FILTERED("/sys", world_sys),
};
#define NFILTERED (sizeof filtered / sizeof *filtered)

/* Is `a` (al bytes) the path `b` (bl bytes) or a directory above it? */
static bool at_or_above(const char *a, size_t al, const char *b, size_t bl)
{
	return al <= bl && rt_memcmp(a, b, al) == 0 && (al == bl || b[al] == '/');
}

/* A path's length without trailing slashes (but "/" stays). */
static size_t trimmed(const char *p)
{
	size_t n = rt_strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

/* The filtered directory `path` (pl bytes) lies at or below, when the
 * mount `mnt` holding it is above that directory or a --dev mount; else
 * NULL. */
static const struct filtered_dir *filtered_for(const struct mount *mnt,
					       const char *path, size_t pl)
{
	for (size_t i = 0; i < NFILTERED; i++) {
		const struct filtered_dir *d = &filtered[i];
		size_t dl = rt_strlen(d->dir);
		if ((mnt->devfs || mnt->path_len < dl) &&
		    at_or_above(d->dir, dl, path, pl))
			return d;
	}
	return NULL;
}

/* `path` as the filter spells it: below a --dev mount, from /dev (in
 * `buf`, PICOS_PATH_MAX bytes); elsewhere itself. */
static const char *filter_path(const struct mount *mnt, const char *path,
			       char *buf)
{
	if (!mnt->devfs)
		return path;
	const char *rest = path + mnt->path_len;
	if (rest[0] == '/' && !rest[1])
		rest = "";
	if ((size_t)rt_snprintf(buf, PICOS_PATH_MAX, "/dev%s", rest) >=
	    PICOS_PATH_MAX)
		return "/dev/-"; /* too long for any world name: hidden */
	return buf;
}

/* May the guest see `path` (pl bytes, at or below d->dir)? */
static bool shown(const struct filtered_dir *d, const char *path, size_t pl)
{
	if (pl == rt_strlen(d->dir))
		return true;
	/* With namespaces the world's /dev is its own (src/cli/ns.c): its
	 * queues, and its console (the terminal picos runs on) when it has
	 * one; without them these names are the host's. */
	if (d == &filtered[0] && ipc_world_ns &&
	    (at_or_above("/dev/mqueue", 11, path, pl) ||
	     (pl == 12 && rt_memcmp(path, "/dev/console", 12) == 0)))
		return true;
	for (size_t i = 0; i < d->nkept; i++) {
		const struct kept *k = &d->kept[i];
		size_t kl = rt_strlen(k->path);
		if (at_or_above(path, pl, k->path, kl) ||
		    (!k->empty && at_or_above(k->path, kl, path, pl)))
			return true;
	}
	return false;
}

/* Does the listing of directory `path` (pl bytes, shown) need filtering,
 * that is, does it not lie in a kept tree? */
static bool lists_part(const struct filtered_dir *d, const char *path,
		       size_t pl)
{
	for (size_t i = 0; i < d->nkept; i++) {
		const struct kept *k = &d->kept[i];
		if (!k->empty &&
		    at_or_above(k->path, rt_strlen(k->path), path, pl))
			return false;
	}
	return true;
}

bool filtered_hides(const struct mount *mnt, const char *path)
{
	char *buf = mnt->devfs ? kmalloc(PICOS_PATH_MAX) : NULL;
	if (mnt->devfs && !buf)
		return true;
	path = filter_path(mnt, path, buf);
	size_t pl = trimmed(path);
	const struct filtered_dir *d = filtered_for(mnt, path, pl);
	bool hides = d && !shown(d, path, pl);
	kfree(buf);
	return hides;
}

/* Is entry `name` (nl bytes) of directory `dir` (dl bytes) shown? */
static bool entry_shown(const struct filtered_dir *d, const char *dir,
			size_t dl, const char *name, size_t nl)
{
	if ((nl == 1 && name[0] == '.') ||
	    (nl == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	/* Longer than any kept path: neither kept nor on the way to one
	 * (the directory does not lie in a kept tree). */
	char child[512];
	if (dl + 1 + nl >= sizeof child)
		return false;
	rt_memcpy(child, dir, dl);
	child[dl] = '/';
	rt_memcpy(child + dl + 1, name, nl);
	return shown(d, child, dl + 1 + nl);
}

#define SEEK_SET 0
#define SEEK_CUR 1
/* The host is asked for at least this much, so a long hidden name never
 * makes a small listing fail with EINVAL where Linux would not have it. */
#define HOST_CHUNK 4096

static bool listing(struct file *f, const char *path, char *kbuf, size_t cap,
		    long *res);

bool filtered_getdents(struct file *f, char *kbuf, size_t cap, long *res)
{
	if (!f->path || !f->mnt)
		return false;
	char *buf = f->mnt->devfs ? kmalloc(PICOS_PATH_MAX) : NULL;
	if (f->mnt->devfs && !buf)
		return false;
	const char *path = filter_path(f->mnt, f->path, buf);
	bool r = listing(f, path, kbuf, cap, res);
	kfree(buf);
	return r;
}

/* filtered_getdents of directory `path` (as the filter spells it). */
static bool listing(struct file *f, const char *path, char *kbuf, size_t cap,
		    long *res)
{
	size_t pl = trimmed(path);
	const struct filtered_dir *d = filtered_for(f->mnt, path, pl);
	if (!d || !lists_part(d, path, pl))
		return false;
	size_t hcap = cap < HOST_CHUNK ? HOST_CHUNK : cap;
	char *hbuf = kmalloc(hcap);
	if (!hbuf) {
		*res = -ENOMEM;
		return true;
	}
	/* Where the host's listing goes on after the last record looked
	 * at: a kept record that does not fit is read again next time. */
	long resume = host_syscall3(__NR_lseek, f->host_fd, 0, SEEK_CUR);
	size_t len = 0;
	long n;
	bool full = false;
	/* Until a record is kept or the listing ends: the host's records
	 * in the host's order and offsets, the others left out. */
	do {
		n = host_syscall3(__NR_getdents64, f->host_fd, hbuf, hcap);
		for (long off = 0; off < n;) {
			struct dirent64_hdr *e = (void *)(hbuf + off);
			const char *name = hbuf + off + sizeof *e;
			if (entry_shown(d, path, pl, name, rt_strlen(name))) {
				if (len + e->d_reclen > cap) {
					full = true;
					break;
				}
				rt_memcpy(kbuf + len, e, e->d_reclen);
				len += e->d_reclen;
			}
			resume = e->d_off;
			off += e->d_reclen;
		}
	} while (n > 0 && len == 0 && !full);
	if (full)
		host_syscall3(__NR_lseek, f->host_fd, resume, SEEK_SET);
	kfree(hbuf);
	/* No room for the first record: EINVAL, as Linux says. */
	if (full && len == 0)
		*res = -EINVAL;
	else
		*res = n < 0 && len == 0 ? n : (long)len;
	return true;
}
