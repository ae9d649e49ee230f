/* test_fastpath_s8.c — the SIMD fast paths (AVX2 on x86-64, selected at run
 * time) must produce exactly the bytes of the portable kernels. Random
 * shapes: batch 1-3, strides 1-2, dilations 1-2, SAME/VALID padding offsets,
 * kernels 1x1..5x5, odd channel counts 1..67, depth multipliers 1-3,
 * per-channel multipliers/shifts including the extremes (0, 2^30,
 * INT32_MAX, INT32_MIN, shifts -31..31, so the INT32_MIN * INT32_MIN
 * saturation and wrapping left shifts occur), input/output offsets over
 * -128..127, all activation ranges, with and without bias; ADD with the
 * same extremes and any left shift 0..30. Every buffer is
 * malloc'ed at its exact size (ASan catches SIMD tails reading past it).
 * Where no fast path exists the comparison is trivially portable vs
 * portable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

static size_t sk_count(const sciot_dims *d)
{
    return (size_t)d->n * d->h * d->w * d->c;
}

static void rand_quant(srng *r, int32_t n, int32_t *mult, int32_t *shift, int extreme)
{
    static const int32_t em[] = {0, 1, 1 << 30, INT32_MAX, INT32_MIN, 1518500250};
    for (int32_t i = 0; i < n; ++i) {
        if (extreme && srng_int(r, 0, 2) == 0) {
            mult[i] = pick(r, em, 6);
            shift[i] = srng_int(r, -31, 31);
        } else {
            sciot_quantize_multiplier(srng_logu(r, 1e-4, 4.0), &mult[i], &shift[i]);
        }
    }
}

static void rand_params(srng *r, sciot_conv_params *p)
{
    p->input_offset = srng_int(r, -128, 127);
    p->output_offset = srng_int(r, -128, 127);
    switch (srng_int(r, 0, 3)) {
    case 0:
        p->act_min = -128, p->act_max = 127;
        break;
    case 1:
        sciot_act_range_s8(srng_int(r, 0, 3), (float)srng_logu(r, 0.01, 1.0),
                           srng_int(r, -128, 127), &p->act_min, &p->act_max);
        break;
    default: {
        int32_t a = srng_int(r, -128, 127), b = srng_int(r, -128, 127);
        p->act_min = a < b ? a : b;
        p->act_max = a < b ? b : a;
    }
    }
}

/* One conv (dw = 0) or depthwise (dw = 1) case; returns 1 if it ran. */
static int run_case(srng *r, int dw, int extreme)
{
    sciot_conv_params p;
    memset(&p, 0, sizeof p);
    sciot_dims in, f, out;
    const int32_t kh = srng_int(r, 1, 5), kw = srng_int(r, 1, 5);
    p.stride_h = srng_int(r, 1, 2), p.stride_w = srng_int(r, 1, 2);
    p.dilation_h = srng_int(r, 1, 4) == 1 ? 2 : 1;
    p.dilation_w = srng_int(r, 1, 4) == 1 ? 2 : 1;
    in.n = srng_int(r, 1, 4) == 1 ? srng_int(r, 2, 3) : 1;
    in.h = srng_int(r, 1, 14), in.w = srng_int(r, 1, 14);
    int32_t cin, cout;
    if (dw) {
        p.depth_multiplier = srng_int(r, 1, 3);
        cin = srng_int(r, 1, 4) == 1 ? srng_int(r, 1, 67) : 8 * srng_int(r, 1, 8);
        if (srng_int(r, 0, 5) == 0)
            cin = 1, p.depth_multiplier = 8;
        cout = cin * p.depth_multiplier;
        f = (sciot_dims){1, kh, kw, cout};
    } else {
        cin = srng_int(r, 1, 3) == 1 ? srng_int(r, 1, 67) : 8 * srng_int(r, 1, 8);
        cout = srng_int(r, 1, 3) == 1 ? srng_int(r, 1, 67) : 8 * srng_int(r, 1, 8);
        f = (sciot_dims){cout, kh, kw, cin};
    }
    in.c = cin;
    const int same = srng_int(r, 0, 1);
    int32_t oh, ow, ph, pw;
    if (!geom_1d(same, in.h, kh, p.stride_h, p.dilation_h, &oh, &ph) ||
        !geom_1d(same, in.w, kw, p.stride_w, p.dilation_w, &ow, &pw))
        return 0;
    p.pad_h = ph, p.pad_w = pw;
    out = (sciot_dims){in.n, oh, ow, cout};
    rand_params(r, &p);

    const size_t n_in = (size_t)in.n * in.h * in.w * in.c;
    const size_t n_f = (size_t)f.n * f.h * f.w * f.c;
    const size_t n_out = (size_t)out.n * out.h * out.w * out.c;
    int8_t *x = xmalloc(n_in), *w = xmalloc(n_f);
    int8_t *y_fast = xmalloc(n_out), *y_port = xmalloc(n_out);
    int32_t *bias = xmalloc((size_t)cout * 4), *mult = xmalloc((size_t)cout * 4),
            *shift = xmalloc((size_t)cout * 4);
    srng_fill_s8(r, x, n_in);
    srng_fill_s8(r, w, n_f);
    if (srng_int(r, 0, 3) == 0) /* saturated weights and inputs */
        for (size_t i = 0; i < n_f; ++i)
            w[i] = (int8_t)(w[i] < 0 ? -128 : 127);
    for (int32_t i = 0; i < cout; ++i)
        bias[i] = srng_int(r, -(1 << 20), 1 << 20);
    rand_quant(r, cout, mult, shift, extreme);
    const sciot_channel_quant q = {mult, shift};
    const int32_t *b = srng_int(r, 0, 4) ? bias : NULL;

    const size_t ss = dw ? sciot_dwconv_s8_scratch_size(&in, &f, &out)
                         : sciot_conv2d_s8_scratch_size(&in, &f, &out);
    const size_t ps = dw ? sciot_dwconv_s8_packed_size(&f) : sciot_conv2d_s8_packed_size(&f);
    void *scratch = ss ? xmalloc(ss) : NULL;
    void *packed = ps ? xmalloc(ps) : NULL;
    if (packed) {
        if (dw)
            sciot_dwconv_s8_pack(&f, w, packed);
        else
            sciot_conv2d_s8_pack(&f, w, packed);
    }
    memset(y_fast, 0x5a, n_out);
    memset(y_port, 0xa5, n_out);
    sciot_status s1, s2;
    if (dw) {
        s1 = sciot_dwconv_s8_packed(&p, &q, &in, x, &f, w, packed, b, &out, y_fast, scratch);
        sciot_kernels_force_portable(1);
        s2 = sciot_dwconv_s8(&p, &q, &in, x, &f, w, b, &out, y_port, NULL);
    } else {
        s1 = sciot_conv2d_s8_packed(&p, &q, &in, x, &f, w, packed, b, &out, y_fast, scratch);
        sciot_kernels_force_portable(1);
        s2 = sciot_conv2d_s8(&p, &q, &in, x, &f, w, b, &out, y_port, NULL);
    }
    sciot_kernels_force_portable(0);
    assert_int_equal(s1, SCIOT_OK);
    assert_int_equal(s2, SCIOT_OK);
    if (memcmp(y_fast, y_port, n_out) != 0) {
        fprintf(stderr,
                "%s mismatch: in [%d,%d,%d,%d] f [%d,%d,%d,%d] out [%d,%d,%d,%d] stride %d,%d "
                "dil %d,%d pad %d,%d dm %d off %d/%d act %d..%d bias %d\n",
                dw ? "dwconv" : "conv", in.n, in.h, in.w, in.c, f.n, f.h, f.w, f.c, out.n,
                out.h, out.w, out.c, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w,
                p.pad_h, p.pad_w, p.depth_multiplier, p.input_offset, p.output_offset,
                p.act_min, p.act_max, b != NULL);
        for (size_t i = 0; i < n_out; ++i)
            if (y_fast[i] != y_port[i]) {
                const size_t ch = i % (size_t)cout;
                fprintf(stderr, "first at %zu: channel %zu mult %d shift %d\n", i, ch,
                        mult[ch], shift[ch]);
                break;
            }
        S8_CHECK_EQ_BYTES(y_fast, y_port, n_out, dw ? "dwconv" : "conv");
    }
    free(x), free(w), free(y_fast), free(y_port), free(bias), free(mult), free(shift);
    free(scratch), free(packed);
    return 1;
}

