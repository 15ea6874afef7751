#!/usr/bin/python3
"""nro2cfg.py -- Canada's Named Research Organizations TSV -> rules/registry/ca-nro.cfg.

Usage: tools/nro2cfg.py [TSV [OUT]]
  TSV defaults to /work/shared/data/canada_nro/nro_2024-09.tsv (columns
  name, country, aliases; aliases separated by "; "), OUT to
  rules/registry/ca-nro.cfg beside this script ("-" for stdout).

The output is deterministic (same input, same bytes): one organisation per
row, in the TSV's order, with provenance ("row N" = line N of the TSV, the
header being line 1).  Python 3 standard library only.

Beyond the list itself, two small tables below add what the list does not
say, each entry with its source: published-text repairs (ALIAS_FIXES,
EXTRA_ALIASES, DROPPED_ALIASES) and MCF annotations from FACTS.md
(ANNOTATIONS: tags, Chinese names, relations to entities of
rules/registry/mcf.cfg).  Anything not covered by a source is not encoded.
"""

import hashlib
import os
import re
import sys
import unicodedata

LIST_ID = "ca-nro"
LIST_NAME = "Named Research Organizations"
LIST_AUTHORITY = "Government of Canada"
LIST_URL = ("https://science.gc.ca/site/science/en/safeguarding-your-research/"
            "guidelines-and-tools-implement-research-security/"
            "sensitive-technology-research-and-affiliations-concern/"
            "named-research-organizations")
SOURCE_PREFIX = ("ca-nro: Government of Canada, Named Research Organizations "
                 "(modified 2024-04-18), row ")
FACTS = "shared/data/FACTS.md"

# The list's country labels -> ISO 3166-1 alpha-2.  Anything else is an
# error: a new country must be mapped by a person, not guessed.
COUNTRIES = {
    "People\u2019s Republic of China": "CN",
    "People's Republic of China": "CN",
    "Iran": "IR",
    "Russia": "RU",
}

# Published aliases that the page (and so the TSV) runs together or splits
# wrongly.  Key: (row, alias as published) -> replacement aliases.  Checked
# against canada_nro/named-research-organizations_2024-09-09.html, which has
# the same text: these are slips of the published page, not of the parse.
ALIAS_FIXES = {
    # Three names joined by commas inside one "; "-separated item.
    (42, "CAEP, Beijing Computational Science Research Center, Ninth Academy"):
        ["CAEP", "Beijing Computational Science Research Center", "Ninth Academy"],
    # One name split in two by a stray "; " after the ampersand.
    (42, "Center for High Pressure Science &"):
        ["Center for High Pressure Science & Technology Advanced Research"],
    (42, "Technology Advanced Research"): [],
    # An acronym and a name joined by a colon.
    (94, "SUT: Sharif Technical University"): ["SUT", "Sharif Technical University"],
}

# Aliases derived from the published name field itself (the page packs an
# acronym and the parent academy into the name).
EXTRA_ALIASES = {
    2: ["A.A. Kharkevich Institute for Information Transmission Problems",
        "Institute for Information Transmission Problems", "IITP"],
}

# Published aliases left out because, matched exactly (exact name matches do
# not look at the country), they are the everyday names of other, unlisted
# institutions; the entity stays reachable by its qualified names.
DROPPED_ALIASES = {
    (82, "Pasteur Institute"): "also the English name of Institut Pasteur (Paris) "
                               "and of other Pasteur Network institutes",
    (82, "Institute Pasteur"): "near-identical to Institut Pasteur (Paris)",
    (70, "Naval Academy"): "the generic name of many countries' naval academies",
}

# MCF annotations from FACTS.md.  Key: the NRO name as published.  Each
# entry: tags, extra aliases, relations (kind, target id in mcf.cfg), a type
# where the name misleads the guess, and the sources that support them
# (appended to the entity's sources).
_SEVEN = ("FACTS.md \u00a74: one of China's 'Seven Sons of National Defence' "
          "(\u56fd\u9632\u4e03\u5b50), universities administered by MIIT "
          "[V: en.wikipedia.org/wiki/Seven_Sons_of_National_Defence; ccasindia.org "
          "summary of the Hoover Institution report]")
