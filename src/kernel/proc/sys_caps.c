/* capget, capset and the capability options of prctl: the guest's
 * capability model (caps.h).  The rules are Linux's (security/commoncap.c
 * and kernel/capability.c); the comments name the man page's terms. */
#include "caps.h"
#include "proc.h"
#include "../entry/thread.h"
#include "../syscalls.h"
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <picos/config.h>
#include <picos/world.h>

#define BIT(c) (1ULL << (c))
#define SECBIT(b) (1U << (b))
/* The capabilities whose effective bits follow the fsuid (Linux's
 * CAP_FS_MASK). */
#define CAP_FS_MASK                                                     \
	(BIT(CAP_CHOWN) | BIT(CAP_MKNOD) | BIT(CAP_DAC_OVERRIDE) |       \
	 BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER) | BIT(CAP_FSETID) |   \
	 BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_MAC_OVERRIDE))

static bool cap_valid_nr(unsigned long c)
{
	return c <= CAP_LAST_CAP;
}

static bool secure(const struct guest_caps *c, int bit)
{
	return c->securebits & SECBIT(bit);
}

/* An OCI runtime (runc) sets the config's sets with capset and raises
 * the ambient ones, then execs the program: the guest's sets are what
 * that exec makes of them.  The launcher checked the config as capset
 * would (src/cli/oci_spec.c); the masks here keep Linux's invariants
 * whatever it sent: no inheritable capability outside the bounding set
 * (which may be narrower than the config's: picos's own), no ambient one
 * not both permitted and inheritable. */
static void caps_init_oci(struct guest_caps *c, const struct pcfg_caps *oci)
{
	c->prm = oci->prm & CAPS_VALID;
	c->eff = oci->eff & c->prm;
	c->inh = oci->inh & c->bset;
	c->amb = oci->amb & c->prm & c->inh;
	caps_exec();
}

void caps_init(uint64_t bset, const struct pcfg_caps *oci)
{
	struct guest_caps *c = &current()->caps;
	rt_memset(c, 0, sizeof *c);
	c->bset = bset & CAPS_VALID;
	if (oci) {
		caps_init_oci(c, oci);
		return;
	}
	/* A root process starts as init does: everything the bounding set
	 * allows, permitted and effective; anyone else with nothing. */
	if (ident.euid == 0 || ident.uid == 0)
		c->prm = c->bset;
	if (ident.euid == 0)
		c->eff = c->prm;
	caps_publish();
}

bool capable(int cap)
{
	return current()->caps.eff & BIT(cap);
}

void caps_publish_task(struct picos_task *k, const struct guest_caps *c)
{
	__atomic_store_n(&k->cap_eff, c->eff, __ATOMIC_RELAXED);
	__atomic_store_n(&k->cap_prm, c->prm, __ATOMIC_RELAXED);
	__atomic_store_n(&k->cap_inh, c->inh, __ATOMIC_RELAXED);
	__atomic_store_n(&k->cap_bnd, c->bset, __ATOMIC_RELAXED);
	__atomic_store_n(&k->cap_amb, c->amb, __ATOMIC_RELEASE);
}

void caps_publish_of(struct gproc *gp)
{
	for_each_thread(t, gp) {
		if (t->tid == gp->pid)
			caps_publish_task(gp->task, &t->caps);
	}
}

void caps_publish(void)
{
	caps_publish_of(gproc());
}

/* capabilities(7), "Effect of user ID changes on capabilities" (Linux's
 * cap_emulate_setxuid), for one thread. */
static void setxuid_fixup(struct guest_caps *c, uint32_t or, uint32_t oe,
			  uint32_t os)
{
	if (secure(c, SECURE_NO_SETUID_FIXUP))
		return;
	bool had_root = or == 0 || oe == 0 || os == 0;
	bool has_root = ident.uid == 0 || ident.euid == 0 || ident.suid == 0;
	if (had_root && !has_root) {
		if (!secure(c, SECURE_KEEP_CAPS))
			c->prm = c->eff = 0;
		c->amb = 0;
	}
	if (oe == 0 && ident.euid != 0)
		c->eff = 0;
	if (oe != 0 && ident.euid == 0)
		c->eff = c->prm;
}

