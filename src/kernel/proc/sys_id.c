/* Process and thread ids, user and group ids, and the identity mapping
 * between the guest's ids and the host's. */
#include "proc.h"
#include "remote.h"
#include "caps.h"
#include "keys.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include "../entry/entry.h"
#include <picos/world.h>
#include <linux/prctl.h>

/* The host uid and the guest's starting uid (--uid) trade places; every
 * other id is itself.  That keeps ownership consistent both ways: files
 * the host user owns look owned by the guest user, and chown to the guest
 * user is chown to the host user.  The pair is fixed at start: a guest
 * that changes its uid later still sees the same owners. */
static uint32_t swap(uint32_t v, uint32_t a, uint32_t b)
{
	return v == a ? b : v == b ? a : v;
}

uint32_t ident_uid_to_guest(uint32_t host_uid)
{
	return swap(host_uid, ident.host_uid, ident.map_uid);
}

uint32_t ident_gid_to_guest(uint32_t host_gid)
{
	return swap(host_gid, ident.host_gid, ident.map_gid);
}

uint32_t ident_uid_to_host(uint32_t guest_uid)
{
	return swap(guest_uid, ident.map_uid, ident.host_uid);
}

uint32_t ident_gid_to_host(uint32_t guest_gid)
{
	return swap(guest_gid, ident.map_gid, ident.host_gid);
}

long sys_getpid(void) { return gproc()->pid; }
long sys_getppid(void) { return task_ppid(); }
long sys_gettid(void) { return current()->tid; }
long sys_getuid(void) { return ident.uid; }
long sys_geteuid(void) { return ident.euid; }
long sys_getgid(void) { return ident.gid; }
long sys_getegid(void) { return ident.egid; }

/* The supplementary groups: at start the launcher's (or, without that
 * record, the world's primary group alone); a thread with CAP_SETGID may
 * set any list. */
#define NGROUPS_MAX 65536
static uint32_t *groups;
static int ngroups = -1; /* -1: not set yet, the primary group alone */
static bool groups_changed;

bool ident_groups_changed(void)
{
	return groups_changed;
}

void ident_set_host_groups(const uint32_t *host_gids, uint32_t n)
{
	if (n > NGROUPS_MAX)
		return;
	uint32_t *g = n ? kmalloc(sizeof(uint32_t) * n) : NULL;
	if (n && !g)
		return;
	for (uint32_t i = 0; i < n; i++)
		g[i] = ident_gid_to_guest(host_gids[i]);
	kfree(groups);
	groups = g;
	ngroups = (int)n;
}

