/* Files and metadata outside the world's writable mounts, with raw host
 * calls: the canary directory (HOSTILE_CANARY_DIR, under the read-only
 * root) and its file, a device node in the writable cwd, and ".." from
 * the directory fds the provider holds for its mounts.  Creating,
 * writing, renaming and removing are refused by the host in every mode
 * (Landlock; in ns mode also read-only binds).  Metadata changes
 * (files.meta, files.dotdot-meta) are refused by the host only in ns mode
 * (read-only binds: EROFS): Landlock has no metadata rights, so in flat
 * mode docs/security.md lists them as not enforced. */
#include "hostile.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static const char *dir, *file, *world;

static const char *in_dir(const char *name)
{
	static char b[4][512];
	static int i;
	char *p = b[i++ % 4];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#define __NR_removexattrat 466
#endif
struct hostile_xattr_args {
	unsigned long long value;
	unsigned size, flags;
};

static int create_in_dir(void *a)
{
	(void)a;
	return held_if_failed("openat2(O_CREAT) in the canary dir",
			      hopen(in_dir("new"), O_CREAT | O_WRONLY, 0644));
}

static int mkdir_in_dir(void *a)
{
	(void)a;
	return held_if_failed("mkdirat in the canary dir",
			      HSC3(__NR_mkdirat, AT_FDCWD, in_dir("newdir"),
				   0755));
}

static int open_wronly(void *a)
{
	(void)a;
	return held_if_failed("openat2(O_WRONLY) of the canary file",
			      hopen(file, O_WRONLY, 0));
}

static int write_file(void *a)
{
	(void)a;
	long fd = hopen(file, O_RDWR | O_APPEND, 0);
	if (fd < 0)
		return held_if_failed("openat2(O_RDWR)", fd);
	return held_if_failed("write to the canary file",
			      HSC3(__NR_write, fd, "pwned\n", 6));
}

static int rename_file(void *a)
{
	(void)a;
	return held_if_failed("renameat2 of the canary file",
			      HSC5(__NR_renameat2, AT_FDCWD, file, AT_FDCWD,
				   in_dir("renamed"), 0));
}

static int link_file(void *a)
{
	(void)a;
	return held_if_failed("linkat to the canary file",
			      HSC5(__NR_linkat, AT_FDCWD, file, AT_FDCWD,
				   in_dir("hardlink"), 0));
}

static int symlink_in_dir(void *a)
{
	(void)a;
	return held_if_failed("symlinkat in the canary dir",
			      HSC3(__NR_symlinkat, "/etc/passwd", AT_FDCWD,
				   in_dir("sym")));
}

static int unlink_file(void *a)
{
	(void)a;
	return held_if_failed("unlinkat of the canary file",
			      HSC3(__NR_unlinkat, AT_FDCWD, file, 0));
}

static int truncate_file(void *a)
{
	(void)a;
	long fd = hopen(file, O_RDONLY, 0);
	if (fd < 0)
		return report(1, "openat2(O_RDONLY) -> %s", res(fd));
	return held_if_failed("ftruncate of a read-only fd of the canary",
			      HSC2(__NR_ftruncate, fd, 0));
}

static int chmod_file(void *a)
{
	(void)a;
	return held_if_failed("fchmodat 0777 of the canary file",
			      HSC3(__NR_fchmodat, AT_FDCWD, file, 0777));
}

/* A read-only open is allowed (the root is readable); the metadata calls
 * on its fd are not writes Landlock knows about. */
static int fchmod_file(void *a)
{
	(void)a;
	long fd = hopen(file, O_RDONLY, 0);
	if (fd < 0)
		return report(1, "openat2(O_RDONLY) -> %s", res(fd));
	return held_if_failed("fchmod 0777 of a read-only fd of the canary",
			      HSC2(__NR_fchmod, fd, 0777));
}

static int chown_file(void *a)
{
	(void)a;
	return held_if_failed("fchownat 1:1 of the canary file",
			      HSC5(__NR_fchownat, AT_FDCWD, file, 1, 1, 0));
}

static int fchown_file(void *a)
{
	(void)a;
	long fd = hopen(file, O_RDONLY, 0);
	if (fd < 0)
		return report(1, "openat2(O_RDONLY) -> %s", res(fd));
	return held_if_failed("fchown 1:1 of a read-only fd of the canary",
			      HSC3(__NR_fchown, fd, 1, 1));
}

static int utimens_file(void *a)
{
	(void)a;
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	return held_if_failed("utimensat of the canary file",
			      HSC4(__NR_utimensat, AT_FDCWD, file, ts, 0));
}

static int setxattr_file(void *a)
{
	(void)a;
	struct hostile_xattr_args x = { (unsigned long)"x", 1, 0 };
	return held_if_failed("setxattrat user.hostile on the canary file",
			      HSC6(__NR_setxattrat, AT_FDCWD, file, 0,
				   "user.hostile", &x, sizeof x));
}

static int fsetxattr_file(void *a)
{
	(void)a;
	long fd = hopen(file, O_RDONLY, 0);
	if (fd < 0)
		return report(1, "openat2(O_RDONLY) -> %s", res(fd));
	return held_if_failed("fsetxattr user.hostile on a read-only fd",
			      HSC5(__NR_fsetxattr, fd, "user.hostile", "x", 1,
				   0));
}

static int removexattr_file(void *a)
{
	(void)a;
	return held_if_failed("removexattrat user.canary of the canary file",
			      HSC4(__NR_removexattrat, AT_FDCWD, file, 0,
				   "user.canary"));
}

/* mknod of /dev/kmsg's device number in the writable cwd, then reading
 * the host's kernel log through it. */
static int mknod_kmsg(void *a)
{
	(void)a;
	char path[512];
	snprintf(path, sizeof path, "%s/hostile-kmsg", world);
	long r = HSC4(__NR_mknodat, AT_FDCWD, path, S_IFCHR | 0600, makedev(1, 11));
	if (r < 0)
		return held_if_failed("mknod c 1 11 in the cwd", r);
	long fd = hopen(path, O_RDONLY | O_NONBLOCK, 0);
	HSC3(__NR_unlinkat, AT_FDCWD, path, 0);
	if (fd < 0)
		return report(1, "mknod c 1 11 succeeded (node removed), "
				 "open -> %s", res(fd));
	char buf[256];
	long n = HSC3(__NR_read, fd, buf, sizeof buf);
	return report(n < 0, "mknod c 1 11 and open succeeded, read -> %s",
		      res(n));
}

/* The ".." of every directory fd the process holds (the provider keeps
 * one per mount) calls fn(fd) for each; the first breach ends the scan. */
static int each_dir_fd(int (*fn)(int fd, char *note, size_t size),
		       const char *what)
{
	int dirs = 0;
	for (int fd = 0; fd < 1024; fd++) {
		struct stat st;
		if (HSC2(__NR_fstat, fd, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		dirs++;
		char note[200];
		if (!fn(fd, note, sizeof note))
			return report(0, "%s", note);
	}
	return report(1, "%d directory fds: no %s through \"..\"", dirs, what);
}

/* Out of the mount to the host's root, then to the canary, for writing;
 * and a new directory next to the mount. */
static int dotdot_write(int fd, char *note, size_t size)
{
	char up[4096] = "";
	for (int i = 0; i < 40; i++)
		strcat(up, "../");
	strcat(up, file + 1);
	long w = hopenat(fd, up, O_WRONLY, 0);
	if (w >= 0) {
		snprintf(note, size, "openat(fd %d, ../..*/canary, O_WRONLY) "
				     "-> %s", fd, res(w));
		return 0;
	}
	long m = HSC3(__NR_mkdirat, fd, "../hostile-escape", 0700);
	if (m >= 0) {
		HSC3(__NR_unlinkat, fd, "../hostile-escape", AT_REMOVEDIR);
		snprintf(note, size, "mkdirat(fd %d, ../hostile-escape) -> %s",
			 fd, res(m));
		return 0;
	}
	return 1;
}

/* Metadata of the directory above the mount, through a read-only fd of
 * "..": the same mode and times, so a breach changes nothing. */
static int dotdot_meta(int fd, char *note, size_t size)
{
	long d = hopenat(fd, "..", O_RDONLY | O_DIRECTORY, 0);
	if (d < 0)
		return 1;
	struct stat ds;
	HSC2(__NR_fstat, d, &ds);
	struct timespec ts[2] = { ds.st_atim, ds.st_mtim };
	long c = HSC2(__NR_fchmod, d, ds.st_mode & 07777);
	long t = HSC4(__NR_utimensat, d, NULL, ts, 0);
	HSC1(__NR_close, d);
	if (c >= 0 || t >= 0) {
		snprintf(note, size, "openat(fd %d, \"..\"): fchmod -> %s, "
				     "utimensat -> %s", fd, res(c), res(t));
		return 0;
	}
	return 1;
}

static int dotdot_write_all(void *a)
{
	(void)a;
	return each_dir_fd(dotdot_write, "write or mkdir");
}

static int dotdot_meta_all(void *a)
{
	(void)a;
	return each_dir_fd(dotdot_meta, "fchmod or utimensat");
}

/* The same with dispatch off: libc's own calls are host calls. */
static int sud_off_create(void *a)
{
	(void)a;
	long r = sud_off();
	if (r < 0)
		return report(1, "prctl(SUD off) -> %s", res(r));
	struct hostile_open_how how = { O_CREAT | O_WRONLY, 0644, 0 };
	long fd = syscall(SYS_openat2, AT_FDCWD, in_dir("libc-new"), &how,
			  sizeof how);
	return report(fd < 0, "dispatch off, libc openat2(O_CREAT) -> %s",
		      fd < 0 ? strerrorname_np(errno) : "ok");
}

static int sud_off_chmod(void *a)
{
	(void)a;
	long r = sud_off();
	if (r < 0)
		return report(1, "prctl(SUD off) -> %s", res(r));
	int c = fchmodat(AT_FDCWD, file, 0777, 0);
	return report(c < 0, "dispatch off, libc chmod -> %s",
		      c < 0 ? strerrorname_np(errno) : "ok");
}

int main(void)
{
	hostile_init();
	dir = env_or("HOSTILE_CANARY_DIR", "");
	file = env_or("HOSTILE_CANARY_FILE", "");
	world = env_or("HOSTILE_WORLD", ".");
	if (!*dir || !*file) {
		printf("Bail out! HOSTILE_CANARY_DIR/FILE not set\n");
		return 1;
	}
	ATTEMPT("files.create", "create a file in the canary dir", create_in_dir, 0);
	ATTEMPT("files.create", "mkdir in the canary dir", mkdir_in_dir, 0);
	ATTEMPT("files.create", "symlink in the canary dir", symlink_in_dir, 0);
	ATTEMPT("files.write", "open the canary file O_WRONLY", open_wronly, 0);
	ATTEMPT("files.write", "append to the canary file", write_file, 0);
	ATTEMPT("files.write", "truncate the canary file", truncate_file, 0);
	ATTEMPT("files.rename", "rename the canary file", rename_file, 0);
	ATTEMPT("files.rename", "hard link to the canary file", link_file, 0);
	ATTEMPT("files.rename", "unlink the canary file", unlink_file, 0);
	ATTEMPT("files.meta", "chmod the canary file", chmod_file, 0);
	ATTEMPT("files.meta", "fchmod a read-only fd of the canary file",
		fchmod_file, 0);
	if (hostile_root())
		ATTEMPT("files.meta", "chown the canary file", chown_file, 0);
	if (hostile_root())
		ATTEMPT("files.meta", "fchown a read-only fd of the canary file",
			fchown_file, 0);
	ATTEMPT("files.meta", "utimensat the canary file", utimens_file, 0);
	ATTEMPT("files.meta", "setxattr on the canary file", setxattr_file, 0);
	ATTEMPT("files.meta", "fsetxattr on a read-only fd of the canary file",
		fsetxattr_file, 0);
	ATTEMPT("files.meta", "removexattr on the canary file", removexattr_file, 0);
	if (hostile_root())
		ATTEMPT("files.mknod", "mknod a kmsg device node and read it",
			mknod_kmsg, 0);
	ATTEMPT("files.dotdot", "write or mkdir through \"..\" of the "
		"provider's mount fds", dotdot_write_all, 0);
	ATTEMPT("files.dotdot-meta", "fchmod and utimensat of \"..\" of the "
		"provider's mount fds", dotdot_meta_all, 0);
	ATTEMPT("files.create", "dispatch off, then create in the canary dir",
		sud_off_create, 0);
	ATTEMPT("files.meta", "dispatch off, then chmod the canary file",
		sud_off_chmod, 0);
	return hostile_done();
}
