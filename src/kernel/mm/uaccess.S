/* Guest memory access with fault fix-up.
 *
 * Only the instructions between uaccess_begin and uaccess_end may fault on
 * a guest address.  The provider's SIGSEGV/SIGBUS handler sees a fault
 * there and resumes at uaccess_fixup, which returns -EFAULT to the caller:
 * the same idea as the Linux kernel's exception table.  The routines are
 * leaves that touch no stack, so resuming at the fix-up is always safe. */
	.text
	.globl uaccess_begin, uaccess_end, uaccess_fixup
	.globl uaccess_copy, uaccess_clear, uaccess_strncpy, uaccess_cmpxchg32
	.hidden uaccess_begin, uaccess_end, uaccess_fixup
	.hidden uaccess_copy, uaccess_clear, uaccess_strncpy, uaccess_cmpxchg32

uaccess_begin:

/* long uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT */
uaccess_copy:
	mov	%rdx, %rcx
	rep movsb
	xor	%eax, %eax
	ret

/* long uaccess_clear(void *dst, size_t n): 0 or -EFAULT */
uaccess_clear:
	mov	%rsi, %rcx
	xor	%eax, %eax
	rep stosb
	ret

/* long uaccess_strncpy(char *dst, const char *src, size_t max)
 * Returns the string's length when a NUL is found in the first `max`
 * bytes, `max` when none is, or -EFAULT. */
uaccess_strncpy:
	xor	%eax, %eax
1:	cmp	%rdx, %rax
	jae	2f
	movzbl	(%rsi,%rax), %ecx
	mov	%cl, (%rdi,%rax)
	test	%cl, %cl
	jz	2f
	inc	%rax
	jmp	1b
2:	ret

/* long uaccess_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new)
 * An atomic compare-and-exchange on a guest word: returns the word's
 * value before (zero-extended), or -EFAULT. */
uaccess_cmpxchg32:
	mov	%esi, %eax
	lock cmpxchg %edx, (%rdi)
	ret

uaccess_end:

uaccess_fixup:
	mov	$-14, %rax	/* -EFAULT */
	ret

	.section .note.GNU-stack,"",@progbits
