#!/usr/bin/env bash
# reference-on-gpu.sh: the PyTorch side of the speed comparison, on a GPU machine with torch.
#
# Runs bench/scripts/torch_reference.py (plain PyTorch SGD on the bench's ResNet-18 task) and,
# when a checkout of the official 4-bit Shampoo code is given, its 4-bit and 32-bit Shampoo on the
# same task, one process each, and prints their summary lines. The official code's CUDA library is
# built first (cmake, nvcc) unless it is already there. Nothing of the official code is part of
# this repository.
#
# Usage: bash bench/scripts/reference-on-gpu.sh DATA_DIR [OFFICIAL_DIR] [-- torch_reference options]
#   DATA_DIR      the four Fashion-MNIST IDX .gz files
#   OFFICIAL_DIR  a checkout of the official code (its cudaC_python/, optimizers/ and qtensor/)
# Environment: OPTIMIZERS (default "sgd official4 official32", or "sgd" without OFFICIAL_DIR),
#              PYTHON (default python3), EPOCHS (default 5).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DATA=${1:?usage: reference-on-gpu.sh DATA_DIR [OFFICIAL_DIR] [-- options]}
shift
OFFICIAL=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then OFFICIAL=$1; shift; fi
[ "${1:-}" = "--" ] && shift
PYTHON=${PYTHON:-python3}
EPOCHS=${EPOCHS:-5}
if [ -n "$OFFICIAL" ]; then
  OPTIMIZERS=${OPTIMIZERS:-sgd official4 official32}
  if ! ls "$OFFICIAL"/qtensor/libqtensor_cuda*.so >/dev/null 2>&1; then
    echo "reference-on-gpu: building the official CUDA library" >&2
    arch=$("$PYTHON" -c 'import torch; m, n = torch.cuda.get_device_capability(); print(f"{m}{n}")')
    (cd "$OFFICIAL/cudaC_python" && cmake -B build -DCMAKE_CUDA_ARCHITECTURES="$arch" . >/dev/null \
      && cmake --build build -j 8 >/dev/null) || { echo "reference-on-gpu: build failed" >&2; exit 1; }
    cp "$OFFICIAL"/cudaC_python/build/qtensor/libqtensor_cuda*.so "$OFFICIAL/qtensor/"
  fi
else
  OPTIMIZERS=${OPTIMIZERS:-sgd}
fi
status=0
for opt in $OPTIMIZERS; do
  extra=()
  [ "$opt" != sgd ] && extra=(--official-dir "$OFFICIAL")
  PYTHONUNBUFFERED=1 "$PYTHON" "$here/torch_reference.py" --data "$DATA" --epochs "$EPOCHS" \
    --optimizer "$opt" "${extra[@]}" "$@" || status=1
done
exit $status
