/* A small JSON reader (RFC 8259): recursive descent over the whole text,
 * depth-limited so a hostile file cannot exhaust the stack. */
#include "json.h"
#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct reader {
	const char *p, *end;
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void fail(struct reader *r,
							const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

static void skip_space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
				 *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

static struct json *new_value(enum json_type t)
{
	struct json *v = calloc(1, sizeof *v);
	if (v)
		v->type = t;
	return v;
}

static int hex4(struct reader *r, unsigned *out)
{
	if (r->end - r->p < 4)
		return -1;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX, with a surrogate pair read as one code point. */
static int unicode_escape(struct reader *r, unsigned *cp)
{
	if (hex4(r, cp) < 0)
		return -1;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return -1;
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		unsigned lo;
		if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
			return -1;
		r->p += 2;
		if (hex4(r, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return *cp == 0 ? -1 : 0; /* a NUL would cut a C string short */
}

/* A string after its opening quote; the decoded text is never longer. */
static char *read_string(struct reader *r)
{
	const char *start = r->p;
	char *out = malloc((size_t)(r->end - start) + 1), *o = out;
	if (!out) {
		fail(r, "out of memory");
		return NULL;
	}
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		if (c < 0x20 || c == 0) {
			fail(r, "control character in a string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (r->p >= r->end)
			break;
		char e = *r->p++;
		unsigned cp;
		switch (e) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (unicode_escape(r, &cp) < 0) {
				fail(r, "bad \\u escape in a string");
				free(out);
				return NULL;
			}
			o += put_utf8(o, cp);
			break;
		default:
			fail(r, "bad escape \\%c in a string", e);
			free(out);
			return NULL;
		}
	}
	if (r->p >= r->end) {
		fail(r, "unterminated string");
		free(out);
		return NULL;
	}
	r->p++; /* the closing quote */
	*o = 0;
	return out;
}

static struct json *read_number(struct reader *r)
{
	const char *s = r->p;
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
		fail(r, "bad number");
		return NULL;
	}
	while (r->p < r->end && strchr("0123456789.eE+-", *r->p))
		r->p++;
	char buf[64];
	size_t n = (size_t)(r->p - s);
	if (n >= sizeof buf) {
		fail(r, "number too long");
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (*end || !isfinite(d)) {
		fail(r, "bad number '%s'", buf);
		return NULL;
	}
	struct json *v = new_value(JSON_NUMBER);
	if (v)
		v->number = d;
	return v;
}

static struct json *read_value(struct reader *r, int depth);

static int append(struct json *c, struct json *item, char *key)
{
	if ((c->n & (c->n - 1)) == 0) { /* 0, 1, 2, 4...: grow by doubling */
		size_t cap = c->n ? c->n * 2 : 1;
		struct json **it = realloc(c->items, cap * sizeof *it);
		if (!it)
			return -1;
		c->items = it;
		if (c->type == JSON_OBJECT) {
			char **k = realloc(c->keys, cap * sizeof *k);
			if (!k)
				return -1;
			c->keys = k;
		}
	}
	c->items[c->n] = item;
	if (c->type == JSON_OBJECT)
		c->keys[c->n] = key;
	c->n++;
	return 0;
}

/* An array or object after its opening bracket. */
static struct json *read_container(struct reader *r, enum json_type t, int depth)
{
	char close = t == JSON_ARRAY ? ']' : '}';
	struct json *c = new_value(t);
	if (!c) {
		fail(r, "out of memory");
		return NULL;
	}
	skip_space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return c;
	}
	for (;;) {
		char *key = NULL;
		skip_space(r);
		if (t == JSON_OBJECT) {
			if (r->p >= r->end || *r->p != '"') {
				fail(r, "expected a member name");
				break;
			}
			r->p++;
			if (!(key = read_string(r)))
				break;
			skip_space(r);
			if (r->p >= r->end || *r->p != ':') {
				fail(r, "expected ':' after \"%s\"", key);
				free(key);
				break;
			}
			r->p++;
		}
		struct json *item = read_value(r, depth + 1);
		if (!item || append(c, item, key) < 0) {
			fail(r, "out of memory");
			json_free(item);
			free(key);
			break;
		}
		skip_space(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return c;
		}
		fail(r, "expected ',' or '%c'", close);
		break;
	}
	json_free(c);
	return NULL;
}

static struct json *read_value(struct reader *r, int depth)
{
	if (depth > JSON_MAX_DEPTH) {
		fail(r, "nested too deeply");
		return NULL;
	}
	skip_space(r);
	if (r->p >= r->end) {
		fail(r, "unexpected end of text");
		return NULL;
	}
	char c = *r->p;
	struct json *v;
	if (c == '{' || c == '[') {
		r->p++;
		return read_container(r, c == '{' ? JSON_OBJECT : JSON_ARRAY, depth);
	}
	if (c == '"') {
		r->p++;
		char *s = read_string(r);
		if (!s)
			return NULL;
		if (!(v = new_value(JSON_STRING)))
			free(s);
		else
			v->string = s;
		return v;
	}
	if (literal(r, "true") || literal(r, "false")) {
		if ((v = new_value(JSON_BOOL)))
			v->boolean = c == 't';
		return v;
	}
	if (literal(r, "null"))
		return new_value(JSON_NULL);
	return read_number(r);
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct reader r = { text, text + len, err, errlen, false };
	struct json *v = read_value(&r, 0);
	if (v) {
		skip_space(&r);
		if (r.p != r.end) {
			fail(&r, "text after the value");
			json_free(v);
			v = NULL;
		}
	}
	if (!v && !r.failed)
		fail(&r, "out of memory");
	if (!v && r.failed) {
		/* where: a line number is what a person editing it needs */
		int line = 1;
		for (const char *q = text; q < r.p && q < r.end; q++)
			line += *q == '\n';
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, " (line %d)", line);
	}
	return v;
}

struct json *json_parse_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= (64u << 20)) { /* no config is this big */
				free(buf);
				buf = NULL;
				break;
			}
			char *b = realloc(buf, cap *= 2);
			if (!b)
				free(buf);
			buf = b;
		}
	}
	bool bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		snprintf(err, errlen, "%s: %s", path,
			 buf ? "read error" : "too big or out of memory");
		free(buf);
		return NULL;
	}
	struct json *v = json_parse(buf, len, err, errlen);
	free(buf);
	return v;
}

void json_free(struct json *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

const struct json *json_get(const struct json *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	/* the last of duplicate names wins, as most readers do */
	for (size_t i = v->n; i-- > 0;)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

const char *json_get_str(const struct json *v, const char *key)
{
	const struct json *m = json_get(v, key);
	return m && m->type == JSON_STRING ? m->string : NULL;
}

bool json_int(const struct json *v, long long min, long long max, long long *out)
{
	if (!v || v->type != JSON_NUMBER || v->number < (double)min ||
	    v->number > (double)max || v->number >= 0x1p63 || v->number < -0x1p63)
		return false;
	long long i = (long long)v->number;
	if ((double)i != v->number) /* not a whole number */
		return false;
	*out = i;
	return true;
}

void json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
