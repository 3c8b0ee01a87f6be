/* mount(2) and umount2(2): the error paths every caller gets (EFAULT,
 * ENOENT, EINVAL before the capability check, EPERM without
 * CAP_SYS_ADMIN), and as root bind, recursive bind, tmpfs, read-only
 * remount and umount2's EBUSY and MNT_DETACH.
 *
 * This test never changes the host's mounts: natively the root checks
 * run in a child that first made a private mount namespace of its own
 * (unshare(CLONE_NEWNS) and MS_PRIVATE on "/"); under picos unshare is
 * ENOSYS (the world is a mount namespace already, and the child unmounts
 * all it mounted).  Elsewhere they are skipped with the reason. */
#include "tap.h"
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char tree[300];

static const char *in(const char *name)
{
	return tap_join(tree, name);
}

static void test_errors(void)
{
	fails_with(mount("none", in("missing"), "tmpfs", 0, NULL), ENOENT,
		   "mount on a missing directory");
	fails_with(mount("none", (char *)1, "tmpfs", 0, NULL), EFAULT,
		   "mount on a bad pointer");
	fails_with(umount2(in("a"), 0x100), EINVAL, "umount2 with an unknown flag");
	fails_with(umount2(in("missing"), 0), ENOENT, "umount2 of a missing path");
	fails_with(umount2((char *)1, 0), EFAULT, "umount2 of a bad pointer");
	if (geteuid() != 0) {
		fails_with(mount("none", in("a"), "tmpfs", 0, NULL), EPERM,
			   "mount without CAP_SYS_ADMIN");
		fails_with(mount(in("src"), in("a"), NULL, MS_BIND, NULL), EPERM,
			   "a bind mount without CAP_SYS_ADMIN");
		fails_with(umount2(in("a"), 0), EPERM, "umount2 without CAP_SYS_ADMIN");
	}
}

static bool exists(const char *name)
{
	return access(in(name), F_OK) == 0;
}

/* Whether mountinfo (this process's) has a mount point (its fifth
 * field) at `name`. */
static bool listed(const char *name)
{
	char line[4096], mp[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
			strcmp(mp, in(name)) == 0;
	if (f)
		fclose(f);
	return found;
}

/* In a child, in a mount namespace that is not the host's. */
static void mounts_as_root(void)
{
	rok(mount(in("src"), in("a"), NULL, MS_BIND, NULL) == 0, "bind mount");
	rok(exists("a/f"), "the source's file shows through it");
	rok(listed("a"), "mountinfo lists the bind mount");
	errno = 0;
	rok(umount2(in("src"), 0) < 0 && errno == EINVAL,
	    "umount2 of a directory that is no mount: EINVAL");
	rok(mount(NULL, in("a"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0,
	    "read-only remount");
	int fd = open(in("a/g"), O_CREAT | O_WRONLY, 0644);
	rok(fd < 0 && errno == EROFS, "a read-only bind mount refuses a new file (EROFS)");
	if (fd >= 0)
		close(fd);
	rok(!exists("src/g"), "nothing was made in the source");

	rok(mount("tmpfs", in("t"), "tmpfs", 0, "mode=700") == 0, "tmpfs");
	struct stat st;
	rok(stat(in("t"), &st) == 0 && (st.st_mode & 07777) == 0700,
	    "the tmpfs root has mode= (0%o)", st.st_mode & 07777);
	rok(mkdir(in("t/inner"), 0755) == 0 &&
		    mount("tmpfs", in("t/inner"), "tmpfs", 0, NULL) == 0,
	    "a tmpfs on a directory of a tmpfs");
	tap_put(in("t/inner/z"), "z");
	rok(exists("t/inner/z"), "a file in the inner tmpfs");
	rok(mount(in("t"), in("r"), NULL, MS_BIND | MS_REC, NULL) == 0 &&
		    exists("r/inner/z"),
	    "a recursive bind has the mount below");
	rok(mount(in("t"), in("n"), NULL, MS_BIND, NULL) == 0 && exists("n/inner") &&
		    !exists("n/inner/z"),
	    "a plain bind has only the directory below");
	errno = 0;
	rok(umount2(in("t"), 0) < 0 && errno == EBUSY,
	    "umount2 of a mount with a mount below: EBUSY");
	errno = 0;
	rok(umount2(in("t"), MNT_EXPIRE | MNT_DETACH) < 0 && errno == EINVAL,
	    "MNT_EXPIRE with MNT_DETACH: EINVAL");
	rok(umount2(in("t"), MNT_DETACH) == 0 && !exists("t/inner") && !listed("t"),
	    "MNT_DETACH takes it and the mount below");
	errno = 0;
	rok(mount("none", in("t"), "picos-nofs", 0, NULL) < 0 && errno == ENODEV,
	    "an unknown file system type: ENODEV");
	errno = 0;
	rok(mount("none", in("t"), "tmpfs", MS_NOUSER, NULL) < 0 && errno == EINVAL,
	    "MS_NOUSER: EINVAL");
	rok(mount("tmpfs", in("t"), "tmpfs", 0, NULL) == 0, "a tmpfs again");
	tap_put(in("t/one"), "1");
	rok(mount("tmpfs", in("t"), "tmpfs", 0, NULL) == 0 && !exists("t/one"),
	    "another tmpfs on it covers it");
	rok(umount2(in("t"), 0) == 0 && exists("t/one"),
	    "umount2 takes the top one only");
	rok(umount2(in("t"), 0) == 0 && !exists("t/one"), "and then the other");
	rok(umount2(in("n"), 0) == 0 && umount2(in("r"), MNT_DETACH) == 0 &&
		    umount2(in("a"), 0) == 0,
	    "umount2 of the rest");
	rok(!listed("a") && !exists("a/f"), "the bind mount is gone");
}

static void test_root(void)
{
	if (geteuid() != 0) {
		printf("# SKIP mounting: not root\n");
		return;
	}
	int rfd;
	pid_t p = tap_fork_reporting(&rfd);
	if (p < 0)
		return;
	if (p == 0) {
		/* Natively: a namespace of our own, private, first; under
		 * picos unshare is ENOSYS (which native Linux never is). */
		if (unshare(CLONE_NEWNS) == 0) {
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
				_exit(3);
		} else if (errno != ENOSYS) {
			_exit(4);
		}
		mounts_as_root();
		_exit(0);
	}
	tap_collect(rfd);
	int st = 0;
	waitpid(p, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 4)
		printf("# SKIP mounting: no mount namespace of our own\n");
	else
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the mounting child exits 0");
	ok(!listed("a") && !listed("t"), "the parent sees none of its mounts");
}

int main(void)
{
	char cwd[256];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, ".");
	snprintf(tree, sizeof tree, "%s/mount-tree-%d", cwd, (int)getpid());
	const char *dirs[] = { "", "src", "a", "t", "r", "n" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		mkdir(in(dirs[i]), 0755);
	tap_put(in("src/f"), "f");
	test_errors();
	test_root();
	unlink(in("src/f"));
	for (size_t i = sizeof dirs / sizeof *dirs; i-- > 0;)
		rmdir(in(dirs[i]));
	return tap_done();
}
