#!/bin/sh
# Installs the Debian packages the build and the tests need, when run as
# root on a machine that lacks them.  As any other user it only checks.
# podman and containerd: tests/oci drives them with picos as the runtime
# (podman brings conmon and crun; containerd brings ctr and runc).
set -u
pkgs="build-essential libseccomp-dev busybox-static python3 python3.11 libpython3.11-testsuite coreutils findutils bash procps psmisc lsof htop openjdk-17-jdk-headless xz-utils golang-go musl-tools nodejs nginx-light ruby gnupg util-linux libcap2-bin keyutils iproute2 trinity stress-ng postgresql redis-server bsdutils tmux vim less podman containerd"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing (run 'make test' as root once to install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Services the tests start themselves (nginx) must not be started by their
# packages' install scripts: a policy-rc.d that refuses every start, as
# container images use, removed again afterwards unless it was there.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
apt-get update -qq && apt-get install -y -qq $missing >/dev/null
rc=$?
[ -n "$own_policy" ] && rm -f "$policy"
exit $rc
