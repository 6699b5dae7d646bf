#!/usr/bin/env bash
# multi-gpu.sh: one GPU vs two GPUs with replicated Shampoo state vs two GPUs with sharded state,
# same data, seed, initial weights and global batch (DJL splits each batch across the GPUs), one
# JVM per run so that each run's peak GPU memory is its own.
#
# Usage, from the carried folder that holds run-on-device.sh, bench.jar and lib/ (see
# ../shared/gpu/run-on-device.sh), on a machine with at least two GPUs:
#   bash ../bench/scripts/multi-gpu.sh OUT_DIR
# Environment: VARIANT (default eigen4-l2), MODELS (default "mlp resnet18"; resnet18 runs only
# when Fashion-MNIST is found in DATA, default /usr/share/datasets/fashion-mnist),
# RUN_TIMEOUT seconds per run (default 100; a run cut short keeps the epochs it finished),
# MLP_WIDTH (default 2048) and MLP_EPOCHS (default 4).
#
# Writes OUT_DIR/<model>-<setup>/{summary.csv,curves.csv,devices.csv} and <model>-<setup>.log for
# setup in 1gpu, 2gpu-replicated, 2gpu-sharded, and OUT_DIR/multi-gpu-summary.txt: per run the
# ms/step, final losses, optimizer state in total and on the fullest GPU, and peak GPU memory.
set -uo pipefail
OUT=${1:?usage: multi-gpu.sh OUT_DIR}
VARIANT=${VARIANT:-eigen4-l2}
MODELS=${MODELS:-mlp resnet18}
RUN_TIMEOUT=${RUN_TIMEOUT:-100}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"

workload() {
  case $1 in
    # Width 2048: the 2048x2048 weight has four Shampoo blocks (1200 + 848 per side).
    mlp) echo "--model mlp --width ${MLP_WIDTH:-2048} --dataset synthetic" \
      "--epochs ${MLP_EPOCHS:-4} --batch-size 64" ;;
    # 100 steps of batch 128; roots every 25 steps so that Shampoo works during the short run.
    resnet18) echo "--model resnet18 --data $DATA --max-train 6400 --max-test 2000 --epochs 2" \
      "--batch-size 128 --t1 10 --t2 25 --warmup-epochs 0" ;;
    *) echo "unknown model $1" >&2; return 1 ;;
  esac
}

for model in $MODELS; do
  if [ "$model" = resnet18 ] && ! ls "$DATA"/train-images-idx3-ubyte* >/dev/null 2>&1; then
    echo "multi-gpu: no Fashion-MNIST in $DATA, skipping resnet18" | tee -a "$OUT/multi-gpu-summary.txt"
    continue
  fi
  # shellcheck disable=SC2046
  set -- $(workload "$model")
  for setup in "1gpu --devices 1" "2gpu-replicated --devices 2 --distribution replicated" \
      "2gpu-sharded --devices 2 --distribution sharded"; do
    name=$model-${setup%% *}
    start=$(date +%s)
    timeout "$RUN_TIMEOUT" bash run-on-device.sh java -jar bench.jar --variants "$VARIANT" \
      --device gpu --no-progress --seed 42 "$@" ${setup#* } --out "$OUT/$name" \
      > "$OUT/$name.log" 2>&1
    echo "multi-gpu: $name exit $? after $(( $(date +%s) - start )) s"
  done
done

python3 "$HERE/multi-gpu-summary.py" "$OUT" | tee -a "$OUT/multi-gpu-summary.txt"
