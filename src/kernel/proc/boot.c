/* provider_main: what every pico process does before its first guest
 * instruction.  It runs on the boot stack; the host stack it was started
 * on becomes the guest's stack. */
#include "proc.h"
#include "remote.h"
#include "caps.h"
#include "keys.h"
#include "../entry/entry.h"
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include "../net/net.h"
#include "../ipc/ipc.h"
#include "../mm/mm.h"
#include "../signal/signal.h"
#include <asm/signal.h>
#include <linux/prctl.h>
#include <picos/world.h>
#include <linux/auxvec.h>
#include <linux/mman.h>
#include <linux/time.h>
#include <picos/config.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

struct proc proc;
struct identity ident;

extern char __provider_image_end[];

struct boot_cfg {
	uint64_t cap_bset; /* the launcher's bounding set */
	const struct pcfg_caps *caps; /* PCFG_CAPS, NULL: none */
	char **argv, **envp;
	int argc, envc;
	const char *exe, *cwd;
	int world_fd;
	int join_fd; /* PCFG_JOIN_FD, -1: none */
	uint32_t flags;
};

static void read_host_auxv(uint64_t *sp, uint64_t *sysinfo_ehdr)
{
	int argc = (int)sp[0];
	char **envp = (char **)(sp + 1 + argc + 1);
	while (*envp)
		envp++;
	const char *execfn = NULL;
	for (uint64_t *a = (uint64_t *)(envp + 1); a[0] != AT_NULL; a += 2) {
		switch (a[0]) {
		case AT_HWCAP: proc.hwcap = a[1]; break;
		case AT_HWCAP2: proc.hwcap2 = a[1]; break;
		case AT_CLKTCK: proc.clktck = a[1]; break;
		case AT_MINSIGSTKSZ: proc.minsigstksz = a[1]; break;
		case AT_SYSINFO_EHDR: *sysinfo_ehdr = a[1]; break;
		case AT_EXECFN: execfn = (const char *)a[1]; break;
		case AT_PLATFORM:
			rt_strlcpy(proc.platform, (const char *)a[1],
				   sizeof proc.platform);
			break;
		}
	}
	if (!proc.platform[0])
		rt_strlcpy(proc.platform, "x86_64", sizeof proc.platform);
	if (!proc.clktck)
		proc.clktck = 100;
	/* Linux puts the exec file name last, 8 bytes below the stack top. */
	if (!execfn)
		kdie(125, "the host gave no AT_EXECFN");
	proc.stack_top = RT_ALIGN_UP((uint64_t)execfn + rt_strlen(execfn) + 1 + 8,
				     RT_PAGE_SIZE);
}

static void reserve_window(void)
{
	uint64_t start = RT_ALIGN_UP((uint64_t)__provider_image_end, RT_PAGE_SIZE);
	long r = host_mmap(start, PICOS_PROVIDER_END - start, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				   MAP_FIXED_NOREPLACE,
			   -1, 0);
	if (host_is_err(r) || (uint64_t)r != start)
		kdie(125, "cannot reserve the provider window (%ld)", r);
}

/* The provider's text and read-only data are file pages, which a host
 * fork leaves out of the child's page tables: every new pico process
 * faulted them in again (four or five faults a fork, each mapping the 16
 * pages around it).  A mapping that holds an anonymous page has its page
 * tables copied by the fork instead, so one page of each gets a private
 * copy of itself (the same bytes), made once, here, before any guest code
 * runs; the children inherit it.  A failure only leaves the faults. */
extern char __provider_text_start[], __provider_text_end[],
	__provider_data_start[];

static void copied_at_fork(uint64_t start, uint64_t end, int prot)
{
	if (host_mprotect(start, end - start, prot | PROT_WRITE) < 0)
		return;
	volatile unsigned char *p = (volatile unsigned char *)start;
	*p = *p;
	host_mprotect(start, end - start, prot);
}

static void image_copied_at_fork(void)
{
	uint64_t text = (uint64_t)__provider_text_start;
	uint64_t ro = RT_ALIGN_UP((uint64_t)__provider_text_end, RT_PAGE_SIZE);
	uint64_t data = (uint64_t)__provider_data_start;
	copied_at_fork(text, ro, PROT_READ | PROT_EXEC);
	if (data > ro)
		copied_at_fork(ro, data, PROT_READ);
}

static void *read_config(int fd, size_t *len)
{
	struct {
		char pad[48];
		long size;
		char rest[88];
	} st;
	if (host_syscall2(__NR_fstat, fd, &st) < 0)
		kdie(125, "no world configuration on fd %d", fd);
	void *p = kmalloc((size_t)st.size + 8);
	if (host_pread(fd, p, (size_t)st.size, 0) != st.size)
		kdie(125, "cannot read the world configuration");
	host_close(fd);
	*len = (size_t)st.size;
	return p;
}

