/* quant.c — quantization helpers: TFLite QuantizeMultiplier (frexp-based,
 * round half away from zero, 2^31 renormalised, shift < -31 flushed to 0),
 * MultiplyByQuantizedMultiplier and its gemmlowp primitives, and
 * CalculateActivationRangeQuantized for int8 outputs.
 * Arithmetic source: TFLite kernels/internal/quantization_util.cc,
 * common.h / common.cc, kernels/kernel_util.cc. */
#include <math.h>
#include "sciot/kernels.h"
#include "kernels_internal.h"

void sciot_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    if (!multiplier || !shift)
        return;
    if (real == 0.0 || !isfinite(real)) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    const double q = frexp(real, &e);
    int64_t q_fixed = (int64_t)round(q * 2147483648.0);
    if (q_fixed == ((int64_t)1 << 31)) {
        q_fixed /= 2;
        ++e;
    }
    if (e < -31) {
        e = 0;
        q_fixed = 0;
    }
    *multiplier = (int32_t)q_fixed;
    *shift = e;
}

int32_t sciot_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    return sk_mbqm(x, multiplier, shift);
}

int32_t sciot_srdhm(int32_t a, int32_t b)
{
    return sk_srdhm(a, b);
}

int32_t sciot_rdivpot(int32_t x, int32_t exponent)
{
    if (exponent <= 0)
        return x;
    if (exponent > 31)
        exponent = 31;
    return sk_rdivpot(x, (int)exponent);
}

/* zero_point + round(x / scale) as TFLite's quantize lambda, with the
 * float quotient clamped first so the int conversion is always defined. */
static int32_t quantize_act_bound(float x, float scale, int32_t zp)
{
    float r = roundf(x / scale);
    if (r > 1e6f)
        r = 1e6f;
    if (r < -1e6f)
        r = -1e6f;
    return zp + (int32_t)r;
}

void sciot_act_range_s8(int32_t activation, float out_scale, int32_t out_zp,
                        int32_t *act_min, int32_t *act_max)
{
    int32_t lo = INT8_MIN, hi = INT8_MAX;
    const int scale_ok = out_scale > 0.0f && isfinite(out_scale);
    if (scale_ok) {
        if (activation == 1) {          /* RELU */
            lo = sk_clamp(quantize_act_bound(0.0f, out_scale, out_zp), INT8_MIN, INT8_MAX);
        } else if (activation == 3) {   /* RELU6 */
            lo = quantize_act_bound(0.0f, out_scale, out_zp);
            hi = quantize_act_bound(6.0f, out_scale, out_zp);
        } else if (activation == 2) {   /* RELU_N1_TO_1 */
            lo = quantize_act_bound(-1.0f, out_scale, out_zp);
            hi = quantize_act_bound(1.0f, out_scale, out_zp);
        }
        lo = lo < INT8_MIN ? INT8_MIN : lo;
        hi = hi > INT8_MAX ? INT8_MAX : hi;
    }
    if (act_min)
        *act_min = lo;
    if (act_max)
        *act_max = hi;
}
