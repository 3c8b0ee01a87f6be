/* The provider image's entry point and the few instructions that must be
 * written in assembly: the first stack switch, the jump into the guest and
 * the signal return trampoline. */
	.text

/* The host kernel starts us here with %rsp at argc.  Switch to the boot
 * stack at once: the host stack becomes the guest's stack later. */
	.globl _start
	.hidden enter_guest, host_sigreturn, provider_main
_start:
	mov	%rsp, %rdi
	lea	boot_stack_top(%rip), %rsp
	and	$-16, %rsp
	xor	%ebp, %ebp
	call	provider_main
	ud2

/* void enter_guest(uint64_t entry, uint64_t sp)
 * Starts guest code as Linux starts a new program: %rsp at argc, every
 * other general register zero (%rdx = 0: no atexit function). */
	.globl enter_guest
enter_guest:
	mov	%rsi, %rsp
	push	%rdi
	xor	%eax, %eax
	xor	%ebx, %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	ret

/* The restorer of every host signal handler the provider installs: it must
 * live in provider text, where Syscall User Dispatch lets it through. */
	.globl host_sigreturn
host_sigreturn:
	mov	$15, %eax	/* __NR_rt_sigreturn */
	syscall
	ud2

	.bss
	.balign 16
boot_stack:
	.skip	65536
boot_stack_top:

	.section .note.GNU-stack,"",@progbits
