/* kernels_internal.h — helpers shared by the int8 kernels: TFLite/gemmlowp
 * fixed-point primitives (saturating rounding doubling high multiply,
 * rounding divide by a power of two, MultiplyByQuantizedMultiplier), the
 * gemmlowp exp/reciprocal functions used by SOFTMAX and LOGISTIC, int8
 * clamping and cheap argument checks. Header-only, static inline, so that
 * hot loops inline them; quant.c exposes the public wrappers.
 *
 * Arithmetic source: gemmlowp fixedpoint/fixedpoint.h and TFLite
 * kernels/internal/common.h (double-rounding MultiplyByQuantizedMultiplier,
 * TFLITE_SINGLE_ROUNDING off, as in TFLM's default build). Signed overflow
 * that TFLite leaves to wrap (x * 2^left_shift, int32 sums) is done in
 * unsigned arithmetic here so it is defined behaviour with the same bits. */
#ifndef SCIOT_KERNELS_INTERNAL_H
#define SCIOT_KERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/kernels.h"

/* ---- integer helpers --------------------------------------------------- */

static inline int32_t sk_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t sk_wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* a * 2^s, wrapping like the two's complement product TFLite computes
 * (0 for s >= 32: every bit shifted out; a shift by >= 32 is undefined in C). */
static inline int32_t sk_wrap_shl(int32_t a, int s)
{
    return s >= 32 ? 0 : (int32_t)((uint32_t)a << s);
}

static inline int32_t sk_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* ---- gemmlowp primitives ------------------------------------------------ */

/* SaturatingRoundingDoublingHighMul (ARM VQRDMULH). */
static inline int32_t sk_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C division truncates toward zero, as in gemmlowp. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* RoundingDivideByPOT: round to nearest, ties away from zero. 0 <= e <= 31. */
static inline int32_t sk_rdivpot(int32_t x, int e)
{
    const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* SaturatingRoundingMultiplyByPOT with a positive exponent 1..30. */
static inline int32_t sk_sat_shl(int32_t x, int e)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - e)) - 1);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return sk_wrap_shl(x, e);
}

/* TFLite MultiplyByQuantizedMultiplier (int32, double rounding). */
static inline int32_t sk_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    return sk_rdivpot(sk_srdhm(sk_wrap_shl(x, left), multiplier), right);
}

/* Requantize an int32 accumulator to int8: mbqm, add the output offset,
 * clamp to the activation range. */
static inline int8_t sk_requant(int32_t acc, int32_t multiplier, int32_t shift,
                                int32_t out_offset, int32_t act_min, int32_t act_max)
{
    int32_t v = sk_wrap_add(sk_mbqm(acc, multiplier, shift), out_offset);
    return (int8_t)sk_clamp(v, act_min, act_max);
}

/* ---- gemmlowp fixed-point math (raw int32 values) --------------------- */

/* exp(x) for x in [-1/4, 0), x and result in Q0.31. */
static inline int32_t sk_exp_m1q_0(int32_t a)
{
    const int32_t constant_term = 1895147668;   /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = sk_wrap_add(a, (int32_t)1 << 28);  /* a + 1/8 */
    const int32_t x2 = sk_srdhm(x, x);
    const int32_t x3 = sk_srdhm(x2, x);
    const int32_t x4 = sk_srdhm(x2, x2);
    const int32_t x4_over_4 = sk_rdivpot(x4, 2);
    const int32_t poly = sk_rdivpot(
        sk_wrap_add(sk_srdhm(sk_wrap_add(x4_over_4, x3), constant_1_over_3), x2), 1);
    return sk_wrap_add(constant_term, sk_srdhm(constant_term, sk_wrap_add(x, poly)));
}

/* gemmlowp exp_on_negative_values for an input with `int_bits` integer bits
 * (1..5 here; the -32 clamp of int_bits > 5 never applies); result Q0.31. */
