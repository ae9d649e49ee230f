/* test_add_s8.c — int8 ADD and MUL: the *_prepare functions against TFLite's
 * formulas, the kernels against a naive reference (TFLite elementwise
 * arithmetic with sciot_mbqm, explicit per-dimension broadcast indexing) on
 * random 4-D shapes with broadcasting on either side, random scales / zero
 * points and all activations; float-semantics sanity (within 1 LSB of the
 * real-valued result); exact hand cases; argument validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static int32_t dim(const sciot_dims *d, int i)
{
    return i == 0 ? d->n : i == 1 ? d->h : i == 2 ? d->w : d->c;
}

static size_t bidx(const sciot_dims *d, const int32_t co[4])
{
    size_t idx = 0;
    for (int i = 0; i < 4; ++i)
        idx = idx * (size_t)dim(d, i) + (size_t)(dim(d, i) == 1 ? 0 : co[i]);
    return idx;
}

static int8_t ref_add(const sciot_binary_params *p, int8_t a, int8_t b)
{
    int32_t sa = sciot_mbqm((a + p->input1_offset) * (1 << p->left_shift), p->input1_multiplier,
                            p->input1_shift);
    int32_t sb = sciot_mbqm((b + p->input2_offset) * (1 << p->left_shift), p->input2_multiplier,
                            p->input2_shift);
    int32_t o = sciot_mbqm(sa + sb, p->output_multiplier, p->output_shift) + p->output_offset;
    return (int8_t)ref_clamp32(o, p->act_min, p->act_max);
}

static int8_t ref_mul(const sciot_binary_params *p, int8_t a, int8_t b)
{
    int32_t o = sciot_mbqm((a + p->input1_offset) * (b + p->input2_offset), p->output_multiplier,
                           p->output_shift) + p->output_offset;
    return (int8_t)ref_clamp32(o, p->act_min, p->act_max);
}

static void test_prepare(void **state)
{
    (void)state;
    srng r = {0xADDULL};
    for (int i = 0; i < 2000; ++i) {
        float s1 = (float)srng_logu(&r, 1e-3, 1), s2 = (float)srng_logu(&r, 1e-3, 1);
        float so = (float)srng_logu(&r, 1e-3, 1);
        int32_t z1 = srng_int(&r, -128, 127), z2 = srng_int(&r, -128, 127),
                zo = srng_int(&r, -128, 127), act = srng_int(&r, 0, 3);
        sciot_binary_params p;
        sciot_add_s8_prepare(s1, z1, s2, z2, so, zo, act, &p);
        assert_int_equal(p.left_shift, 20);
        assert_int_equal(p.input1_offset, -z1);
        assert_int_equal(p.input2_offset, -z2);
        assert_int_equal(p.output_offset, zo);
        double tm = 2.0 * (double)(s1 > s2 ? s1 : s2);
        int32_t m, s, lo, hi;
        sciot_quantize_multiplier((double)s1 / tm, &m, &s);
        assert_int_equal(p.input1_multiplier, m);
        assert_int_equal(p.input1_shift, s);
        assert_true(s <= 0);
        sciot_quantize_multiplier((double)s2 / tm, &m, &s);
        assert_int_equal(p.input2_multiplier, m);
        assert_int_equal(p.input2_shift, s);
        sciot_quantize_multiplier(tm / (1048576.0 * (double)so), &m, &s);
        assert_int_equal(p.output_multiplier, m);
        assert_int_equal(p.output_shift, s);
        sciot_act_range_s8(act, so, zo, &lo, &hi);
        assert_int_equal(p.act_min, lo);
        assert_int_equal(p.act_max, hi);

        sciot_mul_s8_prepare(s1, z1, s2, z2, so, zo, act, &p);
        assert_int_equal(p.input1_offset, -z1);
        assert_int_equal(p.input2_offset, -z2);
        assert_int_equal(p.output_offset, zo);
        sciot_quantize_multiplier((double)s1 * (double)s2 / (double)so, &m, &s);
        assert_int_equal(p.output_multiplier, m);
        assert_int_equal(p.output_shift, s);
        assert_int_equal(p.act_min, lo);
        assert_int_equal(p.act_max, hi);
    }
}

static void rand_bcast_dims(srng *r, sciot_dims *d1, sciot_dims *d2, sciot_dims *out)
{
    static const int32_t ext[] = {1, 2, 3, 5, 7, 17};
    int32_t o[4], a[4], b[4];
    for (int i = 0; i < 4; ++i) {
        o[i] = i == 0 ? srng_int(r, 1, 2) : pick(r, ext, 6);
        int mode = srng_int(r, 0, 3);      /* 0,1: both full; 2: a is 1; 3: b is 1 */
        a[i] = mode == 2 ? 1 : o[i];
        b[i] = mode == 3 ? 1 : o[i];
    }
    *d1 = (sciot_dims){a[0], a[1], a[2], a[3]};
    *d2 = (sciot_dims){b[0], b[1], b[2], b[3]};
    *out = (sciot_dims){o[0], o[1], o[2], o[3]};
}

