/* Terminal ioctls (tty_ioctl(4), ioctl_tty(2)).
 *
 * Terminals are the host's: the user's terminal the world inherited, or a
 * pty the world made through /dev/ptmx (its own devpts instance with
 * namespaces).  Their requests go to the host through a provider buffer,
 * as in sys_fd.c, with three differences:
 *
 * - process groups and sessions: guest setpgid/setsid are mirrored on
 *   the host (proc/sys_id.c), so the host terminal's foreground group and
 *   session are host groups of the world's processes; TIOCGPGRP,
 *   TIOCSPGRP and TIOCGSID turn them into guest numbers and back through
 *   the host ids each process publishes in the world's table.
 * - job control: the requests Linux checks against the caller's group
 *   (tty_check_change: setting modes, flushing, breaks, TIOCSPGRP) are
 *   made in an interruptible host call, with the guest's mask, so a
 *   background caller gets the host's SIGTTOU as a guest signal (a stop,
 *   then the request again after SIGCONT) or goes ahead when it blocks or
 *   ignores it.
 * - input injection: TIOCSTI (queue bytes as if typed) and TIOCLINUX
 *   (virtual-console selection and paste) are refused here and by the
 *   world's seccomp filter, whatever the host's dev.tty.legacy_tiocsti
 *   says: a world must never type into the user's shell. */
#include "vfs.h"
#include "io.h"
#include "../proc/proc.h"
#include "../entry/entry.h"
#include "../signal/signal.h"
#include "../syscalls.h"
#include <asm/ioctls.h>
#include <asm/signal.h>
#include <asm/termbits.h>
#include <asm/termios.h>
#include <picos/world.h>

/* How a request's argument is carried. */
enum tty_arg {
	ARG_NONE,  /* no argument, or a value the host reads as it is */
	ARG_IN,	   /* the host reads `size` bytes at the pointer */
	ARG_OUT,   /* the host writes `size` bytes at the pointer */
	ARG_PGRP_OUT, /* int out: a host group, answered as a guest one */
	ARG_SID_OUT,  /* int out: a host session, answered as a guest one */
	ARG_PGRP_IN,  /* int in: a guest group, given as a host one */
};

static const struct tty_req {
	unsigned cmd;
	uint8_t arg;	 /* enum tty_arg */
	bool checked;	 /* Linux's tty_check_change: SIGTTOU if background */
	uint16_t size;
} tty_reqs[] = {
	{ TCGETS, ARG_OUT, false, sizeof(struct termios) },
	{ TCSETS, ARG_IN, true, sizeof(struct termios) },
	{ TCSETSW, ARG_IN, true, sizeof(struct termios) },
	{ TCSETSF, ARG_IN, true, sizeof(struct termios) },
	{ TCGETS2, ARG_OUT, false, sizeof(struct termios2) },
	{ TCSETS2, ARG_IN, true, sizeof(struct termios2) },
	{ TCSETSW2, ARG_IN, true, sizeof(struct termios2) },
	{ TCSETSF2, ARG_IN, true, sizeof(struct termios2) },
	{ TIOCGWINSZ, ARG_OUT, false, sizeof(struct winsize) },
	{ TIOCSWINSZ, ARG_IN, false, sizeof(struct winsize) },
	{ TIOCGPGRP, ARG_PGRP_OUT, false, sizeof(int) },
	{ TIOCSPGRP, ARG_PGRP_IN, true, sizeof(int) },
	{ TIOCGSID, ARG_SID_OUT, false, sizeof(int) },
	/* the argument is a value: the queue to flush, the break length,
	 * the flow action, "steal" for TIOCSCTTY */
	{ TCFLSH, ARG_NONE, true, 0 },
	{ TCSBRK, ARG_NONE, true, 0 },
	{ TCSBRKP, ARG_NONE, true, 0 },
	{ TCXONC, ARG_NONE, true, 0 },
	{ TIOCSBRK, ARG_NONE, false, 0 },
	{ TIOCCBRK, ARG_NONE, false, 0 },
	{ TIOCSCTTY, ARG_NONE, false, 0 },
	{ TIOCNOTTY, ARG_NONE, false, 0 },
	{ TIOCEXCL, ARG_NONE, false, 0 },
	{ TIOCNXCL, ARG_NONE, false, 0 },
	{ TIOCGEXCL, ARG_OUT, false, sizeof(int) },
	{ TIOCMGET, ARG_OUT, false, sizeof(int) },
	{ TIOCMSET, ARG_IN, false, sizeof(int) },
	{ TIOCMBIS, ARG_IN, false, sizeof(int) },
	{ TIOCMBIC, ARG_IN, false, sizeof(int) },
	{ TIOCGSOFTCAR, ARG_OUT, false, sizeof(int) },
	{ TIOCSSOFTCAR, ARG_IN, false, sizeof(int) },
	{ TIOCGETD, ARG_OUT, false, sizeof(int) },
	/* ptys: the pts number, its lock, packet mode */
	{ TIOCGPTN, ARG_OUT, false, sizeof(unsigned) },
	{ TIOCSPTLCK, ARG_IN, false, sizeof(int) },
	{ TIOCGPTLCK, ARG_OUT, false, sizeof(int) },
	{ TIOCPKT, ARG_IN, false, sizeof(int) },
	{ TIOCGPKT, ARG_OUT, false, sizeof(int) },
};

