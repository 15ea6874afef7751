#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make install, tried the way a user and a packager use it (docs/DEPLOY.md):
# staged into a DESTDIR with a PREFIX, the staged tree moved to where
# PREFIX says (what a package manager does), then the installed programs
# run: vetd --check finds its installed ruleset, vetd serves on ipc://
# with a pid file, the installed vet screens through VET_ENDPOINT, a C
# program built with `pkg-config --cflags --libs vet` screens, the
# installed Python package screens; the man pages render, the systemd
# units verify, make uninstall removes what install put.
# Prints "N passed, N failed".   usage: tests/install.sh BUILD_DIR BIN_DIR
B=${1:-build}
BIN=${2:-bin}
passed=0
failed=0
tmp=$(mktemp -d /tmp/vetd-install-XXXXXX)
root=$tmp/root       # PREFIX
stage=$tmp/stage     # DESTDIR
sock=$tmp/vetd.sock
# As root, vetd serves only when told to (docs/SECURITY.md).
as_root=
[ "$(id -u)" -eq 0 ] && as_root=--allow-root
pidf=$tmp/vetd.pid
vetd_pid=
run_pid=
# The build's vetd bakes PREFIX in: put back the PREFIX it was built for.
old_prefix=$(cat "$B/prefix.stamp" 2>/dev/null || echo /usr/local)
cleanup() {
    [ -n "$vetd_pid" ] && kill "$vetd_pid" 2>/dev/null && wait "$vetd_pid" 2>/dev/null
    [ -n "$run_pid" ] && kill -KILL -"$run_pid" 2>/dev/null
    make --no-print-directory -s B="$B" BIN="$BIN" PREFIX="$old_prefix" all > /dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
unset MAKEFLAGS MFLAGS

ok() { passed=$((passed + 1)); echo "ok: $1"; }
ko() { failed=$((failed + 1)); echo "FAILED: $1"; [ -s "$tmp/out" ] && head -30 "$tmp/out"; }
# check WHAT COMMAND...: one test, passed when COMMAND exits 0 (output in $tmp/out).
check() {
    what=$1
    shift
    if "$@" > "$tmp/out" 2>&1; then ok "$what"; else ko "$what"; fi
}

# 1. make install, staged.
if ! make --no-print-directory B="$B" BIN="$BIN" PREFIX="$root" DESTDIR="$stage" install \
        > "$tmp/install.log" 2>&1; then
    cp "$tmp/install.log" "$tmp/out"
    ko "make install PREFIX=$root DESTDIR=$stage"
    echo "$passed passed, $failed failed"
    exit 1
fi
ok "make install PREFIX=... DESTDIR=..."
# Where install says the Python package went (staged), and how to find it.
pysite=$(sed -n 's/^install: the Python package (import vet) is in //p' "$tmp/install.log")
pysite=${pysite#"$stage"}
if grep -q "^install: /usr/bin/python3 does not search it: export PYTHONPATH=$pysite" "$tmp/install.log"; then
    ok "install says where the Python package went and to set PYTHONPATH=$pysite"
else
    cp "$tmp/install.log" "$tmp/out"; ko "install does not say how Python finds $pysite"
fi
major=$(sed 's/\..*//' VERSION)
missing=
for f in bin/vetd bin/vet bin/vet-import bin/vet-update bin/vet-replay \
         lib/libvet.a lib/libvet.so lib/libvet.so.$major lib/libvet.so.$(cat VERSION) \
         lib/libvetengine.a lib/libvetengine.so lib/libvetengine.so.$major \
         include/vet.h include/vet_api.h include/vet_engine.h \
         lib/pkgconfig/vet.pc lib/pkgconfig/vetengine.pc share/man/man1/vet.1 \
         share/man/man1/vet-import.1 share/man/man5/vetd.cfg.5 share/man/man8/vetd.8 \
         share/vetd/rules/policy.cfg etc/vetd/vetd.cfg lib/systemd/system/vetd.service \
         lib/systemd/system/vet-update.service lib/systemd/system/vet-update.timer; do
    [ -e "$stage$root/$f" ] || missing="$missing $f"
done
[ -n "$pysite" ] && [ -f "$stage$pysite/vet/client.py" ] || missing="$missing python:$pysite/vet"
if [ -z "$missing" ]; then ok "every file is staged under DESTDIR/PREFIX"; else
    : > "$tmp/out"; ko "not installed:$missing"; fi
# The package manager's step: the staged tree goes where PREFIX says.
mv "$stage$root" "$root"

# 2. The installed vetd, from a directory without rules/, finds the
# installed ruleset (not the build's default prefix).
check "installed vetd --check finds $root/share/vetd/rules" \
    sh -c "cd '$tmp' && '$root/bin/vetd' --help | grep -q '$root/share/vetd/rules' && '$root/bin/vetd' --check"
check "installed sample vetd.cfg names the installed ruleset" \
    sh -c "cd '$tmp' && grep -q '^rules = \"$root/share/vetd/rules\";' '$root/etc/vetd/vetd.cfg' &&
           '$root/bin/vetd' -c '$root/etc/vetd/vetd.cfg' --print-config | grep -q '$root/share/vetd/rules'"

# 3. The installed vetd serves on ipc:// and writes its pid file once bound.
(cd "$tmp" && exec "$root/bin/vetd" -e "ipc://$sock" -w 2 -a - --reviews - --pidfile "$pidf" $as_root \
    2> "$tmp/vetd.log") &
vetd_pid=$!
i=0
while [ $i -lt 300 ] && ! [ -s "$pidf" ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(cat "$pidf" 2>/dev/null)" = "$vetd_pid" ]; then ok "vetd --pidfile holds the daemon's pid"; else
    cp "$tmp/vetd.log" "$tmp/out"; ko "vetd --pidfile: $(cat "$pidf" 2>/dev/null) is not $vetd_pid"; fi
check "a second vetd naming the same pid file refuses to start (75)" \
    sh -c "cd '$tmp'; timeout 10 '$root/bin/vetd' -e 'ipc://$tmp/other.sock' -a - --reviews - \
           --pidfile '$pidf' $as_root; rc=\$?; [ \$rc -eq 75 ] || { echo exit \$rc; exit 1; }"

# 4. The installed vet, its endpoint from VET_ENDPOINT; the verdict of a
# listed institution (exit 20: prohibited).
check "installed vet screen through VET_ENDPOINT" \
    sh -c "VET_ENDPOINT='ipc://$sock' timeout 20 '$root/bin/vet' -t 10000 screen \
           --name 'Harbin Institute of Technology' --country CN --tech ai --activity joint_lab;
           [ \$? -eq 20 ]"

# 5. A C program built against the installed libvet with pkg-config. A
# sanitizer build (make asan) installs a libvet that needs the sanitizer
# runtime first: the program is linked with it then, as its users would.
export PKG_CONFIG_PATH="$root/lib/pkgconfig"
san=
ldd "$root/lib/libvet.so.$major" 2>/dev/null | grep -q libasan && san="-fsanitize=address,undefined"
check "a C program built with pkg-config --cflags --libs vet screens (endpoint given, VET_ENDPOINT)" \
    sh -c "cc $san -o '$tmp/screen' tests/fixtures/install/screen.c \$(pkg-config --cflags --libs vet) \
             -Wl,-rpath,\$(pkg-config --variable=libdir vet) &&
           ldd '$tmp/screen' | grep -q 'libvet.so.$major => $root/lib/libvet.so.$major' &&
           timeout 20 '$tmp/screen' 'ipc://$sock' | grep -q '\"verdict\":\"prohibited\"' &&
           VET_ENDPOINT='ipc://$sock' timeout 20 '$tmp/screen' | grep -q '\"verdict\":\"prohibited\"'"
check "pkg-config vetengine: version $(cat VERSION), the installed headers" \
    sh -c "[ \"\$(pkg-config --modversion vetengine)\" = '$(cat VERSION)' ] &&
           pkg-config --cflags vetengine | grep -q -- '-I$root/include'"

# 6. The installed Python package, from where install said it went.
check "the installed Python package screens (PYTHONPATH=$pysite, VET_ENDPOINT)" \
    sh -c "cd '$tmp' && VET_ENDPOINT='ipc://$sock' PYTHONPATH='$pysite' PYTHONDONTWRITEBYTECODE=1 timeout 20 /usr/bin/python3 -c '
import sys, vet
assert vet.__file__.startswith(\"$root/\"), vet.__file__
with vet.Client(timeout_ms=10000) as c:
    r = c.screen(\"Harbin Institute of Technology\", country=\"CN\", technologies=\"ai\", activity=\"joint_lab\")
    assert r.verdict == \"prohibited\", r.verdict
'"

# 7. SIGTERM: vetd drains, exits 0 and removes its pid file.
kill "$vetd_pid"
wait "$vetd_pid"
rc=$?
vetd_pid=
if [ $rc -eq 0 ] && ! [ -e "$pidf" ]; then ok "vetd exits 0 on SIGTERM and removes its pid file"; else
    cp "$tmp/vetd.log" "$tmp/out"; ko "vetd exit $rc, pid file left: $(ls "$pidf" 2>/dev/null)"; fi

# 8. The man pages render without a warning; the units verify.
check "man pages render without warnings" \
    sh -c "for m in '$root'/share/man/man*/*; do
             MANWIDTH=80 man --warnings -l \"\$m\" 2>&1 >/dev/null | grep . && exit 1
             MANWIDTH=80 man -l \"\$m\" 2>/dev/null | grep -q '@' && { echo \"\$m: @...@ left\"; exit 1; }
           done; exit 0"
if command -v systemd-analyze > /dev/null; then
    check "systemd-analyze verify: vetd.service, vet-update.service, vet-update.timer" \
        sh -c "cd '$root/lib/systemd/system' &&
               systemd-analyze verify ./vetd.service ./vet-update.service ./vet-update.timer 2>&1 |
               grep -v \"Command 'man \" | grep . && exit 1; exit 0"
else
    check "units name the installed vetd and the hardening (no systemd-analyze here)" \
        sh -c "grep -q '^ExecStart=$root/bin/vetd -c $root/etc/vetd/vetd.cfg' '$root/lib/systemd/system/vetd.service' &&
               grep -q '^ProtectSystem=strict' '$root/lib/systemd/system/vetd.service'"
fi

# 9. make run serves elsewhere: PORT=..., or the endpoints of VET_ENDPOINT.
# run_ok WHAT ENDPOINT [make args]: make run in its own process group,
# pinged at ENDPOINT through vet, then stopped.
run_ok() {
    what=$1
    ep=$2
    shift 2
    setsid make --no-print-directory -s B="$B" BIN="$BIN" PREFIX="$old_prefix" "$@" run \
        > "$tmp/run.log" 2>&1 &
    run_pid=$!
    i=0
    until VET_ENDPOINT=$ep timeout 5 "$BIN/vet" -t 500 ping > /dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 120 ] && kill -0 $run_pid 2>/dev/null || break
        sleep 0.25
    done
    if VET_ENDPOINT=$ep timeout 5 "$BIN/vet" -t 2000 ping > "$tmp/out" 2>&1; then ok "$what"; else
        cat "$tmp/run.log" >> "$tmp/out"; ko "$what"; fi
    # The group: make and the vetd it runs. Bounded: KILL after 10 s.
    kill -TERM -$run_pid 2>/dev/null
    i=0
    while kill -0 $run_pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL -$run_pid 2>/dev/null
    wait $run_pid 2>/dev/null
    run_pid=
}
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_ok "make run PORT=$port serves on tcp://127.0.0.1:$port" "tcp://127.0.0.1:$port" PORT="$port"
VET_ENDPOINT="ipc://$tmp/run.sock" run_ok "make run serves on \$VET_ENDPOINT (ipc://)" "ipc://$tmp/run.sock"

# 10. make uninstall takes back all but the configuration.
check "make uninstall leaves only etc/vetd/vetd.cfg" \
    sh -c "make --no-print-directory -s B='$B' BIN='$BIN' PREFIX='$root' uninstall &&
           left=\$(find '$root' -type f -o -type l | grep -v '^$root/etc/vetd/vetd.cfg\$');
           [ -z \"\$left\" ] || { echo \"left: \$left\"; exit 1; }"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
