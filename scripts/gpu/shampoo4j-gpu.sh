#!/usr/bin/env bash
# shampoo4j-gpu.sh: run Shampoo4j's JVM programs on a Linux GPU machine whose PyTorch differs from
# the one DJL 0.36.0 ships (libtorch 2.7.1), for example a machine with torch 2.11 + CUDA 13 in a
# Python environment and no Java. docs/gpu.md explains when you need this and how to use it.
#
#   prepare  (on a machine with a JDK 17+ and this checkout)  builds the bench, then makes a bundle
#            folder: a headless JRE made with jlink, bench.jar with its libraries less DJL's CPU
#            native and JNI jars, the JNI headers, and DJL's JNI sources at tag v0.36.0 taken from
#            a clone of DJL that you provide (--djl-git DIR) or that the script clones (--clone-djl).
#   run      (on the GPU machine, from the bundle)  builds DJL's JNI (libdjl_torch.so) with cmake
#            against the local torch, installs it where DJL looks first, sets DJL's variables and
#            runs the given command with the bundled JRE.
#
# Both accept --dry-run: check the arguments and the inputs, print every action, change nothing.
# Nothing DJL-derived ever enters the repository: the bundle folder is git-ignored (.gpu/ by default).
set -euo pipefail

DJL_TAG=v0.36.0
DJL_URL=https://github.com/deepjavalibrary/djl.git
# java.instrument and jdk.attach: the bench profilers count host reads through a Java agent.
JRE_MODULES=java.base,java.compiler,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,jdk.zipfs,jdk.management,java.instrument,jdk.attach

usage() {
  cat <<'EOF'
usage:
  shampoo4j-gpu.sh prepare (--djl-git DIR | --clone-djl) [--bundle DIR] [--skip-build] [--dry-run]
  shampoo4j-gpu.sh run [--bundle DIR] [--python PY] [--rebuild-jni] [--dry-run] [--] COMMAND...

prepare  makes the bundle folder (default: .gpu in the repository root) to copy to the GPU machine.
         --djl-git DIR   a git clone (or bare git dir) of DJL that has the tag v0.36.0
         --clone-djl     clone DJL into the bundle's work folder instead (needs network)
         --skip-build    use bench/target as it is (default: ./mvnw package -pl bench -am)
run      on the GPU machine: build/install DJL's JNI against the local torch, then run COMMAND
         with DJL pointed at that torch ("java" is the bundled JRE). Without COMMAND it only sets up.
         --bundle DIR    the bundle folder (default: the folder holding this script)
         --python PY     the Python whose torch to use (default: python3)
         --rebuild-jni   build the JNI even if one is installed already
--dry-run  checks arguments and inputs and prints what would be done, without doing it.
EOF
}

say() { echo "shampoo4j-gpu: $*" >&2; }
die() { echo "shampoo4j-gpu: error: $*" >&2; exit 2; }
DRY=0
# Runs a command, or prints it under --dry-run.
act() {
  if [ "$DRY" = 1 ]; then echo "[dry-run] $*"; else "$@"; fi
}