_GK100 = "FACTS.md \u00a74: Chinese name [V: ccasindia.org; gk100.com; sxzd360.com]"
ANNOTATIONS = {
    "Beihang University": {
        "tags": ["seven-sons"],
        "aliases": ["\u5317\u4eac\u822a\u7a7a\u822a\u5929\u5927\u5b66", "\u5317\u822a"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100],
    },
    "Beijing Institute of Technology": {
        "tags": ["seven-sons"],
        "type": "university",   # FACTS.md \u00a74: one of seven universities
        "aliases": ["\u5317\u4eac\u7406\u5de5\u5927\u5b66", "\u5317\u7406\u5de5"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100],
    },
    "Harbin Institute of Technology": {
        "tags": ["seven-sons"],
        "type": "university",   # FACTS.md \u00a74: one of seven universities
        "aliases": ["\u54c8\u5c14\u6ee8\u5de5\u4e1a\u5927\u5b66",
                    "\u54c8\u723e\u6ff1\u5de5\u696d\u5927\u5b78",
                    "\u54c8\u5de5\u5927"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100 + "; traditional form FACTS.md \u00a79 [V]"],
    },
    "Harbin Engineering University": {
        "tags": ["seven-sons"],
        "aliases": ["\u54c8\u5c14\u6ee8\u5de5\u7a0b\u5927\u5b66"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100],
    },
    "Northwestern Polytechnical University": {
        "tags": ["seven-sons"],
        "aliases": ["\u897f\u5317\u5de5\u4e1a\u5927\u5b66", "\u897f\u5de5\u5927"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100],
    },
    "Nanjing University of Aeronautics and Astronautics": {
        "tags": ["seven-sons"],
        # Its short name (nan hang) is left out: it is also the everyday
        # short name of an airline.
        "aliases": ["\u5357\u4eac\u822a\u7a7a\u822a\u5929\u5927\u5b66"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100],
    },
    "Nanjing University of Science and Technology": {
        "tags": ["seven-sons"],
        "aliases": ["\u5357\u4eac\u7406\u5de5\u5927\u5b66", "\u5357\u7406\u5de5"],
        "relations": [("supervised_by", "miit")],
        "sources": [_SEVEN, _GK100],
    },
    "Sichuan University": {
        "aliases": ["\u56db\u5ddd\u5927\u5b66", "\u56db\u5ddd\u5927\u5b78"],
        "sources": ["FACTS.md \u00a79: Chinese names (traditional [T])"],
    },
    "China Academy of Electronics and Information Technology": {
        "relations": [("subsidiary_of", "cetc")],
        "sources": ["ca-nro: the list's own alias 'CETC CAEIT' places it in China "
                    "Electronics Technology Group Corporation (mcf.cfg 'cetc')"],
    },
}

MAX_ID = 60


def die(msg):
    sys.stderr.write("nro2cfg: %s\n" % msg)
    sys.exit(1)


def fold(s):
    """Loose comparison key: NFKC, case-folded, curly quotes straightened,
    whitespace collapsed."""
    s = unicodedata.normalize("NFKC", s).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(s.casefold().split())


def slug(name):
    # Apostrophes and the dots of initials ("A.A.") vanish rather than
    # becoming separators: "Xi'an" -> "xian", "A.A." -> "aa".
    s = re.sub(r"['\u2019.]", "", name)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    if len(s) > MAX_ID - 4:
        cut = s[:MAX_ID - 4]
        s = cut[:cut.rfind("-")] if "-" in cut else cut
    return "nro-" + s


def guess_type(name):
    words = set(re.findall(r"[A-Za-z]+", name))
    if "University" in words:
        return "university"
    if words & {"Institute", "Academy", "Laboratory", "Center", "Centre"}:
        return "research_institute"
    return "other"


