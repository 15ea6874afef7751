/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_proto.c -- fuzz target for the request parser and reply path:
 * any bytes go through proto_parse and, when they parse, screen_run and
 * proto_write_result against the fixture ruleset. libFuzzer entry point;
 * fuzz/replay.c drives it over a corpus without clang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "fixture.h"
#include "diag.h"
#include "proto.h"
#include "ruleset.h"
#include "sbuf.h"
#include "screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t *a;
    const ruleset_t *rs = fuzz_fixture(&a);
    request_t req;
    req_err_t code;
    const char *msg;
    sbuf_t out = SBUF_INIT;
    request_init(&req);
    if (proto_parse((const char *)data, size, 1u << 20, a, &req, &code, &msg) != 0) {
        proto_write_error(&out, req.id, code, msg);
    } else if (req.op == REQ_OP_SCREEN) {
        result_t res;
        if (screen_run(rs, &req, a, &res) == 0)
            proto_write_result(&out, rs, &req, &res, 0);
        else
            proto_write_error(&out, req.id, res.err, res.errmsg);
    }
    sbuf_free(&out);
    return 0;
}
