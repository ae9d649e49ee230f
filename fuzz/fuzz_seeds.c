/* fuzz_seeds.c — write small hand-built .tflite models (tests/util/fbbuild)
 * into a seed directory: `fuzz_seeds DIR`. Each is checked to parse, plan
 * and run first; being a few hundred bytes to 2 KB each they mutate far
 * faster than the shared models, and together they use every supported
 * operator in int8 and float32. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbbuild.h"
#include "sciot/engine.h"
#include "sciot/model.h"

static int tensor(fbm_model *m, int f32, const char *name, int type, int rank, const int32_t *shape, int buf,
                  const float *q, const int64_t *z)
{
    int t = fbm_add_tensor(m, name, type, rank, shape, (uint32_t)buf);
    if (!f32 && q)
        fbm_set_quant(m, t, 1, q, z, 0);
    return t;
}

/* A chain through every other supported operator, so that mutations reach
 * every operator's validation and kernel:
 *   [QUANTIZE] -> DEPTHWISE_CONV_2D 3x3 SAME -> PAD 1 -> MAX_POOL_2D 2x2/2
 *   -> AVERAGE_POOL_2D 2x2/1 SAME -> MUL (broadcast constant) -> RELU6
 *   -> RELU -> CONCATENATION(y, y) -> MEAN(H, W) -> FULLY_CONNECTED
 *   -> LOGISTIC [-> DEQUANTIZE]
 * kind 0: int8 in and out; 1: float32 in and out around the int8 chain
 * (QUANTIZE / DEQUANTIZE); 2: float32 throughout. */
static void chain(fbm_model *m, int kind)
{
    enum { T_F32 = 0, T_I32 = 2, T_I8 = 9 };
    static const float sc[1] = {0.05f}, sc_w[1] = {0.02f}, sc_b[1] = {0.001f}, sc_sig[1] = {1.0f / 256};
    static const int64_t zp0[1] = {0}, zp_sig[1] = {-128};
    static int8_t dw_w8[3 * 3 * 4], mul_c8[4], fc_w8[3 * 8];
    static float dw_wf[3 * 3 * 4], mul_cf[4], fc_wf[3 * 8], dw_bf[4], fc_bf[3];
    static int32_t dw_b32[4], fc_b32[3];
    static const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0}, axes[2] = {1, 2};
    for (int k = 0; k < 36; k++) {
        dw_w8[k] = (int8_t)(k * 7 - 120);
        dw_wf[k] = (float)(k % 5) / 4.0f - 0.5f;
    }
    for (int k = 0; k < 24; k++) {
        fc_w8[k] = (int8_t)(k * 11 - 128);
        fc_wf[k] = (float)(k % 7) / 7.0f - 0.4f;
    }
    for (int k = 0; k < 4; k++) {
        mul_c8[k] = (int8_t)(20 * k + 10);
        mul_cf[k] = 0.5f + (float)k;
        dw_b32[k] = 100 * k - 150;
        dw_bf[k] = 0.1f * (float)k;
    }
    for (int k = 0; k < 3; k++) {
        fc_b32[k] = 1000 - 700 * k;
        fc_bf[k] = -0.2f * (float)k;
    }
    int f32 = kind == 2, dt = f32 ? T_F32 : T_I8, bt = f32 ? T_F32 : T_I32;
    memset(m, 0, sizeof *m);
    m->version = 3;
    fbm_add_buffer(m, NULL, 0);
    static const int32_t s_in[4] = {1, 8, 8, 4}, s_pad[4] = {1, 10, 10, 4}, s_pool[4] = {1, 5, 5, 4};
    static const int32_t s_cat[4] = {1, 5, 5, 8}, s_mean[4] = {1, 1, 1, 8}, s_out[2] = {1, 3};
    static const int32_t s_dw[4] = {1, 3, 3, 4}, s_c4[1] = {4}, s_fc[2] = {3, 8}, s_b3[1] = {3};
    static const int32_t s_pads[2] = {4, 2}, s_axes[1] = {2};

