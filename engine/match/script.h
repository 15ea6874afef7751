/* SPDX-License-Identifier: Apache-2.0 */
/* script.h -- names written in a non-Latin script turned into the forms
 * the matcher compares: traditional Chinese folded to simplified
 * (OpenCC), and a lower-case ASCII rendering of any script (ICU).
 *
 * The Latin rendering is one compound ICU transform, in this order:
 *   NFKC (full-width forms, Arabic presentation forms, compatibility
 *   ideographs);
 *   Cyrillic: "Russian-Latin/BGN", the BGN/PCGN romanisation that
 *   English-language lists and maps use ("Московский" -> "moskovskiy",
 *   "государственный" -> "gosudarstvennyy", "Щёлково" -> "shchelkovo");
 *   the soft and hard signs and BGN's disambiguating middle dot are
 *   dropped ("Объединённая" -> "obyedinennaya"). ISO 9 "Cyrillic-Latin"
 *   ("moskovskij", "tehničeskij") is what scholars write, not what the
 *   lists write. Letters outside Russian (Ukrainian і, ї, є, ґ) go
 *   through ICU's generic Cyrillic-Latin;
 *   Persian/Arabic: "Persian-Latin/BGN", after a few rules of our own
 *   for unvocalised text, which BGN leaves half done (it wants the vowel
 *   marks that names are never written with): alef is "a", yeh after a
 *   consonant is "i" ("شریف" -> "shrif", "صنعتی" -> "snti", "ایران" ->
 *   "iran"). Short vowels are not written in the script, so no transform
 *   can restore them: "Sharif" comes out "shrif", "Amirkabir"
 *   "amirkbir". The ayn and hamza signs are dropped;
 *   Han: "Han-Latin", Hanyu Pinyin one syllable per word, tones
 *   dropped ("国防科技大学" -> "guo fang ke ji da xue"), after a table of
 *   readings ICU gets wrong in place and organisation names ("长春" is
 *   "chang chun", not "zhang chun"; see readings[] in script.c).
 *   Japanese kanji get their Mandarin reading;
 *   Greek: "Greek-Latin/UNGEGN" (modern: "Βιομηχανία" -> "viomichania");
 *   anything else (Hangul, kana, Hebrew, Armenian...): ICU "Any-Latin";
 *   then accents stripped and "Latin-ASCII".
 * The result keeps ASCII letters (lower-cased) and digits; apostrophes
 * join ("O'Brien" -> "obrien", as norm_text does); every other character,
 * and any character no transform could render in ASCII, separates words;
 * runs of separators are one space, none leading or trailing.
 *
 * Threads: one script_t is shared by every worker. ICU does not
 * document a transliterator as safe for concurrent use, so it is behind
 * a mutex, held only for the library call; the Chinese folding is a
 * table read without a lock. This is the one lock on a request path (STYLE.md habit
 * 8 says none): it is taken only for names in a non-Latin script, and
 * ICU itself serialises every rule-based transliteration in the process
 * behind a global mutex of its own, so clones of the transform would
 * buy no parallelism (measured: see the design comment in script.c).
 * ICU and OpenCC also allocate with malloc inside each call; the
 * results are copied into the caller's arena.
 *
 * Out of memory inside the libraries: OpenCC's C API catches only
 * std::runtime_error, so a std::bad_alloc thrown while it opens or
 * converts ends the process (std::terminate), and ICU crashes on a few
 * of its own failed allocations while it builds the transform. Nothing
 * in C can catch either; our own allocations fail cleanly. */
#ifndef VET_SCRIPT_H
#define VET_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct script script_t;

/* Opens OpenCC's "t2s.json" (traditional to simplified, from OpenCC's
 * data directory, /usr/share/opencc on Debian), builds the ICU
 * transform described above, and checks both on a few known names.
 * Returns the handle, caller owns it (script_destroy), or NULL with a
 * message in err (if err != NULL): "OpenCC: cannot open t2s.json (...)"
 * when OpenCC's data is missing, "ICU: cannot build the Latin transform:
 * ..." when this ICU lacks a transform, "ICU: the Latin transform gives
 * ..." when a known name comes out wrong (ICU may build a transform
 * partly and report success when memory runs out), or "out of memory".
 * Takes 100 to 150 ms, nearly all of it ICU parsing Han-Latin's rules
 * (OpenCC maps its dictionaries in a few ms): once per process or
 * ruleset load, never per request. */
