/* pidfds: pidfd_open, pidfd_send_signal, pidfd_getfd, and the pidfds of
 * clone's CLONE_PIDFD and waitid's P_PIDFD (pidfd_of).
 *
 * A guest pidfd names a guest pid (f->priv).  Its host fd gives the
 * readiness: the host pidfd of the process's host process, which becomes
 * readable when that ends, or, for a process that has already ended (a
 * zombie whose host process the launcher reaped), a pipe holding one byte
 * with no writer, readable at once as a reaped process's pidfd is
 * (POLLIN|POLLHUP).  The guest never sees the host pid: reads, the host's
 * fdinfo (its "Pid:" line) and the pidfd ioctls are not passed on. */
#include "proc.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <linux/poll.h>
#include <picos/world.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#define PIDFD_THREAD O_EXCL
#define PIDFD_SIGNAL_THREAD (1UL << 0)
#define PIDFD_SIGNAL_THREAD_GROUP (1UL << 1)
#define PIDFD_SIGNAL_PROCESS_GROUP (1UL << 2)

struct pidfd {
	int vpid;     /* the guest process */
	int host_pid; /* its host process when the pidfd was made; 0 ended */
	/* A thread pidfd (PIDFD_THREAD): the guest tid it names (the pid for
	 * the first thread) and that thread's host tid (0 ended); tid is 0
	 * for a process pidfd. */
	int tid, host_tid;
};

/* The guest id a pidfd names: its thread's tid or its process's pid. */
static int named_id(const struct pidfd *p)
{
	return p->tid ? p->tid : p->vpid;
}

static long no_data(struct file *f, void *kbuf, size_t n)
{
	(void)f, (void)kbuf, (void)n;
	return -EINVAL; /* pidfds have no read or write */
}

static long no_write(struct file *f, const void *kbuf, size_t n)
{
	(void)f, (void)kbuf, (void)n;
	return -EINVAL;
}

/* Guest pidfds open in this memory (sys_wait.c asks whether any is). */
static int pidfds_open;

static void pidfd_counted(int n)
{
	__atomic_fetch_add(&pidfds_open, n, __ATOMIC_RELAXED);
}

bool pidfds_held(void)
{
	return __atomic_load_n(&pidfds_open, __ATOMIC_RELAXED) > 0;
}

void pidfd_host_wait_gone(int host_pid)
{
	long fd = host_syscall2(__NR_pidfd_open, host_pid, 0);
	if (fd < 0)
		return; /* reaped already */
	struct pollfd p = { .fd = (int)fd, .events = POLLIN };
	struct { long s, ns; } ts = { 0, 100 * 1000 * 1000 };
	host_syscall6(__NR_ppoll, (long)&p, 1, (long)&ts, 0, 8, 0);
	host_close((int)fd);
}

static void pidfd_release(struct file *f)
{
	kfree(f->priv);
	pidfd_counted(-1);
}

/* The host's fdinfo with its Pid:/NSpid: lines (host pids) replaced by
 * the guest pid, -1 once the process was reaped, as Linux shows it. */
static size_t pidfd_fdinfo(struct file *f, const char *host, char *out,
			   size_t size)
{
	struct pidfd *p = f->priv;
	int id = named_id(p);
	task_lock();
	bool listed = p->tid && p->tid != p->vpid ? tid_by_vtid(id) != NULL
						  : id && task_by_vpid(id);
	task_unlock();
	int v = listed ? id : -1;
	struct rt_buf b;
	rt_buf_init(&b, out, size);
	for (const char *l = host; *l;) {
		const char *e = rt_strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) + 1 : rt_strlen(l);
		if (rt_strncmp(l, "Pid:", 4) && rt_strncmp(l, "NSpid:", 6))
			rt_buf_put(&b, l, n);
		l += n;
	}
	rt_buf_printf(&b, "Pid:\t%d\nNSpid:\t%d\n", v, v);
	return b.len < size ? b.len : size - 1;
}

static void *pidfd_copy(const struct file *f)
{
	struct pidfd *p = kmalloc(sizeof *p);
	if (p) {
		*p = *(const struct pidfd *)f->priv;
		pidfd_counted(1);
	}
	return p;
}

/* An ended pidfd's host fd is a pipe: the calls that pass host fds on
 * get a host pidfd (of this process: any will do) to refuse as Linux
 * refuses a pidfd. */
