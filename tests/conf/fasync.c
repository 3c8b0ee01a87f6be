/* Signal-driven I/O and leases: O_ASYNC through F_SETFL (and F_GETFL
 * showing it), ioctl FIOASYNC, F_SETSIG/F_GETSIG, the siginfo of SIGIO
 * and of a chosen signal (si_fd is the fd the guest turned O_ASYNC on
 * through, si_code POLL_IN, si_band), on pipes and sockets, by handler
 * and by sigtimedwait; F_SETLEASE/F_GETLEASE and the break signal;
 * F_CREATED_QUERY. */
#include "tap.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY (1024 + 4)
#endif

static void *hide(unsigned long a)
{
	void *volatile p = (void *)a;
	return p;
}

static volatile sig_atomic_t got;
static siginfo_t last;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	last = *si;
	got++;
}

static void catch_sig(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Waits up to a second for the handler to have run `n` times. */
static int wait_got(int n)
{
	for (int i = 0; i < 1000 && got < n; i++)
		usleep(1000);
	return got >= n;
}

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void pipe_async(void)
{
	int p[2];
	char buf[16];
	ok(pipe(p) == 0, "pipe");
	catch_sig(SIGIO);
	ok(fcntl(p[0], F_SETOWN, getpid()) == 0, "F_SETOWN to ourselves");
	ok(fcntl(p[0], F_GETFL) == O_RDONLY, "F_GETFL before O_ASYNC");
	ok(fcntl(p[0], F_SETFL, O_ASYNC) == 0, "F_SETFL O_ASYNC");
	ok(fcntl(p[0], F_GETFL) == (O_RDONLY | O_ASYNC), "F_GETFL shows O_ASYNC");
	ok(fcntl(p[0], F_GETSIG) == 0, "F_GETSIG is 0 by default");
	got = 0;
	ok(write(p[1], "a", 1) == 1 && wait_got(1), "a write raises SIGIO");
	ok(last.si_signo == SIGIO && last.si_code == SI_KERNEL,
	   "plain SIGIO: si_code SI_KERNEL (%d)", last.si_code);
	ok(read(p[0], buf, sizeof buf) == 1, "drain");

	int rt = SIGRTMIN + 1;
	catch_sig(rt);
	ok(fcntl(p[0], F_SETSIG, rt) == 0 && fcntl(p[0], F_GETSIG) == rt, "F_SETSIG SIGRTMIN+1");
	got = 0;
	ok(write(p[1], "b", 1) == 1 && wait_got(1), "a write raises the chosen signal");
	ok(last.si_signo == rt && last.si_code == POLL_IN, "si_code POLL_IN (%d)", last.si_code);
	ok(last.si_fd == p[0], "si_fd is the guest fd (%d, want %d)", last.si_fd, p[0]);
	ok((last.si_band & POLLIN) != 0, "si_band has POLLIN (%#lx)", last.si_band);
	ok(read(p[0], buf, sizeof buf) == 1, "drain");

	/* O_ASYNC turned on again through a dup: the signal names the dup. */
	int d = dup(p[0]);
	ok(fcntl(p[0], F_SETFL, 0) == 0 && fcntl(d, F_GETFL) == O_RDONLY, "O_ASYNC off (shared by the dup)");
	got = 0;
	ok(write(p[1], "c", 1) == 1 && !wait_got(1), "no signal without O_ASYNC");
	ok(read(p[0], buf, sizeof buf) == 1, "drain");
	ok(fcntl(d, F_SETFL, O_ASYNC) == 0, "O_ASYNC on through the dup");
	got = 0;
	ok(write(p[1], "d", 1) == 1 && wait_got(1) && last.si_fd == d,
	   "si_fd names the dup (%d, want %d)", last.si_fd, d);
	ok(read(p[0], buf, sizeof buf) == 1, "drain");

	/* The same signal taken with sigtimedwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, rt);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ok(write(p[1], "e", 1) == 1, "write with the signal blocked");
	siginfo_t si;
	struct timespec ts = { 1, 0 };
	ok(sigtimedwait(&set, &si, &ts) == rt && si.si_code == POLL_IN && si.si_fd == d,
	   "sigtimedwait: POLL_IN, si_fd %d (want %d)", si.si_fd, d);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	ok(read(p[0], buf, sizeof buf) == 1, "drain");
	close(d);

	/* The write end: POLL_OUT when a reader makes room. */
	ok(fcntl(p[1], F_SETOWN, getpid()) == 0 && fcntl(p[1], F_SETSIG, rt) == 0 &&
		   fcntl(p[1], F_SETFL, O_ASYNC | O_NONBLOCK) == 0,
	   "O_ASYNC on the write end");
	static char big[65536];
	while (write(p[1], big, sizeof big) > 0)
		;
	got = 0;
	ok(read(p[0], big, sizeof big) > 0 && wait_got(1), "a read of a full pipe signals the writer");
	ok(last.si_code == POLL_OUT && last.si_fd == p[1] && (last.si_band & POLLOUT),
	   "POLL_OUT for the write end (code %d, fd %d, band %#lx)", last.si_code, last.si_fd,
	   last.si_band);

	fails_with(fcntl(p[0], F_SETSIG, 65), EINVAL, "F_SETSIG past the last signal");
	fails_with(fcntl(p[0], F_SETSIG, -1), EINVAL, "F_SETSIG of a negative signal");
	ok(fcntl(p[0], F_SETSIG, 0) == 0 && fcntl(p[0], F_GETSIG) == 0, "F_SETSIG 0");
	fails_with(fcntl(12345, F_SETSIG, SIGIO), EBADF, "F_SETSIG on a bad fd");
	fails_with(fcntl(12345, F_GETSIG), EBADF, "F_GETSIG on a bad fd");
	close2(p);
	signal(SIGIO, SIG_IGN);
}

static void socket_fioasync(void)
{
	int s[2], on = 1, off = 0;
	char buf[16];
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "socketpair");
	int rt = SIGRTMIN + 2;
	catch_sig(rt);
	ok(fcntl(s[0], F_SETOWN, getpid()) == 0 && fcntl(s[0], F_SETSIG, rt) == 0, "owner and signal");
	ok(ioctl(s[0], FIOASYNC, &on) == 0, "FIOASYNC on");
	ok(fcntl(s[0], F_GETFL) & O_ASYNC, "F_GETFL shows O_ASYNC after FIOASYNC");
	got = 0;
	ok(send(s[1], "x", 1, 0) == 1 && wait_got(1), "data on the socket signals");
	ok(last.si_signo == rt && last.si_code == POLL_IN && last.si_fd == s[0],
	   "POLL_IN with si_fd %d (want %d)", last.si_fd, s[0]);
	ok(recv(s[0], buf, sizeof buf, 0) == 1, "drain");
	got = 0;
	ok(shutdown(s[1], SHUT_WR) == 0 && wait_got(1), "the peer's shutdown signals");
	ok(last.si_fd == s[0], "si_fd %d (want %d), code %d", last.si_fd, s[0], last.si_code);
	ok(ioctl(s[0], FIOASYNC, &off) == 0 && !(fcntl(s[0], F_GETFL) & O_ASYNC), "FIOASYNC off");
	fails_with(ioctl(s[0], FIOASYNC, hide(1)), EFAULT, "FIOASYNC with a bad pointer");
	fails_with(ioctl(12345, FIOASYNC, &on), EBADF, "FIOASYNC on a bad fd");
	close2(s);
	signal(rt, SIG_DFL);
}

