# SPDX-License-Identifier: Apache-2.0
"""test_profiles -- jurisdiction profiles through the Python client and a
real vetd serving the fixture ruleset with the profiles of
tests/fixtures/profiles/profiles.cfg: screen(profile=...), Result.profile,
Client.profiles(), screen_many(profile=...) and an unknown profile."""

from __future__ import annotations

import shutil
import unittest

from harness import Daemon, make_profiles_ruleset
from harness import make_tmpdir as _make_tmpdir

import vet
from vet import Client, Profile, Profiles, VetBadRequest

TMP = None
DAEMON = None

HIT = {"name": "Harbin Institute of Technology", "country": "CN",
       "technologies": ["ai.ml"], "activity": "affiliation"}
ALITE = {"name": "Beijing Alite Technologies Co., Ltd.", "country": "CN"}


def setUpModule():
    global TMP, DAEMON
    TMP = _make_tmpdir()
    unittest.addModuleCleanup(shutil.rmtree, TMP, ignore_errors=True)
    DAEMON = Daemon(TMP, "profiles", ruleset=make_profiles_ruleset(TMP))
    unittest.addModuleCleanup(DAEMON.stop)
    DAEMON.start()


class ProfileTest(unittest.TestCase):

    def setUp(self):
        self.c = Client(DAEMON.endpoint, timeout_ms=5000)
        self.addCleanup(self.c.close)

    def test_same_partner_two_profiles_two_verdicts(self):
        tri = self.c.screen(**HIT, profile="ca-tri-agency")
        sanctions = self.c.screen(**HIT, profile="sanctions")
        self.assertEqual((tri.verdict, tri.profile), ("prohibited", "ca-tri-agency"))
        self.assertEqual([r.id for r in tri.rules], ["strac-nro", "nro-named"])
        self.assertEqual((sanctions.verdict, sanctions.profile), ("clear", "sanctions"))
        self.assertEqual(sanctions.rules, [])
        # The match is still reported, and a note says no rule acted on it.
        self.assertEqual(sanctions.matches[0].entity, "hit")
        self.assertIsNotNone(sanctions.note)
        advisory = self.c.screen(**HIT, profile="advisory")
        self.assertEqual((advisory.verdict, advisory.score), ("review", 40))
        self.assertEqual(advisory.raw["profile"], "advisory")

    def test_without_a_profile_the_default_judges(self):
        r = self.c.screen(**HIT)
        self.assertEqual((r.verdict, r.profile), ("prohibited", "all"))
        self.assertEqual(self.c.screen(**HIT, profile=None).profile, "all")

    def test_sanctions_profile_still_prohibits_a_sanctioned_partner(self):
        r = self.c.screen(**ALITE, profile="sanctions")
        self.assertEqual((r.verdict, [x.id for x in r.rules]), ("prohibited", ["sdn-block"]))

    def test_unknown_profile_is_a_bad_request(self):
        with self.assertRaises(VetBadRequest) as cm:
            self.c.screen(**HIT, profile="sanction", id="u-1")
        e = cm.exception
        self.assertEqual(e.code, "bad_request")
        self.assertEqual(e.id, "u-1")
        self.assertIn('profile: unknown profile "sanction"', e.message)
        self.assertIn('"sanctions"', e.message)

    def test_profiles_lists_them_with_the_default(self):
        ps = self.c.profiles()
        self.assertIsInstance(ps, Profiles)
        self.assertEqual(ps.default, "all")
        self.assertEqual(ps.ids, ["ca-tri-agency", "advisory", "sanctions", "all"])
        self.assertEqual(len(ps), 4)
        self.assertIn("sanctions", ps)
        self.assertNotIn("sanction", ps)
        tri = ps["ca-tri-agency"]
        self.assertIsInstance(tri, Profile)
        self.assertEqual(tri.label, "Canadian federal research funding")
        self.assertEqual(sorted(tri.rules), ["nro-named", "strac-nro"])
        self.assertEqual(ps["sanctions"].rules, ["sdn-block"])
        self.assertEqual(len(ps.get("all").rules), 7)
        self.assertIsNone(ps.get("nope"))
        with self.assertRaises(KeyError):
            ps["nope"]
        self.assertEqual([p.id for p in ps], ps.ids)
        self.assertEqual(ps.raw["default"], "all")

    def test_screen_many_default_profile_and_item_override(self):
        items = [
            dict(HIT, id="m1"),                             # takes the stream's profile
            dict(HIT, id="m2", profile="sanctions"),        # its own wins
            {"partner": {"name": HIT["name"], "country": "CN"},
             "technologies": ["ai.ml"], "activity": "affiliation",
             "profile": None, "id": "m3"},                  # None: the stream's
            dict(HIT, id="m4", profile="sanction"),         # unknown: its own error
            {"op": "ping", "id": "m5"},                     # not a screening: sent as is
        ]
        rs = list(self.c.screen_many(items, inflight=2, profile="advisory"))
        self.assertEqual([r.id for r in rs], ["m1", "m2", "m3", "m4", "m5"])
        self.assertEqual([(r.verdict, r.profile) for r in rs[:3]],
                         [("review", "advisory"), ("clear", "sanctions"), ("review", "advisory")])
        self.assertIsInstance(rs[3].error, VetBadRequest)
        self.assertIn('unknown profile "sanction"', rs[3].error.message)
        self.assertEqual(rs[4].raw, {"id": "m5", "ok": True})
        # Without profile=, the daemon's default.
        rs = list(self.c.screen_many([dict(HIT, id="n1")]))
        self.assertEqual(rs[0].profile, "all")
        with self.assertRaises(TypeError):
            self.c.screen_many([], profile=42)

    def test_build_request_sends_the_profile(self):
        self.assertEqual(vet.build_request("X", profile="sanctions"),
                         {"partner": {"name": "X"}, "profile": "sanctions"})
        self.assertNotIn("profile", vet.build_request("X"))
        reply = self.c.call(vet.build_request(HIT["name"], country="CN", profile="sanctions"))
        self.assertEqual(reply["profile"], "sanctions")


if __name__ == "__main__":
    unittest.main()
