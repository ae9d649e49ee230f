/* test_conv_s8.c — sciot_conv2d_s8 against a naive reference on random
 * shapes: strides 1-2, dilations 1-2, SAME/VALID padding offsets, odd channel
 * counts, groups, per-channel scales (some > 1), random zero points, all
 * activations, with and without bias; plus argument validation.
 * The reference pads the input with its zero point (the value that
 * contributes 0 after input_offset, which is what skipping out-of-image taps
 * amounts to), accumulates in int64 and requantizes with sciot_mbqm. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

typedef struct {
    sciot_conv_params p;
    sciot_dims in, f, out;
    int8_t *x, *w, *y, *yref;
    int32_t *bias, *mult, *shift;
} conv_case;

static int8_t in_at(const conv_case *c, int32_t b, int32_t y, int32_t x, int32_t ch)
{
    if (y < 0 || y >= c->in.h || x < 0 || x >= c->in.w)
        return (int8_t)(-c->p.input_offset); /* the zero point */
    return c->x[(((size_t)b * c->in.h + y) * c->in.w + x) * c->in.c + ch];
}

static void ref_conv(conv_case *c)
{
    const int32_t groups = c->in.c / c->f.c, per_group = c->out.c / groups;
    for (int32_t b = 0; b < c->out.n; ++b)
        for (int32_t oy = 0; oy < c->out.h; ++oy)
            for (int32_t ox = 0; ox < c->out.w; ++ox)
                for (int32_t oc = 0; oc < c->out.c; ++oc) {
                    int64_t acc = 0;
                    int32_t g = oc / per_group;
                    for (int32_t ky = 0; ky < c->f.h; ++ky)
                        for (int32_t kx = 0; kx < c->f.w; ++kx)
                            for (int32_t ic = 0; ic < c->f.c; ++ic) {
                                int32_t iy = oy * c->p.stride_h - c->p.pad_h + ky * c->p.dilation_h;
                                int32_t ix = ox * c->p.stride_w - c->p.pad_w + kx * c->p.dilation_w;
                                int64_t v = in_at(c, b, iy, ix, g * c->f.c + ic) + c->p.input_offset;
                                int64_t w = c->w[(((size_t)oc * c->f.h + ky) * c->f.w + kx) * c->f.c + ic];
                                acc += v * w;
                            }
                    if (c->bias)
                        acc += c->bias[oc];
                    c->yref[(((size_t)b * c->out.h + oy) * c->out.w + ox) * c->out.c + oc] =
                        ref_requant(acc, c->mult[oc], c->shift[oc], c->p.output_offset,
                                    c->p.act_min, c->p.act_max);
                }
}

static const int32_t odd_ch[] = {1, 3, 5, 7, 17, 2, 8};

static int make_case(srng *r, conv_case *c)
{
    memset(c, 0, sizeof *c);
    int32_t kh = srng_int(r, 1, 3), kw = srng_int(r, 1, 3);
    if (srng_int(r, 0, 9) == 0)
        kh = kw = 5;
    c->p.stride_h = srng_int(r, 1, 2);
    c->p.stride_w = srng_int(r, 1, 2);
    c->p.dilation_h = srng_int(r, 1, 2);
    c->p.dilation_w = srng_int(r, 1, 2);
    int same = srng_int(r, 0, 1);
    int32_t in_c = pick(r, odd_ch, 7), f_c = in_c;
    int32_t groups = 1;
    if (srng_int(r, 0, 5) == 0) {      /* grouped convolution */
        groups = srng_int(r, 2, 3);
        f_c = srng_int(r, 1, 4);
        in_c = f_c * groups;
    }
    int32_t out_c = pick(r, odd_ch, 7) * groups;
    c->in = (sciot_dims){srng_int(r, 1, 2), srng_int(r, 1, 11), srng_int(r, 1, 11), in_c};
    c->f = (sciot_dims){out_c, kh, kw, f_c};
    int32_t oh, ow;
    if (!geom_1d(same, c->in.h, kh, c->p.stride_h, c->p.dilation_h, &oh, &c->p.pad_h) ||
        !geom_1d(same, c->in.w, kw, c->p.stride_w, c->p.dilation_w, &ow, &c->p.pad_w))
        return 0;
    c->out = (sciot_dims){c->in.n, oh, ow, out_c};
    int32_t in_zp = srng_int(r, -128, 127), out_zp = srng_int(r, -128, 127);
    float out_scale = (float)srng_logu(r, 0.005, 0.5);
    c->p.input_offset = -in_zp;
    c->p.output_offset = out_zp;
    rand_act(r, out_scale, out_zp, &c->p.act_min, &c->p.act_max);

    size_t nin = (size_t)c->in.n * c->in.h * c->in.w * c->in.c;
    size_t nf = (size_t)c->f.n * c->f.h * c->f.w * c->f.c;
    size_t nout = (size_t)c->out.n * c->out.h * c->out.w * c->out.c;
    c->x = malloc(nin);
    c->w = malloc(nf);
    c->y = malloc(nout);
    c->yref = malloc(nout);
    c->mult = malloc(sizeof(int32_t) * out_c);
    c->shift = malloc(sizeof(int32_t) * out_c);
    srng_fill_s8(r, c->x, nin);
    srng_fill_s8(r, c->w, nf);
    if (srng_int(r, 0, 3) != 0) {
        c->bias = malloc(sizeof(int32_t) * out_c);
        for (int32_t i = 0; i < out_c; ++i)
            c->bias[i] = srng_int(r, -20000, 20000);
    }
    /* |acc| ~ 128 * 128 * sqrt(K): spread scales around 1 / that, some > 1 */
    double k = sqrt((double)kh * kw * f_c);
    double centre = 60.0 / (128.0 * 100.0 * k);
    if (srng_int(r, 0, 7) == 0)
        rand_channel_quant(r, out_c, 0.5, 4.0, c->mult, c->shift);
    else
        rand_channel_quant(r, out_c, centre / 20, centre * 20, c->mult, c->shift);
    return 1;
}

