// SPDX-License-Identifier: Apache-2.0
// client.test.js -- the Node client against a real vetd: screen(), the
// admin ops, errors and deadlines, screenMany's order and its resending
// across a daemon restart, and close() letting the process exit.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const vet = require("..");
const { Client, Result, VetError, VetUnavailable, VetBadRequest } = vet;
const { Daemon, startDaemon, sharedDaemon, sleep } = require("./daemon");

const HIT = { name: "Harbin Institute of Technology", country: "CN" };
const TORONTO = { name: "University of Toronto", country: "CA" };

const shared = sharedDaemon({ before, after });

test("screen() resolves to a Result with every field of the reply", async () => {
    const r = await shared.client.screen({
        id: "grant-1", partner: HIT, technologies: ["ai.ml"], activity: "affiliation",
        current: true, text: "machine learning", context: { funder: "NSERC" },
    });
    assert.ok(r instanceof Result);
    assert.ok(r.ok);
    assert.equal(r.error, null);
    assert.equal(r.id, "grant-1");
    assert.equal(r.verdict, "prohibited");
    assert.equal(r.score, 100);
    assert.equal(r.matches[0].entity, "hit");
    assert.equal(r.matches[0].method, "exact");
    assert.deepEqual(r.rules.map((x) => x.id).slice(0, 1), ["strac-nro"]);
    assert.equal(r.rules[0].verdict, "prohibited");
    assert.deepEqual(r.categories.map((x) => x.code), ["ai.ml"]);
    assert.equal(r.ruleset.version, "fixture-1");
    assert.match(r.ruleset.digest, /^[0-9a-f]{64}$/);
    assert.equal(typeof r.elapsedUs, "number");
    assert.equal(r.raw.verdict, "prohibited");
    assert.equal(r.raw.elapsed_us, r.elapsedUs);
});

test("screen() leaves out what is not given; a numeric id comes back as a string", async () => {
    const r = await shared.client.screen({ partner: TORONTO, technologies: undefined, id: 42 });
    assert.equal(r.verdict, "clear");
    assert.equal(r.score, 0);
    assert.deepEqual(r.matches, []);
    assert.deepEqual(r.rules, []);
    assert.equal(r.id, "42");
    const anon = await shared.client.screen({ partner: TORONTO });
    assert.equal(anon.id, null);
});

test("admin ops: ping, version, stats, taxonomy, reload", async () => {
    assert.deepEqual(await shared.client.ping(), { ok: true });
    const v = await shared.client.version();
    assert.equal(v.protocol, 1);
    assert.equal(v.ruleset.version, "fixture-1");
    const st = await shared.client.stats();
    assert.ok(st.requests > 0);
    assert.equal(typeof st.by_op.screen, "number");
    const tax = await shared.client.taxonomy();
    assert.deepEqual(tax.verdicts, ["clear", "review", "prohibited"]);
    assert.ok(tax.categories.some((c) => c.code === "ai.ml" && c.parent === "ai"));
    const rl = await shared.client.reload();
    assert.equal(rl.ok, true);
    assert.equal(rl.ruleset.version, "fixture-1");
    assert.equal(rl.previous.version, "fixture-1");
});

test("call() and callRaw() give any reply as is, error replies included", async () => {
    assert.deepEqual(await shared.client.call({ id: "x1", op: "ping" }), { id: "x1", ok: true });
    assert.deepEqual(await shared.client.callRaw(Buffer.from('{"id":"x2","op":"ping"}')), { id: "x2", ok: true });
    const bad = await shared.client.callRaw('{"id":"x3","op":"shutdown"}');
    assert.deepEqual(bad, { id: "x3", error: { code: "unknown_op", message: "unknown op \"shutdown\"" } });
});

test("a refused request rejects with VetBadRequest carrying the daemon's code and message", async () => {
    await assert.rejects(shared.client.screen({ id: "e-10", partner: { name: 42 } }), (e) => {
        assert.ok(e instanceof VetBadRequest);
        assert.ok(e instanceof VetError);
        assert.equal(e.code, "bad_request");
        assert.equal(e.message, "partner.name: expected a string");
        assert.equal(e.id, "e-10");
        assert.equal(e.reply.error.message, e.message);
        return true;
    });
    await assert.rejects(shared.client.screen({ partner: { name: "x" }, technology: ["ai"] }), (e) => {
        assert.ok(e instanceof VetBadRequest);
        assert.equal(e.message, "unknown field \"technology\" (did you mean \"technologies\"?)");
        return true;
    });
    await assert.rejects(shared.client.call(null), TypeError);
    await assert.rejects(shared.client.screen("Harbin"), TypeError);
});

