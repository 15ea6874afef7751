// SPDX-License-Identifier: Apache-2.0
// endpoints.test.js -- VET_ENDPOINT and several endpoints through the
// Node client and two real vetd: the variable read when no endpoint is
// given, a list spreading requests over both daemons, and failing over
// when one is killed, for screen() and screenMany() (docs/DEPLOY.md).
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { Client, DEFAULT_ENDPOINT, resolveEndpoints } = require("..");
const { startDaemon, auditRecords } = require("./daemon");

const HIT = { name: "Harbin Institute of Technology", country: "CN" };
const screens = (recs) => recs.filter((r) => "verdict" in r).length;

test("resolveEndpoints: argument, VET_ENDPOINT, default", () => {
    const saved = process.env.VET_ENDPOINT;
    try {
        delete process.env.VET_ENDPOINT;
        assert.deepEqual(resolveEndpoints(), [DEFAULT_ENDPOINT]);
        process.env.VET_ENDPOINT = "ipc:///tmp/a, ipc:///tmp/b,";
        assert.deepEqual(resolveEndpoints(null), ["ipc:///tmp/a", "ipc:///tmp/b"]);
        assert.deepEqual(new Client(undefined, { timeoutMs: 100 }).endpoints, ["ipc:///tmp/a", "ipc:///tmp/b"]);
    } finally {
        if (saved === undefined)
            delete process.env.VET_ENDPOINT;
        else
            process.env.VET_ENDPOINT = saved;
    }
    assert.deepEqual(resolveEndpoints(["tcp://h:1", "tcp://h:2"]), ["tcp://h:1", "tcp://h:2"]);
    for (const bad of ["", " , ", [], [""], [1], 42])
        assert.throws(() => resolveEndpoints(bad), TypeError);
});

test("two daemons: VET_ENDPOINT's list spreads, a killed one fails over", async () => {
    const a = await startDaemon();
    const b = await startDaemon();
    const saved = process.env.VET_ENDPOINT;
    process.env.VET_ENDPOINT = `${a.endpoint},${b.endpoint}`;
    let c;
    try {
        c = new Client(null, { timeoutMs: 5000 });
        for (let i = 0; i < 20; i++)
            assert.ok((await c.screen({ id: `s-${i}`, partner: HIT })).verdict);
        let n = 0;
        for await (const r of c.screenMany(Array.from({ length: 100 }, () => ({ partner: HIT })), { inflight: 16 })) {
            assert.ok(r.ok, r.error && r.error.message);
            n++;
        }
        assert.equal(n, 100);
        // Both daemons screened some of them.
        await auditRecords(a, (recs) => screens(recs) > 0);
        await auditRecords(b, (recs) => screens(recs) > 0);
        // a dies: everything after is answered by b.
        await a.stop("SIGKILL");
        for (let i = 0; i < 20; i++)
            assert.ok((await c.screen({ id: `after-${i}`, partner: HIT })).verdict);
        n = 0;
        for await (const r of c.screenMany(Array.from({ length: 200 }, () => ({ partner: HIT })), { inflight: 32 })) {
            assert.ok(r.ok, r.error && r.error.message);
            n++;
        }
        assert.equal(n, 200);
    } finally {
        if (saved === undefined)
            delete process.env.VET_ENDPOINT;
        else
            process.env.VET_ENDPOINT = saved;
        if (c)
            c.close();
        await a.destroy();
        await b.destroy();
    }
});
