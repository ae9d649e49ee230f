/* model.c — a bounds-checked reader for TensorFlow Lite flatbuffers.
 *
 * A flatbuffer is a tree of tables reached through 32-bit offsets. A table
 * starts with a signed offset back to its vtable; the vtable lists, per field,
 * the field's offset inside the table (0 = absent, use the default). Vectors
 * and strings are a 32-bit length followed by the elements.
 *
 * Nothing in the file is trusted: every read goes through fb_* helpers that
 * check the position against the buffer (with overflow-safe arithmetic) and
 * read through memcpy, so an odd offset never becomes an unaligned load.
 * Errors carry a path such as "subgraph 0: tensor 12 ('conv1'): quantization:
 * zero_point vector out of range".
 *
 * Two passes (see sciot/model.h): count_storage() walks just enough of the
 * file to size the tables; parse() validates everything and fills them. */
#include "sciot/model.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_TENSORS 100000
#define MAX_OPS 100000
#define MAX_OP_IO 1024
#define MAX_TENSOR_BYTES ((size_t)1 << 31)

/* Schema v3 field indices. */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { OPC_DEPRECATED = 0, OPC_CUSTOM = 1, OPC_VERSION = 2, OPC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DIM = 6 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPT_TYPE = 3, OP_OPT = 4 };
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };

typedef struct {
    const uint8_t *b;
    size_t n;
    sciot_error *err;
} fb;

typedef struct {
    size_t pos;      /* table start */
    size_t vt;       /* vtable start */
    uint16_t vtsize; /* vtable bytes */
    uint16_t tsize;  /* table bytes */
} fb_table;

typedef struct {
    size_t pos; /* first element */
    uint32_t len;
} fb_vec;

static uint32_t ld_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static int32_t ld_i32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static uint16_t ld_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static int64_t ld_i64(const uint8_t *p) { int64_t v; memcpy(&v, p, 8); return v; }
static uint64_t ld_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static float ld_f32(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }

static int fb_has(const fb *f, size_t pos, size_t size)
{
    return pos <= f->n && size <= f->n - pos;
}

static sciot_status fb_table_at(const fb *f, size_t pos, fb_table *t, const char *what)
{
    if (!fb_has(f, pos, 4))
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE,
                          "%s: table offset %zu out of range (file is %zu bytes)", what, pos, f->n);
    int64_t vt = (int64_t)pos - (int64_t)ld_i32(f->b + pos);
    if (vt < 0 || !fb_has(f, (size_t)vt, 4))
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: vtable offset out of range", what);
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vtsize = ld_u16(f->b + t->vt);
    t->tsize = ld_u16(f->b + t->vt + 2);
    if (t->vtsize < 4 || (t->vtsize & 1) || !fb_has(f, t->vt, t->vtsize))
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: vtable of %u bytes out of range",
                          what, t->vtsize);
    if (t->tsize < 4 || !fb_has(f, pos, t->tsize))
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: table of %u bytes out of range",
                          what, t->tsize);
    return SCIOT_OK;
}

/* Position of field `idx` of `size` bytes; 0 if absent; SIZE_MAX on error. */
static size_t fb_field(const fb *f, const fb_table *t, int idx, size_t size, const char *what)
{
    size_t slot = 4 + 2 * (size_t)idx;
    if (slot + 2 > t->vtsize)
        return 0;
    uint16_t off = ld_u16(f->b + t->vt + slot);
    if (off == 0)
        return 0;
    if ((size_t)off + size > t->tsize) {
        sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: field %d lies outside its table", what, idx);
        return SIZE_MAX;
    }
    return t->pos + off;
}

#define FIELD_ERR SIZE_MAX

static sciot_status fb_scalar_u32(const fb *f, const fb_table *t, int idx, uint32_t dflt,
                                  uint32_t *out, const char *what)
{
    size_t p = fb_field(f, t, idx, 4, what);
    *out = dflt;
    if (p == FIELD_ERR)
        return SCIOT_ERR_OUT_OF_RANGE;
    if (p)
        *out = ld_u32(f->b + p);
    return SCIOT_OK;
}

static sciot_status fb_scalar_i32(const fb *f, const fb_table *t, int idx, int32_t dflt,
                                  int32_t *out, const char *what)
{
    uint32_t u;
    sciot_status s = fb_scalar_u32(f, t, idx, (uint32_t)dflt, &u, what);
    *out = (int32_t)u;
    return s;
}

static sciot_status fb_scalar_u8(const fb *f, const fb_table *t, int idx, uint8_t dflt,
                                 uint8_t *out, const char *what)
{
    size_t p = fb_field(f, t, idx, 1, what);
    *out = dflt;
    if (p == FIELD_ERR)
        return SCIOT_ERR_OUT_OF_RANGE;
    if (p)
        *out = f->b[p];
    return SCIOT_OK;
}

static sciot_status fb_scalar_f32(const fb *f, const fb_table *t, int idx, float dflt,
                                  float *out, const char *what)
{
    size_t p = fb_field(f, t, idx, 4, what);
    *out = dflt;
    if (p == FIELD_ERR)
        return SCIOT_ERR_OUT_OF_RANGE;
    if (p)
        *out = ld_f32(f->b + p);
    return SCIOT_OK;
}

