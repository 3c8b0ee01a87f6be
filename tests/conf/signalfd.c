/* signalfd and signalfd4: flags and errors, the records (sender ids,
 * si_code for kill, sigqueue, tgkill and SIGCHLD, the fd of an O_ASYNC
 * file's F_SETSIG signal), mask updates through an
 * existing fd, consumption from the pending set, readiness in poll,
 * select and epoll, across fork and in threads, readv, the /proc link,
 * and postgres's latch pattern (SIGURG through epoll, sent by another
 * process). */
#include "tap.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static void *hide(unsigned long a) { void *volatile p = (void *)a; return p; }

static sigset_t set_of(int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int is_pending(int sig)
{
	sigset_t p;
	sigpending(&p);
	return sigismember(&p, sig);
}

static void errors(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	fails_with(syscall(SYS_signalfd4, -1, &s, 8, 0x1), EINVAL, "signalfd4 with an unknown flag");
	fails_with(syscall(SYS_signalfd4, -1, &s, 4, 0), EINVAL, "signalfd4 with sizemask 4");
	fails_with(syscall(SYS_signalfd4, -1, &s, 16, 0), EINVAL, "signalfd4 with sizemask 16");
	fails_with(syscall(SYS_signalfd4, -1, hide(8), 8, 0), EFAULT, "signalfd4 with a bad mask");
	fails_with(syscall(SYS_signalfd, -1, &s, 4), EINVAL, "signalfd with sizemask 4");
	int p[2];
	if (pipe(p) == 0) {
		fails_with(signalfd(p[0], &s, 0), EINVAL, "signalfd on a pipe fd");
		close(p[0]);
		close(p[1]);
	}
	fails_with(signalfd(999, &s, 0), EBADF, "signalfd on a closed fd");
	sigset_t all;
	sigfillset(&all);
	int fd = signalfd(-1, &all, 0);
	ok(fd >= 0, "signalfd with every signal (SIGKILL/SIGSTOP dropped) succeeds");
	close(fd);
}

static void basics(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	ok(fd >= 0, "signalfd(-1, {USR1}, SFD_NONBLOCK|SFD_CLOEXEC)");
	ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "SFD_CLOEXEC sets FD_CLOEXEC");
	int fl = fcntl(fd, F_GETFL);
	ok((fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_RDWR, "F_GETFL is O_RDWR|O_NONBLOCK");
	struct signalfd_siginfo si;
	fails_with(read(fd, &si, sizeof si), EAGAIN, "read with nothing pending");
	char small[64];
	fails_with(read(fd, small, sizeof small), EINVAL, "read with a buffer under one record");
	ok(!readable(fd), "not readable with nothing pending");

	kill(getpid(), SIGUSR1);
	ok(readable(fd), "readable once SIGUSR1 is pending");
	ok(is_pending(SIGUSR1), "SIGUSR1 is pending before the read");
	memset(&si, 0, sizeof si);
	ssize_t n = read(fd, &si, sizeof si);
	ok(n == sizeof si, "read returns one record (%zd)", n);
	ok(si.ssi_signo == SIGUSR1 && si.ssi_code == SI_USER,
	   "kill: ssi_signo SIGUSR1, ssi_code SI_USER (%u, %d)", si.ssi_signo, si.ssi_code);
	ok(si.ssi_pid == (uint32_t)getpid() && si.ssi_uid == getuid(),
	   "kill: ssi_pid and ssi_uid are the sender's (%u, %u)", si.ssi_pid, si.ssi_uid);
	ok(!is_pending(SIGUSR1), "the read consumed the pending signal");

	union sigval v = { .sival_int = 4242 };
	sigqueue(getpid(), SIGUSR1, v);
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == SI_QUEUE && si.ssi_int == 4242 &&
		   si.ssi_pid == (uint32_t)getpid(),
	   "sigqueue: SI_QUEUE, ssi_int and ssi_pid (%d, %d, %u)", si.ssi_code, si.ssi_int, si.ssi_pid);

	siginfo_t forged;
	memset(&forged, 0, sizeof forged);
	forged.si_signo = SIGUSR1;
	forged.si_code = SI_USER;
	forged.si_pid = getpid();
	forged.si_uid = getuid();
	syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &forged);
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == SI_USER && si.ssi_pid == (uint32_t)getpid() &&
		   si.ssi_uid == getuid() && si.ssi_stime == 0,
	   "a forged SI_USER to oneself reads as forged (%d, %u)", si.ssi_code, si.ssi_pid);

	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == SI_TKILL && si.ssi_pid == (uint32_t)getpid(),
	   "tgkill: SI_TKILL and ssi_pid (%d, %u)", si.ssi_code, si.ssi_pid);

	/* Two signals, read in one call; readv too. */
	sigset_t s2 = set_of(SIGUSR1, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s2, NULL);
	ok(signalfd(fd, &s2, 0) == fd, "signalfd(fd, ...) updates the mask and returns fd");
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	struct signalfd_siginfo two[4];
	n = read(fd, two, sizeof two);
	ok(n == 2 * (ssize_t)sizeof si && two[0].ssi_signo == SIGUSR1 &&
		   two[1].ssi_signo == SIGUSR2,
	   "one read returns both records, lowest signal first (%zd)", n);

	sigset_t s3 = set_of(SIGUSR2, 0);
	ok(signalfd(fd, &s3, 0) == fd, "narrow the mask to SIGUSR2");
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	struct iovec iov[2] = { { &two[0], 10 }, { (char *)&two[0] + 10, sizeof si - 10 } };
	memset(two, 0, sizeof two);
	n = readv(fd, iov, 2);
	ok(n == sizeof si && two[0].ssi_signo == SIGUSR2, "readv reads SIGUSR2 only (%zd, %u)",
	   n, two[0].ssi_signo);
	ok(is_pending(SIGUSR1), "SIGUSR1, outside the mask, stays pending");
	fails_with(read(fd, &si, sizeof si), EAGAIN, "then nothing in the mask is pending");
	sigset_t w = set_of(SIGUSR1, 0);
	int got = 0;
	sigwait(&w, &got);
	ok(got == SIGUSR1, "sigwait takes the SIGUSR1 left");

	char link[64] = "", path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t l = readlink(path, link, sizeof link - 1);
	if (l > 0)
		link[l] = 0;
	ok(strcmp(link, "anon_inode:[signalfd]") == 0, "/proc/self/fd link is anon_inode:[signalfd] (%s)", link);
	fails_with(write(fd, &si, sizeof si), EINVAL, "write to a signalfd");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s2, NULL);
}

