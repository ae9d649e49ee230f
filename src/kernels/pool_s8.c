/* pool_s8.c — int8 AVERAGE_POOL_2D and MAX_POOL_2D, bit-exact with TFLM's
 * reference_integer_ops::AveragePool / MaxPool: the window is clipped to the
 * image (padding taps are not counted); average = int32 sum of the valid
 * taps divided by their count rounding half away from zero
 * (acc > 0 ? (acc + n/2) / n : (acc - n/2) / n); max starts at -128; both
 * are then clamped to [act_min, act_max]. */
#include "sciot/kernels.h"
#include "kernels_internal.h"

typedef enum { POOL_AVG, POOL_MAX } pool_kind;

static sciot_status pool_s8(pool_kind kind, const sciot_pool_params *p,
                            const sciot_dims *in_dims, const int8_t *in,
                            const sciot_dims *out_dims, int8_t *out)
{
    if (!p || !in_dims || !in || !out_dims || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->filter_h <= 0 || p->filter_w <= 0 ||
        p->pad_h < 0 || p->pad_w < 0 || !sk_act_ok_s8(p->act_min, p->act_max))
        return SCIOT_ERR_INVALID_ARG;
    if (!sk_dims_positive(in_dims) || !sk_dims_positive(out_dims))
        return SCIOT_ERR_SHAPE;
    if (out_dims->n != in_dims->n || out_dims->c != in_dims->c)
        return SCIOT_ERR_SHAPE;

    const int32_t in_h = in_dims->h, in_w = in_dims->w, ch = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * ch;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t fy0 = y0 < 0 ? -y0 : 0;
            const int32_t fy1 = p->filter_h < in_h - y0 ? p->filter_h : in_h - y0;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fx1 = p->filter_w < in_w - x0 ? p->filter_w : in_w - x0;
                int8_t *o = out + (((size_t)b * out_h + oy) * out_w + ox) * ch;
                if (fy1 <= fy0 || fx1 <= fx0)
                    return SCIOT_ERR_SHAPE; /* window entirely in padding */
                const int32_t count = (fy1 - fy0) * (fx1 - fx0);
                for (int32_t c = 0; c < ch; ++c) {
                    int32_t acc = kind == POOL_AVG ? 0 : INT8_MIN;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *row =
                            in_b + ((size_t)(y0 + fy) * in_w + (size_t)(x0 + fx0)) * ch + c;
                        for (int32_t fx = 0; fx < fx1 - fx0; ++fx) {
                            const int32_t v = row[(size_t)fx * ch];
                            if (kind == POOL_AVG)
                                acc += v;
                            else if (v > acc)
                                acc = v;
                        }
                    }
                    if (kind == POOL_AVG)
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    o[c] = (int8_t)sk_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
    return SCIOT_OK;
}

sciot_status sciot_avgpool_s8(const sciot_pool_params *p, const sciot_dims *in_dims,
                              const int8_t *in, const sciot_dims *out_dims, int8_t *out)
{
    return pool_s8(POOL_AVG, p, in_dims, in, out_dims, out);
}

sciot_status sciot_maxpool_s8(const sciot_pool_params *p, const sciot_dims *in_dims,
                              const int8_t *in, const sciot_dims *out_dims, int8_t *out)
{
    return pool_s8(POOL_MAX, p, in_dims, in, out_dims, out);
}
