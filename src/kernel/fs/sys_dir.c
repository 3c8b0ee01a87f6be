/* Directories: getdents64, getdents, getcwd, chdir, fchdir, mkdir,
 * mkdirat, rmdir; and mknod/mknodat, which create entries the same way.
 *
 * The cwd is a canonical guest path (fs_cwd); listings come from the
 * host directory behind a guest fd, so a mount point lists the host
 * directory's own entries. */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include "../proc/caps.h"
#include <asm/stat.h>
#include <linux/stat.h>

#define X_OK 1
#define W_OK 2
#define SEEK_SET 0
#define SEEK_CUR 1

/* An address no host call can write to (the kernel half), handed to the
 * host in place of a guest buffer the guest may not name: the host then
 * fails with EFAULT at exactly the point Linux would. */
#define FAULTING_ADDR ((void *)(1UL << 63))

long sys_getdents64(int fd, void *ubuf, size_t n)
{
	unsigned count = (unsigned)n; /* Linux takes an unsigned int */
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	/* The records go straight into guest memory: the host checks the
	 * fd (EBADF for O_PATH, ENOTDIR), the room (EINVAL) and the buffer
	 * (EFAULT) in Linux's order. */
	void *dst = guest_range_ok((uint64_t)ubuf, count) ? ubuf : FAULTING_ADDR;
	char *kbuf = current()->lpath[1];
	unsigned cap = count < PICOS_PATH_MAX ? count : PICOS_PATH_MAX;
	long r;
	if (procfs_getdents(f, kbuf, cap, &r) || filtered_getdents(f, kbuf, cap, &r)) {
		if (r > 0 && copy_to_user(ubuf, kbuf, (size_t)r) < 0)
			r = -EFAULT;
	} else {
		r = host_syscall3(__NR_getdents64, f->host_fd, dst, count);
	}
	file_put(f);
	return r;
}

/* The old getdents record: d_type lives in the last byte of the record. */
struct linux_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

/* A linux_dirent64 record and a linux_dirent record for the same name
 * have the same length (both ALIGN(20 + namelen, 8)), so the host's
 * getdents64 records are rewritten in place: the name moves down one
 * byte over the d_type, which goes to the record's last byte. */
static void dirent64_to_old(char *buf, long len)
{
	for (long off = 0; off < len;) {
		struct linux_dirent64 {
			unsigned long d_ino;
			long d_off;
			unsigned short d_reclen;
			unsigned char d_type;
			char d_name[];
		} *d64 = (void *)(buf + off);
		struct linux_dirent *d = (void *)(buf + off);
		unsigned short reclen = d64->d_reclen;
		unsigned char type = d64->d_type;
		size_t namelen = rt_strlen(d64->d_name);
		rt_memmove(d->d_name, d64->d_name, namelen + 1);
		char *name_end = d->d_name + namelen + 1;
		rt_memset(name_end, 0, (size_t)(buf + off + reclen - name_end));
		buf[off + reclen - 1] = (char)type;
		off += reclen;
	}
}

#define DIRENT_CHUNK 4096

long sys_getdents(int fd, void *ubuf, size_t n)
{
	unsigned count = (unsigned)n;
	char *kbuf = current()->lpath[1];
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	/* Where to rewind to if a chunk cannot be copied out, so no entry
	 * is lost (Linux leaves the position at the entry that faulted). */
	long pos = host_syscall3(__NR_lseek, f->host_fd, 0, SEEK_CUR);
	unsigned total = 0;
	long r = 0;
	/* At least one host call: a zero-sized buffer is EINVAL unless the
	 * listing is at its end, as in Linux. */
	do {
		unsigned want = count - total;
		if (want > DIRENT_CHUNK)
			want = DIRENT_CHUNK;
		/* The listings the provider makes (a /proc fd/ or task/
		 * directory) come in the same records. */
		if (!procfs_getdents(f, kbuf, want, &r) &&
		    !filtered_getdents(f, kbuf, want, &r))
			r = host_syscall3(__NR_getdents64, f->host_fd, kbuf, want);
		if (r <= 0)
			break;
		dirent64_to_old(kbuf, r);
		if (copy_to_user((char *)ubuf + total, kbuf, (size_t)r) < 0) {
			if (pos >= 0)
				host_syscall3(__NR_lseek, f->host_fd, pos,
					      SEEK_SET);
			r = -EFAULT;
			break;
		}
		total += (unsigned)r;
		/* The last record's d_off is where the next chunk starts. */
		long last = 0;
		for (long off = 0; off < r;) {
			last = off;
			off += ((struct linux_dirent *)(kbuf + off))->d_reclen;
		}
		pos = (long)((struct linux_dirent *)(kbuf + last))->d_off;
	} while (total < count);
	file_put(f);
	/* EINVAL (the next record does not fit) or EFAULT after some
	 * records only ends the listing early. */
	if (total > 0)
		return total;
	return r;
}

