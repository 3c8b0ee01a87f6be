/* long vfork_clone(long flags, int *ptid, void *vstack, void (*restore)(void *), void *arg)
 *
 * A host clone(CLONE_VM|CLONE_VFORK) for the guest's vfork.  The child
 * borrows the whole address space, provider included, until it execs or
 * exits, and runs on the provider stack the parent was using.  So the
 * parent makes the call from a stack of its own (vstack, which the child
 * never touches), and once the host lets it go on it calls restore(arg)
 * there, which puts back the provider state the child overwrote, before it
 * returns to its own frames.
 *
 * The state was copied before this call, so the words this call pushes
 * (its return address and the saved registers) would come back stale:
 * they are kept on the vfork stack and written back after restore.
 *
 * The child gets 0 and goes back to the caller's stack at once. */
	.text
	.globl vfork_clone
	.hidden vfork_clone
vfork_clone:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %r12	/* the caller's stack, kept in callee-saved regs */
	mov	%rcx, %r13
	mov	%r8, %r14
	lea	-64(%rdx), %r15	/* 7 words: 6 registers and the return address */
	xor	%ecx, %ecx
2:	mov	(%r12,%rcx,8), %rax
	mov	%rax, (%r15,%rcx,8)
	inc	%ecx
	cmp	$7, %ecx
	jne	2b
	mov	%r15, %rsp	/* the vfork stack, below the kept words */
	mov	%rsi, %rdx	/* clone(flags, newsp = 0, ptid, ctid = 0, tls = 0) */
	xor	%esi, %esi
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	mov	$56, %eax	/* __NR_clone */
	syscall
	test	%rax, %rax
	jz	1f
	mov	%rax, %rbx	/* the parent: the child has exec'd or exited */
	mov	%r14, %rdi
	call	*%r13
	xor	%ecx, %ecx
3:	mov	(%r15,%rcx,8), %rax
	mov	%rax, (%r12,%rcx,8)
	inc	%ecx
	cmp	$7, %ecx
	jne	3b
	mov	%rbx, %rax
1:	mov	%r12, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.section .note.GNU-stack,"",@progbits
