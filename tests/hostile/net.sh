#!/bin/sh
# Driver for net.c: the default policy (--net=loopback), then --net=none.
# Run by tests/hostile/run.sh (as root) with HOSTILE_BIN, PICOS,
# HOSTILE_USER and the canary environment; prints both runs' TAP.
as() {
	if [ "$HOSTILE_USER" = root ] || [ "$(id -u)" != 0 ]; then
		"$@"
	else
		setpriv --reuid picos-ci --regid picos-ci --clear-groups -- "$@"
	fi
}
# The world's writable cwd: only build/hostile/world, never the tree.
cd "$HOSTILE_WORLD" || exit 1
as "$PICOS" run -- "$HOSTILE_BIN"
a=$?
as "$PICOS" run --net=none -- "$HOSTILE_BIN" none
b=$?
[ $a -eq 0 ] && [ $b -eq 0 ]
