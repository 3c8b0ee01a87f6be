/* The layout facts about struct pico_thread that assembly needs
 * (fastpath.S); fastpath.c checks them against the struct. */
#ifndef PICOS_THREAD_ASM_H
#define PICOS_THREAD_ASM_H

#define PT_FAST_RET 16	       /* pico_thread.fast_ret */
#define PT_ALTSTACK 64	       /* pico_thread.altstack */
#define PT_ALTSTACK_SIZE 0x40000 /* 256 KiB */
#define FAST_DOOR_NR 0x7fff0f0d /* the fast path's door into the slow path */

#endif
