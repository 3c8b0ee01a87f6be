/* exit and exit_group. */
#include "proc.h"
#include "../syscalls.h"

long sys_exit_group(int code)
{
	fork_release_vfork_parent();
	host_exit_group(code & 0xff);
	__builtin_unreachable();
}

/* With one thread per process, exit ends the process as exit_group does;
 * the threads issue gives it its per-thread meaning. */
long sys_exit(int code)
{
	return sys_exit_group(code);
}
