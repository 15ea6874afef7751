# SPDX-License-Identifier: Apache-2.0
"""vet._proto -- what the blocking Client and the AsyncClient share and
that does no I/O: the request a screen() call sends, the JSON encoding,
the reading of reply frames, and _Stream, the bookkeeping of a pipelined
stream (which request is in flight under which id, what is due again,
what may be yielded), driven by each client's own socket loop."""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

from .errors import VetBadRequest, VetProtocolError, VetUnavailable
from .result import Result

# A JSON object as json.loads gives it: the requests and replies.
JSONObject = dict[str, Any]

# The keyword arguments of screen(); a screen_many item whose keys are
# all among them is taken as screen()'s keywords.
SCREEN_KEYS = frozenset({
    "name", "country", "type", "aliases", "ids", "technologies", "activity",
    "current", "text", "context", "id", "partner", "profile", "region", "birth_date",
    "nationality", "user"})
_PARTNER_KEYS = ("name", "aliases", "country", "type", "ids", "region", "birth_date",
                 "nationality")

_TOO_LARGE = re.compile(r"request is (\d+) bytes")


def build_request(name: Optional[str] = None, *, country: Optional[str] = None,
                  type: Optional[str] = None, aliases: Optional[list[str]] = None,
                  ids: Optional[dict[str, str]] = None,
                  technologies: Union[str, list[str], None] = None,
                  activity: Optional[str] = None, current: Optional[bool] = None,
                  text: Optional[str] = None, context: Optional[dict[str, Any]] = None,
                  id: Union[str, int, float, None] = None,
                  partner: Optional[dict[str, Any]] = None,
                  profile: Optional[str] = None, region: Optional[str] = None,
                  birth_date: Optional[str] = None,
                  nationality: Optional[str] = None,
                  user: Optional[str] = None) -> JSONObject:
    """The screening request screen() sends for these arguments.

    partner is a partner object (docs/PROTOCOL.md); name, country, type,
    aliases, ids, region (ISO 3166-2) and, for a person (type
    "individual"), birth_date and nationality are set in it (they win over
    its own keys). profile is the id of the ruleset's profile to judge by
    (Client.profiles() lists them; None: the daemon's default). user is
    who asks, sent as context.user (the daemon's audit record keeps it);
    a "user" already in context wins. None means absent and is left out.
    A single technology may be given as a string. Nothing is validated
    here: the daemon does that and names the field. The returned dict is
    the caller's; partner and context are copied, not modified.
    """
    p = dict(partner) if partner is not None else {}
    given: dict[str, Any] = {
        "name": name, "aliases": aliases, "country": country, "type": type,
        "ids": ids, "region": region, "birth_date": birth_date,
        "nationality": nationality}
    for k in _PARTNER_KEYS:
        if given[k] is not None:
            p[k] = given[k]
    req: JSONObject = {}
    if id is not None:
        req["id"] = id
    if partner is not None or p:
        req["partner"] = p
    if isinstance(technologies, str):
        technologies = [technologies]
    for k, v in (("technologies", technologies), ("activity", activity),
                 ("current", current), ("text", text), ("context", context),
                 ("profile", profile)):
        if v is not None:
            req[k] = v
    if user is not None:
        set_user(req, user)
    return req


def is_screen(req: JSONObject) -> bool:
    """True for a screening request (no op, or op "screen")."""
    return bool(req.get("op", "screen") == "screen")


def set_user(req: JSONObject, user: str) -> None:
    """Sets req's context.user to user unless the request names its own
    (a request's own word wins over a client's default). A context that
    is not an object is left for the daemon to reject."""
    ctx = req.get("context")
    if ctx is None:
        req["context"] = {"user": user}
    elif isinstance(ctx, dict) and "user" not in ctx:
        req["context"] = {**ctx, "user": user}


def check_user(user: Optional[str]) -> Optional[str]:
    """user if it is None or a non-empty str; raises TypeError/ValueError."""
    if user is not None and not isinstance(user, str):
        raise TypeError("user: expected a str (who asks)")
    if user == "":
        raise ValueError("user: expected a non-empty str")
    return user


