#!/usr/bin/env bash
# scripts/cross-aarch64.sh — cross-build the portable library for 64-bit Arm
# Linux (Raspberry Pi 3/4/5 with a 64-bit OS) with warnings as errors, link
# the self-contained port test (tests/ports/port_golden.c: library + libc
# only) statically, and run it under qemu-user against every model in
# $SCIOT_MODELS/index.json (int8 bit-exact, float32 within tolerance, the
# device core's fallback at every split for the int8 models).
#
#   scripts/cross-aarch64.sh            build + run under qemu-aarch64
#   scripts/cross-aarch64.sh --build    build only (copy build-aarch64/port_golden to a Pi and run it there)
#
# --client: the whole project instead — the real `sciot` binary (engine,
# edge, the device client with its HTTP/WebSocket/MQTT transports) — cross-
# built with CMake (cmake/aarch64-linux-gnu.cmake) against the arm64 hosted
# libraries from Debian multiarch (libcurl, cJSON, stb, civetweb, mosquitto,
# SQLite, libyaml), dynamically linked, run under qemu-aarch64:
#   1. `sciot run MODEL CASE --split all --json` on every int8 golden case of
#      every model in $SCIOT_MODELS: exit 0 (every split equals the whole-model
#      run) and the output equal to the case's .out.bin byte for byte;
#   2. a native x86-64 `sciot edge` on loopback and the aarch64
#      `sciot device --count 5 --json` against it over HTTP and WebSocket:
#      every output equals the golden [-113, 113], the first inference is
#      local (cold start), the later ones split or edge, no error.
#   scripts/cross-aarch64.sh --client            build + run
#   scripts/cross-aarch64.sh --client --build    build only (build-aarch64/client/sciot)
#   scripts/cross-aarch64.sh --client --setup    first install the arm64 packages
#                                                (scripts/setup.sh --arm64; root)
#
# Exit status: the test's (0 = all passed); 77 (= skipped, for CTest) when
# the cross compiler, qemu-aarch64, the models or (--client) the arm64
# packages are missing.
# Environment: SCIOT_MODELS (default ../shared/models), SCIOT_AARCH64_BUILD
# (default build-aarch64 in the repository), CROSS (default aarch64-linux-gnu-),
# SCIOT_NATIVE_SCIOT (--client: the x86-64 `sciot` that serves as the edge;
# default build/sciot, else built in $SCIOT_AARCH64_BUILD/native).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SCIOT_AARCH64_BUILD:-$root/build-aarch64}"
cross="${CROSS:-aarch64-linux-gnu-}"
cc="${cross}gcc"
ar="${cross}ar"
run=1
client=0
setup=0
for a in "$@"; do
  case "$a" in
    --build) run=0 ;;
    --client) client=1 ;;
    --setup) setup=1 ;;
    *) echo "usage: $0 [--client [--setup]] [--build]" >&2; exit 2 ;;
  esac
done

qemu=""
for q in qemu-aarch64 qemu-aarch64-static; do
  command -v "$q" >/dev/null 2>&1 && { qemu="$q"; break; }
done
if [ $client = 1 ] && [ $setup = 1 ]; then
  bash "$root/scripts/setup.sh" --arm64
fi
if ! command -v "$cc" >/dev/null 2>&1 || { [ $run = 1 ] && [ -z "$qemu" ]; }; then
  echo "SKIP: needs $cc and qemu-aarch64 (Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
  exit 77
fi
models="${SCIOT_MODELS:-$root/../shared/models}"
if [ $run = 1 ] && [ ! -f "$models/index.json" ]; then
  echo "SKIP: no models at $models (set SCIOT_MODELS)"
  exit 77
fi

