// SPDX-License-Identifier: Apache-2.0
// vetd-client -- the Node.js client of the vetd daemon: JSON requests over
// ZeroMQ DEALER sockets (docs/PROTOCOL.md), with a deadline on every call,
// Lazy Pirate retries and an ordered, pipelined stream for many requests.
//
//   const { Client } = require("vetd-client");
//   const c = new Client("tcp://127.0.0.1:7470");
//   const r = await c.screen({ partner: { name: "Harbin Institute of Technology", country: "CN" } });
//   console.log(r.verdict);
//   c.close();
"use strict";

const zmq = require("zeromq");

const DEFAULT_ENDPOINT = "tcp://127.0.0.1:7470";
// Idle request sockets kept for the next call; more concurrent calls
// than this still work, their sockets are closed when they finish.
const POOL_MAX = 8;

// Every error of this client. `code` is the daemon's error code
// ("bad_request", "too_large", "unknown_op", "unavailable", "internal"),
// or the client's own: "timeout", "closed", "protocol", "zmq".
class VetError extends Error {
    constructor(message, { code = "error", id = null, reply = null, endpoint = null } = {}) {
        super(message);
        this.name = this.constructor.name;
        this.code = code;
        this.id = id;              // the request id the daemon echoed, if any
        this.reply = reply;        // the daemon's whole error reply, if any
        this.endpoint = endpoint;  // the endpoint of the client that raised it
    }
}

// The daemon cannot be reached in time, or has no ruleset loaded.
class VetUnavailable extends VetError {}

// The daemon refused the request; message and code are the daemon's.
class VetBadRequest extends VetError {}

// The daemon failed (out of memory, a bug), or answered something that
// is not a reply of the protocol.
class VetInternal extends VetError {}

const ERROR_CLASSES = {
    bad_request: VetBadRequest,
    too_large: VetBadRequest,
    unknown_op: VetBadRequest,
    unavailable: VetUnavailable,
    internal: VetInternal,
};

// The VetError an error reply stands for, or null when the reply is not
// an error. The message is the daemon's, verbatim.
function replyError(reply, endpoint = null) {
    if (reply === null || typeof reply !== "object" || !("error" in reply))
        return null;
    const e = reply.error || {};
    const code = typeof e.code === "string" ? e.code : "internal";
    const Cls = ERROR_CLASSES[code] || VetError;
    const message = typeof e.message === "string" ? e.message : JSON.stringify(reply.error);
    return new Cls(message, { code, id: reply.id === undefined ? null : reply.id, reply, endpoint });
}

// A screening verdict. For screenMany, an item the daemon refused gives a
// Result whose `error` is the VetError and whose verdict is null.
class Result {
    constructor(raw, { id = raw ? raw.id : null, error = null, index = null } = {}) {
        const r = raw || {};
        this.id = id === undefined ? null : id;
        this.verdict = r.verdict === undefined ? null : r.verdict;
        this.score = r.score === undefined ? null : r.score;
        this.matches = (r.partner && r.partner.matches) || [];
        this.rules = r.rules || [];
        this.categories = r.categories || [];
        this.ruleset = r.ruleset || null;
        this.elapsedUs = r.elapsed_us === undefined ? null : r.elapsed_us;
        // Set when the partner matched and no rule acted on the match.
        this.note = r.note === undefined ? null : r.note;
        // The ruleset's profile that judged it (null from a daemon without profiles).
        this.profile = typeof r.profile === "string" ? r.profile : null;
        this.error = error;  // null, or the VetError of this item
        this.index = index;  // position in screenMany's input (null for screen)
        this.raw = raw;      // the reply object as the daemon sent it
    }

    get ok() {
        return this.error === null;
    }
}

