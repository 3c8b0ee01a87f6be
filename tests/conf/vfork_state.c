/* vfork and posix_spawn: the child shares the parent's memory until it
 * execs or exits, but what Linux keeps per process (its fd table, signal
 * actions, umask, limits, identity) is its own, so nothing it changes
 * there reaches the parent; and a parent that vforks many times keeps no
 * trace of its children (no fd left open, no table grown). */
#include "tap.h"
#include <signal.h>
#include <spawn.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;
static volatile int shared_word;

static int exited(int st, int code)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The child changes its own per-process state, writes the shared word
 * and exits; the parent checks what it still has. */
static void test_child_state(void)
{
	int fd = open("/dev/null", O_RDONLY);
	struct rlimit before, after;
	getrlimit(RLIMIT_NOFILE, &before);
	signal(SIGUSR1, SIG_DFL);
	mode_t old_mask = umask(022);
	shared_word = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		close(fd);
		signal(SIGUSR1, SIG_IGN);
		umask(077);
		struct rlimit lower = { 64, before.rlim_max };
		setrlimit(RLIMIT_NOFILE, &lower);
		shared_word = 42;
		_exit(5);
	}
	int st = 0;
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 5), "vfork child's status 5");
	ok(shared_word == 42, "the child's write to memory is the parent's");
	ok(fcntl(fd, F_GETFD) >= 0, "the child's close left the parent's fd open");
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	ok(sa.sa_handler == SIG_DFL, "the child's SIG_IGN left the parent's action");
	ok(umask(old_mask) == 022, "the child's umask left the parent's");
	getrlimit(RLIMIT_NOFILE, &after);
	ok(after.rlim_cur == before.rlim_cur, "the child's setrlimit left the parent's");
	close(fd);
}

static void test_exec(void)
{
	shared_word = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		shared_word = 7;
		execl("/bin/true", "true", (char *)NULL);
		_exit(99);
	}
	int st = 0;
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 0), "vfork child execs /bin/true");
	ok(shared_word == 7, "what it wrote before its exec is the parent's");
	/* A failed exec returns in the child, still sharing. */
	pid = vfork();
	if (pid == 0) {
		execl("/nonexistent/prog", "prog", (char *)NULL);
		shared_word = errno;
		_exit(3);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 3), "a failed exec's child exits 3");
	ok(shared_word == ENOENT, "its errno reached the parent's memory");
}

static void test_spawn(void)
{
	pid_t pid;
	int st = 0;
	char *av[] = { "true", NULL };
	int r = posix_spawn(&pid, "/bin/true", NULL, NULL, av, environ);
	ok(r == 0 && waitpid(pid, &st, 0) == pid && exited(st, 0), "posix_spawn /bin/true");
	r = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, av, environ);
	ok(r == ENOENT, "posix_spawn of a missing file returns ENOENT (%d)", r);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, 1);
	r = posix_spawn(&pid, "/bin/true", &fa, NULL, av, environ);
	ok(r == 0 && waitpid(pid, &st, 0) == pid && exited(st, 0), "posix_spawn closing fd 1 in the child");
	posix_spawn_file_actions_destroy(&fa);
	ok(fcntl(1, F_GETFD) >= 0, "the parent's fd 1 stays open");
}

/* Many vforks, half exiting and half exec'ing: the parent's fds stay. */
static void test_many(void)
{
	int fds = count_fds();
	int bad = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			if (i & 1)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !exited(st, 0))
			bad++;
	}
	ok(bad == 0, "200 vforks, each reaped with status 0 (%d bad)", bad);
	ok(count_fds() == fds, "and the parent's fds are as before (%d, %d)", count_fds(), fds);
}

int main(void)
{
	test_child_state();
	test_exec();
	test_spawn();
	test_many();
	return tap_done();
}
