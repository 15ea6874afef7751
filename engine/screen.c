/* SPDX-License-Identifier: Apache-2.0 */
/* screen.c -- Request -> Result: identify, classify, evaluate, decide. */
#include "screen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "norm.h"

#define SCREEN_MAX_HITS 512 /* keyword occurrences kept per request */

/* Formats an error message into the arena and marks the result. */
static int fail(result_t *res, arena_t *a, req_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(result_t *res, arena_t *a, req_err_t code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    res->err = code;
    res->errmsg = arena_strdup(a, buf);
    if (res->errmsg == NULL)
        res->errmsg = "out of memory";
    return -1;
}

/* Validates a symbol of the request against a vocabulary. */
static int
check_symbol(const vocab_t *v, const char *val, const char *field, const char *kind, result_t *res,
             arena_t *a, int *out)
{
    *out = -1;
    if (val == NULL)
        return 0;
    *out = vocab_find(v, val);
    if (*out >= 0)
        return 0;
    const char *sug = vocab_suggest(v, val);
    if (sug != NULL)
        return fail(res, a, ERR_BAD_REQUEST, "%s: unknown %s \"%s\" (did you mean \"%s\"?)", field,
                    kind, val, sug);
    return fail(res, a, ERR_BAD_REQUEST, "%s: unknown %s \"%s\"", field, kind, val);
}

/* Resolves the given technology codes into a bitset. */
static int
given_codes(const ruleset_t *rs, const request_t *req, uint64_t *given, result_t *res, arena_t *a)
{
    for (size_t i = 0; i < req->n_tech; i++) {
        int c = tax_find(rs->tax, req->tech[i]);
        if (c >= 0) {
            given[c / 64] |= 1ULL << (c % 64);
            continue;
        }
        int near[3];
        size_t n = tax_suggest(rs->tax, req->tech[i], near, 3);
        char list[256] = "";
        size_t off = 0;
        for (size_t k = 0; k < n && off < sizeof list; k++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", k ? ", " : "",
                                    tax_get(rs->tax, near[k])->code);
        if (n > 0)
            return fail(res, a, ERR_BAD_REQUEST,
                        "technologies[%zu]: unknown code \"%s\" (nearest: %s)", i, req->tech[i],
                        list);
        return fail(res, a, ERR_BAD_REQUEST, "technologies[%zu]: unknown code \"%s\"", i,
                    req->tech[i]);
    }
    return 0;
}

/* Spots categories in the free text; fills the spotted bitset and, per
 * category, the deduplicated keywords that revealed it. */
static int
spot_text(const ruleset_t *rs, const request_t *req, uint64_t *spotted, const char ***evidence,
          size_t *n_evidence, result_t *res, arena_t *a)
{
    if (req->text == NULL || req->text[0] == '\0')
        return 0;
    const char *norm;
    size_t nlen;
    char err[96];
    if (norm_text(a, req->text, strlen(req->text), &norm, &nlen, err, sizeof err) != 0)
        return fail(res, a, ERR_BAD_REQUEST, "text: %s", err);
    tax_hit_t *hits = arena_alloc(a, SCREEN_MAX_HITS * sizeof *hits);
    if (hits == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    size_t nh = tax_spot(rs->tax, norm, nlen, hits, SCREEN_MAX_HITS);
    for (size_t i = 0; i < nh; i++) {
        int c = hits[i].cat;
        const char *kw = tax_get(rs->tax, c)->keywords[hits[i].keyword];
        spotted[c / 64] |= 1ULL << (c % 64);
        bool seen = false;
        for (size_t k = 0; k < n_evidence[c] && !seen; k++)
            seen = evidence[c][k] == kw;
        if (seen)
            continue;
        if (evidence[c] == NULL) {
            /* A category has at most its own keyword count of evidence. */
            evidence[c] = arena_alloc(a, tax_get(rs->tax, c)->n_keywords * sizeof(char *));
            if (evidence[c] == NULL)
                return fail(res, a, ERR_INTERNAL, "out of memory");
        }
        evidence[c][n_evidence[c]++] = kw;
    }
    return 0;
}

/* Appends fmt to buf (cap bytes) at *off; text past the end is cut
 * (still NUL-terminated), and *off never passes cap - 1. */
static void note_put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
note_put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
    if (*off + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    if (n > 0)
        *off = *off + (size_t)n < cap ? *off + (size_t)n : cap - 1;
}

/* The separator before item i of n in a list read out: "a", "a and b",
 * "a, b and c". */
static const char *
list_sep(size_t i, size_t n)
{
    return i == 0 ? "" : i + 1 == n ? " and " : ", ";
}

#define NOTE_MAX_NAMED 3 /* organisations a note names; more are counted */

/* Sets res->note (in a) when the partner matched, or a listed person was
 * ruled out by the date of birth (res->ruled_out), and no rule fired on
 * any match, so that a match never goes unmentioned behind a clear
 * verdict (issue 12, "no silent clears"). Done here rather than by a
 * catch-all rule so that every ruleset gets it. The note names the
 * organisations and how they matched, what commonly leaves a match
 * alone, and which of those the request shows; then the people ruled
 * out, with their listed dates. Returns 0, or -1 on OOM (res->err set). */
static int
add_note(const ruleset_t *rs, const request_t *req, result_t *res, arena_t *a)
{
    if (res->n_matches == 0 && res->n_ruled_out == 0 && res->n_dismissed == 0)
        return 0;
    for (size_t i = 0; i < res->n_rules; i++)
        if (res->rules[i].entity >= 0 && res->rules[i].review < 0)
            return 0;
    char buf[1536] = "";
    size_t off = 0, n = res->n_matches;
    if (n == 0)
        goto ruled_out;
    note_put(buf, sizeof buf, &off, "The partner matched ");
    for (size_t i = 0; i < n && i < NOTE_MAX_NAMED; i++) {
        const match_hit_t *h = &res->matches[i];
        note_put(buf, sizeof buf, &off, "%s%s (%s)", list_sep(i, n), rs->ents[h->entity].id,
                 match_method_name(h->method));
    }
    if (n > NOTE_MAX_NAMED)
        note_put(buf, sizeof buf, &off, " and %zu more", n - NOTE_MAX_NAMED);
    /* Judged by a profile that leaves rules out: say so, since a rule
     * of another profile may act on the match. */
    const rs_profile_t *prof = &rs->profiles[res->profile];
    if (prof->n_rules < rs->n_rules)
        note_put(buf, sizeof buf, &off, " in the registry, but no rule of the profile \"%s\"",
                 prof->id);
    else
        note_put(buf, sizeof buf, &off, " in the registry, but no rule");
    note_put(buf, sizeof buf, &off,
             " acts on %s, so the verdict does not reflect %s."
             " Rules leave a match alone when, for example, the tie is past, the list or tag"
             " counts only with sensitive technology or certain activities, or no rule names"
             " the list.",
             n == 1 ? "this match" : "these matches", n == 1 ? "it" : "them");
    const char *why[3];
    size_t nw = 0;
    if (!req->current)
        why[nw++] = "the tie is past (current = false)";
    if (res->n_cats == 0)
        why[nw++] = "no technology was given or spotted in the text";
    if (req->activity == NULL)
        why[nw++] = "no activity was given";
    for (size_t i = 0; i < nw; i++)
        note_put(buf, sizeof buf, &off, "%s%s", i == 0 ? " Here " : list_sep(i, nw), why[i]);
    note_put(buf, sizeof buf, &off, "%sCheck the match before relying on this verdict.",
             nw > 0 ? ". " : " ");
ruled_out:
    /* People the date of birth ruled out: a person's name that matched. */
    for (size_t i = 0; i < res->n_ruled_out && i < NOTE_MAX_NAMED; i++) {
        const reg_entity_t *e = &rs->ents[res->ruled_out[i].entity];
        if (i == 0)
            note_put(buf, sizeof buf, &off,
                     "%sThe date of birth given (%s) rules out the listed person%s of the same "
                     "name: ",
                     off > 0 ? " " : "", req->birth_date != NULL ? req->birth_date : "",
                     res->n_ruled_out > 1 ? "s" : "");
        note_put(buf, sizeof buf, &off, "%s%s (born ", list_sep(i, res->n_ruled_out), e->id);
        for (uint16_t k = 0; k < e->n_birth_dates; k++)
            note_put(buf, sizeof buf, &off, "%s%s", k > 0 ? " or " : "", e->birth_dates[k]);
        note_put(buf, sizeof buf, &off, ")");
    }
    if (res->n_ruled_out > NOTE_MAX_NAMED)
        note_put(buf, sizeof buf, &off, " and %zu more", res->n_ruled_out - NOTE_MAX_NAMED);
    if (res->n_ruled_out > 0)
        note_put(buf, sizeof buf, &off,
                 ". A different date of birth makes the partner someone else, unless the date "
                 "given is wrong: confirm it.");
    /* Matches a person dismissed, and ties a person accepted: the
     * decision is in the reply (dismissed[].reviewed, rules[].reviewed);
     * the note says that it was a decision, not the matcher. */
    for (size_t i = 0; i < res->n_dismissed && i < NOTE_MAX_NAMED; i++) {
        const rs_review_t *r = &rs->reviews[res->dismissed_by[i]];
        note_put(buf, sizeof buf, &off, "%s%s (%s)",
                 i == 0 ? (off > 0 ? " The review register says the partner is not "
                                   : "The review register says the partner is not ")
                        : list_sep(i, res->n_dismissed),
                 rs->ents[res->dismissed[i].entity].id, r->id);
    }
    if (res->n_dismissed > NOTE_MAX_NAMED)
        note_put(buf, sizeof buf, &off, " and %zu more", res->n_dismissed - NOTE_MAX_NAMED);
    if (res->n_dismissed > 0)
        note_put(buf, sizeof buf, &off,
                 ": decisions people made and signed (dismissed[].reviewed), in force until they "
                 "expire.");
    for (size_t i = 0; i < res->n_rules; i++) {
        if (res->rules[i].review < 0)
            continue;
        const rs_review_t *r = &rs->reviews[res->rules[i].review];
        note_put(buf, sizeof buf, &off,
                 "%sRule %s was accepted for this tie by review %s (%s, %s; until %s) and counts "
                 "for nothing here.",
                 off > 0 ? " " : "", rs->rules[res->rules[i].rule].id, r->id, r->by, r->on,
                 r->expires);
    }
    if ((res->note = arena_strdup(a, buf)) == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    return 0;
}

/* The profile req names (else the ruleset's default) into res->profile.
 * An unknown name is refused: judging by another profile than the one
 * asked for could clear what that one would not. */
static int
pick_profile(const ruleset_t *rs, const request_t *req, result_t *res, arena_t *a)
{
    res->profile = rs->default_profile;
    const char *name = req->profile != NULL ? req->profile : req->default_profile;
    const char *field = req->profile != NULL ? "profile" : "the daemon's default profile";
    if (name == NULL)
        return 0;
    int p = vocab_find(&rs->profile_ids, name);
    if (p >= 0) {
        res->profile = p;
        return 0;
    }
    const char *sug = vocab_suggest(&rs->profile_ids, name);
    char known[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < rs->n_profiles; i++)
        note_put(known, sizeof known, &off, "%s%s", i ? ", " : "", rs->profiles[i].id);
    if (sug != NULL)
        return fail(res, a, ERR_BAD_REQUEST, "%s: unknown profile \"%.64s\" (did you mean \"%s\"?)",
                    field, name, sug);
    return fail(res, a, ERR_BAD_REQUEST, "%s: unknown profile \"%.64s\" (profiles: %s)", field,
                name, known);
}

/* True if the place (normalised words) occurs as whole words in the
 * normalised text t. */
static bool
has_words(const char *t, const char *place)
{
    size_t n = strlen(place);
    for (const char *s = strstr(t, place); s != NULL; s = strstr(s + 1, place))
        if ((s == t || s[-1] == ' ') && (s[n] == '\0' || s[n] == ' '))
            return true;
    return false;
}

/* Sets res->region*: the request's partner.region, else the first region
 * one of whose places occurs in the partner's name or an alias. Returns
 * 0, or -1 (res->err set) on OOM. */
static int
find_region(const ruleset_t *rs, const request_t *req, result_t *res, arena_t *a)
{
    res->region = -1;
    if (req->region != NULL) {
        res->region_code = req->region;
        for (size_t i = 0; i < rs->n_regions; i++)
            if (strcmp(rs->regions[i].code, req->region) == 0)
                res->region = (int)i;
        return 0;
    }
    if (rs->n_regions == 0)
        return 0;
    for (size_t q = 0; q <= req->n_aliases; q++) {
        const char *s = q == 0 ? req->name : req->aliases[q - 1];
        const char *t;
        size_t tlen;
        char err[96];
        if (s == NULL)
            continue;
        if (norm_text(a, s, strlen(s), &t, &tlen, err, sizeof err) != 0) {
            /* Out of memory must not pass as "no region" (a rule would
             * not fire); any other refusal the matcher reports. */
            if (strcmp(err, "out of memory") == 0)
                return fail(res, a, ERR_INTERNAL, "out of memory");
            continue;
        }
        for (size_t i = 0; i < rs->n_regions; i++)
            for (size_t k = 0; k < rs->regions[i].n_places; k++)
                if (has_words(t, rs->regions[i].places[k])) {
                    res->region = (int)i;
                    res->region_code = rs->regions[i].code;
                    res->region_place = rs->regions[i].places[k];
                    return 0;
                }
    }
    return 0;
}

/* Moves the matches the review register says are not the partner
 * ("the name N (country C) is not entity E", in force now) from
 * res->matches to res->dismissed: rules never see them, the reply shows
 * them with the decision. The name compared is the request's name or
 * alias that found the match, normalised as the register's is. Returns
 * 0, or -1 on OOM (res->err set). */
static int
dismiss_reviewed(const ruleset_t *rs, const request_t *req, result_t *res, arena_t *a, time_t now)
{
    if (rs->n_reviews == 0 || res->n_matches == 0)
        return 0;
    match_hit_t *out = arena_alloc(a, res->n_matches * sizeof *out);
    uint32_t *by = arena_alloc(a, res->n_matches * sizeof *by);
    if (out == NULL || by == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    size_t kept = 0, n = 0;
    for (size_t i = 0; i < res->n_matches; i++) {
        const match_hit_t *h = &res->matches[i];
        const char *q = h->query == 0                ? req->name
                        : h->query <= req->n_aliases ? req->aliases[h->query - 1]
                                                     : NULL;
        const rs_review_t *r = NULL;
        const char *norm;
        size_t nlen;
        char err[96];
        /* Most matched organisations have no decision: normalise the
         * name only for those that do. */
        if (q != NULL && h->method != MATCH_ID && ruleset_reviews_name(rs, h->entity)) {
            if (norm_text(a, q, strlen(q), &norm, &nlen, err, sizeof err) != 0) {
                /* The matcher read this very string: only memory fails. */
                return fail(res, a, ERR_INTERNAL, "out of memory");
            }
            r = ruleset_review_not(rs, h->entity, norm, nlen, req->country, now);
        }
        if (r == NULL) {
            res->matches[kept++] = *h;
            continue;
        }
        out[n] = *h;
        by[n++] = (uint32_t)(r - rs->reviews);
    }
    /* The ruled out (people) sit right after the matches: keep them there. */
    if (kept < res->n_matches && res->n_ruled_out > 0)
        memmove(res->matches + kept, res->ruled_out, res->n_ruled_out * sizeof *res->matches);
    res->ruled_out = res->matches + kept;
    res->n_matches = kept;
    res->dismissed = out;
    res->dismissed_by = by;
    res->n_dismissed = n;
    return 0;
}

static bool
bit(const uint64_t *set, int i)
{
    return (set[i / 64] >> (i % 64)) & 1;
}

int
screen_run(const ruleset_t *rs, const request_t *req, arena_t *scratch, result_t *res)
{
    arena_t *a = scratch;
    memset(res, 0, sizeof *res);
    res->verdict = rs->default_verdict;
    res->region = -1;
    if (req->name == NULL || req->name[0] == '\0')
        return fail(res, a, ERR_BAD_REQUEST, "partner.name: required");
    if (pick_profile(rs, req, res, a) != 0 || find_region(rs, req, res, a) != 0)
        return -1;

    int type, activity;
    if (check_symbol(&rs->types, req->type, "partner.type", "partner type", res, a, &type) ||
        check_symbol(&rs->activities, req->activity, "activity", "activity", res, a, &activity))
        return -1;

    size_t ncat = tax_count(rs->tax), words = tax_words(rs->tax);
    uint64_t *given = arena_calloc(a, words + 1, sizeof *given);
    uint64_t *spotted = arena_calloc(a, words + 1, sizeof *spotted);
    const char ***evidence = arena_calloc(a, ncat + 1, sizeof *evidence);
    size_t *n_evidence = arena_calloc(a, ncat + 1, sizeof *n_evidence);
    if (given == NULL || spotted == NULL || evidence == NULL || n_evidence == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    if (given_codes(rs, req, given, res, a) != 0 ||
        spot_text(rs, req, spotted, evidence, n_evidence, res, a) != 0)
        return -1;

    /* Identify the partner. A request that does not say it is about a
     * person is about an organisation (every client before people were
     * screened sends none): people and organisations never match each
     * other. */
    match_query_t q = {.name = req->name,
                       .aliases = req->aliases,
                       .n_aliases = req->n_aliases,
                       .country = req->country,
                       .id_schemes = req->id_schemes,
                       .id_values = req->id_values,
                       .n_ids = req->n_ids,
                       .person = req->type != NULL && strcmp(req->type, "individual") == 0,
                       .birth_date = req->birth_date,
                       .nationality = req->nationality};
    unsigned cap = rs->match.max_results ? rs->match.max_results : 5;
    /* As many people ruled out by their date of birth as matches. */
    res->matches = arena_alloc(a, 2 * cap * sizeof *res->matches);
    if (res->matches == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    char err[128] = "";
    int nm = match_find(rs->mx, &q, a, res->matches, 2 * cap, err, sizeof err);
    if (nm < 0)
        return strcmp(err, "out of memory") == 0
                   ? fail(res, a, ERR_INTERNAL, "out of memory")
                   : fail(res, a, ERR_BAD_REQUEST, "partner: %s", err);
    /* The ruled out come last (match.h): they are no matches, rules never
     * see them, the reply lists them apart. */
    while (nm > 0 && res->matches[nm - 1].ruled_out) {
        nm--;
        res->n_ruled_out++;
    }
    res->ruled_out = res->matches + nm;
    res->n_matches = (size_t)nm;
    time_t now = rs->n_reviews > 0 ? time(NULL) : 0;
    if (dismiss_reviewed(rs, req, res, a, now) != 0)
        return -1;
    nm = (int)res->n_matches;

    /* Categories in the reply, taxonomy order. */
    res->cats = arena_alloc(a, (ncat + 1) * sizeof *res->cats);
    if (res->cats == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    for (size_t c = 0; c < ncat; c++) {
        bool g = bit(given, (int)c), s = bit(spotted, (int)c);
        if (!g && !s)
            continue;
        res->cats[res->n_cats++] = (res_cat_t){(int)c, g, s, evidence[c], n_evidence[c]};
    }

    /* Evaluate every rule of the profile once per match (or once
     * unmatched). */
    const rs_profile_t *prof = &rs->profiles[res->profile];
    res->rules = arena_alloc(a, (prof->n_rules + 1) * sizeof *res->rules);
    if (res->rules == NULL)
        return fail(res, a, ERR_INTERNAL, "out of memory");
    expr_facts_t f = {
        .ents = rs->ents,
        .entity = NULL,
        .match = 0,
        .method = -1,
        .country = req->country,
        .region = res->region_code,
        .type = type,
        .given = given,
        .spotted = spotted,
        .activity = activity,
        .current = req->current,
        .ctx = req->ctx,
        .n_ctx = req->n_ctx,
    };
    for (size_t k = 0; k < prof->n_rules; k++) {
        size_t r = prof->rules[k];
        const rs_rule_t *rule = &rs->rules[r];
        int64_t fired_on = -2, accepted_on = -2;
        const rs_review_t *accepted = NULL;
        if (nm == 0) {
            f.entity = NULL;
            f.match = 0;
            f.method = -1;
            if (!expr_needs_entity(rule->when) && expr_eval(rule->when, &f) == 1)
                fired_on = -1;
        }
        for (int m = 0; m < nm && fired_on == -2; m++) {
            f.entity = &rs->ents[res->matches[m].entity];
            f.match = res->matches[m].score;
            f.method = (int)res->matches[m].method;
            if (expr_eval(rule->when, &f) != 1)
                continue;
            /* A tie the register accepts for this activity under this
             * rule is shown, not judged; the rule may still fire on
             * another match. */
            const rs_review_t *acc =
                rs->n_reviews > 0 && activity >= 0
                    ? ruleset_review_accepted(rs, res->matches[m].entity, activity, (int)r, now)
                    : NULL;
            if (acc == NULL)
                fired_on = res->matches[m].entity;
            else if (accepted == NULL) {
                accepted = acc;
                accepted_on = res->matches[m].entity;
            }
        }
        if (fired_on == -2 && accepted != NULL) {
            res->rules[res->n_rules++] =
                (res_rule_t){(int)r, accepted_on, (int)(accepted - rs->reviews)};
            continue;
        }
        if (fired_on == -2)
            continue;
        res->rules[res->n_rules++] = (res_rule_t){(int)r, fired_on, -1};
        if (rule->verdict > res->verdict)
            res->verdict = rule->verdict;
        if (rule->score > res->score)
            res->score = rule->score;
    }
    return add_note(rs, req, res, a);
}
