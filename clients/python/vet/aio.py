# SPDX-License-Identifier: Apache-2.0
"""vet.aio -- AsyncClient, the asyncio variant of vet.Client on
zmq.asyncio, for web frameworks and other event loops: the same calls,
awaited, and screen_many as an async generator. The request building and
the stream's bookkeeping are vet._proto's, shared with Client."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterable, AsyncIterator, Iterable, Optional, Union

import zmq
import zmq.asyncio

from ._keys import KeySource, apply_curve, curve_keys
from ._proto import JSONObject, _Stream, build_request, check_user, decode, encode
from .client import (CALL_HWM, PIPE_SNDHWM, Endpoints, check_stream_args, connect_all,
                     resolve_endpoints, stream_prefix)
from .errors import VetError, VetProtocolError, VetUnavailable, check_reply
from .result import Profiles, Result

__all__ = ["AsyncClient"]

ASocket = zmq.asyncio.Socket
# Idle call sockets kept for the next call; more concurrent calls than
# this still work, their sockets are closed when they finish.
_POOL_MAX = 8


class AsyncClient:
    """An asyncio client of one vetd endpoint.

        async with AsyncClient("tcp://127.0.0.1:7470", user="j.smith") as c:
            r = await c.screen("Harbin Institute of Technology", country="CN")
            async for r in c.screen_many(rows):
                print(r.id, r.verdict)

    Arguments, deadlines, Lazy Pirate retries, errors and results are
    those of vet.Client. Unlike a Client, one AsyncClient may serve many
    concurrent calls (tasks of one event loop): each call in flight has a
    DEALER socket of its own, taken from a small pool. It must be used
    from the event loop it was first used in. context is an optional
    zmq.asyncio.Context to share (borrowed: not terminated by close()).
    """

    def __init__(self, endpoint: Endpoints = None, timeout_ms: int = 3000,
                 retries: int = 1, *, user: Optional[str] = None,
                 server_key: Optional[KeySource] = None,
                 key: Optional[KeySource] = None,
                 context: Optional[zmq.asyncio.Context] = None) -> None:
        self._curve = curve_keys(server_key, key)
        self.endpoints = resolve_endpoints(endpoint)
        if int(timeout_ms) <= 0:
            raise ValueError("timeout_ms must be > 0")
        self.endpoint = ",".join(self.endpoints)
        self.timeout_ms = int(timeout_ms)
        self.retries = max(0, int(retries))
        self.user = check_user(user)
        self._own_ctx = context is None
        self._ctx = zmq.asyncio.Context() if context is None else context
        self._idle: list[ASocket] = []      # connected, nothing pending
        self._busy: set[ASocket] = set()    # of calls and streams under way
        self._closed = False
        self.resent = 0     # requests streams sent again after a timeout
        try:
            # Connecting now checks the endpoint: a typo fails here.
            self._idle.append(self._socket(False))
        except zmq.ZMQError as e:
            self.close()
            raise ValueError(f"invalid endpoint {endpoint!r}: {e}") from None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<vet.AsyncClient {self.endpoint} {state}>"

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Closes every socket at once (linger 0) and terminates the
        client's own context; calls under way then fail with VetError
        (code "closed"). Closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        for s in [*self._idle, *self._busy]:
            s.close(linger=0)
        self._idle.clear()
        self._busy.clear()
        if self._own_ctx:
            self._ctx.term()

    def _socket(self, pipelined: bool) -> ASocket:
        """A DEALER connected to the endpoint, set up as Client._socket."""
        s = self._ctx.socket(zmq.DEALER)
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

    def _take(self) -> ASocket:
        s = self._idle.pop() if self._idle else self._socket(False)
        self._busy.add(s)
        return s

    def _give(self, s: ASocket, reuse: bool) -> None:
        self._busy.discard(s)
        if reuse and not self._closed and len(self._idle) < _POOL_MAX:
            self._idle.append(s)
        else:
            s.close(linger=0)

    async def _attempt(self, s: ASocket, data: bytes) -> list[bytes]:
        await s.send_multipart([b"", data])
        frames: list[bytes] = await s.recv_multipart()
        return frames

    async def call_raw(self, data: Union[bytes, str], *, timeout_ms: Optional[int] = None,
                       retries: Optional[int] = None) -> JSONObject:
        """As Client.call_raw, awaited."""
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
            # An even share of what is left; the last attempt gets it all.
            share = (deadline - now) / (attempts - a)
            s = self._take()
            made += 1
            try:
                frames = await asyncio.wait_for(self._attempt(s, data), share)
            except asyncio.TimeoutError:
                # Lazy Pirate: the socket may yet get the late answer, so
                # it goes, and the next attempt starts on a fresh one.
                self._give(s, False)
                self._check_open()
                continue
            except BaseException:
                # Cancelled, or the socket was closed under the call: its
                # reply must not be taken for another call's.
                self._give(s, False)
                self._check_open()
                raise
            self._give(s, True)
            return decode(frames, self.endpoint)
        tries = f" ({made} attempts)" if made > 1 else ""
        raise VetUnavailable(
            f"vetd not answering at {self.endpoint}: timed out after {timeout} ms{tries}",
            "timeout", endpoint=self.endpoint, waited_ms=timeout)

    async def call(self, request: JSONObject, *, timeout_ms: Optional[int] = None,
                   retries: Optional[int] = None) -> JSONObject:
        """As Client.call, awaited."""
        return await self.call_raw(encode(request), timeout_ms=timeout_ms, retries=retries)

    async def _op(self, op: str, retries: Optional[int] = None) -> JSONObject:
        return check_reply(await self.call({"op": op}, retries=retries))

    async def ping(self) -> bool:
        """True when the daemon's workers answer; raises otherwise."""
        reply = await self._op("ping")
        if reply.get("ok") is not True:
            raise VetProtocolError(f"bad ping reply from {self.endpoint}: {reply!r}", "proto")
        return True

    async def version(self) -> JSONObject:
        return await self._op("version")

    async def stats(self) -> JSONObject:
        return await self._op("stats")

    async def taxonomy(self) -> JSONObject:
        return await self._op("taxonomy")

    async def profiles(self) -> Profiles:
        return Profiles.from_reply(await self._op("profiles"))

    async def reload(self) -> JSONObject:
        """Sent once, never retried (a reload is not idempotent)."""
        return await self._op("reload", retries=0)

    async def screen(self, name: Optional[str] = None, *, country: Optional[str] = None,
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
        """As Client.screen, awaited."""
        req = build_request(name, country=country, type=type, aliases=aliases, ids=ids,
                            technologies=technologies, activity=activity,
                            current=current, text=text, context=context, id=id,
                            partner=partner, profile=profile, region=region,
                            birth_date=birth_date, nationality=nationality,
                            user=check_user(user) or self.user)
        return Result.from_reply(check_reply(await self.call(req)))

    def screen_many(self, items: Union[Iterable[Any], AsyncIterable[Any]],
                    inflight: int = 256, *, timeout_ms: Optional[int] = None,
                    retries: Optional[int] = None, profile: Optional[str] = None,
                    user: Optional[str] = None) -> AsyncIterator[Result]:
        """As Client.screen_many, as an async generator: items may be an
        iterable or an async iterable; one Result per item, in input
        order, each request under the caller's own id."""
        self._check_open()
        timeout, tries = check_stream_args(timeout_ms, self.timeout_ms, retries,
                                           self.retries, inflight, profile, user)
        st = _Stream(stream_prefix("pa"), int(inflight), timeout / 1000.0 / (tries + 1),
                     tries, timeout, self.endpoint, profile, user or self.user)
        return self._stream(items, st)

    async def _stream(self, items: Union[Iterable[Any], AsyncIterable[Any]],
                      st: _Stream) -> AsyncIterator[Result]:
        ait = items.__aiter__() if isinstance(items, AsyncIterable) else None
        it = iter(items) if not isinstance(items, AsyncIterable) else None
        sock: Optional[ASocket] = None
        try:
            while True:
                self._check_open()
                while st.want_input():
                    try:
                        item = await ait.__anext__() if ait is not None else \
                            next(it)  # type: ignore[arg-type]
                    except (StopIteration, StopAsyncIteration):
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
                    self._busy.add(sock)
                blocked = await self._send_queued(sock, st)
                if await self._receive(sock, st):
                    continue
                now = time.monotonic()
                first = st.next_deadline()
                if first is not None and first > now:
                    ev = zmq.POLLIN | (zmq.POLLOUT if blocked else 0)
                    await sock.poll(max(1, int((first - now) * 1000) + 1), ev)
                    continue
                if st.expire(now):
                    # Lazy Pirate for the whole window (see Client._stream).
                    self._busy.discard(sock)
                    sock.close(linger=0)
                    sock = None
                    before = st.resent
                    st.restart(now)
                    self.resent += st.resent - before
        finally:
            if sock is not None:
                self._busy.discard(sock)
                sock.close(linger=0)

    @staticmethod
    async def _send_queued(sock: ASocket, st: _Stream) -> bool:
        """Sends the queued requests in order, without waiting. True if
        some could not be sent (no connection or no room)."""
        while (p := st.next_unsent()) is not None:
            try:
                await sock.send_multipart([b"", p.payload], zmq.NOBLOCK)
            except zmq.Again:
                return True
            st.sent(p, time.monotonic())
        return False

    async def _receive(self, sock: ASocket, st: _Stream) -> bool:
        """Reads every reply waiting on sock into the stream. True if any."""
        got = False
        while True:
            try:
                frames: list[bytes] = await sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return got
            got = True
            st.on_reply(decode(frames, self.endpoint))
