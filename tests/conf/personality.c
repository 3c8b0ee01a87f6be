/* personality(2): query, set, inheritance by fork, what exec keeps, and
 * ADDR_NO_RANDOMIZE placing the next program at the same addresses. */
#include "tap.h"
#include <stdint.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long pers(unsigned long p)
{
	return syscall(SYS_personality, p);
}

/* Runs `self --where` and reads the break it prints. */
static unsigned long where(const char *self)
{
	int fd[2];
	if (pipe(fd) < 0)
		return 0;
	pid_t c = fork();
	if (c == 0) {
		dup2(fd[1], 1);
		execl(self, self, "--where", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	char buf[64] = { 0 };
	ssize_t n = 0, k;
	while ((k = read(fd[0], buf + n, sizeof buf - 1 - (size_t)n)) > 0)
		n += k;
	close(fd[0]);
	waitpid(c, NULL, 0);
	char *line = n > 0 ? strstr(buf, "at ") : NULL; /* past tap.h's header */
	return line ? strtoul(line + 3, NULL, 16) : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--where") == 0) {
		printf("at %lx\n", (unsigned long)sbrk(0));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--persona") == 0)
		return (int)(pers(0xffffffff) & 0xff) == 0 &&
		       (pers(0xffffffff) & ADDR_NO_RANDOMIZE) &&
		       !(pers(0xffffffff) & READ_IMPLIES_EXEC) ? 0 : 1;
	const char *self = argv[0];
	long p0 = pers(0xffffffff);
	ok(p0 == PER_LINUX, "the initial personality is PER_LINUX (%#lx)", p0);
	ok(pers(PER_LINUX | ADDR_NO_RANDOMIZE) == PER_LINUX, "set returns the old one");
	ok(pers(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE), "query returns the new one");
	ok(pers(PER_LINUX32) == (PER_LINUX | ADDR_NO_RANDOMIZE) &&
		   pers(0xffffffff) == PER_LINUX32,
	   "PER_LINUX32 is accepted");
	ok(pers(0x1234) == PER_LINUX32 && pers(0xffffffff) == 0x1234,
	   "an unknown domain is accepted as well");
	pers(PER_LINUX | ADDR_NO_RANDOMIZE);
	pid_t c = fork();
	if (c == 0)
		_exit(pers(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork inherits the personality");
	pers(PER_LINUX | ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC);
	c = fork();
	if (c == 0) {
		execl(self, self, "--persona", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "exec keeps ADDR_NO_RANDOMIZE and clears READ_IMPLIES_EXEC");
	pers(PER_LINUX | ADDR_NO_RANDOMIZE);
	unsigned long a = where(self), b = where(self);
	ok(a && a == b, "ADDR_NO_RANDOMIZE: the same break twice (%#lx %#lx)", a, b);
	pers(PER_LINUX);
	int same = 1;
	for (int i = 0; i < 3 && same; i++)
		same = where(self) == where(self);
	ok(!same, "randomised again without it");
	return tap_done();
}
