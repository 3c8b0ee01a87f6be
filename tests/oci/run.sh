#!/usr/bin/env bash
# shellcheck disable=SC2016  # single-quoted $ is meant for the guest shell
# picos as an OCI runtime (docs/oci.md), driven by real engines.
#
# 0. The JSON reader's unit test (tests/oci/test_json.c).
# 1. The runtime command line alone (no engine, no root needed): a bundle
#    of a busybox root made here; create/start/state/kill/delete, the
#    state JSON against the spec's schema, `picos features`, the exit
#    status the engine sees (this script acts as conmon does: a child
#    subreaper that waits for the pid in --pid-file), bad input.
# 2. podman (as root, when installed): an image imported from a tar of
#    that busybox root (no registry is ever contacted), run with
#    `--runtime build/picos --network=none` and podman's storage under
#    build/oci-test, compared with what the same command prints run
#    natively (chroot into the same root).  Rootless podman is not
#    tested (docs/oci.md).
# 3. containerd (as root, when installed): its own daemon (root, state
#    and socket under build/oci-test, stopped by pid at the end), the
#    image exported by podman imported with ctr, `ctr run --runc-binary`.
#
# Prints TAP-style "ok - NAME" / "not ok - NAME" lines ("# SKIP why" for
# what this machine cannot run) and "oci: N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
picos=${PICOS:-$top/build/picos}
work=$top/build/oci-test
TO=${OCI_TIMEOUT:-60}
export LC_ALL=C TZ=UTC
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() {
	echo "not ok - $1"
	fail=$((fail + 1))
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 | sed 's/^/#   /'
	return 0
}
skip() { echo "ok - $1 # SKIP $2"; pass=$((pass + 1)); }
# same NAME WANT GOT: passes when the two texts are equal
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))"; fi
}

# A non-root guest's capabilities hold on the host (a bind below 1024)
# only in a world started by root, whose host credentials follow the
# guest's (docs/oci.md); started by another user, the sets are the
# guest's but the host does not grant the bind: that line is dropped.
host_caps_line() { # TEXT: TEXT without nc's lines unless root
	if [ "$(id -u)" -eq 0 ]; then printf '%s' "$1"; else printf '%s' "$1" | grep -v '^nc: '; fi
}

[ -x "$picos" ] || { echo "not ok - oci: no $picos (run make)"; exit 1; }

rm -rf "$work"
mkdir -p "$work"

# --- 0. the JSON reader (src/cli/json.c), under ASan and UBSan when the
# compiler has them
json_test() {
	local san=("-fsanitize=address,undefined" -fno-sanitize-recover=all)
	cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE "${san[@]}" -o "$work/test_json" \
		"$top/tests/oci/test_json.c" "$top/src/cli/json.c" -lm 2>/dev/null ||
		cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o "$work/test_json" \
			"$top/tests/oci/test_json.c" "$top/src/cli/json.c" -lm || return 1
	"$work/test_json"
}
if out=$(json_test 2>&1); then ok "oci_json: the JSON reader accepts, decodes, refuses; 20000 mutated documents"; else notok "oci_json: the JSON reader" "$out"; fi

# --- the image's root: busybox-static and its applet links -------------
rootfs=$work/rootfs
make_rootfs() {
	mkdir -p "$rootfs"/{bin,etc,root,tmp,home/user}
	cp /bin/busybox "$rootfs/bin/busybox"
	local a
	for a in $("$rootfs/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' >"$rootfs/etc/group"
	chmod 1777 "$rootfs/tmp"
	chown 1000:1000 "$rootfs/home/user" 2>/dev/null || true
}
if [ ! -x /bin/busybox ]; then
	echo "ok - oci # SKIP no /bin/busybox (Debian's busybox-static)"
	exit 0
fi
make_rootfs

chroot=$(command -v chroot || echo /usr/sbin/chroot)
# What the command prints natively in the same root (chroot as root;
# as another user, busybox run with the root's files as they are).
# Not root (part 1 only): the host's busybox, for commands that read
# nothing of the root.
native() { # native USER:GROUP DIR CMD [K=V...]
	local user=$1 dir=$2 cmd=$3
	shift 3
	if [ "$(id -u)" -ne 0 ]; then
		env -i PATH=/bin HOME=/root "$@" /bin/busybox sh -c "cd $dir && $cmd"
		return
	fi
	env -i PATH=/bin HOME=/root "$@" "$chroot" --userspec="$user" "$rootfs" /bin/sh -c "cd $dir && $cmd"
}

# --- 1. the command line, no engine ------------------------------------
state=$work/state
bundle=$work/bundle
mkdir -p "$bundle"
cp -a "$rootfs" "$bundle/rootfs"
oci() { "$picos" --root "$state" "$@"; }
write_config() { # write_config ARGS_JSON [EXTRA_JSON_MEMBERS]
	cat >"$bundle/config.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
  "args": $1, "env": ["PATH=/bin", "GREETING=hello"], "cwd": "/bin"},
 "root": {"path": "rootfs"}, "hostname": "picos-oci",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/data", "type": "bind", "source": "$work/data", "options": ["rbind", "ro"]}],
 "annotations": {"org.example.note": "kept \"as is\""}${2:-}
 ,"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
EOF
}
mkdir -p "$work/data"
echo "data file" >"$work/data/f"

