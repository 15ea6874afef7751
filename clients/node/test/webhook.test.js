// SPDX-License-Identifier: Apache-2.0
// webhook.test.js -- docs/examples/webhook.js runs: started on an
// ephemeral port against a real vetd, POSTed to, checked and stopped.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const http = require("node:http");
const path = require("node:path");
const { startDaemon, REPO } = require("./daemon");

const EXAMPLE = path.join(REPO, "docs", "examples", "webhook.js");
let daemon;
let hook;
let base;

// Resolves to {status, body} of one request to the webhook.
function request(method, urlPath, body) {
    return new Promise((resolve, reject) => {
        const req = http.request(`${base}${urlPath}`, { method, agent: false, timeout: 10000 }, (res) => {
            let data = "";
            res.on("data", (d) => { data += d; });
            res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"], body: JSON.parse(data) }));
        });
        req.on("timeout", () => req.destroy(new Error("no answer from the webhook")));
        req.on("error", reject);
        req.end(body);
    });
}

before(async () => {
    daemon = await startDaemon();
    hook = spawn(process.execPath, [EXAMPLE, "0"], {
        env: { ...process.env, VET_ENDPOINT: daemon.endpoint },
        stdio: ["ignore", "pipe", "pipe"],
    });
    hook.exited = new Promise((resolve) => hook.on("exit", (code, signal) => resolve({ code, signal })));
    let err = "";
    hook.stderr.on("data", (d) => { err += d; });
    base = await new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`webhook did not start: ${err}`)), 15000);
        hook.stdout.on("data", (d) => {
            out += d;
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/screen/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve(m[1]);
            }
        });
        hook.exited.then(() => reject(new Error(`webhook exited: ${err}`)));
    });
});

after(async () => {
    if (hook && hook.exitCode === null && hook.signalCode === null) {
        hook.kill("SIGKILL");
        await hook.exited;
    }
    if (daemon)
        await daemon.destroy();
});

test("webhook: a POSTed partnership gets its verdict", async () => {
    const r = await request("POST", "/screen", JSON.stringify({
        id: "hr-77", partner: { name: "Harbin Institute of Technology", country: "CN" },
        technologies: ["ai.ml"], activity: "affiliation",
    }));
    assert.equal(r.status, 200);
    assert.equal(r.type, "application/json");
    assert.equal(r.body.id, "hr-77");
    assert.equal(r.body.verdict, "prohibited");
    assert.equal(r.body.score, 100);
    assert.equal(r.body.rules[0].id, "strac-nro");
    assert.equal(r.body.matches[0].name, "Harbin Institute of Technology");
    assert.equal(r.body.ruleset.version, "fixture-1");
    const clear = await request("POST", "/screen", JSON.stringify({ partner: { name: "University of Toronto" } }));
    assert.equal(clear.status, 200);
    assert.equal(clear.body.verdict, "clear");
});

test("webhook: a bad request gets 400 with the daemon's message", async () => {
    const r = await request("POST", "/screen", JSON.stringify({ partner: { name: "x" }, technologies: ["quantun"] }));
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "bad_request");
    assert.ok(r.body.error.includes("quantun"), r.body.error);
    const j = await request("POST", "/screen", "{not json");
    assert.equal(j.status, 400);
    assert.match(j.body.error, /^invalid JSON/);
    assert.equal((await request("GET", "/screen")).status, 405);
    assert.equal((await request("POST", "/other", "{}")).status, 404);
});

test("webhook: stops on SIGTERM", async () => {
    hook.kill("SIGTERM");
    const timer = setTimeout(() => hook.kill("SIGKILL"), 10000);
    const { code, signal } = await hook.exited;
    clearTimeout(timer);
    assert.equal(signal, null, "the webhook did not exit by itself");
    assert.equal(code, 0);
});
