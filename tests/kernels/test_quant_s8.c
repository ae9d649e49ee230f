/* test_quant_s8.c — sciot_quantize_multiplier, sciot_srdhm, sciot_rdivpot,
 * sciot_mbqm and sciot_act_range_s8 against hand-computed values from
 * TFLite's definitions, and sciot_mbqm against an independent int64
 * formulation on many random values. Also the dispatch switch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "s8_test_util.h"

static void qm(double real, int32_t want_m, int32_t want_s)
{
    int32_t m = -1, s = -1;
    sciot_quantize_multiplier(real, &m, &s);
    if (m != want_m || s != want_s)
        fprintf(stderr, "quantize_multiplier(%.17g) = (%d, %d), want (%d, %d)\n", real,
                (int)m, (int)s, (int)want_m, (int)want_s);
    assert_int_equal(m, want_m);
    assert_int_equal(s, want_s);
}

static void test_quantize_multiplier_cases(void **state)
{
    (void)state;
    qm(0.0, 0, 0);
    qm(0.5, 1 << 30, 0);
    qm(1.0, 1 << 30, 1);
    qm(2.0, 1 << 30, 2);
    qm(0.75, 1610612736, 0);   /* 0.75 * 2^31 */
    qm(3.0, 1610612736, 2);
    qm(0.25, 1 << 30, -1);
    /* frexp mantissa rounding up to 2^31 is renormalised */
    qm(1.0 - ldexp(1.0, -40), 1 << 30, 1);
    /* 2^-32 = 0.5 * 2^-31: shift -31 is still kept */
    qm(ldexp(1.0, -32), 1 << 30, -31);
    /* shift < -31 flushes to zero */
    qm(ldexp(1.0, -33), 0, 0);
    qm(1e-12, 0, 0);
    /* a typical conv scale: 0.0078125 * 0.0035 / 0.0235 */
    {
        double real = 0.0078125 * 0.0035 / 0.0235;
        int e;
        double q = frexp(real, &e);
        qm(real, (int32_t)llround(q * 2147483648.0), e);
    }
    /* round half away from zero on the 2^31 scaled mantissa */
    qm(0.5 + ldexp(1.0, -32), (1 << 30) + 1, 0);   /* 2^30 + 0.5 -> 2^30 + 1 */
    int32_t m, s;
    sciot_quantize_multiplier(0.5, NULL, &s);      /* must not crash */
    sciot_quantize_multiplier(NAN, &m, &s);
    assert_int_equal(m, 0);
    assert_int_equal(s, 0);
}

/* ---- independent definitions ----------------------------------------- */

/* gemmlowp SRDHM = round-half-up of a*b / 2^31, saturating MIN*MIN. */
static int32_t ind_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * b;
    int64_t num = ab + ((int64_t)1 << 30);
    /* floor division by 2^31 */
    int64_t q = num / ((int64_t)1 << 31);
    if (num % ((int64_t)1 << 31) != 0 && num < 0)
        q -= 1;
    return (int32_t)q;
}

/* RoundingDivideByPOT = round half away from zero of x / 2^e. */
static int32_t ind_rdivpot(int32_t x, int e)
{
    if (e == 0)
        return x;
    int64_t ax = x < 0 ? -(int64_t)x : x;
    int64_t r = (ax + ((int64_t)1 << (e - 1))) >> e;
    return (int32_t)(x < 0 ? -r : r);
}

static int32_t ind_mbqm(int32_t x, int32_t m, int32_t s)
{
    int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
    int32_t xs = (int32_t)(uint32_t)((uint64_t)(uint32_t)x << left);
    return ind_rdivpot(ind_srdhm(xs, m), right);
}

