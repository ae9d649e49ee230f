/* conv_f32.c — float32 CONV_2D (NHWC), following TFLite's reference Conv:
 * for each output pixel and channel, accumulate in[y,x,ic] * filter[oc,ky,kx,ic]
 * over ky, kx, ic (in that order, skipping taps outside the image, i.e. zero
 * padding), then add the bias and clamp to [fact_min, fact_max]. Grouped
 * convolution is supported when filter c divides input c. */
#include "sciot/kernels.h"
#include "act_f32.h"

size_t sciot_conv2d_f32_scratch_size(const sciot_dims *in, const sciot_dims *filter,
                                     const sciot_dims *out)
{
    (void)in;
    (void)filter;
    (void)out;
    return 0;
}

static int dims_positive(const sciot_dims *d)
{
    return d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0;
}

sciot_status sciot_conv2d_f32(const sciot_conv_params *p,
                              const sciot_dims *in_dims, const float *in,
                              const sciot_dims *f_dims, const float *filter,
                              const float *bias,
                              const sciot_dims *out_dims, float *out, void *scratch)
{
    (void)scratch;
    if (!p || !in_dims || !in || !f_dims || !filter || !out_dims || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dilation_h <= 0 || p->dilation_w <= 0 ||
        p->pad_h < 0 || p->pad_w < 0 || !sciot_act_range_ok_f32(p->fact_min, p->fact_max))
        return SCIOT_ERR_INVALID_ARG;
    if (!dims_positive(in_dims) || !dims_positive(f_dims) || !dims_positive(out_dims))
        return SCIOT_ERR_SHAPE;
    if (out_dims->n != in_dims->n || out_dims->c != f_dims->n ||
        in_dims->c % f_dims->c != 0)
        return SCIOT_ERR_SHAPE;

    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t f_h = f_dims->h, f_w = f_dims->w, f_c = f_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / f_c;
    if (out_c % groups != 0)
        return SCIOT_ERR_SHAPE;
    const int32_t per_group = out_c / groups;
    const float lo = p->fact_min, hi = p->fact_max;

    for (int32_t b = 0; b < out_dims->n; ++b) {
        const float *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                float *o = out + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t g = oc / per_group;
                    const float *f_oc = filter + (size_t)oc * f_h * f_w * f_c;
                    float total = 0.0f;
                    for (int32_t ky = 0; ky < f_h; ++ky) {
                        const int32_t iy = iy0 + p->dilation_h * ky;
                        if (iy < 0 || iy >= in_h)
                            continue;
                        for (int32_t kx = 0; kx < f_w; ++kx) {
                            const int32_t ix = ix0 + p->dilation_w * kx;
                            if (ix < 0 || ix >= in_w)
                                continue;
                            const float *ip =
                                in_b + ((size_t)iy * in_w + ix) * in_c + (size_t)g * f_c;
                            const float *fp = f_oc + ((size_t)ky * f_w + kx) * f_c;
                            for (int32_t ic = 0; ic < f_c; ++ic)
                                total += ip[ic] * fp[ic];
                        }
                    }
                    const float bv = bias ? bias[oc] : 0.0f;
                    o[oc] = sciot_act_f32(total + bv, lo, hi);
                }
            }
        }
    }
    return SCIOT_OK;
}