static void apply_config(const unsigned char *p, size_t len,
			 struct boot_cfg *bc)
{
	int nargs = 0, nenv = 0;
	bool magic = false;
	/* First pass counts, second fills. */
	for (int pass = 0; pass < 2; pass++) {
		size_t off = 0;
		int ai = 0, ei = 0;
		while (off + sizeof(struct pcfg_record) <= len) {
			const struct pcfg_record *rec = (const void *)(p + off);
			const void *d = rec->data;
			if (rec->type == PCFG_END)
				break;
			if (pass == 0) {
				if (rec->type == PCFG_ARG)
					nargs++;
				else if (rec->type == PCFG_ENV)
					nenv++;
			} else {
				switch (rec->type) {
				case PCFG_MAGIC:
					magic = *(const uint32_t *)d ==
						PICOS_CONFIG_MAGIC;
					break;
				case PCFG_ARG: bc->argv[ai++] = (char *)d; break;
				case PCFG_ENV: bc->envp[ei++] = (char *)d; break;
				case PCFG_EXE: bc->exe = d; break;
				case PCFG_CWD: bc->cwd = d; break;
				case PCFG_MOUNT: {
					const struct pcfg_mount *m = d;
					mount_add(m->guest_path, m->host_fd,
						  m->flags);
					break;
				}
				case PCFG_IDENTITY: {
					const struct pcfg_identity *id = d;
					ident.uid = ident.euid = ident.suid =
						ident.fsuid = ident.map_uid = id->uid;
					ident.gid = ident.egid = ident.sgid =
						ident.fsgid = ident.map_gid = id->gid;
					bc->cap_bset = id->cap_bset;
					break;
				}
				case PCFG_HOSTNAME:
					rt_strlcpy(proc.hostname, d,
						   sizeof proc.hostname);
					break;
				case PCFG_TRACE_FD:
					popts.trace_fd = *(const int32_t *)d;
					break;
				case PCFG_WORLD_FD:
					bc->world_fd = *(const int32_t *)d;
					break;
				case PCFG_SCRATCH_FD:
					mount_set_scratch(*(const int32_t *)d);
					break;
				case PCFG_STDIO_FD:
					popts.msg_fd = *(const int32_t *)d;
					break;
				case PCFG_UMASK:
					fs_umask = *(const uint32_t *)d & 0777;
					break;
				case PCFG_GROUPS:
					ident_set_host_groups(d, rec->len / 4);
					break;
				case PCFG_FLAGS:
					bc->flags = *(const uint32_t *)d;
					break;
				case PCFG_JOIN_FD:
					bc->join_fd = *(const int32_t *)d;
					break;
				case PCFG_CAPS:
					if (rec->len >= sizeof *bc->caps)
						bc->caps = d;
					break;
				}
			}
			off += sizeof *rec + PCFG_ALIGN(rec->len);
		}
		if (pass == 0) {
			bc->argv = kzalloc(sizeof(char *) * (size_t)(nargs + 1));
			bc->envp = kzalloc(sizeof(char *) * (size_t)(nenv + 1));
			bc->argc = nargs;
			bc->envc = nenv;
		}
	}
	if (!magic)
		kdie(125, "bad world configuration");
	popts.stats = bc->flags & PCFG_F_STATS;
	fast_patch_off = bc->flags & PCFG_F_NO_PATCH;
	dcache_off = bc->flags & PCFG_F_NO_DCACHE;
	if (bc->flags & PCFG_F_NET_HOST)
		net_policy = NET_HOST;
	else if (bc->flags & PCFG_F_NET_NONE)
		net_policy = NET_NONE;
	ipc_world_ns = bc->flags & PCFG_F_IPC_NS;
	if (!(bc->flags & PCFG_F_TRACE))
		popts.trace_fd = -1;
}

static void map_world(int fd)
{
	long r = host_mmap(PICOS_WORLD_ADDR, PICOS_WORLD_SIZE,
			   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (host_is_err(r))
		kdie(125, "cannot map the world region (%ld)", r);
	host_close(fd);
	popts.world = (struct picos_world *)PICOS_WORLD_ADDR;
}

static void init_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		long fl = host_syscall2(__NR_fcntl, fd, F_GETFL);
		if (fl < 0)
			continue;
		/* The guest's fds are its own: keep the host's stdio
		 * under new numbers the guest never sees. */
		long h = host_syscall3(__NR_fcntl, fd, F_DUPFD_CLOEXEC, 3);
		if (h < 0)
			kdie(125, "cannot take over fd %d", fd);
		fd_install_at(file_new((int)h, (int)fl, NULL, NULL), false, fd);
	}
}

