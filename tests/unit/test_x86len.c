/* The instruction length decoder (src/kernel/entry/x86len.c) against
 * objdump: every instruction objdump shows in the host's ld.so, libc and
 * a few more files must get objdump's length from the decoder, or -1
 * (not known, which only leaves a site to trap).  A wrong length is the
 * failure that matters: fastscan.c would take a site inside another
 * instruction.  The functions holding `mov $nr,%eax; syscall` must be
 * known whole, or discovery finds little.  Skipped without objdump. */
#include "../conf/tap.h"
#include <ctype.h>
#include <stdbool.h>

int x86_insn_len(const unsigned char *p, size_t n);

/* Handmade cases: bytes, then the length (-1: unknown). */
static const struct {
	unsigned char b[15];
	int n, len;
} handmade[] = {
	{ { 0xb8, 39, 0, 0, 0 }, 5, 5 },		      /* mov $39,%eax */
	{ { 0x0f, 0x05 }, 2, 2 },			      /* syscall */
	{ { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10 },   /* movabs */
	{ { 0x66, 0xb8, 1, 2 }, 4, 4 },			      /* mov $imm16,%ax */
	{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4, 4 },		      /* endbr64 */
	{ { 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 9, 9 },  /* nopw */
	{ { 0xc5, 0xf8, 0x77 }, 3, 3 },			      /* vzeroupper */
	{ { 0x62, 0xe1, 0xfe, 0x28, 0x6f, 0x06 }, 6, 6 },     /* vmovdqu64 */
	{ { 0xf6, 0x07, 0x01 }, 3, 3 },			      /* testb $1,(%rdi) */
	{ { 0xf7, 0x1f }, 2, 2 },			      /* negl (%rdi) */
	{ { 0x66, 0xe8, 0, 0 }, 4, -1 },		      /* call rel16 */
	{ { 0x8f, 0xe8, 0x78, 0xcd, 0xc1, 0 }, 6, -1 },       /* XOP */
	{ { 0x0f, 0x0f, 0xc1, 0xb4 }, 4, -1 },		      /* 3DNow! */
	{ { 0x06 }, 1, -1 },				      /* push %es */
	{ { 0xb8, 39, 0, 0 }, 4, -1 },			      /* cut short */
};

struct tally {
	long insns, known, wrong;
};

/* The bytes of an objdump line ("  addr:\tbb bb ...\tmnemonic"): their
 * count, 0 when the line shows none. */
static int line_bytes(const char *line, unsigned char *b)
{
	const char *t = strchr(line, '\t');
	if (!t || !strchr(line, ':') || strchr(line, ':') > t)
		return 0;
	int n = 0;
	for (t++; n < 15 && isxdigit((unsigned char)t[0]) && isxdigit((unsigned char)t[1]);
	     t += 3) {
		unsigned v;
		if (sscanf(t, "%2x", &v) != 1)
			break;
		b[n++] = (unsigned char)v;
		if (t[2] != ' ')
			break;
	}
	return strstr(line, "(bad)") ? 0 : n;
}

/* Runs objdump on `path`; counts into all, and into sys for the
 * functions that hold `b8 imm32 0f 05`.  False if objdump did not run. */
static bool check_file(const char *path, struct tally *all, struct tally *sys)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "objdump -d --insn-width=15 '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	struct tally cur = { 0, 0, 0 };
	char line[1024], prev_mov = 0;
	bool has_site = false, any = false;
	unsigned char b[32];
	for (;;) {
		char *got = fgets(line, sizeof line, p);
		bool head = got && strstr(line, ">:\n") && line[0] != ' ';
		if (!got || head) {
			if (has_site) {
				sys->insns += cur.insns, sys->known += cur.known;
				sys->wrong += cur.wrong;
			}
			cur = (struct tally){ 0, 0, 0 };
			has_site = false, prev_mov = 0;
			if (!got)
				break;
			continue;
		}
		int n = line_bytes(line, b);
		if (n == 0)
			continue;
		any = true;
		/* the decoder sees the instruction and nops after it: a length
		 * past its end would be wrong */
		memset(b + n, 0x90, sizeof b - (size_t)n);
		int len = x86_insn_len(b, 15);
		/* (objdump shows fwait and the x87 instruction after it as
		 * one, fstcw for fwait; fnstcw) */
		if (b[0] == 0x9b && n > 1 && len == 1 && x86_insn_len(b + 1, 14) == n - 1)
			len = n;
		all->insns++, cur.insns++;
		if (len == n)
			all->known++, cur.known++;
		else if (len >= 0) {
			all->wrong++, cur.wrong++;
			if (all->wrong <= 5)
				printf("# %s: length %d, objdump %d: %s", path, len, n, line);
		}
		if (n == 2 && b[0] == 0x0f && b[1] == 0x05 && prev_mov)
			has_site = true;
		prev_mov = n == 5 && b[0] == 0xb8;
	}
	pclose(p);
	return any;
}

int main(void)
{
	for (size_t i = 0; i < sizeof handmade / sizeof handmade[0]; i++)
		ok(x86_insn_len(handmade[i].b, (size_t)handmade[i].n) == handmade[i].len,
		   "handmade case %zu: length %d", i, handmade[i].len);
	if (system("objdump --version >/dev/null 2>&1") != 0) {
		printf("ok %d - objdump # SKIP binutils not installed\n", ++tap_count);
		return tap_done();
	}
	static const char *files[] = {
		"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6",
		"/lib/x86_64-linux-gnu/libm.so.6", "/bin/ls", "/usr/bin/python3",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct tally all = { 0, 0, 0 }, sys = { 0, 0, 0 };
		if (access(files[i], R_OK) != 0 || !check_file(files[i], &all, &sys)) {
			printf("ok %d - %s # SKIP not here or objdump shows nothing\n",
			       ++tap_count, files[i]);
			continue;
		}
		printf("# %s: %ld instructions, %ld known; in functions with "
		       "syscall sites %ld, %ld known\n",
		       files[i], all.insns, all.known, sys.insns, sys.known);
		ok(all.wrong == 0, "%s: no wrong length (%ld)", files[i], all.wrong);
		ok(all.known >= all.insns * 99 / 100, "%s: 99%% known", files[i]);
		ok(sys.known == sys.insns, "%s: the functions with sites known whole",
		   files[i]);
	}
	return tap_done();
}
