/* test_sim_targets.c — the planner's quality targets (issue 4), measured
 * with `sciot sim --json` on experiments/scenarios. The simulator is
 * deterministic for a seed, so these are assertions on numbers, not on
 * timing; each target is checked over seeds 1..5.
 *   stationary, 10% noise: regret <= 2%, <= 5 decision changes / 100
 *   bandwidth x10 down and up, RTT 5 -> 100 ms, device x4: back within 5%
 *     of the oracle in <= 10 requests after every change
 *   edge down: every request in the phase completes locally, back to the
 *     oracle's split within 10 requests after the edge returns
 *   exploration: fewer forced local runs than the fixed p = 0.1 mode.
 * docs/PLANNER.md has the table of the measured numbers. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static const char *bin;
static char scen[1024];

#define SEEDS 5

static cJSON *sim(const char *name, int seed, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' sim '%s/%s.json' --json --seed %d %s", bin, scen, name, seed, extra);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    int st = pclose(f);
    if (st != 0)
        fail_msg("%s: exit %d", cmd, st);
    cJSON *j = cJSON_Parse(buf);
    if (!j)
        fail_msg("%s: not JSON", cmd);
    return j;
}

static double num(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(j, k);
    if (!cJSON_IsNumber(v))
        fail_msg("key %s missing", k);
    return v->valuedouble;
}

static void stationary(const char *name, const char *extra, double max_regret, double max_changes)
{
    for (int seed = 1; seed <= SEEDS; seed++) {
        cJSON *j = sim(name, seed, extra);
        double reg = num(j, "regret_pct"), ch = num(j, "changes_per_100");
        if (reg > max_regret || ch > max_changes)
            fail_msg("%s %s seed %d: regret %.2f%% (max %.1f), changes %.1f/100 (max %.1f)", name, extra, seed, reg,
                     max_regret, ch, max_changes);
        cJSON_Delete(j);
    }
}

static void stationary_targets(void **st)
{
    (void)st;
    /* realistic: ESP32-S3-class device, int8 models, Wi-Fi */
    stationary("pd_stationary", "", 2.0, 5.0);
    stationary("fomo_stationary", "", 2.0, 5.0);
    stationary("esp32_float_stationary", "", 2.0, 5.0);
    /* synthetic, optimum inside the model: the target holds when a variance
     * flag re-tests only what the split would not re-measure ... */
    stationary("syn_stationary", "--retest-needed", 2.0, 5.0);
    /* ... while the reference action (every flag -> a full local run) pays
     * ~0.5% of the operators per request by chance at 10% noise: bounded,
     * but above the target (docs/PLANNER.md) */
    stationary("syn_stationary", "", 3.5, 8.0);
}

static void reconverges(const char *name, const char *extra, int expect_changes)
{
    for (int seed = 1; seed <= SEEDS; seed++) {
        cJSON *j = sim(name, seed, extra);
        const cJSON *rec = cJSON_GetObjectItem(j, "reconverge_requests");
        assert_int_equal(cJSON_GetArraySize(rec), expect_changes);
        const cJSON *v;
        int i = 0;
        cJSON_ArrayForEach(v, rec)
        {
            if (!cJSON_IsNumber(v) || v->valueint > 10)
                fail_msg("%s %s seed %d: change %d reconverged after %s requests (max 10)", name, extra, seed, i,
                         cJSON_IsNumber(v) ? cJSON_PrintUnformatted(v) : "never");
            i++;
        }
        cJSON_Delete(j);
    }
}

static void change_targets(void **st)
{
    (void)st;
    const char *policies[] = {"", "--retest-needed"};
    for (int p = 0; p < 2; p++) {
        reconverges("syn_bw_step", policies[p], 2);
        reconverges("syn_rtt_step", policies[p], 2);
        reconverges("syn_device_slowdown", policies[p], 2);
        reconverges("pd_bw_step", policies[p], 2);
    }
}

static void edge_down_targets(void **st)
{
    (void)st;
    const char *names[] = {"syn_edge_down", "fomo_edge_down"};
    for (int s = 0; s < 2; s++) {
        reconverges(names[s], "", 2);
        for (int seed = 1; seed <= SEEDS; seed++) {
            cJSON *j = sim(names[s], seed, "");
            double down = num(j, "edge_down_requests");
            assert_true(down == 100);
            assert_true(num(j, "edge_down_local") == down); /* every request completed locally */
            assert_true(num(j, "connect_failures") <= 1);   /* only the one in flight paid a connect */
            cJSON_Delete(j);
        }
    }
}

static void exploration_vs_fixed_p(void **st)
{
    (void)st;
    for (int seed = 1; seed <= SEEDS; seed++) {
        cJSON *a = sim("syn_explore", seed, "");
        cJSON *r = sim("syn_explore", seed, "--no-adaptive --local-p 0.1");
        double fa = num(a, "forced_local"), fr = num(r, "forced_local");
        /* the fixed mode forces a local run in ~10% of the 400 requests
         * before the change (after it, local is the best choice anyway);
         * the adaptive one a handful, at a fraction of the regret. (It finds
         * the faster device later: docs/PLANNER.md has both numbers.) */
        assert_true(fr >= 25);
        assert_true(fa <= fr / 4);
        assert_true(num(a, "regret_pct") < num(r, "regret_pct") / 4);
        const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "reconverge_requests"), 0);
        assert_true(cJSON_IsNumber(rec)); /* it does find it, within the phase */
        cJSON_Delete(a);
        cJSON_Delete(r);
    }
}

static void model_and_bench_source(void **st)
{
    (void)st;
    /* device/edge times from `sciot bench --json`, cut bytes from the model */
    if (!getenv("SCIOT_MODELS"))
        skip();
    for (int seed = 1; seed <= SEEDS; seed++) {
        cJSON *j = sim("model_fomo_bench", seed, "");
        const cJSON *ph = cJSON_GetObjectItem(j, "phases");
        assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ph, 0), "oracle_k")->valueint, 0);
        assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ph, 1), "oracle_k")->valueint, 27);
        assert_true(num(j, "regret_pct") < 2.0);
        cJSON_Delete(j);
    }
    reconverges("model_fomo_bench", "", 1);
}

int main(void)
{
    bin = getenv("SCIOT_BIN");
    if (!bin) {
        fprintf(stderr, "SCIOT_BIN is not set (run through ctest)\n");
        return 1;
    }
    /* experiments/scenarios, from this file's place in the source tree */
    snprintf(scen, sizeof scen, "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
        char *s = strrchr(scen, '/');
        if (!s) {
            fprintf(stderr, "cannot locate the source tree from %s\n", __FILE__);
            return 1;
        }
        *s = 0;
    }
    strncat(scen, "/experiments/scenarios", sizeof scen - strlen(scen) - 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stationary_targets),
        cmocka_unit_test(change_targets),
        cmocka_unit_test(edge_down_targets),
        cmocka_unit_test(exploration_vs_fixed_p),
        cmocka_unit_test(model_and_bench_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
