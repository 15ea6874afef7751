/* SPDX-License-Identifier: Apache-2.0 */
/* script.c -- non-Latin names to the matcher's forms: a t2s table from OpenCC, one ICU transform
 * (script.h).
 *
 * Cost (Debian 12, ICU 72.1, OpenCC 1.1.5, -O2, one thread on a shared
 * 2-core machine; median of 20000 calls, scratch measurement):
 *   script_latin       "国防科技大学"                     34 us
 *                      "北京航空航天大学"                 50 us
 *                      a 19-character institute name     150 us
 *                      the Bauman name (71 Cyrillic)      15 us
 *                      "دانشگاه صنعتی شریف"                5 us
 *                      ASCII                             0.1 us
 *   script_simplified  "北京航空航天大學"                0.08 us (the t2s table;
 *                      5 us when it called OpenCC each time)
 * Han-Latin is most of it (about 6 us per Han character: ICU tries its
 * ~1400 rules, each a large character set, at every position).
 *
 * Locking: ICU's rule-based transliterator takes a process-wide mutex
 * of its own around every transliteration (rbt.cpp,
 * transliteratorDataMutex, there since at least ICU 56): two threads
 * with two clones ran 6000 Han-Latin calls in 0.62 s, one thread in
 * 0.52 s. A clone per call (29 us) or a pool of clones would buy no
 * parallelism, so one mutex of ours around the ICU call costs nothing
 * ICU does not already cost. OpenCC is called only by script_new (it
 * fills the t2s table there); folding reads the table without a lock.
 *
 * Out of memory (tests/fault's shim on a scratch program: script_new,
 * one t2s and one Latin call, 43000 allocations, every 53rd failed):
 * ours fail cleanly; OpenCC's opencc_open and opencc_convert_utf8 catch
 * std::runtime_error only, so a std::bad_alloc passes through their
 * extern "C" frames and terminates the process (339 of 784 points);
 * ICU crashes inside utrans_openU on 44; on the others it reports the
 * failure (U_INVALID_ID, rarely U_MEMORY_ALLOCATION_ERROR) or builds a
 * transform with a piece missing, which self_check's probes catch.
 * Catching bad_alloc needs a C++ frame around the call; vetd is C only,
 * so it is left as a known limit of the libraries (script.h). */
#include "script.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opencc.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

#include "sbuf.h"

/* The OpenCC configuration: traditional to simplified, phrases first.
 * A bare file name is looked up in OpenCC's data directory. */
#define SCRIPT_T2S "t2s.json"

/* The Han characters folded by table: CJK Unified Ideographs and their
 * Extension A (every traditional character of OpenCC's TSCharacters that
 * organisation names use; NFKC has already mapped compatibility forms). */
#define T2S_FIRST 0x3400
#define T2S_LAST 0x9fff

struct script {
    opencc_t cc;                /* OpenCC t2s converter, only while script_new
                                 * builds t2s (closed after) */
    uint32_t *t2s;              /* T2S_FIRST..T2S_LAST: the simplified form of
                                 * each character, 0 if it is its own */
    UTransliterator *latin;     /* latin_head, readings, latin_tail; called under latin_lock */
    pthread_mutex_t latin_lock; /* serialises the calls on latin */
};

/* Readings ICU's Han-Latin gets wrong in place and organisation names.
 * It gives each character one reading, the commonest in running text;
 * these take another one in names. A key is a character or a phrase,
 * traditional forms listed too (Han-Latin reads both). No key may begin
 * with another key: ICU refuses a rule that an earlier rule masks. */
static const struct {
    const char *han;   /* character or phrase, UTF-8 */
    const char *latin; /* its pinyin, one syllable per word */
} readings[] = {
    /* ICU zhang ("chief"); chang in 长春, 长沙, 长城, 长征, 长江, 长安, 长峰 */
    {"长", "chang"},
    {"長", "chang"},
    /* ICU dou ("all", an adverb, never in a name); du in 成都, 首都, 都江堰 */
    {"都", "du"},
    /* bank, industry: ICU xing; 飞行 (flight) keeps xing */
    {"银行", "yin hang"},
    {"銀行", "yin hang"},
    {"行业", "hang ye"},
    {"行業", "hang ye"},
    /* Xiamen: ICU sha; 大厦 (a building) keeps sha */
    {"厦门", "xia men"},
    {"廈門", "xia men"},
    /* Tibet: ICU cang */
    {"西藏", "xi zang"},
    /* music, accounting: ICU le, hui */
    {"音乐", "yin yue"},
    {"音樂", "yin yue"},
    {"会计", "kuai ji"},
    {"會計", "kuai ji"},
};

