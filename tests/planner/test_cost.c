/* test_cost.c — the cost model on hand-made profiles: every k from full
 * offload to local-only, infinite and zero bandwidth, objectives, the
 * smaller-k tie-break, errors that name the field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sciot/planner.h"

#define N 5
static const double dev[N] = {4000, 1000, 3000, 500, 2000};  /* 10.5 ms */
static const double edge[N] = {100, 900, 50, 400, 20};       /* 1.47 ms */
static const double cut[N + 1] = {30000, 60000, 5000, 20000, 1000, 10};

static sciot_cost_input input(double rtt_us, double bw)
{
    sciot_cost_input in = {.n_ops = N, .device_us = dev, .edge_us = edge, .up_bytes = cut, .rtt_us = rtt_us,
                           .bytes_per_s = bw, .objective = SCIOT_OBJ_LATENCY};
    return in;
}

static void every_k_by_hand(void **st)
{
    (void)st;
    sciot_cost_input in = input(10000, 1e6);
    in.reply_bytes = 100;
    in.edge_queue_us = 500;
    double c[N + 1];
    int32_t best;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    /* k = 0: RTT + (30000 + 100) B at 1 MB/s + all edge + queue */
    assert_true(fabs(c[0] - (10 + 30.1 + 1.47 + 0.5)) < 1e-9);
    /* k = 2: 5 ms device + 10 + 5.1 + edge of ops 2..4 (0.47) + 0.5 */
    assert_true(fabs(c[2] - (5 + 10 + 5.1 + 0.47 + 0.5)) < 1e-9);
    /* k = N: device only, no network */
    assert_true(fabs(c[N] - 10.5) < 1e-9);
    assert_int_equal(best, N); /* 10.5 ms local beats 21.07 ms at k = 2 */
}

static void infinite_bandwidth_picks_smallest_compute(void **st)
{
    (void)st;
    sciot_cost_input in = input(0, INFINITY);
    double c[N + 1];
    int32_t best;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    /* device prefix + edge suffix: k=0 1.47, k=1 5.37, ... smallest is k=0 */
    double min = INFINITY;
    int32_t arg = -1;
    for (int32_t k = 0; k <= N; k++) {
        double t = 0;
        for (int32_t i = 0; i < N; i++)
            t += i < k ? dev[i] : edge[i];
        if (t < min - 1e-9) {
            min = t;
            arg = k;
        }
        assert_true(fabs(c[k] - t / 1000) < 1e-9);
    }
    assert_int_equal(best, arg);
    /* with an RTT, the same holds for every k < N, and local only wins
     * when the RTT exceeds the difference */
    in.rtt_us = 20000;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    assert_int_equal(best, N);
}

static void zero_bandwidth_means_local_only(void **st)
{
    (void)st;
    sciot_cost_input in = input(5000, 0);
    double c[N + 1];
    int32_t best;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    for (int32_t k = 0; k < N; k++)
        assert_true(isinf(c[k]));
    assert_int_equal(best, N);
}

static void ties_go_to_the_smaller_k(void **st)
{
    (void)st;
    double d[3] = {1000, 1000, 1000}, e[3] = {1000, 1000, 1000}, u[4] = {0, 0, 0, 0};
    sciot_cost_input in = {.n_ops = 3, .device_us = d, .edge_us = e, .up_bytes = u, .rtt_us = 0,
                           .bytes_per_s = 1e6};
    double c[4];
    int32_t best;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    assert_int_equal(best, 0); /* all equal: the earliest */
    double v[5] = {3, 1, 1, 2, 1};
    assert_int_equal(sciot_cost_argmin(v, 4), 1);
    double w[3] = {INFINITY, INFINITY, INFINITY};
    assert_int_equal(sciot_cost_argmin(w, 2), -1);
}

static void objectives(void **st)
{
    (void)st;
    sciot_cost_input in = input(10000, 1e6);
    in.power = (sciot_power_w){.cpu = 0.5, .tx = 1.0, .idle = 0.1};
    double c[N + 1];
    int32_t best;
    in.objective = SCIOT_OBJ_ENERGY;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    /* k = 4: cpu 0.5 W x 8.5 ms + tx 1 W x 1 ms + idle 0.1 W x (10 + 0.02) ms */
    assert_true(fabs(c[4] - (0.5 * 8.5 + 1.0 * 1.0 + 0.1 * 10.02)) < 1e-9);
    assert_true(fabs(c[N] - 0.5 * 10.5) < 1e-9);
    in.objective = SCIOT_OBJ_BYTES;
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    assert_true(c[2] == 5000 && c[N] == 0);
    assert_int_equal(best, N);
    in.objective = SCIOT_OBJ_WEIGHTED;
    in.weights = (sciot_weights){.latency = 1, .energy = 2, .bytes = 0.5};
    assert_int_equal(sciot_cost_eval(&in, c, &best, NULL), SCIOT_OK);
    double lat4 = 8.5 + 10 + 1 + 0.02, en4 = 0.5 * 8.5 + 1.0 + 0.1 * 10.02;
    assert_true(fabs(c[4] - (lat4 + 2 * en4 + 0.5 * 1.0)) < 1e-9);
    sciot_objective o;
    assert_int_equal(sciot_objective_parse("energy", &o), 0);
    assert_int_equal(o, SCIOT_OBJ_ENERGY);
    assert_int_not_equal(sciot_objective_parse("speed", &o), 0);
    assert_string_equal(sciot_objective_unit(SCIOT_OBJ_LATENCY), "ms");
}

static void errors_name_the_field(void **st)
{
    (void)st;
    double c[N + 1];
    sciot_error err = {0};
    double bad[N] = {1, 2, -3, 4, 5};
    sciot_cost_input in = input(10000, 1e6);
    in.device_us = bad;
    assert_int_equal(sciot_cost_eval(&in, c, NULL, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "device_us[2]"));
    in = input(10000, 1e6);
    double badcut[N + 1] = {1, 2, 3, 4, NAN, 6};
    in.up_bytes = badcut;
    assert_int_equal(sciot_cost_eval(&in, c, NULL, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "cut_bytes[4]"));
    in = input(-1, 1e6);
    assert_int_equal(sciot_cost_eval(&in, c, NULL, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "rtt"));
    in = input(0, 1e6);
    in.objective = SCIOT_OBJ_ENERGY;
    in.power.cpu = -1;
    assert_int_equal(sciot_cost_eval(&in, c, NULL, &err), SCIOT_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "power_w"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_k_by_hand),
        cmocka_unit_test(infinite_bandwidth_picks_smallest_compute),
        cmocka_unit_test(zero_bandwidth_means_local_only),
        cmocka_unit_test(ties_go_to_the_smaller_k),
        cmocka_unit_test(objectives),
        cmocka_unit_test(errors_name_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
