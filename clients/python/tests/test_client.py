# SPDX-License-Identifier: Apache-2.0
"""test_client -- the Python client against a real vetd: the shared
protocol cases (tests/cases/protocol.json), typed results, pipelined
streams in input order, errors and deadlines, Lazy Pirate retries, a
daemon restarted mid-stream, and the grant-portal example."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest

import zmq

from harness import CASES_FILE, EXAMPLE_HOOK, PYTHON, REPO, Daemon
from harness import make_tmpdir as _make_tmpdir

import vet
from vet import (Category, Client, Match, Result, Rule, VetBadRequest, VetError,
                 VetProtocolError, VetUnavailable, check_reply)

# A deadline overrun this large means a hang, not a slow machine.
HANG_S = 10.0

TMP = None
DAEMON = None

HIT = {"name": "Harbin Institute of Technology", "country": "CN",
       "technologies": ["ai.ml"], "activity": "affiliation"}
TORONTO = {"name": "University of Toronto", "country": "CA",
           "technologies": ["ai"], "activity": "research_partnership"}


def setUpModule():
    global TMP, DAEMON
    TMP = _make_tmpdir()
    unittest.addModuleCleanup(_remove_tmp)
    DAEMON = Daemon(TMP, "main")
    unittest.addModuleCleanup(DAEMON.stop)
    DAEMON.start()


def _remove_tmp():
    shutil.rmtree(TMP, ignore_errors=True)


def make_tmpdir():
    """A fresh directory under the module's, removed with it."""
    return _make_tmpdir(TMP)


def client(**kw) -> Client:
    return Client(DAEMON.endpoint, **kw)


class DaemonTest(unittest.TestCase):
    """A test with a client of the module's daemon in self.c."""

    def setUp(self):
        self.c = client()
        self.addCleanup(self.c.close)


# ---- the shared cases ---------------------------------------------------

with open(CASES_FILE, encoding="utf-8") as _f:
    CASES = json.load(_f)

EXPECT_KEYS = {"id", "verdict", "score", "rules", "entity", "method", "categories",
               "error", "message_contains", "ok", "ruleset_version", "note_contains",
               "profile"}


def check_expect(t: unittest.TestCase, reply: dict, expect: dict) -> None:
    """Checks reply against a case's expect, as protocol.json's "about"
    says; an expect key this client does not know fails the case."""
    t.assertEqual(set(expect) - EXPECT_KEYS, set(), "expect keys unknown to this test")
    if "id" in expect:
        t.assertEqual(reply.get("id"), expect["id"])
    if "error" in expect:
        t.assertIn("error", reply, reply)
        t.assertEqual(reply["error"]["code"], expect["error"])
        if "message_contains" in expect:
            t.assertIn(expect["message_contains"], reply["error"]["message"])
        return
    t.assertNotIn("error", reply, reply)
    if "verdict" in expect:
        t.assertEqual(reply["verdict"], expect["verdict"])
    if "score" in expect:
        t.assertEqual(reply["score"], expect["score"])
    if "rules" in expect:
        t.assertEqual([r["id"] for r in reply["rules"]], expect["rules"])
    matches = reply.get("partner", {}).get("matches", [])
    for k in ("entity", "method"):
        if k in expect:
            t.assertEqual(matches[0][k] if matches else None, expect[k], k)
    if "categories" in expect:
        t.assertEqual([c["code"] for c in reply["categories"]], expect["categories"])
    if "ok" in expect:
        t.assertIs(reply.get("ok"), expect["ok"])
    if "ruleset_version" in expect:
        t.assertEqual(reply["ruleset"]["version"], expect["ruleset_version"])
    if "profile" in expect:
        t.assertEqual(reply.get("profile"), expect["profile"])
    if "note_contains" in expect:
        if expect["note_contains"] is None:
            t.assertNotIn("note", reply)
        else:
            t.assertIn(expect["note_contains"], reply["note"])


