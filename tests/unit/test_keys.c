/* SPDX-License-Identifier: Apache-2.0 */
/* test_keys.c -- daemon/keys.c: the zcert certificates vetd keygen
 * writes read back; a malformed certificate is an error naming its
 * file and line; an allow-list directory loads whole or not at all,
 * names its keys by their "name" metadata or else their file name, and
 * skips secret certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "keys.h"
#include "testutil.h"

static const char *PUB = "qI8PEXw[S*r}3(}G%DcFY]Hbn=!YU0@CR>Hp[cY*";

static int
setup(void **state)
{
    char *dir = strdup("/tmp/vet-keys-XXXXXX");
    if (dir == NULL || mkdtemp(dir) == NULL)
        return -1;
    *state = dir;
    return 0;
}

static int
teardown(void **state)
{
    int rc = tu_remove_tree(*state);
    free(*state);
    return rc;
}

static void
put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tu_write_file(path, text);
}

static void
test_generate_and_read_back(void **state)
{
    const char *dir = *state;
    char path[256], err[256], pub[41], sec[41], name[KEYS_NAME_MAX], spath[300];
    snprintf(path, sizeof path, "%s/ana", dir);
    snprintf(spath, sizeof spath, "%s_secret", path);
    mode_t was = umask(0);
    assert_int_equal(keys_generate(path, "Ana L.", err, sizeof err), 0);
    umask(was);
    struct stat st;
    assert_int_equal(stat(spath, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(keys_read(spath, pub, sec, name, err, sizeof err), 0);
    assert_string_equal(name, "Ana L.");
    char derived[41];
    assert_int_equal(zmq_curve_public(derived, sec), 0);
    assert_string_equal(derived, pub);
    char pub2[41];
    assert_int_equal(keys_read(path, pub2, NULL, NULL, err, sizeof err), 0);
    assert_string_equal(pub2, pub);
    /* The public certificate is no secret one. */
    assert_int_equal(keys_read(path, pub2, sec, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "no curve secret-key"));
    /* Never over an existing file. */
    assert_int_equal(keys_generate(path, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "File exists"));
}

static void
test_malformed_certificates(void **state)
{
    const char *dir = *state;
    char path[256], err[256], pub[41];
    snprintf(path, sizeof path, "%s/bad", dir);
    tu_write_file(path, "curve\n    public-key = \"tooshort\"\n");
    assert_int_equal(keys_read(path, pub, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad:2: public-key: expected a key of 40 Z85 characters"));
    tu_write_file(path, "metadata\n    name = \"x\"\n");
    assert_int_equal(keys_read(path, pub, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "no curve public-key: not a certificate"));
    tu_write_file(path, "curve\n    public-key\n");
    assert_int_equal(keys_read(path, pub, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad:2: expected name = \"value\""));
    tu_write_file(path, "curve\n    public-key = \"qI8PEXw[S*r}3(}G%DcFY]Hbn=!YU0@CR>Hp[cY~\"\n");
    assert_int_equal(keys_read(path, pub, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "not Z85 text"));
}

static void
test_allow_list_directory(void **state)
{
    const char *dir = *state;
    char sub[256], err[256], text[256];
    snprintf(sub, sizeof sub, "%s/clients", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(text, sizeof text, "metadata\n    name = \"ana\"\ncurve\n    public-key = \"%s\"\n",
             PUB);
    put(sub, "a.cert", text);
    char path[300];
    snprintf(path, sizeof path, "%s/bob", sub);
    assert_int_equal(keys_generate(path, "", err, sizeof err), -1); /* an empty name */
    assert_int_equal(keys_generate(path, NULL, err, sizeof err), 0);
    put(sub, ".hidden", "not a certificate");
    keys_t *k = keys_load_dir(sub, err, sizeof err);
    assert_non_null(k);
    assert_int_equal(keys_count(k), 2); /* a.cert and bob; not bob_secret, not .hidden */
    unsigned char bin[32];
    zmq_z85_decode(bin, PUB);
    assert_string_equal(keys_find(k, bin), "ana");
    char pub[41];
    assert_int_equal(keys_read(path, pub, NULL, NULL, err, sizeof err), 0);
    zmq_z85_decode(bin, pub);
    assert_string_equal(keys_find(k, bin), "bob");
    memset(bin, 0, sizeof bin);
    assert_null(keys_find(k, bin));
    assert_null(keys_find(NULL, bin));
    keys_destroy(&k);
    assert_null(k);
    /* One bad certificate fails the whole directory. */
    put(sub, "typo", "curve\n    public-key = \"x\"\n");
    assert_null(keys_load_dir(sub, err, sizeof err));
    assert_non_null(strstr(err, "typo:2:"));
    assert_null(keys_load_dir("/nonexistent/vet-keys", err, sizeof err));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generate_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_certificates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_list_directory, setup, teardown),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