# As conmon does: a child subreaper runs create, then waits for the pid
# in --pid-file and prints its exit status (after start, from a second
# command run once create has returned).
reap_py='
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
create, start, pidfile = sys.argv[1], sys.argv[2], sys.argv[3]
if subprocess.call(create, shell=True) != 0:
    print("create failed"); sys.exit(1)
pid = int(open(pidfile).read())
subprocess.call(start, shell=True)
while True:
    p, st = os.waitpid(-1, 0)
    if p == pid:
        break
print("exit", os.waitstatus_to_exitcode(st))
'
run_reaped() { # run_reaped ID: create, start, wait; prints stdout then "exit N"
	timeout "$TO" python3 -c "$reap_py" \
		"$picos --root $state create --bundle $bundle --pid-file $work/$1.pid $1" \
		"$picos --root $state start $1" "$work/$1.pid"
	oci delete "$1" >/dev/null 2>&1
}

write_config '["sh", "-c", "echo $GREETING from $(hostname) in $(pwd); cat /data/f; exit 3"]'
got=$(run_reaped c1 2>&1)
want=$(native 0:0 /bin 'echo $GREETING from picos-oci in $(pwd)' GREETING=hello)$'\n'$(cat "$work/data/f")$'\nexit 3'
same "oci_cli_run: create/start: output, cwd, hostname, env, bind; exit status seen by the reaper" "$want" "$got"

# the process settings runc applies: limits, umask, groups, bounding set
# (CAP_CHOWN and CAP_KILL: bits 0 and 5), each as the config gives it
cat >"$bundle/config.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": ["sh", "-c", "ulimit -n; ulimit -s; umask; id -G; grep CapBnd /proc/self/status"],
  "env": ["PATH=/bin"], "cwd": "/",
  "user": {"uid": 0, "gid": 0, "umask": 23, "additionalGids": [5, 7]},
  "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 256, "hard": 512},
   {"type": "RLIMIT_STACK", "soft": 4194304, "hard": 8388608}],
  "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"],
   "permitted": ["CAP_CHOWN", "CAP_KILL"]}},
 "root": {"path": "rootfs"}}
EOF
got=$(run_reaped cp 2>&1)
same "oci_cli_process: rlimits, umask, additionalGids, capabilities.bounding" \
	$'256\n4096\n0027\n0 5 7\nCapBnd:\t0000000000000021\nexit 0' "$got"

# process.capabilities as the guest's five sets: what runc gives the
# container process.  runc narrows the bounding set, sets effective,
# permitted and inheritable (capset), raises the ambient ones, then
# execs the program, whose sets Linux's execve rules make: a non-root
# user keeps its ambient set as permitted and effective; root gets its
# bounding set (and inheritable) as both, whatever effective said.  The
# hex below follows those rules from each config (CAP_CHOWN 0x1,
# CAP_KILL 0x20, CAP_NET_BIND_SERVICE 0x400); runc 1.1.5 printed the
# same for these configs.
caps_config() { # caps_config USER_JSON CAPS_JSON CMD
	cat >"$bundle/config.json" <<EOF
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": ["sh", "-c", "$3"], "env": ["PATH=/bin"], "cwd": "/",
  "user": $1, "capabilities": $2}}
EOF
}
nbs='"CAP_NET_BIND_SERVICE"'
caps_config '{"uid": 1000, "gid": 1000}' \
	"{\"bounding\": [$nbs, \"CAP_CHOWN\"], \"effective\": [$nbs], \"permitted\": [$nbs], \"inheritable\": [$nbs], \"ambient\": [$nbs]}" \
	'grep ^Cap /proc/self/status; nc -l -p 80 -w 1 2>&1; true'
got=$(run_reaped ccap 2>&1)
same "oci_cli_caps_ambient: a non-root user with CAP_NET_BIND_SERVICE ambient: its sets, and (as root) it binds port 80" \
	"$(host_caps_line $'CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t0000000000000401\nCapAmb:\t0000000000000400\nnc: timed out\nexit 0')" "$(host_caps_line "$got")"
# the same user without ambient capabilities: nothing survives the exec
caps_config '{"uid": 1000, "gid": 1000}' \
	"{\"bounding\": [$nbs, \"CAP_CHOWN\"], \"effective\": [$nbs], \"permitted\": [$nbs]}" \
	'grep -E \"^Cap(Eff|Prm|Amb)\" /proc/self/status; nc -l -p 80 -w 1 2>&1; true'
got=$(run_reaped ccap 2>&1)
same "oci_cli_caps_no_ambient: a non-root user without ambient capabilities has none; port 80 refused" \
	$'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\nnc: bind: Permission denied\nexit 0' "$got"
# root with a reduced effective set: the exec gives root its bounding set
# as permitted and effective (runc's own test "with some capabilities")
caps_config '{"uid": 0, "gid": 0}' \
	"{\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", $nbs], \"permitted\": [\"CAP_CHOWN\", \"CAP_KILL\", $nbs], \"effective\": [\"CAP_CHOWN\"]}" \
	'grep ^Cap /proc/self/status'
got=$(run_reaped ccap 2>&1)
same "oci_cli_caps_root: root with a reduced effective set: its bounding set, as after runc's exec" \
	$'CapInh:\t0000000000000000\nCapPrm:\t0000000000000421\nCapEff:\t0000000000000421\nCapBnd:\t0000000000000421\nCapAmb:\t0000000000000000\nexit 0' "$got"
