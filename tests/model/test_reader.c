/* test_reader.c — the .tflite reader (src/model/model.c) on small models
 * built in memory with tests/util/fbbuild (no model files needed):
 * a valid model's tensors / operators / options / quantization (per-tensor,
 * per-channel, quantized_dimension beyond the rank), both opcode fields,
 * every class of error with its status code and message, storage sizing,
 * and the cut analysis on a residual block. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbbuild.h"
#include "sciot/engine.h"
#include "sciot/model.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    uint8_t *img;
    size_t len;
    fbm_pos pos;
    void *storage;
    sciot_model m;
    sciot_error err;
    sciot_status st;
} parsed;

/* Both passes on a (possibly corrupted) image; storage sized by pass 1. */
static sciot_status parse_img(parsed *p, const uint8_t *img, size_t len)
{
    size_t need = 0;
    memset(&p->err, 0, sizeof p->err);
    free(p->storage);
    p->storage = NULL;
    p->st = sciot_model_storage_size(img, len, &need, &p->err);
    if (p->st == SCIOT_OK) {
        p->storage = malloc(need);
        assert_non_null(p->storage);
        p->st = sciot_model_parse(&p->m, img, len, p->storage, need, &p->err);
        /* pass 1 sized the storage: pass 2 never runs out of it */
        assert_int_not_equal(p->st, SCIOT_ERR_NO_MEMORY);
    }
    if (p->st != SCIOT_OK) {
        assert_int_equal(p->err.status, p->st);
        assert_true(p->err.msg[0] != 0);
    }
    return p->st;
}

static sciot_status build_parse(parsed *p, const fbm_model *d)
{
    memset(p, 0, sizeof *p);
    p->img = fbm_build(d, &p->len, &p->pos);
    return parse_img(p, p->img, p->len);
}

static void done(parsed *p)
{
    free(p->img);
    free(p->storage);
    memset(p, 0, sizeof *p);
}

static void put_u32(uint8_t *b, size_t at, uint32_t v) { memcpy(b + at, &v, 4); }
static uint32_t get_u32(const uint8_t *b, size_t at) { uint32_t v; memcpy(&v, b + at, 4); return v; }

#define assert_msg_has(p, needle)                                                        \
    do {                                                                                 \
        if (!strstr((p)->err.msg, (needle)))                                             \
            fail_msg("message '%s' does not mention '%s'", (p)->err.msg, (needle));      \
    } while (0)

#define expect_status(p, want)                                                           \
    do {                                                                                 \
        if ((p)->st != (want))                                                           \
            fail_msg("status %d (%s), expected %d (%s); message: %s", (p)->st,           \
                     sciot_strerror((p)->st), (want), sciot_strerror(want), (p)->err.msg); \
    } while (0)

static fbm_model desc; /* large: keep it off the stack */

/* A model with one operator `code` v`version` reading tensor 0 and writing
 * tensor 1 (both int8 [1,4,4,2]) and options of union type `opt_type`. */
static int one_op(fbm_model *m, int32_t code, int32_t version, uint8_t opt_type)
{
    static const int32_t shape[4] = {1, 4, 4, 2};
    static const float sc[1] = {0.5f};
    static const int64_t zp[1] = {0};
    memset(m, 0, sizeof *m);
    m->version = 3;
    fbm_add_buffer(m, NULL, 0);
    int oc = fbm_add_opcode(m, code, version);
    int a = fbm_add_tensor(m, "in", SCIOT_INT8, 4, shape, 0);
    int b = fbm_add_tensor(m, "out", SCIOT_INT8, 4, shape, 0);
    fbm_set_quant(m, a, 1, sc, zp, 0);
    fbm_set_quant(m, b, 1, sc, zp, 0);
    int32_t in[1] = {a}, out[1] = {b};
    m->n_inputs = 1;
    m->inputs[0] = a;
    m->n_outputs = 1;
    m->outputs[0] = b;
    return fbm_add_op(m, oc, 1, in, 1, out, opt_type);
}

/* ---- a valid model ------------------------------------------------------ */

