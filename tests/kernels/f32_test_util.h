/* f32_test_util.h — helpers shared by the float32 kernel tests: a small
 * deterministic PRNG, random fills, activation ranges as doubles and a
 * tolerance check relative to the magnitude of the summed terms. */
#ifndef SCIOT_TEST_F32_UTIL_H
#define SCIOT_TEST_F32_UTIL_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { uint64_t s; } trng;

static inline uint32_t trng_u32(trng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 2685821657736338717ULL) >> 32);
}
/* uniform integer in [lo, hi] */
static inline int32_t trng_int(trng *r, int32_t lo, int32_t hi)
{
    return lo + (int32_t)(trng_u32(r) % (uint32_t)(hi - lo + 1));
}
/* uniform float in [lo, hi) */
static inline float trng_float(trng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)((double)trng_u32(r) / 4294967296.0);
}
static inline void trng_fill(trng *r, float *p, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; ++i)
        p[i] = trng_float(r, lo, hi);
}

/* activation ranges, independent of the library's sciot_act_range_f32 */
static inline void ref_act_range(int act, float *lo, float *hi)
{
    switch (act) {
    case 1: *lo = 0.0f; *hi = FLT_MAX; break;
    case 2: *lo = -1.0f; *hi = 1.0f; break;
    case 3: *lo = 0.0f; *hi = 6.0f; break;
    default: *lo = -FLT_MAX; *hi = FLT_MAX; break;
    }
}
static inline double ref_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* |got - want| <= rel * scale + 1e-30, where scale is the sum of the
 * magnitudes of the terms that produced `want` (at least |want|).
 * Prints the first mismatch. Returns 1 when close. */
static inline int close_to(float got, double want, double scale, double rel,
                           const char *what, size_t idx)
{
    if (scale < fabs(want))
        scale = fabs(want);
    double err = fabs((double)got - want);
    if (!(err <= rel * scale + 1e-30)) {
        fprintf(stderr, "%s[%zu]: got %.9g want %.9g (scale %.3g)\n", what, idx, (double)got,
                want, scale);
        return 0;
    }
    return 1;
}

#endif