static int pidfd_kind_fd(struct file *f)
{
	const struct pidfd *p = f->priv;
	if (p->tid ? p->host_tid : p->host_pid)
		return -1; /* a host pidfd already */
	long r = host_syscall2(__NR_pidfd_open, gproc()->host_pid, 0);
	return r < 0 ? -1 : (int)r;
}

static const struct file_ops pidfd_ops = {
	.read = no_data,
	.write = no_write,
	.link = "anon_inode:[pidfd]",
	.fdinfo = pidfd_fdinfo, /* the host's shows the host pid */
	.release = pidfd_release,
	.copy_priv = pidfd_copy,
	.kind_fd = pidfd_kind_fd,
};

/* A host fd readable at once: a pipe with one byte and no writer. */
static long ended_fd(bool nonblock)
{
	int p[2];
	long r = host_syscall2(__NR_pipe2, p, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (r < 0)
		return r;
	host_syscall3(__NR_write, p[1], "x", 1);
	host_close(p[1]);
	return p[0];
}

/* Is `host_pid` still the host process of live guest process `vpid`? */
static bool still_hosts(int vpid, int host_pid)
{
	task_lock();
	struct picos_task *t = task_by_vpid(vpid);
	bool r = t && t->state == TASK_LIVE && t->host_pid == host_pid;
	task_unlock();
	return r;
}

/* Is `host_tid` still the host thread of guest thread `tid`? */
static bool still_runs(int tid, int host_tid)
{
	task_lock();
	struct picos_thread_id *th = tid_by_vtid(tid);
	struct picos_task *t = th ? NULL : task_by_vpid(tid);
	bool r = th ? th->host_tid == host_tid
		    : t && t->state == TASK_LIVE && t->host_pid == host_tid;
	task_unlock();
	return r;
}

/* Installs a close-on-exec pidfd of what `named` names.  Its host fd is
 * the host pidfd of the host process (or, for a thread, thread) while
 * that still is the guest's -- it may have ended and been reaped, its id
 * even reused, before the host pidfd was made -- else an ended pidfd's
 * pipe, and the host id becomes 0. */
static long pidfd_new(const struct pidfd *named, bool nonblock)
{
	struct pidfd *p = kmalloc(sizeof *p);
	if (!p)
		return -ENOMEM;
	*p = *named;
	int *host = p->tid ? &p->host_tid : &p->host_pid;
	long hfd = -ESRCH;
	if (*host > 0) {
		hfd = host_syscall2(__NR_pidfd_open, *host,
				    (p->tid ? PIDFD_THREAD : 0) |
					    (nonblock ? PIDFD_NONBLOCK : 0));
		if (hfd >= 0 && !(p->tid ? still_runs(p->tid, *host)
					 : still_hosts(p->vpid, *host))) {
			host_close((int)hfd);
			hfd = -ESRCH;
		}
	}
	if (hfd < 0) {
		*host = 0;
		hfd = ended_fd(nonblock);
	}
	if (hfd < 0) {
		kfree(p);
		return hfd;
	}
	struct file *f = file_new((int)hfd, O_RDWR | (nonblock ? O_NONBLOCK : 0),
				  NULL, NULL);
	f->ops = &pidfd_ops;
	f->priv = p;
	pidfd_counted(1);
	return fd_install(f, true, 0);
}

bool pidfd_adopt(struct file *f, int host_pid)
{
	int vpid = host_pid > 0 ? task_vpid_of_host(host_pid) : 0;
	struct pidfd *p = kzalloc(sizeof *p);
	p->vpid = vpid;
	/* One that ended (or lies outside the world) is an ended pidfd. */
	p->host_pid = vpid ? host_pid : 0;
	f->ops = &pidfd_ops;
	f->priv = p;
	pidfd_counted(1);
	return true;
}

long pidfd_install(int vpid, bool nonblock)
{
	task_lock();
	struct picos_task *t = task_by_vpid(vpid);
	int hp = t && t->state == TASK_LIVE ? t->host_pid : 0;
	task_unlock();
	return pidfd_new(&(struct pidfd){ .vpid = vpid, .host_pid = hp }, nonblock);
}

long pidfd_of(int fd, int *vpid, bool *nonblock)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = -EBADF;
	if (f->ops == &pidfd_ops) {
		/* A thread pidfd names a tid, which no wait selects. */
		*vpid = named_id(f->priv);
		long fl = host_syscall2(__NR_fcntl, f->host_fd, F_GETFL);
		*nonblock = fl >= 0 && (fl & O_NONBLOCK);
		r = 0;
	}
	file_put(f);
	return r;
}

