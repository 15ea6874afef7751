// SPDX-License-Identifier: Apache-2.0
// index.d.ts -- TypeScript declarations of vetd-client (index.js, index.mjs):
// the request and reply of docs/PROTOCOL.md field by field, the Client, the
// Result and the error classes. Checked by `tsc --noEmit` in the tests.

export type Verdict = "clear" | "review" | "prohibited";
export type MatchMethod = "id" | "exact" | "unit" | "related" | "fuzzy";
export type PartnerType =
    | "university" | "research_institute" | "military" | "company"
    | "state_owned_enterprise" | "government" | "individual" | "other";

/** The partner of a screening request. */
export interface Partner {
    /** The partner's name, any script, at most 1024 bytes. */
    name: string;
    /** Other names the caller knows it by (at most 64). */
    aliases?: string[] | null;
    /** ISO 3166-1 alpha-2 ("CN", case-insensitive). */
    country?: string | null;
    /** ISO 3166-2 subdivision ("UA-43"). */
    region?: string | null;
    type?: PartnerType | null;
    /** A person's date of birth: "YYYY-MM-DD", "YYYY-MM" or "YYYY"; type "individual" only. */
    birth_date?: string | null;
    /** A person's nationality, ISO 3166-1 alpha-2; type "individual" only. */
    nationality?: string | null;
    /** Scheme -> value ("ror", "lei", "uscc", "ofac", ...; at most 32). */
    ids?: Record<string, string> | null;
}

/** Free-form values that rules read as context.KEY; `user` names who asks. */
export interface Context {
    user?: string;
    [key: string]: string | number | boolean | undefined;
}

/** A screening request (docs/PROTOCOL.md, "Screening request"). */
export interface ScreenRequest {
    /** The caller's record id, echoed in the reply (numbers come back as strings) and kept in the audit log. */
    id?: string | number | null;
    op?: "screen";
    partner: Partner;
    /** Taxonomy codes the work aims to advance. */
    technologies?: string[] | null;
    /** The kind of tie: "joint_lab", "affiliation", "funding", "in_kind", ... */
    activity?: string | null;
    /** Whether the tie is current (default true). */
    current?: boolean | null;
    /** Free-text description of the work (at most 64 KiB). */
    text?: string | null;
    context?: Context | null;
    /** The jurisdiction profile to judge by; default: the daemon's. */
    profile?: string | null;
}

/** An admin request. */
export interface AdminRequest {
    id?: string | number | null;
    op: "ping" | "version" | "stats" | "taxonomy" | "profiles" | "reload";
}

export type Request = ScreenRequest | AdminRequest;

/** An organisation (or person) the partner was found as, best first. */
export interface Match {
    entity: string;
    name: string;
    /** What it was found by: the alias, or "scheme:value". */
    matched: string;
    method: MatchMethod;
    /** 0..1, two decimals. */
    score: number;
    country?: string | null;
    lists: string[];
    tags: string[];
    risk?: string | null;
    sources: string[];
    /** The part of the request string that named it, when not all of it. */
    matched_span?: string;
    /** Registry entries merged into this organisation. */
    merged?: string[];
    /** A person's match: what the request's date of birth says. */
    birth_date?: "match" | "not given" | "not listed" | "differs";
    birth_dates?: string[];
    nationality?: "match" | "differs" | "not given" | "not listed";
    nationalities?: string[];
}

/** The region the rules saw. */
export interface RegionSeen {
    code: string;
    name?: string;
    from: "request" | "name";
    place?: string;
}

export interface PartnerReply {
    matches: Match[];
    region?: RegionSeen;
    /** Listed people whose name matched but whose every listed date of birth differs. */
    ruled_out?: Match[];
}

export interface Category {
    code: string;
    label: string;
    given: boolean;
    spotted: boolean;
    evidence: string[];
}

export interface Rule {
    id: string;
    verdict: Verdict;
    score: number;
    reason: string;
    cite: string;
    /** The organisation it fired on, or null. */
    entity: string | null;
}

export interface RulesetRef {
    version: string;
    digest: string;
}

export interface StaleList {
    list: string;
    as_of: string;
    max_age_days: number;
}

/** The reply to a screening request (docs/PROTOCOL.md, "Screening reply"). */
export interface ScreeningReply {
    id?: string;
    verdict: Verdict;
    score: number;
    partner: PartnerReply;
    categories: Category[];
    rules: Rule[];
    profile?: string;
    ruleset: RulesetRef;
    elapsed_us: number;
    note?: string;
    stale?: StaleList[];
    [field: string]: unknown;
}

/** An error reply. */
export interface ErrorReply {
    id?: string;
    error: { code: string; message: string };
}

/** Any reply object, as call() and callRaw() give it. */
export type Reply = { id?: string; [field: string]: unknown };

export interface Profile {
    id: string;
    label: string;
    rules: string[];
    description?: string;
}

export interface ProfilesReply {
    id?: string;
    default: string;
    profiles: Profile[];
}

