/* /proc as a process sees itself: the self and thread-self links, the
 * exe, cwd, root and fd links, reopening fds through /proc/self/fd and
 * /dev/fd (files and pipes), fdinfo, the fd and task listings, pid
 * directories that come and go with their processes, and re-executing
 * /proc/self/exe. */
#include "tap.h"
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char link_buf[PATH_MAX];

/* readlink into link_buf, NUL-terminated; NULL on error. */
static const char *link_of(const char *path)
{
	ssize_t n = readlink(path, link_buf, sizeof link_buf - 1);
	if (n < 0)
		return NULL;
	link_buf[n] = 0;
	return link_buf;
}

static int link_is(const char *path, const char *want)
{
	const char *got = link_of(path);
	if (!got || strcmp(got, want) != 0) {
		printf("#   %s -> %s (want %s)\n", path, got ? got : strerror(errno), want);
		return 0;
	}
	return 1;
}

static const char *fd_path(int fd)
{
	static char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return p;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "reexec") == 0)
		return 7;
	char want[PATH_MAX], exe[PATH_MAX];

	snprintf(want, sizeof want, "%d", (int)getpid());
	ok(link_is("/proc/self", want), "/proc/self -> the pid");
	snprintf(want, sizeof want, "%d/task/%d", (int)getpid(), (int)syscall(SYS_gettid));
	ok(link_is("/proc/thread-self", want), "/proc/thread-self -> pid/task/tid");
	ok(realpath(argv[0], exe) && link_is("/proc/self/exe", exe), "/proc/self/exe -> the program's real path");
	snprintf(want, sizeof want, "/proc/%d/exe", (int)getpid());
	ok(link_is(want, exe), "/proc/<pid>/exe -> the same");
	ok(getcwd(want, sizeof want) && link_is("/proc/self/cwd", want), "/proc/self/cwd -> getcwd");
	ok(chdir("/") == 0 && link_is("/proc/self/cwd", "/"), "after chdir(\"/\"), cwd -> /");
	ok(link_is("/proc/self/root", "/"), "/proc/self/root -> /");

	struct stat a, b, l;
	ok(stat("/proc/self", &a) == 0 && S_ISDIR(a.st_mode), "stat(/proc/self) is a directory");
	snprintf(want, sizeof want, "/proc/%d", (int)getpid());
	ok(stat(want, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev,
	   "/proc/self and /proc/<pid> are one directory");
	ok(lstat("/proc/self/exe", &l) == 0 && S_ISLNK(l.st_mode), "lstat(/proc/self/exe) is a symlink");
	ok(stat("/proc/self/exe", &a) == 0 && stat(exe, &b) == 0 && a.st_ino == b.st_ino,
	   "stat(/proc/self/exe) is the program file");
	int st_fd = open("/proc/self/status", O_RDONLY);
	char buf[4096];
	ok(st_fd >= 0 && read(st_fd, buf, sizeof buf) > 0 && memcmp(buf, "Name:", 5) == 0,
	   "/proc/self/status reads, starting with Name:");
	close(st_fd);

	/* fd links name the file; reopening gives a new open file. */
	const char *dir = tap_scratch("procfs");
	mkdir(dir, 0700);
	const char *file = tap_join(dir, "f");
	tap_put(file, "hello procfs");
	char real[PATH_MAX];
	int fd = open(file, O_RDONLY);
	ok(fd >= 0 && realpath(file, real) && link_is(fd_path(fd), real), "/proc/self/fd/N -> the file's path");
	ok(dup2(fd, 100) == 100 && link_is(fd_path(100), real), "a dup2'd fd 100 names the same file");
	close(100);
	errno = 0;
	ok(link_of(fd_path(100)) == NULL && errno == ENOENT, "a closed fd's link is ENOENT");
	fails_with(open(fd_path(100), O_RDONLY), ENOENT, "open(/proc/self/fd/<closed>)");
	ok(lseek(fd, 6, SEEK_SET) == 6, "lseek the file to 6");
	int again = open(fd_path(fd), O_RDONLY);
	ok(again >= 0 && again != fd && read(again, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0,
	   "open(/proc/self/fd/N) reopens at offset 0");
	ok(lseek(fd, 0, SEEK_CUR) == 6, "the original offset stays 6");
	close(again);
	snprintf(want, sizeof want, "/dev/fd/%d", fd);
	again = open(want, O_RDONLY);
	ok(again >= 0 && read(again, buf, 12) == 12 && memcmp(buf, "hello procfs", 12) == 0,
	   "open(/dev/fd/N) reads the file");
	close(again);
	snprintf(want, sizeof want, "/proc/self/fdinfo/%d", fd);
	int fi = open(want, O_RDONLY);
	ssize_t n = fi >= 0 ? read(fi, buf, sizeof buf - 1) : -1;
	if (n >= 0)
		buf[n] = 0;
	ok(n > 0 && strncmp(buf, "pos:\t6\n", 7) == 0, "fdinfo/N says pos 6");
	close(fi);
	close(fd);

	/* The fd directory lists exactly the open fds. */
	fd = open(file, O_RDONLY);
	ok(fd >= 0 && dup2(fd, 77) == 77, "dup2 to 77");
	DIR *d = opendir("/proc/self/fd");
	int seen_fd = 0, seen_77 = 0, seen_dot = 0, listed = 0, closed = 0;
	int dfd = d ? dirfd(d) : -1;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
			seen_dot++;
			continue;
		}
		int n = atoi(de->d_name);
		seen_fd |= n == fd;
		seen_77 |= n == 77 && de->d_type == DT_LNK;
		if (n == dfd)
			continue;
		listed++;
		if (fcntl(n, F_GETFD) == -1) {
			printf("#   fd %s is listed but not open\n", de->d_name);
			closed++;
		}
	}
	int open_fds = 0; /* what the listing should hold, besides its own */
	for (int n = 0; n < 1024; n++)
		open_fds += n != dfd && fcntl(n, F_GETFD) != -1;
	ok(seen_dot == 2 && seen_fd && seen_77 && closed == 0 && listed == open_fds,
	   "readdir(/proc/self/fd): . and .., every open fd and no other (%d listed, %d open), 77 a link",
	   listed, open_fds);
	if (d) {
		rewinddir(d);
		de = readdir(d);
		ok(de && de->d_name[0] == '.', "rewinddir starts the listing again");
		closedir(d);
	}
	/* Room for no record: EINVAL, as for any directory. */
	const char *lists[] = { "/proc/self/fd", "/proc/self/task" };
	for (int i = 0; i < 2; i++) {
		char what[64];
		int ld = open(lists[i], O_RDONLY | O_DIRECTORY);
		for (int room = 0; room <= 10; room += 10) {
			snprintf(what, sizeof what, "getdents64(%s) with room %d", lists[i], room);
			fails_with(syscall(SYS_getdents64, ld, buf, room), EINVAL, what);
		}
		close(ld);
	}
	close(77);
	close(fd);

	/* A pipe has no path: its link is pipe:[ino], and opening the write
	 * end's link writes into the same pipe. */
	int p[2];
	ok(pipe(p) == 0, "pipe");
	const char *pl = link_of(fd_path(p[1]));
	ok(pl && strncmp(pl, "pipe:[", 6) == 0, "a pipe's fd link is pipe:[...] (%s)", pl ? pl : "?");
	int w = open(fd_path(p[1]), O_WRONLY);
	ok(w >= 0 && write(w, "via", 3) == 3 && read(p[0], buf, 3) == 3 && memcmp(buf, "via", 3) == 0,
	   "writing to a reopened /proc/self/fd/<pipe> reaches the pipe");
	close(w);

	/* A child's directory exists while it lives. */
	char cdir[64];
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], buf, 1) == 0 ? 0 : 1);
	}
	snprintf(cdir, sizeof cdir, "/proc/%d", (int)pid);
	ok(pid > 0 && stat(cdir, &a) == 0 && S_ISDIR(a.st_mode), "a live child's /proc/<pid> exists");
	close(p[1]);
	int cst;
	ok(waitpid(pid, &cst, 0) == pid && WIFEXITED(cst) && WEXITSTATUS(cst) == 0, "the child ends");
	fails_with(stat(cdir, &a), ENOENT, "stat(/proc/<reaped child>)");
	close(p[0]);

	/* A forked child sees its own links. */
	pid = fork();
	if (pid == 0) {
		char self[32];
		snprintf(self, sizeof self, "%d", (int)getpid());
		const char *s = link_of("/proc/self");
		const char *e = s && strcmp(s, self) == 0 ? link_of("/proc/self/exe") : NULL;
		_exit(e && strcmp(e, exe) == 0 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &cst, 0) == pid && WIFEXITED(cst) && WEXITSTATUS(cst) == 0,
	   "a forked child: /proc/self is its pid, exe the same program");

	/* /proc/self/exe runs the program again (busybox does this). */
	pid = fork();
	if (pid == 0) {
		char *args[] = { "again", "reexec", NULL };
		execv("/proc/self/exe", args);
		_exit(99);
	}
	ok(pid > 0 && waitpid(pid, &cst, 0) == pid && WIFEXITED(cst) && WEXITSTATUS(cst) == 7,
	   "execv(/proc/self/exe) runs this program again");

	unlink(file);
	rmdir(dir);
	return tap_done();
}
