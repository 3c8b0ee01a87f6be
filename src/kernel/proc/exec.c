/* Program start: find the file in the guest's file system, follow "#!"
 * interpreters, load the ELF image and its interpreter, and build the
 * initial stack exactly as Linux lays it out. */
#include "proc.h"
#include <picos/world.h>
#include "../entry/thread.h"
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include <linux/auxvec.h>
#include <linux/mman.h>
#include <linux/prctl.h>

#define BINPRM_BUF_SIZE 256
#define MAX_INTERP_DEPTH 5 /* Linux runs 5 nested #! scripts, not 6 */
#define MAX_ARGS EXEC_MAX_ARGS

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif


/* Linux will not run a file that is open for writing (ETXTBSY).  Inside
 * the world the writers are known to the provider only per process, so ask
 * the host: a read lease cannot be taken on a file someone has open for
 * writing.  Leases are the owner's only; on a file we do not own, the
 * check is skipped (its writers are then processes of other users). */
static long check_no_writers(int fd)
{
	long r = host_syscall3(__NR_fcntl, fd, F_SETLEASE, F_RDLCK);
	if (r == -EAGAIN)
		return -ETXTBSY;
	if (r == 0)
		host_syscall3(__NR_fcntl, fd, F_SETLEASE, F_UNLCK);
	return 0;
}

/* Opens a guest file for execution: must be a regular file we may exec.
 * `lkflags`: LK_FOLLOW unless AT_SYMLINK_NOFOLLOW, LK_EMPTY_OK for
 * AT_EMPTY_PATH. */
/* execveat(fd, "", AT_EMPTY_PATH) of a file without a guest path (a
 * memfd): the host reopens the provider's own fd through its magic link,
 * an object the guest already holds.  1 when dirfd has a guest path (the
 * ordinary lookup applies), else 0 with *fd set, or -errno. */
static long reopen_pathless(int dirfd, long *fd, char *canon)
{
	struct file *f = fd_get(dirfd);
	if (!f)
		return -EBADF;
	long r = 1;
	if (!f->path) {
		char link[40];
		rt_snprintf(link, sizeof link, "/proc/self/fd/%d", f->host_fd);
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
		*fd = host_syscall4(__NR_openat2, AT_FDCWD, link, &how,
				    sizeof how);
		r = *fd < 0 ? *fd : 0;
		/* /proc/self/exe then reads as Linux shows it
		 * ("/memfd:NAME (deleted)"). */
		if (r == 0 && canon && !host_fd_path((int)*fd, canon,
						     PICOS_PATH_MAX))
			canon[0] = 0;
	}
	file_put(f);
	return r;
}

static long open_exec(int dirfd, const char *path, unsigned lkflags,
		      int *host_fd, char *canon, bool *anon)
{
	struct lookup lk;
	char *buf = current()->lpath[1];
	long fd = -1, r = 1;
	if (!*path && (lkflags & LK_EMPTY_OK) && dirfd != AT_FDCWD)
		r = reopen_pathless(dirfd, &fd, canon);
	if (r < 0)
		return r;
	bool pathless = r == 0;
	if (!pathless) {
		r = path_lookup(dirfd, path, lkflags, &lk, buf);
		if (r < 0)
			return r;
		fd = vfs_open(&lk, O_RDONLY | ((lkflags & LK_FOLLOW) ? 0 : O_NOFOLLOW), 0);
		if (fd < 0)
			return fd;
		/* A lookup that ends in /proc reopened a file without a
		 * path (/proc/self/fd/N of a memfd, or /proc/self/exe of a
		 * program run from one): the program has no guest path. */
		if (lk.mnt->procfs) {
			pathless = true;
			if (canon && !host_fd_path((int)fd, canon, PICOS_PATH_MAX))
				canon[0] = 0;
		}
	}
	if (anon)
		*anon = pathless;
	struct {
		unsigned long dev, ino, nlink;
		unsigned mode, uid, gid, pad;
		char rest[128];
	} st;
	r = host_syscall2(__NR_fstat, fd, &st);
	/* Linux refuses to execute anything but a regular file. */
	if (r == 0 && (st.mode & 0170000) != 0100000)
		r = -EACCES;
	if (r == 0)
		r = host_syscall4(__NR_faccessat2, fd, "", 1 /* X_OK */,
				  AT_EMPTY_PATH);
	if (r == 0)
		r = perm_fd((int)fd, 1 /* X_OK, for ids the host does not check */);
	/* Linux runs a memfd (its own AT_EMPTY_PATH fd) that is still open
	 * for writing; only named files are checked. */
	if (r == 0 && !pathless)
		r = check_no_writers((int)fd);
	if (r < 0) {
		host_close(fd);
		return r;
	}
	*host_fd = (int)fd;
	/* After the open the lookup is canonical: lexical paths are only
	 * kept when no component was a symlink. */
	if (canon && !pathless)
		rt_strlcpy(canon, lk.path, PICOS_PATH_MAX);
	return 0;
}