def q(s):
    """A libconfig string literal."""
    if any(ord(c) < 0x20 for c in s):
        die("control character in %r" % s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def qlist(items):
    return "[ " + ", ".join(q(i) for i in items) + " ]" if items else "[ ]"


def read_rows(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        die("%s: not UTF-8 (%s)" % (path, e))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0].rstrip("\r").split("\t") != ["name", "country", "aliases"]:
        die("%s:1: expected the header name<TAB>country<TAB>aliases" % path)
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cols = line.rstrip("\r").split("\t")
        if len(cols) != 3:
            die("%s:%d: expected 3 tab-separated columns, got %d" % (path, n, len(cols)))
        rows.append((n, cols[0].strip(), cols[1].strip(), cols[2]))
    return raw, rows


def aliases_of(rowno, name, published, used_fixes, used_drops):
    out, seen = [], {fold(name)}
    items = [a.strip() for a in published.split("; ")] if published.strip() else []
    expanded = []
    for a in items:
        if (rowno, a) in ALIAS_FIXES:
            used_fixes.add((rowno, a))
            expanded.extend(ALIAS_FIXES[(rowno, a)])
        elif (rowno, a) in DROPPED_ALIASES:
            used_drops.add((rowno, a))
        else:
            expanded.append(a)
    expanded.extend(EXTRA_ALIASES.get(rowno, []))
    for a in expanded:
        if ";" in a:
            die("row %d: alias %r still holds a ';'" % (rowno, a))
        if a and fold(a) not in seen:
            seen.add(fold(a))
            out.append(a)
    return out


def build(tsv):
    raw, rows = read_rows(tsv)
    digest = hashlib.sha256(raw).hexdigest()
    used_fixes, used_drops, used_ann = set(), set(), set()
    ids, orgs = {}, []
    for rowno, name, country, published in rows:
        if not name:
            die("%s:%d: empty name" % (tsv, rowno))
        if country not in COUNTRIES:
            die("%s:%d: unknown country %r: add it to COUNTRIES" % (tsv, rowno, country))
        oid = slug(name)
        if oid in ids:
            die("%s:%d: id %s collides with row %d" % (tsv, rowno, oid, ids[oid]))
        ids[oid] = rowno
        aliases = aliases_of(rowno, name, published, used_fixes, used_drops)
        ann = ANNOTATIONS.get(name, {})
        if ann:
            used_ann.add(name)
            known = {fold(name)} | {fold(a) for a in aliases}
            aliases += [a for a in ann.get("aliases", []) if fold(a) not in known]
        orgs.append({
            "id": oid, "name": name, "aliases": aliases,
            "country": COUNTRIES[country], "type": ann.get("type", guess_type(name)),
            "tags": ann.get("tags", []), "relations": ann.get("relations", []),
            "sources": [SOURCE_PREFIX + str(rowno)] + ann.get("sources", []),
        })
    # Every repair and annotation must have found its row: a new edition of
    # the list must be looked at, not silently half-applied.
    for key in set(ALIAS_FIXES) - used_fixes:
        die("alias fix for row %d %r did not apply" % key)
    for key in set(DROPPED_ALIASES) - used_drops:
        die("dropped alias for row %d %r not found" % key)
    for rowno in EXTRA_ALIASES:
        if rowno not in {r[0] for r in rows}:
            die("extra aliases for missing row %d" % rowno)
    for name in set(ANNOTATIONS) - used_ann:
        die("annotation for %r: no such organisation" % name)
    return digest, rows, orgs


def render(tsv, digest, rows, orgs):
    n_alias = sum(len(o["aliases"]) for o in orgs)
    by_cc = {}
    for o in orgs:
        by_cc[o["country"]] = by_cc.get(o["country"], 0) + 1
    out = []
    w = out.append
    w("# Canada, Named Research Organizations (STRAC), generated by tools/nro2cfg.py:")
    w("# do not edit by hand; change the script or its tables and re-run it.")
    w("# Source file: %s" % "/".join(os.path.abspath(tsv).split(os.sep)[-2:]))
    w("#   SHA-256 %s" % digest)
    w("#   a parse of the page at the list URL below (modified 2024-04-18, saved 2024-09-09).")
    w("# %d organisations (%s), %d aliases after repairs and MCF annotations."
      % (len(orgs), ", ".join("%s %d" % kv for kv in sorted(by_cc.items())), n_alias))
    w("# \"row N\" in sources is line N of the TSV (line 1 is the header).")
    w("# type is guessed from the name (University -> university; Institute, Academy,")
    w("# Laboratory, Center/Centre -> research_institute; else other): a hint only.")
    w("# Repairs of the published text (see the tables in the script):")
    for (rowno, a), rep in sorted(ALIAS_FIXES.items()):
        w("#   row %d: %s -> %s" % (rowno, q(a), qlist(rep)))
    for rowno, extra in sorted(EXTRA_ALIASES.items()):
        w("#   row %d: aliases derived from the name: %s" % (rowno, qlist(extra)))
    for (rowno, a), why in sorted(DROPPED_ALIASES.items()):
        w("#   row %d: alias %s left out: %s" % (rowno, q(a), why))
    w("# Tags and relations used here are declared in registry/mcf.cfg.")
    w("")
    w("lists = (")
    w("  { id = %s; name = %s; authority = %s;" % (q(LIST_ID), q(LIST_NAME), q(LIST_AUTHORITY)))
    w("    url = %s; }" % q(LIST_URL))
    w(");")
    w("")
    w("organisations = (")
    for i, o in enumerate(orgs):
        w("  { id = %s;" % q(o["id"]))
        w("    name = %s;" % q(o["name"]))
        if o["aliases"]:
            w("    aliases = %s;" % qlist(o["aliases"]))
        w("    country = %s; type = %s;" % (q(o["country"]), q(o["type"])))
        w("    lists = %s; risk = \"high\";" % qlist([LIST_ID]))
        if o["tags"]:
            w("    tags = %s;" % qlist(o["tags"]))
        if o["relations"]:
            rel = ", ".join("{ kind = %s; target = %s; }" % (q(k), q(t))
                            for k, t in o["relations"])
            w("    relations = ( %s );" % rel)
        w("    sources = %s;" % qlist(o["sources"]))
        w("  }" + ("," if i + 1 < len(orgs) else ""))
    w(");")
    return "\n".join(out) + "\n"


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    tsv = argv[1] if len(argv) > 1 else "/work/shared/data/canada_nro/nro_2024-09.tsv"
    dest = argv[2] if len(argv) > 2 else os.path.join(here, "..", "rules", "registry",
                                                      "ca-nro.cfg")
    if len(argv) > 3:
        die("usage: nro2cfg.py [TSV [OUT]]")
    digest, rows, orgs = build(tsv)
    text = render(tsv, digest, rows, orgs)
    if dest == "-":
        sys.stdout.write(text)
        return 0
    tmp = dest + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, dest)
    sys.stderr.write("nro2cfg: wrote %d organisations to %s\n" % (len(orgs), dest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