test("an endpoint nobody serves rejects with VetUnavailable within the deadline", async () => {
    const nobody = `ipc://${shared.daemon.dir}/nobody`;
    const c = new Client(nobody, { timeoutMs: 400, retries: 1 });
    try {
        const t0 = Date.now();
        await assert.rejects(c.screen({ partner: HIT }), (e) => {
            assert.ok(e instanceof VetUnavailable);
            assert.equal(e.code, "timeout");
            assert.ok(e.message.includes(nobody), e.message);
            assert.ok(e.message.includes("400 ms"), e.message);
            assert.ok(e.message.includes("2 attempts"), e.message);
            return true;
        });
        const waited = Date.now() - t0;
        assert.ok(waited >= 350, `gave up after ${waited} ms, before the deadline`);
        /* A loose bound: a shared machine may be slow, but never this slow. */
        assert.ok(waited < 10000, `waited ${waited} ms`);
        await assert.rejects(c.ping({ timeoutMs: 100 }), VetUnavailable);
        const stream = c.screenMany([{ partner: HIT }], { timeoutMs: 200, retries: 1 });
        await assert.rejects(stream.next(), VetUnavailable);
    } finally {
        c.close();
    }
});

test("a daemon without a ruleset: screen() rejects with VetUnavailable, the daemon's message", async () => {
    const d = await startDaemon({ ruleset: `${shared.daemon.dir}/no-such-ruleset`, extra: ["--allow-no-rules"] });
    const c = new Client(d.endpoint);
    try {
        await assert.rejects(c.screen({ id: "u-1", partner: HIT }), (e) => {
            assert.ok(e instanceof VetUnavailable);
            assert.equal(e.code, "unavailable");
            assert.equal(e.message, "no ruleset is loaded; fix the ruleset and reload");
            assert.equal(e.id, "u-1");
            assert.equal(e.endpoint, d.endpoint);
            return true;
        });
        await assert.rejects(c.taxonomy(), VetUnavailable);
        assert.equal((await c.version()).ruleset, null);
        const out = [];
        for await (const r of c.screenMany([{ partner: HIT }, { partner: TORONTO }]))
            out.push(r);
        assert.deepEqual(out.map((r) => r.error && r.error.code), ["unavailable", "unavailable"]);
    } finally {
        c.close();
        await d.destroy();
    }
});

test("an invalid endpoint fails at once; a closed client refuses calls", async () => {
    assert.throws(() => new Client("tpc://127.0.0.1:1"), (e) => e instanceof VetError && e.code === "zmq");
    const c = new Client(shared.daemon.endpoint);
    c.close();
    c.close();
    await assert.rejects(c.ping(), (e) => e instanceof VetError && e.code === "closed");
});

test("concurrent calls on one client each get their own reply", async () => {
    const names = [HIT, TORONTO];
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        shared.client.screen({ id: `p${i}`, partner: names[i % 2], technologies: ["ai.ml"], activity: "affiliation" })));
    rs.forEach((r, i) => {
        assert.equal(r.id, `p${i}`);
        assert.equal(r.verdict, i % 2 ? "clear" : "prohibited");
    });
});

// The items of a stream: i's verdict can be told from i.
function item(i) {
    if (i % 97 === 13)
        return { id: `bad-${i}`, partner: { name: i } };   // refused by the daemon
    return { id: `it-${i}`, partner: i % 3 === 0 ? HIT : TORONTO, technologies: ["ai.ml"], activity: "affiliation" };
}

function checkItem(r, i) {
    assert.equal(r.index, i);
    if (i % 97 === 13) {
        assert.equal(r.ok, false);
        assert.ok(r.error instanceof VetBadRequest);
        assert.equal(r.error.message, "partner.name: expected a string");
        assert.equal(r.id, `bad-${i}`);
        assert.equal(r.verdict, null);
        return;
    }
    assert.equal(r.error, null, `item ${i}: ${r.error && r.error.message}`);
    assert.equal(r.id, `it-${i}`);
    assert.equal(r.raw.id, `it-${i}`);
    assert.equal(r.verdict, i % 3 === 0 ? "prohibited" : "clear");
}

test("screenMany yields 2,000 results in input order; refused items are error results", async () => {
    const N = 2000;
    const items = Array.from({ length: N }, (_, i) => item(i));
    let n = 0;
    for await (const r of shared.client.screenMany(items, { inflight: 128 }))
        checkItem(r, n++);
    assert.equal(n, N);
});

test("screenMany takes an async iterable, a window of 1, and items that are not objects", async () => {
    async function* gen() {
        yield item(0);
        await sleep(5);
        yield "not an object";
        yield { partner: TORONTO };
    }
    const out = [];
    for await (const r of shared.client.screenMany(gen(), { inflight: 1 }))
        out.push(r);
    assert.equal(out.length, 3);
    checkItem(out[0], 0);
    assert.ok(out[1].error instanceof VetBadRequest);
    assert.equal(out[1].index, 1);
    assert.equal(out[2].verdict, "clear");
    assert.equal(out[2].id, null);
    assert.equal("id" in out[2].raw, false);
    const none = [];
    for await (const r of shared.client.screenMany([]))
        none.push(r);
    assert.deepEqual(none, []);
});

test("breaking out of screenMany stops it; the client goes on", async () => {
    const items = Array.from({ length: 500 }, (_, i) => item(i));
    let n = 0;
    for await (const r of shared.client.screenMany(items, { inflight: 32 })) {
        checkItem(r, n++);
        if (n === 40)
            break;
    }
    assert.equal(n, 40);
    assert.deepEqual(await shared.client.ping(), { ok: true });
});

