# SPDX-License-Identifier: Apache-2.0
"""test_ids -- the caller's record ids and user reach the daemon: each
screen_many request goes under the item's own id (read back from a real
vetd's audit log), reused ids are answered right, replies out of order
are matched right (a fake daemon answering in reverse, which also checks
that no id is ever outstanding twice on one socket), and user= becomes
context.user in the audit record."""

from __future__ import annotations

import json
import shutil
import threading
import unittest

import zmq

from harness import Daemon, audit_records
from harness import make_tmpdir as _make_tmpdir

from vet import Client

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
    DAEMON = Daemon(TMP, "ids")
    unittest.addModuleCleanup(DAEMON.stop)
    DAEMON.start()


def screens(recs):
    """The audit records of screening requests, in the log's order."""
    return [r for r in recs if isinstance(r.get("request"), dict)
            and r["request"].get("op", "screen") == "screen"]


def user_of(rec):
    """The user an audit record names: context.user of the request as the
    daemon read it, and the record's own "user" if the daemon writes one
    (the two must agree)."""
    ctx = rec["request"].get("context") or {}
    if "user" in rec:
        assert rec["user"] == ctx.get("user"), rec
    return ctx.get("user")


class CallerIds(unittest.TestCase):

    def setUp(self):
        self.c = Client(DAEMON.endpoint, timeout_ms=5000)
        self.addCleanup(self.c.close)

    def test_caller_ids_and_user_reach_the_audit_log(self):
        n = 300
        items = [dict(HIT if i % 2 else TORONTO, id=f"rec-{i}") for i in range(n)]
        items += [dict(HIT), "University of Toronto", dict(TORONTO)]   # no id
        results = list(self.c.screen_many(items, inflight=64, user="alice"))
        self.assertEqual([r.id for r in results[:n]], [f"rec-{i}" for i in range(n)])
        self.assertEqual([r.id for r in results[n:]], [None] * 3)
        want = {f"rec-{i}": "prohibited" if i % 2 else "clear" for i in range(n)}
        self.assertEqual([r.verdict for r in results[:n]], list(want.values()))

        def have_all(recs):
            return len([r for r in screens(recs) if user_of(r) == "alice"]) >= n + 3
        recs = [r for r in screens(audit_records(DAEMON, have_all)) if user_of(r) == "alice"]
        by_id = {r["id"]: r for r in recs}
        for rid, verdict in want.items():
            self.assertIn(rid, by_id, "the caller's id is not in the audit log")
            self.assertEqual(by_id[rid]["request"]["id"], rid)
            self.assertEqual(by_id[rid]["verdict"], verdict)
        # Each was sent once: no invented id stands in for a caller's.
        self.assertEqual(len([r for r in recs if r["id"] in want]), n)
        invented = [r["id"] for r in recs if r["id"] not in want]
        self.assertEqual(len(invented), 3)
        self.assertEqual(len(set(invented)), 3, invented)
        self.assertTrue(all(i.startswith("~py") for i in invented), invented)

    def test_reused_ids_wait_their_turn(self):
        # One id for six records, and 12 and "12", which the daemon
        # echoes alike: each result is its own item's (the verdicts
        # alternate), and the audit log has them in input order.
        items = [dict(HIT if i % 2 else TORONTO, id="dup") for i in range(6)]
        items += [dict(HIT, id=12), dict(TORONTO, id="12"), dict(HIT, id=12.0)]
        results = list(self.c.screen_many(items, inflight=64, user="dup-user"))
        self.assertEqual([r.verdict for r in results],
                         ["clear", "prohibited"] * 3 + ["prohibited", "clear", "prohibited"])
        self.assertEqual([r.id for r in results], ["dup"] * 6 + ["12"] * 3)

        def have(recs):
            return len([r for r in screens(recs) if user_of(r) == "dup-user"]) >= 9
        recs = [r for r in screens(audit_records(DAEMON, have)) if user_of(r) == "dup-user"]
        self.assertEqual([r["verdict"] for r in recs if r["id"] == "dup"],
                         ["clear", "prohibited"] * 3)
        self.assertEqual([r["verdict"] for r in recs if r["id"] == "12"],
                         ["prohibited", "clear", "prohibited"])

    def test_user_of_client_call_and_request(self):
        with Client(DAEMON.endpoint, user="bob") as c:
            c.screen(**TORONTO, id="u-1")
            c.screen(**TORONTO, id="u-2", user="carol")
            c.screen(**TORONTO, id="u-3", context={"user": "dave", "grant": "g-9"})
            c.screen(**TORONTO, id="u-4", context={"grant": "g-10"})

        def have(recs):
            return {"u-1", "u-2", "u-3", "u-4"} <= {r["id"] for r in screens(recs)}
        by_id = {r["id"]: r for r in screens(audit_records(DAEMON, have))}
        self.assertEqual(user_of(by_id["u-1"]), "bob")
        self.assertEqual(user_of(by_id["u-2"]), "carol")
        self.assertEqual(user_of(by_id["u-3"]), "dave")
        self.assertEqual(by_id["u-4"]["request"]["context"], {"grant": "g-10", "user": "bob"})

    def test_bad_user(self):
        with self.assertRaises(TypeError):
            Client(DAEMON.endpoint, user=7)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            list(self.c.screen_many([TORONTO], user=""))


