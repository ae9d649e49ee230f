/* gemmlowp_ref.h — an independent, type-tagged transcription of gemmlowp's
 * fixed-point arithmetic (FixedPoint<int32_t, IntegerBits>), used by the
 * SOFTMAX and LOGISTIC tests as the exact reference. Values carry their
 * integer-bit count like gemmlowp's template parameter; products add them,
 * Rescale changes them with saturation / rounding. SRDHM and the rounding
 * shift are written from their mathematical definitions (round half up of
 * a*b/2^31; round half away from zero of x/2^e) rather than gemmlowp's
 * bit tricks, so this does not share code or formulation with the kernels. */
#ifndef SCIOT_TEST_GEMMLOWP_REF_H
#define SCIOT_TEST_GEMMLOWP_REF_H

#include <stdint.h>

typedef struct { int32_t raw; int ib; } fx;

static inline fx fx_make(int32_t raw, int ib) { fx f = {raw, ib}; return f; }

static inline int32_t g_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t num = (int64_t)a * b + ((int64_t)1 << 30);
    int64_t q = num / ((int64_t)1 << 31);
    if (num % ((int64_t)1 << 31) != 0 && num < 0)
        q -= 1;
    return (int32_t)q;
}

static inline int32_t g_rdiv(int32_t x, int e)
{
    if (e == 0)
        return x;
    int64_t ax = x < 0 ? -(int64_t)x : x;
    int64_t r = (ax + ((int64_t)1 << (e - 1))) >> e;
    return (int32_t)(x < 0 ? -r : r);
}

/* multiply by 2^e (e may be negative): saturating / rounding */
static inline int32_t g_mul_pot(int32_t x, int e)
{
    if (e <= 0)
        return g_rdiv(x, -e);
    int64_t v = (int64_t)x * ((int64_t)1 << e);
    /* gemmlowp saturates when |x| exceeds 2^(31-e) - 1 */
    int64_t thr = ((int64_t)1 << (31 - e)) - 1;
    if (x > thr)
        return INT32_MAX;
    if (x < -thr)
        return INT32_MIN;
    return (int32_t)v;
}

static inline fx fx_mul(fx a, fx b) { return fx_make(g_srdhm(a.raw, b.raw), a.ib + b.ib); }
static inline fx fx_add(fx a, fx b) { return fx_make((int32_t)((int64_t)a.raw + b.raw), a.ib); }
static inline fx fx_sub(fx a, fx b) { return fx_make((int32_t)((int64_t)a.raw - b.raw), a.ib); }
static inline fx fx_rescale(fx a, int ib) { return fx_make(g_mul_pot(a.raw, a.ib - ib), ib); }
static inline fx fx_one(int ib)
{
    return fx_make(ib == 0 ? INT32_MAX : (int32_t)1 << (31 - ib), ib);
}
/* the constant 2^e in format ib */
static inline fx fx_pot(int e, int ib) { return fx_make((int32_t)1 << (31 - ib + e), ib); }

static inline fx g_exp_quarter(fx a) /* a in [-1/4, 0), ib 0 */
{
    fx c = fx_make(1895147668, 0), third = fx_make(715827883, 0);
    fx x = fx_add(a, fx_pot(-3, 0));
    fx x2 = fx_mul(x, x), x3 = fx_mul(x2, x), x4 = fx_mul(x2, x2);
    fx x4_4 = fx_make(g_mul_pot(x4.raw, -2), 0);
    fx t = fx_make(g_mul_pot(fx_add(fx_mul(fx_add(x4_4, x3), third), x2).raw, -1), 0);
    return fx_add(c, fx_mul(c, fx_add(x, t)));
}

static inline fx g_exp_neg(fx a) /* a <= 0, any ib; result ib 0 */
{
    static const int32_t k[7] = {1672461947, 1302514674, 790015084, 290630308,
                                 39332535, 720401, 242};
    if (a.raw == 0)
        return fx_one(0);
    fx quarter = fx_pot(-2, a.ib);
    fx amq = fx_sub(fx_make(a.raw & (quarter.raw - 1), a.ib), quarter);
    fx result = g_exp_quarter(fx_rescale(amq, 0));
    int32_t rem = fx_sub(amq, a).raw;
    for (int e = -2; e <= 4; ++e)
        if (a.ib > e && (rem & ((int32_t)1 << (31 - a.ib + e))))
            result = fx_mul(result, fx_make(k[e + 2], 0));
    return result;
}

static inline fx g_one_over_one_plus_x(fx a) /* a in [0, 1), ib 0 */
{
    int64_t s = (int64_t)a.raw + INT32_MAX;
    fx half = fx_make((int32_t)((s + (s >= 0 ? 1 : -1)) / 2), 0);
    fx x = fx_add(fx_make(1515870810, 2), fx_mul(half, fx_make(-1010580540, 2)));
    for (int i = 0; i < 3; ++i) {
        fx om = fx_sub(fx_one(2), fx_mul(half, x));
        x = fx_add(x, fx_rescale(fx_mul(x, om), 2));
    }
    return fx_rescale(fx_make(x.raw, 1), 0);
}

static inline fx g_logistic(fx a)
{
    if (a.raw == 0)
        return fx_make(1 << 30, 0);
    fx absa = fx_make(a.raw > 0 ? a.raw : -a.raw, a.ib);
    fx pos = g_one_over_one_plus_x(g_exp_neg(fx_make(-absa.raw, a.ib)));
    return a.raw > 0 ? pos : fx_sub(fx_one(0), pos);
}

#endif
