// SPDX-License-Identifier: Apache-2.0
// profiles.test.js -- jurisdiction profiles through the Node client and a
// real vetd serving the fixture ruleset with the profiles of
// tests/fixtures/profiles/profiles.cfg: screen() with a profile,
// Result.profile, profiles(), screenMany's profile option and an unknown
// profile.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { Client, VetBadRequest } = require("..");
const { startDaemon, profilesRuleset } = require("./daemon");

const HIT = {
    partner: { name: "Harbin Institute of Technology", country: "CN" },
    technologies: ["ai.ml"], activity: "affiliation",
};

let daemon = null;
let client = null;
let rules = null;

before(async () => {
    rules = profilesRuleset();
    daemon = await startDaemon({ ruleset: rules });
    client = new Client(daemon.endpoint, { timeoutMs: 5000 });
});

after(async () => {
    if (client)
        client.close();
    if (daemon)
        await daemon.destroy();
    if (rules)
        fs.rmSync(path.dirname(rules), { recursive: true, force: true });
});

test("the same partner under two profiles gets two verdicts, and the reply names the profile", async () => {
    const tri = await client.screen({ ...HIT, profile: "ca-tri-agency" });
    assert.equal(tri.verdict, "prohibited");
    assert.equal(tri.profile, "ca-tri-agency");
    assert.deepEqual(tri.rules.map((r) => r.id), ["strac-nro", "nro-named"]);
    const sanctions = await client.screen({ ...HIT, profile: "sanctions" });
    assert.equal(sanctions.verdict, "clear");
    assert.equal(sanctions.profile, "sanctions");
    assert.deepEqual(sanctions.rules, []);
    assert.equal(sanctions.matches[0].entity, "hit");
    assert.equal(typeof sanctions.note, "string");
    const advisory = await client.screen({ ...HIT, profile: "advisory" });
    assert.equal(advisory.verdict, "review");
    assert.equal(advisory.raw.profile, "advisory");
});

test("without a profile (or with null) the default profile judges", async () => {
    assert.equal((await client.screen(HIT)).profile, "all");
    assert.equal((await client.screen({ ...HIT, profile: null })).profile, "all");
    assert.equal((await client.screen({ ...HIT, profile: undefined })).verdict, "prohibited");
});

test("an unknown profile rejects with VetBadRequest and the daemon's words", async () => {
    await assert.rejects(client.screen({ ...HIT, id: "u-1", profile: "sanction" }), (e) => {
        assert.ok(e instanceof VetBadRequest);
        assert.equal(e.code, "bad_request");
        assert.equal(e.id, "u-1");
        assert.ok(e.message.startsWith("profile: unknown profile \"sanction\""), e.message);
        assert.ok(e.message.includes("\"sanctions\""), e.message);
        return true;
    });
});

test("profiles() lists the profiles with their rules and the default", async () => {
    const ps = await client.profiles();
    assert.equal(ps.default, "all");
    assert.deepEqual(ps.profiles.map((p) => p.id), ["ca-tri-agency", "advisory", "sanctions", "all"]);
    const tri = ps.profiles[0];
    assert.equal(tri.label, "Canadian federal research funding");
    assert.deepEqual([...tri.rules].sort(), ["nro-named", "strac-nro"]);
    assert.deepEqual(ps.profiles[2].rules, ["sdn-block"]);
    assert.equal(ps.profiles[3].rules.length, 7);
});

test("screenMany: the profile option for items that name none, an item's own wins", async () => {
    const items = [
        { ...HIT, id: "m1" },
        { ...HIT, id: "m2", profile: "sanctions" },
        { ...HIT, id: "m3", profile: null },
        { ...HIT, id: "m4", profile: "sanction" },
        { op: "ping", id: "m5" },
    ];
    const got = [];
    for await (const r of client.screenMany(items, { inflight: 2, profile: "advisory" }))
        got.push(r);
    assert.deepEqual(got.map((r) => r.id), ["m1", "m2", "m3", "m4", "m5"]);
    assert.deepEqual(got.slice(0, 3).map((r) => [r.verdict, r.profile]),
                     [["review", "advisory"], ["clear", "sanctions"], ["review", "advisory"]]);
    assert.ok(got[3].error instanceof VetBadRequest);
    assert.ok(got[3].error.message.includes("unknown profile \"sanction\""));
    assert.deepEqual(got[4].raw, { id: "m5", ok: true });
    // Without the option: the daemon's default.
    for await (const r of client.screenMany([{ ...HIT, id: "n1" }]))
        assert.equal(r.profile, "all");
    await assert.rejects(async () => {
        for await (const r of client.screenMany([HIT], { profile: 42 }))
            void r;
    }, TypeError);
});