# ------------------------------------------------------------------------------------------------
prepare() {
  local djl_git="" clone=0 bundle="" build=1
  while [ $# -gt 0 ]; do
    case $1 in
      --djl-git) [ $# -ge 2 ] || die "--djl-git needs a directory"; djl_git=$2; shift 2 ;;
      --clone-djl) clone=1; shift ;;
      --bundle) [ $# -ge 2 ] || die "--bundle needs a directory"; bundle=$2; shift 2 ;;
      --skip-build) build=0; shift ;;
      --dry-run) DRY=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "prepare: unknown argument '$1' (see --help)" ;;
    esac
  done
  if [ -n "$djl_git" ] && [ "$clone" = 1 ]; then die "give --djl-git or --clone-djl, not both"; fi
  if [ -z "$djl_git" ] && [ "$clone" = 0 ]; then
    die "DJL's JNI sources are needed: give --djl-git DIR (a clone of $DJL_URL) or --clone-djl"
  fi
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  [ -f "$root/pom.xml" ] && [ -d "$root/bench" ] || die "$root is not the Shampoo4j checkout"
  bundle=${bundle:-$root/.gpu}
  local javac_path; javac_path=$(command -v javac) || die "no javac on PATH: prepare needs a JDK 17+"
  local jdk; jdk=$(dirname "$(dirname "$(readlink -f "$javac_path")")")
  [ -x "$jdk/bin/jlink" ] && [ -d "$jdk/jmods" ] || die "the JDK at $jdk has no jlink or jmods"
  [ -f "$jdk/include/jni.h" ] || die "the JDK at $jdk has no include/jni.h"
  if [ -n "$djl_git" ]; then
    [ -d "$djl_git" ] || die "--djl-git $djl_git: no such directory"
    git -C "$djl_git" rev-parse --verify -q "$DJL_TAG^{commit}" >/dev/null \
      || die "$djl_git has no tag $DJL_TAG (git -C $djl_git fetch --tags)"
  fi
  say "bundle: $bundle (JDK $jdk)"

  if [ "$build" = 1 ]; then
    act "$root/mvnw" -B -q -f "$root/pom.xml" -pl bench -am package -DskipTests
  elif [ ! -f "$root/bench/target/bench.jar" ]; then
    die "--skip-build, but $root/bench/target/bench.jar does not exist"
  fi
  act mkdir -p "$bundle/lib" "$bundle/jni-include/linux" "$bundle/work"
  act cp "$root/bench/target/bench.jar" "$bundle/"
  act cp "$root/scripts/gpu/shampoo4j-gpu.sh" "$bundle/shampoo4j-gpu.sh"
  # DJL's CPU libtorch (over 100 MB) and its JNI built for 2.7.1 are replaced on the device.
  local jar
  for jar in "$root"/bench/target/lib/*.jar; do
    [ -e "$jar" ] || { [ "$DRY" = 1 ] && continue; die "no jars in $root/bench/target/lib"; }
    case ${jar##*/} in pytorch-native-*|pytorch-jni-*) continue ;; esac
    act cp "$jar" "$bundle/lib/"
  done
  # A headless JRE: no java.desktop (the bench draws no charts without it and says so).
  act rm -rf "$bundle/jre"
  act "$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules "$JRE_MODULES" --output "$bundle/jre" \
    --strip-debug --no-header-files --no-man-pages --compress=2
  # libjvm.so's symbols are not needed to run (about 4 MB less, when strip is available).
  if command -v strip >/dev/null; then act strip --strip-unneeded "$bundle/jre/lib/server/libjvm.so"; fi
  act cp "$jdk/include/jni.h" "$bundle/jni-include/"
  act cp "$jdk/include/linux/jni_md.h" "$bundle/jni-include/linux/"

  if [ "$clone" = 1 ]; then
    djl_git=$bundle/work/djl.git
    act git clone --bare --filter=blob:none --branch "$DJL_TAG" "$DJL_URL" "$djl_git"
  fi
  # Only the native sources of the PyTorch engine and DJL's shared native headers are carried.
  act rm -rf "$bundle/djl"
  act mkdir -p "$bundle/djl"
  if [ "$DRY" = 1 ]; then
    echo "[dry-run] git --git-dir=$djl_git archive $DJL_TAG engines/pytorch/pytorch-native api/src/main/native | tar -x -C $bundle/djl"
  else
    local gd; gd=$(git -C "$djl_git" rev-parse --absolute-git-dir 2>/dev/null || echo "$djl_git")
    git --git-dir="$gd" archive "$DJL_TAG" engines/pytorch/pytorch-native api/src/main/native \
      | tar -x -C "$bundle/djl"
  fi
  # The JNI header is generated from DJL's PyTorchLibrary.java of the same tag.
  local lib_java=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java
  local include=$bundle/djl/engines/pytorch/pytorch-native/build/include
  if [ "$DRY" = 1 ]; then
    echo "[dry-run] git show $DJL_TAG:$lib_java > $bundle/work/PyTorchLibrary.java"
  else
    local gd; gd=$(git -C "$djl_git" rev-parse --absolute-git-dir 2>/dev/null || echo "$djl_git")
    git --git-dir="$gd" show "$DJL_TAG:$lib_java" > "$bundle/work/PyTorchLibrary.java"
  fi
  act "$jdk/bin/javac" -h "$include" -d "$bundle/work/classes" "$bundle/work/PyTorchLibrary.java"
  act rm -rf "$bundle/work"
  if [ "$DRY" = 0 ]; then
    say "bundle ready: $(du -sh "$bundle" | cut -f1); copy it to the GPU machine and run:"
  fi
  say "  cd ${bundle##*/} && bash shampoo4j-gpu.sh run -- java -jar bench.jar --device gpu"
}

