// SPDX-License-Identifier: Apache-2.0
// index.mjs -- the ES module entry point of vetd-client: the CommonJS
// module index.js (the one implementation), re-exported by name.
//   import { Client } from "vetd-client";
import cjs from "./index.js";

export const {
    Client,
    Result,
    VetError,
    VetUnavailable,
    VetBadRequest,
    VetInternal,
    replyError,
    echoId,
    DEFAULT_ENDPOINT,
    resolveEndpoints,
} = cjs;
export default cjs;
