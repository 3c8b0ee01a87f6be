/* readlink, readlinkat: success and error paths. */
#include "tap.h"
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
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

/* readlink into a buffer of `size` bytes; the result as a string. */
static bool reads(const char *path, size_t size, const char *want)
{
	char buf[512];
	memset(buf, 'X', sizeof buf);
	long n = syscall(SYS_readlink, path, buf, size);
	if (n < 0 || (size_t)n >= sizeof buf || buf[n] != 'X')
		return false;
	buf[n] = 0;
	return !strcmp(buf, want);
}

int main(void)
{
	char buf[512];
	snprintf(dir, sizeof dir, "%s", tap_scratch("stat_readlink"));
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	int fd = open(at("file"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	ok(fd >= 0, "create file");
	close(fd);
	ok(mkdir(at("sub"), 0755) == 0, "mkdir sub");
	ok(symlink("file", at("link")) == 0, "symlink link -> file");
	ok(symlink("sub", at("dlink")) == 0, "symlink dlink -> sub");
	ok(symlink("../sub/../nowhere", at("sub/dangling")) == 0, "symlink sub/dangling");
	ok(symlink("/an/absolute/target", at("abs")) == 0, "symlink abs -> /an/absolute/target");
	ok(symlink("loop2", at("loop1")) == 0 && symlink("loop1", at("loop2")) == 0,
	   "symlink loop1 <-> loop2");
	ok(symlink("dlink/dangling", at("chain")) == 0, "symlink chain -> dlink/dangling");

	ok(reads(at("link"), sizeof buf, "file"), "readlink, no NUL added");
	ok(reads(at("abs"), sizeof buf, "/an/absolute/target"), "readlink of an absolute target");
	ok(reads(at("sub/dangling"), sizeof buf, "../sub/../nowhere"),
	   "readlink of a dangling symlink returns the text as is");
	ok(reads(at("loop1"), sizeof buf, "loop2"), "readlink of a symlink loop");
	ok(reads(at("dlink/dangling"), sizeof buf, "../sub/../nowhere"),
	   "readlink follows symlinks before the last component");
	ok(reads(at("chain"), sizeof buf, "dlink/dangling"), "readlink does not follow the last one");
	ok(reads(at("link"), 2, "fi"), "readlink truncates to the buffer");
	ok(reads(at("link"), 4, "file"), "readlink with an exact buffer");
	fails_with(readlink(at("link"), buf, 0), EINVAL, "readlink with a zero size");
	fails_with(syscall(SYS_readlink, at("link"), buf, -1L), EINVAL, "readlink with a negative size");
	fails_with(syscall(SYS_readlink, at("link"), buf, 1L << 32), EINVAL,
		   "readlink size is an int (1 << 32 is 0)");
	fails_with(syscall(SYS_readlink, (char *)1, buf, 0L), EINVAL,
		   "readlink checks the size before the path");
	fails_with(readlink(at("file"), buf, sizeof buf), EINVAL, "readlink of a file");
	fails_with(readlink(at("sub"), buf, sizeof buf), EINVAL, "readlink of a directory");
	fails_with(readlink(at("dlink/"), buf, sizeof buf), EINVAL,
		   "readlink with a trailing slash follows to the directory");
	fails_with(readlink(at("link/"), buf, sizeof buf), ENOTDIR,
		   "readlink with a trailing slash on a symlink to a file");
	fails_with(readlink(at("missing"), buf, sizeof buf), ENOENT, "readlink of a missing file");
	fails_with(readlink(at("file/x"), buf, sizeof buf), ENOTDIR, "readlink under a file");
	fails_with(readlink(at("loop1/x"), buf, sizeof buf), ELOOP, "readlink under a symlink loop");
	fails_with(readlink("", buf, sizeof buf), ENOENT, "readlink(\"\")");
	fails_with(readlink(NULL, buf, sizeof buf), EFAULT, "readlink(NULL)");
	fails_with(readlink(at("link"), NULL, sizeof buf), EFAULT, "readlink into NULL");
	fails_with(syscall(SYS_readlink, at("link"), (char *)1, 16), EFAULT,
		   "readlink into a bad buffer");
	fails_with(syscall(SYS_readlink, at("file"), (char *)1, 16), EINVAL,
		   "readlink of a file into a bad buffer");

	/* readlinkat */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	long n = readlinkat(dfd, "link", buf, sizeof buf);
	ok(n == 4 && !memcmp(buf, "file", 4), "readlinkat relative to a dir fd");
	int lfd = open(at("link"), O_PATH | O_NOFOLLOW);
	n = readlinkat(lfd, "", buf, sizeof buf);
	ok(n == 4 && !memcmp(buf, "file", 4), "readlinkat(O_PATH|O_NOFOLLOW fd, \"\")");
	n = readlinkat(lfd, "", buf, 3);
	ok(n == 3 && !memcmp(buf, "fil", 3), "readlinkat of an fd truncates too");
	fails_with(readlinkat(lfd, "", buf, 0), EINVAL, "readlinkat(fd, \"\") with a zero size");
	fails_with(readlinkat(lfd, "x", buf, sizeof buf), ENOTDIR,
		   "readlinkat relative to a symlink fd");
	close(lfd);
	int ffd = open(at("file"), O_RDONLY);
	fails_with(readlinkat(ffd, "", buf, sizeof buf), ENOENT, "readlinkat(file fd, \"\")");
	fails_with(readlinkat(ffd, "x", buf, sizeof buf), ENOTDIR, "readlinkat relative to a file fd");
	close(ffd);
	fails_with(readlinkat(dfd, "", buf, sizeof buf), ENOENT, "readlinkat(dir fd, \"\")");
	fails_with(readlinkat(AT_FDCWD, "", buf, sizeof buf), ENOENT, "readlinkat(AT_FDCWD, \"\")");
	fails_with(readlinkat(9999, "", buf, sizeof buf), EBADF, "readlinkat(bad fd, \"\")");
	fails_with(readlinkat(9999, "x", buf, sizeof buf), EBADF, "readlinkat relative to a bad fd");
	n = readlinkat(9999, at("link"), buf, sizeof buf);
	ok(n == 4, "readlinkat with an absolute path ignores dirfd");
	fails_with(readlinkat(dfd, "file", buf, sizeof buf), EINVAL, "readlinkat of a file");
	fails_with(readlinkat(dfd, NULL, buf, sizeof buf), EFAULT, "readlinkat(NULL)");
	close(dfd);

	const char *names[] = { "file", "link", "dlink", "sub/dangling", "abs", "loop1", "loop2", "chain" };
	int bad = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		bad += unlink(at(names[i])) != 0;
	ok(bad == 0, "unlink the scratch files");
	ok(rmdir(at("sub")) == 0 && rmdir(dir) == 0, "cleanup");
	return tap_done();
}
