/* The stat family: stat, lstat, fstat, newfstatat, statx, statfs,
 * fstatfs, access, faccessat, faccessat2, readlink, readlinkat.
 *
 * Every path is resolved by the provider to an O_PATH host fd (or, for
 * AT_EMPTY_PATH, taken from the guest fd itself); the host is then asked
 * about that fd with AT_EMPTY_PATH, so it never walks a guest path.  The
 * stat calls first ask the directory cache (dcache.c), which hands the
 * host a directory fd and one name without a slash, never followed. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/stat.h>
#include <asm/statfs.h>
#include <linux/stat.h>

#define S_TYPE(m) ((m) & 0170000)
#define R_OK 4
#define W_OK 2
#define X_OK 1

void stat_to_guest(void *p)
{
	struct stat *st = p;
	st->st_uid = ident_uid_to_guest(st->st_uid);
	st->st_gid = ident_gid_to_guest(st->st_gid);
}

static long put_stat(void *ust, struct stat *st)
{
	stat_to_guest(st);
	return copy_to_user(ust, st, sizeof *st);
}

/* What an (dirfd, path, AT_* flags) triple names, as a host fd. */
struct at_target {
	int fd;		   /* host fd to ask with AT_EMPTY_PATH */
	bool owned;	   /* fd was opened for this call: close it */
	struct file *file; /* the guest file fd came from, or NULL */
	struct mount *mnt; /* its mount; NULL for inherited stdio */
	bool empty;	   /* the path was empty (AT_EMPTY_PATH) */
	const char *path;  /* its guest path, NULL when unknown */
};

#define AT_NULL_OK 0x80000000u /* a NULL path counts as "" (statx) */

/* The first half of at_resolve: 1 with *lk filled for a path to walk, 0
 * when the triple named an fd (t filled), or an error. */
static long at_lookup(int dirfd, const char *upath, unsigned flags,
		      struct at_target *t, struct lookup *lk)
{
	struct pico_thread *cur = current();
	bool empty_ok = flags & AT_EMPTY_PATH;
	bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
	long r = 0;

	rt_memset(t, 0, sizeof *t);
	if (!(upath == NULL && empty_ok && (flags & AT_NULL_OK))) {
		r = copy_path_from_user(cur->kpath[0], upath, empty_ok);
		if (r < 0)
			return r;
	}
	t->empty = r == 0;
	if (r == 0 && dirfd != AT_FDCWD) {
		struct file *f = fd_get(dirfd);
		if (!f)
			return -EBADF;
		t->fd = f->host_fd;
		t->file = f;
		t->mnt = f->mnt;
		t->path = f->path;
		return 0;
	}
	if (r == 0)
		rt_strlcpy(cur->kpath[0], ".", PICOS_PATH_MAX);
	r = path_lookup(dirfd, cur->kpath[0], follow ? LK_FOLLOW : 0, lk,
			cur->lpath[0]);
	return r < 0 ? r : 1;
}

/* The second half: an O_PATH host fd for the walked path. */
static long at_open(struct lookup *lk, bool follow, struct at_target *t)
{
	long fd = vfs_open_path(lk, follow);
	if (fd < 0)
		return fd;
	t->fd = (int)fd;
	t->owned = true;
	t->mnt = lk->mnt;
	t->path = lk->path;
	return 0;
}

/* Resolves the triple.  With AT_EMPTY_PATH an empty path names dirfd
 * itself (the cwd for AT_FDCWD); otherwise "" is ENOENT.  A final
 * symlink is followed unless AT_SYMLINK_NOFOLLOW. */
static long at_resolve(int dirfd, const char *upath, unsigned flags,
		       struct at_target *t)
{
	struct lookup lk;
	long r = at_lookup(dirfd, upath, flags, t, &lk);
	if (r <= 0)
		return r;
	return at_open(&lk, !(flags & AT_SYMLINK_NOFOLLOW), t);
}

static void at_release(struct at_target *t)
{
	if (t->owned)
		host_close(t->fd);
	if (t->file)
		file_put(t->file);
}

