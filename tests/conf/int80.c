/* `int $0x80` from a 64-bit program: Linux runs the i386 system call
 * table (number in %eax, arguments in %ebx, %ecx, ...).  picos has no
 * i386 table and answers ENOSYS; what it must never do is run the 64-bit
 * call of that number (i386 20, getpid, is 64-bit writev; i386 13, time,
 * is rt_sigaction).  Trinity's -a32 mode fuzzes this path. */
#include "tap.h"
#include <time.h>

static long int80(long nr, long a1)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a1)
			 : "memory", "rcx", "r11");
	return r;
}

int main(void)
{
	long pid = int80(20, 0);
	ok(pid == getpid() || pid == -ENOSYS,
	   "i386 getpid gives the pid or ENOSYS (got %ld)", pid);
	long t = int80(13, 0);
	long now = (long)time(NULL);
	ok((t >= now - 5 && t <= now + 5) || t == -ENOSYS,
	   "i386 time gives the time or ENOSYS (got %ld)", t);
	ok(int80(1000, 0) == -ENOSYS, "i386 call 1000 is ENOSYS");
	return tap_done();
}
