/* SPDX-License-Identifier: Apache-2.0 */
/* fetch.h -- downloads one published file with libcurl for vet-update:
 * HTTPS only (plain http:// to the loopback interface, for tests),
 * connect, stall and total timeouts, retries with a doubling delay, a
 * size cap, and conditional requests (If-None-Match, If-Modified-Since).
 * The body goes to a file; nothing is kept in memory. */
#ifndef VET_UPDATE_FETCH_H
#define VET_UPDATE_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* Limits of one download (sources.cfg; docs/OPERATIONS.md). */
typedef struct fetch_opts {
    long connect_timeout_s; /* to open the connection (TCP and TLS) */
    long timeout_s;         /* for one attempt, start to end */
    long stall_timeout_s;   /* an attempt receiving nothing this long fails */
    long retries;           /* attempts after the first, on a transient failure */
    long retry_delay_s;     /* before the first retry; doubled each time (<= 300) */
    long long max_bytes;    /* a body larger than this is refused */
} fetch_opts_t;

/* Outcome of fetch_get, least to most severe. */
typedef enum fetch_rc {
    FETCH_OK,           /* 200: the body is in the file */
    FETCH_NOT_MODIFIED, /* 304: the validators still hold; file untouched */
    FETCH_TOO_BIG,      /* the body passed max_bytes: refused, not retried */
    FETCH_FAILED        /* network, TLS, HTTP error status, or local I/O */
} fetch_rc_t;

/* What one fetch_get learned. */
typedef struct fetch_res {
    long http;              /* final HTTP status; 0 if none came */
    long long bytes;        /* body bytes written to the file */
    int attempts;           /* attempts made (1 + retries used) */
    char etag[256];         /* the response's ETag, "" if none (or too long) */
    char last_modified[64]; /* its Last-Modified, "" if none */
    char sha256[65];        /* hex SHA-256 of the body (FETCH_OK), else "" */
} fetch_res_t;

/* Writes the UTC day ("YYYY-MM-DD") of an HTTP date ("Wed, 21 Oct 2015
 * 07:28:00 GMT", a Last-Modified) into out; false if it is not one. */
bool fetch_http_day(const char *http_date, char out[11]);

/* Initialises libcurl once for the process (before any thread). 0, or -1. */
int fetch_global_init(void);
void fetch_global_cleanup(void);

/* True if url may be downloaded: https://, or http:// to 127.0.0.1,
 * localhost or [::1]. Otherwise false with why in msg (len bytes). */
bool fetch_url_ok(const char *url, char *msg, size_t len);

/* Downloads url into path (created or truncated; on any outcome but
 * FETCH_OK its content is undefined). etag and last_modified (may be
 * NULL or "") make the request conditional. Retries a transient failure
 * (connection, timeout, truncated body, HTTP 408, 429, 5xx) up to
 * o->retries times. Fills *res; on FETCH_TOO_BIG and FETCH_FAILED err
 * gets one line saying why ("HTTP 404 Not Found", "timed out after 5 s
 * (3 attempts)", "truncated: 120 of 512 bytes"). */
fetch_rc_t fetch_get(const char *url, const char *path, const char *etag, const char *last_modified,
                     const fetch_opts_t *o, fetch_res_t *res, sbuf_t *err);

#endif