bool ident_in_groups(uint32_t gid)
{
	if (ngroups < 0)
		return gid == ident.gid;
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

long sys_getgroups(int size, unsigned *list)
{
	if (size < 0)
		return -EINVAL;
	const uint32_t *g = ngroups < 0 ? &ident.gid : groups;
	int n = ngroups < 0 ? 1 : ngroups;
	if (size == 0)
		return n;
	if (size < n)
		return -EINVAL;
	if (n && copy_to_user(list, g, sizeof(uint32_t) * (size_t)n) < 0)
		return -EFAULT;
	return n;
}

/* ---- the host's ids, when it takes the guest's (ident.host_ids) ----
 *
 * Started by root, each id change is made on the host thread too, with
 * the guest's ids mapped to the host's, so the host kernel checks files,
 * signals and ports against them.  The guest's rules ran first; the host
 * applies the same rules, so it refuses only what the guest's model
 * allowed wrongly, and then the guest's change is undone.  Host ids are
 * per thread: a glibc program's setuid reaches every thread (its setxid
 * broadcast makes each call it), a raw call only the caller, as on Linux;
 * the provider's model is per process (docs/security/45-identity.md). */

/* A host that cannot represent the change (a user namespace that maps
 * only some ids: EINVAL; one whose setgroups is denied: EPERM for
 * setgroups) leaves the guest's ids to the provider's checks from then
 * on, as for a world started unprivileged (fs/perm.c). */
static long host_unable(long r, bool eperm_too)
{
	if (r == -EINVAL || (eperm_too && r == -EPERM)) {
		ident.host_ids = false;
		return 0;
	}
	return r;
}

static long host_setgroups(const uint32_t *g, int n)
{
	if (!ident.host_ids)
		return 0;
	uint32_t *h = n ? kmalloc(sizeof(uint32_t) * (size_t)n) : NULL;
	if (n && !h)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		h[i] = ident_gid_to_host(g[i]);
	long r = host_syscall2(__NR_setgroups, n, h);
	kfree(h);
	return host_unable(r, true);
}

/* The host thread's uids (gids) to the guest's current ones; the fs id
 * follows the effective one on the host, then is set as the guest's. */
static long host_setresuid(void)
{
	if (!ident.host_ids)
		return 0;
	caps_host_keepcaps();
	long r = host_syscall3(__NR_setresuid, ident_uid_to_host(ident.uid),
			       ident_uid_to_host(ident.euid),
			       ident_uid_to_host(ident.suid));
	if (r == 0)
		host_syscall1(__NR_setfsuid, ident_uid_to_host(ident.fsuid));
	return host_unable(r, false);
}

static long host_setresgid(void)
{
	if (!ident.host_ids)
		return 0;
	long r = host_syscall3(__NR_setresgid, ident_gid_to_host(ident.gid),
			       ident_gid_to_host(ident.egid),
			       ident_gid_to_host(ident.sgid));
	if (r == 0)
		host_syscall1(__NR_setfsgid, ident_gid_to_host(ident.fsgid));
	return host_unable(r, false);
}

long sys_setgroups(int size, const unsigned *list)
{
	if (size < 0 || size > NGROUPS_MAX)
		return -EINVAL;
	if (!capable(CAP_SETGID))
		return -EPERM;
	uint32_t *g = size ? kmalloc(sizeof(uint32_t) * (size_t)size) : NULL;
	if (size && !g)
		return -ENOMEM;
	if (size && copy_from_user(g, list, sizeof(uint32_t) * (size_t)size) < 0) {
		kfree(g);
		return -EFAULT;
	}
	long hr = host_setgroups(g, size);
	if (hr < 0) {
		kfree(g);
		return hr;
	}
	/* Linux keeps the list sorted (groups_sort); getgroups shows it so.
	 * A shell sort: short, and fast enough for NGROUPS_MAX. */
	for (int gap = size / 2; gap > 0; gap /= 2)
		for (int i = gap; i < size; i++)
			for (int j = i; j >= gap && g[j - gap] > g[j]; j -= gap) {
				uint32_t t = g[j];
				g[j] = g[j - gap];
				g[j - gap] = t;
			}
	kfree(groups);
	groups = g;
	ngroups = size;
	groups_changed = true;
	return 0;
}

static long put3(unsigned *r, unsigned *e, unsigned *s, uint32_t a,
		 uint32_t b, uint32_t c)
{
	if (copy_to_user(r, &a, 4) < 0 || copy_to_user(e, &b, 4) < 0 ||
	    copy_to_user(s, &c, 4) < 0)
		return -EFAULT;
	return 0;
}

long sys_getresuid(unsigned *r, unsigned *e, unsigned *s)
{
	return put3(r, e, s, ident.uid, ident.euid, ident.suid);
}

long sys_getresgid(unsigned *r, unsigned *e, unsigned *s)
{
	return put3(r, e, s, ident.gid, ident.egid, ident.sgid);
}

/* Process groups and sessions live in the world's table. */
static long lookup_pid(int pid, long (*get)(const struct picos_task *))
{
	if (pid < 0)
		return -ESRCH;
	if (pid == 0 || pid == gproc()->pid)
		return get(gproc()->task);
	task_lock();
	struct picos_task *t = task_by_vpid(pid);
	long r = t ? get(t) : -ESRCH;
	task_unlock();
	return r;
}

static long pgid_of(const struct picos_task *t) { return __atomic_load_n(&t->pgid, __ATOMIC_ACQUIRE); }
static long sid_of(const struct picos_task *t) { return __atomic_load_n(&t->sid, __ATOMIC_ACQUIRE); }

long sys_getpgrp(void) { return task_pgid(); }
long sys_getpgid(int pid) { return lookup_pid(pid, pgid_of); }
long sys_getsid(int pid) { return lookup_pid(pid, sid_of); }

/* Guest process groups and sessions are mirrored on the host: each
 * guest setpgid/setsid is made on the host process too (setpgid only
 * with pid 0, which the world's seccomp filter checks), so the host
 * kernel's terminal job control (the foreground group, SIGTTIN/SIGTTOU,
 * ^C/^Z to the foreground group) acts on the world's groups, and fs/tty.c
 * turns the terminal's host numbers into guest ones through the host ids
 * each process publishes here.  The host call is best effort: the
 * guest's answer is the table's (a group outside the world's pid
 * namespace cannot be named there). */
void pgrp_publish_host(void)
{
	struct picos_task *me = gproc()->task;
	gproc()->host_pgrp_of = __atomic_load_n(&me->pgid, __ATOMIC_ACQUIRE);
	__atomic_store_n(&me->host_pgid, (int)host_syscall1(__NR_getpgid, 0),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&me->host_sid, (int)host_syscall1(__NR_getsid, 0),
			 __ATOMIC_RELEASE);
}

/* The caller's own side of a mirrored setpgid: `host_pgid` 0 makes it
 * the leader of a new host group, as setpgid(0, 0). */
long pgrp_set_host(int host_pgid)
{
	long r = host_syscall2(__NR_setpgid, 0, host_pgid);
	pgrp_publish_host();
	return r;
}

/* After a stop: a setpgid the parent made meanwhile (remote_call leaves
 * it to the stopped child), made on the host now.  From a signal path,
 * so the table is read without its lock (the host call is best effort
 * anyway). */
void pgrp_resync(void)
{
	struct picos_task *me = gproc()->task;
	int pgid = __atomic_load_n(&me->pgid, __ATOMIC_ACQUIRE);
	if (pgid == gproc()->host_pgrp_of)
		return;
	int host_pgid = 0;
	for (int i = 0; pgid != gproc()->pid && i < world_slots(popts.world); i++) {
		const struct picos_task *t = &popts.world->tasks[i];
		if (t != me && __atomic_load_n(&t->vpid, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&t->pgid, __ATOMIC_ACQUIRE) == pgid &&
		    __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_LIVE)
			host_pgid = __atomic_load_n(&t->host_pgid, __ATOMIC_ACQUIRE);
	}
	pgrp_set_host(host_pgid);
}

/* The live process of session `sid` in group `pgid` (its leader if it
 * lives), or NULL. */
static struct picos_task *group_member(int pgid, int sid)
{
	struct picos_task *any = NULL;
	for (int i = 0; i < world_slots(popts.world); i++) {
		struct picos_task *t = &popts.world->tasks[i];
		if (t->vpid && t->state == TASK_LIVE && t->pgid == pgid &&
		    t->sid == sid) {
			if (t->vpid == pgid)
				return t;
			any = t;
		}
	}
	return any;
}

/* Linux's rules: the target is the caller or a child of it that has not
 * exec'd (EACCES) in the caller's session; no session leader; the group
 * must exist in the same session unless it is the target's own pid. */
long sys_setpgid(int pid, int pgid)
{
	if (pgid < 0)
		return -EINVAL;
	long r = 0;
	int host_pgid = 0, target = 0;
	bool move = false;
	task_lock();
	struct picos_task *me = gproc()->task;
	struct picos_task *t = pid == 0 || pid == gproc()->pid ? me : task_by_vpid(pid);
	if (pid < 0 || !t || (t != me && (t->ppid != gproc()->pid || t->state != TASK_LIVE)))
		r = -ESRCH;
	else if (t != me && (t->flags & TF_EXECED))
		r = -EACCES;
	else if (t->sid == t->vpid || (t != me && t->sid != me->sid))
		r = -EPERM;
	else {
		if (pgid == 0)
			pgid = t->vpid;
		struct picos_task *m = pgid == t->vpid ? t : group_member(pgid, me->sid);
		if (!m) {
			r = -EPERM;
		} else {
			/* A shell's parent and child both make the move: a
			 * child already there is not asked (it may be stopped,
			 * unable to answer, by then), the caller itself
			 * always moves on the host (the parent's request may
			 * not have reached it yet). */
			move = t == me || t->pgid != pgid;
			__atomic_store_n(&t->pgid, pgid, __ATOMIC_RELEASE);
			host_pgid = m == t ? 0 : m->host_pgid;
			target = t == me ? 0 : t->vpid;
		}
	}
	task_unlock();
	if (move && target)
		/* The host lets a process move only itself (its host parent
		 * is the launcher): the child does it, when it can answer
		 * (a stopped one answers once continued). */
		remote_call(target, RQ_SETPGID, host_pgid, 0, NULL, 0, NULL, 0);
	else if (move)
		pgrp_set_host(host_pgid);
	return r;
}

long sys_setsid(void)
{
	long r;
	task_lock();
	struct picos_task *me = gproc()->task;
	bool leader = false;
	for (int i = 0; i < world_slots(popts.world) && !leader; i++) {
		const struct picos_task *t = &popts.world->tasks[i];
		leader = t->vpid && t->pgid == gproc()->pid;
	}
	if (leader) {
		r = -EPERM;
	} else {
		me->pgid = me->sid = gproc()->pid;
		r = gproc()->pid;
	}
	task_unlock();
	if (r > 0) {
		/* leaves the host session and its controlling terminal too */
		host_syscall0(__NR_setsid);
		pgrp_publish_host();
	}
	return r;
}

long sys_set_tid_address(int *tidptr)
{
	current()->clear_child_tid = (uint64_t)tidptr;
	return current()->tid;
}

/* The robust-list head of a Linux thread is 24 bytes. */
#define ROBUST_HEAD_SIZE 24

long sys_set_robust_list(void *head, size_t len)
{
	if (len != ROBUST_HEAD_SIZE)
		return -EINVAL;
	current()->robust_list = (uint64_t)head;
	current()->robust_len = len;
	return 0;
}

long sys_get_robust_list(int pid, void **head, size_t *len)
{
	struct pico_thread *t = current();
	if (pid < 0)
		return -ESRCH;
	if (pid != 0 && pid != t->tid) {
		/* Linux answers for any task the caller may read
		 * (PTRACE_MODE_READ).  A task in this memory is answered; one
		 * with a provider of its own keeps its list there, where this
		 * one cannot read it: EPERM, as for a task one may not read. */
		if (task_host_of_id(pid) < 0)
			return -ESRCH;
		t = task_area_of(pid);
		if (!t)
			return -EPERM;
	}
	size_t l = ROBUST_HEAD_SIZE;
	/* Linux writes the length first. */
	if (copy_to_user(len, &l, sizeof l) < 0 ||
	    copy_to_user(head, &t->robust_list, sizeof(void *)) < 0)
		return -EFAULT;
	return 0;
}

/* The uid/gid setters change the guest's identity (and, started by root,
 * the host thread's: host_setresuid above), with Linux's rules: a thread with CAP_SETUID (CAP_SETGID
 * for gids) may set any id; any other may only move among its real,
 * effective and saved ids.  The filesystem id follows the effective id.
 * A uid change moves the capabilities as capabilities(7) says. */
#define ID_KEEP 0xffffffffu

static bool id_allowed(uint32_t v, uint32_t r, uint32_t e, uint32_t s, int cap)
{
	return v == ID_KEEP || capable(cap) || v == r || v == e || v == s;
}

static long set_res(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t *fs,
		    uint32_t nr, uint32_t ne, uint32_t ns, int cap)
{
	if (!id_allowed(nr, *r, *e, *s, cap) || !id_allowed(ne, *r, *e, *s, cap) ||
	    !id_allowed(ns, *r, *e, *s, cap))
		return -EPERM;
	/* A call that changes nothing leaves the fs id too (Linux 6.x). */
	if ((nr == ID_KEEP || nr == *r) && (ne == ID_KEEP || ne == *e) &&
	    (ns == ID_KEEP || ns == *s))
		return 0;
	if (nr != ID_KEEP)
		*r = nr;
	if (ne != ID_KEEP)
		*e = ne;
	if (ns != ID_KEEP)
		*s = ns;
	*fs = *e;
	return 0;
}

void ident_publish(struct picos_task *t)
{
	__atomic_store_n(&t->uid, ident.uid, __ATOMIC_RELEASE);
	__atomic_store_n(&t->euid, ident.euid, __ATOMIC_RELEASE);
	__atomic_store_n(&t->suid, ident.suid, __ATOMIC_RELEASE);
	__atomic_store_n(&t->gid, ident.gid, __ATOMIC_RELEASE);
	__atomic_store_n(&t->egid, ident.egid, __ATOMIC_RELEASE);
	__atomic_store_n(&t->sgid, ident.sgid, __ATOMIC_RELEASE);
}

void ident_set_dumpable(bool on)
{
	proc.dumpable = on;
	if (ident.host_ids)
		host_syscall2(__NR_prctl, PR_SET_DUMPABLE, on);
}

/* Linux's commit_creds: a change of the effective or filesystem ids
 * makes the process not dumpable (suid_dumpable, 0 by default).  The
 * host did the same to a host thread that changed its ids. */
static void ids_changed_dumpable(const struct identity *old)
{
	if (old->euid != ident.euid || old->egid != ident.egid ||
	    old->fsuid != ident.fsuid || old->fsgid != ident.fsgid)
		proc.dumpable = false;
}

/* After an id change: the table entry's ids, and the thread keyrings'
 * owners (the filesystem ids may have moved). */
static void publish_uid(void)
{
	ident_publish(gproc()->task);
	keys_fs_ids_changed();
}

long sys_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	struct identity old = ident;
	long ret = set_res(&ident.uid, &ident.euid, &ident.suid, &ident.fsuid,
			   r, e, s, CAP_SETUID);
	/* Also when nothing changed: another thread of the process may have
	 * changed the guest's ids and this host thread follows now. */
	if (ret == 0)
		ret = host_setresuid();
	if (ret < 0)
		ident = old;
	ids_changed_dumpable(&old);
	publish_uid();
	if (ret == 0) {
		caps_uid_changed(old.uid, old.euid, old.suid);
		caps_host_sync();
	}
	return ret;
}

