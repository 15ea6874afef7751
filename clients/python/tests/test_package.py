# SPDX-License-Identifier: Apache-2.0
"""test_package -- the Python client as a package people adopt: its
version is the project's (vetd --version), its type hints pass Debian's
mypy --strict, and `pip install` of clients/python into a virtual
environment made with --system-site-packages (offline: Debian's
setuptools, no index) gives a `vet` that screens against a real vetd."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
import unittest

from harness import PYTHON, REPO, VETD, Daemon
from harness import make_tmpdir as _make_tmpdir

import vet

PKG = REPO / "clients" / "python"
TMP = None
DAEMON = None
# pip and mypy on this busy machine: generous, but bounded.
SLOW_S = 300


def setUpModule():
    global TMP, DAEMON
    TMP = _make_tmpdir()
    unittest.addModuleCleanup(shutil.rmtree, TMP, ignore_errors=True)
    DAEMON = Daemon(TMP, "pkg")
    unittest.addModuleCleanup(DAEMON.stop)
    DAEMON.start()


def run(cmd, **kw):
    """Runs cmd (bounded), returning the CompletedProcess; stdout and
    stderr as text."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=SLOW_S, **kw)


class Package(unittest.TestCase):

    def test_version_is_the_projects(self):
        out = run([str(VETD), "--version"])
        self.assertEqual(out.returncode, 0, out.stderr)
        first = out.stdout.splitlines()[0].split()     # "vetd 0.2.0"
        self.assertEqual(first[0], "vetd", out.stdout)
        project_version = first[1]
        self.assertEqual(vet.__version__, project_version,
                         "vet.__version__ differs from vetd --version: bump it with the project")
        with vet.Client(DAEMON.endpoint) as c:
            self.assertEqual(c.version()["vetd"], project_version)
        meta = tomllib.loads((PKG / "pyproject.toml").read_text(encoding="utf-8"))
        self.assertIn("version", meta["project"]["dynamic"])
        self.assertNotIn("version", meta["project"])
        self.assertEqual(meta["tool"]["setuptools"]["dynamic"]["version"],
                         {"attr": "vet.__version__"})
        self.assertEqual(meta["project"]["license"], {"text": "Apache-2.0"})

    def test_types_pass_mypy_strict(self):
        self.assertTrue((PKG / "vet" / "py.typed").is_file())
        mypy = shutil.which("mypy")
        self.assertIsNotNone(mypy, "mypy is not installed: run .ci/deps.sh (Debian's mypy)")
        out = run([mypy, "--strict", "--cache-dir", str(TMP / "mypy-cache"), "vet"], cwd=PKG)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("Success", out.stdout)

    def test_pip_install_into_a_venv_and_screen(self):
        # A copy: pip builds in the source directory, and the tree stays clean.
        src = TMP / "src"
        shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("tests", "__pycache__",
                                                                "build", "*.egg-info"))
        venv = TMP / "venv"
        out = run([PYTHON, "-m", "venv", "--system-site-packages", str(venv)])
        self.assertEqual(out.returncode, 0, out.stderr)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PIP_NO_CACHE_DIR"] = "1"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        py = str(venv / "bin" / "python")
        out = run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", str(src)],
                  env=env, cwd=TMP)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("Successfully installed vetd-client-" + vet.__version__, out.stdout)
        script = (
            "import asyncio, sys, vet\n"
            "from vet import Client, AsyncClient\n"
            f"with Client({DAEMON.endpoint!r}, user='venv-user') as c:\n"
            "    r = c.screen('Harbin Institute of Technology', country='CN',\n"
            "                 technologies=['ai.ml'], activity='affiliation', id='venv-1')\n"
            "async def main():\n"
            f"    async with AsyncClient({DAEMON.endpoint!r}) as a:\n"
            "        return await a.screen('University of Toronto', country='CA')\n"
            "a = asyncio.run(main())\n"
            "print(vet.__file__, vet.__version__, r.id, r.verdict, a.verdict)\n")
        out = run([py, "-c", script], env=env, cwd=TMP)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        where, version, rid, verdict, averdict = out.stdout.split()
        self.assertTrue(where.startswith(str(venv)), f"vet imported from {where}, not the venv")
        self.assertEqual((version, rid, verdict, averdict),
                         (vet.__version__, "venv-1", "prohibited", "clear"))
        site = next((venv / "lib").glob("python3*/site-packages"))
        self.assertTrue((site / "vet" / "py.typed").is_file(), "py.typed not installed")
        out = run([py, "-m", "pip", "show", "vetd-client"], env=env, cwd=TMP)
        self.assertIn("License: Apache-2.0", out.stdout)
        self.assertRegex(out.stdout, r"Requires: pyzmq")
