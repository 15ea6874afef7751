// SPDX-License-Identifier: Apache-2.0
// daemon.js -- test helper: starts a real vetd on an ipc endpoint in a
// fresh temporary directory, waits until it answers, and stops it
// (SIGTERM, bounded wait, then SIGKILL). Not a test file.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Client } = require("..");

const REPO = path.resolve(__dirname, "..", "..", "..");
const VETD_BIN = path.resolve(process.env.VETD_BIN || path.join(REPO, "bin", "vetd"));
const RULESET = path.join(REPO, "tests", "fixtures", "rulesets", "good");
const CASES = path.join(REPO, "tests", "cases", "protocol.json");
const PROFILES_FRAGMENT = path.join(REPO, "tests", "fixtures", "profiles", "profiles.cfg");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Daemons still running when the test process exits, however it exits
// (a failed assertion, a test timeout): killed so none is left behind.
const live = new Set();
process.on("exit", () => {
    for (const proc of live)
        proc.kill("SIGKILL");
});

class Daemon {
    // ruleset: the directory served; extra: more vetd arguments; keys:
    // { serverKey, key } of a client the daemon allows (CURVE).
    constructor({ ruleset = RULESET, extra = [], keys = {} } = {}) {
        this.ruleset = ruleset;
        this.extra = extra;
        this.keys = keys;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetd-node-"));
        this.endpoint = `ipc://${this.dir}/s`;
        this.proc = null;
        this.log = "";
    }

    // Starts vetd and resolves once it answers a ping (within 15 s).
    async start() {
        const args = ["-r", this.ruleset, "-e", this.endpoint, "-w", "2", "-a", path.join(this.dir, "audit.jsonl"),
                      ...this.extra];
        // vetd refuses to serve as root unless told (the tests run as root on CI).
        if (process.geteuid && process.geteuid() === 0 && !this.extra.some((a) => a.startsWith("--user")))
            args.push("--allow-root");
        const proc = spawn(VETD_BIN, args, { stdio: ["ignore", "ignore", "pipe"] });
        this.proc = proc;
        proc.stderr.on("data", (d) => { this.log += d.toString(); });
        let spawnError = null;
        const exited = new Promise((resolve) => {
            proc.once("exit", resolve);
            proc.once("error", (e) => {   // could not be started at all
                spawnError = e;
                resolve();
            });
        });
        proc.exited = exited;
        live.add(proc);
        exited.then(() => live.delete(proc));
        const c = new Client(this.endpoint, { timeoutMs: 300, retries: 0, ...this.keys });
        try {
            const until = Date.now() + 15000;
            while (Date.now() < until) {
                if (spawnError !== null)
                    throw new Error(`cannot start ${VETD_BIN}: ${spawnError.message}`);
                if (proc.exitCode !== null || proc.signalCode !== null)
                    throw new Error(`vetd exited at start: ${this.log}`);
                try {
                    await c.ping();
                    return this;
                } catch (e) {
                    await sleep(50);
                }
            }
            throw new Error(`vetd did not answer within 15 s: ${this.log}`);
        } finally {
            c.close();
        }
    }

    // Stops vetd: signal (SIGTERM by default), 5 s, then SIGKILL.
    async stop(signal = "SIGTERM") {
        const proc = this.proc;
        this.proc = null;
        if (proc === null || proc.exitCode !== null || proc.signalCode !== null || !live.has(proc))
            return;
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await proc.exited;
        clearTimeout(timer);
    }

    // Stops vetd and removes its directory.
    async destroy() {
        await this.stop();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

// A started daemon; pair with `after(() => d.destroy())`.
async function startDaemon(options) {
    const d = new Daemon(options);
    try {
        return await d.start();
    } catch (e) {
        await d.destroy();
        throw e;
    }
}

// Registers hooks (node:test's before and after) that start one daemon and
// a client of it before a file's tests and stop both after them. Returns
// an object whose daemon and client are set once started.
function sharedDaemon({ before, after }) {
    const { Client } = require("..");
    const shared = { daemon: null, client: null };
    before(async () => {
        shared.daemon = await startDaemon();
        shared.client = new Client(shared.daemon.endpoint, { timeoutMs: 5000 });
    });
    after(async () => {
        if (shared.client)
            shared.client.close();
        if (shared.daemon)
            await shared.daemon.destroy();
    });
    return shared;
}

// A copy of the fixture ruleset in a fresh temporary directory, with the
// profiles of tests/fixtures/profiles/profiles.cfg added to its policy.cfg.
// Returns its path; remove it with fs.rmSync(path.dirname(it), ...).
function profilesRuleset() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetd-node-rules-"));
    const rules = path.join(dir, "rules");
    fs.cpSync(RULESET, rules, { recursive: true });
    fs.appendFileSync(path.join(rules, "policy.cfg"), fs.readFileSync(PROFILES_FRAGMENT));
    return rules;
}

// The records of a daemon's audit log once want(records) is true (the
// daemon's writer thread writes them shortly after it answers); throws with
// the last records if that does not happen within waitMs.
async function auditRecords(daemon, want, waitMs = 10000) {
    const file = path.join(daemon.dir, "audit.jsonl");
    const until = Date.now() + waitMs;
    for (;;) {
        const recs = fs.existsSync(file)
            ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
            : [];
        if (want(recs))
            return recs;
        if (Date.now() > until)
            throw new Error(`audit log ${file}: expected records not there within ${waitMs} ms; ` +
                            `last ones: ${JSON.stringify(recs.slice(-5))}`);
        await sleep(50);
    }
}

function loadCases() {
    return JSON.parse(fs.readFileSync(CASES, "utf8"));
}

module.exports = { Daemon, startDaemon, sharedDaemon, loadCases, profilesRuleset, auditRecords, REPO, VETD_BIN, sleep };
