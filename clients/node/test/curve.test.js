// SPDX-License-Identifier: Apache-2.0
// curve.test.js -- the Node client over CURVE against a real vetd that
// requires it (docs/SECURITY.md): keys as certificate files and as Z85
// text; no keys, or a key the daemon does not allow, get no answer
// (VetUnavailable); a screening key is refused an admin op with
// "forbidden"; the audit record names the key.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Client, VetError, VetUnavailable } = require("..");
const { startDaemon, auditRecords, VETD_BIN } = require("./daemon");

const HIT = { name: "Harbin Institute of Technology", country: "CN" };
let dir = null;
let daemon = null;
const keys = {};

// `vetd keygen PATH`; returns PATH (PATH_secret holds the secret key).
function keygen(p) {
    execFileSync(VETD_BIN, ["keygen", p], { stdio: "ignore" });
    return p;
}

// The Z85 text of field in a certificate file.
function z85Of(file, field) {
    const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.trim().startsWith(field));
    return line.split("\"")[1];
}

before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetd-node-keys-"));
    for (const d of ["keys", "clients", "admins"])
        fs.mkdirSync(path.join(dir, d));
    for (const name of ["server", "dave", "ops", "trudy"])
        keys[name] = keygen(path.join(dir, "keys", name));
    fs.copyFileSync(keys.dave, path.join(dir, "clients", "dave"));
    fs.copyFileSync(keys.ops, path.join(dir, "admins", "ops"));
    daemon = await startDaemon({
        extra: ["--curve-secret", `${keys.server}_secret`, "--curve-clients", path.join(dir, "clients"),
                "--curve-admins", path.join(dir, "admins")],
        keys: { serverKey: keys.server, key: `${keys.ops}_secret` },
    });
});

after(async () => {
    if (daemon !== null)
        await daemon.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
});

const client = (key, options = {}) =>
    new Client(daemon.endpoint, { serverKey: keys.server, key, ...options });

test("an allowed key screens, and the audit record names it", async () => {
    const c = client(`${keys.dave}_secret`, { timeoutMs: 5000 });
    try {
        const r = await c.screen({ id: "node-curve-1", partner: HIT, technologies: ["ai.ml"],
                                   activity: "affiliation" });
        assert.equal(r.verdict, "prohibited");
    } finally {
        c.close();
    }
    const recs = await auditRecords(daemon, (rs) => rs.some((r) => r.id === "node-curve-1"));
    assert.match(recs.find((r) => r.id === "node-curve-1").peer, /^dave@/);
});

test("keys as Z85 text work as well as files", async () => {
    const c = new Client(daemon.endpoint, {
        serverKey: z85Of(keys.server, "public-key"),
        key: z85Of(`${keys.dave}_secret`, "secret-key"),
    });
    try {
        assert.equal((await c.ping()).ok, true);
    } finally {
        c.close();
    }
});

test("no keys, or a key not allowed: no answer", async () => {
    for (const c of [new Client(daemon.endpoint, { timeoutMs: 600, retries: 0 }),
                     client(`${keys.trudy}_secret`, { timeoutMs: 600, retries: 0 })]) {
        try {
            await assert.rejects(c.ping(), VetUnavailable);
        } finally {
            c.close();
        }
    }
});

test("a screening key is refused admin ops with forbidden", async () => {
    const c = client(`${keys.dave}_secret`);
    try {
        await assert.rejects(c.stats(), (e) => e instanceof VetError && e.code === "forbidden");
    } finally {
        c.close();
    }
    const admin = client(`${keys.ops}_secret`);
    try {
        assert.ok("uptime_s" in (await admin.stats()));
    } finally {
        admin.close();
    }
});

test("bad keys are rejected when the client is made", () => {
    assert.throws(() => new Client(daemon.endpoint, { key: `${keys.dave}_secret` }), TypeError);
    assert.throws(() => client(keys.dave), /no curve secret-key/);   // a public certificate
});