static void conv_fast_equals_portable(void **state)
{
    (void)state;
    srng r = {0x1234567887654321ULL};
    int ran = 0;
    for (int i = 0; i < 1500; ++i)
        ran += run_case(&r, 0, i % 3 == 0);
    assert_true(ran > 1000);
}

static void dwconv_fast_equals_portable(void **state)
{
    (void)state;
    srng r = {0x0badc0ffee123457ULL};
    int ran = 0;
    for (int i = 0; i < 1500; ++i)
        ran += run_case(&r, 1, i % 3 == 0);
    assert_true(ran > 1000);
}

/* ADD, same shapes (the fast path) and broadcast (portable either way). */
static void add_fast_equals_portable(void **state)
{
    (void)state;
    srng r = {0x5eed5eed12345ULL};
    for (int it = 0; it < 3000; ++it) {
        sciot_binary_params p;
        memset(&p, 0, sizeof p);
        sciot_add_s8_prepare((float)srng_logu(&r, 1e-3, 1.0), srng_int(&r, -128, 127),
                             (float)srng_logu(&r, 1e-3, 1.0), srng_int(&r, -128, 127),
                             (float)srng_logu(&r, 1e-3, 1.0), srng_int(&r, -128, 127),
                             srng_int(&r, 0, 3), &p);
        if (it % 3 == 0) { /* extreme multipliers, shifts and offsets */
            int32_t m[3], sh[3];
            rand_quant(&r, 3, m, sh, 1);
            p.input1_multiplier = m[0], p.input1_shift = sh[0];
            p.input2_multiplier = m[1], p.input2_shift = sh[1];
            p.output_multiplier = m[2], p.output_shift = sh[2];
            p.left_shift = srng_int(&r, 0, 30);
            p.input1_offset = srng_int(&r, -128, 127);
            p.input2_offset = srng_int(&r, -128, 127);
        }
        if (it % 5 == 0) {
            int32_t a = srng_int(&r, -128, 127), b = srng_int(&r, -128, 127);
            p.act_min = a < b ? a : b, p.act_max = a < b ? b : a;
        }
        sciot_dims d = {srng_int(&r, 1, 2), srng_int(&r, 1, 5), srng_int(&r, 1, 7),
                        srng_int(&r, 1, 67)};
        sciot_dims d2 = d;
        if (it % 7 == 0)
            d2.c = 1; /* broadcast */
        const size_t n = sk_count(&d), n2 = sk_count(&d2);
        int8_t *a = xmalloc(n), *b = xmalloc(n2), *y1 = xmalloc(n), *y2 = xmalloc(n);
        srng_fill_s8(&r, a, n);
        srng_fill_s8(&r, b, n2);
        assert_int_equal(sciot_add_s8(&p, &d, a, &d2, b, &d, y1), SCIOT_OK);
        sciot_kernels_force_portable(1);
        assert_int_equal(sciot_add_s8(&p, &d, a, &d2, b, &d, y2), SCIOT_OK);
        sciot_kernels_force_portable(0);
        S8_CHECK_EQ_BYTES(y1, y2, n, "add");
        free(a), free(b), free(y1), free(y2);
    }
}

