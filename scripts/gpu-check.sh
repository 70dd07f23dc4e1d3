#!/usr/bin/env bash
# The GPU path, on a machine with GPUs and PyTorch but no Open MPI and no registry (the device
# machines of this workplace). Two steps:
#
#   scripts/gpu-check.sh fetch   # here, on Debian 12 with scripts/setup.sh done: downloads the
#                                # Debian packages the build needs into .deps/debs and copies the
#                                # imported MNIST to .deps/mnist (.deps/ is ignored by git)
#   scripts/gpu-check.sh         # there, in a clone with .deps/ carried along: unpacks the
#                                # packages into .deps/root (never into /), builds build-gpu/
#                                # against PyTorch's LibTorch with -DRUNNER_WITH_NCCL=ON, runs the
#                                # tests labelled gpu, then the one-trial benchmark on the GPU
#
# Output: a PASS, FAIL or SKIP line per phase on stdout and in $OUT/summary.txt (default
# build-gpu/out), each phase's log and databases beside it. Phases: the build (only what the
# check needs), the tests labelled gpu, the quick start with fused arrays alone and under
# mpirun -np 2, fused arrays of 1, 4 and 16 (trials per hour, samples/s), NCCL with two GPUs
# (skipped with one), one trial on the GPU against the CPU.
set -euo pipefail
SELF=$(realpath "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
DEPS=$PWD/.deps
ROOT=$DEPS/root
ARCH=x86_64-linux-gnu

# Open MPI and what it loads, and the build's other libraries. PyTorch's machine has a C++
# toolchain, CMake, CUDA and NCCL.
PACKAGES=(
  openmpi-bin openmpi-common libopenmpi3 libopenmpi-dev libpmix2 libhwloc15 libevent-core-2.1-7
  libevent-pthreads-2.1-7 libfabric1 libucx0 libpsm2-2 libpsm-infinipath1 librdmacm1 libibverbs1
  libnl-3-200 libnl-route-3-200 libmunge2 libnuma1 libpciaccess0 libltdl7
  libboost1.74-dev libboost-serialization1.74-dev libboost-serialization1.74.0
  libboost-serialization-dev libtomlplusplus-dev libtomlplusplus3 libsqlite3-dev libsqlite3-0
  zlib1g-dev libgtest-dev
)

fetch() {
  [ -f data/mnist/train-images-idx3-ubyte ] || { echo "run scripts/setup.sh first"; exit 2; }
  rm -rf "$DEPS/debs" && mkdir -p "$DEPS/debs"
  (cd "$DEPS/debs" && apt-get download "${PACKAGES[@]}")
  rm -rf "$DEPS/mnist" && cp -r data/mnist "$DEPS/mnist"
  echo "gpu-check: $(ls "$DEPS/debs" | wc -l) packages and the MNIST in $DEPS; carry .deps"
}

# Debian's Open MPI, relocated from /usr to $ROOT/usr: its install directories by environment.
relocate_open_mpi() {
  local lib=$ROOT/usr/lib/$ARCH
  export OPAL_PREFIX=$ROOT/usr
  export OPAL_EXEC_PREFIX=$ROOT/usr OPAL_BINDIR=$ROOT/usr/bin OPAL_DATAROOTDIR=$ROOT/usr/share
  export OPAL_DATADIR=$ROOT/usr/share OPAL_PKGDATADIR=$ROOT/usr/share/openmpi
  export OPAL_SYSCONFDIR=$ROOT/etc/openmpi OPAL_INCLUDEDIR=$lib/openmpi/include
  export OPAL_LIBDIR=$lib/openmpi/lib OPAL_PKGLIBDIR=$lib/openmpi/lib/openmpi3
  export PMIX_INSTALL_PREFIX=$lib/pmix2 PMIX_MCA_mca_base_component_path=$lib/pmix2/lib/pmix
  export LD_LIBRARY_PATH=$lib:$lib/openmpi/lib:$lib/pmix2/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PATH=$ROOT/usr/bin:$PATH
  export PMIX_MCA_pcompress_base_silence_warning=1  # the machine's own PMIx plugins do not load
  export MPIRUN=$ROOT/usr/bin/orterun
}

unpack() {
  [ -d "$DEPS/debs" ] || { echo "no .deps/debs: run 'scripts/gpu-check.sh fetch' first"; exit 2; }
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  for deb in "$DEPS"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
}

# NCCL_HOME for CMake: the CUDA toolkit's NCCL if it has one, else the NCCL that PyTorch's wheel
# brings (nvidia-nccl-*), whose library has only its versioned name: linked here as libnccl.so.
find_nccl() {
  [ -n "${NCCL_HOME:-}" ] && return
  local cuda_include
  cuda_include=$(dirname "$(command -v nvcc)")/../include
  [ -f "$cuda_include/nccl.h" ] && return
  local wheel
  wheel=$(python3 -c 'import nvidia.nccl as n; print(list(n.__path__)[0])' 2>/dev/null) || return 0
  mkdir -p build-gpu/nccl/lib
  ln -sfn "$wheel/include" build-gpu/nccl/include
  ln -sf "$(ls "$wheel"/lib/libnccl.so* | head -1)" build-gpu/nccl/lib/libnccl.so
  export NCCL_HOME=$PWD/build-gpu/nccl
  export LD_LIBRARY_PATH=$wheel/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
}

# TORCH_PREFIX and NCCL override the LibTorch and the backend (a configure check elsewhere).
configure() {
  find_nccl
  local torch_prefix=${TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
  local lib=$ROOT/usr/lib/$ARCH
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DRUNNER_WITH_NCCL="${NCCL:-ON}" \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$ROOT/usr" -DRUNNER_DATA_DIR="$DEPS" \
    -DMPIEXEC_EXECUTABLE="$MPIRUN" -DMPI_CXX_SKIP_MPICXX=ON \
    -DMPI_CXX_ADDITIONAL_INCLUDE_DIRS="$lib/openmpi/include" -DMPI_CXX_LIB_NAMES="mpi_cxx;mpi" \
    -DMPI_mpi_cxx_LIBRARY="$lib/openmpi/lib/libmpi_cxx.so" \
    -DMPI_mpi_LIBRARY="$lib/openmpi/lib/libmpi.so" -DMPIRUN="$MPIRUN" \
    -DTORCHSCRIPT_PYTHON="$(command -v python3)"  # the PyTorch there scripts the test modules
}

# Each phase runs under `timeout`, logs to $OUT/NAME.log and adds a PASS, FAIL or SKIP line to
# $OUT/summary.txt; a failure does not stop the phases after it. The phases after the build fit
# in 8 minutes of device time together.
check() {
  export OUT=${OUT:-$PWD/build-gpu/out}
  mkdir -p "$OUT" && : > "$OUT/summary.txt"
  unpack
  relocate_open_mpi
  find_nccl  # here, so that every phase finds the NCCL it links
  export RUNNER_DATA_DIR=$DEPS  # .deps/mnist: the embedded default
  nvidia-smi -L > "$OUT/gpus.txt" 2>&1 || true
  phase build 1200 build
  phase gpu-tests 150 gpu_tests
  phase quickstart 90 gpu_sweep
  phase fused-arrays 120 fused_rates
  phase nccl 60 nccl_efficiency
  phase one-trial 60 gpu_bench
  cat "$OUT/summary.txt"
}

# phase NAME SECONDS FUNCTION: the function in a fresh shell of this script (the environment
# exported above carried along), under a time limit. Exit 77 means SKIP.
phase() {
  local name=$1 limit=$2 fn=$3 start=$SECONDS rc=0 verdict
  timeout --kill-after=10 "$limit" bash "$SELF" "phase-$fn" > "$OUT/$name.log" 2>&1 || rc=$?
  case $rc in
    0) verdict=PASS ;;
    77) verdict=SKIP ;;
    124 | 137) verdict="FAIL (over ${limit} s)" ;;
    *) verdict="FAIL (exit $rc)" ;;
  esac
  echo "$verdict $name $((SECONDS - start)) s: $OUT/$name.log" | tee -a "$OUT/summary.txt"
}

