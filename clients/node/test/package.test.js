// SPDX-License-Identifier: Apache-2.0
// package.test.js -- vetd-client as a package people adopt: its version is
// the project's (vetd --version), `npm pack` makes a tarball that installs
// offline into a scratch project (the zeromq dependency comes from the
// node_modules this directory already has, copied in; --offline keeps npm
// from the network) and screens a real vetd through both entry points
// (require and import), and its TypeScript declarations pass Debian's
// `tsc --noEmit --strict` on a program using them.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Client } = require("..");
const { startDaemon, VETD_BIN } = require("./daemon");

const HERE = path.resolve(__dirname, "..");
const PKG = JSON.parse(fs.readFileSync(path.join(HERE, "package.json"), "utf8"));
// npm and tsc on a busy machine: generous, but bounded.
const SLOW_MS = 240000;

let daemon = null;
let scratch = null;
before(async () => {
    daemon = await startDaemon();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "vetd-node-pkg-"));
});
after(async () => {
    if (daemon)
        await daemon.destroy();
    if (scratch)
        fs.rmSync(scratch, { recursive: true, force: true });
});

function run(cmd, args, cwd) {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", timeout: SLOW_MS, stdio: ["ignore", "pipe", "pipe"],
                                     env: { ...process.env, npm_config_update_notifier: "false" } });
}

test("the package's version is the project's; its licence is Apache-2.0", async () => {
    const first = run(VETD_BIN, ["--version"]).split("\n")[0].split(" ");   // "vetd 0.2.0"
    assert.equal(first[0], "vetd");
    assert.equal(PKG.version, first[1], "package.json's version differs from vetd --version: bump it with the project");
    const c = new Client(daemon.endpoint);
    try {
        assert.equal((await c.version()).vetd, PKG.version);
    } finally {
        c.close();
    }
    assert.equal(PKG.license, "Apache-2.0");
    assert.equal(PKG.private, undefined);
    assert.deepEqual(PKG.exports["."], { types: "./index.d.ts", import: "./index.mjs", require: "./index.js" });
});

test("npm pack: the tarball installs offline into a scratch project and screens by require and import", () => {
    const packed = run("npm", ["pack", "--silent", "--pack-destination", scratch], HERE).trim().split("\n").pop();
    const tarball = path.join(scratch, packed);
    assert.equal(packed, `vetd-client-${PKG.version}.tgz`);
    const project = path.join(scratch, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "scratch", version: "1.0.0", private: true }));
    fs.cpSync(path.join(HERE, "node_modules"), path.join(project, "node_modules"), { recursive: true });
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], project);
    const installed = path.join(project, "node_modules", "vetd-client");
    assert.deepEqual(fs.readdirSync(installed).sort(), ["README.md", "index.d.ts", "index.js", "index.mjs", "package.json"]);

    const spec = JSON.stringify({ id: "pkg-1", partner: { name: "Harbin Institute of Technology", country: "CN" },
                                  technologies: ["ai.ml"], activity: "affiliation" });
    const body = (imp) => `${imp}
const c = new Client(${JSON.stringify(daemon.endpoint)}, { user: "pkg-user" });
c.screen(${spec}).then((r) => { console.log(r.id, r.verdict, typeof VetBadRequest); c.close(); },
                       (e) => { console.error(e); c.close(); process.exitCode = 1; });
`;
    fs.writeFileSync(path.join(project, "cjs.js"), body('const { Client, VetBadRequest } = require("vetd-client");'));
    fs.writeFileSync(path.join(project, "esm.mjs"), body('import { Client, VetBadRequest } from "vetd-client";'));
    assert.equal(run(process.execPath, ["cjs.js"], project).trim(), "pkg-1 prohibited function");
    assert.equal(run(process.execPath, ["esm.mjs"], project).trim(), "pkg-1 prohibited function");

    // The declarations, as a TypeScript user's editor sees them through
    // the package's "exports": a program that uses them right passes, and
    // one that misuses a field fails.
    const tsc = "/usr/bin/tsc";
    assert.ok(fs.existsSync(tsc), "tsc is not installed: run .ci/deps.sh (Debian's node-typescript)");
    const good = `import { Client, Result, VetBadRequest, VetError, ScreenRequest, Match } from "vetd-client";
async function main(): Promise<void> {
    const c = new Client("ipc:///nowhere", { timeoutMs: 100, retries: 0, user: "u" });
    const req: ScreenRequest = { id: "r-1", partner: { name: "x", country: "CN", type: "university", ids: { ror: "0" } },
                                 technologies: ["ai"], activity: "affiliation", current: true, text: "t",
                                 context: { user: "me", grant: 3, open: true }, profile: "all" };
    const r: Result = await c.screen(req, { user: "v", timeoutMs: 50 });
    const verdict: "clear" | "review" | "prohibited" | null = r.verdict;
    const best: Match | undefined = r.matches[0];
    const method: "id" | "exact" | "unit" | "related" | "fuzzy" | undefined = best?.method;
    for await (const x of c.screenMany([req, { op: "ping" }], { inflight: 4, profile: "all", user: "w" }))
        if (x.error instanceof VetBadRequest) { const e: VetError = x.error; void e.code; void e.reply; }
    const ps = await c.profiles();
    void [verdict, method, ps.default, ps.profiles[0]?.rules, r.ruleset?.digest, r.elapsedUs, c.resent];
    c.close();
}
void main;
`;
    const opts = ["--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", "--target", "es2020", "--lib", "es2020"];
    fs.writeFileSync(path.join(project, "good.ts"), good);
    run(tsc, [...opts, "good.ts"], project);
    fs.writeFileSync(path.join(project, "bad.ts"), good.replace('grant: 3', 'grant: [3]'));
    assert.throws(() => run(tsc, [...opts, "bad.ts"], project), (e) => /bad\.ts\(\d+,\d+\): error TS2322/.test(e.stdout));
});
