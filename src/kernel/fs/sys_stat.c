/* The stat family. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <asm/stat.h>

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
	struct pico_thread *t = current();
	struct lookup lk;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	long r = copy_path_from_user(t->kpath[0], upath, flags & AT_EMPTY_PATH);
	if (r < 0)
		return r;
	if (r == 0) {
		/* AT_EMPTY_PATH: the fd itself. */
		if (dirfd == AT_FDCWD)
			rt_strlcpy(t->kpath[0], ".", PICOS_PATH_MAX);
		else
			return sys_fstat(dirfd, ust);
	}
	r = path_lookup(dirfd, t->kpath[0],
			(flags & AT_SYMLINK_NOFOLLOW) ? 0 : LK_FOLLOW, &lk,
			t->lpath[0]);
	if (r < 0)
		return r;
	long fd = vfs_open_path(&lk, !(flags & AT_SYMLINK_NOFOLLOW));
	if (fd < 0)
		return fd;
	struct stat st;
	r = host_syscall2(__NR_fstat, fd, &st);
	host_close(fd);
	return r < 0 ? r : put_stat(ust, &st);
}
