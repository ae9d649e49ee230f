/* conv_s8.c — int8 CONV_2D with per-channel requantization (NHWC input,
 * OHWI filter, int32 bias), bit-exact with TFLM's
 * reference_integer_ops::ConvPerChannel: for each output pixel and channel
 * acc = sum over valid taps of (in + input_offset) * filter (taps outside the
 * image are skipped), acc += bias, out = clamp(mbqm(acc, m[oc], s[oc]) +
 * output_offset, act_min, act_max). Grouped convolution when filter c divides
 * input c, as TFLM. With weights packed by sciot_conv2d_s8_pack (sciot_conv2d_s8_packed)
 * and scratch of sciot_conv2d_s8_scratch_size bytes, groups == 1 runs the
 * AVX2 path (conv_s8_avx2.c) when the CPU has it; same bytes. */
#include "sciot/kernels.h"
#include "kernels_internal.h"

size_t sciot_conv2d_s8_scratch_size(const sciot_dims *in, const sciot_dims *filter,
                                    const sciot_dims *out)
{
#if defined(SCIOT_HAVE_AVX2)
    if (in && filter && out && sk_use_avx2())
        return sk_conv2d_s8_avx2_scratch(in, filter, out);
#endif
    (void)in;
    (void)filter;
    (void)out;
    return 0;
}

size_t sciot_conv2d_s8_packed_size(const sciot_dims *filter)
{
#if defined(SCIOT_HAVE_AVX2)
    if (filter && sk_dims_positive(filter) && sk_use_avx2())
        return sk_conv2d_s8_avx2_packed_size(filter);
#endif
    (void)filter;
    return 0;
}

void sciot_conv2d_s8_pack(const sciot_dims *filter, const int8_t *weights, void *dst)
{
#if defined(SCIOT_HAVE_AVX2)
    if (filter && weights && dst && sk_dims_positive(filter) && sk_use_avx2())
        sk_conv2d_s8_avx2_pack(filter, weights, dst);
#endif
    (void)filter;
    (void)weights;
    (void)dst;
}

sciot_status sciot_conv2d_s8(const sciot_conv_params *p, const sciot_channel_quant *q,
                             const sciot_dims *in_dims, const int8_t *in,
                             const sciot_dims *f_dims, const int8_t *filter,
                             const int32_t *bias,
                             const sciot_dims *out_dims, int8_t *out, void *scratch)
{
    return sciot_conv2d_s8_packed(p, q, in_dims, in, f_dims, filter, NULL, bias, out_dims, out,
                                  scratch);
}

sciot_status sciot_conv2d_s8_packed(const sciot_conv_params *p, const sciot_channel_quant *q,
                                    const sciot_dims *in_dims, const int8_t *in,
                                    const sciot_dims *f_dims, const int8_t *filter,
                                    const void *packed, const int32_t *bias,
                                    const sciot_dims *out_dims, int8_t *out, void *scratch)
{
    if (!p || !q || !q->multiplier || !q->shift || !in_dims || !in || !f_dims || !filter ||
        !out_dims || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dilation_h <= 0 || p->dilation_w <= 0 ||
        p->pad_h < 0 || p->pad_w < 0 || !sk_act_ok_s8(p->act_min, p->act_max))
        return SCIOT_ERR_INVALID_ARG;
    if (!sk_dims_positive(in_dims) || !sk_dims_positive(f_dims) || !sk_dims_positive(out_dims))
        return SCIOT_ERR_SHAPE;
    if (out_dims->n != in_dims->n || out_dims->c != f_dims->n || in_dims->c % f_dims->c != 0)
        return SCIOT_ERR_SHAPE;

    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t f_h = f_dims->h, f_w = f_dims->w, f_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / f_c;
    if (out_c % groups != 0)
        return SCIOT_ERR_SHAPE;
    const int32_t per_group = out_c / groups;
#if defined(SCIOT_HAVE_AVX2)
    if (packed && scratch && groups == 1 && sk_use_avx2()) {
        sk_conv2d_s8_avx2(p, q, in_dims, in, f_dims, packed, bias, out_dims, out, scratch);
        return SCIOT_OK;
    }
#endif
    const int32_t in_off = p->input_offset, out_off = p->output_offset;
    const int32_t act_min = p->act_min, act_max = p->act_max;
    const size_t f_oc_stride = (size_t)f_h * f_w * f_c;

    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                int8_t *o = out + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t ic0 = (oc / per_group) * f_c;
                    const int8_t *f_oc = filter + (size_t)oc * f_oc_stride;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < f_h; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        if (iy < 0 || iy >= in_h)
                            continue;
                        for (int32_t kx = 0; kx < f_w; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            if (ix < 0 || ix >= in_w)
                                continue;
                            const int8_t *ip = in_b + ((size_t)iy * in_w + ix) * in_c + ic0;
                            const int8_t *fp = f_oc + ((size_t)ky * f_w + kx) * f_c;
                            for (int32_t ic = 0; ic < f_c; ++ic)
                                acc = sk_wrap_add(acc, ((int32_t)ip[ic] + in_off) * (int32_t)fp[ic]);
                        }
                    }
                    if (bias)
                        acc = sk_wrap_add(acc, bias[oc]);
                    o[oc] = sk_requant(acc, q->multiplier[oc], q->shift[oc], out_off,
                                       act_min, act_max);
                }
            }
        }
    }
    return SCIOT_OK;
}