def check_typed(t: unittest.TestCase, r: Result, expect: dict) -> None:
    """The same expectations read through the typed Result."""
    if "id" in expect:
        t.assertEqual(r.id, expect["id"])
    if "error" in expect:
        t.assertIsInstance(r.error, VetError)
        t.assertEqual(r.error.code, expect["error"])
        t.assertIn(expect.get("message_contains", ""), r.error.message)
        t.assertIsNone(r.verdict)
        return
    t.assertIsNone(r.error)
    if "verdict" in expect:
        t.assertEqual(r.verdict, expect["verdict"])
    if "score" in expect:
        t.assertEqual(r.score, expect["score"])
    if "rules" in expect:
        t.assertEqual([x.id for x in r.rules], expect["rules"])
    if "entity" in expect:
        t.assertEqual(r.matches[0].entity if r.matches else None, expect["entity"])
    if "method" in expect:
        t.assertEqual(r.matches[0].method if r.matches else None, expect["method"])
    if "categories" in expect:
        t.assertEqual([x.code for x in r.categories], expect["categories"])
    if "profile" in expect:
        t.assertEqual(r.profile, expect["profile"])
    if "note_contains" in expect:
        if expect["note_contains"] is None:
            t.assertIsNone(r.note)
        else:
            t.assertIn(expect["note_contains"], r.note)


def _is_screen(req: dict) -> bool:
    return req.get("op", "screen") == "screen"


