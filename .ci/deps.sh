#!/bin/sh
# Installs the Debian 12 packages vetd needs to build and test, only if
# something is missing (so a warm machine does not touch the network).
set -e
PKGS="build-essential pkg-config libconfig-dev libcmocka-dev libutf8proc-dev \
libcjson-dev libsodium-dev libzmq3-dev libxml2-dev valgrind"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
