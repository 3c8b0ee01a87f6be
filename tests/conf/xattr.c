/* Reading extended attributes: getxattr, lgetxattr, fgetxattr, listxattr,
 * llistxattr, flistxattr. */
#include "tap.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(void)
{
	const char *dir = tap_scratch("xattr");
	char file[512], link[512], missing[512], buf[256];
	ok(mkdir(dir, 0755) == 0, "mkdir scratch");
	snprintf(file, sizeof file, "%s/f", dir);
	snprintf(link, sizeof link, "%s/l", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	int fd = open(file, O_CREAT | O_WRONLY, 0644);
	ok(fd >= 0, "create file");
	ok(symlink("f", link) == 0, "symlink");

	fails_with(getxattr(file, "user.none", buf, sizeof buf), ENODATA, "getxattr of an absent attribute");
	fails_with(lgetxattr(link, "user.none", buf, sizeof buf), ENODATA, "lgetxattr of an absent attribute");
	fails_with(fgetxattr(fd, "user.none", buf, sizeof buf), ENODATA, "fgetxattr of an absent attribute");
	fails_with(getxattr(missing, "user.none", buf, sizeof buf), ENOENT, "getxattr of a missing file");
	fails_with(fgetxattr(9999, "user.none", buf, sizeof buf), EBADF, "fgetxattr of a bad fd");
	fails_with(getxattr(file, (char *)1, buf, sizeof buf), EFAULT, "getxattr with a bad name pointer");
	fails_with(getxattr((char *)1, "user.none", buf, sizeof buf), EFAULT, "getxattr with a bad path pointer");
	fails_with(getxattr(file, "", buf, sizeof buf), ERANGE, "getxattr with an empty name");
	ok(listxattr(file, buf, sizeof buf) >= 0, "listxattr of a file");
	ok(llistxattr(link, buf, sizeof buf) >= 0, "llistxattr of a symlink");
	ok(flistxattr(fd, buf, sizeof buf) >= 0, "flistxattr of an fd");
	ok(listxattr("/", NULL, 0) >= 0, "listxattr of / (a mount root under picos)");
	fails_with(listxattr(missing, buf, sizeof buf), ENOENT, "listxattr of a missing file");

	close(fd);
	unlink(link);
	unlink(file);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
