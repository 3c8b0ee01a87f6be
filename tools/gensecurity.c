/* Prints the host-call table of docs/security.md from the provider's host
 * ABI list (src/sandbox/hostabi.def), so the document and the seccomp
 * allowlist can never disagree.  The prose comes from the files in docs/security/,
 * which `make docs` puts in front of this table. */
#include <stdio.h>

static const struct {
	const char *name, *why;
} calls[] = {
#define HOST(name, why) { #name, why },
#include "../src/sandbox/hostabi.def"
#undef HOST
};

int main(void)
{
	puts("## The provider's host ABI (the seccomp allowlist)\n"
	     "\n"
	     "| host call | why the provider needs it |\n|---|---|");
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		printf("| `%s` | %s |\n", calls[i].name, calls[i].why);
	puts("| `execveat` | start the provider image from its memfd (`AT_EMPTY_PATH` only) |");
	return 0;
}