static void select_and_epoll(void)
{
	sigset_t s = set_of(SIGUSR2, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ok(epoll_wait(ep, &out, 1, 0) == 0, "epoll: not ready with nothing pending");
	fd_set r;
	FD_ZERO(&r);
	FD_SET(fd, &r);
	struct timeval tv = { 0, 0 };
	ok(select(fd + 1, &r, NULL, NULL, &tv) == 0, "select: not ready with nothing pending");
	kill(getpid(), SIGUSR2);
	ok(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.fd == fd && (out.events & EPOLLIN),
	   "epoll: ready once SIGUSR2 is pending");
	FD_ZERO(&r);
	FD_SET(fd, &r);
	ok(select(fd + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(fd, &r), "select: ready");
	struct signalfd_siginfo si;
	ok(read(fd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2, "read after epoll");
	ok(epoll_wait(ep, &out, 1, 0) == 0, "epoll: not ready after the read");
	close(ep);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void sigchld(void)
{
	sigset_t s = set_of(SIGCHLD, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, 0);
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	struct signalfd_siginfo si;
	memset(&si, 0, sizeof si);
	ssize_t n = read(fd, &si, sizeof si); /* blocks until the exit */
	ok(n == sizeof si && si.ssi_signo == SIGCHLD, "blocking read gets SIGCHLD (%zd)", n);
	ok(si.ssi_code == CLD_EXITED && si.ssi_status == 7 && si.ssi_pid == (uint32_t)c &&
		   si.ssi_uid == getuid(),
	   "SIGCHLD: CLD_EXITED, status 7, the child's pid and uid (%d, %d, %u/%d)",
	   si.ssi_code, si.ssi_status, si.ssi_pid, c);
	int st;
	ok(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7, "waitpid reaps it");

	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	kill(c, SIGKILL);
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == CLD_KILLED && si.ssi_status == SIGKILL &&
		   si.ssi_pid == (uint32_t)c,
	   "SIGCHLD of a killed child: CLD_KILLED, SIGKILL (%d, %d)", si.ssi_code, si.ssi_status);
	waitpid(c, &st, 0);

	/* Stops and continues ring SIGCHLD too.  The child ends only when
	 * told: a second SIGCHLD while one is pending would be merged. */
	int go[2];
	if (pipe(go) < 0)
		return;
	c = fork();
	if (c == 0) {
		char b;
		raise(SIGSTOP);
		if (read(go[0], &b, 1) < 0)
			_exit(3);
		_exit(2);
	}
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == CLD_STOPPED && si.ssi_status == SIGSTOP &&
		   si.ssi_pid == (uint32_t)c,
	   "SIGCHLD of a stop: CLD_STOPPED, SIGSTOP (%d, %d)", si.ssi_code, si.ssi_status);
	waitpid(c, &st, WUNTRACED);
	kill(c, SIGCONT);
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == CLD_CONTINUED && si.ssi_status == SIGCONT,
	   "SIGCHLD of a continue: CLD_CONTINUED, SIGCONT (%d, %d)", si.ssi_code, si.ssi_status);
	if (write(go[1], "x", 1) != 1)
		perror("write");
	close(go[0]);
	close(go[1]);
	memset(&si, 0, sizeof si);
	n = read(fd, &si, sizeof si);
	ok(n == sizeof si && si.ssi_code == CLD_EXITED && si.ssi_status == 2,
	   "then its exit: CLD_EXITED, 2 (%d, %d)", si.ssi_code, si.ssi_status);
	waitpid(c, &st, 0);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocking read is interrupted by a handled signal (no SA_RESTART). */
static void interrupted(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	struct signalfd_siginfo si;
	fails_with(read(fd, &si, sizeof si), EINTR, "a blocking read interrupted by a handler");
	signal(SIGALRM, SIG_DFL);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

/* The child reads its own pending signals through the inherited fd. */
static void across_fork(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	int rp[2];
	if (pipe(rp) < 0)
		return;
	pid_t c = fork();
	if (c == 0) {
		rep_fd = rp[1];
		struct signalfd_siginfo si;
		rok(read(fd, &si, sizeof si) == -1 && errno == EAGAIN,
		    "child: nothing pending at first");
		kill(getpid(), SIGUSR1);
		rok(readable(fd), "child: readable after its own SIGUSR1");
		rok(read(fd, &si, sizeof si) == sizeof si && si.ssi_pid == (uint32_t)getpid(),
		    "child: reads its own signal, ssi_pid is the child's");
		_exit(0);
	}
	close(rp[1]);
	rok_collect(rp[0]);
	close(rp[0]);
	waitpid(c, NULL, 0);
	ok(!readable(fd), "parent: the child's signal is not the parent's");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static int tfd;
static volatile pid_t ttid;
static volatile int tgo, tresult = -1;

static void *reader_thread(void *arg)
{
	(void)arg;
	ttid = (pid_t)syscall(SYS_gettid);
	while (!tgo)
		usleep(1000);
	struct signalfd_siginfo si;
	tresult = read(tfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2 &&
		  si.ssi_code == SI_TKILL;
	return NULL;
}

/* A thread-directed signal is read by its thread only. */
static void in_threads(void)
{
	sigset_t s = set_of(SIGUSR2, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	tfd = signalfd(-1, &s, SFD_NONBLOCK);
	pthread_t th;
	pthread_create(&th, NULL, reader_thread, NULL);
	while (!ttid)
		usleep(1000);
	syscall(SYS_tgkill, getpid(), ttid, SIGUSR2);
	ok(!readable(tfd), "main thread: another thread's signal is not readable");
	tgo = 1;
	pthread_join(th, NULL);
	ok(tresult == 1, "the target thread reads its own signal (SI_TKILL)");
	close(tfd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
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

/* A signalfd passed over SCM_RIGHTS reads the receiver's signals, with
 * guest ids. */
static void passed(void)
{
	int sv[2], rp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(rp) < 0)
		return;
	sigset_t s = set_of(SIGUSR1, 0);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	pid_t b = fork();
	if (b == 0) {
		rep_fd = rp[1];
		sigprocmask(SIG_BLOCK, &s, NULL);
		int got = recv_fd(sv[1]);
		char link[64];
		fd_link_of(got, link, sizeof link);
		rok(got >= 0 && strcmp(link, "anon_inode:[signalfd]") == 0,
		    "received signalfd: /proc link anon_inode:[signalfd] (%s)", link);
		kill(getpid(), SIGUSR1);
		struct signalfd_siginfo si;
		rok(read(got, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR1 &&
			    si.ssi_pid == (uint32_t)getpid(),
		    "the received signalfd reads the receiver's signal with its pid");
		_exit(0);
	}
	close(rp[1]);
	close(fd);
	/* Sent after the fork: the child has no copy of its own. */
	fd = signalfd(-1, &s, SFD_NONBLOCK);
	send_fd(sv[0], fd);
	rok_collect(rp[0]);
	waitpid(b, NULL, 0);
	close(fd);
	close(rp[0]);
	close(sv[0]);
	close(sv[1]);
}

/* postgres's latch: SIGURG blocked and read through a signalfd in an
 * epoll set; another process sends it. */
static void postgres_latch(void)
{
	sigset_t s = set_of(SIGURG, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLERR | EPOLLHUP, .data.u32 = 77 }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		usleep(50000);
		kill(parent, SIGURG);
		_exit(0);
	}
	int n = epoll_wait(ep, &out, 1, 5000);
	ok(n == 1 && out.data.u32 == 77, "epoll_wait wakes for SIGURG from another process");
	struct signalfd_siginfo si[4];
	ssize_t r = read(fd, si, sizeof si);
	ok(r == sizeof si[0] && si[0].ssi_signo == SIGURG && si[0].ssi_pid == (uint32_t)c,
	   "the drain reads SIGURG from the child (%zd, %u/%d)", r, si[0].ssi_pid, c);
	fails_with(read(fd, si, sizeof si), EAGAIN, "the drain ends with EAGAIN");
	waitpid(c, NULL, 0);
	close(ep);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

/* A signal-driven I/O signal (F_SETSIG) read from a signalfd names the
 * fd the process turned O_ASYNC on, as a delivered one does. */
static void async_fd(void)
{
	int p[2];
	if (pipe(p))
		return;
	int rt = SIGRTMIN + 3;
	sigset_t s = set_of(rt, 0);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	ok(fcntl(p[0], F_SETOWN, getpid()) == 0 && fcntl(p[0], F_SETSIG, rt) == 0 &&
		   fcntl(p[0], F_SETFL, O_ASYNC) == 0,
	   "O_ASYNC with F_SETSIG on a pipe");
	struct signalfd_siginfo r;
	memset(&r, 0, sizeof r);
	ok(fd >= 0 && write(p[1], "a", 1) == 1, "a write to the pipe");
	ssize_t n = read(fd, &r, sizeof r);
	ok(n == sizeof r && (int)r.ssi_signo == rt && r.ssi_code == POLL_IN,
	   "the signalfd reads its record (%zd, errno %d), ssi_code POLL_IN (%d)", n, errno,
	   r.ssi_code);
	ok((int)r.ssi_fd == p[0], "the record's ssi_fd is the fd (%d, fd %d)", (int)r.ssi_fd,
	   p[0]);
	close(fd);
	close(p[0]);
	close(p[1]);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

int main(void)
{
	errors();
	async_fd();
	basics();
	select_and_epoll();
	sigchld();
	interrupted();
	across_fork();
	in_threads();
	passed();
	postgres_latch();
	return tap_done();
}
