/* mean_s8.c — MEAN over a set of axes of a rank <= 4 tensor (given as 4-D),
 * int8 and float32, as TFLM's current reduce_common.cc EvalMeanHelper:
 * int8 (EvalIntegerMean), with sum = int32 sum of the raw values and
 * n = number of reduced elements:
 *  - same quantization in and out (zero points equal and
 *    in_scale == out_scale, i.e. multiplier 1<<30, shift 1):
 *    reference_ops::Mean, out = (int8)(sum / n), C division (toward zero);
 *  - otherwise reference_ops::QuantizedMeanOrSum: the multiplier absorbs 1/n
 *    (k = min(floor(log2 n), 32, 31 + shift); m' = (m << k) / n;
 *    s' = shift - k), out = clamp(mbqm(sum - in_zp * n, m', s') + out_zp).
 * float32: reference_ops::Mean, a float sum in row-major input order divided
 * by (float)n (the 4-D axes {1,2} special case computes the same thing). */
#include "sciot/kernels.h"
#include "kernels_internal.h"

void sciot_mean_s8_prepare(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                           sciot_mean_params *p)
{
    if (!p)
        return;
    p->in_zp = in_zp;
    p->out_zp = out_zp;
    sciot_quantize_multiplier((double)in_scale / (double)out_scale, &p->multiplier, &p->shift);
}

/* Shared shape walk: extents of the kept (outer) and reduced (inner) loops. */
typedef struct {
    int32_t ext[4];
    size_t stride[4];
    int reduce[4];
    size_t n_out, n_red;
} mean_geom;

static sciot_status mean_geom_init(const sciot_dims *d, const int reduce[4], mean_geom *g)
{
    if (!d || !reduce)
        return SCIOT_ERR_INVALID_ARG;
    if (!sk_dims_positive(d))
        return SCIOT_ERR_SHAPE;
    g->ext[0] = d->n;
    g->ext[1] = d->h;
    g->ext[2] = d->w;
    g->ext[3] = d->c;
    g->stride[3] = 1;
    for (int i = 2; i >= 0; --i)
        g->stride[i] = g->stride[i + 1] * (size_t)g->ext[i + 1];
    g->n_out = 1;
    g->n_red = 1;
    for (int i = 0; i < 4; ++i) {
        g->reduce[i] = reduce[i] != 0;
        if (g->reduce[i])
            g->n_red *= (size_t)g->ext[i];
        else
            g->n_out *= (size_t)g->ext[i];
    }
    return SCIOT_OK;
}

/* Offset in the input of the first element of output o (kept coords). */
static size_t mean_base(const mean_geom *g, size_t o)
{
    size_t off = 0;
    for (int i = 3; i >= 0; --i) {
        if (g->reduce[i])
            continue;
        off += (o % (size_t)g->ext[i]) * g->stride[i];
        o /= (size_t)g->ext[i];
    }
    return off;
}

/* Offset of the r-th reduced element (row-major over the reduced axes). */
static size_t mean_red(const mean_geom *g, size_t r)
{
    size_t off = 0;
    for (int i = 3; i >= 0; --i) {
        if (!g->reduce[i])
            continue;
        off += (r % (size_t)g->ext[i]) * g->stride[i];
        r /= (size_t)g->ext[i];
    }
    return off;
}

size_t sciot_mean_scratch_size(const sciot_dims *in, const int reduce[4])
{
    mean_geom g;
    if (mean_geom_init(in, reduce, &g) != SCIOT_OK)
        return 0;
    return g.n_out * sizeof(int32_t);
}

sciot_status sciot_mean_s8(const sciot_mean_params *p, const sciot_dims *in_dims,
                           const int8_t *in, const int reduce[4], int8_t *out, void *scratch)
{
    (void)scratch; /* sums are formed per output element; no buffer needed */
    if (!p || !in || !out)
        return SCIOT_ERR_INVALID_ARG;
    mean_geom g;
    sciot_status st = mean_geom_init(in_dims, reduce, &g);
    if (st != SCIOT_OK)
        return st;
    if (g.n_red > (size_t)INT32_MAX / 128u || p->shift > 31 || p->shift < -31)
        return SCIOT_ERR_INVALID_ARG;

    const int64_t n = (int64_t)g.n_red;
    const int same_quant =
        p->in_zp == p->out_zp && p->multiplier == ((int32_t)1 << 30) && p->shift == 1;
    int32_t mult = p->multiplier, shift = p->shift;
    if (!same_quant) {
        int k = 0;
        while (((int64_t)1 << (k + 1)) <= n)
            ++k;                      /* floor(log2(n)) */
        if (k > 32)
            k = 32;
        if (k > 31 + shift)
            k = 31 + shift;
        mult = (int32_t)(((int64_t)mult * ((int64_t)1 << k)) / n);
        shift -= k;
    }
    for (size_t o = 0; o < g.n_out; ++o) {
        const int8_t *base = in + mean_base(&g, o);
        int32_t sum = 0;
        for (size_t r = 0; r < g.n_red; ++r)
            sum += base[mean_red(&g, r)];
        if (same_quant) {
            out[o] = (int8_t)(sum / (int32_t)n);
        } else {
            const int32_t shifted = (int32_t)((int64_t)sum - (int64_t)p->in_zp * n);
            out[o] = sk_requant(shifted, mult, shift, p->out_zp, INT8_MIN, INT8_MAX);
        }
    }
    return SCIOT_OK;
}

sciot_status sciot_mean_f32(const sciot_dims *in_dims, const float *in,
                            const int reduce[4], float *out, void *scratch)
{
    (void)scratch;
    if (!in || !out)
        return SCIOT_ERR_INVALID_ARG;
    mean_geom g;
    sciot_status st = mean_geom_init(in_dims, reduce, &g);
    if (st != SCIOT_OK)
        return st;
    const float n = (float)g.n_red;
    for (size_t o = 0; o < g.n_out; ++o) {
        const float *base = in + mean_base(&g, o);
        float sum = 0.0f;
        for (size_t r = 0; r < g.n_red; ++r)
            sum += base[mean_red(&g, r)];
        out[o] = sum / n;
    }
    return SCIOT_OK;
}
