// SPDX-License-Identifier: Apache-2.0
// ids.test.js -- the caller's record ids and user reach the daemon: each
// screenMany request goes under the item's own id (read back from a real
// vetd's audit log), reused ids are answered right, replies out of order are
// matched right (a fake daemon answering in reverse, which also checks that
// no id is ever outstanding twice on one connection, retries included), and
// the user option becomes context.user in the audit record.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Client } = require("..");
const { startDaemon, auditRecords } = require("./daemon");

const HIT = { partner: { name: "Harbin Institute of Technology", country: "CN" },
              technologies: ["ai.ml"], activity: "affiliation" };
const TORONTO = { partner: { name: "University of Toronto", country: "CA" },
                  technologies: ["ai"], activity: "research_partnership" };

let daemon = null;
before(async () => {
    daemon = await startDaemon();
});
after(async () => {
    if (daemon)
        await daemon.destroy();
});

// The audit records of screening requests.
const screens = (recs) => recs.filter((r) => r.request && (r.request.op === undefined || r.request.op === "screen"));

// The user an audit record names: the request's context.user, and the
// record's own "user" if the daemon writes one (the two must agree).
function userOf(rec) {
    const u = rec.request.context ? rec.request.context.user : undefined;
    if ("user" in rec)
        assert.equal(rec.user, u);
    return u;
}

test("screenMany sends the caller's ids and user: the audit log names them", async () => {
    const c = new Client(daemon.endpoint, { timeoutMs: 5000, user: "zoe" });
    try {
        const N = 300;
        const items = Array.from({ length: N }, (_, i) => ({ ...(i % 2 ? HIT : TORONTO), id: `rec-${i}` }));
        items.push({ ...HIT }, { ...TORONTO });   // no id
        const got = [];
        for await (const r of c.screenMany(items, { inflight: 64 }))
            got.push(r);
        assert.deepEqual(got.map((r) => r.id), [...items.slice(0, N).map((x) => x.id), null, null]);
        assert.deepEqual(got.slice(0, N).map((r) => r.verdict),
                         items.slice(0, N).map((_, i) => (i % 2 ? "prohibited" : "clear")));
        const mine = (recs) => screens(recs).filter((r) => userOf(r) === "zoe");
        const recs = mine(await auditRecords(daemon, (rs) => mine(rs).length >= N + 2));
        const byId = new Map(recs.map((r) => [r.id, r]));
        for (let i = 0; i < N; i++) {
            const rec = byId.get(`rec-${i}`);
            assert.ok(rec, `rec-${i} is not in the audit log`);
            assert.equal(rec.request.id, `rec-${i}`);
            assert.equal(rec.verdict, i % 2 ? "prohibited" : "clear");
        }
        const invented = recs.filter((r) => !r.id.startsWith("rec-")).map((r) => r.id);
        assert.equal(invented.length, 2);
        assert.equal(new Set(invented).size, 2);
        assert.ok(invented.every((id) => id.startsWith("~js")), invented.join(" "));
    } finally {
        c.close();
    }
});

test("reused ids wait their turn: each result is its own item's, in the audit log in order", async () => {
    const c = new Client(daemon.endpoint, { timeoutMs: 5000 });
    try {
        const items = Array.from({ length: 6 }, (_, i) => ({ ...(i % 2 ? HIT : TORONTO), id: "dup" }));
        items.push({ ...HIT, id: 12 }, { ...TORONTO, id: "12" }, { ...HIT, id: 12.0 });
        const got = [];
        for await (const r of c.screenMany(items, { inflight: 64, user: "dup-user" }))
            got.push(r);
        const want = ["clear", "prohibited", "clear", "prohibited", "clear", "prohibited", "prohibited", "clear", "prohibited"];
        assert.deepEqual(got.map((r) => r.verdict), want);
        assert.deepEqual(got.map((r) => r.id), [...Array(6).fill("dup"), "12", "12", "12"]);
        const mine = (recs) => screens(recs).filter((r) => userOf(r) === "dup-user");
        const recs = mine(await auditRecords(daemon, (rs) => mine(rs).length >= 9));
        assert.deepEqual(recs.filter((r) => r.id === "dup").map((r) => r.verdict), want.slice(0, 6));
        assert.deepEqual(recs.filter((r) => r.id === "12").map((r) => r.verdict), want.slice(6));
    } finally {
        c.close();
    }
});