static void test_srdhm_edges(void **state)
{
    (void)state;
    assert_int_equal(sciot_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    assert_int_equal(sciot_srdhm(INT32_MIN, INT32_MAX), -2147483647);
    assert_int_equal(sciot_srdhm(INT32_MAX, INT32_MAX), 2147483646);
    assert_int_equal(sciot_srdhm(0, INT32_MIN), 0);
    assert_int_equal(sciot_srdhm(1 << 30, 1 << 30), 1 << 29);    /* 0.5 * 0.5 */
    /* exact ties: 1 * 2^30 / 2^31 = 0.5 -> 1 ; -0.5 -> 0 (ties upward) */
    assert_int_equal(sciot_srdhm(1, 1 << 30), 1);
    assert_int_equal(sciot_srdhm(-1, 1 << 30), 0);
    assert_int_equal(sciot_srdhm(3, 1 << 30), 2);               /* 1.5 -> 2 */
    assert_int_equal(sciot_srdhm(-3, 1 << 30), -1);             /* -1.5 -> -1 */
}

static void test_rdivpot_ties(void **state)
{
    (void)state;
    assert_int_equal(sciot_rdivpot(3, 1), 2);      /* 1.5 -> 2 */
    assert_int_equal(sciot_rdivpot(-3, 1), -2);    /* -1.5 -> -2 (away from zero) */
    assert_int_equal(sciot_rdivpot(-2, 1), -1);
    assert_int_equal(sciot_rdivpot(-5, 2), -1);    /* -1.25 */
    assert_int_equal(sciot_rdivpot(-6, 2), -2);    /* -1.5 */
    assert_int_equal(sciot_rdivpot(-7, 2), -2);    /* -1.75 */
    assert_int_equal(sciot_rdivpot(5, 2), 1);
    assert_int_equal(sciot_rdivpot(6, 2), 2);
    assert_int_equal(sciot_rdivpot(-1, 1), -1);    /* -0.5 -> -1 */
    assert_int_equal(sciot_rdivpot(1, 1), 1);
    assert_int_equal(sciot_rdivpot(7, 0), 7);
    assert_int_equal(sciot_rdivpot(INT32_MIN, 31), -1);
    assert_int_equal(sciot_rdivpot(INT32_MAX, 31), 1);
    assert_int_equal(sciot_rdivpot(-(1 << 30), 31), -1);        /* -0.5 -> -1 */
    assert_int_equal(sciot_rdivpot((1 << 30) - 1, 31), 0);
}

static void test_mbqm_cases(void **state)
{
    (void)state;
    /* multiplier 1<<30 with shift 1 is exactly 1.0 */
    for (int32_t x = -100000; x <= 100000; x += 7)
        assert_int_equal(sciot_mbqm(x, 1 << 30, 1), x);
    /* 0.5: ties away from zero after the rounding shift */
    assert_int_equal(sciot_mbqm(3, 1 << 30, 0), 2);    /* srdhm(3, .5) = 2 (1.5 up) */
    assert_int_equal(sciot_mbqm(-3, 1 << 30, 0), -1);  /* srdhm -> -1 (-1.5 up) */
    assert_int_equal(sciot_mbqm(5, 1 << 30, -1), 2);   /* srdhm 2.5 -> 3, 3/2 = 1.5 -> 2 */
    assert_int_equal(sciot_mbqm(-5, 1 << 30, -1), -1); /* srdhm -2.5 -> -2, -1 */
    assert_int_equal(sciot_mbqm(100, 1 << 30, 2), 200);
    assert_int_equal(sciot_mbqm(0, 0, 0), 0);
}

static void test_mbqm_random(void **state)
{
    (void)state;
    srng r = {0x1234567u};
    for (int i = 0; i < 2000000; ++i) {
        int32_t x;
        switch (i % 4) {
        case 0: x = (int32_t)srng_u32(&r); break;
        case 1: x = srng_int(&r, -70000, 70000); break;
        case 2: x = srng_int(&r, -300, 300); break;
        default: x = (int32_t)srng_u32(&r) >> srng_int(&r, 0, 31); break;
        }
        int32_t m = (i % 17 == 0) ? (int32_t)srng_u32(&r)
                                  : (int32_t)((1u << 30) + (srng_u32(&r) >> 2));
        int32_t s = srng_int(&r, -31, 12);
        int32_t got = sciot_mbqm(x, m, s), want = ind_mbqm(x, m, s);
        if (got != want) {
            fprintf(stderr, "mbqm(%d, %d, %d) = %d want %d\n", (int)x, (int)m, (int)s,
                    (int)got, (int)want);
            fail();
        }
        int32_t a = (int32_t)srng_u32(&r), b = (i & 1) ? (int32_t)srng_u32(&r) : m;
        if (sciot_srdhm(a, b) != ind_srdhm(a, b))
            fail();
        int e = srng_int(&r, 0, 31);
        if (sciot_rdivpot(a, e) != ind_rdivpot(a, e))
            fail();
    }
}

static void act(int32_t a, float scale, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t l = 0, h = 0;
    sciot_act_range_s8(a, scale, zp, &l, &h);
    if (l != lo || h != hi)
        fprintf(stderr, "act_range(%d, %g, %d) = [%d, %d] want [%d, %d]\n", (int)a,
                (double)scale, (int)zp, (int)l, (int)h, (int)lo, (int)hi);
    assert_int_equal(l, lo);
    assert_int_equal(h, hi);
}

static void test_act_range(void **state)
{
    (void)state;
    act(0, 0.1f, 3, -128, 127);
    act(1, 0.1f, 3, 3, 127);
    act(1, 0.1f, -128, -128, 127);
    act(3, 0.05f, -10, -10, 110);          /* 6 / 0.05 = 120 */
    act(3, 6.0f / 255.0f, -128, -128, 127);
    act(3, 0.001f, 5, 5, 127);             /* 6000 steps: clamped */
    act(2, 0.01f, 0, -100, 100);
    act(2, 0.1f, 120, 110, 127);
    act(3, 0.03f, -20, -20, 127);          /* -20 + 200 */
    act(3, 0.1f, -20, -20, 40);
    /* exact ties round half away from zero: 6 / 4 = 1.5 -> 2, -1 / 2 -> -1 */
    act(3, 4.0f, 0, 0, 2);
    act(2, 2.0f, 0, -1, 1);
}

static void test_dispatch(void **state)
{
    (void)state;
    assert_int_equal(sciot_kernels_portable_forced(), 0);
    sciot_kernels_force_portable(1);
    assert_int_equal(sciot_kernels_portable_forced(), 1);
    sciot_kernels_force_portable(0);
    assert_int_equal(sciot_kernels_portable_forced(), 0);
    assert_non_null(sciot_kernels_fast_path());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_multiplier_cases),
        cmocka_unit_test(test_srdhm_edges),
        cmocka_unit_test(test_rdivpot_ties),
        cmocka_unit_test(test_mbqm_cases),
        cmocka_unit_test(test_mbqm_random),
        cmocka_unit_test(test_act_range),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
