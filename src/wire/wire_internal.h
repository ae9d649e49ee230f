/* wire_internal.h — byte-order helpers and shared internals of src/wire/.
 *
 * Every multi-byte field of a frame is read and written one byte at a time
 * (shifts, no pointer casts): no unaligned loads, no dependence on the host's
 * byte order, so the same code is correct on x86, Cortex-M and big-endian
 * hosts. Compilers turn these into single loads/stores where that is legal. */
#ifndef SCIOT_WIRE_INTERNAL_H
#define SCIOT_WIRE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t sciot_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t sciot_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t sciot_ld64(const uint8_t *p)
{
    return (uint64_t)sciot_ld32(p) | (uint64_t)sciot_ld32(p + 4) << 32;
}

static inline void sciot_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void sciot_st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void sciot_st64(uint8_t *p, uint64_t v)
{
    sciot_st32(p, (uint32_t)v);
    sciot_st32(p + 4, (uint32_t)(v >> 32));
}

/* IEEE-754 binary32 <-> its bit pattern (memcpy: no aliasing games). */
static inline uint32_t sciot_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float sciot_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Result of walking an RLE stream (sciot_rle_walk). */
typedef enum {
    SCIOT_RLE_OK = 0,
    SCIOT_RLE_OVERRUN,    /* a token would write past raw_len */
    SCIOT_RLE_UNDERRUN,   /* the stream ends (or a token is cut) before raw_len bytes */
    SCIOT_RLE_TRAILING,   /* bytes left after raw_len bytes were produced */
} sciot_rle_result;

/* Walk the token stream src[len]; with dst != NULL write the raw_len bytes.
 * With dst == NULL only check that the stream decodes to exactly raw_len
 * bytes. On failure *at is the offset of the offending token (or len). */
sciot_rle_result sciot_rle_walk(const uint8_t *src, size_t len, uint8_t *dst, size_t raw_len, size_t *at);
const char *sciot_rle_result_text(sciot_rle_result r);

/* Zero-point mask coding (zmask.c, encoding 2). size: exact encoded size;
 * encode: 0 if it does not fit in cap; walk: as sciot_rle_walk. */
size_t sciot_zmask_size(const uint8_t *src, size_t len, uint8_t fill);
size_t sciot_zmask_encode(const uint8_t *src, size_t len, uint8_t fill, uint8_t *dst, size_t cap);
sciot_rle_result sciot_zmask_walk(const uint8_t *src, size_t len, uint8_t fill, uint8_t *dst, size_t raw_len,
                                  size_t *at);

#endif