/* Parses "#!interp [arg]" in buf.  Returns -ENOEXEC if it is not one. */
static long parse_shebang(char *buf, size_t n, char **interp, char **arg)
{
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	buf[n < BINPRM_BUF_SIZE ? n : BINPRM_BUF_SIZE - 1] = 0;
	char *nl = rt_strchr(buf, '\n');
	if (nl)
		*nl = 0;
	char *p = buf + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p) {
			*arg = p;
			/* Trailing blanks are not part of the argument. */
			char *e = p + rt_strlen(p);
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = 0;
		}
	}
	return 0;
}

static uint64_t push_bytes(uint64_t sp, const void *src, size_t n)
{
	sp -= n;
	rt_memcpy((void *)sp, src, n);
	return sp;
}

/* The host's vDSO, passed through: code and data the host kernel gives
 * every process (docs/security.md), which serve the clocks (and getcpu)
 * without a system call; a call they do make traps like any other guest
 * call.  The guest may have unmapped it (as Linux allows) before this
 * exec: then the new program gets none, where Linux would map a fresh
 * one. */
static bool vdso_mapped(void)
{
	char magic[4];
	return proc.vdso &&
	       copy_from_user(magic, (const void *)proc.vdso, 4) == 0 &&
	       rt_memcmp(magic, "\177ELF", 4) == 0;
}

/* Where build_stack put the argument and environment strings. */
struct string_areas {
	uint64_t arg_start, arg_end, env_start, env_end;
};

static uint64_t build_stack(const struct exec_args *a, char *const *envp,
			    int envc, const char *execfn,
			    const struct elf_image *exe, uint64_t interp_base,
			    struct string_areas *areas)
{
	uint64_t sp = proc.stack_top;
	uint64_t *argp = kmalloc(sizeof(uint64_t) * (size_t)(a->argc + 1));
	uint64_t *envpp = kmalloc(sizeof(uint64_t) * (size_t)(envc + 1));

	/* Top: 8 zero bytes, then the file name, the environment and the
	 * arguments, each block in order going down. */
	sp -= 8;
	*(uint64_t *)sp = 0;
	sp = push_bytes(sp, execfn, rt_strlen(execfn) + 1);
	uint64_t execfn_addr = sp;
	for (int i = envc - 1; i >= 0; i--) {
		sp = push_bytes(sp, envp[i], rt_strlen(envp[i]) + 1);
		envpp[i] = sp;
	}
	for (int i = a->argc - 1; i >= 0; i--) {
		sp = push_bytes(sp, a->argv[i], rt_strlen(a->argv[i]) + 1);
		argp[i] = sp;
	}
	areas->arg_start = sp;
	areas->arg_end = envc ? envpp[0] : execfn_addr;
	areas->env_start = areas->arg_end;
	areas->env_end = execfn_addr;

