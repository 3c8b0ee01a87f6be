/* Writes under a read-only mount, in Linux's order of errors.
 *
 * Under picos the guest's / is the host's / mounted read-only (the cwd
 * and /tmp are writable); natively / is usually writable.  statfs() tells
 * which: every expectation that depends on it is written for both cases,
 * so the test means something in each run.  Linux's order:
 *   mkdir, symlink, link:          EEXIST (and ENOENT for "name/") beat EROFS
 *   unlink, rmdir, rename:         EROFS once the parent resolves
 *   chmod, chown, utimes, truncate: ENOENT for a missing file, then EROFS;
 *                                  utimensat's EINVAL and truncate's
 *                                  EISDIR/EINVAL come before EROFS.
 * Nothing here changes a file the test did not create itself. */
#include "tap.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif
#ifndef UTIME_NOW
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#endif

static int rdonly(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) != 0)
		return -1;
	return (sf.f_flags & ST_RDONLY) != 0;
}

/* Checks `r`/`errno` against `want`: 0 for success, else an errno. */
#define expect(expr, want, what)                                           \
	do {                                                               \
		int w_ = (want);                                           \
		if (w_ == 0)                                               \
			succeeds(expr, what);                              \
		else                                                       \
			fails_with(expr, w_, what);                        \
	} while (0)

/* A regular file already in / (not in /tmp or the cwd), for the
 * read-only case only: it is never written. */
static const char *existing_file(void)
{
	static const char *cands[] = { "/etc/passwd", "/etc/group", "/etc/hostname",
				       "/etc/hosts" };
	struct stat st;
	for (unsigned i = 0; i < sizeof cands / sizeof *cands; i++)
		if (lstat(cands[i], &st) == 0 && S_ISREG(st.st_mode))
			return cands[i];
	return NULL;
}

