# SPDX-License-Identifier: Apache-2.0
"""vet.client -- the Python client of vetd: one request under a deadline
with Lazy Pirate retries, and a pipelined stream of screenings returned
in input order, over a ZeroMQ DEALER (the wire format is
docs/PROTOCOL.md; clients/c/libvet.c is the reference client). The
asyncio variant is vet.aio.AsyncClient."""

from __future__ import annotations

import itertools
import os
import time
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import zmq

from ._keys import KeySource, apply_curve, curve_keys
from ._proto import JSONObject, _Stream, build_request, check_user, decode, encode
from .errors import VetError, VetProtocolError, VetUnavailable, check_reply
from .result import Profiles, Result

__all__ = ["Client", "DEFAULT_ENDPOINT", "build_request", "resolve_endpoints"]

DEFAULT_ENDPOINT = "tcp://127.0.0.1:7470"

# One endpoint, a comma-separated list of them, or a list.
Endpoints = Union[str, Sequence[str], None]


def resolve_endpoints(endpoint: Endpoints = None) -> list[str]:
    """The endpoints a client connects to: endpoint ("tcp://h:7470", a
    comma-separated list of them, or a list), or when it is None the
    VET_ENDPOINT environment variable (the one every client of vetd
    reads), else DEFAULT_ENDPOINT. ValueError when none is left."""
    if endpoint is None:
        endpoint = os.environ.get("VET_ENDPOINT") or DEFAULT_ENDPOINT
    items = endpoint.split(",") if isinstance(endpoint, str) else list(endpoint)
    if not all(isinstance(e, str) for e in items):
        raise ValueError(f"invalid endpoint {endpoint!r}")
    eps = [e.strip() for e in items if e.strip()]
    if not eps:
        raise ValueError(f"invalid endpoint {endpoint!r}")
    return eps


def connect_all(s: Any, endpoints: list[str]) -> None:
    """Connects s to every endpoint. With several, the DEALER spreads
    requests over the daemons that are connected (IMMEDIATE keeps a dead
    one out) and heartbeats drop one that hangs with its connection open,
    so a retry on a fresh socket goes to a daemon that answers (as
    libvet does; docs/DEPLOY.md)."""
    if len(endpoints) > 1:
        s.setsockopt(zmq.HEARTBEAT_IVL, 1000)
        s.setsockopt(zmq.HEARTBEAT_TTL, 3000)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
    for e in endpoints:
        s.connect(e)

# A call has one request in flight: small queues are plenty.
CALL_HWM = 16
# Requests a stream may queue unsent; its window keeps it far below.
PIPE_SNDHWM = 10000

# Numbers the ids this process invents for a stream's id-less items.
_stream_seq = itertools.count(1)

Socket = zmq.Socket[bytes]


def stream_prefix(kind: str) -> str:
    """The prefix of a new stream's invented ids: unique to this process
    and stream, and marked as the client's ("~" is not a usual record id)."""
    return f"~{kind}{os.getpid():x}.{next(_stream_seq)}."


def check_stream_args(timeout_ms: Optional[int], default_timeout: int,
                      retries: Optional[int], default_retries: int, inflight: int,
                      profile: Optional[str], user: Optional[str]) -> tuple[int, int]:
    """Validates screen_many's arguments; returns (timeout_ms, retries)."""
    if int(inflight) < 1:
        raise ValueError("inflight must be >= 1")
    timeout = default_timeout if timeout_ms is None else int(timeout_ms)
    if timeout <= 0:
        raise ValueError("timeout_ms must be > 0")
    if profile is not None and not isinstance(profile, str):
        raise TypeError("profile: expected a str (a profile id)")
    check_user(user)
    return timeout, max(0, default_retries if retries is None else int(retries))