/* The compound transform, before the readings (script.h says why each
 * step). ICU rule syntax: "::ID;" runs a system transform over the
 * whole text, the plain rules between them form one pass of our own. */
static const char latin_head[] =
    "::NFKC;\n"
    /* An input middle dot separates words (as in norm_text), so that
     * every middle dot after Russian-Latin/BGN is BGN's own. */
    "\\u00B7 > ' ';\n"
    "::Russian-Latin/BGN;\n"
    /* Soft and hard signs (U+02B9, U+02BA) and BGN's middle dot join. */
    "[\\u02B9\\u02BA\\u00B7] > ;\n"
    /* Unvocalised Persian and Arabic: yeh (Persian U+06CC, Arabic U+064A,
     * alef maksura U+0649) after a consonant is the vowel i, unless a
     * vowel letter follows; "ای" at the start of a word is i; any
     * other alef is a. Persian-Latin/BGN does the rest. */
    "$ye = [\\u06CC\\u064A\\u0649];\n"
    "$arabic = [[:Arabic:]&[:L:]];\n"
    "$cons = [\\u0628\\u062A-\\u063A\\u0641-\\u0647\\u067E\\u0686\\u0698\\u06A9\\u06AF];\n"
    "$vowel = [\\u0627\\u0648\\u06CC\\u064A\\u0649];\n"
    "$cons { $ye } $vowel > y;\n"
    "$cons { $ye > i;\n"
    "[^$arabic] { \\u0627 $ye > i;\n"
    "\\u0627 > a;\n"
    "::Persian-Latin/BGN;\n"
    /* Ayn and hamza signs (U+2018, U+2019, U+02BE, U+02BF) join, as
     * apostrophes do. */
    "[\\u2018\\u2019\\u02BE\\u02BF] > ;\n";

/* Han-Latin is filtered to Han, NFD and Latin-ASCII to what is not
 * ASCII: unfiltered, their rules are tried at every position of the
 * text (Han-Latin 3 us per character of Cyrillic, Latin-ASCII 0.2 us per
 * ASCII letter: the Bauman name took 260 us). A filter on the first ID
 * of a run of "::" lines is taken by ICU as the filter of the whole
 * run, hence Greek first. */
static const char latin_tail[] = "::Greek-Latin/UNGEGN;\n"
                                 "::[:Han:] Han-Latin;\n"
                                 "::Any-Latin;\n"
                                 "::[^\\u0000-\\u007F] NFD;\n"
                                 "::[:Nonspacing Mark:] Remove;\n"
                                 "::[^\\u0000-\\u007F] Latin-ASCII;\n";

static void set_err(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errcap, const char *fmt, ...)
{
    if (err == NULL || errcap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

static void
lock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_lock(m);
    assert(rc == 0);
    (void)rc;
}

static void
unlock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_unlock(m);
    assert(rc == 0);
    (void)rc;
}

/* Builds the compound transform into sc->latin. Returns 0, or -1 with
 * a message. */
