/* quantize_s8.c — QUANTIZE (float -> int8 and int8 -> int8) and DEQUANTIZE
 * (int8 -> float), as TFLM:
 * reference_ops::AffineQuantize: q = clamp((int32)TfLiteRound(x / scale) + zp)
 * with a float quotient and round-half-away-from-zero;
 * reference_ops::Requantize: q = clamp(mbqm(in - in_zp, m, s) + out_zp), with
 * m, s from QuantizeMultiplier(in_scale / out_scale);
 * reference_ops::Dequantize: (float)(scale * (q - zp)) computed in double. */
#include <math.h>
#include "sciot/kernels.h"
#include "kernels_internal.h"

sciot_status sciot_quantize_f32_s8(float scale, int32_t zp, size_t n,
                                   const float *in, int8_t *out)
{
    if (n > 0 && (!in || !out))
        return SCIOT_ERR_INVALID_ARG;
    if (!(scale > 0.0f) || !isfinite(scale))
        return SCIOT_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; ++i) {
        float r = roundf(in[i] / scale);
        int32_t q;
        /* (int32) of a value outside int32 is undefined; any such value
         * clamps to the int8 range anyway. NaN maps to the zero point. */
        if (r != r)
            q = zp;
        else if (r > 1e6f)
            q = INT8_MAX;
        else if (r < -1e6f)
            q = INT8_MIN;
        else
            q = (int32_t)r + zp;
        out[i] = (int8_t)sk_clamp(q, INT8_MIN, INT8_MAX);
    }
    return SCIOT_OK;
}

sciot_status sciot_requantize_s8(int32_t in_zp, int32_t multiplier, int32_t shift,
                                 int32_t out_zp, size_t n, const int8_t *in, int8_t *out)
{
    if (n > 0 && (!in || !out))
        return SCIOT_ERR_INVALID_ARG;
    if (shift > 31 || shift < -31)
        return SCIOT_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; ++i)
        out[i] = sk_requant(sk_wrap_sub((int32_t)in[i], in_zp), multiplier, shift, out_zp,
                            INT8_MIN, INT8_MAX);
    return SCIOT_OK;
}

sciot_status sciot_dequantize_s8_f32(float scale, int32_t zp, size_t n,
                                     const int8_t *in, float *out)
{
    if (n > 0 && (!in || !out))
        return SCIOT_ERR_INVALID_ARG;
    const double s = (double)scale;
    for (size_t i = 0; i < n; ++i)
        out[i] = (float)(s * (double)((int32_t)in[i] - zp));
    return SCIOT_OK;
}
