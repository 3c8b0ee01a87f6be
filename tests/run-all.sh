#!/bin/sh
# The whole test suite: unit tests, the coverage doc check, differential
# conformance tests and real programs.  Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
log=$top/build/test-all.log
mkdir -p build
: >"$log"
status=0
# tests/fuzz/run.sh: a short fuzzing run (trinity for a minute); `make fuzz`
# runs it for longer.  tests/oci/run.sh: podman and containerd with picos
# as their runtime (as root; skipped otherwise).
for suite in tests/unit/run.sh tests/conf/run.sh tests/conf/run-musl.sh tests/programs/run.sh \
	tests/programs/procs.sh tests/programs/services.sh tests/programs/cpython.sh tests/hostile/run.sh tests/fuzz/run.sh \
	tests/oci/run.sh; do
	[ -x "${suite%% *}" ] || continue
	echo "== $suite"
	$suite 2>&1 | tee -a "$log" || status=1
done
if make -s check-docs; then
	echo "ok - docs/syscalls.md matches the syscall table" | tee -a "$log"
else
	echo "not ok - docs/syscalls.md is stale" | tee -a "$log"
	status=1
fi
pass=$(grep -c '^ok' "$log")
fail=$(grep -c '^not ok' "$log")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ $status -eq 0 ]
