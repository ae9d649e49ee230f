#!/usr/bin/env bash
# firmware/cortex-m/run.sh — build the Cortex-M4F firmware and run it under
# QEMU (MPS2 AN386), with -icount shift=0 so that the instruction counts are
# exact. Exit status: the firmware's (0 = every prediction bit-exact);
# 77 (= skipped, for CTest) when the cross toolchain, QEMU or the models are
# missing.
#
#   firmware/cortex-m/run.sh [--no-icount] [extra cmake -D options...]
#
# Environment: SCIOT_MODELS (default ../shared/models), SCIOT_FW_BUILD
# (build directory, default build-fw in the repository), SCIOT_FW_TIMEOUT
# (seconds, default 600).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${SCIOT_FW_BUILD:-$root/build-fw}"
models="${SCIOT_MODELS:-$root/../shared/models}"
timeout_s="${SCIOT_FW_TIMEOUT:-600}"
icount=(-icount shift=0)
cmake_args=()
for a in "$@"; do
  case "$a" in
    --no-icount) icount=() ;;
    -D*) cmake_args+=("$a") ;;
    *) echo "usage: $0 [--no-icount] [-DVAR=value ...]" >&2; exit 2 ;;
  esac
done

missing=()
for t in arm-none-eabi-gcc qemu-system-arm cmake; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "SKIP: ${missing[*]} not installed" \
       "(Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
  exit 77
fi
if ! echo 'int main(void){return 0;}' | arm-none-eabi-gcc -x c - -o /dev/null --specs=nosys.specs \
     -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard >/dev/null 2>&1; then
  echo "SKIP: arm-none-eabi-gcc cannot link (install libnewlib-arm-none-eabi)"
  exit 77
fi
if [ ! -f "$models/person_detect/model.tflite" ]; then
  echo "SKIP: no models at $models (set SCIOT_MODELS)"
  exit 77
fi
models="$(cd "$models" && pwd)"

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ -f "$build/CMakeCache.txt" ] && ! grep -q "^CMAKE_HOME_DIRECTORY:INTERNAL=$here\$" "$build/CMakeCache.txt"; then
  echo "error: $build holds another CMake project; set SCIOT_FW_BUILD" >&2
  exit 2
fi
[ -f "$build/CMakeCache.txt" ] && gen=()
mkdir -p "$build"
cmake -S "$here" -B "$build" "${gen[@]}" -DCMAKE_TOOLCHAIN_FILE="$here/toolchain-arm-none-eabi.cmake" \
      -DSCIOT_MODELS="$models" "${cmake_args[@]}" >"$build/configure.log" 2>&1 \
  || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" >"$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }
sed -n '/Memory region/,/RAM:/p' "$build/build.log"

echo "+ qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native ${icount[*]} -kernel $build/fw.elf"
start=$(date +%s%N)
set +e
# semihosting output goes to QEMU's stderr when no chardev is named
timeout "$timeout_s" qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native "${icount[@]}" -kernel "$build/fw.elf" </dev/null 2>&1
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
echo "qemu wall time: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s, exit status $rc"
if [ $rc -eq 124 ]; then
  echo "FAIL: the firmware did not finish within ${timeout_s} s"
fi
exit $rc
