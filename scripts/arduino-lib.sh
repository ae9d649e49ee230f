#!/usr/bin/env bash
# scripts/arduino-lib.sh — assemble the Arduino library (for "Sketch > Include
# Library > Add .ZIP Library" or the libraries/ folder) from the portable
# sources. Arduino compiles everything under a library's src/ and has no way
# to leave files out, so the repository itself cannot be the library (its
# src/ also holds the hosted edge, CLI and client, and the x86 SIMD paths);
# PlatformIO can, through library.json at the repository root.
#
#   scripts/arduino-lib.sh [OUT]          OUT/SCIoT/ and OUT/SCIoT.zip (default build-arduino)
#   scripts/arduino-lib.sh --check [OUT]  also compile the library as Arduino would see it:
#                                         every source with only OUT/SCIoT/src on the include path,
#                                         as gnu99 and as gnu17 (the ESP32 cores' C dialects),
#                                         warnings as errors, and SCIoT.h from C++
# The ESP32 build itself is not exercised here (no Xtensa toolchain): see docs/PORTS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=0
[ "${1:-}" = "--check" ] && { check=1; shift; }
out="${1:-$root/build-arduino}"
lib="$out/SCIoT"

rm -rf "$lib" "$out/SCIoT.zip"
mkdir -p "$lib/src/sciot" "$lib/examples"
cp "$root/arduino/library.properties" "$lib/"
cp "$root/include/SCIoT.h" "$lib/src/"
cp "$root"/include/sciot/*.h "$lib/src/sciot/"
for part in common model kernels engine wire device planner; do
  mkdir -p "$lib/src/$part"
  for f in "$root"/src/$part/*.[ch]; do
    case "$f" in *_avx2.c | *simd_avx2.h) continue ;; esac
    cp "$f" "$lib/src/$part/"
  done
done
mkdir -p "$lib/examples/esp32_split"
cp "$root/examples/esp32_split/esp32_split.ino" "$lib/examples/esp32_split/"
cp "$root/firmware/cortex-m/embed.cmake" "$lib/examples/esp32_split/"
sed -i 's|<sciot>/firmware/cortex-m/embed.cmake|embed.cmake|' "$lib/examples/esp32_split/esp32_split.ino"
[ -f "$root/docs/PORTS.md" ] && cp "$root/docs/PORTS.md" "$lib/README.md"
if command -v zip >/dev/null 2>&1; then
  (cd "$out" && zip -qr SCIoT.zip SCIoT)
  echo "Arduino library: $lib and $out/SCIoT.zip"
else
  echo "Arduino library: $lib (no zip command: zip the SCIoT folder to install it as a .ZIP library)"
fi
[ $check = 1 ] || exit 0

# CC / CXX may carry flags (e.g. CC="arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb")
cc="${CC:-cc}"
cxx="${CXX:-c++}"
n=0
for std in gnu99 gnu17; do
  for f in $(find "$lib/src" -name '*.c' | sort); do
    $cc -std=$std -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$lib/src" -c "$f" -o "$out/check.o"
    n=$((n + 1))
  done
done
printf '#include <SCIoT.h>\nint main() { sciot_device d; sciot_device_platform p = {}; (void)d; (void)p; return 0; }\n' \
  >"$out/check.cpp"
$cxx -std=gnu++17 -Wall -Wextra -Werror -I"$lib/src" -c "$out/check.cpp" -o "$out/check.o"
rm -f "$out/check.o" "$out/check.cpp"
echo "check: $n compilations (gnu99, gnu17) with only src/ on the include path, and SCIoT.h from C++: ok"
