/* dup, dup2, dup3, fcntl (all but locks) and ioctl: success and error
 * paths. */
#include "tap.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

/* Bad pointers, hidden from the compiler's buffer checks. */
static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}
#define WINDOW hide(0x7e0000001000UL)
#define BADP hide(1)
/* The kernel's O_LARGEFILE (glibc's is 0 on x86-64); open adds it. */
#define KO_LARGEFILE 0100000

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

static int cloexec(int fd)
{
	return fcntl(fd, F_GETFD) == FD_CLOEXEC;
}

static void dups(int fd, const char *path, const char *path2)
{
	lseek(fd, 2, SEEK_SET);
	int d = dup(fd);
	ok(d > fd, "dup returns a new fd (%d)", d);
	ok(pos(d) == 2, "dup shares the offset");
	lseek(d, 5, SEEK_SET);
	ok(pos(fd) == 5, "moving the dup's offset moves the original's");
	char c;
	ok(read(d, &c, 1) == 1 && c == '5' && pos(fd) == 6, "reads through the dup advance the shared offset");
	ok(close(fd) == 0 && pos(d) == 6, "the dup survives closing the original");
	fd = dup2(d, fd);
	ok(fd >= 0, "dup2 back to the original number");
	close(d);
	fails_with(dup(12345), EBADF, "dup of a bad fd");
	fails_with(dup(-1), EBADF, "dup of fd -1");

	/* dup2 onto an open fd replaces it. */
	int other = open(path2, O_RDONLY);
	ok(dup2(fd, other) == other, "dup2 onto an open fd");
	ok(read(other, &c, 1) == 1 && c == '6', "the target now reads the source's file");
	close(other);
	ok(dup2(fd, fd) == fd, "dup2 onto itself returns the fd");
	fails_with(dup2(12345, 12345), EBADF, "dup2 of a bad fd onto itself");
	fails_with(dup2(12345, 100), EBADF, "dup2 of a bad fd");
	fails_with(dup2(fd, -1), EBADF, "dup2 onto fd -1");
	fails_with(dup2(fd, INT_MAX), EBADF, "dup2 onto an fd past RLIMIT_NOFILE");
	fails_with(dup2(12345, INT_MAX), EBADF, "dup2 of a bad fd past the limit");
	ok(dup2(fd, 200) == 200 && pos(200) == pos(fd), "dup2 onto a high fd");
	close(200);

	/* Close-on-exec is the slot's, not the file's. */
	ok(!cloexec(fd), "no FD_CLOEXEC by default");
	d = dup3(fd, 100, O_CLOEXEC);
	ok(d == 100 && cloexec(d) && !cloexec(fd), "dup3 O_CLOEXEC sets it on the new fd only");
	ok(dup2(fd, 100) == 100 && !cloexec(100), "dup2 clears it");
	fcntl(100, F_SETFD, FD_CLOEXEC);
	ok(dup2(100, 100) == 100 && cloexec(100), "dup2 onto itself keeps it");
	ok(dup3(fd, 100, 0) == 100 && !cloexec(100), "dup3 without flags clears it");
	close(100);
	fails_with(dup3(fd, fd, 0), EINVAL, "dup3 onto itself");
	fails_with(dup3(12345, 12345, 0), EINVAL, "dup3 of a bad fd onto itself");
	fails_with(dup3(fd, 100, O_NONBLOCK), EINVAL, "dup3 with flags other than O_CLOEXEC");
	fails_with(dup3(12345, 100, O_NONBLOCK), EINVAL, "dup3 checks flags before the fd");
	fails_with(dup3(12345, 100, 0), EBADF, "dup3 of a bad fd");
	fails_with(dup3(fd, INT_MAX, 0), EBADF, "dup3 onto an fd past the limit");

	int p = open_path(path);
	d = dup(p);
	ok(d >= 0 && fcntl(d, F_GETFL) == O_PATH, "dup of an O_PATH fd");
	close(d);
	close(p);
}

