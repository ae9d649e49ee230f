# embed.cmake — turn a binary file into a C array, at build time.
#   cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake
# Writes: const uint8_t NAME[] (16-byte aligned, as the model reader wants),
# const size_t NAME_len and const uint8_t NAME_sha256[32] (the file's
# SHA-256, the model identity on the wire, so that a device need not hash
# its model at boot). The generated file lives in the build
# directory and is never committed.
if(NOT IN OR NOT OUT OR NOT NAME)
  message(FATAL_ERROR "embed.cmake: IN, OUT and NAME are required")
endif()
if(NOT EXISTS "${IN}")
  message(FATAL_ERROR "embed.cmake: ${IN} does not exist (set SCIOT_MODELS)")
endif()
file(READ "${IN}" hex HEX)
file(SIZE "${IN}" n)
file(SHA256 "${IN}" sha)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," sha "${sha}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
# 16 values a line (CMake regular expressions have no {n} repetition)
string(REPEAT "0x..," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n    " body "${body}")
file(WRITE "${OUT}.tmp"
  "/* Generated at build time from ${IN} by embed.cmake: do not commit. */\n"
  "#include <stddef.h>\n#include <stdint.h>\n\n"
  "__attribute__((aligned(16))) const uint8_t ${NAME}[${n}] = {\n    ${body}\n};\n"
  "const size_t ${NAME}_len = ${n};\n"
  "const uint8_t ${NAME}_sha256[32] = {${sha}};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
