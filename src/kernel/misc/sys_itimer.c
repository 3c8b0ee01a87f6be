/* Interval timers: alarm, setitimer, getitimer.  The host's timers have
 * Linux's semantics and send their signal to this host process, whose
 * provider delivers it; they are passed through.  Timers survive the
 * in-place execve, as Linux keeps them, and a fork child starts without
 * any, as on Linux (the host does both). */
#include "../kernel.h"
#include "../syscalls.h"

long sys_alarm(unsigned secs)
{
	return host_syscall1(__NR_alarm, secs);
}

long sys_setitimer(int which, const void *unew, void *uold)
{
	struct { long v[4]; } nv, ov;
	if (unew && copy_from_user(&nv, unew, sizeof nv) < 0)
		return -EFAULT;
	long r = host_syscall3(__NR_setitimer, which, unew ? &nv : 0,
			       uold ? &ov : 0);
	if (r == 0 && uold && copy_to_user(uold, &ov, sizeof ov) < 0)
		return -EFAULT;
	return r;
}

long sys_getitimer(int which, void *ucur)
{
	struct { long v[4]; } cur;
	long r = host_syscall2(__NR_getitimer, which, &cur);
	if (r == 0 && copy_to_user(ucur, &cur, sizeof cur) < 0)
		return -EFAULT;
	return r;
}
