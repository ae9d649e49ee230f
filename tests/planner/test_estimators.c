/* test_estimators.c — the network estimator separates RTT from bandwidth
 * without clock sync (from round trips minus edge processing), with
 * outliers and with long runs of one size; the change detector fires on a
 * step and stays quiet on stationary noise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "sciot/planner.h"

#define RTT 12000.0 /* us */
#define BW 800000.0 /* bytes/s */

static double rt(sciot_rng *r, double bytes, double cv)
{
    return (RTT + bytes / BW * 1e6) * (1 + cv * sciot_rng_normal(r));
}

static void within(double got, double want, double tol)
{
    if (fabs(got - want) > tol * want)
        fail_msg("got %g, want %g within %g%%", got, want, tol * 100);
}

static void recovers_rtt_and_bandwidth(void **st)
{
    (void)st;
    sciot_netest e;
    sciot_netest_init(&e, NULL, 50000, 5e6); /* a prior far off */
    sciot_rng r;
    sciot_rng_seed(&r, 3);
    const double sizes[] = {200, 5000, 20000, 60000};
    for (int i = 0; i < 400; i++) {
        double x = sizes[sciot_rng_next(&r) % 4];
        sciot_netest_add(&e, x, 64, rt(&r, x + 64, 0.05));
    }
    within(sciot_netest_rtt_us(&e), RTT, 0.05);
    within(sciot_netest_bandwidth(&e), BW, 0.05);
}

static void robust_to_outliers(void **st)
{
    (void)st;
    sciot_netest e;
    sciot_netest_init(&e, NULL, 20000, 1e6);
    sciot_rng r;
    sciot_rng_seed(&r, 4);
    const double sizes[] = {500, 30000};
    int out = 0;
    for (int i = 0; i < 600; i++) {
        double x = sizes[i % 2];
        double y = rt(&r, x, 0.05);
        if (sciot_rng_uniform(&r) < 0.05) { /* 5% spikes of 5-20x */
            y *= 5 + 15 * sciot_rng_uniform(&r);
            out++;
        }
        sciot_netest_add(&e, x, 0, y);
    }
    assert_true(out > 10);
    within(sciot_netest_rtt_us(&e), RTT, 0.05);
    within(sciot_netest_bandwidth(&e), BW, 0.05);
}

static void long_runs_of_one_size(void **st)
{
    (void)st;
    sciot_netest e;
    sciot_netest_init(&e, NULL, 20000, 1e6);
    sciot_rng r;
    sciot_rng_seed(&r, 5);
    /* a few sizes once, then 2000 samples of the same size with spikes:
     * the split between RTT and bandwidth must not drift or blow up */
    for (int i = 0; i < 40; i++) {
        double x = i % 2 ? 300 : 40000;
        sciot_netest_add(&e, x, 0, rt(&r, x, 0.05));
    }
    within(sciot_netest_rtt_us(&e), RTT, 0.05);
    within(sciot_netest_bandwidth(&e), BW, 0.05);
    for (int i = 0; i < 2000; i++) {
        double y = rt(&r, 9216, 0.05);
        if (i % 97 == 0)
            y *= 8;
        sciot_netest_add(&e, 9216, 0, y);
    }
    within(sciot_netest_rtt_us(&e), RTT, 0.05);
    within(sciot_netest_bandwidth(&e), BW, 0.05);
    within(sciot_netest_predict_us(&e, 9216), RTT + 9216 / BW * 1e6, 0.02);
    /* the uncertainty at another size stays finite */
    assert_true(isfinite(sciot_netest_diff_stdev_us(&e, 60000, 9216)));
}

static void follows_a_level_shift(void **st)
{
    (void)st;
    sciot_netest e;
    sciot_netest_init(&e, NULL, 20000, 1e6);
    sciot_rng r;
    sciot_rng_seed(&r, 6);
    for (int i = 0; i < 200; i++) {
        double x = i % 2 ? 300 : 40000;
        sciot_netest_add(&e, x, 0, rt(&r, x, 0.03));
    }
    /* RTT +50 ms: a shift, not outliers */
    for (int i = 0; i < 30; i++) {
        double x = i % 2 ? 300 : 40000;
        sciot_netest_add(&e, x, 0, rt(&r, x, 0.03) + 50000);
    }
    within(sciot_netest_rtt_us(&e), RTT + 50000, 0.05);
    within(sciot_netest_bandwidth(&e), BW, 0.05);
}

static void ignores_nonsense(void **st)
{
    (void)st;
    sciot_netest e;
    sciot_netest_init(&e, NULL, 20000, 1e6);
    assert_int_equal(sciot_netest_add(&e, 1000, 0, -5), -1);
    assert_int_equal(sciot_netest_add(&e, 1000, 0, NAN), -1);
    assert_int_equal(sciot_netest_add(&e, -1, 0, 100), -1);
    within(sciot_netest_rtt_us(&e), 20000, 1e-9);
    within(sciot_netest_bandwidth(&e), 1e6, 1e-9);
}

static void change_detector_step_and_noise(void **st)
{
    (void)st;
    sciot_cdet d;
    sciot_rng r;
    sciot_rng_seed(&r, 8);
    for (int trial = 0; trial < 20; trial++) {
        sciot_cdet_init(&d, NULL);
        /* stationary: 10% relative noise, 2000 requests, no alarm */
        for (int i = 0; i < 2000; i++)
            assert_int_equal(sciot_cdet_add(&d, 100, 100 * (1 + 0.1 * sciot_rng_normal(&r))), 0);
        /* a +50% step is found within a few requests */
        int at = -1;
        for (int i = 0; i < 20 && at < 0; i++)
            if (sciot_cdet_add(&d, 100, 150 * (1 + 0.1 * sciot_rng_normal(&r))) == 1)
                at = i;
        assert_in_range(at, 0, 4);
    }
    /* a drop, in a quiet system (1% noise) */
    sciot_cdet_init(&d, NULL);
    for (int i = 0; i < 500; i++)
        assert_int_equal(sciot_cdet_add(&d, 100, 100 * (1 + 0.01 * sciot_rng_normal(&r))), 0);
    int at = -1;
    for (int i = 0; i < 20 && at < 0; i++)
        if (sciot_cdet_add(&d, 100, 80) == -1)
            at = i;
    assert_in_range(at, 0, 2);
    /* below min_shift nothing counts, however quiet */
    sciot_cdet_init(&d, NULL);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(sciot_cdet_add(&d, 100, 102), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recovers_rtt_and_bandwidth),
        cmocka_unit_test(robust_to_outliers),
        cmocka_unit_test(long_runs_of_one_size),
        cmocka_unit_test(follows_a_level_shift),
        cmocka_unit_test(ignores_nonsense),
        cmocka_unit_test(change_detector_step_and_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