static int
open_latin(script_t *sc, char *err, size_t errcap)
{
    sbuf_t rules = SBUF_INIT;
    sbuf_puts(&rules, latin_head);
    for (size_t i = 0; i < sizeof readings / sizeof readings[0]; i++)
        sbuf_printf(&rules, "%s > ' %s ';\n", readings[i].han, readings[i].latin);
    sbuf_puts(&rules, latin_tail);
    if (rules.oom) {
        sbuf_free(&rules);
        set_err(err, errcap, "out of memory");
        return -1;
    }
    /* Rules are ASCII or well-formed UTF-8: their UTF-16 is no longer. */
    UChar *u = malloc((rules.len + 1) * sizeof *u);
    if (u == NULL) {
        sbuf_free(&rules);
        set_err(err, errcap, "out of memory");
        return -1;
    }
    UErrorCode ec = U_ZERO_ERROR;
    int32_t ulen = 0;
    u_strFromUTF8(u, (int32_t)rules.len + 1, &ulen, rules.data, (int32_t)rules.len, &ec);
    sbuf_free(&rules);
    UParseError pe;
    memset(&pe, 0, sizeof pe);
    if (U_SUCCESS(ec)) {
        static const UChar id[] = {'v', 'e', 't', 'd', '-', 'l', 'a', 't', 'i', 'n', 0};
        sc->latin = utrans_openU(id, -1, UTRANS_FORWARD, u, ulen, &pe, &ec);
    }
    free(u);
    if (ec == U_MEMORY_ALLOCATION_ERROR) {
        set_err(err, errcap, "out of memory");
        return -1;
    }
    if (U_FAILURE(ec) || sc->latin == NULL) {
        /* U_INVALID_ID: this ICU lacks one of the system transforms, or
         * ICU ran out of memory while loading one (it says so then). */
        set_err(err, errcap,
                "ICU: cannot build the Latin transform: %s (rule line %d, offset %d)%s",
                u_errorName(ec), (int)pe.line, (int)pe.offset,
                ec == U_INVALID_ID ? "; a transform is missing, or memory ran out" : "");
        return -1;
    }
    return 0;
}

/* Known answers, one per step of the transform and one for OpenCC. */
static const struct {
    bool latin;       /* script_latin, else script_simplified */
    const char *in;   /* input */
    const char *want; /* what a complete transform gives */
} probes[] = {
    {true, "Московский Ульяновск Щёлково", "moskovskiy ulyanovsk shchelkovo"},
    {true, "国防科技大学 长春", "guo fang ke ji da xue chang chun"},
    {true, "دانشگاه صنعتی شریف", "danshgah snti shrif"},
    {true, "Βιομηχανία ヤマハ Ｍüß", "viomichania yamaha muss"},
    {false, "北京航空航天大學", "北京航空航天大学"},
};

/* Runs the probes on a new handle. ICU, when an allocation fails while
 * it builds a transform, sometimes still reports success with part of
 * the transform missing or its rules cut short (seen under fault
 * injection: "moskovskij", "ke ji a lang xue"): the probes turn the
 * plainer cases of that into an error. Returns 0, or -1 with a message. */
