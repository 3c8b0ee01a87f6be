/* Writing extended attributes: setxattr, lsetxattr, fsetxattr,
 * removexattr, lremovexattr, fremovexattr.  user.* attributes on a file
 * in the current directory (which must support them: tmpfs and ext4 do),
 * XATTR_CREATE/XATTR_REPLACE, the errors in Linux's order (flags, name,
 * size, value before the file), symlinks (user.* refused on them), the
 * trusted. and security. namespaces as the caller may use them, O_PATH
 * and bad fds, and EROFS on a read-only "/". */
#include "tap.h"
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}
#define BADP hide(1)
#define WINDOW hide(0x7e0000001000UL)

static int value_is(const char *path, const char *name, const char *want)
{
	char buf[64] = { 0 };
	ssize_t n = getxattr(path, name, buf, sizeof buf);
	return n == (ssize_t)strlen(want) && !memcmp(buf, want, (size_t)n);
}

static void setting(const char *file, const char *link, int fd)
{
	ok(setxattr(file, "user.a", "one", 3, 0) == 0 && value_is(file, "user.a", "one"), "setxattr");
	ok(setxattr(file, "user.a", "two", 3, 0) == 0 && value_is(file, "user.a", "two"),
	   "setxattr replaces without flags");
	fails_with(setxattr(file, "user.a", "x", 1, XATTR_CREATE), EEXIST, "XATTR_CREATE of an existing one");
	fails_with(setxattr(file, "user.b", "x", 1, XATTR_REPLACE), ENODATA, "XATTR_REPLACE of an absent one");
	ok(setxattr(file, "user.b", "bee", 3, XATTR_CREATE) == 0 && value_is(file, "user.b", "bee"),
	   "XATTR_CREATE");
	ok(setxattr(file, "user.b", "B", 1, XATTR_REPLACE) == 0 && value_is(file, "user.b", "B"),
	   "XATTR_REPLACE");
	ok(setxattr(file, "user.empty", NULL, 0, 0) == 0 && getxattr(file, "user.empty", NULL, 0) == 0,
	   "an empty value");
	ok(setxattr(link, "user.c", "via", 3, 0) == 0 && value_is(file, "user.c", "via"),
	   "setxattr follows a symlink");
	fails_with(lsetxattr(link, "user.c", "x", 1, 0), EPERM, "lsetxattr user.* on a symlink");
	ok(lsetxattr(file, "user.d", "l", 1, 0) == 0 && value_is(file, "user.d", "l"), "lsetxattr on a file");
	ok(fsetxattr(fd, "user.e", "fd", 2, 0) == 0 && value_is(file, "user.e", "fd"), "fsetxattr");
	fails_with(fsetxattr(fd, "user.e", "x", 1, XATTR_CREATE), EEXIST, "fsetxattr XATTR_CREATE");
	char small[1];
	fails_with(getxattr(file, "user.b", small, 0) == 1 ? getxattr(file, "user.a", small, 1) : 0,
		   ERANGE, "getxattr into a too small buffer");
	char list[256];
	ssize_t n = listxattr(file, list, sizeof list);
	ok(n > 0, "listxattr sees them");
	fails_with(listxattr(file, list, 3), ERANGE, "listxattr into a too small buffer");

	/* Errors, in Linux's order. */
	fails_with(setxattr(file, "user.a", "x", 1, 4), EINVAL, "setxattr with unknown flags");
	fails_with(setxattr("/picos-nonexistent", BADP, "x", 1, 4), EINVAL, "flags before the name and path");
	fails_with(setxattr(file, "", "x", 1, 0), ERANGE, "setxattr of an empty name");
	char longname[300];
	memset(longname, 'u', sizeof longname - 1);
	memcpy(longname, "user.", 5);
	longname[sizeof longname - 1] = 0;
	fails_with(setxattr(file, longname, "x", 1, 0), ERANGE, "setxattr of a too long name");
	fails_with(setxattr(file, BADP, "x", 1, 0), EFAULT, "setxattr with a bad name pointer");
	fails_with(setxattr(file, "user.a", BADP, 4, 0), EFAULT, "setxattr with a bad value pointer");
	fails_with(setxattr(file, "user.a", WINDOW, 4, 0), EFAULT, "setxattr of a value in the provider window");
	fails_with(setxattr(file, "user.a", hide((unsigned long)"x"), 65537, 0), E2BIG, "setxattr of a value over 64 KiB");
	fails_with(setxattr("/picos-nonexistent", "user.a", BADP, 4, 0), EFAULT, "the value before the path");
	fails_with(setxattr("/picos-nonexistent", "user.a", "x", 1, 0), ENOENT, "setxattr of a missing file");
	fails_with(setxattr(BADP, "user.a", "x", 1, 0), EFAULT, "setxattr with a bad path pointer");
	fails_with(setxattr(file, "nonamespace", "x", 1, 0), EOPNOTSUPP, "setxattr without a namespace");
	fails_with(setxattr(file, "bogus.a", "x", 1, 0), EOPNOTSUPP, "setxattr in an unknown namespace");
	fails_with(fsetxattr(12345, "user.a", "x", 1, 0), EBADF, "fsetxattr on a bad fd");
	fails_with(fsetxattr(12345, "", "x", 1, 0), ERANGE, "fsetxattr: the name before the fd");
	fails_with(fsetxattr(12345, "user.a", "x", 1, 8), EINVAL, "fsetxattr: the flags before the fd");
	int p = open(file, O_PATH);
	fails_with(fsetxattr(p, "user.a", "x", 1, 0), EBADF, "fsetxattr on an O_PATH fd");
	fails_with(fremovexattr(p, "user.a"), EBADF, "fremovexattr on an O_PATH fd");
	close(p);
	int ro = open(file, O_RDONLY);
	ok(fsetxattr(ro, "user.ro", "r", 1, 0) == 0, "fsetxattr through a read-only fd");
	close(ro);
}

