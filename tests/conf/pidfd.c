/* pidfds: pidfd_open (flags, errors, zombies), readiness in poll and
 * epoll when the process ends, pidfd_send_signal with and without a
 * siginfo (and its EINVAL/EPERM/ESRCH rules), waitid(P_PIDFD) including a
 * non-blocking pidfd, CLONE_PIDFD through clone and clone3, pidfd_getfd on
 * the caller's own process, and the /proc fd link. */
#include "tap.h"
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int send_sig(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static int poll_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static pid_t sleeper(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	return c;
}

static void errors(void)
{
	fails_with(pidfd_open(getpid(), 0x1), EINVAL, "pidfd_open with an unknown flag");
	fails_with(pidfd_open(0, 0), EINVAL, "pidfd_open of pid 0");
	fails_with(pidfd_open(-1, 0), EINVAL, "pidfd_open of pid -1");
	fails_with(pidfd_open(4000000, 0), ESRCH, "pidfd_open of a pid nobody has");
	int fd = pidfd_open(getpid(), 0);
	ok(fd >= 0, "pidfd_open of the caller");
	fails_with(send_sig(fd, 0, NULL, 0x10), EINVAL, "pidfd_send_signal with an unknown flag");
	fails_with(send_sig(fd, 0, NULL, 3), EINVAL, "pidfd_send_signal with two scopes");
	fails_with(send_sig(0, 0, NULL, 0), EBADF, "pidfd_send_signal on stdin");
	fails_with(send_sig(999, 0, NULL, 0), EBADF, "pidfd_send_signal on a closed fd");
	fails_with(send_sig(fd, 99, NULL, 0), EINVAL, "pidfd_send_signal of signal 99");
	ok(send_sig(fd, 0, NULL, 0) == 0, "pidfd_send_signal of signal 0 to oneself");
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR2;
	si.si_code = SI_QUEUE;
	fails_with(send_sig(fd, SIGUSR1, &si, 0), EINVAL, "pidfd_send_signal with si_signo not sig");
	fails_with(syscall(SYS_pidfd_send_signal, fd, SIGUSR1, (void *)8, 0), EFAULT,
		   "pidfd_send_signal with a bad siginfo");
	fails_with(syscall(SYS_pidfd_getfd, fd, 1, 1), EINVAL, "pidfd_getfd with flags");
	fails_with(syscall(SYS_pidfd_getfd, fd, 999, 0), EBADF, "pidfd_getfd of a closed fd");
	fails_with(syscall(SYS_pidfd_getfd, 0, 1, 0), EBADF, "pidfd_getfd through stdin");
	siginfo_t wi;
	fails_with(waitid(P_PIDFD, 0, &wi, WEXITED), EBADF, "waitid(P_PIDFD) on stdin");
	fails_with(waitid(P_PIDFD, fd, &wi, WEXITED | WNOHANG), ECHILD,
		   "waitid(P_PIDFD) of oneself (not a child)");
	char buf[8];
	fails_with(read(fd, buf, sizeof buf), EINVAL, "read of a pidfd");
	fails_with(write(fd, buf, sizeof buf), EINVAL, "write of a pidfd");
	ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "a pidfd is close-on-exec");
	ok((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "a pidfd is O_RDWR");
	ok(!poll_in(fd, 0), "the caller's own pidfd is not readable");
	char link[64] = "", path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t l = readlink(path, link, sizeof link - 1);
	if (l > 0)
		link[l] = 0;
	ok(strcmp(link, "anon_inode:[pidfd]") == 0, "/proc/self/fd link is anon_inode:[pidfd] (%s)", link);
	close(fd);
	fd = pidfd_open(getpid(), PIDFD_NONBLOCK);
	ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "PIDFD_NONBLOCK sets O_NONBLOCK");
	close(fd);
}

/* The Pid: line of a pidfd's fdinfo (-2 when there is none). */
static int fdinfo_pid(int fd)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	int f = open(path, O_RDONLY);
	ssize_t n = f < 0 ? -1 : read(f, buf, sizeof buf - 1);
	if (f >= 0)
		close(f);
	buf[n > 0 ? n : 0] = 0;
	char *p = strstr(buf, "\nPid:\t");
	return p ? atoi(p + 6) : -2;
}

static volatile int thread_tid;
static void *idle_thread(void *a)
{
	thread_tid = (int)syscall(SYS_gettid);
	while (thread_tid > 0)
		usleep(1000);
	return a;
}

static volatile int usr1_tid;
static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = (int)syscall(SYS_gettid);
}