# Only what the check needs.
build() {
  configure
  cmake --build build-gpu -j"$(nproc)" --target runner test_gpu test_training
}

gpu_tests() {
  cd build-gpu && ctest -L gpu --output-on-failure
}

# The quick start on the GPU with cluster.fuse = 4, alone and under mpirun -np 2 (rank 0 trains
# too: two ranks, two trainers); every trial must complete.
gpu_sweep() {
  local runner=(build-gpu/runner run sweeps/quickstart.toml --set train.device=cuda --set cluster.fuse=4)
  "${runner[@]}" --db "$OUT/quickstart-alone.db" --set cluster.ranks_per_gpu=2
  "$MPIRUN" --allow-run-as-root --oversubscribe -np 2 "${runner[@]}" --db "$OUT/quickstart-np2.db" \
    --set cluster.ranks_per_gpu=2
  for db in "$OUT"/quickstart-*.db; do
    build-gpu/runner status --db "$db"
    [ "$(build-gpu/runner query --db "$db" "SELECT count(*) FROM trials WHERE status != 'completed'" | tail -n 1)" = 0 ]
  done
}

# Fused arrays of K = 1, 4 and 16 on one GPU: trials per hour of a 16-trial sweep (784-64-8, two
# epochs) and the median samples/s of its trials.
fused_rates() {
  local toml=build-gpu/fused.toml
  printf 'name = "fused"\n[model]\nhidden = [64]\nlatent = 8\n[train]\nepochs = 2\ndevice = "cuda"\n[sweep.grid]\n"train.lr" = [%s]\n' \
    "$(seq -s, 1 16 | sed 's/\([0-9]*\)/\1e-4/g')" > "$toml"
  for k in 1 4 16; do
    local db=$OUT/fused-$k.db start=$SECONDS
    build-gpu/runner run "$toml" --db "$db" --set cluster.fuse=$k > "$OUT/fused-$k.txt" 2>&1
    local s=$((SECONDS - start))
    echo "K=$k: 16 trials in $s s ($((16 * 3600 / (s > 0 ? s : 1))) trials/hour), median samples/s" \
      "$(build-gpu/runner query --db "$db" "SELECT value FROM final_metrics WHERE name = 'samples_per_s' ORDER BY value LIMIT 1 OFFSET 8" | tail -n 1)"
  done
}

