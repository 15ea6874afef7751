#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# screen-csv.sh -- the nightly job over a CSV export of partners: screen
# every row through vetd, keep the verdicts as CSV, list the partners to
# stop and to look at, and exit with vet batch's code (0 all clear, 10
# review, 20 prohibited, even if some rows could not be screened; 65 or 69
# when rows could not be screened and none was review or prohibited).
#   usage: screen-csv.sh partners.csv   (writes verdicts.csv here)
#   environment: VET_ENDPOINT (vetd, or several comma-separated; default
#   tcp://127.0.0.1:7470), VET (default vet),
#   PROFILE (the jurisdiction profile of the rows naming none; default:
#   the daemon's)
set -u
in=${1:?usage: screen-csv.sh partners.csv}
"${VET:-vet}" batch ${PROFILE:+--profile "$PROFILE"} \
    --summary --format csv "$in" > verdicts.csv
status=$?
# verdicts.csv: line,id,name,verdict,score,rules,reasons,match,method,
# match_score,alias,lists,unacted_match,note,error,profile (docs/INTEGRATION.md).
# A name may hold commas, so columns are counted only up to the id (ids
# should not), and a verdict is found as ",VERDICT,SCORE,"; a row that
# could not be screened has "CODE: message" in its error column.
for verdict in prohibited review; do
    ids=$(grep -E ",$verdict,[0-9]+," verdicts.csv | cut -d, -f2 | paste -sd' ' -)
    echo "$verdict: ${ids:-none}"
done
errors=$(grep -cE ',"?(bad_input|bad_request|too_large|unknown_op|unavailable|timeout|internal): ' verdicts.csv)
echo "rows not screened: $errors"
exit $status
