/* engine.c — prepare every operator once, then run any range [a, b).
 *
 * sciot_engine_init lays the caller's arena out as
 *
 *     [ activations (planned, plan.c) | offsets | op_prep[pb-pa] | extras | scratch ]
 *
 * where `extras` holds per-channel multipliers/shifts and concat sizes, and
 * `scratch` is one region sized for the hungriest kernel in the range. The
 * same functions size each piece without an arena (count mode) so that
 * sciot_engine_arena_size can report what a head [0, k) needs.
 *
 * Prepare validates every operator against the model: dtypes, ranks, shape
 * arithmetic (padding, strides, channel counts), quantization; errors name
 * the operator, e.g. "operator 4 (CONV_2D v3): filter has 8 input channels,
 * input has 16". sciot_engine_run only dispatches: no checks, no allocation. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "common/format.h"
#include "engine/engine_internal.h"

typedef struct {
    int32_t code;
    int32_t f32;
    sciot_dims d_in, d_f, d_out, d_in2;
    size_t n;
    union {
        struct { sciot_conv_params p; sciot_channel_quant q; const void *packed; } conv;
        struct { sciot_fc_params p; sciot_channel_quant q; int32_t batches, in_f, units; } fc;
        sciot_binary_params bin;
        sciot_pool_params pool;
        struct { sciot_softmax_params p; float beta; int32_t outer, depth; } sm;
        sciot_logistic_params lg;
        sciot_relu_params relu;
        struct { float lo, hi; } clamp;
        struct { int32_t mode, zp, mult, shift, out_zp; float scale; } qz;
        struct { sciot_mean_params p; int reduce[4]; } mean;
        struct { int32_t before[4], after[4]; int8_t v8; float vf; } pad;
        struct { size_t outer; size_t *inner; } cat;
    } u;
} op_prep;

typedef struct {
    uint8_t *base; /* NULL: count only */
    size_t used;
} carve;

static void *carve_take(carve *c, size_t bytes)
{
    size_t at = (c->used + 15) & ~(size_t)15;
    c->used = at + bytes;
    return c->base ? c->base + at : NULL;
}

#define OPFAIL(st, ...) op_fail(err, st, m, i, __VA_ARGS__)

