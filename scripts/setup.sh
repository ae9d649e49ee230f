#!/usr/bin/env bash
# Install every Debian package SCIoT needs to build, test and benchmark.
# Idempotent; needs root (or sudo). Set SCIOT_SKIP_APT=1 to skip.
set -euo pipefail
[ "${SCIOT_SKIP_APT:-0}" = 1 ] && exit 0
PKGS=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # libFuzzer, sanitizers
  libcjson-dev libstb-dev libcmocka-dev
  libxnnpack-dev libpthreadpool-dev   # benchmark anchor
  libcivetweb-dev libmosquitto-dev mosquitto libsqlite3-dev sqlite3 libyaml-dev
  libcurl4-openssl-dev                # device client (HTTP)
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm   # Cortex-M4F firmware under qemu
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user       # aarch64 (Raspberry Pi) under qemu-user
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
