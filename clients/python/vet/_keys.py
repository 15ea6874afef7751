# SPDX-License-Identifier: Apache-2.0
"""vet._keys -- CURVE keys for a client of a vetd that requires them
(docs/SECURITY.md): each key is 40 characters of Z85 text or the path of a
certificate in czmq's zcert format, as `vetd keygen PATH` writes them
(PATH holds the public key, PATH_secret the public and the secret)."""

from __future__ import annotations

import os
from typing import Any, Optional, Union

import zmq

# Z85's alphabet (ZeroMQ RFC 32): a key is 40 of these.
_Z85 = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")


def _is_z85_key(raw: bytes) -> bool:
    return len(raw) == 40 and all(c in _Z85 for c in raw)

KeySource = Union[str, bytes, "os.PathLike[str]"]

# The three socket options a CURVE client sets, in the order zmq wants
# them before connect.
Curve = tuple[bytes, bytes, bytes]  # server public, client public, client secret


def _as_z85(value: KeySource) -> Optional[bytes]:
    """value as Z85 key text if it is one (40 characters that decode)."""
    if isinstance(value, os.PathLike):
        return None
    raw = value.encode("ascii", "replace") if isinstance(value, str) else bytes(value)
    return raw if _is_z85_key(raw) else None


def _from_cert(path: KeySource, field: str) -> bytes:
    """The Z85 value of `field` (public-key, secret-key) in the curve
    section of the zcert file at path; ValueError if it has none."""
    p = os.fsdecode(path)
    section = ""
    with open(p, encoding="utf-8") as f:
        for line in f:
            text = line.rstrip("\r\n")
            body = text.lstrip(" ")
            if not body or body.startswith("#"):
                continue
            if body == text:            # a section at the top level
                section = body.split()[0]
                continue
            name, eq, value = body.partition("=")
            if section != "curve" or not eq or name.strip() != field:
                continue
            value = value.strip().strip("\"'")
            if len(value) != 40:
                raise ValueError(f"{p}: {field} is not a key of 40 Z85 characters")
            return value.encode("ascii")
    hint = " (vetd keygen writes it to PATH_secret)" if field == "secret-key" else ""
    raise ValueError(f"{p}: no curve {field}{hint}")


def curve_keys(server_key: Optional[KeySource], key: Optional[KeySource]) -> Optional[Curve]:
    """The socket options of a CURVE client, or None when neither key is
    given. server_key is the daemon's public key (Z85 or its certificate
    file); key is the client's secret key (Z85 or its secret certificate
    file: the public half is derived from it). ValueError if only one is
    given or one cannot be read; OSError if a file cannot be opened."""
    if server_key is None and key is None:
        return None
    if server_key is None or key is None:
        raise ValueError("CURVE needs both server_key (the daemon's public key) and key "
                         "(this client's secret key)")
    server = _as_z85(server_key) or _from_cert(server_key, "public-key")
    secret = _as_z85(key) or _from_cert(key, "secret-key")
    if not (_is_z85_key(server) and _is_z85_key(secret)):
        raise ValueError("a CURVE key is not valid Z85 text")
    public: bytes = zmq.curve_public(secret)
    return server, public, secret


def apply_curve(sock: Any, curve: Optional[Curve]) -> None:
    """Makes sock a CURVE client with these keys (before it connects)."""
    if curve is None:
        return
    sock.setsockopt(zmq.CURVE_SERVERKEY, curve[0])
    sock.setsockopt(zmq.CURVE_PUBLICKEY, curve[1])
    sock.setsockopt(zmq.CURVE_SECRETKEY, curve[2])
