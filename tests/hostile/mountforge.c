/* The world's mount operations (struct picos_mounts in the world region,
 * which every process maps writable): a guest forges mounts of host
 * directories outside the world's mounts, writable, and then reads and
 * writes through them with the provider's own calls.  The provider opens
 * a forged mount's host directory through the host, so the host's
 * boundary decides: with namespaces the directory is not in the world's
 * tree (the mount never appears: ENOENT), flat Landlock refuses its
 * contents (EACCES).  Nothing here needs a capability: plain stores
 * reach the region. */
#include "hostile.h"
#include <picos/config.h>
#include <picos/layout.h>
#include <picos/world.h>

#define W ((struct picos_world *)PICOS_WORLD_ADDR)

/* Appends an ADD operation, writable, as a mount(2) would (without the
 * lock: a guest that forges need not be polite). */
static void forge(const char *guest, const char *host)
{
	uint32_t n = W->mounts.n;
	if (n >= PICOS_MOUNT_OPS)
		return;
	struct picos_mount_op *op = &W->mounts.op[n];
	op->op = PICOS_MOP_ADD;
	op->flags = 0;
	snprintf(op->guest, sizeof op->guest, "%s", guest);
	snprintf(op->host, sizeof op->host, "%s", host);
	snprintf(op->source, sizeof op->source, "forged");
	__atomic_store_n(&W->mounts.n, n + 1, __ATOMIC_RELEASE);
}

static const char *tmpdir_, *canary_dir;

static int read_tmp(void *a)
{
	(void)a;
	int fd = open("/forged-tmp/file", O_RDONLY);
	return held_if_failed("open of the host /tmp canary through a forged mount",
			      fd < 0 ? -errno : fd);
}

static int write_tmp(void *a)
{
	(void)a;
	int fd = open("/forged-tmp/forged-new", O_CREAT | O_WRONLY, 0644);
	return report(fd < 0, "create in the host /tmp through a forged mount -> %s",
		      fd < 0 ? strerrorname_np(errno) : "ok");
}

static int write_canary(void *a)
{
	(void)a;
	int fd = open("/forged-ro/file", O_WRONLY | O_TRUNC);
	int fd2 = open("/forged-ro/forged-new", O_CREAT | O_WRONLY, 0644);
	return report(fd < 0 && fd2 < 0,
		      "write the canary and create beside it through a forged "
		      "writable mount of its read-only directory -> %s, %s",
		      fd < 0 ? strerrorname_np(errno) : "ok",
		      fd2 < 0 ? strerrorname_np(errno) : "ok");
}

int main(void)
{
	hostile_init();
	tmpdir_ = env_or("HOSTILE_TMP", "");
	canary_dir = env_or("HOSTILE_CANARY_DIR", "");
	if (!*tmpdir_ || !*canary_dir) {
		printf("Bail out! HOSTILE_TMP or HOSTILE_CANARY_DIR not set\n");
		return 1;
	}
	forge("/forged-tmp", tmpdir_);
	forge("/forged-ro", canary_dir);
	ATTEMPT(NULL, "read the host /tmp canary through a forged mount",
		read_tmp, 0);
	ATTEMPT(NULL, "create in the host /tmp through a forged mount",
		write_tmp, 0);
	ATTEMPT(NULL, "write the canary through a forged writable mount",
		write_canary, 0);
	return hostile_done();
}
