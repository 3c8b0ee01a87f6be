/* The pico process: its identity, limits and the program it runs. */
#ifndef PICOS_PROC_H
#define PICOS_PROC_H

#include "../kernel.h"
#include "../entry/thread.h"

#define PICO_NSIG 64

/* The guest's view of one signal's disposition (kernel layout). */
struct guest_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct rlimit64 {
	uint64_t cur, max;
};
#define PICO_NLIMITS 16

struct picos_task;

/* Signal actions, shared by the threads of a process and by a CLONE_VM
 * child made with CLONE_SIGHAND.  Read with sigaction_get, written with
 * sigaction_set: signal paths of any thread read them without the
 * provider lock (a seqlock). */
struct sig_actions {
	struct guest_sigaction act[PICO_NSIG];
	uint32_t seq;
};

/* The guest process a host thread belongs to.  Its threads share one; a
 * CLONE_VM child (another guest process living in this provider's memory,
 * see sys_vmclone.c) has its own, while `proc` below is shared by every
 * guest process of this memory. */
struct gproc {
	int pid;		 /* virtual; ppid, pgid, sid live in the table */
	int host_pid;		 /* its host pid (host thread group) */
	struct picos_task *task; /* its entry in the world table */
	int nthreads;		 /* its live threads (gproc_next_thread) */
	struct sig_actions *sigact;
	/* NULL: the first process's (fs/file.c); a CLONE_VM child's own
	 * copies without CLONE_FILES, CLONE_FS. */
	struct fdtable *files;
	struct fs_info *fs;
	bool own_files, own_fs;
	/* The guest group its host group stands for (proc/sys_id.c): a
	 * parent's setpgid that a stopped child could not make on the host
	 * is made when it is continued. */
	int host_pgrp_of;
	/* It counted itself out of a shared memory (thread_release_vm): a
	 * vfork parent tells so a child that left from one killed inside
	 * the provider. */
	bool left_vm;
};

static inline struct gproc *gproc(void)
{
	return current()->gp;
}

struct proc {
	/* Guest processes living in this memory: 1, plus the CLONE_VM
	 * children (and parent) that share it. */
	int vm_users;
	bool vfork_child;	 /* borrowing its parent's address space */
	/* The guest marked memory MADV_DONTFORK: an exec's host fork does
	 * not mark the mappings itself (task_rehost), which would lose it. */
	bool guest_dontfork;
	/* It used System V semaphores or attached shared memory: the host
	 * undoes SEM_UNDO adjustments and attaches when the host process
	 * ends, which a parent's wait must see done, so its exit is
	 * recorded by the init, not by itself (exit_self.c). */
	bool sysv_at_exit;
	char comm[16];
	char exe[PICOS_PATH_MAX]; /* the program's guest path (/proc/self/exe) */
	/* A program without a guest path (a memfd run with execveat): exe
	 * holds the host's name for it, and exe_fd a host fd of it, which an
	 * open of /proc/self/exe reopens. */
	bool exe_anon;
	int exe_fd;
	char hostname[65];
	bool dumpable;
	struct rlimit64 rlimits[PICO_NLIMITS];
	uint64_t brk_start, brk_cur, brk_mapped;
	uint64_t gs_base; /* the guest's virtual GS base */
	/* From the host's auxv, handed on to the guest's. */
	uint64_t hwcap, hwcap2, clktck, minsigstksz;
	/* the host's vDSO, passed through to the guest (0: none) */
	uint64_t vdso;
	char platform[32];
	uint64_t stack_top; /* top of the host stack the guest inherits */
	unsigned personality; /* personality(2); kept by fork and exec */
};
extern struct proc proc;
/* ADDR_NO_RANDOMIZE: the loader places the next program without its
 * random offsets (PIE base, stack gap, break). */
#define PER_ADDR_NO_RANDOMIZE 0x0040000u
static inline bool proc_randomize(void)
{
	return !(proc.personality & PER_ADDR_NO_RANDOMIZE);
}

/* A consistent copy of a signal's action, and its replacement. */
void sigaction_get(int sig, struct guest_sigaction *out);
void sigaction_set(int sig, const struct guest_sigaction *act);

/* task.c: the world's process table (include/picos/world.h). */
void task_lock(void);
void task_unlock(void);
/* The lock with bounded patience: false when it stayed taken through
 * `tries` waits of at most 10 ms each (who must not hang on a lock a
 * broken or hostile owner keeps). */
