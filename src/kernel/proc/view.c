/* What a process shows of itself to the rest of the world's /proc: the
 * state only its provider knows (signal dispositions and mask, umask,
 * no_new_privs, seccomp, tracer), copied into its slot of the world table
 * whenever it changes, for other processes' /proc/<pid>/stat and status
 * (fs/proc_pid.c).  A process reading its own files uses its live state
 * instead. */
#include "proc.h"
#include "../entry/seccomp_bpf.h"
#include "../fs/vfs.h"
#include <picos/world.h>
#include <asm/signal.h>

#define PUT(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

void view_dispositions(uint64_t *ignored, uint64_t *caught)
{
	uint64_t ign = 0, cgt = 0;
	for (int sig = 1; sig <= PICO_NSIG; sig++) {
		struct guest_sigaction a;
		sigaction_get(sig, &a);
		if (a.handler == (uint64_t)SIG_IGN)
			ign |= 1ULL << (sig - 1);
		else if (a.handler != (uint64_t)SIG_DFL)
			cgt |= 1ULL << (sig - 1);
	}
	*ignored = ign;
	*caught = cgt;
}

int view_filter_count(const struct pico_thread *t)
{
	int n = 0;
	for (const struct seccomp_filter *f = t->seccomp; f; f = f->prev)
		n++;
	return n;
}

/* The process's first thread in this memory, or NULL. */
static struct pico_thread *first_thread(struct gproc *gp)
{
	for_each_thread(t, gp)
		if (t->tid == gp->pid)
			return t;
	return NULL;
}

void view_publish_signals(void)
{
	struct picos_task *k = gproc()->task;
	uint64_t ign, cgt;
	view_dispositions(&ign, &cgt);
	PUT(k->view_ignored, ign);
	PUT(k->view_caught, cgt);
}

void view_publish_thread_of(struct gproc *gp)
{
	struct pico_thread *t = first_thread(gp);
	if (!t)
		return;
	struct picos_task *k = gp->task;
	PUT(k->view_blocked, t->sigmask);
	PUT(k->view_nnp, (uint8_t)t->no_new_privs);
	PUT(k->view_seccomp, (uint8_t)t->seccomp_mode);
	PUT(k->view_nfilters, (uint16_t)view_filter_count(t));
	PUT(k->view_tracer, t->pt_tracer);
}

void view_publish_comm(void)
{
	char *c = gproc()->task->view_comm;
	for (size_t i = 0; i < sizeof proc.comm && i < 16; i++)
		PUT(c[i], i < 15 ? proc.comm[i] : 0);
}

void view_publish(void)
{
	PUT(gproc()->task->view_umask, fs_umask);
	view_publish_comm();
	view_publish_signals();
	view_publish_thread_of(gproc());
}