static void free_case(conv_case *c)
{
    free(c->x);
    free(c->w);
    free(c->y);
    free(c->yref);
    free(c->bias);
    free(c->mult);
    free(c->shift);
}

static void test_conv_random(void **state)
{
    (void)state;
    srng r = {0xC0417ULL};
    int done = 0;
    size_t interior = 0, total = 0;
    for (int it = 0; done < 600 && it < 5000; ++it) {
        conv_case c;
        if (!make_case(&r, &c))
            continue;
        ref_conv(&c);
        sciot_channel_quant q = {c.mult, c.shift};
        size_t nout = (size_t)c.out.n * c.out.h * c.out.w * c.out.c;
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            size_t ss = sciot_conv2d_s8_scratch_size(&c.in, &c.f, &c.out);
            void *scratch = ss ? malloc(ss) : NULL;
            memset(c.y, 0x55, nout);
            assert_int_equal(sciot_conv2d_s8(&c.p, &q, &c.in, c.x, &c.f, c.w, c.bias, &c.out,
                                             c.y, scratch),
                             SCIOT_OK);
            free(scratch);
            S8_CHECK_EQ_BYTES(c.y, c.yref, nout, "conv2d_s8");
        }
        sciot_kernels_force_portable(0);
        for (size_t i = 0; i < nout; ++i)
            interior += c.yref[i] > c.p.act_min && c.yref[i] < c.p.act_max;
        total += nout;
        free_case(&c);
        ++done;
    }
    assert_true(done >= 600);
    /* the scales must exercise the requantization, not just saturate */
    fprintf(stderr, "conv: %zu outputs, %.1f%% unclamped\n", total, 100.0 * interior / total);
    assert_true(interior * 4 > total);
}

/* A hand-checked 1x1 case: out = clamp(mbqm(sum, 0.5) + zp). */
static void test_conv_hand(void **state)
{
    (void)state;
    sciot_conv_params p = {1, 1, 1, 1, 0, 0, 1, 1, -3, -128, 127, 0, 0};
    sciot_dims in = {1, 1, 2, 2}, f = {1, 1, 1, 2}, out = {1, 1, 2, 1};
    int8_t x[4] = {10, 20, -5, 7};   /* with input_offset 1: (11, 21), (-4, 8) */
    int8_t w[2] = {2, -1};
    int32_t bias[1] = {4};
    int32_t m[1] = {1 << 30}, s[1] = {0};   /* 0.5 */
    sciot_channel_quant q = {m, s};
    int8_t y[2];
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, x, &f, w, bias, &out, y, NULL), SCIOT_OK);
    /* (22 - 21 + 4) * 0.5 = 2.5 -> 3, -3 -> 0 ; (-8 - 8 + 4) * .5 = -6 -> -9 */
    assert_int_equal(y[0], 0);
    assert_int_equal(y[1], -9);
}

static void test_conv_invalid(void **state)
{
    (void)state;
    sciot_conv_params p = {1, 1, 1, 1, 0, 0, 1, 0, 0, -128, 127, 0, 0};
    sciot_dims in = {1, 4, 4, 3}, f = {2, 3, 3, 3}, out = {1, 2, 2, 2};
    int8_t x[48] = {0}, w[54] = {0}, y[8];
    int32_t m[2] = {1 << 30, 1 << 30}, s[2] = {0, 0};
    sciot_channel_quant q = {m, s};
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, x, &f, w, NULL, &out, y, NULL), SCIOT_OK);
    assert_int_equal(sciot_conv2d_s8(NULL, &q, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_conv2d_s8(&p, NULL, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, NULL, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, x, &f, w, NULL, &out, NULL, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_channel_quant q0 = {NULL, s};
    assert_int_equal(sciot_conv2d_s8(&p, &q0, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_conv_params bad = p;
    bad.stride_h = 0;
    assert_int_equal(sciot_conv2d_s8(&bad, &q, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    bad = p;
    bad.act_min = 10;
    bad.act_max = 5;
    assert_int_equal(sciot_conv2d_s8(&bad, &q, &in, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_INVALID_ARG);
    sciot_dims f2 = {3, 3, 3, 3};       /* out channels disagree */
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, x, &f2, w, NULL, &out, y, NULL),
                     SCIOT_ERR_SHAPE);
    sciot_dims f3 = {2, 3, 3, 2};       /* 3 % 2 != 0 */
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, x, &f3, w, NULL, &out, y, NULL),
                     SCIOT_ERR_SHAPE);
    sciot_dims out2 = {2, 2, 2, 2};     /* batch disagrees */
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in, x, &f, w, NULL, &out2, y, NULL),
                     SCIOT_ERR_SHAPE);
    sciot_dims in0 = {1, 0, 4, 3};
    assert_int_equal(sciot_conv2d_s8(&p, &q, &in0, x, &f, w, NULL, &out, y, NULL),
                     SCIOT_ERR_SHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_hand),
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_conv_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
