/* rle.c — the run-length coding of frame payloads (docs/PROTOCOL.md,
 * "Run-length coding"). A stream of tokens, each starting with a control
 * byte t:
 *   0x00..0x7F  literal: the next t + 1 bytes are copied (1..128 bytes);
 *   0x80..0xFF  run: the next byte is repeated t - 0x80 + 3 times (3..130).
 *
 * Encoder: one pass, greedy. At a token boundary it measures the run of
 * equal bytes (at most 130, stopping at the first different byte); a run of
 * 3 or more becomes a run token; otherwise a literal token takes the bytes up
 * to the next place where 3 equal bytes start (or 128 bytes, or the end) and
 * copies them with one memcpy. Every input byte is looked at a bounded number
 * of times (at most 3 comparisons); no memory beyond the output.
 * Output bound: a run token saves at least one byte, which pays for the
 * control byte of the literal after it, so the output never exceeds
 * len + len / 128 + 1 bytes (sciot_rle_bound).
 *
 * Decoder: writes exactly raw_len bytes; a token that would write past
 * raw_len, a stream that ends early (or inside a token), and bytes left after
 * raw_len are all SCIOT_ERR_LENGTH. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sciot/wire.h"
#include "wire_internal.h"

#define RLE_MIN_RUN 3
#define RLE_MAX_RUN 130
#define RLE_MAX_LIT 128

size_t sciot_rle_bound(size_t len)
{
    size_t extra = len / RLE_MAX_LIT + 1;
    return len > SIZE_MAX - extra ? SIZE_MAX : len + extra;
}

size_t sciot_rle_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    size_t i = 0, o = 0;
    if (!len || !src || !dst)
        return 0;
    while (i < len) {
        const uint8_t b = src[i];
        const size_t max = len - i < RLE_MAX_RUN ? len - i : RLE_MAX_RUN;
        size_t r = 1;
        while (r < max && src[i + r] == b)
            r++;
        if (r >= RLE_MIN_RUN) { /* run token */
            if (cap - o < 2)
                return 0;
            dst[o++] = (uint8_t)(0x80u + (r - RLE_MIN_RUN));
            dst[o++] = b;
            i += r;
            continue;
        }
        /* literal: these r (1 or 2) bytes and every following byte up to
         * the start of a run of 3, the end, or 128 bytes */
        size_t j = i + r;
        while (j < len && j - i < RLE_MAX_LIT) {
            if (len - j > 2 && src[j] == src[j + 1] && src[j] == src[j + 2])
                break;
            j++;
        }
        const size_t n = j - i; /* 1..128 */
        if (cap - o < 1 + n)
            return 0;
        dst[o++] = (uint8_t)(n - 1);
        memcpy(dst + o, src + i, n);
        o += n;
        i = j;
    }
    return o;
}

sciot_rle_result sciot_rle_walk(const uint8_t *src, size_t len, uint8_t *dst, size_t raw_len, size_t *at)
{
    size_t i = 0, o = 0, dummy;
    if (!at)
        at = &dummy;
    while (o < raw_len) {
        size_t n;
        *at = i;
        if (i >= len)
            return SCIOT_RLE_UNDERRUN;
        const uint8_t t = src[i];
        if (t < 0x80) {
            n = (size_t)t + 1;
            if (n > raw_len - o)
                return SCIOT_RLE_OVERRUN;
            if (n > len - i - 1)
                return SCIOT_RLE_UNDERRUN;
            if (dst)
                memcpy(dst + o, src + i + 1, n);
            i += 1 + n;
        } else {
            n = (size_t)t - 0x80 + RLE_MIN_RUN;
            if (n > raw_len - o)
                return SCIOT_RLE_OVERRUN;
            if (len - i < 2)
                return SCIOT_RLE_UNDERRUN;
            if (dst)
                memset(dst + o, src[i + 1], n);
            i += 2;
        }
        o += n;
    }
    *at = i;
    return i == len ? SCIOT_RLE_OK : SCIOT_RLE_TRAILING;
}

const char *sciot_rle_result_text(sciot_rle_result r)
{
    switch (r) {
    case SCIOT_RLE_OK:
        return "ok";
    case SCIOT_RLE_OVERRUN:
        return "a token writes past the raw length";
    case SCIOT_RLE_UNDERRUN:
        return "the stream ends before the raw length";
    case SCIOT_RLE_TRAILING:
        return "bytes left after the raw length";
    }
    return "?";
}

sciot_status sciot_rle_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t raw_len)
{
    if ((len && !src) || (raw_len && !dst))
        return SCIOT_ERR_INVALID_ARG;
    return sciot_rle_walk(src, len, dst, raw_len, NULL) == SCIOT_RLE_OK ? SCIOT_OK : SCIOT_ERR_LENGTH;
}
