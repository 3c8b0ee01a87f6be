/* A small JSON reader for the OCI runtime commands (config.json,
 * process.json): the whole text parsed into a tree of values. */
#ifndef PICOS_JSON_H
#define PICOS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	double number;
	char *string; /* JSON_STRING: UTF-8, NUL-terminated (no NUL inside) */
	/* JSON_ARRAY and JSON_OBJECT: n items; an object's have keys */
	struct json **items;
	char **keys;
	size_t n;
};

/* Parses text (len bytes); NULL with a message in err (size errlen) for
 * text that is no JSON. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a whole file; NULL with the reason in err. */
struct json *json_parse_file(const char *path, char *err, size_t errlen);
void json_free(struct json *v);

/* The member `key` of object v (NULL when v is no object or lacks it). */
const struct json *json_get(const struct json *v, const char *key);
/* The member as a string, or NULL when absent or of another type. */
const char *json_get_str(const struct json *v, const char *key);
/* True when v is a number that is a whole one in [min, max]. */
bool json_int(const struct json *v, long long min, long long max, long long *out);

/* Writes s as a JSON string (quotes and escapes). */
void json_write_str(FILE *f, const char *s);

#endif
