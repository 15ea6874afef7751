/* SPDX-License-Identifier: Apache-2.0 */
/* fetch.c -- one published file downloaded with libcurl (vet-update). */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_REDIRS 5
#define MAX_DELAY_S 300L /* the doubling delay between attempts stops here */
#define USER_AGENT "vet-update/1 (vetd list updater)"

/* One attempt's state, shared with the callbacks. */
typedef struct xfer {
    CURL *h;                      /* the handle (for the response code) */
    FILE *f;                      /* the body's file */
    long long max;                /* size cap */
    bool too_big;                 /* the cap was passed: aborted */
    int io_errno;                 /* writing the file failed: its errno */
    crypto_hash_sha256_state sha; /* over the body */
    fetch_res_t *res;             /* where headers and counts go */
} xfer_t;

bool
fetch_http_day(const char *http_date, char out[11])
{
    if (http_date == NULL || http_date[0] == '\0')
        return false;
    time_t t = curl_getdate(http_date, NULL);
    struct tm tm;
    if (t <= 0 || gmtime_r(&t, &tm) == NULL)
        return false;
    return strftime(out, 11, "%Y-%m-%d", &tm) == 10;
}

int
fetch_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

bool
fetch_url_ok(const char *url, char *msg, size_t len)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = false;
    if (u == NULL) {
        snprintf(msg, len, "out of memory");
        return false;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
        snprintf(msg, len, "\"%s\" is not a URL", url);
    } else if (strcasecmp(scheme, "https") == 0) {
        ok = true;
    } else if (strcasecmp(scheme, "http") == 0 &&
               (strcmp(host, "127.0.0.1") == 0 || strcasecmp(host, "localhost") == 0 ||
                strcmp(host, "[::1]") == 0)) {
        ok = true; /* a loopback server: the tests' */
    } else {
        snprintf(msg, len, "\"%s\": only https:// (http:// to 127.0.0.1 or localhost)", url);
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* Copies the value of header `name` from line p (n bytes, "Name: value\r\n")
 * into out (size bytes) if p is that header; a value too long is left out
 * (a truncated validator would never match). */
static void
header_value(const char *p, size_t n, const char *name, char *out, size_t size)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
        return;
    p += k + 1;
    n -= k + 1;
    while (n > 0 && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
        n--;
    if (n < size) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

static size_t
on_header(char *p, size_t size, size_t nitems, void *ud)
{
    xfer_t *x = ud;
    size_t n = size * nitems;
    /* A new response (after a redirect): its own validators only. */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        x->res->etag[0] = '\0';
        x->res->last_modified[0] = '\0';
    }
    header_value(p, n, "ETag", x->res->etag, sizeof x->res->etag);
    header_value(p, n, "Last-Modified", x->res->last_modified, sizeof x->res->last_modified);
    return n;
}

static size_t
on_body(char *p, size_t size, size_t nitems, void *ud)
{
    xfer_t *x = ud;
    size_t n = size * nitems;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (x->res->bytes + (long long)n > x->max) {
        x->too_big = true;
        return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
    }
    x->res->bytes += (long long)n;
    if (code != 200)
        return n; /* an error page: counted against the cap, not kept */
    if (fwrite(p, 1, n, x->f) != n) {
        x->io_errno = errno ? errno : EIO;
        return 0;
    }
    crypto_hash_sha256_update(&x->sha, (const unsigned char *)p, n);
    return n;
}

/* True for what another attempt may cure. */
static bool
transient_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return true;
    default: return false;
    }
}

static bool
transient_http(long code)
{
    return code == 408 || code == 429 || (code >= 500 && code <= 599);
}