static void init_limits(void)
{
	for (int i = 0; i < PICO_NLIMITS; i++) {
		struct rlimit64 *rl = &proc.rlimits[i];
		if (host_syscall4(__NR_prlimit64, 0, i, 0, rl) < 0)
			rl->cur = rl->max = ~0ULL;
	}
	/* RLIMIT_NOFILE is the guest's own: the provider needs a few host
	 * fds of its own beyond the guest's. */
	rlimit_nofile_init();
}

static const char *find_in_path(const char *name, char *const *envp,
				char *buf)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char *const *e = envp; *e; e++)
		if (rt_strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	const char *p = path;
	while (*p) {
		const char *end = rt_strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : rt_strlen(p);
		if (n == 0)
			rt_snprintf(buf, PICOS_PATH_MAX, "%s/%s", fs_cwd, name);
		else
			rt_snprintf(buf, PICOS_PATH_MAX, "%.*s/%s", (int)n, p,
				    name);
		struct lookup lk;
		if (path_lookup(AT_FDCWD, buf, LK_FOLLOW, &lk,
				current()->lpath[0]) == 0) {
			long fd = vfs_open(&lk, O_PATH, 0);
			if (fd >= 0) {
				host_close(fd);
				return buf;
			}
		}
		p = end ? end + 1 : p + n;
	}
	return NULL;
}

/* The first thread's process (fork copies keep using this address). */
static struct sig_actions first_sigactions;
static struct gproc first_process = { .sigact = &first_sigactions };

/* Pid 1 of the world: its table entry was made by the launcher. */
static void join_world(void)
{
	gproc()->pid = 1;
	gproc()->nthreads = 1;
	proc.vm_users = 1;
	gproc()->host_pid = (int)host_syscall0(__NR_getpid);
	gproc()->task = &popts.world->tasks[0];
	gproc()->task->host_pid = gproc()->host_pid;
	ident_publish(gproc()->task);
	pgrp_publish_host();
	remote_publish_self();
	view_publish();
	rt_strlcpy(popts.world->hostname,
		   proc.hostname[0] ? proc.hostname : "localhost",
		   sizeof popts.world->hostname);
	rt_strlcpy(popts.world->domainname, "(none)",
		   sizeof popts.world->domainname);
	/* If the launcher goes, so does the world. */
	host_syscall2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (host_syscall0(__NR_getppid) != popts.world->launcher_pid)
		host_exit_group(137);
}

/* A process added to a running world from outside (`picos exec`, the
 * OCI commands' exec: src/cli/oci_exec.c): its host parent is the
 * world's init (the world's exec door cloned it with CLONE_PARENT), and
 * it takes a new table entry as a fork would, counted against
 * max-procs, with no guest parent (ppid 0, as Linux shows a process
 * entered from outside a pid namespace) and a session and group of its
 * own (the door made it a host session leader).  No table entry is made when
 * the world is ending or full: the process ends before its program. */
static void join_running_world(int report_fd)
{
	gproc()->nthreads = 1;
	proc.vm_users = 1;
	gproc()->host_pid = (int)host_syscall0(__NR_getpid);
	/* If the launcher goes, so does the world (as pid 1). */
	host_syscall2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (host_syscall0(__NR_getppid) != popts.world->launcher_pid)
		host_exit_group(137);
	task_lock();
	struct picos_task *t = task_alloc();
	if (t) {
		t->host_pid = gproc()->host_pid;
		t->ppid = 0;
		t->pgid = t->sid = t->vpid;
		t->exit_signal = SIGCHLD;
		gproc()->pid = t->vpid;
		gproc()->task = t;
	}
	task_unlock();
	if (!t)
		kdie(125, "cannot join the world: it is ending or has its "
			  "maximum number of processes");
	/* The door tells this process's end by its pid in the world too:
	 * its host pid changes if it execs from several threads. */
	if (report_fd >= 0) {
		int32_t vpid = gproc()->pid;
		host_syscall3(__NR_write, report_fd, &vpid, sizeof vpid);
		host_close(report_fd);
	}
	ident_publish(t);
	pgrp_publish_host();
	remote_publish_self();
	view_publish();
}

/* Linux keeps ignored dispositions and the signal mask across exec: the
 * guest starts with what the launcher was started with. */
