/* System and process information: uname, sysinfo, resource limits and
 * usage.  The limits are the pico process's own (proc.rlimits); the ones
 * the host can enforce for the guest are applied to the host as well. */
#include "proc.h"
#include "caps.h"
#include "remote.h"
#include <picos/world.h>
#include "../entry/entry.h"
#include "../fs/vfs.h"
#include "../syscalls.h"
#include <asm/resource.h>
#include <linux/sysinfo.h>
#include <linux/time.h>
#include <linux/utsname.h>

#define W (popts.world)
#define RLIM_INF (~0ULL)
#define RUSAGE_SIZE 144 /* struct rusage: two timevals and 14 longs */
#define TMS_SIZE 32	/* struct tms: four clock_t */
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

/* Host fds the provider keeps beyond the guest's RLIMIT_NOFILE: its
 * stdio copies, mount roots, O_PATH fds of path walks, the directory
 * cache's four (fs/dcache.c), the trace file. */
#define NOFILE_RESERVE 64

long sys_uname(void *buf)
{
	struct new_utsname u;
	long r = host_syscall1(__NR_uname, &u);
	if (r < 0)
		return r;
	/* The kernel and machine are the host's; the names are the
	 * world's. */
	rt_strlcpy(u.sysname, "Linux", sizeof u.sysname);
	task_lock();
	rt_strlcpy(u.nodename, W->hostname, sizeof u.nodename);
	rt_strlcpy(u.domainname, W->domainname, sizeof u.domainname);
	task_unlock();
	return copy_to_user(buf, &u, sizeof u);
}

/* sethostname and setdomainname change the world's names (every process
 * of the world sees them; the host's stay as they are).  Linux wants
 * CAP_SYS_ADMIN: the guest's (caps.h). */
static long set_name(char *dst, const char *uname, int len)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > __NEW_UTS_LEN)
		return -EINVAL;
	char k[__NEW_UTS_LEN + 1];
	if (copy_from_user(k, uname, (size_t)len) < 0)
		return -EFAULT;
	k[len] = 0;
	task_lock();
	rt_memcpy(dst, k, (size_t)len + 1);
	task_unlock();
	return 0;
}

long sys_sethostname(const char *name, int len)
{
	return set_name(W->hostname, name, len);
}

long sys_setdomainname(const char *name, int len)
{
	return set_name(W->domainname, name, len);
}

/* sysinfo: the host's memory, swap and load figures, with the world's
 * own uptime (from the pico process's start, which is the world's boot as
 * far as the guest can tell) and its own process count. */
/* The host's figures, as a container's: uptime and loads are the ones
 * /proc/uptime, /proc/loadavg and /proc/stat's btime show (process start
 * times count from the host's boot too); the number of processes
 * (Linux counts threads) is the world's. */
long sys_sysinfo(void *info)
{
	struct sysinfo si;
	long r = host_syscall1(__NR_sysinfo, &si);
	if (r < 0)
		return r;
	si.procs = (uint16_t)world_thread_count();
	return copy_to_user(info, &si, sizeof si);
}

/* How a guest limit reaches the host. */
enum host_map {
	HM_VIRTUAL,  /* soft limit kept by the provider, hard one mirrored */
	HM_SAME,     /* the host enforces it as it is */
	HM_PLUS_WIN, /* the host counts the provider window in it too */
	HM_NOFILE,   /* the guest's fd table, plus the provider's reserve */
};

static enum host_map host_map(unsigned res)
{
	switch (res) {
	case RLIMIT_CPU:
	case RLIMIT_FSIZE:
	case RLIMIT_STACK:
	case RLIMIT_CORE:
	case RLIMIT_MEMLOCK: /* the provider locks nothing of its own */
		return HM_SAME;
	/* The window is always mapped (reserved PROT_NONE or provider
	 * memory), so its whole size counts in the host's address space;
	 * the provider's data (heap, stacks) lies inside it. */
	case RLIMIT_AS:
	case RLIMIT_DATA:
		return HM_PLUS_WIN;
	case RLIMIT_NOFILE:
		return HM_NOFILE;
	default:
		return HM_VIRTUAL;
	}
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a == RLIM_INF || a + b < a ? RLIM_INF : a + b;
}

static long host_get(unsigned res, struct rlimit64 *rl)
{
	return host_syscall4(__NR_prlimit64, 0, res, NULL, rl);
}

static long host_set(unsigned res, uint64_t cur, uint64_t max)
{
	struct rlimit64 rl = { cur, max };
	return host_syscall4(__NR_prlimit64, 0, res, &rl, NULL);
}

/* A guest hard limit as the host must hold it. */
static uint64_t host_max_for(unsigned res, uint64_t max)
{
	switch (host_map(res)) {
	case HM_PLUS_WIN:
		return sat_add(max, PICOS_PROVIDER_SIZE);
	case HM_NOFILE:
		return sat_add(max, NOFILE_RESERVE);
	default:
		return max;
	}
}

