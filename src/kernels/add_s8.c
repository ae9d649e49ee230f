/* add_s8.c — int8 ADD and MUL with numpy-style 4-D broadcasting, and their
 * Prepare (parameters from scales / zero points).
 * ADD, bit-exact with TFLM reference_integer_ops::AddElementwise and
 * add_common.cc CalculateOpDataAdd: each input is offset, shifted left by
 * left_shift (20), scaled by its multiplier (< 1), summed, scaled by the
 * output multiplier, offset and clamped.
 * MUL, as reference_integer_ops::MulElementwise and mul_common.cc:
 * out = clamp(mbqm((in1 + off1) * (in2 + off2), m, s) + output_offset).
 * Broadcasting walks the output with stride 0 along broadcast dimensions,
 * which is what BroadcastAdd4DSlow / BroadcastMul4DSlow compute. */
#include "sciot/kernels.h"
#include "kernels_internal.h"
#include "broadcast.h"

void sciot_add_s8_prepare(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp,
                          float out_scale, int32_t out_zp, int32_t activation,
                          sciot_binary_params *p)
{
    if (!p)
        return;
    p->input1_offset = -in1_zp;
    p->input2_offset = -in2_zp;
    p->output_offset = out_zp;
    p->left_shift = 20;
    const double twice_max_input_scale =
        2.0 * (double)(in1_scale > in2_scale ? in1_scale : in2_scale);
    const double real_in1 = (double)in1_scale / twice_max_input_scale;
    const double real_in2 = (double)in2_scale / twice_max_input_scale;
    const double real_out =
        twice_max_input_scale / ((double)(1 << p->left_shift) * (double)out_scale);
    sciot_quantize_multiplier(real_in1, &p->input1_multiplier, &p->input1_shift);
    sciot_quantize_multiplier(real_in2, &p->input2_multiplier, &p->input2_shift);
    sciot_quantize_multiplier(real_out, &p->output_multiplier, &p->output_shift);
    sciot_act_range_s8(activation, out_scale, out_zp, &p->act_min, &p->act_max);
    p->fact_min = 0.0f;
    p->fact_max = 0.0f;
}

void sciot_mul_s8_prepare(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp,
                          float out_scale, int32_t out_zp, int32_t activation,
                          sciot_binary_params *p)
{
    if (!p)
        return;
    p->left_shift = 0;
    p->input1_offset = -in1_zp;
    p->input2_offset = -in2_zp;
    p->output_offset = out_zp;
    p->input1_multiplier = p->input2_multiplier = 0;
    p->input1_shift = p->input2_shift = 0;
    const double real = (double)in1_scale * (double)in2_scale / (double)out_scale;
    sciot_quantize_multiplier(real, &p->output_multiplier, &p->output_shift);
    sciot_act_range_s8(activation, out_scale, out_zp, &p->act_min, &p->act_max);
    p->fact_min = 0.0f;
    p->fact_max = 0.0f;
}

static inline int8_t add_one(const sciot_binary_params *p, int8_t a, int8_t b)
{
    const int32_t va = sk_wrap_shl((int32_t)a + p->input1_offset, (int)p->left_shift);
    const int32_t vb = sk_wrap_shl((int32_t)b + p->input2_offset, (int)p->left_shift);
    const int32_t sa = sk_mbqm(va, p->input1_multiplier, p->input1_shift);
    const int32_t sb = sk_mbqm(vb, p->input2_multiplier, p->input2_shift);
    return sk_requant(sk_wrap_add(sa, sb), p->output_multiplier, p->output_shift,
                      p->output_offset, p->act_min, p->act_max);
}

static inline int8_t mul_one(const sciot_binary_params *p, int8_t a, int8_t b)
{
    const int32_t prod = (int32_t)(uint32_t)(((int64_t)a + p->input1_offset) *
                                             ((int64_t)b + p->input2_offset));
    return sk_requant(prod, p->output_multiplier, p->output_shift, p->output_offset,
                      p->act_min, p->act_max);
}

typedef enum { OP_ADD, OP_MUL } binop_s8;

static sciot_status binary_s8(binop_s8 op, const sciot_binary_params *p,
                              const sciot_dims *d1, const int8_t *in1,
                              const sciot_dims *d2, const int8_t *in2,
                              const sciot_dims *dout, int8_t *out)
{
    if (!p || !d1 || !in1 || !d2 || !in2 || !dout || !out ||
        !sk_act_ok_s8(p->act_min, p->act_max))
        return SCIOT_ERR_INVALID_ARG;
    if (op == OP_ADD && (p->left_shift < 0 || p->left_shift > 30))
        return SCIOT_ERR_INVALID_ARG;
    sciot_status st = sciot_bcast_check(d1, d2, dout);
    if (st != SCIOT_OK)
        return st;

    if (sciot_dims_equal(d1, d2)) {
        const size_t n = sk_dims_count(dout);
#if defined(SCIOT_HAVE_AVX2)
        if (op == OP_ADD && sk_use_avx2()) {
            sk_add_s8_avx2(p, n, in1, in2, out); /* add_s8_avx2.c, same bytes */
            return SCIOT_OK;
        }
#endif
        if (op == OP_ADD)
            for (size_t i = 0; i < n; ++i)
                out[i] = add_one(p, in1[i], in2[i]);
        else
            for (size_t i = 0; i < n; ++i)
                out[i] = mul_one(p, in1[i], in2[i]);
        return SCIOT_OK;
    }

    size_t s1[4], s2[4];
    sciot_bcast_strides(d1, s1);
    sciot_bcast_strides(d2, s2);
    int8_t *o = out;
    for (int32_t b = 0; b < dout->n; ++b) {
        for (int32_t y = 0; y < dout->h; ++y) {
            for (int32_t x = 0; x < dout->w; ++x) {
                const int8_t *a = in1 + b * s1[0] + y * s1[1] + x * s1[2];
                const int8_t *c = in2 + b * s2[0] + y * s2[1] + x * s2[2];
                const size_t sa = s1[3], sc = s2[3];
                if (op == OP_ADD)
                    for (int32_t k = 0; k < dout->c; ++k)
                        *o++ = add_one(p, a[k * sa], c[k * sc]);
                else
                    for (int32_t k = 0; k < dout->c; ++k)
                        *o++ = mul_one(p, a[k * sa], c[k * sc]);
            }
        }
    }
    return SCIOT_OK;
}

sciot_status sciot_add_s8(const sciot_binary_params *p,
                          const sciot_dims *d1, const int8_t *in1,
                          const sciot_dims *d2, const int8_t *in2,
                          const sciot_dims *dout, int8_t *out)
{
    return binary_s8(OP_ADD, p, d1, in1, d2, in2, dout, out);
}

sciot_status sciot_mul_s8(const sciot_binary_params *p,
                          const sciot_dims *d1, const int8_t *in1,
                          const sciot_dims *d2, const int8_t *in2,
                          const sciot_dims *dout, int8_t *out)
{
    return binary_s8(OP_MUL, p, d1, in1, d2, in2, dout, out);
}
