/* Reading extended attributes: getxattr, lgetxattr, fgetxattr and the
 * list variants.  Path forms are canonicalised in the provider and asked
 * of the host as (parent directory fd, last name, AT_SYMLINK_NOFOLLOW)
 * with getxattrat/listxattrat (Linux 6.13+): the host's xattr calls do not
 * take O_PATH fds.  Setting attributes is not implemented. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"

#ifndef __NR_getxattrat
#define __NR_getxattrat 464
#define __NR_listxattrat 465
#endif

struct xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

#define XATTR_NAME_MAX 255

/* Opens the directory holding the target and names the target in it; a
 * mount root is opened itself and named "" (with AT_EMPTY_PATH).  *name
 * may point into *lk, so the caller keeps lk until it is done. */
static long target_at(const char *upath, bool follow, struct lookup *lk,
		      const char **name, unsigned *at)
{
	struct pico_thread *t = current();
	long r = user_lookup(AT_FDCWD, upath, follow ? LK_FOLLOW : 0, lk,
			     t->kpath[0], t->lpath[0]);
	if (r == 0)
		r = path_canonicalize(lk, follow);
	if (r < 0)
		return r;
	*at = AT_SYMLINK_NOFOLLOW;
	long fd = vfs_open_parent(lk, name);
	if (fd == -EBUSY) {
		*name = "";
		*at = AT_EMPTY_PATH;
		fd = vfs_open(lk, O_RDONLY | O_DIRECTORY, 0);
	}
	return fd;
}

static long copy_name(char *name, const char *uname)
{
	long n = strncpy_from_user(name, uname, XATTR_NAME_MAX + 1);
	if (n == -ENAMETOOLONG)
		return -ERANGE;
	if (n == 0)
		return -ERANGE;
	return n < 0 ? n : 0;
}

static long get_at(int fd, const char *path, unsigned at, const char *uname,
		   void *value, size_t size)
{
	char name[XATTR_NAME_MAX + 1];
	long r = copy_name(name, uname);
	if (r < 0)
		return r;
	if (size && !guest_range_ok((uint64_t)value, size))
		return -EFAULT;
	struct xattr_args a = { (uint64_t)value, (uint32_t)size, 0 };
	return host_syscall6l(__NR_getxattrat, fd, path, at, name, &a, sizeof a);
}

static long get_path(const char *upath, const char *uname, void *value,
		     size_t size, bool follow)
{
	const char *name;
	unsigned at;
	struct lookup lk;
	long fd = target_at(upath, follow, &lk, &name, &at);
	if (fd < 0)
		return fd;
	long r = get_at((int)fd, name, at, uname, value, size);
	host_close(fd);
	return r;
}

long sys_getxattr(const char *path, const char *name, void *value, size_t size)
{
	return get_path(path, name, value, size, true);
}

long sys_lgetxattr(const char *path, const char *name, void *value,
		   size_t size)
{
	return get_path(path, name, value, size, false);
}

long sys_fgetxattr(int fd, const char *name, void *value, size_t size)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = get_at(f->host_fd, "", AT_EMPTY_PATH, name, value, size);
	file_put(f);
	return r;
}

static long list_at(int fd, const char *path, unsigned at, char *list,
		    size_t size)
{
	if (size && !guest_range_ok((uint64_t)list, size))
		return -EFAULT;
	return host_syscall5(__NR_listxattrat, fd, path, at, list, size);
}

static long list_path(const char *upath, char *list, size_t size, bool follow)
{
	const char *name;
	unsigned at;
	struct lookup lk;
	long fd = target_at(upath, follow, &lk, &name, &at);
	if (fd < 0)
		return fd;
	long r = list_at((int)fd, name, at, list, size);
	host_close(fd);
	return r;
}

long sys_listxattr(const char *path, char *list, size_t size)
{
	return list_path(path, list, size, true);
}

long sys_llistxattr(const char *path, char *list, size_t size)
{
	return list_path(path, list, size, false);
}

long sys_flistxattr(int fd, char *list, size_t size)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = list_at(f->host_fd, "", AT_EMPTY_PATH, list, size);
	file_put(f);
	return r;
}
