#!/usr/bin/env bash
# Runs the fault-injection and decoding-fuzz suites (issue #17) and prints their own summary lines
# as the Markdown table the README's "Failure behaviour" section quotes. Usage, from the root:
#   bash shampoo-core/scripts/failure-counts.sh [extra maven args]
set -euo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
./mvnw -B -o -pl quant-api,shampoo-core,shampoo-cholesky-ef -am verify "$@" \
  -Dtest='CoreRepresentationFaultTest*,CholeskyFaultTest*,PackedStateFuzzTest,Rank1StateFuzzTest,FactorStateFuzzTest' \
  -Dsurefire.failIfNoSpecifiedTests=false > "$log" 2>&1 || { tail -50 "$log"; exit 1; }
echo "| suite | faults injected | survived (training went on, state finite) | errors raised (documented) |"
echo "|---|---|---|---|"
sed -n 's/^fault-suite \(.*\): \([0-9]*\) faults injected, \([0-9]*\) survived, \([0-9]*\) errors raised$/| fault injection, `\1` | \2 | \3 | \4 |/p' "$log"
echo
echo "| decoding fuzz | inputs rejected with IllegalArgumentException | inputs decoded |"
echo "|---|---|---|"
sed -n 's/^\(.*\) fuzz: \([0-9]*\) rejected with IllegalArgumentException, \([0-9]*\) decoded$/| \1 | \2 | \3 |/p' "$log"
grep -h "Tests run:" "$log" | grep -v " -- in" | tail -3