void caps_uid_changed(uint32_t or, uint32_t oe, uint32_t os)
{
	for_each_thread(t, gproc())
		setxuid_fixup(&t->caps, or, oe, os);
	caps_publish();
}

void caps_fsuid_changed(uint32_t old_fs)
{
	for_each_thread(t, gproc()) {
		struct guest_caps *c = &t->caps;
		if (secure(c, SECURE_NO_SETUID_FIXUP))
			continue;
		if (old_fs == 0 && ident.fsuid != 0)
			c->eff &= ~CAP_FS_MASK;
		if (old_fs != 0 && ident.fsuid == 0)
			c->eff |= c->prm & CAP_FS_MASK;
	}
	caps_publish();
}

/* Linux's cap_bprm_creds_from_file for a file without capabilities and
 * not set-user-ID: root (real or effective) is treated as if the file had
 * every capability, unless SECBIT_NOROOT; the ambient set carries over. */
void caps_exec(void)
{
	struct guest_caps *c = &current()->caps;
	uint64_t prm = 0;
	bool effective = false;
	if (!secure(c, SECURE_NOROOT)) {
		if (ident.euid == 0 || ident.uid == 0)
			prm = c->bset | c->inh;
		effective = ident.euid == 0;
	}
	c->prm = prm | c->amb;
	c->eff = effective ? c->prm : c->amb;
	c->securebits &= ~SECBIT(SECURE_KEEP_CAPS);
	caps_publish();
}

/* ---- the host's sets, when the host takes the guest's ids ---- */

static long host_capget(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return host_syscall2(__NR_capget, &h, d);
}

bool caps_host_can_setid(void)
{
	struct __user_cap_data_struct d[2];
	uint32_t need = BIT(CAP_SETUID) | BIT(CAP_SETGID);
	return host_capget(d) == 0 && (d[0].effective & need) == need;
}

void caps_host_keepcaps(void)
{
	if (ident.host_ids)
		host_syscall2(__NR_prctl, PR_SET_KEEPCAPS,
			      secure(&current()->caps, SECURE_KEEP_CAPS));
}

/* Only lowers: the new permitted set is within the host's, effective
 * within that; inheritable empty (the host never executes another
 * program: a guest execve stays in this process). */
void caps_host_sync(void)
{
	if (!ident.host_ids)
		return;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (host_capget(d) < 0)
		return;
	uint64_t hprm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	const struct guest_caps *c = &current()->caps;
	uint64_t prm = c->prm & hprm, eff = c->eff & prm;
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	host_syscall2(__NR_capset, &h, d);
}

/* The caller's header version: how many 32-bit words each set takes.
 * An unknown version gets the one the kernel prefers written back. */
static long cap_version(struct __user_cap_header_struct *uh, unsigned *words)
{
	uint32_t v;
	if (copy_from_user(&v, &uh->version, sizeof v) < 0)
		return -EFAULT;
	switch (v) {
	case _LINUX_CAPABILITY_VERSION_1:
		*words = _LINUX_CAPABILITY_U32S_1;
		return 0;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		*words = _LINUX_CAPABILITY_U32S_3;
		return 0;
	default:
		v = _LINUX_CAPABILITY_VERSION_3;
		if (copy_to_user(&uh->version, &v, sizeof v) < 0)
			return -EFAULT;
		return -EINVAL;
	}
}

