#!/bin/sh
# Differential conformance tests: every tests/conf/*.c is built, then run
# natively and under picos (with and without patched call sites).  Every
# run must pass.  Prints one TAP-ish line
# per test and run, then "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
picos=${PICOS:-$top/build/picos}
# CONF_CC builds the tests (default cc, static); CONF_LIST names the tests
# to run (one per line, "#" comments) and CONF_TAG labels the results;
# run-musl.sh uses them to build with musl.
out=${CONF_OUT:-$top/build/conf}
cc=${CONF_CC:-cc}
tag=${CONF_TAG:+$CONF_TAG }
mkdir -p "$out"
pass=0
fail=0
only=${1:-}
for src in "$top"/tests/conf/*.c; do
	name=$(basename "$src" .c)
	[ -n "$only" ] && [ "$name" != "$only" ] && continue
	if [ -n "${CONF_LIST:-}" ] && ! sed 's/#.*//' "$CONF_LIST" | grep -qx "[[:space:]]*$name[[:space:]]*"; then
		continue
	fi
	bin=$out/$name
	# NAME.ldflags: more link options for NAME, on one line
	ldf=$top/tests/conf/$name.ldflags
	more=
	[ -f "$ldf" ] && more=$(cat "$ldf")
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$top/tests/conf/tap.h" -nt "$bin" ] ||
		{ [ -f "$ldf" ] && [ "$ldf" -nt "$bin" ]; }; then
		# shellcheck disable=SC2086 # the options are words
		if ! $cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-nonnull \
			-Wno-stringop-overflow -D_GNU_SOURCE ${CONF_CFLAGS:-} ${CONF_LDFLAGS--static} \
			$more -o "$bin" "$src" 2>"$out/$name.cc.log"; then
			echo "not ok - $tag$name: does not compile"
			cat "$out/$name.cc.log"
			fail=$((fail + 1))
			continue
		fi
	fi
	# NAME.variants: more picos runs, one line of picos options each
	# (e.g. "--uid 0"), named "picos OPTIONS" in the results.
	variants=$top/tests/conf/$name.variants
	nv=0
	[ -f "$variants" ] && nv=$(grep -c . "$variants")
	# Every test runs under picos twice: with call sites patched (the
	# fast path, the default) and with every call trapping (--no-patch).
	for mode in native picos nopatch $(seq 1 "$nv" | sed 's/^/v/'); do
		opts=
		case $mode in
		v*) opts=$(sed -n "${mode#v}p" "$variants") ;;
		nopatch) opts=--no-patch ;;
		esac
		log=$out/$name.$mode.log
		if [ $mode = native ]; then
			(cd "$out" && timeout -k 10 60 "$bin") >"$log" 2>&1
		else
			# shellcheck disable=SC2086 # the options are words
			(cd "$out" && timeout -k 10 60 "$picos" run $opts -- "$bin") >"$log" 2>&1
		fi
		rc=$?
		[ -n "$opts" ] && mode="picos $opts"
		if [ $rc -eq 0 ] && grep -q '^1\.\.[1-9]' "$log" && ! grep -q '^not ok' "$log"; then
			echo "ok - $tag$name ($mode)"
			pass=$((pass + 1))
		else
			echo "not ok - $tag$name ($mode): exit $rc"
			grep -E '^not ok|^#' "$log" | head -20 | sed 's/^/    /'
			tail -3 "$log" | sed 's/^/    | /'
			fail=$((fail + 1))
		fi
	done
done
echo "${tag}conf: $pass passed, $fail failed"
[ $fail -eq 0 ]