class Client:
    """A client of one vetd endpoint.

        with Client("tcp://127.0.0.1:7470", user="j.smith") as c:
            r = c.screen("Harbin Institute of Technology", country="CN",
                         technologies=["ai"], activity="affiliation",
                         id="grant-4711")
            print(r.verdict, [m.entity for m in r.matches])

    timeout_ms is the deadline of each call, all attempts included;
    retries the extra attempts after one that got no answer (Lazy Pirate:
    the socket is closed and a fresh one connected before the request is
    sent again, so a late reply is never taken for a new one). The
    endpoint is checked at once (ValueError if zmq rejects it); a daemon
    that is not up yet is found when it comes up. endpoint None reads
    $VET_ENDPOINT (else DEFAULT_ENDPOINT); several endpoints (a list, or
    comma-separated) spread the requests over those daemons, and a retry
    goes to one that answers (resolve_endpoints). user, when given, is
    sent as context.user on every screening request that names none: the
    daemon's audit log records who asked.

    server_key and key make the client talk CURVE to a daemon that
    requires it (docs/SECURITY.md): server_key is the daemon's public key,
    key this client's secret key, each as 40 characters of Z85 text or
    the path of a certificate `vetd keygen` wrote (the daemon's PATH, the
    client's PATH_secret). Both or neither (ValueError); a file that
    cannot be read raises at once. A daemon that does not allow the key
    never answers: calls raise VetUnavailable after their deadline.

    A client (and its streams) must be used by one thread at a time, as
    ZeroMQ sockets are; use one client per thread. context is an optional
    zmq.Context to share (borrowed: the client does not terminate it).
    """

    def __init__(self, endpoint: Endpoints = None, timeout_ms: int = 3000,
                 retries: int = 1, *, user: Optional[str] = None,
                 server_key: Optional[KeySource] = None,
                 key: Optional[KeySource] = None,
                 context: Optional[zmq.Context[Socket]] = None) -> None:
        self._curve = curve_keys(server_key, key)
        self.endpoints = resolve_endpoints(endpoint)
        if int(timeout_ms) <= 0:
            raise ValueError("timeout_ms must be > 0")
        self.endpoint = ",".join(self.endpoints)
        self.timeout_ms = int(timeout_ms)
        self.retries = max(0, int(retries))
        self.user = check_user(user)
        self._own_ctx = context is None
        self._ctx: zmq.Context[Socket] = zmq.Context() if context is None else context
        self._pipes: set[Socket] = set()
        self._closed = False
        # Requests streams sent again after a timeout (for monitoring).
        self.resent = 0
        try:
            # Connecting now checks the endpoint, so a typo fails here
            # rather than as a timeout later.
            self._call: Optional[Socket] = self._socket(False)
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

    def _socket(self, pipelined: bool) -> Socket:
        """A DEALER connected to the endpoint. IMMEDIATE keeps requests
        from being queued for a daemon that is not connected, so an absent
        daemon shows as a timeout and a retry goes over a fresh
        connection. A stream's receive queue is unlimited: vetd's ROUTER
        drops replies to a peer whose queue is full, and the window bounds
        what it can hold anyway."""
        s: Socket = self._ctx.socket(zmq.DEALER)
        try:
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.IMMEDIATE, 1)
            s.setsockopt(zmq.SNDHWM, PIPE_SNDHWM if pipelined else CALL_HWM)
            s.setsockopt(zmq.RCVHWM, 0 if pipelined else CALL_HWM)
            apply_curve(s, self._curve)
            connect_all(s, self.endpoints)
        except zmq.ZMQError:
            s.close(linger=0)
            raise
        return s

    def _check_open(self) -> None:
        if self._closed:
            raise VetError(f"client of {self.endpoint} is closed", "closed")

    @staticmethod
    def _send(s: Socket, payload: bytes, until: float) -> bool:
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
    def _recv(s: Socket, until: float) -> Optional[list[bytes]]:
        """The next message's frames, or None at `until`."""
        while True:
            try:
                return s.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                left = until - time.monotonic()
                if left <= 0:
                    return None
                s.poll(max(1, int(left * 1000)), zmq.POLLIN)

    def call_raw(self, data: Union[bytes, str], *, timeout_ms: Optional[int] = None,
                 retries: Optional[int] = None) -> JSONObject:
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
                return decode(frames, self.endpoint)
            # Lazy Pirate: the old socket may yet get the late answer, so
            # it goes, and the next attempt starts on a fresh one.
            self._call.close(linger=0)
            self._call = None
        tries = f" ({made} attempts)" if made > 1 else ""
        raise VetUnavailable(
            f"vetd not answering at {self.endpoint}: timed out after {timeout} ms{tries}",
            "timeout", endpoint=self.endpoint, waited_ms=timeout)

    def call(self, request: JSONObject, *, timeout_ms: Optional[int] = None,
             retries: Optional[int] = None) -> JSONObject:
        """Sends one request of any op (a dict, sent as JSON, as it is: the
        client's user is not added) and returns the reply dict as it came,
        error replies included; pass it to vet.check_reply to raise them.
        Raises as call_raw does, and TypeError/ValueError for a request
        that is not JSON."""
        return self.call_raw(encode(request), timeout_ms=timeout_ms, retries=retries)

    def _op(self, op: str, retries: Optional[int] = None) -> JSONObject:
        return check_reply(self.call({"op": op}, retries=retries))

    def ping(self) -> bool:
        """True when the daemon's workers answer; raises otherwise."""
        reply = self._op("ping")
        if reply.get("ok") is not True:
            raise VetProtocolError(f"bad ping reply from {self.endpoint}: {reply!r}", "proto")
        return True

    def version(self) -> JSONObject:
        """The daemon's version reply: vetd, protocol, zmq, ruleset."""
        return self._op("version")

    def stats(self) -> JSONObject:
        """The daemon's counters (docs/PROTOCOL.md, "stats")."""
        return self._op("stats")

    def taxonomy(self) -> JSONObject:
        """The ruleset's categories, activities and verdicts."""
        return self._op("taxonomy")

    def profiles(self) -> Profiles:
        """The ruleset's profiles (the named sets of rules a request may be
        judged by) and the daemon's default one, as a typed Profiles."""
        return Profiles.from_reply(self._op("profiles"))

    def reload(self) -> JSONObject:
        """Reloads the daemon's ruleset, without retrying (a reload is not
        idempotent). A reload that failed is not an error: the reply has
        "ok": false and "errors"; the old ruleset keeps serving."""
        return self._op("reload", retries=0)

    def screen(self, name: Optional[str] = None, *, country: Optional[str] = None,
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
               user: Optional[str] = None) -> Result:
        """Screens one partner (arguments as build_request) and returns its
        Result; profile chooses the ruleset's profile to judge by (the
        Result's .profile names the one that did); user (default: the
        client's) is sent as context.user. Raises VetBadRequest
        with the daemon's code and message when the request is rejected
        (an unknown profile too), VetUnavailable on a timeout or when no
        ruleset is loaded, VetInternal, VetProtocolError."""
        req = build_request(name, country=country, type=type, aliases=aliases, ids=ids,
                            technologies=technologies, activity=activity,
                            current=current, text=text, context=context, id=id,
                            partner=partner, profile=profile, region=region,
                            birth_date=birth_date, nationality=nationality,
                            user=check_user(user) or self.user)
        return Result.from_reply(check_reply(self.call(req)))

    # ---- many requests -------------------------------------------------

    def screen_many(self, items: Iterable[Any], inflight: int = 256, *,
                    timeout_ms: Optional[int] = None,
                    retries: Optional[int] = None,
                    profile: Optional[str] = None,
                    user: Optional[str] = None) -> Iterator[Result]:
        """Screens every item, keeping up to `inflight` requests in flight,
        and yields one Result per item in input order.

        An item is a dict of screen()'s keywords (a full screening request
        is one too), any other dict (sent as the request as it is, e.g.
        with an "op"), or a str (a partner name).

        Ids: each request goes to the daemon under the item's own id, so
        the daemon's audit log names the caller's record; an item without
        one gets an id made by the stream ("~py...", in the audit log
        only: its Result.id is None). An item whose id is already in
        flight waits for that reply before it is sent, so replies are
        matched to items without ambiguity. Result.id is the id as the
        daemon echoes it (numbers as strings: 12 -> "12").

        profile is the profile, and user (default: the client's) the
        context.user, of every screening item that names none; an item's
        own wins. Each Result's .profile names the profile that judged it.

        An item the daemon rejects yields a Result whose .error is the
        exception (VetBadRequest, ...) and whose verdict is None; an item
        that cannot be encoded yields one with a VetBadRequest made here.
        The stream goes on either way.

        Each item has the same budget as a call: timeout_ms (default the
        client's) split over retries + 1 attempts. When an attempt runs
        out, the socket is replaced and every request without a reply is
        sent again, so a daemon restarted mid-stream loses nothing; a late
        reply to the old socket is lost with it, so each item yields
        exactly once. When an item's last attempt runs out, the stream
        raises VetUnavailable (the results yielded so far stand).
        """
        self._check_open()
        timeout, tries = check_stream_args(timeout_ms, self.timeout_ms, retries,
                                           self.retries, inflight, profile, user)
        st = _Stream(stream_prefix("py"), int(inflight), timeout / 1000.0 / (tries + 1),
                     tries, timeout, self.endpoint, profile, user or self.user)
        return self._stream(iter(items), st)

    def _stream(self, it: Iterator[Any], st: _Stream) -> Iterator[Result]:
        sock: Optional[Socket] = None
        try:
            while True:
                self._check_open()
                # Take input while the window (from the oldest result not
                # yet yielded) has room: memory stays bounded even when
                # one slow item holds the others back.
                while st.want_input():
                    try:
                        item = next(it)
                    except StopIteration:
                        st.exhausted = True
                        break
                    st.admit(item)
                for r in st.ready():
                    yield r
                    self._check_open()
                if st.finished():
                    return
                if not st.window:
                    continue
                if sock is None:
                    sock = self._socket(True)
                    self._pipes.add(sock)
                blocked = self._send_queued(sock, st)
                if self._receive(sock, st):
                    continue
                now = time.monotonic()
                first = st.next_deadline()
                if first is not None and first > now:
                    ev = zmq.POLLIN | (zmq.POLLOUT if blocked else 0)
                    sock.poll(max(1, int((first - now) * 1000) + 1), ev)
                    continue
                if st.expire(now):
                    # Lazy Pirate for the whole window: replies owed to the
                    # old socket are lost with it.
                    self._pipes.discard(sock)
                    sock.close(linger=0)
                    sock = None
                    before = st.resent
                    st.restart(now)
                    self.resent += st.resent - before
        finally:
            if sock is not None:
                self._pipes.discard(sock)
                sock.close(linger=0)

    @staticmethod
    def _send_queued(sock: Socket, st: _Stream) -> bool:
        """Sends the queued requests in order, without waiting. True if
        some could not be sent (no connection or no room)."""
        while (p := st.next_unsent()) is not None:
            try:
                sock.send(b"", zmq.SNDMORE | zmq.NOBLOCK)
            except zmq.Again:
                return True
            sock.send(p.payload, zmq.NOBLOCK)
            st.sent(p, time.monotonic())
        return False

    def _receive(self, sock: Socket, st: _Stream) -> bool:
        """Reads every reply waiting on sock into the stream. True if any."""
        got = False
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return got
            got = True
            st.on_reply(decode(frames, self.endpoint))

