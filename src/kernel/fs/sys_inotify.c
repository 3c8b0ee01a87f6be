/* inotify: host inotify instances behind guest fds.  The host queues the
 * events (for changes made by any process, with names relative to the
 * watched directory, so they need no translation), answers read, FIONREAD
 * and readiness, and numbers the watches.
 *
 * A watch's path is the guest's: the provider resolves it through the
 * mount table to an O_PATH fd (following a final symlink unless
 * IN_DONT_FOLLOW) and gives the host only the magic link
 * /proc/self/fd/N of that fd.  The host follows nothing else: the jump of
 * a magic link ends the walk at the inode the provider opened, even when
 * that inode is a symlink.  IN_ONLYDIR is the host's check on that inode;
 * IN_MASK_ADD, IN_MASK_CREATE, IN_ONESHOT and the events pass unchanged. */
#include "vfs.h"
#include "io.h"
#include "../syscalls.h"
#include <linux/inotify.h>

long sys_inotify_init1(int flags)
{
	return fd_install_host_object(
		host_syscall1(__NR_inotify_init1, flags | IN_CLOEXEC), O_RDONLY,
		flags);
}

long sys_inotify_init(void)
{
	return sys_inotify_init1(0);
}

/* The host must follow the magic link, so IN_DONT_FOLLOW (already applied
 * by the provider's lookup) cannot go to it.  It stands in for a bit the
 * host accepts and ignores in a watch's mask (IN_IGNORED: every watch gets
 * that event anyway), so a mask of IN_DONT_FOLLOW alone still passes the
 * host's check for a non-empty mask, as it does on Linux. */
static uint32_t host_mask(uint32_t mask)
{
	if (mask & IN_DONT_FOLLOW)
		mask = (mask & ~IN_DONT_FOLLOW) | IN_IGNORED;
	return mask;
}

long sys_inotify_add_watch(int fd, const char *upath, uint32_t mask)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	/* Linux checks the mask, the fd and its kind before it reads the
	 * path: ask the host with a path it cannot read, which only gets
	 * as far as EFAULT when those checks pass. */
	long r = host_syscall3(__NR_inotify_add_watch, hfd, IO_POISON, mask);
	if (r == -EFAULT) {
		struct vfs_target tg;
		r = vfs_target_get(AT_FDCWD, upath, !(mask & IN_DONT_FOLLOW),
				   false, &tg);
		if (r >= 0) {
			char link[40];
			rt_snprintf(link, sizeof link, "/proc/self/fd/%d",
				    tg.fd);
			r = host_syscall3(__NR_inotify_add_watch, hfd, link,
					  host_mask(mask));
			vfs_target_put(&tg);
		}
	}
	io_put(f);
	return r;
}

long sys_inotify_rm_watch(int fd, int wd)
{
	struct file *f;
	int hfd = io_get(fd, &f);
	long r = host_syscall2(__NR_inotify_rm_watch, hfd, wd);
	io_put(f);
	return r;
}
