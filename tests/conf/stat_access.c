/* access, faccessat, faccessat2: success and error paths, read-only
 * mounts. */
#include "tap.h"
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name)
{
	static char bufs[4][512];
	static int i;
	char *b = bufs[i++ % 4];
	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

static long faccessat2_(int dfd, const char *path, int mode, int flags)
{
	return syscall(SYS_faccessat2, dfd, path, mode, flags);
}

static long faccessat_(int dfd, const char *path, int mode)
{
	return syscall(SYS_faccessat, dfd, path, mode);
}

static void test_access(bool priv)
{
	ok(access(at("file"), F_OK) == 0, "access F_OK");
	ok(access(at("file"), R_OK | W_OK) == 0, "access R_OK|W_OK of an own 0644 file");
	/* Even root needs some x bit for X_OK on a regular file. */
	fails_with(access(at("file"), X_OK), EACCES, "access X_OK without any x bit");
	ok(access(at("exe"), X_OK) == 0, "access X_OK of a 0755 file");
	ok(access(at("sub"), R_OK | W_OK | X_OK) == 0, "access rwx of an own directory");
	ok(access(at("link"), R_OK) == 0, "access follows a symlink");
	fails_with(access(at("link"), X_OK), EACCES, "access X_OK follows a symlink");
	fails_with(access(at("missing"), F_OK), ENOENT, "access of a missing file");
	fails_with(access(at("dangling"), F_OK), ENOENT, "access of a dangling symlink");
	fails_with(access(at("loop1"), F_OK), ELOOP, "access of a symlink loop");
	fails_with(access(at("file/"), F_OK), ENOTDIR, "access with a trailing slash on a file");
	fails_with(access(at("file/x"), F_OK), ENOTDIR, "access under a file");
	fails_with(access("", F_OK), ENOENT, "access(\"\")");
	fails_with(access(NULL, F_OK), EFAULT, "access(NULL)");
	fails_with(syscall(SYS_access, (char *)1, F_OK), EFAULT, "access of a bad pointer");
	fails_with(access(at("file"), 8), EINVAL, "access with a bad mode");
	fails_with(syscall(SYS_access, (char *)1, 8), EINVAL, "access checks the mode before the path");
	if (!priv) {
		fails_with(access(at("secret"), R_OK), EACCES, "access R_OK of a 0000 file");
		fails_with(access(at("noexec/x"), F_OK), EACCES,
			   "access under a dir without search permission");
	} else {
		ok(access(at("secret"), R_OK | W_OK) == 0, "a privileged caller may read a 0000 file");
	}
	ok(access(at("secret"), F_OK) == 0, "access F_OK of a 0000 file");

	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = open(at("file"), O_RDONLY);
	ok(faccessat_(dfd, "file", R_OK) == 0, "faccessat relative to a dir fd");
	ok(faccessat_(AT_FDCWD, at("file"), R_OK) == 0, "faccessat AT_FDCWD");
	fails_with(faccessat_(fd, "x", R_OK), ENOTDIR, "faccessat relative to a file fd");
	fails_with(faccessat_(9999, "x", R_OK), EBADF, "faccessat relative to a bad fd");
	ok(faccessat_(9999, at("file"), R_OK) == 0, "faccessat absolute ignores dirfd");
	fails_with(faccessat_(fd, "", R_OK), ENOENT, "faccessat(fd, \"\")");
	fails_with(faccessat_(dfd, "file", 0x10), EINVAL, "faccessat with a bad mode");

	ok(faccessat2_(dfd, "file", R_OK, 0) == 0, "faccessat2");
	ok(faccessat2_(dfd, "file", R_OK, AT_EACCESS) == 0, "faccessat2 AT_EACCESS");
	ok(faccessat2_(dfd, "dangling", F_OK, AT_SYMLINK_NOFOLLOW) == 0,
	   "faccessat2 AT_SYMLINK_NOFOLLOW on a dangling symlink");
	fails_with(faccessat2_(dfd, "dangling", F_OK, 0), ENOENT,
		   "faccessat2 follows by default");
	ok(faccessat2_(dfd, "loop1", F_OK, AT_SYMLINK_NOFOLLOW) == 0,
	   "faccessat2 AT_SYMLINK_NOFOLLOW on a symlink loop");
	ok(faccessat2_(fd, "", R_OK, AT_EMPTY_PATH) == 0, "faccessat2 AT_EMPTY_PATH on a file fd");
	fails_with(faccessat2_(fd, "", X_OK, AT_EMPTY_PATH), EACCES,
		   "faccessat2 AT_EMPTY_PATH X_OK on a 0644 file");
	ok(faccessat2_(AT_FDCWD, "", R_OK, AT_EMPTY_PATH) == 0,
	   "faccessat2(AT_FDCWD, \"\", AT_EMPTY_PATH) is the cwd");
	fails_with(faccessat2_(9999, "", R_OK, AT_EMPTY_PATH), EBADF,
		   "faccessat2 AT_EMPTY_PATH on a bad fd");
	fails_with(faccessat2_(fd, "", R_OK, 0), ENOENT, "faccessat2 \"\" without AT_EMPTY_PATH");
	fails_with(faccessat2_(fd, NULL, R_OK, AT_EMPTY_PATH), EFAULT,
		   "faccessat2 AT_EMPTY_PATH with a NULL path");
	int pfd = open(at("link"), O_PATH | O_NOFOLLOW);
	ok(faccessat2_(pfd, "", F_OK, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0,
	   "faccessat2 AT_EMPTY_PATH on an O_PATH fd of a symlink");
	close(pfd);
	pfd = open(at("sub"), O_PATH);
	ok(faccessat2_(pfd, "", W_OK | X_OK, AT_EMPTY_PATH) == 0,
	   "faccessat2 AT_EMPTY_PATH on an O_PATH fd of a directory");
	close(pfd);
	fails_with(faccessat2_(dfd, "file", R_OK, 0x8000), EINVAL, "faccessat2 with a bad flag");
	fails_with(faccessat2_(dfd, "file", R_OK, 0x20000), EINVAL,
		   "faccessat2 with an unknown flag");
	fails_with(faccessat2_(AT_FDCWD, (char *)1, R_OK, 0x8000), EINVAL,
		   "faccessat2 checks flags before the path");
	fails_with(faccessat2_(dfd, "file", 8, 0), EINVAL, "faccessat2 with a bad mode");
	close(fd);
	close(dfd);
}

/* Linux reports EROFS for W_OK on a read-only mount, but only for files,
 * directories and symlinks, and only after the permission check. */
static void test_rdonly(bool priv)
{
	struct statvfs sv;
	ok(access("/dev/null", R_OK | W_OK) == 0, "/dev/null is writable wherever it is");
	if (statvfs("/", &sv) != 0 || !(sv.f_flag & ST_RDONLY)) {
		printf("# / is writable: no EROFS checks\n");
		return;
	}
	fails_with(access("/", W_OK), priv ? EROFS : EACCES, "access W_OK of / on a read-only fs");
	ok(access("/", R_OK | X_OK) == 0, "access R_OK|X_OK of / on a read-only fs");
	if (access("/etc/passwd", F_OK) == 0)
		fails_with(access("/etc/passwd", W_OK), priv ? EROFS : EACCES,
			   "access W_OK of a file on a read-only fs");
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", tap_scratch("stat_access"));
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	int fd = open(at("file"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	ok(fd >= 0, "create file 0644");
	close(fd);
	fd = open(at("exe"), O_CREAT | O_EXCL | O_WRONLY, 0755);
	ok(fd >= 0, "create exe 0755");
	close(fd);
	fd = open(at("secret"), O_CREAT | O_EXCL | O_WRONLY, 0);
	ok(fd >= 0, "create secret 0000");
	close(fd);
	ok(mkdir(at("sub"), 0755) == 0, "mkdir sub");
	ok(mkdir(at("noexec"), 0) == 0, "mkdir noexec 0000");
	ok(symlink("file", at("link")) == 0, "symlink link -> file");
	ok(symlink("nowhere", at("dangling")) == 0, "symlink dangling -> nowhere");
	ok(symlink("loop2", at("loop1")) == 0 && symlink("loop1", at("loop2")) == 0,
	   "symlink loop1 <-> loop2");
	/* Privileged callers pass permission checks: probe it the same way
	 * natively and under picos. */
	fd = open(at("secret"), O_RDONLY);
	bool priv = fd >= 0;
	close(fd);
	printf("# privileged: %d\n", priv);

	test_access(priv);
	test_rdonly(priv);

	const char *names[] = { "file", "exe", "secret", "link", "dangling", "loop1", "loop2" };
	int bad = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		bad += unlink(at(names[i])) != 0;
	ok(bad == 0, "unlink the scratch files");
	ok(rmdir(at("sub")) == 0 && rmdir(at("noexec")) == 0 && rmdir(dir) == 0, "cleanup");
	return tap_done();
}
