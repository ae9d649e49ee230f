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
#   UBSAN_RECOVER 1: build into build-fuzz-recover with UBSan in recover mode
#                 (each undefined-behaviour site is reported once and the run
#                 goes on; ASan errors and the target's invariants still stop
#                 it). Use it to survey every UB site in one long run; the
#                 default (-fno-sanitize-recover=all, as the top level sets
#                 with SCIOT_SANITIZE) stops at the first report.
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
UBSAN_RECOVER=${UBSAN_RECOVER:-0}
if [ "$UBSAN_RECOVER" = 1 ]; then
    BUILD_DIR=${BUILD_DIR:-$REPO/build-fuzz-recover}
else
    BUILD_DIR=${BUILD_DIR:-$REPO/build-fuzz}
fi
CORPUS=${CORPUS:-$REPO/fuzz/corpus}
TARGET=${TARGET:-fuzz_model}
SEED="$CORPUS-seed"
ART="$CORPUS-artifacts"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    if [ "$UBSAN_RECOVER" = 1 ]; then
        CC=${CC:-clang} cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DSCIOT_FUZZ=ON -DSCIOT_SANITIZE=OFF -DSCIOT_BUILD_TESTS=OFF -DSCIOT_BUILD_BENCH=OFF \
            "-DCMAKE_C_FLAGS=-fsanitize=address,undefined -fsanitize-recover=undefined -fno-omit-frame-pointer" \
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
    else
        CC=${CC:-clang} cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DSCIOT_FUZZ=ON -DSCIOT_SANITIZE=ON -DSCIOT_BUILD_TESTS=OFF -DSCIOT_BUILD_BENCH=OFF >/dev/null
    fi
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
if [ "$UBSAN_RECOVER" = 1 ]; then
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=0}
else
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
RCFILE="$ART/.rc"
{
    "$BUILD_DIR/fuzz/$TARGET" "$CORPUS" "$SEED" \
        -max_total_time="$SECONDS_TO_RUN" -max_len=4000000 -timeout=30 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$ART/" "$@" 2>&1 && status=0 || status=$?
    echo "$status" >"$RCFILE"
} | tee "$LOG"
rc=$(cat "$RCFILE")
echo "----"
echo "log: $LOG"
grep -E '^(#[0-9]+.*(DONE|cov:))' "$LOG" | tail -n 1 || true
grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$LOG" || true
echo "undefined-behaviour reports: $(grep -c 'runtime error' "$LOG")"
grep 'runtime error' "$LOG" | sed 's/:[0-9]*: runtime error: \([a-z -]*\).*/: \1/' | sort | uniq -c || true
ls "$ART" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || echo "no crash/leak/timeout artifacts"
exit $rc
