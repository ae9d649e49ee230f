/* pool_f32.c — float32 AVERAGE_POOL_2D and MAX_POOL_2D (NHWC), following
 * TFLite's reference pooling: the window is clipped to the image (padding
 * taps are not counted), average = sum / count, max starts from the lowest
 * float; the result is clamped to [fact_min, fact_max]. */
#include <float.h>
#include "sciot/kernels.h"
#include "act_f32.h"

static sciot_status pool_check(const sciot_pool_params *p, const sciot_dims *in_dims,
                               const float *in, const sciot_dims *out_dims, float *out)
{
    if (!p || !in_dims || !in || !out_dims || !out)
        return SCIOT_ERR_INVALID_ARG;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->filter_h <= 0 || p->filter_w <= 0 ||
        p->pad_h < 0 || p->pad_w < 0 || !sciot_act_range_ok_f32(p->fact_min, p->fact_max))
        return SCIOT_ERR_INVALID_ARG;
    if (in_dims->n <= 0 || in_dims->h <= 0 || in_dims->w <= 0 || in_dims->c <= 0 ||
        out_dims->h <= 0 || out_dims->w <= 0 || out_dims->n != in_dims->n ||
        out_dims->c != in_dims->c)
        return SCIOT_ERR_SHAPE;
    /* Every window must overlap the image (window origins grow with the
     * output index, so checking the first and last row/column suffices).
     * A window with no taps makes TFLite's average pooling fail; we reject
     * it for both pools before writing anything. */
    if (p->filter_h - p->pad_h <= 0 || p->filter_w - p->pad_w <= 0 ||
        (int64_t)(out_dims->h - 1) * p->stride_h - p->pad_h >= in_dims->h ||
        (int64_t)(out_dims->w - 1) * p->stride_w - p->pad_w >= in_dims->w)
        return SCIOT_ERR_SHAPE;
    return SCIOT_OK;
}

static sciot_status pool_f32(int is_max, const sciot_pool_params *p, const sciot_dims *in_dims,
                             const float *in, const sciot_dims *out_dims, float *out)
{
    sciot_status st = pool_check(p, in_dims, in, out_dims, out);
    if (st != SCIOT_OK)
        return st;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, depth = in_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w;
    const float lo = p->fact_min, hi = p->fact_max;

    for (int32_t b = 0; b < in_dims->n; ++b) {
        const float *in_b = in + (size_t)b * in_h * in_w * depth;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const int32_t fy0 = iy0 < 0 ? -iy0 : 0;
            const int32_t fy1 = (in_h - iy0) < p->filter_h ? (in_h - iy0) : p->filter_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const int32_t fx0 = ix0 < 0 ? -ix0 : 0;
                const int32_t fx1 = (in_w - ix0) < p->filter_w ? (in_w - ix0) : p->filter_w;
                float *o = out + (((size_t)b * out_h + oy) * out_w + ox) * depth;
                for (int32_t ch = 0; ch < depth; ++ch) {
                    if (is_max) {
                        float m = -FLT_MAX;
                        for (int32_t fy = fy0; fy < fy1; ++fy)
                            for (int32_t fx = fx0; fx < fx1; ++fx) {
                                const float v =
                                    in_b[((size_t)(iy0 + fy) * in_w + (ix0 + fx)) * depth + ch];
                                m = (m < v) ? v : m; /* std::max(m, v) */
                            }
                        o[ch] = sciot_act_f32(m, lo, hi);
                    } else {
                        float total = 0.0f;
                        int32_t count = 0;
                        for (int32_t fy = fy0; fy < fy1; ++fy)
                            for (int32_t fx = fx0; fx < fx1; ++fx) {
                                total +=
                                    in_b[((size_t)(iy0 + fy) * in_w + (ix0 + fx)) * depth + ch];
                                ++count;
                            }
                        o[ch] = sciot_act_f32(total / (float)count, lo, hi);
                    }
                }
            }
        }
    }
    return SCIOT_OK;
}

sciot_status sciot_avgpool_f32(const sciot_pool_params *p, const sciot_dims *in_dims,
                               const float *in, const sciot_dims *out_dims, float *out)
{
    return pool_f32(0, p, in_dims, in, out_dims, out);
}

sciot_status sciot_maxpool_f32(const sciot_pool_params *p, const sciot_dims *in_dims,
                               const float *in, const sciot_dims *out_dims, float *out)
{
    return pool_f32(1, p, in_dims, in, out_dims, out);
}
