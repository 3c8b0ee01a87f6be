/* Small helpers shared by the files of the world's procfs (procfs.c,
 * proc_pid.c): splitting paths below /proc. */
#ifndef PICOS_PROCFS_H
#define PICOS_PROCFS_H

#include "vfs.h"

/* Splits off the first component of `p`: its length, and *rest after it
 * and its slashes. */
static inline size_t first_component(const char *p, const char **rest)
{
	size_t n = 0;
	while (p[n] && p[n] != '/')
		n++;
	const char *r = p + n;
	while (*r == '/')
		r++;
	*rest = r;
	return n;
}

/* Is the n characters at p exactly `name`? */
static inline bool is_name(const char *p, size_t n, const char *name)
{
	return rt_strlen(name) == n && rt_memcmp(p, name, n) == 0;
}

/* A file of a process's or thread's directory, named by the path below
 * /proc `p`: "<pid>/NAME", "self/NAME", "<pid>/task/<tid>/NAME" or
 * "thread-self/NAME".  NAME (one component), with *pid and *tid (the pid
 * for a process's own directory); NULL for any other path. */
const char *procfs_task_file(const char *p, int *pid, int *tid);

/* The whole host text of `rel` below the world's /proc (maps of a big
 * process runs to megabytes): a kmalloc'd NUL-terminated buffer and its
 * length, or -errno. */
long procfs_read_all(const char *rel, char **text);

/* proc_sysvipc.c: /proc/sysvipc/shm and msg with guest pids. */
bool procfs_sysvipc_open(struct lookup *lk, int flags, long *res);

/* Is `name` one of the files of a zombie's /proc directory, which
 * proc_pid.c makes from its slot? */
bool procfs_zombie_file(const char *name);

/* The caller's fdinfo text of its fd `fd` (proc_fdinfo.c): a kmalloc'd
 * NUL-terminated buffer and its length, or -errno (-ENOENT: no such fd). */
long procfs_fdinfo_text(int fd, char **text);
/* The same for another process's request (RQ_FDINFO): the `size` bytes
 * from `offset` copied to data; the whole text's length, or -errno. */
long procfs_fdinfo_chunk(int fd, long offset, void *data, size_t size);

#endif
