/* concat.c — CONCATENATION for any element size, as TFLite's reference:
 * for each of `outer` slices, copy input 0's in_axis_inner[0] elements, then
 * input 1's, ... into the output. Inputs must not overlap the output. */
#include <stdint.h>
#include <string.h>
#include "sciot/kernels.h"

sciot_status sciot_concat(size_t elem_size, int32_t n, const void *const *inputs,
                          const size_t *in_axis_inner, size_t outer, void *out)
{
    if (elem_size == 0 || n <= 0 || !inputs || !in_axis_inner || !out)
        return SCIOT_ERR_INVALID_ARG;
    size_t total_inner = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (!inputs[i])
            return SCIOT_ERR_INVALID_ARG;
        if (in_axis_inner[i] > SIZE_MAX / elem_size - total_inner)
            return SCIOT_ERR_SHAPE;
        total_inner += in_axis_inner[i];
    }
    if (total_inner != 0 && outer > SIZE_MAX / elem_size / total_inner)
        return SCIOT_ERR_SHAPE;

    unsigned char *dst = (unsigned char *)out;
    for (size_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < n; ++i) {
            const size_t bytes = in_axis_inner[i] * elem_size;
            if (bytes == 0)
                continue;
            memcpy(dst, (const unsigned char *)inputs[i] + o * bytes, bytes);
            dst += bytes;
        }
    }
    return SCIOT_OK;
}
