// SPDX-License-Identifier: Apache-2.0
// protocol.test.js -- every case of tests/cases/protocol.json, sent
// through the Node client to a real vetd serving the fixture ruleset.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { Client, Result, VetBadRequest, VetError, replyError } = require("..");
const { sharedDaemon, loadCases, REPO } = require("./daemon");

const cases = loadCases();
const shared = sharedDaemon({ before, after });

// Checks a reply against a case's "expect" (its keys: see the file's
// "about"). A key this test does not know fails, so a new kind of
// expectation cannot pass unchecked.
function checkReply(reply, expect) {
    for (const [key, want] of Object.entries(expect)) {
        switch (key) {
        case "id":
            assert.equal(reply.id, want);
            break;
        case "verdict":
        case "score":
        case "ok":
            assert.equal(reply[key], want, `${key} of ${JSON.stringify(reply)}`);
            break;
        case "rules":
            assert.deepEqual(reply.rules.map((r) => r.id), want);
            break;
        case "entity":
        case "method": {
            const first = reply.partner.matches[0];
            assert.equal(first === undefined ? null : first[key], want);
            break;
        }
        case "categories":
            assert.deepEqual(reply.categories.map((c) => c.code), want);
            break;
        case "error":
            assert.ok(reply.error, `expected an error reply, got ${JSON.stringify(reply)}`);
            assert.equal(reply.error.code, want);
            break;
        case "message_contains":
            assert.ok(reply.error.message.includes(want), `"${reply.error.message}" lacks "${want}"`);
            break;
        case "ruleset_version":
            assert.equal(reply.ruleset.version, want);
            break;
        case "profile":
            assert.equal(reply.profile, want, `profile of ${JSON.stringify(reply)}`);
            break;
        case "note_contains":
            if (want === null)
                assert.equal(reply.note, undefined, `unexpected note in ${JSON.stringify(reply)}`);
            else
                assert.ok(typeof reply.note === "string" && reply.note.includes(want),
                          `note "${reply.note}" lacks "${want}"`);
            break;
        default:
            assert.fail(`unknown expectation "${key}"`);
        }
    }
}

test("the shared cases file is the one for the fixture ruleset", () => {
    assert.equal(path.resolve(REPO, cases.ruleset), path.join(REPO, "tests", "fixtures", "rulesets", "good"));
    assert.ok(cases.cases.length >= 10);
});

for (const c of cases.cases) {
    test(`case: ${c.name}`, async () => {
        assert.ok(("request" in c) !== ("raw" in c), "a case has request or raw");
        const reply = "raw" in c ? await shared.client.callRaw(c.raw) : await shared.client.call(c.request);
        checkReply(reply, c.expect);

        const err = replyError(reply);
        if (c.expect.error !== undefined) {
            // The error the high-level calls throw: the daemon's words.
            assert.ok(err instanceof VetError);
            assert.equal(err.code, c.expect.error);
            assert.equal(err.message, reply.error.message);
            if (["bad_request", "too_large", "unknown_op"].includes(err.code))
                assert.ok(err instanceof VetBadRequest);
            assert.equal(err.id, reply.id === undefined ? null : reply.id);
        } else {
            assert.equal(err, null);
        }

        // A screening request also goes through screen(), and its Result
        // says what the reply says.
        const op = c.request ? c.request.op : undefined;
        if (c.request && (op === undefined || op === "screen")) {
            const r = await shared.client.screen(c.request);
            assert.ok(r instanceof Result);
            checkReply(r.raw, c.expect);
            assert.equal(r.id, c.expect.id);
            assert.equal(r.verdict, c.expect.verdict);
            assert.equal(r.score, c.expect.score);
            assert.deepEqual(r.rules.map((x) => x.id), c.expect.rules);
            assert.deepEqual(r.categories.map((x) => x.code), c.expect.categories);
            assert.equal(r.matches.length === 0 ? null : r.matches[0].entity, c.expect.entity);
            if (c.expect.note_contains !== undefined)
                assert.equal(r.note === null, c.expect.note_contains === null);
        }
    });
}