static void valid_model_parses(void **st)
{
    (void)st;
    parsed p;
    fbm_residual(&desc, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    const sciot_model *m = &p.m;

    assert_int_equal(m->schema_version, 3);
    assert_ptr_equal(m->file, p.img);
    assert_int_equal(m->file_len, p.len);
    assert_int_equal(m->n_tensors, 11);
    assert_int_equal(m->n_ops, 5);
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->inputs[0], 0);
    assert_int_equal(m->n_outputs, 1);
    assert_int_equal(m->outputs[0], 10);

    static const char *const names[11] = {"x", "wA", "bA", "y", "wB", "bB", "z", "sum", "shape", "flat", "out"};
    for (int t = 0; t < 11; t++)
        assert_string_equal(m->tensors[t].name, names[t]);

    /* input: per-tensor quantization */
    const sciot_tensor *x = &m->tensors[0];
    assert_int_equal(x->dtype, SCIOT_INT8);
    assert_int_equal(x->rank, 4);
    assert_int_equal(x->dims[0], 1);
    assert_int_equal(x->dims[1], 4);
    assert_int_equal(x->dims[2], 4);
    assert_int_equal(x->dims[3], 2);
    assert_int_equal(x->elems, 32);
    assert_int_equal(x->bytes, 32);
    assert_false(x->is_const);
    assert_null(x->data);
    assert_int_equal(x->q.n_scales, 1);
    assert_float_equal(x->scale, 0.5f, 0);
    assert_int_equal(x->zero_point, -1);

    /* filter: constant, data in place inside the file, per-channel on dim 0 */
    const sciot_tensor *wA = &m->tensors[1];
    assert_true(wA->is_const);
    assert_int_equal(wA->bytes, 36);
    assert_ptr_equal(wA->data, p.img + p.pos.buffer_data_vec[1] + 4);
    assert_int_equal(((const int8_t *)wA->data)[0], 1);
    assert_int_equal(((const int8_t *)wA->data)[35], 36);
    assert_int_equal(wA->q.n_scales, 2);
    assert_int_equal(wA->q.quantized_dimension, 0);
    assert_float_equal(wA->q.scales[0], 0.01f, 0);
    assert_float_equal(wA->q.scales[1], 0.02f, 0);
    assert_int_equal(wA->q.zero_points[1], 0);
    assert_float_equal(wA->scale, 0.01f, 0);

    /* bias: int32, 16-byte aligned in place */
    const sciot_tensor *bA = &m->tensors[2];
    assert_int_equal(bA->dtype, SCIOT_INT32);
    assert_int_equal(bA->rank, 1);
    assert_int_equal(bA->bytes, 8);
    assert_int_equal((uintptr_t)bA->data % 16, 0);
    assert_int_equal(((const int32_t *)bA->data)[1], -200);
    assert_float_equal(bA->q.scales[1], 0.01f, 0);

    /* conv B's bias: quantized_dimension 3 on a 1-D tensor, one scale per
     * element — TFLite rejects it, TFLM (and we) accept it */
    const sciot_tensor *bB = &m->tensors[5];
    assert_int_equal(bB->rank, 1);
    assert_int_equal(bB->q.quantized_dimension, 3);
    assert_int_equal(bB->q.n_scales, 2);
    assert_float_equal(bB->q.scales[0], 0.0025f, 0);
    assert_float_equal(bB->q.scales[1], 0.005f, 0);

    const sciot_tensor *out = &m->tensors[10];
    assert_int_equal(out->rank, 2);
    assert_int_equal(out->dims[1], 32);
    assert_float_equal(out->scale, 1.0f / 256.0f, 0);
    assert_int_equal(out->zero_point, -128);
    assert_int_equal(m->tensors[8].dtype, SCIOT_INT32);
    assert_int_equal(((const int32_t *)m->tensors[8].data)[1], 32);

    /* operators */
    static const int32_t codes[5] = {SCIOT_OP_CONV_2D, SCIOT_OP_CONV_2D, SCIOT_OP_ADD, SCIOT_OP_RESHAPE,
                                     SCIOT_OP_SOFTMAX};
    static const int32_t versions[5] = {3, 3, 1, 1, 1};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(m->ops[i].code, codes[i]);
        assert_int_equal(m->ops[i].version, versions[i]);
        assert_int_equal(m->ops[i].n_outputs, 1);
    }
    const sciot_op *c0 = &m->ops[0];
    assert_int_equal(c0->n_inputs, 3);
    assert_int_equal(c0->inputs[0], 0);
    assert_int_equal(c0->inputs[1], 1);
    assert_int_equal(c0->inputs[2], 2);
    assert_int_equal(c0->outputs[0], 3);
    assert_int_equal(c0->opt.padding, SCIOT_PAD_SAME);
    assert_int_equal(c0->opt.stride_w, 1);
    assert_int_equal(c0->opt.stride_h, 1);
    assert_int_equal(c0->opt.dilation_w, 1); /* absent: default */
    assert_int_equal(c0->opt.dilation_h, 1);
    assert_int_equal(c0->opt.activation, SCIOT_ACT_RELU);
    assert_int_equal(c0->macs, 32 * 3 * 3 * 2); /* every output: kh*kw*in_c */
    assert_int_equal(m->ops[1].opt.padding, SCIOT_PAD_VALID);
    assert_int_equal(m->ops[1].opt.activation, SCIOT_ACT_NONE);
    assert_int_equal(m->ops[1].macs, 32 * 2);
    assert_int_equal(m->ops[2].n_inputs, 2);
    assert_int_equal(m->ops[2].inputs[0], 3);
    assert_int_equal(m->ops[2].inputs[1], 6);
    assert_int_equal(m->ops[2].macs, 0);
    assert_float_equal(m->ops[4].opt.beta, 1.0f, 0);

    /* producer / consumers */
    assert_int_equal(m->producer[0], -1);
    assert_int_equal(m->first_use[0], 0);
    assert_int_equal(m->producer[1], -1); /* constants have no producer */
    assert_int_equal(m->producer[3], 0);
    assert_int_equal(m->first_use[3], 1);
    assert_int_equal(m->last_use[3], 2);
    assert_int_equal(m->producer[6], 1);
    assert_int_equal(m->last_use[6], 2);
    assert_int_equal(m->producer[10], 4);
    assert_int_equal(m->first_use[10], -1);
    assert_int_equal(m->last_use[10], -1);
    done(&p);

    /* the float32 variant */
    fbm_residual(&desc, 1, 1);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.tensors[0].dtype, SCIOT_FLOAT32);
    assert_int_equal(p.m.tensors[0].q.n_scales, 0);
    assert_int_equal(p.m.tensors[1].bytes, 36 * 4);
    assert_int_equal(p.m.tensors[2].dtype, SCIOT_FLOAT32);
    assert_float_equal(((const float *)p.m.tensors[2].data)[0], 0.5f, 0);
    done(&p);
}

/* The hand-built model is a real one: the engine prepares and runs it
 * (so it is also a meaningful fuzz seed). */