# what capset refuses runc refuses (one line, exit 1); an unknown name is
# left out (the spec asks a warning, runc logs one)
for c in '{"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"]}|1|effective' \
	'{"bounding": ["CAP_CHOWN"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"]}|1|inheritable' \
	'{"bounding": "CAP_CHOWN"}|1|bounding' \
	'{"bounding": ["CAP_CHOWN", "CAP_NO_SUCH"]}|0|'; do
	caps_config '{"uid": 0, "gid": 0}' "${c%%|*}" 'grep CapEff /proc/self/status'
	# (to a file: a created container keeps create's stdio open)
	oci create --bundle "$bundle" cbad >"$work/cbad.out" 2>&1 </dev/null
	rc=$?
	out=$(cat "$work/cbad.out")
	oci delete -f cbad >/dev/null 2>&1
	want_rc=${c#*|}
	want_rc=${want_rc%%|*}
	if [ $rc -eq "$want_rc" ] && { [ $rc -eq 0 ] ||
		{ [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -q "${c##*|}"; }; }; then
		ok "oci_cli_caps_bad: ${c%%|*}: exit $want_rc"
	else
		notok "oci_cli_caps_bad: ${c%%|*}: want exit $want_rc" "rc=$rc $out"
	fi
done

write_config '["sleep", "30"]'
oci create --bundle "$bundle" c2 >/dev/null 2>&1
validate_py='
import json, sys
s = json.load(sys.stdin)
want = sys.argv[1]
assert set(s) >= {"ociVersion", "id", "status", "pid", "bundle"}, s
assert s["ociVersion"].startswith("1."), s
assert s["id"] == "c2" and s["status"] == want, s
assert isinstance(s["pid"], int) and (s["pid"] > 0) == (want != "stopped"), s
assert s["bundle"] == sys.argv[2], s
a = s.get("annotations", {})
assert all(isinstance(k, str) and isinstance(v, str) for k, v in a.items()), s
assert a.get("org.example.note") == "kept \"as is\"", a
print("valid", s["status"])
'
st=$(oci state c2 2>&1 | python3 -c "$validate_py" created "$bundle" 2>&1)
same "oci_cli_state_created: state JSON (schema's required members) says created" "valid created" "$st"
oci start c2
st=$(oci state c2 2>&1 | python3 -c "$validate_py" running "$bundle" 2>&1)
same "oci_cli_state_running: after start, running" "valid running" "$st"
out=$(oci delete c2 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
	ok "oci_cli_delete_running: delete of a running container without --force: one line, exit 1"
else
	notok "oci_cli_delete_running: delete of a running container without --force" "rc=$rc $out"
fi
oci kill c2 SIGKILL
for _ in $(seq 50); do
	oci state c2 2>/dev/null | grep -q '"stopped"' && break
	sleep 0.1
done
st=$(oci state c2 2>&1 | python3 -c "$validate_py" stopped "$bundle" 2>&1)
same "oci_cli_kill: kill ID SIGKILL stops it" "valid stopped" "$st"
oci delete c2
if [ ! -e "$state/c2" ]; then ok "oci_cli_delete: delete removes the state"; else notok "oci_cli_delete: delete removes the state"; fi
oci create --bundle "$bundle" c3 >/dev/null 2>&1 && oci start c3
oci kill c3 15 && oci delete --force c3
if [ ! -e "$state/c3" ]; then ok "oci_cli_delete_force: kill by number, delete --force"; else notok "oci_cli_delete_force"; fi

feat=$("$picos" features | python3 -c '
import json, sys
f = json.load(sys.stdin)
assert f["ociVersionMin"].startswith("1.") and f["ociVersionMax"].startswith("1."), f
assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"], f
assert "org.picos.net" in f["annotations"], f
print("valid")' 2>&1)
same "oci_cli_features: features JSON" "valid" "$feat"

bad_cases=(
	"state nosuch|1"
	"create --bundle $work/nosuch x1|1"
	"kill nosuch KILL|1"
	"start nosuch|1"
	"create --bundle $bundle bad/id|1"
	"--no-such-global state x|1"
)
for c in "${bad_cases[@]}"; do
	args=${c%|*}
	# shellcheck disable=SC2086
	out=$(oci $args 2>&1)
	rc=$?
	if [ "$rc" -eq "${c##*|}" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
		ok "oci_cli_bad: picos $args: one-line error, exit $rc"
	else
		notok "oci_cli_bad: picos $args: want one line, exit ${c##*|}" "rc=$rc $out"
	fi
done
echo '{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": [' >"$bundle/config.json"
out=$(oci create --bundle "$bundle" x2 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [ ! -e "$state/x2" ]; then
	ok "oci_cli_bad_json: a truncated config.json: one-line error, exit 1, no state left"
else
	notok "oci_cli_bad_json" "rc=$rc $out"
fi
write_config '["true"]' ', "hooks": {"prestart": [{"path": "/bin/true"}]}'
out=$(oci create --bundle "$bundle" x3 2>&1)
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q hooks; then
	ok "oci_cli_hooks_refused: a config with hooks is refused"
else
	notok "oci_cli_hooks_refused" "rc=$rc $out"
fi

# --- exec: a process added to the running world (docs/oci.md, "exec")
# The container (run as conmon would, its status from the reaper) keeps
# a sleeper; each exec is a pico process of its world.
write_config '["sh", "-c", "echo c >/tmp/fromc; sleep 1000 & echo $! >/tmp/sleeper; wait; while [ ! -f /tmp/frome ]; do sleep 0.1; done; cat /tmp/frome; exit 5"]'
run_reaped ce >"$work/ce.out" 2>&1 &
ce_job=$!
for _ in $(seq 100); do
	oci exec ce cat /tmp/sleeper >/dev/null 2>&1 && break
	sleep 0.1
done
got=$(timeout "$TO" "$picos" --root "$state" exec ce ps -o pid,ppid,comm 2>&1)
if printf '%s\n' "$got" | grep -Eq '^ +1 +0 sh$' && printf '%s\n' "$got" | grep -Eq '^ +[0-9]+ +1 sleep$' &&
	printf '%s\n' "$got" | grep -Eq '^ +[0-9]+ +0 ps$'; then
	ok "oci_cli_exec_ps: exec'd ps lists the container's pid 1 and its child, itself with ppid 0"
else
	notok "oci_cli_exec_ps: exec'd ps lists the container's processes" "$got"
fi
got=$(timeout "$TO" "$picos" --root "$state" exec ce sh -c 'cat /proc/1/comm /proc/$(cat /tmp/sleeper)/comm' 2>&1)
same "oci_cli_exec_proc: the container's processes in the exec's /proc" $'sh\nsleep' "$got"
got=$(timeout "$TO" "$picos" --root "$state" exec ce sh -c 'cat /tmp/fromc; echo e >/tmp/frome; exit 7' 2>&1)
rc=$?
same "oci_cli_exec_tmp_status: reads the container's /tmp file, writes one; its exit status" $'c\n7' "$got"$'\n'$rc
got=$(timeout "$TO" "$picos" --root "$state" exec --cwd /root -e FOO=bar -u 1000:1000 ce sh -c 'pwd; echo $FOO $GREETING; id -u; id -g' 2>&1)
same "oci_cli_exec_settings: --cwd, --env over the config's, --user" $'/root\nbar hello\n1000\n1000' "$got"
cat >"$work/process.json" <<'EOF'
{"args": ["sh", "-c", "echo $X; pwd; id -u; ulimit -n; umask"], "env": ["PATH=/bin", "X=from json"], "cwd": "/tmp",
 "user": {"uid": 1000, "gid": 1000, "umask": 18}, "terminal": false,
 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 200, "hard": 300}]}
EOF
got=$(timeout "$TO" "$picos" --root "$state" exec -p "$work/process.json" ce 2>&1)
same "oci_cli_exec_process_json: -p process.json (args, env, cwd, user, umask, rlimits)" $'from json\n/tmp\n1000\n200\n0022' "$got"
# -p with capabilities and additionalGids: the process's own sets (its
# bounding set within the container's) and groups, not the container's
cat >"$work/process-caps.json" <<'EOF'
{"args": ["sh", "-c", "grep ^Cap /proc/self/status; id -G; nc -l -p 80 -w 1 2>&1"], "env": ["PATH=/bin"], "cwd": "/",
 "user": {"uid": 1000, "gid": 1000, "additionalGids": [7, 1000, 9]},
 "capabilities": {"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
  "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}}
EOF
got=$(timeout "$TO" "$picos" --root "$state" exec -p "$work/process-caps.json" ce 2>&1)
same "oci_cli_exec_caps_groups: -p process.json's capabilities (ambient, non-root) and additionalGids" \
	"$(host_caps_line $'CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t0000000000000400\nCapAmb:\t0000000000000400\n1000 7 9\nnc: timed out')" "$(host_caps_line "$got")"
# without -p: the config's process (root, its default sets; no
# additionalGids: no supplementary group), here as user 1000: none
got=$(timeout "$TO" "$picos" --root "$state" exec -u 1000:1000 ce sh -c 'grep CapEff /proc/self/status; id -G' 2>&1)
same "oci_cli_exec_config_groups: without -p the config's groups; a non-root --user has no capabilities" \
	$'CapEff:\t0000000000000000\n1000' "$got"
# an exec'd program that execs from two threads moves to a new host
# process: its status is still the one picos exec returns
if gcc -static -O1 -std=gnu11 -Wall -Wextra -Werror -pthread -o "$bundle/rootfs/bin/mtexec" \
	"$top/tests/oci/mtexec.c" 2>"$work/mtexec.cc"; then
	got=$(timeout "$TO" "$picos" --root "$state" exec ce mtexec /bin/sh -c 'sleep 0.3; echo after; exit 33' 2>&1)
	same "oci_cli_exec_rehost: an exec from two threads: its program's output and status" $'after\n33' "$got"$'\n'$?
else
	notok "oci_cli_exec_rehost: tests/oci/mtexec.c does not compile" "$(cat "$work/mtexec.cc")"
fi
got=$(timeout "$TO" "$picos" --root "$state" exec ce nosuchcmd 2>&1)
rc=$?
same "oci_cli_exec_not_found: a missing command: 127" "127" "$rc"
# --tty: a pty whose master goes over the console socket (runc's protocol)
console_py='
import array, os, socket, subprocess, sys
sock, cmd = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock); s.listen(1)
p = subprocess.Popen(cmd)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_LEN(4))
fds = array.array("i")
for lvl, typ, data in anc:
    fds.frombytes(data[:4])
m = fds[0]
out = b""
while True:
    try:
        b = os.read(m, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
print(out.decode().replace("\r", ""), end="")
print("exit", p.wait())
'
rm -f "$work/console.sock"
got=$(timeout "$TO" python3 -c "$console_py" "$work/console.sock" "$picos" --root "$state" exec -t \
	--console-socket "$work/console.sock" ce sh -c '[ -t 0 ] && [ -t 1 ] && echo tty; ps -o pid,ppid,comm | grep -c sleep; exit 3' 2>&1)
same "oci_cli_exec_tty: --tty: the pty's master over --console-socket; stdio a terminal, in the world" $'tty\n1\nexit 3' "$got"
# --detach: the pid in --pid-file is the engine's to wait for (as conmon,
# a subreaper here); its status is the process's
detach_py='
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
rc = subprocess.call(sys.argv[2:])
pid = int(open(sys.argv[1]).read())
while True:
    p, st = os.waitpid(-1, 0)
    if p == pid:
        break
print("exec", rc, "process", os.waitstatus_to_exitcode(st))
'
got=$(timeout "$TO" python3 -c "$detach_py" "$work/exec.pid" "$picos" --root "$state" exec -d --pid-file "$work/exec.pid" ce sh -c 'sleep 0.3; exit 9' 2>&1)
same "oci_cli_exec_detach: --detach --pid-file: a pid the engine waits for, with the process's status" "exec 0 process 9" "$got"
# a signal to picos exec reaches the process (runc forwards them)
timeout "$TO" "$picos" --root "$state" exec ce sleep 100 &
sj=$!
for _ in $(seq 100); do
	[ "$(oci exec ce sh -c 'ps -o comm | grep -c sleep')" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
kill -TERM $sj
wait $sj
same "oci_cli_exec_signal: SIGTERM to picos exec ends the process: 143" 143 $?
# an exec'd process signals a container's process (its sleeper): the
# container goes on, reads the exec's file, exits 5; an exec still
# running then ends with the world (SIGKILL: 137)
timeout "$TO" "$picos" --root "$state" exec ce sleep 100 &
sj=$!
for _ in $(seq 100); do
	[ "$(oci exec ce sh -c 'ps -o comm | grep -c sleep')" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
got=$(timeout "$TO" "$picos" --root "$state" exec ce sh -c 'kill $(cat /tmp/sleeper) && echo sent' 2>&1)
wait $ce_job
same "oci_cli_exec_kill: kill from the exec'd process to the container's; the container's end" $'sent\ne\nexit 5' "$got"$'\n'"$(cat "$work/ce.out")"
wait $sj
same "oci_cli_exec_world_end: an exec'd process ends with the world" 137 $?
out=$(oci exec ce true 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
	ok "oci_cli_exec_stopped: exec into a deleted container: one line, exit 1"
else
	notok "oci_cli_exec_stopped" "rc=$rc $out"
fi
# the world's process limit counts exec'd processes
cat >"$bundle/config.json" <<EOF
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": ["sleep", "100"], "env": ["PATH=/bin"], "cwd": "/"},
 "annotations": {"org.picos.max-procs": "1"}}
EOF
oci create --bundle "$bundle" cm >/dev/null 2>&1 && oci start cm
out=$(timeout "$TO" "$picos" --root "$state" exec cm true 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "maximum number of processes"; then
	ok "oci_cli_exec_max_procs: an exec past org.picos.max-procs fails"
else
	notok "oci_cli_exec_max_procs" "rc=$rc $out"
fi
oci delete --force cm >/dev/null 2>&1

# a hostile guest (raw host calls) at its own container's exec socket:
# refused (flat: the door asks who connects) or out of reach (namespaces)
if gcc -static -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-function -D_GNU_SOURCE \
	-I"$top/include" -o "$bundle/rootfs/execdoor" "$top/tests/oci/execdoor.c" 2>"$work/execdoor.cc"; then
	for ns in off on; do
		cat >"$bundle/config.json" <<EOF
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": ["/execdoor", "$state/door$ns/exec.sock"], "env": ["PATH=/bin"], "cwd": "/"},
 "annotations": {"org.picos.ns": "$ns"}}
EOF
		want="door: refused"
		[ $ns = on ] && want="door: out of reach"
		got=$(run_reaped door$ns 2>&1)
		same "oci_cli_exec_door_hostile_ns_$ns: a guest cannot use its container's exec socket" "$want"$'\nexit 0' "$got"
	done
	rm -f "$bundle/rootfs/execdoor"
else
	notok "oci_cli_exec_door_hostile: tests/oci/execdoor.c does not compile" "$(cat "$work/execdoor.cc")"
fi

finish() {
	echo "oci: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# --- 2. podman -----------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip "oci_podman" "not root (rootless podman is not tested)"
	skip "oci_containerd" "not root"
	finish
fi

image="picos-busybox:oci-test"
pod_dir=$work/podman
# podman's storage under build/oci-test.  picos's state is in its
# default /run/picos, as in real use (podman 4.3 does not pass a
# --runtime-flag root=DIR to every call it makes: its delete lacks it).
P=(podman --root "$pod_dir/storage" --runroot "$pod_dir/runroot" --tmpdir "$pod_dir/tmp"
	--cgroup-manager=cgroupfs --events-backend=file)
run_picos_was_there=
[ -e /run/picos ] && run_picos_was_there=1
picos_states() { find /run/picos -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort; }
states_before=$(picos_states)
PR=("${P[@]}" --runtime "$picos")
cleanup_podman() {
	"${P[@]}" rm -af -t 0 >/dev/null 2>&1
	"${P[@]}" rmi -af >/dev/null 2>&1
	"${P[@]}" system reset -f >/dev/null 2>&1
	rm -rf "$pod_dir"
}
ctrd_pid=
ctrd_dir=$work/containerd
cleanup_containerd() {
	[ -n "$ctrd_pid" ] || return 0
	local C=(ctr --address "$ctrd_dir/c.sock" --namespace picos-oci-test)
	local t
	for t in c1 c2 c3; do
		"${C[@]}" tasks kill -s KILL $t >/dev/null 2>&1
		"${C[@]}" tasks delete $t >/dev/null 2>&1
		"${C[@]}" containers delete $t >/dev/null 2>&1
	done
	"${C[@]}" images rm "$("${C[@]}" images ls -q 2>/dev/null)" >/dev/null 2>&1
	kill "$ctrd_pid" 2>/dev/null
	wait "$ctrd_pid" 2>/dev/null
	ctrd_pid=
	# what a killed task left mounted beneath its root
	grep -o " $ctrd_dir/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$ctrd_dir"
	# the runc shim keeps runtime state in /run/containerd/runc/NAMESPACE
	# (picos --root there) and sockets in /run/containerd: empty once
	# every container is deleted; removed when this test made them
	rmdir /run/containerd/runc/picos-oci-test 2>/dev/null
	[ -n "$run_containerd_was_there" ] ||
		rmdir /run/containerd/runc /run/containerd/fifo /run/containerd/s /run/containerd 2>/dev/null
}
# podman makes /run/netns, a bind mount of itself as iproute2 does,
# with a namespace file in it while a container runs (even with
# --network=none, whose namespace has only lo): removed when it was not
# there before and is empty again
run_netns_was_there=
[ -e /run/netns ] && run_netns_was_there=1
cleanup() {
	command -v podman >/dev/null && cleanup_podman
	cleanup_containerd
	[ -n "${run_picos_was_there-1}" ] || rmdir /run/picos 2>/dev/null
	if [ -z "$run_netns_was_there" ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
		umount /run/netns 2>/dev/null
		rmdir /run/netns 2>/dev/null
	fi
}
trap cleanup EXIT

if ! command -v podman >/dev/null; then
	skip "oci_podman" "podman is not installed (make deps as root installs it)"
else
	mkdir -p "$pod_dir"
	tar -C "$rootfs" -cf "$work/rootfs.tar" .
	if ! "${P[@]}" import -q --change CMD=/bin/sh "$work/rootfs.tar" "$image" >/dev/null 2>"$work/import.err"; then
		notok "oci_podman_import: podman import of the busybox root" "$(cat "$work/import.err")"
	else
		ok "oci_podman_import: podman import of the busybox root (no registry)"
		prun() { timeout "$TO" "${PR[@]}" run --rm --network=none "$@"; }

		got=$(prun "$image" sh -c 'echo hello; echo $((6*7))' 2>&1)
		same "oci_podman_print: a command that prints" "$(native 0:0 / 'echo hello; echo $((6*7))')" "$got"

		prun "$image" sh -c 'exit 42' >/dev/null 2>&1
		same "oci_podman_exit_status: a failing exit status passed through" 42 $?

		got=$(prun -e FOO=bar -e EMPTY= "$image" sh -c 'echo "$FOO|$EMPTY|$container"' 2>&1)
		same "oci_podman_env: -e" "bar||podman" "$got"

		got=$(prun -w /home/user "$image" pwd 2>&1)
		same "oci_podman_workdir: -w" "$(native 0:0 /home/user pwd)" "$got"

		got=$(prun -u 1000:1000 "$image" sh -c 'id; id -u -n' 2>&1)
		same "oci_podman_user: -u 1000:1000" "$(native 1000:1000 / 'id; id -u -n')" "$got"

		vol=$work/vol
		mkdir -p "$vol"
		echo "from the host" >"$vol/in"
		got=$(prun -v "$vol:/data" "$image" sh -c 'cat /data/in; echo written >/data/out' 2>&1)
		if [ "$got" = "from the host" ] && [ "$(cat "$vol/out" 2>/dev/null)" = written ]; then
			ok "oci_podman_volume: -v HOSTDIR:/data read and written"
		else
			notok "oci_podman_volume: -v HOSTDIR:/data" "$got / $(cat "$vol/out" 2>&1)"
		fi
		got=$(prun -v "$vol:/data:ro" "$image" sh -c '(echo x >/data/out2) 2>/dev/null && echo wrote || echo refused' 2>&1)
		same "oci_podman_volume_ro: -v HOSTDIR:/data:ro refuses writes" "refused" "$got"

		got=$(prun --tmpfs /scratch "$image" sh -c 'echo a >/scratch/f && ls /scratch && cat /scratch/f' 2>&1)
		same "oci_podman_tmpfs: --tmpfs" $'f\na' "$got"

		got=$(printf 'line one\nline two\n' | prun -i "$image" sh -c 'wc -l; echo done' 2>&1)
		same "oci_podman_stdin: -i: stdin through conmon's pipe" "$(printf 'line one\nline two\n' | native 0:0 / 'wc -l; echo done')" "$got"

		got=$(prun --read-only "$image" sh -c '(touch /x) 2>/dev/null && echo wrote || echo refused; echo ok >/tmp/t && cat /tmp/t' 2>&1)
		same "oci_podman_read_only: --read-only root (its /tmp still writable)" $'refused\nok' "$got"

		got=$(prun --cap-drop all "$image" sh -c 'grep CapEff /proc/self/status; (chown 1 /root) 2>/dev/null && echo chowned || echo refused' 2>&1)
		same "oci_podman_cap_drop: --cap-drop all: no capabilities, chown refused" $'CapEff:\t0000000000000000\nrefused' "$got"
		# podman gives a non-root user its added capabilities in every
		# set but bounding (ambient: they survive the exec)
		got=$(prun -u 1000:1000 --cap-add NET_BIND_SERVICE "$image" sh -c 'grep -E "^Cap(Inh|Prm|Eff|Amb)" /proc/self/status; nc -l -p 80 -w 1 2>&1' 2>&1)
		same "oci_podman_cap_add_user: -u 1000 --cap-add NET_BIND_SERVICE: in its sets, port 80 bound" \
			$'CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapAmb:\t0000000000000400\nnc: timed out' "$got"
		got=$(prun --cap-drop CHOWN "$image" sh -c 'e=$(grep CapEff /proc/self/status | cut -f2); b=$(grep CapBnd /proc/self/status | cut -f2); echo $((0x$e == 0x$b)) $((0x$e & 1)); (chown 1 /root) 2>/dev/null && echo chowned || echo refused' 2>&1)
		same "oci_podman_cap_drop_one: --cap-drop CHOWN: root's effective set is its bounding set, without CAP_CHOWN" \
			$'1 0\nrefused' "$got"

		if command -v script >/dev/null; then
			# a pty of its own through conmon (the console socket)
			cmd="stty rows 24 cols 80; ${PR[*]} run --rm -it --network=none $image sh -c '[ -t 0 ] && [ -t 1 ] && echo tty; stty size; read x; echo got \$x'"
			got=$(printf 'typed\n' | timeout "$TO" script -qec "$cmd" /dev/null 2>&1 | tr -d '\r' | grep -v '^typed$')
			same "oci_podman_tty: -it through a pty (size, input)" $'tty\n24 80\ngot typed' "$got"
		else
			skip "oci_podman_tty" "no script(1)"
		fi

		# a container that runs until stopped: ps, exec, logs, stop
		name="picos-oci-long"
		timeout "$TO" "${PR[@]}" run -d --name $name --network=none "$image" \
			sh -c 'echo started; echo shared >/root/marker; trap "echo got TERM; exit 0" TERM; while :; do sleep 0.1; done' >/dev/null 2>&1
		for _ in $(seq 50); do
			[ "$("${P[@]}" logs $name 2>/dev/null)" = started ] && break
			sleep 0.1
		done
		same "oci_podman_ps_running: podman ps and inspect while it runs" $'1\nrunning' \
			"$("${P[@]}" ps -q --filter name=$name 2>&1 | wc -l)"$'\n'"$("${P[@]}" inspect --format '{{.State.Status}}' $name 2>&1)"
		got=$(timeout "$TO" "${P[@]}" exec $name sh -c 'cat /root/marker; ps -o pid,ppid,comm | grep -E "^ +1 +0 sh$"; exit 7' 2>&1)
		rc=$?
		same "oci_podman_exec: podman exec sees the container's files and its pid 1 in ps; its status" \
			$'shared\n    1     0 sh\n7' "$got"$'\n'$rc
		got=$(timeout "$TO" "${P[@]}" exec $name ps 2>&1)
		if printf '%s\n' "$got" | grep -Eq '^ +1 root +sh -c echo started' &&
			printf '%s\n' "$got" | grep -Eq ' ps$'; then
			ok "oci_podman_exec_ps: podman exec CONTAINER ps lists the container's pid 1 and itself"
		else
			notok "oci_podman_exec_ps: podman exec CONTAINER ps lists the container's processes" "$got"
		fi
		if command -v script >/dev/null; then
			cmd="stty rows 24 cols 80; ${P[*]} exec -it $name sh -c '[ -t 0 ] && [ -t 1 ] && echo tty; ps -o pid,ppid,comm | grep -cE \"^ +1 +0 sh\$\"; read x; echo got \$x'"
			got=$(printf 'typed\n' | timeout "$TO" script -qec "$cmd" /dev/null 2>&1 | tr -d '\r' | grep -v '^typed$')
			same "oci_podman_exec_tty: podman exec -it: a pty, the container's processes, input" $'tty\n1\ngot typed' "$got"
		else
			skip "oci_podman_exec_tty" "no script(1)"
		fi
		same "oci_podman_logs: podman logs" started "$("${P[@]}" logs $name 2>&1)"
		timeout "$TO" "${P[@]}" stop -t 5 $name >/dev/null 2>&1
		same "oci_podman_stop_term: podman stop: SIGTERM reaches the trap, exit 0" \
			$'exited 0\nstarted\ngot TERM' \
			"$("${P[@]}" inspect --format '{{.State.Status}} {{.State.ExitCode}}' $name 2>&1)"$'\n'"$("${P[@]}" logs $name 2>&1)"
		"${P[@]}" rm -f $name >/dev/null 2>&1

		timeout "$TO" "${PR[@]}" run -d --name $name --network=none "$image" \
			sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null 2>&1
		for _ in $(seq 50); do
			[ "$("${P[@]}" logs $name 2>/dev/null)" = ready ] && break
			sleep 0.1
		done
		t0=$(date +%s)
		timeout "$TO" "${P[@]}" stop -t 1 $name >/dev/null 2>&1
		t1=$(date +%s)
		got=$("${P[@]}" inspect --format '{{.State.Status}} {{.State.ExitCode}}' $name 2>&1)
		if [ "$got" = "exited 137" ] && [ $((t1 - t0)) -lt 5 ]; then
			ok "oci_podman_stop_kill: podman stop -t 1 of one ignoring SIGTERM: SIGKILL, 137"
		else
			notok "oci_podman_stop_kill: podman stop -t 1 of one ignoring SIGTERM" "$got after $((t1 - t0)) s"
		fi
		"${P[@]}" rm -f $name >/dev/null 2>&1
		if [ -z "$("${P[@]}" ps -aq 2>&1)" ]; then
			ok "oci_podman_cleanup: no container left"
		else
			notok "oci_podman_cleanup: no container left" "$("${P[@]}" ps -a 2>&1)"
		fi
		# every container podman removed was deleted from picos's
		# state (and its scratch area with it)
		same "oci_podman_state_deleted: no picos state left behind" "$states_before" "$(picos_states)"
	fi
fi

# --- 3. containerd -------------------------------------------------------
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
	skip "oci_containerd" "containerd is not installed (make deps as root installs it)"
elif ! command -v podman >/dev/null || [ ! -s "$pod_dir/storage/overlay-images/images.json" ]; then
	skip "oci_containerd" "needs the image podman imports"
else
	mkdir -p "$ctrd_dir"
	cat >"$ctrd_dir/config.toml" <<EOF
version = 2
root = "$ctrd_dir/root"
state = "$ctrd_dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$ctrd_dir/c.sock"
[ttrpc]
  address = "$ctrd_dir/c.sock.ttrpc"
EOF
	run_containerd_was_there=
	[ -e /run/containerd ] && run_containerd_was_there=1
	containerd --config "$ctrd_dir/config.toml" >"$ctrd_dir/log" 2>&1 &
	ctrd_pid=$!
	C=(ctr --address "$ctrd_dir/c.sock" --namespace picos-oci-test)
	for _ in $(seq 100); do
		"${C[@]}" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	"${P[@]}" save -q --format oci-archive -o "$work/image-oci.tar" "$image" >/dev/null 2>&1
	if ! "${C[@]}" images import "$work/image-oci.tar" >/dev/null 2>"$work/ctr-import.err"; then
		notok "oci_containerd_import: ctr images import of podman's OCI archive" "$(cat "$work/ctr-import.err")"
	else
		ok "oci_containerd_import: ctr images import of podman's OCI archive"
		ref=$("${C[@]}" images ls -q | head -1)
		got=$(timeout "$TO" "${C[@]}" run --rm --runc-binary "$picos" "$ref" c1 \
			sh -c 'echo hello from containerd; echo $((6*7)); exit 5' 2>&1)
		rc=$?
		same "oci_containerd_run: ctr run --runc-binary picos: output and exit status" \
			"$(native 0:0 / 'echo hello from containerd; echo $((6*7))')"$'\n5' "$got"$'\n'$rc
		timeout "$TO" "${C[@]}" run --rm --runc-binary "$picos" --env FOO=from-ctr --cwd /home/user "$ref" c2 \
			sh -c 'echo "$FOO $(pwd)"' >"$work/ctr-c2.out" 2>&1
		same "oci_containerd_env_cwd: --env and --cwd" "from-ctr /home/user" "$(cat "$work/ctr-c2.out")"
		# ctr tasks kill: SIGTERM reaches the guest's trap, whose
		# status ctr run returns
		timeout "$TO" "${C[@]}" run --rm --runc-binary "$picos" "$ref" c3 \
			sh -c 'trap "echo term; exit 3" TERM; echo up; while :; do sleep 0.1; done' >"$work/ctr-c3.out" 2>&1 &
		ctr_run=$!
		for _ in $(seq 100); do
			[ "$(cat "$work/ctr-c3.out" 2>/dev/null)" = up ] && break
			sleep 0.1
		done
		"${C[@]}" tasks kill c3 >/dev/null 2>&1
		wait "$ctr_run"
		rc=$?
		same "oci_containerd_kill: ctr tasks kill: the trap runs, its status" $'up\nterm\n3' "$(cat "$work/ctr-c3.out")"$'\n'$rc
	fi
fi
cleanup
trap - EXIT
# what the tests made (roots, archives); the state of any container left
# would be here too, but delete removed each
rm -rf "$work"
finish
