/* chmod, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat,
 * umask, truncate, utimensat, utimes, futimesat, utime.
 *
 * These change an inode.  The provider resolves the guest path to a host
 * O_PATH fd (following a final symlink or not, as asked) and changes the
 * inode through the host's *at call with AT_EMPTY_PATH, so no guest string
 * ever reaches the host.  A read-only guest mount answers EROFS where
 * Linux's mnt_want_write() would: after the lookup and, for truncate and
 * utimensat, after the checks Linux makes first. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../proc/proc.h"
#include <picos/world.h>
#include "../syscalls.h"
#include <asm/stat.h>
#include <linux/time_types.h>
#include <linux/utime.h>

/* Older uapi headers predate fchmodat2 (Linux 6.6). */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

#define UTIME_NOW ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)

static bool target_rdonly(struct vfs_target *tg)
{
	return tg->mnt && tg->mnt->rdonly;
}

/* fchmod, fchown and futimens take an open file: an O_PATH fd is EBADF
 * (Linux's fdget() refuses them), then a read-only mount is EROFS. */
static struct file *open_file_get(int fd, long *err)
{
	struct file *f = fd_get(fd);
	*err = -EBADF;
	if (!f)
		return NULL;
	if (f->flags & O_PATH) {
		file_put(f);
		return NULL;
	}
	*err = 0;
	return f;
}

static bool file_rdonly(struct file *f)
{
	return f->mnt && f->mnt->rdonly;
}

/* ---- chmod ---- */

static long do_fchmodat(int dirfd, const char *upath, unsigned mode,
			int flags)
{
	struct vfs_target tg;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long r = vfs_target_get(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW),
			   flags & AT_EMPTY_PATH, &tg);
	if (r >= 0 && target_rdonly(&tg))
		r = -EROFS;
	if (r >= 0)
		r = perm_owner(tg.fd);
	/* The fd already names the inode: never follow it again.  The host
	 * answers EOPNOTSUPP for a symlink, as Linux does. */
	if (r >= 0)
		r = host_syscall4(__NR_fchmodat2, tg.fd, "", mode,
				  AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	vfs_target_put(&tg);
	return r;
}

long sys_chmod(const char *path, unsigned mode)
{
	return do_fchmodat(AT_FDCWD, path, mode, 0);
}

long sys_fchmodat(int dirfd, const char *path, unsigned mode)
{
	return do_fchmodat(dirfd, path, mode, 0);
}

long sys_fchmodat2(int dirfd, const char *path, unsigned mode, int flags)
{
	return do_fchmodat(dirfd, path, mode, flags);
}

long sys_fchmod(int fd, unsigned mode)
{
	long r;
	struct file *f = open_file_get(fd, &r);
	if (!f)
		return r;
	r = file_rdonly(f) ? -EROFS : perm_owner(f->host_fd);
	if (r == 0)
		r = host_syscall2(__NR_fchmod, f->host_fd, mode);
	file_put(f);
	return r;
}

/* ---- chown ---- */

/* -1 means "leave unchanged" and is no id to map. */
static unsigned uid_to_host(unsigned uid)
{
	return uid == (unsigned)-1 ? uid : ident_uid_to_host(uid);
}

static unsigned gid_to_host(unsigned gid)
{
	return gid == (unsigned)-1 ? gid : ident_gid_to_host(gid);
}

/* In a user namespace (a world with namespaces, started by a user other
 * than root) the host has no name for ids outside the world's map and
 * says EINVAL; Linux outside one says EPERM: the caller may not give the
 * file away.  The flags were checked before, so EINVAL means that. */
static long chown_host_result(long r)
{
	return r == -EINVAL ? -EPERM : r;
}

