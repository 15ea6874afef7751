# SPDX-License-Identifier: Apache-2.0
"""harness -- starts and stops real vetd daemons for the Python client's
tests, on ipc:// endpoints in a fresh temporary directory. Every daemon
started is stopped (SIGTERM, a bounded wait, then SIGKILL), also when a
test fails or the run is interrupted."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))

import vet  # noqa: E402  (after the path is set)


def _path_from_env(var: str, default: str) -> Path:
    """A path from the environment, relative to the working directory if
    it exists there, else to the repository."""
    p = Path(os.environ.get(var, default))
    if p.is_absolute() or p.exists():
        return p.resolve()
    return (REPO / p).resolve()


VETD = _path_from_env("VETD_BIN", "bin/vetd")
TESTS_DIR = _path_from_env("VET_TESTS_DIR", "tests")
CASES_FILE = TESTS_DIR / "cases" / "protocol.json"
GOOD_RULESET = TESTS_DIR / "fixtures" / "rulesets" / "good"
PROFILES_FRAGMENT = TESTS_DIR / "fixtures" / "profiles" / "profiles.cfg"
EXAMPLE_HOOK = REPO / "docs" / "examples" / "grant_hook.py"
PYTHON = "/usr/bin/python3"

# setpriv kills the daemon if the test process dies without cleaning up.
_SETPRIV = shutil.which("setpriv")
_live: set = set()


def _stop_all() -> None:
    for d in list(_live):
        d.stop()


atexit.register(_stop_all)


def install_signal_handlers() -> None:
    """SIGTERM ends the run as ^C does, through KeyboardInterrupt, which
    unittest lets through (run.py then stops what is left)."""
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)


def stop_all() -> None:
    """Stops every daemon still running."""
    _stop_all()


def make_tmpdir(parent=None) -> Path:
    """A fresh directory (under parent, or /tmp) for ipc sockets and logs:
    ipc paths must stay short (about 100 bytes)."""
    return Path(tempfile.mkdtemp(prefix="vetpy-", dir=str(parent or "/tmp")))


def make_profiles_ruleset(parent: Path) -> Path:
    """A copy of the fixture ruleset under parent with the profiles of
    tests/fixtures/profiles/profiles.cfg added to its policy.cfg."""
    dest = Path(parent) / "rules-profiles"
    shutil.copytree(GOOD_RULESET, dest)
    with open(dest / "policy.cfg", "a", encoding="utf-8") as f:
        f.write(PROFILES_FRAGMENT.read_text(encoding="utf-8"))
    return dest


class Daemon:
    """One vetd serving ruleset at ipc://DIR/NAME.sock."""

    def __init__(self, tmpdir: Path, name: str = "vetd", ruleset: Path = GOOD_RULESET,
                 extra: tuple = (), keys: dict | None = None) -> None:
        self.tmpdir = Path(tmpdir)
        self.endpoint = f"ipc://{self.tmpdir}/{name}.sock"
        self.audit = self.tmpdir / f"{name}-audit.jsonl"
        self.log = self.tmpdir / f"{name}.log"
        self.ruleset = ruleset
        self.extra = tuple(extra)
        # server_key= and key= of a client the daemon allows (CURVE).
        self.keys = dict(keys or {})
        self.proc: subprocess.Popen | None = None

    def start(self, wait_s: float = 15.0) -> "Daemon":
        """Starts vetd and returns once it answers a ping; raises (with
        its log) if it exits or does not answer within wait_s."""
        cmd = [str(VETD), "-r", str(self.ruleset), "-e", self.endpoint, "-w", "2",
               "-a", str(self.audit), *self.extra]
        # vetd refuses to serve as root unless told (the tests run as root on CI).
        if os.geteuid() == 0 and not any(a.startswith("--user") for a in self.extra):
            cmd.append("--allow-root")
        # PR_SET_PDEATHSIG fires when the thread that started the child
        # ends, so only the main thread's daemons get it.
        if _SETPRIV and threading.current_thread() is threading.main_thread():
            cmd = [_SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log)
        _live.add(self)
        end = time.monotonic() + wait_s
        with vet.Client(self.endpoint, timeout_ms=250, retries=0, **self.keys) as c:
            while True:
                if self.proc.poll() is not None:
                    self._forget()
                    raise RuntimeError(f"vetd exited with {self.proc.returncode}:\n"
                                       + self.log.read_text(errors="replace"))
                try:
                    c.ping()
                    return self
                except vet.VetUnavailable:
                    if time.monotonic() > end:
                        self.stop()
                        raise RuntimeError(f"vetd not answering within {wait_s} s")

    def _forget(self) -> None:
        _live.discard(self)

    def stop(self, sig: int = signal.SIGTERM, wait_s: float = 10.0) -> int | None:
        """Stops vetd (sig, then SIGKILL after wait_s); its exit status."""
        p = self.proc
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(wait_s)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self._forget()
        self.proc = None
        return p.returncode

    def kill(self) -> None:
        """Stops vetd at once, as a crash would: what it held is lost."""
        self.stop(signal.SIGKILL)


def keygen(path: Path) -> Path:
    """Runs `vetd keygen path`; returns path (path_secret is the secret)."""
    subprocess.run([str(VETD), "keygen", str(path)], check=True, stdout=subprocess.DEVNULL)
    return Path(path)


def audit_records(daemon: Daemon, want, wait_s: float = 10.0) -> list:
    """The records of daemon's audit log once want(records) is true (the
    daemon's writer thread writes them shortly after it answers); raises
    AssertionError with what was there if it is not within wait_s."""
    end = time.monotonic() + wait_s
    while True:
        recs = []
        if daemon.audit.exists():
            for line in daemon.audit.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    recs.append(json.loads(line))
        if want(recs):
            return recs
        if time.monotonic() > end:
            raise AssertionError(f"audit log {daemon.audit}: expected records not there "
                                 f"within {wait_s} s; last ones: {recs[-5:]!r}")
        time.sleep(0.05)
