/* prctl and arch_prctl. */
#include "proc.h"
#include "caps.h"
#include "../entry/thread.h"
#include <picos/world.h>
#include "../syscalls.h"
#include <asm/prctl.h>
#include <linux/prctl.h>

long sys_arch_prctl(int code, unsigned long addr)
{
	switch (code) {
	case ARCH_SET_FS:
		/* %fs is the guest's: the provider never uses it. */
		if (!guest_range_ok(addr, 0))
			return -EPERM;
		return host_syscall2(__NR_arch_prctl, ARCH_SET_FS, addr);
	case ARCH_GET_FS: {
		uint64_t v;
		long r = host_syscall2(__NR_arch_prctl, ARCH_GET_FS, &v);
		if (r < 0)
			return r;
		return copy_to_user((void *)addr, &v, sizeof v);
	}
	case ARCH_SET_GS:
		/* %gs holds the provider's thread pointer; the guest's GS
		 * base is remembered but not loaded. */
		if (!guest_range_ok(addr, 0))
			return -EPERM;
		proc.gs_base = addr;
		return 0;
	case ARCH_GET_GS:
		return copy_to_user((void *)addr, &proc.gs_base,
				    sizeof proc.gs_base);
	case ARCH_GET_CPUID:
	case ARCH_SET_CPUID:
		return host_syscall2(__NR_arch_prctl, code, addr);
	default:
		return -EINVAL;
	}
}

long thread_set_name(const char *name)
{
	char n[16];
	rt_strlcpy(n, name, sizeof n);
	/* The name is the thread's, kept by the host: its procfs (comm,
	 * stat, status) shows it to the world. */
	if (current()->tid == gproc()->pid) {
		rt_strlcpy(proc.comm, n, sizeof proc.comm);
		view_publish_comm();
	}
	return host_syscall2(__NR_prctl, PR_SET_NAME, (long)n);
}

long sys_prctl(int option, unsigned long a2, unsigned long a3,
	       unsigned long a4, unsigned long a5)
{
	/* Capabilities and seccomp: their own modules (sys_caps.c,
	 * sys_seccomp.c). */
	if (caps_prctl_option(option))
		return caps_prctl(option, a2, a3, a4, a5);
	if (option == PR_SET_SECCOMP || option == PR_GET_SECCOMP)
		return seccomp_prctl(option, a2, a3);
	switch (option) {
	case PR_SET_NAME: {
		char name[16];
		long n = strncpy_from_user(name, (const char *)a2, sizeof name);
		if (n == -EFAULT)
			return -EFAULT;
		name[sizeof name - 1] = 0;
		return thread_set_name(name);
	}
	case PR_GET_NAME: {
		char name[16] = { 0 };
		long r = host_syscall2(__NR_prctl, PR_GET_NAME, (long)name);
		if (r < 0)
			return r;
		return copy_to_user((void *)a2, name, sizeof name);
	}
	case PR_SET_DUMPABLE:
		if (a2 > 1)
			return -EINVAL;
		ident_set_dumpable(a2);
		return 0;
	case PR_GET_DUMPABLE:
		return proc.dumpable;
	case PR_SET_NO_NEW_PRIVS:
		if (a2 != 1 || a3 || a4 || a5)
			return -EINVAL;
		current()->no_new_privs = true; /* per thread, as on Linux */
		view_publish_thread_of(gproc());
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (a2 || a3 || a4 || a5)
			return -EINVAL;
		return current()->no_new_privs;
	case PR_SET_PDEATHSIG:
		/* The launcher sends it when the guest parent ends. */
		if (a2 > 64)
			return -EINVAL;
		__atomic_store_n(&gproc()->task->pdeathsig, (int)a2, __ATOMIC_RELEASE);
		return 0;
	case PR_GET_PDEATHSIG:
	{
		/* Kept only in the table: a CLONE_VM child shares `proc`. */
		int sig = __atomic_load_n(&gproc()->task->pdeathsig,
					  __ATOMIC_ACQUIRE);
		return copy_to_user((void *)a2, &sig, sizeof(int));
	}
	case PR_SET_CHILD_SUBREAPER:
		task_set_flags(a2 ? TF_SUBREAPER : 0, a2 ? 0 : TF_SUBREAPER);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int on = (gproc()->task->flags & TF_SUBREAPER) ? 1 : 0;
		return copy_to_user((void *)a2, &on, sizeof on);
	}
	/* The timer slack is the host thread's own (per thread, 0 resets
	 * it to the thread's default, ignored for real-time threads). */
	case PR_SET_TIMERSLACK:
		return host_syscall2(__NR_prctl, PR_SET_TIMERSLACK, a2);
	case PR_GET_TIMERSLACK:
		return host_syscall2(__NR_prctl, PR_GET_TIMERSLACK, 0);
	default:
		return -EINVAL;
	}
}