/* Follow the uoffset stored at field `idx`. *present = 0 if absent. */
static sciot_status fb_ref(const fb *f, const fb_table *t, int idx, size_t *target, int *present,
                           const char *what)
{
    size_t p = fb_field(f, t, idx, 4, what);
    *present = 0;
    *target = 0;
    if (p == FIELD_ERR)
        return SCIOT_ERR_OUT_OF_RANGE;
    if (!p)
        return SCIOT_OK;
    uint32_t rel = ld_u32(f->b + p);
    if (rel == 0 || (size_t)rel > f->n - p)
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: field %d offset %" PRIu32 " points outside the file",
                          what, idx, rel);
    *target = p + rel;
    *present = 1;
    return SCIOT_OK;
}

static sciot_status fb_vector(const fb *f, const fb_table *t, int idx, size_t elem, fb_vec *v,
                              int *present, const char *what)
{
    size_t at;
    sciot_status s = fb_ref(f, t, idx, &at, present, what);
    v->pos = 0;
    v->len = 0;
    if (s || !*present)
        return s;
    if (!fb_has(f, at, 4))
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: vector header out of range", what);
    v->len = ld_u32(f->b + at);
    v->pos = at + 4;
    if (elem && (size_t)v->len > (f->n - v->pos) / elem)
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE,
                          "%s: vector of %" PRIu32 " elements runs past the end of the file", what, v->len);
    return SCIOT_OK;
}

/* Element i of a vector of tables. */
static sciot_status fb_vec_table(const fb *f, const fb_vec *v, uint32_t i, fb_table *t,
                                 const char *what)
{
    size_t p = v->pos + 4 * (size_t)i;
    uint32_t rel = ld_u32(f->b + p);
    if ((size_t)rel > f->n - p || rel == 0)
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: offset out of range", what);
    return fb_table_at(f, p + rel, t, what);
}

static sciot_status fb_string(const fb *f, const fb_table *t, int idx, const char **out,
                              const char *what)
{
    fb_vec v;
    int present;
    sciot_status s = fb_vector(f, t, idx, 1, &v, &present, what);
    *out = "";
    if (s || !present)
        return s;
    if (!fb_has(f, v.pos, (size_t)v.len + 1) || f->b[v.pos + v.len] != 0)
        return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE, "%s: string not terminated", what);
    if (memchr(f->b + v.pos, 0, v.len))
        return sciot_fail(f->err, SCIOT_ERR_MODEL, "%s: string contains a NUL byte", what);
    *out = (const char *)(f->b + v.pos);
    return SCIOT_OK;
}

/* ---- the root -------------------------------------------------------- */

typedef struct {
    fb f;
    fb_table model, sg;
    fb_vec opcodes, subgraphs, buffers, tensors, ops, inputs, outputs;
} root;

static sciot_status open_root(root *r, const uint8_t *buf, size_t len, sciot_error *err)
{
    int present;
    sciot_status s;
    r->f.b = buf;
    r->f.n = len;
    r->f.err = err;
    if (!buf)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "no model buffer");
    if (len < 8)
        return sciot_fail(err, SCIOT_ERR_TRUNCATED, "truncated file: %zu bytes, a model needs at least 8",
                          len);
    if (memcmp(buf + 4, "TFL3", 4) != 0)
        return sciot_fail(err, SCIOT_ERR_BAD_IDENTIFIER,
                          "bad identifier: expected 'TFL3' at byte 4, found %02x %02x %02x %02x",
                          buf[4], buf[5], buf[6], buf[7]);
    uint32_t root_off = ld_u32(buf);
    if (root_off >= len)
        return sciot_fail(err, SCIOT_ERR_TRUNCATED, "truncated file: root table offset %" PRIu32 " beyond %zu bytes",
                          root_off, len);
    if ((s = fb_table_at(&r->f, root_off, &r->model, "model")))
        return s;
    uint32_t version;
    if ((s = fb_scalar_u32(&r->f, &r->model, MODEL_VERSION, 0, &version, "model")))
        return s;
    if (version != 3)
        return sciot_fail(err, SCIOT_ERR_MODEL, "unsupported schema version %" PRIu32 " (expected 3)", version);
    if ((s = fb_vector(&r->f, &r->model, MODEL_OPCODES, 4, &r->opcodes, &present, "operator_codes")))
        return s;
    if ((s = fb_vector(&r->f, &r->model, MODEL_BUFFERS, 4, &r->buffers, &present, "buffers")))
        return s;
    if ((s = fb_vector(&r->f, &r->model, MODEL_SUBGRAPHS, 4, &r->subgraphs, &present, "subgraphs")))
        return s;
    if (!present || r->subgraphs.len == 0)
        return sciot_fail(err, SCIOT_ERR_MODEL, "model has no subgraph");
    if ((s = fb_vec_table(&r->f, &r->subgraphs, 0, &r->sg, "subgraph 0")))
        return s;
    if ((s = fb_vector(&r->f, &r->sg, SG_TENSORS, 4, &r->tensors, &present, "subgraph 0: tensors")))
        return s;
    if ((s = fb_vector(&r->f, &r->sg, SG_OPERATORS, 4, &r->ops, &present, "subgraph 0: operators")))
        return s;
    if ((s = fb_vector(&r->f, &r->sg, SG_INPUTS, 4, &r->inputs, &present, "subgraph 0: inputs")))
        return s;
    if ((s = fb_vector(&r->f, &r->sg, SG_OUTPUTS, 4, &r->outputs, &present, "subgraph 0: outputs")))
        return s;
    if (r->tensors.len > MAX_TENSORS || r->ops.len > MAX_OPS)
        return sciot_fail(err, SCIOT_ERR_LENGTH,
                          "subgraph 0: %" PRIu32 " tensors / %" PRIu32 " operators exceed the limits", r->tensors.len,
                          r->ops.len);
    if (r->inputs.len == 0 || r->outputs.len == 0)
        return sciot_fail(err, SCIOT_ERR_MODEL, "subgraph 0 declares no inputs or no outputs");
    if (r->inputs.len > MAX_OP_IO || r->outputs.len > MAX_OP_IO)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "subgraph 0: too many inputs/outputs");
    return SCIOT_OK;
}

