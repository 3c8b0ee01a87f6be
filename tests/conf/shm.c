/* System V shared memory: shmget (IPC_PRIVATE, keys, IPC_CREAT|IPC_EXCL,
 * sizes), shmat (SHM_RDONLY, SHM_RND, addresses), shmdt, shmctl
 * (IPC_STAT, IPC_SET, IPC_RMID with the segment attached, IPC_INFO,
 * SHM_INFO, SHM_STAT), the pids and ids they report, sharing across fork,
 * detaching at exec and exit, and the errors (EACCES, EEXIST, EINVAL,
 * ENOENT, EFAULT). */
#include "tap.h"
#include "ipcobj.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/shm.h>

static int made(int id) { return ipc_made(IPC_K_SHM, id); }

static int nattch(int id)
{
	struct shmid_ds ds;
	return shmctl(id, IPC_STAT, &ds) < 0 ? -1 : (int)ds.shm_nattch;
}

static void creation(void)
{
	key_t key = ipc_key(1);
	int id = made(shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600));
	ok(id >= 0, "shmget of a new key");
	fails_with(shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), EEXIST,
		   "IPC_CREAT|IPC_EXCL of an existing key");
	ok(shmget(key, 0, 0) == id, "shmget of the key finds the segment");
	ok(shmget(key, 4096, IPC_CREAT | 0600) == id,
	   "IPC_CREAT of an existing key with a smaller size finds it");
	fails_with(shmget(key, 20000, 0), EINVAL, "shmget larger than the segment");
	fails_with(shmget(ipc_key(2), 4096, 0600), ENOENT, "shmget of a missing key");
	fails_with(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "shmget of size 0");
	struct shmid_ds ds;
	memset(&ds, 0xff, sizeof ds);
	ok(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 10000 &&
		   ds.shm_cpid == getpid() && ds.shm_lpid == 0 &&
		   ds.shm_nattch == 0 && ds.shm_perm.uid == getuid() &&
		   ds.shm_perm.cuid == geteuid() && ds.shm_perm.gid == getegid() &&
		   (ds.shm_perm.mode & 0777) == 0600 && ds.shm_perm.__key == key,
	   "IPC_STAT: size, creator pid (the caller), ids, mode, key");
	fails_with(shmctl(id, IPC_STAT, (struct shmid_ds *)8), EFAULT,
		   "IPC_STAT to a bad address");
	fails_with(shmctl(-1, IPC_STAT, &ds), EINVAL, "IPC_STAT of id -1");
	fails_with(shmctl(id, 12345, &ds), EINVAL, "shmctl of an unknown command");

	ds.shm_perm.mode = 0640;
	ok(shmctl(id, IPC_SET, &ds) == 0, "IPC_SET");
	struct shmid_ds ds2;
	ok(shmctl(id, IPC_STAT, &ds2) == 0 && (ds2.shm_perm.mode & 0777) == 0640 &&
		   ds2.shm_perm.uid == getuid(),
	   "IPC_SET changed the mode and kept the owner");
	fails_with(shmctl(id, IPC_SET, (struct shmid_ds *)8), EFAULT,
		   "IPC_SET from a bad address");
	ok(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID of an unattached segment");
	fails_with(shmctl(id, IPC_STAT, &ds), EINVAL, "IPC_STAT after IPC_RMID");
	fails_with(shmget(key, 0, 0), ENOENT, "the key is gone");
}

static void info(int id)
{
	struct shminfo si;
	ok(shmctl(0, IPC_INFO, (struct shmid_ds *)&si) >= 0 && si.shmmax > 0 &&
		   si.shmmni > 0, "IPC_INFO");
	struct shm_info sinfo;
	ok(shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo) >= 0 &&
		   sinfo.used_ids >= 1, "SHM_INFO counts the segment");
	struct shmid_ds ds;
	ok(shmctl(id & 0x7fff, SHM_STAT, &ds) == id && ds.shm_cpid == getpid(),
	   "SHM_STAT of the segment's index answers its id");
	ok(ipc_proc_col("shm", id, 4) == getpid() &&
		   ipc_proc_col("shm", id, 5) == getpid(),
	   "/proc/sysvipc/shm: its creator and last pid are the caller");
}

/* A child writing through a read-only attachment dies of SIGSEGV. */
static void rdonly(int id)
{
	char *p = shmat(id, NULL, SHM_RDONLY);
	ok(p != (void *)-1 && p[0] == 'x', "SHM_RDONLY attachment reads");
	pid_t pid = fork();
	if (pid == 0) {
		*(volatile char *)p = 'y';
		_exit(0);
	}
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		   WTERMSIG(st) == SIGSEGV,
	   "writing to a SHM_RDONLY attachment is SIGSEGV");
	shmdt(p);
}

