/* Unit tests of the provider runtime (src/rt), compiled hosted. */
#include "../conf/tap.h"
#include "../../src/rt/rt.h"
#include <stdio.h>

static int fmt_is(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	rt_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (strcmp(buf, want) != 0)
		printf("#   got '%s', want '%s'\n", buf, want);
	return strcmp(buf, want) == 0;
}

static int norm_is(const char *in, const char *want)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", in);
	rt_path_normalize(buf);
	if (strcmp(buf, want) != 0)
		printf("#   normalize('%s') = '%s', want '%s'\n", in, buf, want);
	return strcmp(buf, want) == 0;
}

int main(void)
{
	ok(fmt_is("42 -7 ff 0x10 017", "%d %d %x %#x %#o", 42, -7, 255, 16, 15), "integers");
	ok(fmt_is("18446744073709551615", "%lu", (unsigned long)-1), "unsigned long max");
	ok(fmt_is("-9223372036854775808", "%ld", (long)(-9223372036854775807L - 1)), "long min");
	ok(fmt_is("[  ab][ab  ][0007]", "[%4s][%-4s][%04d]", "ab", "ab", 7), "width and flags");
	ok(fmt_is("abc", "%.3s", "abcdef"), "string precision");
	ok(fmt_is("xy", "%.*s", 2, "xyz"), "star precision");
	ok(fmt_is("(null) 0x0 %", "%s %p %%", (char *)NULL, (void *)0), "null, pointer, percent");
	char small[4];
	int n = rt_snprintf(small, sizeof small, "%s", "abcdef");
	ok(n == 6 && strcmp(small, "abc") == 0, "truncation returns the full length");

	ok(norm_is("/", "/"), "normalize /");
	ok(norm_is("//a//b/", "/a/b"), "collapse slashes");
	ok(norm_is("/a/./b/.", "/a/b"), "drop dots");
	ok(norm_is("/a/b/../c", "/a/c"), "dotdot");
	ok(norm_is("/../../x", "/x"), "dotdot above root stays at root");
	ok(norm_is("/a/..", "/"), "back to root");

	ok(rt_path_has_prefix("/tmp/x", "/tmp"), "prefix component");
	ok(!rt_path_has_prefix("/tmpx", "/tmp"), "prefix is component-wise");
	ok(rt_path_has_prefix("/tmp", "/tmp"), "prefix equal");
	ok(rt_path_has_prefix("/anything", "/"), "root prefixes all");

	char d[4];
	ok(rt_strlcpy(d, "hello", sizeof d) == 5 && strcmp(d, "hel") == 0, "strlcpy truncates");
	uint64_t v;
	ok(rt_parse_u64("1234", &v) && v == 1234, "parse_u64");
	ok(!rt_parse_u64("12a", &v) && !rt_parse_u64("", &v), "parse_u64 junk");
	ok(!rt_parse_u64("18446744073709551616", &v), "parse_u64 overflow");
	char mm[8] = "abcdef";
	rt_memmove(mm + 1, mm, 5);
	ok(memcmp(mm, "aabcde", 6) == 0, "memmove overlap forward");
	/* every size and offset around the string instructions' edges,
	 * against a byte-by-byte model */
	static unsigned char buf[4096], model[4096];
	int bad = 0;
	for (size_t n = 0; n < 300; n += 7)
		for (size_t from = 0; from < 40; from += 3)
			for (size_t to = 0; to < 40; to += 5) {
				for (size_t i = 0; i < sizeof buf; i++)
					buf[i] = model[i] = (unsigned char)(i * 7 + 1);
				rt_memmove(buf + to, buf + from, n);
				unsigned char tmp[400];
				for (size_t i = 0; i < n; i++)
					tmp[i] = model[from + i];
				for (size_t i = 0; i < n; i++)
					model[to + i] = tmp[i];
				bad += memcmp(buf, model, 400) != 0;
			}
	ok(bad == 0, "memmove: every overlap, both ways (%d wrong)", bad);
	rt_memset(buf, 0xab, 1000);
	rt_memset(buf + 3, 0, 997);
	ok(buf[0] == 0xab && buf[2] == 0xab && buf[3] == 0 && buf[999] == 0 && buf[1000] != 0xab,
	   "memset fills exactly its range");
	unsigned char src[777];
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (unsigned char)(i ^ 0x5a);
	ok(rt_memcpy(buf + 1, src, sizeof src) == buf + 1 && memcmp(buf + 1, src, sizeof src) == 0 &&
	   buf[0] == 0xab, "memcpy copies exactly its range and returns dst");
	return tap_done();
}
