# SPDX-License-Identifier: Apache-2.0
"""vet.errors -- the exceptions of the vetd client, and the mapping of the
daemon's error codes (docs/PROTOCOL.md, "Errors") onto them."""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "VetError",
    "VetUnavailable",
    "VetBadRequest",
    "VetInternal",
    "VetProtocolError",
    "error_from_reply",
    "check_reply",
]


class VetError(Exception):
    """Base of every error of this package.

    code     the daemon's error code ("bad_request", ...) or, for errors
             found by the client itself, "timeout", "proto" or "closed".
    message  the daemon's message verbatim (str(err) is the same text).
    id       the id echoed by the daemon's error reply, or None.
    reply    the whole error reply (a dict), or None for client errors.
    """

    def __init__(self, message: str, code: str = "error", *,
                 id: Optional[str] = None, reply: Optional[dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.id = id
        self.reply = reply

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class VetUnavailable(VetError):
    """No answer: the daemon did not reply before the deadline (code
    "timeout"; endpoint and waited_ms say where and how long), or it
    answered "unavailable" (no ruleset loaded; waited_ms is None)."""

    def __init__(self, message: str, code: str = "timeout", *,
                 endpoint: Optional[str] = None, waited_ms: Optional[int] = None,
                 id: Optional[str] = None, reply: Optional[dict[str, Any]] = None) -> None:
        super().__init__(message, code, id=id, reply=reply)
        self.endpoint = endpoint
        self.waited_ms = waited_ms


class VetBadRequest(VetError):
    """The daemon rejected the request: code "bad_request", "too_large"
    or "unknown_op", with its message (naming the field) verbatim."""


class VetInternal(VetError):
    """The daemon failed on its side (code "internal")."""


class VetProtocolError(VetError):
    """The reply was not what docs/PROTOCOL.md promises (not framed as
    [empty, json], or not a JSON object): code "proto"."""


_BY_CODE: dict[str, type[VetError]] = {
    "bad_request": VetBadRequest,
    "too_large": VetBadRequest,
    "unknown_op": VetBadRequest,
    "unavailable": VetUnavailable,
    "internal": VetInternal,
}


def error_from_reply(reply: Any) -> Optional[VetError]:
    """The exception matching an error reply, or None if reply is not an
    error reply. An unknown code gives a plain VetError, so a daemon newer
    than this client still reports its errors."""
    if not isinstance(reply, dict) or "error" not in reply:
        return None
    err = reply.get("error")
    if not isinstance(err, dict):
        return VetProtocolError(f"bad error reply: {reply!r}", "proto", reply=reply)
    code = str(err.get("code", "error"))
    message = str(err.get("message", ""))
    rid = reply.get("id")
    cls = _BY_CODE.get(code, VetError)
    return cls(message, code, id=rid, reply=reply)


def check_reply(reply: Any) -> dict[str, Any]:
    """Returns reply unchanged, or raises the exception of an error reply
    (VetBadRequest, VetUnavailable, VetInternal or VetError), or
    VetProtocolError if reply is not a dict."""
    exc = error_from_reply(reply)
    if exc is not None:
        raise exc
    if not isinstance(reply, dict):
        raise VetProtocolError(f"bad reply: not a JSON object: {reply!r}", "proto")
    return reply
