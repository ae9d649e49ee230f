/* fc_f32.c — float32 FULLY_CONNECTED, following TFLite's reference:
 * out[b,u] = clamp(sum_d in[b,d] * filter[u,d] + bias[u]), the sum taken in
 * order of d, the bias added after the sum. */
#include "sciot/kernels.h"
#include "act_f32.h"

sciot_status sciot_fc_f32(const sciot_fc_params *p,
                          int32_t batches, int32_t in_features, int32_t units,
                          const float *in, const float *filter, const float *bias,
                          float *out)
{
    if (!p || !in || !filter || !out || !sciot_act_range_ok_f32(p->fact_min, p->fact_max))
        return SCIOT_ERR_INVALID_ARG;
    if (batches <= 0 || in_features <= 0 || units <= 0)
        return SCIOT_ERR_SHAPE;
    const float lo = p->fact_min, hi = p->fact_max;
    for (int32_t b = 0; b < batches; ++b) {
        const float *x = in + (size_t)b * in_features;
        float *y = out + (size_t)b * units;
        for (int32_t u = 0; u < units; ++u) {
            const float *w = filter + (size_t)u * in_features;
            float total = 0.0f;
            for (int32_t d = 0; d < in_features; ++d)
                total += x[d] * w[d];
            const float bv = bias ? bias[u] : 0.0f;
            y[u] = sciot_act_f32(total + bv, lo, hi);
        }
    }
    return SCIOT_OK;
}
