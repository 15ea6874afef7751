"""vet -- the Python client of the vetd screening daemon.

    from vet import Client
    with Client("tcp://127.0.0.1:7470") as c:
        print(c.screen("Harbin Institute of Technology", country="CN",
                       technologies=["ai"]).verdict)

See clients/python/README.md and docs/PROTOCOL.md."""

from .client import DEFAULT_ENDPOINT, Client, build_request
from .errors import (VetBadRequest, VetError, VetInternal, VetProtocolError,
                     VetUnavailable, check_reply, error_from_reply)
from .result import Category, Match, Profile, Profiles, Result, Rule, Ruleset

__version__ = "0.2.0"

__all__ = [
    "Client", "DEFAULT_ENDPOINT", "build_request",
    "Result", "Match", "Rule", "Category", "Ruleset", "Profile", "Profiles",
    "VetError", "VetUnavailable", "VetBadRequest", "VetInternal", "VetProtocolError",
    "check_reply", "error_from_reply",
]
