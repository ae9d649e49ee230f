# cmake/aarch64-linux-gnu.cmake — cross-build the whole project (library,
# edge, the `sciot` CLI with the device client, tests) for 64-bit Arm Linux
# (Raspberry Pi 3/4/5 with a 64-bit OS) on a Debian x86-64 host.
#
# Needs gcc-aarch64-linux-gnu + libc6-dev-arm64-cross and the hosted
# libraries for arm64 through Debian multiarch (scripts/setup.sh
# setup_arm64: dpkg --add-architecture arm64 + libcurl4-openssl-dev:arm64
# libcjson-dev:arm64 ...), which install their headers and libraries under
# /usr/include/aarch64-linux-gnu and /usr/lib/aarch64-linux-gnu, next to the
# amd64 ones. The cross compiler searches those directories itself; this
# file points CMake and pkg-config at them and keeps the host's x86-64
# libraries out.
#
#   cmake -S . -B build-aarch64-full -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/aarch64-linux-gnu.cmake -DSCIOT_BUILD_BENCH=OFF
#
# Run the binaries under qemu-user with the multiarch loader and libc
# (libc6:arm64, pulled in by the -dev packages): qemu-aarch64 -L / build-aarch64-full/sciot.
# Not -L /usr/aarch64-linux-gnu: the cross toolchain's loader is another build
# of glibc than the multiarch libc.so.6 it would load, and that mix hangs in
# pthread_create. scripts/cross-aarch64.sh --client does all of it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_cross aarch64-linux-gnu)
if(DEFINED ENV{CROSS})              # same variable as scripts/cross-aarch64.sh ("aarch64-linux-gnu-")
  string(REGEX REPLACE "-$" "" _cross "$ENV{CROSS}")
endif()
set(CMAKE_C_COMPILER ${_cross}-gcc)
set(CMAKE_CXX_COMPILER ${_cross}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Multiarch: the sysroot is "/", the arm64 files sit in the aarch64-linux-gnu
# subdirectories; the cross toolchain's own libc is under /usr/aarch64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Never link an x86-64 library: look for libraries only in the arm64 directories.
set(CMAKE_SYSTEM_LIBRARY_PATH /usr/lib/aarch64-linux-gnu /lib/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/include/x86_64-linux-gnu)

# pkg-config: only the arm64 .pc files (and the architecture-independent ones).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Tests that run a built program go through qemu-user.
find_program(_sciot_qemu NAMES qemu-aarch64 qemu-aarch64-static)
if(_sciot_qemu)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${_sciot_qemu};-L;/)
endif()
