/* unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink,
 * symlinkat.
 *
 * These name a directory entry rather than an inode.  Like Linux's
 * filename_parentat(), the provider resolves every component but the last
 * to a host O_PATH fd of the parent directory and hands the host only the
 * last component, relative to that fd and with its trailing slashes, so
 * the host answers ENOENT/ENOTDIR/EISDIR/EEXIST for it exactly as Linux
 * does.  What the host cannot know is the guest's mount table: crossing
 * guest mounts (EXDEV), writing under a read-only guest mount (EROFS) and
 * touching a guest mount root (EBUSY) are decided here, at the point of
 * Linux's order where they arise. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/stat.h>
#include <linux/fs.h>

/* The kinds of last component Linux tells apart. */
enum { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

struct nameparent {
	struct lookup dir; /* the parent directory */
	int fd;		   /* host O_PATH fd of the parent, -1 when none */
	int type;	   /* LAST_* */
	char *name;	   /* last component, trailing slashes included */
	size_t len;	   /* its length without them */
	bool slash;	   /* the path ended in '/' */
};

/* Splits the guest path `kp` in place into the directory part (returned)
 * and the last component (np->name, left inside kp). */
static const char *split_last(char *kp, struct nameparent *np)
{
	size_t n = rt_strlen(kp), end = n;
	while (end > 0 && kp[end - 1] == '/')
		end--;
	np->slash = end < n;
	if (end == 0) { /* "/", "///": no last component at all */
		np->type = LAST_ROOT;
		np->name = kp + n;
		np->len = 0;
		return "/";
	}
	size_t cut = end;
	while (cut > 0 && kp[cut - 1] != '/')
		cut--;
	np->name = kp + cut;
	np->len = end - cut;
	np->type = LAST_NORM;
	if (np->len == 1 && np->name[0] == '.')
		np->type = LAST_DOT;
	else if (np->len == 2 && np->name[0] == '.' && np->name[1] == '.')
		np->type = LAST_DOTDOT;
	if (cut == 0)
		return ".";
	size_t dend = cut;
	while (dend > 0 && kp[dend - 1] == '/')
		dend--;
	if (dend == 0)
		return "/";
	kp[dend] = 0; /* a separator: the name after it stays intact */
	return kp;
}

/* Resolves (dirfd, guest path) to its parent directory, using the
 * thread's path buffers of `slot`.  np->fd must be released with
 * np_put() whatever this returns. */
static long parent_get(int dirfd, const char *upath, int slot,
		       struct nameparent *np)
{
	struct pico_thread *t = current();
	char *kp = t->kpath[slot];
	np->fd = -1;
	long r = copy_path_from_user(kp, upath, false);
	if (r < 0)
		return r;
	const char *dir = split_last(kp, np);
	r = path_lookup(dirfd, dir, LK_FOLLOW, &np->dir, t->lpath[slot]);
	if (r < 0)
		return r;
	r = vfs_open(&np->dir, O_PATH | O_DIRECTORY, 0);
	if (r < 0)
		return r;
	np->fd = (int)r;
	return 0;
}

static void np_put(struct nameparent *np)
{
	if (np->fd >= 0)
		host_close(np->fd);
	np->fd = -1;
}

/* The mount whose root the entry is, or NULL.  The host sees the parent
 * mount's directory there, never the guest mount on top of it. */
static struct mount *child_mount_root(struct nameparent *np)
{
	char *c = current()->parent;
	size_t n = rt_strlen(np->dir.path);
	while (n > 1 && np->dir.path[n - 1] == '/')
		n--;
	if (n + 1 + np->len + 1 > PICOS_PATH_MAX)
		return NULL;
	rt_memcpy(c, np->dir.path, n);
	if (n > 1)
		c[n++] = '/';
	rt_memcpy(c + n, np->name, np->len);
	c[n + np->len] = 0;
	return mount_is_root(c) ? mount_find(c) : NULL;
}

static bool mount_root_is_dir(struct mount *m)
{
	struct stat st;
	return host_syscall2(__NR_fstat, m->host_fd, &st) == 0 &&
	       (st.st_mode & 0170000) == 0040000;
}

/* lstat of the entry itself (the name without its trailing slashes). */
static long entry_stat(struct nameparent *np, struct stat *st)
{
	char *end = np->name + np->len;
	char save = *end;
	*end = 0;
	long r = host_syscall4(__NR_newfstatat, np->fd, np->name, st,
			       AT_SYMLINK_NOFOLLOW);
	*end = save;
	return r;
}

/* The errors of Linux's filename_create() that come before the host's:
 * a "." or ".." or "/" last component and an existing entry are EEXIST, a
 * missing one named with a trailing slash is ENOENT, and only then does a
 * read-only mount answer EROFS.  The probe is needed when the host cannot
 * decide (read-only mount) or when the caller has its own error to give
 * after these (`probe`). */
static long create_checks(struct nameparent *np, bool probe)
{
	if (np->type != LAST_NORM || child_mount_root(np))
		return -EEXIST;
	bool ro = np->dir.mnt->rdonly;
	if (!ro && !probe)
		return 0;
	struct stat st;
	long r = entry_stat(np, &st);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	if (np->slash)
		return -ENOENT;
	return ro ? -EROFS : 0;
}

/* ---- unlink and rmdir ---- */

static long unlink_checks(struct nameparent *np, bool rmdir)
{
	if (np->type != LAST_NORM) {
		if (!rmdir)
			return -EISDIR;
		return np->type == LAST_DOTDOT ? -ENOTEMPTY
		       : np->type == LAST_DOT	? -EINVAL
						: -EBUSY;
	}
	if (np->dir.mnt->rdonly)
		return -EROFS;
	struct mount *m = child_mount_root(np);
	if (!m)
		return 0;
	/* may_delete()'s type checks come before the mount point's EBUSY. */
	bool dir = mount_root_is_dir(m);
	if (rmdir)
		return dir ? -EBUSY : -ENOTDIR;
	return dir ? -EISDIR : -EBUSY;
}

static long do_unlink(int dirfd, const char *upath, bool rmdir)
{
	struct nameparent np;
	long r = parent_get(dirfd, upath, 0, &np);
	if (r >= 0)
		r = unlink_checks(&np, rmdir);
	if (r >= 0)
		r = perm_dir_change(np.fd, np.name, true);
	if (r >= 0)
		r = host_syscall3(__NR_unlinkat, np.fd, np.name,
				  rmdir ? AT_REMOVEDIR : 0);
	np_put(&np);
	return r;
}

long sys_unlink(const char *path)
{
	return do_unlink(AT_FDCWD, path, false);
}

long sys_unlinkat(int dirfd, const char *path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return do_unlink(dirfd, path, flags & AT_REMOVEDIR);
}

/* ---- rename ---- */

/* Either entry is a guest mount root, which the host cannot see.  Linux
 * answers EBUSY for it from vfs_rename(), after the checks made before:
 * a missing source, RENAME_NOREPLACE/RENAME_EXCHANGE on the target's
 * existence, trailing slashes on a non-directory and may_delete()'s
 * directory-versus-file mismatch. */
static long rename_mount_root(struct nameparent *o, struct nameparent *n,
			      struct mount *om, struct mount *nm,
			      unsigned flags)
{
	struct stat st;
	bool exchange = flags & RENAME_EXCHANGE;
	bool old_dir, new_exists, new_dir;
	long r;
	if (om) {
		old_dir = mount_root_is_dir(om);
	} else {
		if ((r = entry_stat(o, &st)) < 0)
			return r;
		old_dir = (st.st_mode & 0170000) == 0040000;
	}
	if (nm) {
		new_exists = true;
		new_dir = mount_root_is_dir(nm);
	} else {
		r = entry_stat(n, &st);
		if (r < 0 && r != -ENOENT)
			return r;
		new_exists = r == 0;
		new_dir = new_exists && (st.st_mode & 0170000) == 0040000;
	}
	if ((flags & RENAME_NOREPLACE) && new_exists)
		return -EEXIST;
	if (exchange && !new_exists)
		return -ENOENT;
	if (exchange && !new_dir && n->slash)
		return -ENOTDIR;
	if (!old_dir && (o->slash || (!exchange && n->slash)))
		return -ENOTDIR;
	if (new_exists && !exchange && old_dir != new_dir)
		return old_dir ? -ENOTDIR : -EISDIR;
	return -EBUSY;
}

static long rename_checks(struct nameparent *o, struct nameparent *n,
			  unsigned flags)
{
	if (o->dir.mnt != n->dir.mnt)
		return -EXDEV;
	if (o->type != LAST_NORM)
		return -EBUSY;
	if (n->type != LAST_NORM)
		return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	if (o->dir.mnt->rdonly)
		return -EROFS;
	struct mount *om = child_mount_root(o);
	struct mount *nm = child_mount_root(n);
	if (om || nm)
		return rename_mount_root(o, n, om, nm, flags);
	return 0;
}

long sys_renameat2(int ofd, const char *from, int nfd, const char *to,
		   unsigned flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) &&
	    (flags & RENAME_EXCHANGE))
		return -EINVAL;
	struct nameparent o, n;
	n.fd = -1;
	long r = parent_get(ofd, from, 0, &o);
	if (r >= 0)
		r = parent_get(nfd, to, 1, &n);
	if (r >= 0)
		r = rename_checks(&o, &n, flags);
	if (r >= 0)
		r = perm_dir_change(o.fd, o.name, true);
	if (r >= 0)
		r = perm_dir_change(n.fd, n.name, true);
	if (r >= 0)
		r = host_syscall5(__NR_renameat2, o.fd, o.name, n.fd, n.name,
				  flags);
	np_put(&o);
	np_put(&n);
	return r;
}