// The request object of a screen() argument: its fields as given, the
// undefined ones left out. Unknown fields are sent too: the daemon
// rejects them itself, with a "did you mean".
function screenRequest(spec) {
    if (spec === null || typeof spec !== "object" || Array.isArray(spec))
        throw new TypeError("screen: expected an object such as {partner: {name: \"...\"}}");
    const req = {};
    for (const [k, v] of Object.entries(spec))
        if (v !== undefined)
            req[k] = v;
    return req;
}

// True for a screening request: no op, or op "screen".
function isScreen(req) {
    return req.op === undefined || req.op === "screen";
}

// Throws TypeError unless user is null, undefined or a non-empty string.
function checkUser(user) {
    if (user !== null && user !== undefined && (typeof user !== "string" || user === ""))
        throw new TypeError("user: expected a non-empty string (who asks)");
}

// Sets req.context.user to user (who asks: the daemon's audit record
// keeps it) unless user is null/undefined or the request names its own.
// A context that is not an object is left for the daemon to reject.
function setUser(req, user) {
    if (user === null || user === undefined)
        return;
    if (req.context === undefined || req.context === null)
        req.context = { user };
    else if (typeof req.context === "object" && !Array.isArray(req.context) && !("user" in req.context))
        req.context = { ...req.context, user };
}

// C's printf("%1.<prec>g", d), which cJSON uses for numbers.
function formatG(d, prec) {
    if (d === 0)
        return Object.is(d, -0) ? "-0" : "0";
    const [mant, exp] = d.toExponential(prec - 1).split("e");
    const x = Number(exp);
    const strip = (t) => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
    if (x < -4 || x >= prec)
        return `${strip(mant)}e${x < 0 ? "-" : "+"}${String(Math.abs(x)).padStart(2, "0")}`;
    return strip(d.toFixed(Math.max(0, prec - 1 - x)));
}

// The id as the daemon echoes it: strings as they are, numbers as cJSON
// prints them (integers within 32 bits plainly, others with 15 or, if
// that does not round-trip, 17 significant digits). Throws TypeError for
// an id that is neither.
function echoId(id) {
    if (typeof id === "string")
        return id;
    if (typeof id !== "number" || !Number.isFinite(id))
        throw new TypeError("id: expected a string or a finite number");
    if (Number.isInteger(id) && id >= -(2 ** 31) && id <= 2 ** 31 - 1)
        return String(id);
    const s = formatG(id, 15);
    return Number(s) === id ? s : formatG(id, 17);
}

function toBuffer(request) {
    if (Buffer.isBuffer(request))
        return request;
    if (request instanceof Uint8Array)
        return Buffer.from(request.buffer, request.byteOffset, request.byteLength);
    if (typeof request === "string")
        return Buffer.from(request, "utf8");
    throw new TypeError("callRaw: expected a Buffer or a string of JSON");
}

function isTimeout(e) {
    return e && e.code === "EAGAIN";
}

// The reply frames [empty, json] as an object. Throws VetInternal when
// the framing or the JSON is not the protocol's.
function parseReply(frames, endpoint) {
    if (frames.length !== 2 || frames[0].length !== 0)
        throw new VetInternal(`bad reply from ${endpoint}: expected an empty delimiter and one JSON frame, ` +
                              `got ${frames.length} frames`, { code: "protocol", endpoint });
    try {
        const reply = JSON.parse(frames[1].toString("utf8"));
        if (reply === null || typeof reply !== "object" || Array.isArray(reply))
            throw new Error("not an object");
        return reply;
    } catch (e) {
        throw new VetInternal(`bad reply from ${endpoint}: not a JSON object (${e.message})`,
                              { code: "protocol", endpoint });
    }
}

// ---- CURVE keys (docs/SECURITY.md) ----------------------------------------

const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// The 32 bytes of a 40-character Z85 key, or null if it is not one.
function z85Decode(text) {
    if (typeof text !== "string" || text.length !== 40)
        return null;
    const out = Buffer.alloc(32);
    for (let i = 0; i < 40; i += 5) {
        let v = 0;
        for (let k = 0; k < 5; k++) {
            const d = Z85.indexOf(text[i + k]);
            if (d < 0)
                return null;
            v = v * 85 + d;
        }
        if (v > 0xffffffff)
            return null;
        out.writeUInt32BE(v, (i / 5) * 4);
    }
    return out;
}

