"""vet.client -- the Python client of vetd: one request under a deadline
with Lazy Pirate retries, and a pipelined stream of screenings returned
in input order, over a ZeroMQ DEALER (the wire format is
docs/PROTOCOL.md; clients/c/libvet.c is the reference client)."""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

import zmq

from .errors import (VetBadRequest, VetError, VetProtocolError, VetUnavailable,
                     check_reply)
from .result import Profiles, Result

__all__ = ["Client", "DEFAULT_ENDPOINT", "build_request"]

DEFAULT_ENDPOINT = "tcp://127.0.0.1:7470"

# A call has one request in flight: small queues are plenty.
_CALL_HWM = 16
# Requests a stream may queue unsent; its window keeps it far below.
_PIPE_SNDHWM = 10000

# The keyword arguments of screen(); a screen_many item whose keys are
# all among them is taken as screen()'s keywords.
_SCREEN_KEYS = frozenset({
    "name", "country", "type", "aliases", "ids", "technologies", "activity",
    "current", "text", "context", "id", "partner", "profile", "region", "birth_date",
    "nationality"})
_PARTNER_KEYS = ("name", "aliases", "country", "type", "ids", "region", "birth_date",
                 "nationality")

_TOO_LARGE = re.compile(r"request is (\d+) bytes")
_stream_seq = itertools.count(1)


def build_request(name: Optional[str] = None, *, country: Optional[str] = None,
                  type: Optional[str] = None, aliases: Optional[list] = None,
                  ids: Optional[dict] = None, technologies: Any = None,
                  activity: Optional[str] = None, current: Optional[bool] = None,
                  text: Optional[str] = None, context: Optional[dict] = None,
                  id: Any = None, partner: Optional[dict] = None,
                  profile: Optional[str] = None, region: Optional[str] = None,
                  birth_date: Optional[str] = None,
                  nationality: Optional[str] = None) -> dict:
    """The screening request screen() sends for these arguments.

    partner is a partner object (docs/PROTOCOL.md); name, country, type,
    aliases, ids, region (ISO 3166-2) and, for a person (type
    "individual"), birth_date and nationality are set in it (they win over
    its own keys). profile is
    the id of the ruleset's profile to judge by (Client.profiles() lists
    them; None: the daemon's default). None means absent and is left out.
    A single technology may be given as a string. Nothing is validated
    here: the daemon does that and names the field.
    """
    p = dict(partner) if partner is not None else {}
    given = {"name": name, "aliases": aliases, "country": country, "type": type,
             "ids": ids, "region": region, "birth_date": birth_date,
             "nationality": nationality}
    for k in _PARTNER_KEYS:
        if given[k] is not None:
            p[k] = given[k]
    req: dict = {}
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
    return req


