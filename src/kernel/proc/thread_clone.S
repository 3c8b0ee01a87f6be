/* The two instructions sequences a new provider thread needs. */
	.text

/* long thread_clone(unsigned long flags, void *stack, int *ptid,
 *                   int *ctid, unsigned long tls)
 * A host clone of a thread.  The child starts on `stack`, where the
 * caller left the function to run and its argument; it never returns. */
	.globl thread_clone
	.hidden thread_clone
thread_clone:
	mov	%rcx, %r10
	mov	$56, %eax	/* __NR_clone */
	syscall
	test	%rax, %rax
	jnz	1f
	xor	%ebp, %ebp
	pop	%rax		/* the function */
	pop	%rdi		/* its argument */
	and	$-16, %rsp
	call	*%rax
	ud2
1:	ret

/* void thread_sigreturn(void *uc)
 * Enters the guest context of a signal frame whose ucontext is at `uc`
 * (rt_sigreturn reads the frame just below the stack pointer's word). */
	.globl thread_sigreturn
	.hidden thread_sigreturn
thread_sigreturn:
	mov	%rdi, %rsp
	mov	$15, %eax	/* __NR_rt_sigreturn */
	syscall
	ud2

	.section .note.GNU-stack,"",@progbits
