/* Extended attributes: getxattr, setxattr, removexattr, their l- and f-
 * forms and the list calls.  Path forms are canonicalised in the provider
 * and asked of the host as (parent directory fd, last name,
 * AT_SYMLINK_NOFOLLOW) with the *xattrat calls (Linux 6.13+): the host's
 * xattr calls do not take O_PATH fds.  Which namespaces a caller may
 * write (user.* for an unprivileged one; trusted.* and security.* need
 * capabilities) is the host's answer.  A read-only guest mount is the
 * provider's: it answers EROFS where Linux's mnt_want_write does. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"

#ifndef __NR_getxattrat
#define __NR_setxattrat 463
#define __NR_getxattrat 464
#define __NR_listxattrat 465
#define __NR_removexattrat 466
#endif

#define XATTR_CREATE 0x1
#define XATTR_REPLACE 0x2
#define XATTR_SIZE_MAX 65536

struct xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

#define XATTR_NAME_MAX 255

/* A path form's target, open for the *xattrat calls: the directory
 * holding it and its name there, or a mount root itself named "" (with
 * AT_EMPTY_PATH).  name may point into lk, which lives as long. */
struct target {
	struct lookup lk;
	const char *name;
	unsigned at;
	char magic[32]; /* name for a --bind-socket: /proc/self/fd/N */
	struct dcache_ref cached; /* the fd is the directory cache's */
};

/* The mount a path's target lies in: its own when it is a mount root. */
static bool target_rdonly(const struct lookup *lk)
{
	struct mount *m = mount_find(lk->path);
	return m && m->rdonly;
}

/* On a read-only mount Linux finds the file (ENOENT...) before it says
 * EROFS. */
static long rdonly_answer(int fd, const char *name, unsigned at)
{
	char st[144];
	long r = host_syscall4(__NR_newfstatat, fd, name, st, at);
	return r < 0 ? r : -EROFS;
}

/* Opens the target of `upath`: the host fd to pass to the *xattrat call,
 * or -errno (for a change on a read-only mount, its answer). */
static long target_open(const char *upath, bool follow, bool change,
			struct target *t)
{
	struct pico_thread *th = current();
	t->cached.fd = -1;
	long r = user_lookup(AT_FDCWD, upath, follow ? LK_FOLLOW : 0, &t->lk,
			     th->kpath[0], th->lpath[0]);
	if (r < 0)
		return r;
	t->at = AT_SYMLINK_NOFOLLOW;
	if (!change) { /* a read: the directory cache may hold the parent */
		long fd = dcache_at(&t->lk, follow, &t->name, &t->cached);
		if (fd != -EPICO_MISS)
			return fd;
	}
	r = path_canonicalize(&t->lk, follow);
	if (r < 0)
		return r;
	long fd = vfs_open_parent(&t->lk, &t->name);
	if (fd == -EBUSY) {
		t->name = "";
		t->at = AT_EMPTY_PATH;
		fd = vfs_open(&t->lk, O_RDONLY | O_DIRECTORY, 0);
	}
	if (fd < 0 && fd != -EBUSY && t->lk.mnt && t->lk.mnt->socket &&
	    !*t->lk.rel) {
		/* A --bind-socket opens O_PATH only, which the xattr calls
		 * refuse (EBADF): name it through its magic link, a path
		 * the provider made (the fd stays open until the call). */
		fd = vfs_open(&t->lk, O_PATH, 0);
		if (fd < 0)
			return fd;
		rt_snprintf(t->magic, sizeof t->magic, "/proc/self/fd/%ld", fd);
		t->name = t->magic;
		t->at = 0;
	}
	if (fd >= 0 && change && target_rdonly(&t->lk)) {
		r = rdonly_answer((int)fd, t->name, t->at);
		host_close(fd);
		return r;
	}
	return fd;
}