/* Has the host process behind a pidfd ended?  (The launcher may not have
 * recorded it in the table yet.) */
static bool host_ended(struct file *f)
{
	struct pollfd p = { .fd = f->host_fd, .events = POLLIN };
	struct { long s, ns; } zero = { 0, 0 };
	return host_syscall6(__NR_ppoll, (long)&p, 1, (long)&zero, 0, 8, 0) == 1;
}

bool pidfd_host_ended(int fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return false;
	bool r = f->ops == &pidfd_ops && host_ended(f);
	file_put(f);
	return r;
}

/* A PIDFD_THREAD pidfd of guest thread `tid` (a process's first thread
 * has its pid as tid): readable once that thread ends. */
long thread_pidfd_install(int tid, bool nonblock)
{
	int tgid = 0, hp = 0, ht = 0;
	task_lock();
	struct picos_thread_id *th = tid_by_vtid(tid);
	struct picos_task *t = th ? NULL : task_by_vpid(tid);
	if (th)
		tgid = th->tgid, hp = th->host_pid, ht = th->host_tid;
	else if (t)
		tgid = tid, hp = ht = t->state == TASK_LIVE ? t->host_pid : 0;
	task_unlock();
	if (!tgid)
		return -ESRCH;
	return pidfd_new(&(struct pidfd){ .vpid = tgid, .host_pid = hp, .tid = tid,
					  .host_tid = ht },
			 nonblock);
}

long sys_pidfd_open(int pid, unsigned flags)
{
	if (flags & ~(unsigned)(PIDFD_NONBLOCK | PIDFD_THREAD))
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	task_lock();
	bool process = task_by_vpid(pid) != NULL;
	bool thread = !process && tid_by_vtid(pid) != NULL;
	task_unlock();
	if (thread && !(flags & PIDFD_THREAD))
		return -ENOENT; /* as Linux: not a thread-group leader */
	if (!process && !thread)
		return -ESRCH;
	if (flags & PIDFD_THREAD)
		return thread_pidfd_install(pid, flags & PIDFD_NONBLOCK);
	return pidfd_install(pid, flags & PIDFD_NONBLOCK);
}

/* Linux also takes an fd of a /proc/<pid> directory as a pidfd
 * (pidfd_send_signal): the guest pid it names, or 0. */
static int procfs_dir_vpid(const struct file *f)
{
	if (!f->mnt || !f->mnt->procfs || !f->path)
		return 0;
	const char *p = f->path + f->mnt->path_len;
	if (*p++ != '/' || !*p)
		return 0;
	long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 0x7fffffff / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return (int)v;
}

/* The guest pid a pidfd (or /proc/<pid> directory fd) names, or 0. */
static int file_vpid(const struct file *f)
{
	if (f->ops == &pidfd_ops)
		return ((const struct pidfd *)f->priv)->vpid;
	return procfs_dir_vpid(f);
}

/* The pidfd's process, as the table has it now: its host pid (> 0) while
 * it lives, 0 for a zombie (signals to it succeed and do nothing), or
 * -ESRCH once it was reaped. */
static int target_host_pid(struct file *f)
{
	int r = -ESRCH;
	if (f->ops != &pidfd_ops) { /* a /proc/<pid> directory */
		task_lock();
		struct picos_task *t = task_by_vpid(procfs_dir_vpid(f));
		if (t)
			r = t->state == TASK_LIVE ? t->host_pid : 0;
		task_unlock();
		return r;
	}
	struct pidfd *p = f->priv;
	if (p->tid) /* a thread: gone once it ended (threads leave no zombie) */
		return p->host_tid && !host_ended(f) && still_runs(p->tid, p->host_tid)
			       ? p->host_pid
			       : -ESRCH;
	bool ended = !p->host_pid || host_ended(f);
	task_lock();
	struct picos_task *t = task_by_vpid(p->vpid);
	if (t && t->state == TASK_ZOMBIE)
		r = 0;
	else if (t && t->state == TASK_LIVE && t->host_pid == p->host_pid)
		/* Ended on the host, not yet recorded by the launcher: as
		 * good as a zombie. */
		r = ended ? 0 : t->host_pid;
	task_unlock();
	return r;
}