long sys_setresgid(uint32_t r, uint32_t e, uint32_t s)
{
	struct identity old = ident;
	long ret = set_res(&ident.gid, &ident.egid, &ident.sgid, &ident.fsgid,
			   r, e, s, CAP_SETGID);
	if (ret == 0)
		ret = host_setresgid();
	if (ret < 0)
		ident = old;
	ids_changed_dumpable(&old);
	publish_uid();
	return ret;
}

/* setreuid: a new real id, or an effective id other than the real one,
 * also sets the saved id to the new effective id. */
long sys_setreuid(uint32_t r, uint32_t e)
{
	if (r != ID_KEEP && !capable(CAP_SETUID) && r != ident.uid && r != ident.euid)
		return -EPERM;
	uint32_t ne = e == ID_KEEP ? ident.euid : e;
	uint32_t ns = (r != ID_KEEP || (e != ID_KEEP && e != ident.uid)) ? ne : ID_KEEP;
	return sys_setresuid(r, e, ns);
}

long sys_setregid(uint32_t r, uint32_t e)
{
	if (r != ID_KEEP && !capable(CAP_SETGID) && r != ident.gid && r != ident.egid)
		return -EPERM;
	uint32_t ne = e == ID_KEEP ? ident.egid : e;
	uint32_t ns = (r != ID_KEEP || (e != ID_KEEP && e != ident.gid)) ? ne : ID_KEEP;
	return sys_setresgid(r, e, ns);
}

