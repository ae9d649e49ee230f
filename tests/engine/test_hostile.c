/* test_hostile.c — models the reader accepts but whose operator geometry or
 * quantization is hostile: the engine's validation (sciot_engine_arena_size /
 * sciot_engine_init) must reject them with a status, without integer
 * overflow (run under -DSCIOT_SANITIZE=ON: UBSan aborts on signed overflow).
 * Each case is a regression test for a fuzzing finding in src/engine/engine.c.
 * Models are built in memory with tests/util/fbbuild; no model files. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbbuild.h"
#include "sciot/engine.h"
#include "sciot/model.h"

static fbm_model desc;
static const float one_scale[1] = {0.5f};
static const int64_t zero_zp[1] = {0};

/* in -> op -> out, with an optional constant second (and third) input. */
static int single_op(int32_t code, uint8_t opt_type, int dtype, int in_rank, const int32_t *in_shape,
                     int out_rank, const int32_t *out_shape)
{
    memset(&desc, 0, sizeof desc);
    desc.version = 3;
    fbm_add_buffer(&desc, NULL, 0);
    int oc = fbm_add_opcode(&desc, code, 1);
    int in = fbm_add_tensor(&desc, "in", dtype, in_rank, in_shape, 0);
    int out = fbm_add_tensor(&desc, "out", dtype, out_rank, out_shape, 0);
    if (dtype == SCIOT_INT8) {
        fbm_set_quant(&desc, in, 1, one_scale, zero_zp, 0);
        fbm_set_quant(&desc, out, 1, one_scale, zero_zp, 0);
    }
    desc.n_inputs = 1;
    desc.inputs[0] = in;
    desc.n_outputs = 1;
    desc.outputs[0] = out;
    int32_t ins[1] = {in}, outs[1] = {out};
    return fbm_add_op(&desc, oc, 1, ins, 1, outs, opt_type);
}

/* Add a constant input to op 0. */
static int add_const(const char *name, int dtype, int rank, const int32_t *shape, const void *data, size_t len,
                     int quant)
{
    int buf = fbm_add_buffer(&desc, data, len);
    int t = fbm_add_tensor(&desc, name, dtype, rank, shape, (uint32_t)buf);
    if (quant)
        fbm_set_quant(&desc, t, 1, one_scale, zero_zp, 0);
    fbm_op *o = &desc.ops[0];
    o->inputs[o->n_inputs++] = t;
    return t;
}

/* Parse (must succeed: the reader does not check geometry), then size and
 * plan: both must fail with `want`, naming the operator. */
static void expect_rejected(sciot_status want, const char *needle)
{
    size_t len, need;
    sciot_model m;
    sciot_arena_info info;
    sciot_engine e;
    sciot_error err = {0};
    uint8_t *img = fbm_build(&desc, &len, NULL);
    assert_int_equal(sciot_model_storage_size(img, len, &need, &err), SCIOT_OK);
    void *storage = malloc(need);
    if (sciot_model_parse(&m, img, len, storage, need, &err))
        fail_msg("reader: %s", err.msg);
    sciot_status s = sciot_engine_arena_size(&m, 0, m.n_ops, &info, &err);
    if (s != want)
        fail_msg("arena_size: status %s (%s), expected %s", sciot_strerror(s), s ? err.msg : "",
                 sciot_strerror(want));
    if ((want != SCIOT_ERR_LENGTH && !strstr(err.msg, "operator 0")) || !strstr(err.msg, needle))
        fail_msg("message '%s' should name operator 0 and '%s'", err.msg, needle);
    static uint8_t arena[1 << 16] __attribute__((aligned(16)));
    memset(&err, 0, sizeof err);
    assert_int_equal(sciot_engine_init(&e, &m, 0, m.n_ops, arena, sizeof arena, &err), want);
    free(storage);
    free(img);
}

/* A dimension as large as the reader allows (2^31 - 1 bytes of int8). */
#define HUGE_DIM 2147483647

static void dwconv_depth_multiplier_overflow(void **st)
{
    (void)st;
    /* 96 channels x depth multiplier 2^25 overflowed int32 */
    static const int32_t in[4] = {1, 4, 4, 96}, out[4] = {1, 4, 4, 96}, f[4] = {1, 3, 3, 96};
    static int8_t w[3 * 3 * 96];
    int op = single_op(SCIOT_OP_DEPTHWISE_CONV_2D, 2, SCIOT_INT8, 4, in, 4, out);
    fbm_add_opt(&desc, op, 3, FBM_I32, 1 << 25, 0);
    add_const("w", SCIOT_INT8, 4, f, w, sizeof w, 1);
    expect_rejected(SCIOT_ERR_SHAPE, "depth multiplier");
}

static void conv_huge_input(void **st)
{
    (void)st;
    /* SAME, stride 2: (in + stride - 1) overflowed int32 */
    static const int32_t in[4] = {1, HUGE_DIM, 1, 1}, out[4] = {1, 1073741824, 1, 1}, f[4] = {1, 1, 1, 1};
    static const int8_t w[1] = {1};
    int op = single_op(SCIOT_OP_CONV_2D, 1, SCIOT_INT8, 4, in, 4, out);
    fbm_add_opt(&desc, op, 2, FBM_I32, 2, 0); /* stride_h */
    add_const("w", SCIOT_INT8, 4, f, w, sizeof w, 1);
    expect_rejected(SCIOT_ERR_SHAPE, "too large");
}

