/* Path lookup.
 *
 * All resolution is the provider's: a guest path becomes an absolute guest
 * path, the deepest mount under it is found, and the host is asked to open
 * the rest relative to that mount's host directory with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS).
 * The host therefore never follows a symlink or a ".." for us: nothing can
 * leave a mount's host root, even if the guest races us.
 *
 * The fast path is lexical: a path without ".." whose components are not
 * symlinks is already canonical.  When the host meets a symlink it answers
 * -ELOOP; then the slow walk below resolves every component in the
 * provider (readlinkat per component, symlink targets read as guest paths,
 * ".." applied to the guest path so it crosses mounts the guest's way), and
 * the operation is retried once on the canonical path. */
#include "vfs.h"
#include "../entry/thread.h"
#include <linux/openat2.h>

#define MAX_SYMLINKS 40

static bool has_dotdot(const char *p)
{
	for (const char *c = p; *c; c++) {
		if (c[0] == '.' && c[1] == '.' && (c == p || c[-1] == '/') &&
		    (c[2] == 0 || c[2] == '/'))
			return true;
	}
	return false;
}

static long set_mount(struct lookup *lk)
{
	lk->mnt = mount_find(lk->path);
	const char *rel = lk->path + lk->mnt->path_len;
	while (*rel == '/')
		rel++;
	lk->rel = rel;
	if (filtered_hides(lk->mnt, lk->path))
		return -ENOENT;
	/* procfs reads the state of processes, threads and fds that only
	 * the exclusive provider lock guards: a call on the shared side (an
	 * open or stat, lock class FD) runs again exclusive. */
	if (lk->mnt->procfs && provider_lock_is_shared())
		return -EPICO_EXCL;
	return lk->mnt->procfs ? procfs_host_rel(lk) : 0;
}

/* Re-appends the trailing slash a normalisation dropped, so the host sees
 * "name/" and answers ENOTDIR/EISDIR as Linux does. */
static long restore_trailing_slash(struct lookup *lk)
{
	size_t n = rt_strlen(lk->path);
	if (!lk->trailing_slash || (n == 1 && lk->path[0] == '/'))
		return 0;
	if (n + 2 > PICOS_PATH_MAX)
		return -ENAMETOOLONG;
	lk->path[n] = '/';
	lk->path[n + 1] = 0;
	return 0;
}

static void strip_trailing_slash(struct lookup *lk)
{
	size_t n = rt_strlen(lk->path);
	if (lk->trailing_slash && n > 1 && lk->path[n - 1] == '/')
		lk->path[n - 1] = 0;
}

static long base_path(int dirfd, char *out)
{
	if (dirfd == AT_FDCWD) {
		rt_strlcpy(out, fs_cwd, PICOS_PATH_MAX);
		return 0;
	}
	struct file *f = fd_get(dirfd);
	if (!f)
		return -EBADF;
	long r = 0;
	if (!f->path) {
		r = -ENOTDIR;
	} else {
		struct stat_probe {
			char b[256];
		} st;
		/* fstat's st_mode is at offset 24 in the x86-64 struct stat. */
		long s = host_syscall2(__NR_fstat, f->host_fd, &st);
		unsigned mode = *(unsigned *)(st.b + 24);
		if (s < 0)
			r = s;
		else if ((mode & 0170000) != 0040000)
			r = -ENOTDIR;
		else
			rt_strlcpy(out, f->path, PICOS_PATH_MAX);
	}
	file_put(f);
	return r;
}

long path_lookup(int dirfd, const char *path, unsigned flags,
		 struct lookup *lk, char *buf)
{
	size_t plen = rt_strlen(path);
	(void)flags;
	/* A final "." names a directory just as a trailing slash does
	 * ("file/." is ENOTDIR); normalisation drops it, the slash stays. */
	lk->trailing_slash = plen > 0 && (path[plen - 1] == '/' ||
					  (path[plen - 1] == '.' &&
					   (plen == 1 || path[plen - 2] == '/')));
	lk->canonical = false;
	lk->path = buf;
	if (plen == 0 && (flags & LK_EMPTY_OK) && dirfd != AT_FDCWD) {
		/* AT_EMPTY_PATH: the fd's own file, whatever its type. */
		struct file *f = fd_get(dirfd);
		if (!f)
			return -EBADF;
		long r = f->path ? 0 : -ENOENT;
		if (f->path)
			rt_strlcpy(buf, f->path, PICOS_PATH_MAX);
		file_put(f);
		if (r < 0)
			return r;
		return set_mount(lk);
	}
	if (path[0] == '/' && fs_root && !(flags & LK_WORLD)) {
		/* chroot: the guest's / is its root */
		if ((size_t)rt_snprintf(buf, PICOS_PATH_MAX, "%s%s", fs_root,
					path) >= PICOS_PATH_MAX)
			return -ENAMETOOLONG;
	} else if (path[0] == '/') {
		rt_strlcpy(buf, path, PICOS_PATH_MAX);
	} else {
		long r = base_path(dirfd, buf);
		if (r < 0)
			return r;
		size_t blen = rt_strlen(buf);
		if (blen + 1 + plen + 1 > PICOS_PATH_MAX)
			return -ENAMETOOLONG;
		if (plen) {
			if (blen > 1)
				buf[blen++] = '/';
			rt_memcpy(buf + blen, path, plen + 1);
		}
	}
	if (has_dotdot(buf)) {
		long r = path_canonicalize(lk, (flags & LK_FOLLOW) ||
						       lk->trailing_slash);
		if (r < 0)
			return r;
		return 0;
	}
	rt_path_normalize(buf);
	long r = set_mount(lk);
	if (r < 0)
		return r;
	return restore_trailing_slash(lk);
}

