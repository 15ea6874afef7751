#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# version.sh -- the project's one version, from the top-level VERSION file.
#   tools/version.sh sync ROOT        writes VERSION into the Python and Node
#                                     packages under ROOT (make version-sync)
#   tools/version.sh check ROOT [B]   fails, naming each, when a package or
#                                     (with the build directory B) a shared
#                                     library's soname differs from VERSION
# vetd itself takes VERSION at build time (-DVETD_VERSION), so it cannot
# differ; the Python and Node suites also compare with `vetd --version`.
set -u

usage() {
    echo "usage: tools/version.sh sync ROOT | check ROOT [BUILD_DIR]" >&2
    exit 64
}

[ $# -ge 2 ] || usage
cmd=$1
root=$2
build=${3:-}

version=$(cat "$root/VERSION" 2>/dev/null) || { echo "version: $root/VERSION not readable" >&2; exit 1; }
# MAJOR.MINOR.PATCH, as the soname (MAJOR), PEP 440 and npm all read it.
if ! printf '%s\n' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$'; then
    echo "version: $root/VERSION must be MAJOR.MINOR.PATCH, not \"$version\"" >&2
    exit 1
fi
major=${version%%.*}

py=$root/clients/python/vet/__init__.py
pkg=$root/clients/node/package.json
lock=$root/clients/node/package-lock.json

# The package's own version in a package.json or package-lock.json: the
# first "version" (top level) and, in a lock file, the one of its root
# package (packages."": the second one); dependencies' versions come after.
json_versions() {
    sed -n 's/^  \("packages": {\)$/\1/p; s/^ *"version": "\([^"]*\)",\{0,1\}$/\1/p' "$1" |
        awk '/^"packages"/ { seen = 1; next } NR == 1 || (seen && ++n == 1)'
}

case $cmd in
sync)
    # Each edit touches the one line that carries the package's version.
    sed -i "s/^__version__ = \".*\"$/__version__ = \"$version\"/" "$py" || exit 1
    sed -i "0,/^  \"version\": \".*\",$/s//  \"version\": \"$version\",/" "$pkg" || exit 1
    if [ -f "$lock" ]; then
        sed -i "0,/^  \"version\": \".*\",$/s//  \"version\": \"$version\",/" "$lock" || exit 1
        sed -i "/^    \"\": {$/,/^    }/s/^      \"version\": \".*\",$/      \"version\": \"$version\",/" \
            "$lock" || exit 1
    fi
    echo "version-sync: $version in clients/python/vet/__init__.py, clients/node/package.json$([ -f "$lock" ] && echo ', package-lock.json')"
    ;;
check)
    bad=0
    differs() {   # FILE WHAT FOUND
        echo "version-check: $1: $2 is \"$3\", VERSION is \"$version\" (make version-sync)"
        bad=1
    }
    v=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$py")
    [ "$v" = "$version" ] || differs clients/python/vet/__init__.py __version__ "$v"
    v=$(json_versions "$pkg" | head -1)
    [ "$v" = "$version" ] || differs clients/node/package.json version "$v"
    if [ -f "$lock" ]; then
        for v in $(json_versions "$lock"); do
            [ "$v" = "$version" ] || differs clients/node/package-lock.json version "$v"
        done
    fi
    n=3
    if [ -n "$build" ]; then
        for lib in libvet libvetengine; do
            so=$(readelf -d "$build/$lib.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
            [ "$so" = "$lib.so.$major" ] || { echo "version-check: $build/$lib.so: soname is \"$so\", not \"$lib.so.$major\""; bad=1; }
            n=$((n + 1))
        done
    fi
    [ $bad -eq 0 ] || exit 1
    echo "version-check: $n places carry version $version"
    ;;
*) usage ;;
esac
