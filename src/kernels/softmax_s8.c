/* softmax_s8.c — int8 SOFTMAX (int8 output, scale 1/256, zero point -128),
 * bit-exact with TFLM reference_ops::Softmax<int8_t, int8_t> and the Prepare
 * in micro/kernels/softmax_common.cc: input differences to the row maximum
 * are scaled by beta * input_scale into Q5.26 (PreprocessSoftmaxScaling,
 * kScaledDiffIntegerBits = 5), differences below diff_min
 * (-CalculateInputRadius) contribute nothing and give -128, exp() is
 * gemmlowp's exp_on_negative_values, the sum is accumulated in Q12.19
 * (kAccumulationIntegerBits = 12), and its reciprocal comes from
 * one_over_one_plus_x_for_x_in_0_1 (TFLite GetReciprocal). */
#include <math.h>
#include "sciot/kernels.h"
#include "kernels_internal.h"

#define SCALED_DIFF_INT_BITS 5
#define ACCUM_INT_BITS 12

static int clz32(uint32_t x)
{
    if (x == 0)
        return 32;
#if defined(__GNUC__)
    return __builtin_clz(x);
#else
    int n = 0;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

void sciot_softmax_s8_prepare(float input_scale, float beta, int32_t output_zp,
                              sciot_softmax_params *p)
{
    if (!p)
        return;
    p->output_zp = output_zp;
    p->beta = beta;
    const double max_real = 2147483647.0; /* (1LL << 31) - 1.0 */
    double real = (double)beta * (double)input_scale *
                  (double)(1 << (31 - SCALED_DIFF_INT_BITS));
    if (real > max_real)
        real = max_real;
    int32_t shift = 0;
    sciot_quantize_multiplier(real, &p->input_multiplier, &shift);
    p->input_left_shift = shift;
    /* CalculateInputRadius(5, shift, 31), floor, then negated. */
    const double radius = floor(ldexp((double)((1 << SCALED_DIFF_INT_BITS) - 1),
                                      31 - SCALED_DIFF_INT_BITS - (int)shift));
    p->diff_min = radius >= 2147483647.0 ? -2147483647 : -(int32_t)radius;
}

sciot_status sciot_softmax_s8(const sciot_softmax_params *p, int32_t outer, int32_t depth,
                              const int8_t *in, int8_t *out)
{
    if (!p || !in || !out)
        return SCIOT_ERR_INVALID_ARG;
    /* MultiplyByQuantizedMultiplierGreaterThanOne needs 0 <= shift <= 30. */
    if (p->output_zp != -128 || p->input_left_shift < 0 || p->input_left_shift > 30 ||
        p->input_multiplier < 0 || p->diff_min > 0)
        return SCIOT_ERR_INVALID_ARG;
    if (outer <= 0 || depth <= 0)
        return SCIOT_ERR_SHAPE;

    const int32_t mult = p->input_multiplier;
    const int shift = (int)p->input_left_shift;
    const int32_t diff_min = p->diff_min;
    for (int32_t r = 0; r < outer; ++r) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t max_in_row = INT8_MIN;
        for (int32_t c = 0; c < depth; ++c)
            if (x[c] > max_in_row)
                max_in_row = x[c];

        uint32_t sum_of_exps = 0; /* Q12.19, wrapping as int32 would */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= diff_min) {
                const int32_t scaled = sk_srdhm(sk_wrap_shl(diff, shift), mult);
                const int32_t e = sk_exp_on_negative_values(scaled, SCALED_DIFF_INT_BITS);
                /* Rescale<12>: Q0.31 -> Q12.19 */
                sum_of_exps += (uint32_t)sk_rdivpot(e, ACCUM_INT_BITS);
            }
        }

        /* GetReciprocal(sum, 12, &num_bits_over_unit) */
        const int headroom_plus_one = clz32(sum_of_exps);
        const int num_bits_over_unit = ACCUM_INT_BITS - headroom_plus_one;
        const int exponent = num_bits_over_unit + 31 - 8;
        if (sum_of_exps == 0 || exponent < 0 || exponent > 31)
            return SCIOT_ERR_OUT_OF_RANGE; /* TFLM fails its check here */
        const int32_t shifted_sum_minus_one =
            (int32_t)((sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = sk_one_over_one_plus_x(shifted_sum_minus_one);

        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= diff_min) {
                const int32_t scaled = sk_srdhm(sk_wrap_shl(diff, shift), mult);
                const int32_t e = sk_exp_on_negative_values(scaled, SCALED_DIFF_INT_BITS);
                const int32_t unsat = sk_rdivpot(sk_srdhm(shifted_scale, e), exponent);
                y[c] = (int8_t)sk_clamp(unsat - 128, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
    return SCIOT_OK;
}
