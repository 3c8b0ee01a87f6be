/* Unit test of src/cli/json.c, the reader of config.json and
 * process.json: what it must accept and decode, what it must refuse with
 * a message, and mutated documents that must never crash it. */
#include "../../src/cli/json.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("not ok - %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                          \
		}                                                            \
	} while (0)

static struct json *parse(const char *text, char *err, size_t n)
{
	err[0] = 0;
	return json_parse(text, strlen(text), err, n);
}

static void accepts(void)
{
	char err[128];
	struct json *v = parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\\/\"],"
			       " \"b\": {}, \"a2\": [], \"dup\": 1, \"dup\": 2} ",
			       err, sizeof err);
	CHECK(v && v->type == JSON_OBJECT && v->n == 5);
	const struct json *a = json_get(v, "a");
	CHECK(a && a->type == JSON_ARRAY && a->n == 6);
	long long i;
	CHECK(a && json_int(a->items[0], 0, 10, &i) && i == 1);
	CHECK(a && a->items[1]->type == JSON_NUMBER && a->items[1]->number == -25.0);
	CHECK(a && json_int(a->items[1], -100, 100, &i) && i == -25); /* -2.5e1 is whole */
	CHECK(a && a->items[2]->type == JSON_BOOL && a->items[2]->boolean);
	CHECK(a && a->items[3]->type == JSON_BOOL && !a->items[3]->boolean);
	CHECK(a && a->items[4]->type == JSON_NULL);
	/* \n, e-acute (2 bytes), U+1F600 from a surrogate pair (4 bytes), / */
	CHECK(a && !strcmp(a->items[5]->string, "x\n\xc3\xa9\xf0\x9f\x98\x80/"));
	CHECK(json_int(json_get(v, "dup"), 0, 9, &i) && i == 2); /* the last wins */
	CHECK(json_get(v, "b") && json_get(v, "b")->n == 0);
	CHECK(!json_get(v, "missing") && !json_get_str(v, "dup"));
	json_free(v);

	v = parse("[4294967294, 1.5, 1e300, -0]", err, sizeof err);
	CHECK(v && json_int(v->items[0], 0, 0xfffffffeLL, &i) && i == 4294967294LL);
	CHECK(v && !json_int(v->items[0], 0, 65535, &i)); /* out of range */
	CHECK(v && !json_int(v->items[1], 0, 9, &i));     /* not whole */
	CHECK(v && !json_int(v->items[2], 0, INT64_MAX, &i));
	json_free(v);
}

static void refuses(void)
{
	static const char *const bad[] = {
		"", "   ", "{", "[1,", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a:1}",
		"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"\\u0000\"", "\"a\tb\"", "[1] x", "tru", "nul", "-", "--1",
		"1e999", "[,]", "{,}", "[1,]",
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		char err[128];
		struct json *v = parse(bad[k], err, sizeof err);
		if (v || !err[0]) {
			printf("not ok - accepted or no message: '%s'\n", bad[k]);
			failures++;
		}
		json_free(v);
	}
	/* nested deeper than the reader allows: refused, not a crash */
	char deep[20001];
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = 0;
	char err[128];
	struct json *v = parse(deep, err, sizeof err);
	CHECK(!v && strstr(err, "deep"));
	/* a NUL inside the text is no JSON either */
	v = json_parse("[1]\0[2]", 7, err, sizeof err);
	CHECK(!v);
}

/* Mutations of a config-like document: each parsed (or refused) and
 * freed; a crash or a leak checker's complaint is the failure. */
static void mutations(void)
{
	static const char doc[] =
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\",\"-c\",\"echo \\u00e9\"],"
		"\"env\":[\"PATH=/bin\"],\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,2]},"
		"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}]},"
		"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"mounts\":[{\"destination\":\"/p\","
		"\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"ro\"]}]}";
	size_t n = sizeof doc - 1;
	char buf[sizeof doc];
	srand(1);
	int parsed = 0;
	for (int round = 0; round < 20000; round++) {
		memcpy(buf, doc, n);
		int edits = 1 + rand() % 4;
		for (int e = 0; e < edits && n > 0; e++) {
			size_t at = (size_t)rand() % n;
			switch (rand() % 3) {
			case 0: buf[at] = (char)(rand() % 256); break;
			case 1: buf[at] = "{}[]\",:\\0-e"[rand() % 12]; break;
			default: n = at; break; /* truncate */
			}
		}
		char err[128];
		struct json *v = json_parse(buf, n, err, sizeof err);
		parsed += v != NULL;
		json_free(v);
		n = sizeof doc - 1;
	}
	CHECK(parsed > 0 && parsed < 20000);
}

int main(void)
{
	accepts();
	refuses();
	mutations();
	if (failures == 0)
		printf("ok - json reader\n");
	return failures ? 1 : 0;
}
