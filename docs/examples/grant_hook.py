#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""grant_hook.py -- a grant portal's pre-submission hook: screen every
partner of an application with vetd and decide whether it may go ahead.

    PYTHONPATH=clients/python /usr/bin/python3 docs/examples/grant_hook.py application.json
    ... < application.json          (or the application on stdin)

The application (the portal's own JSON):

    {"id": "grant-4711", "funder": "NSERC",
     "technologies": ["quantum.sensing"], "text": "Quantum sensing for navigation",
     "partners": [{"name": "Harbin Institute of Technology", "country": "CN",
                   "activity": "joint_lab"}]}

Prints one line per partner, then the decision. Exits like `vet`: 0 clear,
10 review (hold for the research-security office), 20 prohibited (block),
65 the application was rejected as malformed, 69 vetd is unavailable.
VET_ENDPOINT names the daemon, or several comma-separated (default
tcp://127.0.0.1:7470), VETD_TIMEOUT_MS
the deadline of each screening (default 5000).
"""
import json
import os
import sys

from vet import Client, VetBadRequest, VetError

EXIT = {"clear": 0, "review": 10, "prohibited": 20}
DECISION = {"clear": "submit", "review": "hold for research-security review",
            "prohibited": "blocked"}
PARTNER_FIELDS = ("name", "aliases", "country", "type", "ids")


def main() -> int:
    src = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    app = json.load(src)
    partners = app["partners"]
    # One screening request per partner; the application's work and
    # funder apply to each (rules may read context.funder).
    requests = [{"id": f"{app['id']}/{i}",
                 "partner": {k: p[k] for k in PARTNER_FIELDS if k in p},
                 "activity": p.get("activity", "research_partnership"),
                 "technologies": app.get("technologies"),
                 "text": app.get("text"),
                 "context": {"funder": app["funder"]} if "funder" in app else None}
                for i, p in enumerate(partners)]
    worst = "clear"
    timeout_ms = int(os.environ.get("VETD_TIMEOUT_MS", "5000"))
    # No endpoint: the client reads VET_ENDPOINT.
    with Client(timeout_ms=timeout_ms) as vetd:
        for p, r in zip(partners, vetd.screen_many(requests)):
            if r.error is not None:
                print(f"{p['name']}: not screened: {r.error}", file=sys.stderr)
                return 65 if isinstance(r.error, VetBadRequest) else 69
            why = "; ".join(f"{rule.reason} [{rule.id}]" for rule in r.rules)
            print(f"{r.verdict:<10} {p['name']}: {why or 'no rule applies'}")
            worst = max(worst, r.verdict, key=EXIT.__getitem__)
    print(f"{app['id']}: {DECISION[worst]}")
    return EXIT[worst]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except VetError as e:       # no answer, or no ruleset loaded
        print(f"grant_hook: {e}", file=sys.stderr)
        sys.exit(69)
    except (KeyError, ValueError) as e:
        print(f"grant_hook: bad application: {e!r}", file=sys.stderr)
        sys.exit(65)