script_t *script_new(char *err, size_t errcap);

/* The process's one handle, made by script_new on the first call that
 * succeeds and kept until the process ends (never destroyed: ICU's own
 * caches live as long). Returns it, or NULL with script_new's message in
 * err (a later call tries again). Thread-safe.
 * Why one per process, the one piece of global state outside main:
 * building the transforms costs 100-150 ms (ICU parses its Han-Latin
 * rules), which every ruleset reload would pay again, and ICU and OpenCC
 * cannot survive a failed allocation of their own (tests/fault/run.sh):
 * built once, at the first load before the daemon serves, a reload never
 * builds them again. The handle is immutable once made; its calls take
 * its own locks. */
script_t *script_shared(char *err, size_t errcap);

/* Closes OpenCC and ICU, frees the handle; accepts NULL; nulls *sp.
 * No call on the handle may be running. */
void script_destroy(script_t **sp);

/* True if the UTF-8 text s[0..len) holds a letter of a script other
 * than Latin (Han, Cyrillic, Arabic, Greek, Hangul, kana, ...): the
 * cases script_latin renders and script_simplified may fold. Latin
 * letters with accents, digits, punctuation and symbols are not.
 * Pure ASCII returns false after one pass over the bytes. Stops at the
 * first invalid UTF-8 sequence and answers for the text before it
 * (norm_text reports the error). Thread-safe, no allocation, no lock. */
bool script_needs(const char *s, size_t len);

/* True if the UTF-8 text s[0..len) holds a Han character (the cases
 * script_simplified folds and whose Latin rendering is pinyin); like
 * script_needs, one pass, no allocation, no lock. */
bool script_has_han(const char *s, size_t len);

/* Traditional Chinese in s[0..len) folded to simplified, character by
 * character, by the table script_new built from OpenCC's t2s
 * (TSCharacters; "北京航空航天大學" -> "北京航空航天大学"); everything
 * that is not Han passes unchanged, and the length never changes. On
 * success returns 0 and sets *out, *outlen: the folded text,
 * NUL-terminated, in arena a (valid until a is reset), or s itself (no
 * copy, borrowed from the caller, NOT NUL-terminated unless s was) when
 * s holds no Han character. Returns -1 with a message in err (if err !=
 * NULL): "invalid UTF-8 at byte N", "NUL byte at byte N" or "out of
 * memory". Thread-safe, no lock: OpenCC itself is called only by
 * script_new. */
int script_simplified(script_t *sc, arena_t *a, const char *s, size_t len, const char **out,
                      size_t *outlen, char *err, size_t errcap);

/* The lower-case ASCII rendering of s[0..len) described at the top of
 * this file ("Московский ... имени Н. Э. Баумана" -> "moskovskiy ...
 * imeni n e baumana"). On success returns 0 and sets *out, *outlen:
 * the rendering, NUL-terminated, in arena a (valid until a is reset),
 * or s itself when s is already in that form (ASCII lower-case letters
 * and digits, single spaces: then borrowed and not NUL-terminated unless
 * s was). The rendering may be empty (only punctuation, or nothing
 * renderable). ASCII input never reaches ICU nor takes the lock.
 * Returns -1 with a message in err (if err != NULL): "invalid UTF-8 at
 * byte N", "NUL byte at byte N", "out of memory", or "ICU: ...".
 * Thread-safe: takes the handle's ICU lock for the transform. Scratch
 * space (about 20 bytes per input byte) also comes from a. */
int script_latin(script_t *sc, arena_t *a, const char *s, size_t len, const char **out,
                 size_t *outlen, char *err, size_t errcap);

#endif
