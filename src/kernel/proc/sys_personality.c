/* personality(2): the execution domain and its flags.  x86-64 Linux
 * accepts any value (there is no EINVAL left on this architecture) and
 * 0xffffffff only queries; the value is inherited by fork and kept by
 * exec, less READ_IMPLIES_EXEC (which a 64-bit ELF load clears).  Of the
 * flags only ADDR_NO_RANDOMIZE changes what the provider does: its loader
 * then places the next program without random offsets (the PIE base, the
 * stack gap and the break; the ELF interpreter and mmap still go where
 * the host's randomised mmap puts them). */
#include "../kernel.h"
#include "../syscalls.h"
#include "proc.h"

#define PER_QUERY 0xffffffffu

long sys_personality(unsigned persona)
{
	unsigned old = proc.personality;
	if (persona != PER_QUERY)
		proc.personality = persona;
	return old;
}