static void valid_model_runs(void **st)
{
    (void)st;
    for (int f32 = 0; f32 <= 1; f32++) {
        parsed p;
        sciot_arena_info info;
        sciot_engine e;
        fbm_residual(&desc, 1, f32);
        assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
        assert_int_equal(sciot_engine_arena_size(&p.m, 0, p.m.n_ops, &info, &p.err), SCIOT_OK);
        void *arena = aligned_alloc(16, (info.total_bytes + 15) & ~(size_t)15);
        assert_int_equal(sciot_engine_init(&e, &p.m, 0, p.m.n_ops, arena, info.total_bytes, &p.err), SCIOT_OK);
        uint8_t *in = sciot_engine_tensor(&e, 0);
        for (size_t k = 0; k < p.m.tensors[0].bytes; k++)
            in[k] = (uint8_t)(k * 37u);
        if (f32)
            for (size_t k = 0; k < 32; k++)
                ((float *)in)[k] = (float)k / 16.0f - 1.0f;
        assert_int_equal(sciot_engine_run(&e, 0, p.m.n_ops, &p.err), SCIOT_OK);
        /* softmax over 32 values sums to 1 */
        double sum = 0;
        const void *o = sciot_engine_tensor(&e, 10);
        for (int k = 0; k < 32; k++)
            sum += f32 ? ((const float *)o)[k] : (((const int8_t *)o)[k] + 128) / 256.0;
        assert_true(fabs(sum - 1.0) < (f32 ? 1e-5 : 0.1));
        free(arena);
        done(&p);
    }
}

/* ---- builtin options ---------------------------------------------------- */

static void options_decoded(void **st)
{
    (void)st;
    parsed p;
    int op;

    op = one_op(&desc, SCIOT_OP_CONV_2D, 1, 1);
    fbm_add_opt(&desc, op, 0, FBM_U8, SCIOT_PAD_VALID, 0);
    fbm_add_opt(&desc, op, 1, FBM_I32, 2, 0);
    fbm_add_opt(&desc, op, 2, FBM_I32, 3, 0);
    fbm_add_opt(&desc, op, 3, FBM_U8, SCIOT_ACT_RELU6, 0);
    fbm_add_opt(&desc, op, 4, FBM_I32, 4, 0);
    fbm_add_opt(&desc, op, 5, FBM_I32, 5, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    const sciot_op_options *o = &p.m.ops[0].opt;
    assert_int_equal(o->padding, SCIOT_PAD_VALID);
    assert_int_equal(o->stride_w, 2);
    assert_int_equal(o->stride_h, 3);
    assert_int_equal(o->activation, SCIOT_ACT_RELU6);
    assert_int_equal(o->dilation_w, 4);
    assert_int_equal(o->dilation_h, 5);
    done(&p);

    op = one_op(&desc, SCIOT_OP_DEPTHWISE_CONV_2D, 2, 2);
    fbm_add_opt(&desc, op, 1, FBM_I32, 2, 0);
    fbm_add_opt(&desc, op, 3, FBM_I32, 4, 0);
    fbm_add_opt(&desc, op, 4, FBM_U8, SCIOT_ACT_RELU, 0);
    fbm_add_opt(&desc, op, 6, FBM_I32, 2, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    o = &p.m.ops[0].opt;
    assert_int_equal(o->padding, SCIOT_PAD_SAME);
    assert_int_equal(o->stride_w, 2);
    assert_int_equal(o->stride_h, 1);
    assert_int_equal(o->depth_multiplier, 4);
    assert_int_equal(o->activation, SCIOT_ACT_RELU);
    assert_int_equal(o->dilation_w, 1);
    assert_int_equal(o->dilation_h, 2);
    done(&p);

    op = one_op(&desc, SCIOT_OP_AVERAGE_POOL_2D, 1, 5);
    fbm_add_opt(&desc, op, 0, FBM_U8, SCIOT_PAD_VALID, 0);
    fbm_add_opt(&desc, op, 1, FBM_I32, 2, 0);
    fbm_add_opt(&desc, op, 2, FBM_I32, 2, 0);
    fbm_add_opt(&desc, op, 3, FBM_I32, 3, 0);
    fbm_add_opt(&desc, op, 4, FBM_I32, 4, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    o = &p.m.ops[0].opt;
    assert_int_equal(o->filter_w, 3);
    assert_int_equal(o->filter_h, 4);
    assert_int_equal(o->stride_h, 2);
    done(&p);

    op = one_op(&desc, SCIOT_OP_FULLY_CONNECTED, 9, 8);
    fbm_add_opt(&desc, op, 0, FBM_U8, SCIOT_ACT_RELU, 0);
    fbm_add_opt(&desc, op, 2, FBM_U8, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[0].opt.activation, SCIOT_ACT_RELU);
    assert_int_equal(p.m.ops[0].opt.keep_num_dims, 1);
    assert_int_equal(p.m.ops[0].version, 9);
    done(&p);

    op = one_op(&desc, SCIOT_OP_CONCATENATION, 1, 10);
    fbm_add_opt(&desc, op, 0, FBM_I32, -1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[0].opt.axis, -1);
    done(&p);

    op = one_op(&desc, SCIOT_OP_MEAN, 1, 27);
    fbm_add_opt(&desc, op, 0, FBM_U8, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[0].opt.keep_dims, 1);
    done(&p);

    op = one_op(&desc, SCIOT_OP_SOFTMAX, 1, 9);
    fbm_add_opt(&desc, op, 0, FBM_F32, 0, 0.25f);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_float_equal(p.m.ops[0].opt.beta, 0.25f, 0);
    done(&p);

    /* no options table at all: defaults */
    one_op(&desc, SCIOT_OP_CONV_2D, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    o = &p.m.ops[0].opt;
    assert_int_equal(o->stride_w, 1);
    assert_int_equal(o->dilation_h, 1);
    assert_int_equal(o->depth_multiplier, 1);
    assert_float_equal(o->beta, 1.0f, 0);
    done(&p);

    /* wrong union type for the operator */
    op = one_op(&desc, SCIOT_OP_CONV_2D, 1, 2);
    fbm_add_opt(&desc, op, 0, FBM_U8, 0, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "operator 0");
    done(&p);

    /* invalid values */
    op = one_op(&desc, SCIOT_OP_CONV_2D, 1, 1);
    fbm_add_opt(&desc, op, 1, FBM_I32, 0, 0); /* stride 0 */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "stride");
    done(&p);
    op = one_op(&desc, SCIOT_OP_CONV_2D, 1, 1);
    fbm_add_opt(&desc, op, 0, FBM_U8, 2, 0); /* padding 2 */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "padding");
    done(&p);
    op = one_op(&desc, SCIOT_OP_ADD, 1, 11);
    fbm_add_opt(&desc, op, 0, FBM_U8, 4, 0); /* TANH activation */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "activation");
    done(&p);
    op = one_op(&desc, SCIOT_OP_MAX_POOL_2D, 1, 5);
    fbm_add_opt(&desc, op, 3, FBM_I32, 0, 0); /* filter width 0 */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "filter");
    done(&p);
}