/* Raising a hard limit: the host has the last word, since its limits
 * bound the whole pico process.  Its hard limit is raised first when the
 * new one needs more (which only a privileged host process may do;
 * -EPERM otherwise, as for RLIMIT_NOFILE above fs.nr_open). */
static long host_allow_max(unsigned res, uint64_t max)
{
	struct rlimit64 h;
	long r = host_get(res, &h);
	if (r < 0)
		return r;
	uint64_t want = host_max_for(res, max);
	if (want <= h.max)
		return 0;
	return host_set(res, h.cur, want);
}

/* Makes sure the host soft RLIMIT_NOFILE leaves the provider its reserve
 * above the guest's `cur`; never lowers it. */
static long nofile_host_room(uint64_t cur)
{
	struct rlimit64 h;
	long r = host_get(RLIMIT_NOFILE, &h);
	if (r < 0)
		return r;
	uint64_t want = RT_MIN(sat_add(cur, NOFILE_RESERVE), h.max);
	if (want > h.cur)
		r = host_set(RLIMIT_NOFILE, want, h.max);
	return r;
}

/* Applies a new guest limit to the host.  Every hard limit is mirrored,
 * so that raising one again is the host's decision, made with the host
 * process's own privilege; soft limits follow where the host enforces
 * them for the guest. */
static long apply_to_host(unsigned res, const struct rlimit64 *rl)
{
	struct rlimit64 h;
	long r = host_get(res, &h);
	if (r < 0)
		return r;
	uint64_t max = RT_MIN(host_max_for(res, rl->max), h.max), cur;
	switch (host_map(res)) {
	case HM_SAME:
		cur = rl->cur;
		break;
	case HM_PLUS_WIN:
		cur = sat_add(rl->cur, PICOS_PROVIDER_SIZE);
		break;
	case HM_NOFILE:
		/* Never less room for the provider than it has. */
		cur = RT_MAX(h.cur, sat_add(rl->cur, NOFILE_RESERVE));
		break;
	default:
		/* The provider's own: the host's soft limit only follows a
		 * lower hard one. */
		cur = h.cur;
		break;
	}
	cur = RT_MIN(cur, max);
	if (cur != h.cur || max != h.max)
		r = host_set(res, cur, max);
	if (r == 0 && res == RLIMIT_NOFILE)
		fd_limit = rl->cur;
	return r;
}

/* do_prlimit, in Linux's order of checks.  Raising a hard limit takes
 * CAP_SYS_RESOURCE (the guest's root) and the host's consent. */
static long do_prlimit(unsigned res, const struct rlimit64 *nw,
		       struct rlimit64 *old, bool may_raise)
{
	if (res >= PICO_NLIMITS)
		return -EINVAL;
	struct rlimit64 *rl = &proc.rlimits[res];
	if (nw) {
		if (nw->cur > nw->max)
			return -EINVAL;
		if (nw->max > rl->max) {
			if (!may_raise)
				return -EPERM;
			long r = host_allow_max(res, nw->max);
			if (r < 0)
				return r;
		}
		long r = apply_to_host(res, nw);
		if (r < 0)
			return r;
	}
	if (old)
		*old = *rl;
	if (nw)
		*rl = *nw;
	return 0;
}

/* The guest starts with the caller's RLIMIT_NOFILE, soft and hard, as a
 * native child would (the launcher leaves it as it found it).  The
 * provider's own host fds (NOFILE_RESERVE) must fit above the guest's,
 * so the host's hard limit is raised by the reserve where the host
 * allows it (CAP_SYS_RESOURCE, up to fs.nr_open: picos started by a
 * root that has it).  Only where it cannot be (an unprivileged caller, a
 * container's root without CAP_SYS_RESOURCE) is there no room above the
 * caller's hard limit: then the guest's hard limit is the caller's less
 * the reserve, and its soft one the caller's up to that, so that a guest
 * at its limit never makes the provider's own opens fail. */
void rlimit_nofile_init(void)
{
	struct rlimit64 *rl = &proc.rlimits[RLIMIT_NOFILE];
	struct rlimit64 h;
	if (host_get(RLIMIT_NOFILE, &h) < 0)
		h.cur = h.max = FD_MAX_DEFAULT + NOFILE_RESERVE;
	uint64_t caller_cur = h.cur;
	if (host_allow_max(RLIMIT_NOFILE, h.max) == 0)
		host_get(RLIMIT_NOFILE, &h);
	rl->max = h.max > 2 * NOFILE_RESERVE ? h.max - NOFILE_RESERVE
					     : h.max / 2;
	rl->cur = RT_MIN(caller_cur, rl->max);
	nofile_host_room(rl->cur);
	fd_limit = rl->cur;
}

long sys_getrlimit(int res, void *rlim)
{
	struct rlimit64 old;
	long r = do_prlimit((unsigned)res, NULL, &old, false);
	if (r < 0)
		return r;
	return copy_to_user(rlim, &old, sizeof old);
}