static void addresses(int id, char *p)
{
	/* a free place for the segment: reserved, then given back */
	char *want = mmap(NULL, 16 * 4096, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(want, 16 * 4096);
	fails_with(shmat(id, want + 100, 0), EINVAL,
		   "shmat at an unaligned address");
	fails_with(shmat(id, p, 0), EINVAL,
		   "shmat over an existing mapping without SHM_REMAP");
	void *q = shmat(id, want + 100, SHM_RND);
	ok(q == want && ((char *)q)[0] == 'x', "SHM_RND rounds the address down");
	shmdt(q);
	fails_with(shmat(id, NULL, SHM_REMAP), EINVAL, "SHM_REMAP without an address");
	fails_with(shmat(-1, NULL, 0), EINVAL, "shmat of id -1");
	fails_with(shmdt(p + 4096), EINVAL, "shmdt inside an attachment");
	fails_with(shmdt((void *)0x1000), EINVAL, "shmdt of an unmapped address");
}

static void sharing(int id, char *p)
{
	pid_t pid = fork();
	if (pid == 0) {
		int ok1 = p[0] == 'x' && nattch(id) == 2;
		p[1] = 'c';
		_exit(ok1 ? 0 : 1);
	}
	ok(ipc_wait_exit(pid) == 0, "a fork child shares the attachment (nattch 2)");
	ok(p[1] == 'c', "the parent sees the child's write");
	ok(nattch(id) == 1, "the child's exit detached it");
	struct shmid_ds ds;
	ok(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_lpid == pid,
	   "the last operator is the child (its exit detached it)");
	pid = fork();
	if (pid == 0) {
		char num[16];
		snprintf(num, sizeof num, "%d", id);
		execl("/proc/self/exe", "shm", "nattch", num, (char *)NULL);
		_exit(99);
	}
	ok(ipc_wait_exit(pid) == 1, "exec detaches the segment (nattch 1 after it)");
}

static void removed_while_attached(void)
{
	key_t key = ipc_key(3);
	int id = made(shmget(key, 4096, IPC_CREAT | 0600));
	char *p = shmat(id, NULL, 0);
	ok(p != (void *)-1, "attached a keyed segment");
	p[0] = 'r';
	ok(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID with the segment attached");
	struct shmid_ds ds;
	ok(shmctl(id, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & SHM_DEST) &&
		   ds.shm_perm.__key == IPC_PRIVATE,
	   "it lives on marked SHM_DEST, its key gone");
	fails_with(shmget(key, 0, 0), ENOENT, "shmget no longer finds the key");
	ok(p[0] == 'r', "the attachment still works");
	pid_t pid = fork();
	if (pid == 0)
		_exit(p[0] == 'r' && nattch(id) == 2 ? 0 : 1);
	ok(ipc_wait_exit(pid) == 0, "a fork child still shares it");
	ok(shmdt(p) == 0, "shmdt of the last attachment");
	fails_with(shmctl(id, IPC_STAT, &ds), EINVAL, "the segment is gone");
}

/* VmLck of /proc/self/status, in kB (-1 when absent). */
static long locked_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* After mlockall(MCL_FUTURE) an attachment is locked like a new mapping. */
static void locked(void)
{
	int id = made(shmget(IPC_PRIVATE, 64 * 1024, IPC_CREAT | 0600));
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		ok(errno == ENOMEM || errno == EPERM,
		   "mlockall refused here (%s): nothing to check", strerror(errno));
		return;
	}
	long before = locked_kb();
	void *p = shmat(id, NULL, 0);
	long after = locked_kb();
	munlockall();
	ok(p != (void *)-1 && after - before == 64,
	   "after mlockall(MCL_FUTURE) shmat locks the segment (VmLck %ld -> %ld kB)",
	   before, after);
	if (p != (void *)-1)
		shmdt(p);
}

static void permissions(void)
{
	int id = made(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0400));
	void *p = shmat(id, NULL, 0);
	if (geteuid() == 0) {
		ok(p != (void *)-1, "root attaches a 0400 segment read-write");
	} else {
		ok(p == (void *)-1 && errno == EACCES,
		   "read-write shmat of a 0400 segment is EACCES");
		p = shmat(id, NULL, SHM_RDONLY);
		ok(p != (void *)-1, "SHM_RDONLY shmat of it works");
	}
	if (p != (void *)-1)
		shmdt(p);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "nattch") == 0)
		_exit(nattch(atoi(argv[2])));
	int r = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	ipc_skip_if_absent(r, "shmget");
	made(r);
	creation();

	int id = made(shmget(IPC_PRIVATE, 16 * 4096, IPC_CREAT | 0600));
	char *p = shmat(id, NULL, 0);
	ok(p != (void *)-1, "shmat of a private segment");
	if (p == (void *)-1)
		return tap_done();
	memset(p, 0, 16 * 4096);
	p[0] = 'x';
	struct shmid_ds ds;
	ok(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1 &&
		   ds.shm_lpid == getpid() && ds.shm_atime > 0,
	   "after shmat: nattch 1, last pid and attach time");
	info(id);
	rdonly(id);
	addresses(id, p);
	sharing(id, p);
	ok(shmdt(p) == 0, "shmdt");
	fails_with(shmdt(p), EINVAL, "shmdt again");
	ok(nattch(id) == 0, "nattch 0 after shmdt");
	removed_while_attached();
	locked();
	permissions();
	return tap_done();
}
