// SPDX-License-Identifier: Apache-2.0
// webhook.js -- an HR-workflow webhook: POST a partnership, get vetd's verdict.
//
//   VET_ENDPOINT=tcp://127.0.0.1:7470 node docs/examples/webhook.js 8080   (0: any free port)
//   curl -s localhost:8080/screen -d '{"partner":{"name":"Harbin Institute of Technology",
//        "country":"CN"},"technologies":["ai.ml"],"activity":"affiliation"}'
//   {"verdict":"prohibited","score":100,"rules":[{"id":"strac-nro",...}],...}
//
// Answers 200 with the verdict, 400 with the daemon's message for a bad
// request, 503 when vetd cannot be reached in time.
"use strict";

const http = require("node:http");
const path = require("node:path");
// In an application: require("vetd-client").
const { Client, VetBadRequest, VetUnavailable } = require(path.join(__dirname, "..", "..", "clients", "node"));

const port = Number(process.argv[2] || process.env.PORT || 8080);
// No endpoint: $VET_ENDPOINT (one, or several comma-separated), else tcp://127.0.0.1:7470.
const vet = new Client(null, { timeoutMs: 2000 });

function answer(res, status, body) {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body) + "\n");
}

async function screen(req, res) {
    let body = "";
    for await (const chunk of req) {
        body += chunk;
        if (body.length > 1 << 20)
            return answer(res, 413, { error: "request too large" });
    }
    let partnership;
    try {
        partnership = JSON.parse(body);
    } catch (e) {
        return answer(res, 400, { error: `invalid JSON: ${e.message}` });
    }
    try {
        const r = await vet.screen(partnership);
        answer(res, 200, {
            id: r.id,
            verdict: r.verdict,
            score: r.score,
            rules: r.rules.map((x) => ({ id: x.id, verdict: x.verdict, reason: x.reason })),
            matches: r.matches.map((m) => ({ name: m.name, lists: m.lists, method: m.method })),
            ruleset: r.ruleset,
        });
    } catch (e) {
        if (e instanceof VetBadRequest)
            return answer(res, 400, { error: e.message, code: e.code });
        if (e instanceof VetUnavailable)
            return answer(res, 503, { error: e.message });
        answer(res, 500, { error: e.message });
    }
}

const server = http.createServer((req, res) => {
    if (req.url !== "/screen")
        return answer(res, 404, { error: "POST a partnership to /screen" });
    if (req.method !== "POST")
        return answer(res, 405, { error: "POST a partnership to /screen" });
    screen(req, res).catch((e) => answer(res, 500, { error: e.message }));
});

server.listen(port, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}/screen`);
});

for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
        server.close();
        server.closeIdleConnections();
        vet.close();
    });
}
