/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_ruleset.c -- fuzz target for the ruleset loader: the input, split
 * on NUL bytes, replaces the files of the fixture ruleset, which is
 * written into a private directory and loaded (errors are expected). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* LeakSanitizer reads this hook at start-up. libconfig 1.5 (Debian 12)
 * leaks the string token a syntax error discards ("a = 1; \"x\"");
 * fixed upstream in 2019 (hyperrealm/libconfig#142, PR #155). Its
 * frames are all inside libconfig, so our own leaks still show. */
const char *
__lsan_default_suppressions(void)
{
    return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

#define FIXTURE "tests/fixtures/rulesets/good"

/* Input part i (parts are separated by one NUL byte; a NUL inside a
 * file is only ever rejected, so nothing is lost) replaces files[i].
 * Files whose part is empty or missing keep the fixture's bytes, so the
 * input "a policy" exercises the rules against a valid taxonomy and
 * registry, and "\0a taxonomy" the taxonomy against a valid policy. */
static const char *const files[] = {
    "policy.cfg", "taxonomy.cfg", "registry/mcf.cfg", "registry/nro.cfg", "registry/sdn.cfg",
};
#define N_FILES (sizeof files / sizeof files[0])

/* Removes what put() wrote into dir, and dir. */
static void
cleanup(const char *dir)
{
    char path[256];
    for (size_t i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/registry", dir);
    rmdir(path);
    rmdir(dir);
}

/* Reads a whole fixture file into malloc'd memory (caller owns it);
 * aborts on failure: the harness cannot run without its fixture. */
static char *
slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", FIXTURE, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        abort();
    }
    char *buf = malloc(1 << 16);
    if (buf == NULL)
        abort();
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void
put(const char *dir, const char *name, const void *bytes, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (len > 0 && fwrite(bytes, 1, len, f) != len)) {
        perror(path);
        abort();
    }
    fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Fixture bytes, read once per process (never freed: live until exit). */
    static char *fixture[N_FILES];
    static size_t fixture_len[N_FILES];
    if (fixture[0] == NULL)
        for (size_t i = 0; i < N_FILES; i++)
            fixture[i] = slurp(files[i], &fixture_len[i]);
    /* A fresh directory per run, removed after it: only a crashing run
     * (libFuzzer exits without atexit handlers) leaves one behind. */
    char dir[64], sub[80];
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%.40s/vetfuzzXXXXXX", t ? t : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    snprintf(sub, sizeof sub, "%s/registry", dir);
    if (mkdir(sub, 0700) != 0) {
        perror(sub);
        abort();
    }
    const uint8_t *p = data, *end = data + size;
    for (size_t i = 0; i < N_FILES; i++) {
        size_t len = 0;
        const uint8_t *nul = NULL;
        if (p != NULL) {
            nul = memchr(p, '\0', (size_t)(end - p));
            len = nul ? (size_t)(nul - p) : (size_t)(end - p);
        }
        if (len > 0)
            put(dir, files[i], p, len);
        else
            put(dir, files[i], fixture[i], fixture_len[i]);
        p = nul ? nul + 1 : NULL;
    }
    diag_t *d = diag_new(0);
    if (d == NULL)
        abort();
    ruleset_t *rs = ruleset_load(dir, d);
    if (rs != NULL && ruleset_memory(rs) == 0)
        abort();
    ruleset_destroy(&rs);
    diag_destroy(&d);
    cleanup(dir);
    return 0;
}
