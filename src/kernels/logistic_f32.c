/* logistic_f32.c — float32 LOGISTIC (sigmoid), following TFLite's reference:
 * 1 above x = 16.619047, exp(x) below x = -9, else 1 / (1 + exp(-x)). */
#include <math.h>
#include "sciot/kernels.h"

sciot_status sciot_logistic_f32(size_t n, const float *in, float *out)
{
    if (!in || !out)
        return SCIOT_ERR_INVALID_ARG;
    const float cutoff_upper = 16.619047164916992188f;
    const float cutoff_lower = -9.0f;
    for (size_t i = 0; i < n; ++i) {
        const float v = in[i];
        float r;
        if (v > cutoff_upper)
            r = 1.0f;
        else if (v < cutoff_lower)
            r = expf(v);
        else
            r = 1.0f / (1.0f + expf(-v));
        out[i] = r;
    }
    return SCIOT_OK;
}