static void leases(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/leased", dir);
	tap_put(path, "data");
	int fd = open(path, O_RDONLY);
	ok(fd >= 0, "open the file");
	ok(fcntl(fd, F_GETLEASE) == F_UNLCK, "F_GETLEASE: none");
	ok(fcntl(fd, F_SETLEASE, F_RDLCK) == 0 && fcntl(fd, F_GETLEASE) == F_RDLCK, "F_SETLEASE F_RDLCK");
	int rt = SIGRTMIN + 3;
	catch_sig(rt);
	catch_sig(SIGIO);
	ok(fcntl(fd, F_SETSIG, rt) == 0, "F_SETSIG for the lease");
	int d = fd;
	got = 0;
	pid_t pid = fork();
	if (pid == 0) {
		int w = open(path, O_WRONLY | O_NONBLOCK);
		_exit(w < 0 ? errno : 0);
	}
	int st;
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == EWOULDBLOCK,
	   "another process's O_NONBLOCK write open: EWOULDBLOCK (%d)", WEXITSTATUS(st));
	ok(wait_got(1), "the lease holder is signalled");
	ok(last.si_signo == rt && last.si_code == POLL_MSG && last.si_fd == d,
	   "the break: POLL_MSG naming the guest fd (%d, want %d), code %d", last.si_fd, d,
	   last.si_code);
	ok(fcntl(fd, F_GETLEASE) == F_UNLCK, "F_GETLEASE while breaking: what is left (F_UNLCK)");
	ok(fcntl(fd, F_SETLEASE, F_UNLCK) == 0, "give the lease up");
	int w = open(path, O_WRONLY | O_NONBLOCK);
	ok(w >= 0, "then a write open succeeds");
	fails_with(fcntl(fd, F_SETLEASE, F_RDLCK), EAGAIN, "no read lease while a writer is open");
	close(w);
	fails_with(fcntl(fd, F_SETLEASE, 99), EINVAL, "F_SETLEASE of a bad type");
	int p[2];
	ok(pipe(p) == 0, "pipe");
	fails_with(fcntl(p[0], F_SETLEASE, F_RDLCK), EINVAL, "F_SETLEASE on a pipe");
	close2(p);
	int po = open(path, O_PATH);
	fails_with(fcntl(po, F_SETLEASE, F_RDLCK), EBADF, "F_SETLEASE on an O_PATH fd");
	fails_with(fcntl(po, F_GETLEASE), EBADF, "F_GETLEASE on an O_PATH fd");
	close(po);
	fails_with(fcntl(12345, F_GETLEASE), EBADF, "F_GETLEASE on a bad fd");

	/* A write lease: the holder is told of any other open. */
	ok(fcntl(fd, F_SETLEASE, F_WRLCK) == 0 && fcntl(fd, F_GETLEASE) == F_WRLCK,
	   "F_SETLEASE F_WRLCK with the only open");
	got = 0;
	pid = fork();
	if (pid == 0) {
		int r = open(path, O_RDONLY | O_NONBLOCK);
		_exit(r < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a read open: EWOULDBLOCK");
	/* Linux sends this break as a plain SIGIO here (no si_fd); when it
	 * is the chosen signal, si_fd is the guest fd. */
	ok(wait_got(1) && (last.si_code == SI_KERNEL || last.si_fd == fd),
	   "the holder is signalled (signal %d, code %d, fd %d)", last.si_signo, last.si_code,
	   last.si_fd);
	ok(fcntl(fd, F_GETLEASE) == F_RDLCK, "the lease is being downgraded to F_RDLCK");
	ok(fcntl(fd, F_SETLEASE, F_UNLCK) == 0, "give it up");
	signal(rt, SIG_DFL);
	signal(SIGIO, SIG_IGN);
	close(fd);
	unlink(path);
}

static void created_query(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/created", dir);
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
	errno = 0;
	if (fcntl(fd, F_CREATED_QUERY) == -1 && errno == EINVAL) {
		/* A kernel before 6.12 does not know the command. */
		printf("# F_CREATED_QUERY: EINVAL (an older kernel)\n");
		fails_with(fcntl(fd, F_CREATED_QUERY), EINVAL, "F_CREATED_QUERY unknown");
		close(fd);
		unlink(path);
		return;
	}
	ok(fcntl(fd, F_CREATED_QUERY) == 1, "F_CREATED_QUERY after creating");
	int again = open(path, O_CREAT | O_RDWR, 0644);
	ok(fcntl(again, F_CREATED_QUERY) == 0, "F_CREATED_QUERY after opening an existing file");
	int plain = open(path, O_RDONLY);
	ok(fcntl(plain, F_CREATED_QUERY) == 0, "F_CREATED_QUERY without O_CREAT");
	int po = open(path, O_PATH);
	ok(fcntl(po, F_CREATED_QUERY) == 0, "F_CREATED_QUERY on an O_PATH fd");
	fails_with(fcntl(12345, F_CREATED_QUERY), EBADF, "F_CREATED_QUERY on a bad fd");
	close(fd);
	close(again);
	close(plain);
	close(po);
	unlink(path);
}

int main(void)
{
	char dir[64];
	snprintf(dir, sizeof dir, "picos-fasync-%d", (int)getpid());
	ok(mkdir(dir, 0755) == 0, "scratch directory in the cwd");
	alarm(30);
	pipe_async();
	socket_fioasync();
	leases(dir);
	created_query(dir);
	ok(rmdir(dir) == 0, "cleanup");
	return tap_done();
}