#define TENSOR(name, type, rank, shape, buf, q, z) tensor(m, f32, name, type, rank, shape, buf, q, z)
#define OP(code, ver, opt, nin, nout, ...) \
    fbm_add_op(m, fbm_add_opcode(m, code, ver), nin, (const int32_t[]){__VA_ARGS__}, nout, \
               (const int32_t[]){__VA_ARGS__} + (nin), opt)

    int x = kind == 1 ? fbm_add_tensor(m, "xf", T_F32, 4, s_in, 0) : TENSOR("x", dt, 4, s_in, 0, sc, zp0);
    int first = x;
    if (kind == 1) {
        first = TENSOR("xq", T_I8, 4, s_in, 0, sc, zp0);
        OP(SCIOT_OP_QUANTIZE, 1, 0, 1, 1, x, first);
    }
    int w = TENSOR("dw_w", dt, 4, s_dw, f32 ? fbm_add_buffer(m, dw_wf, sizeof dw_wf)
                                            : fbm_add_buffer(m, dw_w8, sizeof dw_w8), sc_w, zp0);
    int b = TENSOR("dw_b", bt, 1, s_c4, f32 ? fbm_add_buffer(m, dw_bf, sizeof dw_bf)
                                            : fbm_add_buffer(m, dw_b32, sizeof dw_b32), sc_b, zp0);
    int y1 = TENSOR("y1", dt, 4, s_in, 0, sc, zp0);
    int op = OP(SCIOT_OP_DEPTHWISE_CONV_2D, 3, 2, 3, 1, first, w, b, y1);
    fbm_add_opt(m, op, 3, FBM_I32, 1, 0);
    fbm_add_opt(m, op, 4, FBM_U8, 1, 0); /* RELU */
    int pd = fbm_add_tensor(m, "pads", T_I32, 2, s_pads, (uint32_t)fbm_add_buffer(m, pads, sizeof pads));
    int y2 = TENSOR("y2", dt, 4, s_pad, 0, sc, zp0);
    OP(SCIOT_OP_PAD, 2, 0, 2, 1, y1, pd, y2);
    int y3 = TENSOR("y3", dt, 4, s_pool, 0, sc, zp0);
    op = OP(SCIOT_OP_MAX_POOL_2D, 2, 5, 1, 1, y2, y3);
    fbm_add_opt(m, op, 0, FBM_U8, 1, 0); /* VALID */
    fbm_add_opt(m, op, 1, FBM_I32, 2, 0);
    fbm_add_opt(m, op, 2, FBM_I32, 2, 0);
    fbm_add_opt(m, op, 3, FBM_I32, 2, 0);
    fbm_add_opt(m, op, 4, FBM_I32, 2, 0);
    int y4 = TENSOR("y4", dt, 4, s_pool, 0, sc, zp0);
    op = OP(SCIOT_OP_AVERAGE_POOL_2D, 2, 5, 1, 1, y3, y4);
    fbm_add_opt(m, op, 3, FBM_I32, 2, 0);
    fbm_add_opt(m, op, 4, FBM_I32, 2, 0);
    int mc = TENSOR("mul_c", dt, 1, s_c4, f32 ? fbm_add_buffer(m, mul_cf, sizeof mul_cf)
                                              : fbm_add_buffer(m, mul_c8, sizeof mul_c8), sc_w, zp0);
    int y5 = TENSOR("y5", dt, 4, s_pool, 0, sc, zp0);
    op = OP(SCIOT_OP_MUL, 4, 21, 2, 1, y4, mc, y5);
    fbm_add_opt(m, op, 0, FBM_U8, 0, 0);
    int y6 = TENSOR("y6", dt, 4, s_pool, 0, sc, zp0);
    OP(SCIOT_OP_RELU6, 2, 0, 1, 1, y5, y6);
    int y7 = TENSOR("y7", dt, 4, s_pool, 0, sc, zp0);
    OP(SCIOT_OP_RELU, 2, 0, 1, 1, y6, y7);
    int y8 = TENSOR("y8", dt, 4, s_cat, 0, sc, zp0);
    op = OP(SCIOT_OP_CONCATENATION, 2, 10, 2, 1, y7, y7, y8);
    fbm_add_opt(m, op, 0, FBM_I32, 3, 0);
    int ax = fbm_add_tensor(m, "axes", T_I32, 1, s_axes, (uint32_t)fbm_add_buffer(m, axes, sizeof axes));
    int y9 = TENSOR("y9", dt, 4, s_mean, 0, sc, zp0);
    op = OP(SCIOT_OP_MEAN, 2, 27, 2, 1, y8, ax, y9);
    fbm_add_opt(m, op, 0, FBM_U8, 1, 0);
    int fw = TENSOR("fc_w", dt, 2, s_fc, f32 ? fbm_add_buffer(m, fc_wf, sizeof fc_wf)
                                             : fbm_add_buffer(m, fc_w8, sizeof fc_w8), sc_w, zp0);
    int fb = TENSOR("fc_b", bt, 1, s_b3, f32 ? fbm_add_buffer(m, fc_bf, sizeof fc_bf)
                                             : fbm_add_buffer(m, fc_b32, sizeof fc_b32), sc_b, zp0);
    int y10 = TENSOR("y10", dt, 2, s_out, 0, sc, zp0);
    OP(SCIOT_OP_FULLY_CONNECTED, 4, 8, 3, 1, y9, fw, fb, y10);
    int y11 = TENSOR("y11", dt, 2, s_out, 0, sc_sig, zp_sig);
    OP(SCIOT_OP_LOGISTIC, 2, 0, 1, 1, y10, y11);
    int out = y11;
    if (kind == 1) {
        out = fbm_add_tensor(m, "outf", T_F32, 2, s_out, 0);
        OP(SCIOT_OP_DEQUANTIZE, 2, 0, 1, 1, y11, out);
    }