static int
self_check(script_t *sc, char *err, size_t errcap)
{
    arena_t *a = arena_new(4096);
    if (a == NULL) {
        set_err(err, errcap, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof probes / sizeof probes[0] && rc == 0; i++) {
        const char *out = NULL;
        size_t len = 0;
        rc = (probes[i].latin ? script_latin : script_simplified)(
            sc, a, probes[i].in, strlen(probes[i].in), &out, &len, err, errcap);
        if (rc == 0 && (len != strlen(probes[i].want) || memcmp(out, probes[i].want, len) != 0)) {
            set_err(err, errcap,
                    "%s gives \"%.*s\" for \"%s\", not \"%s\" (built incompletely: out of "
                    "memory?)",
                    probes[i].latin ? "ICU: the Latin transform" : "OpenCC: t2s", (int)len, out,
                    probes[i].in, probes[i].want);
            rc = -1;
        }
        arena_reset(a);
    }
    arena_destroy(&a);
    return rc;
}

/* Asks OpenCC once for every character of T2S_FIRST..T2S_LAST and keeps
 * the answers in a table, then closes OpenCC. Why a table: after this,
 * folding a name is a lookup per character (no lock, no allocation
 * outside the caller's arena), and OpenCC, whose C API lets
 * std::bad_alloc end the process, is never called again: not at a
 * reload, not on the request path. What it gives up: OpenCC's phrase
 * table (TSPhrases), which only matters where a traditional character
 * has two simplified forms by context, rare in organisation names.
 * About 27,000 calls, 100-200 ms once per process (script_shared). */
static int
build_t2s(script_t *sc, char *err, size_t errcap)
{
    sc->t2s = calloc(T2S_LAST - T2S_FIRST + 1, sizeof *sc->t2s);
    if (sc->t2s == NULL) {
        set_err(err, errcap, "out of memory");
        return -1;
    }
    for (uint32_t cp = T2S_FIRST; cp <= T2S_LAST; cp++) {
        char in[4] = {(char)(0xe0 | cp >> 12), (char)(0x80 | ((cp >> 6) & 0x3f)),
                      (char)(0x80 | (cp & 0x3f)), 0};
        char *out = opencc_convert_utf8(sc->cc, in, 3);
        if (out == NULL) {
            const char *e = opencc_error();
            set_err(err, errcap, "OpenCC: %s", e != NULL && e[0] != '\0' ? e : "conversion failed");
            return -1;
        }
        const unsigned char *o = (const unsigned char *)out;
        /* One three-byte character back, another one: the fold. */
        if (strlen(out) == 3 && o[0] >= 0xe0 && o[0] <= 0xef) {
            uint32_t r =
                (uint32_t)(o[0] & 0x0f) << 12 | (uint32_t)(o[1] & 0x3f) << 6 | (o[2] & 0x3f);
            if (r != cp)
                sc->t2s[cp - T2S_FIRST] = r;
        }
        opencc_convert_utf8_free(out);
    }
    opencc_close(sc->cc);
    sc->cc = NULL;
    return 0;
}

script_t *
script_new(char *err, size_t errcap)
{
    script_t *sc = calloc(1, sizeof *sc);
    if (sc == NULL) {
        set_err(err, errcap, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&sc->latin_lock, NULL) != 0) {
        free(sc);
        set_err(err, errcap, "out of memory");
        return NULL;
    }
    sc->cc = opencc_open(SCRIPT_T2S);
    if (sc->cc == (opencc_t)-1 || sc->cc == NULL) {
        const char *why = opencc_error();
        set_err(err, errcap,
                "OpenCC: cannot open " SCRIPT_T2S " (%s); OpenCC's data (Debian: libopencc-data) "
                "installs it in /usr/share/opencc",
                why != NULL && why[0] != '\0' ? why : "no reason given");
        sc->cc = NULL;
        script_destroy(&sc);
        return NULL;
    }
    if (build_t2s(sc, err, errcap) != 0 || open_latin(sc, err, errcap) != 0 ||
        self_check(sc, err, errcap) != 0) {
        script_destroy(&sc);
        return NULL;
    }
    return sc;
}

void
script_destroy(script_t **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    script_t *sc = *sp;
    if (sc->cc != NULL)
        opencc_close(sc->cc);
    if (sc->latin != NULL)
        utrans_close(sc->latin);
    free(sc->t2s);
    pthread_mutex_destroy(&sc->latin_lock);
    free(sc);
    *sp = NULL;
}

/* What a text holds, from one pass over it. */
typedef struct scan {
    size_t bad;  /* offset of the first invalid byte, or the length */
    size_t nul;  /* offset of the first NUL byte, or the length */
    bool ascii;  /* every byte before bad is below 0x80 */
    bool han;    /* a Han character before bad */
    bool script; /* a character of a script other than Latin before bad */
} scan_t;

/* Scans s[0..len) (len <= INT32_MAX) up to its first invalid byte. */
static scan_t
scan(const char *s, size_t len)
{
    scan_t r = {len, len, true, false, false};
    const uint8_t *p = (const uint8_t *)s;
    int32_t n = (int32_t)len;
    int32_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            if (p[i] == 0 && r.nul == len)
                r.nul = (size_t)i;
            i++;
            continue;
        }
        int32_t at = i;
        UChar32 c;
        U8_NEXT(p, i, n, c);
        if (c < 0) {
            r.bad = (size_t)at;
            break;
        }
        r.ascii = false;
        /* Below U+0370 is Latin, IPA, spacing modifiers and combining
         * marks: Latin, Common or Inherited. */
        if (c < 0x370)
            continue;
        UErrorCode ec = U_ZERO_ERROR;
        UScriptCode sc = uscript_getScript(c, &ec);
        if (U_FAILURE(ec))
            continue;
        if (sc == USCRIPT_HAN)
            r.han = true;
        if (sc != USCRIPT_LATIN && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED &&
            sc != USCRIPT_UNKNOWN)
            r.script = true;
    }
    return r;
}

