/* lseek, sendfile, copy_file_range, fsync, fdatasync, sync, syncfs,
 * fallocate, fadvise64, readahead, ftruncate: success and error paths. */
#include "tap.h"
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Bad pointers, hidden from the compiler's buffer checks. */
static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}
#define WINDOW hide(0x7e0000001000UL)
#define BADP hide(1)

/* An O_PATH fd of `path` (checked: the O_PATH error cases need one). */
static int open_path(const char *path)
{
	int p = open(path, O_PATH);
	ok(p >= 0, "open O_PATH");
	return p;
}

static off_t size_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static int has(int fd, off_t off, const char *want)
{
	char buf[64] = { 0 };
	size_t n = strlen(want);
	return pread(fd, buf, n, off) == (ssize_t)n && !memcmp(buf, want, n);
}

static void seeking(int fd, int dfd, const char *path)
{
	ok(write(fd, "0123456789", 10) == 10, "write 10 bytes");
	ok(lseek(fd, 2, SEEK_SET) == 2, "SEEK_SET");
	ok(lseek(fd, 3, SEEK_CUR) == 5, "SEEK_CUR");
	ok(lseek(fd, -1, SEEK_END) == 9, "SEEK_END");
	ok(lseek(fd, 100, SEEK_END) == 110, "SEEK_END past EOF");
	fails_with(lseek(fd, -20, SEEK_END), EINVAL, "seek before the start");
	fails_with(lseek(fd, 0, 5), EINVAL, "bad whence");
	fails_with(lseek(fd, 0, -1), EINVAL, "negative whence");
	fails_with(lseek(12345, 0, SEEK_SET), EBADF, "lseek on a bad fd");
	int p = open_path(path);
	fails_with(lseek(p, 0, SEEK_SET), EBADF, "lseek on an O_PATH fd");
	close(p);
	ok(lseek(dfd, 0, SEEK_SET) == 0, "lseek on a directory");
	int null = open("/dev/null", O_RDONLY);
	ok(lseek(null, 100, SEEK_SET) == 0, "lseek on /dev/null");
	close(null);

	/* A sparse file: data at 0 and at 1 MiB, a hole between. */
	ok(pwrite(fd, "data", 4, 1 << 20) == 4, "pwrite at 1 MiB");
	ok(lseek(fd, 0, SEEK_DATA) == 0, "SEEK_DATA at 0");
	off_t hole = lseek(fd, 0, SEEK_HOLE);
	ok(hole > 0 && hole < (1 << 20), "SEEK_HOLE finds the gap (%lld)", (long long)hole);
	off_t data = lseek(fd, hole, SEEK_DATA);
	ok(data > hole && data <= (1 << 20), "SEEK_DATA finds the next data (%lld)", (long long)data);
	ok(lseek(fd, (1 << 20) + 1, SEEK_HOLE) == (1 << 20) + 4, "SEEK_HOLE at the end");
	fails_with(lseek(fd, (1 << 20) + 4, SEEK_DATA), ENXIO, "SEEK_DATA at EOF");
	fails_with(lseek(fd, -1, SEEK_DATA), ENXIO, "SEEK_DATA at a negative offset");
	ok(ftruncate(fd, 10) == 0, "shrink back");
}

