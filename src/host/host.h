/* host.h — hosted-only helpers shared by the CLI, the tests and the
 * benchmarks: whole-file I/O, image decoding into a model input, a
 * monotonic clock. Not part of the microcontroller build. */
#ifndef SCIOT_HOST_H
#define SCIOT_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/model.h"
#include "sciot/status.h"

/* Read a whole file into a 64-byte-aligned malloc'd buffer (free with free()). */
sciot_status sciot_read_file(const char *path, uint8_t **data, size_t *len, sciot_error *err);
sciot_status sciot_write_file(const char *path, const void *data, size_t len, sciot_error *err);

/* Fill `dst` (tensor t's bytes) from a file: fed as is when its size equals
 * the tensor's bytes; otherwise decoded as an image (PNG/JPEG/BMP/...),
 * converted to the tensor's channel count, resized (bilinear) to its H x W
 * and quantized with its scale/zero point (int8: q = round(v/255/scale)+zp,
 * i.e. pixel values in [0,1]; float32: v/255). A raw RGB565 file of
 * H*W*2 bytes is accepted too. */
sciot_status sciot_load_input(const char *path, const sciot_tensor *t, void *dst, sciot_error *err);

/* {"tensor","dtype","shape","scale","zero_point","data"} of tensor t's bytes
 * (int8/uint8/int16/int32 as integers, float32 as numbers). */
struct cJSON;
struct cJSON *sciot_tensor_json(const sciot_model *m, int32_t t, const void *data);

/* Fill a tensor's bytes with xorshift32 noise from *state (float32: values
 * in [0, 1)); deterministic for a given state. */
void sciot_fill_random(const sciot_tensor *t, void *dst, uint32_t *state);

/* Monotonic microseconds. */
uint64_t sciot_now_us(void);

#endif