static void run_random(int is_mul)
{
    srng r = {is_mul ? 0x3171ULL : 0xADD5ULL};
    int lsb_checked = 0;
    for (int it = 0; it < 600; ++it) {
        sciot_dims d1, d2, dout;
        rand_bcast_dims(&r, &d1, &d2, &dout);
        if (it % 3 == 0)
            d2 = d1 = dout;                 /* the same-shape path */
        float s1 = (float)srng_logu(&r, 1e-3, 0.5), s2 = (float)srng_logu(&r, 1e-3, 0.5);
        float so = is_mul ? (float)srng_logu(&r, 1e-4, 0.2) * s1 * s2 * 128.0f
                          : (float)srng_logu(&r, 0.5, 4.0) * (s1 > s2 ? s1 : s2);
        int32_t z1 = srng_int(&r, -128, 127), z2 = srng_int(&r, -128, 127),
                zo = srng_int(&r, -128, 127), act = srng_int(&r, 0, 3);
        sciot_binary_params p;
        if (is_mul)
            sciot_mul_s8_prepare(s1, z1, s2, z2, so, zo, act, &p);
        else
            sciot_add_s8_prepare(s1, z1, s2, z2, so, zo, act, &p);
        size_t n1 = (size_t)d1.n * d1.h * d1.w * d1.c, n2 = (size_t)d2.n * d2.h * d2.w * d2.c;
        size_t no = (size_t)dout.n * dout.h * dout.w * dout.c;
        int8_t *a = malloc(n1), *b = malloc(n2), *y = malloc(no), *yref = malloc(no);
        srng_fill_s8(&r, a, n1);
        srng_fill_s8(&r, b, n2);
        int32_t co[4];
        size_t k = 0;
        for (co[0] = 0; co[0] < dout.n; ++co[0])
            for (co[1] = 0; co[1] < dout.h; ++co[1])
                for (co[2] = 0; co[2] < dout.w; ++co[2])
                    for (co[3] = 0; co[3] < dout.c; ++co[3], ++k) {
                        int8_t va = a[bidx(&d1, co)], vb = b[bidx(&d2, co)];
                        yref[k] = is_mul ? ref_mul(&p, va, vb) : ref_add(&p, va, vb);
                        /* real-valued result, before clamping, within 1 LSB */
                        double real = is_mul ? (double)s1 * (va - z1) * (double)s2 * (vb - z2)
                                             : (double)s1 * (va - z1) + (double)s2 * (vb - z2);
                        double q = real / so + zo;
                        if (q > p.act_min + 1 && q < p.act_max - 1) {
                            assert_true(fabs(yref[k] - q) <= 1.0);
                            ++lsb_checked;
                        }
                    }
        for (int portable = 1; portable >= 0; --portable) {
            sciot_kernels_force_portable(portable);
            memset(y, 0x55, no);
            sciot_status st = is_mul ? sciot_mul_s8(&p, &d1, a, &d2, b, &dout, y)
                                     : sciot_add_s8(&p, &d1, a, &d2, b, &dout, y);
            assert_int_equal(st, SCIOT_OK);
            S8_CHECK_EQ_BYTES(y, yref, no, is_mul ? "mul_s8" : "add_s8");
        }
        sciot_kernels_force_portable(0);
        free(a);
        free(b);
        free(y);
        free(yref);
    }
    assert_true(lsb_checked > 10000);
}

