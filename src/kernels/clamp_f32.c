/* clamp_f32.c — float activation ranges (TFLite CalculateActivationRange)
 * and an elementwise clamp y = min(max(x, lo), hi) used for RELU / RELU6 /
 * RELU_N1_TO_1 on float tensors. */
#include <float.h>
#include "sciot/kernels.h"
#include "act_f32.h"

/* TFLite ActivationFunctionType codes (sciot_activation in sciot/model.h). */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU_N1_TO_1 = 2, ACT_RELU6 = 3 };

void sciot_act_range_f32(int32_t activation, float *act_min, float *act_max)
{
    float lo = -FLT_MAX, hi = FLT_MAX;
    switch (activation) {
    case ACT_RELU: lo = 0.0f; break;
    case ACT_RELU6: lo = 0.0f; hi = 6.0f; break;
    case ACT_RELU_N1_TO_1: lo = -1.0f; hi = 1.0f; break;
    default: break; /* NONE and anything else: unbounded, as TFLite */
    }
    if (act_min)
        *act_min = lo;
    if (act_max)
        *act_max = hi;
}

sciot_status sciot_clamp_f32(float lo, float hi, size_t n, const float *in, float *out)
{
    if (!in || !out || !sciot_act_range_ok_f32(lo, hi))
        return SCIOT_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; ++i)
        out[i] = sciot_act_f32(in[i], lo, hi);
    return SCIOT_OK;
}
