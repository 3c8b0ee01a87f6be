/* execve of ELF files whose PT_LOAD segments the kernel cannot map: in
 * the provider's window (picos reserves it: execve fails with ENOMEM
 * while the old program is still there; natively it runs), across or
 * above the top of the user address space, or with sizes that overflow.
 * The files are built at run time. */
#include "tap.h"
#include <elf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define WINDOW 0x7e0000000000UL
#define USER_TOP 0x800000000000UL

static const char *dir;

/* exit(42) */
static const unsigned char code[] = { 0xb8, 0x3c, 0, 0, 0, 0xbf, 42, 0, 0,
				      0, 0x0f, 0x05 };

struct seg {
	unsigned long vaddr, filesz, memsz;
};

/* Writes an ELF of `type` with the given PT_LOAD segments (the first one
 * holds the headers and the code at file offset 0x1000); an interpreter
 * path adds PT_INTERP.  Returns the path. */
static const char *make_elf(const char *name, int type, const struct seg *s,
			    int n, const char *interp)
{
	static unsigned char buf[0x2000];
	memset(buf, 0, sizeof buf);
	Elf64_Ehdr *eh = (void *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = s[0].vaddr + 0x1000;
	eh->e_phoff = sizeof *eh;
	eh->e_ehsize = sizeof *eh;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = (void *)(buf + sizeof *eh);
	int k = 0;
	if (interp) {
		ph[k].p_type = PT_INTERP;
		ph[k].p_offset = 0x800;
		ph[k].p_filesz = strlen(interp) + 1;
		ph[k].p_flags = PF_R;
		strcpy((char *)buf + 0x800, interp);
		k++;
	}
	for (int i = 0; i < n; i++, k++) {
		ph[k].p_type = PT_LOAD;
		ph[k].p_flags = PF_R | PF_X;
		ph[k].p_offset = i == 0 ? 0 : 0x1000;
		ph[k].p_vaddr = ph[k].p_paddr = s[i].vaddr;
		ph[k].p_filesz = s[i].filesz;
		ph[k].p_memsz = s[i].memsz;
		ph[k].p_align = 0x1000;
	}
	eh->e_phnum = k;
	memcpy(buf + 0x1000, code, sizeof code);
	const char *path = tap_join(dir, name);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0755);
	if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf)
		perror(path);
	close(fd);
	return path;
}

/* How an execve in a child ended: "exit N", "signal N" or "errno E"
 * (execve returned: the old program was still there). */
static const char *run(const char *path)
{
	static char out[64];
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return "pipe";
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };
		execve(path, argv, argv + 1);
		int e = errno;
		if (write(p[1], &e, sizeof e) < 0)
			_exit(99);
		_exit(98);
	}
	close(p[1]);
	int e = 0;
	long n = read(p[0], &e, sizeof e);
	close(p[0]);
	int ws;
	waitpid(pid, &ws, 0);
	if (n == sizeof e)
		snprintf(out, sizeof out, "errno %s", strerrorname_np(e));
	else if (WIFSIGNALED(ws))
		snprintf(out, sizeof out, "signal %d", WTERMSIG(ws));
	else
		snprintf(out, sizeof out, "exit %d", WEXITSTATUS(ws));
	return out;
}

static void expect(const char *what, const char *path, const char *want)
{
	const char *got = run(path);
	if (!ok(!strcmp(got, want), "%s: %s", what, want))
		printf("#   got %s\n", got);
}

int main(void)
{
	dir = tap_scratch("badelf");
	mkdir(dir, 0755);
	/* Is the provider window taken (under picos)? */
	void *w = mmap((void *)WINDOW, 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int reserved = w == MAP_FAILED;
	if (!reserved)
		munmap(w, 4096);
	printf("# provider window %s\n", reserved ? "reserved" : "free");

	struct seg good[] = { { 0x400000, 0x2000, 0x2000 } };
	expect("a good ELF runs", make_elf("good", ET_EXEC, good, 1, NULL),
	       "exit 42");

	struct seg inwin[] = { { WINDOW, 0x2000, 0x2000 } };
	expect("a segment in the provider window",
	       make_elf("window", ET_EXEC, inwin, 1, NULL),
	       reserved ? "errno ENOMEM" : "exit 42");
	struct seg inwin2[] = { { 0x400000, 0x2000, 0x2000 },
				{ WINDOW + 0x10000, 0x1000, 0x1000 } };
	expect("a second segment in the provider window",
	       make_elf("window2", ET_EXEC, inwin2, 2, NULL),
	       reserved ? "errno ENOMEM" : "exit 42");
	struct seg bsswin[] = { { WINDOW - 0x2000, 0x2000, 0x4000 } };
	expect("a bss reaching into the provider window",
	       make_elf("bsswin", ET_EXEC, bsswin, 1, NULL),
	       reserved ? "errno ENOMEM" : "exit 42");

	struct seg across[] = { { USER_TOP - 0x2000, 0x2000, 0x4000 } };
	expect("a segment across the top of the user space",
	       make_elf("across", ET_EXEC, across, 1, NULL), "signal 11");
	struct seg above[] = { { 0x400000, 0x2000, 0x2000 },
			       { USER_TOP + 0x10000, 0x1000, 0x1000 } };
	expect("a segment above the top of the user space",
	       make_elf("above", ET_EXEC, above, 2, NULL), "signal 11");
	struct seg huge[] = { { 0x400000, 0x2000, 0xfffffffffff00000UL } };
	expect("a memsz that overflows", make_elf("huge", ET_EXEC, huge, 1, NULL),
	       "signal 11");
	struct seg fbig[] = { { 0x400000, 0x3000, 0x2000 } };
	expect("p_filesz > p_memsz", make_elf("fbig", ET_EXEC, fbig, 1, NULL),
	       "signal 11");

	/* An interpreter (ET_DYN) whose span cannot fit anywhere. */
	struct seg ibig[] = { { 0, 0x2000, USER_TOP } };
	const char *interp = make_elf("interp", ET_DYN, ibig, 1, NULL);
	struct seg prog[] = { { 0x400000, 0x2000, 0x2000 } };
	expect("an interpreter larger than the address space",
	       make_elf("withinterp", ET_EXEC, prog, 1, interp), "signal 11");

	/* An ET_EXEC interpreter in the provider window: the program
	 * starts at the interpreter's entry. */
	const char *winterp = make_elf("winterp", ET_EXEC, inwin, 1, NULL);
	expect("an interpreter in the provider window",
	       make_elf("withwinterp", ET_EXEC, prog, 1, winterp),
	       reserved ? "errno ENOMEM" : "exit 42");

	const char *names[] = { "winterp", "withwinterp", "good", "window", "window2", "bsswin", "across",
				"above", "huge", "fbig", "interp",
				"withinterp" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		unlink(tap_join(dir, names[i]));
	rmdir(dir);
	return tap_done();
}