/* After the call: the fd target_open gave back. */
static void target_close(struct target *t, long fd)
{
	if (t->cached.fd >= 0)
		dcache_done(&t->cached);
	else
		host_close(fd);
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
	struct target t;
	long fd = target_open(upath, follow, false, &t);
	if (fd < 0)
		return fd;
	long r = get_at((int)fd, t.name, t.at, uname, value, size);
	target_close(&t, fd);
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
	struct target t;
	long fd = target_open(upath, follow, false, &t);
	if (fd < 0)
		return fd;
	long r = list_at((int)fd, t.name, t.at, list, size);
	target_close(&t, fd);
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

/* Writing. */

/* setxattr's arguments in the provider: Linux copies them all
 * (setxattr_copy) before it looks at the file, checking the flags, the
 * name, the size and the value in that order. */
struct set_args {
	char name[XATTR_NAME_MAX + 1];
	void *value; /* a provider copy, NULL when size is 0 */
	size_t size;
	int flags;
};

static long set_args_in(struct set_args *a, const char *uname,
			const void *uvalue, size_t size, int flags)
{
	a->value = NULL;
	a->size = size;
	a->flags = flags;
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	long r = copy_name(a->name, uname);
	if (r < 0)
		return r;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (size) {
		a->value = kmalloc(size);
		if (copy_from_user(a->value, uvalue, size) < 0)
			return -EFAULT;
	}
	return 0;
}

static long set_path(const char *upath, const char *uname, const void *value,
		     size_t size, int flags, bool follow)
{
	struct set_args a;
	struct target t;
	long r = set_args_in(&a, uname, value, size, flags);
	long fd = r < 0 ? r : target_open(upath, follow, true, &t);
	if (fd >= 0) {
		struct xattr_args x = { (uint64_t)a.value, (uint32_t)a.size,
					(uint32_t)a.flags };
		r = host_syscall6l(__NR_setxattrat, fd, t.name, t.at, a.name, &x,
				   sizeof x);
		host_close(fd);
	} else {
		r = fd;
	}
	kfree(a.value);
	return r;
}

long sys_setxattr(const char *path, const char *name, const void *value,
		  size_t size, int flags)
{
	return set_path(path, name, value, size, flags, true);
}

long sys_lsetxattr(const char *path, const char *name, const void *value,
		   size_t size, int flags)
{
	return set_path(path, name, value, size, flags, false);
}

/* An fd that may be written through: open and not O_PATH (Linux's fdget),
 * on a mount that is not read-only. */
static long writable_fd(int fd, struct file **fp)
{
	struct file *f = fd_get(fd);
	*fp = f;
	if (!f || (f->flags & O_PATH))
		return -EBADF;
	return f->mnt && f->mnt->rdonly ? -EROFS : 0;
}

long sys_fsetxattr(int fd, const char *uname, const void *value, size_t size,
		   int flags)
{
	struct set_args a;
	struct file *f = NULL;
	long r = set_args_in(&a, uname, value, size, flags);
	if (r == 0)
		r = writable_fd(fd, &f);
	if (r == 0)
		r = host_syscall5(__NR_fsetxattr, f->host_fd, a.name, a.value,
				  a.size, a.flags);
	if (f)
		file_put(f);
	kfree(a.value);
	return r;
}

static long remove_path(const char *upath, const char *uname, bool follow)
{
	char kname[XATTR_NAME_MAX + 1];
	long r = copy_name(kname, uname);
	if (r < 0)
		return r;
	struct target t;
	long fd = target_open(upath, follow, true, &t);
	if (fd < 0)
		return fd;
	r = host_syscall4(__NR_removexattrat, fd, t.name, t.at, kname);
	host_close(fd);
	return r;
}

long sys_removexattr(const char *path, const char *name)
{
	return remove_path(path, name, true);
}

long sys_lremovexattr(const char *path, const char *name)
{
	return remove_path(path, name, false);
}

long sys_fremovexattr(int fd, const char *uname)
{
	char kname[XATTR_NAME_MAX + 1];
	long r = copy_name(kname, uname);
	if (r < 0)
		return r;
	struct file *f;
	r = writable_fd(fd, &f);
	if (r == 0)
		r = host_syscall2(__NR_fremovexattr, f->host_fd, kname);
	if (f)
		file_put(f);
	return r;
}
