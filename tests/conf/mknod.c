/* mknod and mknodat: fifos, sockets and regular files (type 0 too) with
 * the umask applied; the errors Linux gives in its order: an unknown
 * type (EINVAL) and a directory (EPERM) before the path, EEXIST before
 * ENOENT for "name/" and before EROFS, ENOENT and ENOTDIR in the path,
 * EBADF/ENOTDIR for the dirfd, EFAULT; device nodes EPERM for an
 * unprivileged caller (after EEXIST and the directory's EACCES). */
#include "tap.h"
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

static const char *dir;
static const char *at(const char *name) { return tap_join(dir, name); }

static mode_t mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}

/* A raw mknod, so libc adds nothing (glibc's mknod is mknodat). */
static long mk(const char *path, unsigned mode, unsigned dev)
{
	return syscall(SYS_mknod, path, mode, dev);
}

static void types(void)
{
	ok(mk(at("fifo"), S_IFIFO | 0666, 0) == 0 && mode_of(at("fifo")) == (S_IFIFO | 0644),
	   "mknod S_IFIFO 0666 under umask 022 (0%o)", mode_of(at("fifo")));
	ok(mk(at("sock"), S_IFSOCK | 0600, 0) == 0 && mode_of(at("sock")) == (S_IFSOCK | 0600),
	   "mknod S_IFSOCK");
	ok(mk(at("reg"), S_IFREG | 0640, 0) == 0 && mode_of(at("reg")) == (S_IFREG | 0640),
	   "mknod S_IFREG");
	ok(mk(at("zero"), 0, 0) == 0 && mode_of(at("zero")) == S_IFREG, "mknod of type 0 is a regular file");
	ok(mk(at("reg2"), 0777, 0) == 0 && mode_of(at("reg2")) == (S_IFREG | 0755),
	   "mknod of type 0 with permissions");
	mode_t old = umask(0);
	ok(mk(at("fifo0"), S_IFIFO | 0666, 0) == 0 && mode_of(at("fifo0")) == (S_IFIFO | 0666),
	   "mknod under umask 0");
	ok(mk(at("sticky"), S_IFIFO | 01777, 0) == 0 &&
		   (mode_of(at("sticky")) & 07777) == 01777,
	   "mknod keeps the sticky bit");
	umask(old);
	ok(mk(at("high"), 0x10000 | S_IFIFO | 0600, 0) == 0 &&
		   mode_of(at("high")) == (S_IFIFO | 0600),
	   "bits above a umode_t are dropped");

	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(mknodat(dfd, "at_fifo", S_IFIFO | 0600, 0) == 0 &&
		   S_ISFIFO(mode_of(at("at_fifo"))),
	   "mknodat relative to a directory fd");
	int pfd = open(dir, O_PATH);
	ok(mknodat(pfd, "at_path", S_IFREG | 0600, 0) == 0 &&
		   S_ISREG(mode_of(at("at_path"))),
	   "mknodat relative to an O_PATH fd");
	ok(mknodat(12345, at("at_abs"), S_IFIFO | 0600, 0) == 0, "mknodat with an absolute path ignores dirfd");
	int ffd = open(at("reg"), O_RDONLY);
	fails_with(mknodat(ffd, "x", S_IFIFO | 0600, 0), ENOTDIR, "mknodat relative to a file fd");
	fails_with(mknodat(12345, "x", S_IFIFO | 0600, 0), EBADF, "mknodat relative to a bad fd");
	close(ffd);
	close(pfd);
	close(dfd);

	/* The fifo is a fifo: a reader and a writer meet. */
	int r = open(at("fifo"), O_RDONLY | O_NONBLOCK);
	int w = open(at("fifo"), O_WRONLY);
	char buf[8] = { 0 };
	ok(r >= 0 && w >= 0 && write(w, "hi", 2) == 2 && read(r, buf, 8) == 2 && !strcmp(buf, "hi"),
	   "data through the fifo");
	close(r);
	close(w);
}