/* ---- storage --------------------------------------------------------- */

typedef struct {
    uint8_t *base;
    size_t size, used;
} bump;

static void *bump_take(bump *b, size_t bytes)
{
    size_t at = (b->used + 7) & ~(size_t)7;
    if (at > b->size || bytes > b->size - at)
        return NULL;
    b->used = at + bytes;
    return b->base + at;
}

static size_t round8(size_t x) { return (x + 7) & ~(size_t)7; }

sciot_status sciot_model_storage_size(const uint8_t *buf, size_t len, size_t *need, sciot_error *err)
{
    root r;
    sciot_status s;
    if (!need)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "need is NULL");
    if ((s = open_root(&r, buf, len, err)))
        return s;
    size_t total = 0;
    size_t nt = r.tensors.len, no = r.ops.len;
    total += round8(nt * sizeof(sciot_tensor)) + round8(no * sizeof(sciot_op));
    total += round8((r.inputs.len + r.outputs.len) * 4);
    total += 3 * round8(nt * 4);
    for (uint32_t i = 0; i < r.ops.len; i++) {
        fb_table op;
        fb_vec vi, vo;
        int present;
        if ((s = fb_vec_table(&r.f, &r.ops, i, &op, "operator")))
            return s;
        if ((s = fb_vector(&r.f, &op, OP_INPUTS, 4, &vi, &present, "operator inputs")))
            return s;
        if ((s = fb_vector(&r.f, &op, OP_OUTPUTS, 4, &vo, &present, "operator outputs")))
            return s;
        if (vi.len > MAX_OP_IO || vo.len > MAX_OP_IO)
            return sciot_fail(err, SCIOT_ERR_LENGTH,
                              "operator %" PRIu32 ": %" PRIu32 " inputs / %" PRIu32 " outputs exceed %d", i, vi.len,
                              vo.len, MAX_OP_IO);
        total += round8(((size_t)vi.len + vo.len) * 4);
    }
    for (uint32_t i = 0; i < r.tensors.len; i++) {
        fb_table t, q;
        fb_vec sc;
        size_t at;
        int present;
        if ((s = fb_vec_table(&r.f, &r.tensors, i, &t, "tensor")))
            return s;
        if ((s = fb_ref(&r.f, &t, T_QUANT, &at, &present, "tensor quantization")))
            return s;
        if (!present)
            continue;
        if ((s = fb_table_at(&r.f, at, &q, "tensor quantization")))
            return s;
        if ((s = fb_vector(&r.f, &q, Q_SCALE, 4, &sc, &present, "quantization scale")))
            return s;
        total += 2 * round8((size_t)sc.len * 4);
    }
    *need = total + 64;
    return SCIOT_OK;
}

/* ---- parse ----------------------------------------------------------- */

static int max_version(int32_t code)
{
    switch (code) {
    case SCIOT_OP_ADD: return 5;
    case SCIOT_OP_AVERAGE_POOL_2D: return 3;
    case SCIOT_OP_CONCATENATION: return 4;
    case SCIOT_OP_CONV_2D: return 8;
    case SCIOT_OP_DEPTHWISE_CONV_2D: return 7;
    case SCIOT_OP_DEQUANTIZE: return 6;
    case SCIOT_OP_FULLY_CONNECTED: return 12;
    case SCIOT_OP_LOGISTIC: return 3;
    case SCIOT_OP_MAX_POOL_2D: return 3;
    case SCIOT_OP_MUL: return 7;
    case SCIOT_OP_RELU: return 3;
    case SCIOT_OP_RELU6: return 3;
    case SCIOT_OP_RESHAPE: return 2;
    case SCIOT_OP_SOFTMAX: return 3;
    case SCIOT_OP_PAD: return 4;
    case SCIOT_OP_MEAN: return 3;
    case SCIOT_OP_QUANTIZE: return 3;
    default: return 0;
    }
}

