#!/usr/bin/python3
"""Benchmark helper: writes a registry file from the OFAC SDN legacy CSVs
(sdn.csv + alt.csv), every row with its alternate names, so `make bench`
can screen against a ruleset of 20,000+ names. Not the importer (that is
vet-import); no output of this is committed.
usage: sdn2cfg.py DATA_DIR > registry/sdn-bench.cfg"""
import csv, sys

def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'

def main():
    sys.stdout.reconfigure(encoding="utf-8")
    d = sys.argv[1] if len(sys.argv) > 1 else '../shared/data'
    alts = {}
    with open(d + '/ofac_sdn/alt.csv', newline='', encoding='latin-1') as f:
        for row in csv.reader(f):
            if len(row) >= 4 and row[3].strip() not in ('', '-0-'):
                alts.setdefault(row[0].strip(), []).append(row[3].strip())
    out = sys.stdout
    out.write('lists = ( { id = "bench-sdn"; name = "OFAC SDN (benchmark copy)"; } );\n')
    out.write('organisations = (\n')
    first = True
    with open(d + '/ofac_sdn/sdn.csv', newline='', encoding='latin-1') as f:
        for row in csv.reader(f):
            if len(row) < 2 or not row[0].strip().isdigit() or row[1].strip() in ('', '-0-'):
                continue
            num, name = row[0].strip(), row[1].strip()
            al = sorted(set(a for a in alts.get(num, []) if a != name))
            out.write(('' if first else ',') + '{ id = "sdn-%s"; name = %s; ' % (num, q(name)))
            if al:
                out.write('aliases = [ %s ]; ' % ', '.join(q(a) for a in al))
            out.write('ids = { ofac = "%s"; }; lists = [ "bench-sdn" ]; sources = [ "sdn %s" ]; }\n' % (num, num))
            first = False
    out.write(');\n')

main()
