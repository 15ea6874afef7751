# SPDX-License-Identifier: Apache-2.0
"""test_aio -- vet.AsyncClient (zmq.asyncio) against a real vetd: screen,
the admin ops, concurrent calls on one client, screen_many over an async
generator with the caller's ids and user in the audit log, errors, a
deadline on an endpoint nobody serves, and close()."""

from __future__ import annotations

import asyncio
import shutil
import time
import unittest

from harness import Daemon, audit_records
from harness import make_tmpdir as _make_tmpdir

from vet import AsyncClient, Profiles, VetBadRequest, VetError, VetUnavailable

TMP = None
DAEMON = None

HIT = {"name": "Harbin Institute of Technology", "country": "CN",
       "technologies": ["ai.ml"], "activity": "affiliation"}
TORONTO = {"name": "University of Toronto", "country": "CA",
           "technologies": ["ai"], "activity": "research_partnership"}


def setUpModule():
    global TMP, DAEMON
    TMP = _make_tmpdir()
    unittest.addModuleCleanup(shutil.rmtree, TMP, ignore_errors=True)
    DAEMON = Daemon(TMP, "aio")
    unittest.addModuleCleanup(DAEMON.stop)
    DAEMON.start()


class Async(unittest.IsolatedAsyncioTestCase):

    async def asyncSetUp(self):
        self.c = AsyncClient(DAEMON.endpoint, timeout_ms=5000)

    async def asyncTearDown(self):
        self.c.close()

    async def test_screen_and_admin_ops(self):
        r = await self.c.screen(**HIT, id="a-1")
        self.assertEqual((r.verdict, r.id, r.matches[0].entity), ("prohibited", "a-1", "hit"))
        self.assertTrue(await self.c.ping())
        self.assertIn("vetd", await self.c.version())
        self.assertIn("by_op", await self.c.stats())
        self.assertIsInstance(await self.c.profiles(), Profiles)
        self.assertIn("categories", await self.c.taxonomy())
        self.assertEqual((await self.c.call({"op": "ping", "id": 5})), {"id": "5", "ok": True})

    async def test_concurrent_calls_each_get_their_reply(self):
        async def one(i):
            return await self.c.screen(**(HIT if i % 2 else TORONTO), id=f"cc-{i}")
        results = await asyncio.gather(*(one(i) for i in range(60)))
        self.assertEqual([r.id for r in results], [f"cc-{i}" for i in range(60)])
        self.assertEqual([r.verdict for r in results],
                         ["prohibited" if i % 2 else "clear" for i in range(60)])

    async def test_screen_many_async_source_ids_and_user(self):
        async def rows():
            for i in range(200):
                await asyncio.sleep(0)
                yield dict(HIT if i % 3 == 0 else TORONTO, id=f"as-{i}")
            yield {"name": "x", "technologies": ["quantun"], "id": "as-bad"}
            yield dict(TORONTO, id="as-0")      # an id reused: waits its turn
        got = [r async for r in self.c.screen_many(rows(), inflight=32, user="erin")]
        self.assertEqual([r.id for r in got], [f"as-{i}" for i in range(200)] + ["as-bad", "as-0"])
        self.assertEqual([r.verdict for r in got[:200]],
                         ["prohibited" if i % 3 == 0 else "clear" for i in range(200)])
        self.assertIsInstance(got[200].error, VetBadRequest)
        self.assertEqual(got[201].verdict, "clear")

        def have(recs):
            return len([r for r in recs if r.get("id", "") and str(r["id"]).startswith("as-")
                        and "request" in r]) >= 201
        recs = [r for r in audit_records(DAEMON, have)
                if str(r.get("id")).startswith("as-") and "request" in r]
        self.assertEqual({r["request"]["context"]["user"] for r in recs}, {"erin"})
        self.assertEqual([r["verdict"] for r in recs if r["id"] == "as-0"],
                         ["prohibited", "clear"])

    async def test_bad_request_and_closed(self):
        with self.assertRaises(VetBadRequest) as cm:
            await self.c.screen("x", technologies=["quantun"])
        self.assertIn('unknown code "quantun"', cm.exception.message)
        c = AsyncClient(DAEMON.endpoint)
        c.close()
        with self.assertRaises(VetError) as cm2:
            await c.ping()
        self.assertEqual(cm2.exception.code, "closed")

    async def test_nobody_serving_times_out(self):
        tmp = _make_tmpdir(TMP)
        async with AsyncClient(f"ipc://{tmp}/nobody.sock", timeout_ms=400, retries=1) as c:
            t0 = time.monotonic()
            with self.assertRaises(VetUnavailable) as cm:
                await c.screen("x")
            waited = time.monotonic() - t0
            self.assertIn("(2 attempts)", str(cm.exception))
            self.assertLess(waited, 3.0)
            with self.assertRaises(VetUnavailable):
                _ = [r async for r in c.screen_many(["x"], timeout_ms=300, retries=0)]