static inline int32_t sk_exp_on_negative_values(int32_t a, int int_bits)
{
    static const int32_t mult[7] = {1672461947, 1302514674, 790015084, 290630308,
                                    39332535, 720401, 242};
    const int frac_bits = 31 - int_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_q_minus_q = sk_wrap_sub(a & mask, one_quarter);
    /* Rescale<0>: from int_bits integer bits to 0 = saturating left shift. */
    int32_t result = sk_exp_m1q_0(sk_sat_shl(a_mod_q_minus_q, int_bits));
    const int32_t remainder = sk_wrap_sub(a_mod_q_minus_q, a);
    for (int k = 0; k < 7; ++k) {
        const int exponent = k - 2;
        if (int_bits > exponent) {
            const int shift = frac_bits + exponent;
            if (remainder & (int32_t)((uint32_t)1 << shift))
                result = sk_srdhm(result, mult[k]);
        }
    }
    if (a == 0)
        result = INT32_MAX;
    return result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: a in Q0.31, result Q0.31. */
static inline int32_t sk_one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810;      /* 48/17 in Q2.29 */
    const int32_t cneg32_17 = -1010580540;  /* -32/17 in Q2.29 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = sk_wrap_add(c48_17, sk_srdhm(half_denominator, cneg32_17));
    for (int i = 0; i < 3; ++i) {
        const int32_t hdx = sk_srdhm(half_denominator, x);
        const int32_t one_minus = sk_wrap_sub(one_q2, hdx);
        x = sk_wrap_add(x, sk_sat_shl(sk_srdhm(x, one_minus), 2));
    }
    return sk_sat_shl(x, 1);
}

/* ---- fast-path selection (dispatch.c) ---------------------------------- */

/* 1 when the CPU runs AVX2 and the library was built with the AVX2 paths
 * (whatever the force-portable switch says: packed layouts and scratch sizes
 * depend on it). */
int sk_cpu_avx2(void);
/* sk_cpu_avx2() and the portable path not forced: dispatch to AVX2. */
int sk_use_avx2(void);

/* AVX2 paths (src/kernels/NAME_avx2.c), built only when SCIOT_HAVE_AVX2. They
 * take arguments the portable entry point already validated. */
size_t sk_conv2d_s8_avx2_scratch(const sciot_dims *in, const sciot_dims *filter,
                                 const sciot_dims *out);
size_t sk_conv2d_s8_avx2_packed_size(const sciot_dims *filter);
void sk_conv2d_s8_avx2_pack(const sciot_dims *filter, const int8_t *w, void *dst);
void sk_conv2d_s8_avx2(const sciot_conv_params *p, const sciot_channel_quant *q,
                       const sciot_dims *in_dims, const int8_t *in, const sciot_dims *f_dims,
                       const void *packed, const int32_t *bias, const sciot_dims *out_dims, int8_t *out,
                       void *scratch);
size_t sk_dwconv_s8_avx2_scratch(const sciot_dims *in, const sciot_dims *filter,
                                 const sciot_dims *out);
size_t sk_dwconv_s8_avx2_packed_size(const sciot_dims *filter);
void sk_dwconv_s8_avx2_pack(const sciot_dims *filter, const int8_t *w, void *dst);
void sk_dwconv_s8_avx2(const sciot_conv_params *p, const sciot_channel_quant *q,
                       const sciot_dims *in_dims, const int8_t *in, const sciot_dims *f_dims,
                       const void *packed, const int32_t *bias, const sciot_dims *out_dims, int8_t *out,
                       void *scratch);

void sk_add_s8_avx2(const sciot_binary_params *p, size_t n, const int8_t *a, const int8_t *b,
                    int8_t *out);

/* ---- argument checks ---------------------------------------------------- */

static inline int sk_dims_positive(const sciot_dims *d)
{
    return d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0;
}

static inline int sk_act_ok_s8(int32_t lo, int32_t hi)
{
    return lo >= INT8_MIN && hi <= INT8_MAX && lo <= hi;
}

static inline size_t sk_dims_count(const sciot_dims *d)
{
    return (size_t)d->n * (size_t)d->h * (size_t)d->w * (size_t)d->c;
}

#endif