test("user: the client's, screen()'s option, and the request's own context.user", async () => {
    const c = new Client(daemon.endpoint, { user: "bob" });
    try {
        await c.screen({ ...TORONTO, id: "u-1" });
        await c.screen({ ...TORONTO, id: "u-2" }, { user: "carol" });
        await c.screen({ ...TORONTO, id: "u-3", context: { user: "dave", grant: "g-9" } });
        await c.screen({ ...TORONTO, id: "u-4", context: { grant: "g-10" } });
        assert.throws(() => new Client(daemon.endpoint, { user: 7 }), TypeError);
    } finally {
        c.close();
    }
    const ids = ["u-1", "u-2", "u-3", "u-4"];
    const recs = screens(await auditRecords(daemon, (rs) => ids.every((id) => screens(rs).some((r) => r.id === id))));
    const by = new Map(recs.map((r) => [r.id, r]));
    assert.equal(userOf(by.get("u-1")), "bob");
    assert.equal(userOf(by.get("u-2")), "carol");
    assert.equal(userOf(by.get("u-3")), "dave");
    assert.deepEqual(by.get("u-4").request.context, { grant: "g-10", user: "bob" });
});

// A ROUTER that answers what it received, newest first, whenever 20 ms
// pass with nothing new; the answer to partner name "nK" has score K. It
// records a violation when a request comes under an id already outstanding
// on the same connection, and ignores the first attempt of the names in
// dropFirst.
async function reverseFake(endpoint, dropFirst = new Set()) {
    const zmq = require("zeromq");
    const router = new zmq.Router({ linger: 0 });
    await router.bind(endpoint);
    const fake = { violations: [], seen: new Map(), router };
    fake.serving = (async () => {
        const queue = [];
        const outstanding = new Set();
        for (;;) {
            let frames = null;
            try {
                router.receiveTimeout = 20;
                frames = await router.receive();
            } catch (e) {
                if (e.code !== "EAGAIN")
                    return;   // closed
            }
            try {
                if (frames !== null) {
                    const [peer, , body] = frames;
                    const req = JSON.parse(body.toString());
                    const key = `${peer.toString("hex")}/${req.id}`;
                    if (outstanding.has(key))
                        fake.violations.push(key);
                    const name = req.partner.name;
                    fake.seen.set(name, (fake.seen.get(name) || 0) + 1);
                    if (dropFirst.has(name) && fake.seen.get(name) === 1)
                        continue;
                    outstanding.add(key);
                    queue.push({ peer, id: String(req.id), name, key });
                    continue;
                }
                for (const q of queue.reverse()) {
                    outstanding.delete(q.key);
                    await router.send([q.peer, "", JSON.stringify({ id: q.id, verdict: "clear", score: Number(q.name.slice(1)) })]);
                }
                queue.length = 0;
            } catch (e) {
                return;   // closed while answering
            }
        }
    })();
    fake.close = async () => {
        router.close();
        await fake.serving;
    };
    return fake;
}

function fakeItems(n) {
    const ids = ["a", "b", "c", 1, "1", null];   // 1 and "1" echo alike
    return Array.from({ length: n }, (_, i) => (ids[i % 6] === null
        ? { partner: { name: `n${i}` } } : { id: ids[i % 6], partner: { name: `n${i}` } }));
}

test("replies in reverse order with reused ids: each item gets its own answer", async () => {
    const fake = await reverseFake(`ipc://${daemon.dir}/reverse`);
    const c = new Client(`ipc://${daemon.dir}/reverse`, { timeoutMs: 5000 });
    try {
        const scores = [];
        for await (const r of c.screenMany(fakeItems(120), { inflight: 32 }))
            scores.push(r.score);
        assert.deepEqual(scores, Array.from({ length: 120 }, (_, i) => i));
        assert.deepEqual(fake.violations, []);
    } finally {
        c.close();
        await fake.close();
    }
});

test("retries on a fresh socket: a late answer is never taken for an item reusing the id", async () => {
    const N = 120;
    const drop = new Set(Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === 0).map((i) => `n${i}`));
    const fake = await reverseFake(`ipc://${daemon.dir}/reverse-drop`, drop);
    const c = new Client(`ipc://${daemon.dir}/reverse-drop`, { timeoutMs: 700 });
    try {
        const scores = [];
        for await (const r of c.screenMany(fakeItems(N), { inflight: 32, retries: 3 })) {
            assert.equal(r.error, null);
            scores.push(r.score);
        }
        assert.deepEqual(scores, Array.from({ length: N }, (_, i) => i));
        assert.deepEqual(fake.violations, []);
        assert.ok(c.resent > 0, "nothing was sent again: the test tested nothing");
    } finally {
        c.close();
        await fake.close();
    }
});
