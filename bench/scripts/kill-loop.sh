#!/usr/bin/env bash
# kill-loop.sh: kill a checkpointed bench run with kill -9 at random times, resume it each time,
# and check that the final result equals an uninterrupted run's and what disk is left over.
#
# Usage: bench/scripts/kill-loop.sh N OUT_DIR [bench options ...]
#   N        kills (each: start or resume the run, wait a random time, kill -9)
#   OUT_DIR  work directory: reference/ (uninterrupted run), ck/ (checkpoints), run/ (the killed
#            and resumed run's reports), disk.tsv (checkpoint disk after every kill)
#   options  anything shampoo4j-bench takes (model, data, variants, epochs, device ...); the
#            script adds --checkpoint/--resume/--out/--no-progress/--no-charts itself
# Environment:
#   JAR         the bench jar (default bench/target/bench.jar; build it with
#               ./mvnw -B -q -pl bench -am package -DskipTests)
#   JAVA        java command (default java); JAVA_OPTS extra JVM options
#   MIN_S MAX_S the random kill delay in seconds, uniform in [MIN_S, MAX_S] (default 2 and 12;
#               choose MAX_S below one uninterrupted run's time so that kills land mid-run)
# Exit status: 0 the resumed result equals the reference (every epoch's train loss, test loss and
# accuracy, as written in curves.csv) and no temporaries are left; 1 otherwise; 2 bad usage.
set -uo pipefail

N=${1:?"usage: kill-loop.sh N OUT_DIR [bench options]"}
OUT=${2:?"usage: kill-loop.sh N OUT_DIR [bench options]"}
shift 2
JAR=${JAR:-bench/target/bench.jar}
JAVA=${JAVA:-java}
MIN_S=${MIN_S:-2}
MAX_S=${MAX_S:-12}
[ -f "$JAR" ] || { echo "kill-loop: $JAR not found (build it first)" >&2; exit 2; }
case $N in ''|*[!0-9]*) echo "kill-loop: N must be a number, got '$N'" >&2; exit 2 ;; esac
mkdir -p "$OUT"
rm -rf "$OUT/reference" "$OUT/ck" "$OUT/run" "$OUT/final"
# Bytes of the regular files under a path (directories' own blocks left out).
bytes_of() {
  find "$@" -type f -printf '%s\n' 2> /dev/null | awk '{ s += $1 } END { print s + 0 }'
}
bench() {
  # exec: a backgrounded call's PID is then the JVM's own, so kill -9 hits the JVM (killing
  # only the subshell would leave the run going, and two runs would share one checkpoint).
  # shellcheck disable=SC2086
  exec "$JAVA" -Dai.djl.offline=true ${JAVA_OPTS:-} -jar "$JAR" "$@" --no-progress --no-charts
}

echo "kill-loop: uninterrupted reference run"
start=$(date +%s)
(bench "$@" --out "$OUT/reference") > "$OUT/reference.log" 2>&1 \
  || { echo "kill-loop: the reference run failed, see $OUT/reference.log" >&2; exit 1; }
echo "kill-loop: reference took $(( $(date +%s) - start )) s"

printf 'kill\tdelay_s\tcheckpoint_bytes\ttemporaries\n' > "$OUT/disk.tsv"
kills=0
for i in $(seq 1 "$N"); do
  delay=$(awk -v a="$MIN_S" -v b="$MAX_S" -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", a + (b - a) * rand() }')
  (bench "$@" --checkpoint "$OUT/ck" --resume "$OUT/ck" --out "$OUT/run") >> "$OUT/run.log" 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -0 "$pid" 2> /dev/null; then
    kill -9 "$pid"
    wait "$pid" 2> /dev/null
    kills=$((kills + 1))
  else
    wait "$pid"
    echo "kill-loop: run $i finished before its kill at ${delay} s (rc $?); stopping the loop"
    break
  fi
  bytes=$(bytes_of "$OUT/ck")
  temps=$(find "$OUT/ck" -mindepth 2 -maxdepth 2 \( -name '.epoch-*' -o -name '.LATEST.*.tmp' \) 2> /dev/null | wc -l)
  printf '%d\t%s\t%s\t%d\n' "$i" "$delay" "${bytes:-0}" "$temps" >> "$OUT/disk.tsv"
done
echo "kill-loop: $kills kill(s); resuming to the end"
(bench "$@" --checkpoint "$OUT/ck" --resume "$OUT/ck" --out "$OUT/final") > "$OUT/final.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "kill-loop: the final resume exited $rc, see $OUT/final.log" >&2; exit 1; }

# One checkpoint's size: the newest epoch directory of every variant, plus its LATEST.
one=0
for run in "$OUT"/ck/*/; do
  latest=$(cat "$run/LATEST")
  one=$((one + $(bytes_of "$run/$latest" "$run/LATEST")))
done
final=$(bytes_of "$OUT/ck")
most=$(awk -F'\t' 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$OUT/disk.tsv")
left=$(find "$OUT/ck" -mindepth 2 -maxdepth 2 \( -name '.epoch-*' -o -name '.LATEST.*.tmp' \) | wc -l)
echo "kill-loop: one checkpoint ${one} B; after the final run ${final} B with ${left} temporaries;"
echo "kill-loop: most after a kill ${most} B = $(awk -v m="$most" -v o="$one" 'BEGIN { printf "%.2f", (o > 0 ? m / o : 0) }') checkpoints (see $OUT/disk.tsv)"

status=0
# Every epoch's losses and accuracy (curves.csv without its elapsed_seconds column).
if diff <(cut -d, -f1-5 "$OUT/reference/curves.csv") <(cut -d, -f1-5 "$OUT/final/curves.csv") > "$OUT/curves.diff"; then
  echo "kill-loop: resumed curves equal the uninterrupted run's ($(($(wc -l < "$OUT/final/curves.csv") - 1)) epoch rows)"
else
  echo "kill-loop: resumed curves DIFFER from the uninterrupted run's, see $OUT/curves.diff" >&2
  status=1
fi
if [ "$left" -ne 0 ] || [ "$final" -gt "$one" ]; then
  echo "kill-loop: checkpoint directory holds more than one checkpoint after the final run" >&2
  status=1
fi
if [ "$most" -gt $((2 * one)) ]; then
  echo "kill-loop: more than one checkpoint's worth of extra disk after a kill" >&2
  status=1
fi
exit $status
