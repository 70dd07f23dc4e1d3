#!/usr/bin/env bash
# Sets everything up, then builds and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
exec ctest --output-on-failure "$@"
