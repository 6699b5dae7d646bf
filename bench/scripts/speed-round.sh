#!/usr/bin/env bash
# speed-round.sh: one GPU call's worth of speed measurements of the bench's ResNet-18 task, for
# one or more builds side by side on the same card: per build, each variant in its own JVM
# (train-on-gpu.sh), the GPU's utilisation sampled while they train, then (optionally) the
# training-step profile of the first build. Prints one table line per build and variant last.
#
# Usage (from the GPU bundle, after DJL is set up: scripts/gpu/shampoo4j-gpu.sh run -- ...):
#   bash ../bench/scripts/speed-round.sh DATA_DIR OUT_DIR [extra bench options]
# Environment:
#   BUILDS    space-separated NAME=CLASSPATH pairs (default "new=bench.jar:lib/*")
#   VARIANTS  variants per build (default "sgd shampoo32 eigen4-l2 chol4-ef")
#   EPOCHS    epochs per variant (default 2; ms/step covers every epoch)
#   PROFILE   1 (default) runs TrainingStepProfiler for sgd and eigen4-l2 on the first build
#   BUDGET_S  seconds per build for train-on-gpu.sh (default 400)
# Extra options go to every bench run (e.g. --t1 100 --t2 500 --cudnn-benchmark on).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DATA=${1:?usage: speed-round.sh DATA_DIR OUT_DIR [bench options]}
OUT_DIR=${2:?usage: speed-round.sh DATA_DIR OUT_DIR [bench options]}
shift 2
BUILDS=${BUILDS:-new=bench.jar:lib/*}
VARIANTS=${VARIANTS:-sgd shampoo32 eigen4-l2 chol4-ef}
mkdir -p "$OUT_DIR"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total \
  --format=csv,noheader | tee "$OUT_DIR/card.txt"

status=0
for build in $BUILDS; do
  name=${build%%=*}
  cp=${build#*=}
  util=""
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu --format=csv,noheader,nounits -lms 200 \
      > "$OUT_DIR/util-$name.csv" &
    util=$!
  fi
  CP=$cp DATA=$DATA EPOCHS=${EPOCHS:-2} VARIANTS=$VARIANTS BUDGET_S=${BUDGET_S:-400} \
    bash "$here/train-on-gpu.sh" resnet18 "$OUT_DIR/$name" "$@" >"$OUT_DIR/train-$name.log" 2>&1 \
    || status=1
  [ -n "$util" ] && kill "$util" 2>/dev/null
done

if [ "${PROFILE:-1}" = 1 ]; then
  first=${BUILDS%% *}
  for v in sgd eigen4-l2; do
    java -Dai.djl.offline=true -cp "${first#*=}" org.shampoo4j.bench.profile.TrainingStepProfiler \
      --device gpu --dataset fashion-mnist --data "$DATA" --model resnet18 --variant "$v" --out "$OUT_DIR/profile-$v" \
      >"$OUT_DIR/profile-$v.log" 2>&1 || status=1
    tail -n 25 "$OUT_DIR/profile-$v.log"
  done
fi

# The table: build, variant, ms/step, test accuracy, state bytes, peak device bytes, and the GPU's
# mean utilisation while that build trained (samples above 0 %, idle start-up excluded).
echo "build,variant,ms_per_step,final_test_accuracy,state_bytes,peak_device_bytes,gpu_busy_percent"
for build in $BUILDS; do
  name=${build%%=*}
  busy=$(awk -F', ' '$2 > 0 {s += $2; n++} END {if (n) printf "%.0f", s / n}' \
    "$OUT_DIR/util-$name.csv" 2>/dev/null)
  python3 - "$OUT_DIR/$name/summary.csv" "$name" "$busy" <<'EOF'
import csv, sys
path, name, busy = sys.argv[1:]
try:
    rows = list(csv.DictReader(open(path)))
except OSError:
    print(f"{name},(no summary),,,,,"); sys.exit()
for r in rows:
    print(",".join([name, r["variant"], r["ms_per_step"], r["final_test_accuracy"],
                    r["state_bytes"], r["peak_device_bytes"], busy]))
EOF
done
exit $status