test("screenMany re-sends what got no answer and drops late duplicates (a fake daemon)", async () => {
    /* A ROUTER that ignores the first try of every fifth item and answers
     * every seventh twice: what a restart and a slow daemon look like. */
    const zmq = require("zeromq");
    const router = new zmq.Router({ linger: 0 });
    const endpoint = `ipc://${shared.daemon.dir}/fake`;
    await router.bind(endpoint);
    const tries = new Map();
    let received = 0;
    const serving = (async () => {
        for (;;) {
            let frames;
            try {
                frames = await router.receive();
            } catch (e) {
                return;   // closed
            }
            const [peer, delim, body] = frames;
            assert.equal(delim.length, 0, "a request opens with an empty delimiter frame");
            assert.equal(frames.length, 3, "a request is one JSON frame after the delimiter");
            const req = JSON.parse(body.toString());
            received++;
            const i = Number(req.partner.name.slice(1));
            const n = (tries.get(i) || 0) + 1;
            tries.set(i, n);
            if (i % 5 === 0 && n === 1)
                continue;
            // The id echoed as vetd echoes it: a number comes back as a string.
            const reply = Buffer.from(JSON.stringify({ id: String(req.id), verdict: "clear", score: i, partner: { matches: [] },
                                                       categories: [], rules: [], elapsed_us: 1 }));
            try {
                await router.send([peer, "", reply]);
                if (i % 7 === 0)
                    await router.send([peer, "", reply]);
            } catch (e) {
                return;   // closed while answering the last re-sent requests
            }
        }
    })();
    const c = new Client(endpoint, { timeoutMs: 500 });
    try {
        const N = 200;
        const items = Array.from({ length: N }, (_, i) => ({ id: i, partner: { name: `n${i}` } }));
        let n = 0;
        for await (const r of c.screenMany(items, { inflight: 50, retries: 2 })) {
            assert.equal(r.index, n);
            assert.equal(r.id, String(n));
            assert.equal(r.score, n);
            n++;
        }
        assert.equal(n, N);
        for (let i = 0; i < N; i += 5)
            assert.ok(tries.get(i) >= 2, `item ${i} was not sent again`);
        assert.ok(received >= N + N / 5);
    } finally {
        c.close();
        router.close();
        await serving;
    }
});

test("a daemon restart in the middle of screenMany: each item answered exactly once", async () => {
    const d = await startDaemon();
    const c = new Client(d.endpoint, { timeoutMs: 1000 });
    const N = 1500;
    let restarted = null;
    async function* gen() {
        for (let i = 0; i < N; i++) {
            if (i === 600) {
                /* Killed outright: requests in flight are lost, not
                 * drained, and must be sent again. It comes back on the
                 * same endpoint while items keep coming. */
                await d.stop("SIGKILL");
                restarted = sleep(300).then(() => d.start());
            }
            yield item(i);
        }
    }
    try {
        const seen = new Set();
        let n = 0;
        for await (const r of c.screenMany(gen(), { inflight: 64, retries: 10 })) {
            checkItem(r, n);
            assert.ok(!seen.has(r.index), `item ${r.index} answered twice`);
            seen.add(r.index);
            n++;
        }
        assert.equal(n, N);
        assert.ok(restarted !== null);
        await restarted;
        const st = await c.stats();
        /* Items from 600 on were sent after the kill: the new daemon answered them. */
        assert.ok(st.requests >= N - 600, `the new daemon answered ${st.requests}`);
    } finally {
        c.close();
        await d.destroy();
    }
});

test("close() lets the process exit, even with calls under way", async () => {
    const script = `
        const { Client, VetError } = require(${JSON.stringify(path.resolve(__dirname, ".."))});
        (async () => {
            const c = new Client(${JSON.stringify(shared.daemon.endpoint)});
            const pong = await c.ping();
            const lost = new Client(${JSON.stringify(`ipc://${shared.daemon.dir}/nobody`)}, { timeoutMs: 600000 });
            const call = lost.ping().catch((e) => e);
            const it = lost.screenMany([{ partner: { name: "x" } }], { timeoutMs: 600000 });
            const first = it.next().catch((e) => e);
            setTimeout(() => { c.close(); lost.close(); }, 100);
            const [e1, e2] = await Promise.all([call, first]);
            console.log(JSON.stringify({ pong, call: e1.code, stream: e2.code, cls: e1 instanceof VetError }));
        })();`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
    const [code, signal] = await new Promise((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    clearTimeout(timer);
    assert.equal(signal, null, `the process did not exit by itself; stderr: ${err}`);
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out), { pong: { ok: true }, call: "closed", stream: "closed", cls: true });
});

test("the package exports what its README names", () => {
    for (const name of ["Client", "Result", "VetError", "VetUnavailable", "VetBadRequest", "VetInternal", "replyError"])
        assert.equal(typeof vet[name], "function", name);
    assert.equal(vet.DEFAULT_ENDPOINT, "tcp://127.0.0.1:7470");
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
    assert.match(pkg.dependencies.zeromq, /^6\.\d+\.\d+$/);
    assert.ok(Daemon);
});
