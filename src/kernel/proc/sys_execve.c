/* execve and execveat.
 *
 * The provider loads the new program itself, in place: it checks
 * everything that can fail while the old program can still be returned to
 * (the file, "#!" chain, ELF header, interpreter, argument sizes), then
 * unmaps every guest mapping it recorded, closes close-on-exec fds,
 * resets dispositions, loads the new image on the same host stack and
 * returns into it.  No guest file is ever executed by the host, and the
 * host process, its fds and timers stay, as Linux keeps them. */
#include "proc.h"
#include "caps.h"
#include "keys.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include "../misc/clock.h"
#include "../mm/mm.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/prctl.h>
#include <picos/world.h>

#define MAX_ARG_STRLEN (32 * 4096UL)
#define STK_LIM (8 * 1024 * 1024UL)
#define ARG_MAX_MIN (32 * 4096UL)
#ifndef AT_SYMLINK_NOFOLLOW
#define AT_SYMLINK_NOFOLLOW 0x100
#endif
#define RLIMIT_STACK_NR 3

struct strv {
	char **v;
	int n, cap;
	size_t bytes;
};

static void strv_free(struct strv *s)
{
	for (int i = 0; i < s->n; i++)
		kfree(s->v[i]);
	kfree(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Copies a guest NULL-terminated string array; -EFAULT, -E2BIG. */
static long strv_copy(const char *const *uv, struct strv *s, char *scratch,
		      int max)
{
	s->cap = 16;
	s->v = kmalloc(sizeof(char *) * (size_t)s->cap);
	s->n = 0;
	s->bytes = 0;
	s->v[0] = NULL;
	if (!uv) /* Linux takes a NULL array as an empty one */
		return 0;
	for (;;) {
		const char *up;
		if (copy_from_user(&up, &uv[s->n], sizeof up) < 0)
			return -EFAULT;
		if (!up)
			return 0;
		long len = strncpy_from_user(scratch, up, MAX_ARG_STRLEN);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return len;
		if (s->n + 2 > max)
			return -E2BIG;
		if (s->n + 2 > s->cap) {
			char **nv = kmalloc(sizeof(char *) * (size_t)s->cap * 2);
			rt_memcpy(nv, s->v, sizeof(char *) * (size_t)s->n);
			kfree(s->v);
			s->v = nv;
			s->cap *= 2;
		}
		s->v[s->n++] = kstrdup(scratch);
		s->v[s->n] = NULL;
		s->bytes += (size_t)len + 1;
	}
}

/* Linux's limit: a quarter of the stack limit (at most 6 MiB, at least
 * 128 KiB) for the strings and their pointers. */
static long check_arg_space(const struct strv *a, const struct strv *e)
{
	uint64_t lim = proc.rlimits[RLIMIT_STACK_NR].cur / 4;
	lim = RT_MIN(lim, STK_LIM / 4 * 3);
	lim = RT_MAX(lim, ARG_MAX_MIN);
	uint64_t ptrs = (uint64_t)(a->n + e->n) * sizeof(void *);
	if (lim <= ptrs || a->bytes + e->bytes > lim - ptrs)
		return -E2BIG;
	return 0;
}

/* The point of no return: nothing of the old program is left. */
static void exec_teardown(void)
{
	struct pico_thread *t = current();
	fork_release_vfork_parent();
	mm_unmap_all();
	proc.guest_dontfork = false; /* (its marks went with the mappings) */
	fast_exec_reset();
	aio_exec();
	fd_close_on_exec();
	timers_exec();
	mlock_forget_future();
	signal_exec_reset();
	host_syscall2(__NR_arch_prctl, ARCH_SET_FS, 0);
	proc.gs_base = 0;
	t->clear_child_tid = 0;
	t->robust_list = 0;
	t->robust_len = 0;
	proc.personality &= ~0x0400000u; /* READ_IMPLIES_EXEC, as a 64-bit ELF load */
	/* Linux's begin_new_exec: a program run with its real and effective
	 * ids equal is dumpable, else suid_dumpable (0, its default). */
	ident_set_dumpable(ident.euid == ident.uid && ident.egid == ident.gid);
	ident_exec();
	caps_exec();
	caps_host_sync(); /* the new program's sets, on the host thread too */
	task_set_flags(TF_EXECED, 0);
}

/* The new program starts as Linux starts one: %rsp at argc, every other
 * register zero. */
static void start_frame(struct pico_frame *f, const struct exec_result *er)
{
	rt_memset(f, 0, sizeof *f);
	f->rip = er->entry;
	f->rsp = er->sp;
	f->eflags = 0x202;
	f->orig_rax = (uint64_t)-1;
}

/* The guest's arguments counted, at most `max`: -1 if one cannot be
 * read. */
static int count_args(const char *const *uv, int max)
{
	int n = 0;
	for (const char *up = NULL; uv && n < max; n++)
		if (copy_from_user(&up, &uv[n], sizeof up) < 0)
			return -1;
		else if (!up)
			break;
	return n;
}

/* An exec from a patched site (a vfork child's execvp trying each
 * directory of $PATH): one that fails at its lookup fails on the fast
 * path; one that gets further runs on the slow path, which has the
 * host context a new image needs (EPICO_SLOW: nothing is changed). */
static long fast_execve(int dirfd, const char *path, const char *const *uargv,
			unsigned lk)
{
	int argc = count_args(uargv, EXEC_MAX_ARGS);
	long r = argc < 0 ? 0 : exec_lookup_error(dirfd, path, lk, argc);
	return r < 0 ? r : -EPICO_SLOW;
}

static long do_execve(int dirfd, const char *upath, const char *const *uargv,
		      const char *const *uenvp, int flags)
{
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	struct pico_thread *t = current();
	long r = copy_path_from_user(t->kpath[0], upath, flags & AT_EMPTY_PATH);
	if (r < 0)
		return r;
	if (t->in_fast)
		return fast_execve(dirfd, t->kpath[0], uargv,
				   (flags & AT_SYMLINK_NOFOLLOW ? 0 : LK_FOLLOW) |
					   (flags & AT_EMPTY_PATH ? LK_EMPTY_OK : 0));
	char *path = kstrdup(t->kpath[0]);
	char *scratch = kmalloc(MAX_ARG_STRLEN + 1);
	struct strv av = { 0 }, ev = { 0 };
	long cerr = strv_copy(uargv, &av, scratch, EXEC_MAX_ARGS - 16);
	if (cerr == 0)
		cerr = strv_copy(uenvp, &ev, scratch, 1 << 30);
	if (cerr == 0)
		cerr = check_arg_space(&av, &ev);
	kfree(scratch);

	unsigned lk = (flags & AT_SYMLINK_NOFOLLOW ? 0 : LK_FOLLOW) |
		      (flags & AT_EMPTY_PATH ? LK_EMPTY_OK : 0);
	/* AT_EXECFN as Linux makes it for a file named through a dirfd. */
	char *execfn = path;
	if (dirfd != AT_FDCWD && path[0] != '/') {
		execfn = kmalloc(PICOS_PATH_MAX + 32);
		if (path[0])
			rt_snprintf(execfn, PICOS_PATH_MAX + 32, "/dev/fd/%d/%s",
				    dirfd, path);
		else
			rt_snprintf(execfn, PICOS_PATH_MAX + 32, "/dev/fd/%d", dirfd);
	}
	struct exec_plan plan = { 0 };
	plan.path_gone = dirfd != AT_FDCWD && path[0] != '/' &&
			 fd_get_cloexec(dirfd);
	/* Linux looks the file up before it copies the arguments. */
	r = exec_prepare(dirfd, path, lk, execfn, av.v, av.n, &plan);
	if (r == 0 && cerr < 0) {
		exec_abort(&plan);
		r = cerr;
	}
	if (r < 0) {
		if (execfn != path)
			kfree(execfn);
		goto out;
	}
	/* A vfork child gives the borrowed address space back first (it
	 * shares its memory, vfork.c); a multi-threaded caller leaves its
	 * other threads behind (and its thread slot: its keyrings are read
	 * before). */
	struct picos_keycred keys_before;
	task_lock();
	keys_before = *keys_cred();
	task_unlock();
	if ((r = thread_exec_detach()) < 0) {
		exec_abort(&plan);
		if (execfn != path)
			kfree(execfn);
		goto out;
	}
	exec_teardown();
	keys_exec(&keys_before);
	struct exec_result er;
	r = exec_commit(&plan, execfn, ev.v, ev.n, &er);
	if (r < 0) {
		kprintf("execve of %s failed after the old program was gone: %s",
			path, errno_text((int)-r));
		die_by_signal(SIGSEGV);
	}
	if (execfn != path)
		kfree(execfn);
	view_publish(); /* the dispositions exec reset */
	start_frame(t->frame, &er);
	signal_fpu_reset(t->uc);
	t->frame_set = true;
	r = 0;
out:
	strv_free(&av);
	strv_free(&ev);
	kfree(path);
	return r;
}

long sys_execve(const char *path, const char *const *argv,
		const char *const *envp)
{
	return do_execve(AT_FDCWD, path, argv, envp, 0);
}

long sys_execveat(int dirfd, const char *path, const char *const *argv,
		  const char *const *envp, int flags)
{
	return do_execve(dirfd, path, argv, envp, flags);
}
