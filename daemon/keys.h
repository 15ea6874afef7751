/* SPDX-License-Identifier: Apache-2.0 */
/* keys.h -- CURVE certificates in czmq's zcert text format: writing a
 * key pair (vetd keygen), reading one certificate, and the allow-lists
 * (a directory of client public certificates, each a key and a name). */
#ifndef VET_KEYS_H
#define VET_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEYS_Z85_LEN 40  /* a CURVE key in Z85 text, without its NUL */
#define KEYS_NAME_MAX 64 /* a key's name, with its NUL */
#define KEYS_MAX 4096    /* certificates a directory may hold */

/* Generates a key pair and writes PATH (the public certificate, 0644)
 * and PATH_secret (public and secret key, 0600: created so, whatever the
 * umask), with name as the certificate's "name" metadata (NULL: the
 * file name). Refuses to overwrite either file. Returns 0, or -1 with
 * why in err. */
int keys_generate(const char *path, const char *name, char *err, size_t errlen);

/* Reads the certificate at path: its public key into pub (41 bytes),
 * its secret key into sec (41 bytes; sec NULL: not wanted; required when
 * not NULL), its "name" metadata into name (KEYS_NAME_MAX bytes; "" when
 * it has none; name may be NULL). Returns 0, or -1 with
 * "path:line: why" in err. */
int keys_read(const char *path, char *pub, char *sec, char *name, char *err, size_t errlen);

/* A set of allowed public keys, each with its name (the certificate's
 * "name" metadata, else its file name). Immutable once loaded. */
typedef struct keys keys_t;

/* Loads every regular file of dir not starting with '.' and not ending
 * in "_secret" as a public certificate. Returns the set (caller owns it:
 * keys_destroy), or NULL with why in err (a directory that cannot be
 * read, a certificate that does not parse: every load fails whole, so a
 * typo never silently revokes or keeps a key). */
keys_t *keys_load_dir(const char *dir, char *err, size_t errlen);

void keys_destroy(keys_t **kp);

/* Keys in the set. */
size_t keys_count(const keys_t *k);

/* The name of the key whose 32 binary bytes are key, or NULL if the set
 * (which may be NULL) does not hold it. Borrowed, valid as long as k. */
const char *keys_find(const keys_t *k, const unsigned char *key32);

#endif