	/* Like Linux: a random offset, then platform string and AT_RANDOM. */
	uint16_t rnd;
	get_random(&rnd, sizeof rnd);
	if (proc_randomize())
		sp -= rnd % 8192;
	sp &= ~15UL;
	sp = push_bytes(sp, proc.platform, rt_strlen(proc.platform) + 1);
	uint64_t platform_addr = sp;
	unsigned char random16[16];
	get_random(random16, sizeof random16);
	sp = push_bytes(sp, random16, sizeof random16);
	uint64_t random_addr = sp;
	sp &= ~15UL;

	uint64_t auxv[64];
	int n = 0;
#define AUX(k, v) (auxv[n++] = (k), auxv[n++] = (uint64_t)(v))
	if (vdso_mapped())
		AUX(AT_SYSINFO_EHDR, proc.vdso);
	AUX(AT_MINSIGSTKSZ, proc.minsigstksz);
	AUX(AT_HWCAP, proc.hwcap);
	AUX(AT_PAGESZ, RT_PAGE_SIZE);
	AUX(AT_CLKTCK, proc.clktck);
	AUX(AT_PHDR, exe->phdr);
	AUX(AT_PHENT, exe->phent);
	AUX(AT_PHNUM, exe->phnum);
	AUX(AT_BASE, interp_base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, exe->entry);
	AUX(AT_UID, ident.uid);
	AUX(AT_EUID, ident.euid);
	AUX(AT_GID, ident.gid);
	AUX(AT_EGID, ident.egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_addr);
	AUX(AT_HWCAP2, proc.hwcap2);
	AUX(AT_EXECFN, execfn_addr);
	AUX(AT_PLATFORM, platform_addr);
	AUX(AT_NULL, 0);
#undef AUX

	/* argc, argv[], NULL, envp[], NULL, auxv: argc lands 16-aligned. */
	size_t words = 1 + (size_t)a->argc + 1 + (size_t)envc + 1 + (size_t)n;
	sp -= words * 8;
	sp &= ~15UL;
	uint64_t *w = (uint64_t *)sp;
	*w++ = (uint64_t)a->argc;
	for (int i = 0; i < a->argc; i++)
		*w++ = argp[i];
	*w++ = 0;
	for (int i = 0; i < envc; i++)
		*w++ = envpp[i];
	*w++ = 0;
	rt_memcpy(w, auxv, (size_t)n * 8);
	kfree(argp);
	kfree(envpp);
	return sp;
}

/* Everything that can fail with an error the caller still sees: the
 * file, its "#!" chain, the ELF header and the interpreter.  After this the
 * old image may go (execve's point of no return) and exec_commit loads. */
long exec_lookup_error(int dirfd, const char *path, unsigned lkflags, int argc)
{
	struct lookup lk;
	if (argc + 2 * MAX_INTERP_DEPTH >= MAX_ARGS || !*path)
		return 0; /* (exec_prepare's E2BIG; "": open_exec's other way) */
	long r = path_lookup(dirfd, path, lkflags, &lk, current()->lpath[1]);
	if (r < 0)
		return r;
	long fd = vfs_open(&lk, O_RDONLY | ((lkflags & LK_FOLLOW) ? 0 : O_NOFOLLOW), 0);
	if (fd < 0)
		return fd;
	host_close((int)fd);
	return 0;
}

long exec_prepare(int dirfd, const char *path, unsigned lkflags,
		  const char *name, char *const *argv, int argc,
		  struct exec_plan *p)
{
	static struct exec_args a;
	static char bufs[MAX_INTERP_DEPTH + 1][BINPRM_BUF_SIZE + 1];
	static char names[MAX_INTERP_DEPTH + 1][PICOS_PATH_MAX];
	static char exe[PICOS_PATH_MAX];
	const char *file = name;
	int fd = -1;
	long r;

	p->fd = p->ifd = -1;
	p->args = &a;
	p->exe = exe;
	if (argc + 2 * MAX_INTERP_DEPTH >= MAX_ARGS)
		return -E2BIG;
	a.argc = argc;
	for (int i = 0; i < argc; i++)
		a.argv[i] = argv[i];

