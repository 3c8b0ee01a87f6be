/* memfd_create: a host memfd behind a guest fd.  The host file has
 * Linux's semantics (a shmem file: read, write, ftruncate, fstat, mmap
 * through the provider's mmap path, the seals of F_ADD_SEALS/F_GET_SEALS,
 * MFD_NOEXEC_SEAL/MFD_EXEC as the host's vm.memfd_noexec has it) and the
 * host's /proc/self/fd text "/memfd:NAME (deleted)", which the provider's
 * /proc answers for a file without a guest path.  The host object is
 * always MFD_CLOEXEC; the guest's close-on-exec bit is the provider's. */
#include "vfs.h"
#include "io.h"
#include "../syscalls.h"

#define MFD_CLOEXEC_K 1u
#define MFD_NAME_MAX 249 /* NAME_MAX - strlen("memfd:") */

long sys_memfd_create(const char *uname, unsigned flags)
{
	/* The name goes to the host through a provider buffer.  Linux checks
	 * the flags before the name, so a name the guest cannot read goes as
	 * the poison address and one that is too long goes one byte too
	 * long: the host then answers EINVAL or EFAULT in Linux's order. */
	char name[MFD_NAME_MAX + 2];
	const char *hname = name;
	/* Linux reads at most MFD_NAME_MAX + 1 bytes looking for the NUL. */
	long n = strncpy_from_user(name, uname, MFD_NAME_MAX + 1);
	if (n == -ENAMETOOLONG) {
		rt_memset(name, 'x', MFD_NAME_MAX + 1);
		name[MFD_NAME_MAX + 1] = 0;
	} else if (n < 0) {
		hname = IO_POISON;
	}
	long h = host_syscall2(__NR_memfd_create, hname,
			       flags | MFD_CLOEXEC_K);
	if (h < 0)
		return h;
	struct file *f = file_new((int)h, O_RDWR, NULL, NULL);
	f->blocks = 1; /* a regular file: never waits */
	return fd_install(f, flags & MFD_CLOEXEC_K, 0);
}
