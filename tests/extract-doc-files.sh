#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes every code block of a Markdown page that follows a
# "<!-- file: PATH -->" line to OUTDIR/PATH, so the examples of the
# docs are the files the tests run.   usage: extract-doc-files.sh PAGE OUTDIR
set -e
page=$1
out=$2
awk -v out="$out" '
/^<!-- file: .* -->$/ { f = $3; want = 1; next }
want && /^```/ { inblock = 1; want = 0; path = out "/" f;
                 d = path; sub(/\/[^\/]*$/, "", d); system("mkdir -p \"" d "\"");
                 printf "" > path; next }
inblock && /^```/ { inblock = 0; close(path); next }
inblock { print >> path }
' "$page"
