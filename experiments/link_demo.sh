#!/bin/sh
# link_demo.sh — the split follows the link (docs/EXPERIMENTS.md).
#
# sciot edge (FOMO face detection) <- sciot link (a scheduled Wi-Fi link)
# <- sciot device (a device --slowdown times slower than this machine).
# The link steps through a fast, a medium, a slow link and back; every
# inference line of the device is stamped with the time since the link
# started, and the summary gives, per phase of the schedule, the splits the
# device ran and the mean latency.
#
#   SCIOT=build/sciot SCIOT_MODELS=../shared/models sh experiments/link_demo.sh
#
# Variables: SCIOT (the binary), SCIOT_MODELS, SLOWDOWN (default 600),
# PHASE_S (seconds per phase, default 8), INTERVAL_MS (default 300).
set -eu
SCIOT=${SCIOT:-build/sciot}
MODELS=${SCIOT_MODELS:-../shared/models}
SLOWDOWN=${SLOWDOWN:-600}
PHASE_S=${PHASE_S:-8}
INTERVAL_MS=${INTERVAL_MS:-300}
M=$MODELS/fomo_face/model.tflite
IN=$MODELS/fomo_face/cases/openmv_faces_crop.in.bin
W=$(mktemp -d /tmp/sciot_link_demo.XXXXXX)
EDGE= LINK=
cleanup() {
    [ -n "$LINK" ] && kill "$LINK" 2>/dev/null && wait "$LINK" 2>/dev/null
    [ -n "$EDGE" ] && kill "$EDGE" 2>/dev/null && wait "$EDGE" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

# wait_line FILE: until FILE holds a "ready" line
wait_line() {
    i=0
    until grep -q ': ready ' "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "no ready line in $1" >&2; exit 1; }
        sleep 0.1
    done
}

"$SCIOT" edge --model "$M" --port 0 --db "$W/edge.db" >"$W/edge.out" 2>"$W/edge.err" &
EDGE=$!
wait_line "$W/edge.out"
EPORT=$(sed -n 's/.*http=http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$W/edge.out")

# phases: rate (bytes/s) and one-way delay (ms); RTT = 2 x delay
P1="2000000 5" P2="100000 10" P3="20000 30" P4="2000000 5"
set -- $P2; R2=$1 D2=$2
set -- $P3; R3=$1 D3=$2
set -- $P4; R4=$1 D4=$2
cat >"$W/schedule.json" <<EOF
[{"at_s": $PHASE_S, "rate": $R2, "delay_ms": $D2},
 {"at_s": $((2 * PHASE_S)), "rate": $R3, "delay_ms": $D3},
 {"at_s": $((3 * PHASE_S)), "rate": $R4, "delay_ms": $D4}]
EOF
set -- $P1
"$SCIOT" link --to "127.0.0.1:$EPORT" --rate "$1" --delay-ms "$2" --schedule "$W/schedule.json" \
    >"$W/link.out" 2>"$W/link.err" &
LINK=$!
wait_line "$W/link.out"
T0=$(date +%s.%N)
LPORT=$(sed -n 's/.*ready 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$W/link.out")
cat "$W/edge.out" "$W/link.out"

# the device, each JSON line stamped with the seconds since the link started
# (SIGINT after four phases: the device finishes its inference and exits)
timeout -s INT $((4 * PHASE_S)) "$SCIOT" device --model "$M" --edge "http://127.0.0.1:$LPORT" \
    --input "$IN" --count 0 --interval "$INTERVAL_MS" --slowdown "$SLOWDOWN" --json \
    --device-id demo --queue "$W/queue" 2>"$W/device.err" |
    while IFS= read -r line; do
        printf '%s %s\n' "$(date +%s.%N)" "$line"
    done >"$W/device.json"
tail -n 3 "$W/device.err"
sleep 1 # the device's connection closes through the link
kill "$LINK"; wait "$LINK" 2>/dev/null || true; LINK=
cat "$W/link.err"

# t split where network_ms total_ms -> per phase: requests, splits (k x count), mean total
sed -E 's/^([0-9.]+) .*"split":([0-9]+).*"where":"([a-z]+)".*"network_ms":([0-9.]+).*"total_ms":([0-9.]+).*/\1 \2 \3 \4 \5/' \
    "$W/device.json" |
    awk -v t0="$T0" -v ps="$PHASE_S" -v p1="$P1" -v p2="$P2" -v p3="$P3" -v p4="$P4" '
    { t = $1 - t0; p = int(t / ps) + 1; if (p > 4) p = 4
      n[p]++; tot[p] += $5; c[p, $2]++; if (!((p, $2) in seen)) { seen[p, $2] = 1; ks[p] = ks[p] " " $2 } }
    END {
      split(p1 "|" p2 "|" p3 "|" p4, ph, "|")
      for (p = 1; p <= 4; p++) {
        split(ph[p], v, " ")
        s = ""; m = split(ks[p], kk, " ")
        for (i = 1; i <= m; i++) s = s sprintf(" k=%s x%d", kk[i], c[p, kk[i]])
        printf "phase %d  %4.0f-%-4.0f s  rate %8d B/s  RTT %3d ms: %3d inferences, mean %6.1f ms, splits%s\n",
               p, (p - 1) * ps, p * ps, v[1], 2 * v[2], n[p], n[p] ? tot[p] / n[p] : 0, s
      }
    }'