static sciot_status op_fail(sciot_error *err, sciot_status st, const sciot_model *m, int32_t i,
                            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;


static sciot_status op_fail(sciot_error *err, sciot_status st, const sciot_model *m, int32_t i,
                            const char *fmt, ...)
{
    char msg[SCIOT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    sciot_vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sciot_fail(err, st, "operator %" PRId32 " (%s v%" PRId32 "): %s", i, sciot_op_name(m->ops[i].code),
                      m->ops[i].version, msg);
}

static int to4d(const sciot_tensor *t, sciot_dims *d)
{
    int32_t v[4] = {1, 1, 1, 1};
    if (t->rank > 4)
        return 0;
    for (int32_t k = 0; k < t->rank; k++)
        v[4 - t->rank + k] = t->dims[k];
    d->n = v[0];
    d->h = v[1];
    d->w = v[2];
    d->c = v[3];
    return 1;
}

static const sciot_tensor *in_t(const sciot_model *m, int32_t i, int32_t k)
{
    const sciot_op *o = &m->ops[i];
    if (k >= o->n_inputs || o->inputs[k] < 0)
        return NULL;
    return &m->tensors[o->inputs[k]];
}

static const sciot_tensor *out_t(const sciot_model *m, int32_t i)
{
    return &m->tensors[m->ops[i].outputs[0]];
}

static int quantized(const sciot_tensor *t) { return t->q.n_scales >= 1 && t->scale > 0.0f; }
static int zp_ok(const sciot_tensor *t) { return t->zero_point >= -128 && t->zero_point <= 127; }

/* TFLite ComputePaddingHeightWidth for one dimension.
 * [fuzz fix] Computed in int64: a hostile model's dims (up to 2^31-1) plus
 * stride, or (filter-1)*dilation, overflowed int32 (signed overflow, UB).
 * Results fit int32 whenever geometry_ok() holds. */
static int32_t out_size(int32_t padding, int32_t in, int32_t filter, int32_t stride, int32_t dil)
{
    int64_t eff = ((int64_t)filter - 1) * dil + 1;
    if (padding == SCIOT_PAD_SAME)
        return (int32_t)(((int64_t)in + stride - 1) / stride);
    return in >= eff ? (int32_t)(((int64_t)in - eff + stride) / stride) : 0;
}

static int32_t pad_before(int32_t in, int32_t filter, int32_t stride, int32_t dil, int32_t out)
{
    int64_t eff = ((int64_t)filter - 1) * dil + 1;
    int64_t total = ((int64_t)out - 1) * stride + eff - in;
    return total > 0 ? (int32_t)(total / 2) : 0;
}

/* [fuzz fix] The kernels index rows as oy*stride - pad + ky*dilation in
 * int32; that stays in range when input extent + 2 * effective filter extent
 * fits in int32 (always true for real models). */
static int geometry_ok(int32_t in, int32_t filter, int32_t dil)
{
    int64_t eff = ((int64_t)filter - 1) * dil + 1;
    return (int64_t)in + 2 * eff <= INT32_MAX;
}

/* Check dtype of the operator's data tensors: all int8 or all float32. */
static sciot_status check_dtypes(const sciot_model *m, int32_t i, const sciot_tensor *a, const sciot_tensor *b,
                                 const sciot_tensor *out, int32_t *f32, sciot_error *err)
{
    if (out->dtype != SCIOT_INT8 && out->dtype != SCIOT_FLOAT32)
        return OPFAIL(SCIOT_ERR_UNSUPPORTED_DTYPE, "output dtype %s not supported", sciot_dtype_name(out->dtype));
    if ((a && a->dtype != out->dtype) || (b && b->dtype != out->dtype))
        return OPFAIL(SCIOT_ERR_UNSUPPORTED_DTYPE, "mixed dtypes %s/%s -> %s not supported",
                      a ? sciot_dtype_name(a->dtype) : "-", b ? sciot_dtype_name(b->dtype) : "-",
                      sciot_dtype_name(out->dtype));
    *f32 = out->dtype == SCIOT_FLOAT32;
    if (!*f32) {
        if ((a && !quantized(a)) || (b && !quantized(b)) || !quantized(out))
            return OPFAIL(SCIOT_ERR_QUANT, "int8 tensor without quantization parameters");
        /* [fuzz fix] TFLite's int8 spec: zero points in [-128, 127]. A hostile
         * one (e.g. 2^30) overflowed the kernels' int32 input offsets. */
        if ((a && !zp_ok(a)) || (b && !zp_ok(b)) || !zp_ok(out))
            return OPFAIL(SCIOT_ERR_QUANT, "int8 zero point outside [-128, 127]");
    }
    return SCIOT_OK;
}

/* Per-channel requantization: real = in_scale * filter_scale[c] / out_scale. */
static sciot_status prep_channel_quant(const sciot_model *m, int32_t i, const sciot_tensor *in,
                                       const sciot_tensor *f, const sciot_tensor *out, int32_t channels,
                                       carve *c, sciot_channel_quant *q, sciot_error *err)
{
    int32_t *mult = carve_take(c, (size_t)channels * 4);
    int32_t *shift = carve_take(c, (size_t)channels * 4);
    if (f->q.n_scales != 1 && f->q.n_scales != channels)
        return OPFAIL(SCIOT_ERR_QUANT, "filter has %" PRId32 " scales for %" PRId32 " output channels", f->q.n_scales,
                      channels);
    if (!mult)
        return SCIOT_OK; /* count mode */
    for (int32_t ch = 0; ch < channels; ch++) {
        double fs = f->q.scales[f->q.n_scales == 1 ? 0 : ch];
        double real = (double)in->scale * fs / (double)out->scale;
        sciot_quantize_multiplier(real, &mult[ch], &shift[ch]);
    }
    q->multiplier = mult;
    q->shift = shift;
    return SCIOT_OK;
}

static sciot_status prep_conv(const sciot_model *m, int32_t i, op_prep *p, carve *c, size_t *scratch,
                              sciot_error *err)
{
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *in = in_t(m, i, 0), *f = in_t(m, i, 1), *b = in_t(m, i, 2), *out = out_t(m, i);
    int dw = o->code == SCIOT_OP_DEPTHWISE_CONV_2D;
    sciot_status s;
    if (!in || !f)
        return OPFAIL(SCIOT_ERR_MODEL, "needs an input and a filter");
    if (in->rank != 4 || f->rank != 4 || out->rank != 4)
        return OPFAIL(SCIOT_ERR_SHAPE, "input/filter/output must be 4-D (ranks %" PRId32 "/%" PRId32 "/%" PRId32 ")",
                      in->rank, f->rank, out->rank);
    if (!f->is_const)
        return OPFAIL(SCIOT_ERR_MODEL, "filter tensor is not constant");
    if ((s = check_dtypes(m, i, in, f, out, &p->f32, err)))
        return s;
    to4d(in, &p->d_in);
    to4d(f, &p->d_f);
    to4d(out, &p->d_out);
    const sciot_op_options *x = &o->opt;
    int32_t kh = f->dims[1], kw = f->dims[2];
    int32_t out_c = dw ? f->dims[3] : f->dims[0];
    if (dw) {
        if (f->dims[0] != 1)
            return OPFAIL(SCIOT_ERR_SHAPE, "depthwise filter batch is %" PRId32 ", expected 1", f->dims[0]);
        /* [fuzz fix] int64: channels x depth multiplier overflowed int32 */
        if ((int64_t)in->dims[3] * x->depth_multiplier != out_c)
            return OPFAIL(SCIOT_ERR_SHAPE,
                          "input channels %" PRId32 " x depth multiplier %" PRId32 " != filter channels %" PRId32,
                          in->dims[3], x->depth_multiplier, out_c);
    } else if (f->dims[3] != in->dims[3]) {
        return OPFAIL(SCIOT_ERR_SHAPE, "filter has %" PRId32 " input channels, input has %" PRId32, f->dims[3],
                      in->dims[3]);
    }
    if (!geometry_ok(in->dims[1], kh, x->dilation_h) || !geometry_ok(in->dims[2], kw, x->dilation_w))
        return OPFAIL(SCIOT_ERR_SHAPE,
                      "input %" PRId32 "x%" PRId32 " with filter %" PRId32 "x%" PRId32 " dilated %" PRId32 "x%" PRId32
                      " is too large",
                      in->dims[1], in->dims[2], kh, kw, x->dilation_h, x->dilation_w);
    int32_t oh = out_size(x->padding, in->dims[1], kh, x->stride_h, x->dilation_h);
    int32_t ow = out_size(x->padding, in->dims[2], kw, x->stride_w, x->dilation_w);
    if (out->dims[0] != in->dims[0] || out->dims[1] != oh || out->dims[2] != ow || out->dims[3] != out_c)
        return OPFAIL(SCIOT_ERR_SHAPE,
                      "output is [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32
                      "], input/filter/stride give [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                      out->dims[0], out->dims[1], out->dims[2], out->dims[3], in->dims[0], oh, ow, out_c);
    if (b) {
        if (!b->is_const || b->elems != (size_t)out_c)
            return OPFAIL(SCIOT_ERR_SHAPE, "bias must be a constant of %" PRId32 " values", out_c);
        if (b->dtype != (p->f32 ? SCIOT_FLOAT32 : SCIOT_INT32))
            return OPFAIL(SCIOT_ERR_UNSUPPORTED_DTYPE, "bias dtype %s not supported", sciot_dtype_name(b->dtype));
    }
    sciot_conv_params *cp = &p->u.conv.p;
    memset(cp, 0, sizeof *cp);
    cp->stride_h = x->stride_h;
    cp->stride_w = x->stride_w;
    cp->dilation_h = x->dilation_h;
    cp->dilation_w = x->dilation_w;
    cp->pad_h = pad_before(in->dims[1], kh, x->stride_h, x->dilation_h, oh);
    cp->pad_w = pad_before(in->dims[2], kw, x->stride_w, x->dilation_w, ow);
    cp->depth_multiplier = x->depth_multiplier;
    if (p->f32) {
        sciot_act_range_f32(x->activation, &cp->fact_min, &cp->fact_max);
        size_t sz = dw ? 0 : sciot_conv2d_f32_scratch_size(&p->d_in, &p->d_f, &p->d_out);
        if (sz > *scratch)
            *scratch = sz;
        return SCIOT_OK;
    }
    cp->input_offset = -in->zero_point;
    cp->output_offset = out->zero_point;
    sciot_act_range_s8(x->activation, out->scale, out->zero_point, &cp->act_min, &cp->act_max);
    size_t sz = dw ? sciot_dwconv_s8_scratch_size(&p->d_in, &p->d_f, &p->d_out)
                   : sciot_conv2d_s8_scratch_size(&p->d_in, &p->d_f, &p->d_out);
    if (sz > *scratch)
        *scratch = sz;
    /* filter repacked once for the SIMD path (none on this CPU/build: 0 bytes) */
    size_t psz = dw ? sciot_dwconv_s8_packed_size(&p->d_f) : sciot_conv2d_s8_packed_size(&p->d_f);
    void *packed = psz ? carve_take(c, psz) : NULL;
    if (packed) {
        if (dw)
            sciot_dwconv_s8_pack(&p->d_f, f->data, packed);
        else
            sciot_conv2d_s8_pack(&p->d_f, f->data, packed);
        p->u.conv.packed = packed;
    }
    return prep_channel_quant(m, i, in, f, out, out_c, c, &p->u.conv.q, err);
}

static sciot_status prep_fc(const sciot_model *m, int32_t i, op_prep *p, carve *c, sciot_error *err)
{
    const sciot_tensor *in = in_t(m, i, 0), *f = in_t(m, i, 1), *b = in_t(m, i, 2), *out = out_t(m, i);
    sciot_status s;
    if (!in || !f)
        return OPFAIL(SCIOT_ERR_MODEL, "needs an input and weights");
    if (f->rank != 2 || !f->is_const)
        return OPFAIL(SCIOT_ERR_SHAPE, "weights must be a 2-D constant (rank %" PRId32 ")", f->rank);
    if ((s = check_dtypes(m, i, in, f, out, &p->f32, err)))
        return s;
    int32_t units = f->dims[0], in_f = f->dims[1];
    if (in_f <= 0 || in->elems % (size_t)in_f != 0)
        return OPFAIL(SCIOT_ERR_SHAPE, "input of %zu values is not a multiple of %" PRId32 " features", in->elems,
                      in_f);
    int32_t batches = (int32_t)(in->elems / (size_t)in_f);
    if (out->elems != (size_t)batches * (size_t)units)
        return OPFAIL(SCIOT_ERR_SHAPE, "output has %zu values, expected %" PRId32 " x %" PRId32, out->elems, batches,
                      units);
    if (b && (!b->is_const || b->elems != (size_t)units || b->dtype != (p->f32 ? SCIOT_FLOAT32 : SCIOT_INT32)))
        return OPFAIL(SCIOT_ERR_SHAPE, "bias must be a constant of %" PRId32 " %s values", units,
                      p->f32 ? "float32" : "int32");
    p->u.fc.batches = batches;
    p->u.fc.in_f = in_f;
    p->u.fc.units = units;
    sciot_fc_params *fp = &p->u.fc.p;
    memset(fp, 0, sizeof *fp);
    if (p->f32) {
        sciot_act_range_f32(m->ops[i].opt.activation, &fp->fact_min, &fp->fact_max);
        return SCIOT_OK;
    }
    fp->input_offset = -in->zero_point;
    fp->filter_offset = -f->zero_point;
    fp->output_offset = out->zero_point;
    sciot_act_range_s8(m->ops[i].opt.activation, out->scale, out->zero_point, &fp->act_min, &fp->act_max);
    return prep_channel_quant(m, i, in, f, out, units, c, &p->u.fc.q, err);
}

static int broadcastable(const sciot_dims *a, const sciot_dims *b, const sciot_dims *o)
{
    const int32_t *x = &a->n, *y = &b->n, *z = &o->n;
    for (int k = 0; k < 4; k++) {
        int32_t want = x[k] == 1 ? y[k] : x[k];
        if ((x[k] != y[k] && x[k] != 1 && y[k] != 1) || z[k] != want)
            return 0;
    }
    return 1;
}

static sciot_status prep_binary(const sciot_model *m, int32_t i, op_prep *p, sciot_error *err)
{
    const sciot_tensor *a = in_t(m, i, 0), *b = in_t(m, i, 1), *out = out_t(m, i);
    sciot_status s;
    if (!a || !b)
        return OPFAIL(SCIOT_ERR_MODEL, "needs two inputs");
    if ((s = check_dtypes(m, i, a, b, out, &p->f32, err)))
        return s;
    if (!to4d(a, &p->d_in) || !to4d(b, &p->d_in2) || !to4d(out, &p->d_out))
        return OPFAIL(SCIOT_ERR_SHAPE, "ranks above 4 are not supported");
    if (!broadcastable(&p->d_in, &p->d_in2, &p->d_out))
        return OPFAIL(SCIOT_ERR_SHAPE,
                      "shapes [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "] and [%" PRId32 ",%" PRId32 ",%" PRId32
                      ",%" PRId32 "] do not broadcast to [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                      p->d_in.n, p->d_in.h, p->d_in.w, p->d_in.c, p->d_in2.n, p->d_in2.h, p->d_in2.w, p->d_in2.c,
                      p->d_out.n, p->d_out.h, p->d_out.w, p->d_out.c);
    int32_t act = m->ops[i].opt.activation;
    memset(&p->u.bin, 0, sizeof p->u.bin);
    if (p->f32) {
        sciot_act_range_f32(act, &p->u.bin.fact_min, &p->u.bin.fact_max);
    } else if (p->code == SCIOT_OP_ADD) {
        sciot_add_s8_prepare(a->scale, a->zero_point, b->scale, b->zero_point, out->scale, out->zero_point,
                             act, &p->u.bin);
    } else {
        sciot_mul_s8_prepare(a->scale, a->zero_point, b->scale, b->zero_point, out->scale, out->zero_point,
                             act, &p->u.bin);
    }
    return SCIOT_OK;
}

static sciot_status prep_pool(const sciot_model *m, int32_t i, op_prep *p, sciot_error *err)
{
    const sciot_tensor *in = in_t(m, i, 0), *out = out_t(m, i);
    const sciot_op_options *x = &m->ops[i].opt;
    sciot_status s;
    if (!in || in->rank != 4 || out->rank != 4)
        return OPFAIL(SCIOT_ERR_SHAPE, "input and output must be 4-D");
    if ((s = check_dtypes(m, i, in, NULL, out, &p->f32, err)))
        return s;
    if (!p->f32 && (in->scale != out->scale || in->zero_point != out->zero_point))
        return OPFAIL(SCIOT_ERR_QUANT, "input and output quantization differ");
    to4d(in, &p->d_in);
    to4d(out, &p->d_out);
    if (!geometry_ok(in->dims[1], x->filter_h, 1) || !geometry_ok(in->dims[2], x->filter_w, 1))
        return OPFAIL(SCIOT_ERR_SHAPE,
                      "input %" PRId32 "x%" PRId32 " with filter %" PRId32 "x%" PRId32 " is too large", in->dims[1],
                      in->dims[2], x->filter_h, x->filter_w);
    int32_t oh = out_size(x->padding, in->dims[1], x->filter_h, x->stride_h, 1);
    int32_t ow = out_size(x->padding, in->dims[2], x->filter_w, x->stride_w, 1);
    if (out->dims[0] != in->dims[0] || out->dims[1] != oh || out->dims[2] != ow || out->dims[3] != in->dims[3])
        return OPFAIL(SCIOT_ERR_SHAPE,
                      "output is [%" PRId32 ",%" PRId32 ",%" PRId32 ",%" PRId32 "], pooling gives [%" PRId32
                      ",%" PRId32 ",%" PRId32 ",%" PRId32 "]",
                      out->dims[0], out->dims[1], out->dims[2], out->dims[3], in->dims[0], oh, ow, in->dims[3]);
    sciot_pool_params *pp = &p->u.pool;
    memset(pp, 0, sizeof *pp);
    pp->stride_h = x->stride_h;
    pp->stride_w = x->stride_w;
    pp->filter_h = x->filter_h;
    pp->filter_w = x->filter_w;
    pp->pad_h = pad_before(in->dims[1], x->filter_h, x->stride_h, 1, oh);
    pp->pad_w = pad_before(in->dims[2], x->filter_w, x->stride_w, 1, ow);
    if (p->f32)
        sciot_act_range_f32(x->activation, &pp->fact_min, &pp->fact_max);
    else
        sciot_act_range_s8(x->activation, out->scale, out->zero_point, &pp->act_min, &pp->act_max);
    return SCIOT_OK;
}

static sciot_status same_shape(const sciot_model *m, int32_t i, const sciot_tensor *a, const sciot_tensor *b,
                               sciot_error *err)
{
    if (a->elems != b->elems)
        return OPFAIL(SCIOT_ERR_SHAPE, "input has %zu values, output %zu", a->elems, b->elems);
    return SCIOT_OK;
}

static sciot_status prep_unary(const sciot_model *m, int32_t i, op_prep *p, sciot_error *err)
{
    const sciot_tensor *in = in_t(m, i, 0), *out = out_t(m, i);
    sciot_status s;
    if (!in)
        return OPFAIL(SCIOT_ERR_MODEL, "missing input");
    if ((s = same_shape(m, i, in, out, err)))
        return s;
    p->n = out->elems;
    switch (p->code) {
    case SCIOT_OP_RESHAPE:
        if (in->bytes != out->bytes)
            return OPFAIL(SCIOT_ERR_SHAPE, "input has %zu bytes, output %zu", in->bytes, out->bytes);
        return SCIOT_OK;
    case SCIOT_OP_QUANTIZE:
        if (out->dtype != SCIOT_INT8 || !quantized(out))
            return OPFAIL(SCIOT_ERR_UNSUPPORTED_DTYPE, "output must be quantized int8, is %s",
                          sciot_dtype_name(out->dtype));
        p->u.qz.out_zp = out->zero_point;
        p->u.qz.scale = out->scale;
        if (in->dtype == SCIOT_FLOAT32) {
            p->u.qz.mode = 0;
        } else if (in->dtype == SCIOT_INT8 && quantized(in)) {
            p->u.qz.mode = 1;
            p->u.qz.zp = in->zero_point;
            sciot_quantize_multiplier((double)in->scale / (double)out->scale, &p->u.qz.mult, &p->u.qz.shift);
        } else {
            return OPFAIL(SCIOT_ERR_UNSUPPORTED_DTYPE, "input dtype %s not supported", sciot_dtype_name(in->dtype));
        }
        return SCIOT_OK;
    case SCIOT_OP_DEQUANTIZE:
        if (in->dtype != SCIOT_INT8 || !quantized(in) || out->dtype != SCIOT_FLOAT32)
            return OPFAIL(SCIOT_ERR_UNSUPPORTED_DTYPE, "only int8 -> float32 is supported (%s -> %s)",
                          sciot_dtype_name(in->dtype), sciot_dtype_name(out->dtype));
        p->u.qz.scale = in->scale;
        p->u.qz.zp = in->zero_point;
        return SCIOT_OK;
    default:
        break;
    }
    if ((s = check_dtypes(m, i, in, NULL, out, &p->f32, err)))
        return s;
    switch (p->code) {
    case SCIOT_OP_RELU:
    case SCIOT_OP_RELU6:
        if (p->f32) {
            p->u.clamp.lo = 0.0f;
            p->u.clamp.hi = p->code == SCIOT_OP_RELU6 ? 6.0f : INFINITY;
        } else {
            sciot_relu_s8_prepare(in->scale, in->zero_point, out->scale, out->zero_point,
                                  p->code == SCIOT_OP_RELU6, &p->u.relu);
        }
        return SCIOT_OK;
    case SCIOT_OP_LOGISTIC:
        if (!p->f32)
            sciot_logistic_s8_prepare(in->scale, in->zero_point, &p->u.lg);
        return SCIOT_OK;
    case SCIOT_OP_SOFTMAX: {
        int32_t depth = in->rank ? in->dims[in->rank - 1] : 1;
        if (depth <= 0)
            return OPFAIL(SCIOT_ERR_SHAPE, "empty last dimension");
        p->u.sm.depth = depth;
        p->u.sm.outer = (int32_t)(in->elems / (size_t)depth);
        p->u.sm.beta = m->ops[i].opt.beta;
        if (!p->f32)
            sciot_softmax_s8_prepare(in->scale, m->ops[i].opt.beta, out->zero_point, &p->u.sm.p);
        return SCIOT_OK;
    }
    default:
        return OPFAIL(SCIOT_ERR_UNSUPPORTED_OP, "no kernel");
    }
}

static sciot_status const_ints(const sciot_model *m, int32_t i, const sciot_tensor *t, int32_t *dst,
                               size_t cap, size_t *n, sciot_error *err)
{
    if (!t || !t->is_const || (t->dtype != SCIOT_INT32 && t->dtype != SCIOT_INT64))
        return OPFAIL(SCIOT_ERR_MODEL, "second input must be a constant int32/int64 tensor");
    if (t->elems > cap)
        return OPFAIL(SCIOT_ERR_SHAPE, "second input has %zu values, at most %zu allowed", t->elems, cap);
    for (size_t k = 0; k < t->elems; k++) {
        int64_t v;
        if (t->dtype == SCIOT_INT32) {
            int32_t v32;
            memcpy(&v32, (const uint8_t *)t->data + 4 * k, 4);
            v = v32;
        } else {
            memcpy(&v, (const uint8_t *)t->data + 8 * k, 8);
        }
        if (v < -(1 << 20) || v > (1 << 20))
            return OPFAIL(SCIOT_ERR_SHAPE, "value %lld out of range", (long long)v);
        dst[k] = (int32_t)v;
    }
    *n = t->elems;
    return SCIOT_OK;
}

static sciot_status prep_pad(const sciot_model *m, int32_t i, op_prep *p, sciot_error *err)
{
    const sciot_tensor *in = in_t(m, i, 0), *out = out_t(m, i);
    int32_t pads[8];
    size_t n;
    sciot_status s;
    if (!in)
        return OPFAIL(SCIOT_ERR_MODEL, "missing input");
    if ((s = const_ints(m, i, in_t(m, i, 1), pads, 8, &n, err)))
        return s;
    if (in->rank > 4 || n != (size_t)in->rank * 2)
        return OPFAIL(SCIOT_ERR_SHAPE, "paddings has %zu values for a rank-%" PRId32 " input", n, in->rank);
    if ((s = check_dtypes(m, i, in, NULL, out, &p->f32, err)))
        return s;
    if (!p->f32 && (in->scale != out->scale || in->zero_point != out->zero_point))
        return OPFAIL(SCIOT_ERR_QUANT, "input and output quantization differ");
    to4d(in, &p->d_in);
    to4d(out, &p->d_out);
    for (int k = 0; k < 4; k++)
        p->u.pad.before[k] = p->u.pad.after[k] = 0;
    for (int32_t k = 0; k < in->rank; k++) {
        int32_t d = 4 - in->rank + k;
        if (pads[2 * k] < 0 || pads[2 * k + 1] < 0)
            return OPFAIL(SCIOT_ERR_SHAPE, "negative padding");
        p->u.pad.before[d] = pads[2 * k];
        p->u.pad.after[d] = pads[2 * k + 1];
        /* [fuzz fix] int64: dim + paddings overflowed int32 */
        int64_t want = (int64_t)in->dims[k] + pads[2 * k] + pads[2 * k + 1];
        if (out->dims[k] != want)
            return OPFAIL(SCIOT_ERR_SHAPE, "output dim %" PRId32 " is %" PRId32 ", padding gives %lld", k,
                          out->dims[k], (long long)want);
    }
    p->u.pad.v8 = (int8_t)out->zero_point;
    p->u.pad.vf = 0.0f;
    return SCIOT_OK;
}

static sciot_status prep_mean(const sciot_model *m, int32_t i, op_prep *p, size_t *scratch, sciot_error *err)
{
    const sciot_tensor *in = in_t(m, i, 0), *out = out_t(m, i);
    int32_t axes[8];
    size_t n;
    sciot_status s;
    if (!in)
        return OPFAIL(SCIOT_ERR_MODEL, "missing input");
    if ((s = const_ints(m, i, in_t(m, i, 1), axes, 8, &n, err)))
        return s;
    if ((s = check_dtypes(m, i, in, NULL, out, &p->f32, err)))
        return s;
    if (!to4d(in, &p->d_in))
        return OPFAIL(SCIOT_ERR_SHAPE, "rank %" PRId32 " above 4", in->rank);
    memset(p->u.mean.reduce, 0, sizeof p->u.mean.reduce);
    size_t kept = 1;
    for (size_t k = 0; k < n; k++) {
        int32_t a = axes[k] < 0 ? axes[k] + in->rank : axes[k];
        if (a < 0 || a >= in->rank)
            return OPFAIL(SCIOT_ERR_SHAPE, "axis %" PRId32 " out of range for rank %" PRId32, axes[k], in->rank);
        p->u.mean.reduce[4 - in->rank + a] = 1;
    }
    const int32_t *d = &p->d_in.n;
    for (int k = 0; k < 4; k++)
        if (!p->u.mean.reduce[k])
            kept *= (size_t)d[k];
    if (out->elems != kept)
        return OPFAIL(SCIOT_ERR_SHAPE, "output has %zu values, reduction keeps %zu", out->elems, kept);
    if (!p->f32)
        sciot_mean_s8_prepare(in->scale, in->zero_point, out->scale, out->zero_point, &p->u.mean.p);
    size_t sz = sciot_mean_scratch_size(&p->d_in, p->u.mean.reduce);
    if (sz > *scratch)
        *scratch = sz;
    return SCIOT_OK;
}

static sciot_status prep_concat(const sciot_model *m, int32_t i, op_prep *p, carve *c, sciot_error *err)
{
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *out = out_t(m, i);
    sciot_status s;
    int32_t axis = o->opt.axis < 0 ? o->opt.axis + out->rank : o->opt.axis;
    if (axis < 0 || axis >= out->rank)
        return OPFAIL(SCIOT_ERR_SHAPE, "axis %" PRId32 " out of range for rank %" PRId32, o->opt.axis, out->rank);
    if (o->opt.activation != SCIOT_ACT_NONE)
        return OPFAIL(SCIOT_ERR_UNSUPPORTED_OP, "fused activation on concatenation not supported");
    size_t outer = 1, sum = 0;
    for (int32_t k = 0; k < axis; k++)
        outer *= (size_t)out->dims[k];
    size_t *inner = carve_take(c, (size_t)o->n_inputs * sizeof(size_t));
    for (int32_t k = 0; k < o->n_inputs; k++) {
        const sciot_tensor *t = in_t(m, i, k);
        if (!t)
            return OPFAIL(SCIOT_ERR_MODEL, "input %" PRId32 " missing", k);
        if ((s = check_dtypes(m, i, t, NULL, out, &p->f32, err)))
            return s;
        if (!p->f32 && (t->scale != out->scale || t->zero_point != out->zero_point))
            return OPFAIL(SCIOT_ERR_QUANT, "input %" PRId32 " quantization differs from the output's", k);
        if (t->rank != out->rank)
            return OPFAIL(SCIOT_ERR_SHAPE, "input %" PRId32 " has rank %" PRId32 ", output %" PRId32, k, t->rank,
                          out->rank);
        size_t in_inner = 1;
        for (int32_t d = 0; d < t->rank; d++) {
            if (d != axis && t->dims[d] != out->dims[d])
                return OPFAIL(SCIOT_ERR_SHAPE, "input %" PRId32 " dim %" PRId32 " is %" PRId32 ", output %" PRId32, k,
                              d, t->dims[d], out->dims[d]);
            if (d >= axis)
                in_inner *= (size_t)t->dims[d];
        }
        sum += in_inner;
        if (inner)
            inner[k] = in_inner;
    }
    if (sum * outer != out->elems)
        return OPFAIL(SCIOT_ERR_SHAPE, "inputs add up to %zu values, output has %zu", sum * outer, out->elems);
    p->u.cat.outer = outer;
    p->u.cat.inner = inner;
    return SCIOT_OK;
}

static sciot_status prep_op(const sciot_model *m, int32_t i, op_prep *p, carve *c, size_t *scratch,
                            sciot_error *err)
{
    const sciot_op *o = &m->ops[i];
    memset(p, 0, sizeof *p);
    p->code = o->code;
    if (o->n_outputs != 1)
        return OPFAIL(SCIOT_ERR_UNSUPPORTED_OP, "%" PRId32 " outputs, expected 1", o->n_outputs);
    switch (o->code) {
    case SCIOT_OP_CONV_2D:
    case SCIOT_OP_DEPTHWISE_CONV_2D:
        return prep_conv(m, i, p, c, scratch, err);
    case SCIOT_OP_FULLY_CONNECTED:
        return prep_fc(m, i, p, c, err);
    case SCIOT_OP_ADD:
    case SCIOT_OP_MUL:
        return prep_binary(m, i, p, err);
    case SCIOT_OP_AVERAGE_POOL_2D:
    case SCIOT_OP_MAX_POOL_2D:
        return prep_pool(m, i, p, err);
    case SCIOT_OP_PAD:
        return prep_pad(m, i, p, err);
    case SCIOT_OP_MEAN:
        return prep_mean(m, i, p, scratch, err);
    case SCIOT_OP_CONCATENATION:
        return prep_concat(m, i, p, c, err);
    default:
        return prep_unary(m, i, p, err);
    }
}

/* Size or fill the persistent part. base == NULL: count only. */
static sciot_status layout(sciot_engine *e, const sciot_model *m, int32_t pa, int32_t pb, uint8_t *base,
                           size_t *persistent, size_t *scratch_size, sciot_error *err)
{
    carve c = {base, 0};
    op_prep tmp;
    sciot_status s;
    size_t scratch = plan_scratch_bytes(m);
    int32_t *offsets = carve_take(&c, (size_t)m->n_tensors * 4);
    op_prep *prep = carve_take(&c, (size_t)(pb - pa) * sizeof(op_prep));
    for (int32_t i = pa; i < pb; i++) {
        op_prep *p = prep ? &prep[i - pa] : &tmp;
        if ((s = prep_op(m, i, p, &c, &scratch, err)))
            return s;
    }
    void *scr = carve_take(&c, scratch);
    if (e) {
        e->offsets = offsets;
        e->prep = prep;
        e->scratch = scr;
        e->scratch_size = scratch;
    }
    *persistent = c.used;
    *scratch_size = scratch;
    return SCIOT_OK;
}

static sciot_status check_range(const sciot_model *m, int32_t pa, int32_t pb, sciot_error *err)
{
    if (!m)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "no model");
    if (pa < 0 || pb > m->n_ops || pa > pb)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "operator range [%" PRId32 ", %" PRId32 ") outside [0, %" PRId32 "]", pa, pb, m->n_ops);
    return SCIOT_OK;
}

/* Tensor bytes of the plan need the plan itself; computed with a stack-free
 * trick: plan into the scratch region of a counting pass is impossible
 * without memory, so arena_size plans into a small caller-side buffer. */
sciot_status sciot_engine_arena_size(const sciot_model *m, int32_t pa, int32_t pb, sciot_arena_info *info,
                                     sciot_error *err)
{
    sciot_status s;
    size_t persistent, scratch;
    if ((s = check_range(m, pa, pb, err)))
        return s;
    if (!info)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "info is NULL");
    if ((s = layout(NULL, m, pa, pb, NULL, &persistent, &scratch, err)))
        return s;
    /* plan with memory from the stack in chunks is not possible for
     * arbitrary models; the plan needs n_tensors * 5 int32. */
    enum { STACK_TENSORS = 2048 };
    int32_t buf[STACK_TENSORS * 5];
    if (m->n_tensors > STACK_TENSORS)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "model has %" PRId32 " tensors; arena sizing supports %d",
                          m->n_tensors, STACK_TENSORS);
    info->tensor_bytes = plan_arena(m, pa, pb, buf, buf + m->n_tensors, &info->naive_bytes);
    /* [fuzz fix] per-tensor offsets are int32: a plan past 2 GiB wrapped them
     * (negative offsets, overlapping placements) and was accepted. */
    if (info->tensor_bytes > (size_t)INT32_MAX)
        return sciot_fail(err, SCIOT_ERR_LENGTH,
                          "[%" PRId32 ", %" PRId32 ") needs %zu bytes of activations; plans are limited to 2 GiB", pa,
                          pb, info->tensor_bytes);
    info->persistent_bytes = persistent;
    info->total_bytes = ((info->tensor_bytes + 15) & ~(size_t)15) + persistent + 16;
    return SCIOT_OK;
}