/* BuiltinOptions union type expected for each supported operator. */
static int options_type(int32_t code)
{
    switch (code) {
    case SCIOT_OP_CONV_2D: return 1;
    case SCIOT_OP_DEPTHWISE_CONV_2D: return 2;
    case SCIOT_OP_AVERAGE_POOL_2D:
    case SCIOT_OP_MAX_POOL_2D: return 5;
    case SCIOT_OP_FULLY_CONNECTED: return 8;
    case SCIOT_OP_SOFTMAX: return 9;
    case SCIOT_OP_CONCATENATION: return 10;
    case SCIOT_OP_ADD: return 11;
    case SCIOT_OP_RESHAPE: return 17;
    case SCIOT_OP_MUL: return 21;
    case SCIOT_OP_MEAN: return 27;
    default: return -1; /* options not read */
    }
}

static sciot_status parse_options(const fb *f, const fb_table *op, sciot_op *o, const char *what)
{
    sciot_op_options *x = &o->opt;
    uint8_t type, u8;
    size_t at;
    int present;
    sciot_status s;
    fb_table t;

    memset(x, 0, sizeof *x);
    x->stride_w = x->stride_h = 1;
    x->dilation_w = x->dilation_h = 1;
    x->depth_multiplier = 1;
    x->beta = 1.0f;
    int want = options_type(o->code);
    if (want < 0)
        return SCIOT_OK;
    if ((s = fb_scalar_u8(f, op, OP_OPT_TYPE, 0, &type, what)))
        return s;
    if ((s = fb_ref(f, op, OP_OPT, &at, &present, what)))
        return s;
    if (!present || type == 0)
        return SCIOT_OK; /* all defaults */
    if (type != want)
        return sciot_fail(f->err, SCIOT_ERR_MODEL, "%s: builtin options of type %u, expected %d", what,
                          type, want);
    if ((s = fb_table_at(f, at, &t, what)))
        return s;

#define U8F(idx, dst)                                                                            \
    do {                                                                                         \
        if ((s = fb_scalar_u8(f, &t, idx, 0, &u8, what)))                                       \
            return s;                                                                            \
        (dst) = u8;                                                                              \
    } while (0)
#define I32F(idx, dflt, dst)                                                                     \
    do {                                                                                         \
        if ((s = fb_scalar_i32(f, &t, idx, dflt, &(dst), what)))                                \
            return s;                                                                            \
    } while (0)

    switch (o->code) {
    case SCIOT_OP_CONV_2D:
        U8F(0, x->padding);
        I32F(1, 1, x->stride_w);
        I32F(2, 1, x->stride_h);
        U8F(3, x->activation);
        I32F(4, 1, x->dilation_w);
        I32F(5, 1, x->dilation_h);
        break;
    case SCIOT_OP_DEPTHWISE_CONV_2D:
        U8F(0, x->padding);
        I32F(1, 1, x->stride_w);
        I32F(2, 1, x->stride_h);
        I32F(3, 1, x->depth_multiplier);
        U8F(4, x->activation);
        I32F(5, 1, x->dilation_w);
        I32F(6, 1, x->dilation_h);
        break;
    case SCIOT_OP_AVERAGE_POOL_2D:
    case SCIOT_OP_MAX_POOL_2D:
        U8F(0, x->padding);
        I32F(1, 1, x->stride_w);
        I32F(2, 1, x->stride_h);
        I32F(3, 1, x->filter_w);
        I32F(4, 1, x->filter_h);
        U8F(5, x->activation);
        break;
    case SCIOT_OP_FULLY_CONNECTED:
        U8F(0, x->activation);
        U8F(2, x->keep_num_dims);
        break;
    case SCIOT_OP_SOFTMAX:
        if ((s = fb_scalar_f32(f, &t, 0, 1.0f, &x->beta, what)))
            return s;
        break;
    case SCIOT_OP_CONCATENATION:
        I32F(0, 0, x->axis);
        U8F(1, x->activation);
        break;
    case SCIOT_OP_ADD:
    case SCIOT_OP_MUL:
        U8F(0, x->activation);
        break;
    case SCIOT_OP_MEAN:
        U8F(0, x->keep_dims);
        break;
    default:
        break;
    }
#undef U8F
#undef I32F
    if (x->padding > 1)
        return sciot_fail(f->err, SCIOT_ERR_MODEL, "%s: unknown padding %" PRId32, what, x->padding);
    if (x->activation > SCIOT_ACT_RELU6)
        return sciot_fail(f->err, SCIOT_ERR_UNSUPPORTED_OP, "%s: unsupported fused activation %" PRId32, what,
                          x->activation);
    if (x->stride_w < 1 || x->stride_h < 1 || x->dilation_w < 1 || x->dilation_h < 1 ||
        x->depth_multiplier < 1 || x->stride_w > 1024 || x->stride_h > 1024 ||
        x->dilation_w > 1024 || x->dilation_h > 1024)
        return sciot_fail(f->err, SCIOT_ERR_MODEL,
                          "%s: invalid stride %" PRId32 "x%" PRId32 " / dilation %" PRId32 "x%" PRId32
                          " / depth multiplier %" PRId32,
                          what, x->stride_h, x->stride_w, x->dilation_h, x->dilation_w, x->depth_multiplier);
    if ((o->code == SCIOT_OP_AVERAGE_POOL_2D || o->code == SCIOT_OP_MAX_POOL_2D) &&
        (x->filter_w < 1 || x->filter_h < 1 || x->filter_w > 4096 || x->filter_h > 4096))
        return sciot_fail(f->err, SCIOT_ERR_MODEL, "%s: invalid pool filter %" PRId32 "x%" PRId32, what, x->filter_h,
                          x->filter_w);
    return SCIOT_OK;
}

