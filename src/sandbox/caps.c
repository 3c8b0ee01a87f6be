/* Capabilities a world never needs: when picos runs as root, the host
 * process would keep CAP_NET_ADMIN and CAP_NET_RAW, with which a guest
 * could reconfigure the host's network (routing netlink) or read and
 * write raw packets past the network policy.  Unless the world has the
 * host's network (--net=host), they leave the bounding, permitted,
 * effective, inheritable and ambient sets before the provider starts;
 * no_new_privs keeps them from coming back.  For any other user this
 * changes nothing (the sets are empty). */
#include "sandbox.h"
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>

static const int net_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW };
/* Always dropped: the provider only reads the host's clock state
 * (adjtimex with modes 0); without CAP_SYS_TIME the host refuses a
 * change even if a hostile guest made that call with its own struct. */
static const int time_caps[] = { CAP_SYS_TIME };

static int drop_caps(const int *caps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) < 0 &&
		    errno != EPERM) /* EPERM: no CAP_SETPCAP, so none to drop */
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t bit = 1u << (caps[i] % 32);
		int w = caps[i] / 32;
		d[w].effective &= ~bit;
		d[w].permitted &= ~bit;
		d[w].inheritable &= ~bit;
	}
	if (syscall(SYS_capset, &h, d) < 0) {
		fprintf(stderr, "picos: cannot drop capabilities: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_drop_net_caps(void)
{
	return drop_caps(net_caps, sizeof net_caps / sizeof net_caps[0]);
}

int sandbox_drop_time_caps(void)
{
	return drop_caps(time_caps, sizeof time_caps / sizeof time_caps[0]);
}