static void transfers(int fd, int out, const char *path)
{
	off_t off;
	lseek(fd, 2, SEEK_SET);
	ok(sendfile(out, fd, NULL, 3) == 3 && has(out, 0, "234"), "sendfile from the position");
	ok(lseek(fd, 0, SEEK_CUR) == 5 && lseek(out, 0, SEEK_CUR) == 3,
	   "sendfile advances both positions");
	off = 7;
	ok(sendfile(out, fd, &off, 10) == 3 && off == 10 && has(out, 3, "789"),
	   "sendfile at an offset to EOF");
	ok(lseek(fd, 0, SEEK_CUR) == 5, "sendfile at an offset leaves the position");
	off = 10;
	ok(sendfile(out, fd, &off, 10) == 0 && off == 10, "sendfile at EOF");
	fails_with(sendfile(out, fd, BADP, 1), EFAULT, "sendfile with a bad offset pointer");
	fails_with(sendfile(out, 12345, BADP, 1), EFAULT, "the offset pointer is read before the fds");
	fails_with(sendfile(out, fd, WINDOW, 1), EFAULT, "sendfile with the offset in the provider window");
	fails_with(sendfile(out, 12345, NULL, 1), EBADF, "sendfile from a bad fd");
	fails_with(sendfile(12345, fd, NULL, 1), EBADF, "sendfile to a bad fd");
	off = -1;
	fails_with(sendfile(out, fd, &off, 1), EINVAL, "sendfile at a negative offset");
	int wo = open(path, O_WRONLY), p = open_path(path);
	fails_with(sendfile(out, wo, NULL, 1), EBADF, "sendfile from a write-only fd");
	fails_with(sendfile(fd, p, NULL, 1), EBADF, "sendfile from an O_PATH fd");
	fails_with(sendfile(p, fd, NULL, 1), EBADF, "sendfile to an O_PATH fd");
	close(wo);

	ftruncate(out, 0);
	lseek(out, 0, SEEK_SET);
	lseek(fd, 1, SEEK_SET);
	ok(copy_file_range(fd, NULL, out, NULL, 4, 0) == 4 && has(out, 0, "1234"),
	   "copy_file_range from the positions");
	ok(lseek(fd, 0, SEEK_CUR) == 5 && lseek(out, 0, SEEK_CUR) == 4,
	   "copy_file_range advances both positions");
	off_t oin = 8, oout = 20;
	ok(copy_file_range(fd, &oin, out, &oout, 5, 0) == 2 && oin == 10 && oout == 22 &&
		   has(out, 20, "89"),
	   "copy_file_range at offsets, short at EOF");
	ok(lseek(fd, 0, SEEK_CUR) == 5 && lseek(out, 0, SEEK_CUR) == 4,
	   "copy_file_range at offsets leaves the positions");
	oin = 0;
	ok(copy_file_range(fd, &oin, out, NULL, 2, 0) == 2 && oin == 2 && has(out, 4, "01"),
	   "copy_file_range with one offset pointer");
	oin = 10;
	ok(copy_file_range(fd, &oin, out, NULL, 2, 0) == 0 && oin == 10, "copy_file_range at EOF");
	oin = 0;
	fails_with(copy_file_range(fd, &oin, out, NULL, 1, 1), EINVAL, "copy_file_range with flags");
	fails_with(copy_file_range(fd, BADP, out, NULL, 1, 0), EFAULT, "copy_file_range with a bad in offset");
	fails_with(copy_file_range(fd, NULL, out, WINDOW, 1, 0), EFAULT,
		   "copy_file_range with the out offset in the provider window");
	fails_with(copy_file_range(12345, BADP, out, NULL, 1, 0), EBADF,
		   "the fds are checked before the offset pointers");
	fails_with(copy_file_range(fd, BADP, out, NULL, 1, 1), EFAULT,
		   "the offset pointers are read before the flags are checked");
	fails_with(copy_file_range(fd, NULL, 12345, NULL, 1, 0), EBADF, "copy_file_range to a bad fd");
	fails_with(copy_file_range(p, NULL, out, NULL, 1, 0), EBADF, "copy_file_range from an O_PATH fd");
	oin = 0;
	off_t same = 2;
	fails_with(copy_file_range(fd, &oin, fd, &same, 4, 0), EINVAL, "copy_file_range overlapping itself");
	oin = -1;
	fails_with(copy_file_range(fd, &oin, out, NULL, 1, 0), EOVERFLOW, "copy_file_range at a negative offset");
	close(p);
}

static void syncing(int fd, int dfd, const char *path)
{
	int p = open_path(path);
	succeeds(fsync(fd), "fsync");
	succeeds(fdatasync(fd), "fdatasync");
	succeeds(fsync(dfd), "fsync on a directory");
	succeeds(syncfs(fd), "syncfs");
	sync();
	ok(1, "sync returns");
	fails_with(fsync(12345), EBADF, "fsync on a bad fd");
	fails_with(fdatasync(-1), EBADF, "fdatasync on fd -1");
	fails_with(syncfs(12345), EBADF, "syncfs on a bad fd");
	fails_with(fsync(p), EBADF, "fsync on an O_PATH fd");
	close(p);
}

