/* s8_test_util.h — helpers shared by the int8 kernel tests: a deterministic
 * PRNG, random int8 fills, TFLite SAME/VALID geometry, random per-channel
 * requantization, and the plain requantization step the naive references use
 * (sciot_mbqm, which test_quant_s8.c checks against an independent int64
 * definition). Each kernel is run with the portable path forced and with fast
 * paths allowed; both must equal the reference. */
#ifndef SCIOT_TEST_S8_UTIL_H
#define SCIOT_TEST_S8_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sciot/kernels.h"

typedef struct { uint64_t s; } srng;

static inline uint32_t srng_u32(srng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 2685821657736338717ULL) >> 32);
}
/* uniform integer in [lo, hi] */
static inline int32_t srng_int(srng *r, int32_t lo, int32_t hi)
{
    return lo + (int32_t)(srng_u32(r) % (uint32_t)(hi - lo + 1));
}
static inline double srng_unit(srng *r)
{
    return (double)srng_u32(r) / 4294967296.0;
}
/* log-uniform double in [lo, hi] */
static inline double srng_logu(srng *r, double lo, double hi)
{
    return exp(log(lo) + (log(hi) - log(lo)) * srng_unit(r));
}
static inline void srng_fill_s8(srng *r, int8_t *p, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        p[i] = (int8_t)srng_int(r, -128, 127);
}
static inline int32_t pick(srng *r, const int32_t *vals, int n)
{
    return vals[srng_int(r, 0, n - 1)];
}

/* TFLite padding: output size and top/left offset for one dimension. */
static inline int geom_1d(int same, int32_t in, int32_t k, int32_t stride, int32_t dil,
                          int32_t *out, int32_t *pad)
{
    const int32_t eff = (k - 1) * dil + 1;
    if (same) {
        *out = (in + stride - 1) / stride;
        int32_t total = (*out - 1) * stride + eff - in;
        *pad = total > 0 ? total / 2 : 0;
    } else {
        if (in < eff)
            return 0;
        *out = (in - eff) / stride + 1;
        *pad = 0;
    }
    return 1;
}

static inline int32_t ref_clamp32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Requantization step of the references (TFLite order). */
static inline int8_t ref_requant(int64_t acc, int32_t m, int32_t s, int32_t off,
                                 int32_t lo, int32_t hi)
{
    return (int8_t)ref_clamp32(sciot_mbqm((int32_t)acc, m, s) + off, lo, hi);
}

/* Random activation (NONE, RELU, RELU_N1_TO_1, RELU6) clamp for an output. */
static inline void rand_act(srng *r, float out_scale, int32_t out_zp, int32_t *lo, int32_t *hi)
{
    sciot_act_range_s8(srng_int(r, 0, 3), out_scale, out_zp, lo, hi);
}

/* Per-channel multipliers for real scales log-uniform in [lo, hi]. */
static inline void rand_channel_quant(srng *r, int32_t n, double lo, double hi,
                                      int32_t *mult, int32_t *shift)
{
    for (int32_t i = 0; i < n; ++i)
        sciot_quantize_multiplier(srng_logu(r, lo, hi), &mult[i], &shift[i]);
}

#define S8_CHECK_EQ_BYTES(a, b, n, what)                                                    \
    do {                                                                                    \
        for (size_t i_ = 0; i_ < (size_t)(n); ++i_) {                                       \
            if ((a)[i_] != (b)[i_]) {                                                       \
                fprintf(stderr, "%s: mismatch at %zu: got %d want %d\n", (what), i_,        \
                        (int)(a)[i_], (int)(b)[i_]);                                        \
                fail();                                                                     \
            }                                                                               \
        }                                                                                   \
    } while (0)

#endif
