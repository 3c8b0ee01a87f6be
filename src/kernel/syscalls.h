/* Prototypes of every syscall handler named in entry/syscalls.def, grouped
 * by the file that implements them.  Handlers return a value or -errno. */
#ifndef PICOS_SYSCALLS_H
#define PICOS_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>

/* fs/sys_open.c */
long sys_open(const char *path, int flags, unsigned mode);
long sys_openat(int dirfd, const char *path, int flags, unsigned mode);
long sys_openat2(int dirfd, const char *path, void *how, size_t size);
long sys_creat(const char *path, unsigned mode);
long sys_close(int fd);

/* fs/sys_rw.c */
long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
long sys_pread64(int fd, void *buf, size_t n, long off);
long sys_pwrite64(int fd, const void *buf, size_t n, long off);
long sys_readv(int fd, const void *iov, int cnt);
long sys_writev(int fd, const void *iov, int cnt);
long sys_preadv(int fd, const void *iov, int cnt, unsigned long lo,
		unsigned long hi);
long sys_pwritev(int fd, const void *iov, int cnt, unsigned long lo,
		 unsigned long hi);
long sys_sysfs(int option, unsigned long arg1, unsigned long arg2);
long sys_name_to_handle_at(int dirfd, const char *upath, void *uhandle,
			   void *umnt, int flags);
long sys_open_by_handle_at(int mountfd, void *uhandle, int flags);
struct iocb;
struct io_event;
long sys_io_setup(unsigned nr_events, uint64_t *uctxp);
long sys_io_destroy(uint64_t id);
long sys_io_submit(uint64_t id, long nr, struct iocb **uiocbpp);
long sys_io_getevents(uint64_t id, long min_nr, long nr,
		      struct io_event *uev, const void *uts);
long sys_io_pgetevents(uint64_t id, long min_nr, long nr,
		       struct io_event *uev, const void *uts, const void *usig);
long sys_io_cancel(uint64_t id, struct iocb *ucb, struct io_event *uresult);
/* exec: the process's AIO contexts end with its address space;
 * aio_leave: a CLONE_VM process ending while the memory lives on. */
void aio_exec(void);
void aio_leave(void);
long sys_preadv2(int fd, const void *iov, int cnt, unsigned long lo,
		 unsigned long hi, int flags);
long sys_pwritev2(int fd, const void *iov, int cnt, unsigned long lo,
		  unsigned long hi, int flags);
long sys_lseek(int fd, long off, int whence);
long sys_sendfile(int out_fd, int in_fd, long *uoff, size_t n);
long sys_copy_file_range(int fd_in, long *uoff_in, int fd_out, long *uoff_out,
			 size_t n, unsigned flags);
long sys_fsync(int fd);
/* fs/sys_splice.c */
long sys_splice(int fd_in, long *uoff_in, int fd_out, long *uoff_out,
		size_t n, unsigned flags);
long sys_tee(int fd_in, int fd_out, size_t n, unsigned flags);
long sys_vmsplice(int fd, const void *uiov, unsigned long nr, unsigned flags);
long sys_sync_file_range(int fd, long off, long n, unsigned flags);
long sys_fdatasync(int fd);
long sys_sync(void);
long sys_syncfs(int fd);
long sys_fallocate(int fd, int mode, long off, long len);
long sys_fadvise64(int fd, long off, long len, int advice);
long sys_readahead(int fd, long off, size_t n);
long sys_ftruncate(int fd, long len);

/* fs/sys_stat.c */
long sys_stat(const char *path, void *st);
long sys_fstat(int fd, void *st);
long sys_lstat(const char *path, void *st);
long sys_newfstatat(int dirfd, const char *path, void *st, int flags);
long sys_statx(int dirfd, const char *path, int flags, unsigned mask, void *stx);
long sys_statfs(const char *path, void *buf);
long sys_fstatfs(int fd, void *buf);
long sys_access(const char *path, int mode);
long sys_faccessat(int dirfd, const char *path, int mode);
long sys_faccessat2(int dirfd, const char *path, int mode, int flags);
long sys_readlink(const char *path, char *buf, long size);
long sys_readlinkat(int dirfd, const char *path, char *buf, long size);