static sciot_status parse_tensor(root *r, bump *mem, uint32_t i, sciot_tensor *t)
{
    const fb *f = &r->f;
    sciot_error *err = f->err;
    char what[96];
    fb_table tt;
    fb_vec shape;
    int present;
    uint8_t type;
    uint32_t bufidx;
    sciot_status s;
    size_t at;

    snprintf(what, sizeof what, "tensor %" PRIu32, i);
    memset(t, 0, sizeof *t);
    if ((s = fb_vec_table(f, &r->tensors, i, &tt, what)))
        return s;
    if ((s = fb_string(f, &tt, T_NAME, &t->name, what)))
        return s;
    snprintf(what, sizeof what, "tensor %" PRIu32 " ('%.48s')", i, t->name);
    if ((s = fb_vector(f, &tt, T_SHAPE, 4, &shape, &present, what)))
        return s;
    if (shape.len > SCIOT_MAX_RANK)
        return sciot_fail(err, SCIOT_ERR_SHAPE, "%s: rank %" PRIu32 " exceeds %d", what, shape.len, SCIOT_MAX_RANK);
    t->rank = (int32_t)shape.len;
    t->elems = 1;
    for (uint32_t d = 0; d < shape.len; d++) {
        int32_t v = ld_i32(f->b + shape.pos + 4 * d);
        if (v < 0)
            return sciot_fail(err, SCIOT_ERR_SHAPE, "%s: dimension %" PRIu32 " is %" PRId32, what, d, v);
        t->dims[d] = v;
        if (v && t->elems > MAX_TENSOR_BYTES / (size_t)v)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "%s: too many elements", what);
        t->elems *= (size_t)v;
    }
    if ((s = fb_scalar_u8(f, &tt, T_TYPE, 0, &type, what)))
        return s;
    t->dtype = type;
    size_t es = sciot_dtype_size(type);
    if (!es)
        return sciot_fail(err, SCIOT_ERR_UNSUPPORTED_DTYPE, "%s: unsupported dtype %s (%u)", what,
                          sciot_dtype_name(type), type);
    if (t->elems > MAX_TENSOR_BYTES / es)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "%s: larger than 2 GiB", what);
    t->bytes = t->elems * es;

    /* buffer */
    if ((s = fb_scalar_u32(f, &tt, T_BUFFER, 0, &bufidx, what)))
        return s;
    if (bufidx >= r->buffers.len && !(bufidx == 0 && r->buffers.len == 0))
        return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE,
                          "%s: buffer index %" PRIu32 " out of range (%" PRIu32 " buffers)", what, bufidx,
                          r->buffers.len);
    if (bufidx > 0) {
        fb_table bt;
        fb_vec data;
        if ((s = fb_vec_table(f, &r->buffers, bufidx, &bt, what)))
            return s;
        if ((s = fb_vector(f, &bt, BUF_DATA, 1, &data, &present, what)))
            return s;
        size_t dpos = data.pos, dlen = data.len;
        if (!present || dlen == 0) {
            /* large-model form: offset/size relative to the file start */
            size_t po = fb_field(f, &bt, BUF_OFFSET, 8, what);
            size_t ps = fb_field(f, &bt, BUF_SIZE, 8, what);
            if (po == FIELD_ERR || ps == FIELD_ERR)
                return SCIOT_ERR_OUT_OF_RANGE;
            dlen = 0;
            if (po && ps) {
                uint64_t o64 = ld_u64(f->b + po), s64 = ld_u64(f->b + ps);
                if (o64 > 1 && (o64 > f->n || s64 > f->n - o64))
                    return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE,
                                      "%s: buffer %" PRIu32 " offset %llu size %llu outside the file", what, bufidx,
                                      (unsigned long long)o64, (unsigned long long)s64);
                if (o64 > 1) {
                    dpos = (size_t)o64;
                    dlen = (size_t)s64;
                }
            }
        }
        if (dlen > 0) {
            if (dlen != t->bytes)
                return sciot_fail(err, SCIOT_ERR_SHAPE,
                                  "%s: buffer %" PRIu32 " holds %zu bytes but shape and dtype need %zu", what, bufidx,
                                  dlen, t->bytes);
            if (((uintptr_t)(f->b + dpos)) % es != 0)
                return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE, "%s: buffer %" PRIu32 " data is misaligned for %s",
                                  what, bufidx, sciot_dtype_name(type));
            t->data = f->b + dpos;
            t->is_const = 1;
        }
    }

    /* quantization */
    if ((s = fb_ref(f, &tt, T_QUANT, &at, &present, what)))
        return s;
    if (present) {
        fb_table q;
        fb_vec sc, zp;
        int has_sc, has_zp;
        int32_t qdim;
        if ((s = fb_table_at(f, at, &q, what)))
            return s;
        if ((s = fb_vector(f, &q, Q_SCALE, 4, &sc, &has_sc, what)))
            return s;
        if ((s = fb_vector(f, &q, Q_ZERO_POINT, 8, &zp, &has_zp, what)))
            return s;
        if ((s = fb_scalar_i32(f, &q, Q_DIM, 0, &qdim, what)))
            return s;
        if (has_sc && sc.len > 0) {
            if (has_zp && zp.len != sc.len && zp.len != 0)
                return sciot_fail(err, SCIOT_ERR_QUANT, "%s: %" PRIu32 " scales but %" PRIu32 " zero points", what,
                                  sc.len, zp.len);
            if (qdim < 0)
                return sciot_fail(err, SCIOT_ERR_QUANT, "%s: quantized_dimension %" PRId32, what, qdim);
            if (sc.len > 1) {
                /* TFLM accepts a quantized_dimension beyond the rank (person_detect's
                 * biases say 3 on a 1-D tensor): then the scales must be one per element. */
                size_t expect = qdim < t->rank ? (size_t)t->dims[qdim] : t->elems;
                if (sc.len != expect)
                    return sciot_fail(err, SCIOT_ERR_QUANT,
                                      "%s: %" PRIu32 " scales for quantized_dimension %" PRId32 " of size %zu", what,
                                      sc.len, qdim, expect);
            }
            float *scales = bump_take(mem, (size_t)sc.len * 4);
            int32_t *zps = bump_take(mem, (size_t)sc.len * 4);
            if (!scales || !zps)
                return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: model storage too small", what);
            for (uint32_t k = 0; k < sc.len; k++) {
                scales[k] = ld_f32(f->b + sc.pos + 4 * k);
                if (!(scales[k] >= 0.0f) || isinf(scales[k]))
                    return sciot_fail(err, SCIOT_ERR_QUANT, "%s: scale %" PRIu32 " is %g", what, k,
                                      (double)scales[k]);
                int64_t z = (has_zp && zp.len) ? ld_i64(f->b + zp.pos + 8 * k) : 0;
                if (z < INT32_MIN || z > INT32_MAX)
                    return sciot_fail(err, SCIOT_ERR_QUANT, "%s: zero point %" PRIu32 " out of range", what, k);
                zps[k] = (int32_t)z;
            }
            t->q.n_scales = (int32_t)sc.len;
            t->q.quantized_dimension = qdim;
            t->q.scales = scales;
            t->q.zero_points = zps;
            t->scale = scales[0];
            t->zero_point = zps[0];
        }
    }
    return SCIOT_OK;
}

