/* kcmp: do two tasks share a kernel object?
 *
 * Most answers are the host's: every guest task is a host task, and the
 * host shares memory, fd tables and fs state exactly where the guest's
 * are shared (a thread, a CLONE_VM process, a vfork child), so the host's
 * kcmp on their host ids is the real answer, ordering included.  Two
 * things the host cannot see: guest fd numbers (KCMP_FILE translates
 * them through each task's fd table, which only tasks of this memory
 * have where the caller can read them: another process's fds are its
 * provider's, EPERM as for a task one may not inspect) and signal handlers (the host's are the
 * provider's; a CLONE_SIGHAND sharer in this memory is compared by its
 * signal actions), and the fs state of tasks in this memory (the host
 * clone always shares it; the guest's cwd and umask are the provider's). */
#include "proc.h"
#include "../fs/vfs.h"
#include "../syscalls.h"
#include <linux/kcmp.h>

/* kcmp's answer for two objects: 0 equal, else 1 or 2 by order. */
static long order(const void *a, const void *b)
{
	return a == b ? 0 : (uintptr_t)a < (uintptr_t)b ? 1 : 2;
}

long sys_kcmp(int pid1, int pid2, int type, unsigned long idx1,
	      unsigned long idx2)
{
	long h1 = task_host_of_id(pid1);
	long h2 = task_host_of_id(pid2);
	if (h1 < 0 || h2 < 0)
		return -ESRCH;
	struct pico_thread *a1 = task_area_of(pid1);
	struct pico_thread *a2 = task_area_of(pid2);
	switch (type) {
	case KCMP_FILE: {
		if (!a1 || !a2)
			return -EPERM;
		/* Linux takes the index as an unsigned int. */
		long f1 = fdtable_host_fd(a1->gp->files, (unsigned)idx1);
		long f2 = fdtable_host_fd(a2->gp->files, (unsigned)idx2);
		if (f1 < 0 || f2 < 0)
			return -EBADF;
		return host_syscall5(__NR_kcmp, h1, h2, KCMP_FILE, f1, f2);
	}
	case KCMP_SIGHAND:
		if (a1 && a2)
			return order(a1->gp->sigact, a2->gp->sigact);
		return host_syscall5(__NR_kcmp, h1, h2, KCMP_SIGHAND, 0, 0);
	case KCMP_FS:
		/* The host's fs state is shared by all of this memory (the
		 * provider keeps the guest's cwd and umask). */
		if (a1 && a2)
			return order(a1->gp->fs, a2->gp->fs);
		return host_syscall5(__NR_kcmp, h1, h2, KCMP_FS, 0, 0);
	case KCMP_VM:
	case KCMP_FILES:
		return host_syscall5(__NR_kcmp, h1, h2, type, 0, 0);
	case KCMP_IO:
	case KCMP_SYSVSEM:
	case KCMP_EPOLL_TFD:
		return -ENOSYS; /* not provided */
	default:
		return -EINVAL;
	}
}