# ------------------------------------------------------------------------------------------------
run_on_device() {
  local bundle="" python=python3 rebuild=0
  while [ $# -gt 0 ]; do
    case $1 in
      --bundle) [ $# -ge 2 ] || die "--bundle needs a directory"; bundle=$2; shift 2 ;;
      --python) [ $# -ge 2 ] || die "--python needs a program"; python=$2; shift 2 ;;
      --rebuild-jni) rebuild=1; shift ;;
      --dry-run) DRY=1; shift ;;
      -h|--help) usage; exit 0 ;;
      --) shift; break ;;
      -*) die "run: unknown option '$1' (see --help)" ;;
      *) break ;;
    esac
  done
  bundle=$(cd "${bundle:-$(dirname "${BASH_SOURCE[0]}")}" && pwd)
  local jre=$bundle/jre src=$bundle/djl/engines/pytorch/pytorch-native
  [ -x "$jre/bin/java" ] || die "no JRE at $jre: make the bundle with 'prepare' first"
  local engine_jar; engine_jar=$( (ls "$bundle"/lib/pytorch-engine-*.jar 2>/dev/null || true) | head -1)
  [ -n "$engine_jar" ] || die "no lib/pytorch-engine-*.jar in $bundle"
  command -v "$python" >/dev/null || die "no $python: the GPU machine's torch is found through Python"

  # The local torch: its lib folder, version, CUDA version and CMake prefix; and DJL's version,
  # read from the engine jar (pytorch-engine.properties, djl_version=...).
  local info
  info=$("$python" - "$engine_jar" <<'PY'
import os, sys, zipfile
import torch
props = zipfile.ZipFile(sys.argv[1]).read("pytorch-engine.properties").decode()
djl = [l.split("=", 1)[1].strip() for l in props.splitlines() if l.startswith("djl_version=")]
print(os.path.join(os.path.dirname(torch.__file__), "lib"), torch.__version__.split("+")[0],
      torch.version.cuda or "none", torch.utils.cmake_prefix_path, djl[0] if djl else "")
PY
  ) || die "$python cannot import torch or read $engine_jar"
  local torch_lib torch_version cuda cmake_prefix djl_version
  read -r torch_lib torch_version cuda cmake_prefix djl_version <<<"$info"
  [ -n "$djl_version" ] || die "no djl_version in $engine_jar"
  [ -f "$torch_lib/libtorch.so" ] || die "no libtorch.so in $torch_lib"
  local flavor=cpu
  [ "$cuda" = none ] || flavor=cu${cuda//./}
  local classifier
  case $(uname -m) in
    x86_64) classifier=linux-x86_64 ;; aarch64) classifier=linux-aarch64 ;;
    *) die "unsupported machine $(uname -m)" ;;
  esac
  say "torch $torch_version ($flavor) at $torch_lib; DJL $djl_version"

  # DJL reads these (environment first, then system properties): load that libtorch, never download.
  export PYTORCH_LIBRARY_PATH=$torch_lib PYTORCH_VERSION=$torch_version PYTORCH_FLAVOR=$flavor
  export ENGINE_CACHE_DIR=${ENGINE_CACHE_DIR:-${DJL_CACHE_DIR:-$HOME/.djl.ai}}
  export DJL_OFFLINE=true JAVA_HOME=$jre PATH=$jre/bin:$PATH
  local links=${TMPDIR:-/tmp}/shampoo4j-gpu-libs
  if [ "$flavor" != cpu ]; then
    # DJL counts GPUs by loading "cudart" through JNA (libcudart.so); pip's torch only ships
    # libcudart.so.NN, so link the file libtorch_cuda.so itself resolves.
    local cudart
    cudart=$( (ldd "$torch_lib/libtorch_cuda.so" 2>/dev/null || true) | awk '/libcudart\.so/ {print $3; exit}')
    if [ ! -f "$cudart" ]; then
      cudart=$( (ls "$torch_lib"/../../nvidia/*/lib/libcudart.so.* /usr/local/cuda/lib64/libcudart.so.* \
        2>/dev/null || true) | head -1)
    fi
    [ -f "$cudart" ] || die "cannot find the libcudart that libtorch_cuda.so uses"
    act mkdir -p "$links"
    act ln -sf "$cudart" "$links/libcudart.so"
  fi
  export LD_LIBRARY_PATH=$links:$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

  # The JNI goes where DJL's LibUtils looks first: the engine cache folder of this torch.
  local jni_dir=$ENGINE_CACHE_DIR/pytorch/$torch_version-$flavor-$classifier
  local jni=$jni_dir/$djl_version-libdjl_torch.so
  if [ -f "$jni" ] && [ "$rebuild" = 0 ]; then
    say "JNI already installed: $jni"
  else
    [ -f "$src/CMakeLists.txt" ] || die "no DJL sources at $src: make the bundle with 'prepare'"
    [ -f "$src/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h" ] || die "no JNI header in $src/build/include"
    command -v cmake >/dev/null || die "no cmake on the GPU machine (pip install cmake ninja)"
    local build=${JNI_BUILD_DIR:-${TMPDIR:-/tmp}/shampoo4j-djl-jni}
    local gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
    say "building libdjl_torch.so in $build"
    # The JNI has no CUDA code of its own; the arch list only quiets torch's CMake detection.
    act env TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" cmake -S "$src" -B "$build" "${gen[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$cmake_prefix" \
      -DJAVA_INCLUDE_PATH="$bundle/jni-include" -DJAVA_INCLUDE_PATH2="$bundle/jni-include/linux" \
      -DJAVA_JVM_LIBRARY="$jre/lib/server/libjvm.so"
    act cmake --build "$build" -j "$(nproc)"
    act mkdir -p "$jni_dir"
    act cp "$build/libdjl_torch.so" "$jni"
  fi
  say "PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=$PYTORCH_VERSION" \
    "PYTORCH_FLAVOR=$PYTORCH_FLAVOR ENGINE_CACHE_DIR=$ENGINE_CACHE_DIR DJL_OFFLINE=true"
  if [ $# -eq 0 ]; then
    say "set up; give a command to run, for example: -- java -jar $bundle/bench.jar --device gpu"
    return 0
  fi
  if [ "$DRY" = 1 ]; then act "$@"; return 0; fi
  exec "$@"
}

# ------------------------------------------------------------------------------------------------
[ $# -ge 1 ] || { usage >&2; exit 2; }
cmd=$1; shift
case $cmd in
  prepare) prepare "$@" ;;
  run) run_on_device "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; die "unknown command '$cmd'" ;;
esac