static sciot_status read_index_vec(const fb *f, const fb_vec *v, int32_t *dst, int32_t n_tensors,
                                   int allow_absent, const char *what)
{
    for (uint32_t k = 0; k < v->len; k++) {
        int32_t x = ld_i32(f->b + v->pos + 4 * k);
        if (x >= n_tensors || x < (allow_absent ? -1 : 0))
            return sciot_fail(f->err, SCIOT_ERR_OUT_OF_RANGE,
                              "%s: tensor index %" PRId32 " out of range (%" PRId32 " tensors)", what, x, n_tensors);
        dst[k] = x;
    }
    return SCIOT_OK;
}

static uint64_t op_macs(const sciot_model *m, const sciot_op *o)
{
    if (o->n_outputs < 1 || o->n_inputs < 2 || o->inputs[1] < 0)
        return 0;
    const sciot_tensor *out = &m->tensors[o->outputs[0]];
    const sciot_tensor *w = &m->tensors[o->inputs[1]];
    if (w->rank < 2)
        return 0;
    switch (o->code) {
    case SCIOT_OP_CONV_2D: /* each output: kh*kw*in_c */
        return (uint64_t)out->elems * (uint64_t)(w->elems / (w->dims[0] ? (size_t)w->dims[0] : 1));
    case SCIOT_OP_DEPTHWISE_CONV_2D: /* each output: kh*kw */
        return w->rank == 4 ? (uint64_t)out->elems * (uint64_t)w->dims[1] * (uint64_t)w->dims[2] : 0;
    case SCIOT_OP_FULLY_CONNECTED:
        return (uint64_t)out->elems * (uint64_t)w->dims[w->rank - 1];
    default:
        return 0;
    }
}

