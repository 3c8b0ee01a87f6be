/* read, write, pread64, pwrite64, readv, writev, preadv, pwritev, preadv2,
 * pwritev2: success and error paths. */
#include "tap.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* Bad pointers, hidden from the compiler's buffer checks. */
static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}
/* Never the program's memory: natively unmapped, under picos the
 * provider's window (never readable or writable by the guest). */
#define WINDOW hide(0x7e0000001000UL)
/* The kernel half, and an unmapped low address. */
#define KERNEL hide(0xffff800000001000UL)
#define BADP hide(1)

/* An O_PATH fd of `path` (checked: the O_PATH error cases need one). */
static int open_path(const char *path)
{
	int p = open(path, O_PATH);
	ok(p >= 0, "open O_PATH");
	return p;
}

static off_t pos(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

static int has(int fd, off_t off, const char *want)
{
	char buf[64] = { 0 };
	size_t n = strlen(want);
	return pread(fd, buf, n, off) == (ssize_t)n && !memcmp(buf, want, n);
}

static void plain_rw(int fd, int dfd, const char *path)
{
	char buf[16];
	ok(write(fd, "0123456789", 10) == 10, "write 10 bytes");
	ok(pos(fd) == 10, "write advances the offset");
	ok(read(fd, buf, sizeof buf) == 0, "read at EOF returns 0");
	ok(write(fd, buf, 0) == 0, "write of 0 bytes");
	ok(read(fd, WINDOW, 0) == 0, "read of 0 bytes ignores the buffer");
	fails_with(read(dfd, buf, sizeof buf), EISDIR, "read on a directory");
	fails_with(read(-1, buf, 1), EBADF, "read on fd -1");
	fails_with(write(12345, buf, 1), EBADF, "write on a closed fd");
	fails_with(read(12345, BADP, 1), EBADF, "read on a bad fd before a bad buffer");
	lseek(fd, 0, SEEK_SET);
	fails_with(read(fd, BADP, 4), EFAULT, "read into a bad buffer");
	fails_with(read(fd, WINDOW, 4), EFAULT, "read into the provider window");
	fails_with(read(fd, KERNEL, 4), EFAULT, "read into the kernel half");
	ok(pos(fd) == 0, "a faulting read leaves the offset");
	fails_with(write(fd, WINDOW, 4), EFAULT, "write from the provider window");
	fails_with(write(fd, hide(0), 4), EFAULT, "write from NULL");

	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
	fails_with(write(ro, "x", 1), EBADF, "write on a read-only fd");
	fails_with(read(wo, buf, 1), EBADF, "read on a write-only fd");
	fails_with(read(wo, WINDOW, 1), EBADF, "read on a write-only fd before a bad buffer");
	close(ro);
	close(wo);

	int p = open_path(path);
	fails_with(read(p, buf, 1), EBADF, "read on an O_PATH fd");
	fails_with(write(p, buf, 1), EBADF, "write on an O_PATH fd");
	close(p);

	int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDONLY);
	ok(null >= 0 && write(null, "abc", 3) == 3, "write to /dev/null");
	ok(read(null, buf, sizeof buf) == 0, "read from /dev/null");
	memset(buf, 'x', sizeof buf);
	ok(zero >= 0 && read(zero, buf, 8) == 8 && !memcmp(buf, "\0\0\0\0\0\0\0\0", 8),
	   "read from /dev/zero");
	close(null);
	close(zero);
}

