/* Per-thread provider areas. */
#include "../kernel.h"
#include "thread.h"
#include "entry.h"
#include <asm/prctl.h>
#include <asm/signal.h>

struct pico_thread *thread_create_current(int tid)
{
	struct pico_thread *t = kzalloc(sizeof *t);
	t->self = t;
	t->tid = tid;
	t->cur_nr = -1;
	t->host_tid = (int)host_syscall0(__NR_gettid);
	ptrace_area_add(t);
	t->altstack = kmap_pages(PICO_ALTSTACK_SIZE);
	long r = host_syscall2(__NR_arch_prctl, ARCH_SET_GS, t);
	if (r < 0)
		kdie(125, "cannot set the provider's %%gs base (%ld)", r);
	stack_t ss = { .ss_sp = t->altstack, .ss_flags = 0,
		       .ss_size = PICO_ALTSTACK_SIZE };
	r = host_syscall2(__NR_sigaltstack, &ss, 0);
	if (r < 0)
		kdie(125, "cannot set the provider's signal stack (%ld)", r);
	return t;
}