long caps_of_id(int id, struct guest_caps *out)
{
	if (id == 0)
		id = current()->tid;
	for_each_thread(t, gproc())
		if (t->tid == id) {
			*out = t->caps;
			return 0;
		}
	long r = -ESRCH;
	task_lock();
	struct picos_task *k = task_by_vpid(id);
	if (!k) {
		struct picos_thread_id *th = tid_by_vtid(id);
		k = th ? task_by_vpid(th->tgid) : NULL;
	}
	if (k) {
		rt_memset(out, 0, sizeof *out);
		out->eff = __atomic_load_n(&k->cap_eff, __ATOMIC_RELAXED);
		out->prm = __atomic_load_n(&k->cap_prm, __ATOMIC_RELAXED);
		out->inh = __atomic_load_n(&k->cap_inh, __ATOMIC_RELAXED);
		out->bset = __atomic_load_n(&k->cap_bnd, __ATOMIC_RELAXED);
		out->amb = __atomic_load_n(&k->cap_amb, __ATOMIC_ACQUIRE);
		r = 0;
	}
	task_unlock();
	return r;
}

long sys_capget(struct __user_cap_header_struct *uh,
		struct __user_cap_data_struct *ud)
{
	unsigned words;
	long r = cap_version(uh, &words);
	/* A NULL data pointer is the version probe: 0 for a good version. */
	if (!ud || r < 0)
		return !ud && r == -EINVAL ? 0 : r;
	int pid;
	if (copy_from_user(&pid, &uh->pid, sizeof pid) < 0)
		return -EFAULT;
	if (pid < 0)
		return -EINVAL;
	struct guest_caps c;
	r = caps_of_id(pid, &c);
	if (r < 0)
		return r;
	uint64_t eff = c.eff, prm = c.prm, inh = c.inh;
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	return copy_to_user(ud, d, sizeof d[0] * words) < 0 ? -EFAULT : 0;
}

/* Linux's cap_capset: permitted may only shrink, effective within the
 * new permitted, inheritable within the old inheritable and bounding
 * sets, and within permitted too without CAP_SETPCAP. */
long sys_capset(struct __user_cap_header_struct *uh,
		const struct __user_cap_data_struct *ud)
{
	unsigned words;
	long r = cap_version(uh, &words);
	if (r < 0)
		return r;
	int pid;
	if (copy_from_user(&pid, &uh->pid, sizeof pid) < 0)
		return -EFAULT;
	struct pico_thread *t = current();
	if (pid != 0 && pid != t->tid)
		return -EPERM;
	struct __user_cap_data_struct d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	if (copy_from_user(d, ud, sizeof d[0] * words) < 0)
		return -EFAULT;
	uint64_t eff = (d[0].effective | (uint64_t)d[1].effective << 32) & CAPS_VALID;
	uint64_t prm = (d[0].permitted | (uint64_t)d[1].permitted << 32) & CAPS_VALID;
	uint64_t inh = (d[0].inheritable | (uint64_t)d[1].inheritable << 32) & CAPS_VALID;
	struct guest_caps *c = &t->caps;
	if (!capable(CAP_SETPCAP) && (inh & ~(c->inh | c->prm)))
		return -EPERM;
	if ((inh & ~(c->inh | c->bset)) || (prm & ~c->prm) || (eff & ~prm))
		return -EPERM;
	c->eff = eff;
	c->prm = prm;
	c->inh = inh;
	/* Ambient capabilities must stay permitted and inheritable. */
	c->amb &= prm & inh;
	caps_publish();
	caps_host_sync();
	return 0;
}