/* fs/sys_dir.c */
long sys_getdents64(int fd, void *buf, size_t n);
long sys_getdents(int fd, void *buf, size_t n);
long sys_getcwd(char *buf, size_t size);
long sys_chdir(const char *path);
long sys_chroot(const char *path);
long sys_mount(const char *dev, const char *dir, const char *type,
	       unsigned long flags, const void *data);
long sys_umount2(const char *target, int flags);
long sys_fchdir(int fd);
long sys_mkdir(const char *path, unsigned mode);
long sys_mkdirat(int dirfd, const char *path, unsigned mode);
long sys_mknodat(int dirfd, const char *path, unsigned mode, unsigned dev);
long sys_mknod(const char *path, unsigned mode, unsigned dev);
long sys_rmdir(const char *path);

/* fs/sys_link.c */
long sys_unlink(const char *path);
long sys_unlinkat(int dirfd, const char *path, int flags);
long sys_rename(const char *from, const char *to);
long sys_renameat(int ofd, const char *from, int nfd, const char *to);
long sys_renameat2(int ofd, const char *from, int nfd, const char *to,
		   unsigned flags);
long sys_link(const char *from, const char *to);
long sys_linkat(int ofd, const char *from, int nfd, const char *to, int flags);
long sys_symlink(const char *target, const char *path);
long sys_symlinkat(const char *target, int dirfd, const char *path);

/* fs/sys_attr.c */
long sys_chmod(const char *path, unsigned mode);
long sys_fchmod(int fd, unsigned mode);
long sys_fchmodat(int dirfd, const char *path, unsigned mode);
long sys_fchmodat2(int dirfd, const char *path, unsigned mode, int flags);
long sys_chown(const char *path, unsigned uid, unsigned gid);
long sys_fchown(int fd, unsigned uid, unsigned gid);
long sys_lchown(const char *path, unsigned uid, unsigned gid);
long sys_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid,
		  int flags);
long sys_umask(unsigned mask);
long sys_truncate(const char *path, long len);
long sys_utimensat(int dirfd, const char *path, const void *times, int flags);
long sys_utimes(const char *path, const void *tv);
long sys_futimesat(int dirfd, const char *path, const void *tv);
long sys_utime(const char *path, const void *buf);

/* fs/sys_xattr.c */
long sys_getxattr(const char *path, const char *name, void *value, size_t size);
long sys_lgetxattr(const char *path, const char *name, void *value,
		   size_t size);
long sys_fgetxattr(int fd, const char *name, void *value, size_t size);
long sys_listxattr(const char *path, char *list, size_t size);
long sys_llistxattr(const char *path, char *list, size_t size);
long sys_flistxattr(int fd, char *list, size_t size);
long sys_setxattr(const char *path, const char *name, const void *value,
		  size_t size, int flags);
long sys_lsetxattr(const char *path, const char *name, const void *value,
		   size_t size, int flags);
long sys_fsetxattr(int fd, const char *name, const void *value, size_t size,
		   int flags);
long sys_removexattr(const char *path, const char *name);
long sys_lremovexattr(const char *path, const char *name);
long sys_fremovexattr(int fd, const char *name);

/* fs/sys_fd.c */
long sys_dup(int fd);
long sys_dup2(int oldfd, int newfd);
long sys_dup3(int oldfd, int newfd, int flags);
long sys_fcntl(int fd, int cmd, unsigned long arg);
long sys_flock(int fd, int op);
long sys_ioctl(int fd, unsigned cmd, unsigned long arg);

/* mm/sys_mmap.c */
long sys_mmap(unsigned long addr, unsigned long len, int prot, int flags,
	      int fd, unsigned long off);
long sys_munmap(unsigned long addr, unsigned long len);
long sys_mprotect(unsigned long addr, unsigned long len, int prot);
long sys_mremap(unsigned long addr, unsigned long old_len,
		unsigned long new_len, int flags, unsigned long new_addr);
long sys_msync(unsigned long addr, unsigned long len, int flags);
long sys_mincore(unsigned long addr, unsigned long len, unsigned char *vec);
long sys_madvise(unsigned long addr, unsigned long len, int advice);
long sys_brk(unsigned long addr);

