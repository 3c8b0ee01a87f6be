/* Installs the world's seccomp allowlist and the init's: the BPF
 * programs libseccomp compiled from seccomp.c and init_filter.c when picos
 * was built (tools/genseccomp.c),
 * embedded in picos's read-only data.  Nothing is compiled or read at
 * run time, so nothing the caller or the guest can reach chooses or
 * alters it; the flags are the ones libseccomp's load used (TSYNC, with
 * no_new_privs set by the caller). */
#include "sandbox.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "seccomp_progs.h"

int sandbox_seccomp(bool inet, bool ipc)
{
	const struct sock_fprog *prog = &seccomp_progs[inet | ipc << 1];
	/* libseccomp sets no_new_privs itself when asked (NNP): so here */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, prog) != 0) {
		fprintf(stderr, "picos: cannot install the seccomp filter: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_init_seccomp(bool pidns)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("picos: init no_new_privs");
		return -1;
	}
	/* as libseccomp's load of it: no flags (the init has one thread) */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
		    &init_seccomp_progs[pidns]) != 0) {
		fprintf(stderr, "picos: cannot install the init's seccomp filter: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}