bool
script_needs(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    if (i == len)
        return false;
    if (len > INT32_MAX)
        len = INT32_MAX; /* answers for the first 2 GiB */
    return scan(s, len).script;
}

bool
script_has_han(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    if (i == len)
        return false;
    if (len > INT32_MAX)
        len = INT32_MAX;
    return scan(s, len).han;
}

/* Scans s and refuses what neither function takes. Returns 0 or -1. */
static int
check_input(const char *s, size_t len, scan_t *r, char *err, size_t errcap)
{
    if (len > INT32_MAX) {
        set_err(err, errcap, "text too long (%zu bytes)", len);
        return -1;
    }
    *r = scan(s, len);
    if (r->nul < r->bad) {
        set_err(err, errcap, "NUL byte at byte %zu", r->nul);
        return -1;
    }
    if (r->bad < len) {
        set_err(err, errcap, "invalid UTF-8 at byte %zu", r->bad);
        return -1;
    }
    return 0;
}

int
script_simplified(script_t *sc, arena_t *a, const char *s, size_t len, const char **out,
                  size_t *outlen, char *err, size_t errcap)
{
    assert(sc != NULL && a != NULL && out != NULL && outlen != NULL);
    assert(s != NULL || len == 0);
    scan_t r;
    if (check_input(s, len, &r, err, errcap) != 0)
        return -1;
    if (!r.han) {
        *out = s;
        *outlen = len;
        return 0;
    }
    /* The table keeps every character in three bytes: the length stays. */
    char *o = arena_alloc(a, len + 1);
    if (o == NULL) {
        set_err(err, errcap, "out of memory");
        return -1;
    }
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (n == 3 && i + 3 <= len) {
            uint32_t cp =
                (uint32_t)(c & 0x0f) << 12 | (uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f);
            uint32_t f = cp >= T2S_FIRST && cp <= T2S_LAST ? sc->t2s[cp - T2S_FIRST] : 0;
            if (f != 0) {
                o[i] = (char)(0xe0 | f >> 12);
                o[i + 1] = (char)(0x80 | ((f >> 6) & 0x3f));
                o[i + 2] = (char)(0x80 | (f & 0x3f));
                i += 3;
                continue;
            }
        }
        memcpy(o + i, s + i, n);
        i += n;
    }
    o[len] = '\0';
    *out = o;
    *outlen = len;
    return 0;
}

/* What the final pass does with the character c. */
enum { ASC_KEEP, ASC_JOIN, ASC_SEP };

static int
ascii_class(uint32_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return ASC_KEEP;
    return c == '\'' ? ASC_JOIN : ASC_SEP;
}

/* The final pass, one character at a time: c (a code point, or a UTF-16
 * unit; anything not ASCII separates, a character no transform could
 * render) appended to dst at *o: letters lower-cased, digits kept,
 * apostrophes dropped, every other run one space, none at either end
 * (*gap: a separator is pending). */
