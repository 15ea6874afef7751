#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the Python client's tests against a real vetd; run from the
# repository root. Ends with "N passed, N failed"; exits 1 on failure.
#   VETD_BIN=bin/vetd sh clients/python/run-tests.sh [-v] [-k PATTERN]
# Needs Debian's python3-zmq, hence /usr/bin/python3 (not the PATH one).
export VETD_BIN="${VETD_BIN:-bin/vetd}"
# Keep the tree clean: no __pycache__ next to the sources.
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$(dirname "$0")/tests/run.py" "$@"