long sys_setrlimit(int res, const void *rlim)
{
	struct rlimit64 nw;
	if (copy_from_user(&nw, rlim, sizeof nw) < 0)
		return -EFAULT;
	return do_prlimit((unsigned)res, &nw, NULL,
			  capable(CAP_SYS_RESOURCE));
}

/* The limits of another process, which it reads and sets itself
 * (remote.c); `may_raise` is the caller's CAP_SYS_RESOURCE, as Linux's
 * do_prlimit asks the caller's. */
long prlimit_self(unsigned res, const struct rlimit64 *nw,
		  struct rlimit64 *old, bool may_raise)
{
	return do_prlimit(res, nw, old, may_raise);
}

int prlimit_all(struct rlimit64 *out)
{
	for (unsigned res = 0; res < PICO_NLIMITS; res++)
		if (do_prlimit(res, NULL, &out[res], false) < 0)
			out[res].cur = out[res].max = ~0ULL;
	return PICO_NLIMITS;
}

/* The process of guest pid or tid `id` (limits belong to the process):
 * its pid, or -ESRCH. */
static long process_of(int id)
{
	long r = -ESRCH;
	task_lock();
	struct picos_task *t = task_by_vpid(id);
	struct picos_thread_id *th = t ? NULL : tid_by_vtid(id);
	if (th)
		t = task_by_vpid(th->tgid);
	if (t && t->state == TASK_LIVE)
		r = t->vpid;
	task_unlock();
	return r;
}

/* Linux's check_prlimit_permission: the caller's real uid and gid are
 * each of the target's three, or it has CAP_SYS_RESOURCE. */
static long prlimit_permission(int pid)
{
	long r = -ESRCH;
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	if (t && t->state == TASK_LIVE)
		r = (t->uid == ident.uid && t->euid == ident.uid &&
		     t->suid == ident.uid && t->gid == ident.gid &&
		     t->egid == ident.gid && t->sgid == ident.gid) ||
				    capable(CAP_SYS_RESOURCE)
			    ? 0
			    : -EPERM;
	task_unlock();
	return r;
}

/* Another process's limits: its own provider holds them and sets the
 * host's (the host lets a pico process name only itself).  Its first
 * thread is asked. */
static long prlimit_other(int pid, unsigned res, const struct rlimit64 *nw,
			  struct rlimit64 *old)
{
	long r = prlimit_permission(pid);
	if (r < 0)
		return r;
	unsigned fl = (nw ? RQ_PRLIMIT_SET : 0) |
		      (capable(CAP_SYS_RESOURCE) ? RQ_PRLIMIT_RAISE : 0);
	return remote_call(pid, RQ_PRLIMIT, (long)res, (long)fl, nw,
			   nw ? sizeof *nw : 0, old, sizeof *old);
}

long sys_prlimit64(int pid, int res, const void *new_rlim, void *old_rlim)
{
	struct rlimit64 nw, old;
	if (new_rlim && copy_from_user(&nw, new_rlim, sizeof nw) < 0)
		return -EFAULT;
	long r = pid ? process_of(pid) : gproc()->pid;
	if (r < 0)
		return r;
	pid = (int)r;
	if (pid == gproc()->pid)
		r = do_prlimit((unsigned)res, new_rlim ? &nw : NULL,
			       old_rlim ? &old : NULL,
			       capable(CAP_SYS_RESOURCE));
	else /* the resource is the target's to check, after the permission */
		r = prlimit_other(pid, (unsigned)res, new_rlim ? &nw : NULL,
				  &old);
	/* Like Linux, a new limit stays set when the old one cannot be
	 * written back. */
	if (r == 0 && old_rlim)
		r = copy_to_user(old_rlim, &old, sizeof old);
	return r;
}

long sys_getrusage(int who, void *ru)
{
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN &&
	    who != RUSAGE_THREAD)
		return -EINVAL;
	/* The pico process is the host process: the host's accounting is
	 * its own.  Its children are the launcher's on the host; what the
	 * guest reaped of them is kept in its table entry. */
	if (who != RUSAGE_CHILDREN)
		return host_syscall2(__NR_getrusage, who,
				     user_ptr_for_host(ru, RUSAGE_SIZE));
	long k[RUSAGE_SIZE / 8];
	rt_memset(k, 0, sizeof k);
	uint64_t u = gproc()->task->cutime_us, s = gproc()->task->cstime_us;
	k[0] = (long)(u / 1000000), k[1] = (long)(u % 1000000);
	k[2] = (long)(s / 1000000), k[3] = (long)(s % 1000000);
	return copy_to_user(ru, k, sizeof k);
}

long sys_times(void *buf)
{
	/* Returns clock ticks since an arbitrary point, or -EFAULT. */
	long t[TMS_SIZE / 8];
	long r = host_syscall1(__NR_times, t);
	if (r < 0)
		return r;
	t[2] = (long)(gproc()->task->cutime_us * proc.clktck / 1000000);
	t[3] = (long)(gproc()->task->cstime_us * proc.clktck / 1000000);
	if (buf && copy_to_user(buf, t, sizeof t) < 0)
		return -EFAULT;
	return r;
}