/* trusted.* needs CAP_SYS_ADMIN; security.* beyond the LSMs' names is the
 * file system's: whatever native says, picos must say the same, so only
 * the unprivileged answer is pinned down. */
static void namespaces(const char *file)
{
	errno = 0;
	long r = setxattr(file, "trusted.picos", "t", 1, 0);
	int e = errno;
	if (geteuid() != 0)
		ok(r == -1 && e == EPERM, "trusted.* as an unprivileged user: EPERM (%ld, %d)", r, e);
	else
		ok(r == 0 || e == EPERM, "trusted.* as root (%ld, %d)", r, e);
	if (r == 0)
		removexattr(file, "trusted.picos");
	errno = 0;
	r = setxattr(file, "security.picos", "s", 1, 0);
	e = errno;
	if (geteuid() != 0)
		ok(r == -1 && (e == EPERM || e == EOPNOTSUPP), "security.* as an unprivileged user (%d)", e);
	else
		ok(r == 0 || e == EPERM || e == EOPNOTSUPP, "security.* as root (%ld, %d)", r, e);
	if (r == 0)
		removexattr(file, "security.picos");
}

static void removing(const char *file, const char *link, int fd)
{
	ok(removexattr(file, "user.a") == 0 && getxattr(file, "user.a", NULL, 0) == -1 && errno == ENODATA,
	   "removexattr");
	fails_with(removexattr(file, "user.a"), ENODATA, "removexattr of an absent one");
	ok(removexattr(link, "user.b") == 0, "removexattr follows a symlink");
	fails_with(lremovexattr(link, "user.c"), EPERM, "lremovexattr user.* on a symlink");
	ok(lremovexattr(file, "user.c") == 0, "lremovexattr on a file");
	ok(fremovexattr(fd, "user.d") == 0, "fremovexattr");
	fails_with(fremovexattr(fd, "user.d"), ENODATA, "fremovexattr of an absent one");
	fails_with(removexattr(file, ""), ERANGE, "removexattr of an empty name");
	fails_with(removexattr(file, BADP), EFAULT, "removexattr with a bad name pointer");
	fails_with(removexattr("/picos-nonexistent", "user.a"), ENOENT, "removexattr of a missing file");
	fails_with(removexattr("/picos-nonexistent", ""), ERANGE, "removexattr: the name before the path");
	fails_with(fremovexattr(12345, "user.a"), EBADF, "fremovexattr on a bad fd");
	ok(fremovexattr(fd, "user.e") == 0 && removexattr(file, "user.empty") == 0 &&
		   removexattr(file, "user.ro") == 0,
	   "remove the rest");
	ok(listxattr(file, NULL, 0) == 0 || listxattr(file, NULL, 0) > 0, "listxattr after removal");
}

static void readonly(void)
{
	struct statfs sf;
	int ro = statfs("/", &sf) == 0 && (sf.f_flags & ST_RDONLY);
	printf("# / is %s\n", ro ? "read-only" : "writable");
	if (!ro)
		return;
	const char *etc = "/etc/hostname";
	fails_with(setxattr(etc, "user.a", "x", 1, 0), EROFS, "setxattr on a read-only fs");
	fails_with(setxattr("/etc/picos-nonexistent", "user.a", "x", 1, 0), ENOENT,
		   "ENOENT before EROFS");
	fails_with(setxattr(etc, "", "x", 1, 0), ERANGE, "ERANGE before EROFS");
	fails_with(removexattr(etc, "user.a"), EROFS, "removexattr on a read-only fs");
	fails_with(lsetxattr("/", "user.a", "x", 1, 0), EROFS, "lsetxattr of / on a read-only fs");
	int fd = open(etc, O_RDONLY);
	fails_with(fsetxattr(fd, "user.a", "x", 1, 0), EROFS, "fsetxattr on a read-only fs");
	fails_with(fremovexattr(fd, "user.a"), EROFS, "fremovexattr on a read-only fs");
	fails_with(fsetxattr(fd, "user.a", "x", 1, 4), EINVAL, "EINVAL before EROFS");
	close(fd);
}

int main(void)
{
	char dir[64], file[128], link[128];
	snprintf(dir, sizeof dir, "picos-xattr-%d", (int)getpid());
	snprintf(file, sizeof file, "%s/f", dir);
	snprintf(link, sizeof link, "%s/l", dir);
	ok(mkdir(dir, 0755) == 0, "scratch directory in the cwd");
	int fd = open(file, O_CREAT | O_RDWR, 0644);
	ok(fd >= 0 && symlink("f", link) == 0, "a file and a symlink to it");
	if (fsetxattr(fd, "user.probe", "p", 1, 0) != 0) {
		printf("# the cwd's file system has no user xattrs (%s)\n", strerror(errno));
		ok(0, "user xattrs in the cwd");
	} else {
		fremovexattr(fd, "user.probe");
		setting(file, link, fd);
		namespaces(file);
		removing(file, link, fd);
	}
	readonly();
	close(fd);
	unlink(link);
	unlink(file);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
