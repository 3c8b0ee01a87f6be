/* chmod, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat,
 * umask, truncate, utimensat, utimes, futimesat, utime: success and
 * error paths.  Calls go through syscall() so each system call is the one
 * under test whatever libc would do. */
#include "tap.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef UTIME_NOW
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#endif

static char D[256];

/* A path inside the /tmp scratch directory (several at once). */
#define P(name) tap_join(D, name)


static unsigned mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_mode & 07777 : 0xffff;
}

static struct stat lst(const char *path)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	lstat(path, &st);
	return st;
}

static void test_chmod(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	struct stat st;

	succeeds(syscall(SYS_chmod, P("f"), 0600), "chmod");
	ok(mode_of(P("f")) == 0600, "mode is 0600 (%o)", mode_of(P("f")));
	succeeds(syscall(SYS_chmod, P("f"), 04751), "chmod with setuid");
	ok(mode_of(P("f")) == 04751, "mode is 04751 (%o)", mode_of(P("f")));
	succeeds(syscall(SYS_chmod, P("f"), 0170644), "chmod ignores file-type bits");
	ok(mode_of(P("f")) == 0644 && S_ISREG(lst(P("f")).st_mode), "still a regular file, 0644");
	fails_with(syscall(SYS_chmod, P("missing"), 0644), ENOENT, "chmod a missing file");
	fails_with(syscall(SYS_chmod, P("f/x"), 0644), ENOTDIR, "chmod under a file");
	fails_with(syscall(SYS_chmod, P("f/"), 0644), ENOTDIR, "chmod a file with a trailing slash");
	fails_with(syscall(SYS_chmod, "", 0644), ENOENT, "chmod an empty path");
	fails_with(syscall(SYS_chmod, NULL, 0644), EFAULT, "chmod NULL");
	fails_with(syscall(SYS_chmod, P("loop1"), 0644), ELOOP, "chmod a symlink loop");

	/* Symlinks: chmod follows; fchmodat2(AT_SYMLINK_NOFOLLOW) refuses. */
	succeeds(syscall(SYS_chmod, P("sym"), 0640), "chmod through a symlink");
	ok(mode_of(P("f")) == 0640, "the target changed");
	fails_with(syscall(SYS_fchmodat2, AT_FDCWD, P("sym"), 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP,
		   "fchmodat2 AT_SYMLINK_NOFOLLOW on a symlink");
	ok(mode_of(P("f")) == 0640, "the target did not change");
	succeeds(syscall(SYS_fchmodat2, AT_FDCWD, P("f"), 0604, AT_SYMLINK_NOFOLLOW),
		 "fchmodat2 AT_SYMLINK_NOFOLLOW on a file");
	ok(mode_of(P("f")) == 0604, "mode is 0604");
	fails_with(syscall(SYS_fchmodat2, AT_FDCWD, P("f"), 0600, 0x1), EINVAL, "fchmodat2 with a bad flag");
	fails_with(syscall(SYS_fchmodat2, AT_FDCWD, NULL, 0600, 0x1), EINVAL, "fchmodat2 checks flags first");
	succeeds(syscall(SYS_fchmodat, dfd, "f", 0620), "fchmodat relative to a dirfd");
	ok(mode_of(P("f")) == 0620, "mode is 0620");
	fails_with(syscall(SYS_fchmodat, 9999, "f", 0620), EBADF, "fchmodat with a bad dirfd");
	int ffd = open(P("f"), O_RDONLY);
	fails_with(syscall(SYS_fchmodat, ffd, "x", 0620), ENOTDIR, "fchmodat relative to a file fd");
	fails_with(syscall(SYS_fchmodat2, ffd, "", 0600, 0), ENOENT, "an empty path without AT_EMPTY_PATH");
	succeeds(syscall(SYS_fchmodat2, ffd, "", 0611, AT_EMPTY_PATH), "fchmodat2 AT_EMPTY_PATH");
	ok(mode_of(P("f")) == 0611, "mode is 0611");
	int pfd = open(P("f"), O_PATH);
	succeeds(syscall(SYS_fchmodat2, pfd, "", 0612, AT_EMPTY_PATH), "fchmodat2 AT_EMPTY_PATH on an O_PATH fd");
	ok(mode_of(P("f")) == 0612, "mode is 0612");

	/* fchmod */
	succeeds(syscall(SYS_fchmod, ffd, 0644), "fchmod");
	ok(fstat(ffd, &st) == 0 && (st.st_mode & 07777) == 0644, "mode is 0644");
	fails_with(syscall(SYS_fchmod, pfd, 0600), EBADF, "fchmod of an O_PATH fd");
	fails_with(syscall(SYS_fchmod, 9999, 0600), EBADF, "fchmod of a bad fd");
	int dfd2 = open(P("dir"), O_RDONLY | O_DIRECTORY);
	succeeds(syscall(SYS_fchmod, dfd2, 0711), "fchmod of a directory");
	ok(mode_of(P("dir")) == 0711, "mode is 0711");
	syscall(SYS_fchmod, dfd2, 0755);
	close(dfd2);
	close(pfd);
	close(ffd);
	close(dfd);
}

static void test_chown(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	struct stat before = lst(P("f")), st;
	uid_t uid = getuid();
	gid_t gid = getgid();

	succeeds(syscall(SYS_chown, P("f"), -1, -1), "chown -1 -1");
	st = lst(P("f"));
	ok(st.st_uid == before.st_uid && st.st_gid == before.st_gid, "ownership unchanged");
	ok(st.st_uid == uid && st.st_gid == gid, "a new file is ours (%d:%d)", (int)st.st_uid, (int)st.st_gid);
	succeeds(syscall(SYS_chown, P("f"), uid, gid), "chown to ourselves");
	st = lst(P("f"));
	ok(st.st_uid == uid && st.st_gid == gid, "still ours");
	fails_with(syscall(SYS_chown, P("missing"), uid, gid), ENOENT, "chown a missing file");
	fails_with(syscall(SYS_chown, P("f/x"), uid, gid), ENOTDIR, "chown under a file");
	fails_with(syscall(SYS_chown, NULL, uid, gid), EFAULT, "chown NULL");
	fails_with(syscall(SYS_chown, "", uid, gid), ENOENT, "chown an empty path");
	fails_with(syscall(SYS_chown, P("loop1"), uid, gid), ELOOP, "chown a symlink loop");
	fails_with(syscall(SYS_fchownat, dfd, "f", uid, gid, 0x1), EINVAL, "fchownat with a bad flag");
	fails_with(syscall(SYS_fchownat, dfd, NULL, uid, gid, 0x1), EINVAL, "fchownat checks flags first");
	fails_with(syscall(SYS_fchownat, 9999, "f", uid, gid, 0), EBADF, "fchownat with a bad dirfd");
	fails_with(syscall(SYS_fchown, 9999, uid, gid), EBADF, "fchown of a bad fd");
	int pfd = open(P("f"), O_PATH);
	fails_with(syscall(SYS_fchown, pfd, uid, gid), EBADF, "fchown of an O_PATH fd");

	if (geteuid() == 0) {
		/* Root may give files away: chown, lchown and fchownat agree. */
		succeeds(syscall(SYS_chown, P("f"), 12345, 23456), "chown to another user");
		st = lst(P("f"));
		ok(st.st_uid == 12345 && st.st_gid == 23456, "owner 12345:23456 (%d:%d)",
		   (int)st.st_uid, (int)st.st_gid);
		succeeds(syscall(SYS_chown, P("f"), -1, gid), "chown the group only");
		st = lst(P("f"));
		ok(st.st_uid == 12345 && st.st_gid == gid, "the user stayed");
		succeeds(syscall(SYS_lchown, P("sym"), 4321, -1), "lchown a symlink");
		ok(lst(P("sym")).st_uid == 4321 && lst(P("f")).st_uid == 12345,
		   "the link changed, not its target");
		succeeds(syscall(SYS_chown, P("sym"), uid, -1), "chown through a symlink");
		ok(lst(P("f")).st_uid == uid && lst(P("sym")).st_uid == 4321, "the target changed");
		succeeds(syscall(SYS_fchownat, dfd, "sym", 4322, -1, AT_SYMLINK_NOFOLLOW),
			 "fchownat AT_SYMLINK_NOFOLLOW");
		ok(lst(P("sym")).st_uid == 4322, "the link changed");
		succeeds(syscall(SYS_fchownat, pfd, "", 777, -1, AT_EMPTY_PATH), "fchownat AT_EMPTY_PATH on an O_PATH fd");
		ok(lst(P("f")).st_uid == 777, "the fd's file changed");
		int fd = open(P("f"), O_RDONLY);
		succeeds(syscall(SYS_fchown, fd, uid, gid), "fchown");
		st = lst(P("f"));
		ok(st.st_uid == uid && st.st_gid == gid, "ours again");
		close(fd);
		syscall(SYS_lchown, P("sym"), uid, gid);
	} else {
		fails_with(syscall(SYS_chown, P("f"), 12345, -1), EPERM, "chown to another user");
		fails_with(syscall(SYS_lchown, P("sym"), 12345, -1), EPERM, "lchown to another user");
	}
	close(pfd);
	close(dfd);
}

static void test_umask(void)
{
	mode_t old = (mode_t)syscall(SYS_umask, 027);
	ok((mode_t)syscall(SYS_umask, 077) == 027, "umask returns the previous mask");
	int fd = open(P("um1"), O_CREAT | O_WRONLY, 0666);
	close(fd);
	ok(mode_of(P("um1")) == 0600, "umask 077 applies to open (%o)", mode_of(P("um1")));
	mkdir(P("um2"), 0777);
	ok(mode_of(P("um2")) == 0700, "and to mkdir (%o)", mode_of(P("um2")));
	syscall(SYS_umask, 0);
	fd = open(P("um3"), O_CREAT | O_WRONLY, 0666);
	close(fd);
	ok(mode_of(P("um3")) == 0666, "umask 0 keeps the mode (%o)", mode_of(P("um3")));
	syscall(SYS_umask, 01777);
	ok((mode_t)syscall(SYS_umask, 022) == 0777, "umask keeps only the permission bits");
	syscall(SYS_chmod, P("um3"), 0777);
	ok(mode_of(P("um3")) == 0777, "chmod ignores the umask");
	syscall(SYS_umask, old);
	unlink(P("um1"));
	rmdir(P("um2"));
	unlink(P("um3"));
}

static void test_truncate(void)
{
	struct stat st;
	char buf[16];

	tap_put(P("t"), "0123456789");
	succeeds(syscall(SYS_truncate, P("t"), 4), "truncate shorter");
	ok(stat(P("t"), &st) == 0 && st.st_size == 4, "size 4");
	succeeds(syscall(SYS_truncate, P("t"), 8), "truncate longer");
	int fd = open(P("t"), O_RDONLY);
	ok(read(fd, buf, sizeof buf) == 8 && !memcmp(buf, "0123\0\0\0\0", 8), "zero-filled");
	close(fd);
	succeeds(syscall(SYS_truncate, P("tsym"), 2), "truncate through a symlink");
	ok(stat(P("t"), &st) == 0 && st.st_size == 2, "the target changed");
	fails_with(syscall(SYS_truncate, P("t"), -1L), EINVAL, "truncate to a negative length");
	fails_with(syscall(SYS_truncate, P("missing"), -1L), EINVAL, "a negative length before a missing file");
	fails_with(syscall(SYS_truncate, P("dir"), -1L), EINVAL, "a negative length before a directory");
	fails_with(syscall(SYS_truncate, NULL, -1L), EINVAL, "a negative length before a bad path");
	fails_with(syscall(SYS_truncate, NULL, 0), EFAULT, "truncate NULL");
	fails_with(syscall(SYS_truncate, P("dir"), 0), EISDIR, "truncate a directory");
	fails_with(syscall(SYS_truncate, P("missing"), 0), ENOENT, "truncate a missing file");
	fails_with(syscall(SYS_truncate, P("t/x"), 0), ENOTDIR, "truncate under a file");
	fails_with(syscall(SYS_truncate, P("t/"), 0), ENOTDIR, "truncate with a trailing slash");
	fails_with(syscall(SYS_truncate, "", 0), ENOENT, "truncate an empty path");
	fails_with(syscall(SYS_truncate, P("loop1"), 0), ELOOP, "truncate a symlink loop");
	fails_with(syscall(SYS_truncate, "/dev/null", 0), EINVAL, "truncate a device");
	unlink(P("t"));
}

static int ts_is(struct timespec t, long sec, long nsec)
{
	return t.tv_sec == sec && t.tv_nsec == nsec;
}

static void test_utimes(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	struct timespec ts[2] = { { 1000, 500 }, { 2000, 600 } };
	struct stat st;
	time_t now = time(NULL);

	tap_put(P("u"), "x");
	succeeds(syscall(SYS_utimensat, AT_FDCWD, P("u"), ts, 0), "utimensat");
	st = lst(P("u"));
	ok(ts_is(st.st_atim, 1000, 500) && ts_is(st.st_mtim, 2000, 600), "atime and mtime set");
	struct timespec om[2] = { { 0, UTIME_OMIT }, { 3000, 0 } };
	succeeds(syscall(SYS_utimensat, AT_FDCWD, P("u"), om, 0), "utimensat with UTIME_OMIT");
	st = lst(P("u"));
	ok(ts_is(st.st_atim, 1000, 500) && ts_is(st.st_mtim, 3000, 0), "atime kept, mtime set");
	struct timespec nw[2] = { { 0, UTIME_NOW }, { 5, UTIME_OMIT } };
	succeeds(syscall(SYS_utimensat, AT_FDCWD, P("u"), nw, 0), "utimensat with UTIME_NOW");
	st = lst(P("u"));
	ok(st.st_atim.tv_sec >= now && ts_is(st.st_mtim, 3000, 0), "atime now, mtime kept");
	syscall(SYS_utimensat, AT_FDCWD, P("u"), ts, 0);
	succeeds(syscall(SYS_utimensat, AT_FDCWD, P("u"), NULL, 0), "utimensat with NULL times");
	st = lst(P("u"));
	ok(st.st_atim.tv_sec >= now && st.st_mtim.tv_sec >= now, "both now");

	struct timespec omit2[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	succeeds(syscall(SYS_utimensat, AT_FDCWD, P("missing"), omit2, 0),
		 "both UTIME_OMIT does not even look at the path");
	succeeds(syscall(SYS_utimensat, AT_FDCWD, NULL, omit2, 0x1234), "nor at the flags");
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("u"), bad, 0), EINVAL, "nsec of 10^9");
	bad[0].tv_nsec = -1;
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("u"), bad, 0), EINVAL, "negative nsec");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("missing"), bad, 0), ENOENT,
		   "the path is looked up before nsec is checked");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("u"), (void *)1, 0), EFAULT, "a bad times pointer");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("u"), ts, 0x1), EINVAL, "a bad flag");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("missing"), ts, 0), ENOENT, "a missing file");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("u/x"), ts, 0), ENOTDIR, "under a file");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, P("loop1"), ts, 0), ELOOP, "a symlink loop");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, "", ts, 0), ENOENT, "an empty path");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT, "a NULL path with AT_FDCWD");
	fails_with(syscall(SYS_utimensat, 9999, "u", ts, 0), EBADF, "a bad dirfd");

	/* Symlinks: followed unless AT_SYMLINK_NOFOLLOW. */
	symlink("u", P("usym"));
	struct timespec t2[2] = { { 7000, 1 }, { 8000, 2 } };
	succeeds(syscall(SYS_utimensat, dfd, "usym", t2, AT_SYMLINK_NOFOLLOW), "AT_SYMLINK_NOFOLLOW");
	ok(ts_is(lst(P("usym")).st_mtim, 8000, 2) && ts_is(lst(P("u")).st_mtim, 2000, 600) == 0,
	   "the link changed");
	succeeds(syscall(SYS_utimensat, dfd, "usym", ts, 0), "through a symlink");
	ok(ts_is(lst(P("u")).st_mtim, 2000, 600) && ts_is(lst(P("usym")).st_mtim, 8000, 2),
	   "the target changed, not the link");

	/* A NULL path with a real fd: the fd itself (futimens). */
	int fd = open(P("u"), O_RDONLY);
	succeeds(syscall(SYS_utimensat, fd, NULL, t2, 0), "utimensat(fd, NULL)");
	ok(ts_is(lst(P("u")).st_mtim, 8000, 2), "the fd's file changed");
	fails_with(syscall(SYS_utimensat, fd, NULL, t2, AT_SYMLINK_NOFOLLOW), EINVAL,
		   "utimensat(fd, NULL) with a flag");
	fails_with(syscall(SYS_utimensat, 9999, NULL, t2, 0), EBADF, "utimensat(bad fd, NULL)");
	int pfd = open(P("u"), O_PATH);
	fails_with(syscall(SYS_utimensat, pfd, NULL, t2, 0), EBADF, "utimensat(O_PATH fd, NULL)");
	succeeds(syscall(SYS_utimensat, pfd, "", ts, AT_EMPTY_PATH), "AT_EMPTY_PATH on an O_PATH fd");
	ok(ts_is(lst(P("u")).st_mtim, 2000, 600), "the fd's file changed");
	fails_with(syscall(SYS_utimensat, pfd, "", ts, 0), ENOENT, "an empty path without AT_EMPTY_PATH");
	close(pfd);

	/* utimes, futimesat, utime */
	struct timeval tv[2] = { { 100, 7 }, { 200, 8 } };
	succeeds(syscall(SYS_utimes, P("u"), tv), "utimes");
	st = lst(P("u"));
	ok(ts_is(st.st_atim, 100, 7000) && ts_is(st.st_mtim, 200, 8000), "microseconds scaled");
	succeeds(syscall(SYS_utimes, P("u"), NULL), "utimes NULL");
	ok(lst(P("u")).st_mtim.tv_sec >= now, "now");
	tv[1].tv_usec = 1000000;
	fails_with(syscall(SYS_utimes, P("u"), tv), EINVAL, "utimes with usec of 10^6");
	tv[1].tv_usec = UTIME_NOW;
	fails_with(syscall(SYS_utimes, P("u"), tv), EINVAL, "utimes refuses UTIME_NOW");
	fails_with(syscall(SYS_utimes, P("missing"), tv), EINVAL, "utimes checks the times first");
	tv[1].tv_usec = 9;
	fails_with(syscall(SYS_utimes, P("missing"), tv), ENOENT, "utimes a missing file");
	fails_with(syscall(SYS_utimes, P("u"), (void *)1), EFAULT, "utimes with a bad pointer");
	succeeds(syscall(SYS_futimesat, dfd, "u", tv), "futimesat relative to a dirfd");
	ok(ts_is(lst(P("u")).st_mtim, 200, 9000), "mtime set");
	tv[1].tv_sec = 300;
	succeeds(syscall(SYS_futimesat, fd, NULL, tv), "futimesat(fd, NULL)");
	ok(ts_is(lst(P("u")).st_mtim, 300, 9000), "the fd's file changed");
	fails_with(syscall(SYS_futimesat, AT_FDCWD, NULL, tv), EFAULT, "futimesat(AT_FDCWD, NULL)");
	struct utimbuf ub = { 400, 500 };
	succeeds(syscall(SYS_utime, P("u"), &ub), "utime");
	st = lst(P("u"));
	ok(ts_is(st.st_atim, 400, 0) && ts_is(st.st_mtim, 500, 0), "whole seconds");
	succeeds(syscall(SYS_utime, P("u"), NULL), "utime NULL");
	ok(lst(P("u")).st_mtim.tv_sec >= now, "now");
	fails_with(syscall(SYS_utime, P("u"), (void *)1), EFAULT, "utime with a bad pointer");
	fails_with(syscall(SYS_utime, P("missing"), &ub), ENOENT, "utime a missing file");
	fails_with(syscall(SYS_utime, NULL, &ub), EFAULT, "utime NULL");
	close(fd);
	unlink(P("usym"));
	unlink(P("u"));
	close(dfd);
}

int main(void)
{
	snprintf(D, sizeof D, "%s", tap_scratch("attr"));
	ok(mkdir(D, 0755) == 0, "mkdir scratch");
	tap_put(P("f"), "file");
	syscall(SYS_chmod, P("f"), 0644);
	mkdir(P("dir"), 0755);
	symlink("f", P("sym"));
	symlink("t", P("tsym"));
	symlink("loop2", P("loop1"));
	symlink("loop1", P("loop2"));

	test_chmod();
	test_chown();
	test_umask();
	test_truncate();
	test_utimes();

	const char *names[] = { "f", "sym", "tsym", "loop1", "loop2" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		unlink(P(names[i]));
	rmdir(P("dir"));
	ok(rmdir(D) == 0, "cleanup");
	return tap_done();
}