long sys_fstat(int fd, void *ust)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	struct stat st;
	long r = host_syscall2(__NR_fstat, f->host_fd, &st);
	file_put(f);
	return r < 0 ? r : put_stat(ust, &st);
}

long sys_newfstatat(int dirfd, const char *upath, void *ust, int flags)
{
	struct at_target t;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	/* Linux 6.11+ takes a NULL path with AT_EMPTY_PATH as "". */
	struct lookup lk;
	bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
	long r = at_lookup(dirfd, upath, (unsigned)flags | AT_NULL_OK, &t, &lk);
	if (r < 0)
		return r;
	struct stat st;
	if (r == 1) {
		r = dcache_stat(&lk, follow, &st);
		if (r != -EPICO_MISS)
			return r < 0 ? r : put_stat(ust, &st);
		if ((r = at_open(&lk, follow, &t)) < 0)
			return r;
	}
	r = host_syscall2(__NR_fstat, t.fd, &st);
	at_release(&t);
	return r < 0 ? r : put_stat(ust, &st);
}

long sys_stat(const char *upath, void *ust)
{
	return sys_newfstatat(AT_FDCWD, upath, ust, 0);
}

long sys_lstat(const char *upath, void *ust)
{
	return sys_newfstatat(AT_FDCWD, upath, ust, AT_SYMLINK_NOFOLLOW);
}

/* statx of t's fd, which it lets go. */
static long statx_of(struct at_target *t, int sync, unsigned mask,
		     struct statx *sx)
{
	long r = host_syscall5(__NR_statx, t->fd, "", AT_EMPTY_PATH | sync,
			       mask, sx);
	at_release(t);
	return r;
}

long sys_statx(int dirfd, const char *upath, int flags, unsigned mask,
	       void *ustx)
{
	struct at_target t;
	/* Linux checks mask and flags before it looks at the path. */
	if (mask & STATX__RESERVED)
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
		      AT_STATX_SYNC_TYPE))
		return -EINVAL;
	struct lookup lk;
	bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
	long r = at_lookup(dirfd, upath, (unsigned)flags | AT_NULL_OK, &t, &lk);
	if (r < 0)
		return r;
	struct statx sx;
	rt_memset(&sx, 0, sizeof sx);
	/* The sync flags matter to network file systems: pass them on. */
	int sync = flags & AT_STATX_SYNC_TYPE;
	if (r == 1) {
		r = dcache_statx(&lk, follow, sync, mask, &sx);
		if (r == -EPICO_MISS) {
			rt_memset(&sx, 0, sizeof sx);
			r = at_open(&lk, follow, &t);
			if (r == 0)
				r = statx_of(&t, sync, mask, &sx);
		}
	} else {
		r = statx_of(&t, sync, mask, &sx);
	}
	if (r < 0)
		return r;
	if (sx.stx_mask & STATX_UID)
		sx.stx_uid = ident_uid_to_guest(sx.stx_uid);
	if (sx.stx_mask & STATX_GID)
		sx.stx_gid = ident_gid_to_guest(sx.stx_gid);
	return copy_to_user(ustx, &sx, sizeof sx);
}

/* statfs of a host fd, as the guest sees it: a read-only guest mount
 * reports ST_RDONLY even when the host directory behind it is writable. */
static long put_statfs(int host_fd, struct mount *mnt, void *ubuf)
{
	struct statfs sf;
	long r = host_syscall2(__NR_fstatfs, host_fd, &sf);
	if (r < 0)
		return r;
	if (mnt && mnt->rdonly)
		sf.f_flags |= 0x0001; /* ST_RDONLY */
	return copy_to_user(ubuf, &sf, sizeof sf);
}

long sys_statfs(const char *upath, void *ubuf)
{
	struct at_target t;
	long r = at_resolve(AT_FDCWD, upath, 0, &t);
	if (r < 0)
		return r;
	r = put_statfs(t.fd, t.mnt, ubuf);
	at_release(&t);
	return r;
}