static long ambient(unsigned long op, unsigned long cap, unsigned long a4,
		    unsigned long a5)
{
	struct guest_caps *c = &current()->caps;
	if (op == PR_CAP_AMBIENT_CLEAR_ALL) {
		if (cap || a4 || a5)
			return -EINVAL;
		c->amb = 0;
		caps_publish();
		return 0;
	}
	if (!cap_valid_nr(cap) || a4 || a5)
		return -EINVAL;
	switch (op) {
	case PR_CAP_AMBIENT_IS_SET:
		return (c->amb & BIT(cap)) != 0;
	case PR_CAP_AMBIENT_RAISE:
		if (!(c->prm & BIT(cap)) || !(c->inh & BIT(cap)) ||
		    secure(c, SECURE_NO_CAP_AMBIENT_RAISE))
			return -EPERM;
		c->amb |= BIT(cap);
		caps_publish();
		return 0;
	case PR_CAP_AMBIENT_LOWER:
		c->amb &= ~BIT(cap);
		caps_publish();
		return 0;
	default:
		return -EINVAL;
	}
}

/* Linux 6.14's SECBIT_EXEC_RESTRICT_FILE and SECBIT_EXEC_DENY_INTERACTIVE
 * (bits 8 and 10, locks 9 and 11): flags for script interpreters to read,
 * which the kernel only stores, and which need no privilege. */
#define SECBITS_EXEC (SECBIT(8) | SECBIT(10))
#define SECBITS_ALL (SECURE_ALL_BITS | SECBITS_EXEC)
#define SECBITS_LOCKS (SECBITS_ALL << 1)
#define SECBITS_UNPRIVILEGED (SECBITS_EXEC | (SECBITS_EXEC << 1))

/* A locked bit may not change and a lock may not be undone; only bits
 * Linux knows.  Without CAP_SETPCAP the call must change unprivileged
 * bits and nothing else (Linux refuses a call that changes nothing). */
static long set_securebits(unsigned long v)
{
	struct guest_caps *c = &current()->caps;
	uint32_t old = c->securebits;
	if ((((old & SECBITS_LOCKS) >> 1) & (old ^ v)) ||
	    (old & SECBITS_LOCKS & ~v) ||
	    (v & ~(unsigned long)(SECBITS_LOCKS | SECBITS_ALL)))
		return -EPERM;
	if (!capable(CAP_SETPCAP) &&
	    (((old ^ v) & ~(unsigned long)SECBITS_UNPRIVILEGED) ||
	     !(old ^ v)))
		return -EPERM;
	c->securebits = (uint32_t)v;
	return 0;
}

bool caps_prctl_option(int option)
{
	switch (option) {
	case PR_CAPBSET_READ:
	case PR_CAPBSET_DROP:
	case PR_CAP_AMBIENT:
	case PR_GET_SECUREBITS:
	case PR_SET_SECUREBITS:
	case PR_GET_KEEPCAPS:
	case PR_SET_KEEPCAPS:
		return true;
	default:
		return false;
	}
}

long caps_prctl(int option, unsigned long a2, unsigned long a3,
		unsigned long a4, unsigned long a5)
{
	struct guest_caps *c = &current()->caps;
	switch (option) {
	case PR_CAPBSET_READ:
		if (!cap_valid_nr(a2))
			return -EINVAL;
		return (c->bset & BIT(a2)) != 0;
	case PR_CAPBSET_DROP:
		if (!capable(CAP_SETPCAP))
			return -EPERM;
		if (!cap_valid_nr(a2))
			return -EINVAL;
		c->bset &= ~BIT(a2);
		caps_publish();
		return 0;
	case PR_CAP_AMBIENT:
		return ambient(a2, a3, a4, a5);
	case PR_GET_SECUREBITS:
		return c->securebits;
	case PR_SET_SECUREBITS:
		return set_securebits(a2);
	case PR_GET_KEEPCAPS:
		return secure(c, SECURE_KEEP_CAPS);
	case PR_SET_KEEPCAPS:
		if (a2 > 1)
			return -EINVAL;
		if (secure(c, SECURE_KEEP_CAPS_LOCKED))
			return -EPERM;
		if (a2)
			c->securebits |= SECBIT(SECURE_KEEP_CAPS);
		else
			c->securebits &= ~SECBIT(SECURE_KEEP_CAPS);
		return 0;
	default:
		return -EINVAL;
	}
}