def encode(request: JSONObject) -> bytes:
    """The request as compact UTF-8 JSON. NaN and infinities are not JSON,
    so they raise ValueError here, as other values json cannot write
    raise TypeError."""
    return json.dumps(request, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def decode(frames: list[bytes], endpoint: str) -> JSONObject:
    """The reply of frames [empty, json], or raises VetProtocolError."""
    if len(frames) != 2 or frames[0] != b"":
        raise VetProtocolError(
            f"bad reply from {endpoint}: {len(frames)} frames, "
            "expected an empty delimiter and one JSON frame", "proto")
    try:
        reply = json.loads(frames[1])
    except (ValueError, UnicodeDecodeError) as e:
        raise VetProtocolError(f"bad reply from {endpoint}: {e}", "proto") from None
    if not isinstance(reply, dict):
        raise VetProtocolError(f"bad reply from {endpoint}: not a JSON object", "proto")
    return reply


def echo_id(value: Union[str, int, float]) -> str:
    """The id as the daemon echoes it: strings as they are, numbers as
    cJSON prints them (integers within 32 bits plainly, others with 15 or,
    if that does not round-trip, 17 significant digits)."""
    if isinstance(value, str):
        return value
    d = float(value)
    if d.is_integer() and -2**31 <= d <= 2**31 - 1:
        return "%d" % d
    s = "%1.15g" % d
    if float(s) != d:
        s = "%1.17g" % d
    return s


def item_request(item: Any, profile: Optional[str], user: Optional[str]) -> JSONObject:
    """The request of a screen_many item: a str is a partner name, a dict
    of screen()'s keywords is built as screen() builds it, any other dict
    is the request itself (copied). profile and user are the stream's
    defaults for screening requests that name none. Raises TypeError."""
    if isinstance(item, str):
        req = build_request(item)
    elif isinstance(item, dict):
        req = build_request(**item) if SCREEN_KEYS.issuperset(item) else dict(item)
    else:
        raise TypeError(f"an item is a dict or a str, not {type(item).__name__}")
    if is_screen(req):
        if profile is not None and req.get("profile") is None:
            req["profile"] = profile
        if user is not None:
            set_user(req, user)
    return req


@dataclass
class _Pending:
    """A stream item admitted to the window."""
    seq: int                # its place in the input
    key: str                # its id on the wire, as the daemon echoes it
    payload: bytes          # the request as sent
    invented: bool          # the id is the stream's, not the caller's
    deadline: float = 0.0   # monotonic time its current attempt ends
    sent: bool = False      # sent on the current socket
    expired: int = 0        # attempts that ran out of time


class _Stream:
    """The state of one screen_many stream, without I/O.

    Ids. Each request goes to the daemon under the caller's own id, so the
    audit log ties every verdict to the caller's record; an item without
    one gets an id made here (prefix + its place in the input). Replies
    are matched to items by the id the daemon echoes, and that match is
    unambiguous because no two requests with the same echoed id are ever
    outstanding on one socket at once: an item whose id is already in
    flight (the caller reused it, or 12 and "12", which echo alike) is
    held back, unsent, until that reply has come; an invented id that is
    in flight or held is never given out again (a suffix is added).
    vetd answers each request once, on the connection it came by, and a
    retry goes over a fresh socket (restart()), so a late answer to an
    earlier attempt can never be taken for another item's.

    The driver loop: admit() items while want_input(); send the payloads
    of next_unsent() and mark them sent(); feed each reply to on_reply();
    yield what ready() gives; when next_deadline() passes, expire() and,
    if it says so, replace the socket and restart().
    """

    def __init__(self, prefix: str, inflight: int, share: float, retries: int,
                 timeout_ms: int, endpoint: str, profile: Optional[str],
                 user: Optional[str]) -> None:
        self.prefix = prefix            # of the invented ids
        self.inflight = inflight        # items admitted and not yet yielded, at most
        self.share = share              # seconds one attempt may take
        self.retries = retries          # attempts after the first
        self.timeout_ms = timeout_ms    # an item's whole budget (for messages)
        self.endpoint = endpoint        # for messages
        self.profile = profile          # default profile of screening items
        self.user = user                # default context.user of screening items
        self.window: dict[str, _Pending] = {}          # by key, outstanding
        self.held: dict[str, deque[_Pending]] = {}     # by key, waiting for it
        self.unsent: deque[_Pending] = deque()         # of the window, to (re)send
        self.done: dict[int, Result] = {}              # answered, not yet yielded
        self.next_in = 0                # place of the next item admitted
        self.next_out = 0               # place of the next result to yield
        self.exhausted = False          # the input has no more items
        self.resent = 0                 # requests sent again after a timeout

    def want_input(self) -> bool:
        return not self.exhausted and self.next_in - self.next_out < self.inflight

    def finished(self) -> bool:
        return self.exhausted and self.next_out == self.next_in

    def _busy(self, key: str) -> bool:
        return key in self.window or key in self.held

    def admit(self, item: Any) -> None:
        """Takes the next input item: queues its request, or records the
        error of an item that cannot be sent as its result."""
        seq = self.next_in
        self.next_in += 1
        try:
            req = item_request(item, self.profile, self.user)
            caller_id = req.get("id")
            invented = caller_id is None
            if not invented and (isinstance(caller_id, bool) or
                                 not isinstance(caller_id, (str, int, float))):
                raise ValueError("id: expected a string or number")
            if caller_id is None:
                key = f"{self.prefix}{seq}"
                n = 0
                while self._busy(key):
                    n += 1
                    key = f"{self.prefix}{seq}~{n}"
                req = {"id": key, **req}
            else:
                key = echo_id(caller_id)
            payload = encode(req)
        except (TypeError, ValueError) as e:
            self.done[seq] = Result(error=VetBadRequest(f"item {seq}: {e}", "bad_request"))
            return
        p = _Pending(seq, key, payload, invented)
        if self._busy(key):
            self.held.setdefault(key, deque()).append(p)
        else:
            self._enter(p)

    def _enter(self, p: _Pending) -> None:
        # An item queued but not sendable (no connection) runs out of
        # time too: its deadline starts when it enters the window.
        p.deadline = time.monotonic() + self.share
        self.window[p.key] = p
        self.unsent.append(p)

    def next_unsent(self) -> Optional[_Pending]:
        """The next request to send on the current socket, or None."""
        while self.unsent:
            p = self.unsent[0]
            if self.window.get(p.key) is p and not p.sent:
                return p
            self.unsent.popleft()   # answered meanwhile
        return None

    def sent(self, p: _Pending, now: float) -> None:
        """p went out on the current socket at now."""
        self.unsent.popleft()
        p.sent = True
        p.deadline = now + self.share

    def on_reply(self, reply: JSONObject) -> None:
        """Takes a reply read from the current socket. A reply that
        answers nothing outstanding (a duplicate) is dropped."""
        key = reply.get("id")
        p = self.window.get(key) if isinstance(key, str) else None
        if p is not None and not p.sent:
            p = None        # queued again after a restart: not this socket's
        if p is None and key is None:
            p = self._match_idless(reply)
        if p is None:
            return
        del self.window[p.key]
        q = self.held.get(p.key)
        if q:
            nxt = q.popleft()
            if not q:
                del self.held[p.key]
            self._enter(nxt)
        if p.invented:
            reply.pop("id", None)   # the caller gave none
        else:
            reply["id"] = p.key     # an id-less too_large reply gets it back
        self.done[p.seq] = Result.from_reply(reply)

    def _match_idless(self, reply: JSONObject) -> Optional[_Pending]:
        """The item an error reply without an id answers. Only a too_large
        reply can lack one for requests encoded here, and its message
        gives the request's size: the first sent item of that size."""
        err = reply.get("error")
        if not isinstance(err, dict) or err.get("code") != "too_large":
            return None
        m = _TOO_LARGE.search(str(err.get("message", "")))
        if m is None:
            return None
        size = int(m.group(1))
        for p in self.window.values():
            if p.sent and len(p.payload) == size:
                return p
        return None

    def ready(self) -> Iterator[Result]:
        """The results that can be yielded now, in input order."""
        while self.next_out in self.done:
            r = self.done.pop(self.next_out)
            self.next_out += 1
            yield r

    def next_deadline(self) -> Optional[float]:
        """When the first outstanding request's attempt ends, or None."""
        return min((p.deadline for p in self.window.values()), default=None)

    def expire(self, now: float) -> bool:
        """Counts the attempts that ran out at now. True if any did: the
        caller then replaces its socket and calls restart(). Raises
        VetUnavailable when an item has no attempt left."""
        due = False
        for p in self.window.values():
            if p.deadline <= now:
                due = True
                p.expired += 1
                if p.expired > self.retries:
                    raise VetUnavailable(
                        f"vetd not answering at {self.endpoint}: item {p.seq} "
                        f"timed out after {self.timeout_ms} ms ({p.expired} attempts); "
                        f"{self.next_out} results delivered",
                        "timeout", endpoint=self.endpoint, waited_ms=self.timeout_ms)
        return due

    def restart(self, now: float) -> None:
        """The socket was replaced (Lazy Pirate for the whole window):
        replies owed to the old one are lost with it, so every request of
        the window is queued to be sent again, in input order."""
        self.unsent.clear()
        for p in sorted(self.window.values(), key=lambda q: q.seq):
            if p.sent:
                self.resent += 1
            p.sent = False
            p.deadline = now + self.share
            self.unsent.append(p)