def _encode(request: dict) -> bytes:
    # Compact UTF-8; NaN and infinities are not JSON, so they fail here.
    return json.dumps(request, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _echo_id(value: Any) -> str:
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


@dataclass
class _Pending:
    """A stream item in the window: sent or waiting to be (re)sent."""
    seq: int                # its place in the input
    key: str                # the id the stream gave it on the wire
    payload: bytes          # the request as sent
    user_id: Optional[str]  # the caller's id as the daemon would echo it
    deadline: float         # monotonic time its current attempt ends
    sent: bool = False      # sent on the current socket
    expired: int = 0        # attempts that ran out of time


class Client:
    """A client of one vetd endpoint.

        with Client("tcp://127.0.0.1:7470") as c:
            r = c.screen("Harbin Institute of Technology", country="CN",
                         technologies=["ai"], activity="affiliation")
            print(r.verdict, [m.entity for m in r.matches])

    timeout_ms is the deadline of each call, all attempts included;
    retries the extra attempts after one that got no answer (Lazy Pirate:
    the socket is closed and a fresh one connected before the request is
    sent again, so a late reply is never taken for a new one). The
    endpoint is checked at once (ValueError if zmq rejects it); a daemon
    that is not up yet is found when it comes up.

    server_key, client_secret and client_public are the place for CURVE
    keys; vetd has no CURVE support yet, so giving any of them raises
    NotImplementedError rather than talking in clear text.

    A client (and its streams) must be used by one thread at a time, as
    ZeroMQ sockets are; use one client per thread. context is an optional
    zmq.Context to share (borrowed: the client does not terminate it).
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, timeout_ms: int = 3000,
                 retries: int = 1, *, server_key: Optional[bytes] = None,
                 client_secret: Optional[bytes] = None,
                 client_public: Optional[bytes] = None,
                 context: Optional[zmq.Context] = None) -> None:
        if server_key is not None or client_secret is not None or client_public is not None:
            raise NotImplementedError(
                "CURVE keys given, but vetd does not support CURVE encryption yet")
        if not isinstance(endpoint, str) or not endpoint:
            raise ValueError(f"invalid endpoint {endpoint!r}")
        if int(timeout_ms) <= 0:
            raise ValueError("timeout_ms must be > 0")
        self.endpoint = endpoint
        self.timeout_ms = int(timeout_ms)
        self.retries = max(0, int(retries))
        self._own_ctx = context is None
        self._ctx = zmq.Context() if context is None else context
        self._pipes: set = set()
        self._closed = False
        # Requests streams sent again after a timeout (for monitoring).
        self.resent = 0
        try:
            # Connecting now checks the endpoint, so a typo fails here
            # rather than as a timeout later.
            self._call: Optional[zmq.Socket] = self._socket(False)
        except zmq.ZMQError as e:
            if self._own_ctx:
                self._ctx.term()
            self._closed = True
            raise ValueError(f"invalid endpoint {endpoint!r}: {e}") from None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<vet.Client {self.endpoint} {state}>"

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Closes every socket (what is unsent or unread is dropped at
        once) and terminates the client's own context. Streams still open
        raise VetError if resumed. Closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        for s in [self._call, *self._pipes]:
            if s is not None:
                s.close(linger=0)
        self._call = None
        self._pipes.clear()
        if self._own_ctx:
            self._ctx.term()

    # ---- one request ---------------------------------------------------

    def _socket(self, pipelined: bool) -> zmq.Socket:
        """A DEALER connected to the endpoint. IMMEDIATE keeps requests
        from being queued for a daemon that is not connected, so an absent
        daemon shows as a timeout and a retry goes over a fresh
        connection. A stream's receive queue is unlimited: vetd's ROUTER
        drops replies to a peer whose queue is full, and the window bounds
        what it can hold anyway."""
        s = self._ctx.socket(zmq.DEALER)
        try:
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.IMMEDIATE, 1)
            s.setsockopt(zmq.SNDHWM, _PIPE_SNDHWM if pipelined else _CALL_HWM)
            s.setsockopt(zmq.RCVHWM, 0 if pipelined else _CALL_HWM)
            s.connect(self.endpoint)
        except zmq.ZMQError:
            s.close(linger=0)
            raise
        return s

    def _check_open(self) -> None:
        if self._closed:
            raise VetError(f"client of {self.endpoint} is closed", "closed")

    def _decode(self, frames: list) -> dict:
        """The reply of frames [empty, json], or VetProtocolError."""
        if len(frames) != 2 or frames[0] != b"":
            raise VetProtocolError(
                f"bad reply from {self.endpoint}: {len(frames)} frames, "
                "expected an empty delimiter and one JSON frame", "proto")
        try:
            reply = json.loads(frames[1])
        except (ValueError, UnicodeDecodeError) as e:
            raise VetProtocolError(f"bad reply from {self.endpoint}: {e}", "proto") from None
        if not isinstance(reply, dict):
            raise VetProtocolError(
                f"bad reply from {self.endpoint}: not a JSON object", "proto")
        return reply

    @staticmethod
    def _send(s: zmq.Socket, payload: bytes, until: float) -> bool:
        """Sends [empty, payload], waiting until `until` for room. A
        multipart message is taken whole once its first frame is, so only
        the first frame can find no room. False if none came in time."""
        while True:
            try:
                s.send(b"", zmq.SNDMORE | zmq.NOBLOCK)
                break
            except zmq.Again:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                s.poll(max(1, int(left * 1000)), zmq.POLLOUT)
        s.send(payload, zmq.NOBLOCK)
        return True

    @staticmethod
    def _recv(s: zmq.Socket, until: float) -> Optional[list]:
        """The next message's frames, or None at `until`."""
        while True:
            try:
                return s.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                left = until - time.monotonic()
                if left <= 0:
                    return None
                s.poll(max(1, int(left * 1000)), zmq.POLLIN)

    def call_raw(self, data: bytes, *, timeout_ms: Optional[int] = None,
                 retries: Optional[int] = None) -> dict:
        """Sends data (the JSON request's bytes, sent unparsed) and returns
        the reply as a dict, error replies included (see check_reply).
        The deadline (timeout_ms, default the client's) covers every
        attempt; it is split evenly over the retries + 1 attempts.
        Raises VetUnavailable when no reply came in time, VetProtocolError
        for a reply not framed as documented, VetError once closed."""
        self._check_open()
        if isinstance(data, str):
            data = data.encode("utf-8")
        timeout = self.timeout_ms if timeout_ms is None else int(timeout_ms)
        if timeout <= 0:
            raise ValueError("timeout_ms must be > 0")
        attempts = 1 + max(0, self.retries if retries is None else int(retries))
        deadline = time.monotonic() + timeout / 1000.0
        made = 0
        for a in range(attempts):
            now = time.monotonic()
            if now >= deadline and a > 0:
                break
            if self._call is None:
                self._call = self._socket(False)
            # An even share of what is left; the last attempt gets it all.
            until = now + (deadline - now) / (attempts - a)
            made += 1
            frames = None
            try:
                if self._send(self._call, data, until):
                    frames = self._recv(self._call, until)
            except BaseException:
                # Interrupted (^C) or failed with the request in flight:
                # its reply must not be taken for the next call's.
                self._call.close(linger=0)
                self._call = None
                raise
            if frames is not None:
                return self._decode(frames)
            # Lazy Pirate: the old socket may yet get the late answer, so
            # it goes, and the next attempt starts on a fresh one.
            self._call.close(linger=0)
            self._call = None
        tries = f" ({made} attempts)" if made > 1 else ""
        raise VetUnavailable(
            f"vetd not answering at {self.endpoint}: timed out after {timeout} ms{tries}",
            "timeout", endpoint=self.endpoint, waited_ms=timeout)

    def call(self, request: dict, *, timeout_ms: Optional[int] = None,
             retries: Optional[int] = None) -> dict:
        """Sends one request of any op (a dict, sent as JSON) and returns
        the reply dict as it came, error replies included; pass it to
        vet.check_reply to raise them. Raises as call_raw does, and
        TypeError/ValueError for a request that is not JSON."""
        return self.call_raw(_encode(request), timeout_ms=timeout_ms, retries=retries)

    def _op(self, op: str, retries: Optional[int] = None) -> dict:
        return check_reply(self.call({"op": op}, retries=retries))

    def ping(self) -> bool:
        """True when the daemon's workers answer; raises otherwise."""
        reply = self._op("ping")
        if reply.get("ok") is not True:
            raise VetProtocolError(f"bad ping reply from {self.endpoint}: {reply!r}", "proto")
        return True

    def version(self) -> dict:
        """The daemon's version reply: vetd, protocol, zmq, ruleset."""
        return self._op("version")

    def stats(self) -> dict:
        """The daemon's counters (docs/PROTOCOL.md, "stats")."""
        return self._op("stats")

    def taxonomy(self) -> dict:
        """The ruleset's categories, activities and verdicts."""
        return self._op("taxonomy")

    def profiles(self) -> Profiles:
        """The ruleset's profiles (the named sets of rules a request may be
        judged by) and the daemon's default one, as a typed Profiles."""
        return Profiles.from_reply(self._op("profiles"))

    def reload(self) -> dict:
        """Reloads the daemon's ruleset, without retrying (a reload is not
        idempotent). A reload that failed is not an error: the reply has
        "ok": false and "errors"; the old ruleset keeps serving."""
        return self._op("reload", retries=0)

    def screen(self, name: Optional[str] = None, *, country: Optional[str] = None,
               type: Optional[str] = None, aliases: Optional[list] = None,
               ids: Optional[dict] = None, technologies: Any = None,
               activity: Optional[str] = None, current: Optional[bool] = None,
               text: Optional[str] = None, context: Optional[dict] = None,
               id: Any = None, partner: Optional[dict] = None,
               profile: Optional[str] = None, region: Optional[str] = None,
               birth_date: Optional[str] = None,
               nationality: Optional[str] = None) -> Result:
        """Screens one partner (arguments as build_request) and returns its
        Result; profile chooses the ruleset's profile to judge by (the
        Result's .profile names the one that did). Raises VetBadRequest
        with the daemon's code and message when the request is rejected
        (an unknown profile too), VetUnavailable on a timeout or when no
        ruleset is loaded, VetInternal, VetProtocolError."""
        req = build_request(name, country=country, type=type, aliases=aliases, ids=ids,
                            technologies=technologies, activity=activity,
                            current=current, text=text, context=context, id=id,
                            partner=partner, profile=profile, region=region,
                            birth_date=birth_date, nationality=nationality)
        return Result.from_reply(check_reply(self.call(req)))

    # ---- many requests -------------------------------------------------

    def screen_many(self, items: Iterable[Any], inflight: int = 256, *,
                    timeout_ms: Optional[int] = None,
                    retries: Optional[int] = None,
                    profile: Optional[str] = None) -> Iterator[Result]:
        """Screens every item, keeping up to `inflight` requests in flight,
        and yields one Result per item in input order.

        An item is a dict of screen()'s keywords (a full screening request
        is one too), any other dict (sent as the request as it is, e.g.
        with an "op"), or a str (a partner name). The stream gives each
        request an id of its own on the wire and puts the caller's id back
        in the Result (.id and .raw["id"]).

        profile is the profile of every screening item that names none (no
        "profile", or None); an item's own profile wins. Each Result's
        .profile names the profile that judged it.

        An item the daemon rejects yields a Result whose .error is the
        exception (VetBadRequest, ...) and whose verdict is None; an item
        that cannot be encoded yields one with a VetBadRequest made here.
        The stream goes on either way.

        Each item has the same budget as a call: timeout_ms (default the
        client's) split over retries + 1 attempts. When an attempt runs
        out, the socket is replaced and every request without a reply is
        sent again, so a daemon restarted mid-stream loses nothing; a late
        duplicate reply is dropped, so each item yields exactly once. When
        an item's last attempt runs out, the stream raises VetUnavailable
        (the results yielded so far stand).
        """
        self._check_open()
        if int(inflight) < 1:
            raise ValueError("inflight must be >= 1")
        timeout = self.timeout_ms if timeout_ms is None else int(timeout_ms)
        if timeout <= 0:
            raise ValueError("timeout_ms must be > 0")
        tries = max(0, self.retries if retries is None else int(retries))
        if profile is not None and not isinstance(profile, str):
            raise TypeError("profile: expected a str (a profile id)")
        return self._stream(iter(items), int(inflight), timeout, tries, profile)

    @staticmethod
    def _item_request(item: Any, profile: Optional[str] = None) -> dict:
        if isinstance(item, str):
            req = build_request(item)
        elif isinstance(item, dict):
            req = build_request(**item) if _SCREEN_KEYS.issuperset(item) else dict(item)
        else:
            raise TypeError(f"an item is a dict or a str, not {type(item).__name__}")
        # The stream's profile goes to screening requests that name none.
        if profile is not None and req.get("op", "screen") == "screen" \
                and req.get("profile") is None:
            req["profile"] = profile
        return req

    def _stream(self, it: Iterator[Any], inflight: int, timeout: int,
                retries: int, profile: Optional[str] = None) -> Iterator[Result]:
        share = timeout / 1000.0 / (retries + 1)
        prefix = f"py{os.getpid():x}.{next(_stream_seq)}."
        window: dict[str, _Pending] = {}    # by wire id, in input order
        unsent: deque = deque()             # of the window, to (re)send
        done: dict[int, Result] = {}        # answered, not yielded yet
        next_in = next_out = 0
        exhausted = False
        sock: Optional[zmq.Socket] = None
        try:
            while True:
                self._check_open()
                # Take input while the window (from the oldest result not
                # yet yielded) has room: memory stays bounded even when
                # one slow item holds the others back.
                while not exhausted and next_in - next_out < inflight:
                    try:
                        item = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                    seq = next_in
                    next_in += 1
                    try:
                        req = self._item_request(item, profile)
                        user_id = req.get("id")
                        if user_id is not None and (
                                isinstance(user_id, bool)
                                or not isinstance(user_id, (str, int, float))):
                            raise ValueError("id: expected a string or number")
                        key = f"{prefix}{seq}"
                        req = {"id": key, **{k: v for k, v in req.items() if k != "id"}}
                        payload = _encode(req)
                    except (TypeError, ValueError) as e:
                        err = VetBadRequest(f"item {seq}: {e}", "bad_request")
                        done[seq] = Result(error=err)
                        continue
                    p = _Pending(seq, key, payload,
                                 None if user_id is None else _echo_id(user_id),
                                 time.monotonic() + share)
                    window[key] = p
                    unsent.append(p)
                while next_out in done:
                    r = done.pop(next_out)
                    next_out += 1
                    yield r
                    self._check_open()
                if not window:
                    if exhausted and next_out == next_in:
                        return
                    continue
                if sock is None:
                    sock = self._socket(True)
                    self._pipes.add(sock)
                blocked = self._send_queued(sock, unsent, window, share)
                if self._receive(sock, window, done):
                    continue
                now = time.monotonic()
                first = min(p.deadline for p in window.values())
                if first > now:
                    ev = zmq.POLLIN | (zmq.POLLOUT if blocked else 0)
                    sock.poll(max(1, int((first - now) * 1000) + 1), ev)
                    continue
                for p in window.values():
                    if p.deadline <= now:
                        p.expired += 1
                        if p.expired > retries:
                            raise VetUnavailable(
                                f"vetd not answering at {self.endpoint}: item {p.seq} "
                                f"timed out after {timeout} ms ({p.expired} attempts); "
                                f"{next_out} results delivered",
                                "timeout", endpoint=self.endpoint, waited_ms=timeout)
                # Lazy Pirate for the whole window: replies owed to the old
                # socket are lost with it, so every request is sent again.
                self._pipes.discard(sock)
                sock.close(linger=0)
                sock = None
                unsent.clear()
                for p in window.values():
                    p.sent = False
                    p.deadline = now + share
                    unsent.append(p)
                self.resent += len(window)
        finally:
            if sock is not None:
                self._pipes.discard(sock)
                sock.close(linger=0)

    @staticmethod
    def _send_queued(sock: zmq.Socket, unsent: deque, window: dict,
                     share: float) -> bool:
        """Sends the queued requests in order, without waiting; each sent
        one gets `share` seconds for its reply. True if some could not be
        sent (no connection or no room)."""
        while unsent:
            p = unsent[0]
            if p.key not in window:     # answered meanwhile
                unsent.popleft()
                continue
            try:
                sock.send(b"", zmq.SNDMORE | zmq.NOBLOCK)
            except zmq.Again:
                return True
            sock.send(p.payload, zmq.NOBLOCK)
            unsent.popleft()
            p.sent = True
            p.deadline = time.monotonic() + share
        return False

    def _receive(self, sock: zmq.Socket, window: dict, done: dict) -> bool:
        """Reads every reply waiting on sock into done. True if any."""
        got = False
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return got
            got = True
            reply = self._decode(frames)
            key = reply.get("id")
            p = window.pop(key, None) if isinstance(key, str) else None
            if p is None and key is None:
                p = self._match_idless(reply, window)
            if p is None:
                continue    # a late duplicate of an item already answered
            if p.user_id is None:
                reply.pop("id", None)
            else:
                reply["id"] = p.user_id
            done[p.seq] = Result.from_reply(reply)

    @staticmethod
    def _match_idless(reply: dict, window: dict) -> Optional[_Pending]:
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
        for key, p in window.items():
            if p.sent and len(p.payload) == size:
                return window.pop(key)
        return None