static sciot_status parse_op(root *r, bump *mem, sciot_model *m, uint32_t i)
{
    const fb *f = &r->f;
    sciot_error *err = f->err;
    sciot_op *o = &m->ops[i];
    char what[96];
    fb_table op, oc;
    fb_vec vi, vo;
    int present;
    uint32_t opcode_index;
    sciot_status s;

    snprintf(what, sizeof what, "operator %" PRIu32, i);
    memset(o, 0, sizeof *o);
    if ((s = fb_vec_table(f, &r->ops, i, &op, what)))
        return s;
    if ((s = fb_scalar_u32(f, &op, OP_OPCODE, 0, &opcode_index, what)))
        return s;
    if (opcode_index >= r->opcodes.len)
        return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE,
                          "%s: opcode index %" PRIu32 " out of range (%" PRIu32 " operator codes)", what,
                          opcode_index, r->opcodes.len);
    if ((s = fb_vec_table(f, &r->opcodes, opcode_index, &oc, what)))
        return s;
    uint8_t dep;
    int32_t builtin, version;
    if ((s = fb_scalar_u8(f, &oc, OPC_DEPRECATED, 0, &dep, what)))
        return s;
    if ((s = fb_scalar_i32(f, &oc, OPC_BUILTIN, 0, &builtin, what)))
        return s;
    if ((s = fb_scalar_i32(f, &oc, OPC_VERSION, 1, &version, what)))
        return s;
    /* The deprecated int8 field holds codes < 127; the int32 field the rest.
     * Readers take the larger of the two (TFLite's GetBuiltinCode). */
    o->code = builtin > (int32_t)dep ? builtin : (int32_t)dep;
    o->version = version;
    if (o->code == 32) {
        const char *custom = "";
        fb_string(f, &oc, OPC_CUSTOM, &custom, what);
        return sciot_fail(err, SCIOT_ERR_UNSUPPORTED_OP, "%s: unsupported custom operator '%.40s'", what,
                          custom);
    }
    int maxv = max_version(o->code);
    if (!maxv)
        return sciot_fail(err, SCIOT_ERR_UNSUPPORTED_OP, "%s: unsupported operator %s (code %" PRId32 ") v%" PRId32,
                          what, sciot_op_name(o->code), o->code, version);
    if (version < 1 || version > maxv)
        return sciot_fail(err, SCIOT_ERR_UNSUPPORTED_OP, "%s (%s): unsupported version %" PRId32 " (supported 1..%d)",
                          what, sciot_op_name(o->code), version, maxv);
    snprintf(what, sizeof what, "operator %" PRIu32 " (%s v%" PRId32 ")", i, sciot_op_name(o->code), version);

    if ((s = fb_vector(f, &op, OP_INPUTS, 4, &vi, &present, what)))
        return s;
    if ((s = fb_vector(f, &op, OP_OUTPUTS, 4, &vo, &present, what)))
        return s;
    if (vo.len == 0)
        return sciot_fail(err, SCIOT_ERR_MODEL, "%s: no outputs", what);
    if (vi.len > MAX_OP_IO || vo.len > MAX_OP_IO)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "%s: too many inputs/outputs", what);
    int32_t *io = bump_take(mem, ((size_t)vi.len + vo.len) * 4);
    if (!io)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: model storage too small", what);
    if ((s = read_index_vec(f, &vi, io, m->n_tensors, 1, what)))
        return s;
    if ((s = read_index_vec(f, &vo, io + vi.len, m->n_tensors, 0, what)))
        return s;
    o->n_inputs = (int32_t)vi.len;
    o->n_outputs = (int32_t)vo.len;
    o->inputs = io;
    o->outputs = io + vi.len;
    if ((s = parse_options(f, &op, o, what)))
        return s;
    o->macs = op_macs(m, o);
    return SCIOT_OK;
}

/* Producer and consumer ranges; an activation must be produced once, and
 * before it is read. */
static sciot_status link_tensors(sciot_model *m, sciot_error *err)
{
    for (int32_t t = 0; t < m->n_tensors; t++) {
        m->producer[t] = -1;
        m->first_use[t] = -1;
        m->last_use[t] = -1;
    }
    for (int32_t k = 0; k < m->n_inputs; k++)
        if (m->tensors[m->inputs[k]].is_const)
            return sciot_fail(err, SCIOT_ERR_MODEL, "model input tensor %" PRId32 " is a constant", m->inputs[k]);
    for (int32_t i = 0; i < m->n_ops; i++) {
        const sciot_op *o = &m->ops[i];
        for (int32_t k = 0; k < o->n_inputs; k++) {
            int32_t t = o->inputs[k];
            if (t < 0)
                continue;
            const sciot_tensor *tt = &m->tensors[t];
            int is_input = 0;
            for (int32_t j = 0; j < m->n_inputs; j++)
                is_input |= m->inputs[j] == t;
            if (!tt->is_const && !is_input && m->producer[t] < 0)
                return sciot_fail(err, SCIOT_ERR_MODEL,
                                  "operator %" PRId32 " (%s): reads tensor %" PRId32
                                  " ('%.40s') before any operator writes it",
                                  i, sciot_op_name(o->code), t, tt->name);
            if (m->first_use[t] < 0)
                m->first_use[t] = i;
            m->last_use[t] = i;
        }
        for (int32_t k = 0; k < o->n_outputs; k++) {
            int32_t t = o->outputs[k];
            if (m->tensors[t].is_const || m->producer[t] >= 0)
                return sciot_fail(err, SCIOT_ERR_MODEL,
                                  "operator %" PRId32 " (%s): writes tensor %" PRId32 " twice or a constant", i,
                                  sciot_op_name(o->code), t);
            for (int32_t j = 0; j < m->n_inputs; j++)
                if (m->inputs[j] == t)
                    return sciot_fail(err, SCIOT_ERR_MODEL, "operator %" PRId32 " writes model input tensor %" PRId32,
                                      i, t);
            m->producer[t] = i;
        }
    }
    for (int32_t k = 0; k < m->n_outputs; k++) {
        int32_t t = m->outputs[k];
        int is_input = 0;
        for (int32_t j = 0; j < m->n_inputs; j++)
            is_input |= m->inputs[j] == t;
        if (m->producer[t] < 0 && !is_input)
            return sciot_fail(err, SCIOT_ERR_MODEL, "model output tensor %" PRId32 " is never written", t);
    }
    return SCIOT_OK;
}

