#!/bin/sh
# Installs the Debian packages the build and the tests need, when run as
# root on a machine that lacks them.  As any other user it only checks.
set -u
pkgs="build-essential libseccomp-dev busybox-static python3 python3.11 libpython3.11-testsuite coreutils findutils bash procps xz-utils golang-go musl-tools libcap2-bin"
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
apt-get update -qq && apt-get install -y -qq $missing >/dev/null