/* ---- operator codes ----------------------------------------------------- */

static void opcode_fields(void **st)
{
    (void)st;
    parsed p;

    /* old files: only the deprecated byte */
    fbm_residual(&desc, 0, 0);
    desc.opcodes[0].omit_builtin = 1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[0].code, SCIOT_OP_CONV_2D);
    assert_int_equal(p.m.ops[0].version, 3);
    done(&p);

    /* new files may leave the deprecated byte at its default 0 */
    fbm_residual(&desc, 0, 0);
    desc.opcodes[0].omit_deprecated = 1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[1].code, SCIOT_OP_CONV_2D);
    done(&p);

    /* a converter that wrote the deprecated byte and builtin_code 0 */
    fbm_residual(&desc, 0, 0);
    desc.opcodes[0].builtin_code = 0;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[0].code, SCIOT_OP_CONV_2D);
    assert_int_equal(p.m.ops[2].code, SCIOT_OP_ADD);
    done(&p);

    /* version field absent: 1 */
    fbm_residual(&desc, 0, 0);
    desc.opcodes[1].version = 0;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[2].version, 1);
    done(&p);

    /* extended code (> 127): deprecated byte says 127
     * (PLACEHOLDER_FOR_GREATER_OP_CODES), the int32 field says GELU */
    assert_string_equal(sciot_op_name(150), "GELU");
    one_op(&desc, 150, 1, 0);
    assert_int_equal(desc.opcodes[0].deprecated_code, 127);
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "GELU");
    assert_msg_has(&p, "150");
    done(&p);

    /* a code beyond the known names */
    one_op(&desc, 4000, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "UNKNOWN");
    done(&p);

    /* opcode index beyond operator_codes */
    fbm_residual(&desc, 0, 0);
    desc.ops[2].opcode_index = 2;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "operator 2");
    assert_msg_has(&p, "opcode index 2");
    done(&p);
}

static void unsupported_operator(void **st)
{
    (void)st;
    parsed p;

    one_op(&desc, 28 /* TANH */, 2, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "operator 0");
    assert_msg_has(&p, "TANH");
    assert_msg_has(&p, "v2");
    done(&p);

    /* a custom operator is named by its custom code */
    one_op(&desc, 32, 1, 0);
    desc.opcodes[0].custom_code = "MyFancyOp";
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "MyFancyOp");
    done(&p);

    /* the first unsupported operator is reported, in a bigger model */
    fbm_residual(&desc, 1, 0);
    desc.opcodes[2].builtin_code = desc.opcodes[2].deprecated_code = 39; /* RESHAPE -> TRANSPOSE */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "operator 3");
    assert_msg_has(&p, "TRANSPOSE");
    done(&p);
}

static void unsupported_version(void **st)
{
    (void)st;
    parsed p;
    fbm_residual(&desc, 0, 0);
    desc.opcodes[0].version = 9; /* CONV_2D: 1..8 */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "operator 0");
    assert_msg_has(&p, "CONV_2D");
    assert_msg_has(&p, "version 9");
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.opcodes[0].version = 8; /* the highest supported */
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.opcodes[1].version = -1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_OP);
    assert_msg_has(&p, "ADD");
    assert_msg_has(&p, "version -1");
    done(&p);
}

/* ---- tensors ------------------------------------------------------------ */

static void unsupported_dtype(void **st)
{
    (void)st;
    parsed p;
    static const struct { int type; const char *name; } bad[] = {
        {5, "string"}, {SCIOT_FLOAT16, "float16"}, {8, "complex64"}, {10, "float64"}, {120, "unknown"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        fbm_residual(&desc, 0, 0);
        desc.tensors[3].type = (int8_t)bad[k].type; /* y */
        assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_DTYPE);
        assert_msg_has(&p, "tensor 3");
        assert_msg_has(&p, "'y'");
        assert_msg_has(&p, bad[k].name);
        done(&p);
    }
    /* a constant in an unsupported type too (FLOAT16 weights) */
    fbm_residual(&desc, 0, 1);
    desc.tensors[1].type = SCIOT_FLOAT16;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_UNSUPPORTED_DTYPE);
    assert_msg_has(&p, "'wA'");
    done(&p);
}

