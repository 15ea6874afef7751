# SPDX-License-Identifier: Apache-2.0
"""vet -- the Python client of the vetd screening daemon.

    from vet import Client
    with Client("tcp://127.0.0.1:7470") as c:
        print(c.screen("Harbin Institute of Technology", country="CN",
                       technologies=["ai"]).verdict)

vet.AsyncClient is the same on asyncio (zmq.asyncio). See
clients/python/README.md and docs/PROTOCOL.md."""

from ._proto import build_request
from .aio import AsyncClient
from .client import DEFAULT_ENDPOINT, Client
from .errors import (VetBadRequest, VetError, VetInternal, VetProtocolError,
                     VetUnavailable, check_reply, error_from_reply)
from .result import Category, Match, Profile, Profiles, Result, Rule, Ruleset

# The project's version (vetd --version); pyproject.toml reads it from here, and
# the tests fail if it differs from the daemon's.
__version__ = "0.2.0"

__all__ = [
    "Client", "AsyncClient", "DEFAULT_ENDPOINT", "build_request",
    "Result", "Match", "Rule", "Category", "Ruleset", "Profile", "Profiles",
    "VetError", "VetUnavailable", "VetBadRequest", "VetInternal", "VetProtocolError",
    "check_reply", "error_from_reply",
]
