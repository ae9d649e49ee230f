/* fbbuild.c — see fbbuild.h. */
#define _POSIX_C_SOURCE 200809L
#include "fbbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- generic builder -------------------------------------------------- */

static void die(const char *what)
{
    fprintf(stderr, "fbbuild: %s\n", what);
    abort();
}

void fbb_init(fbb *b)
{
    memset(b, 0, sizeof *b);
    b->cap = 1024;
    b->buf = malloc(b->cap);
    if (!b->buf)
        die("out of memory");
    b->minalign = 4;
}

void fbb_free(fbb *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

static void reserve(fbb *b, size_t n)
{
    if (b->cap - b->size >= n)
        return;
    size_t cap = b->cap;
    while (cap - b->size < n)
        cap *= 2;
    uint8_t *nb = malloc(cap);
    if (!nb)
        die("out of memory");
    memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
}

/* Prepend n bytes (zeros if src is NULL). */
static uint8_t *push(fbb *b, const void *src, size_t n)
{
    reserve(b, n);
    b->size += n;
    uint8_t *at = b->buf + b->cap - b->size;
    if (src)
        memcpy(at, src, n);
    else
        memset(at, 0, n);
    return at;
}

void fbb_align(fbb *b, size_t len, size_t align)
{
    if (align > b->minalign)
        b->minalign = align;
    size_t pad = (align - ((b->size + len) % align)) % align;
    push(b, NULL, pad);
}

static void push_u32(fbb *b, uint32_t v) { push(b, &v, 4); }

/* Prepend a uoffset to `target`: relative to the offset's own position. */
static void push_uoffset(fbb *b, fbb_ref target)
{
    fbb_align(b, 4, 4);
    if (target > b->size + 4)
        die("uoffset target not yet written");
    push_u32(b, (uint32_t)(b->size + 4 - target));
}

fbb_ref fbb_vec(fbb *b, const void *elems, size_t n, size_t elem_size, size_t align)
{
    if (align < 4)
        align = 4;
    fbb_align(b, n * elem_size, align);
    push(b, elems, n * elem_size);
    fbb_align(b, 4, 4);
    push_u32(b, (uint32_t)n);
    return (fbb_ref)b->size;
}

fbb_ref fbb_vec_refs(fbb *b, const fbb_ref *refs, size_t n)
{
    fbb_align(b, n * 4, 4);
    for (size_t i = n; i-- > 0;)
        push_uoffset(b, refs[i]);
    push_u32(b, (uint32_t)n);
    return (fbb_ref)b->size;
}

fbb_ref fbb_string(fbb *b, const char *s)
{
    size_t n = strlen(s);
    fbb_align(b, n + 1, 4);
    push(b, NULL, 1);
    push(b, s, n);
    push_u32(b, (uint32_t)n);
    return (fbb_ref)b->size;
}

void fbb_start(fbb *b)
{
    fbb_align(b, 0, 4);
    b->tstart = b->size;
    memset(b->field, 0, sizeof b->field);
    b->nfields = 0;
}

static void mark(fbb *b, int field)
{
    if (field < 0 || field >= FBB_MAX_FIELDS)
        die("field index out of range");
    b->field[field] = (fbb_ref)b->size;
    if (field + 1 > b->nfields)
        b->nfields = field + 1;
}

void fbb_add_u8(fbb *b, int field, uint8_t v)
{
    push(b, &v, 1);
    mark(b, field);
}

void fbb_add_i32(fbb *b, int field, int32_t v)
{
    fbb_align(b, 4, 4);
    push(b, &v, 4);
    mark(b, field);
}

void fbb_add_u32(fbb *b, int field, uint32_t v)
{
    fbb_align(b, 4, 4);
    push(b, &v, 4);
    mark(b, field);
}

void fbb_add_f32(fbb *b, int field, float v)
{
    fbb_align(b, 4, 4);
    push(b, &v, 4);
    mark(b, field);
}

void fbb_add_i64(fbb *b, int field, int64_t v)
{
    fbb_align(b, 8, 8);
    push(b, &v, 8);
    mark(b, field);
}

void fbb_add_ref(fbb *b, int field, fbb_ref target)
{
    push_uoffset(b, target);
    mark(b, field);
}

fbb_ref fbb_end(fbb *b)
{
    /* the table starts with an soffset to its vtable */
    fbb_align(b, 4, 4);
    push_u32(b, 0);
    fbb_ref table = (fbb_ref)b->size;
    size_t tsize = table - b->tstart;
    uint16_t vt[2 + FBB_MAX_FIELDS];
    vt[0] = (uint16_t)(4 + 2 * b->nfields);
    vt[1] = (uint16_t)tsize;
    for (int i = 0; i < b->nfields; i++)
        vt[2 + i] = b->field[i] ? (uint16_t)(table - b->field[i]) : 0;
    /* the vtable goes right before the table (lower address) */
    push(b, vt, vt[0]);
    fbb_ref vtable = (fbb_ref)b->size;
    int32_t soff = (int32_t)(vtable - table); /* table pos - vtable pos */
    memcpy(b->buf + b->cap - table, &soff, 4);
    b->nfields = 0;
    return table;
}

uint8_t *fbb_finish(fbb *b, fbb_ref root, const char *ident, size_t *len)
{
    size_t align = b->minalign < 16 ? 16 : b->minalign;
    fbb_align(b, 8, align);
    push(b, ident, 4);
    push_uoffset(b, root);
    void *out = NULL;
    if (posix_memalign(&out, 16, b->size ? b->size : 1))
        die("out of memory");
    memcpy(out, b->buf + b->cap - b->size, b->size);
    *len = b->size;
    return out;
}

size_t fbb_pos(const fbb *b, fbb_ref r) { return r ? b->size - r : 0; }

/* ---- TFLite models ---------------------------------------------------- */

/* Field indices of schema v3. */
enum { M_VERSION = 0, M_OPCODES = 1, M_SUBGRAPHS = 2, M_DESCRIPTION = 3, M_BUFFERS = 4 };
enum { OC_DEPRECATED = 0, OC_CUSTOM = 1, OC_VERSION = 2, OC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4 };
enum { Q_MIN = 0, Q_MAX = 1, Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DIM = 6 };
enum { O_OPCODE = 0, O_INPUTS = 1, O_OUTPUTS = 2, O_OPT_TYPE = 3, O_OPT = 4 };
enum { B_DATA = 0 };

typedef struct {
    fbb_ref tensor[FBM_MAX_TENSORS], shape[FBM_MAX_TENSORS], name[FBM_MAX_TENSORS],
        quant[FBM_MAX_TENSORS];
    fbb_ref op[FBM_MAX_OPS], op_in[FBM_MAX_OPS];
    fbb_ref buf_data[FBM_MAX_BUFFERS], buf[FBM_MAX_BUFFERS];
    fbb_ref model, sg, tensors, ops, buffers;
    fbb_ref model_vtable, sg_tensors_field;
} refs;

static fbb_ref build_opcode(fbb *b, const fbm_opcode *oc)
{
    fbb_ref custom = oc->custom_code ? fbb_string(b, oc->custom_code) : 0;
    fbb_start(b);
    if (!oc->omit_builtin)
        fbb_add_i32(b, OC_BUILTIN, oc->builtin_code);
    if (oc->version)
        fbb_add_i32(b, OC_VERSION, oc->version);
    if (custom)
        fbb_add_ref(b, OC_CUSTOM, custom);
    if (!oc->omit_deprecated)
        fbb_add_u8(b, OC_DEPRECATED, (uint8_t)oc->deprecated_code);
    return fbb_end(b);
}

static fbb_ref build_tensor(fbb *b, const fbm_tensor *t, refs *r, int i)
{
    fbb_ref quant = 0, shape = 0, name = 0;
    if (t->has_quant) {
        fbb_ref sc = 0, zp = 0;
        if (t->n_scales >= 0)
            sc = fbb_vec(b, t->scales, (size_t)t->n_scales, 4, 4);
        if (t->n_zero_points >= 0)
            zp = fbb_vec(b, t->zero_points, (size_t)t->n_zero_points, 8, 8);
        fbb_start(b);
        if (t->quantized_dimension)
            fbb_add_i32(b, Q_DIM, t->quantized_dimension);
        if (zp)
            fbb_add_ref(b, Q_ZERO_POINT, zp);
        if (sc)
            fbb_add_ref(b, Q_SCALE, sc);
        quant = fbb_end(b);
    }
    if (t->name)
        name = fbb_string(b, t->name);
    if (t->rank >= 0)
        shape = fbb_vec(b, t->shape, (size_t)t->rank, 4, 4);
    fbb_start(b);
    if (quant)
        fbb_add_ref(b, T_QUANT, quant);
    if (name)
        fbb_add_ref(b, T_NAME, name);
    if (t->buffer)
        fbb_add_u32(b, T_BUFFER, t->buffer);
    if (shape)
        fbb_add_ref(b, T_SHAPE, shape);
    if (t->type)
        fbb_add_u8(b, T_TYPE, (uint8_t)t->type);
    r->quant[i] = quant;
    r->name[i] = name;
    r->shape[i] = shape;
    return fbb_end(b);
}

static fbb_ref build_op(fbb *b, const fbm_op *o, refs *r, int i)
{
    fbb_ref opt = 0;
    if (o->options_type) {
        fbb_start(b);
        for (int k = 0; k < o->n_opts; k++) {
            const fbm_opt *x = &o->opts[k];
            if (x->kind == FBM_U8)
                fbb_add_u8(b, x->field, (uint8_t)x->i);
            else if (x->kind == FBM_I32)
                fbb_add_i32(b, x->field, x->i);
            else
                fbb_add_f32(b, x->field, x->f);
        }
        opt = fbb_end(b);
    }
    fbb_ref out = fbb_vec(b, o->outputs, (size_t)o->n_outputs, 4, 4);
    fbb_ref in = fbb_vec(b, o->inputs, (size_t)o->n_inputs, 4, 4);
    fbb_start(b);
    if (opt)
        fbb_add_ref(b, O_OPT, opt);
    fbb_add_ref(b, O_OUTPUTS, out);
    fbb_add_ref(b, O_INPUTS, in);
    if (!o->omit_opcode_index)
        fbb_add_u32(b, O_OPCODE, o->opcode_index);
    if (o->options_type)
        fbb_add_u8(b, O_OPT_TYPE, o->options_type);
    r->op_in[i] = in;
    return fbb_end(b);
}

uint8_t *fbm_build(const fbm_model *m, size_t *len, fbm_pos *pos)
{
    fbb b;
    refs r;
    fbb_ref tmp[FBM_MAX_TENSORS > FBM_MAX_BUFFERS ? FBM_MAX_TENSORS : FBM_MAX_BUFFERS];
    memset(&r, 0, sizeof r);
    fbb_init(&b);

    /* buffers (data last in the file, as the converter writes them) */
    for (int i = 0; i < m->n_buffers; i++) {
        fbb_ref data = 0;
        if (m->buffers[i].data && m->buffers[i].len)
            data = fbb_vec(&b, m->buffers[i].data, m->buffers[i].len, 1, 16);
        fbb_start(&b);
        if (data)
            fbb_add_ref(&b, B_DATA, data);
        r.buf[i] = tmp[i] = fbb_end(&b);
        r.buf_data[i] = data;
    }
    r.buffers = fbb_vec_refs(&b, tmp, (size_t)m->n_buffers);

    /* subgraph 0 */
    for (int i = 0; i < m->n_tensors; i++)
        r.tensor[i] = tmp[i] = build_tensor(&b, &m->tensors[i], &r, i);
    r.tensors = fbb_vec_refs(&b, tmp, (size_t)m->n_tensors);
    fbb_ref ops[FBM_MAX_OPS];
    for (int i = 0; i < m->n_ops; i++)
        r.op[i] = ops[i] = build_op(&b, &m->ops[i], &r, i);
    r.ops = fbb_vec_refs(&b, ops, (size_t)m->n_ops);
    fbb_ref ins = fbb_vec(&b, m->inputs, (size_t)m->n_inputs, 4, 4);
    fbb_ref outs = fbb_vec(&b, m->outputs, (size_t)m->n_outputs, 4, 4);
    fbb_ref sgname = m->subgraph_name ? fbb_string(&b, m->subgraph_name) : 0;
    fbb_start(&b);
    if (sgname)
        fbb_add_ref(&b, SG_NAME, sgname);
    fbb_add_ref(&b, SG_OPERATORS, r.ops);
    fbb_add_ref(&b, SG_OUTPUTS, outs);
    fbb_add_ref(&b, SG_INPUTS, ins);
    fbb_add_ref(&b, SG_TENSORS, r.tensors);
    r.sg_tensors_field = (fbb_ref)b.size;
    r.sg = fbb_end(&b);
    int nsg = m->n_subgraphs > 0 ? m->n_subgraphs : 1;
    fbb_ref sgs[8];
    for (int i = 0; i < nsg && i < 8; i++)
        sgs[i] = r.sg;
    fbb_ref subgraphs = fbb_vec_refs(&b, sgs, (size_t)(nsg < 8 ? nsg : 8));

    fbb_ref codes[FBM_MAX_OPCODES];
    for (int i = 0; i < m->n_opcodes; i++)
        codes[i] = build_opcode(&b, &m->opcodes[i]);
    fbb_ref opcodes = fbb_vec_refs(&b, codes, (size_t)m->n_opcodes);
    fbb_ref desc = m->description ? fbb_string(&b, m->description) : 0;

    fbb_start(&b);
    fbb_add_ref(&b, M_BUFFERS, r.buffers);
    if (desc)
        fbb_add_ref(&b, M_DESCRIPTION, desc);
    fbb_add_ref(&b, M_SUBGRAPHS, subgraphs);
    fbb_add_ref(&b, M_OPCODES, opcodes);
    fbb_add_u32(&b, M_VERSION, m->version);
    r.model = fbb_end(&b);
    uint8_t *out = fbb_finish(&b, r.model, "TFL3", len);

    if (pos) {
        memset(pos, 0, sizeof *pos);
        pos->model_table = fbb_pos(&b, r.model);
        int32_t soff;
        memcpy(&soff, out + pos->model_table, 4);
        pos->model_vtable = (size_t)((int64_t)pos->model_table - soff);
        pos->subgraph_table = fbb_pos(&b, r.sg);
        pos->sg_tensors_field = fbb_pos(&b, r.sg_tensors_field);
        pos->tensors_vec = fbb_pos(&b, r.tensors);
        pos->ops_vec = fbb_pos(&b, r.ops);
        pos->buffers_vec = fbb_pos(&b, r.buffers);
        for (int i = 0; i < m->n_tensors; i++) {
            pos->tensor_table[i] = fbb_pos(&b, r.tensor[i]);
            pos->tensor_shape_vec[i] = fbb_pos(&b, r.shape[i]);
            pos->tensor_name_vec[i] = fbb_pos(&b, r.name[i]);
            pos->tensor_quant_table[i] = fbb_pos(&b, r.quant[i]);
        }
        for (int i = 0; i < m->n_ops; i++) {
            pos->op_table[i] = fbb_pos(&b, r.op[i]);
            pos->op_inputs_vec[i] = fbb_pos(&b, r.op_in[i]);
        }
        for (int i = 0; i < m->n_buffers; i++) {
            pos->buffer_table[i] = fbb_pos(&b, r.buf[i]);
            pos->buffer_data_vec[i] = fbb_pos(&b, r.buf_data[i]);
        }
    }
    fbb_free(&b);
    return out;
}

/* ---- description helpers ---------------------------------------------- */

int fbm_add_buffer(fbm_model *m, const void *data, size_t len)
{
    if (m->n_buffers >= FBM_MAX_BUFFERS)
        die("too many buffers");
    m->buffers[m->n_buffers].data = data;
    m->buffers[m->n_buffers].len = len;
    return m->n_buffers++;
}

int fbm_add_opcode(fbm_model *m, int32_t code, int32_t version)
{
    if (m->n_opcodes >= FBM_MAX_OPCODES)
        die("too many opcodes");
    fbm_opcode *oc = &m->opcodes[m->n_opcodes];
    memset(oc, 0, sizeof *oc);
    oc->builtin_code = code;
    oc->deprecated_code = (int8_t)(code < 127 ? code : 127);
    oc->version = version;
    return m->n_opcodes++;
}

int fbm_add_tensor(fbm_model *m, const char *name, int type, int rank, const int32_t *shape, uint32_t buffer)
{
    if (m->n_tensors >= FBM_MAX_TENSORS || rank > 8)
        die("too many tensors");
    fbm_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->type = (int8_t)type;
    t->rank = rank;
    for (int k = 0; k < rank; k++)
        t->shape[k] = shape[k];
    t->buffer = buffer;
    t->n_scales = -1;
    t->n_zero_points = -1;
    return m->n_tensors++;
}

void fbm_set_quant(fbm_model *m, int tensor, int n, const float *scales, const int64_t *zero_points,
                   int32_t quantized_dimension)
{
    fbm_tensor *t = &m->tensors[tensor];
    t->has_quant = 1;
    t->n_scales = n;
    t->scales = scales;
    t->n_zero_points = zero_points ? n : -1;
    t->zero_points = zero_points;
    t->quantized_dimension = quantized_dimension;
}

int fbm_add_op(fbm_model *m, int opcode_index, int n_in, const int32_t *in, int n_out, const int32_t *out,
               uint8_t options_type)
{
    if (m->n_ops >= FBM_MAX_OPS || n_in > FBM_MAX_IO || n_out > FBM_MAX_IO)
        die("too many operators");
    fbm_op *o = &m->ops[m->n_ops];
    memset(o, 0, sizeof *o);
    o->opcode_index = (uint32_t)opcode_index;
    o->n_inputs = n_in;
    o->n_outputs = n_out;
    for (int k = 0; k < n_in; k++)
        o->inputs[k] = in[k];
    for (int k = 0; k < n_out; k++)
        o->outputs[k] = out[k];
    o->options_type = options_type;
    return m->n_ops++;
}

void fbm_add_opt(fbm_model *m, int op, int field, int kind, int32_t i, float f)
{
    fbm_op *o = &m->ops[op];
    if (o->n_opts >= FBM_MAX_OPTS)
        die("too many options");
    fbm_opt *x = &o->opts[o->n_opts++];
    x->field = field;
    x->kind = kind;
    x->i = i;
    x->f = f;
}

/* ---- the residual test network ---------------------------------------- */

enum { TT_FLOAT32 = 0, TT_INT32 = 2, TT_INT8 = 9 };
enum { OPC_ADD = 0, OPC_CONV_2D = 3, OPC_RESHAPE = 22, OPC_SOFTMAX = 25 };
enum { OPT_CONV = 1, OPT_SOFTMAX = 9, OPT_ADD = 11, OPT_RESHAPE = 17 };

static const int8_t wA_s8[2 * 3 * 3 * 2] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12,
                                            13, -14, 15, -16, 17, -18, -19, 20, -21, 22, -23, 24,
                                            -25, 26, -27, 28, -29, 30, -31, 32, -33, 34, -35, 36};
