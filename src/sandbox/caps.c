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

int sandbox_drop_net_caps(void)
{
	for (size_t i = 0; i < sizeof net_caps / sizeof net_caps[0]; i++)
		if (prctl(PR_CAPBSET_DROP, net_caps[i], 0, 0, 0) < 0 &&
		    errno != EPERM) /* EPERM: no CAP_SETPCAP, so none to drop */
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	for (size_t i = 0; i < sizeof net_caps / sizeof net_caps[0]; i++) {
		uint32_t bit = 1u << (net_caps[i] % 32);
		int w = net_caps[i] / 32;
		d[w].effective &= ~bit;
		d[w].permitted &= ~bit;
		d[w].inheritable &= ~bit;
	}
	if (syscall(SYS_capset, &h, d) < 0) {
		fprintf(stderr, "picos: cannot drop network capabilities: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}
