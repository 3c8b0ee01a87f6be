/* The one saved-register frame every way into the provider produces.
 *
 * The SIGSYS path fills it from the signal's ucontext; the patched-call
 * fast path (fastpath.S) pushes the same layout from its entry.  The order is
 * Linux's struct pt_regs, so the frame could be filled by a push sequence. */
#ifndef PICOS_FRAME_H
#define PICOS_FRAME_H

#include <stdint.h>

struct pico_frame {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t orig_rax; /* the system call number */
	uint64_t rip;	   /* the instruction after the `syscall` */
	uint64_t eflags;
	uint64_t rsp;
};

#endif