static void fcntls(int fd, const char *path)
{
	ok(fcntl(fd, F_GETFL) == (O_RDWR | KO_LARGEFILE), "F_GETFL");
	int d = fcntl(fd, F_DUPFD, 150);
	ok(d == 150 && !cloexec(d) && pos(d) == pos(fd), "F_DUPFD at a minimum");
	int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 150);
	ok(d2 == 151 && cloexec(d2), "F_DUPFD_CLOEXEC takes the next free fd and sets FD_CLOEXEC");
	close(d2);
	fails_with(fcntl(fd, F_DUPFD, -1), EINVAL, "F_DUPFD with a negative minimum");
	fails_with(fcntl(fd, F_DUPFD, INT_MAX), EINVAL, "F_DUPFD past RLIMIT_NOFILE");
	fails_with(fcntl(fd, F_DUPFD_CLOEXEC, INT_MAX), EINVAL, "F_DUPFD_CLOEXEC past RLIMIT_NOFILE");

	ok(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "F_SETFD FD_CLOEXEC");
	ok(!cloexec(d), "F_SETFD does not touch a dup");
	ok(fcntl(fd, F_SETFD, 0) == 0 && fcntl(fd, F_GETFD) == 0, "F_SETFD 0");
	ok(fcntl(fd, F_SETFD, 3) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "F_SETFD keeps only FD_CLOEXEC");
	fcntl(fd, F_SETFD, 0);
	int oc = open(path, O_RDONLY | O_CLOEXEC);
	ok(cloexec(oc), "O_CLOEXEC shows as FD_CLOEXEC");
	ok(fcntl(oc, F_GETFL) == (O_RDONLY | KO_LARGEFILE), "O_CLOEXEC is not a status flag");

	/* F_SETFL changes the open file description: every dup sees it. */
	ok(fcntl(fd, F_SETFL, O_APPEND) == 0 && fcntl(d, F_GETFL) == (O_RDWR | KO_LARGEFILE | O_APPEND),
	   "F_SETFL O_APPEND shows through the dup");
	struct stat st;
	fstat(fd, &st);
	lseek(fd, 0, SEEK_SET);
	ok(write(fd, "!", 1) == 1 && pos(fd) == st.st_size + 1, "F_SETFL O_APPEND makes writes append");
	ok(fcntl(fd, F_SETFL, O_NONBLOCK | O_WRONLY | O_CREAT | O_TRUNC) == 0 &&
		   fcntl(fd, F_GETFL) == (O_RDWR | KO_LARGEFILE | O_NONBLOCK),
	   "F_SETFL changes only the changeable flags");
	fstat(fd, &st);
	ok(st.st_size > 0, "F_SETFL O_TRUNC does not truncate");
	ok(fcntl(fd, F_SETFL, O_NOATIME) == 0 && (fcntl(fd, F_GETFL) & O_NOATIME),
	   "F_SETFL O_NOATIME by the owner");
	ok(fcntl(fd, F_SETFL, 0) == 0 && fcntl(d, F_GETFL) == (O_RDWR | KO_LARGEFILE), "F_SETFL 0 clears them");
	ok(fcntl(oc, F_SETFL, O_RDWR) == 0 && write(oc, "x", 1) == -1 && errno == EBADF,
	   "F_SETFL cannot change the access mode");
	close(oc);
	close(d);

	fails_with(fcntl(12345, F_GETFD), EBADF, "fcntl on a bad fd");
	fails_with(fcntl(-1, F_GETFL), EBADF, "fcntl on fd -1");
	fails_with(fcntl(fd, 9999), EINVAL, "an unknown fcntl command");
	fails_with(fcntl(fd, F_GETPIPE_SZ), EBADF, "F_GETPIPE_SZ on a file");
	fails_with(fcntl(fd, F_SETPIPE_SZ, 4096), EBADF, "F_SETPIPE_SZ on a file");
	fails_with(fcntl(fd, F_GET_SEALS), EINVAL, "F_GET_SEALS on a file");
	fails_with(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EINVAL, "F_ADD_SEALS on a file");

	/* O_PATH: only the fd-level commands and F_GETFL. */
	int p = open_path(path);
	ok(fcntl(p, F_GETFL) == O_PATH, "F_GETFL on an O_PATH fd");
	d = fcntl(p, F_DUPFD_CLOEXEC, 0);
	ok(d >= 0 && cloexec(d), "F_DUPFD_CLOEXEC on an O_PATH fd");
	close(d);
	ok(fcntl(p, F_SETFD, FD_CLOEXEC) == 0 && cloexec(p), "F_SETFD on an O_PATH fd");
	fails_with(fcntl(p, F_SETFL, O_APPEND), EBADF, "F_SETFL on an O_PATH fd");
	fails_with(fcntl(p, F_GET_SEALS), EBADF, "F_GET_SEALS on an O_PATH fd");
	fails_with(fcntl(p, 9999), EBADF, "an unknown command on an O_PATH fd");
	close(p);
}

