/* fc_s8.c — int8 FULLY_CONNECTED, bit-exact with TFLM's
 * reference_integer_ops::FullyConnected / FullyConnectedPerChannel:
 * acc = sum_k (in + input_offset) * (filter + filter_offset), acc += bias,
 * out = clamp(mbqm(acc, m[u], s[u]) + output_offset, act_min, act_max). */
#include "sciot/kernels.h"
#include "kernels_internal.h"

sciot_status sciot_fc_s8(const sciot_fc_params *p, const sciot_channel_quant *q,
                         int32_t batches, int32_t in_features, int32_t units,
                         const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out)
{
    if (!p || !q || !q->multiplier || !q->shift || !in || !filter || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (!sk_act_ok_s8(p->act_min, p->act_max))
        return SCIOT_ERR_INVALID_ARG;
    if (batches <= 0 || in_features <= 0 || units <= 0)
        return SCIOT_ERR_SHAPE;

    const int32_t in_off = p->input_offset, f_off = p->filter_offset;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_features;
        int8_t *o = out + (size_t)b * units;
        for (int32_t u = 0; u < units; ++u) {
            const int8_t *w = filter + (size_t)u * in_features;
            int32_t acc = 0;
            for (int32_t k = 0; k < in_features; ++k)
                acc = sk_wrap_add(acc, ((int32_t)x[k] + in_off) * ((int32_t)w[k] + f_off));
            if (bias)
                acc = sk_wrap_add(acc, bias[u]);
            o[u] = sk_requant(acc, q->multiplier[u], q->shift[u], p->output_offset,
                              p->act_min, p->act_max);
        }
    }
    return SCIOT_OK;
}