/* proc/sys_id.c */
long sys_getpid(void);
long sys_getppid(void);
long sys_gettid(void);
long sys_getuid(void);
long sys_geteuid(void);
long sys_getgid(void);
long sys_getegid(void);
long sys_getgroups(int size, unsigned *list);
long sys_setgroups(int size, const unsigned *list);
long sys_close_range(unsigned first, unsigned last, unsigned flags);
long sys_sched_setaffinity(int pid, size_t len, const void *mask);
long sys_sched_setscheduler(int pid, int policy, const void *param);
long sys_sched_setparam(int pid, const void *param);
long sys_sched_get_priority_max(int policy);
long sys_sched_get_priority_min(int policy);
long sys_sched_rr_get_interval(int pid, void *ts);
long sys_membarrier(int cmd, unsigned flags, int cpu_id);
long sys_epoll_create(int size);
long sys_epoll_create1(int flags);
long sys_epoll_ctl(int epfd, int op, int fd, void *event);
long sys_epoll_wait(int epfd, void *events, int max, int ms);
long sys_epoll_pwait(int epfd, void *events, int max, int ms,
		     const void *mask, size_t masksize);
long sys_epoll_pwait2(int epfd, void *events, int max, const void *ts,
		      const void *mask, size_t masksize);
struct futex_waitv;
long sys_futex_waitv(const struct futex_waitv *w, unsigned nr, unsigned flags,
		     const void *timeout, int clockid);
long sys_getresuid(unsigned *r, unsigned *e, unsigned *s);
long sys_getresgid(unsigned *r, unsigned *e, unsigned *s);
long sys_getpgrp(void);
long sys_getpgid(int pid);
long sys_getsid(int pid);
long sys_set_tid_address(int *tidptr);
long sys_set_robust_list(void *head, size_t len);
long sys_get_robust_list(int pid, void **head, size_t *len);

/* proc/sys_info.c */
long sys_uname(void *buf);
long sys_sethostname(const char *name, int len);
long sys_setdomainname(const char *name, int len);
long sys_sysinfo(void *info);
long sys_getrlimit(int res, void *rlim);
long sys_setrlimit(int res, const void *rlim);
long sys_prlimit64(int pid, int res, const void *new_rlim, void *old_rlim);
long sys_getrusage(int who, void *ru);
long sys_times(void *buf);

/* proc/sys_prctl.c */
long sys_prctl(int option, unsigned long a2, unsigned long a3,
	       unsigned long a4, unsigned long a5);
long sys_arch_prctl(int code, unsigned long addr);

/* proc/sys_caps.c */
struct __user_cap_header_struct;
struct __user_cap_data_struct;
long sys_capget(struct __user_cap_header_struct *uh,
		struct __user_cap_data_struct *ud);
long sys_capset(struct __user_cap_header_struct *uh,
		const struct __user_cap_data_struct *ud);

/* proc/sys_seccomp.c; seccomp_prctl serves PR_SET_SECCOMP and
 * PR_GET_SECCOMP. */
long sys_seccomp(unsigned op, unsigned long flags, void *uargs);
long seccomp_prctl(int option, unsigned long a2, unsigned long a3);

/* proc/sys_exit.c */
long sys_exit(int code);
long sys_exit_group(int code);

/* proc/sys_fork.c, sys_execve.c, sys_wait.c */
long sys_fork(void);
long sys_vfork(void);
long sys_clone(unsigned long flags, unsigned long stack, int *parent_tid,
	       int *child_tid, unsigned long tls);
long sys_clone3(const void *uargs, size_t size);
long sys_execve(const char *path, const char *const *argv,
		const char *const *envp);
long sys_execveat(int dirfd, const char *path, const char *const *argv,
		  const char *const *envp, int flags);
long sys_wait4(int pid, int *ustatus, int options, void *uru);

/* proc/sys_keyctl.c */
long sys_add_key(const char *type, const char *desc, const void *payload,
		 size_t plen, int ringid);
long sys_request_key(const char *type, const char *desc, const char *callout,
		     int destringid);
long sys_keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4,
		unsigned long a5);