void path_strip_slashes(char *path)
{
	size_t n = rt_strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = 0;
}

/* Drops the last component of a canonical path ("/a/b" -> "/a"); ".."
 * of the caller's root (chroot) is the root, as Linux's walk stops
 * there. */
static void drop_last(char *out)
{
	if (fs_root && rt_strcmp(out, fs_root) == 0)
		return;
	char *s = rt_strrchr(out, '/');
	if (s == out)
		out[1] = 0;
	else if (s)
		*s = 0;
}

/* -ENOTDIR unless lk->path (inside lk->mnt) is a directory. */
static long must_be_dir(struct lookup *lk)
{
	struct {
		unsigned long dev, ino, nlink;
		unsigned mode;
		char rest[128];
	} st;
	long r = set_mount(lk);
	if (r < 0)
		return r;
	r = host_syscall4(__NR_newfstatat, lk->mnt->host_fd,
			       *lk->rel ? lk->rel : ".", &st,
			       AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return r;
	return (st.mode & 0170000) == 0040000 ? 0 : -ENOTDIR;
}

long path_canonicalize(struct lookup *lk, bool follow_last)
{
	struct pico_thread *t = current();
	char *pend = t->walk_pend; /* components still to walk */
	char *link = t->walk_link;
	char *out = lk->path;
	int links = 0;
	/* The last component walked was found not to be a symlink, but
	 * nothing said it is a directory yet: a following ".." must check
	 * ("file/.." is ENOTDIR).  Any other following component is checked
	 * by the host when it resolves that component. */
	bool unchecked = false;

	strip_trailing_slash(lk);
	rt_strlcpy(pend, out, PICOS_PATH_MAX);
	if (lk->trailing_slash)
		follow_last = true;
	out[0] = '/';
	out[1] = 0;
	char *p = pend;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = p;
		while (*end && *end != '/')
			end++;
		size_t n = (size_t)(end - p);
		const char *rest = end;
		while (*rest == '/')
			rest++;
		bool last = *rest == 0;
		if (n == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (unchecked) {
				long r = must_be_dir(lk);
				if (r < 0)
					return r;
				unchecked = false;
			}
			drop_last(out);
			p = end;
			continue;
		}
		size_t olen = rt_strlen(out);
		if (olen + 1 + n + 1 > PICOS_PATH_MAX)
			return -ENAMETOOLONG;
		if (olen > 1)
			out[olen++] = '/';
		rt_memcpy(out + olen, p, n);
		out[olen + n] = 0;
		p = end;
		if (last && !follow_last)
			break;
		unchecked = false;
		if (mount_is_root(out) || (!last && mount_is_above(out)))
			continue; /* a directory on the way to a mount */
		long r = set_mount(lk);
		if (r == 0 && procfs_walk_stops(lk->mnt, out))
			r = -EINVAL;
		else if (r == 0 && !procfs_readlink(lk->mnt, out, link,
						    PICOS_PATH_MAX, &r))
			r = host_syscall4(__NR_readlinkat, lk->mnt->host_fd,
					  lk->rel, link, PICOS_PATH_MAX - 1);
		if (r == -EINVAL) {
			unchecked = true;
			continue; /* not a symlink */
		}
		if (r == -ENOENT && last)
			break; /* the operation decides (O_CREAT, mkdir...) */
		if (r < 0)
			return r;
		if (++links > MAX_SYMLINKS)
			return -ELOOP;
		link[r] = 0;
		/* Splice the target in front of what is left to walk. */
		size_t llen = (size_t)r, rlen = rt_strlen(p);
		if (llen + 1 + rlen + 1 > PICOS_PATH_MAX)
			return -ENAMETOOLONG;
		rt_memmove(pend + llen + 1, p, rlen + 1);
		rt_memcpy(pend, link, llen);
		pend[llen] = '/';
		p = pend;
		if (link[0] == '/') {
			/* an absolute target starts at the caller's root */
			rt_strlcpy(out, fs_root ? fs_root : "/", PICOS_PATH_MAX);
		} else {
			drop_last(out);
		}
	}
	lk->canonical = true;
	long r = set_mount(lk);
	if (r < 0)
		return r;
	return restore_trailing_slash(lk);
}

