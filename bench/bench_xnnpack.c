/* bench_xnnpack.c — SCIOT vs XNNPACK, operator by operator, in one process.
 *
 *   sciot_bench_xnnpack [--runs N] [--warmup W] [--input FILE] [--json] [MODEL...]
 *
 * Default models: $SCIOT_MODELS/person_detect/model.tflite and
 * $SCIOT_MODELS/fomo_face/model.tflite.
 *
 * For each model:
 *  1. SCIOT runs the whole model with the fast kernels and with the portable
 *     kernels forced (sciot_kernels_force_portable(1)); a per-operator hook
 *     times every operator. Whole-model time = median over N runs.
 *  2. Every operator XNNPACK (Debian's libxnnpack, single thread, NULL
 *     threadpool) has an int8 equivalent for is created with the same shapes,
 *     weights, per-channel scales, zero points, padding, strides, dilation and
 *     clamp: CONV_2D / DEPTHWISE_CONV_2D -> convolution2d_nhwc_qc8 (per-channel
 *     weights) or _qs8 (per-tensor); FULLY_CONNECTED -> fully_connected_nc_qs8
 *     (per-tensor) or a 1x1 qc8 convolution (per-channel); ADD -> add_nd_qs8;
 *     AVERAGE_POOL_2D whose window is the whole input -> global_average_pooling
 *     _nwc_qs8; PAD -> constant_pad_nd_x8. Everything else is sciot-only (this
 *     XNNPACK has no qs8 softmax, no qs8 windowed average pooling; RESHAPE is
 *     a layout no-op) and the output says so.
 *     Each XNNPACK operator reads a copy of the exact input SCIOT's operator
 *     read (captured by the hook), so per-operator outputs are compared
 *     directly: XNNPACK requantizes in fp32, SCIOT (= TFLite Micro) in fixed
 *     point, so 0-2 LSB differences are expected; more means a setup bug.
 *  3. The three measurements are interleaved in every run (order rotated run
 *     by run) so that noise on a shared machine hits them alike.
 *  4. Arena bytes for the whole model and each head [0,k) next to the naive
 *     sum of tensor sizes. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <xnnpack.h>

#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/kernels.h"
#include "sciot/model.h"

#ifndef SCIOT_XNNPACK_VERSION
#define SCIOT_XNNPACK_VERSION "unknown version"
#endif

#define MAX_CAP_IN 4 /* inputs captured per operator */

static const char help[] =
    "usage: sciot_bench_xnnpack [--runs N] [--warmup W] [--input FILE] [--json] [MODEL...]\n"
    "Times each MODEL (default: $SCIOT_MODELS/person_detect/model.tflite and\n"
    "$SCIOT_MODELS/fomo_face/model.tflite) with SCIOT's fast kernels, SCIOT's\n"
    "portable kernels and, for every operator XNNPACK can express in int8, with\n"
    "XNNPACK (single thread). N runs (default 200) after W warm-up runs (default\n"
    "10), the three interleaved in each run; medians reported. Input: FILE (as\n"
    "`sciot run` reads it) or xorshift32 bytes with seed 1 (as `sciot bench`).\n"
    "Each XNNPACK operator is fed SCIOT's input for that operator and its output\n"
    "is compared with SCIOT's (max LSB difference). --json prints one JSON object.\n";

/* ---- small helpers ----------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) in microseconds (v in ns); sorts a copy in tmp. */
static double median_us(const uint64_t *v, size_t n, uint64_t *tmp)
{
    if (n == 0)
        return 0.0;
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_u64);
    double ns = n % 2 ? (double)tmp[n / 2] : 0.5 * ((double)tmp[n / 2 - 1] + (double)tmp[n / 2]);
    return ns / 1000.0;
}

static double gmacs(uint64_t macs, double us) { return us > 0 ? (double)macs / us / 1e3 : 0.0; }
static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