bool task_lock_patient(int tries);
struct picos_task *task_by_vpid(int vpid);	/* under the lock */
struct picos_task *task_by_host(int host_pid); /* under the lock */
/* A new slot with a fresh virtual pid, or NULL (-EAGAIN): the world's
 * process limit.  Under the lock. */
struct picos_task *task_alloc(void);
void task_free(struct picos_task *t); /* under the lock */
/* Moves the calling thread into a host fork of itself that takes over
 * this task's table entry (CLONE_PARENT_SETTID into host_pid, so the
 * launcher ignores the old host process's end); the old host process
 * exits with every other thread it has.  Returns 0 in the new one. */
long task_rehost(void);
/* exit_self.c: an exiting process records its own end in the table and
 * wakes its parent, when nothing else is owed (else the init does). */
void exit_record_self(int code);
/* Thread ids (include/picos/world.h), all under the lock. */
struct picos_thread_id;
struct picos_thread_id *tid_alloc(int host_tid); /* NULL: table full */
struct picos_thread_id *tid_by_vtid(int vtid);
void tid_free(struct picos_thread_id *t);
/* The guest pid of a host pid (0 when it is not in this world). */
int task_vpid_of_host(int host_pid);
/* The same, also for one of the last PICOS_ENDED_RING processes that
 * ended and were reaped: the pid a host record (a signal's sender, an
 * IPC object's last user) names, which Linux reports after its end. */
int task_vpid_of_sender(int host_pid);
/* The host id of a guest pid or tid (a live process's host pid, a
 * thread's host tid), or -ESRCH. */
long task_host_of_id(int id);
/* The host thread of guest thread `tid` of process `tgid` (0: of any
 * process; a process's first thread has its pid as tid), and its host
 * process in *host_tgid when not NULL: the host tid, 0 for a zombie's
 * first thread, -ESRCH when there is no such thread. */
long task_thread_host(int tgid, int tid, int *host_tgid);
/* The guest pid or tid of a host one; 0 outside the world. */
int task_id_of_host(int host);
void task_set_flags(uint32_t set, uint32_t clear);
int task_ppid(void);
/* Records the host files at these fds (-1: none) as the ones this task
 * runs; task_text_busy says whether some live task runs (dev, ino). */
void task_set_text(int exe_fd, int interp_fd);
bool task_text_busy(uint64_t dev, uint64_t ino);
int task_pgid(void);
/* sys_id.c: the host side of guest process groups and sessions. */
void pgrp_publish_host(void);
long pgrp_set_host(int host_pgid);
void pgrp_resync(void);
int task_sid(void);
/* The world's live threads (first threads and others): sysinfo's procs. */
int world_thread_count(void);

/* sys_info.c: the calling process's PICO_NLIMITS limits, as getrlimit
 * gives them (unlimited for one it cannot read), for its /proc limits:
 * PICO_NLIMITS. */
int prlimit_all(struct rlimit64 *out);

/* sys_prctl.c: names the calling thread (PR_SET_NAME; at most 15 bytes
 * of `name` kept), on the host too. */
long thread_set_name(const char *name);

/* view.c: what other processes' /proc/<pid>/stat and status show of
 * this one (the view_* fields of its world table slot).  view_publish
 * writes all of them (at the start of a process, a fork, an exec, a
 * umask); the others after a change of the dispositions or of the first
 * thread's no_new_privs, seccomp or tracer (of `gp`, which may be a
 * tracee's).  The blocked set is written at the end of each call of the
 * first thread (signal_exit). */
void view_publish(void);
/* the first thread's name, after exec or PR_SET_NAME */
void view_publish_comm(void);
void view_publish_signals(void);
void view_publish_thread_of(struct gproc *gp);
/* The signals the calling process ignores and catches (bit sig - 1),
 * and the length of a thread's seccomp filter chain. */
void view_dispositions(uint64_t *ignored, uint64_t *caught);
int view_filter_count(const struct pico_thread *t);

/* sys_pidfd.c: a new close-on-exec pidfd for guest process vpid (CLONE_PIDFD)
 * or -errno; the guest pid behind pidfd `fd` and whether it is
 * non-blocking (-EBADF when fd is no pidfd); whether the host process
 * behind it has ended (the launcher may not have recorded it yet). */