/* A --bind-socket mount is one socket: nothing lies beneath it, and an
 * open other than O_PATH gets what Linux gives for a socket (ENXIO). */
static long open_socket_mount(struct lookup *lk, int flags)
{
	if (*lk->rel || (flags & O_DIRECTORY))
		return -ENOTDIR;
	if (!(flags & O_PATH))
		return -ENXIO;
	return host_syscall3(__NR_fcntl, lk->mnt->host_fd, F_DUPFD_CLOEXEC, 0);
}

static long openat2_in_mount(struct lookup *lk, int flags, unsigned mode)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_SYMLINKS,
	};
	long r;
	if (procfs_open(lk, flags, &r))
		return r;
	if (lk->mnt->socket)
		return open_socket_mount(lk, flags);
	if (perm_active() && (r = perm_open(lk, flags)) < 0)
		return r;
	const char *rel = *lk->rel ? lk->rel : ".";
	return host_syscall4(__NR_openat2, lk->mnt->host_fd, rel, &how,
			     sizeof how);
}

long vfs_open(struct lookup *lk, int flags, unsigned mode)
{
	long r = openat2_in_mount(lk, flags, mode);
	if (r != -ELOOP || lk->canonical)
		return r;
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	long c = path_canonicalize(lk, !(flags & O_NOFOLLOW) && !excl);
	if (c < 0)
		return c;
	r = openat2_in_mount(lk, flags, mode);
	if (r == -ELOOP && excl)
		return -EEXIST; /* O_EXCL never follows: the link exists */
	return r;
}

long vfs_open_path(struct lookup *lk, bool follow)
{
	return vfs_open(lk, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
}

long vfs_open_parent(struct lookup *lk, const char **name)
{
	if (*lk->rel == 0)
		return -EBUSY;
	/* Split "dir/name[/]" at the last separator before any trailing one. */
	size_t n = rt_strlen(lk->rel);
	size_t end = n;
	while (end > 0 && lk->rel[end - 1] == '/')
		end--;
	size_t cut = end;
	while (cut > 0 && lk->rel[cut - 1] != '/')
		cut--;
	*name = lk->rel + cut;
	struct lookup parent = *lk;
	char *pbuf = current()->parent;
	/* The parent's guest path: everything before the last component
	 * (of the guest path: rel may be procfs's host spelling). */
	size_t plen = rt_strlen(lk->path);
	while (plen > 0 && lk->path[plen - 1] == '/')
		plen--;
	while (plen > 0 && lk->path[plen - 1] != '/')
		plen--;
	rt_memcpy(pbuf, lk->path, plen);
	pbuf[plen] = 0;
	while (plen > 1 && pbuf[plen - 1] == '/')
		pbuf[--plen] = 0;
	parent.path = pbuf;
	parent.trailing_slash = false;
	long r = set_mount(&parent);
	if (r < 0)
		return r;
	return vfs_open(&parent, O_PATH | O_DIRECTORY, 0);
}

long user_lookup(int dirfd, const char *upath, unsigned flags,
		 struct lookup *lk, char *kbuf, char *pathbuf)
{
	long r = copy_path_from_user(kbuf, upath, flags & LK_EMPTY_OK);
	if (r < 0)
		return r;
	return path_lookup(dirfd, kbuf, flags, lk, pathbuf);
}

long vfs_target_get(int dirfd, const char *upath, bool follow, bool empty_ok,
		    struct vfs_target *tg)
{
	struct pico_thread *t = current();
	struct lookup lk;
	tg->fd = -1;
	tg->held = NULL;
	long r = copy_path_from_user(t->kpath[0], upath, empty_ok);
	if (r < 0)
		return r;
	if (r == 0 && dirfd != AT_FDCWD) {
		/* AT_EMPTY_PATH: the fd itself, whatever it is. */
		struct file *f = fd_get(dirfd);
		if (!f)
			return -EBADF;
		tg->held = f;
		tg->fd = f->host_fd;
		tg->mnt = f->mnt;
		return 0;
	}
	if (r == 0)
		rt_strlcpy(t->kpath[0], ".", PICOS_PATH_MAX);
	r = path_lookup(dirfd, t->kpath[0], follow ? LK_FOLLOW : 0, &lk,
			t->lpath[0]);
	if (r < 0)
		return r;
	r = vfs_open_path(&lk, follow);
	if (r < 0)
		return r;
	tg->fd = (int)r;
	tg->mnt = lk.mnt;
	return 0;
}

void vfs_target_put(struct vfs_target *tg)
{
	if (tg->held)
		file_put(tg->held);
	else if (tg->fd >= 0)
		host_close(tg->fd);
}