# With two GPUs or more: one dense-AE trial on 2 ranks in data parallel (NCCL) against 1 rank.
nccl_efficiency() {
  [ "$(nvidia-smi -L 2>/dev/null | wc -l)" -ge 2 ] || { echo "one GPU: no NCCL pair"; exit 77; }
  local toml=build-gpu/nccl.toml
  printf 'name = "nccl"\n[model]\nhidden = [256]\nlatent = 64\n[train]\nepochs = 3\ndevice = "cuda"\n' > "$toml"
  build-gpu/runner run "$toml" --db "$OUT/nccl-1.db"
  "$MPIRUN" --allow-run-as-root --oversubscribe -np 2 build-gpu/runner run "$toml" \
    --db "$OUT/nccl-2.db" --set cluster.ranks_per_trial=2
  local one two
  one=$(build-gpu/runner query --db "$OUT/nccl-1.db" "SELECT value FROM final_metrics WHERE name = 'samples_per_s'" | tail -n 1)
  two=$(build-gpu/runner query --db "$OUT/nccl-2.db" "SELECT value FROM final_metrics WHERE name = 'samples_per_s'" | tail -n 1)
  echo "samples/s: 1 GPU $one, 2 GPUs in data parallel $two (efficiency $(python3 -c "print(round($two / (2 * $one), 2))"))"
}

# Samples/s of one dense-AE trial (784-256-64, batch 128, 3 epochs on 8,000 digits) on the GPU
# against all of this machine's cores.
gpu_bench() {
  local toml=build-gpu/bench.toml
  printf 'name = "gpu-bench"\n[model]\nhidden = [256]\nlatent = 64\n[train]\nepochs = 3\nbatch_size = 128\n' > "$toml"
  rate() {  # DEVICE: samples/s from the trial's database
    local db=$OUT/bench-$1.db
    build-gpu/runner run "$toml" --db "$db" --set train.device="$1" > /dev/null
    build-gpu/runner query --db "$db" "SELECT value FROM final_metrics WHERE name = 'samples_per_s'" | tail -n 1
  }
  echo "one dense-AE trial, samples/s: CPU ($(nproc) cores) $(rate cpu), one GPU $(rate cuda)"
}

[ "${BASH_SOURCE[0]}" = "$0" ] || return 0  # sourced: the functions only (tests)
case "${1:-check}" in
  fetch) fetch ;;
  check) check ;;
  phase-*) set -x && "${1#phase-}" ;;  # one phase, from `phase` (the environment set up there)
  *) echo "usage: scripts/gpu-check.sh [fetch]"; exit 2 ;;
esac