static void sizing(int fd, int dfd, const char *path)
{
	ok(ftruncate(fd, 100) == 0 && size_of(fd) == 100, "ftruncate grows");
	char buf[4] = { 1, 1, 1, 1 };
	ok(pread(fd, buf, 4, 50) == 4 && !buf[0] && !buf[3], "the grown part reads as zeros");
	ok(ftruncate(fd, 4) == 0 && size_of(fd) == 4 && has(fd, 0, "0123"), "ftruncate shrinks");
	ok(ftruncate(fd, 4) == 0, "ftruncate to the same size");
	fails_with(ftruncate(fd, -1), EINVAL, "ftruncate to a negative length");
	fails_with(ftruncate(12345, -1), EINVAL, "a negative length is checked before the fd");
	fails_with(ftruncate(12345, 0), EBADF, "ftruncate on a bad fd");
	fails_with(ftruncate(dfd, 0), EINVAL, "ftruncate on a directory");
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY), p = open_path(path);
	fails_with(ftruncate(ro, 0), EINVAL, "ftruncate on a read-only fd");
	fails_with(ftruncate(p, 0), EBADF, "ftruncate on an O_PATH fd");

	ok(fallocate(fd, 0, 0, 8192) == 0 && size_of(fd) == 8192, "fallocate grows the file");
	ok(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536) == 0 && size_of(fd) == 8192,
	   "fallocate FALLOC_FL_KEEP_SIZE");
	ok(pwrite(fd, "abcd", 4, 4096) == 4 &&
		   fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096) == 0 &&
		   pread(fd, buf, 4, 4096) == 4 && !buf[0] && size_of(fd) == 8192,
	   "fallocate FALLOC_FL_PUNCH_HOLE");
	fails_with(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP,
		   "PUNCH_HOLE without KEEP_SIZE");
	fails_with(fallocate(fd, 0, -1, 10), EINVAL, "fallocate at a negative offset");
	fails_with(fallocate(fd, 0, 0, 0), EINVAL, "fallocate of length 0");
	fails_with(fallocate(ro, 0, 0, 10), EBADF, "fallocate on a read-only fd");
	fails_with(fallocate(12345, 0, 0, 10), EBADF, "fallocate on a bad fd");
	fails_with(fallocate(p, 0, 0, 10), EBADF, "fallocate on an O_PATH fd");
	fails_with(fallocate(dfd, 0, 0, 10), EBADF, "fallocate on a directory (read-only fd)");

	/* posix_fadvise returns the error: use the raw call. */
	ok(syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0, "fadvise64 SEQUENTIAL");
	ok(syscall(SYS_fadvise64, fd, 0, 4096, POSIX_FADV_DONTNEED) == 0, "fadvise64 DONTNEED");
	fails_with(syscall(SYS_fadvise64, fd, 0, 0, 99), EINVAL, "fadvise64 with a bad advice");
	fails_with(syscall(SYS_fadvise64, 12345, 0, 0, POSIX_FADV_NORMAL), EBADF, "fadvise64 on a bad fd");
	fails_with(syscall(SYS_fadvise64, p, 0, 0, POSIX_FADV_NORMAL), EBADF, "fadvise64 on an O_PATH fd");

	ok(readahead(fd, 0, 4096) == 0, "readahead");
	fails_with(readahead(wo, 0, 4096), EBADF, "readahead on a write-only fd");
	fails_with(readahead(dfd, 0, 4096), EINVAL, "readahead on a directory");
	fails_with(readahead(12345, 0, 4096), EBADF, "readahead on a bad fd");
	close(ro);
	close(wo);
	close(p);
}

int main(void)
{
	const char *dir = tap_scratch("rw_xfer");
	char path[512], path2[512];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(path, sizeof path, "%s/file", dir);
	snprintf(path2, sizeof path2, "%s/out", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	int out = open(path2, O_CREAT | O_RDWR, 0600);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(fd >= 0 && out >= 0 && dfd >= 0, "open two files and the directory");

	seeking(fd, dfd, path);
	transfers(fd, out, path);
	syncing(fd, dfd, path);
	sizing(fd, dfd, path);

	close(fd);
	close(out);
	close(dfd);
	unlink(path);
	unlink(path2);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
