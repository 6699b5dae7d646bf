#!/usr/bin/env bash
# train-on-gpu.sh: the issue-14 GPU table for one model, one JVM per variant.
#
# Each variant runs in its own process (--append collects them into one summary.csv), because
# PyTorch keeps freed GPU memory cached for the rest of a process: only a fresh process measures a
# variant's own peak device memory. The CSV files are rewritten after every epoch, and a variant
# stopped by SIGTERM keeps its finished epochs ("interrupted after epoch k of n").
#
# Usage (inside the carried folder, after scripts/gpu/shampoo4j-gpu.sh has set up DJL; see docs/gpu.md):
#   bash shampoo4j-gpu.sh run -- bash ../bench/scripts/train-on-gpu.sh MODEL OUT_DIR [extra bench options]
#   MODEL: resnet18 (variants sgd shampoo32 eigen4-l2 chol4-ef naive4)
#          vit      (variants adamw shampoo32 eigen4-l2 chol4-ef naive4)
# Environment:
#   DATA       IDX directory (default: fmnist, a subset written by IdxSubsetCommand)
#   MAX_TRAIN  training images (default: all in DATA)
#   EPOCHS     epochs for every variant (default 5)
#   VARIANTS   space-separated variant ids (default: per model, as above)
#   BUDGET_S   seconds for all variants together (default 460); each variant may use what is
#              left divided by the variants still to run, and is stopped with SIGTERM past that
#              (then the table shows fewer epochs for it: the run was too large for the budget)
#   DEVICE     gpu (default) or cpu, for trying the script out
#   JAVA_OPTS  extra JVM options
#   CP         the class path (default bench.jar:lib/*; another build for a before/after run)
set -uo pipefail

MODEL=${1:?model: resnet18 or vit}
OUT_DIR=${2:?output directory}
shift 2
case $MODEL in
  resnet18) DEFAULT_VARIANTS="sgd shampoo32 eigen4-l2 chol4-ef naive4" ;;
  vit) DEFAULT_VARIANTS="adamw shampoo32 eigen4-l2 chol4-ef naive4" ;;
  *) echo "train-on-gpu: unknown model $MODEL (resnet18 or vit)" >&2; exit 2 ;;
esac
VARIANTS=${VARIANTS:-$DEFAULT_VARIANTS}
DATA=${DATA:-fmnist}
EPOCHS=${EPOCHS:-5}
DEVICE=${DEVICE:-gpu}
BUDGET_S=${BUDGET_S:-460}
LIMIT=()
[ -n "${MAX_TRAIN:-}" ] && LIMIT=(--max-train "$MAX_TRAIN")
mkdir -p "$OUT_DIR"

start=$(date +%s)
read -r -a list <<<"$VARIANTS"
left=${#list[@]}
status=0
for v in "${list[@]}"; do
  now=$(date +%s)
  cap=$(( (BUDGET_S - (now - start)) / left ))
  if [ "$cap" -lt 20 ]; then
    echo "train-on-gpu: no time left for $v (budget ${BUDGET_S}s)" >&2
    status=1
    break
  fi
  echo "train-on-gpu: $MODEL $v, at most ${cap}s" >&2
  # shellcheck disable=SC2086
  timeout -s TERM -k 15 "$cap" java ${JAVA_OPTS:-} -cp "${CP:-bench.jar:lib/*}" \
    org.shampoo4j.bench.cli.BenchCommand --device "$DEVICE" --dataset fashion-mnist --data "$DATA" \
    "${LIMIT[@]}" --model "$MODEL" --epochs "$EPOCHS" --variants "$v" --append --no-progress \
    --no-charts --out "$OUT_DIR" "$@"
  rc=$?
  [ $rc -ne 0 ] && { echo "train-on-gpu: $v exited with $rc" >&2; status=1; }
  left=$((left - 1))
done
echo "train-on-gpu: $MODEL done in $(( $(date +%s) - start ))s" >&2
[ -f "$OUT_DIR/summary.csv" ] && cat "$OUT_DIR/summary.csv"
exit $status
