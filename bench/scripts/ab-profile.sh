#!/usr/bin/env bash
# ab-profile.sh: steady training-step profiles of two or more builds, interleaved (A B A B ...), so
# that a difference between builds is told apart from the drift between processes on one machine.
#
# Usage (from the GPU bundle, after DJL is set up: scripts/gpu/shampoo4j-gpu.sh run -- ...):
#   bash ../bench/scripts/ab-profile.sh DATA_DIR [extra TrainingStepProfiler options]
# Environment:
#   BUILDS    space-separated NAME=CLASSPATH pairs (default "new=bench.jar:lib/*")
#   VARIANTS  variants profiled per build (default "eigen4-l2")
#   ROUNDS    how many times the whole set repeats (default 2)
#   DEVICE    gpu (default) or cpu, for trying the script out
# Prints, per round, build and variant, the step's phase lines and its wall time.
set -uo pipefail
DATA=${1:?usage: ab-profile.sh DATA_DIR [profiler options]}
shift
BUILDS=${BUILDS:-new=bench.jar:lib/*}
VARIANTS=${VARIANTS:-eigen4-l2}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for round in $(seq 1 "${ROUNDS:-2}"); do
  for build in $BUILDS; do
    for v in $VARIANTS; do
      name=${build%%=*}
      java -Dai.djl.offline=true -cp "${build#*=}" org.shampoo4j.bench.profile.TrainingStepProfiler \
        --device "${DEVICE:-gpu}" --dataset fashion-mnist --data "$DATA" --max-train 2000 \
        --model resnet18 --variant "$v" --t1 1000 --t2 4 --warmup 9 --steps 15 \
        --out "$scratch/$name-$v" "$@" >"$scratch/log" 2>&1 || status=1
      echo "## round $round, $name, $v"
      grep -E '^(forward|backward|step |step wall)' "$scratch/log" | cut -c1-110
    done
  done
done
exit $status