/* setuid: with CAP_SETUID it sets all three; otherwise only the
 * effective id, and only to the real or saved id. */
long sys_setuid(uint32_t u)
{
	if (u == ID_KEEP)
		return -EINVAL;
	if (capable(CAP_SETUID))
		return sys_setresuid(u, u, u);
	if (u != ident.uid && u != ident.suid)
		return -EPERM;
	return sys_setresuid(ID_KEEP, u, ID_KEEP);
}

long sys_setgid(uint32_t g)
{
	if (g == ID_KEEP)
		return -EINVAL;
	if (capable(CAP_SETGID))
		return sys_setresgid(g, g, g);
	if (g != ident.gid && g != ident.sgid)
		return -EPERM;
	return sys_setresgid(ID_KEEP, g, ID_KEEP);
}

void ident_exec(void)
{
	ident.suid = ident.fsuid = ident.euid;
	ident.sgid = ident.fsgid = ident.egid;
	/* The host thread does not exec: its saved ids follow here, or a
	 * program started after seteuid() could take the old ones back
	 * with a raw host call.  Always allowed: the new saved id is the
	 * effective one. */
	host_setresgid();
	host_setresuid();
	publish_uid();
}

/* setfsuid/setfsgid return the old value and never fail. */
long sys_setfsuid(uint32_t u)
{
	uint32_t old = ident.fsuid;
	if (u != ID_KEEP && (capable(CAP_SETUID) || u == ident.uid ||
			     u == ident.euid || u == ident.suid || u == ident.fsuid)) {
		ident.fsuid = u;
		if (u != old)
			proc.dumpable = false;
		if (ident.host_ids)
			host_syscall1(__NR_setfsuid, ident_uid_to_host(u));
		if (u != old) {
			caps_fsuid_changed(old);
			caps_host_sync();
			keys_fs_ids_changed();
		}
	}
	return old;
}

long sys_setfsgid(uint32_t g)
{
	uint32_t old = ident.fsgid;
	if (g != ID_KEEP && (capable(CAP_SETGID) || g == ident.gid ||
			     g == ident.egid || g == ident.sgid || g == ident.fsgid)) {
		ident.fsgid = g;
		if (g != old)
			proc.dumpable = false;
		if (ident.host_ids)
			host_syscall1(__NR_setfsgid, ident_gid_to_host(g));
		if (g != old)
			keys_fs_ids_changed();
	}
	return old;
}
