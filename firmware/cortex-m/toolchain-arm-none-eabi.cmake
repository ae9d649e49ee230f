# CMake toolchain file: bare-metal Arm Cortex-M4F with the GNU Arm toolchain
# (Debian: gcc-arm-none-eabi + libnewlib-arm-none-eabi).
#
#   cmake -S firmware/cortex-m -B build-fw -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=firmware/cortex-m/toolchain-arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(SCIOT_ARM_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the bare-metal Arm GNU tools")
find_program(CMAKE_C_COMPILER ${SCIOT_ARM_PREFIX}gcc REQUIRED)
find_program(CMAKE_AR ${SCIOT_ARM_PREFIX}ar REQUIRED)
find_program(CMAKE_RANLIB ${SCIOT_ARM_PREFIX}ranlib REQUIRED)
find_program(CMAKE_OBJCOPY ${SCIOT_ARM_PREFIX}objcopy)
find_program(CMAKE_SIZE ${SCIOT_ARM_PREFIX}size)

# No OS to link a test program against: check the compiler with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Cortex-M4 with the single-precision FPU, hard-float calling convention.
set(SCIOT_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
set(CMAKE_C_FLAGS_INIT "${SCIOT_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${SCIOT_CPU_FLAGS} -Wl,--gc-sections")
# -O2 (not CMake's default -O3): the usual size/speed balance on a microcontroller.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "C flags of Release builds")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
