#!/usr/bin/env bash
# Runs the benchmarks against a release build directory (default build/release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/release}
python3 "$here/ingest_bench.py" "$build"
