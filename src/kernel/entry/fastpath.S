/* The fast path's way into the provider and back (fastpath.c).
 *
 * A patched call site jumps to its stub, which loads the call number in
 * %eax and the stub's address in %rcx and jumps here.  %rcx and %r11 are
 * the two registers the `syscall` instruction itself clobbers, so the
 * guest expects nothing in them.  No `call` touches the guest's stack
 * (its red zone): the entry switches to the thread's provider stack at
 * once and builds the same frame as the SIGSYS path (struct pico_frame,
 * pushed from its last field down), then calls fast_dispatch.
 *
 * On the way out, from fast_exit_begin to fast_exit_end, a host signal
 * the provider records (deliver.c, on_async) moves the thread to
 * fast_door: the call's result and any signal then go through the slow
 * path, which has the host's context to deliver a signal with. */
#include "thread_asm.h"

	.text
	.globl fast_entry, fast_exit_begin, fast_exit_end, fast_door
	.hidden fast_entry, fast_exit_begin, fast_exit_end, fast_door
	.hidden fast_dispatch, fast_door_addr
fast_entry:
	mov	%rsp, %r11
	mov	%gs:PT_ALTSTACK, %rsp
	add	$PT_ALTSTACK_SIZE, %rsp
	push	%r11		/* rsp */
	pushfq			/* eflags */
	push	%rcx		/* rip: the stub, until fast_dispatch reads it */
	push	%rax		/* orig_rax */
	push	%rdi
	push	%rsi
	push	%rdx
	push	%rcx
	push	%rax
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	sub	$8, %rsp	/* 19 words pushed: align for the call */
	cld
	call	fast_dispatch
fast_exit_begin:
	add	$8, %rsp
	test	%eax, %eax
	jnz	fast_door
	cmpl	$0, %gs:8	/* a signal caught since fast_dispatch looked */
	jne	fast_door
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rax
	pop	%rcx
	pop	%rdx
	pop	%rsi
	pop	%rdi
	add	$16, %rsp	/* orig_rax, rip */
	popfq
	mov	(%rsp), %rsp
	jmp	*%gs:PT_FAST_RET
fast_exit_end:

/* Into the slow path: a `syscall` outside the provider's text (the door
 * in the stub area) with the door's number; the SIGSYS handler takes the
 * call from the thread's fast_frame, whatever the registers hold now. */
fast_door:
	mov	$FAST_DOOR_NR, %eax
	jmp	*fast_door_addr(%rip)

	.section .note.GNU-stack,"",@progbits
