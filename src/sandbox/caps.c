/* The host capabilities of a world.  Whatever capabilities the launcher
 * has (all of them when picos runs as root), a world keeps only those in
 * the table below, which the provider needs on the host to serve a guest
 * root the way Linux serves a native one; the bounding set is cut down
 * to the same list, the inheritable and ambient sets are cleared, and
 * no_new_privs (set right after) keeps anything from coming back through
 * exec.  For any other user this changes nothing it could use (the
 * permitted set is empty; the bounding set is cut where CAP_SETPCAP
 * allows).  The guest's own view of its capabilities is the provider's
 * (src/kernel/proc/sys_caps.c, from the launcher's bounding set). */
#include "sandbox.h"
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>

/* Each entry, and why the provider needs it (docs/security/40-files.md
 * has the same list for users). */
static const struct {
	int cap;
	bool net_host_only; /* kept only with --net=host */
} world_caps[] = {
	{ CAP_CHOWN, false },		  /* guest root's chown in writable mounts */
	{ CAP_DAC_OVERRIDE, false },	  /* guest root reads and writes any file of its mounts */
	{ CAP_DAC_READ_SEARCH, false },  /* ... and searches any directory (open_by_handle_at is never allowed) */
	{ CAP_FOWNER, false },		  /* chmod, utimensat, sticky-bit removes of others' files */
	{ CAP_FSETID, false },		  /* set-id bits survive guest root's writes and chown */
	{ CAP_KILL, false },		  /* signals to world processes of other uids (Landlock scopes signals to the world) */
	{ CAP_SETGID, false },		  /* guest identity changes made real (setresgid, setgroups) */
	{ CAP_SETUID, false },		  /* ... and setresuid */
	{ CAP_NET_BIND_SERVICE, false }, /* guest root binds ports below 1024 */
	{ CAP_IPC_LOCK, false },	  /* guest root's mlock beyond RLIMIT_MEMLOCK */
	{ CAP_IPC_OWNER, false },	  /* guest root's access to the world's own IPC objects */
	{ CAP_SYS_NICE, false },	  /* guest root's negative nice and real-time policies (its own threads only) */
	{ CAP_SYS_RESOURCE, false },	  /* guest root raising its hard limits (its own process only) */
	{ CAP_LEASE, false },		  /* leases on files it does not own */
	{ CAP_WAKE_ALARM, false },	  /* CLOCK_*_ALARM timers */
	{ CAP_NET_ADMIN, true },  /* --net=host: the host's network, as root has it */
	{ CAP_NET_RAW, true },
};

static uint64_t kept_caps(bool net_host)
{
	uint64_t set = 0;
	for (size_t i = 0; i < sizeof world_caps / sizeof world_caps[0]; i++)
		if (net_host || !world_caps[i].net_host_only)
			set |= 1ULL << world_caps[i].cap;
	return set;
}

int sandbox_limit_caps(bool net_host)
{
	uint64_t keep = kept_caps(net_host);
	/* The bounding set first: dropping from it takes CAP_SETPCAP,
	 * which the capset below removes. */
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break; /* past the kernel's last capability */
		if (r == 1 && !(keep & (1ULL << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EPERM) /* EPERM: no CAP_SETPCAP, nothing to gain */
			goto fail;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) /* EINVAL: a kernel without ambient sets */
		goto fail;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		goto fail;
	for (int w = 0; w < 2; w++) {
		uint32_t k = (uint32_t)(keep >> (32 * w));
		d[w].effective &= k;
		d[w].permitted &= k;
		d[w].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "picos: cannot drop capabilities: %s\n", strerror(errno));
	return -1;
}