long sys_fstatfs(int fd, void *ubuf)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = put_statfs(f->host_fd, f->mnt, ubuf);
	file_put(f);
	return r;
}

/* Linux reports a read-only mount for W_OK only after the permission
 * check passed, and only for files, directories and symlinks: device
 * nodes, fifos and sockets stay writable on a read-only mount. */
static long access_rdonly(struct at_target *t)
{
	struct stat st;
	long r = host_syscall2(__NR_fstat, t->fd, &st);
	if (r < 0)
		return r;
	unsigned type = S_TYPE(st.st_mode);
	if (type == 0100000 || type == 0040000 || type == 0120000)
		return -EROFS;
	return 0;
}

long sys_faccessat2(int dirfd, const char *upath, int mode, int flags)
{
	struct at_target t;
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long r = at_resolve(dirfd, upath, (unsigned)flags, &t);
	if (r < 0)
		return r;
	/* The host checks the fd's inode with the provider's credentials,
	 * which are the guest's (same uid); AT_EACCESS picks the effective
	 * ids, as it would natively. */
	r = host_syscall4(__NR_faccessat2, t.fd, "", mode,
			  AT_EMPTY_PATH | (flags & AT_EACCESS));
	if (r == 0 && (mode & W_OK) && t.mnt && t.mnt->rdonly)
		r = access_rdonly(&t);
	at_release(&t);
	return r;
}

long sys_faccessat(int dirfd, const char *upath, int mode)
{
	return sys_faccessat2(dirfd, upath, mode, 0);
}

long sys_access(const char *upath, int mode)
{
	return sys_faccessat2(AT_FDCWD, upath, mode, 0);
}

/* readlinkat of lk's last name in the directory cache's fd, or
 * -EPICO_MISS. */
static long cached_readlink(struct lookup *lk, char *link)
{
	const char *name;
	struct dcache_ref ref;
	long fd = dcache_at(lk, false, &name, &ref);
	if (fd < 0)
		return fd;
	long r = host_syscall4(__NR_readlinkat, fd, name, link,
			       PICOS_PATH_MAX);
	dcache_done(&ref);
	return r;
}

/* readlink of t's fd (or its procfs link), which it lets go. */
static long readlink_of(struct at_target *t, char *link)
{
	long r;
	if (!(t->mnt && t->path &&
	      procfs_readlink(t->mnt, t->path, link, PICOS_PATH_MAX, &r)))
		r = host_syscall4(__NR_readlinkat, t->fd, "", link,
				  PICOS_PATH_MAX);
	at_release(t);
	/* The host says ENOENT for an fd that is not a symlink; Linux says
	 * EINVAL when a non-empty path named it. */
	return r == -ENOENT && !t->empty ? -EINVAL : r;
}

long sys_readlinkat(int dirfd, const char *upath, char *ubuf, long size)
{
	struct pico_thread *cur = current();
	struct at_target t;
	int bufsiz = (int)size; /* Linux takes an int */
	if (bufsiz <= 0)
		return -EINVAL;
	/* "" names dirfd itself (an O_PATH|O_NOFOLLOW fd of a symlink);
	 * the final component is never followed. */
	struct lookup lk;
	long r = at_lookup(dirfd, upath, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
			   &t, &lk);
	if (r < 0)
		return r;
	char *link = cur->lpath[1];
	if (r == 1) {
		/* (the host says EINVAL for a name that is no symlink) */
		r = cached_readlink(&lk, link);
		if (r == -EPICO_MISS) {
			r = at_open(&lk, false, &t);
			if (r == 0)
				r = readlink_of(&t, link);
		}
	} else {
		r = readlink_of(&t, link);
	}
	if (r < 0)
		return r;
	if (r > bufsiz)
		r = bufsiz;
	if (copy_to_user(ubuf, link, (size_t)r) < 0)
		return -EFAULT;
	return r;
}

long sys_readlink(const char *upath, char *ubuf, long size)
{
	return sys_readlinkat(AT_FDCWD, upath, ubuf, size);
}