sciot_status sciot_model_parse(sciot_model *m, const uint8_t *buf, size_t len, void *storage,
                               size_t storage_size, sciot_error *err)
{
    root r;
    sciot_status s;
    bump mem = {storage, storage_size, 0};

    if (!m)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "model is NULL");
    memset(m, 0, sizeof *m);
    if ((s = open_root(&r, buf, len, err)))
        return s;
    if (!storage)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "no storage for the model tables");
    m->file = buf;
    m->file_len = len;
    m->schema_version = 3;
    m->n_tensors = (int32_t)r.tensors.len;
    m->n_ops = (int32_t)r.ops.len;
    m->n_inputs = (int32_t)r.inputs.len;
    m->n_outputs = (int32_t)r.outputs.len;
    m->tensors = bump_take(&mem, (size_t)m->n_tensors * sizeof(sciot_tensor));
    m->ops = bump_take(&mem, (size_t)m->n_ops * sizeof(sciot_op));
    int32_t *io = bump_take(&mem, ((size_t)m->n_inputs + m->n_outputs) * 4);
    m->producer = bump_take(&mem, (size_t)m->n_tensors * 4);
    m->first_use = bump_take(&mem, (size_t)m->n_tensors * 4);
    m->last_use = bump_take(&mem, (size_t)m->n_tensors * 4);
    if ((m->n_tensors && !m->tensors) || (m->n_ops && !m->ops) || !io ||
        (m->n_tensors && (!m->producer || !m->first_use || !m->last_use)))
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "model storage of %zu bytes is too small", storage_size);
    if ((s = read_index_vec(&r.f, &r.inputs, io, m->n_tensors, 0, "subgraph 0: inputs")))
        return s;
    if ((s = read_index_vec(&r.f, &r.outputs, io + m->n_inputs, m->n_tensors, 0, "subgraph 0: outputs")))
        return s;
    m->inputs = io;
    m->outputs = io + m->n_inputs;
    for (uint32_t i = 0; i < r.tensors.len; i++)
        if ((s = parse_tensor(&r, &mem, i, &m->tensors[i])))
            return s;
    for (uint32_t i = 0; i < r.ops.len; i++)
        if ((s = parse_op(&r, &mem, m, i)))
            return s;
    return link_tensors(m, err);
}

/* ---- cut analysis (see sciot/model.h) -------------------------------- */

static int is_model_input(const sciot_model *m, int32_t t)
{
    for (int32_t j = 0; j < m->n_inputs; j++)
        if (m->inputs[j] == t)
            return 1;
    return 0;
}

static int is_model_output(const sciot_model *m, int32_t t)
{
    for (int32_t j = 0; j < m->n_outputs; j++)
        if (m->outputs[j] == t)
            return 1;
    return 0;
}

int sciot_model_in_cut(const sciot_model *m, int32_t k, int32_t t)
{
    if (!m || t < 0 || t >= m->n_tensors || k < 0 || k > m->n_ops || m->tensors[t].is_const)
        return 0;
    int before = is_model_input(m, t) || (m->producer[t] >= 0 && m->producer[t] < k);
    if (!before)
        return 0;
    if (is_model_output(m, t))
        return 1;
    return m->last_use[t] >= k;
}

int32_t sciot_model_cut(const sciot_model *m, int32_t k, int32_t *out, int32_t cap)
{
    int32_t n = 0;
    for (int32_t t = 0; m && t < m->n_tensors; t++)
        if (sciot_model_in_cut(m, k, t)) {
            if (n < cap && out)
                out[n] = t;
            n++;
        }
    return n;
}

size_t sciot_model_cut_bytes(const sciot_model *m, int32_t k)
{
    size_t total = 0;
    for (int32_t t = 0; m && t < m->n_tensors; t++)
        if (sciot_model_in_cut(m, k, t))
            total += m->tensors[t].bytes;
    return total;
}