#undef TENSOR
#undef OP
    m->n_inputs = 1;
    m->inputs[0] = x;
    m->n_outputs = 1;
    m->outputs[0] = out;
}

/* The seed must be a model the engine runs, or it seeds little. */
static int check_runs(const char *name, const uint8_t *img, size_t len)
{
    size_t need;
    sciot_model m;
    sciot_arena_info info;
    sciot_engine e;
    sciot_error err = {0};
    void *storage = NULL, *arena = NULL;
    sciot_status s = sciot_model_storage_size(img, len, &need, &err);
    if (!s)
        s = (storage = malloc(need)) ? sciot_model_parse(&m, img, len, storage, need, &err) : SCIOT_ERR_NO_MEMORY;
    if (!s)
        s = sciot_engine_arena_size(&m, 0, m.n_ops, &info, &err);
    if (!s)
        s = (arena = aligned_alloc(16, (info.total_bytes + 15) & ~(size_t)15))
                ? sciot_engine_init(&e, &m, 0, m.n_ops, arena, info.total_bytes, &err)
                : SCIOT_ERR_NO_MEMORY;
    if (!s) {
        for (int32_t k = 0; k < m.n_inputs; k++)
            memset(sciot_engine_tensor(&e, m.inputs[k]), 0, m.tensors[m.inputs[k]].bytes);
        s = sciot_engine_run(&e, 0, m.n_ops, &err);
    }
    if (s)
        fprintf(stderr, "fuzz_seeds: %s does not run: %s\n", name, err.msg);
    free(arena);
    free(storage);
    return s != SCIOT_OK;
}

static int write_seed(const char *dir, const char *name, const fbm_model *m)
{
    char path[4096];
    size_t len;
    uint8_t *img = fbm_build(m, &len, NULL);
    if (check_runs(name, img, len)) {
        free(img);
        return 1;
    }
    snprintf(path, sizeof path, "%s/handbuilt_%s.tflite", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(img, 1, len, f) != len || fclose(f)) {
        perror(path);
        free(img);
        return 1;
    }
    free(img);
    return 0;
}

int main(int argc, char **argv)
{
    static fbm_model m;
    int rc = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    fbm_residual(&m, 0, 0);
    rc |= write_seed(argv[1], "residual_s8", &m);
    fbm_residual(&m, 1, 0);
    rc |= write_seed(argv[1], "residual_softmax_s8", &m);
    fbm_residual(&m, 0, 1);
    rc |= write_seed(argv[1], "residual_f32", &m);
    fbm_residual(&m, 1, 1);
    rc |= write_seed(argv[1], "residual_softmax_f32", &m);
    chain(&m, 0);
    rc |= write_seed(argv[1], "chain_s8", &m);
    chain(&m, 1);
    rc |= write_seed(argv[1], "chain_quantize_s8", &m);
    chain(&m, 2);
    rc |= write_seed(argv[1], "chain_f32", &m);
    return rc;
}