/* The cwd is kept as a path: if its directory is gone, getcwd says
 * ENOENT as Linux does for an unlinked cwd. */
static bool cwd_gone(void)
{
	struct pico_thread *t = current();
	struct lookup lk;
	rt_strlcpy(t->kpath[0], fs_cwd, PICOS_PATH_MAX);
	if (path_lookup(AT_FDCWD, t->kpath[0], LK_FOLLOW | LK_WORLD, &lk,
			t->lpath[0]) < 0)
		return false;
	long fd = vfs_open(&lk, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		host_close(fd);
	return fd == -ENOENT;
}

/* Below a chroot root the path from it; a cwd outside it (chdir before
 * chroot) is "(unreachable)" and the world path, as Linux's getcwd(2)
 * says. */
long sys_getcwd(char *ubuf, size_t size)
{
	char *view = current()->kpath[1];
	if (cwd_gone())
		return -ENOENT;
	char *p = view;
	if (!fs_root_view(fs_cwd, view + 13, PICOS_PATH_MAX - 13)) {
		rt_memcpy(view, "(unreachable)", 13);
	} else {
		p = view + 13;
	}
	size_t len = rt_strlen(p) + 1;
	if (len > size)
		return -ERANGE;
	if (copy_to_user(ubuf, p, len) < 0)
		return -EFAULT;
	return (long)len;
}

/* chdir needs search permission on the directory. */
static long may_chdir(int host_fd)
{
	return host_syscall4(__NR_faccessat2, host_fd, "", X_OK,
			     AT_EMPTY_PATH | AT_EACCESS);
}

/* Sets the cwd from a lookup whose target the host just opened.  Such a
 * path is canonical: either the slow walk resolved it, or it is lexical,
 * had no "..", and the host (which never follows symlinks for us) found
 * no symlink in it.  Only a trailing slash may remain. */
static void set_cwd_from(const char *path)
{
	char *buf = current()->kpath[1];
	rt_strlcpy(buf, path, PICOS_PATH_MAX);
	path_strip_slashes(buf);
	fs_set_cwd(buf);
}

/* A directory the caller may search (chdir, chroot): the lookup's and
 * the host's errors, then EACCES. */
static long search_dir(struct lookup *lk)
{
	long fd = vfs_open(lk, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	long r = may_chdir((int)fd);
	host_close(fd);
	return r;
}

static long lookup_search_dir(const char *upath, struct lookup *lk)
{
	struct pico_thread *t = current();
	long r = user_lookup(AT_FDCWD, upath, LK_FOLLOW, lk, t->kpath[0],
			     t->lpath[0]);
	if (r < 0)
		return r;
	return search_dir(lk);
}

long fs_chdir_boot(const char *path)
{
	struct pico_thread *t = current();
	rt_strlcpy(t->kpath[0], path, PICOS_PATH_MAX);
	struct lookup lk;
	long r = path_lookup(AT_FDCWD, t->kpath[0], LK_FOLLOW, &lk, t->lpath[0]);
	if (r == 0)
		r = search_dir(&lk);
	if (r == 0)
		set_cwd_from(lk.path);
	return r;
}

long sys_chdir(const char *upath)
{
	struct lookup lk;
	long r = lookup_search_dir(upath, &lk);
	if (r < 0)
		return r;
	set_cwd_from(lk.path);
	return 0;
}

/* chroot(2): the lookup's errors and the directory's search permission
 * first, then CAP_SYS_CHROOT (EPERM), as Linux orders them.  The root
 * is the process's (fs_info: kept over exec, copied by fork, shared with
 * CLONE_FS). */
long sys_chroot(const char *upath)
{
	struct lookup lk;
	long r = lookup_search_dir(upath, &lk);
	if (r < 0)
		return r;
	if (!capable(CAP_SYS_CHROOT))
		return -EPERM;
	char *buf = current()->kpath[1];
	rt_strlcpy(buf, lk.path, PICOS_PATH_MAX);
	path_strip_slashes(buf);
	fs_set_root(buf);
	return 0;
}

long sys_fchdir(int fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	struct stat st;
	long r = host_syscall2(__NR_fstat, f->host_fd, &st);
	if (r == 0 && (st.st_mode & 0170000) != 0040000)
		r = -ENOTDIR;
	if (r == 0)
		r = may_chdir(f->host_fd);
	/* A directory the provider did not open (inherited) has no guest
	 * path: it is not reachable from the guest's root. */
	if (r == 0 && !f->path)
		r = -ENOENT;
	if (r == 0)
		set_cwd_from(f->path);
	file_put(f);
	return r;
}

/* What the last component of a path is, as Linux's parent walk sees it. */
enum last_kind { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

/* Drops trailing slashes (mkdir and rmdir name the same entry with or
 * without them) and classifies the last component. */
static enum last_kind strip_last(char *path)
{
	size_t n = rt_strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = 0;
	if (n == 1 && path[0] == '/')
		return LAST_ROOT;
	const char *s = rt_strrchr(path, '/');
	const char *last = s ? s + 1 : path;
	if (rt_strcmp(last, ".") == 0)
		return LAST_DOT;
	if (rt_strcmp(last, "..") == 0)
		return LAST_DOTDOT;
	return LAST_NORM;
}

/* For "dir/." and "dir/..", Linux walks "dir" (which must be a directory
 * the caller may search) and only then refuses the "." or "..".  The
 * path was stripped by strip_last. */
static long walk_prefix(int dirfd, char *path, long err)
{
	struct pico_thread *t = current();
	struct lookup lk;
	char *s = rt_strrchr(path, '/');
	if (!s)
		rt_strlcpy(path, ".", PICOS_PATH_MAX); /* dirfd itself */
	else
		s[1] = 0; /* keep the slash: "/" or "dir/" */
	long r = path_lookup(dirfd, path, LK_FOLLOW, &lk, t->lpath[0]);
	if (r < 0)
		return r;
	long fd = vfs_open(&lk, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	r = host_syscall4(__NR_faccessat2, fd, "", X_OK,
			  AT_EMPTY_PATH | AT_EACCESS);
	host_close(fd);
	return r < 0 ? r : err;
}

/* The mount the new or removed entry belongs to: its parent's, as
 * resolved by vfs_open_parent (which leaves the parent's path in
 * current()->parent, canonical if the walk met a symlink). */
static struct mount *parent_mount(void)
{
	return mount_find(current()->parent);
}

/* True when the entry `name` of the parent vfs_open_parent just opened
 * is a guest mount root: the lexical path may have reached that parent
 * through a symlink, so lk.rel alone cannot tell.  Leaves the entry's
 * path in current()->kpath[1]. */
static bool child_is_mount_root(const char *name)
{
	char *buf = current()->kpath[1];
	const char *parent = current()->parent;
	size_t n = rt_strlen(parent);
	if (n + 1 + rt_strlen(name) + 1 > PICOS_PATH_MAX)
		return false;
	rt_strlcpy(buf, parent, PICOS_PATH_MAX);
	if (n > 1)
		buf[n++] = '/';
	rt_strlcpy(buf + n, name, PICOS_PATH_MAX - n);
	return mount_is_root(buf);
}

static long exists_at(int pfd, const char *name)
{
	struct stat st;
	return host_syscall4(__NR_newfstatat, pfd, name, &st,
			     AT_SYMLINK_NOFOLLOW);
}

/* What mkdirat and mknodat make once the parent is open. */
struct create_op {
	long (*make)(int pfd, const char *name, unsigned mode);
	bool dir;	/* a trailing slash names the new directory */
	unsigned mode;	/* the guest's umask already applied */
};

/* The steps mkdirat and mknodat share (Linux's filename_create): the last
 * component must be a plain name ("/", "dir/." and "dir/.." exist), an
 * existing entry is EEXIST, a trailing slash on a name that is not to be
 * a directory is ENOENT, and only then does a read-only mount say EROFS. */
static long create_at(int dirfd, const char *upath, const struct create_op *op)
{
	struct pico_thread *t = current();
	struct lookup lk;
	const char *name;
	long r = copy_path_from_user(t->kpath[0], upath, false);
	if (r < 0)
		return r;
	size_t len = rt_strlen(t->kpath[0]);
	bool slash = len > 1 && t->kpath[0][len - 1] == '/';
	enum last_kind kind = strip_last(t->kpath[0]);
	if (kind == LAST_ROOT)
		return -EEXIST;
	if (kind != LAST_NORM)
		return walk_prefix(dirfd, t->kpath[0], -EEXIST);
	r = path_lookup(dirfd, t->kpath[0], 0, &lk, t->lpath[0]);
	if (r < 0)
		return r;
	if (*lk.rel == 0)
		return -EEXIST; /* a mount root always exists */
	long pfd = vfs_open_parent(&lk, &name);
	if (pfd < 0)
		return pfd;
	if (child_is_mount_root(name)) {
		r = -EEXIST;
	} else if (parent_mount()->rdonly || (slash && !op->dir)) {
		r = exists_at((int)pfd, name);
		if (r == 0)
			r = -EEXIST;
		else if (r == -ENOENT && !(slash && !op->dir))
			r = -EROFS;
	} else {
		r = perm_dir_change((int)pfd, name, false);
		if (r == 0)
			r = op->make((int)pfd, name, op->mode);
	}
	host_close(pfd);
	return r;
}

static long make_dir(int pfd, const char *name, unsigned mode)
{
	return host_syscall3(__NR_mkdirat, pfd, name, mode);
}

long sys_mkdirat(int dirfd, const char *upath, unsigned mode)
{
	/* The provider applies the guest's umask; the host's is 0. */
	struct create_op op = { make_dir, true, mode & 01777 & ~fs_umask };
	return create_at(dirfd, upath, &op);
}

/* Device nodes: a world never makes one on the host, whoever the guest
 * claims to be (the host's seccomp filter refuses them too).  Linux's
 * order for an unprivileged caller: an existing name (EEXIST), the
 * directory's permissions (EACCES), then EPERM. */
static long make_device(int pfd, const char *name, unsigned mode)
{
	(void)mode;
	long r = exists_at(pfd, name);
	if (r != -ENOENT)
		return r == 0 ? -EEXIST : r;
	r = host_syscall4(__NR_faccessat2, pfd, "", W_OK | X_OK,
			  AT_EMPTY_PATH | AT_EACCESS);
	return r < 0 ? r : -EPERM;
}

static long make_node(int pfd, const char *name, unsigned mode)
{
	return host_syscall4(__NR_mknodat, pfd, name, mode, 0);
}

/* mknod's file types (Linux's may_mknod), checked before the path: 0 is
 * a regular file, a directory is EPERM, an unknown type EINVAL. */
static long mknod_make(unsigned type, long (**make)(int, const char *, unsigned))
{
	switch (type) {
	case 0:
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		*make = make_node;
		return 0;
	case S_IFCHR:
	case S_IFBLK:
		*make = make_device;
		return 0;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
}

/* Regular files, fifos and sockets; `dev` only matters for devices. */
long sys_mknodat(int dirfd, const char *upath, unsigned mode, unsigned dev)
{
	(void)dev;
	mode &= 0xffff; /* a umode_t */
	struct create_op op = { NULL, false,
				(mode & S_IFMT) | (mode & 07777 & ~fs_umask) };
	long r = mknod_make(mode & S_IFMT, &op.make);
	return r < 0 ? r : create_at(dirfd, upath, &op);
}

long sys_mknod(const char *upath, unsigned mode, unsigned dev)
{
	return sys_mknodat(AT_FDCWD, upath, mode, dev);
}

long sys_mkdir(const char *upath, unsigned mode)
{
	return sys_mkdirat(AT_FDCWD, upath, mode);
}

/* rmdir of a guest mount root (its canonical path, overwritten): Linux
 * checks the parent's mount for writability first, then refuses a mount
 * point with EBUSY. */
static long rmdir_mount_root(char *pbuf)
{
	char *s = rt_strrchr(pbuf, '/');
	if (s == pbuf)
		s[1] = 0;
	else if (s)
		*s = 0;
	struct mount *pm = mount_find(pbuf);
	return pm && pm->rdonly ? -EROFS : -EBUSY;
}

long sys_rmdir(const char *upath)
{
	struct pico_thread *t = current();
	struct lookup lk;
	const char *name;
	long r = copy_path_from_user(t->kpath[0], upath, false);
	if (r < 0)
		return r;
	switch (strip_last(t->kpath[0])) {
	case LAST_ROOT:
		return -EBUSY;
	case LAST_DOT:
		return walk_prefix(AT_FDCWD, t->kpath[0], -EINVAL);
	case LAST_DOTDOT:
		return walk_prefix(AT_FDCWD, t->kpath[0], -ENOTEMPTY);
	case LAST_NORM:
		break;
	}
	r = path_lookup(AT_FDCWD, t->kpath[0], 0, &lk, t->lpath[0]);
	if (r < 0)
		return r;
	if (*lk.rel == 0)
		return rmdir_mount_root(lk.path);
	long pfd = vfs_open_parent(&lk, &name);
	if (pfd < 0)
		return pfd;
	/* A read-only mount refuses before the entry is even looked up. */
	if (child_is_mount_root(name))
		r = rmdir_mount_root(current()->kpath[1]);
	else if (parent_mount()->rdonly)
		r = -EROFS;
	else if ((r = perm_dir_change((int)pfd, name, true)) == 0)
		r = host_syscall3(__NR_unlinkat, pfd, name, AT_REMOVEDIR);
	host_close(pfd);
	return r;
}
