#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages vetd needs to build and test, only if
# something is missing (so a warm machine does not touch the network).
set -e
# The last line: the client packages' tests (pip install offline into a venv,
# make install's wheel, mypy --strict, tsc --noEmit).
PKGS="build-essential pkg-config libconfig-dev libcmocka-dev libutf8proc-dev \
libcjson-dev libsodium-dev libzmq3-dev libxml2-dev libicu-dev libopencc-dev libcurl4-openssl-dev \
valgrind python3 python3-zmq clang-format \
python3-setuptools python3-wheel python3-venv python3-pip mypy node-typescript"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# Node for clients/node: Debian's nodejs and npm, unless a node is already
# installed (some machines carry another build, whose package conflicts
# with Debian's npm): checked by command, not by package.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# The Node client's packages (zeromq 6 ships prebuilt binaries; the
# versions are pinned by clients/node/package-lock.json).
cd "$(dirname "$0")/.."
node -e 'require("./clients/node/node_modules/zeromq")' 2>/dev/null \
    || (cd clients/node && npm ci --no-audit --no-fund)