static void errors(int root)
{
	fails_with(mk(at("fifo"), S_IFIFO | 0600, 0), EEXIST, "mknod of an existing name");
	fails_with(mk(at("fifo/"), S_IFIFO | 0600, 0), EEXIST, "mknod of an existing name with a slash");
	fails_with(mk(at("new/"), S_IFIFO | 0600, 0), ENOENT, "mknod of a new name with a trailing slash");
	fails_with(mk(at("."), S_IFIFO | 0600, 0), EEXIST, "mknod of .");
	fails_with(mk("/", S_IFIFO | 0600, 0), EEXIST, "mknod of /");
	fails_with(mk(at("nodir/x"), S_IFIFO | 0600, 0), ENOENT, "mknod under a missing directory");
	fails_with(mk(at("reg/x"), S_IFIFO | 0600, 0), ENOTDIR, "mknod under a file");
	fails_with(mk("", S_IFIFO | 0600, 0), ENOENT, "mknod of an empty path");
	fails_with(mk(hide(1), S_IFIFO | 0600, 0), EFAULT, "mknod of a bad pointer");
	fails_with(mk(at("bad"), 0030000 | 0600, 0), EINVAL, "mknod of an unknown type");
	fails_with(mk(at("nodir/x"), 0170000 | 0600, 0), EINVAL, "the type is checked before the path");
	fails_with(mk(at("d"), S_IFDIR | 0700, 0), EPERM, "mknod of a directory");
	fails_with(mk(at("nodir/x"), S_IFDIR | 0700, 0), EPERM, "S_IFDIR is refused before the path");
	fails_with(mk(at("fifo"), S_IFCHR | 0600, makedev(1, 3)), EEXIST,
		   "a char device over an existing name: EEXIST first");
	fails_with(mk(at("nodir/x"), S_IFBLK | 0600, makedev(7, 0)), ENOENT,
		   "a block device under a missing directory: ENOENT first");
	if (!root) {
		fails_with(mk(at("null"), S_IFCHR | 0666, makedev(1, 3)), EPERM,
			   "mknod of a char device (unprivileged)");
		fails_with(mk(at("loop"), S_IFBLK | 0600, makedev(7, 0)), EPERM,
			   "mknod of a block device (unprivileged)");
		ok(mode_of(at("null")) == 0 && mode_of(at("loop")) == 0, "no device node was made");
		ok(mkdir(at("ro"), 0555) == 0, "a directory without write permission");
		fails_with(mk(at("ro/f"), S_IFIFO | 0600, 0), EACCES, "mknod in it");
		fails_with(mk(at("ro/c"), S_IFCHR | 0600, makedev(1, 3)), EACCES,
			   "a device node in it: EACCES before EPERM");
		rmdir(at("ro"));
	}
}

/* "/" is read-only under picos (and may be natively): EEXIST and ENOENT
 * come before EROFS. */
static void readonly(int root)
{
	struct statfs sf;
	int ro = statfs("/", &sf) == 0 && (sf.f_flags & ST_RDONLY);
	char n[64];
	snprintf(n, sizeof n, "/picos-mknod-%d", (int)getpid());
	printf("# / is %s\n", ro ? "read-only" : "writable");
	fails_with(mk("/etc", S_IFIFO | 0600, 0), EEXIST, "mknod of /etc");
	fails_with(mk("/picos-mknod-nodir/x", S_IFIFO | 0600, 0), ENOENT, "mknod under a missing dir in /");
	int want = ro ? EROFS : root ? 0 : EACCES;
	errno = 0;
	long r = mk(n, S_IFIFO | 0600, 0);
	ok(want ? r == -1 && errno == want : r == 0, "mknod of a fifo in / (errno %d, want %d)", errno, want);
	if (r == 0)
		unlink(n);
	if (ro) {
		char ns[70];
		snprintf(ns, sizeof ns, "%s/", n);
		fails_with(mk(ns, S_IFIFO | 0600, 0), ENOENT, "ENOENT for name/ before EROFS");
		fails_with(mk(n, S_IFCHR | 0600, makedev(1, 3)), EROFS, "a device node on a read-only fs");
	}
}

int main(void)
{
	dir = tap_scratch("mknod");
	int root = geteuid() == 0;
	umask(022);
	ok(mkdir(dir, 0755) == 0, "scratch directory");
	types();
	errors(root);
	readonly(root);
	const char *names[] = { "fifo", "sock", "reg", "zero", "reg2", "fifo0", "sticky", "high",
				"at_fifo", "at_path", "at_abs" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		unlink(at(names[i]));
	ok(rmdir(dir) == 0, "the scratch directory is empty again");
	return tap_done();
}