int main(void)
{
	const char *dir = tap_scratch("rofs");
	char N[128], N2[128], Nslash[130], tf[512];
	int ro = rdonly("/");
	int root = geteuid() == 0;
	snprintf(N, sizeof N, "/picos-rofs-%d", (int)getpid());
	snprintf(N2, sizeof N2, "/picos-rofs2-%d", (int)getpid());
	snprintf(Nslash, sizeof Nslash, "%s/", N);

	ok(ro >= 0, "statfs /");
	printf("# / is %s, euid %d\n", ro ? "read-only" : "writable", (int)geteuid());
	ok(rdonly("/tmp") == 0, "/tmp is writable");
	ok(rdonly(".") == 0, "the cwd is writable");
	ok(mkdir(dir, 0755) == 0, "mkdir scratch in /tmp");
	snprintf(tf, sizeof tf, "%s/f", dir);
	int fd = open(tf, O_CREAT | O_WRONLY, 0644);
	ok(fd >= 0, "a file in /tmp");
	close(fd);

	/* The same in both runs: errors Linux gives before EROFS. */
	fails_with(mkdir("/", 0755), EEXIST, "mkdir /");
	fails_with(mkdir("/tmp", 0755), EEXIST, "mkdir /tmp");
	fails_with(mkdir("/etc", 0755), EEXIST, "mkdir /etc");
	fails_with(syscall(SYS_symlink, "x", "/etc"), EEXIST, "symlink onto /etc");
	fails_with(syscall(SYS_symlink, "x", "/"), EEXIST, "symlink onto /");
	fails_with(syscall(SYS_symlink, "x", "/etc/"), EEXIST, "symlink onto /etc/");
	fails_with(syscall(SYS_symlink, "x", Nslash), ENOENT, "symlink to a new name with a trailing slash");
	fails_with(syscall(SYS_link, tf, "/etc"), EEXIST, "link onto /etc");
	fails_with(syscall(SYS_link, tf, "/picos-rofs-nodir/x"), ENOENT, "link under a missing directory");
	fails_with(mkdir("/picos-rofs-nodir/x", 0755), ENOENT, "mkdir under a missing directory");
	fails_with(syscall(SYS_symlink, "x", "/picos-rofs-nodir/x"), ENOENT, "symlink under a missing directory");
	fails_with(syscall(SYS_unlink, "/picos-rofs-nodir/x"), ENOENT, "unlink under a missing directory");
	fails_with(syscall(SYS_rmdir, "/picos-rofs-nodir/x"), ENOENT, "rmdir under a missing directory");
	fails_with(syscall(SYS_rename, "/picos-rofs-nodir/a", "/picos-rofs-nodir/b"), ENOENT,
		   "rename under a missing directory");
	fails_with(syscall(SYS_unlink, "/etc/passwd/x"), ENOTDIR, "unlink under a file");
	fails_with(syscall(SYS_unlink, "/."), EISDIR, "unlink /.");
	fails_with(syscall(SYS_unlinkat, AT_FDCWD, "/", AT_REMOVEDIR), EBUSY, "rmdir /");
	fails_with(syscall(SYS_rename, "/", "/picos-rofs-x"), EBUSY, "rename /");
	fails_with(syscall(SYS_chmod, N, 0644), ENOENT, "chmod a missing file");
	fails_with(syscall(SYS_chown, N, -1, -1), ENOENT, "chown a missing file");
	fails_with(syscall(SYS_utimensat, AT_FDCWD, N, NULL, 0), ENOENT, "utimensat a missing file");
	fails_with(syscall(SYS_truncate, N, 0), ENOENT, "truncate a missing file");
	fails_with(syscall(SYS_truncate, "/", 0), EISDIR, "truncate /");
	fails_with(syscall(SYS_truncate, "/dev/null", 0), EINVAL, "truncate a device");
	struct timespec bad[2] = { { 0, -1 }, { 0, 0 } };
	fails_with(syscall(SYS_utimensat, AT_FDCWD, "/", bad, 0), EINVAL, "utimensat / with a bad nsec");
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	succeeds(syscall(SYS_utimensat, AT_FDCWD, "/", omit, 0), "utimensat / with both UTIME_OMIT");

	/* What / itself being read-only changes. */
	int create = ro ? EROFS : root ? 0 : EACCES;
	expect(mkdir(N, 0755), create, "mkdir in /");
	if (!ro && root)
		rmdir(N);
	expect(syscall(SYS_symlink, "x", N), create, "symlink in /");
	if (!ro && root)
		unlink(N);
	expect(syscall(SYS_unlink, N), ro ? EROFS : ENOENT, "unlink a missing name in /");
	expect(syscall(SYS_rmdir, N), ro ? EROFS : ENOENT, "rmdir a missing name in /");
	expect(syscall(SYS_rename, N, N2), ro ? EROFS : ENOENT, "rename a missing name in /");
	expect(syscall(SYS_unlink, "/etc"), ro ? EROFS : geteuid() == 0 ? EISDIR : EACCES, "unlink /etc");
	expect(syscall(SYS_rmdir, "/proc"), ro ? EROFS : root ? EBUSY : EACCES, "rmdir /proc");

	if (ro) {
		/* Existing inodes on the read-only mount: nothing changes. */
		fails_with(syscall(SYS_chmod, "/", 0755), EROFS, "chmod /");
		fails_with(syscall(SYS_chown, "/", -1, -1), EROFS, "chown / -1 -1");
		fails_with(syscall(SYS_lchown, "/", -1, -1), EROFS, "lchown /");
		fails_with(syscall(SYS_utimensat, AT_FDCWD, "/", NULL, 0), EROFS, "utimensat /");
		struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
		fails_with(syscall(SYS_utimensat, AT_FDCWD, "/", now, 0), EROFS, "utimensat / UTIME_NOW");
		fails_with(syscall(SYS_utimes, "/", NULL), EROFS, "utimes /");
		fails_with(syscall(SYS_utime, "/", NULL), EROFS, "utime /");
		fails_with(syscall(SYS_rename, "/etc", "/etc"), EROFS, "rename /etc onto itself");
		int dfd = open("/", O_RDONLY | O_DIRECTORY);
		fails_with(syscall(SYS_fchmod, dfd, 0755), EROFS, "fchmod of /");
		fails_with(syscall(SYS_fchown, dfd, -1, -1), EROFS, "fchown of /");
		fails_with(syscall(SYS_utimensat, dfd, NULL, NULL, 0), EROFS, "futimens of /");
		close(dfd);
		const char *reg = existing_file();
		if (reg) {
			fails_with(syscall(SYS_truncate, reg, 0), EROFS, "truncate a file in /");
			fails_with(syscall(SYS_link, reg, N2), EROFS, "link a file in / to a new name in /");
			fails_with(syscall(SYS_link, reg, "/tmp"), EEXIST, "link a file in / onto /tmp");
		} else {
			ok(1, "# SKIP no regular file found in /etc");
		}
	} else if (root) {
		/* The same calls succeed on a writable / (our own file). */
		fd = open(N, O_CREAT | O_WRONLY, 0644);
		ok(fd >= 0, "a file in /");
		succeeds(syscall(SYS_chmod, N, 0600), "chmod a file in /");
		succeeds(syscall(SYS_chown, N, -1, -1), "chown a file in /");
		succeeds(syscall(SYS_utimensat, AT_FDCWD, N, NULL, 0), "utimensat a file in /");
		succeeds(syscall(SYS_truncate, N, 0), "truncate a file in /");
		succeeds(syscall(SYS_fchmod, fd, 0644), "fchmod a file in /");
		succeeds(syscall(SYS_link, N, N2), "link a file in / to a new name in /");
		succeeds(syscall(SYS_rename, N2, N), "rename in /");
		close(fd);
		unlink(N2);
		unlink(N);
	}

	unlink(tf);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
