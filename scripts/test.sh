#!/usr/bin/env bash
# Set up, build and run the whole test suite twice: a normal optimized build
# and an AddressSanitizer + UndefinedBehaviorSanitizer build.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/models.sh
if [ -z "$SCIOT_MODELS" ]; then
  echo "warning: SCIOT_MODELS is not set and ../shared/models is absent: tests that need the models are skipped" >&2
fi
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCIOT_SANITIZE=ON -DSCIOT_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