/* Thread pidfds (PIDFD_THREAD): they name one thread. */
static void thread_ids(void)
{
	pthread_t t;
	pthread_create(&t, NULL, idle_thread, NULL);
	while (!thread_tid)
		usleep(1000);
	int tid = thread_tid;
	fails_with(pidfd_open(tid, 0), ENOENT, "pidfd_open of a thread other than the first");
	int fd = pidfd_open(tid, PIDFD_THREAD);
	ok(fd >= 0, "pidfd_open(tid, PIDFD_THREAD)");
	ok(!poll_in(fd, 0), "a live thread's pidfd is not readable");
	ok(fdinfo_pid(fd) == tid, "its fdinfo Pid: is the tid");
	signal(SIGUSR1, on_usr1);
	ok(send_sig(fd, SIGUSR1, NULL, 0) == 0, "pidfd_send_signal through a thread pidfd");
	for (int i = 0; i < 500 && !usr1_tid; i++)
		usleep(1000);
	ok(usr1_tid == tid, "the signal went to that thread");
	siginfo_t wi;
	fails_with(waitid(P_PIDFD, fd, &wi, WEXITED | WNOHANG), ECHILD,
		   "waitid(P_PIDFD) of a thread pidfd");
	thread_tid = -1;
	pthread_join(t, NULL);
	ok(poll_in(fd, 5000), "readable once the thread ended");
	fails_with(send_sig(fd, 0, NULL, 0), ESRCH, "pidfd_send_signal to the ended thread");
	close(fd);
	signal(SIGUSR1, SIG_DFL);
	int lf = pidfd_open(getpid(), PIDFD_THREAD);
	ok(lf >= 0 && !poll_in(lf, 0), "pidfd_open(pid, PIDFD_THREAD) of the first thread");
	close(lf);
}

/* clone3(CLONE_THREAD|CLONE_PIDFD) by hand: the new thread runs fn on
 * its own stack and ends with exit (no libc inside it). */