long pidfd_install(int vpid, bool nonblock);
/* The same for a thread (PIDFD_THREAD; CLONE_PIDFD with CLONE_THREAD). */
long thread_pidfd_install(int tid, bool nonblock);
long pidfd_of(int fd, int *vpid, bool *nonblock);
bool pidfd_host_ended(int fd);
/* Does this memory hold guest pidfds?  And a wait (bounded) for a host
 * process to be gone, so that its host pidfd is readable. */
bool pidfds_held(void);
void pidfd_host_wait_gone(int host_pid);

/* vfork.c: vfork and CLONE_VM|CLONE_VFORK for a single-threaded caller
 * alone in its memory: the child becomes a task of this provider with
 * its own guest process state, and the caller returns once it has moved
 * out (exec) or ended.  Returns the child's host pid or -errno. */
long vfork_share(struct picos_task *c, uint64_t flags, uint64_t stack,
		 uint64_t tls, int *ctid);

/* sys_thread.c: clone with CLONE_THREAD; one thread's exit; a forked
 * child's view (only the forking thread came along). */
long thread_new(uint64_t flags, uint64_t stack, uint64_t tls, int *ptid,
		int *ctid);
__attribute__((noreturn)) void thread_exit(int code);
void thread_release(void);
/* A new host task running the guest from the current call's frame: a
 * thread (CLONE_THREAD) or a CLONE_VM child process.  Returns the host
 * id or -errno. */
struct task_spawn {
	struct gproc *gp;	   /* the guest process it belongs to */
	int vtid;		   /* its guest tid */
	struct picos_thread_id *tid_slot; /* a thread's slot, or NULL */
	uint64_t flags;		   /* the guest's clone flags */
	uint64_t stack, tls;
	int *ctid;		   /* CLONE_CHILD_SETTID/CLEARTID */
	unsigned long host_flags;  /* the host clone's sharing flags */
	int *host_id;		   /* where the host writes the new id */
	bool vm_child;
	struct pico_thread **area; /* if not NULL: where its area goes */
};
long task_spawn(const struct task_spawn *sp);
/* The area of a task that ended without thread_release (a vfork child
 * killed inside the provider): freed once its host task is gone. */
void thread_area_abandoned(struct pico_thread *t);

/* sys_vmclone.c: clone(CLONE_VM) without CLONE_THREAD or CLONE_VFORK, a
 * guest process living in this provider's memory; `c` is its new table
 * entry.  vm_leave: what a process sharing the memory owes it when it
 * leaves (exit, fatal signal); thread_release_vm: the same at an exec
 * that moves it out. */
long vm_child_new(struct picos_task *c, uint64_t flags, uint64_t stack,
		  uint64_t tls, int *ctid);
/* Its pieces: the new guest process state (copies of the caller's fd
 * table, cwd and signal actions unless shared; NULL without memory), the
 * host task (counted in vm_users), and the state's release. */
struct gproc *vm_gproc_new(struct picos_task *c, uint64_t flags);
long vm_task_start(struct gproc *gp, uint64_t flags, uint64_t stack,
		   uint64_t tls, int *ctid, struct pico_thread **area);
void vm_gproc_drop(struct gproc *gp, uint64_t flags);
void vm_leave(void);
void thread_release_vm(void);

/* ptrace.c: the provider area of guest task `tid` when it lives in this
 * memory (a thread of this process or of a CLONE_VM sharer), else NULL.
 * Under the provider lock. */
struct pico_thread *task_area_of(int tid);
/* Whether `host_pid` is a guest process living in this memory (the
 * caller or a CLONE_VM sharer). */
bool memory_has_process(int host_pid);
/* The live threads of guest process `gp`, under the provider lock: the
 * first after `t` (NULL: the first one), or NULL. */
struct pico_thread *gproc_next_thread(const struct gproc *gp,
				      const struct pico_thread *t);
#define for_each_thread(t, gp)                                        \
	for (struct pico_thread *t = gproc_next_thread(gp, NULL); t;  \
	     t = gproc_next_thread(gp, t))
/* A tracer that ends lets its tracees go. */
void ptrace_release_tracees(void);
/* sys_thread.c: a forked child (or a multi-threaded exec's new host
 * process) forgets the other threads and sharers; a multi-threaded or
 * memory-sharing exec moves the caller into a host process of its own
 * (task_rehost). */
