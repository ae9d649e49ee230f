/* binary_f32.c — float32 ADD and MUL with numpy-style 4-D broadcasting,
 * following TFLite's reference Add/Mul (and BroadcastAdd4DSlow /
 * BroadcastMul4DSlow): out = clamp(in1 op in2, fact_min, fact_max). */
#include "sciot/kernels.h"
#include "act_f32.h"
#include "broadcast.h"

typedef enum { OP_ADD, OP_MUL } binop;

static sciot_status binary_f32(binop op, const sciot_binary_params *p,
                               const sciot_dims *d1, const float *in1,
                               const sciot_dims *d2, const float *in2,
                               const sciot_dims *dout, float *out)
{
    if (!p || !d1 || !in1 || !d2 || !in2 || !dout || !out ||
        !sciot_act_range_ok_f32(p->fact_min, p->fact_max))
        return SCIOT_ERR_INVALID_ARG;
    sciot_status st = sciot_bcast_check(d1, d2, dout);
    if (st != SCIOT_OK)
        return st;
    const float lo = p->fact_min, hi = p->fact_max;

    if (sciot_dims_equal(d1, d2)) {
        const size_t n = (size_t)dout->n * dout->h * dout->w * dout->c;
        if (op == OP_ADD)
            for (size_t i = 0; i < n; ++i)
                out[i] = sciot_act_f32(in1[i] + in2[i], lo, hi);
        else
            for (size_t i = 0; i < n; ++i)
                out[i] = sciot_act_f32(in1[i] * in2[i], lo, hi);
        return SCIOT_OK;
    }

    size_t s1[4], s2[4];
    sciot_bcast_strides(d1, s1);
    sciot_bcast_strides(d2, s2);
    float *o = out;
    for (int32_t b = 0; b < dout->n; ++b) {
        for (int32_t y = 0; y < dout->h; ++y) {
            for (int32_t x = 0; x < dout->w; ++x) {
                const float *a = in1 + b * s1[0] + y * s1[1] + x * s1[2];
                const float *c = in2 + b * s2[0] + y * s2[1] + x * s2[2];
                const size_t sa = s1[3], sc = s2[3];
                if (op == OP_ADD)
                    for (int32_t k = 0; k < dout->c; ++k)
                        *o++ = sciot_act_f32(a[k * sa] + c[k * sc], lo, hi);
                else
                    for (int32_t k = 0; k < dout->c; ++k)
                        *o++ = sciot_act_f32(a[k * sa] * c[k * sc], lo, hi);
            }
        }
    }
    return SCIOT_OK;
}

sciot_status sciot_add_f32(const sciot_binary_params *p,
                           const sciot_dims *d1, const float *in1,
                           const sciot_dims *d2, const float *in2,
                           const sciot_dims *dout, float *out)
{
    return binary_f32(OP_ADD, p, d1, in1, d2, in2, dout, out);
}

sciot_status sciot_mul_f32(const sciot_binary_params *p,
                           const sciot_dims *d1, const float *in1,
                           const sciot_dims *d2, const float *in2,
                           const sciot_dims *dout, float *out)
{
    return binary_f32(OP_MUL, p, d1, in1, d2, in2, dout, out);
}
