/* picos doctor: the host features picos relies on, and whether this host
 * has them.  Each is tried as picos uses it (not guessed from the kernel
 * version: a container's seccomp profile or a sysctl can take one away
 * from a new enough kernel); the ones that change the calling process
 * are tried in a child. */
#include "picos.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/membarrier.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#endif

/* Runs fn in a child; its result (0 or an errno value) is the child's
 * exit status. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(fn() & 0xff);
	int ws;
	if (waitpid(pid, &ws, 0) < 0)
		return errno;
	if (WIFSIGNALED(ws))
		return EFAULT; /* killed by what it tried: not usable */
	return WEXITSTATUS(ws);
}

/* Armed with the selector at "allow", as the provider arms it before it
 * enters the guest, then disarmed. */
static int try_sud(void)
{
	static volatile char selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0,
		  &selector) < 0)
		return errno;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0) < 0)
		return errno;
	return 0;
}

static int load_allow_all(unsigned flags)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0)
		return errno;
	return 0;
}

static int try_seccomp(void)
{
	return load_allow_all(0);
}

/* libseccomp loads the world's filter with TSYNC (every thread). */
static int try_tsync(void)
{
	return load_allow_all(SECCOMP_FILTER_FLAG_TSYNC);
}

static int try_userns(void)
{
	return unshare(CLONE_NEWUSER) < 0 ? errno : 0;
}

/* One feature: `probe` returns 0 when present, else an errno value, and
 * may say more in `detail`. */
struct feature {
	const char *name;
	bool required;
	const char *use;     /* what picos does with it */
	const char *without; /* what happens without an optional one */
	int (*probe)(char *detail, size_t n);
};

static int probe_sud(char *d, size_t n)
{
	(void)d, (void)n;
	return in_child(try_sud);
}

static int probe_seccomp(char *d, size_t n)
{
	(void)d, (void)n;
	return in_child(try_seccomp);
}

static int probe_tsync(char *d, size_t n)
{
	(void)d, (void)n;
	return in_child(try_tsync);
}

static int probe_landlock(char *d, size_t n)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return errno;
	/* what src/sandbox/landlock.c and init.c use from each ABI */
	snprintf(d, n, "ABI %ld%s", abi,
		 abi >= 6   ? ""
		 : abi >= 4 ? " (below 6: no signal or abstract socket scoping)"
			    : " (below 4: no TCP rules for --net=none, no scoping)");
	return 0;
}

/* A call that returns an fd: 0 when it did (closed again), else errno. */
static int fd_probe(long fd)
{
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

static int probe_openat2(char *d, size_t n)
{
	(void)d, (void)n;
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	return fd_probe(syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how));
}

static int probe_pidfd(char *d, size_t n)
{
	(void)d, (void)n;
	return fd_probe(syscall(SYS_pidfd_open, getpid(), 0));
}

static int probe_memfd(char *d, size_t n)
{
	(void)d, (void)n;
	int fd = memfd_create("picos-doctor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return errno;
	int r = fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) < 0 ? errno : 0;
	close(fd);
	return r;
}

static int probe_userns(char *d, size_t n)
{
	int r = in_child(try_userns);
	if (geteuid() == 0)
		snprintf(d, n, "as root, the world's namespaces need none");
	return r;
}

static int probe_membarrier(char *d, size_t n)
{
	(void)d, (void)n;
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
	if (cmds < 0)
		return errno;
	if (!(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE))
		return EOPNOTSUPP;
	if (syscall(SYS_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0) < 0)
		return errno;
	return 0;
}

static const struct feature features[] = {
	{ "Syscall User Dispatch", true,
	  "prctl PR_SET_SYSCALL_USER_DISPATCH: how the provider catches every "
	  "guest system call (Linux 5.11+)",
	  NULL, probe_sud },
	{ "seccomp filters", true,
	  "SECCOMP_SET_MODE_FILTER: the world's allowlist of host calls",
	  NULL, probe_seccomp },
	{ "seccomp TSYNC", true,
	  "SECCOMP_FILTER_FLAG_TSYNC: the filter on every thread at once",
	  NULL, probe_tsync },
	{ "Landlock", false,
	  "landlock_create_ruleset: the world's file system, network and "
	  "signals bounded by the host",
	  "worlds run with seccomp only", probe_landlock },
	{ "openat2", true,
	  "RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS: every guest open, confined to "
	  "its mount",
	  NULL, probe_openat2 },
	{ "pidfd_open", false,
	  "the readiness of guest pidfds",
	  "guest pidfds are not backed by the host's", probe_pidfd },
	{ "memfd_create", true,
	  "sealed memfds: the world configuration, region and provider image",
	  NULL, probe_memfd },
	{ "user namespaces", false,
	  "unshare(CLONE_NEWUSER): the world's own namespaces without root",
	  "worlds run flat (--ns=auto), --ns=on fails", probe_userns },
	{ "membarrier sync core", false,
	  "MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: patching system call "
	  "sites while other threads run",
	  "only single-threaded processes get the fast path", probe_membarrier },
};

int run_doctor(int argc, char **argv)
{
	if (argc > 0) {
		fprintf(stderr, "picos: doctor takes no arguments, got '%s' "
				"(try 'picos help')\n", argv[0]);
		return 2;
	}
	struct utsname u;
	if (uname(&u) == 0)
		printf("picos %s on %s %s %s\n", PICOS_VERSION, u.sysname,
		       u.release, u.machine);
	int missing_required = 0, missing_optional = 0;
	for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
		const struct feature *f = &features[i];
		char detail[160] = "";
		int err = f->probe(detail, sizeof detail);
		if (err) {
			if (f->required)
				missing_required++;
			else
				missing_optional++;
		}
		printf("%-7s %-8s %-22s %s%s%s", err ? "missing" : "ok",
		       f->required ? "required" : "optional", f->name, f->use,
		       detail[0] ? "; " : "", detail);
		if (err)
			printf(" [%s%s%s]", strerror(err), f->without ? ": " : "",
			       f->without ? f->without : "");
		printf("\n");
	}
	if (missing_required)
		printf("picos cannot run here: %d required feature%s missing\n",
		       missing_required, missing_required > 1 ? "s" : "");
	else
		printf("picos can run here%s\n",
		       missing_optional ? " (with less: see the optional features "
					  "missing above)"
					: "");
	return missing_required ? 1 : 0;
}
