/* act_f32.h — float activation clamp shared by the float32 kernels, written
 * like TFLite's ActivationFunctionWithMinMax: min(max(x, lo), hi), so a NaN
 * input propagates unchanged. Header-only, static inline. */
#ifndef SCIOT_KERNELS_ACT_F32_H
#define SCIOT_KERNELS_ACT_F32_H

static inline float sciot_act_f32(float x, float lo, float hi)
{
    float y = (x < lo) ? lo : x;
    return (hi < y) ? hi : y;
}

/* Valid clamp range: neither bound NaN and lo <= hi. */
static inline int sciot_act_range_ok_f32(float lo, float hi)
{
    return lo <= hi;
}

#endif
