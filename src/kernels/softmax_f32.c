/* softmax_f32.c — float32 SOFTMAX over the last dimension, following
 * TFLite's reference: per row, subtract the max, e = exp((x - max) * beta),
 * sum the e in order, then divide each e by the sum. */
#include <float.h>
#include <math.h>
#include "sciot/kernels.h"

sciot_status sciot_softmax_f32(float beta, int32_t outer, int32_t depth,
                               const float *in, float *out)
{
    if (!in || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (outer <= 0 || depth <= 0)
        return SCIOT_ERR_SHAPE;
    for (int32_t i = 0; i < outer; ++i) {
        const float *x = in + (size_t)i * depth;
        float *y = out + (size_t)i * depth;
        float max = -FLT_MAX;
        for (int32_t c = 0; c < depth; ++c)
            max = (max < x[c]) ? x[c] : max;
        float sum = 0.0f;
        for (int32_t c = 0; c < depth; ++c) {
            const float e = expf((x[c] - max) * beta);
            y[c] = e;
            sum += e;
        }
        for (int32_t c = 0; c < depth; ++c)
            y[c] = y[c] / sum;
    }
    return SCIOT_OK;
}
