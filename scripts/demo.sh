#!/usr/bin/env bash
# SCIoT end-to-end demo: build, start an edge with its embedded defaults,
# put an emulated Wi-Fi link in front of it, run two ESP32-class devices on
# different inputs, and print per device the splits chosen and the latency
# against running the whole model on the device.
#
#   scripts/demo.sh                 (SCIOT_MODELS: the model directory)
#
# Knobs (environment): DEMO_MODEL (default person_detect), DEMO_COUNT (40),
# DEMO_RATE bytes/s of the link (250000), DEMO_DELAY_MS one-way (10),
# DEMO_SLOWDOWN_A / DEMO_SLOWDOWN_B (150 / 600: how many times slower than
# this machine each device is; an ESP32-S3 is roughly 100-300x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/models.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
SCIOT=./build/sciot

MODEL_NAME=${DEMO_MODEL:-person_detect}
if [ -z "$SCIOT_MODELS" ]; then
  # No model directory: fetch the public person_detect model, pinned by SHA-256.
  SCIOT_MODELS="$HOME/.cache/sciot/models"
  want=808cfdfc0cf3a6fa6f6fa26bfa379ea97c16d5db7334637766e39c3408502e9d
  f="$SCIOT_MODELS/person_detect/model.tflite"
  if [ ! -f "$f" ]; then
    mkdir -p "$(dirname "$f")"
    url=https://raw.githubusercontent.com/tensorflow/tflite-micro/main/tensorflow/lite/micro/models/person_detect.tflite
    if ! curl -fsSL --max-time 30 -o "$f.part" "$url" 2>/dev/null; then
      rm -f "$f.part"
      echo "demo: no models: set SCIOT_MODELS to a directory with person_detect/model.tflite (see README.md, 'Models')" >&2
      exit 1
    fi
    mv "$f.part" "$f"
  fi
  got=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    echo "demo: $f has SHA-256 $got, expected $want" >&2
    exit 1
  fi
  MODEL_NAME=person_detect
fi
M="$SCIOT_MODELS/$MODEL_NAME/model.tflite"
IN_A="$SCIOT_MODELS/$MODEL_NAME/cases/tflm_person_bmp.in.bin"
IN_B="$SCIOT_MODELS/$MODEL_NAME/cases/tflm_no_person_bmp.in.bin"
[ -f "$IN_A" ] || IN_A=""
[ -f "$IN_B" ] || IN_B="$IN_A"
COUNT=${DEMO_COUNT:-40}
RATE=${DEMO_RATE:-250000}
DELAY=${DEMO_DELAY_MS:-10}
SA=${DEMO_SLOWDOWN_A:-150}
SB=${DEMO_SLOWDOWN_B:-600}

work=$(mktemp -d /tmp/sciot-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_ready() { # file -> prints the ready line
  for _ in $(seq 1 100); do
    if grep -q "ready" "$1" 2>/dev/null; then grep -m1 "ready" "$1"; return 0; fi
    sleep 0.1
  done
  echo "demo: $1 never became ready:" >&2; cat "$1" >&2; return 1
}

"$SCIOT" edge --model "$M" --port 0 --db "$work/edge.db" >"$work/edge.out" 2>"$work/edge.err" &
pids+=($!)
line=$(wait_ready "$work/edge.out")
echo "$line"
EPORT=$(echo "$line" | sed -n 's/.*http=http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p')
EDGE="http://127.0.0.1:$EPORT"
if "$SCIOT" link --help >/dev/null 2>&1; then
  "$SCIOT" link --listen 127.0.0.1:0 --to "127.0.0.1:$EPORT" --rate "$RATE" --delay-ms "$DELAY" \
    >"$work/link.out" 2>"$work/link.err" &
  pids+=($!)
  line=$(wait_ready "$work/link.out")
  echo "$line"
  LPORT=$(echo "$line" | sed -n 's/.*ready 127\.0\.0\.1:\([0-9]*\).*/\1/p')
  EDGE="http://127.0.0.1:$LPORT"
  echo "link: $RATE bytes/s, ${DELAY} ms each way (RTT $((2 * DELAY)) ms)"
fi

summary() { # name jsonl -> "splits: k xN ...; mean total ms"
  awk -v name="$1" '
    { if (match($0, /"split":[0-9]+/)) { k = substr($0, RSTART + 8, RLENGTH - 8); n[k]++ }
      if (match($0, /"total_ms":[0-9.]+/)) { t += substr($0, RSTART + 11, RLENGTH - 11); c++ }
      if (match($0, /"where":"[a-z]+"/)) { w[substr($0, RSTART + 9, RLENGTH - 10)]++ } }
    END { printf "%s: %d inferences, splits chosen:", name, c
          for (k in n) printf " k=%s x%d", k, n[k]
          printf "; where:"; for (x in w) printf " %s x%d", x, w[x]
          printf "; mean %.1f ms\n", (c ? t / c : 0) }' "$2"
}
mean() { awk '{ if (match($0, /"total_ms":[0-9.]+/)) { t += substr($0, RSTART + 11, RLENGTH - 11); c++ } }
              END { printf "%.1f", (c ? t / c : 0) }' "$1"; }

inputs_a=(); [ -n "$IN_A" ] && inputs_a=(--input "$IN_A")
inputs_b=(); [ -n "$IN_B" ] && inputs_b=(--input "$IN_B")
echo "device-only baselines (10 inferences each, no edge) ..."
"$SCIOT" device --model "$M" "${inputs_a[@]}" --count 10 --slowdown "$SA" --json --device-id base-a \
  --queue "$work/qa0" >"$work/base_a.jsonl" 2>/dev/null
"$SCIOT" device --model "$M" "${inputs_b[@]}" --count 10 --slowdown "$SB" --json --device-id base-b \
  --queue "$work/qb0" >"$work/base_b.jsonl" 2>/dev/null
echo "two devices through the edge at once ..."
"$SCIOT" device --model "$M" --edge "$EDGE" "${inputs_a[@]}" --count "$COUNT" --slowdown "$SA" --json \
  --device-id esp-a --queue "$work/qa" >"$work/a.jsonl" 2>"$work/a.err" &
da=$!
"$SCIOT" device --model "$M" --edge "$EDGE" "${inputs_b[@]}" --count "$COUNT" --slowdown "$SB" --json \
  --device-id esp-b --queue "$work/qb" >"$work/b.jsonl" 2>"$work/b.err" &
db=$!
wait "$da" "$db"
echo
summary "device esp-a (slowdown ${SA}x)" "$work/a.jsonl"
echo "  device-only: $(mean "$work/base_a.jsonl") ms per inference"
summary "device esp-b (slowdown ${SB}x)" "$work/b.jsonl"
echo "  device-only: $(mean "$work/base_b.jsonl") ms per inference"
echo
echo "edge state: curl -s http://127.0.0.1:$EPORT/api/devices  (files in $work)"
curl -s "http://127.0.0.1:$EPORT/api/devices" | head -c 600; echo