static void test_add_random(void **state)
{
    (void)state;
    run_random(0);
}

static void test_mul_random(void **state)
{
    (void)state;
    run_random(1);
}

/* Equal scales everywhere: ADD is the exact saturating sum of the values. */
static void test_add_exact_equal_scales(void **state)
{
    (void)state;
    sciot_binary_params p;
    sciot_add_s8_prepare(0.1f, 0, 0.1f, 0, 0.1f, 0, 0, &p);
    sciot_dims d = {1, 1, 256, 256};
    static int8_t a[65536], b[65536], y[65536];
    for (int i = 0; i < 65536; ++i) {
        a[i] = (int8_t)(i >> 8);
        b[i] = (int8_t)(i & 255);
    }
    assert_int_equal(sciot_add_s8(&p, &d, a, &d, b, &d, y), SCIOT_OK);
    for (int i = 0; i < 65536; ++i)
        assert_int_equal(y[i], ref_clamp32(a[i] + b[i], -128, 127));
    /* MUL with out scale = s1 * s2: the exact saturating product */
    sciot_mul_s8_prepare(0.5f, 0, 0.25f, 0, 0.125f, 0, 0, &p);
    assert_int_equal(sciot_mul_s8(&p, &d, a, &d, b, &d, y), SCIOT_OK);
    for (int i = 0; i < 65536; ++i)
        assert_int_equal(y[i], ref_clamp32(a[i] * b[i], -128, 127));
}

static void test_binary_invalid(void **state)
{
    (void)state;
    sciot_binary_params p;
    sciot_add_s8_prepare(0.1f, 0, 0.1f, 0, 0.1f, 0, 0, &p);
    sciot_dims d1 = {1, 2, 3, 4}, d2 = {1, 2, 1, 4}, d3 = {1, 2, 2, 4}, dout = {1, 2, 3, 4};
    int8_t a[24] = {0}, b[24] = {0}, y[24];
    assert_int_equal(sciot_add_s8(&p, &d1, a, &d2, b, &dout, y), SCIOT_OK);
    assert_int_equal(sciot_add_s8(&p, &d1, a, &d3, b, &dout, y), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_mul_s8(&p, &d1, a, &d3, b, &dout, y), SCIOT_ERR_SHAPE);
    sciot_dims dbad = {1, 2, 3, 5};
    assert_int_equal(sciot_add_s8(&p, &d1, a, &d2, b, &dbad, y), SCIOT_ERR_SHAPE);
    assert_int_equal(sciot_add_s8(NULL, &d1, a, &d2, b, &dout, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_add_s8(&p, &d1, NULL, &d2, b, &dout, y), SCIOT_ERR_INVALID_ARG);
    assert_int_equal(sciot_mul_s8(&p, &d1, a, &d2, b, &dout, NULL), SCIOT_ERR_INVALID_ARG);
    sciot_dims dz = {1, 0, 3, 4};
    assert_int_equal(sciot_add_s8(&p, &dz, a, &d2, b, &dout, y), SCIOT_ERR_SHAPE);
    p.act_min = 127;
    p.act_max = -128;
    assert_int_equal(sciot_add_s8(&p, &d1, a, &d2, b, &dout, y), SCIOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare),
        cmocka_unit_test(test_add_exact_equal_scales),
        cmocka_unit_test(test_add_random),
        cmocka_unit_test(test_mul_random),
        cmocka_unit_test(test_binary_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
