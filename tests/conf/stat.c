/* stat, lstat, fstat, newfstatat, statx, statfs, fstatfs: success and
 * error paths. */
#include "tap.h"
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
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

static long sys_statx(int dfd, const char *path, int flags, unsigned mask,
		      struct statx *sx)
{
	return syscall(SYS_statx, dfd, path, flags, mask, sx);
}

static void test_stat(void)
{
	struct stat st, st2;
	ok(stat(at("file"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5,
	   "stat of a file: regular, 5 bytes");
	ok(st.st_nlink == 1, "st_nlink is 1");
	ok(st.st_uid == geteuid() && st.st_gid == getegid(),
	   "a new file belongs to the caller (%u:%u)", st.st_uid, st.st_gid);
	ok(stat(at("link"), &st2) == 0 && st2.st_ino == st.st_ino &&
		   S_ISREG(st2.st_mode),
	   "stat follows a symlink");
	ok(lstat(at("link"), &st2) == 0 && S_ISLNK(st2.st_mode) &&
		   st2.st_size == 4,
	   "lstat does not follow (size = target length)");
	ok(lstat(at("file"), &st2) == 0 && st2.st_ino == st.st_ino,
	   "lstat of a plain file");
	ok(stat(at("sub"), &st2) == 0 && S_ISDIR(st2.st_mode), "stat of a directory");
	ok(stat(at("sub/"), &st2) == 0 && S_ISDIR(st2.st_mode),
	   "stat of a directory with a trailing slash");
	ok(lstat(at("dlink/"), &st2) == 0 && S_ISDIR(st2.st_mode),
	   "lstat with a trailing slash follows a symlink to a directory");
	ok(lstat(at("dlink"), &st2) == 0 && S_ISLNK(st2.st_mode),
	   "lstat of a symlink to a directory");
	ok(stat(at("sub/../file"), &st2) == 0 && st2.st_ino == st.st_ino,
	   "stat through \"..\"");
	ok(stat(at("dlink/../file"), &st2) == 0 && st2.st_ino == st.st_ino,
	   "\"..\" after a symlink to a directory is the link target's parent");
	ok(lstat(at("dangling"), &st2) == 0 && S_ISLNK(st2.st_mode),
	   "lstat of a dangling symlink");
	fails_with(stat(at("dangling"), &st2), ENOENT, "stat of a dangling symlink");
	fails_with(stat(at("loop1"), &st2), ELOOP, "stat of a symlink loop");
	ok(lstat(at("loop1"), &st2) == 0, "lstat of a symlink loop");
	fails_with(stat(at("missing"), &st2), ENOENT, "stat of a missing file");
	fails_with(stat(at("missing/x"), &st2), ENOENT, "stat under a missing directory");
	fails_with(stat(at("file/"), &st2), ENOTDIR, "stat of a file with a trailing slash");
	fails_with(stat(at("file/x"), &st2), ENOTDIR, "stat under a file");
	fails_with(lstat(at("link/"), &st2), ENOTDIR,
		   "lstat with a trailing slash on a symlink to a file");
	fails_with(stat("", &st2), ENOENT, "stat of \"\"");
	fails_with(stat(NULL, &st2), EFAULT, "stat of a NULL path");
	fails_with(syscall(SYS_stat, (char *)1, &st2), EFAULT, "stat of a bad path pointer");
	fails_with(syscall(SYS_stat, at("file"), NULL), EFAULT, "stat into NULL");
	fails_with(syscall(SYS_stat, at("file"), (void *)1), EFAULT, "stat into a bad buffer");
	fails_with(syscall(SYS_lstat, at("file"), (void *)1), EFAULT, "lstat into a bad buffer");
	fails_with(syscall(SYS_stat, at("missing"), (void *)1), ENOENT,
		   "lookup errors come before a bad buffer");
	fails_with(syscall(SYS_lstat, NULL, &st2), EFAULT, "lstat of a NULL path");

	/* Long names. */
	char *longp = malloc(5000);
	memset(longp, 'a', 4999);
	longp[4999] = 0;
	fails_with(stat(longp, &st2), ENAMETOOLONG, "stat of a 4999-byte path");
	longp[4096] = 0;
	fails_with(stat(longp, &st2), ENAMETOOLONG, "stat of a 4096-byte path");
	snprintf(longp, 5000, "%s/", dir);
	memset(longp + strlen(longp), 'n', 300);
	longp[strlen(dir) + 1 + 300] = 0;
	fails_with(stat(longp, &st2), ENAMETOOLONG, "stat of a 300-byte component");
	free(longp);

	/* fstat and newfstatat. */
	int fd = open(at("file"), O_RDONLY);
	ok(fstat(fd, &st2) == 0 && st2.st_ino == st.st_ino, "fstat");
	fails_with(fstat(9999, &st2), EBADF, "fstat of a bad fd");
	fails_with(fstat(fd, (void *)1), EFAULT, "fstat into a bad buffer");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(fstatat(dfd, "file", &st2, 0) == 0 && st2.st_ino == st.st_ino,
	   "fstatat relative to a directory fd");
	ok(fstatat(dfd, "link", &st2, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st2.st_mode),
	   "fstatat AT_SYMLINK_NOFOLLOW");
	ok(fstatat(fd, "", &st2, AT_EMPTY_PATH) == 0 && st2.st_ino == st.st_ino,
	   "fstatat AT_EMPTY_PATH on a file fd");
	ok(syscall(SYS_newfstatat, fd, NULL, &st2, AT_EMPTY_PATH) == 0 &&
		   st2.st_ino == st.st_ino,
	   "newfstatat AT_EMPTY_PATH with a NULL path");
	fails_with(fstatat(fd, "", &st2, 0), ENOENT, "fstatat \"\" without AT_EMPTY_PATH");
	fails_with(fstatat(fd, "x", &st2, 0), ENOTDIR, "fstatat relative to a file fd");
	fails_with(fstatat(9999, "x", &st2, 0), EBADF, "fstatat relative to a bad fd");
	ok(fstatat(9999, at("file"), &st2, 0) == 0, "an absolute path ignores dirfd");
	fails_with(fstatat(dfd, "file", &st2, 0x40000000), EINVAL, "fstatat with a bad flag");
	ok(fstatat(AT_FDCWD, "", &st2, AT_EMPTY_PATH) == 0 && S_ISDIR(st2.st_mode),
	   "fstatat(AT_FDCWD, \"\", AT_EMPTY_PATH) is the cwd");
	int pfd = open(at("link"), O_PATH | O_NOFOLLOW);
	ok(pfd >= 0 && fstat(pfd, &st2) == 0 && S_ISLNK(st2.st_mode),
	   "fstat of an O_PATH|O_NOFOLLOW fd of a symlink");
	close(pfd);
	close(dfd);
	close(fd);
}

static void test_statx(void)
{
	struct stat st;
	struct statx sx;
	stat(at("file"), &st);
	memset(&sx, 0, sizeof sx);
	ok(sys_statx(AT_FDCWD, at("file"), 0, STATX_BASIC_STATS, &sx) == 0,
	   "statx of a file");
	ok((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS,
	   "statx fills the basic stats (mask %x)", sx.stx_mask);
	ok(sx.stx_ino == st.st_ino && sx.stx_size == 5 && S_ISREG(sx.stx_mode),
	   "statx agrees with stat");
	ok(sx.stx_uid == st.st_uid && sx.stx_gid == st.st_gid,
	   "statx owner agrees with stat");
	ok(sx.stx_nlink == 1 && sx.stx_blksize > 0, "statx nlink and blksize");
	ok(sys_statx(AT_FDCWD, at("link"), 0, STATX_BASIC_STATS, &sx) == 0 &&
		   S_ISREG(sx.stx_mode),
	   "statx follows a symlink");
	ok(sys_statx(AT_FDCWD, at("link"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
		   S_ISLNK(sx.stx_mode),
	   "statx AT_SYMLINK_NOFOLLOW");
	int fd = open(at("file"), O_RDONLY);
	ok(sys_statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) == 0 && sx.stx_ino == st.st_ino,
	   "statx AT_EMPTY_PATH on an fd");
	ok(sys_statx(fd, NULL, AT_EMPTY_PATH, STATX_INO, &sx) == 0 && sx.stx_ino == st.st_ino,
	   "statx AT_EMPTY_PATH with a NULL path");
	ok(sys_statx(AT_FDCWD, "", AT_EMPTY_PATH, STATX_TYPE, &sx) == 0 &&
		   S_ISDIR(sx.stx_mode),
	   "statx(AT_FDCWD, \"\", AT_EMPTY_PATH) is the cwd");
	ok(sys_statx(AT_FDCWD, at("file"), AT_STATX_FORCE_SYNC, STATX_SIZE, &sx) == 0,
	   "statx AT_STATX_FORCE_SYNC");
	ok(sys_statx(AT_FDCWD, at("file"), AT_STATX_DONT_SYNC, STATX_SIZE, &sx) == 0,
	   "statx AT_STATX_DONT_SYNC");
	ok(sys_statx(AT_FDCWD, at("file"), 0, 0, &sx) == 0, "statx with an empty mask");
	fails_with(sys_statx(AT_FDCWD, at("file"), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
			     STATX_SIZE, &sx),
		   EINVAL, "statx with both sync flags");
	fails_with(sys_statx(AT_FDCWD, at("file"), 0, STATX__RESERVED, &sx), EINVAL,
		   "statx with STATX__RESERVED");
	fails_with(sys_statx(AT_FDCWD, at("file"), 0x40000000, STATX_SIZE, &sx), EINVAL,
		   "statx with a bad flag");
	fails_with(sys_statx(AT_FDCWD, (char *)1, 0x40000000, STATX_SIZE, &sx), EINVAL,
		   "statx checks flags before the path");
	fails_with(sys_statx(AT_FDCWD, at("file"), 0, STATX_SIZE, NULL), EFAULT,
		   "statx into NULL");
	fails_with(sys_statx(AT_FDCWD, (char *)1, 0, STATX_SIZE, &sx), EFAULT,
		   "statx of a bad path pointer");
	fails_with(sys_statx(AT_FDCWD, "", 0, STATX_SIZE, &sx), ENOENT,
		   "statx of \"\" without AT_EMPTY_PATH");
	fails_with(sys_statx(AT_FDCWD, at("dangling"), 0, STATX_SIZE, &sx), ENOENT,
		   "statx of a dangling symlink");
	fails_with(sys_statx(AT_FDCWD, at("loop1"), 0, STATX_SIZE, &sx), ELOOP,
		   "statx of a symlink loop");
	fails_with(sys_statx(9999, "", AT_EMPTY_PATH, STATX_SIZE, &sx), EBADF,
		   "statx AT_EMPTY_PATH on a bad fd");
	fails_with(sys_statx(9999, "x", 0, STATX_SIZE, &sx), EBADF,
		   "statx relative to a bad fd");
	fails_with(sys_statx(fd, "x", 0, STATX_SIZE, &sx), ENOTDIR,
		   "statx relative to a file fd");
	close(fd);
}

static void test_statfs(void)
{
	struct statfs a, b;
	ok(statfs(dir, &a) == 0 && a.f_bsize > 0 && a.f_namelen > 0, "statfs");
	ok(!(a.f_flags & ST_RDONLY), "the scratch file system is writable");
	int fd = open(at("file"), O_RDONLY);
	ok(fstatfs(fd, &b) == 0 && b.f_type == a.f_type &&
		   !memcmp(&a.f_fsid, &b.f_fsid, sizeof a.f_fsid),
	   "fstatfs agrees with statfs");
	close(fd);
	fd = open(dir, O_PATH);
	ok(fstatfs(fd, &b) == 0 && b.f_type == a.f_type, "fstatfs of an O_PATH fd");
	close(fd);
	ok(statfs(at("link"), &b) == 0 && b.f_type == a.f_type, "statfs through a symlink");
	fails_with(statfs(at("missing"), &b), ENOENT, "statfs of a missing path");
	fails_with(statfs(at("dangling"), &b), ENOENT, "statfs of a dangling symlink");
	fails_with(statfs(at("loop1"), &b), ELOOP, "statfs of a symlink loop");
	fails_with(statfs(at("file/x"), &b), ENOTDIR, "statfs under a file");
	fails_with(statfs("", &b), ENOENT, "statfs of \"\"");
	fails_with(statfs(NULL, &b), EFAULT, "statfs of a NULL path");
	fails_with(statfs(dir, NULL), EFAULT, "statfs into NULL");
	fails_with(syscall(SYS_statfs, dir, (void *)1), EFAULT, "statfs into a bad buffer");
	fails_with(fstatfs(9999, &b), EBADF, "fstatfs of a bad fd");
	fd = open(dir, O_RDONLY);
	fails_with(fstatfs(fd, NULL), EFAULT, "fstatfs into NULL");
	close(fd);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", tap_scratch("stat"));
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	int fd = open(at("file"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	ok(fd >= 0 && write(fd, "hello", 5) == 5, "create a 5-byte file");
	close(fd);
	ok(mkdir(at("sub"), 0755) == 0, "mkdir sub");
	ok(symlink("file", at("link")) == 0, "symlink link -> file");
	ok(symlink("sub", at("dlink")) == 0, "symlink dlink -> sub");
	ok(symlink("nowhere", at("dangling")) == 0, "symlink dangling -> nowhere");
	ok(symlink("loop2", at("loop1")) == 0 && symlink("loop1", at("loop2")) == 0,
	   "symlink loop1 <-> loop2");

	test_stat();
	test_statx();
	test_statfs();

	const char *names[] = { "file", "link", "dlink", "dangling", "loop1", "loop2" };
	int bad = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		bad += unlink(at(names[i])) != 0;
	ok(bad == 0, "unlink the scratch files");
	ok(rmdir(at("sub")) == 0 && rmdir(dir) == 0, "cleanup");
	return tap_done();
}