function z85Encode(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 4) {
        let v = bytes.readUInt32BE(i);
        let chunk = "";
        for (let k = 0; k < 5; k++) {
            chunk = Z85[v % 85] + chunk;
            v = Math.floor(v / 85);
        }
        text += chunk;
    }
    return text;
}

// The public key of a CURVE secret key (X25519, as libsodium's
// crypto_scalarmult_base): node:crypto from a PKCS#8 wrapping of it.
function curvePublic(secret) {
    const crypto = require("node:crypto");
    const der = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), secret]);
    const pub = crypto.createPublicKey(crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" }))
        .export({ format: "der", type: "spki" });
    return pub.subarray(pub.length - 32);
}

// The Z85 value of field ("public-key", "secret-key") in the curve
// section of the zcert file at path (`vetd keygen` writes them).
function certKey(path, field) {
    const text = require("node:fs").readFileSync(path, "utf8");
    let section = "";
    for (const line of text.split(/\r?\n/)) {
        const body = line.replace(/^ +/, "");
        if (body === "" || body.startsWith("#"))
            continue;
        if (body === line) {
            section = body.split(/\s/)[0];
            continue;
        }
        const eq = body.indexOf("=");
        if (section !== "curve" || eq < 0 || body.slice(0, eq).trim() !== field)
            continue;
        const value = body.slice(eq + 1).trim().replace(/^["']|["']$/g, "");
        if (z85Decode(value) === null)
            throw new TypeError(`${path}: ${field} is not a key of 40 Z85 characters`);
        return value;
    }
    throw new TypeError(`${path}: no curve ${field}` +
                        (field === "secret-key" ? " (vetd keygen writes it to PATH_secret)" : ""));
}

// The socket options of a CURVE client, or null without keys. serverKey:
// the daemon's public key; key: this client's secret key; each 40 Z85
// characters or the path of a certificate file.
function curveOptions(serverKey, key) {
    if (serverKey == null && key == null)
        return null;
    if (serverKey == null || key == null)
        throw new TypeError("CURVE needs both serverKey (the daemon's public key) and key (this client's secret key)");
    const server = z85Decode(serverKey) ? serverKey : certKey(serverKey, "public-key");
    const secret = z85Decode(key) ? key : certKey(key, "secret-key");
    return {
        curveServerKey: server,
        curvePublicKey: z85Encode(curvePublic(z85Decode(secret))),
        curveSecretKey: secret,
    };
}

// The endpoints a client connects to: endpoint ("tcp://HOST:PORT",
// "ipc://PATH", a comma-separated list of them, or an array), or when it
// is null or undefined $VET_ENDPOINT (the one variable every client of
// vetd reads), else DEFAULT_ENDPOINT. TypeError when none is left.
function resolveEndpoints(endpoint) {
    if (endpoint === undefined || endpoint === null)
        endpoint = process.env.VET_ENDPOINT || DEFAULT_ENDPOINT;
    const items = typeof endpoint === "string" ? endpoint.split(",") : endpoint;
    if (!Array.isArray(items) || !items.every((e) => typeof e === "string"))
        throw new TypeError("endpoint: expected a string such as \"tcp://127.0.0.1:7470\", or a list of them");
    const eps = items.map((e) => e.trim()).filter((e) => e !== "");
    if (eps.length === 0)
        throw new TypeError("endpoint: no endpoint given");
    return eps;
}

class Client {
    // endpoint: "tcp://HOST:PORT" or "ipc://PATH", several of them (an
    // array, or comma-separated: requests are spread over the daemons
    // that are up, and a retry goes to one that answers), or none:
    // $VET_ENDPOINT, else DEFAULT_ENDPOINT. timeoutMs: the deadline
    // of each call, all its attempts included. retries: extra attempts
    // after an attempt got no answer (reload() never retries). Throws
    // VetError (code "zmq") on an endpoint ZeroMQ cannot connect to.
    // user: who asks, sent as context.user on every screening request that
    // names none (the daemon's audit log records it). serverKey and key: a
    // daemon that requires CURVE (docs/SECURITY.md): its public key and
    // this client's secret key, each 40 Z85 characters or the path of a
    // certificate `vetd keygen` wrote (the daemon's PATH, the client's
    // PATH_secret); both or neither (TypeError). A daemon that does not
    // allow the key never answers: calls fail with VetUnavailable.
    constructor(endpoint = null, { timeoutMs = 3000, retries = 1, user = null,
                                   serverKey = null, key = null } = {}) {
        this.endpoints = resolveEndpoints(endpoint);
        if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
            throw new TypeError("timeoutMs: expected a number > 0");
        this.endpoint = this.endpoints.join(",");
        this.timeoutMs = timeoutMs;
        this.retries = Math.max(0, Math.floor(retries) || 0);
        checkUser(user);
        this.user = user === undefined ? null : user;
        this._curve = curveOptions(serverKey, key);
        this.resent = 0;           // requests streams sent again after a timeout
        this._idle = [];           // connected sockets with nothing pending
        this._busy = new Set();    // sockets of calls and streams under way
        this._closed = false;
        // Connecting now checks the endpoint: a typo fails here, not as
        // a timeout later.
        this._idle.push(this._socket(false));
    }

    // A DEALER on the endpoint. Linger 0: close() drops what is unsent, so
    // the process never waits on it. For calls, ZMQ_IMMEDIATE keeps a
    // request from being queued for a daemon that is not connected (it
    // shows as a timeout and the retry goes over a fresh connection). A
    // stream queues instead, to be delivered when the daemon comes back,
    // and its receive queue is unbounded: vetd drops replies to a peer
    // whose queue is full, and what it holds is bounded by the window.
    // With several endpoints a stream is immediate too (requests go to the
    // daemons that are connected, not to a dead one's queue) and
    // heartbeats drop a daemon that hangs with its connection open, so a
    // request sent again goes to one that answers (docs/DEPLOY.md).
    _socket(stream) {
        const multi = this.endpoints.length > 1;
        const s = new zmq.Dealer({
            linger: 0,
            immediate: !stream || multi,
            sendHighWaterMark: stream ? 0 : 16,
            receiveHighWaterMark: stream ? 0 : 16,
            ...(multi ? { heartbeatInterval: 1000, heartbeatTimeToLive: 3000, heartbeatTimeout: 3000 } : {}),
            ...(this._curve || {}),
        });
        try {
            for (const e of this.endpoints)
                s.connect(e);
        } catch (e) {
            s.close();
            throw this._error(VetError, `cannot connect to ${this.endpoint}: ${e.message}`, "zmq");
        }
        return s;
    }

    // A client error of class Cls about this endpoint.
    _error(Cls, message, code) {
        return new Cls(message, { code, endpoint: this.endpoint });
    }

    _checkOpen() {
        if (this._closed)
            throw this._error(VetError, `client of ${this.endpoint} is closed`, "closed");
    }

    _take() {
        const s = this._idle.pop() || this._socket(false);
        this._busy.add(s);
        return s;
    }

    _give(s, reuse) {
        this._busy.delete(s);
        if (reuse && !this._closed && this._idle.length < POOL_MAX)
            this._idle.push(s);
        else
            s.close();
    }

    // Sends one request (a Buffer or string of JSON, not parsed, any op)
    // and resolves to the daemon's reply object, error replies included.
    // Rejects with VetUnavailable (code "timeout") when no answer came
    // within timeoutMs, VetInternal for a reply that is not the
    // protocol's, VetError (code "closed") when the client is closed.
    async callRaw(request, { timeoutMs = this.timeoutMs, retries = this.retries } = {}) {
        this._checkOpen();
        const body = toBuffer(request);
        const deadline = Date.now() + timeoutMs;
        const attempts = Math.max(0, Math.floor(retries) || 0) + 1;
        let made = 0;
        for (let a = 0; a < attempts; a++) {
            const now = Date.now();
            if (now >= deadline && a > 0)
                break;
            // An even share of what is left; the last attempt gets it all.
            const until = now + Math.floor((deadline - now) / (attempts - a));
            const s = this._take();
            made++;
            let frames;
            try {
                s.sendTimeout = Math.max(0, until - Date.now());
                await s.send(["", body]);
                s.receiveTimeout = Math.max(0, until - Date.now());
                frames = await s.receive();
            } catch (e) {
                // Lazy Pirate: the socket may yet get the late answer, so
                // it goes, and the next attempt starts on a fresh one.
                this._give(s, false);
                this._checkOpen();
                if (isTimeout(e))
                    continue;
                throw this._error(VetError, `cannot talk to ${this.endpoint}: ${e.message}`, "zmq");
            }
            this._give(s, true);
            return parseReply(frames, this.endpoint);
        }
        const tries = made > 1 ? ` (${made} attempts)` : "";
        throw this._error(VetUnavailable, `vetd not answering at ${this.endpoint}: timed out after ${timeoutMs} ms${tries}`,
                          "timeout");
    }

    // Sends a request object as JSON; the reply object as callRaw.
    async call(request, options) {
        if (request === null || typeof request !== "object")
            throw new TypeError("call: expected a request object");
        return this.callRaw(JSON.stringify(request), options);
    }

    // call(), but an error reply rejects with its VetError.
    async _checked(request, options) {
        const reply = await this.call(request, options);
        const err = replyError(reply, this.endpoint);
        if (err)
            throw err;
        return reply;
    }

    // Screens one partnership: spec has the request's fields (partner,
    // technologies, activity, current, text, context, profile, id; see
    // docs/PROTOCOL.md). profile is the id of the ruleset's profile to
    // judge by (profiles() lists them; absent: the daemon's default), and
    // Result.profile names the one that judged. options.user (default:
    // the client's) is sent as context.user unless spec.context has one.
    // Resolves to a Result; rejects with VetBadRequest (the daemon's code
    // and message; an unknown profile is one), VetUnavailable or
    // VetInternal.
    async screen(spec, options = {}) {
        const req = screenRequest(spec);
        const user = options.user === undefined ? this.user : options.user;
        checkUser(user);
        if (isScreen(req))
            setUser(req, user);
        const reply = await this._checked(req, options);
        return new Result(reply);
    }

    // The admin ops; each resolves to the daemon's reply object.
    async ping(options) {
        return this._checked({ op: "ping" }, options);
    }

    async version(options) {
        return this._checked({ op: "version" }, options);
    }

    async stats(options) {
        return this._checked({ op: "stats" }, options);
    }

    async taxonomy(options) {
        return this._checked({ op: "taxonomy" }, options);
    }

    // The ruleset's profiles and the daemon's default one:
    // { default: "all", profiles: [{ id, label, rules: [ruleId, ...] }, ...] }.
    async profiles(options) {
        return this._checked({ op: "profiles" }, options);
    }

    // A reload is not idempotent: it is sent once, never retried. A
    // reload that failed is no error: the reply says "ok": false with the
    // load errors.
    async reload(options) {
        return this._checked({ op: "reload" }, { ...options, retries: 0 });
    }

    // Screens every item of items (an iterable or async iterable of
    // screen() specs) and yields one Result per item, in input order.
    // Up to `inflight` items are outstanding at once on one DEALER. Each
    // request goes to the daemon under the item's own `id`, so the
    // daemon's audit log names the caller's record; an item without one
    // gets an id made here ("~js...", seen only in the audit log: its
    // Result.id is null). Replies are matched by the echoed id, and no two
    // requests with the same echoed id (a reused id, or 12 and "12") are
    // ever outstanding on one socket: the later item waits until the
    // earlier one's reply came. When an item gets no answer within
    // timeoutMs the stream's socket is replaced and every outstanding
    // request sent again on the new one (Lazy Pirate), `retries` times at
    // most per item: a late answer to the old socket is lost with it, so
    // nothing is answered twice and a daemon restart loses nothing. An
    // item the daemon refuses (or that is not an object) yields a Result
    // with `error` set and the stream goes on. If an item runs out of
    // attempts while the daemon answered nothing at all, the daemon is
    // gone: the generator throws VetUnavailable; otherwise that item's
    // Result has a VetUnavailable error. profile is the profile, and user
    // (default: the client's) the context.user, of every screening item
    // that names none; an item's own wins.
    async *screenMany(items, { inflight = 256, timeoutMs = this.timeoutMs, retries = Math.max(2, this.retries),
                               profile = null, user = this.user } = {}) {
        this._checkOpen();
        if (!(Number.isInteger(inflight) && inflight > 0))
            throw new TypeError("inflight: expected an integer > 0");
        if (profile !== null && profile !== undefined && typeof profile !== "string")
            throw new TypeError("profile: expected a string (a profile id)");
        checkUser(user);
        const it = items[Symbol.asyncIterator] ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
        let s = null;                // the stream's socket, replaced on a timeout
        const tag = `~js${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}.`;
        const pending = new Map();   // echoed id -> {index, key, invented, body, deadline, expired, firstSent}
        const held = new Map();      // echoed id -> [items waiting until that id is free]
        const done = new Map();      // index -> Result, not yet yielded
        let next = 0;                // index of the next item read
        let out = 0;                 // index of the next Result to yield
        let exhausted = false;       // the input has no more items
        let lastReply = 0;           // when the last reply came
        const busy = (key) => pending.has(key) || held.has(key);
        const send = async (p) => {
            p.deadline = Date.now() + timeoutMs;
            try {
                s.sendTimeout = -1;  // unbounded queue: never blocks
                await s.send(["", p.body]);
            } catch (e) {
                this._checkOpen();
                throw this._error(VetError, `cannot send to ${this.endpoint}: ${e.message}`, "zmq");
            }
        };
        // p's id is free on the wire now: it goes out.
        const enter = async (p) => {
            pending.set(p.key, p);
            p.firstSent = Date.now();
            await send(p);
        };
        // p is answered or given up: the next item waiting for its id goes.
        const leave = async (p) => {
            pending.delete(p.key);
            const q = held.get(p.key);
            if (q !== undefined) {
                const n = q.shift();
                if (q.length === 0)
                    held.delete(p.key);
                await enter(n);
            }
        };
        const open = () => {
            s = this._socket(true);
            this._busy.add(s);
        };
        try {
            open();
            for (;;) {
                while (done.has(out)) {
                    const r = done.get(out);
                    done.delete(out);
                    out++;
                    yield r;
                }
                if (exhausted && out === next)
                    return;
                // Fill the window: outstanding, held and not-yet-yielded items.
                while (!exhausted && next - out < inflight) {
                    const step = await it.next();
                    this._checkOpen();
                    if (step.done) {
                        exhausted = true;
                        break;
                    }
                    const index = next++;
                    let req, key, invented;
                    try {
                        req = screenRequest(step.value);
                        if (isScreen(req)) {
                            if (typeof profile === "string" && (req.profile === undefined || req.profile === null))
                                req.profile = profile;
                            setUser(req, user);
                        }
                        invented = req.id === undefined || req.id === null;
                        if (invented) {
                            key = tag + index;
                            for (let n = 1; busy(key); n++)
                                key = `${tag}${index}~${n}`;
                            req = { id: key, ...req };
                        } else {
                            key = echoId(req.id);
                        }
                    } catch (e) {
                        const error = new VetBadRequest(`item ${index}: ${e.message}`, { code: "bad_request" });
                        done.set(index, new Result(null, { id: null, index, error }));
                        continue;
                    }
                    const p = { index, key, invented, expired: 0, firstSent: 0, deadline: 0,
                                body: Buffer.from(JSON.stringify(req), "utf8") };
                    if (busy(key)) {
                        if (!held.has(key))
                            held.set(key, []);
                        held.get(key).push(p);
                    } else {
                        await enter(p);
                    }
                }
                if (done.has(out))
                    continue;
                if (pending.size === 0)
                    continue;
                let earliest = Infinity;
                for (const p of pending.values())
                    earliest = Math.min(earliest, p.deadline);
                let frames = null;
                try {
                    s.receiveTimeout = Math.max(0, earliest - Date.now());
                    frames = await s.receive();
                } catch (e) {
                    this._checkOpen();
                    if (!isTimeout(e))
                        throw this._error(VetError, `cannot talk to ${this.endpoint}: ${e.message}`, "zmq");
                }
                if (frames !== null) {
                    lastReply = Date.now();
                    let reply;
                    try {
                        reply = parseReply(frames, this.endpoint);
                    } catch (e) {
                        continue;  // not ours to match: its item is re-sent on time
                    }
                    const p = typeof reply.id === "string" ? pending.get(reply.id) : undefined;
                    if (p === undefined)
                        continue;  // a duplicate, or an id-less error
                    await leave(p);
                    if (p.invented)
                        delete reply.id;
                    const err = replyError(reply, this.endpoint);
                    done.set(p.index, new Result(reply, { error: err, index: p.index }));
                    continue;
                }
                // Timed out. Give up what has no attempt left; then replace
                // the socket (its late answers die with it) and send every
                // outstanding request again on the new one.
                const now = Date.now();
                let due = false;
                for (const p of [...pending.values()]) {
                    if (p.deadline > now)
                        continue;
                    due = true;
                    p.expired++;
                    if (p.expired <= retries)
                        continue;
                    const waited = now - p.firstSent;
                    const msg = `vetd not answering at ${this.endpoint}: timed out after ${waited} ms ` +
                                `(${p.expired} attempts)`;
                    if (lastReply < p.firstSent)
                        throw this._error(VetUnavailable, `${msg}; ${out} items of the stream answered`, "timeout");
                    pending.delete(p.key);
                    const error = this._error(VetUnavailable, msg, "timeout");
                    done.set(p.index, new Result(null, { id: p.invented ? null : p.key, index: p.index, error }));
                    const q = held.get(p.key);
                    if (q !== undefined) {   // goes out on the new socket below
                        const n = q.shift();
                        if (q.length === 0)
                            held.delete(p.key);
                        n.firstSent = now;
                        pending.set(n.key, n);
                    }
                }
                if (!due)
                    continue;
                this._busy.delete(s);
                s.close();
                open();
                const again = [...pending.values()].sort((a, b) => a.index - b.index);
                for (const p of again) {
                    this.resent++;
                    await send(p);
                }
            }
        } finally {
            if (s !== null) {
                this._busy.delete(s);
                s.close();
            }
            if (typeof it.return === "function" && !exhausted) {
                try {
                    await it.return();
                } catch (e) {
                    // the input's own clean-up failed: not ours to report
                }
            }
        }
    }

    // Closes every socket at once (linger 0: unsent requests are dropped);
    // calls under way reject with VetError (code "closed"). The process
    // can then exit. Idempotent.
    close() {
        if (this._closed)
            return;
        this._closed = true;
        for (const s of this._idle)
            s.close();
        for (const s of this._busy)
            s.close();
        this._idle = [];
        this._busy.clear();
    }
}

module.exports = {
    Client,
    Result,
    VetError,
    VetUnavailable,
    VetBadRequest,
    VetInternal,
    replyError,
    echoId,
    DEFAULT_ENDPOINT,
    resolveEndpoints,
};