long sys_pidfd_send_signal(int fd, int sig, const void *uinfo, unsigned flags)
{
	if (flags & ~(unsigned)(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP |
				PIDFD_SIGNAL_PROCESS_GROUP))
		return -EINVAL;
	if (flags & (flags - 1)) /* more than one scope */
		return -EINVAL;
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r;
	int vpid = file_vpid(f);
	if (f->ops != &pidfd_ops && !vpid) {
		r = -EBADF;
		goto out;
	}
	const struct pidfd *pf = f->ops == &pidfd_ops ? f->priv : NULL;
	/* A thread pidfd signals its thread unless told otherwise. */
	bool to_thread = (flags & PIDFD_SIGNAL_THREAD) ||
			 (pf && pf->tid &&
			  !(flags & (PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP)));
	int named = pf ? named_id(pf) : vpid;
	siginfo_t info;
	if (uinfo) {
		if (copy_from_user(&info, uinfo, sizeof info) < 0) {
			r = -EFAULT;
			goto out;
		}
		if (info.si_signo != sig) {
			r = -EINVAL;
			goto out;
		}
		/* As Linux: only to oneself (the calling thread's id) may a
		 * non-negative code (or SI_TKILL) be forged. */
		if ((named != current()->tid || (flags & PIDFD_SIGNAL_PROCESS_GROUP)) &&
		    (info.si_code >= 0 || info.si_code == SI_TKILL)) {
			r = -EPERM;
			goto out;
		}
	}
	if (sig < 0 || sig > PICO_NSIG) {
		r = -EINVAL;
		goto out;
	}
	int hp = target_host_pid(f);
	long may = 0;
	if (hp >= 0 && !(flags & PIDFD_SIGNAL_PROCESS_GROUP) &&
	    (r = may = may_signal_id(named, sig)) < 0) {
		/* Linux's kill permission: refused (EPERM) */
	} else if (may == SIGNAL_DROPPED) {
		r = 0; /* the world's pid 1 has no handler for it */
	} else if (hp < 0) {
		r = -ESRCH;
	} else if (flags & PIDFD_SIGNAL_PROCESS_GROUP) {
		task_lock();
		struct picos_task *t = task_by_vpid(vpid);
		int pgid = t ? t->pgid : 0;
		task_unlock();
		r = pgid ? sys_kill(-pgid, sig) : -ESRCH;
	} else if (hp == 0 || sig == 0) {
		r = 0; /* a zombie, or only the permission check */
	} else if (to_thread) {
		/* A process pidfd's thread is its first one. */
		int ht = pf && pf->tid ? pf->host_tid : hp;
		if (uinfo)
			signal_mark_forged(sig, &info);
		r = uinfo ? host_syscall4(__NR_rt_tgsigqueueinfo, hp, ht, sig, &info)
			  : host_syscall3(__NR_tgkill, hp, ht, sig);
	} else if (uinfo) {
		signal_mark_forged(sig, &info);
		r = host_syscall3(__NR_rt_sigqueueinfo, hp, sig, &info);
	} else {
		r = host_syscall2(__NR_kill, hp, sig);
	}
	/* It ended a moment ago: a zombie (but a thread leaves none). */
	if (r == -ESRCH && hp > 0 && !(to_thread && pf && pf->tid))
		r = 0;
out:
	file_put(f);
	return r;
}

long sys_pidfd_getfd(int pidfd, int targetfd, unsigned flags)
{
	if (flags)
		return -EINVAL;
	struct file *f = fd_get(pidfd);
	if (!f)
		return -EBADF;
	if (f->ops != &pidfd_ops) {
		file_put(f);
		return -EBADF;
	}
	int vpid = ((struct pidfd *)f->priv)->vpid;
	int hp = target_host_pid(f);
	file_put(f);
	if (hp <= 0)
		return -ESRCH;
	/* Another process's fd table lives in its own provider. */
	if (vpid != gproc()->pid)
		return -ENOSYS;
	struct file *t = fd_get(targetfd);
	if (!t)
		return -EBADF;
	return fd_install(t, true, 0); /* the same open file, close-on-exec */
}