static void conv_huge_dilated_filter(void **st)
{
    (void)st;
    /* (filter - 1) * dilation = 2^21 * 1024 = 2^31 overflowed int32 */
    enum { KH = (1 << 21) + 1 };
    static const int32_t in[4] = {1, 8, 1, 1}, out[4] = {1, 8, 1, 1}, f[4] = {1, KH, 1, 1};
    int8_t *w = calloc(KH, 1);
    int op = single_op(SCIOT_OP_CONV_2D, 1, SCIOT_INT8, 4, in, 4, out);
    fbm_add_opt(&desc, op, 5, FBM_I32, 1024, 0); /* dilation_h */
    add_const("w", SCIOT_INT8, 4, f, w, KH, 1);
    expect_rejected(SCIOT_ERR_SHAPE, "too large");
    free(w);
}

static void pool_huge_input(void **st)
{
    (void)st;
    static const int32_t in[4] = {1, HUGE_DIM, 1, 1}, out[4] = {1, 1073741824, 1, 1};
    int op = single_op(SCIOT_OP_AVERAGE_POOL_2D, 5, SCIOT_INT8, 4, in, 4, out);
    fbm_add_opt(&desc, op, 2, FBM_I32, 2, 0); /* stride_h */
    fbm_add_opt(&desc, op, 3, FBM_I32, 2, 0); /* filter_w */
    fbm_add_opt(&desc, op, 4, FBM_I32, 2, 0); /* filter_h */
    expect_rejected(SCIOT_ERR_SHAPE, "too large");
}

static void pad_overflow(void **st)
{
    (void)st;
    /* dim + paddings overflowed int32 */
    static const int32_t in[4] = {1, HUGE_DIM, 1, 1}, out[4] = {1, 7, 1, 1}, ps[2] = {4, 2};
    static const int32_t pads[8] = {0, 0, 0, 1 << 20, 0, 0, 0, 0};
    single_op(SCIOT_OP_PAD, 0, SCIOT_INT8, 4, in, 4, out);
    add_const("paddings", SCIOT_INT32, 2, ps, pads, sizeof pads, 0);
    expect_rejected(SCIOT_ERR_SHAPE, "padding gives");
}

static void int8_zero_point_out_of_range(void **st)
{
    (void)st;
    static const int32_t in[4] = {1, 4, 4, 2}, out[4] = {1, 4, 4, 2}, f[4] = {2, 1, 1, 2};
    static const int8_t w[4] = {1, 2, 3, 4};
    static const int64_t big[1] = {1 << 30}, edge[1] = {128};
    const int64_t *bad[2] = {big, edge};
    for (int k = 0; k < 2; k++) {
        single_op(SCIOT_OP_CONV_2D, 1, SCIOT_INT8, 4, in, 4, out);
        add_const("w", SCIOT_INT8, 4, f, w, sizeof w, 1);
        desc.tensors[0].zero_points = bad[k];
        expect_rejected(SCIOT_ERR_QUANT, "zero point");
    }
    /* -128 and 127 are fine */
    static const int64_t lo[1] = {-128}, hi[1] = {127};
    single_op(SCIOT_OP_CONV_2D, 1, SCIOT_INT8, 4, in, 4, out);
    add_const("w", SCIOT_INT8, 4, f, w, sizeof w, 1);
    desc.tensors[0].zero_points = lo;
    desc.tensors[1].zero_points = hi;
    size_t len, need;
    sciot_model m;
    sciot_arena_info info;
    sciot_error err = {0};
    uint8_t *img = fbm_build(&desc, &len, NULL);
    assert_int_equal(sciot_model_storage_size(img, len, &need, &err), SCIOT_OK);
    void *storage = malloc(need);
    assert_int_equal(sciot_model_parse(&m, img, len, storage, need, &err), SCIOT_OK);
    if (sciot_engine_arena_size(&m, 0, 1, &info, &err))
        fail_msg("%s", err.msg);
    free(storage);
    free(img);
}

static void plan_beyond_2gib(void **st)
{
    (void)st;
    /* ADD of two 1.2 GB int8 inputs: inputs and output live together, the
     * output would be placed at 2.4 GB, past the int32 per-tensor offsets
     * (it wrapped to a negative offset: writes before the arena). */
    static const int32_t shape[2] = {1, 1200000000};
    single_op(SCIOT_OP_ADD, 0, SCIOT_INT8, 2, shape, 2, shape);
    int in2 = fbm_add_tensor(&desc, "in2", SCIOT_INT8, 2, shape, 0);
    fbm_set_quant(&desc, in2, 1, one_scale, zero_zp, 0);
    desc.ops[0].inputs[desc.ops[0].n_inputs++] = in2;
    desc.inputs[desc.n_inputs++] = in2;
    expect_rejected(SCIOT_ERR_LENGTH, "2 GiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dwconv_depth_multiplier_overflow),
        cmocka_unit_test(conv_huge_input),
        cmocka_unit_test(conv_huge_dilated_filter),
        cmocka_unit_test(pool_huge_input),
        cmocka_unit_test(pad_overflow),
        cmocka_unit_test(int8_zero_point_out_of_range),
        cmocka_unit_test(plan_beyond_2gib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
