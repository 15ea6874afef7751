# SPDX-License-Identifier: Apache-2.0
"""test_curve -- the Python clients over CURVE against a real vetd that
requires it (docs/SECURITY.md): keys as certificate files and as Z85
text, sync and asyncio; a client without keys, or with a key the daemon
does not allow, gets no answer (VetUnavailable); a screening key is
refused an admin op with "forbidden"; the audit record names the key."""

from __future__ import annotations

import asyncio
import shutil
import unittest

from harness import Daemon, audit_records, keygen
from harness import make_tmpdir as _make_tmpdir

from vet import AsyncClient, Client, VetError, VetUnavailable

TMP = None
DAEMON = None
KEYS = {}

HIT = {"name": "Harbin Institute of Technology", "country": "CN",
       "technologies": ["ai.ml"], "activity": "affiliation"}


def setUpModule():
    global TMP, DAEMON
    TMP = _make_tmpdir()
    unittest.addModuleCleanup(shutil.rmtree, TMP, ignore_errors=True)
    keys, clients, admins = TMP / "keys", TMP / "clients", TMP / "admins"
    for d in (keys, clients, admins):
        d.mkdir()
    for name in ("server", "carol", "ops", "mallory"):
        KEYS[name] = keygen(keys / name)
    shutil.copy(KEYS["carol"], clients)
    shutil.copy(KEYS["ops"], admins)
    DAEMON = Daemon(TMP, "curve", extra=("--curve-secret", f"{KEYS['server']}_secret",
                                         "--curve-clients", str(clients),
                                         "--curve-admins", str(admins)),
                    keys={"server_key": KEYS["server"], "key": f"{KEYS['ops']}_secret"})
    unittest.addModuleCleanup(DAEMON.stop)
    DAEMON.start()


def z85_of(path, field):
    """The Z85 text of field in a certificate file."""
    for line in path.read_text().splitlines():
        if line.strip().startswith(field):
            return line.split('"')[1]
    raise AssertionError(f"{path} has no {field}")


class Curve(unittest.TestCase):

    def client(self, key, **kw):
        return Client(DAEMON.endpoint, server_key=KEYS["server"], key=key, **kw)

    def test_allowed_key_screens(self):
        with self.client(f"{KEYS['carol']}_secret", timeout_ms=5000) as c:
            r = c.screen(**HIT, id="py-curve-1")
            self.assertEqual((r.verdict, r.id), ("prohibited", "py-curve-1"))
        recs = audit_records(DAEMON, lambda rs: any(r.get("id") == "py-curve-1" for r in rs))
        rec = next(r for r in recs if r.get("id") == "py-curve-1")
        self.assertTrue(rec["peer"].startswith("carol@"), rec["peer"])

    def test_keys_as_z85_text(self):
        server = z85_of(KEYS["server"], "public-key")
        secret = z85_of(KEYS["carol"].with_name("carol_secret"), "secret-key")
        with Client(DAEMON.endpoint, server_key=server, key=secret.encode()) as c:
            self.assertTrue(c.ping())

    def test_plain_and_unknown_keys_get_no_answer(self):
        with Client(DAEMON.endpoint, timeout_ms=600, retries=0) as c:
            with self.assertRaises(VetUnavailable):
                c.ping()
        with self.client(f"{KEYS['mallory']}_secret", timeout_ms=600, retries=0) as c:
            with self.assertRaises(VetUnavailable):
                c.ping()

    def test_screening_key_forbidden_admin_op(self):
        with self.client(f"{KEYS['carol']}_secret") as c:
            with self.assertRaises(VetError) as cm:
                c.stats()
            self.assertEqual(cm.exception.code, "forbidden")
        with self.client(f"{KEYS['ops']}_secret") as c:
            self.assertIn("uptime_s", c.stats())

    def test_bad_keys_rejected_at_once(self):
        with self.assertRaises(ValueError):
            Client(DAEMON.endpoint, key=f"{KEYS['carol']}_secret")   # no server key
        with self.assertRaises(ValueError):   # a public certificate has no secret key
            self.client(KEYS["carol"])
        with self.assertRaises(OSError):
            self.client(TMP / "keys" / "nobody_secret")

    def test_async_client(self):
        async def run():
            async with AsyncClient(DAEMON.endpoint, server_key=KEYS["server"],
                                   key=f"{KEYS['carol']}_secret", timeout_ms=5000) as c:
                r = await c.screen(**HIT)
                self.assertEqual(r.verdict, "prohibited")
            async with AsyncClient(DAEMON.endpoint, timeout_ms=600, retries=0) as c:
                with self.assertRaises(VetUnavailable):
                    await c.ping()
        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