static void
sleep_s(long s)
{
    struct timespec ts = {s, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sets up h for one URL; returns the header list to free (or NULL). */
static struct curl_slist *
setup(CURL *h, xfer_t *x, const char *url, const char *etag, const char *last_modified,
      const fetch_opts_t *o, char *errbuf)
{
    struct curl_slist *hdrs = NULL, *t;
    char line[512];
    if (etag != NULL && etag[0] != '\0') {
        snprintf(line, sizeof line, "If-None-Match: %s", etag);
        if ((t = curl_slist_append(hdrs, line)) != NULL)
            hdrs = t;
    }
    if (last_modified != NULL && last_modified[0] != '\0') {
        snprintf(line, sizeof line, "If-Modified-Since: %s", last_modified);
        if ((t = curl_slist_append(hdrs, line)) != NULL)
            hdrs = t;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)MAX_REDIRS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->stall_timeout_s);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    return hdrs;
}

fetch_rc_t
fetch_get(const char *url, const char *path, const char *etag, const char *last_modified,
          const fetch_opts_t *o, fetch_res_t *res, sbuf_t *err)
{
    memset(res, 0, sizeof *res);
    char msg[512];
    if (!fetch_url_ok(url, msg, sizeof msg)) {
        sbuf_puts(err, msg);
        return FETCH_FAILED;
    }
    CURL *h = curl_easy_init();
    if (h == NULL) {
        sbuf_puts(err, "out of memory (curl_easy_init)");
        return FETCH_FAILED;
    }
    char errbuf[CURL_ERROR_SIZE];
    xfer_t x;
    memset(&x, 0, sizeof x);
    x.h = h;
    x.max = o->max_bytes;
    x.res = res;
    struct curl_slist *hdrs = setup(h, &x, url, etag, last_modified, o, errbuf);
    fetch_rc_t rc = FETCH_FAILED;
    long delay = o->retry_delay_s;
    for (;;) {
        res->attempts++;
        res->bytes = 0;
        res->http = 0;
        x.too_big = false;
        x.io_errno = 0;
        errbuf[0] = '\0';
        crypto_hash_sha256_init(&x.sha);
        if ((x.f = fopen(path, "wb")) == NULL) {
            sbuf_printf(err, "%s: %s", path, strerror(errno));
            break;
        }
        CURLcode c = curl_easy_perform(h);
        if (fclose(x.f) != 0 && x.io_errno == 0 && c == CURLE_OK)
            x.io_errno = errno ? errno : EIO;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http);
        bool again = false;
        sbuf_clear(err);
        if (x.too_big || c == CURLE_FILESIZE_EXCEEDED) {
            sbuf_printf(err, "larger than max_bytes (%lld bytes)", o->max_bytes);
            rc = FETCH_TOO_BIG;
            break;
        } else if (x.io_errno != 0) {
            sbuf_printf(err, "%s: %s", path, strerror(x.io_errno));
            break;
        } else if (c == CURLE_PARTIAL_FILE) {
            sbuf_printf(err, "truncated after %lld bytes: %s", res->bytes,
                        errbuf[0] ? errbuf : curl_easy_strerror(c));
            again = true;
        } else if (c == CURLE_OPERATION_TIMEDOUT) {
            sbuf_printf(err, "timed out: %s", errbuf[0] ? errbuf : curl_easy_strerror(c));
            again = true;
        } else if (c != CURLE_OK) {
            sbuf_printf(err, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
            again = transient_curl(c);
        } else if (res->http == 200) {
            unsigned char md[crypto_hash_sha256_BYTES];
            crypto_hash_sha256_final(&x.sha, md);
            sodium_bin2hex(res->sha256, sizeof res->sha256, md, sizeof md);
            rc = FETCH_OK;
            break;
        } else if (res->http == 304) {
            rc = FETCH_NOT_MODIFIED;
            break;
        } else {
            sbuf_printf(err, "HTTP %ld", res->http);
            again = transient_http(res->http);
        }
        if (!again || res->attempts > o->retries)
            break;
        sleep_s(delay);
        delay = delay * 2 > MAX_DELAY_S ? MAX_DELAY_S : delay * 2;
    }
    if (rc == FETCH_FAILED && res->attempts > 1)
        sbuf_printf(err, " (%d attempts)", res->attempts);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}