static long clone3_thread(void *args, size_t size, void (*fn)(void))
{
	register long r10 __asm__("r10") = (long)fn;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "call *%%r10\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(size), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static volatile int raw_go;
static void raw_thread(void)
{
	while (!raw_go)
		__asm__ volatile("pause");
}

static void lifecycle(void)
{
	pid_t c = sleeper();
	int fd = pidfd_open(c, 0);
	ok(fd >= 0, "pidfd_open of a child");
	ok(!poll_in(fd, 0), "not readable while the child lives");
	ok(fdinfo_pid(fd) == c, "fdinfo's Pid: line is the child's pid (%d)", fdinfo_pid(fd));
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ok(epoll_wait(ep, &out, 1, 0) == 0, "epoll: not ready while the child lives");
	siginfo_t wi;
	memset(&wi, 0xff, sizeof wi);
	ok(waitid(P_PIDFD, fd, &wi, WEXITED | WNOHANG) == 0 && wi.si_pid == 0,
	   "waitid(P_PIDFD, WNOHANG) of a live child: 0, si_pid 0");
	int nfd = pidfd_open(c, PIDFD_NONBLOCK);
	fails_with(waitid(P_PIDFD, nfd, &wi, WEXITED), EAGAIN,
		   "waitid(P_PIDFD) on a PIDFD_NONBLOCK pidfd of a live child");
	ok(send_sig(fd, SIGTERM, NULL, 0) == 0, "pidfd_send_signal(SIGTERM) to the child");
	ok(poll_in(fd, 5000), "readable once the child ended");
	ok(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.fd == fd, "epoll: ready once it ended");
	ok(send_sig(fd, 0, NULL, 0) == 0, "pidfd_send_signal to the zombie succeeds");
	memset(&wi, 0, sizeof wi);
	ok(waitid(P_PIDFD, nfd, &wi, WEXITED | WNOHANG) == 0 && wi.si_pid == c,
	   "waitid(P_PIDFD, WNOHANG) right after poll finds the exit (%d)", wi.si_pid);
	ok(wi.si_code == CLD_KILLED && wi.si_status == SIGTERM && wi.si_signo == SIGCHLD,
	   "waitid: CLD_KILLED by SIGTERM (%d, %d)", wi.si_code, wi.si_status);
	fails_with(send_sig(fd, 0, NULL, 0), ESRCH, "pidfd_send_signal after the reap");
	ok(fdinfo_pid(fd) == -1, "fdinfo's Pid: line is -1 after the reap (%d)", fdinfo_pid(fd));
	fails_with(waitid(P_PIDFD, fd, &wi, WEXITED), ECHILD, "waitid(P_PIDFD) after the reap");
	fails_with(pidfd_open(c, 0), ESRCH, "pidfd_open of a reaped child");
	close(ep);
	close(nfd);
	close(fd);

	/* A zombie: pidfd_open still works, and the pidfd is readable. */
	c = fork();
	if (c == 0)
		_exit(5);
	while (waitid(P_PID, c, &wi, WEXITED | WNOHANG | WNOWAIT) == 0 && wi.si_pid == 0)
		usleep(1000);
	fd = pidfd_open(c, 0);
	ok(fd >= 0, "pidfd_open of a zombie child");
	ok(poll_in(fd, 0), "a zombie's pidfd is readable");
	memset(&wi, 0, sizeof wi);
	ok(waitid(P_PIDFD, fd, &wi, WEXITED) == 0 && wi.si_pid == c && wi.si_code == CLD_EXITED &&
		   wi.si_status == 5,
	   "waitid(P_PIDFD) of the zombie: exited 5");
	close(fd);
}

/* The child reports what its pidfd signal carried. */
static void with_siginfo(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		siginfo_t a, b;
		sigwaitinfo(&s, &a);
		sigwaitinfo(&s, &b);
		_exit(a.si_code == SI_USER && a.si_pid == parent && b.si_code == SI_QUEUE &&
				      b.si_int == 31337 && b.si_pid == 4242
			      ? 0
			      : 1);
	}
	int fd = pidfd_open(c, 0);
	ok(send_sig(fd, SIGUSR1, NULL, 0) == 0, "pidfd_send_signal(SIGUSR1) without siginfo");
	usleep(50000);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	fails_with(send_sig(fd, SIGUSR1, &si, 0), EPERM,
		   "pidfd_send_signal of a forged SI_USER to another process");
	si.si_code = SI_TKILL;
	fails_with(send_sig(fd, SIGUSR1, &si, 0), EPERM,
		   "pidfd_send_signal of a forged SI_TKILL to another process");
	si.si_code = SI_QUEUE;
	si.si_pid = 4242;
	si.si_int = 31337;
	ok(send_sig(fd, SIGUSR1, &si, 0) == 0, "pidfd_send_signal with an SI_QUEUE siginfo");
	siginfo_t wi;
	memset(&wi, 0, sizeof wi);
	ok(waitid(P_PIDFD, fd, &wi, WEXITED) == 0 && wi.si_code == CLD_EXITED && wi.si_status == 0,
	   "the child got SI_USER from the parent, then the queued value (%d)", wi.si_status);
	close(fd);

	/* To oneself any code may be sent. */
	fd = pidfd_open(getpid(), 0);
	si.si_code = 0x7; /* positive: a kernel code */
	ok(send_sig(fd, SIGUSR1, &si, 0) == 0, "pidfd_send_signal of a positive code to oneself");
	siginfo_t got;
	struct timespec ts = { 1, 0 };
	ok(sigtimedwait(&s, &got, &ts) == SIGUSR1 && got.si_code == 7 && got.si_int == 31337,
	   "it arrives with that code (%d)", got.si_code);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

struct clone_args_min {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void clone_pidfd(void)
{
	int pfd = -1;
	struct clone_args_min ca = { .flags = CLONE_PIDFD, .pidfd = (uintptr_t)&pfd,
				     .exit_signal = SIGCHLD };
	long c = syscall(SYS_clone3, &ca, sizeof ca);
	if (c == 0)
		_exit(3);
	ok(c > 0 && pfd >= 0, "clone3(CLONE_PIDFD) gives a pidfd (%ld, %d)", c, pfd);
	ok(fcntl(pfd, F_GETFD) == FD_CLOEXEC, "the CLONE_PIDFD fd is close-on-exec");
	ok(poll_in(pfd, 5000), "it becomes readable when the child ends");
	siginfo_t wi;
	memset(&wi, 0, sizeof wi);
	ok(waitid(P_PIDFD, pfd, &wi, WEXITED) == 0 && wi.si_pid == c && wi.si_status == 3,
	   "waitid(P_PIDFD) on it: exited 3");
	close(pfd);

	pfd = -1;
	c = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
	if (c == 0) {
		pause();
		_exit(0);
	}
	ok(c > 0 && pfd >= 0, "clone(CLONE_PIDFD) gives a pidfd in parent_tid");
	ok(send_sig(pfd, SIGKILL, NULL, 0) == 0 && poll_in(pfd, 5000),
	   "SIGKILL through it, then readable");
	ok(waitid(P_PIDFD, pfd, &wi, WEXITED) == 0 && wi.si_code == CLD_KILLED, "and reaped");
	close(pfd);
	fails_with(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd, 0, 0),
		   EINVAL, "clone(CLONE_PIDFD|CLONE_PARENT_SETTID)");

	static char stack[64 * 1024] __attribute__((aligned(16)));
	pfd = -1;
	struct clone_args_min ta = {
		.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			 CLONE_SYSVSEM | CLONE_PIDFD,
		.pidfd = (uintptr_t)&pfd,
		.stack = (uintptr_t)stack,
		.stack_size = sizeof stack,
	};
	long t = clone3_thread(&ta, sizeof ta, raw_thread);
	ok(t > 0 && pfd >= 0, "clone3(CLONE_THREAD|CLONE_PIDFD) gives a thread pidfd (%ld, %d)", t, pfd);
	ok(!poll_in(pfd, 0) && fdinfo_pid(pfd) == t, "not readable; its fdinfo Pid: is the tid");
	raw_go = 1;
	ok(poll_in(pfd, 5000), "readable once the thread ended");
	close(pfd);
}

/* Linux takes an fd of a /proc/<pid> directory as a pidfd for
 * pidfd_send_signal (CPython's test_signal does this). */
static void procfs_dir(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", getpid());
	int d = open(path, O_DIRECTORY | O_RDONLY);
	ok(d >= 0 && send_sig(d, 0, NULL, 0) == 0, "pidfd_send_signal(0) through /proc/<self>");
	close(d);
	pid_t c = sleeper();
	snprintf(path, sizeof path, "/proc/%d", c);
	d = open(path, O_DIRECTORY | O_RDONLY);
	ok(send_sig(d, SIGKILL, NULL, 0) == 0, "pidfd_send_signal(SIGKILL) through /proc/<child>");
	int st;
	ok(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child died of it");
	fails_with(send_sig(d, 0, NULL, 0), ESRCH, "/proc/<child> after the reap");
	close(d);
	d = open("/proc/self/fd", O_DIRECTORY | O_RDONLY);
	fails_with(send_sig(d, 0, NULL, 0), EBADF, "pidfd_send_signal through /proc/self/fd");
	close(d);
}


static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof u.b };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof u.b };
	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	int fd = -1;
	if (h && h->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(h), sizeof fd);
	return fd;
}

