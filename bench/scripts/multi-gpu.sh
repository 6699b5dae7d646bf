#!/usr/bin/env bash
# multi-gpu.sh: one GPU vs N GPUs with replicated Shampoo state vs N GPUs with sharded state
# (issue 16), same data, seed, initial weights and global batch (DJL splits each batch across the
# GPUs and sums the gradients; --reduction mean divides the sum by N), one JVM per run so that
# each run's peak GPU memory is its own (PyTorch caches freed GPU memory for the process's life).
#
# Usage (inside the carried folder, after scripts/gpu/shampoo4j-gpu.sh has set up DJL; see docs/gpu.md):
#   bash shampoo4j-gpu.sh run -- bash ../bench/scripts/multi-gpu.sh OUT_DIR
# Environment:
#   GPUS         devices of the multi-device runs (default 2)
#   VARIANT      Shampoo variant (default eigen4-l2)
#   MODELS       default "mlp resnet18"; resnet18 runs only if Fashion-MNIST IDX files are in DATA
#   DATA         Fashion-MNIST IDX directory; default: data/fashion-mnist (the carried subset),
#                else fmnist, else /usr/share/datasets/fashion-mnist
#   BUDGET_S     seconds for all runs together (default 240); each run may use what is left
#                divided by the runs still to come, and is stopped with SIGTERM past that (it keeps
#                its finished epochs; its status then says "interrupted")
#   MLP_WIDTH, MLP_EPOCHS  the MLP workload (default 2048 and 4)
#   DEVICE       gpu (default); cpu with GPUS=1 only tries the script out
#   JAVA_OPTS    extra JVM options
#
# Writes OUT_DIR/<model>-<setup>/{summary.csv,curves.csv,devices.csv} and <model>-<setup>.log for
# setup in 1gpu, Ngpu-replicated, Ngpu-sharded, and OUT_DIR/multi-gpu-summary.txt: per run the
# ms/step, final train loss and test accuracy, optimizer state in total and on the fullest GPU,
# peak GPU memory (fullest GPU) and the train loss per epoch.
set -uo pipefail
OUT=${1:?usage: multi-gpu.sh OUT_DIR}
GPUS=${GPUS:-2}
VARIANT=${VARIANT:-eigen4-l2}
MODELS=${MODELS:-mlp resnet18}
BUDGET_S=${BUDGET_S:-240}
DEVICE=${DEVICE:-gpu}
if [ -z "${DATA:-}" ]; then
  for d in data/fashion-mnist fmnist /usr/share/datasets/fashion-mnist; do
    [ -d "$d" ] && { DATA=$d; break; }
  done
fi
DATA=${DATA:-data/fashion-mnist}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"

workload() {
  case $1 in
    # Width 2048: the 2048x2048 weight has four Shampoo blocks (1200 + 848 per side).
    mlp) echo "--model mlp --width ${MLP_WIDTH:-2048} --dataset synthetic" \
      "--epochs ${MLP_EPOCHS:-4} --batch-size 64" ;;
    # 2 x 40 steps of batch 128; roots at steps 40 and 80 so that Shampoo works in the short run.
    resnet18) echo "--model resnet18 --dataset fashion-mnist --data $DATA --max-train 5120" \
      "--max-test 2000 --epochs 2 --batch-size 128 --t1 10 --t2 40 --warmup-epochs 0" ;;
    *) echo "multi-gpu: unknown model $1" >&2; return 1 ;;
  esac
}

status=0
models=()
for model in $MODELS; do
  if [ "$model" = resnet18 ] && ! ls "$DATA"/train-images-idx3-ubyte* >/dev/null 2>&1; then
    echo "multi-gpu: no Fashion-MNIST in $DATA, skipping resnet18" | tee -a "$OUT/multi-gpu-summary.txt"
    continue
  fi
  models+=("$model")
done
first=$(date +%s)
left=$(( ${#models[@]} * 3 ))
for model in "${models[@]}"; do
  read -r -a work <<<"$(workload "$model")"
  for setup in "1gpu --devices 1" "${GPUS}gpu-replicated --devices $GPUS --distribution replicated" \
      "${GPUS}gpu-sharded --devices $GPUS --distribution sharded"; do
    name=$model-${setup%% *}
    read -r -a opts <<<"${setup#* }"
    start=$(date +%s)
    cap=$(( (BUDGET_S - (start - first)) / left ))
    left=$((left - 1))
    if [ "$cap" -lt 20 ]; then
      echo "multi-gpu: no time left for $name (budget ${BUDGET_S}s)" | tee -a "$OUT/multi-gpu-summary.txt"
      status=1
      continue
    fi
    # shellcheck disable=SC2086
    timeout -s TERM -k 15 "$cap" java ${JAVA_OPTS:-} -cp "bench.jar:lib/*" \
      org.shampoo4j.bench.cli.BenchCommand --variants "$VARIANT" --device "$DEVICE" \
      --no-progress --no-charts --seed 42 "${work[@]}" "${opts[@]}" --out "$OUT/$name" \
      > "$OUT/$name.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && status=1
    echo "multi-gpu: $name exit $rc after $(( $(date +%s) - start )) s" | tee -a "$OUT/multi-gpu-summary.txt"
  done
done

python3 "$HERE/multi-gpu-summary.py" "$OUT" | tee -a "$OUT/multi-gpu-summary.txt"
exit $status
