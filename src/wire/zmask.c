/* zmask.c — zero-point mask coding of tensor payloads (wire encoding 2).
 *
 * Post-ReLU int8 activations in NHWC order hold 30-50 % zero points, but
 * interleaved across channels, so byte runs are short and run-length coding
 * gains little. The mask coding spends one bit per byte instead: per group of
 * 8 raw bytes, a mask byte (bit i, least significant first, set when byte i
 * differs from the fill byte) followed by the differing bytes. The fill byte
 * is the tensor's zero point. Size = ceil(n / 8) + (bytes != fill). One pass,
 * no state, no memory: cheap on a microcontroller. */
#include <string.h>

#include "wire/wire_internal.h"

size_t sciot_zmask_size(const uint8_t *src, size_t len, uint8_t fill)
{
    size_t n = (len + 7) / 8;
    for (size_t i = 0; i < len; i++)
        n += src[i] != fill;
    return n;
}

size_t sciot_zmask_encode(const uint8_t *src, size_t len, uint8_t fill, uint8_t *dst, size_t cap)
{
    size_t out = 0;
    for (size_t g = 0; g < len; g += 8) {
        size_t n = len - g < 8 ? len - g : 8;
        if (out >= cap)
            return 0;
        size_t mpos = out++;
        uint8_t mask = 0;
        for (size_t i = 0; i < n; i++) {
            if (src[g + i] == fill)
                continue;
            if (out >= cap)
                return 0;
            mask |= (uint8_t)(1u << i);
            dst[out++] = src[g + i];
        }
        dst[mpos] = mask;
    }
    return out;
}

sciot_rle_result sciot_zmask_walk(const uint8_t *src, size_t len, uint8_t fill, uint8_t *dst, size_t raw_len,
                                  size_t *at)
{
    size_t in = 0;
    for (size_t g = 0; g < raw_len; g += 8) {
        size_t n = raw_len - g < 8 ? raw_len - g : 8;
        if (in >= len) {
            *at = in;
            return SCIOT_RLE_UNDERRUN;
        }
        uint8_t mask = src[in++];
        if (n < 8 && (mask >> n)) {
            *at = in - 1;
            return SCIOT_RLE_OVERRUN; /* bits for bytes past raw_len */
        }
        /* the two common groups in one step: all fill, all literal */
        if (n == 8 && mask == 0) {
            if (dst)
                memset(dst + g, fill, 8);
            continue;
        }
        if (n == 8 && mask == 0xFF && len - in >= 8) {
            if (dst)
                memcpy(dst + g, src + in, 8);
            in += 8;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            uint8_t v = fill;
            if (mask & (1u << i)) {
                if (in >= len) {
                    *at = in;
                    return SCIOT_RLE_UNDERRUN;
                }
                v = src[in++];
            }
            if (dst)
                dst[g + i] = v;
        }
    }
    if (in != len) {
        *at = in;
        return SCIOT_RLE_TRAILING;
    }
    *at = in;
    return SCIOT_RLE_OK;
}
