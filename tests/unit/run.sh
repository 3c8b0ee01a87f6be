#!/bin/sh
# Hosted unit tests of provider modules.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/unit
mkdir -p "$out"
pass=0
fail=0
build() {
	cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -DRT_HOSTED -D_GNU_SOURCE -I"$top/include" "$@"
}
build -o "$out/test_rt" "$top/tests/unit/test_rt.c" "$top/src/rt/string.c" \
	"$top/src/rt/fmt.c" "$top/src/rt/path.c" || fail=$((fail + 1))
build -o "$out/test_table" "$top/tests/unit/test_table.c" || fail=$((fail + 1))
# The seccomp programs picos installs: built by libseccomp with picos
# (tools/genseccomp.c, build/gen/seccomp_progs.h: run make first).
build -o "$out/test_seccomp" -I"$top/build/gen" "$top/tests/unit/test_seccomp.c" \
	"$top/src/sandbox/seccomp_load.c" || fail=$((fail + 1))
build -o "$out/test_init_sandbox" -I"$top/build/gen" "$top/tests/unit/test_init_sandbox.c" \
	"$top/src/sandbox/init.c" "$top/src/sandbox/seccomp_load.c" || fail=$((fail + 1))
build -o "$out/test_bpf" "$top/tests/unit/test_bpf.c" \
	"$top/src/kernel/entry/seccomp_bpf.c" "$top/src/rt/string.c" || fail=$((fail + 1))
# The instruction length decoder, against objdump when it is installed.
build -o "$out/test_x86len" "$top/tests/unit/test_x86len.c" \
	"$top/src/kernel/entry/x86len.c" || fail=$((fail + 1))
for t in test_rt test_table test_seccomp test_init_sandbox test_bpf test_x86len; do
	if [ -x "$out/$t" ] && (cd "$out" && "./$t") >"$out/$t.log" 2>&1; then
		echo "ok - unit $t"
		pass=$((pass + 1))
	else
		echo "not ok - unit $t"
		grep -E '^not ok|^#' "$out/$t.log" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
