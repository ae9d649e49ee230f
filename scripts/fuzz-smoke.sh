#!/usr/bin/env bash
# Short libFuzzer runs of every parser of untrusted bytes (the model reader
# + engine preparation, the wire decoder) under ASan + UBSan, seeded with the
# shared models and valid frames. Any crash, sanitizer report or broken
# invariant fails the script. Long runs: fuzz/run.sh and fuzz/fuzz_wire.c.
#   scripts/fuzz-smoke.sh [SECONDS per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/models.sh
secs=${1:-60}
if ! command -v clang >/dev/null; then
  echo "fuzz-smoke: clang is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
B=build-fuzz-smoke
W=$(mktemp -d /tmp/sciot-fuzz.XXXXXX)
CC=clang cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCIOT_FUZZ=ON -DSCIOT_SANITIZE=ON \
  -DSCIOT_BUILD_TESTS=OFF -DSCIOT_BUILD_BENCH=OFF >/dev/null
cmake --build "$B" --target fuzz_model fuzz_seeds fuzz_wire gen_wire_seeds >/dev/null
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$W/model" "$W/model-seed" "$W/wire" "$W/wire-seed"
if [ -n "$SCIOT_MODELS" ]; then
  find "$SCIOT_MODELS" -name '*.tflite' | while read -r f; do cp "$f" "$W/model-seed/$(echo "${f#"$SCIOT_MODELS"/}" | tr / _)"; done
  "$B/fuzz/gen_wire_seeds" "$W/wire-seed" >/dev/null
fi
"$B/fuzz/fuzz_seeds" "$W/model-seed" >/dev/null
for t in model wire; do
  echo "fuzz-smoke: fuzz_$t for ${secs}s"
  "$B/fuzz/fuzz_$t" "$W/$t" "$W/$t-seed" -max_total_time="$secs" -max_len=4000000 -timeout=30 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$W/" >"$W/$t.log" 2>&1 || {
    echo "fuzz-smoke: fuzz_$t FAILED:" >&2; tail -40 "$W/$t.log" >&2; exit 1; }
  grep -E '^stat::number_of_executed_units' "$W/$t.log" | sed "s/^/fuzz_$t: /"
done
rm -rf "$W"
echo "fuzz-smoke: clean"
