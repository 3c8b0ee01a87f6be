/* Landlock for a world: the file-system access of every pico process is
 * limited to the rules the launcher lists (llpaths.c: the host
 * directories its mounts name, read-only or read-write as mounted, less
 * what the world must not see) and a few device nodes; signals and abstract unix
 * sockets are scoped to the world where the kernel supports it (ABI 6);
 * with --net=none TCP bind and connect are refused (ABI 4: handled, and
 * no port allowed). */
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Rights newer than Debian 12's headers. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define LL_IOCTL_DEV (1ULL << 15)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE                                                           \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |   \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |   \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |       \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |     \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

static const char *const devices[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
	"/dev/urandom", "/dev/tty", "/dev/ptmx",
};

static uint64_t handled_for_abi(int abi)
{
	uint64_t fs = FS_READ | FS_WRITE | LANDLOCK_ACCESS_FS_EXECUTE;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_IOCTL_DEV;
	return fs;
}

/* The rule's object: given_fd when the launcher holds one (a mount's
 * O_PATH fd), else path.  Paths that vanished or that the user cannot
 * reach grant nothing.  Only
 * device paths are followed (a container's /dev/ptmx may be a link to
 * pts/ptmx); every other rule path was resolved or checked to be no
 * symlink by the launcher, and a symlink put there since gets no rule. */
static int add_rule(int ruleset, const char *path, int given_fd,
		    uint64_t access, uint64_t handled, bool follow)
{
	int fd = given_fd >= 0 ? dup(given_fd)
			       : open(path, O_PATH | O_CLOEXEC |
						    (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return errno == ENOENT || errno == EACCES ? 0 : -1;
	struct landlock_path_beneath_attr pb = {
		.allowed_access = access & handled,
		.parent_fd = fd,
	};
	/* A file (not a directory) only takes file rights. */
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_WRITE_FILE |
				     LANDLOCK_ACCESS_FS_TRUNCATE | LL_IOCTL_DEV |
				     LANDLOCK_ACCESS_FS_EXECUTE;
	long r = syscall(SYS_landlock_add_rule, ruleset,
			 LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return r < 0 ? -1 : 0;
}

#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)

int sandbox_landlock(const struct landlock_path *paths, int n, bool no_tcp)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			       LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return 1;
	struct ruleset_attr attr = { .handled_access_fs = handled_for_abi(abi) };
	size_t attr_size = sizeof(uint64_t) * (abi >= 4 ? 2 : 1);
	if (abi >= 4 && no_tcp)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_size = sizeof attr;
	}
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0) {
		fprintf(stderr, "picos: landlock: cannot create a ruleset: %s\n",
			strerror(errno));
		return -1;
	}
	uint64_t h = attr.handled_access_fs;
	uint64_t rw = FS_READ | FS_WRITE | LANDLOCK_ACCESS_FS_REFER |
		      LANDLOCK_ACCESS_FS_TRUNCATE | LL_IOCTL_DEV;
	uint64_t dev = FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LL_IOCTL_DEV;
	for (int i = 0; i < n; i++) {
		uint64_t access = paths[i].kind == LL_WRITE    ? rw
				  : paths[i].kind == LL_LIST   ? LANDLOCK_ACCESS_FS_READ_DIR
				  : paths[i].kind == LL_DEVICE ? dev
							       : FS_READ;
		if (add_rule(rs, paths[i].path, paths[i].fd, access, h,
			     paths[i].kind == LL_DEVICE) < 0) {
			fprintf(stderr, "picos: landlock: cannot allow %s: %s\n",
				paths[i].path, strerror(errno));
			close(rs);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
		add_rule(rs, devices[i], -1, dev, h, true);
	long r = syscall(SYS_landlock_restrict_self, rs, 0);
	close(rs);
	if (r < 0) {
		fprintf(stderr, "picos: landlock: cannot restrict: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}
