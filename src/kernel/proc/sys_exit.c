/* exit and exit_group. */
#include "proc.h"
#include "../syscalls.h"

long sys_exit_group(int code)
{
	fork_release_vfork_parent();
	exit_record_self(code & 0xff);
	vm_leave();
	host_exit_group(code & 0xff);
	__builtin_unreachable();
}

/* exit ends the calling thread; the last one's ends the process. */
long sys_exit(int code)
{
	if (__atomic_load_n(&gproc()->nthreads, __ATOMIC_ACQUIRE) <= 1)
		return sys_exit_group(code);
	thread_exit(code);
}