	/* Follow "#!" lines: each one puts interp [arg] script in front. */
	size_t hn;
	int depth;
	for (depth = 0;; depth++) {
		r = depth == 0 ? open_exec(dirfd, path, lkflags, &fd, exe,
					   &p->exe_anon)
			       : open_exec(AT_FDCWD, file, LK_FOLLOW, &fd, exe,
					   &p->exe_anon);
		if (r < 0)
			return r;
		r = host_pread(fd, bufs[depth], BINPRM_BUF_SIZE, 0);
		if (r < 0) {
			host_close(fd);
			return r;
		}
		hn = (size_t)r;
		char *interp, *arg;
		char tmp[BINPRM_BUF_SIZE + 1];
		rt_memcpy(tmp, bufs[depth], hn);
		if (parse_shebang(tmp, hn, &interp, &arg) < 0)
			break;
		host_close(fd);
		fd = -1;
		if (depth == MAX_INTERP_DEPTH)
			return -ELOOP;
		/* A script named by a close-on-exec fd: its interpreter could
		 * never open /dev/fd/N (Linux's BINPRM_FLAGS_PATH_INACCESSIBLE). */
		if (depth == 0 && p->path_gone)
			return -ENOENT;
		rt_strlcpy(names[depth], interp, PICOS_PATH_MAX);
		int extra = arg ? 2 : 1;
		if (a.argc + extra + 1 >= MAX_ARGS)
			return -E2BIG;
		/* argv becomes: interp [arg] file argv[1..] */
		int keep = a.argc > 0 ? a.argc - 1 : 0;
		rt_memmove(&a.argv[1 + extra], &a.argv[1],
			   sizeof(char *) * (size_t)keep);
		a.argv[extra] = file;
		if (arg) {
			char *copy = kstrdup(arg);
			a.argv[1] = copy;
		}
		a.argv[0] = names[depth];
		a.argc = 1 + extra + keep;
		file = names[depth];
	}
	p->hdr = (const unsigned char *)bufs[depth];
	p->hn = hn;
	r = elf_check_header(p->hdr, hn);
	if (r == 0)
		r = elf_read_interp(fd, p->hdr, p->interp, sizeof p->interp);
	if (r == 0)
		r = elf_check_segments(fd, p->hdr);
	if (r < 0) {
		host_close(fd);
		return r;
	}
	p->fd = fd;
	if (p->interp[0]) {
		r = open_exec(AT_FDCWD, p->interp, LK_FOLLOW, &p->ifd, NULL,
			      NULL);
		if (r == 0) {
			r = host_pread(p->ifd, p->ihdr, sizeof p->ihdr, 0);
			if (r >= 0)
				r = elf_check_header(p->ihdr, (size_t)r) < 0 ? -ELIBBAD
									: 0;
			if (r == 0)
				r = elf_check_segments(p->ifd, p->ihdr);
		}
		if (r < 0) {
			exec_abort(p);
			return r;
		}
	}
	return 0;
}

void exec_abort(struct exec_plan *p)
{
	if (p->fd >= 0)
		host_close(p->fd);
	if (p->ifd >= 0)
		host_close(p->ifd);
	p->fd = p->ifd = -1;
}

/* A program without a guest path stays reachable through
 * /proc/self/exe: keep a host fd of it (close-on-exec on the host, so a
 * new process image of the host never holds it). */
static void keep_anon_exe(const struct exec_plan *p)
{
	if (proc.exe_anon)
		host_close(proc.exe_fd);
	proc.exe_anon = false;
	if (!p->exe_anon)
		return;
	long d = host_syscall3(__NR_fcntl, p->fd, F_DUPFD_CLOEXEC, 0);
	if (d >= 0) {
		proc.exe_fd = (int)d;
		proc.exe_anon = true;
	}
}

/* The host's record of the provider's own layout (code, data, break and
 * stack fields of /proc/self/stat), which PR_SET_MM_MAP must be given
 * back unchanged. */