/* proc/sys_kcmp.c */
long sys_kcmp(int pid1, int pid2, int type, unsigned long idx1,
	      unsigned long idx2);

/* proc/ptrace.c */
long sys_ptrace(long req, long pid, unsigned long addr, unsigned long data);
long sys_waitid(int type, int id, void *uinfo, int options, void *uru);
long sys_setpgid(int pid, int pgid);
long sys_setsid(void);
long sys_setuid(uint32_t u);
long sys_setgid(uint32_t g);
long sys_setreuid(uint32_t r, uint32_t e);
long sys_setregid(uint32_t r, uint32_t e);
long sys_setresuid(uint32_t r, uint32_t e, uint32_t s);
long sys_setresgid(uint32_t r, uint32_t e, uint32_t s);
long sys_setfsuid(uint32_t u);
long sys_setfsgid(uint32_t g);

/* net/sys_socket.c */
long sys_socket(int family, int type, int protocol);
long sys_socketpair(int family, int type, int protocol, int *usv);
long sys_bind(int fd, const void *uaddr, int len);
long sys_connect(int fd, const void *uaddr, int len);
long sys_listen(int fd, int backlog);
long sys_shutdown(int fd, int how);
long sys_accept(int fd, void *uaddr, int *ulen);
long sys_accept4(int fd, void *uaddr, int *ulen, int flags);
long sys_getsockname(int fd, void *uaddr, int *ulen);
long sys_getpeername(int fd, void *uaddr, int *ulen);

/* net/sys_sockopt.c */
long sys_setsockopt(int fd, int level, int name, const void *uval, int len);
long sys_getsockopt(int fd, int level, int name, void *uval, int *ulen);

/* net/sys_msg.c */
long sys_sendmsg(int fd, const void *umsg, int flags);
long sys_recvmsg(int fd, void *umsg, int flags);
long sys_sendto(int fd, const void *buf, size_t len, int flags,
		const void *uaddr, int alen);
long sys_recvfrom(int fd, void *buf, size_t len, int flags, void *uaddr,
		  int *ulen);
long sys_sendmmsg(int fd, void *uvec, unsigned vlen, int flags);
long sys_recvmmsg(int fd, void *uvec, unsigned vlen, int flags, void *uts);

/* fs/sys_eventfd.c */
long sys_eventfd(unsigned initval);
long sys_eventfd2(unsigned initval, int flags);

/* fs/sys_timerfd.c */
long sys_timerfd_create(int clockid, int flags);
long sys_timerfd_settime(int fd, int flags, const void *unew, void *uold);
long sys_timerfd_gettime(int fd, void *ucur);

/* fs/sys_memfd.c */
long sys_memfd_create(const char *uname, unsigned flags);

/* fs/sys_inotify.c */
long sys_inotify_init(void);
long sys_inotify_init1(int flags);
long sys_inotify_add_watch(int fd, const char *upath, uint32_t mask);
long sys_inotify_rm_watch(int fd, int wd);

/* ipc/sys_pipe.c */
long sys_pipe(int *ufds);
long sys_pipe2(int *ufds, int flags);

/* fs/sys_poll.c */
struct pollfd;
struct kts;
struct ktv;
long sys_poll(struct pollfd *ufds, unsigned nfds, int timeout_ms);
long sys_ppoll(struct pollfd *ufds, unsigned nfds, struct kts *uts,
	       const void *umask, size_t masksize);
long sys_select(int n, void *in, void *out, void *ex, struct ktv *utv);
long sys_pselect6(int n, void *in, void *out, void *ex, struct kts *uts,
		  const void *usig);

/* misc/sys_itimer.c */
long sys_alarm(unsigned secs);
long sys_setitimer(int which, const void *unew, void *uold);
long sys_getitimer(int which, void *ucur);

/* signal/sys_kill.c, sys_sigwait.c */
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_rt_sigqueueinfo(int pid, int sig, const void *uinfo);
long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const void *uinfo);
long sys_rt_sigsuspend(const void *umask, size_t setsize);
long sys_pause(void);
long sys_rt_sigtimedwait(const void *uset, void *uinfo, const void *uts,
			 size_t setsize);
long sys_rt_sigreturn(void);

