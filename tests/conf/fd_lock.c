/* fcntl record locks (POSIX and OFD) and flock, within one process, and
 * how close and dup2 release them. */
#include "tap.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bad pointers, hidden from the compiler's buffer checks. */
static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}
#define WINDOW hide(0x7e0000001000UL)
#define BADP hide(1)

static struct flock lk(short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fl;
}

/* The type of the lock an OFD lock request on `fd` would meet. */
static int ofd_conflict(int fd, struct flock *out)
{
	struct flock fl = lk(F_WRLCK, 0, 0);
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -1;
	if (out)
		*out = fl;
	return fl.l_type;
}

static void posix_locks(const char *path)
{
	int fd = open(path, O_RDWR), other = open(path, O_RDWR);
	struct flock fl = lk(F_WRLCK, 10, 20), got = { 0 };
	ok(fcntl(fd, F_SETLK, &fl) == 0, "F_SETLK a write lock");
	fl = lk(F_WRLCK, 0, 0);
	ok(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK, "F_GETLK: the process's own lock never conflicts");
	ok(ofd_conflict(other, &got) == F_WRLCK && got.l_start == 10 && got.l_len == 20 &&
		   got.l_pid == getpid(),
	   "F_OFD_GETLK sees the POSIX lock with the caller's pid (%d)", (int)got.l_pid);
	fl = lk(F_RDLCK, 15, 1);
	fails_with(fcntl(other, F_OFD_SETLK, &fl), EAGAIN, "an OFD lock conflicts with the POSIX lock");
	fl = lk(F_WRLCK, 40, 5);
	ok(fcntl(other, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK outside the locked range");
	fl = lk(F_WRLCK, 0, 0);
	ok(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_start == 40 && fl.l_pid == -1,
	   "F_GETLK sees the OFD lock (l_pid -1)");
	fl = lk(F_WRLCK, 40, 1);
	fails_with(fcntl(fd, F_SETLK, &fl), EAGAIN, "a POSIX lock conflicts with the OFD lock");
	fl = lk(F_UNLCK, 40, 5);
	ok(fcntl(other, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK unlock");
	fl = lk(F_WRLCK, 40, 1);
	ok(fcntl(fd, F_SETLKW, &fl) == 0, "F_SETLKW without contention");

	/* Closing any fd of the file drops the process's POSIX locks: a dup
	 * of the locking fd and an fd opened on its own alike. */
	int d = dup(fd);
	ok(close(d) == 0 && ofd_conflict(other, NULL) == F_UNLCK, "closing a dup releases the POSIX locks");
	fl = lk(F_WRLCK, 0, 0);
	ok(fcntl(fd, F_SETLK, &fl) == 0 && ofd_conflict(other, NULL) == F_WRLCK, "lock again");
	int third = open(path, O_RDONLY);
	ok(close(third) == 0 && ofd_conflict(other, NULL) == F_UNLCK,
	   "closing another fd of the file releases them");
	fl = lk(F_WRLCK, 0, 0);
	fcntl(fd, F_SETLK, &fl);
	d = dup(fd);
	int t = open(path, O_RDONLY);
	ok(dup2(t, d) == d && ofd_conflict(other, NULL) == F_UNLCK, "dup2 over a dup releases them");
	close(t);
	close(d);
	fl = lk(F_WRLCK, 0, 0);
	fcntl(fd, F_SETLK, &fl);
	fl = lk(F_UNLCK, 0, 0);
	ok(fcntl(fd, F_SETLK, &fl) == 0 && ofd_conflict(other, NULL) == F_UNLCK, "F_SETLK unlock");

	/* OFD locks belong to the open file description: dups share them. */
	fl = lk(F_WRLCK, 0, 10);
	ok(fcntl(other, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK");
	d = dup(other);
	fl = lk(F_WRLCK, 0, 10);
	ok(fcntl(d, F_OFD_SETLK, &fl) == 0, "a dup holds the same OFD lock");
	ok(close(d) == 0 && ofd_conflict(fd, &got) == F_WRLCK && got.l_pid == -1,
	   "closing the dup keeps the OFD lock");
	ok(close(other) == 0 && ofd_conflict(fd, NULL) == F_UNLCK, "closing the last fd drops it");

	/* Error paths. */
	int ro = open(path, O_RDONLY), p = open(path, O_PATH);
	ok(p >= 0, "open O_PATH");
	fl = lk(F_WRLCK, 0, 0);
	fails_with(fcntl(ro, F_SETLK, &fl), EBADF, "a write lock on a read-only fd");
	fl = lk(F_RDLCK, 0, 0);
	ok(fcntl(ro, F_SETLK, &fl) == 0, "a read lock on a read-only fd");
	fails_with(fcntl(p, F_SETLK, &fl), EBADF, "F_SETLK on an O_PATH fd");
	fails_with(fcntl(p, F_GETLK, &fl), EBADF, "F_GETLK on an O_PATH fd");
	fails_with(fcntl(fd, F_SETLK, BADP), EFAULT, "F_SETLK with a bad pointer");
	fails_with(fcntl(fd, F_GETLK, WINDOW), EFAULT, "F_GETLK with the struct in the provider window");
	fails_with(fcntl(12345, F_SETLK, BADP), EBADF, "the fd is checked before the pointer");
	fl = lk(99, 0, 0);
	fails_with(fcntl(fd, F_SETLK, &fl), EINVAL, "a bad lock type");
	fl = lk(F_RDLCK, 0, 0);
	fl.l_whence = 7;
	fails_with(fcntl(fd, F_SETLK, &fl), EINVAL, "a bad whence");
	fl = lk(F_RDLCK, -5, 1);
	fails_with(fcntl(fd, F_SETLK, &fl), EINVAL, "a lock before the start of the file");
	fl = lk(F_RDLCK, 0, 0);
	fl.l_pid = 1;
	fails_with(fcntl(fd, F_OFD_GETLK, &fl), EINVAL, "F_OFD_GETLK with l_pid set");
	close(ro);
	close(p);
	close(fd);
}

static void flocks(const char *path, const char *path2)
{
	int fd = open(path, O_RDWR), other = open(path, O_RDONLY);
	ok(flock(fd, LOCK_EX) == 0, "flock LOCK_EX");
	fails_with(flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK, "another open file description conflicts");
	fails_with(flock(other, LOCK_SH | LOCK_NB), EWOULDBLOCK, "a shared lock conflicts too");
	int d = dup(fd);
	ok(flock(d, LOCK_SH) == 0, "a dup converts the same lock");
	ok(flock(other, LOCK_SH | LOCK_NB) == 0, "two shared locks");
	ok(flock(other, LOCK_UN) == 0, "LOCK_UN");
	ok(flock(d, LOCK_EX | LOCK_NB) == 0 && close(d) == 0, "closing a dup keeps the lock");
	fails_with(flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK, "still locked");
	ok(close(fd) == 0 && flock(other, LOCK_EX | LOCK_NB) == 0, "closing the last fd releases it");
	flock(other, LOCK_UN);

	/* dup2 onto an fd closes the file it had. */
	int b = open(path2, O_RDWR), b2 = open(path2, O_RDONLY);
	fd = open(path, O_RDONLY);
	ok(flock(b, LOCK_EX) == 0, "lock the second file");
	fails_with(flock(b2, LOCK_EX | LOCK_NB), EWOULDBLOCK, "it conflicts");
	ok(dup2(fd, b) == b && flock(b2, LOCK_EX | LOCK_NB) == 0, "dup2 onto its fd closed it");
	close(b);
	close(b2);

	fails_with(flock(fd, 0), EINVAL, "flock with no operation");
	fails_with(flock(fd, LOCK_NB), EINVAL, "flock with only LOCK_NB");
	fails_with(flock(fd, LOCK_SH | LOCK_EX), EINVAL, "flock with LOCK_SH|LOCK_EX");
	fails_with(flock(12345, LOCK_EX), EBADF, "flock on a bad fd");
	int p = open(path, O_PATH);
	ok(p >= 0, "open O_PATH");
	fails_with(flock(p, LOCK_EX), EBADF, "flock on an O_PATH fd");
	close(p);
	close(fd);
	close(other);
}

/* Another process's lock shows that process's pid. */
static void lock_of_child(const char *path)
{
	int fd = open(path, O_RDWR);
	int go[2], done[2];
	if (pipe(go) < 0 || pipe(done) < 0)
		return;
	pid_t c = fork();
	if (c == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
		char b;
		if (fcntl(fd, F_SETLK, &fl) < 0 || write(go[1], "l", 1) != 1)
			_exit(1);
		if (read(done[0], &b, 1) != 1)
			_exit(2);
		_exit(0);
	}
	char b;
	ok(read(go[0], &b, 1) == 1, "a child takes a write lock");
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4 };
	ok(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == c,
	   "F_GETLK names the child's pid (%d, got %d)", (int)c, (int)fl.l_pid);
	if (write(done[1], "d", 1) != 1)
		perror("write");
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child ends");
	close(fd);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

int main(void)
{
	const char *dir = tap_scratch("fd_lock");
	char path[512], path2[512];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(path, sizeof path, "%s/file", dir);
	snprintf(path2, sizeof path2, "%s/other", dir);
	int fd = open(path, O_CREAT | O_RDWR, 0600), o = open(path2, O_CREAT | O_RDWR, 0600);
	ok(fd >= 0 && o >= 0 && write(fd, "0123456789", 10) == 10, "set up two files");
	close(fd);
	close(o);

	posix_locks(path);
	flocks(path, path2);
	lock_of_child(path);

	unlink(path);
	unlink(path2);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