static const struct tty_req *tty_req_find(unsigned cmd)
{
	for (size_t i = 0; i < RT_ARRAY_SIZE(tty_reqs); i++)
		if (tty_reqs[i].cmd == cmd)
			return &tty_reqs[i];
	return NULL;
}

/* A host group or session of a process of the world as its guest one; 0
 * for one the world has none of (a group of the user's shell: Linux
 * answers 0 for a group outside the caller's pid namespace). */
static int guest_id_of_host(int host_id, bool session)
{
	struct picos_world *w = popts.world;
	int r = 0;
	task_lock();
	for (int i = 0; i < world_slots(w) && !r; i++) {
		const struct picos_task *t = &w->tasks[i];
		if (!t->vpid || t->state != TASK_LIVE)
			continue;
		if (session ? t->host_sid == host_id : t->host_pgid == host_id)
			r = session ? t->sid : t->pgid;
	}
	task_unlock();
	return r;
}

/* No pid ever reaches this (pid_max is at most 2^22): the host then
 * answers ESRCH for a group the world does not have, after its own
 * checks of the terminal and the caller (ENOTTY first, as Linux). */
#define NO_SUCH_GROUP 0x7fffffff

/* A guest group as the host one its processes are in. */
static int host_group_of_guest(int pgid)
{
	struct picos_world *w = popts.world;
	int r = NO_SUCH_GROUP;
	task_lock();
	for (int i = 0; i < world_slots(w); i++) {
		const struct picos_task *t = &w->tasks[i];
		if (t->vpid && t->state == TASK_LIVE && t->pgid == pgid) {
			r = t->host_pgid;
			if (t->vpid == pgid) /* the leader's, if it lives */
				break;
		}
	}
	task_unlock();
	/* A group the host cannot name here (it is the user's shell's job,
	 * outside the world's pid namespace) is in no session the world
	 * makes: the host's pid 1 (the world's init, or the host's init),
	 * which leads no group of any such session, gets the host's EPERM,
	 * as Linux answers for a group of another session. */
	return r == 0 ? 1 : r;
}

/* Linux's orphaned process group (POSIX): no member has a parent in
 * another group of the same session. */
static bool guest_group_orphaned(int pgid, int sid)
{
	struct picos_world *w = popts.world;
	bool orphaned = true;
	task_lock();
	for (int i = 0; i < world_slots(w) && orphaned; i++) {
		const struct picos_task *t = &w->tasks[i];
		if (!t->vpid || t->state != TASK_LIVE || t->pgid != pgid)
			continue;
		const struct picos_task *p = t->ppid ? task_by_vpid(t->ppid) : NULL;
		if (p && p->state == TASK_LIVE && p->pgid != pgid && p->sid == sid)
			orphaned = false;
	}
	task_unlock();
	return orphaned;
}

/* The host's EIO for a background group it finds orphaned.  The host
 * judges orphans by host parents, and every pico process's host parent is
 * the world's init, outside any session the world makes (a shell in a
 * pty): there the host fails a background read (or a TOSTOP write, a mode
 * change) with EIO where Linux stops the group.  So the provider decides
 * by the guest's rules: the call's file is the caller's controlling
 * terminal with another group in the foreground, the guest neither
 * blocks nor ignores `sig`, and its group is not orphaned in the guest's
 * tree: `sig` goes to its group (as Linux's tty_check_change) and the
 * call ends (-ERESTARTSYS) when a handler runs, or is to be made again
 * (0) after the stop.  -EIO when the host's answer stands. */
static long tty_background(struct file *f, int sig)
{
	int fg = 0;
	if (host_syscall3(__NR_ioctl, f->host_fd, TIOCGPGRP, &fg) < 0 || !fg ||
	    fg == __atomic_load_n(&gproc()->task->host_pgid, __ATOMIC_ACQUIRE))
		return -EIO;
	struct guest_sigaction a;
	sigaction_get(sig, &a);
	if ((current()->sigmask & SIGBIT(sig)) || a.handler == (uint64_t)SIG_IGN ||
	    guest_group_orphaned(task_pgid(), task_sid()))
		return -EIO;
	sys_kill(-task_pgid(), sig);
	/* Taken now, in a window open to it (the host holds it pending for
	 * this process): a handler makes the call end as Linux's, a stop
	 * happens here, an ignored one is dropped. */
	intr_call3(__NR_getpid, 0, 0, 0);
	return signal_interrupts() ? -ERESTARTSYS : 0;
}

