/* Guest seccomp filters: classic BPF programs the provider runs on the
 * guest's system calls (proc/sys_seccomp.c installs them, dispatch.c asks
 * seccomp_admit before every call of a thread that has one).  They bound
 * the guest, not the provider: the world's host allowlist
 * (src/sandbox/seccomp.c) is a separate, host-enforced filter. */
#ifndef PICOS_SECCOMP_BPF_H
#define PICOS_SECCOMP_BPF_H

#include "../kernel.h"
#include "frame.h"
#include <linux/filter.h>
#include <linux/seccomp.h>

/* One installed filter; a thread's chain runs from the newest (its
 * `seccomp`) through `prev`.  Immutable once installed and never freed:
 * another thread may be running it (TSYNC replaces chains of running
 * threads), so reclaiming it would need an RCU the provider lacks. */
struct seccomp_filter {
	const struct seccomp_filter *prev;
	uint32_t len;
	uint32_t kernel_len; /* the length of Linux's eBPF translation */
	uint32_t chain_cost; /* Linux's count for the chain up to here:
			      * the sum of kernel_len + 4 */
	bool log;
	struct sock_filter insns[];
};

#define SECCOMP_MODE_OFF 0
#define SECCOMP_MODE_STRICT_ON 1
#define SECCOMP_MODE_FILTER_ON 2

/* Linux's checks of a seccomp program (bpf_check_classic and
 * seccomp_check_filter): -EINVAL for a program it would refuse.  Rewrites
 * the length loads into loads of sizeof(struct seccomp_data). */
long seccomp_bpf_check(struct sock_filter *prog, uint32_t len);
/* The length of the eBPF program Linux translates a checked program into
 * (bpf_convert_filter): its limit of instructions per chain counts it. */
uint32_t seccomp_bpf_kernel_len(const struct sock_filter *prog, uint32_t len);
/* Runs a checked program on `d`: its 32-bit return value. */
uint32_t seccomp_bpf_run(const struct sock_filter *prog,
			 const struct seccomp_data *d);

/* Before dispatch, for a thread with seccomp on: true to run the call;
 * false when seccomp decided it (its result in *ret).  May not return
 * (the kill actions). */
bool seccomp_admit(struct pico_frame *f, long *ret);

#endif