static void positioned(int fd, int dfd, const char *path)
{
	char buf[16] = { 0 };
	lseek(fd, 3, SEEK_SET);
	ok(pread(fd, buf, 4, 5) == 4 && !memcmp(buf, "5678", 4), "pread at offset 5");
	ok(pos(fd) == 3, "pread leaves the offset");
	ok(pwrite(fd, "ab", 2, 1) == 2 && has(fd, 0, "0ab3"), "pwrite at offset 1");
	ok(pos(fd) == 3, "pwrite leaves the offset");
	ok(pread(fd, buf, 4, 100) == 0, "pread past EOF returns 0");
	ok(pwrite(fd, "Z", 1, 20) == 1, "pwrite past EOF");
	struct stat st;
	ok(fstat(fd, &st) == 0 && st.st_size == 21, "pwrite past EOF grows the file");
	ok(pread(fd, buf, 2, 12) == 2 && buf[0] == 0 && buf[1] == 0, "the gap reads as zeros");
	ftruncate(fd, 10);
	fails_with(pread(fd, buf, 1, -1), EINVAL, "pread at a negative offset");
	fails_with(pwrite(fd, buf, 1, -5), EINVAL, "pwrite at a negative offset");
	fails_with(pread(-1, buf, 1, -1), EINVAL, "a negative offset is checked before the fd");
	fails_with(pread(12345, buf, 1, 0), EBADF, "pread on a bad fd");
	fails_with(pread(fd, BADP, 1, 0), EFAULT, "pread into a bad buffer");
	fails_with(pread(fd, WINDOW, 1, 0), EFAULT, "pread into the provider window");
	fails_with(pwrite(fd, WINDOW, 1, 0), EFAULT, "pwrite from the provider window");
	fails_with(pread(dfd, buf, 1, 0), EISDIR, "pread on a directory");
	int p = open_path(path);
	fails_with(pread(p, buf, 1, 0), EBADF, "pread on an O_PATH fd");
	close(p);
	int zero = open("/dev/zero", O_RDONLY);
	ok(pread(zero, buf, 4, 1000) == 4 && buf[3] == 0, "pread on /dev/zero");
	close(zero);

	/* O_APPEND: write goes to the end; pwrite on Linux appends too. */
	int ap = open(path, O_WRONLY | O_APPEND);
	lseek(ap, 0, SEEK_SET);
	ok(write(ap, "AP", 2) == 2 && has(fd, 10, "AP"), "O_APPEND write goes to the end");
	ok(pos(ap) == 12, "the offset follows the append");
	ok(pwrite(ap, "pw", 2, 0) == 2 && has(fd, 12, "pw") && has(fd, 0, "0a"),
	   "pwrite on an O_APPEND fd appends (Linux)");
	close(ap);
	ftruncate(fd, 10);
}

static void vectored(int fd, const char *path)
{
	char a[4], b[8], big[4];
	struct iovec iov[2] = { { a, 4 }, { b, 6 } };
	lseek(fd, 0, SEEK_SET);
	ok(readv(fd, iov, 2) == 10 && !memcmp(a, "0ab3", 4) && !memcmp(b, "456789", 6),
	   "readv scatters");
	ok(pos(fd) == 10, "readv advances the offset");
	struct iovec w[3] = { { "he", 2 }, { NULL, 0 }, { "llo", 3 } };
	ok(writev(fd, w, 3) == 5 && has(fd, 10, "hello"), "writev gathers (with an empty segment)");
	ok(readv(fd, iov, 0) == 0, "readv with no segments");
	ok(writev(fd, BADP, 0) == 0, "writev with no segments ignores the array");

	/* Error paths: the count, the array, the bases, the lengths. */
	fails_with(syscall(SYS_readv, fd, iov, IOV_MAX + 1), EINVAL, "readv with IOV_MAX+1 segments");
	fails_with(syscall(SYS_readv, fd, iov, -1), EINVAL, "readv with a negative count");
	fails_with(syscall(SYS_readv, 12345, iov, -1), EBADF, "readv on a bad fd before a bad count");
	fails_with(readv(fd, BADP, 1), EFAULT, "readv with a bad iovec pointer");
	fails_with(writev(fd, WINDOW, 1), EFAULT, "writev with an iovec array in the provider window");
	fails_with(writev(fd, KERNEL, 2), EFAULT, "writev with an iovec array in the kernel half");
	lseek(fd, 0, SEEK_SET);
	struct iovec bad[2] = { { a, 4 }, { BADP, 4 } };
	ssize_t r = readv(fd, bad, 2);
	ok(r == 4, "readv with a bad second base is a short read (%zd)", r);
	bad[0].iov_base = WINDOW;
	lseek(fd, 0, SEEK_SET);
	fails_with(readv(fd, bad, 2), EFAULT, "readv into the provider window");
	fails_with(writev(fd, bad, 2), EFAULT, "writev from the provider window");
	ok(pos(fd) == 0, "faulting vectored I/O leaves the offset");
	struct iovec neg[2] = { { WINDOW, 4 }, { big, (size_t)-1 } };
	fails_with(readv(fd, neg, 2), EINVAL, "a negative length is EINVAL before a bad base");
	struct iovec zero_win[1] = { { WINDOW, 0 } };
	ok(readv(fd, zero_win, 1) == 0, "an empty segment's base is not checked");
	int wo = open(path, O_WRONLY);
	fails_with(readv(wo, BADP, 1), EBADF, "readv on a write-only fd before a bad array");
	close(wo);

	/* A large array goes through the provider's heap copy. */
	static struct iovec many[IOV_MAX];
	static char bytes[IOV_MAX];
	for (int i = 0; i < IOV_MAX; i++)
		many[i] = (struct iovec){ bytes + i, 1 };
	ok(preadv(fd, many, IOV_MAX, 0) == 15 && !memcmp(bytes, "0ab3456789hello", 15),
	   "preadv with IOV_MAX segments");
}

