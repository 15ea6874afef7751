#!/bin/sh
# screen-csv.sh -- the nightly job over a CSV export of partners: screen
# every row through vetd, keep the verdicts as CSV, list the partners to
# stop and to look at, and exit with vet batch's code (0 all clear, 10
# review, 20 prohibited; 65 or 69 when rows could not be screened).
#   usage: screen-csv.sh partners.csv   (writes verdicts.csv here)
#   environment: ENDPOINT (default tcp://127.0.0.1:7470), VET (default vet),
#   PROFILE (the jurisdiction profile of the rows naming none; default:
#   the daemon's)
set -u
in=${1:?usage: screen-csv.sh partners.csv}
"${VET:-vet}" batch -e "${ENDPOINT:-tcp://127.0.0.1:7470}" ${PROFILE:+--profile "$PROFILE"} \
    --summary --format csv "$in" > verdicts.csv
status=$?
# verdicts.csv: line,id,name,verdict,score,rules,matches,error,profile. A name may
# hold commas, so columns are counted only up to the id (ids should not),
# and a verdict is found as ",VERDICT,SCORE,"; an error row has empty
# verdict, score, rules and matches, then "code: message".
for verdict in prohibited review; do
    ids=$(grep -E ",$verdict,[0-9]+," verdicts.csv | cut -d, -f2 | paste -sd' ' -)
    echo "$verdict: ${ids:-none}"
done
errors=$(grep -cE ',,,,"?[a-z_]+: ' verdicts.csv)
echo "rows not screened: $errors"
exit $status