# ---- --client: the whole project for aarch64 (multiarch), under qemu-user ----
client_main() {
  local arm64_pkgs=(libcurl4-openssl-dev libcjson-dev libstb-dev libcivetweb-dev libmosquitto-dev
                    libsqlite3-dev libyaml-dev)
  local missing=() p
  for p in "${arm64_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q "install ok installed" || missing+=("$p:arm64")
  done
  for p in cmake ninja pkg-config; do
    command -v "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "SKIP: the aarch64 client needs the arm64 hosted libraries (Debian multiarch); missing: ${missing[*]}"
    echo "      install them with: scripts/setup.sh --arm64   (dpkg --add-architecture arm64 + the :arm64 -dev packages; root)"
    exit 77
  fi
  local cbuild="$build/client"
  mkdir -p "$build"
  echo "+ cmake -S $root -B $cbuild -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DSCIOT_BUILD_BENCH=OFF -DSCIOT_BUILD_TESTS=OFF"
  CROSS="$cross" cmake -S "$root" -B "$cbuild" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
        -DSCIOT_BUILD_BENCH=OFF -DSCIOT_BUILD_TESTS=OFF >"$cbuild.configure.log" 2>&1 \
    || { cat "$cbuild.configure.log"; echo "FAIL: configure (log above)"; exit 1; }
  cmake --build "$cbuild" --target sciot_cli
  local sciot="$cbuild/sciot"
  file "$sciot" 2>/dev/null | sed 's/, BuildID[^,]*//' || true
  [ $run = 1 ] || exit 0

  # Dynamic binary: loader, libc and libraries all from the arm64 multiarch
  # packages (/lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu). Not
  # -L /usr/aarch64-linux-gnu: that loader (libc6-arm64-cross, 2.36-8cross1)
  # would load the multiarch libc.so.6 (libc6:arm64, 2.36-9+deb12u*) found
  # through /etc/ld.so.cache, and a loader and libc of different builds break
  # in pthread_create (the WebSocket client spun at 100 % CPU there).
  export QEMU_LD_PREFIX=/
  local models_abs
  models_abs="$(cd "$models" && pwd)"
  local fails=0 passed=0 start ms

  # -- 1. every int8 golden case, whole model and every split --------------
  echo "+ QEMU_LD_PREFIX=$QEMU_LD_PREFIX $qemu $sciot run MODEL CASE --split all --json   (every int8 case in $models_abs)"
  start=$(date +%s%N)
  local m model in out json rc dtype got want name
  for m in "$models_abs"/*/; do
    model="$m/model.tflite"
    [ -f "$model" ] || continue
    for in in "$m"cases/*.in.bin; do
      [ -f "$in" ] || continue
      out="${in%.in.bin}.out.bin"
      name="$(basename "$m")/$(basename "${in%.in.bin}")"
      [ -f "$out" ] || { echo "FAIL $name: no $out"; fails=$((fails + 1)); continue; }
      set +e
      json="$("$qemu" "$sciot" run "$model" "$in" --split all --json 2>/tmp/sciot_a64_err.$$)"
      rc=$?
      set -e
      dtype="$(printf '%s' "$json" | grep -o '"dtype":"[a-z0-9]*"' | head -1 | sed 's/.*:"//; s/"//')"
      if [ $rc -ne 0 ]; then
        echo "FAIL $name: exit $rc: $(head -c 400 /tmp/sciot_a64_err.$$)"; fails=$((fails + 1)); continue
      fi
      [ "$dtype" = int8 ] || continue        # float32 models: covered by port_golden within tolerance
      got="$(printf '%s' "$json" | grep -o '"data":\[[^]]*\]' | head -1 | sed 's/^"data":\[//; s/\]$//')"
      want="$(od -An -v -td1 "$out" | tr -s ' \n' ',,' | sed 's/^,//; s/,$//')"
      if [ "$got" = "$want" ] && ! printf '%s' "$json" | grep -q '"match":false'; then
        passed=$((passed + 1))
      else
        echo "FAIL $name: output [${got:0:120}] golden [${want:0:120}]"; fails=$((fails + 1))
      fi
    done
  done
  rm -f /tmp/sciot_a64_err.$$
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "golden (aarch64 sciot run --split all): $passed passed, $fails failed, qemu wall time $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
  [ $passed -gt 0 ] || { echo "FAIL: no int8 case found under $models_abs"; fails=$((fails + 1)); }

  # -- 2. aarch64 device against a native edge, HTTP and WebSocket -----------
  local native="${SCIOT_NATIVE_SCIOT:-$root/build/sciot}"
  if [ ! -x "$native" ]; then
    native="$build/native/sciot"
    echo "+ native sciot for the edge: cmake --build $build/native"
    cmake -S "$root" -B "$build/native" -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DSCIOT_BUILD_BENCH=OFF -DSCIOT_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build/native" --target sciot_cli >/dev/null
  fi
  local pd="$models_abs/person_detect"
  if [ ! -f "$pd/model.tflite" ]; then
    echo "FAIL: no person_detect under $models_abs"; exit 1
  fi
  local tmp edge_pid="" port=""
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/sciot-a64.XXXXXX")"
  # shellcheck disable=SC2064
  trap "[ -n \"\$edge_pid\" ] && kill \$edge_pid 2>/dev/null; wait 2>/dev/null; rm -rf '$tmp'" EXIT
  "$native" edge --model "$pd/model.tflite" --host 127.0.0.1 --port 0 --db "$tmp/edge.db" >"$tmp/edge.log" 2>&1 &
  edge_pid=$!

  for _ in $(seq 100); do
    port="$(sed -n 's/^sciot edge: ready http=http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/edge.log")"
    [ -n "$port" ] && break
    kill -0 $edge_pid 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "FAIL: the native edge did not start:"; cat "$tmp/edge.log"; exit 1
  fi
  echo "native edge: $(head -1 "$tmp/edge.log" | cut -c1-80)..."
  local url lines n line where err output
  for url in "http://127.0.0.1:$port" "ws://127.0.0.1:$port/ws"; do
    echo "+ $qemu $sciot device --edge $url --model person_detect --input cases/tflm_person_bmp.in.bin --count 5 --json"
    start=$(date +%s%N)
    set +e
    lines="$("$qemu" "$sciot" device --edge "$url" --model "$pd/model.tflite" \
              --input "$pd/cases/tflm_person_bmp.in.bin" --count 5 --json \
              --device-id "aarch64-${url%%:*}" --queue "$tmp/queue-${url%%:*}" 2>"$tmp/device.err")"
    rc=$?
    set -e
    ms=$((($(date +%s%N) - start) / 1000000))
    local bad=0 wheres=""
    n=0
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      n=$((n + 1))
      where="$(printf '%s' "$line" | grep -o '"where":"[a-z]*"' | sed 's/.*:"//; s/"//')"
      err="$(printf '%s' "$line" | grep -o '"error":null' || true)"
      output="$(printf '%s' "$line" | grep -o '"output":\[[^]]*\]' | sed 's/^"output"://')"
      wheres="$wheres $where"
      [ "$output" = "[-113,113]" ] || { echo "  request $n: output $output, golden [-113,113]"; bad=1; }
      [ -n "$err" ] || { echo "  request $n: error: $(printf '%s' "$line" | grep -o '"error":"[^"]*"')"; bad=1; }
      if [ $n = 1 ]; then
        [ "$where" = local ] || { echo "  request 1: where=$where, expected local (cold start)"; bad=1; }
      else
        case "$where" in split | edge) ;; *) echo "  request $n: where=$where, expected split or edge"; bad=1 ;; esac
      fi
    done <<<"$lines"
    [ $rc = 0 ] || { echo "  exit status $rc"; bad=1; }
    [ $n = 5 ] || { echo "  $n JSON lines, expected 5"; bad=1; }
    if [ $bad = 0 ]; then
      echo "device over ${url%%:*}: 5/5 = [-113,113], where:$wheres; qemu wall time $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
      grep '^sciot device: 5 inferences' "$tmp/device.err" | sed 's/^/  /' || true
    else
      echo "FAIL device over ${url%%:*}:"; printf '%s\n' "$lines"; sed 's/^/  stderr: /' "$tmp/device.err"
      fails=$((fails + 1))
    fi
  done
  kill $edge_pid 2>/dev/null || true
  wait $edge_pid 2>/dev/null || true
  edge_pid=""
  if [ $fails = 0 ]; then
    echo "aarch64 client: all passed"
    exit 0
  fi
  echo "aarch64 client: $fails failure(s)"
  exit 1
}
[ $client = 1 ] && client_main

# The portable parts: everything but host/, cli/, edge/, client/ and the x86 SIMD paths.
cflags=(-std=c11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$root/include" -I"$root/src")
mkdir -p "$build/obj"
srcs=()
for part in common model kernels engine wire device planner; do
  for f in "$root"/src/$part/*.c; do
    case "$f" in *_avx2.c) continue ;; esac
    srcs+=("$f")
  done
done
echo "+ $cc ${cflags[*]} -c <${#srcs[@]} library sources>"
printf '%s\n' "${srcs[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'o="$1/obj/$(echo "$2" | sed "s|^$3/src/||; s|/|_|g; s|\.c$|.o|")"; '"$cc"' '"${cflags[*]}"' -c "$2" -o "$o" || exit 255' \
  sh "$build" {} "$root"
rm -f "$build/libsciot.a"
"$ar" rcs "$build/libsciot.a" "$build"/obj/*.o
echo "+ $cc -static ... tests/ports/port_golden.c libsciot.a -lm"
"$cc" "${cflags[@]}" -static "$root/tests/ports/port_golden.c" "$build/libsciot.a" -lm -o "$build/port_golden"
file "$build/port_golden" 2>/dev/null | sed 's/, BuildID[^,]*//' || true
[ $run = 1 ] || exit 0

models="$(cd "$models" && pwd)"
echo "+ SCIOT_MODELS=$models $qemu $build/port_golden"
start=$(date +%s%N)
set +e
SCIOT_MODELS="$models" "$qemu" "$build/port_golden"
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
echo "qemu-aarch64 wall time: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s, exit status $rc"
exit $rc