static void positioned_vectored(int fd)
{
	char a[3] = { 0 }, b[3] = { 0 };
	struct iovec iov[2] = { { a, 2 }, { b, 3 } };
	lseek(fd, 1, SEEK_SET);
	ok(preadv(fd, iov, 2, 10) == 5 && !memcmp(a, "he", 2) && !memcmp(b, "llo", 3),
	   "preadv at offset 10");
	ok(pos(fd) == 1, "preadv leaves the offset");
	struct iovec w[2] = { { "XY", 2 }, { "Z", 1 } };
	ok(pwritev(fd, w, 2, 4) == 3 && has(fd, 0, "0ab3XYZ7"), "pwritev at offset 4");
	ok(pos(fd) == 1, "pwritev leaves the offset");
	fails_with(preadv(fd, iov, 2, -2), EINVAL, "preadv at a negative offset");
	fails_with(pwritev(fd, w, 2, -1), EINVAL, "pwritev at offset -1");
	fails_with(preadv(fd, BADP, 1, 0), EFAULT, "preadv with a bad iovec pointer");

	/* preadv2/pwritev2: offset -1 is the file position. */
	lseek(fd, 4, SEEK_SET);
	ok(preadv2(fd, iov, 1, -1, 0) == 2 && !memcmp(a, "XY", 2), "preadv2 at offset -1 reads at the position");
	ok(pos(fd) == 6, "preadv2 at offset -1 advances the position");
	ok(preadv2(fd, iov, 1, 0, RWF_HIPRI) >= 0 || errno == EOPNOTSUPP, "preadv2 RWF_HIPRI");
	ok(pos(fd) == 6, "preadv2 at an offset leaves the position");
	ok(pwritev2(fd, w, 1, -1, 0) == 2 && pos(fd) == 8 && has(fd, 6, "XY"),
	   "pwritev2 at offset -1 writes at the position");
	struct stat st;
	fstat(fd, &st);
	ok(pwritev2(fd, w + 1, 1, 0, RWF_APPEND) == 1 && has(fd, st.st_size, "Z"),
	   "pwritev2 RWF_APPEND appends");
	ok(pwritev2(fd, w + 1, 1, 2, RWF_DSYNC | RWF_SYNC) == 1 && has(fd, 2, "Z"),
	   "pwritev2 RWF_DSYNC|RWF_SYNC");
	fails_with(preadv2(fd, iov, 1, 0, 0x10000000), EOPNOTSUPP, "preadv2 with unknown flags");
	fails_with(pwritev2(fd, w, 1, 0, -1), EOPNOTSUPP, "pwritev2 with all flags");
	fails_with(preadv2(fd, iov, 1, -2, 0), EINVAL, "preadv2 at offset -2");
	fails_with(preadv2(12345, iov, 1, 0, 0), EBADF, "preadv2 on a bad fd");
	ok(preadv2(fd, iov, 0, 0, 0x10000000) == 0, "preadv2 with no data ignores the flags");
	fails_with(preadv2(fd, WINDOW, 1, 0, 0), EFAULT, "preadv2 with the array in the provider window");
}

int main(void)
{
	const char *dir = tap_scratch("rw");
	char path[512];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(path, sizeof path, "%s/file", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(fd >= 0 && dfd >= 0, "open a file and the directory");

	plain_rw(fd, dfd, path);
	positioned(fd, dfd, path);
	vectored(fd, path);
	positioned_vectored(fd);

	close(fd);
	close(dfd);
	unlink(path);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