export interface CallOptions {
    /** The deadline of the call, all attempts included (default: the client's). */
    timeoutMs?: number;
    /** Extra attempts after one without an answer (default: the client's). */
    retries?: number;
}

export interface ScreenOptions extends CallOptions {
    /** Sent as context.user unless the request's context names one (default: the client's). */
    user?: string | null;
}

export interface ClientOptions {
    timeoutMs?: number;
    retries?: number;
    /** Who asks: context.user of every screening request naming none. */
    user?: string | null;
    /** CURVE: the daemon's public key, 40 Z85 characters or its certificate file (docs/SECURITY.md). */
    serverKey?: string | null;
    /** CURVE: this client's secret key, 40 Z85 characters or its secret certificate file (PATH_secret). */
    key?: string | null;
}

export interface ScreenManyOptions {
    /** Items read ahead: outstanding, waiting for their id, or answered and not yet yielded. */
    inflight?: number;
    /** One attempt's deadline. */
    timeoutMs?: number;
    /** Attempts after the first, per item (default: max(2, the client's)). */
    retries?: number;
    /** The profile of every screening item naming none. */
    profile?: string | null;
    /** The context.user of every screening item naming none (default: the client's). */
    user?: string | null;
}

/** A screening item of screenMany: a request object (an admin op too). */
export type ScreenItem = ScreenRequest | AdminRequest | Record<string, unknown>;

export interface ErrorOptions {
    code?: string;
    id?: string | null;
    reply?: Reply | null;
    endpoint?: string | null;
}

/** Every error of this client. */
export class VetError extends Error {
    constructor(message: string, options?: ErrorOptions);
    /** The daemon's code ("bad_request", "too_large", "unknown_op", "unavailable", "internal") or the client's ("timeout", "closed", "protocol", "zmq"). */
    code: string;
    /** The request id the daemon echoed, if any. */
    id: string | null;
    /** The daemon's whole error reply, if any. */
    reply: Reply | null;
    /** The endpoint of the client that raised it. */
    endpoint: string | null;
}
/** No answer in time, or no ruleset loaded. */
export class VetUnavailable extends VetError {}
/** The daemon refused the request. */
export class VetBadRequest extends VetError {}
/** The daemon failed, or a reply that is not the protocol's. */
export class VetInternal extends VetError {}

/** A screening verdict; for screenMany, also an item's error. */
export class Result {
    constructor(raw: Reply | null, options?: { id?: string | null; error?: VetError | null; index?: number | null });
    /** The id as the daemon echoed it; null for an item sent without one. */
    id: string | null;
    verdict: Verdict | null;
    score: number | null;
    matches: Match[];
    rules: Rule[];
    categories: Category[];
    ruleset: RulesetRef | null;
    elapsedUs: number | null;
    note: string | null;
    profile: string | null;
    error: VetError | null;
    /** Position in screenMany's input (null for screen()). */
    index: number | null;
    /** The reply object as the daemon sent it. */
    raw: ScreeningReply | ErrorReply | Reply | null;
    readonly ok: boolean;
}

export class Client {
    /** endpoint: one, a comma-separated list, or an array; none: $VET_ENDPOINT, else DEFAULT_ENDPOINT. */
    constructor(endpoint?: string | readonly string[] | null, options?: ClientOptions);
    /** The endpoints, comma-separated. */
    readonly endpoint: string;
    /** The endpoints connected to. */
    readonly endpoints: readonly string[];
    readonly timeoutMs: number;
    readonly retries: number;
    readonly user: string | null;
    /** Requests streams sent again after a timeout. */
    readonly resent: number;
    callRaw(request: Uint8Array | string, options?: CallOptions): Promise<Reply>;
    call(request: Request | Record<string, unknown>, options?: CallOptions): Promise<Reply>;
    screen(spec: ScreenRequest, options?: ScreenOptions): Promise<Result>;
    ping(options?: CallOptions): Promise<Reply & { ok: true }>;
    version(options?: CallOptions): Promise<Reply>;
    stats(options?: CallOptions): Promise<Reply>;
    taxonomy(options?: CallOptions): Promise<Reply>;
    profiles(options?: CallOptions): Promise<ProfilesReply>;
    reload(options?: CallOptions): Promise<Reply>;
    screenMany(items: Iterable<ScreenItem> | AsyncIterable<ScreenItem>,
               options?: ScreenManyOptions): AsyncGenerator<Result, void, undefined>;
    close(): void;
}

/** The VetError an error reply stands for, or null. */
export function replyError(reply: Reply, endpoint?: string | null): VetError | null;
/** An id as the daemon echoes it (numbers as cJSON prints them). */
export function echoId(id: string | number): string;
export const DEFAULT_ENDPOINT: string;
/** endpoint as a client resolves it: one, a comma-separated list or an array; null or undefined: $VET_ENDPOINT, else DEFAULT_ENDPOINT. */
export function resolveEndpoints(endpoint?: string | readonly string[] | null): string[];
