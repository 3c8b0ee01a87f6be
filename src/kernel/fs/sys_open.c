/* open, openat, openat2, creat, close. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include "../proc/proc.h"
#include <linux/openat2.h>

#define VALID_OPEN_FLAGS                                                   \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |    \
	 O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE |          \
	 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | __O_SYNC |     \
	 O_PATH | __O_TMPFILE)

static bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT));
}

/* Linux refuses writes to regular files, directories and symlinks on a
 * read-only mount; device nodes, fifos and sockets stay writable. */
static long check_rdonly(struct lookup *lk, int flags)
{
	/* procfs answers its own writes: comm files, /proc/sys (EACCES) */
	if (!lk->mnt->rdonly || !wants_write(flags) || (flags & O_PATH) ||
	    lk->mnt->procfs)
		return 0;
	long fd = vfs_open(lk, O_PATH | (flags & O_NOFOLLOW), 0);
	if (fd == -ENOENT)
		return (flags & O_CREAT) ? -EROFS : -ENOENT;
	if (fd < 0)
		return fd;
	struct {
		unsigned long dev, ino, nlink;
		unsigned mode;
		char rest[128];
	} st;
	long r = host_syscall2(__NR_fstat, fd, &st);
	host_close(fd);
	if (r < 0)
		return r;
	unsigned type = st.mode & 0170000;
	if (type == 0100000 || type == 0040000 || type == 0120000) {
		/* O_CREAT on an existing file only needs write access for
		 * O_WRONLY/O_RDWR/O_TRUNC. */
		if ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC))
			return type == 0040000 && (flags & O_CREAT) ? -EISDIR : 0;
		return type == 0040000 && (flags & O_ACCMODE) != O_RDONLY
			       ? -EISDIR
			       : -EROFS;
	}
	return 0;
}

/* A file some process of the world runs cannot be opened for writing
 * (ETXTBSY).  The check needs the open file, so O_TRUNC waits until it
 * passed: a running program is never truncated. */
static long check_text(int hfd, bool trunc)
{
	struct {
		unsigned long dev, ino, nlink;
		unsigned mode;
		char rest[128];
	} st;
	long r = host_syscall2(__NR_fstat, hfd, &st);
	if (r < 0 || (st.mode & 0170000) != 0100000)
		return r;
	if (task_text_busy(st.dev, st.ino))
		return -ETXTBSY;
	return trunc ? host_syscall2(__NR_ftruncate, hfd, 0) : 0;
}

long do_open(int dirfd, const char *upath, int flags, unsigned mode)
{
	struct pico_thread *t = current();
	struct lookup lk;
	if (flags & ~VALID_OPEN_FLAGS)
		flags &= VALID_OPEN_FLAGS; /* open(2) ignores unknown flags */
	long r = user_lookup(dirfd, upath, (flags & O_NOFOLLOW) ? 0 : LK_FOLLOW,
			     &lk, t->kpath[0], t->lpath[0]);
	if (r < 0)
		return r;
	r = check_rdonly(&lk, flags);
	if (r < 0)
		return r;
	if (flags & (O_CREAT | __O_TMPFILE))
		mode &= ~fs_umask & 07777;
	bool writes = (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH);
	int late_trunc = writes ? (flags & O_TRUNC) : 0;
	/* The host applies its own umask too: the provider's is 0. */
	long hfd = vfs_open(&lk, flags & ~(O_CLOEXEC | late_trunc), mode);
	if (hfd < 0)
		return hfd;
	r = writes ? check_text((int)hfd, late_trunc) : 0;
	if (r < 0) {
		host_close(hfd);
		return r;
	}
	struct file *f = file_new((int)hfd, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC),
				  lk.mnt, lk.path);
	/* A path with a trailing slash names the directory itself. */
	size_t n = rt_strlen(f->path);
	if (n > 1 && f->path[n - 1] == '/')
		f->path[n - 1] = 0;
	if (lk.mnt->procfs)
		procfs_attach_ops(f);
	return fd_install(f, flags & O_CLOEXEC, 0);
}

/* open(2) and openat(2) keep only the flags that mean something with
 * O_PATH (Linux's build_open_how); openat2 refuses the others instead. */
static int legacy_flags(int flags)
{
	if (flags & O_PATH)
		return flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return flags | O_LARGEFILE;
}

long sys_open(const char *path, int flags, unsigned mode)
{
	return do_open(AT_FDCWD, path, legacy_flags(flags), mode);
}

long sys_openat(int dirfd, const char *path, int flags, unsigned mode)
{
	return do_open(dirfd, path, legacy_flags(flags), mode);
}

long sys_creat(const char *path, unsigned mode)
{
	return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE,
		       mode);
}

long sys_openat2(int dirfd, const char *path, void *uhow, size_t size)
{
	struct open_how how;
	if (size < sizeof how)
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	rt_memset(&how, 0, sizeof how);
	if (copy_from_user(&how, uhow, sizeof how) < 0)
		return -EFAULT;
	/* Bytes past the struct we know must be zero. */
	for (size_t off = sizeof how; off < size; off++) {
		unsigned char c;
		if (copy_from_user(&c, (char *)uhow + off, 1) < 0)
			return -EFAULT;
		if (c)
			return -E2BIG;
	}
	if (how.flags & ~(uint64_t)VALID_OPEN_FLAGS)
		return -EINVAL;
	if (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
				      RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
				      RESOLVE_IN_ROOT | RESOLVE_CACHED))
		return -EINVAL;
	if (how.mode & ~07777ULL)
		return -EINVAL;
	if (how.mode && !(how.flags & (O_CREAT | __O_TMPFILE)))
		return -EINVAL;
	/* The RESOLVE_* restrictions narrow the walk; the provider's walk
	 * is already confined, so honour NO_SYMLINKS through O_NOFOLLOW on
	 * the last component only and refuse the rest honestly. */
	if (how.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_NO_XDEV |
			   RESOLVE_NO_SYMLINKS))
		return -ENOSYS;
	return do_open(dirfd, path, (int)how.flags, (unsigned)how.mode);
}

long sys_close(int fd)
{
	return fd_close(fd);
}
