#!/usr/bin/env bash
# Sets everything up, then runs the quick-start sweep on the embedded MNIST with 2 MPI ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
MPI_FLAGS=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI_FLAGS+=(--allow-run-as-root)  # Open MPI refuses root without it
exec mpirun "${MPI_FLAGS[@]}" -np 2 build/runner run sweeps/quickstart.toml "$@"