/* proc/sys_pidfd.c */
long sys_pidfd_open(int pid, unsigned flags);
long sys_pidfd_send_signal(int fd, int sig, const void *uinfo, unsigned flags);
long sys_pidfd_getfd(int pidfd, int targetfd, unsigned flags);

/* signal/sys_signalfd.c */
long sys_signalfd(int ufd, const void *umask, size_t sizemask);
long sys_signalfd4(int ufd, const void *umask, size_t sizemask, int flags);

/* signal/sys_signal.c */
long sys_rt_sigaction(int sig, const void *act, void *oact, size_t sigsetsize);
long sys_rt_sigprocmask(int how, const void *set, void *oset,
			size_t sigsetsize);
long sys_rt_sigpending(void *set, size_t sigsetsize);
long sys_sigaltstack(const void *ss, void *oss);

/* misc/sys_time.c */
long sys_gettimeofday(void *tv, void *tz);
long sys_time(long *t);
long sys_clock_gettime(int clk, void *ts);
long sys_clock_getres(int clk, void *ts);
long sys_clock_nanosleep(int clk, int flags, const void *req, void *rem);
long sys_personality(unsigned persona);
long sys_mlock(unsigned long addr, size_t len);
long sys_mlock2(unsigned long addr, size_t len, unsigned flags);
long sys_munlock(unsigned long addr, size_t len);
long sys_mlockall(int flags);
long sys_munlockall(void);
long sys_clock_settime(int clk, const void *ts);
long sys_settimeofday(const void *tv, const void *tz);
long sys_adjtimex(void *tx);
long sys_clock_adjtime(int clk, void *tx);
long sys_timer_create(int clk, const void *sev, int *id);
long sys_timer_settime(int id, int flags, const void *nv, void *ov);
long sys_timer_gettime(int id, void *cur);
long sys_timer_getoverrun(int id);
long sys_timer_delete(int id);
long sys_nanosleep(const void *req, void *rem);

/* misc/sys_sched.c */
long sys_sched_yield(void);
long sys_sched_getaffinity(int pid, size_t len, void *mask);
long sys_sched_getscheduler(int pid);
long sys_sched_getparam(int pid, void *param);
long sys_getpriority(int which, int who);
long sys_sched_setattr(int pid, void *attr, unsigned flags);
long sys_sched_getattr(int pid, void *attr, unsigned size, unsigned flags);
long sys_setpriority(int which, int who, int nice);
long sys_ioprio_set(int which, int who, int ioprio);
long sys_ioprio_get(int which, int who);
long sys_getcpu(unsigned *cpu, unsigned *node, void *cache);

/* misc/sys_random.c */
long sys_getrandom(void *buf, size_t n, unsigned flags);

/* misc/sys_futex.c */
long sys_futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout,
	       uint32_t *uaddr2, uint32_t val3);

/* ipc/sys_shm.c, sys_sem.c, sys_msg.c, sys_mqueue.c */
long sys_shmget(long key, size_t size, int flags);
long sys_shmat(int id, const void *uaddr, int flags);
long sys_shmdt(const void *uaddr);
long sys_shmctl(int id, int cmd, void *ubuf);
long sys_semget(long key, int nsems, int flags);
long sys_semop(int id, void *usops, unsigned nsops);
long sys_semtimedop(int id, void *usops, unsigned nsops, const void *uts);
long sys_semctl(int id, int num, int cmd, unsigned long arg);
long sys_msgget(long key, int flags);
long sys_msgsnd(int id, const void *umsg, size_t size, int flags);
long sys_msgrcv(int id, void *umsg, size_t size, long type, int flags);
long sys_msgctl(int id, int cmd, void *ubuf);
long sys_mq_open(const char *uname, int oflag, unsigned mode,
		 const void *uattr);
long sys_mq_unlink(const char *uname);
long sys_mq_timedsend(int fd, const char *umsg, size_t len, unsigned prio,
		      const void *uts);
long sys_mq_timedreceive(int fd, char *umsg, size_t len, unsigned *uprio,
			 const void *uts);
long sys_mq_notify(int fd, const void *usev);
long sys_mq_getsetattr(int fd, const void *unew, void *uold);

#endif