void thread_forget_others(void);
long thread_exec_detach(void);

/* sys_fork.c: a vfork child that execs or exits lets its parent go on. */
void fork_release_vfork_parent(void);

/* sys_id.c: the first process's supplementary groups, from the launcher's
 * (host gids, mapped as file owners are); after the identity is set. */
void ident_set_host_groups(const uint32_t *host_gids, uint32_t n);
/* sys_id.c: whether gid is one of the supplementary groups; the ids
 * written to a table entry (the caller's, or a new child's). */
bool ident_in_groups(uint32_t gid);
void ident_publish(struct picos_task *t);
/* sys_id.c, at execve: the saved and filesystem ids become the effective
 * ones (execve(2); picos honours no set-user-ID bits). */
void ident_exec(void);
/* The process's dumpable flag (prctl PR_SET_DUMPABLE); started by root
 * the host process's follows it, so its /proc entries are owned as a
 * native process's would be. */
void ident_set_dumpable(bool on);

/* sys_info.c: sets the guest's RLIMIT_NOFILE from the host's, keeping a
 * reserve of host fds for the provider, and sets fd_limit. */
void rlimit_nofile_init(void);

/* exec.c: loads `path` (ELF or #! script) from the guest root and prepares
 * the initial stack; returns the entry point and stack pointer. */
struct exec_result {
	uint64_t entry, sp;
};
long exec_load(const char *path, char *const *argv, int argc,
	       char *const *envp, int envc, struct exec_result *out);
/* The two halves of exec_load, for execve: prepare opens and checks
 * everything (errors the caller still sees); commit maps and builds. */
#define EXEC_MAX_ARGS 32768
struct exec_args {
	const char *argv[EXEC_MAX_ARGS];
	int argc;
};
struct exec_plan {
	int fd, ifd; /* program and interpreter host fds, -1 when none */
	const unsigned char *hdr;
	size_t hn;
	unsigned char ihdr[256];
	char interp[256];
	struct exec_args *args;
	bool path_gone; /* in: the program is a close-on-exec fd */
	char *exe;	/* the program's canonical guest path */
	bool exe_anon;	/* the program has none (proc.exe_anon) */
};
/* `name` is the program as the new image sees it (AT_EXECFN, and the
 * script's name in an interpreter's argv). */
long exec_prepare(int dirfd, const char *path, unsigned lkflags,
		  const char *name, char *const *argv, int argc,
		  struct exec_plan *p);
long exec_commit(struct exec_plan *p, const char *path, char *const *envp,
		 int envc, struct exec_result *out);
void exec_abort(struct exec_plan *p);
/* The error an exec of `path` with `argc` arguments fails with at its
 * first step, the file's lookup and open (a shell's or execvp's search
 * along $PATH), or 0 when it gets further. */
long exec_lookup_error(int dirfd, const char *path, unsigned lkflags, int argc);

/* elf.c */
struct elf_image {
	uint64_t entry;	    /* with load bias */
	uint64_t bias;	    /* load bias (0 for ET_EXEC) */
	uint64_t phdr;	    /* address of the program headers in memory */
	uint64_t phnum, phent;
	uint64_t end;	    /* highest mapped address (brk start) */
	bool exec_stack;    /* PT_GNU_STACK with PF_X */
	char interp[256];   /* PT_INTERP, "" if none */
};
/* Maps the ELF file open at `host_fd`.  `hdr` holds its first bytes. */
long elf_load(int host_fd, const unsigned char *hdr, size_t hdr_len,
	      bool is_interp, struct elf_image *img);
/* Reads the PT_INTERP path ("" when none). */
long elf_read_interp(int fd, const unsigned char *hdr, char *interp, size_t n);
/* Checks an ELF header for x86-64 executables; -ENOEXEC otherwise. */
long elf_check_header(const unsigned char *hdr, size_t len);
/* Before execve's point of no return: -ENOMEM for an ET_EXEC image with a
 * PT_LOAD segment in the provider's window, which Linux would map but a
 * pico process cannot (segments Linux itself refuses are left to
 * elf_load, after the point of no return, as on Linux). */
long elf_check_segments(int fd, const unsigned char *hdr);

#endif