static void fd_link_of(int fd, char *link, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t l = readlink(path, link, n - 1);
	link[l > 0 ? l : 0] = 0;
}

/* A pidfd passed over SCM_RIGHTS still names its process. */
static void passed(void)
{
	int sv[2], rp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(rp) < 0)
		return;
	pid_t a = sleeper();
	int fd = pidfd_open(a, 0);
	pid_t b = fork();
	if (b == 0) {
		rep_fd = rp[1];
		int got = recv_fd(sv[1]);
		char link[64];
		fd_link_of(got, link, sizeof link);
		rok(got >= 0 && strcmp(link, "anon_inode:[pidfd]") == 0,
		    "received pidfd: /proc link anon_inode:[pidfd] (%s)", link);
		rok(send_sig(got, SIGKILL, NULL, 0) == 0, "pidfd_send_signal through the received pidfd");
		rok(poll_in(got, 5000), "the received pidfd becomes readable");
		_exit(0);
	}
	close(rp[1]);
	send_fd(sv[0], fd);
	rok_collect(rp[0]);
	int st;
	ok(waitpid(a, &st, 0) == a && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	   "the process the pidfd names was killed");
	waitpid(b, NULL, 0);
	close(fd);
	close(rp[0]);
	close(sv[0]);
	close(sv[1]);
}

static void getfd_self(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	int fd = pidfd_open(getpid(), 0);
	int nfd = (int)syscall(SYS_pidfd_getfd, fd, p[1], 0);
	ok(nfd >= 0 && nfd != p[1], "pidfd_getfd of one's own fd");
	ok(fcntl(nfd, F_GETFD) == FD_CLOEXEC, "the new fd is close-on-exec");
	char c = 0;
	ok(write(nfd, "z", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'z',
	   "it is the same pipe");
	close(nfd);
	close(fd);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	errors();
	thread_ids();
	lifecycle();
	with_siginfo();
	clone_pidfd();
	procfs_dir();
	passed();
	getfd_self();
	return tap_done();
}