long sys_renameat(int ofd, const char *from, int nfd, const char *to)
{
	return sys_renameat2(ofd, from, nfd, to, 0);
}

long sys_rename(const char *from, const char *to)
{
	return sys_renameat2(AT_FDCWD, from, AT_FDCWD, to, 0);
}

/* ---- link ---- */

/* vfs_link() refuses directories with EPERM.  Said here, because the
 * host's Landlock would answer EXDEV first for a mount's root directory. */
static long link_source_check(struct vfs_target *s)
{
	struct stat st;
	long r = host_syscall2(__NR_fstat, s->fd, &st);
	if (r < 0)
		return r;
	return (st.st_mode & 0170000) == 0040000 ? -EPERM : 0;
}

long sys_linkat(int ofd, const char *from, int nfd, const char *to, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_target s;
	struct nameparent n;
	n.fd = -1;
	long r = vfs_target_get(ofd, from, flags & AT_SYMLINK_FOLLOW,
				  flags & AT_EMPTY_PATH, &s);
	if (r >= 0)
		r = parent_get(nfd, to, 1, &n);
	/* Linux: the new name's errors (EEXIST, ENOENT, EROFS), then EXDEV. */
	bool cross = r >= 0 && s.mnt != n.dir.mnt;
	if (r >= 0)
		r = create_checks(&n, cross);
	if (r >= 0 && cross)
		r = -EXDEV;
	if (r >= 0)
		r = link_source_check(&s);
	if (r >= 0)
		r = perm_dir_change(n.fd, n.name, false);
	/* The source was resolved by us, symlinks and all: the host links
	 * the very inode behind the O_PATH fd. */
	if (r >= 0)
		r = host_syscall5(__NR_linkat, s.fd, "", n.fd, n.name,
				  AT_EMPTY_PATH);
	vfs_target_put(&s);
	np_put(&n);
	return r;
}

long sys_link(const char *from, const char *to)
{
	return sys_linkat(AT_FDCWD, from, AT_FDCWD, to, 0);
}

/* ---- symlink ---- */

long sys_symlinkat(const char *utarget, int dirfd, const char *upath)
{
	/* The target is stored verbatim: it is only a string to the host. */
	char *target = current()->kpath[0];
	long r = copy_path_from_user(target, utarget, false);
	if (r < 0)
		return r;
	struct nameparent np;
	r = parent_get(dirfd, upath, 1, &np);
	if (r >= 0)
		r = create_checks(&np, false);
	if (r >= 0)
		r = perm_dir_change(np.fd, np.name, false);
	if (r >= 0)
		r = host_syscall3(__NR_symlinkat, target, np.fd, np.name);
	np_put(&np);
	return r;
}

long sys_symlink(const char *target, const char *path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}