class ReverseFake:
    """A ROUTER in a thread that answers what it has received, newest
    first, whenever 20 ms pass with nothing new; the answer to the
    request carrying partner name "nK" has score K. It records a
    violation when a request arrives under an id that is already
    outstanding on the same connection, and ignores the first attempt of
    every request whose name is in `drop_first`."""

    def __init__(self, endpoint, drop_first=frozenset()):
        self.endpoint = endpoint
        self.drop_first = set(drop_first)
        self.seen_names = {}
        self.violations = []
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        queue = []                  # (ident, id, name), oldest first
        outstanding = set()         # (ident, id)
        while not self.stopping.is_set():
            if self.sock.poll(20, zmq.POLLIN):
                ident, _, body = self.sock.recv_multipart()
                req = json.loads(body)
                key = (ident, str(req["id"]))
                if key in outstanding:
                    self.violations.append(key)
                name = req["partner"]["name"]
                self.seen_names[name] = self.seen_names.get(name, 0) + 1
                if name in self.drop_first and self.seen_names[name] == 1:
                    continue
                outstanding.add(key)
                queue.append((ident, str(req["id"]), name))
                continue
            for ident, rid, name in reversed(queue):
                outstanding.discard((ident, rid))
                reply = {"id": rid, "verdict": "clear", "score": int(name[1:])}
                self.sock.send_multipart([ident, b"", json.dumps(reply).encode()])
            queue.clear()

    def close(self):
        self.stopping.set()
        self.thread.join(10)
        self.sock.close()
        self.ctx.term()


class OutOfOrder(unittest.TestCase):

    def fake(self, **kw):
        tmp = _make_tmpdir(TMP)
        f = ReverseFake(f"ipc://{tmp}/fake.sock", **kw)
        self.addCleanup(f.close)
        return f

    def items(self, n):
        ids = ["a", "b", "c", 1, "1", None]   # 1 and "1" echo alike
        return [{"partner": {"name": f"n{i}"}, **({} if ids[i % 6] is None else {"id": ids[i % 6]})}
                for i in range(n)]

    def test_replies_in_reverse_with_reused_ids(self):
        f = self.fake()
        n = 120
        with Client(f.endpoint, timeout_ms=5000) as c:
            results = list(c.screen_many(self.items(n), inflight=32))
        self.assertEqual([r.score for r in results], list(range(n)))
        self.assertEqual(f.violations, [])

    def test_retries_answer_each_item_once(self):
        # Every seventh request's first attempt is lost: the stream starts
        # over on a fresh socket; what the old one was owed is not taken
        # for another item that reuses the id.
        n = 120
        f = self.fake(drop_first={f"n{i}" for i in range(0, n, 7)})
        with Client(f.endpoint, timeout_ms=3000, retries=3) as c:
            results = list(c.screen_many(self.items(n), inflight=32))
            self.assertGreater(c.resent, 0)
        self.assertEqual([r.score for r in results], list(range(n)))
        self.assertEqual(f.violations, [])
