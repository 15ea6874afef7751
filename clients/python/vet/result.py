# SPDX-License-Identifier: Apache-2.0
"""vet.result -- typed views of a screening reply (docs/PROTOCOL.md,
"Screening reply"). Every class keeps to the documented fields and reads
them leniently (a field missing from the reply gets its empty value), so
a newer daemon that adds fields does not break an older client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from .errors import VetError, error_from_reply

__all__ = ["Match", "Rule", "Category", "Ruleset", "Result", "Profile", "Profiles"]


def _list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list) else []


@dataclass(frozen=True)
class Match:
    """An organisation the partner was found as, best first."""
    entity: str
    name: str
    matched: str            # what it was found by: the alias, or "scheme:value"
    method: str             # "id", "exact", "unit", "related" or "fuzzy"
    score: float            # 0..1, two decimals
    country: Optional[str]
    lists: list[str]
    tags: list[str]
    risk: Optional[str]
    sources: list[str]
    matched_span: Optional[str] = None  # the part of the query that named it, if not all

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Match":
        return cls(entity=d.get("entity", ""), name=d.get("name", ""),
                   matched=d.get("matched", ""), method=d.get("method", ""),
                   score=float(d.get("score", 0.0)), country=d.get("country"),
                   lists=_list(d.get("lists")), tags=_list(d.get("tags")),
                   risk=d.get("risk"), sources=_list(d.get("sources")),
                   matched_span=d.get("matched_span"))


@dataclass(frozen=True)
class Rule:
    """A rule that fired, in policy order."""
    id: str
    verdict: str
    score: int
    reason: str
    cite: str
    entity: Optional[str]   # the organisation it fired on, or None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Rule":
        return cls(id=d.get("id", ""), verdict=d.get("verdict", ""),
                   score=int(d.get("score", 0)), reason=d.get("reason", ""),
                   cite=d.get("cite", ""), entity=d.get("entity"))


@dataclass(frozen=True)
class Category:
    """A technology category of the request, in taxonomy order."""
    code: str
    label: str
    given: bool             # the client named it
    spotted: bool           # words of the text revealed it
    evidence: list[str]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Category":
        return cls(code=d.get("code", ""), label=d.get("label", ""),
                   given=bool(d.get("given", False)), spotted=bool(d.get("spotted", False)),
                   evidence=_list(d.get("evidence")))


@dataclass(frozen=True)
class Ruleset:
    """The ruleset that judged the request."""
    version: str
    digest: str


@dataclass
class Result:
    """One reply to a screening request.

    For a reply that is not a screening result (an admin op sent through
    screen_many) every typed field is empty and raw holds the reply. In
    screen_many, an item the daemon rejected yields a Result whose error
    is the exception (VetBadRequest, ...) and whose verdict is None;
    screen() raises that exception instead.
    """
    verdict: Optional[str] = None
    score: int = 0
    matches: list[Match] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    ruleset: Optional[Ruleset] = None
    elapsed_us: Optional[int] = None
    id: Optional[str] = None
    raw: dict[str, Any] = field(default_factory=dict)
    error: Optional[VetError] = None
    note: Optional[str] = None  # set when the partner matched and no rule acted on it
    profile: Optional[str] = None  # the ruleset's profile that judged it (None: an older daemon)

    @property
    def ok(self) -> bool:
        """True unless the request was rejected."""
        return self.error is None

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> "Result":
        """The typed view of reply (kept as .raw). An error reply gives a
        Result with .error set; nothing is raised."""
        err = error_from_reply(reply)
        if err is not None:
            return cls(id=reply.get("id"), raw=reply, error=err)
        partner = reply.get("partner")
        matches = partner.get("matches") if isinstance(partner, dict) else None
        rs = reply.get("ruleset")
        return cls(
            verdict=reply.get("verdict"),
            score=int(reply.get("score", 0) or 0),
            matches=[Match.from_dict(m) for m in _list(matches)],
            rules=[Rule.from_dict(r) for r in _list(reply.get("rules"))],
            categories=[Category.from_dict(c) for c in _list(reply.get("categories"))],
            ruleset=(Ruleset(version=rs.get("version", ""), digest=rs.get("digest", ""))
                     if isinstance(rs, dict) else None),
            elapsed_us=reply.get("elapsed_us"),
            id=reply.get("id"),
            raw=reply,
            note=reply.get("note"),
            profile=reply.get("profile"),
        )


@dataclass(frozen=True)
class Profile:
    """A named set of the ruleset's rules a request may be judged by."""
    id: str
    label: str
    rules: list[str]        # the ids of its rules, in policy order
    description: Optional[str] = None   # a longer account, when the ruleset gives one

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Profile":
        return cls(id=d.get("id", ""), label=d.get("label", ""),
                   rules=[r for r in _list(d.get("rules")) if isinstance(r, str)],
                   description=d.get("description"))


@dataclass
class Profiles:
    """The reply to the profiles op: the ruleset's profiles in order and
    the daemon's default one (the profile of a request that names none).

        ps = client.profiles()
        ps.default                  # "all"
        [p.id for p in ps]          # ["ca-tri-agency", ..., "all"]
        ps["ca-tri-agency"].rules   # its rule ids
    """
    default: Optional[str] = None
    profiles: list[Profile] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> "Profiles":
        return cls(default=reply.get("default"),
                   profiles=[Profile.from_dict(p) for p in _list(reply.get("profiles"))
                             if isinstance(p, dict)],
                   raw=reply)

    @property
    def ids(self) -> list[str]:
        """The profile ids, in order."""
        return [p.id for p in self.profiles]

    def get(self, id: str) -> Optional[Profile]:
        """The profile with this id, or None."""
        return next((p for p in self.profiles if p.id == id), None)

    def __getitem__(self, id: str) -> Profile:
        p = self.get(id)
        if p is None:
            raise KeyError(id)
        return p

    def __contains__(self, id: object) -> bool:
        return any(p.id == id for p in self.profiles)

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.profiles)

    def __len__(self) -> int:
        return len(self.profiles)
