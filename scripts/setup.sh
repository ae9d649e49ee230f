#!/usr/bin/env bash
# Install every Debian package SCIoT needs to build, test and benchmark.
# Idempotent; needs root (or sudo). Set SCIOT_SKIP_APT=1 to skip.
#
#   scripts/setup.sh           the packages below, then (not fatal) the arm64 ones
#   scripts/setup.sh --arm64   only the arm64 ones (setup_arm64)
#
# setup_arm64: the hosted libraries for arm64 through Debian multiarch, so
# the whole `sciot` binary (device client included) cross-builds for aarch64
# (scripts/cross-aarch64.sh --client, CTest ports/aarch64_client_qemu).
# `dpkg --add-architecture arm64` plus the :arm64 -dev packages; they install
# next to the amd64 ones without conflicts (Debian 12: 55 new packages,
# about 15 s), but apt keeps Multi-Arch: same libraries at one version on
# both architectures, so it may upgrade amd64 libraries (libssl3, libkrb5,
# ...) to the mirror's version. A mirror where arm64 lags amd64 makes that
# install fail: the default run then only warns (the test skips, exit 77).
# Set SCIOT_SKIP_ARM64=1 to leave arm64 alone.
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
# the device client's libraries for arm64 (setup_arm64)
ARM64_PKGS=(
  libcurl4-openssl-dev:arm64 libcjson-dev:arm64 libstb-dev:arm64 libcivetweb-dev:arm64
  libmosquitto-dev:arm64 libsqlite3-dev:arm64 libyaml-dev:arm64
  libcmocka-dev:arm64                 # only to cross-build the unit tests as well
)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

setup_arm64() {
  local missing=() p
  for p in "${ARM64_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
}

if [ "${1:-}" = "--arm64" ]; then
  setup_arm64
  exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
if [ "${SCIOT_SKIP_ARM64:-0}" != 1 ]; then
  setup_arm64 || echo "setup.sh: WARNING: the arm64 packages did not install (above); the aarch64 client test (ports/aarch64_client_qemu) will be skipped" >&2
fi