static void shapes_and_buffers(void **st)
{
    (void)st;
    parsed p;

    /* buffer holds fewer bytes than shape x dtype */
    fbm_residual(&desc, 0, 0);
    desc.buffers[1].len = 35;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_SHAPE);
    assert_msg_has(&p, "'wA'");
    assert_msg_has(&p, "35");
    assert_msg_has(&p, "36");
    done(&p);

    /* shape says more than the buffer holds */
    fbm_residual(&desc, 0, 0);
    desc.tensors[2].shape[0] = 3; /* bA: 3 x int32 = 12 bytes, buffer has 8 */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_SHAPE);
    assert_msg_has(&p, "'bA'");
    done(&p);

    /* buffer index beyond the buffers */
    fbm_residual(&desc, 0, 0);
    desc.tensors[4].buffer = 77;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "buffer index 77");
    done(&p);

    /* negative dimension, rank above the maximum */
    fbm_residual(&desc, 0, 0);
    desc.tensors[3].shape[2] = -4;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_SHAPE);
    assert_msg_has(&p, "'y'");
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.tensors[3].rank = 7;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_SHAPE);
    assert_msg_has(&p, "rank 7");
    done(&p);

    /* absurd element count */
    fbm_residual(&desc, 0, 0);
    desc.tensors[3].shape[1] = 1 << 30;
    desc.tensors[3].shape[2] = 1 << 30;
    assert_int_not_equal(build_parse(&p, &desc), SCIOT_OK);
    done(&p);

    /* a scalar (no shape) and an unnamed tensor are fine */
    fbm_residual(&desc, 0, 0);
    desc.tensors[7].name = NULL;
    desc.tensors[3].rank = -1; /* y becomes a scalar: the reader does not check op shapes */
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_string_equal(p.m.tensors[7].name, "");
    assert_int_equal(p.m.tensors[3].rank, 0);
    assert_int_equal(p.m.tensors[3].elems, 1);
    done(&p);

    /* weights must be aligned for their type: the same file one byte off */
    fbm_residual(&desc, 0, 0);
    memset(&p, 0, sizeof p);
    p.img = fbm_build(&desc, &p.len, NULL);
    uint8_t *shifted = aligned_alloc(16, (p.len + 1 + 15) & ~(size_t)15);
    memcpy(shifted + 1, p.img, p.len);
    assert_int_equal(parse_img(&p, shifted + 1, p.len), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "misaligned");
    assert_msg_has(&p, "int32");
    free(shifted);
    done(&p);
}

static void quantization(void **st)
{
    (void)st;
    parsed p;
    static const float three[3] = {0.1f, 0.2f, 0.3f};
    static const float two[2] = {0.1f, 0.2f};
    static const int64_t zp1[1] = {0}, zp3[3] = {0, 0, 0};

    /* scales / zero points count mismatch */
    fbm_residual(&desc, 0, 0);
    desc.tensors[1].n_zero_points = 1; /* wA: 2 scales, 1 zero point */
    desc.tensors[1].zero_points = zp1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_QUANT);
    assert_msg_has(&p, "'wA'");
    assert_msg_has(&p, "2 scales but 1 zero points");
    done(&p);

    /* no zero point vector at all: zero points 0 */
    fbm_residual(&desc, 0, 0);
    desc.tensors[1].n_zero_points = -1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.tensors[1].q.zero_points[1], 0);
    done(&p);

    /* per-channel count must match the quantized dimension */
    fbm_residual(&desc, 0, 0);
    fbm_set_quant(&desc, 1, 3, three, zp3, 0); /* wA dim 0 is 2 */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_QUANT);
    assert_msg_has(&p, "3 scales");
    done(&p);
    fbm_residual(&desc, 0, 0);
    fbm_set_quant(&desc, 1, 3, three, zp3, 1); /* wA dim 1 is 3: fine */
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.tensors[1].q.quantized_dimension, 1);
    assert_float_equal(p.m.tensors[1].q.scales[2], 0.3f, 0);
    done(&p);

    /* beyond the rank: accepted (TFLM) when one scale per element */
    fbm_residual(&desc, 0, 0);
    fbm_set_quant(&desc, 2, 2, two, NULL, 5); /* bA: 2 elements */
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.tensors[2].q.quantized_dimension, 5);
    assert_int_equal(p.m.tensors[2].q.n_scales, 2);
    done(&p);
    fbm_residual(&desc, 0, 0);
    fbm_set_quant(&desc, 2, 3, three, zp3, 3); /* 3 scales for 2 elements */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_QUANT);
    assert_msg_has(&p, "'bA'");
    done(&p);

    /* negative quantized dimension */
    fbm_residual(&desc, 0, 0);
    desc.tensors[1].quantized_dimension = -1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_QUANT);
    assert_msg_has(&p, "quantized_dimension -1");
    done(&p);

    /* bad scale values */
    static const float neg[1] = {-0.5f};
    static float nan1[1], inf1[1];
    nan1[0] = NAN;
    inf1[0] = INFINITY;
    const float *bad[3] = {neg, nan1, inf1};
    for (int k = 0; k < 3; k++) {
        fbm_residual(&desc, 0, 0);
        fbm_set_quant(&desc, 3, 1, bad[k], zp1, 0);
        assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_QUANT);
        assert_msg_has(&p, "'y'");
        done(&p);
    }

    /* zero point beyond int32 */
    static const int64_t big[1] = {(int64_t)1 << 40};
    static const float one[1] = {1.0f};
    fbm_residual(&desc, 0, 0);
    fbm_set_quant(&desc, 3, 1, one, big, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_QUANT);
    assert_msg_has(&p, "zero point");
    done(&p);

    /* a quantization table without scales: not quantized */
    fbm_residual(&desc, 0, 0);
    desc.tensors[3].n_scales = -1;
    desc.tensors[3].n_zero_points = -1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.tensors[3].q.n_scales, 0);
    assert_float_equal(p.m.tensors[3].scale, 0.0f, 0);
    done(&p);
}

