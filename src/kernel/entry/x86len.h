/* x86len.c: the length of the x86-64 instruction at p (n bytes there),
 * or -1 when it is not one the decoder knows, or not all there. */
#ifndef PICOS_X86LEN_H
#define PICOS_X86LEN_H

#include <stdbool.h>
#include <stddef.h>

int x86_insn_len(const unsigned char *p, size_t n);

#endif
