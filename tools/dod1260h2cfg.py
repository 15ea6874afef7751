#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dod1260h2cfg.py -- the US DoD Section 1260H list (FACTS.md §7) -> rules/registry/us-dod-1260h.cfg.

Usage: tools/dod1260h2cfg.py [FACTS.md [OUT]]
  FACTS.md defaults to ../shared/data/FACTS.md beside the project, OUT to
  rules/registry/us-dod-1260h.cfg ("-" for stdout).

Reads the table of the 2026-06-08 edition in FACTS.md §7 (the names as
checked there, not the CC BY-NC OpenSanctions file beside it): one
organisation per listed entity, its short name as an alias, and one per
subsidiary DoD lists under it, related to its parent by subsidiary_of.
Entities that registry/mcf.cfg already carries (the defence conglomerates,
Baidu, Hikvision...) are not repeated: MCF_IDS maps them, and mcf.cfg puts
them on the list itself.  Renames recorded in FACTS.md §7 become aliases.
Deterministic: same input, same bytes.  Python 3 standard library only.
"""

import hashlib
import os
import re
import sys
import unicodedata

LIST = ('{ id = "us-dod-1260h"; name = "Chinese military companies (Section 1260H)"; '
        'authority = "US Department of Defense";\n    url = "https://media.defense.gov/2026/Jun/08/'
        '2003945537/-1/-1/1/ENTITIES-IDENTIFIED-AS-CHINESE-MILITARY-COMPANIES-OPERATING-IN-THE-'
        'UNITED-STATES-IN-ACCORDANCE-WITH-SECTION-1260H.PDF";\n'
        '    terms = "the DoD\'s list is a US Government work, public domain; the names here come '
        'from OpenSanctions\' transcription of it (CC BY-NC 4.0: attribution required, '
        'non-commercial use only); a commercial user must regenerate this file from the DoD\'s '
        'own publication"; }')

# Listed names that registry/mcf.cfg carries under its own ids.
MCF_IDS = {
    "Aviation Industry Corporation of China Ltd.": "avic",
    "China Aerospace Science and Industry Corporation Limited": "casic",
    "China Electronics Corporation": "cec",
    "China Electronics Technology Group Corporation": "cetc",
    "China National Nuclear Corporation": "cnnc",
    "China North Industries Group Corporation Limited": "norinco",
    "China South Industries Group Corporation": "csgc",
    "China State Shipbuilding Corporation Limited": "cssc",
    "Baidu, Inc.": "baidu",
    "Hangzhou Hikvision Digital Technology Co., Ltd.": "hikvision",
    "Chinese Academy of Ordnance Science": "caos",
    "Shenyang Aircraft Design Institute": "shenyang-aircraft-design-institute",
}

# FACTS.md §7 "Renames recorded in the 2026 edition" [T]: new name -> former.
RENAMES = {
    "CETC Cyberspace Security Technology Co., Ltd.": "Cheng Du Westone Information Industry Co., Ltd.",
    "CETC Digital Technology Co., Ltd.": "Shanghai East China Computer Co., Ltd.",
    "CETC Potevio Science & Technology Co., Ltd": "Guangzhou GCI Science & Technology Co., Ltd.",
    "AVIC Chengdu Aircraft Co., Ltd.": "Zhonghang Electronic Measuring Instruments Company Limited",
    "Phenix Optical Company Limited": "Phoenix Optics Company Limited",
    "AVIC Xi\u2019an Aircraft Industry Group Company Ltd.": "Xi'an Aircraft Industry Group Co., Ltd.",
    "Hesai Group": "Hesai Technology Co., Ltd.",
}

# Listed entities that ASPI's "Mapping China's Technology Giants" also
# tracks (FACTS.md section 6, [V]): tagged "aspi-tech-map" (declared in
# registry/mcf.cfg, which carries the mapped companies not on this list).
ASPI_MAPPED = {
    "CloudWalk Technology Co., Ltd.", "Inspur Group Co., Ltd.", "SenseTime Group, Inc.",
    "Shanghai Yitu Network Technology Co., Ltd.", "Shenzhen DJI Technology Co., Ltd.",
    "Zhejiang Dahua Technology Co., Ltd.",
}
ASPI_SOURCE = ("Australian Strategic Policy Institute, International Cyber Policy Centre, "
               "'Mapping China's Technology Giants' (chinatechmap.aspi.org.au): one of the companies "
               "it maps, added in phase 2 (report 'Mapping more of China's tech giants: AI and "
               "surveillance', No. 24/2019, Nov 2019) or phase 3 (relaunch of June 2021) [V]")

# What each source cites: the published list by its title and edition, the
# entry by its name as DoD prints it (the PDF numbers nothing), and the
# transcription the names were read in (a public dataset a reader can open).
# Not a line of FACTS.md: that file is not published with the registry.
DOD_LIST = ("US Department of Defense, 'Entities Identified as Chinese Military Companies Operating "
            "in the United States in Accordance with Section 1260H of the William M. (Mac) "
            "Thornberry National Defense Authorization Act for Fiscal Year 2021', 2026-06-08 edition")
TRANSCRIPTION = "[T: OpenSanctions transcription of the DoD PDF, dataset us_dod_chinese_milcorps]"

# Subsidiaries outside mainland China by their names (no country is set for
# them rather than a wrong one).
ABROAD = re.compile(r"\b(USA|America|Americas|LLC|Inc\.|Pty|S\.L\.U|BVI|Hong Kong|"
                    r"Cirrus|Continental|Align|John Holland|Kiekert|Complete Genomics|"
                    r"Innomics|STOmics|Forensic Genomics|GBI Diagnostics)\b")


def slug(name):
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"['\u2019.]", "", s.lower())
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    for suffix in ("-co-ltd", "-company-limited", "-corporation-limited", "-limited", "-ltd",
                   "-inc", "-co", "-corporation", "-group-co-ltd"):
        if s.endswith(suffix) and len(s) > len(suffix) + 3:
            s = s[: -len(suffix)]
    return "dod1260h-" + s[:48].rstrip("-")


def split_alias(cell):
    """'Name (Alias)' -> ('Name', 'Alias'); the last parenthesis is DoD's short name."""
    m = re.match(r"^(.*\S)\s*\(([^()]*)\)$", cell.strip())
    if m and not m.group(2).lower().startswith("limited"):
        return m.group(1), m.group(2)
    return cell.strip(), None


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    facts = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "data", "FACTS.md")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "rules", "registry", "us-dod-1260h.cfg")
    raw = open(facts, "rb").read()
    text = raw.decode("utf-8")
    start = text.index("**Edition 2026-06-08**")
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("**Edition"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.append((int(cells[0]), line, cells))
    if len(rows) != 80:
        sys.exit("dod1260h2cfg: expected the 80 entities of the 2026-06-08 table, found %d" % len(rows))

    orgs = []   # (id, name, aliases, country, type, parent_id, source)
    tagged = set()
    for num, line, (n, entity, subs, basis) in rows:
        name, alias = split_alias(entity)
        src = "%s: '%s' (DoD's basis: %s) %s" % (DOD_LIST, entity, basis, TRANSCRIPTION)
        pid = MCF_IDS.get(name)
        if pid is None:
            pid = slug(name)
            aliases = [a for a in (alias, RENAMES.get(name)) if a]
            orgs.append((pid, name, aliases, "CN", "company", None, src))
            if name in ASPI_MAPPED:
                ASPI_MAPPED.discard(name)
                tagged.add(pid)
        for sub in [s.strip() for s in subs.split(";") if s.strip()]:
            sname, salias = split_alias(sub)
            if sname in MCF_IDS:
                continue
            sid = slug(sname)
            stype = "research_institute" if "Institute" in sname else "company"
            country = None if ABROAD.search(sname) else "CN"
            aliases = [a for a in (salias, RENAMES.get(sname)) if a]
            orgs.append((sid, sname, aliases, country, stype, pid,
                         "%s: '%s', listed under '%s' %s" % (DOD_LIST, sub, name, TRANSCRIPTION)))
    if ASPI_MAPPED:
        sys.exit("dod1260h2cfg: not in the 2026-06-08 table: %s" % ", ".join(sorted(ASPI_MAPPED)))
    ids = [o[0] for o in orgs]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit("dod1260h2cfg: ids collide: %s" % ", ".join(sorted(dup)))

    w = []
    w.append("# US DoD Section 1260H list: 'Chinese military companies operating in the United States',\n")
    w.append("# 2026-06-08 edition, as recorded in FACTS.md section 7.\n")
    w.append("# Generated by tools/dod1260h2cfg.py (make rules-update): do not edit by hand.\n")
    w.append("# Source: FACTS.md  SHA-256 %s\n" % hashlib.sha256(raw).hexdigest())
    w.append("# %d organisations; the entities registry/mcf.cfg carries (%s) are on the list there.\n"
             % (len(orgs), ", ".join(sorted(set(MCF_IDS.values())))))
    w.append("# The listing itself prohibits nothing (FY2021 NDAA s.1260H); from 2026-06-30 DoD may\n")
    w.append("# not contract with listed entities (FY2024 NDAA s.805).  vetd treats it as advisory.\n\n")
    w.append("lists = (\n  %s\n);\n\norganisations = (\n" % LIST)
    for i, (oid, name, aliases, country, otype, parent, src) in enumerate(orgs):
        w.append("  { id = %s;\n    name = %s;\n" % (q(oid), q(name)))
        if aliases:
            w.append("    aliases = [ %s ];\n" % ", ".join(q(a) for a in aliases))
        w.append("   ")
        if country:
            w.append(" country = %s;" % q(country))
        w.append(" type = %s; lists = [ \"us-dod-1260h\" ];\n" % q(otype))
        if oid in tagged:
            w.append("    tags = [ \"aspi-tech-map\" ];\n")
        if parent:
            w.append("    relations = ( { kind = \"subsidiary_of\"; target = %s; } );\n" % q(parent))
        srcs = [src] + ([ASPI_SOURCE] if oid in tagged else [])
        w.append("    sources = [ %s ];\n  }%s\n" % (", ".join(q(x) for x in srcs),
                                                   "," if i + 1 < len(orgs) else ""))
    w.append(");\n")
    data = "".join(w)
    if out == "-":
        sys.stdout.write(data)
    else:
        open(out, "w").write(data)
        print("dod1260h2cfg: %d organisations written to %s" % (len(orgs), out), file=sys.stderr)


if __name__ == "__main__":
    main()
