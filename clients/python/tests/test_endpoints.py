# SPDX-License-Identifier: Apache-2.0
"""test_endpoints -- VET_ENDPOINT and several endpoints through the
Python clients and two real vetd: the variable read when no endpoint is
given, a list (or comma-separated string) spreading requests over both
daemons, and failing over when one is killed, for Client and AsyncClient
(docs/DEPLOY.md)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import unittest
from unittest import mock

from harness import Daemon, audit_records
from harness import make_tmpdir as _make_tmpdir

from vet import AsyncClient, Client
from vet.client import DEFAULT_ENDPOINT, resolve_endpoints

HIT = {"name": "Harbin Institute of Technology", "country": "CN"}


def screens(recs: list) -> int:
    return sum(1 for r in recs if "verdict" in r)


class ResolveTest(unittest.TestCase):

    def test_resolve(self):
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("VET_ENDPOINT", None)
            self.assertEqual(resolve_endpoints(None), [DEFAULT_ENDPOINT])
            os.environ["VET_ENDPOINT"] = "ipc:///tmp/a, ipc:///tmp/b,"
            self.assertEqual(resolve_endpoints(None), ["ipc:///tmp/a", "ipc:///tmp/b"])
            os.environ["VET_ENDPOINT"] = ""
            self.assertEqual(resolve_endpoints(None), [DEFAULT_ENDPOINT])
        self.assertEqual(resolve_endpoints(["tcp://h:1", "tcp://h:2"]), ["tcp://h:1", "tcp://h:2"])
        for bad in ("", " , ", [], [""], [1]):
            with self.assertRaises(ValueError):
                resolve_endpoints(bad)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            Client("tcp://127.0.0.1:1,bogus://x")


class TwoDaemonsTest(unittest.TestCase):

    def setUp(self):
        self.tmp = _make_tmpdir()
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.a = Daemon(self.tmp, "a").start()
        self.addCleanup(self.a.stop)
        self.b = Daemon(self.tmp, "b").start()
        self.addCleanup(self.b.stop)
        self.both = [self.a.endpoint, self.b.endpoint]

    def test_env_list_spreads(self):
        with mock.patch.dict(os.environ, {"VET_ENDPOINT": ",".join(self.both)}):
            c = Client(timeout_ms=5000)
        with c:
            self.assertEqual(c.endpoints, self.both)
            for i in range(30):
                self.assertIsNotNone(c.screen(**HIT, id=f"s-{i}").verdict)
            results = list(c.screen_many([HIT] * 100, inflight=16))
            self.assertEqual(len(results), 100)
        # Each daemon screened some, and the two together all 130.
        total = 0
        for _ in range(200):
            a = screens(audit_records(self.a, lambda _: True))
            b = screens(audit_records(self.b, lambda _: True))
            total = a + b
            if total >= 130:
                break
            time.sleep(0.05)
        self.assertEqual(total, 130)
        self.assertGreater(a, 0)
        self.assertGreater(b, 0)

    def test_failover_killed(self):
        with Client(self.both, timeout_ms=5000) as c:
            for i in range(6):
                c.screen(**HIT, id=f"before-{i}")
            self.a.kill()
            for i in range(20):
                self.assertIsNotNone(c.screen(**HIT, id=f"after-{i}").verdict)
            results = list(c.screen_many([HIT] * 200, inflight=32))
            self.assertEqual(len(results), 200)
            self.assertTrue(all(r.verdict is not None for r in results))
        audit_records(self.b, lambda r: screens(r) >= 220)

    def test_async_failover_killed(self):
        async def run() -> int:
            async with AsyncClient(",".join(self.both), timeout_ms=5000) as c:
                await c.screen(**HIT, id="warm")
                self.a.kill()
                rs = await asyncio.gather(*(c.screen(**HIT, id=f"x-{i}") for i in range(20)))
                return sum(1 for r in rs if r.verdict is not None)
        self.assertEqual(asyncio.run(run()), 20)


if __name__ == "__main__":
    unittest.main()
