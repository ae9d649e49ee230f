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
# Exit status: the test's (0 = all passed); 77 (= skipped, for CTest) when
# the cross compiler, qemu-aarch64 or the models are missing.
# Environment: SCIOT_MODELS (default ../shared/models), SCIOT_AARCH64_BUILD
# (default build-aarch64 in the repository), CROSS (default aarch64-linux-gnu-).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SCIOT_AARCH64_BUILD:-$root/build-aarch64}"
cross="${CROSS:-aarch64-linux-gnu-}"
cc="${cross}gcc"
ar="${cross}ar"
run=1
[ "${1:-}" = "--build" ] && run=0

qemu=""
for q in qemu-aarch64 qemu-aarch64-static; do
  command -v "$q" >/dev/null 2>&1 && { qemu="$q"; break; }
done
if ! command -v "$cc" >/dev/null 2>&1 || { [ $run = 1 ] && [ -z "$qemu" ]; }; then
  echo "SKIP: needs $cc and qemu-aarch64 (Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
  exit 77
fi
models="${SCIOT_MODELS:-$root/../shared/models}"
if [ $run = 1 ] && [ ! -f "$models/index.json" ]; then
  echo "SKIP: no models at $models (set SCIOT_MODELS)"
  exit 77
fi

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