/* Packed paths that would be chosen: NULL packed still works (portable). */
static void null_packed_is_portable(void **state)
{
    (void)state;
    sciot_conv_params p;
    memset(&p, 0, sizeof p);
    p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
    p.act_min = -128, p.act_max = 127;
    const sciot_dims in = {1, 2, 2, 3}, f = {2, 1, 1, 3}, out = {1, 2, 2, 2};
    int8_t x[12], w[6], y[8];
    int32_t m[2] = {1 << 30, 1 << 30}, s[2] = {0, 0};
    const sciot_channel_quant q = {m, s};
    for (int i = 0; i < 12; ++i)
        x[i] = (int8_t)i;
    for (int i = 0; i < 6; ++i)
        w[i] = (int8_t)(i - 3);
    assert_int_equal(sciot_conv2d_s8_packed(&p, &q, &in, x, &f, w, NULL, NULL, &out, y, NULL),
                     SCIOT_OK);
    /* pixel 0: x = 0,1,2; ch0 w = -3,-2,-1 -> -4, /2 -> -2 */
    assert_int_equal(y[0], -2);
}

static void fast_path_name(void **state)
{
    (void)state;
    const char *name = sciot_kernels_fast_path();
    fprintf(stderr, "fast path: %s\n", name);
    sciot_kernels_force_portable(1);
    assert_string_equal(sciot_kernels_fast_path(), "none");
    sciot_kernels_force_portable(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_name),
        cmocka_unit_test(conv_fast_equals_portable),
        cmocka_unit_test(dwconv_fast_equals_portable),
        cmocka_unit_test(add_fast_equals_portable),
        cmocka_unit_test(null_packed_is_portable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