long tty_io_eio(struct file *f, long nr)
{
	bool rd = nr == __NR_read || nr == __NR_readv || nr == __NR_preadv2;
	bool wr = nr == __NR_write || nr == __NR_writev || nr == __NR_pwritev2;
	if (!f || (!rd && !wr))
		return -EIO;
	return tty_background(f, rd ? SIGTTIN : SIGTTOU);
}

static long tty_host(struct file *f, const struct tty_req *q, unsigned long a)
{
	if (!q->checked)
		return host_syscall3(__NR_ioctl, f->host_fd, q->cmd, a);
	for (;;) {
		long r = intr_call3(__NR_ioctl, f->host_fd, q->cmd, a);
		/* TIOCSPGRP answers the host's orphan EIO as ENOTTY */
		if (r == -EIO || (r == -ENOTTY && q->cmd == TIOCSPGRP)) {
			long b = tty_background(f, SIGTTOU);
			if (b == 0)
				continue;
			return b == -EIO ? r : b;
		}
		if (r != -EINTR)
			return r;
		/* the host's SIGTTOU for a background caller: stopped and
		 * continued (or ignored), ask again, as Linux restarts */
		if (signal_interrupts())
			return -ERESTARTSYS;
	}
}

/* TIOCGPTPEER: the host opens the pty's other side; the guest gets it as
 * a new fd with the flags it asked (the host fd is close-on-exec, as
 * every host fd of the provider). */
static long tty_ptpeer(struct file *f, unsigned long flags)
{
	long hfd = host_syscall3(__NR_ioctl, f->host_fd, TIOCGPTPEER,
				 flags | O_CLOEXEC);
	if (hfd < 0)
		return hfd;
	unsigned n = 0;
	char path[32] = "/dev/pts/";
	if (host_syscall3(__NR_ioctl, f->host_fd, TIOCGPTN, &n) == 0)
		rt_snprintf(path, sizeof path, "/dev/pts/%u", n);
	/* status flags as F_GETFL shows them (O_NOCTTY is open-time only) */
	struct file *p = file_new((int)hfd, (int)(flags & (O_ACCMODE | O_NONBLOCK)),
				 NULL, path);
	if (!p) {
		host_close((int)hfd);
		return -ENOMEM;
	}
	return fd_install(p, (flags & O_CLOEXEC) != 0, 0);
}

/* TIOCSTI and TIOCLINUX: a file that is no terminal answers ENOTTY as
 * on Linux; a terminal refuses TIOCSTI with EIO (Linux's answer with
 * dev.tty.legacy_tiocsti=0) and TIOCLINUX with ENOTTY (Linux's on every
 * terminal but a virtual console, which the world never has). */
static long tty_refused(struct file *f, unsigned cmd)
{
	struct termios t;
	long r = host_syscall3(__NR_ioctl, f->host_fd, TCGETS, &t);
	if (r < 0)
		return r;
	return cmd == TIOCSTI ? -EIO : -ENOTTY;
}

long tty_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	if (cmd == TIOCSTI || cmd == TIOCLINUX)
		return tty_refused(f, cmd);
	if (cmd == TIOCGPTPEER)
		return tty_ptpeer(f, arg);
	const struct tty_req *q = tty_req_find(cmd);
	if (!q)
		return -ENOIOCTLCMD;
	if (q->arg == ARG_NONE)
		return tty_host(f, q, arg);
	union {
		struct termios2 t;
		struct winsize w;
		int i;
	} buf;
	rt_memset(&buf, 0, sizeof buf);
	void *p = &buf;
	void *u = (void *)arg;
	/* An input the guest cannot read goes to the host as the poison
	 * address: the host's own checks answer first, then EFAULT. */
	if ((q->arg == ARG_IN || q->arg == ARG_PGRP_IN) &&
	    copy_from_user(&buf, u, q->size) < 0)
		p = IO_POISON;
	else if (q->arg == ARG_PGRP_IN && buf.i >= 0)
		buf.i = host_group_of_guest(buf.i); /* < 0: EINVAL */
	long r = tty_host(f, q, (unsigned long)p);
	if (r < 0 || q->arg == ARG_IN || q->arg == ARG_PGRP_IN)
		return r;
	if (q->arg == ARG_PGRP_OUT || q->arg == ARG_SID_OUT)
		buf.i = guest_id_of_host(buf.i, q->arg == ARG_SID_OUT);
	return copy_to_user(u, &buf, q->size) < 0 ? -EFAULT : r;
}
