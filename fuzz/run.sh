#!/bin/sh
# fuzz/run.sh — build the libFuzzer targets with ASan + UBSan and fuzz the
# model reader / planner / engine for a given time.
#
#   fuzz/run.sh [SECONDS] [extra libFuzzer options...]      (default 600 s)
#
# Environment:
#   SCIOT_MODELS  shared model directory (default: <repo>/../shared/models);
#                 every *.tflite below it seeds the corpus
#   BUILD_DIR     build directory (default: <repo>/build-fuzz)
#   CORPUS        working corpus (default: <repo>/fuzz/corpus; git-ignored)
#   TARGET        fuzz target (default: fuzz_model)
#
# Seeds go to $CORPUS-seed (the shared models, never copied into a tracked
# directory, plus the small hand-built models written by fuzz_seeds); new
# inputs libFuzzer finds go to $CORPUS, crashes to $CORPUS-artifacts/. Both
# match .gitignore's fuzz/corpus*/.
#
# No dictionary: the seeds already carry every identifier and field layout,
# and libFuzzer's comparison tracing (-use_cmp, on by default) picks up the
# constants the reader compares against (op codes, versions, dtypes) on its
# own. A dictionary of flatbuffer fragments would not survive the offset
# arithmetic anyway.
set -eu

SECONDS_TO_RUN=${1:-600}
[ $# -gt 0 ] && shift
REPO=$(cd "$(dirname "$0")/.." && pwd)
MODELS=${SCIOT_MODELS:-$REPO/../shared/models}
BUILD_DIR=${BUILD_DIR:-$REPO/build-fuzz}
CORPUS=${CORPUS:-$REPO/fuzz/corpus}
TARGET=${TARGET:-fuzz_model}
SEED="$CORPUS-seed"
ART="$CORPUS-artifacts"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    CC=${CC:-clang} cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSCIOT_FUZZ=ON -DSCIOT_SANITIZE=ON -DSCIOT_BUILD_TESTS=OFF -DSCIOT_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" --target "$TARGET" fuzz_seeds

mkdir -p "$CORPUS" "$SEED" "$ART"
if [ -d "$MODELS" ]; then
    find "$MODELS" -name '*.tflite' | while read -r f; do
        name=$(echo "${f#"$MODELS"/}" | tr '/' '_')
        [ -f "$SEED/$name" ] || cp "$f" "$SEED/$name"
    done
else
    echo "run.sh: no model directory at $MODELS: seeding with hand-built models only" >&2
fi
"$BUILD_DIR/fuzz/fuzz_seeds" "$SEED"
echo "run.sh: $(ls "$SEED" | wc -l) seeds, $(ls "$CORPUS" | wc -l) inputs in the corpus"

LOG="$ART/$TARGET-$(date +%Y%m%d-%H%M%S).log"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
RCFILE="$ART/.rc"
{
    "$BUILD_DIR/fuzz/$TARGET" "$CORPUS" "$SEED" \
        -max_total_time="$SECONDS_TO_RUN" -max_len=4000000 -timeout=30 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$ART/" "$@" 2>&1
    echo $? >"$RCFILE"
} | tee "$LOG"
rc=$(cat "$RCFILE")
echo "----"
echo "log: $LOG"
grep -E '^(#[0-9]+.*(DONE|cov:))' "$LOG" | tail -n 1 || true
grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$LOG" || true
ls "$ART" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || echo "no crash/leak/timeout artifacts"
exit $rc