static void ioctls(int fd, int dfd, const char *path)
{
	int n = -1;
	struct stat st;
	fstat(fd, &st);
	lseek(fd, 3, SEEK_SET);
	ok(ioctl(fd, FIONREAD, &n) == 0 && n == st.st_size - 3, "FIONREAD counts from the offset (%d)", n);
	fails_with(ioctl(fd, FIONREAD, BADP), EFAULT, "FIONREAD into a bad pointer");
	fails_with(ioctl(fd, FIONREAD, WINDOW), EFAULT, "FIONREAD into the provider window");

	int on = 1;
	ok(ioctl(fd, FIONBIO, &on) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "FIONBIO on sets O_NONBLOCK");
	on = 0;
	ok(ioctl(fd, FIONBIO, &on) == 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK), "FIONBIO off clears it");
	fails_with(ioctl(fd, FIONBIO, BADP), EFAULT, "FIONBIO from a bad pointer");
	fails_with(ioctl(fd, FIONBIO, WINDOW), EFAULT, "FIONBIO from the provider window");

	ok(ioctl(fd, FIOCLEX) == 0 && cloexec(fd), "FIOCLEX");
	ok(ioctl(fd, FIONCLEX) == 0 && !cloexec(fd), "FIONCLEX");

	/* Terminal requests on things that are not terminals. */
	struct termios t;
	struct winsize ws = { 24, 80, 0, 0 };
	fails_with(ioctl(fd, TCGETS, &t), ENOTTY, "TCGETS on a file");
	fails_with(ioctl(fd, TCGETS, BADP), ENOTTY, "TCGETS on a file is ENOTTY before the pointer");
	fails_with(ioctl(fd, TCSETS, WINDOW), ENOTTY, "TCSETS on a file is ENOTTY before the pointer");
	fails_with(ioctl(fd, TIOCSWINSZ, BADP), ENOTTY, "TIOCSWINSZ on a file");
	fails_with(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY, "TIOCGWINSZ on a file");
	fails_with(ioctl(fd, TIOCGPGRP, &n), ENOTTY, "TIOCGPGRP on a file");
	fails_with(ioctl(fd, TIOCGSID, &n), ENOTTY, "TIOCGSID on a file");
	fails_with(ioctl(dfd, TCGETS, &t), ENOTTY, "TCGETS on a directory");
	int null = open("/dev/null", O_RDWR);
	fails_with(ioctl(null, TCGETS, &t), ENOTTY, "TCGETS on /dev/null");
	fails_with(ioctl(null, TIOCGWINSZ, &ws), ENOTTY, "TIOCGWINSZ on /dev/null");
	fails_with(ioctl(null, FIONREAD, &n), ENOTTY, "FIONREAD on /dev/null");
	fails_with(ioctl(null, _IO('x', 0x7f), 0), ENOTTY, "an unknown request on /dev/null");
	fails_with(ioctl(fd, _IO('x', 0x7f), 0), ENOTTY, "an unknown request on a file");
	close(null);

	fails_with(ioctl(12345, FIONREAD, &n), EBADF, "ioctl on a bad fd");
	fails_with(ioctl(12345, FIOCLEX), EBADF, "FIOCLEX on a bad fd");
	int p = open_path(path);
	fails_with(ioctl(p, FIOCLEX), EBADF, "FIOCLEX on an O_PATH fd");
	fails_with(ioctl(p, FIONREAD, &n), EBADF, "FIONREAD on an O_PATH fd");
	close(p);
}

/* close_range closes, or marks close-on-exec, every open fd in a range. */
static void close_ranges(const char *path)
{
	int a = open(path, O_RDONLY);
	ok(a >= 0 && dup2(a, 40) == 40 && dup2(a, 41) == 41 && dup2(a, 45) == 45 && dup2(a, 50) == 50,
	   "dup2 to 40, 41, 45 and 50");
	ok(syscall(SYS_close_range, 41, 45, 0) == 0, "close_range(41, 45)");
	ok(fcntl(40, F_GETFD) == 0, "fd 40 below the range stays open");
	fails_with(fcntl(41, F_GETFD), EBADF, "fd 41 (range start) is closed:");
	fails_with(fcntl(45, F_GETFD), EBADF, "fd 45 (range end) is closed:");
	ok(fcntl(50, F_GETFD) == 0, "fd 50 above the range stays open");
	ok(syscall(SYS_close_range, 40, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0,
	   "close_range(40, ~0, CLOSE_RANGE_CLOEXEC)");
	ok(fcntl(40, F_GETFD) == FD_CLOEXEC && fcntl(50, F_GETFD) == FD_CLOEXEC,
	   "it marks 40 and 50 close-on-exec, still open");
	ok(fcntl(a, F_GETFD) == 0, "an fd below it keeps its flags");
	ok(syscall(SYS_close_range, 2000, 3000, 0) == 0, "close_range over no open fd succeeds");
	fails_with(syscall(SYS_close_range, 50, 40, 0), EINVAL, "close_range(50, 40)");
	fails_with(syscall(SYS_close_range, 40, 50, 1), EINVAL, "close_range with an unknown flag");
	ok(syscall(SYS_close_range, 40, ~0U, 2 /* CLOSE_RANGE_UNSHARE */) == 0,
	   "close_range(40, ~0, CLOSE_RANGE_UNSHARE)");
	fails_with(fcntl(40, F_GETFD), EBADF, "fd 40 is closed:");
	fails_with(fcntl(50, F_GETFD), EBADF, "fd 50 is closed:");
	close(a);
}

int main(void)
{
	const char *dir = tap_scratch("fd");
	char path[512], path2[512];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(path, sizeof path, "%s/file", dir);
	snprintf(path2, sizeof path2, "%s/other", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	int o = open(path2, O_CREAT | O_RDWR, 0600);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(fd >= 0 && o >= 0 && dfd >= 0 && write(fd, "0123456789", 10) == 10 &&
		   write(o, "other", 5) == 5,
	   "set up two files");
	close(o);

	dups(fd, path, path2);
	fcntls(fd, path);
	ioctls(fd, dfd, path);
	close_ranges(path);

	close(fd);
	close(dfd);
	unlink(path);
	unlink(path2);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