/* ---- file-level corruption ---------------------------------------------- */

static void bad_identifier_and_header(void **st)
{
    (void)st;
    parsed p;
    fbm_residual(&desc, 0, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_memory_equal(p.img + 4, "TFL3", 4);

    p.img[7] = '2';
    assert_int_equal(parse_img(&p, p.img, p.len), SCIOT_ERR_BAD_IDENTIFIER);
    assert_msg_has(&p, "TFL3");
    p.img[7] = '3';
    p.img[4] = 0;
    assert_int_equal(parse_img(&p, p.img, p.len), SCIOT_ERR_BAD_IDENTIFIER);
    p.img[4] = 'T';
    assert_int_equal(parse_img(&p, p.img, p.len), SCIOT_OK);

    /* root offset beyond the file */
    uint32_t root = get_u32(p.img, 0);
    put_u32(p.img, 0, (uint32_t)p.len);
    assert_int_equal(parse_img(&p, p.img, p.len), SCIOT_ERR_TRUNCATED);
    put_u32(p.img, 0, 0xfffffff0u);
    assert_int_equal(parse_img(&p, p.img, p.len), SCIOT_ERR_TRUNCATED);
    put_u32(p.img, 0, root);

    /* NULL arguments */
    size_t need;
    assert_int_equal(sciot_model_storage_size(NULL, 100, &need, &p.err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_model_storage_size(p.img, p.len, NULL, &p.err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_model_parse(NULL, p.img, p.len, p.storage, 4096, &p.err), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_model_parse(&p.m, p.img, p.len, NULL, 4096, &p.err), SCIOT_ERR_INVALID_ARG);
    /* errors without an error record */
    assert_int_equal(sciot_model_storage_size(p.img, 3, &need, NULL), SCIOT_ERR_TRUNCATED);
    done(&p);

    /* schema version other than 3 */
    fbm_residual(&desc, 0, 0);
    desc.version = 2;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "schema version 2");
    done(&p);
}

static void truncated_files(void **st)
{
    (void)st;
    parsed p;
    fbm_residual(&desc, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    int32_t n_ops = p.m.n_ops, n_tensors = p.m.n_tensors;
    /* The file ends with buffer 0 (the conventional empty buffer: its vtable
     * and table, written first by the builder) and the alignment padding
     * before it; the reader never reads either (no tensor refers to buffer
     * 0's table). Cutting only those may legitimately parse (to the same
     * model); anything shorter cuts into buffer 1's data, the last byte the
     * reader must read, and must fail. */
    size_t must_fail_below = p.pos.buffer_data_vec[1] + 4 + desc.buffers[1].len;
    assert_true(must_fail_below < p.len && must_fail_below > p.len / 2);
    assert_true(p.pos.buffer_table[0] > must_fail_below);
    int accepted = 0;
    for (size_t len = 0; len < p.len; len++) {
        /* a fresh exact-size copy so that ASan sees reads past `len` */
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, p.img, len);
        parsed q = {0};
        sciot_status s = parse_img(&q, cut, len);
        if (len < must_fail_below) {
            if (s != SCIOT_ERR_TRUNCATED && s != SCIOT_ERR_OUT_OF_RANGE)
                fail_msg("truncated to %zu of %zu bytes: status %s (%s)", len, p.len, sciot_strerror(s),
                         q.err.msg);
        } else if (s == SCIOT_OK) {
            assert_int_equal(q.m.n_ops, n_ops);
            assert_int_equal(q.m.n_tensors, n_tensors);
            accepted++;
        }
        if (len < 8)
            assert_int_equal(s, SCIOT_ERR_TRUNCATED);
        free(q.storage);
        free(cut);
    }
    assert_true(accepted <= 16);
    done(&p);
}

static void offsets_outside(void **st)
{
    (void)st;
    parsed p;
    fbm_residual(&desc, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    uint8_t *img = p.img;
    const fbm_pos *ps = &p.pos;
    size_t at;
    uint32_t save;

#define CORRUPT(pos_, value_, want_, needle_)                                  \
    do {                                                                       \
        at = (pos_);                                                           \
        save = get_u32(img, at);                                               \
        put_u32(img, at, (value_));                                            \
        parse_img(&p, img, p.len);                                             \
        expect_status(&p, (want_));                                            \
        assert_msg_has(&p, (needle_));                                         \
        put_u32(img, at, save);                                                \
    } while (0)

    /* a uoffset field (SubGraph.tensors) pointing past the end */
    CORRUPT(ps->sg_tensors_field, (uint32_t)(p.len - ps->sg_tensors_field), SCIOT_ERR_OUT_OF_RANGE, "tensors");
    CORRUPT(ps->sg_tensors_field, 0x7ffffff0u, SCIOT_ERR_OUT_OF_RANGE, "outside the file");
    CORRUPT(ps->sg_tensors_field, 0xffffffffu, SCIOT_ERR_OUT_OF_RANGE, "outside the file");
    /* the Model table's vtable before the start / after the end */
    CORRUPT(ps->model_table, (uint32_t)(ps->model_table + 4), SCIOT_ERR_OUT_OF_RANGE, "vtable");
    CORRUPT(ps->model_table, (uint32_t)-(int32_t)(p.len), SCIOT_ERR_OUT_OF_RANGE, "vtable");
    /* a vtable claiming more bytes than the file has */
    at = ps->model_vtable;
    save = get_u32(img, at);
    put_u32(img, at, (save & 0xffff0000u) | 0xfff0u);
    assert_int_equal(parse_img(&p, img, p.len), SCIOT_ERR_OUT_OF_RANGE);
    put_u32(img, at, save);
    /* a field offset in the vtable beyond its table */
    at = ps->model_vtable + 4; /* version, operator_codes */
    save = get_u32(img, at);
    put_u32(img, at, 0xff00ff00u);
    assert_int_equal(parse_img(&p, img, p.len), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "outside its table");
    put_u32(img, at, save);
    /* vector lengths running past the end */
    CORRUPT(ps->tensors_vec, 0x10000000u, SCIOT_ERR_OUT_OF_RANGE, "past the end");
    CORRUPT(ps->ops_vec, 0xffffffffu, SCIOT_ERR_OUT_OF_RANGE, "past the end");
    CORRUPT(ps->buffers_vec, 1000000u, SCIOT_ERR_OUT_OF_RANGE, "past the end");
    CORRUPT(ps->tensor_shape_vec[3], 100000u, SCIOT_ERR_OUT_OF_RANGE, "past the end");
    CORRUPT(ps->op_inputs_vec[1], 0x40000000u, SCIOT_ERR_OUT_OF_RANGE, "past the end");
    CORRUPT(ps->buffer_data_vec[1], (uint32_t)p.len, SCIOT_ERR_OUT_OF_RANGE, "past the end");
    /* a name whose length runs to the end: no terminator inside the file */
    CORRUPT(ps->tensor_name_vec[2], (uint32_t)(p.len - ps->tensor_name_vec[2] - 4), SCIOT_ERR_OUT_OF_RANGE,
            "not terminated");
    /* an element of the tensors vector pointing outside */
    CORRUPT(ps->tensors_vec + 4 * 5, 0x7fff0000u, SCIOT_ERR_OUT_OF_RANGE, "tensor");
    CORRUPT(ps->tensors_vec + 4 * 5, 0, SCIOT_ERR_OUT_OF_RANGE, "tensor");
    /* an operator's table offset pointing outside */
    CORRUPT(ps->ops_vec + 4 * 2, 0x00ffffffu, SCIOT_ERR_OUT_OF_RANGE, "operator");
    /* a tensor's vtable pointing outside */
    CORRUPT(ps->tensor_table[6], 0x80000000u, SCIOT_ERR_OUT_OF_RANGE, "vtable");
    /* the quantization table's vtable outside */
    CORRUPT(ps->tensor_quant_table[4], (uint32_t)(ps->tensor_quant_table[4] + 1), SCIOT_ERR_OUT_OF_RANGE,
            "vtable");
#undef CORRUPT
    assert_int_equal(parse_img(&p, img, p.len), SCIOT_OK);
    done(&p);
}

static void tensor_indices(void **st)
{
    (void)st;
    parsed p;

    fbm_residual(&desc, 0, 0);
    desc.ops[1].inputs[0] = 99;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "operator 1");
    assert_msg_has(&p, "tensor index 99");
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.ops[2].inputs[1] = -2;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "tensor index -2");
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.ops[0].outputs[0] = 8; /* == n_tensors */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.ops[0].outputs[0] = -1; /* -1 is only allowed for optional inputs */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.inputs[0] = 8;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "inputs");
    done(&p);

    fbm_residual(&desc, 0, 0);
    desc.outputs[0] = -1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_OUT_OF_RANGE);
    assert_msg_has(&p, "outputs");
    done(&p);

    /* -1: an absent optional input (a convolution without bias) */
    fbm_residual(&desc, 0, 0);
    desc.ops[1].inputs[2] = -1;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    assert_int_equal(p.m.ops[1].inputs[2], -1);
    done(&p);

    /* structural problems */
    fbm_residual(&desc, 0, 0);
    desc.ops[0].inputs[0] = 3; /* conv A reads y before anything writes it */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "before any operator writes it");
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.ops[1].outputs[0] = 3; /* y written twice */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.ops[1].outputs[0] = 1; /* writes a constant */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.ops[0].outputs[0] = 0; /* writes the model input */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.n_outputs = 2;
    desc.outputs[1] = 6;
    desc.ops[1].outputs[0] = 7; /* z never written; sum written twice */
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.n_outputs = 0;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "no inputs or no outputs");
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.ops[2].n_outputs = 0;
    assert_int_equal(build_parse(&p, &desc), SCIOT_ERR_MODEL);
    assert_msg_has(&p, "no outputs");
    done(&p);
}

