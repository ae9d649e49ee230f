/* dwconv_f32.c — float32 DEPTHWISE_CONV_2D (NHWC), following TFLite's
 * reference DepthwiseConv: output channel oc = ic * depth_multiplier + m
 * accumulates in[y,x,ic] * filter[0,ky,kx,oc] over ky, kx (taps outside the
 * image skipped = zero padding), then adds the bias and clamps. */
#include "sciot/kernels.h"
#include "act_f32.h"

static int dims_positive(const sciot_dims *d)
{
    return d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0;
}

sciot_status sciot_dwconv_f32(const sciot_conv_params *p,
                              const sciot_dims *in_dims, const float *in,
                              const sciot_dims *f_dims, const float *filter,
                              const float *bias,
                              const sciot_dims *out_dims, float *out)
{
    if (!p || !in_dims || !in || !f_dims || !filter || !out_dims || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dilation_h <= 0 || p->dilation_w <= 0 ||
        p->pad_h < 0 || p->pad_w < 0 || p->depth_multiplier <= 0 ||
        !sciot_act_range_ok_f32(p->fact_min, p->fact_max))
        return SCIOT_ERR_INVALID_ARG;
    if (!dims_positive(in_dims) || !dims_positive(f_dims) || !dims_positive(out_dims))
        return SCIOT_ERR_SHAPE;
    if (f_dims->n != 1 || out_dims->n != in_dims->n || f_dims->c != out_dims->c ||
        (int64_t)in_dims->c * p->depth_multiplier != (int64_t)out_dims->c)
        return SCIOT_ERR_SHAPE;

    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t f_h = f_dims->h, f_w = f_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t dm = p->depth_multiplier;
    const float lo = p->fact_min, hi = p->fact_max;

    for (int32_t b = 0; b < out_dims->n; ++b) {
        const float *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                float *o = out + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < dm; ++m) {
                        const int32_t oc = ic * dm + m;
                        float total = 0.0f;
                        for (int32_t ky = 0; ky < f_h; ++ky) {
                            const int32_t iy = iy0 + p->dilation_h * ky;
                            if (iy < 0 || iy >= in_h)
                                continue;
                            for (int32_t kx = 0; kx < f_w; ++kx) {
                                const int32_t ix = ix0 + p->dilation_w * kx;
                                if (ix < 0 || ix >= in_w)
                                    continue;
                                total += in_b[((size_t)iy * in_w + ix) * in_c + ic] *
                                         filter[((size_t)ky * f_w + kx) * out_c + oc];
                            }
                        }
                        const float bv = bias ? bias[oc] : 0.0f;
                        o[oc] = sciot_act_f32(total + bv, lo, hi);
                    }
                }
            }
        }
    }
    return SCIOT_OK;
}
