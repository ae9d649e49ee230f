/* logistic_s8.c — int8 LOGISTIC (output scale 1/256, zero point -128),
 * bit-exact with TFLM reference_integer_ops::Logistic and the Prepare in
 * micro/kernels/logistic_common.cc: inputs beyond +-input_range_radius
 * saturate to 127 / -128; others are scaled into Q4.27
 * (kInputIntegerBits = 4) with MultiplyByQuantizedMultiplier, go through
 * gemmlowp::logistic, and the Q0.31 result is rounded to Q0.8 and offset. */
#include <math.h>
#include "sciot/kernels.h"
#include "kernels_internal.h"

#define LOGISTIC_INPUT_INT_BITS 4

void sciot_logistic_s8_prepare(float input_scale, int32_t input_zp,
                               sciot_logistic_params *p)
{
    if (!p)
        return;
    p->input_zero_point = input_zp;
    const double real = (double)input_scale * (double)(1 << (31 - LOGISTIC_INPUT_INT_BITS));
    int shift = 0;
    double q = 0.0;
    if (real != 0.0 && isfinite(real))
        q = frexp(real, &shift);
    /* TFLM: static_cast<int32_t>(TfLiteRound(q * (1ll << 31))), no renormalisation. */
    const double m = round(q * 2147483648.0);
    p->input_multiplier = m >= 2147483647.0 ? INT32_MAX : (int32_t)m;
    p->input_left_shift = shift;
    /* CalculateInputRadius(4, shift, 31) */
    const double radius = floor(ldexp((double)((1 << LOGISTIC_INPUT_INT_BITS) - 1),
                                      31 - LOGISTIC_INPUT_INT_BITS - shift));
    p->input_range_radius = radius >= 2147483647.0 ? INT32_MAX : (int32_t)radius;
}

/* gemmlowp::logistic on a Q4.27 value, result Q0.31. */
static int32_t logistic_q4(int32_t a)
{
    if (a == 0)
        return (int32_t)1 << 30;
    const int32_t abs_a = a > 0 ? a : -a;
    const int32_t pos = sk_one_over_one_plus_x(
        sk_exp_on_negative_values(-abs_a, LOGISTIC_INPUT_INT_BITS));
    return a > 0 ? pos : INT32_MAX - pos;
}

sciot_status sciot_logistic_s8(const sciot_logistic_params *p, size_t n,
                               const int8_t *in, int8_t *out)
{
    if (!p || (n > 0 && (!in || !out)))
        return SCIOT_ERR_INVALID_ARG;
    if (p->input_left_shift > 31 || p->input_left_shift < -31 || p->input_range_radius < 0)
        return SCIOT_ERR_INVALID_ARG;
    const int32_t zp = p->input_zero_point, radius = p->input_range_radius;
    for (size_t i = 0; i < n; ++i) {
        const int32_t x = (int32_t)in[i] - zp;
        if (x <= -radius) {
            out[i] = INT8_MIN;
        } else if (x >= radius) {
            out[i] = INT8_MAX;
        } else {
            const int32_t q4 = sk_mbqm(x, p->input_multiplier, p->input_left_shift);
            const int32_t q0 = logistic_q4(q4);
            const int32_t q8 = sk_rdivpot(q0, 31 - 8);
            out[i] = (int8_t)sk_clamp(q8 - 128, INT8_MIN, INT8_MAX);
        }
    }
    return SCIOT_OK;
}