static void shape_str(const sciot_tensor *t, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int32_t k = 0; k < t->rank && n < cap; k++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", k ? "," : "", t->dims[k]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

/* Shell-quote one argument into out (for the printed command line). */
static void append_quoted(char *out, size_t cap, const char *s)
{
    size_t n = strlen(out);
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%", *p))
            plain = 0;
    if (plain) {
        snprintf(out + n, cap - n, "%s", s);
        return;
    }
    if (n + 1 < cap)
        out[n++] = '\'';
    for (const char *p = s; *p && n + 5 < cap; p++) {
        if (*p == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    if (n + 1 < cap)
        out[n++] = '\'';
    out[n] = 0;
}

/* ---- per-model state --------------------------------------------------- */

typedef struct {
    uint8_t *in[MAX_CAP_IN]; /* copies of the op's non-constant inputs (+XNN_EXTRA_BYTES) */
    uint8_t *out;            /* copy of output 0 */
} capture;

typedef struct {
    int covered;
    char what[128];          /* XNNPACK operator used, or why not covered */
    xnn_operator_t op;
    int8_t *out;             /* XNNPACK's output buffer */
    size_t out_bytes;
    int max_lsb;             /* vs SCIOT's output for the same input */
    size_t n_diff;
} xop;

typedef struct {
    const char *path;
    sciot_model m;
    int loaded;
    sciot_engine e;
    void *arena;
    int32_t n;
    uint64_t macs;
    capture *cap_fast, *cap_port;
    xop *x;
    /* timing, [runs][n] ns */
    uint64_t *t_fast, *t_port, *t_xnn;
    uint64_t *tot_fast, *tot_port; /* whole model per run (around sciot_engine_run) */
    /* hook state */
    int mode;                /* 0: timing into t_cur, 1: capture into cap_cur */
    uint64_t *t_cur;
    capture *cap_cur;
    uint64_t start;
} bench_model;

static void hook(void *user, int32_t op, int phase)
{
    bench_model *b = user;
    if (b->mode == 0) {
        uint64_t now = now_ns();
        if (phase == 0)
            b->start = now;
        else if (b->t_cur)
            b->t_cur[op] = now - b->start;
        return;
    }
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[op];
    capture *c = &b->cap_cur[op];
    if (phase == 0) {
        for (int32_t k = 0; k < o->n_inputs && k < MAX_CAP_IN; k++) {
            int32_t t = o->inputs[k];
            if (t < 0 || m->tensors[t].is_const)
                continue;
            const void *p = sciot_engine_tensor(&b->e, t);
            size_t bytes = m->tensors[t].bytes;
            if (!p)
                continue;
            if (!c->in[k])
                c->in[k] = calloc(1, bytes + XNN_EXTRA_BYTES + 64);
            if (c->in[k])
                memcpy(c->in[k], p, bytes);
        }
    } else {
        int32_t t = o->outputs[0];
        const void *p = sciot_engine_tensor(&b->e, t);
        size_t bytes = m->tensors[t].bytes;
        if (!p)
            return;
        if (!c->out)
            c->out = calloc(1, bytes + XNN_EXTRA_BYTES + 64);
        if (c->out)
            memcpy(c->out, p, bytes);
    }
}

static const sciot_tensor *op_in(const sciot_model *m, int32_t i, int32_t k)
{
    const sciot_op *o = &m->ops[i];
    return k < o->n_inputs && o->inputs[k] >= 0 ? &m->tensors[o->inputs[k]] : NULL;
}

static int is_s8q(const sciot_tensor *t)
{
    return t && t->dtype == SCIOT_INT8 && t->q.n_scales >= 1 && t->scale > 0.0f;
}

/* TFLite SAME/VALID output size and padding (as the engine computes them). */
static void tf_padding(int32_t padding, int32_t in, int32_t filter, int32_t stride, int32_t dil, int32_t out,
                       uint32_t *before, uint32_t *after)
{
    int32_t eff = (filter - 1) * dil + 1;
    int32_t total = (out - 1) * stride + eff - in;
    (void)padding;
    if (total < 0)
        total = 0;
    *before = (uint32_t)(total / 2);
    *after = (uint32_t)(total - total / 2);
}

#define NOT_COVERED(...) (snprintf(x->what, sizeof x->what, __VA_ARGS__), 0)

static int xnn_fail(xop *x, const char *call, enum xnn_status st)
{
    snprintf(x->what, sizeof x->what, "XNNPACK refused: %s returned status %d", call, (int)st);
    if (x->op) {
        xnn_delete_operator(x->op);
        x->op = NULL;
    }
    return 0;
}

static int weights_symmetric(const sciot_tensor *f)
{
    for (int32_t k = 0; k < f->q.n_scales; k++)
        if (f->q.zero_points[k] != 0)
            return 0;
    return 1;
}

/* CONV_2D / DEPTHWISE_CONV_2D. TFLite conv filter is [out_c,kh,kw,in_c] =
 * XNNPACK's [groups=1][out][kh][kw][in]; TFLite's depthwise filter
 * [1,kh,kw,in_c*dm] is XNNPACK's HWG layout, selected with
 * XNN_FLAG_DEPTHWISE_CONVOLUTION (groups = in_c, 1 input and dm outputs per
 * group). */
static int make_conv(bench_model *b, int32_t i, xop *x)
{
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *in = op_in(m, i, 0), *f = op_in(m, i, 1), *bias = op_in(m, i, 2);
    const sciot_tensor *out = &m->tensors[o->outputs[0]];
    int dw = o->code == SCIOT_OP_DEPTHWISE_CONV_2D;
    if (!is_s8q(in) || !is_s8q(f) || !is_s8q(out))
        return NOT_COVERED("not an int8 quantized operator");
    if (in->rank != 4 || f->rank != 4 || out->rank != 4 || !f->is_const)
        return NOT_COVERED("unexpected ranks / non-constant filter");
    if (!weights_symmetric(f))
        return NOT_COVERED("filter zero point != 0 (XNNPACK needs symmetric weights)");
    if (bias && (bias->dtype != SCIOT_INT32 || !bias->is_const))
        return NOT_COVERED("bias is not a constant int32 tensor");
    const sciot_op_options *p = &o->opt;
    int32_t kh = f->dims[1], kw = f->dims[2], cin = in->dims[3], cout = out->dims[3];
    uint32_t groups = dw ? (uint32_t)cin : 1u;
    size_t gic = dw ? 1 : (size_t)cin, goc = dw ? (size_t)p->depth_multiplier : (size_t)cout;
    if (dw && (size_t)cin * goc != (size_t)cout)
        return NOT_COVERED("depthwise channels do not match the depth multiplier");
    uint32_t pt, pb, pl, pr;
    tf_padding(p->padding, in->dims[1], kh, p->stride_h, p->dilation_h, out->dims[1], &pt, &pb);
    tf_padding(p->padding, in->dims[2], kw, p->stride_w, p->dilation_w, out->dims[2], &pl, &pr);
    int32_t amin, amax;
    sciot_act_range_s8(p->activation, out->scale, out->zero_point, &amin, &amax);
    uint32_t flags = dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0;
    const int32_t *bdata = bias ? (const int32_t *)bias->data : NULL;
    enum xnn_status st;
    const char *kind;
    if (f->q.n_scales == cout && cout > 1) {
        kind = "convolution2d_nhwc_qc8";
        st = xnn_create_convolution2d_nhwc_qc8(
            pt, pr, pb, pl, (uint32_t)kh, (uint32_t)kw, (uint32_t)p->stride_h, (uint32_t)p->stride_w,
            (uint32_t)p->dilation_h, (uint32_t)p->dilation_w, groups, gic, goc, (size_t)cin, (size_t)cout,
            (int8_t)in->zero_point, in->scale, f->q.scales, (const int8_t *)f->data, bdata,
            (int8_t)out->zero_point, out->scale, (int8_t)amin, (int8_t)amax, flags, &x->op);
    } else if (f->q.n_scales == 1) {
        kind = "convolution2d_nhwc_qs8";
        st = xnn_create_convolution2d_nhwc_qs8(
            pt, pr, pb, pl, (uint32_t)kh, (uint32_t)kw, (uint32_t)p->stride_h, (uint32_t)p->stride_w,
            (uint32_t)p->dilation_h, (uint32_t)p->dilation_w, groups, gic, goc, (size_t)cin, (size_t)cout,
            (int8_t)in->zero_point, in->scale, f->scale, (const int8_t *)f->data, bdata,
            (int8_t)out->zero_point, out->scale, (int8_t)amin, (int8_t)amax, flags, &x->op);
    } else {
        return NOT_COVERED("filter has %d scales for %d channels", f->q.n_scales, cout);
    }
    if (st != xnn_status_success)
        return xnn_fail(x, kind, st);
    const int8_t *src = (const int8_t *)b->cap_fast[i].in[0];
    if (f->q.n_scales == 1)
        st = xnn_setup_convolution2d_nhwc_qs8(x->op, (size_t)in->dims[0], (size_t)in->dims[1],
                                              (size_t)in->dims[2], src, x->out, NULL);
    else
        st = xnn_setup_convolution2d_nhwc_qc8(x->op, (size_t)in->dims[0], (size_t)in->dims[1],
                                              (size_t)in->dims[2], src, x->out, NULL);
    if (st != xnn_status_success)
        return xnn_fail(x, "setup convolution", st);
    snprintf(x->what, sizeof x->what, "%s%s %dx%d s%d", kind, dw ? " (depthwise)" : "", kh, kw, p->stride_h);
    return 1;
}

/* FULLY_CONNECTED: per-tensor weights -> fully_connected_nc_qs8 ([units,in]
 * layout = TFLite's); per-channel -> 1x1 qc8 convolution over a 1 x batches
 * image. */
static int make_fc(bench_model *b, int32_t i, xop *x)
{
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *in = op_in(m, i, 0), *f = op_in(m, i, 1), *bias = op_in(m, i, 2);
    const sciot_tensor *out = &m->tensors[o->outputs[0]];
    if (!is_s8q(in) || !is_s8q(f) || !is_s8q(out))
        return NOT_COVERED("not an int8 quantized operator");
    if (f->rank != 2 || !f->is_const)
        return NOT_COVERED("weights are not a 2-D constant");
    if (!weights_symmetric(f))
        return NOT_COVERED("weight zero point != 0");
    if (bias && (bias->dtype != SCIOT_INT32 || !bias->is_const))
        return NOT_COVERED("bias is not a constant int32 tensor");
    size_t units = (size_t)f->dims[0], in_f = (size_t)f->dims[1];
    if (in_f == 0 || in->elems % in_f)
        return NOT_COVERED("input size is not a multiple of the features");
    size_t batches = in->elems / in_f;
    int32_t amin, amax;
    sciot_act_range_s8(o->opt.activation, out->scale, out->zero_point, &amin, &amax);
    const int32_t *bdata = bias ? (const int32_t *)bias->data : NULL;
    const int8_t *src = (const int8_t *)b->cap_fast[i].in[0];
    enum xnn_status st;
    if (f->q.n_scales == 1) {
        st = xnn_create_fully_connected_nc_qs8(in_f, units, in_f, units, (int8_t)in->zero_point, in->scale,
                                               f->scale, (const int8_t *)f->data, bdata,
                                               (int8_t)out->zero_point, out->scale, (int8_t)amin,
                                               (int8_t)amax, 0, &x->op);
        if (st != xnn_status_success)
            return xnn_fail(x, "fully_connected_nc_qs8", st);
        st = xnn_setup_fully_connected_nc_qs8(x->op, batches, src, x->out, NULL);
        if (st != xnn_status_success)
            return xnn_fail(x, "setup fully_connected_nc_qs8", st);
        snprintf(x->what, sizeof x->what, "fully_connected_nc_qs8 %zux%zu", units, in_f);
        return 1;
    }
    if ((size_t)f->q.n_scales != units)
        return NOT_COVERED("weights have %d scales for %zu units", f->q.n_scales, units);
    st = xnn_create_convolution2d_nhwc_qc8(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, in_f, units, in_f, units,
                                           (int8_t)in->zero_point, in->scale, f->q.scales,
                                           (const int8_t *)f->data, bdata, (int8_t)out->zero_point,
                                           out->scale, (int8_t)amin, (int8_t)amax, 0, &x->op);
    if (st != xnn_status_success)
        return xnn_fail(x, "convolution2d_nhwc_qc8 (1x1 for FC)", st);
    st = xnn_setup_convolution2d_nhwc_qc8(x->op, 1, 1, batches, src, x->out, NULL);
    if (st != xnn_status_success)
        return xnn_fail(x, "setup convolution2d_nhwc_qc8", st);
    snprintf(x->what, sizeof x->what, "convolution2d_nhwc_qc8 1x1 (per-channel FC)");
    return 1;
}

static void dims_of(const sciot_tensor *t, size_t *d, size_t *n)
{
    *n = t->rank ? (size_t)t->rank : 1;
    d[0] = 1;
    for (int32_t k = 0; k < t->rank; k++)
        d[k] = (size_t)t->dims[k];
}

static int make_add(bench_model *b, int32_t i, xop *x)
{
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *a = op_in(m, i, 0), *c = op_in(m, i, 1), *out = &m->tensors[o->outputs[0]];
    if (!is_s8q(a) || !is_s8q(c) || !is_s8q(out))
        return NOT_COVERED("not an int8 quantized operator");
    if (a->rank > XNN_MAX_TENSOR_DIMS || c->rank > XNN_MAX_TENSOR_DIMS)
        return NOT_COVERED("rank above %d", XNN_MAX_TENSOR_DIMS);
    const void *pa = a->is_const ? a->data : b->cap_fast[i].in[0];
    const void *pc = c->is_const ? c->data : b->cap_fast[i].in[1];
    if (!pa || !pc)
        return NOT_COVERED("input not captured");
    int32_t amin, amax;
    sciot_act_range_s8(o->opt.activation, out->scale, out->zero_point, &amin, &amax);
    enum xnn_status st = xnn_create_add_nd_qs8((int8_t)a->zero_point, a->scale, (int8_t)c->zero_point, c->scale,
                                               (int8_t)out->zero_point, out->scale, (int8_t)amin,
                                               (int8_t)amax, 0, &x->op);
    if (st != xnn_status_success)
        return xnn_fail(x, "add_nd_qs8", st);
    size_t da[XNN_MAX_TENSOR_DIMS], dc[XNN_MAX_TENSOR_DIMS], na, nc;
    dims_of(a, da, &na);
    dims_of(c, dc, &nc);
    st = xnn_setup_add_nd_qs8(x->op, na, da, nc, dc, pa, pc, x->out, NULL);
    if (st != xnn_status_success)
        return xnn_fail(x, "setup add_nd_qs8", st);
    snprintf(x->what, sizeof x->what, "add_nd_qs8");
    return 1;
}

/* AVERAGE_POOL_2D: only the global case (window = whole input, 1x1 output)
 * has a qs8 operator in this XNNPACK. */
static int make_avgpool(bench_model *b, int32_t i, xop *x)
{
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *in = op_in(m, i, 0), *out = &m->tensors[o->outputs[0]];
    if (!is_s8q(in) || !is_s8q(out) || in->rank != 4 || out->rank != 4)
        return NOT_COVERED("not a 4-D int8 quantized operator");
    if (!(o->opt.filter_h == in->dims[1] && o->opt.filter_w == in->dims[2] && out->dims[1] == 1 &&
          out->dims[2] == 1))
        return NOT_COVERED("windowed average pooling: this XNNPACK has it for qu8/f32 only");
    int32_t amin, amax;
    sciot_act_range_s8(o->opt.activation, out->scale, out->zero_point, &amin, &amax);
    size_t ch = (size_t)in->dims[3];
    enum xnn_status st = xnn_create_global_average_pooling_nwc_qs8(
        ch, ch, ch, (int8_t)in->zero_point, in->scale, (int8_t)out->zero_point, out->scale, (int8_t)amin,
        (int8_t)amax, 0, &x->op);
    if (st != xnn_status_success)
        return xnn_fail(x, "global_average_pooling_nwc_qs8", st);
    st = xnn_setup_global_average_pooling_nwc_qs8(x->op, (size_t)in->dims[0],
                                                  (size_t)in->dims[1] * (size_t)in->dims[2],
                                                  (const int8_t *)b->cap_fast[i].in[0], x->out, NULL);
    if (st != xnn_status_success)
        return xnn_fail(x, "setup global_average_pooling_nwc_qs8", st);
    snprintf(x->what, sizeof x->what, "global_average_pooling_nwc_qs8 %dx%d", in->dims[1], in->dims[2]);
    return 1;
}

static int make_pad(bench_model *b, int32_t i, xop *x)
{
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *in = op_in(m, i, 0), *pads = op_in(m, i, 1), *out = &m->tensors[o->outputs[0]];
    if (!in || in->dtype != SCIOT_INT8 || out->dtype != SCIOT_INT8)
        return NOT_COVERED("not an int8 operator");
    if (!pads || !pads->is_const || (pads->dtype != SCIOT_INT32 && pads->dtype != SCIOT_INT64) ||
        pads->elems != 2 * (size_t)in->rank || in->rank > XNN_MAX_TENSOR_DIMS || in->rank < 1)
        return NOT_COVERED("paddings are not a constant [rank,2] int tensor");
    if (op_in(m, i, 2))
        return NOT_COVERED("PADV2-style explicit pad value");
    size_t shape[XNN_MAX_TENSOR_DIMS], pre[XNN_MAX_TENSOR_DIMS], post[XNN_MAX_TENSOR_DIMS];
    for (int32_t k = 0; k < in->rank; k++) {
        int64_t v[2];
        for (int j = 0; j < 2; j++) {
            if (pads->dtype == SCIOT_INT32) {
                int32_t v32;
                memcpy(&v32, (const uint8_t *)pads->data + 4 * (2 * k + j), 4);
                v[j] = v32;
            } else {
                memcpy(&v[j], (const uint8_t *)pads->data + 8 * (2 * k + j), 8);
            }
        }
        if (v[0] < 0 || v[1] < 0)
            return NOT_COVERED("negative padding");
        shape[k] = (size_t)in->dims[k];
        pre[k] = (size_t)v[0];
        post[k] = (size_t)v[1];
    }
    int8_t value = (int8_t)out->zero_point; /* TFLite pads quantized tensors with the zero point */
    enum xnn_status st = xnn_create_constant_pad_nd_x8(&value, 0, &x->op);
    if (st != xnn_status_success)
        return xnn_fail(x, "constant_pad_nd_x8", st);
    st = xnn_setup_constant_pad_nd_x8(x->op, (size_t)in->rank, shape, pre, post, b->cap_fast[i].in[0], x->out,
                                      NULL);
    if (st != xnn_status_success)
        return xnn_fail(x, "setup constant_pad_nd_x8", st);
    snprintf(x->what, sizeof x->what, "constant_pad_nd_x8");
    return 1;
}

static int make_xop(bench_model *b, int32_t i, xop *x)
{
    const sciot_model *m = &b->m;
    const sciot_op *o = &m->ops[i];
    const sciot_tensor *out = &m->tensors[o->outputs[0]];
    x->out_bytes = out->bytes;
    switch (o->code) {
    case SCIOT_OP_CONV_2D:
    case SCIOT_OP_DEPTHWISE_CONV_2D:
    case SCIOT_OP_FULLY_CONNECTED:
    case SCIOT_OP_ADD:
    case SCIOT_OP_AVERAGE_POOL_2D:
    case SCIOT_OP_PAD:
        break;
    case SCIOT_OP_SOFTMAX:
        return NOT_COVERED("sciot-only: this XNNPACK has softmax for qu8/f32, not qs8");
    case SCIOT_OP_RESHAPE:
        return NOT_COVERED("sciot-only: layout no-op (no XNNPACK operator needed)");
    default:
        return NOT_COVERED("sciot-only: not mapped to XNNPACK by this benchmark");
    }
    if (!b->cap_fast[i].in[0] && !(op_in(m, i, 0) && op_in(m, i, 0)->is_const))
        return NOT_COVERED("input not captured");
    x->out = calloc(1, out->bytes + XNN_EXTRA_BYTES + 64);
    if (!x->out)
        return NOT_COVERED("out of memory");
    switch (o->code) {
    case SCIOT_OP_CONV_2D:
    case SCIOT_OP_DEPTHWISE_CONV_2D:
        return make_conv(b, i, x);
    case SCIOT_OP_FULLY_CONNECTED:
        return make_fc(b, i, x);
    case SCIOT_OP_ADD:
        return make_add(b, i, x);
    case SCIOT_OP_AVERAGE_POOL_2D:
        return make_avgpool(b, i, x);
    default:
        return make_pad(b, i, x);
    }
}

/* ---- running ----------------------------------------------------------- */

static void fill_input(bench_model *b)
{
    const sciot_model *m = &b->m;
    uint32_t s = 1;
    for (int32_t k = 0; k < m->n_inputs; k++) {
        const sciot_tensor *t = &m->tensors[m->inputs[k]];
        uint8_t *p = sciot_engine_tensor(&b->e, m->inputs[k]);
        for (size_t i = 0; i < t->bytes; i++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            p[i] = (uint8_t)(s >> 24);
        }
        if (t->dtype == SCIOT_FLOAT32)
            for (size_t e = 0; e < t->elems; e++)
                ((float *)p)[e] = (float)(p[4 * e] & 0xff) / 255.0f;
    }
}

/* The model inputs live in the arena and may be overwritten by later
 * operators: save them once, restore before every run. */
typedef struct {
    uint8_t *data[8];
} saved_inputs;

static void restore_inputs(bench_model *b, const saved_inputs *si)
{
    for (int32_t k = 0; k < b->m.n_inputs && k < 8; k++)
        memcpy(sciot_engine_tensor(&b->e, b->m.inputs[k]), si->data[k], b->m.tensors[b->m.inputs[k]].bytes);
}

static int capture_run(bench_model *b, capture *cap, int portable, const saved_inputs *si, sciot_error *err)
{
    sciot_kernels_force_portable(portable);
    restore_inputs(b, si);
    b->mode = 1;
    b->cap_cur = cap;
    sciot_status s = sciot_engine_run(&b->e, 0, b->n, err);
    b->mode = 0;
    return s != SCIOT_OK;
}

static int sciot_timed_run(bench_model *b, int portable, uint64_t *t_ops, uint64_t *total,
                           const saved_inputs *si, sciot_error *err)
{
    sciot_kernels_force_portable(portable);
    restore_inputs(b, si);
    b->mode = 0;
    b->t_cur = t_ops;
    uint64_t t0 = now_ns();
    sciot_status s = sciot_engine_run(&b->e, 0, b->n, err);
    uint64_t t1 = now_ns();
    if (total)
        *total = t1 - t0;
    return s != SCIOT_OK;
}

static int xnn_timed_run(bench_model *b, uint64_t *t_ops)
{
    for (int32_t i = 0; i < b->n; i++) {
        xop *x = &b->x[i];
        if (!x->covered)
            continue;
        uint64_t t0 = now_ns();
        enum xnn_status st = xnn_run_operator(x->op, NULL);
        uint64_t t1 = now_ns();
        if (st != xnn_status_success) {
            fprintf(stderr, "sciot_bench_xnnpack: operator %d: xnn_run_operator returned %d\n", i, (int)st);
            return 1;
        }
        if (t_ops)
            t_ops[i] = t1 - t0;
    }
    return 0;
}

/* ---- reporting ----------------------------------------------------------- */

typedef struct {
    long runs, warmup;
    int json;
    const char *input;
    const char *command;
    cJSON *root;
} options;

static void free_model(bench_model *b)
{
    if (b->x) {
        for (int32_t i = 0; i < b->n; i++) {
            if (b->x[i].op)
                xnn_delete_operator(b->x[i].op);
            free(b->x[i].out);
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        capture *c = pass ? b->cap_port : b->cap_fast;
        if (!c)
            continue;
        for (int32_t i = 0; i < b->n; i++) {
            for (int k = 0; k < MAX_CAP_IN; k++)
                free(c[i].in[k]);
            free(c[i].out);
        }
        free(c);
    }
    free(b->x);
    free(b->t_fast);
    free(b->t_port);
    free(b->t_xnn);
    free(b->tot_fast);
    free(b->tot_port);
    free(b->arena);
    if (b->loaded)
        sciot_model_free(&b->m);
}

static int bench_one(const char *path, const options *opt)
{
    bench_model B, *b = &B;
    memset(b, 0, sizeof B);
    b->path = path;
    sciot_error err = {0};
    saved_inputs si;
    memset(&si, 0, sizeof si);
    int rc = 1;
    const size_t runs = (size_t)opt->runs;
    uint64_t *col = NULL, *tmp = NULL, *sum = NULL;
    double *med_fast = NULL, *med_port = NULL, *med_xnn = NULL;

    if (sciot_model_load_file(&b->m, path, &err)) {
        fprintf(stderr, "sciot_bench_xnnpack: %s: %s\n", path, err.msg);
        return 1;
    }
    b->loaded = 1;
    const sciot_model *m = &b->m;
    b->n = m->n_ops;
    const int32_t n = b->n;
    for (int32_t i = 0; i < n; i++)
        b->macs += m->ops[i].macs;
    sciot_arena_info info;
    if (sciot_engine_arena_size(m, 0, n, &info, &err) ||
        !(b->arena = aligned_alloc(64, (info.total_bytes + 63) / 64 * 64)) ||
        sciot_engine_init(&b->e, m, 0, n, b->arena, info.total_bytes, &err)) {
        fprintf(stderr, "sciot_bench_xnnpack: %s: %s\n", path, err.msg[0] ? err.msg : "out of memory");
        goto out;
    }
    sciot_engine_set_hook(&b->e, hook, b);
    size_t nn = (size_t)(n ? n : 1);
    b->cap_fast = calloc(nn, sizeof *b->cap_fast);
    b->cap_port = calloc(nn, sizeof *b->cap_port);
    b->x = calloc(nn, sizeof *b->x);
    b->t_fast = calloc(runs * nn, sizeof(uint64_t));
    b->t_port = calloc(runs * nn, sizeof(uint64_t));
    b->t_xnn = calloc(runs * nn, sizeof(uint64_t));
    b->tot_fast = calloc(runs, sizeof(uint64_t));
    b->tot_port = calloc(runs, sizeof(uint64_t));
    col = calloc(runs, sizeof(uint64_t));
    tmp = calloc(runs, sizeof(uint64_t));
    sum = calloc(runs, sizeof(uint64_t));
    med_fast = calloc(nn, sizeof(double));
    med_port = calloc(nn, sizeof(double));
    med_xnn = calloc(nn, sizeof(double));
    if (!b->cap_fast || !b->cap_port || !b->x || !b->t_fast || !b->t_port || !b->t_xnn || !b->tot_fast ||
        !b->tot_port || !col || !tmp || !sum || !med_fast || !med_port || !med_xnn) {
        fprintf(stderr, "sciot_bench_xnnpack: out of memory\n");
        goto out;
    }

    /* input */
    if (opt->input) {
        if (m->n_inputs != 1) {
            fprintf(stderr, "sciot_bench_xnnpack: %s: --input needs a single-input model\n", path);
            goto out;
        }
        if (sciot_load_input(opt->input, &m->tensors[m->inputs[0]], sciot_engine_tensor(&b->e, m->inputs[0]),
                             &err)) {
            fprintf(stderr, "sciot_bench_xnnpack: %s: %s\n", opt->input, err.msg);
            goto out;
        }
    } else {
        fill_input(b);
    }
    for (int32_t k = 0; k < m->n_inputs && k < 8; k++) {
        size_t bytes = m->tensors[m->inputs[k]].bytes;
        si.data[k] = malloc(bytes ? bytes : 1);
        if (!si.data[k])
            goto out;
        memcpy(si.data[k], sciot_engine_tensor(&b->e, m->inputs[k]), bytes);
    }

    /* capture every operator's inputs and output, fast and portable */
    if (capture_run(b, b->cap_fast, 0, &si, &err) || capture_run(b, b->cap_port, 1, &si, &err)) {
        fprintf(stderr, "sciot_bench_xnnpack: %s: %s\n", path, err.msg);
        goto out;
    }
    int32_t fast_port_mismatch = 0;
    for (int32_t i = 0; i < n; i++) {
        size_t bytes = m->tensors[m->ops[i].outputs[0]].bytes;
        if (!b->cap_fast[i].out || !b->cap_port[i].out || memcmp(b->cap_fast[i].out, b->cap_port[i].out, bytes))
            fast_port_mismatch++;
    }

    /* XNNPACK operators */
    int32_t n_cov = 0;
    uint64_t macs_cov = 0;
    for (int32_t i = 0; i < n; i++) {
        b->x[i].covered = make_xop(b, i, &b->x[i]);
        if (b->x[i].covered) {
            n_cov++;
            macs_cov += m->ops[i].macs;
        }
    }

    /* interleaved timing: the order of the three rotates every run */
    for (long r = -opt->warmup; r < opt->runs; r++) {
        int keep = r >= 0;
        size_t row = keep ? (size_t)r * nn : 0;
        for (int step = 0; step < 3; step++) {
            int which = (int)(((r % 3) + 3 + step) % 3);
            int fail = 0;
            if (which == 0)
                fail = sciot_timed_run(b, 0, b->t_fast + row, keep ? &b->tot_fast[r] : NULL, &si, &err);
            else if (which == 1)
                fail = sciot_timed_run(b, 1, b->t_port + row, keep ? &b->tot_port[r] : NULL, &si, &err);
            else
                fail = xnn_timed_run(b, b->t_xnn + row);
            if (fail) {
                if (which < 2)
                    fprintf(stderr, "sciot_bench_xnnpack: %s: %s\n", path, err.msg);
                goto out;
            }
        }
    }
    sciot_kernels_force_portable(0);

    /* correctness: XNNPACK output vs SCIOT output for the same input */
    int worst_lsb = 0;
    for (int32_t i = 0; i < n; i++) {
        xop *x = &b->x[i];
        if (!x->covered)
            continue;
        const int8_t *ref = (const int8_t *)b->cap_fast[i].out;
        for (size_t k = 0; k < x->out_bytes; k++) {
            int d = abs((int)x->out[k] - (int)ref[k]);
            if (d) {
                x->n_diff++;
                if (d > x->max_lsb)
                    x->max_lsb = d;
            }
        }
        if (x->max_lsb > worst_lsb)
            worst_lsb = x->max_lsb;
    }

    /* medians */
    for (int32_t i = 0; i < n; i++) {
        for (size_t r = 0; r < runs; r++)
            col[r] = b->t_fast[r * nn + (size_t)i];
        med_fast[i] = median_us(col, runs, tmp);
        for (size_t r = 0; r < runs; r++)
            col[r] = b->t_port[r * nn + (size_t)i];
        med_port[i] = median_us(col, runs, tmp);
        if (b->x[i].covered) {
            for (size_t r = 0; r < runs; r++)
                col[r] = b->t_xnn[r * nn + (size_t)i];
            med_xnn[i] = median_us(col, runs, tmp);
        }
    }
    double whole_fast = median_us(b->tot_fast, runs, tmp);
    double whole_port = median_us(b->tot_port, runs, tmp);
    double cov_fast, cov_port, cov_xnn;
    uint64_t *per_run[3] = {b->t_fast, b->t_port, b->t_xnn};
    double *cov[3] = {&cov_fast, &cov_port, &cov_xnn};
    for (int w = 0; w < 3; w++) {
        for (size_t r = 0; r < runs; r++) {
            sum[r] = 0;
            for (int32_t i = 0; i < n; i++)
                if (b->x[i].covered)
                    sum[r] += per_run[w][r * nn + (size_t)i];
        }
        *cov[w] = median_us(sum, runs, tmp);
    }

    /* ---- output ---- */
    cJSON *jm = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_GetObjectItem(opt->root, "models"), jm);
    cJSON_AddStringToObject(jm, "model", path);
    cJSON_AddNumberToObject(jm, "operators", n);
    cJSON_AddNumberToObject(jm, "macs", (double)b->macs);
    cJSON_AddNumberToObject(jm, "xnnpack_covered_operators", n_cov);
    cJSON_AddNumberToObject(jm, "xnnpack_covered_macs", (double)macs_cov);
    cJSON_AddBoolToObject(jm, "fast_equals_portable", fast_port_mismatch == 0);
    cJSON_AddNumberToObject(jm, "max_lsb_difference", worst_lsb);
    int txt = !opt->json;
    if (txt) {
        printf("\n=== %s ===\n", path);
        printf("%d operators, %.3f M MACs; input: %s\n", n, (double)b->macs / 1e6,
               opt->input ? opt->input : "xorshift32 bytes, seed 1");
        printf("sciot fast vs portable outputs: %s\n",
               fast_port_mismatch ? "DIFFER" : "identical on every operator");
        if (fast_port_mismatch)
            printf("  (%d operators' outputs differ between fast and portable kernels)\n", fast_port_mismatch);
        printf("\nper operator (median us; LSB = max |XNNPACK - SCIOT| on SCIOT's input for that op, "
               "n = differing bytes)\n");
        printf("%3s  %-18s %-16s %9s %9s %9s %9s %8s %4s %7s  %s\n", "op", "name", "output", "MACs", "fast",
               "portable", "xnnpack", "fast/xnn", "LSB", "n", "XNNPACK operator");
    }
    cJSON *jops = cJSON_AddArrayToObject(jm, "operators_detail");
    for (int32_t i = 0; i < n; i++) {
        const sciot_op *o = &m->ops[i];
        const xop *x = &b->x[i];
        char shp[48];
        shape_str(&m->tensors[o->outputs[0]], shp, sizeof shp);
        if (txt) {
            printf("%3d  %-18s %-16s %9llu %9.2f %9.2f ", i, sciot_op_name(o->code), shp,
                   (unsigned long long)o->macs, med_fast[i], med_port[i]);
            if (x->covered)
                printf("%9.2f %8.2f %4d %7zu  %s\n", med_xnn[i], ratio(med_fast[i], med_xnn[i]), x->max_lsb,
                       x->n_diff, x->what);
            else
                printf("%9s %8s %4s %7s  (%s)\n", "-", "-", "-", "-", x->what);
        }
        cJSON *jo = cJSON_CreateObject();
        cJSON_AddNumberToObject(jo, "index", i);
        cJSON_AddStringToObject(jo, "name", sciot_op_name(o->code));
        cJSON_AddStringToObject(jo, "output_shape", shp);
        cJSON_AddNumberToObject(jo, "macs", (double)o->macs);
        cJSON_AddNumberToObject(jo, "sciot_fast_us", med_fast[i]);
        cJSON_AddNumberToObject(jo, "sciot_portable_us", med_port[i]);
        if (x->covered) {
            cJSON_AddNumberToObject(jo, "xnnpack_us", med_xnn[i]);
            cJSON_AddStringToObject(jo, "xnnpack_operator", x->what);
            cJSON_AddNumberToObject(jo, "max_lsb", x->max_lsb);
            cJSON_AddNumberToObject(jo, "differing_bytes", (double)x->n_diff);
            cJSON_AddNumberToObject(jo, "output_bytes", (double)x->out_bytes);
        } else {
            cJSON_AddNullToObject(jo, "xnnpack_us");
            cJSON_AddStringToObject(jo, "not_covered", x->what);
        }
        cJSON_AddItemToArray(jops, jo);
    }

    /* per operator type, in order of first appearance */
    if (txt) {
        printf("\nper operator type (sum of per-op medians, us; ratio over the ops XNNPACK covers)\n");
        printf("%-18s %4s %7s %10s %10s %10s %10s %9s %9s\n", "type", "ops", "covered", "MACs(M)", "fast",
               "portable", "xnnpack", "fast/xnn", "port/xnn");
    }
    cJSON *jtypes = cJSON_AddArrayToObject(jm, "per_type");
    for (int32_t i = 0; i < n; i++) {
        int32_t code = m->ops[i].code, seen = 0;
        for (int32_t j = 0; j < i; j++)
            seen |= m->ops[j].code == code;
        if (seen)
            continue;
        int cnt = 0, ncov = 0;
        uint64_t tmacs = 0;
        double f = 0, p = 0, xn = 0, fc = 0, pc = 0;
        for (int32_t j = i; j < n; j++) {
            if (m->ops[j].code != code)
                continue;
            cnt++;
            tmacs += m->ops[j].macs;
            f += med_fast[j];
            p += med_port[j];
            if (b->x[j].covered) {
                ncov++;
                xn += med_xnn[j];
                fc += med_fast[j];
                pc += med_port[j];
            }
        }
        cJSON *jt = cJSON_CreateObject();
        cJSON_AddStringToObject(jt, "type", sciot_op_name(code));
        cJSON_AddNumberToObject(jt, "operators", cnt);
        cJSON_AddNumberToObject(jt, "xnnpack_covered", ncov);
        cJSON_AddNumberToObject(jt, "macs", (double)tmacs);
        cJSON_AddNumberToObject(jt, "sciot_fast_us", f);
        cJSON_AddNumberToObject(jt, "sciot_portable_us", p);
        if (ncov) {
            cJSON_AddNumberToObject(jt, "xnnpack_us", xn);
            cJSON_AddNumberToObject(jt, "ratio_fast_over_xnnpack", ratio(fc, xn));
            cJSON_AddNumberToObject(jt, "ratio_portable_over_xnnpack", ratio(pc, xn));
        } else {
            cJSON_AddNullToObject(jt, "xnnpack_us");
        }
        cJSON_AddItemToArray(jtypes, jt);
        if (txt) {
            printf("%-18s %4d %7d %10.3f %10.2f %10.2f ", sciot_op_name(code), cnt, ncov, (double)tmacs / 1e6, f,
                   p);
            if (ncov)
                printf("%10.2f %9.2f %9.2f%s\n", xn, ratio(fc, xn), ratio(pc, xn),
                       ncov < cnt ? "  (partly covered)" : "");
            else
                printf("%10s %9s %9s  sciot-only\n", "-", "-", "-");
        }
    }

    /* whole model */
    cJSON *jw = cJSON_AddObjectToObject(jm, "whole_model");
    cJSON_AddNumberToObject(jw, "sciot_fast_us", whole_fast);
    cJSON_AddNumberToObject(jw, "sciot_portable_us", whole_port);
    cJSON_AddNumberToObject(jw, "sciot_fast_gmacs", gmacs(b->macs, whole_fast));
    cJSON_AddNumberToObject(jw, "sciot_portable_gmacs", gmacs(b->macs, whole_port));
    cJSON_AddNumberToObject(jw, "covered_sciot_fast_us", cov_fast);
    cJSON_AddNumberToObject(jw, "covered_sciot_portable_us", cov_port);
    cJSON_AddNumberToObject(jw, "covered_xnnpack_us", cov_xnn);
    cJSON_AddNumberToObject(jw, "covered_xnnpack_gmacs", gmacs(macs_cov, cov_xnn));
    cJSON_AddNumberToObject(jw, "ratio_fast_over_xnnpack", ratio(cov_fast, cov_xnn));
    cJSON_AddNumberToObject(jw, "ratio_portable_over_xnnpack", ratio(cov_port, cov_xnn));
    cJSON_AddNumberToObject(jw, "ratio_portable_over_fast", ratio(whole_port, whole_fast));
    if (txt) {
        printf("\nwhole model (median of %ld runs)                us/inference    GMAC/s\n", opt->runs);
        printf("  sciot fast (kernels: %-6s)                  %12.2f %9.3f\n", sciot_kernels_fast_path(),
               whole_fast, gmacs(b->macs, whole_fast));
        printf("  sciot portable                                %12.2f %9.3f\n", whole_port,
               gmacs(b->macs, whole_port));
        printf("  XNNPACK, sum of the %2d covered ops            %12.2f %9.3f   (%.3f of %.3f M MACs)\n", n_cov,
               cov_xnn, gmacs(macs_cov, cov_xnn), (double)macs_cov / 1e6, (double)b->macs / 1e6);
        printf("  sciot fast, same %2d ops                       %12.2f %9.3f\n", n_cov, cov_fast,
               gmacs(macs_cov, cov_fast));
        printf("  sciot portable, same %2d ops                   %12.2f %9.3f\n", n_cov, cov_port,
               gmacs(macs_cov, cov_port));
        printf("  ratio sciot fast / XNNPACK (covered ops)      %12.2f\n", ratio(cov_fast, cov_xnn));
        printf("  ratio sciot portable / XNNPACK (covered ops)  %12.2f\n", ratio(cov_port, cov_xnn));
        printf("  ratio sciot portable / sciot fast (model)     %12.2f\n", ratio(whole_port, whole_fast));
        if (n_cov < n) {
            printf("  sciot-only (no XNNPACK equivalent used):");
            for (int32_t i = 0; i < n; i++)
                if (!b->x[i].covered)
                    printf(" %s(op %d, %.2f us fast)", sciot_op_name(m->ops[i].code), i, med_fast[i]);
            printf("\n");
        }
        printf("  XNNPACK vs SCIOT outputs: max %d LSB over the covered ops\n", worst_lsb);
    }

    /* memory */
    if (txt) {
        printf("\nmemory (bytes): arena of the head [0,k) (sciot_engine_arena_size) vs naive sum of its tensors\n");
        printf("%4s  %-18s %10s %11s %10s %10s %7s\n", "k", "last op", "tensors", "persistent", "arena",
               "naive", "saving");
    }
    cJSON *jmem = cJSON_AddArrayToObject(jm, "memory");
    for (int32_t k = 1; k <= n; k++) {
        sciot_arena_info ai;
        if (sciot_engine_arena_size(m, 0, k, &ai, &err)) {
            fprintf(stderr, "sciot_bench_xnnpack: %s: head [0,%d): %s\n", path, k, err.msg);
            continue;
        }
        cJSON *je = cJSON_CreateObject();
        cJSON_AddNumberToObject(je, "k", k);
        cJSON_AddNumberToObject(je, "tensor_bytes", (double)ai.tensor_bytes);
        cJSON_AddNumberToObject(je, "persistent_bytes", (double)ai.persistent_bytes);
        cJSON_AddNumberToObject(je, "arena_bytes", (double)ai.total_bytes);
        cJSON_AddNumberToObject(je, "naive_bytes", (double)ai.naive_bytes);
        cJSON_AddItemToArray(jmem, je);
        if (txt)
            printf("%4d  %-18s %10zu %11zu %10zu %10zu %6.1f%%%s\n", k, sciot_op_name(m->ops[k - 1].code),
                   ai.tensor_bytes, ai.persistent_bytes, ai.total_bytes, ai.naive_bytes,
                   ai.naive_bytes ? 100.0 * (1.0 - (double)ai.tensor_bytes / (double)ai.naive_bytes) : 0.0,
                   k == n ? "  <- whole model" : "");
    }
    if (txt)
        printf("(saving = 1 - tensors/naive: activation bytes saved by the planner; the arena adds the\n"
               " persistent part: tensor offsets, per-channel multipliers/shifts, kernel scratch)\n");
    rc = 0;
out:
    sciot_kernels_force_portable(0);
    for (int k = 0; k < 8; k++)
        free(si.data[k]);
    free(col);
    free(tmp);
    free(sum);
    free(med_fast);
    free(med_port);
    free(med_xnn);
    free_model(b);
    return rc;
}

static long parse_long(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end ? v : -1;
}

int main(int argc, char **argv)
{
    options opt = {200, 10, 0, NULL, NULL, NULL};
    const char *paths[64];
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            opt.json = 1;
        } else if (!strcmp(argv[i], "--runs") || !strcmp(argv[i], "--warmup")) {
            long v = i + 1 < argc ? parse_long(argv[i + 1]) : -1;
            int is_runs = argv[i][2] == 'r';
            if (v < (is_runs ? 1 : 0) || v > 1000000) {
                fprintf(stderr, "sciot_bench_xnnpack: %s needs a %s number\n", argv[i],
                        is_runs ? "positive" : "non-negative");
                return 2;
            }
            *(is_runs ? &opt.runs : &opt.warmup) = v;
            i++;
        } else if (!strcmp(argv[i], "--input")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sciot_bench_xnnpack: --input needs a file\n");
                return 2;
            }
            opt.input = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "sciot_bench_xnnpack: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        } else if (n_paths < 64) {
            paths[n_paths++] = argv[i];
        }
    }

    /* default models from $SCIOT_MODELS */
    static char defaults[2][4096];
    const char *models_dir = getenv("SCIOT_MODELS");
    int used_env = 0;
    if (n_paths == 0) {
        if (!models_dir || !*models_dir) {
            fprintf(stderr, "sciot_bench_xnnpack: give MODEL paths or set SCIOT_MODELS "
                            "(e.g. SCIOT_MODELS=../shared/models)\n");
            return 2;
        }
        snprintf(defaults[0], sizeof defaults[0], "%s/person_detect/model.tflite", models_dir);
        snprintf(defaults[1], sizeof defaults[1], "%s/fomo_face/model.tflite", models_dir);
        paths[n_paths++] = defaults[0];
        paths[n_paths++] = defaults[1];
        used_env = 1;
    }

    /* the exact command line */
    static char cmd[8192];
    cmd[0] = 0;
    if (used_env) {
        strcat(cmd, "SCIOT_MODELS=");
        append_quoted(cmd, sizeof cmd, models_dir);
        strcat(cmd, " ");
    }
    for (int i = 0; i < argc; i++) {
        if (i)
            strncat(cmd, " ", sizeof cmd - strlen(cmd) - 1);
        append_quoted(cmd, sizeof cmd, argv[i]);
    }
    opt.command = cmd;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "?");

    char cpu[256] = "unknown CPU";
    FILE *fc = fopen("/proc/cpuinfo", "r");
    if (fc) {
        char line[512];
        while (fgets(line, sizeof line, fc)) {
            if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
                const char *v = strchr(line, ':') + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                snprintf(cpu, sizeof cpu, "%s", v);
                cpu[strcspn(cpu, "\n")] = 0;
                break;
            }
        }
        fclose(fc);
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    enum xnn_status st = xnn_initialize(NULL);
    if (st != xnn_status_success) {
        fprintf(stderr, "sciot_bench_xnnpack: xnn_initialize failed (status %d)\n", (int)st);
        return 1;
    }

    opt.root = cJSON_CreateObject();
    cJSON_AddStringToObject(opt.root, "command", cmd);
    cJSON_AddStringToObject(opt.root, "cwd", cwd);
    cJSON_AddStringToObject(opt.root, "cpu", cpu);
    cJSON_AddNumberToObject(opt.root, "online_cpus", (double)ncpu);
    cJSON_AddStringToObject(opt.root, "sciot_fast_path", sciot_kernels_fast_path());
    cJSON_AddStringToObject(opt.root, "xnnpack", SCIOT_XNNPACK_VERSION);
    cJSON_AddNumberToObject(opt.root, "xnnpack_threads", 1);
    cJSON_AddNumberToObject(opt.root, "runs", (double)opt.runs);
    cJSON_AddNumberToObject(opt.root, "warmup", (double)opt.warmup);
    cJSON_AddStringToObject(opt.root, "input", opt.input ? opt.input : "xorshift32 seed 1");
    cJSON_AddArrayToObject(opt.root, "models");
    if (!opt.json) {
        printf("command: %s\n", cmd);
        printf("cwd:     %s\n", cwd);
        printf("host:    %s, %ld online CPUs; sciot fast path: %s; XNNPACK %s, 1 thread (NULL threadpool)\n",
               cpu, ncpu, sciot_kernels_fast_path(), SCIOT_XNNPACK_VERSION);
        printf("method:  %ld runs after %ld warm-up runs; each run times sciot fast, sciot portable and every\n"
               "         XNNPACK operator back to back (order rotated run by run); medians reported\n",
               opt.runs, opt.warmup);
    }
    int rc = 0;
    for (int i = 0; i < n_paths; i++) {
        fflush(stdout);
        rc |= bench_one(paths[i], &opt);
    }
    if (opt.json) {
        char *t = cJSON_Print(opt.root);
        if (t)
            puts(t);
        free(t);
    }
    cJSON_Delete(opt.root);
    xnn_deinitialize();
    return rc;
}
