/* unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink,
 * symlinkat: success and error paths, in Linux's order.
 *
 * Every call goes through syscall() so the very system call under test
 * runs whatever libc would have chosen. */
#include "tap.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char D[256], C[256];

/* A path inside the /tmp scratch directory (several at once). */
#define P(name) tap_join(D, name)


/* The first bytes of a file, "" when it cannot be read. */
static const char *get(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static ino_t ino(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static void test_unlink(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	int ffd = open(P("f"), O_RDONLY);

	tap_put(P("u1"), "x");
	succeeds(syscall(SYS_unlink, P("u1")), "unlink a file");
	ok(!exists(P("u1")), "the file is gone");
	fails_with(syscall(SYS_unlink, P("u1")), ENOENT, "unlink a missing file");
	fails_with(syscall(SYS_unlink, P("nodir/x")), ENOENT, "unlink under a missing directory");
	fails_with(syscall(SYS_unlink, P("f/x")), ENOTDIR, "unlink under a file");
	fails_with(syscall(SYS_unlink, P("f/")), ENOTDIR, "unlink a file with a trailing slash");
	fails_with(syscall(SYS_unlink, P("dir")), EISDIR, "unlink a directory");
	fails_with(syscall(SYS_unlink, P("dir/")), EISDIR, "unlink a directory with a trailing slash");
	fails_with(syscall(SYS_unlink, P("dir/.")), EISDIR, "unlink of '.'");
	fails_with(syscall(SYS_unlink, P("dir/..")), EISDIR, "unlink of '..'");
	fails_with(syscall(SYS_unlink, P("nodir/..")), ENOENT, "unlink of '..' under a missing directory");
	fails_with(syscall(SYS_unlink, "/"), EISDIR, "unlink of /");
	fails_with(syscall(SYS_unlink, ""), ENOENT, "unlink of an empty path");
	fails_with(syscall(SYS_unlink, NULL), EFAULT, "unlink of NULL");
	fails_with(syscall(SYS_unlink, (char *)1), EFAULT, "unlink of a bad pointer");
	fails_with(syscall(SYS_unlink, P("loop1/x")), ELOOP, "unlink through a symlink loop");

	/* A symlink is removed itself, never its target. */
	tap_put(P("u2"), "keep");
	symlink("u2", P("u2link"));
	succeeds(syscall(SYS_unlink, P("u2link")), "unlink a symlink");
	ok(!exists(P("u2link")) && !strcmp(get(P("u2")), "keep"), "the target stays");
	unlink(P("u2"));
	symlink("dir", P("dirlink"));
	fails_with(syscall(SYS_unlink, P("dirlink/")), ENOTDIR,
		   "unlink of a symlink to a directory with a trailing slash");
	succeeds(syscall(SYS_unlink, P("dirlink")), "unlink a symlink to a directory");

	/* unlinkat */
	tap_put(P("u3"), "x");
	succeeds(syscall(SYS_unlinkat, dfd, "u3", 0), "unlinkat relative to a dirfd");
	ok(!exists(P("u3")), "unlinkat removed it");
	fails_with(syscall(SYS_unlinkat, dfd, "dir", 0), EISDIR, "unlinkat a directory");
	fails_with(syscall(SYS_unlinkat, dfd, "x", 1), EINVAL, "unlinkat with a bad flag");
	fails_with(syscall(SYS_unlinkat, dfd, NULL, 0x8000), EINVAL,
		   "unlinkat checks flags before the path");
	fails_with(syscall(SYS_unlinkat, dfd, "x", AT_REMOVEDIR | AT_SYMLINK_NOFOLLOW), EINVAL,
		   "unlinkat AT_REMOVEDIR with another flag");
	fails_with(syscall(SYS_unlinkat, 9999, "x", 0), EBADF, "unlinkat with a bad dirfd");
	fails_with(syscall(SYS_unlinkat, ffd, "x", 0), ENOTDIR, "unlinkat relative to a file fd");
	tap_put(P("u4"), "x");
	succeeds(syscall(SYS_unlinkat, 9999, P("u4"), 0), "unlinkat ignores the dirfd of an absolute path");

	/* unlinkat(AT_REMOVEDIR): rmdir semantics. */
	mkdir(P("e"), 0755);
	succeeds(syscall(SYS_unlinkat, dfd, "e", AT_REMOVEDIR), "AT_REMOVEDIR removes an empty directory");
	ok(!exists(P("e")), "the directory is gone");
	mkdir(P("e"), 0755);
	succeeds(syscall(SYS_unlinkat, AT_FDCWD, P("e/"), AT_REMOVEDIR), "AT_REMOVEDIR with a trailing slash");
	fails_with(syscall(SYS_unlinkat, dfd, "full", AT_REMOVEDIR), ENOTEMPTY, "AT_REMOVEDIR of a non-empty directory");
	fails_with(syscall(SYS_unlinkat, dfd, "f", AT_REMOVEDIR), ENOTDIR, "AT_REMOVEDIR of a file");
	fails_with(syscall(SYS_unlinkat, dfd, "missing", AT_REMOVEDIR), ENOENT, "AT_REMOVEDIR of a missing directory");
	fails_with(syscall(SYS_unlinkat, dfd, "dir/.", AT_REMOVEDIR), EINVAL, "AT_REMOVEDIR of '.'");
	fails_with(syscall(SYS_unlinkat, dfd, "dir/..", AT_REMOVEDIR), ENOTEMPTY, "AT_REMOVEDIR of '..'");
	fails_with(syscall(SYS_unlinkat, AT_FDCWD, "/", AT_REMOVEDIR), EBUSY, "AT_REMOVEDIR of /");
	symlink("dir", P("dirlink"));
	fails_with(syscall(SYS_unlinkat, dfd, "dirlink", AT_REMOVEDIR), ENOTDIR, "AT_REMOVEDIR of a symlink");
	unlink(P("dirlink"));
	close(ffd);
	close(dfd);
}

/* /tmp and the current directory: different mounts under picos, maybe the
 * same natively.  Linux answers EXDEV exactly when they differ; st_dev
 * proves a difference, and statx's mount id refines it natively. */
static int mounts_differ(const char *a, const char *b)
{
	struct stat sa, sb;
	struct statx xa, xb;
	if (stat(a, &sa) || stat(b, &sb))
		return -1;
	if (sa.st_dev != sb.st_dev)
		return 1;
	if (statx(AT_FDCWD, a, 0, STATX_MNT_ID, &xa) == 0 &&
	    statx(AT_FDCWD, b, 0, STATX_MNT_ID, &xb) == 0 &&
	    (xa.stx_mask & xb.stx_mask & STATX_MNT_ID) &&
	    xa.stx_mnt_id != xb.stx_mnt_id)
		return 1;
	return 0;
}

static void test_cross(void)
{
	char cf[512], cg[512];
	snprintf(cf, sizeof cf, "%s/cf", C);
	snprintf(cg, sizeof cg, "%s/cg", C);
	tap_put(P("x1"), "cross");

	/* /proc is another mount than /tmp everywhere: EXDEV comes before
	 * ENOENT and before any read-only check. */
	fails_with(syscall(SYS_rename, P("x1"), "/proc/picos-x"), EXDEV, "rename into /proc");
	fails_with(syscall(SYS_rename, "/proc/picos-missing", P("x2")), EXDEV,
		   "rename of a missing file across mounts");
	fails_with(syscall(SYS_link, "/proc", P("x2")), EXDEV, "link from another mount");
	fails_with(syscall(SYS_link, "/proc", P("x1")), EEXIST,
		   "link across mounts onto an existing name");
	fails_with(syscall(SYS_link, "/proc", P("nodir/x")), ENOENT,
		   "link across mounts under a missing directory");

	int differ = mounts_differ(D, C);
	ok(differ >= 0, "stat both scratch directories");
	errno = 0;
	long r = syscall(SYS_rename, P("x1"), cf);
	int e = errno;
	if (differ == 1) {
		ok(r == -1 && e == EXDEV, "rename /tmp -> cwd on different mounts fails with EXDEV");
	} else {
		/* Same st_dev: one file system, maybe two mounts of it. */
		ok(r == 0 || e == EXDEV, "rename /tmp -> cwd succeeds or fails with EXDEV (%s)",
		   r == 0 ? "moved" : strerror(e));
	}
	ok(r == 0 ? !exists(P("x1")) && !strcmp(get(cf), "cross")
		  : exists(P("x1")) && !exists(cf),
	   "the file is where the result says");
	if (r == 0)
		ok(syscall(SYS_rename, cf, P("x1")) == 0, "and back");
	errno = 0;
	long l = syscall(SYS_link, P("x1"), cg);
	ok((l == 0) == (r == 0) && (l == 0 || errno == EXDEV),
	   "link /tmp -> cwd agrees with rename (%s)", l == 0 ? "linked" : strerror(errno));
	if (l == 0)
		unlink(cg);
	/* Through a symlink in /tmp to the cwd scratch: the same answer, as
	 * the mount is the one the symlink leads to. */
	char abs[512], via[512];
	if (getcwd(abs, sizeof abs - 64))
		strcat(strcat(abs, "/"), C);
	symlink(abs, P("tocwd"));
	snprintf(via, sizeof via, "%s/x3", P("tocwd"));
	errno = 0;
	l = syscall(SYS_rename, P("x1"), via);
	ok((l == 0) == (r == 0) && (l == 0 || errno == EXDEV),
	   "rename through a symlink to the cwd agrees (%s)", l == 0 ? "moved" : strerror(errno));
	if (l == 0)
		syscall(SYS_rename, via, P("x1"));
	/* ".." after a symlink is the target's parent: the cwd itself. */
	snprintf(via, sizeof via, "%s/../picos-conf-link-x4", P("tocwd"));
	errno = 0;
	l = syscall(SYS_rename, P("x1"), via);
	ok((l == 0) == (r == 0) && (l == 0 || errno == EXDEV),
	   "rename to the symlink's '..' agrees (%s)", l == 0 ? "moved" : strerror(errno));
	ok(l == 0 ? exists("picos-conf-link-x4") : exists(P("x1")), "the file is where the result says");
	if (l == 0)
		syscall(SYS_rename, "picos-conf-link-x4", P("x1"));
	unlink(P("tocwd"));
	errno = 0;
	l = syscall(SYS_link, P("x1"), C);
	ok(l == -1 && errno == EEXIST, "link onto an existing name in the other mount: EEXIST before EXDEV");
	unlink(P("x1"));
}

static void test_rename(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);

	tap_put(P("r1"), "one");
	succeeds(syscall(SYS_rename, P("r1"), P("r2")), "rename a file");
	ok(!exists(P("r1")) && !strcmp(get(P("r2")), "one"), "it moved");
	tap_put(P("r3"), "three");
	succeeds(syscall(SYS_rename, P("r2"), P("r3")), "rename over an existing file");
	ok(!exists(P("r2")) && !strcmp(get(P("r3")), "one"), "the target was replaced");
	succeeds(syscall(SYS_rename, P("r3"), P("r3")), "rename a file onto itself");
	link(P("r3"), P("r3h"));
	succeeds(syscall(SYS_rename, P("r3"), P("r3h")), "rename onto a hard link of itself");
	ok(exists(P("r3")) && exists(P("r3h")), "both names stay");
	unlink(P("r3h"));

	fails_with(syscall(SYS_rename, P("missing"), P("r4")), ENOENT, "rename a missing file");
	fails_with(syscall(SYS_rename, P("r3"), P("nodir/r4")), ENOENT, "rename into a missing directory");
	fails_with(syscall(SYS_rename, P("nodir/a"), P("nodir2/b")), ENOENT, "rename with both parents missing");
	fails_with(syscall(SYS_rename, P("r3"), P("f/x")), ENOTDIR, "rename under a file");
	fails_with(syscall(SYS_rename, P("r3/"), P("r4")), ENOTDIR, "rename a file with a trailing slash");
	fails_with(syscall(SYS_rename, P("r3"), P("r4/")), ENOTDIR, "rename a file to a name with a trailing slash");
	fails_with(syscall(SYS_rename, P("dir"), P("dir/sub/x")), EINVAL, "rename a directory into itself");
	fails_with(syscall(SYS_rename, P("dir"), P("r3")), ENOTDIR, "rename a directory over a file");
	fails_with(syscall(SYS_rename, P("r3"), P("dir")), EISDIR, "rename a file over a directory");
	fails_with(syscall(SYS_rename, P("dir"), P("full")), ENOTEMPTY, "rename over a non-empty directory");
	fails_with(syscall(SYS_rename, P("dir/sub"), P("dir")), ENOTEMPTY, "rename a directory onto its parent");
	fails_with(syscall(SYS_rename, P("dir/."), P("r5")), EBUSY, "rename of '.'");
	fails_with(syscall(SYS_rename, P("r3"), P("dir/..")), EBUSY, "rename onto '..'");
	fails_with(syscall(SYS_rename, "/", "/picos-r5"), EBUSY, "rename of /");
	fails_with(syscall(SYS_rename, P("loop1/a"), P("r5")), ELOOP, "rename through a symlink loop");
	fails_with(syscall(SYS_rename, "", P("r5")), ENOENT, "rename of an empty path");
	fails_with(syscall(SYS_rename, NULL, P("r5")), EFAULT, "rename of NULL");
	fails_with(syscall(SYS_rename, P("r3"), NULL), EFAULT, "rename to NULL");
	fails_with(syscall(SYS_rename, P("missing"), (char *)1), EFAULT,
		   "both parents resolve before a missing source is seen");
	fails_with(syscall(SYS_renameat, 9999, "x", AT_FDCWD, NULL), EBADF,
		   "the source's parent resolves before the target's");

	/* Directories and symlinks. */
	mkdir(P("rd"), 0755);
	succeeds(syscall(SYS_rename, P("rd"), P("rd2/")), "rename a directory with a trailing slash");
	mkdir(P("rd3"), 0755);
	succeeds(syscall(SYS_rename, P("rd2"), P("rd3")), "rename a directory over an empty one");
	ok(!exists(P("rd2")) && exists(P("rd3")), "the directory moved");
	rmdir(P("rd3"));
	symlink("r3", P("rl"));
	succeeds(syscall(SYS_rename, P("rl"), P("rl2")), "rename a symlink");
	char tgt[64] = { 0 };
	ok(readlink(P("rl2"), tgt, sizeof tgt - 1) == 2 && !strcmp(tgt, "r3"),
	   "the symlink itself moved");
	unlink(P("rl2"));

	/* renameat, renameat2 */
	succeeds(syscall(SYS_renameat, dfd, "r3", dfd, "r6"), "renameat relative to dirfds");
	fails_with(syscall(SYS_renameat, 9999, "r6", dfd, "r7"), EBADF, "renameat with a bad dirfd");
	tap_put(P("r7"), "seven");
	fails_with(syscall(SYS_renameat2, dfd, "r6", dfd, "r7", RENAME_NOREPLACE), EEXIST,
		   "RENAME_NOREPLACE over an existing file");
	fails_with(syscall(SYS_renameat2, dfd, "r6", dfd, "dir/..", RENAME_NOREPLACE), EEXIST,
		   "RENAME_NOREPLACE onto '..'");
	succeeds(syscall(SYS_renameat2, dfd, "r6", dfd, "r8", RENAME_NOREPLACE),
		 "RENAME_NOREPLACE to a new name");
	succeeds(syscall(SYS_renameat2, dfd, "r8", dfd, "r7", RENAME_EXCHANGE),
		 "RENAME_EXCHANGE of two files");
	ok(!strcmp(get(P("r8")), "seven") && !strcmp(get(P("r7")), "one"), "the files swapped");
	succeeds(syscall(SYS_renameat2, dfd, "r8", dfd, "dir", RENAME_EXCHANGE),
		 "RENAME_EXCHANGE of a file and a directory");
	ok(exists(P("r8/sub")) && !strcmp(get(P("dir")), "seven"), "they swapped");
	syscall(SYS_renameat2, dfd, "r8", dfd, "dir", RENAME_EXCHANGE);
	fails_with(syscall(SYS_renameat2, dfd, "r7", dfd, "r9", RENAME_EXCHANGE), ENOENT,
		   "RENAME_EXCHANGE with a missing target");
	fails_with(syscall(SYS_renameat2, dfd, "r7", dfd, "r8", RENAME_EXCHANGE | RENAME_NOREPLACE),
		   EINVAL, "RENAME_EXCHANGE|RENAME_NOREPLACE");
	fails_with(syscall(SYS_renameat2, dfd, "r7", dfd, "r8", RENAME_EXCHANGE | RENAME_WHITEOUT),
		   EINVAL, "RENAME_EXCHANGE|RENAME_WHITEOUT");
	fails_with(syscall(SYS_renameat2, dfd, "r7", dfd, "r8", 0x80), EINVAL, "renameat2 with an unknown flag");
	fails_with(syscall(SYS_renameat2, dfd, NULL, dfd, NULL, 0x80), EINVAL,
		   "renameat2 checks flags before the paths");
	if (geteuid() == 0) {
		/* RENAME_WHITEOUT needs CAP_MKNOD: leaves a 0:0 char device. */
		struct stat st;
		succeeds(syscall(SYS_renameat2, dfd, "r7", dfd, "r9", RENAME_WHITEOUT), "RENAME_WHITEOUT");
		ok(lstat(P("r7"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0 && exists(P("r9")),
		   "a whiteout is left behind");
		unlink(P("r9"));
	}
	unlink(P("r7"));
	unlink(P("r8"));
	close(dfd);
}

static void test_link(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	struct stat st;
	char buf[512];

	tap_put(P("l1"), "link");
	succeeds(syscall(SYS_link, P("l1"), P("l2")), "link a file");
	ok(ino(P("l1")) == ino(P("l2")) && stat(P("l1"), &st) == 0 && st.st_nlink == 2,
	   "same inode, two links");
	fails_with(syscall(SYS_link, P("l1"), P("l2")), EEXIST, "link onto an existing name");
	fails_with(syscall(SYS_link, P("l1"), P("dir/")), EEXIST, "link onto an existing directory with a slash");
	fails_with(syscall(SYS_link, P("l1"), P("l3/")), ENOENT, "link to a new name with a trailing slash");
	fails_with(syscall(SYS_link, P("missing"), P("l3")), ENOENT, "link of a missing file");
	fails_with(syscall(SYS_link, P("missing"), P("l2")), ENOENT, "the source is looked up first");
	fails_with(syscall(SYS_link, P("l1/"), P("l3")), ENOTDIR, "link of a file with a trailing slash");
	fails_with(syscall(SYS_link, P("dir"), P("l3")), EPERM, "link of a directory");
	fails_with(syscall(SYS_link, P("l1"), P("nodir/l3")), ENOENT, "link into a missing directory");
	fails_with(syscall(SYS_link, P("l1"), P("f/l3")), ENOTDIR, "link under a file");
	fails_with(syscall(SYS_link, P("l1"), P("dir/..")), EEXIST, "link onto '..'");
	succeeds(syscall(SYS_link, P("loop1"), P("l3")), "link of a looping symlink links the symlink");
	unlink(P("l3"));
	fails_with(syscall(SYS_link, NULL, P("l3")), EFAULT, "link of NULL");
	fails_with(syscall(SYS_link, P("l1"), NULL), EFAULT, "link to NULL");
	fails_with(syscall(SYS_link, "", P("l3")), ENOENT, "link of an empty path");

	/* link() does not follow a final symlink; AT_SYMLINK_FOLLOW does. */
	symlink("l1", P("ls"));
	succeeds(syscall(SYS_link, P("ls"), P("ls2")), "link a symlink");
	ok(ino(P("ls2")) == ino(P("ls")) && lstat(P("ls2"), &st) == 0 && S_ISLNK(st.st_mode),
	   "the new name is the symlink itself");
	succeeds(syscall(SYS_linkat, AT_FDCWD, P("ls"), AT_FDCWD, P("ls3"), AT_SYMLINK_FOLLOW),
		 "linkat AT_SYMLINK_FOLLOW");
	ok(ino(P("ls3")) == ino(P("l1")), "the new name is the target");
	fails_with(syscall(SYS_linkat, AT_FDCWD, P("loop1"), AT_FDCWD, P("l4"), AT_SYMLINK_FOLLOW),
		   ELOOP, "AT_SYMLINK_FOLLOW through a loop");
	fails_with(syscall(SYS_linkat, dfd, "l1", dfd, "l4", 0x1), EINVAL, "linkat with a bad flag");
	fails_with(syscall(SYS_linkat, dfd, NULL, dfd, NULL, 0x1), EINVAL, "linkat checks flags first");
	succeeds(syscall(SYS_linkat, dfd, "l1", dfd, "l4", 0), "linkat relative to dirfds");
	fails_with(syscall(SYS_linkat, 9999, "l1", dfd, "l5", 0), EBADF, "linkat with a bad source dirfd");
	fails_with(syscall(SYS_linkat, dfd, "l1", 9999, "l5", 0), EBADF, "linkat with a bad target dirfd");

	/* AT_EMPTY_PATH: the fd itself. */
	int fd = open(P("l1"), O_RDONLY);
	fails_with(syscall(SYS_linkat, fd, "", dfd, "l5", 0), ENOENT, "an empty path without AT_EMPTY_PATH");
	succeeds(syscall(SYS_linkat, fd, "", dfd, "l5", AT_EMPTY_PATH), "linkat AT_EMPTY_PATH");
	ok(ino(P("l5")) == ino(P("l1")), "it linked the fd's file");
	close(fd);
	fd = open(P("ls"), O_PATH | O_NOFOLLOW);
	succeeds(syscall(SYS_linkat, fd, "", dfd, "l6", AT_EMPTY_PATH), "linkat AT_EMPTY_PATH of an O_PATH symlink");
	ok(lstat(P("l6"), &st) == 0 && S_ISLNK(st.st_mode), "it linked the symlink");
	close(fd);
	fails_with(syscall(SYS_linkat, 9999, "", dfd, "l7", AT_EMPTY_PATH), EBADF, "AT_EMPTY_PATH with a bad fd");
	snprintf(buf, sizeof buf, "%s/l7", C);
	fails_with(syscall(SYS_linkat, AT_FDCWD, "", AT_FDCWD, buf, AT_EMPTY_PATH), EPERM,
		   "AT_EMPTY_PATH with AT_FDCWD names the cwd, a directory");

	const char *names[] = { "l1", "l2", "ls", "ls2", "ls3", "l4", "l5", "l6" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		unlink(P(names[i]));
	close(dfd);
}

static void test_symlink(void)
{
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	char buf[4200];
	ssize_t n;

	const char *t = "some//target/../x/";
	succeeds(syscall(SYS_symlink, t, P("s1")), "symlink");
	n = readlink(P("s1"), buf, sizeof buf - 1);
	ok(n == (ssize_t)strlen(t) && !memcmp(buf, t, (size_t)n), "the target is stored verbatim");
	fails_with(syscall(SYS_symlink, "x", P("s1")), EEXIST, "symlink onto an existing name");
	fails_with(syscall(SYS_symlink, "x", P("f")), EEXIST, "symlink onto an existing file");
	fails_with(syscall(SYS_symlink, "x", P("dir/")), EEXIST, "symlink onto a directory with a slash");
	fails_with(syscall(SYS_symlink, "x", P("dir/.")), EEXIST, "symlink onto '.'");
	fails_with(syscall(SYS_symlink, "x", "/"), EEXIST, "symlink onto /");
	fails_with(syscall(SYS_symlink, "x", P("s2/")), ENOENT, "symlink to a new name with a trailing slash");
	fails_with(syscall(SYS_symlink, "", P("s2")), ENOENT, "symlink with an empty target");
	fails_with(syscall(SYS_symlink, "x", ""), ENOENT, "symlink at an empty path");
	fails_with(syscall(SYS_symlink, "x", P("nodir/s2")), ENOENT, "symlink under a missing directory");
	fails_with(syscall(SYS_symlink, "x", P("f/s2")), ENOTDIR, "symlink under a file");
	fails_with(syscall(SYS_symlink, "x", P("loop1/s2")), ELOOP, "symlink under a symlink loop");
	fails_with(syscall(SYS_symlink, NULL, P("s2")), EFAULT, "symlink with a NULL target");
	fails_with(syscall(SYS_symlink, "x", NULL), EFAULT, "symlink at NULL");
	fails_with(syscall(SYS_symlink, NULL, NULL), EFAULT, "symlink with both NULL");
	fails_with(syscall(SYS_symlink, "", NULL), ENOENT, "the target is checked first");
	memset(buf, 'a', sizeof buf);
	buf[4096] = 0;
	fails_with(syscall(SYS_symlink, buf, P("s2")), ENAMETOOLONG, "symlink with a target of PATH_MAX bytes");

	/* A dangling symlink is fine; one through a symlinked directory
	 * lands in the directory it points to. */
	succeeds(syscall(SYS_symlink, "nowhere", P("s3")), "a dangling symlink");
	symlink("dir", P("sdir"));
	succeeds(syscall(SYS_symlink, "x", P("sdir/s4")), "symlink through a symlinked directory");
	ok(exists(P("dir/s4")), "it is in the target directory");
	succeeds(syscall(SYS_symlinkat, "y", dfd, "s5"), "symlinkat relative to a dirfd");
	n = readlink(P("s5"), buf, sizeof buf);
	ok(n == 1 && buf[0] == 'y', "readlink of it");
	fails_with(syscall(SYS_symlinkat, "y", 9999, "s6"), EBADF, "symlinkat with a bad dirfd");
	int ffd = open(P("f"), O_RDONLY);
	fails_with(syscall(SYS_symlinkat, "y", ffd, "s6"), ENOTDIR, "symlinkat relative to a file fd");
	close(ffd);
	succeeds(syscall(SYS_symlinkat, "y", 9999, P("s6")), "symlinkat ignores the dirfd of an absolute path");

	const char *names[] = { "s1", "s3", "sdir", "dir/s4", "s5", "s6" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		unlink(P(names[i]));
	close(dfd);
}

int main(void)
{
	snprintf(D, sizeof D, "%s", tap_scratch("link"));
	snprintf(C, sizeof C, "picos-conf-link-%d", (int)getpid());
	ok(mkdir(D, 0755) == 0, "mkdir scratch");
	ok(mkdir(C, 0755) == 0, "mkdir scratch in the cwd");
	tap_put(P("f"), "file");
	mkdir(P("dir"), 0755);
	mkdir(P("dir/sub"), 0755);
	mkdir(P("full"), 0755);
	tap_put(P("full/x"), "x");
	symlink("loop2", P("loop1"));
	symlink("loop1", P("loop2"));

	test_unlink();
	test_rename();
	test_link();
	test_symlink();
	test_cross();

	const char *names[] = { "f", "full/x", "loop1", "loop2" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		unlink(P(names[i]));
	rmdir(P("full"));
	rmdir(P("dir/sub"));
	rmdir(P("dir"));
	ok(rmdir(D) == 0, "cleanup");
	ok(rmdir(C) == 0, "cleanup in the cwd");
	return tap_done();
}
