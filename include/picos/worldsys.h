/* The host sysfs entries a world sees in its /sys: what programs read to
 * size themselves (glibc's get_nprocs and sysconf, lscpu, ps and top,
 * libnuma, Go and the JVM's huge-page sizes).  With namespaces
 * src/cli/ns.c binds each TREE read-only into a /sys of the world's own
 * and makes each EMPTY an empty directory; without them the provider's
 * filtered directories (src/kernel/fs/filtered.c) show the same and
 * nothing else.  In both, Landlock reads only the TREEs of the host's
 * /sys (src/cli/world.c).  One list, so the modes cannot drift apart.
 *
 * /sys/fs/cgroup is an empty directory: the host's cgroup tree names the
 * host's services and containers and lists host pids (cgroup.procs), and
 * a world has no cgroup of its own to show.  Programs that look for
 * their limits there (the JVM, Go, .NET) then find none and use the
 * CPU and memory figures above, as in a container without cgroupfs. */
#ifndef PICOS_WORLDSYS_H
#define PICOS_WORLDSYS_H

/* PICOS_WORLD_SYS(TREE, EMPTY): TREE(path) keeps the host's path with
 * everything beneath it, EMPTY(path) shows the directory with nothing in
 * it.  The parents on the way list only these. */
#define PICOS_WORLD_SYS(TREE, EMPTY)                 \
	TREE("/sys/devices/system/cpu")              \
	TREE("/sys/devices/system/node")             \
	TREE("/sys/kernel/mm/transparent_hugepage")  \
	TREE("/sys/kernel/mm/hugepages")             \
	EMPTY("/sys/fs/cgroup")

#endif
