/* The world's /dev, by name.  With namespaces the world's /dev is a tmpfs
 * holding just these (src/cli/ns.c); without them the guest's /dev is the
 * host's, where Landlock lets only these be opened
 * (src/sandbox/landlock.c).  Either way the guest sees only these names:
 * the others are not there (ENOENT) and not listed, so no host device
 * shows, even by name. */
#include "vfs.h"

static const char *const world_dev[] = {
	"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts",
	"shm", "fd", "stdin", "stdout", "stderr",
};

static bool world_name(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof world_dev / sizeof *world_dev; i++)
		if (rt_strlen(world_dev[i]) == n &&
		    rt_memcmp(world_dev[i], p, n) == 0)
			return true;
	return false;
}

/* The world's /dev in mount `mnt`: the guest's /dev in the root mount
 * (or any mount above it), or the root of a --dev mount; NULL when
 * `mnt` has none (a mount of its own at /dev or below it, a --bind, is
 * the user's).  `len` is its guest path's length. */
static const char *dev_dir(const struct mount *mnt, size_t *len)
{
	if (mnt->devfs) {
		*len = mnt->path_len;
		return mnt->path_len ? mnt->path : "/";
	}
	*len = 4;
	return mnt->path_len < 4 ? "/dev" : NULL;
}

/* The name right below the world's /dev in a canonical guest path, or
 * NULL. */
static const char *below_dev(const struct mount *mnt, const char *path,
			     size_t *n)
{
	size_t len;
	const char *dir = dev_dir(mnt, &len);
	if (!dir || !rt_path_has_prefix(path, dir))
		return NULL;
	const char *p = path + len;
	while (*p == '/')
		p++;
	if (!*p)
		return NULL;
	size_t k = 0;
	while (p[k] && p[k] != '/')
		k++;
	*n = k;
	return p;
}

bool devfs_hides(const struct mount *mnt, const char *path)
{
	size_t n;
	const char *name = below_dev(mnt, path, &n);
	return name && !world_name(name, n);
}

static bool is_dev_dir(const struct file *f)
{
	size_t len;
	const char *dir = f->path && f->mnt ? dev_dir(f->mnt, &len) : NULL;
	return dir && rt_strcmp(f->path, dir) == 0;
}

bool devfs_getdents(struct file *f, char *kbuf, size_t cap, long *res)
{
	if (!is_dev_dir(f))
		return false;
	char *hbuf = kmalloc(cap);
	if (!hbuf) {
		*res = -ENOMEM;
		return true;
	}
	size_t len = 0;
	long n;
	/* Until a record is kept or the listing ends: the host's records
	 * in the host's order and offsets, the others left out. */
	do {
		n = host_syscall3(__NR_getdents64, f->host_fd, hbuf, cap);
		for (long off = 0; off < n;) {
			struct dirent64_hdr *d = (void *)(hbuf + off);
			const char *name = hbuf + off + sizeof *d;
			size_t nl = rt_strlen(name);
			bool dots = (nl == 1 && name[0] == '.') ||
				    (nl == 2 && name[0] == '.' && name[1] == '.');
			if (dots || world_name(name, nl)) {
				rt_memcpy(kbuf + len, d, d->d_reclen);
				len += d->d_reclen;
			}
			off += d->d_reclen;
		}
	} while (n > 0 && len == 0);
	kfree(hbuf);
	*res = n < 0 && len == 0 ? n : (long)len;
	return true;
}
