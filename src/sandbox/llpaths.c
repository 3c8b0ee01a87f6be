/* The Landlock rule list of a world, built from its mounts.
 *
 * Landlock rules hold for everything beneath a path, so one read rule on a
 * read-only mount of the host's "/" would also open the host's real /tmp,
 * every node in /dev, and whatever other mounts shadow in the guest's
 * view.  Such a mount is covered entry by entry instead: the directories
 * on the way to a left-out path get a list-only rule (LL_LIST: names,
 * never contents), everything else a read rule. */
#include "sandbox.h"
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ll_paths_add(struct ll_paths *l, const char *path, enum ll_kind kind)
{
	ll_paths_add_fd(l, path, -1, kind);
}

void ll_paths_add_fd(struct ll_paths *l, const char *path, int fd,
		     enum ll_kind kind)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
		if (!l->v) {
			fprintf(stderr, "picos: out of memory\n");
			_exit(125);
		}
	}
	l->v[l->n].path = strdup(path);
	l->v[l->n].fd = fd;
	l->v[l->n].kind = kind;
	l->n++;
}

/* True when `p` is `dir` or lies beneath it (both absolute, normalised). */
static bool beneath_or_at(const char *p, const char *dir)
{
	if (strcmp(dir, "/") == 0)
		return true;
	size_t n = strlen(dir);
	return strncmp(p, dir, n) == 0 && (p[n] == 0 || p[n] == '/');
}

void ll_paths_cover(struct ll_paths *l, const char *dir, int dirfd,
		    const char *const *excl, int nexcl)
{
	bool split = false;
	for (int i = 0; i < nexcl; i++) {
		if (strcmp(excl[i], dir) == 0)
			return; /* left out entirely */
		if (beneath_or_at(excl[i], dir))
			split = true;
	}
	if (!split) {
		ll_paths_add_fd(l, dir, dirfd, LL_READ);
		return;
	}
	ll_paths_add(l, dir, LL_LIST);
	DIR *d = opendir(dir);
	if (!d)
		return; /* unreadable for the user: nothing to grant */
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s/%s",
				     strcmp(dir, "/") ? dir : "", e->d_name) >=
		    sizeof path)
			continue;
		/* The entry's type as the directory gives it (one lstat per
		 * entry of / cost about 0.3 ms of every start-up); lstat
		 * only where the file system does not say. */
		unsigned char type = e->d_type;
		struct stat st;
		if (type == DT_UNKNOWN) {
			if (lstat(path, &st) < 0)
				continue;
			type = S_ISDIR(st.st_mode)   ? DT_DIR
			       : S_ISREG(st.st_mode) ? DT_REG
						     : DT_UNKNOWN;
		}
		/* A symlink needs no right of its own: its target is
		 * covered, or not, where it lies.  Special files outside
		 * /dev are left out (a fifo or socket at the top of a
		 * read-only tree is no business of the world). */
		if (type == DT_DIR)
			ll_paths_cover(l, path, -1, excl, nexcl);
		else if (type == DT_REG) {
			bool out = false;
			for (int i = 0; i < nexcl && !out; i++)
				out = strcmp(excl[i], path) == 0;
			if (!out)
				ll_paths_add(l, path, LL_READ);
		}
	}
	closedir(d);
}

void ll_paths_add_inherited_ttys(struct ll_paths *l)
{
	for (int fd = 0; fd <= 2; fd++) {
		char link[32], path[PATH_MAX];
		if (!isatty(fd))
			continue;
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, path, sizeof path - 1);
		if (n <= 0)
			continue;
		path[n] = 0;
		/* The node must be the very terminal the fd is open on. */
		struct stat st, fst;
		if (strncmp(path, "/dev/", 5) == 0 && stat(path, &st) == 0 &&
		    fstat(fd, &fst) == 0 && S_ISCHR(st.st_mode) &&
		    st.st_rdev == fst.st_rdev)
			ll_paths_add(l, path, LL_DEVICE);
	}
}
