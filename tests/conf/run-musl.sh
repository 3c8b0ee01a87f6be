#!/bin/sh
# The conformance tests listed in musl.txt, built static with musl-gcc
# (Debian's musl-tools) and run natively and under picos like the glibc
# builds.  musl has no Linux uapi headers of its own: the kernel's are
# found after musl's.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if ! command -v musl-gcc >/dev/null; then
	echo "not ok - musl: no musl-gcc (apt-get install musl-tools)"
	echo "musl conf: 0 passed, 1 failed"
	exit 1
fi
CONF_CC=musl-gcc CONF_TAG=musl CONF_OUT=$top/build/conf-musl \
	CONF_CFLAGS="-idirafter /usr/include -idirafter /usr/include/$(gcc -print-multiarch)" \
	CONF_LIST=$here/musl.txt exec "$here/run.sh" "$@"