sciot_status sciot_engine_init(sciot_engine *e, const sciot_model *m, int32_t pa, int32_t pb, void *arena,
                               size_t arena_size, sciot_error *err)
{
    sciot_status s;
    size_t persistent, scratch;
    if (!e)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "engine is NULL");
    memset(e, 0, sizeof *e);
    if ((s = check_range(m, pa, pb, err)))
        return s;
    if (!arena)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "no arena");
    /* align the arena start */
    uintptr_t a0 = ((uintptr_t)arena + 15) & ~(uintptr_t)15;
    size_t lost = (size_t)(a0 - (uintptr_t)arena);
    if (arena_size < lost)
        return sciot_fail(err, SCIOT_ERR_ARENA, "arena of %zu bytes is too small", arena_size);
    uint8_t *base = (uint8_t *)a0;
    size_t avail = arena_size - lost;
    if ((s = layout(NULL, m, pa, pb, NULL, &persistent, &scratch, err)))
        return s;
    if (persistent > avail)
        return sciot_fail(err, SCIOT_ERR_ARENA, "arena of %zu bytes is too small: the persistent part alone needs %zu",
                          arena_size, persistent);
    /* persistent part at the tail */
    uint8_t *tail = base + ((avail - persistent) & ~(size_t)15);
    if ((s = layout(e, m, pa, pb, tail, &persistent, &scratch, err)))
        return s;
    size_t naive;
    size_t tensor_bytes = plan_arena(m, pa, pb, e->offsets, e->scratch, &naive);
    if (tensor_bytes > (size_t)INT32_MAX) /* [fuzz fix] int32 offsets, as in sciot_engine_arena_size */
        return sciot_fail(err, SCIOT_ERR_LENGTH,
                          "[%" PRId32 ", %" PRId32 ") needs %zu bytes of activations; plans are limited to 2 GiB", pa,
                          pb, tensor_bytes);
    if (tensor_bytes > (size_t)(tail - base))
        return sciot_fail(err, SCIOT_ERR_ARENA,
                          "arena of %zu bytes is too small: [%" PRId32 ", %" PRId32 ") needs %zu", arena_size, pa, pb,
                          ((tensor_bytes + 15) & ~(size_t)15) + persistent + 16);
    e->model = m;
    e->pa = pa;
    e->pb = pb;
    e->arena = base;
    e->arena_size = avail;
    e->info.tensor_bytes = tensor_bytes;
    e->info.persistent_bytes = persistent;
    e->info.total_bytes = ((tensor_bytes + 15) & ~(size_t)15) + persistent + 16;
    e->info.naive_bytes = naive;
    return SCIOT_OK;
}