static void inherit_signal_state(void)
{
	for (int sig = 1; sig <= PICO_NSIG; sig++) {
		struct sigaction old;
		if (sig == SIGKILL || sig == SIGSTOP ||
		    host_syscall4(__NR_rt_sigaction, sig, 0, &old, 8) < 0)
			continue;
		if (old.sa_handler == SIG_IGN)
			gproc()->sigact->act[sig - 1].handler = (uint64_t)SIG_IGN;
	}
	uint64_t mask = 0;
	host_syscall4(__NR_rt_sigprocmask, SIG_SETMASK, 0, &mask, 8);
	current()->sigmask = mask & ~UNBLOCKABLE;
}

/* A path beneath /tmp the world cannot find: the host's /tmp is not the
 * world's (every world has its own), which a user may not expect. */
static const char *private_tmp_hint(const char *path, long err)
{
	return err == -ENOENT && rt_path_has_prefix(path, "/tmp")
		       ? " (the world's /tmp is its own, not the host's)"
		       : "";
}

/* --stats: a step of the start-up (src/cli/stats.c). */
static uint64_t boot_now(void)
{
	struct { long s, ns; } ts;
	host_syscall2(__NR_clock_gettime, 1 /* CLOCK_MONOTONIC */, &ts);
	return (uint64_t)ts.s * 1000000000ull + (uint64_t)ts.ns;
}

static void boot_stamp(int step, uint64_t ns)
{
	if (popts.stats)
		popts.world->boot_ns[step] = ns ? ns : boot_now();
}

void provider_main(uint64_t *sp)
{
	uint64_t start_ns = boot_now(); /* one call: kept only with --stats */
	struct boot_cfg bc = { .world_fd = -1, .join_fd = -1 };

	/* The host's vDSO stays for the guest (exec.c, AT_SYSINFO_EHDR). */
	read_host_auxv(sp, &proc.vdso);
	reserve_window();
	image_copied_at_fork();
	kmalloc_init();
	ident.host_uid = (uint32_t)host_syscall0(__NR_getuid);
	ident.host_gid = (uint32_t)host_syscall0(__NR_getgid);
	ident.host_ids = ident.host_uid == 0 && caps_host_can_setid();
	int argc = (int)sp[0];
	uint64_t cfd;
	if (argc < 2 || !rt_parse_u64((const char *)sp[2], &cfd))
		kdie(125, "this is the picos provider image: start it with "
			  "`picos run`");
	size_t clen;
	void *cfg = read_config((int)cfd, &clen);
	thread_create_current(1)->gp = &first_process;
	fdtable_init();
	apply_config(cfg, clen, &bc);
	if (bc.world_fd < 0 || !bc.exe || !bc.cwd || !mount_find("/"))
		kdie(125, "incomplete world configuration");
	map_world(bc.world_fd);
	if (!(bc.flags & PCFG_F_JOIN)) /* (the start-up is pid 1's) */
		boot_stamp(PICOS_BOOT_PROVIDER, start_ns);
	inherit_signal_state();
	entry_install_handlers();
	init_stdio();
	init_limits();
	fs_set_cwd(bc.cwd);
	if (bc.flags & PCFG_F_JOIN)
		join_running_world(bc.join_fd);
	else
		join_world();
	keys_login();
	caps_init(bc.cap_bset, bc.caps);
	/* Started by root as a guest user other than root (--uid N): the
	 * host thread keeps uid 0 (the swap of ids) but gives up the
	 * capabilities the guest lacks, so the host checks it as that user. */
	caps_host_sync();
	proc.dumpable = true;
	/* --cwd names a guest path: only the world's mounts (as this guest,
	 * with its identity) can tell whether chdir would find it.  Failing
	 * here, before the program runs, is what a container runtime does
	 * (125: the runtime's own error, as podman's). */
	if (bc.flags & PCFG_F_CWD_GIVEN) {
		long r = fs_chdir_boot(bc.cwd);
		if (r < 0)
			kdie(125, "--cwd %s: %s%s", bc.cwd, errno_text((int)-r),
			     private_tmp_hint(bc.cwd, r));
	}

	const char *exe = bc.exe;
	if (!rt_strchr(exe, '/')) {
		exe = find_in_path(exe, bc.envp, current()->kpath[0]);
		if (!exe)
			kdie(127, "%s: command not found", bc.exe);
	}
	struct exec_result er;
	long r = exec_load(exe, bc.argv, bc.argc, bc.envp, bc.envc, &er);
	if (r < 0)
		kdie(r == -ENOENT ? 127 : 126, "cannot execute %s: %s%s", exe,
		     r == -ENOEXEC ? "not an x86-64 ELF program or script"
				   : errno_text((int)-r),
		     private_tmp_hint(exe, r));
	kfree(cfg);
	entry_arm_sud();
	boot_stamp(PICOS_BOOT_GUEST, 0);
	enter_guest(er.entry, er.sp);
}