/* ---- storage ------------------------------------------------------------ */

static void storage_too_small(void **st)
{
    (void)st;
    parsed p;
    fbm_residual(&desc, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    size_t need;
    assert_int_equal(sciot_model_storage_size(p.img, p.len, &need, &p.err), SCIOT_OK);
    /* tables for 11 tensors and 5 operators, at least */
    assert_true(need >= 11 * sizeof(sciot_tensor) + 5 * sizeof(sciot_op));
    int ok_seen = 0;
    size_t smallest_ok = need;
    for (size_t s = 0; s <= need; s++) {
        /* exact-size storage so that ASan sees any write past `s` */
        void *storage = malloc(s ? s : 1);
        sciot_model m;
        sciot_error err = {0};
        sciot_status r = sciot_model_parse(&m, p.img, p.len, storage, s, &err);
        if (r == SCIOT_OK) {
            if (!ok_seen)
                smallest_ok = s;
            ok_seen = 1;
            assert_int_equal(m.n_tensors, 11);
        } else {
            assert_int_equal(r, SCIOT_ERR_NO_MEMORY);
            assert_true(strstr(err.msg, "too small") != NULL);
            /* monotone: once big enough, always big enough */
            assert_false(ok_seen);
        }
        free(storage);
    }
    assert_true(ok_seen);
    assert_true(smallest_ok > 11 * sizeof(sciot_tensor));
    /* the documented contract: `need` bytes always suffice */
    void *storage = malloc(need);
    assert_int_equal(sciot_model_parse(&p.m, p.img, p.len, storage, need, &p.err), SCIOT_OK);
    free(storage);
    done(&p);
}

/* ---- cut analysis --------------------------------------------------------- */

static void expect_cut(const sciot_model *m, int32_t k, const int32_t *want, int32_t n)
{
    int32_t got[16];
    int32_t c = sciot_model_cut(m, k, got, 16);
    if (c != n)
        fail_msg("cut(%d) has %d tensors, expected %d", k, c, n);
    size_t bytes = 0;
    for (int32_t j = 0; j < n; j++) {
        if (got[j] != want[j])
            fail_msg("cut(%d)[%d] = %d, expected %d", k, j, got[j], want[j]);
        bytes += m->tensors[want[j]].bytes;
    }
    assert_int_equal(sciot_model_cut_bytes(m, k), bytes);
    for (int32_t t = 0; t < m->n_tensors; t++) {
        int in = 0;
        for (int32_t j = 0; j < n; j++)
            in |= want[j] == t;
        assert_int_equal(sciot_model_in_cut(m, k, t), in);
    }
    /* a smaller cap still returns the count, writes only cap entries */
    int32_t one[2] = {-7, -7};
    assert_int_equal(sciot_model_cut(m, k, one, 1), n);
    assert_int_equal(one[1], -7);
    if (n > 0)
        assert_int_equal(one[0], want[0]);
    assert_int_equal(sciot_model_cut(m, k, NULL, 0), n);
}

static void cut_residual(void **st)
{
    (void)st;
    parsed p;
    /* x(0) -> conv A -> y(3); y -> conv B -> z(6); add(y, z) -> out(7) */
    fbm_residual(&desc, 0, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    const sciot_model *m = &p.m;
    assert_int_equal(m->n_ops, 3);
    static const int32_t c0[] = {0}, c1[] = {3}, c2[] = {3, 6}, c3[] = {7};
    expect_cut(m, 0, c0, 1); /* full offload: the model input */
    expect_cut(m, 1, c1, 1);
    expect_cut(m, 2, c2, 2); /* inside the residual block: input and branch */
    expect_cut(m, 3, c3, 1); /* everything on the device: the output */
    /* out of range */
    assert_int_equal(sciot_model_cut(m, -1, NULL, 0), 0);
    assert_int_equal(sciot_model_cut(m, 4, NULL, 0), 0);
    assert_int_equal(sciot_model_cut(NULL, 0, NULL, 0), 0);
    assert_int_equal(sciot_model_cut_bytes(m, 4), 0);
    assert_int_equal(sciot_model_in_cut(m, 1, 1), 0); /* a constant is never cut */
    done(&p);

    /* the full network: the tail continues with single-tensor cuts */
    fbm_residual(&desc, 1, 0);
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    static const int32_t d3[] = {7}, d4[] = {9}, d5[] = {10};
    expect_cut(&p.m, 2, c2, 2);
    expect_cut(&p.m, 3, d3, 1);
    expect_cut(&p.m, 4, d4, 1);
    expect_cut(&p.m, 5, d5, 1);
    done(&p);

    /* a model output that is also read later stays in every later cut;
     * an input that is also an output is in every cut */
    fbm_residual(&desc, 0, 0);
    desc.n_outputs = 2;
    desc.outputs[0] = 3; /* y */
    desc.outputs[1] = 7;
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    static const int32_t e3[] = {3, 7};
    expect_cut(&p.m, 3, e3, 2);
    expect_cut(&p.m, 2, c2, 2);
    done(&p);
    fbm_residual(&desc, 0, 0);
    desc.n_outputs = 2;
    desc.outputs[1] = 0; /* x */
    assert_int_equal(build_parse(&p, &desc), SCIOT_OK);
    static const int32_t f1[] = {0, 3}, f3[] = {0, 7};
    expect_cut(&p.m, 1, f1, 2);
    expect_cut(&p.m, 3, f3, 2);
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_model_parses),
        cmocka_unit_test(valid_model_runs),
        cmocka_unit_test(options_decoded),
        cmocka_unit_test(opcode_fields),
        cmocka_unit_test(unsupported_operator),
        cmocka_unit_test(unsupported_version),
        cmocka_unit_test(unsupported_dtype),
        cmocka_unit_test(shapes_and_buffers),
        cmocka_unit_test(quantization),
        cmocka_unit_test(bad_identifier_and_header),
        cmocka_unit_test(truncated_files),
        cmocka_unit_test(offsets_outside),
        cmocka_unit_test(tensor_indices),
        cmocka_unit_test(storage_too_small),
        cmocka_unit_test(cut_residual),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
