#!/usr/bin/env bash
# Tests of shampoo4j-gpu.sh that need no GPU, no torch and no network: shell syntax, argument
# checking, and the --dry-run plans of 'prepare' and 'run' against a fake torch (a stub python),
# a fake bundle and a tiny git repository tagged like DJL. Run by the root POM's test phase.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
script=$here/shampoo4j-gpu.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}
has() { grep -qF -- "$1" "$2"; }
lacks() { ! grep -qF -- "$1" "$2"; }
# run_script OUT [ENV=...] -- ARGS...: runs the script, output (stdout + stderr) to OUT, returns its status
run_script() {
  local out=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" bash "$script" "$@" >"$out" 2>&1
}

# --- syntax and usage ------------------------------------------------------------------------------
check "bash -n" bash -n "$script"
run_script "$tmp/help" -- --help; check "--help exits 0" test $? -eq 0
check "--help shows both commands" has "shampoo4j-gpu.sh prepare" "$tmp/help"
run_script "$tmp/none" --; check "no command exits 2" test $? -eq 2
run_script "$tmp/bad" -- frobnicate; check "unknown command exits 2" test $? -eq 2
check "unknown command is named" has "unknown command 'frobnicate'" "$tmp/bad"

# --- prepare: argument checks --------------------------------------------------------------------
run_script "$tmp/p1" -- prepare; check "prepare without DJL sources exits 2" test $? -eq 2
check "prepare says how to give DJL's sources" has "--djl-git DIR" "$tmp/p1"
run_script "$tmp/p2" -- prepare --djl-git "$tmp/nowhere"; check "missing --djl-git dir exits 2" test $? -eq 2
run_script "$tmp/p3" -- prepare --djl-git "$tmp" --clone-djl; check "both sources exits 2" test $? -eq 2
run_script "$tmp/p4" -- prepare --bogus; check "unknown prepare option exits 2" test $? -eq 2
git init -q "$tmp/djl" && git -C "$tmp/djl" -c user.name=t -c user.email=t@t commit -q --allow-empty -m x
run_script "$tmp/p5" -- prepare --djl-git "$tmp/djl"; check "clone without the tag exits 2" test $? -eq 2
check "the missing tag is named" has "no tag v0.36.0" "$tmp/p5"

# --- prepare --dry-run: the plan, nothing written ---------------------------------------------------
git -C "$tmp/djl" tag v0.36.0
run_script "$tmp/p6" -- prepare --djl-git "$tmp/djl" --bundle "$tmp/bundle" --dry-run
check "prepare --dry-run exits 0" test $? -eq 0
check "plan builds the bench" has "-pl bench -am package -DskipTests" "$tmp/p6"
check "plan makes a headless JRE with jlink" has "--add-modules java.base," "$tmp/p6"
check "plan leaves java.desktop out" lacks "java.desktop" "$tmp/p6"
check "plan takes DJL's native sources at the tag" has "archive v0.36.0 engines/pytorch/pytorch-native api/src/main/native" "$tmp/p6"
check "plan generates the JNI header" has "javac -h $tmp/bundle/djl/engines/pytorch/pytorch-native/build/include" "$tmp/p6"
check "dry run writes no bundle" test ! -e "$tmp/bundle"

# --- run: a fake bundle and a fake torch ---------------------------------------------------------------
b=$tmp/b
mkdir -p "$b/jre/bin" "$b/lib" "$b/djl/engines/pytorch/pytorch-native/build/include" "$tmp/bin" \
  "$tmp/py/torch/lib" "$tmp/py/nvidia/cuda_runtime/lib"
printf '#!/bin/sh\nexit 0\n' >"$b/jre/bin/java" && chmod +x "$b/jre/bin/java"
touch "$b/djl/engines/pytorch/pytorch-native/CMakeLists.txt" \
  "$b/djl/engines/pytorch/pytorch-native/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h" \
  "$tmp/py/torch/lib/libtorch.so" "$tmp/py/torch/lib/libtorch_cuda.so" \
  "$tmp/py/nvidia/cuda_runtime/lib/libcudart.so.13"
echo "djl_version=0.36.0" >"$tmp/pytorch-engine.properties"
(cd "$tmp" && jar cf "$b/lib/pytorch-engine-0.36.0.jar" pytorch-engine.properties)
# The stub Python answers the script's one question the way torch 2.11 + CUDA 13.0 would.
printf '#!/bin/sh\ncat >/dev/null\necho "%s 2.11.0 13.0 %s 0.36.0"\n' "$tmp/py/torch/lib" "$tmp/py/cmake" >"$tmp/bin/fakepython"
printf '#!/bin/sh\ncat >/dev/null\necho "No module named torch" >&2\nexit 1\n' >"$tmp/bin/notorch"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/cmake"
chmod +x "$tmp/bin/"*
envs=(PATH="$tmp/bin:$PATH" ENGINE_CACHE_DIR="$tmp/cache" TMPDIR="$tmp")
jni=$tmp/cache/pytorch/2.11.0-cu130-linux-x86_64/0.36.0-libdjl_torch.so

run_script "$tmp/r1" "${envs[@]}" -- run --bundle "$b" --python fakepython --dry-run -- java -version
check "run --dry-run exits 0" test $? -eq 0
check "DJL is pointed at the local torch" has "PYTORCH_LIBRARY_PATH=$tmp/py/torch/lib PYTORCH_VERSION=2.11.0" "$tmp/r1"
check "the flavor follows torch's CUDA" has "PYTORCH_FLAVOR=cu130" "$tmp/r1"
check "plan links torch's cudart for DJL's GPU count" has "libcudart.so.13" "$tmp/r1"
check "plan builds the JNI with cmake from the bundle" has "cmake -S $b/djl/engines/pytorch/pytorch-native" "$tmp/r1"
check "plan installs the JNI where DJL looks" has "$jni" "$tmp/r1"
check "plan ends with the command" has "[dry-run] java -version" "$tmp/r1"
check "dry run installs nothing" test ! -e "$tmp/cache"

mkdir -p "$(dirname "$jni")" && touch "$jni"
run_script "$tmp/r2" "${envs[@]}" -- run --bundle "$b" --python fakepython --dry-run
check "run with an installed JNI exits 0" test $? -eq 0
check "an installed JNI is reused" has "JNI already installed" "$tmp/r2"
check "an installed JNI is not rebuilt" lacks "cmake -S" "$tmp/r2"
run_script "$tmp/r3" "${envs[@]}" -- run --bundle "$b" --python fakepython --rebuild-jni --dry-run
check "--rebuild-jni rebuilds" has "cmake -S" "$tmp/r3"

run_script "$tmp/r4" "${envs[@]}" -- run --bundle "$b" --python notorch --dry-run
check "no torch exits 2" test $? -eq 2
check "no torch is reported" has "cannot import torch" "$tmp/r4"
run_script "$tmp/r5" "${envs[@]}" -- run --bundle "$tmp/empty" --dry-run
check "a missing bundle exits non-zero" test $? -ne 0
mkdir -p "$tmp/nojre"
run_script "$tmp/r6" "${envs[@]}" -- run --bundle "$tmp/nojre" --dry-run
check "a bundle without a JRE exits 2" test $? -eq 2
check "a bundle without a JRE is reported" has "no JRE at" "$tmp/r6"

echo "shampoo4j-gpu.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