long sys_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid,
		  int flags)
{
	struct vfs_target tg;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long r = vfs_target_get(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW),
			   flags & AT_EMPTY_PATH, &tg);
	if (r >= 0 && target_rdonly(&tg))
		r = -EROFS;
	/* Permission is the host's to judge (EPERM honestly returned), and
	 * the provider's for ids the host does not enforce (perm.c). */
	if (r >= 0)
		r = perm_chown(tg.fd, uid, gid);
	if (r >= 0)
		r = chown_host_result(host_syscall5(
			__NR_fchownat, tg.fd, "", uid_to_host(uid),
			gid_to_host(gid), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
	vfs_target_put(&tg);
	return r;
}

long sys_chown(const char *path, unsigned uid, unsigned gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(const char *path, unsigned uid, unsigned gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, unsigned uid, unsigned gid)
{
	long r;
	struct file *f = open_file_get(fd, &r);
	if (!f)
		return r;
	r = file_rdonly(f) ? -EROFS : perm_chown(f->host_fd, uid, gid);
	if (r == 0)
		r = chown_host_result(host_syscall3(__NR_fchown, f->host_fd,
						    uid_to_host(uid),
						    gid_to_host(gid)));
	file_put(f);
	return r;
}

/* ---- umask ---- */

long sys_umask(unsigned mask)
{
	/* Threads share it (CLONE_FS): swap in one step. */
	long old = __atomic_exchange_n(&fs_umask, mask & 0777, __ATOMIC_RELAXED);
	__atomic_store_n(&gproc()->task->view_umask, mask & 0777,
			 __ATOMIC_RELAXED); /* proc/view.c */
	return old;
}

/* ---- truncate ---- */

/* Linux's vfs_truncate(): EISDIR for a directory, EINVAL for any other
 * non-regular file, then EROFS, then the write permission an open for
 * writing checks (EACCES, EPERM for append-only, ETXTBSY). */
static long truncate_checks(struct lookup *lk, int fd)
{
	struct stat st;
	long r = host_syscall2(__NR_fstat, fd, &st);
	if (r < 0)
		return r;
	unsigned type = st.st_mode & 0170000;
	if (type == 0040000)
		return -EISDIR;
	if (type != 0100000)
		return -EINVAL;
	return lk->mnt->rdonly ? -EROFS : 0;
}

long sys_truncate(const char *upath, long len)
{
	struct pico_thread *t = current();
	struct lookup lk;
	if (len < 0) /* before the path is even copied */
		return -EINVAL;
	long r = user_lookup(AT_FDCWD, upath, LK_FOLLOW, &lk, t->kpath[0],
			     t->lpath[0]);
	if (r < 0)
		return r;
	long pfd = vfs_open_path(&lk, true);
	if (pfd < 0)
		return pfd;
	r = truncate_checks(&lk, (int)pfd);
	host_close(pfd);
	if (r < 0)
		return r;
	/* Known to be a regular file; O_NONBLOCK keeps a racing swap for a
	 * fifo from blocking the provider. */
	long fd = vfs_open(&lk, O_WRONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	r = host_syscall2(__NR_ftruncate, fd, len);
	host_close(fd);
	return r;
}

/* ---- utimensat and the older time setters ---- */

static bool nsec_valid(long long nsec)
{
	return nsec == UTIME_NOW || nsec == UTIME_OMIT ||
	       (nsec >= 0 && nsec <= 999999999);
}

/* vfs_utimes(): EINVAL for a bad nsec, then EROFS.  `ts` is NULL for
 * "now"; `fd` is a host fd (the inode itself). */
static long utimes_apply(int fd, struct mount *mnt,
			 struct __kernel_timespec *ts)
{
	if (ts && (!nsec_valid(ts[0].tv_nsec) || !nsec_valid(ts[1].tv_nsec)))
		return -EINVAL;
	if (mnt && mnt->rdonly)
		return -EROFS;
	bool now = !ts || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW);
	bool omit = ts && ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT;
	long r = omit ? 0 : perm_utimes(fd, now);
	if (r < 0)
		return r;
	return host_syscall4(__NR_utimensat, fd, "", ts,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

/* Linux's do_utimes(): a NULL path with a real dirfd means the fd itself
 * (the futimens case). */
static long do_utimes(int dirfd, const char *upath,
		      struct __kernel_timespec *ts, int flags)
{
	long r;
	if (!upath && dirfd != AT_FDCWD) {
		if (flags)
			return -EINVAL;
		struct file *f = open_file_get(dirfd, &r);
		if (!f)
			return r;
		r = utimes_apply(f->host_fd, f->mnt, ts);
		file_put(f);
		return r;
	}
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_target tg;
	r = vfs_target_get(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW),
			   flags & AT_EMPTY_PATH, &tg);
	if (r >= 0)
		r = utimes_apply(tg.fd, tg.mnt, ts);
	vfs_target_put(&tg);
	return r;
}

long sys_utimensat(int dirfd, const char *path, const void *utimes,
		   int flags)
{
	struct __kernel_timespec ts[2];
	if (utimes) {
		if (copy_from_user(ts, utimes, sizeof ts) < 0)
			return -EFAULT;
		/* Nothing to do: Linux does not even look at the path. */
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	return do_utimes(dirfd, path, utimes ? ts : NULL, flags);
}

long sys_futimesat(int dirfd, const char *path, const void *utv)
{
	struct __kernel_old_timeval tv[2];
	struct __kernel_timespec ts[2];
	if (utv) {
		if (copy_from_user(tv, utv, sizeof tv) < 0)
			return -EFAULT;
		/* Checked here, before the scaling could hide a bad value;
		 * this also refuses UTIME_NOW/UTIME_OMIT, as Linux does. */
		for (int i = 0; i < 2; i++) {
			if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
				return -EINVAL;
			ts[i].tv_sec = tv[i].tv_sec;
			ts[i].tv_nsec = tv[i].tv_usec * 1000;
		}
	}
	return do_utimes(dirfd, path, utv ? ts : NULL, 0);
}

long sys_utimes(const char *path, const void *tv)
{
	return sys_futimesat(AT_FDCWD, path, tv);
}

long sys_utime(const char *path, const void *ubuf)
{
	struct utimbuf b;
	struct __kernel_timespec ts[2];
	if (ubuf) {
		if (copy_from_user(&b, ubuf, sizeof b) < 0)
			return -EFAULT;
		ts[0].tv_sec = b.actime;
		ts[0].tv_nsec = 0;
		ts[1].tv_sec = b.modtime;
		ts[1].tv_nsec = 0;
	}
	return do_utimes(AT_FDCWD, path, ubuf ? ts : NULL, 0);
}
