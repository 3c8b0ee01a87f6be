/* sysfs(2), the obsolete file system type query, and the file handle
 * calls name_to_handle_at and open_by_handle_at.
 *
 * sysfs answers from the host's list of file system types as
 * /proc/filesystems shows it (the guest's /proc is the host's procfs, so
 * both views agree, in the kernel's own order).
 *
 * name_to_handle_at asks the host for the handle of the inode the guest's
 * path names (resolved by the provider's walk, so it never leaves the
 * world's mounts).  open_by_handle_at is refused with EPERM for every
 * guest, root included: a handle names an inode of a whole host file
 * system, not a path, so opening one could reach files outside the
 * world's mounts; Linux gives an unprivileged caller the same EPERM (it
 * needs CAP_DAC_READ_SEARCH). */
#include "vfs.h"
#include "../entry/thread.h"
#include "../syscalls.h"

/* The host's /proc/filesystems, read through the world's /proc mount. */
static long fstypes_read(char *buf, size_t size)
{
	struct lookup lk;
	long r = path_lookup(AT_FDCWD, "/proc/filesystems", LK_FOLLOW | LK_WORLD,
			     &lk, current()->lpath[0]);
	if (r < 0)
		return r;
	long fd = vfs_open(&lk, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	size_t n = 0;
	while (n + 1 < size) {
		r = host_syscall3(__NR_read, fd, buf + n, size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	host_close((int)fd);
	buf[n] = 0;
	return r < 0 ? r : (long)n;
}

/* The name of the index-th type in the list ("nodev\tNAME" or "\tNAME" per
 * line): its start and length, or false past the end. */
static bool fstype_at(const char *list, unsigned long index, const char **name,
		      size_t *len)
{
	const char *p = list;
	for (unsigned long i = 0; *p; i++) {
		const char *eol = rt_strchr(p, '\n');
		if (!eol)
			eol = p + rt_strlen(p);
		const char *tab = p;
		while (tab < eol && *tab != '\t')
			tab++;
		const char *s = tab < eol ? tab + 1 : p;
		if (i == index) {
			*name = s;
			*len = (size_t)(eol - s);
			return true;
		}
		p = *eol ? eol + 1 : eol;
	}
	return false;
}

#define FSTYPES_MAX 8192

bool fstype_known(const char *type)
{
	char *list = kmalloc(FSTYPES_MAX);
	bool found = false;
	const char *name;
	size_t len;
	if (list && fstypes_read(list, FSTYPES_MAX) >= 0)
		for (unsigned long i = 0; !found && fstype_at(list, i, &name, &len); i++)
			found = len == rt_strlen(type) && !rt_memcmp(name, type, len);
	kfree(list);
	return found;
}

long sys_sysfs(int option, unsigned long arg1, unsigned long arg2)
{
	if (option < 1 || option > 3)
		return -EINVAL;
	char uname[256];
	if (option == 1) {
		/* Linux copies the name in first (getname): EFAULT, ENAMETOOLONG. */
		long r = strncpy_from_user(uname, (const char *)arg1, sizeof uname);
		if (r < 0)
			return r == -ENAMETOOLONG ? -EINVAL : r;
	}
	char *list = kmalloc(FSTYPES_MAX);
	long r = fstypes_read(list, FSTYPES_MAX);
	if (r < 0)
		goto out;
	const char *name;
	size_t len;
	unsigned long i = 0;
	switch (option) {
	case 1:
		for (; fstype_at(list, i, &name, &len); i++)
			if (len == rt_strlen(uname) && !rt_memcmp(name, uname, len))
				break;
		r = fstype_at(list, i, &name, &len) ? (long)i : -EINVAL;
		break;
	case 2:
		if (!fstype_at(list, arg1, &name, &len)) {
			r = -EINVAL;
			break;
		}
		char out[256];
		if (len >= sizeof out)
			len = sizeof out - 1;
		rt_memcpy(out, name, len);
		out[len] = 0;
		r = copy_to_user((void *)arg2, out, len + 1) < 0 ? -EFAULT : 0;
		break;
	default:
		while (fstype_at(list, i, &name, &len))
			i++;
		r = (long)i;
	}
out:
	kfree(list);
	return r;
}

#define MAX_HANDLE_SZ 128
#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif
#define AT_HANDLE_MNT_ID_UNIQUE 0x001

struct khandle {
	uint32_t handle_bytes;
	int32_t handle_type;
	unsigned char f_handle[MAX_HANDLE_SZ];
};

long sys_name_to_handle_at(int dirfd, const char *upath, void *uhandle,
			   void *umnt, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID |
		      AT_HANDLE_MNT_ID_UNIQUE))
		return -EINVAL;
	struct vfs_target tg;
	long r = vfs_target_get(dirfd, upath, flags & AT_SYMLINK_FOLLOW,
				flags & AT_EMPTY_PATH, &tg);
	if (r < 0)
		return r;
	struct khandle h;
	r = -EFAULT;
	if (copy_from_user(&h, uhandle, 8) < 0)
		goto out;
	r = -EINVAL;
	if (h.handle_bytes > MAX_HANDLE_SZ)
		goto out;
	uint64_t mnt = 0;
	/* The host checks the file system can encode a handle (EOPNOTSUPP)
	 * and the size (EOVERFLOW, with the size it needs). */
	r = host_syscall5(__NR_name_to_handle_at, tg.fd, "", &h, &mnt,
			  AT_EMPTY_PATH | (flags & (AT_HANDLE_FID |
						    AT_HANDLE_MNT_ID_UNIQUE)));
	if (r != 0 && r != -EOVERFLOW)
		goto out;
	size_t mlen = flags & AT_HANDLE_MNT_ID_UNIQUE ? 8 : 4;
	size_t hlen = 8 + (r == 0 ? h.handle_bytes : 0);
	if (copy_to_user(umnt, &mnt, mlen) < 0 ||
	    copy_to_user(uhandle, &h, hlen) < 0)
		r = -EFAULT;
out:
	vfs_target_put(&tg);
	return r;
}

long sys_open_by_handle_at(int mountfd, void *uhandle, int flags)
{
	(void)uhandle;
	(void)flags;
	/* Linux's order: the anchor fd first, then the capability. */
	if (mountfd != AT_FDCWD) {
		struct file *f = fd_get(mountfd);
		if (!f)
			return -EBADF;
		file_put(f);
	}
	return -EPERM;
}