static void
final_char(uint32_t c, char *dst, size_t *o, bool *gap)
{
    int k = c < 0x80 ? ascii_class(c) : ASC_SEP;
    if (k == ASC_JOIN)
        return;
    if (k == ASC_SEP) {
        *gap = true;
        return;
    }
    if (*gap && *o > 0)
        dst[(*o)++] = ' ';
    *gap = false;
    dst[(*o)++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* The final pass over ASCII input s[0..len) into dst (room for len + 1).
 * Returns the length written. */
static size_t
ascii_words(const char *s, size_t len, char *dst)
{
    size_t o = 0;
    bool gap = false;
    for (size_t i = 0; i < len; i++)
        final_char((unsigned char)s[i], dst, &o, &gap);
    dst[o] = '\0';
    return o;
}

/* The same pass over the transform's UTF-16 output. */
static size_t
utf16_words(const UChar *u, int32_t n, char *dst)
{
    size_t o = 0;
    bool gap = false;
    for (int32_t i = 0; i < n; i++)
        final_char(u[i], dst, &o, &gap);
    dst[o] = '\0';
    return o;
}

/* True if the ASCII s[0..len) is already its own final pass. */
static bool
ascii_final(const char *s, size_t len)
{
    if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ') {
            if (s[i - 1] == ' ')
                return false;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

/* Runs the transform over src[0..n) into a buffer from a. Returns the
 * buffer and sets *outn, or NULL with a message. */
static UChar *
transform(script_t *sc, arena_t *a, const UChar *src, int32_t n, int32_t *outn, char *err,
          size_t errcap)
{
    /* Most scripts grow 1 to 4 times, a Han character about 7 times
     * (" zhuang"); NFKC of a ligature or a squared word can grow far
     * more, and then ICU says how much room it needs. */
    int64_t cap = (int64_t)n * 8 + 16;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (cap > INT32_MAX) {
            set_err(err, errcap, "text too long");
            return NULL;
        }
        UChar *buf = arena_alloc(a, (size_t)cap * sizeof *buf);
        if (buf == NULL) {
            set_err(err, errcap, "out of memory");
            return NULL;
        }
        memcpy(buf, src, (size_t)n * sizeof *buf);
        int32_t len = n;
        int32_t limit = n;
        UErrorCode ec = U_ZERO_ERROR;
        lock(&sc->latin_lock);
        utrans_transUChars(sc->latin, buf, &len, (int32_t)cap, 0, &limit, &ec);
        unlock(&sc->latin_lock);
        if (ec == U_BUFFER_OVERFLOW_ERROR) {
            cap = (int64_t)len + 1;
            continue;
        }
        if (ec == U_MEMORY_ALLOCATION_ERROR) {
            set_err(err, errcap, "out of memory");
            return NULL;
        }
        if (U_FAILURE(ec)) {
            set_err(err, errcap, "ICU: transliteration failed: %s", u_errorName(ec));
            return NULL;
        }
        *outn = len;
        return buf;
    }
    set_err(err, errcap, "ICU: transliteration failed: the output kept growing");
    return NULL;
}

int
script_latin(script_t *sc, arena_t *a, const char *s, size_t len, const char **out, size_t *outlen,
             char *err, size_t errcap)
{
    assert(sc != NULL && a != NULL && out != NULL && outlen != NULL);
    assert(s != NULL || len == 0);
    scan_t r;
    if (check_input(s, len, &r, err, errcap) != 0)
        return -1;
    if (r.ascii) {
        if (ascii_final(s, len)) {
            *out = s;
            *outlen = len;
            return 0;
        }
        char *dst = arena_alloc(a, len + 1);
        if (dst == NULL) {
            set_err(err, errcap, "out of memory");
            return -1;
        }
        *outlen = ascii_words(s, len, dst);
        *out = dst;
        return 0;
    }
    /* UTF-8 never has fewer bytes than its UTF-16 has units. */
    UChar *src = arena_alloc(a, (len + 1) * sizeof *src);
    if (src == NULL) {
        set_err(err, errcap, "out of memory");
        return -1;
    }
    UErrorCode ec = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(src, (int32_t)len + 1, &n, s, (int32_t)len, &ec);
    if (U_FAILURE(ec)) { /* cannot happen: scanned as valid */
        set_err(err, errcap, "ICU: %s", u_errorName(ec));
        return -1;
    }
    int32_t tn = 0;
    UChar *t = transform(sc, a, src, n, &tn, err, errcap);
    if (t == NULL)
        return -1;
    char *dst = arena_alloc(a, (size_t)tn + 1);
    if (dst == NULL) {
        set_err(err, errcap, "out of memory");
        return -1;
    }
    *outlen = utf16_words(t, tn, dst);
    *out = dst;
    return 0;
}

script_t *
script_shared(char *err, size_t errcap)
{
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    static script_t *shared; /* see script.h: the one global of the engine */
    if (pthread_mutex_lock(&once) != 0) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "cannot lock the script handle");
        return NULL;
    }
    if (shared == NULL)
        shared = script_new(err, errcap);
    script_t *sc = shared;
    pthread_mutex_unlock(&once);
    return sc;
}
