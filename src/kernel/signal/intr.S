/* long intr_syscall(long nr, long a, long b, long c, long d, long e, long f)
 *
 * The one host system call a signal may interrupt.  A signal caught at any
 * point of [intr_begin, intr_end) has not yet been seen by the call: the
 * handler moves %rip to intr_eintr.  One caught before intr_begin shows in
 * the thread's ncaught (%gs:8), which is checked first.  One caught during
 * the call makes the host return -EINTR (the provider's host handlers have
 * no SA_RESTART).  So no signal is lost between the check and the call. */
	.text
	.globl intr_syscall, intr_begin, intr_end, intr_eintr
	.hidden intr_syscall, intr_begin, intr_end, intr_eintr
intr_syscall:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	mov	8(%rsp), %r9
intr_begin:
	cmpl	$0, %gs:8
	jne	intr_eintr
	syscall
intr_end:
	ret
intr_eintr:
	mov	$-4, %rax	/* -EINTR */
	ret

	.section .note.GNU-stack,"",@progbits
