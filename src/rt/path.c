/* Lexical path helpers shared by the provider and its unit tests. */
#include "rt.h"

void rt_path_normalize(char *path)
{
	/* Rewrites in place: `w` never overtakes `r`. */
	char *r = path, *w = path;
	if (*r != '/')
		return;
	*w++ = '/';
	while (*r) {
		while (*r == '/')
			r++;
		if (!*r)
			break;
		char *end = r;
		while (*end && *end != '/')
			end++;
		size_t n = (size_t)(end - r);
		if (n == 1 && r[0] == '.') {
			/* skip */
		} else if (n == 2 && r[0] == '.' && r[1] == '.') {
			if (w > path + 1) {
				w--; /* drop the trailing '/' */
				while (w > path + 1 && w[-1] != '/')
					w--;
			}
		} else {
			/* When nothing was dropped yet, w == end: the '/'
			 * below lands on the terminator, so note it first. */
			bool last = *end == 0;
			if (w != r) /* nothing dropped yet: already in place */
				rt_memmove(w, r, n);
			w += n;
			*w++ = '/';
			if (last)
				break;
		}
		r = end;
	}
	if (w > path + 1)
		w--; /* no trailing slash except for "/" itself */
	*w = 0;
}

bool rt_path_has_prefix(const char *path, const char *prefix)
{
	size_t n = rt_strlen(prefix);
	if (n == 1 && prefix[0] == '/')
		return path[0] == '/';
	if (rt_strncmp(path, prefix, n) != 0)
		return false;
	return path[n] == 0 || path[n] == '/';
}
