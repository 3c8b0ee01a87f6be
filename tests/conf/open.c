/* open, openat, creat, close, read, write: success and error paths. */
#include "tap.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	const char *dir = tap_scratch("open");
	char path[512], link[512];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(path, sizeof path, "%s/file", dir);

	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0640);
	ok(fd >= 0, "open O_CREAT|O_EXCL creates");
	ok(write(fd, "hello", 5) == 5, "write 5 bytes");
	ok(close(fd) == 0, "close");
	fails_with(close(fd), EBADF, "close of a closed fd");
	fails_with(open(path, O_CREAT | O_EXCL | O_RDWR, 0640), EEXIST,
		   "O_EXCL on an existing file");

	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == (0640 & ~022 & 0777),
	   "mode honours the umask (%o)", st.st_mode & 0777);

	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	char buf[16] = { 0 };
	ok(fd >= 0 && read(fd, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5),
	   "openat + read back");
	ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC sets FD_CLOEXEC");
	fails_with(write(fd, "x", 1), EBADF, "write to a read-only fd");
	close(fd);

	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(dfd >= 0, "open a directory with O_DIRECTORY");
	fd = openat(dfd, "file", O_RDONLY);
	ok(fd >= 0, "openat relative to a directory fd");
	close(fd);
	fails_with(openat(dfd, "missing", O_RDONLY), ENOENT, "openat of a missing file");
	fails_with(openat(fd, "file", O_RDONLY), EBADF, "openat with a closed dirfd");
	int ffd = open(path, O_RDONLY);
	fails_with(openat(ffd, "x", O_RDONLY), ENOTDIR, "openat relative to a file fd");
	fails_with(open(path, O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file");
	fails_with(open(dir, O_WRONLY), EISDIR, "opening a directory for writing");
	snprintf(link, sizeof link, "%s/file/", dir);
	fails_with(open(link, O_RDONLY), ENOTDIR, "trailing slash on a file");
	snprintf(link, sizeof link, "%s/nodir/x", dir);
	fails_with(open(link, O_RDONLY), ENOENT, "missing intermediate directory");
	snprintf(link, sizeof link, "%s/file/x", dir);
	fails_with(open(link, O_RDONLY), ENOTDIR, "file used as a directory");
	fails_with(open("", O_RDONLY), ENOENT, "empty path");
	fails_with(open((char *)1, O_RDONLY), EFAULT, "bad path pointer");
	fails_with(open(NULL, O_RDONLY), EFAULT, "NULL path");
	fails_with(read(ffd, (void *)1, 4), EFAULT, "read into a bad buffer");
	fails_with(read(9999, buf, 1), EBADF, "read from a bad fd");
	close(ffd);

	/* Symlinks: followed, O_NOFOLLOW refuses, O_CREAT through a dangling
	 * link creates the target, O_CREAT|O_EXCL does not follow. */
	snprintf(link, sizeof link, "%s/link", dir);
	ok(symlink("file", link) == 0, "symlink");
	fd = open(link, O_RDONLY);
	ok(fd >= 0 && read(fd, buf, 5) == 5, "open follows a symlink");
	close(fd);
	fails_with(open(link, O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a symlink");
	char dangling[512], target[512];
	snprintf(dangling, sizeof dangling, "%s/dangling", dir);
	snprintf(target, sizeof target, "%s/target", dir);
	ok(symlink("target", dangling) == 0, "dangling symlink");
	fails_with(open(dangling, O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST,
		   "O_CREAT|O_EXCL on a dangling symlink");
	fd = open(dangling, O_CREAT | O_WRONLY, 0600);
	ok(fd >= 0 && access(target, F_OK) == 0, "O_CREAT through a dangling symlink creates the target");
	close(fd);
	char loop1[512], loop2[512];
	snprintf(loop1, sizeof loop1, "%s/loop1", dir);
	snprintf(loop2, sizeof loop2, "%s/loop2", dir);
	symlink("loop2", loop1);
	symlink("loop1", loop2);
	fails_with(open(loop1, O_RDONLY), ELOOP, "symlink loop");

	/* creat truncates. */
	fd = creat(path, 0600);
	ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "creat truncates");
	fails_with(read(fd, buf, 1), EBADF, "creat's fd is write-only");
	close(fd);

	/* Descriptor numbers: lowest free first. */
	int a = open(path, O_RDONLY), b = open(path, O_RDONLY);
	close(a);
	int c = open(path, O_RDONLY);
	ok(c == a, "the lowest free fd is reused (%d, %d)", a, c);
	close(b);
	close(c);

	/* openat2 */
	struct {
		unsigned long long flags, mode, resolve;
	} how = { O_RDONLY, 0, 0 };
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	ok(fd >= 0, "openat2 plain");
	close(fd);
	fails_with(syscall(SYS_openat2, AT_FDCWD, path, &how, 8), EINVAL, "openat2 with a short size");
	how.mode = 0644;
	fails_with(syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how), EINVAL,
		   "openat2 mode without O_CREAT");

	unlink(loop1);
	unlink(loop2);
	unlink(dangling);
	unlink(target);
	unlink(link);
	unlink(path);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
