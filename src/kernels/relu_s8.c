/* relu_s8.c — int8 RELU and RELU6 as TFLM's activations.cc /
 * activations_common.cc.
 * RELU (ReluQuantized, CalculateReluOpData): out = clamp(output_zp +
 * mbqm(in - input_zp, m, s), max(-128, output_zp), 127) with m, s from
 * in_scale / out_scale.
 * RELU6 (Relu6Quantized, Relu6Prepare): TFLM does not requantize; it clamps
 * the input to [input_zp, input_zp + round(6 / in_scale)] (TFLite requires
 * input and output to share quantization). This is expressed with the same
 * params: identity multiplier (1<<30, shift 1), offsets = input zp. */
#include <math.h>
#include "sciot/kernels.h"
#include "kernels_internal.h"

void sciot_relu_s8_prepare(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                           int relu6, sciot_relu_params *p)
{
    if (!p)
        return;
    if (relu6) {
        /* FloatToQuantizedType<int8_t>(6.0f, in_scale, in_zp) */
        float r = roundf(6.0f / in_scale);
        if (!(r < 1e6f))
            r = 1e6f;
        const int32_t six = sk_clamp((int32_t)r + in_zp, INT8_MIN, INT8_MAX);
        p->input_offset = in_zp;
        p->output_offset = in_zp;
        p->multiplier = (int32_t)1 << 30; /* exactly 1.0 */
        p->shift = 1;
        p->act_min = in_zp;
        p->act_max = six;
        return;
    }
    sciot_quantize_multiplier((double)in_scale / (double)out_scale, &p->multiplier, &p->shift);
    p->input_offset = in_zp;
    p->output_offset = out_zp;
    /* output_zp + (int32_t)roundf(0.0f / out_scale) */
    p->act_min = out_zp > INT8_MIN ? out_zp : INT8_MIN;
    p->act_max = INT8_MAX;
}

sciot_status sciot_relu_s8(const sciot_relu_params *p, size_t n, const int8_t *in, int8_t *out)
{
    if (!p || (n > 0 && (!in || !out)))
        return SCIOT_ERR_INVALID_ARG;
    if (!sk_act_ok_s8(p->act_min, p->act_max) || p->shift > 31 || p->shift < -31)
        return SCIOT_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; ++i) {
        const int32_t x = sk_wrap_sub((int32_t)in[i], p->input_offset);
        out[i] = sk_requant(x, p->multiplier, p->shift, p->output_offset, p->act_min,
                            p->act_max);
    }
    return SCIOT_OK;
}