void *sciot_engine_tensor(const sciot_engine *e, int32_t t)
{
    if (!e || !e->model || t < 0 || t >= e->model->n_tensors)
        return NULL;
    const sciot_tensor *tt = &e->model->tensors[t];
    if (tt->is_const)
        return (void *)tt->data;
    if (e->offsets[t] < 0)
        return NULL;
    return e->arena + e->offsets[t];
}

void sciot_engine_set_hook(sciot_engine *e, sciot_op_hook hook, void *user)
{
    if (e) {
        e->hook = hook;
        e->hook_user = user;
    }
}

static sciot_status run_op(sciot_engine *e, int32_t i, const op_prep *p)
{
    const sciot_op *o = &e->model->ops[i];
    void *out = sciot_engine_tensor(e, o->outputs[0]);
    const void *in0 = o->n_inputs > 0 ? sciot_engine_tensor(e, o->inputs[0]) : NULL;
    const void *in1 = o->n_inputs > 1 ? sciot_engine_tensor(e, o->inputs[1]) : NULL;
    const void *in2 = o->n_inputs > 2 ? sciot_engine_tensor(e, o->inputs[2]) : NULL;

    switch (p->code) {
    case SCIOT_OP_CONV_2D:
        if (p->f32)
            return sciot_conv2d_f32(&p->u.conv.p, &p->d_in, in0, &p->d_f, in1, in2, &p->d_out, out, e->scratch);
        return sciot_conv2d_s8_packed(&p->u.conv.p, &p->u.conv.q, &p->d_in, in0, &p->d_f, in1, p->u.conv.packed,
                                      in2, &p->d_out, out, e->scratch);
    case SCIOT_OP_DEPTHWISE_CONV_2D:
        if (p->f32)
            return sciot_dwconv_f32(&p->u.conv.p, &p->d_in, in0, &p->d_f, in1, in2, &p->d_out, out);
        return sciot_dwconv_s8_packed(&p->u.conv.p, &p->u.conv.q, &p->d_in, in0, &p->d_f, in1, p->u.conv.packed,
                                      in2, &p->d_out, out, e->scratch);
    case SCIOT_OP_FULLY_CONNECTED:
        if (p->f32)
            return sciot_fc_f32(&p->u.fc.p, p->u.fc.batches, p->u.fc.in_f, p->u.fc.units, in0, in1, in2, out);
        return sciot_fc_s8(&p->u.fc.p, &p->u.fc.q, p->u.fc.batches, p->u.fc.in_f, p->u.fc.units, in0, in1, in2,
                           out);
    case SCIOT_OP_ADD:
        if (p->f32)
            return sciot_add_f32(&p->u.bin, &p->d_in, in0, &p->d_in2, in1, &p->d_out, out);
        return sciot_add_s8(&p->u.bin, &p->d_in, in0, &p->d_in2, in1, &p->d_out, out);
    case SCIOT_OP_MUL:
        if (p->f32)
            return sciot_mul_f32(&p->u.bin, &p->d_in, in0, &p->d_in2, in1, &p->d_out, out);
        return sciot_mul_s8(&p->u.bin, &p->d_in, in0, &p->d_in2, in1, &p->d_out, out);
    case SCIOT_OP_AVERAGE_POOL_2D:
        if (p->f32)
            return sciot_avgpool_f32(&p->u.pool, &p->d_in, in0, &p->d_out, out);
        return sciot_avgpool_s8(&p->u.pool, &p->d_in, in0, &p->d_out, out);
    case SCIOT_OP_MAX_POOL_2D:
        if (p->f32)
            return sciot_maxpool_f32(&p->u.pool, &p->d_in, in0, &p->d_out, out);
        return sciot_maxpool_s8(&p->u.pool, &p->d_in, in0, &p->d_out, out);
    case SCIOT_OP_PAD:
        if (p->f32)
            return sciot_pad(4, &p->d_in, in0, p->u.pad.before, p->u.pad.after, &p->u.pad.vf, &p->d_out, out);
        return sciot_pad(1, &p->d_in, in0, p->u.pad.before, p->u.pad.after, &p->u.pad.v8, &p->d_out, out);
    case SCIOT_OP_RESHAPE:
        if (out != in0)
            memcpy(out, in0, e->model->tensors[o->outputs[0]].bytes);
        return SCIOT_OK;
    case SCIOT_OP_SOFTMAX:
        if (p->f32)
            return sciot_softmax_f32(p->u.sm.beta, p->u.sm.outer, p->u.sm.depth, in0, out);
        return sciot_softmax_s8(&p->u.sm.p, p->u.sm.outer, p->u.sm.depth, in0, out);
    case SCIOT_OP_LOGISTIC:
        if (p->f32)
            return sciot_logistic_f32(p->n, in0, out);
        return sciot_logistic_s8(&p->u.lg, p->n, in0, out);
    case SCIOT_OP_RELU:
    case SCIOT_OP_RELU6:
        if (p->f32)
            return sciot_clamp_f32(p->u.clamp.lo, p->u.clamp.hi, p->n, in0, out);
        return sciot_relu_s8(&p->u.relu, p->n, in0, out);
    case SCIOT_OP_QUANTIZE:
        if (p->u.qz.mode == 0)
            return sciot_quantize_f32_s8(p->u.qz.scale, p->u.qz.out_zp, p->n, in0, out);
        return sciot_requantize_s8(p->u.qz.zp, p->u.qz.mult, p->u.qz.shift, p->u.qz.out_zp, p->n, in0, out);
    case SCIOT_OP_DEQUANTIZE:
        return sciot_dequantize_s8_f32(p->u.qz.scale, p->u.qz.zp, p->n, in0, out);
    case SCIOT_OP_MEAN:
        if (p->f32)
            return sciot_mean_f32(&p->d_in, in0, p->u.mean.reduce, out, e->scratch);
        return sciot_mean_s8(&p->u.mean.p, &p->d_in, in0, p->u.mean.reduce, out, e->scratch);
    case SCIOT_OP_CONCATENATION: {
        enum { MAXCAT = 64 };
        const void *ins[MAXCAT];
        if (o->n_inputs > MAXCAT)
            return SCIOT_ERR_UNSUPPORTED_OP;
        for (int32_t k = 0; k < o->n_inputs; k++)
            ins[k] = sciot_engine_tensor(e, o->inputs[k]);
        return sciot_concat(p->f32 ? 4 : 1, o->n_inputs, ins, p->u.cat.inner, p->u.cat.outer, out);
    }
    default:
        return SCIOT_ERR_UNSUPPORTED_OP;
    }
}

sciot_status sciot_engine_run(sciot_engine *e, int32_t a, int32_t b, sciot_error *err)
{
    if (!e || !e->model)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "engine not initialised");
    if (a < e->pa || b > e->pb || a > b)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "range [%" PRId32 ", %" PRId32 ") outside the planned [%" PRId32 ", %" PRId32 ")", a, b,
                          e->pa, e->pb);
    const op_prep *prep = e->prep;
    for (int32_t i = a; i < b; i++) {
        if (e->hook)
            e->hook(e->hook_user, i, 0);
        sciot_status s = run_op(e, i, &prep[i - e->pa]);
        if (e->hook)
            e->hook(e->hook_user, i, 1);
        if (s) {
            const sciot_model *m = e->model;
            return OPFAIL(s, "kernel failed: %s", sciot_strerror(s));
        }
    }
    return SCIOT_OK;
}
