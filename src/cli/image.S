/* The provider image travels inside the picos binary. */
	.section .rodata
	.balign 4096
	.globl picos_provider_image, picos_provider_image_end
picos_provider_image:
	.incbin PROVIDER_IMAGE
picos_provider_image_end:
	.section .note.GNU-stack,"",@progbits