static const int32_t bA_s32[2] = {100, -200};
static const int8_t wB_s8[2 * 1 * 1 * 2] = {64, -32, 16, 127};
static const int32_t bB_s32[2] = {-50, 75};
static float wA_f32[2 * 3 * 3 * 2], wB_f32[4];
static const float bA_f32[2] = {0.5f, -1.0f}, bB_f32[2] = {-0.25f, 0.125f};
static const int32_t new_shape[2] = {1, 32};

static const float wA_scales[2] = {0.01f, 0.02f}, bA_scales[2] = {0.005f, 0.01f};
static const float wB_scales[2] = {0.01f, 0.02f}, bB_scales[2] = {0.0025f, 0.005f};
static const int64_t zeros2[2] = {0, 0};
static const float x_scale[1] = {0.5f}, y_scale[1] = {0.25f}, sum_scale[1] = {0.5f};
static const float out_scale[1] = {1.0f / 256.0f};
static const int64_t x_zp[1] = {-1}, y_zp[1] = {3}, sum_zp[1] = {0}, out_zp[1] = {-128};

void fbm_residual(fbm_model *m, int full, int float32)
{
    static const int32_t act[4] = {1, 4, 4, 2}, fA[4] = {2, 3, 3, 2}, fB[4] = {2, 1, 1, 2}, bias[1] = {2};
    static const int32_t flat[2] = {1, 32}, shp[1] = {2};
    int dt = float32 ? TT_FLOAT32 : TT_INT8, bt = float32 ? TT_FLOAT32 : TT_INT32;

    for (int k = 0; k < 36; k++)
        wA_f32[k] = wA_s8[k] / 64.0f;
    for (int k = 0; k < 4; k++)
        wB_f32[k] = wB_s8[k] / 128.0f;
    memset(m, 0, sizeof *m);
    m->version = 3;
    m->description = "sciot fbbuild residual";
    m->subgraph_name = "main";
    fbm_add_buffer(m, NULL, 0);
    int bwA = float32 ? fbm_add_buffer(m, wA_f32, sizeof wA_f32) : fbm_add_buffer(m, wA_s8, sizeof wA_s8);
    int bbA = float32 ? fbm_add_buffer(m, bA_f32, sizeof bA_f32) : fbm_add_buffer(m, bA_s32, sizeof bA_s32);
    int bwB = float32 ? fbm_add_buffer(m, wB_f32, sizeof wB_f32) : fbm_add_buffer(m, wB_s8, sizeof wB_s8);
    int bbB = float32 ? fbm_add_buffer(m, bB_f32, sizeof bB_f32) : fbm_add_buffer(m, bB_s32, sizeof bB_s32);

    int conv = fbm_add_opcode(m, OPC_CONV_2D, 3);
    int add = fbm_add_opcode(m, OPC_ADD, 1);

    int x = fbm_add_tensor(m, "x", dt, 4, act, 0);
    int wA = fbm_add_tensor(m, "wA", dt, 4, fA, (uint32_t)bwA);
    int bA = fbm_add_tensor(m, "bA", bt, 1, bias, (uint32_t)bbA);
    int y = fbm_add_tensor(m, "y", dt, 4, act, 0);
    int wB = fbm_add_tensor(m, "wB", dt, 4, fB, (uint32_t)bwB);
    int bB = fbm_add_tensor(m, "bB", bt, 1, bias, (uint32_t)bbB);
    int z = fbm_add_tensor(m, "z", dt, 4, act, 0);
    int sum = fbm_add_tensor(m, "sum", dt, 4, act, 0);
    if (!float32) {
        fbm_set_quant(m, x, 1, x_scale, x_zp, 0);
        fbm_set_quant(m, wA, 2, wA_scales, zeros2, 0);
        fbm_set_quant(m, bA, 2, bA_scales, zeros2, 0);
        fbm_set_quant(m, y, 1, y_scale, y_zp, 0);
        fbm_set_quant(m, wB, 2, wB_scales, zeros2, 0);
        fbm_set_quant(m, bB, 2, bB_scales, zeros2, 3); /* beyond the rank, as person_detect */
        fbm_set_quant(m, z, 1, y_scale, y_zp, 0);
        fbm_set_quant(m, sum, 1, sum_scale, sum_zp, 0);
    }

    int32_t in0[3] = {x, wA, bA}, out0[1] = {y};
    int op = fbm_add_op(m, conv, 3, in0, 1, out0, OPT_CONV);
    fbm_add_opt(m, op, 0, FBM_U8, 0, 0);  /* padding SAME */
    fbm_add_opt(m, op, 1, FBM_I32, 1, 0); /* stride_w */
    fbm_add_opt(m, op, 2, FBM_I32, 1, 0); /* stride_h */
    fbm_add_opt(m, op, 3, FBM_U8, 1, 0);  /* RELU */
    int32_t in1[3] = {y, wB, bB}, out1[1] = {z};
    op = fbm_add_op(m, conv, 3, in1, 1, out1, OPT_CONV);
    fbm_add_opt(m, op, 0, FBM_U8, 1, 0); /* padding VALID */
    int32_t in2[2] = {y, z}, out2[1] = {sum};
    op = fbm_add_op(m, add, 2, in2, 1, out2, OPT_ADD);
    fbm_add_opt(m, op, 0, FBM_U8, 0, 0);

    m->n_inputs = 1;
    m->inputs[0] = x;
    m->n_outputs = 1;
    m->outputs[0] = sum;
    if (!full)
        return;

    int reshape = fbm_add_opcode(m, OPC_RESHAPE, 1);
    int softmax = fbm_add_opcode(m, OPC_SOFTMAX, 1);
    int bshape = fbm_add_buffer(m, new_shape, sizeof new_shape);
    int shape = fbm_add_tensor(m, "shape", TT_INT32, 1, shp, (uint32_t)bshape);
    int fl = fbm_add_tensor(m, "flat", dt, 2, flat, 0);
    int out = fbm_add_tensor(m, "out", dt, 2, flat, 0);
    if (!float32) {
        fbm_set_quant(m, fl, 1, sum_scale, sum_zp, 0);
        fbm_set_quant(m, out, 1, out_scale, out_zp, 0);
    }
    int32_t in3[2] = {sum, shape}, out3[1] = {fl};
    fbm_add_op(m, reshape, 2, in3, 1, out3, OPT_RESHAPE);
    int32_t in4[1] = {fl}, out4[1] = {out};
    op = fbm_add_op(m, softmax, 1, in4, 1, out4, OPT_SOFTMAX);
    fbm_add_opt(m, op, 0, FBM_F32, 0, 1.0f); /* beta */
    m->outputs[0] = out;
}