class ProtocolCases(DaemonTest):
    """Every case of tests/cases/protocol.json through call/call_raw (one
    test each, added below), through screen() for screening requests, and
    all of them at once through screen_many."""

    def run_case(self, case):
        expect = case["expect"]
        if "raw" in case:
            reply = self.c.call_raw(case["raw"].encode("utf-8"))
        else:
            reply = self.c.call(case["request"])
        check_expect(self, reply, expect)
        # The typed path: errors raise the matching exception.
        if "error" in expect:
            with self.assertRaises(VetError) as cm:
                check_reply(reply)
            self.assertEqual(cm.exception.code, expect["error"])
            self.assertEqual(cm.exception.message, reply["error"]["message"])
            if expect["error"] in ("bad_request", "too_large", "unknown_op"):
                self.assertIsInstance(cm.exception, VetBadRequest)
        elif "request" in case and _is_screen(case["request"]):
            req = dict(case["request"])
            req.pop("op", None)
            check_typed(self, self.c.screen(**req), expect)

    def test_cases_file_is_not_empty(self):
        self.assertEqual(CASES["ruleset"], "tests/fixtures/rulesets/good")
        self.assertGreaterEqual(len(CASES["cases"]), 10)

    def test_all_cases_through_screen_many(self):
        items, expects = [], []
        for case in CASES["cases"]:
            if "request" in case:
                items.append(case["request"])
            else:
                try:
                    req = json.loads(case["raw"])
                except ValueError:
                    continue        # not JSON: only call_raw can send it
                items.append(req)
            expects.append(case["expect"])
        self.assertGreater(len(items), len(CASES["cases"]) // 2)
        results = list(self.c.screen_many(items, inflight=4))
        self.assertEqual(len(results), len(items))
        for req, r, expect in zip(items, results, expects):
            with self.subTest(id=req.get("id")):
                check_expect(self, r.raw, expect)
                if _is_screen(req) or "error" in expect:
                    check_typed(self, r, expect)


def _add_case_tests():
    for i, case in enumerate(CASES["cases"], 1):
        slug = re.sub(r"[^a-z0-9]+", "_", case["name"].lower()).strip("_")[:50]

        def test(self, case=case):
            self.run_case(case)
        test.__doc__ = f"protocol.json case {i}: {case['name']}"
        setattr(ProtocolCases, f"test_case_{i:02d}_{slug}", test)


_add_case_tests()


# ---- screen() and the admin ops ----------------------------------------

class Screening(DaemonTest):

    def test_typed_result(self):
        r = self.c.screen(id="t-1", **HIT)
        self.assertIsInstance(r, Result)
        self.assertEqual((r.verdict, r.score, r.id), ("prohibited", 100, "t-1"))
        self.assertIsNone(r.error)
        self.assertTrue(r.ok)
        m = r.matches[0]
        self.assertIsInstance(m, Match)
        self.assertEqual((m.entity, m.name, m.matched, m.method, m.country, m.risk),
                         ("hit", "Harbin Institute of Technology",
                          "Harbin Institute of Technology", "exact", "CN", "high"))
        self.assertEqual(m.score, 1.0)
        self.assertEqual((m.lists, m.tags), (["ca-nro"], ["seven-sons"]))
        self.assertTrue(m.sources and all(isinstance(s, str) for s in m.sources))
        self.assertTrue(all(isinstance(x, Rule) for x in r.rules))
        self.assertEqual([(x.id, x.verdict, x.score, x.entity) for x in r.rules],
                         [("strac-nro", "prohibited", 100, "hit"),
                          ("nro-named", "review", 40, "hit")])
        self.assertIn("Named Research Organization", r.rules[0].reason)
        self.assertIn("STRAC", r.rules[0].cite)
        self.assertEqual(r.categories, [Category("ai.ml", "Machine learning", True,
                                                 False, [])])
        self.assertEqual(r.ruleset.version, "fixture-1")
        self.assertRegex(r.ruleset.digest, r"^[0-9a-f]{64}$")
        self.assertEqual(r.ruleset.digest, self.c.version()["ruleset"]["digest"])
        self.assertIsInstance(r.elapsed_us, int)
        self.assertEqual(r.raw["rules"][0]["id"], "strac-nro")

    def test_clear_partner(self):
        r = self.c.screen(**TORONTO)
        self.assertEqual((r.verdict, r.score, r.matches, r.rules), ("clear", 0, [], []))
        self.assertIsNone(r.id)
        self.assertNotIn("id", r.raw)

    def test_partner_object_text_and_spotting(self):
        r = self.c.screen(partner={"name": "Beihang University"}, id=12,
                          activity="research_partnership",
                          text="machine learning for radar")
        self.assertEqual(r.id, "12")        # numbers come back as strings
        self.assertEqual(r.verdict, "review")
        self.assertEqual(r.categories[0].code, "ai.ml")
        self.assertTrue(r.categories[0].spotted)
        self.assertFalse(r.categories[0].given)
        self.assertTrue(r.categories[0].evidence)

    def test_keywords_build_the_documented_request(self):
        req = vet.build_request("X", country="CN", technologies="ai", current=False,
                                ids={"ror": "1"}, partner={"name": "Y", "type": "company"},
                                context={"funder": "NSERC"}, id="b-1")
        self.assertEqual(req, {"id": "b-1",
                               "partner": {"name": "X", "type": "company",
                                           "country": "CN", "ids": {"ror": "1"}},
                               "technologies": ["ai"], "current": False,
                               "context": {"funder": "NSERC"}})
        # A person's date of birth and nationality, a region: in partner.
        req = vet.build_request("KIM Yong Chol", type="individual", birth_date="1960-01-01",
                                nationality="KP", region="UA-43")
        self.assertEqual(req, {"partner": {"name": "KIM Yong Chol", "type": "individual",
                                           "region": "UA-43", "birth_date": "1960-01-01",
                                           "nationality": "KP"}})
        r = self.c.screen(partner={"name": "x", "ids": {"ofac": "9750"}}, activity="funding")
        self.assertEqual((r.verdict, r.matches[0].method), ("prohibited", "id"))

    def test_admin_ops(self):
        self.assertIs(self.c.ping(), True)
        v = self.c.version()
        self.assertEqual((v["protocol"], v["ruleset"]["version"]), (1, "fixture-1"))
        tax = self.c.taxonomy()
        self.assertIn("ai.ml", [c["code"] for c in tax["categories"]])
        self.assertEqual(tax["verdicts"], ["clear", "review", "prohibited"])
        s = self.c.stats()
        self.assertIsInstance(s["requests"], int)
        self.assertGreater(s["requests"], 0)
        r = self.c.reload()
        self.assertIs(r["ok"], True)
        self.assertEqual(r["previous"]["version"], "fixture-1")

    def test_call_returns_error_replies(self):
        reply = self.c.call({"id": "u-1", "op": "frobnicate"})
        self.assertEqual(reply["id"], "u-1")
        self.assertEqual(reply["error"]["code"], "unknown_op")


# ---- errors and deadlines ----------------------------------------------

class Errors(DaemonTest):

    def test_bad_request_carries_the_daemons_message(self):
        with self.assertRaises(VetBadRequest) as cm:
            self.c.screen(name=42, id="e-1")
        e = cm.exception
        self.assertEqual((e.code, e.message, str(e), e.id),
                         ("bad_request", "partner.name: expected a string",
                          "partner.name: expected a string", "e-1"))
        self.assertEqual(e.reply["error"]["code"], "bad_request")
        with self.assertRaises(VetBadRequest) as cm:
            self.c.screen("x", technologies=["quantum.sensng"])
        self.assertIn('unknown code "quantum.sensng"', cm.exception.message)
        with self.assertRaises(VetBadRequest) as cm:
            check_reply(self.c.call({"op": "shutdown", "id": "e-12"}))
        self.assertEqual((cm.exception.code, cm.exception.message),
                         ("unknown_op", 'unknown op "shutdown"'))
        # An error never closes the connection.
        self.assertTrue(self.c.ping())

    def test_unavailable_when_nobody_serves(self):
        endpoint = f"ipc://{TMP}/nobody.sock"
        with Client(endpoint, timeout_ms=300) as c:
            t0 = time.monotonic()
            with self.assertRaises(VetUnavailable) as cm:
                c.screen(**HIT)
            waited = time.monotonic() - t0
            e = cm.exception
            self.assertEqual((e.code, e.endpoint, e.waited_ms), ("timeout", endpoint, 300))
            self.assertIn(endpoint, str(e))
            self.assertIn("timed out after 300 ms", str(e))
            self.assertLess(waited, HANG_S)
            # And a stream: it gives up within the deadline too.
            t0 = time.monotonic()
            with self.assertRaises(VetUnavailable) as cm:
                list(c.screen_many([HIT] * 50, inflight=8))
            self.assertLess(time.monotonic() - t0, HANG_S)
            self.assertIn(endpoint, str(cm.exception))
            with self.assertRaises(VetUnavailable):
                c.ping()

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            Client("bogus://here")
        with self.assertRaises(ValueError):     # CURVE: both keys or neither
            Client(DAEMON.endpoint, server_key="x" * 40)
        with self.assertRaises(ValueError):
            Client(DAEMON.endpoint, timeout_ms=0)
        with self.assertRaises(ValueError):
            self.c.screen_many([], inflight=0)
        with self.assertRaises(ValueError):
            self.c.call({"partner": {"name": "x"}, "context": {"n": float("nan")}})

    def test_no_ruleset_is_unavailable(self):
        tmp = make_tmpdir()
        (tmp / "empty").mkdir()
        d = Daemon(tmp, "norules", ruleset=tmp / "empty", extra=("--allow-no-rules",))
        self.addCleanup(d.stop)
        d.start()
        with Client(d.endpoint) as c:
            self.assertTrue(c.ping())
            with self.assertRaises(VetUnavailable) as cm:
                c.screen("Harbin Institute of Technology", id="u-1")
            e = cm.exception
            self.assertEqual((e.code, e.message, e.id, e.waited_ms),
                             ("unavailable",
                              "no ruleset is loaded; fix the ruleset and reload", "u-1",
                              None))
            self.assertIsNone(c.version()["ruleset"])

    def test_too_large(self):
        tmp = make_tmpdir()
        cfg = tmp / "small.cfg"
        cfg.write_text("limits = { max_request_bytes = 256; };\n")
        d = Daemon(tmp, "small", extra=("-c", str(cfg)))
        self.addCleanup(d.stop)
        d.start()
        big = "quantum sensing " * 40
        with Client(d.endpoint) as c:
            with self.assertRaises(VetBadRequest) as cm:
                c.screen("Harbin Institute of Technology", text=big)
            self.assertEqual(cm.exception.code, "too_large")
            self.assertRegex(cm.exception.message, r"^request is \d+ bytes, limit is 256$")
            # In a stream the reply has no id: it is matched by its size.
            items = [{"name": "Beihang University", "text": big if i % 3 == 0 else "x",
                      "id": f"s{i}"} for i in range(30)]
            results = list(c.screen_many(items, inflight=8))
            self.assertEqual(len(results), 30)
            for i, r in enumerate(results):
                if i % 3 == 0:
                    self.assertEqual(r.error.code, "too_large")
                    self.assertEqual(r.id, f"s{i}")   # put back by the stream
                else:
                    self.assertEqual((r.error, r.id, r.verdict), (None, f"s{i}", "review"))


# ---- Lazy Pirate against a fake daemon ---------------------------------

class FakeDaemon:
    """A ROUTER in a thread that answers requests as `answer` says:
    answer(n, body) -> list of replies (frame lists after the delimiter)
    for the n-th request (from 0). It records (identity, body) seen."""

    def __init__(self, endpoint, answer):
        self.endpoint = endpoint
        self.answer = answer
        self.seen = []
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            if not self.sock.poll(50, zmq.POLLIN):
                continue
            ident, *frames = self.sock.recv_multipart()
            body = frames[-1]
            n = len(self.seen)
            self.seen.append((ident, body))
            for reply in self.answer(n, body):
                self.sock.send_multipart([ident, *reply])

    def close(self):
        self.stopping.set()
        self.thread.join(HANG_S)
        self.sock.close()
        self.ctx.term()


def _ok_reply(body):
    req = json.loads(body)
    reply = {"ok": True}
    if "id" in req:
        reply = {"id": str(req["id"]), **reply}
    return [b"", json.dumps(reply).encode()]


class LazyPirate(unittest.TestCase):

    def fake(self, answer):
        tmp = make_tmpdir()
        f = FakeDaemon(f"ipc://{tmp}/fake.sock", answer)
        self.addCleanup(f.close)
        return f

    def test_retry_on_a_fresh_socket(self):
        f = self.fake(lambda n, body: [] if n == 0 else [_ok_reply(body)])
        with Client(f.endpoint, timeout_ms=1000, retries=1) as c:
            self.assertTrue(c.ping())
        self.assertEqual(len(f.seen), 2)
        self.assertEqual(f.seen[0][1], f.seen[1][1])
        self.assertNotEqual(f.seen[0][0], f.seen[1][0], "retry reused the socket")

    def test_no_retry_gives_up_after_one_attempt(self):
        f = self.fake(lambda n, body: [])
        with Client(f.endpoint, timeout_ms=300, retries=0) as c:
            with self.assertRaises(VetUnavailable) as cm:
                c.ping()
        self.assertEqual(len(f.seen), 1)
        self.assertNotIn("attempts", str(cm.exception))

    def test_reload_is_not_retried(self):
        f = self.fake(lambda n, body: [])
        with Client(f.endpoint, timeout_ms=300, retries=3) as c:
            with self.assertRaises(VetUnavailable):
                c.reload()
        self.assertEqual([json.loads(b)["op"] for _, b in f.seen], ["reload"])

    def test_malformed_replies(self):
        replies = [[b"not json"], [b"", b"[1]"], [b"", b"{}", b"{}"], [b"", b"{nope"]]
        f = self.fake(lambda n, body: [replies[n]] if n < len(replies) else [])
        with Client(f.endpoint, timeout_ms=1000) as c:
            for _ in replies:
                with self.assertRaises(VetProtocolError):
                    c.call({"op": "ping"})

    def test_stream_yields_each_item_once_despite_duplicates(self):
        # Every request answered twice, and the first 10 not at all until
        # they are sent again: each item still yields exactly once.
        sent = {}

        def answer(n, body):
            key = json.loads(body)["id"]
            sent[key] = sent.get(key, 0) + 1
            if n < 10:
                return []
            return [_ok_reply(body), _ok_reply(body)]
        f = self.fake(answer)
        items = [{"op": "ping", "id": i} for i in range(100)]
        with Client(f.endpoint, timeout_ms=2000, retries=3) as c:
            results = list(c.screen_many(items, inflight=10))
        self.assertEqual([r.id for r in results], [str(i) for i in range(100)])
        self.assertTrue(all(r.raw["ok"] is True for r in results))
        self.assertTrue(any(v > 1 for v in sent.values()), "nothing was re-sent")


# ---- screen_many ---------------------------------------------------------

class Streams(DaemonTest):

    def test_two_thousand_in_input_order(self):
        n = 2000
        items = [dict(HIT if i % 2 else TORONTO, id=f"o-{i}") for i in range(n)]
        for inflight in (64, 1000):
            results = list(self.c.screen_many(iter(items), inflight=inflight))
            self.assertEqual(len(results), n)
            self.assertEqual([r.id for r in results], [f"o-{i}" for i in range(n)])
            self.assertEqual([r.verdict for r in results],
                             ["prohibited" if i % 2 else "clear" for i in range(n)])
        self.assertEqual(self.c._pipes, set(), "stream socket left open")

    def test_one_at_a_time(self):
        results = list(self.c.screen_many([HIT, TORONTO, HIT], inflight=1))
        self.assertEqual([r.verdict for r in results], ["prohibited", "clear", "prohibited"])

    def test_errors_do_not_stop_the_stream(self):
        items = [
            "Harbin Institute of Technology",                    # a name
            {"name": "x", "technologies": ["quantun"], "id": "bad"},  # rejected
            {"op": "ping", "id": "p"},                           # a full request
            42,                                                  # not an item
            {"name": "x", "context": {"v": float("inf")}},       # not JSON
            {"name": "x", "id": True},                           # bad id
            dict(TORONTO, id=7),
            {"partner": {"name": "x"}, "technology": ["ai"], "id": "typo"},
        ]
        r = list(self.c.screen_many(items))
        self.assertEqual(len(r), len(items))
        self.assertEqual((r[0].verdict, r[0].matches[0].entity), ("review", "hit"))
        self.assertIsInstance(r[1].error, VetBadRequest)
        self.assertEqual(r[1].id, "bad")
        self.assertIn('unknown code "quantun"', r[1].error.message)
        self.assertEqual(r[2].raw, {"id": "p", "ok": True})
        for i in (3, 4, 5):
            self.assertIsInstance(r[i].error, VetBadRequest)
            self.assertEqual(r[i].error.code, "bad_request")
        self.assertEqual((r[6].verdict, r[6].id), ("clear", "7"))
        self.assertEqual(r[7].error.message,
                         'unknown field "technology" (did you mean "technologies"?)')

    def test_number_ids_come_back_as_the_daemon_writes_them(self):
        ids = [12, -3, 1.5, 1000.0, 2**40, 0.1]
        direct = [self.c.call({"op": "ping", "id": i})["id"] for i in ids]
        streamed = [r.id for r in self.c.screen_many({"op": "ping", "id": i} for i in ids)]
        self.assertEqual(streamed, direct)

    def test_leaving_a_stream_early_closes_its_socket(self):
        gen = self.c.screen_many([HIT] * 100, inflight=10)
        self.assertEqual(next(gen).verdict, "prohibited")
        self.assertEqual(len(self.c._pipes), 1)
        gen.close()
        self.assertEqual(self.c._pipes, set())
        self.assertTrue(self.c.ping())


class Restart(unittest.TestCase):
    """The daemon dies (SIGKILL) in the middle of a stream and comes back:
    every item is answered, exactly once, in order."""

    def test_daemon_restarted_mid_stream(self):
        tmp = make_tmpdir()
        d = Daemon(tmp, "restart")
        self.addCleanup(d.stop)
        d.start()
        n, at = 3000, 1000
        items = [dict(HIT if i % 3 == 0 else TORONTO, id=f"r-{i}") for i in range(n)]
        restarter = None
        results = []

        def crash_and_restart():
            # Requests sent to the stopped daemon are lost with it.
            time.sleep(0.3)
            d.kill()
            time.sleep(0.3)
            d.start()

        with Client(d.endpoint, timeout_ms=3000, retries=5) as c:
            for i, r in enumerate(c.screen_many(items, inflight=128)):
                results.append(r)
                if i == at:
                    d.proc.send_signal(signal.SIGSTOP)
                    restarter = threading.Thread(target=crash_and_restart)
                    restarter.start()
            resent = c.resent
        restarter.join(HANG_S * 3)
        self.assertFalse(restarter.is_alive())
        self.assertEqual(len(results), n)
        self.assertEqual([r.error for r in results], [None] * n)
        self.assertEqual([r.id for r in results], [f"r-{i}" for i in range(n)])
        self.assertEqual([r.verdict for r in results],
                         ["prohibited" if i % 3 == 0 else "clear" for i in range(n)])
        self.assertGreater(resent, 0, "nothing was lost: the test tested nothing")
        # The new daemon answered what the old one had not.
        with Client(d.endpoint) as c:
            self.assertGreater(c.stats()["by_op"]["screen"], 0)


# ---- the client's life ---------------------------------------------------

class Lifecycle(unittest.TestCase):

    def test_context_manager_closes(self):
        with client() as c:
            self.assertTrue(c.ping())
            gen = c.screen_many([HIT] * 20, inflight=4)
            next(gen)
            self.assertFalse(c.closed)
        self.assertTrue(c.closed)
        self.assertTrue(c._ctx.closed)
        with self.assertRaises(VetError) as cm:
            c.ping()
        self.assertEqual(cm.exception.code, "closed")
        with self.assertRaises(VetError):
            next(gen)
        c.close()   # twice is fine

    def test_shared_context_is_not_terminated(self):
        ctx = zmq.Context()
        self.addCleanup(ctx.term)
        with Client(DAEMON.endpoint, context=ctx) as c:
            self.assertTrue(c.ping())
        self.assertFalse(ctx.closed)


# ---- the grant-portal example (docs/examples/grant_hook.py) -------------

class GrantHookExample(unittest.TestCase):

    def run_hook(self, application, endpoint=None):
        env = dict(os.environ, PYTHONPATH=str(REPO / "clients" / "python"),
                   VET_ENDPOINT=endpoint or DAEMON.endpoint, VETD_TIMEOUT_MS="1000")
        return subprocess.run([PYTHON, str(EXAMPLE_HOOK)], input=json.dumps(application),
                              capture_output=True, text=True, env=env, timeout=60)

    def test_prohibited_partner_blocks(self):
        p = self.run_hook({
            "id": "grant-4711", "funder": "NSERC", "technologies": ["quantum.sensing"],
            "text": "Quantum sensing for navigation",
            "partners": [{"name": "University of Toronto", "country": "CA"},
                         {"name": "Harbin Institute of Technology", "country": "CN",
                          "activity": "affiliation"}]})
        self.assertEqual(p.returncode, 20, p.stderr)
        lines = p.stdout.splitlines()
        self.assertTrue(lines[0].startswith("clear"), lines)
        self.assertTrue(lines[1].startswith("prohibited"), lines)
        self.assertIn("Harbin Institute of Technology", lines[1])
        self.assertEqual(lines[-1], "grant-4711: blocked")

    def test_clear_application_submits(self):
        p = self.run_hook({"id": "grant-1", "technologies": ["ai"],
                           "partners": [{"name": "University of Toronto", "country": "CA"}]})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[-1], "grant-1: submit")

    def test_rejected_and_unavailable(self):
        p = self.run_hook({"id": "g", "technologies": ["quantun"],
                           "partners": [{"name": "x"}]})
        self.assertEqual(p.returncode, 65)
        self.assertIn('unknown code "quantun"', p.stderr)
        p = self.run_hook({"id": "g", "partners": [{"name": "x"}]},
                          endpoint=f"ipc://{TMP}/nobody-hook.sock")
        self.assertEqual(p.returncode, 69)
        self.assertIn("vetd not answering at", p.stderr)


if __name__ == "__main__":
    unittest.main()
