# SPDX-License-Identifier: Apache-2.0
"""run -- runs the Python client's tests (unittest, against a real vetd)
and ends with one line "N passed, N failed"; exits 1 on any failure.
    /usr/bin/python3 clients/python/tests/run.py [-v] [-k PATTERN]
VETD_BIN names the daemon (default bin/vetd)."""

import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402


def main() -> int:
    harness.install_signal_handlers()
    verbose = "-v" in sys.argv[1:]
    loader = unittest.TestLoader()
    args = sys.argv[1:]
    if "-k" in args:
        loader.testNamePatterns = [f"*{args[args.index('-k') + 1]}*"]
    suite = loader.discover(str(HERE), pattern="test_*.py", top_level_dir=str(HERE))
    try:
        result = unittest.TextTestRunner(verbosity=2 if verbose else 1,
                                         stream=sys.stdout).run(suite)
    except KeyboardInterrupt:
        unittest.case.doModuleCleanups()
        harness.stop_all()
        print(f"\ninterrupted\n0 passed, {suite.countTestCases()} failed")
        return 1
    # A test fails once however many of its parts (subtests) failed; a
    # skip counts as a failure (no test may be skipped), and so does an
    # error outside any test (setUpModule, cleanups).
    bad = {str(t) for t, _ in result.failures + result.errors}
    bad |= {str(t) for t, _ in result.skipped}
    bad |= {str(t) for t in result.unexpectedSuccesses}
    ran = result.testsRun
    inside = {b for b in bad if not b.startswith(("setUpModule", "tearDownModule",
                                                   "setUpClass", "tearDownClass"))}
    passed = max(0, ran - len(inside))
    # Tests that never ran (setUpModule failed) count as failed too.
    failed = max(suite.countTestCases() - passed, len(bad))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and ran > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