static bool host_mm_fields(struct prctl_mm_map *m)
{
	char buf[1024];
	if (procfs_host_text("self/stat", buf, sizeof buf) <= 0)
		return false;
	const char *p = rt_strrchr(buf, ')');
	if (!p)
		return false;
	uint64_t field[53] = { 0 };
	p += 2; /* field 3, the state, is a letter */
	for (int k = 3; k < 53 && *p; k++) {
		uint64_t v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
		field[k] = v;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	m->start_code = field[26];
	m->end_code = field[27];
	m->start_stack = field[28];
	m->start_data = field[45];
	m->end_data = field[46];
	m->start_brk = field[47];
	return m->start_code && m->start_data && m->start_brk;
}

/* The host's view of the new image: its /proc/<pid>/comm, stat and
 * status name the guest's program, and its cmdline and environ read the
 * guest's strings, so the world's ps, top and pgrep (which read the host
 * procfs through procfs.c) see what Linux would show, setproctitle
 * included.  PR_SET_MM_MAP moves only the host's record of where the
 * strings are (no capability needed when the executable stays); the
 * other fields are given back as they are.  Linux wants non-empty
 * ranges: an empty argument list shows as the NUL before it, and an
 * empty environment is answered by the provider (view_noenv). */
static void publish_to_host(const struct string_areas *a)
{
	host_syscall2(__NR_prctl, PR_SET_NAME, (long)proc.comm);
	static struct prctl_mm_map base;
	if (!base.start_code && !host_mm_fields(&base))
		return;
	struct prctl_mm_map m = base;
	m.brk = m.start_brk; /* the provider never moves its host break */
	m.arg_start = a->arg_start;
	m.arg_end = a->arg_end;
	m.env_start = a->env_start;
	m.env_end = a->env_end;
	if (m.arg_start == m.arg_end)
		m.arg_start--;
	if (m.env_start == m.env_end)
		m.env_start--;
	m.auxv = 0;
	m.auxv_size = 0;
	m.exe_fd = (uint32_t)-1;
	host_syscall5(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&m,
		      sizeof m, 0);
}

/* Maps the program and its interpreter, sets the break and builds the
 * stack.  `path` names the program for AT_EXECFN and the task name. */
long exec_commit(struct exec_plan *p, const char *path, char *const *envp,
		 int envc, struct exec_result *out)
{
	struct elf_image exe, interp;
	task_set_text(p->fd, p->ifd);
	keep_anon_exe(p);
	long r = elf_load(p->fd, p->hdr, p->hn, false, &exe);
	if (r == 0 && p->ifd >= 0)
		r = elf_load(p->ifd, p->ihdr, sizeof p->ihdr, true, &interp);
	exec_abort(p);
	if (r < 0)
		return r;
	uint64_t entry = exe.entry, interp_base = 0;
	if (exe.interp[0]) {
		entry = interp.entry;
		interp_base = interp.bias;
	}

	mm_brk_init(exe.end);
	if (exe.exec_stack)
		host_mprotect(RT_ALIGN_DOWN(proc.stack_top - 1, RT_PAGE_SIZE),
			      RT_PAGE_SIZE,
			      PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN);
	/* The task's name is the executed path's basename (for a script,
	 * the script's), as on Linux. */
	const char *base = rt_strrchr(path, '/');
	rt_strlcpy(proc.comm, base ? base + 1 : path, sizeof proc.comm);
	rt_strlcpy(proc.exe, p->exe, sizeof proc.exe);
	out->entry = entry;
	struct string_areas areas;
	out->sp = build_stack(p->args, envp, envc, path, &exe, interp_base,
			      &areas);
	publish_to_host(&areas);
	__atomic_store_n(&gproc()->task->view_noenv, (uint8_t)(envc == 0),
			 __ATOMIC_RELAXED); /* fs/proc_pid.c */
	return 0;
}

long exec_load(const char *path, char *const *argv, int argc,
	       char *const *envp, int envc, struct exec_result *out)
{
	struct exec_plan p = { 0 };
	long r = exec_prepare(AT_FDCWD, path, LK_FOLLOW, path, argv, argc, &p);
	if (r < 0)
		return r;
	return exec_commit(&p, path, envp, envc, out);
}
