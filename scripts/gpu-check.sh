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
# Output: the CTest log and bench figures on stdout, and build-gpu/gpu-check.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
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
  MPIRUN=$ROOT/usr/bin/orterun
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
    -DMPI_mpi_LIBRARY="$lib/openmpi/lib/libmpi.so" -DMPIRUN="$MPIRUN"
}

check() {
  unpack
  relocate_open_mpi
  export RUNNER_DATA_DIR=$DEPS  # .deps/mnist: the embedded default
  nvidia-smi -L || true
  configure
  cmake --build build-gpu -j"$(nproc)"
  (cd build-gpu && ctest -L gpu --output-on-failure) | tee build-gpu/gpu-check.log
  gpu_sweep 2>&1 | tee -a build-gpu/gpu-check.log
  gpu_bench | tee -a build-gpu/gpu-check.log
}

# The quick-start sweep on the GPU, end to end under mpirun: two ranks share one GPU
# (cluster.ranks_per_gpu = 2, separate trials); then the same two ranks with
# ranks_per_gpu = 1 on a one-GPU node, which must refuse every trial naming the node.
gpu_sweep() {
  local db=build-gpu/sweep-$RANDOM.db mpi=("$MPIRUN" --allow-run-as-root --oversubscribe -np 2)
  local runner=(build-gpu/runner run sweeps/quickstart.toml --set train.device=cuda)
  "${mpi[@]}" "${runner[@]}" --db "$db" --set cluster.ranks_per_gpu=2
  build-gpu/runner status --db "$db"
  build-gpu/runner query --db "$db" "SELECT status, count(*) FROM trials GROUP BY status"
  if [ "$(nvidia-smi -L | wc -l)" -eq 1 ]; then
    "${mpi[@]}" "${runner[@]}" --db "$db-shared" --set cluster.ranks_per_gpu=1 || true
    build-gpu/runner query --db "$db-shared" "SELECT status, error FROM trials LIMIT 2"
  fi
}

# Samples/s of one dense-AE trial (784-256-64, batch 128, 5 epochs on 8,000 digits) on the GPU
# against all of this machine's cores, medians of 3 interleaved runs; and on two GPUs in data
# parallel when there are two.
gpu_bench() {
  local toml=build-gpu/bench.toml
  printf 'name = "gpu-bench"\n[model]\nhidden = [256]\nlatent = 64\n[train]\nepochs = 5\nbatch_size = 128\n' > "$toml"
  rate() {  # NAME LAUNCH... -- RUNNER-ARGS...: samples/s from the trial's database
    local db=build-gpu/bench-$1-$RANDOM.db
    shift
    "$@" --db "$db" > /dev/null 2>&1
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT value FROM final_metrics WHERE name='samples_per_s'\").fetchone()[0])" "$db"
  }
  local runner=(build-gpu/runner run "$toml") cpu=() gpu=() dp=()
  local gpus
  gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
  for _ in 1 2 3; do
    cpu+=("$(rate cpu "${runner[@]}" --set train.device=cpu)")
    gpu+=("$(rate gpu "${runner[@]}" --set train.device=cuda)")
    if [ "$gpus" -ge 2 ]; then
      dp+=("$(rate dp "$MPIRUN" --allow-run-as-root --oversubscribe -np 3 "${runner[@]}" \
        --set train.device=cuda --set cluster.ranks_per_trial=2)")
    fi
  done
  median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
  echo "one dense-AE trial, samples/s (medians of 3): CPU $(nproc) cores $(median "${cpu[@]}"), one GPU $(median "${gpu[@]}")${dp:+, two GPUs in data parallel $(median "${dp[@]}")}"
}

[ "${BASH_SOURCE[0]}" = "$0" ] || return 0  # sourced: the functions only (tests)
case "${1:-check}" in
  fetch) fetch ;;
  check) check ;;
  *) echo "usage: scripts/gpu-check.sh [fetch]"; exit 2 ;;
esac
