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

/* The name right below /dev in a canonical guest path, or NULL. */
static const char *below_dev(const char *path, size_t *n)
{
	if (!rt_path_has_prefix(path, "/dev"))
		return NULL;
	const char *p = path + 4;
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
	const char *name = below_dev(path, &n);
	/* a mount of its own at /dev or below it (a --bind) is the user's */
	return name && mnt->path_len < 4 && !world_name(name, n);
}

static bool is_dev_dir(const struct file *f)
{
	return f->path && f->mnt && f->mnt->path_len < 4 &&
	       rt_strcmp(f->path, "/dev") == 0;
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
