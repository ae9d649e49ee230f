/* test_plan_cli.c — `sciot plan` and `sciot sim` as a user runs them: the
 * JSON contract, and a one-line error naming the field (and the expected
 * length) with a non-zero exit for every missing or inconsistent field.
 * Runs the real binary ($SCIOT_BIN, set by CTest). */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli_run.h"

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_cli_tmpdir(), name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* 3 operators: device 10/10/10 ms, edge 0.1 ms each, cuts 100 kB, 5 kB, 1 kB, 10 B */
#define GOOD_FIELDS                                                                                           \
    "\"device_us\":[10000,10000,10000],\"edge_us\":[100,100,100],\"cut_bytes\":[100000,5000,1000,10]"

static void plan_good_profile(void **st)
{
    (void)st;
    const char *p = write_file("good.json", "{" GOOD_FIELDS ",\"rtt_ms\":5,\"bandwidth_bytes_per_s\":1000000}");
    tu_result r = tu_cli_run("plan --profile '%s' --json", p);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    /* k=0: 5 + 100 + 0.3 = 105.3; k=1: 10 + 5 + 5 + 0.2 = 20.2; k=2: 20 + 5 + 1 + 0.1 = 26.1; k=3: 30 */
    assert_int_equal(cJSON_GetObjectItem(j, "split")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(j, "offloading_layer_index")->valueint, 0);
    cJSON *c = cJSON_GetObjectItem(j, "cost");
    assert_int_equal(cJSON_GetArraySize(c), 4);
    const double want[4] = {105.3, 20.2, 26.1, 30};
    for (int k = 0; k < 4; k++)
        assert_true(fabs(cJSON_GetArrayItem(c, k)->valuedouble - want[k]) < 1e-9);
    assert_int_equal(cJSON_GetArraySize(j), 3); /* exactly split, offloading_layer_index, cost */
    cJSON_Delete(j);
    tu_cli_done(&r);

    /* full offload: offloading_layer_index is null */
    p = write_file("offload.json", "{\"device_us\":[10000,10000],\"edge_us\":[10,10],\"cut_bytes\":[100,100,100],"
                                   "\"rtt_ms\":1,\"bandwidth_bytes_per_s\":\"inf\"}");
    r = tu_cli_run("plan --profile '%s' --json", p);
    assert_int_equal(r.status, 0);
    j = cJSON_Parse(r.out);
    assert_int_equal(cJSON_GetObjectItem(j, "split")->valueint, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "offloading_layer_index")));
    cJSON_Delete(j);
    tu_cli_done(&r);

    /* no link: local only, the offloading costs are null */
    p = write_file("nolink.json", "{" GOOD_FIELDS ",\"rtt_ms\":5,\"bandwidth_bytes_per_s\":0}");
    r = tu_cli_run("plan --profile '%s' --json", p);
    assert_int_equal(r.status, 0);
    j = cJSON_Parse(r.out);
    assert_int_equal(cJSON_GetObjectItem(j, "split")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(j, "offloading_layer_index")->valueint, 2);
    assert_true(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "cost"), 0)));
    cJSON_Delete(j);
    tu_cli_done(&r);

    /* energy objective, and the human-readable form */
    p = write_file("energy.json", "{" GOOD_FIELDS ",\"rtt_ms\":5,\"bandwidth_bytes_per_s\":1000000,"
                                  "\"objective\":\"energy\",\"power_w\":{\"cpu\":0.3,\"tx\":0.8,\"idle\":0.05}}");
    r = tu_cli_run("plan --profile '%s'", p);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "split k = "));
    assert_non_null(strstr(r.out, "mJ"));
    tu_cli_done(&r);
}

static void plan_real_esp32_profile(void **st)
{
    (void)st;
    /* the reference system's ESP32-S3 numbers plus a Wi-Fi link */
    /* shared/profiles sits beside shared/models */
    const char *models = getenv("SCIOT_MODELS");
    char path[512];
    snprintf(path, sizeof path, "%s/../profiles/sciot_esp32s3_fomo_float.json", models ? models : "");
    FILE *f = models ? fopen(path, "r") : NULL;
    if (!f)
        skip();
    fclose(f);
    char *text = tu_slurp(path, NULL);
    cJSON *j = cJSON_Parse(text);
    free(text);
    cJSON_AddNumberToObject(j, "rtt_ms", 20);
    cJSON_AddNumberToObject(j, "bandwidth_bytes_per_s", 2e6);
    char *s = cJSON_Print(j);
    const char *p = write_file("esp32.json", s);
    free(s);
    cJSON_Delete(j);
    tu_result r = tu_cli_run("plan --profile '%s' --json", p);
    assert_int_equal(r.status, 0);
    j = cJSON_Parse(r.out);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "cost")), 60);
    assert_int_equal(cJSON_GetObjectItem(j, "split")->valueint, 0); /* 5 s on the device vs ~93 ms */
    cJSON_Delete(j);
    tu_cli_done(&r);
}

typedef struct {
    const char *json;
    const char *expect[3]; /* substrings of the error */
} bad_case;

static void plan_errors_name_the_field(void **st)
{
    (void)st;
    const bad_case cases[] = {
        {"{\"edge_us\":[1],\"cut_bytes\":[1,1],\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}", {"device_us", "missing"}},
        {"{\"device_us\":[1,2,3],\"cut_bytes\":[1,1,1,1],\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}",
         {"edge_us", "3"}},
        {"{\"device_us\":[1,2,3],\"edge_us\":[1,2],\"cut_bytes\":[1,1,1,1],\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}",
         {"edge_us", "has 2", "expected 3"}},
        {"{\"device_us\":[1,2,3],\"edge_us\":[1,2,3],\"cut_bytes\":[1,1,1],\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}",
         {"cut_bytes", "has 3", "expected 4"}},
        {"{" GOOD_FIELDS ",\"bandwidth_bytes_per_s\":1}", {"rtt_ms", "missing"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":1}", {"bandwidth_bytes_per_s", "missing"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":-1,\"bandwidth_bytes_per_s\":1}", {"rtt_ms", ">= 0"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":1,\"bandwidth_bytes_per_s\":\"fast\"}", {"bandwidth_bytes_per_s"}},
        {"{\"device_us\":[1,\"x\",3],\"edge_us\":[1,2,3],\"cut_bytes\":[1,1,1,1],\"rtt_ms\":1,"
         "\"bandwidth_bytes_per_s\":1}",
         {"device_us[1]", "not a number"}},
        {"{\"device_us\":[1,2,3],\"edge_us\":[1,-2,3],\"cut_bytes\":[1,1,1,1],\"rtt_ms\":1,"
         "\"bandwidth_bytes_per_s\":1}",
         {"edge_us[1]", ">= 0"}},
        {"{\"device_us\":[],\"edge_us\":[],\"cut_bytes\":[1],\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}",
         {"device_us", "empty"}},
        {"{\"device_us\":5,\"edge_us\":[1],\"cut_bytes\":[1,1],\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}",
         {"device_us", "array"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1,\"objective\":\"speed\"}", {"objective"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1,\"objective\":\"energy\"}",
         {"power_w", "energy"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1,\"objective\":\"energy\",\"power_w\":{\"cpu\":1,"
         "\"tx\":1}}",
         {"idle", "missing"}},
        {"{" GOOD_FIELDS ",\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1,\"objective\":\"weighted\"}", {"weights"}},
        {"{\"device_us\":[1,2,3],", {"not valid JSON"}},
        {"[1,2,3]", {"JSON object"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.json", i);
        const char *p = write_file(name, cases[i].json);
        tu_result r = tu_cli_run("plan --profile '%s' --json", p);
        if (r.status == 0 || tu_count_lines(r.err) != 1)
            fail_msg("case %zu: status %d, stderr '%s'", i, r.status, r.err);
        assert_non_null(strstr(r.err, name)); /* names the file */
        for (int k = 0; k < 3 && cases[i].expect[k]; k++)
            if (!strstr(r.err, cases[i].expect[k]))
                fail_msg("case %zu: '%s' not in '%s'", i, cases[i].expect[k], r.err);
        assert_int_equal(r.out[0], 0); /* nothing on stdout */
        tu_cli_done(&r);
    }
    tu_result r = tu_cli_run("plan --json");
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "--profile"));
    tu_cli_done(&r);
    r = tu_cli_run("plan --profile /nonexistent/p.json");
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "/nonexistent/p.json"));
    tu_cli_done(&r);
    r = tu_cli_run("plan --profile x.json --frobnicate");
    assert_int_not_equal(r.status, 0);
    assert_non_null(strstr(r.err, "--frobnicate"));
    tu_cli_done(&r);
    r = tu_cli_run("plan --help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage"));
    tu_cli_done(&r);
}

static void sim_contract_and_errors(void **st)
{
    (void)st;
    const char *p = write_file("sim.json", "{" GOOD_FIELDS ",\"noise_cv\":0.1,\"requests\":200,\"seed\":3,"
                                           "\"phases\":[{\"at\":0,\"rtt_ms\":5,\"bandwidth_bytes_per_s\":1e6},"
                                           "{\"at\":100,\"edge_down\":true},{\"at\":150,\"edge_down\":false}]}");
    tu_result r = tu_cli_run("sim '%s' --json", p);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    const char *keys[] = {"planner_ms", "oracle_ms", "device_only_ms", "edge_only_ms", "best_static_ms",
                          "regret_pct", "decision_accuracy_pct", "changes_per_100", "reconverge_requests",
                          "forced_local", "requests"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!cJSON_GetObjectItem(j, keys[i]))
            fail_msg("missing key %s", keys[i]);
    assert_int_equal(cJSON_GetObjectItem(j, "requests")->valueint, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "reconverge_requests")), 2);
    assert_int_equal(cJSON_GetObjectItem(j, "edge_down_requests")->valueint, 50);
    assert_int_equal(cJSON_GetObjectItem(j, "edge_down_local")->valueint, 50);
    /* the oracle is a lower bound of the policies in expectation */
    double orc = cJSON_GetObjectItem(j, "oracle_ms")->valuedouble;
    assert_true(orc <= cJSON_GetObjectItem(j, "best_static_ms")->valuedouble);
    /* deterministic */
    tu_result r2 = tu_cli_run("sim '%s' --json", p);
    assert_string_equal(r.out, r2.out);
    tu_cli_done(&r2);
    cJSON_Delete(j);
    tu_cli_done(&r);

    const bad_case cases[] = {
        {"{" GOOD_FIELDS ",\"requests\":10}", {"phases", "missing"}},
        {"{" GOOD_FIELDS ",\"phases\":[{\"at\":0,\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}]}", {"requests"}},
        {"{" GOOD_FIELDS ",\"requests\":10,\"phases\":[{\"at\":3,\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1}]}",
         {"phases[0]", "at"}},
        {"{" GOOD_FIELDS ",\"requests\":10,\"phases\":[{\"at\":0,\"bandwidth_bytes_per_s\":1}]}",
         {"phases[0]", "rtt_ms"}},
        {"{" GOOD_FIELDS ",\"requests\":10,\"phases\":[{\"at\":0,\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1},"
         "{\"at\":20}]}",
         {"phases[1]", "below requests"}},
        {"{\"device_us\":[1,2],\"edge_us\":[1],\"cut_bytes\":[1,1,1],\"requests\":10,\"phases\":[]}",
         {"edge_us", "expected 2"}},
        {"{" GOOD_FIELDS ",\"requests\":10,\"phases\":[{\"at\":0,\"rtt_ms\":1,\"bandwidth_bytes_per_s\":1,"
         "\"edge_down\":1}]}",
         {"edge_down", "true or false"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "badsim%zu.json", i);
        const char *q = write_file(name, cases[i].json);
        tu_result b = tu_cli_run("sim '%s' --json", q);
        if (b.status == 0 || tu_count_lines(b.err) != 1)
            fail_msg("case %zu: status %d, stderr '%s'", i, b.status, b.err);
        for (int k = 0; k < 3 && cases[i].expect[k]; k++)
            if (!strstr(b.err, cases[i].expect[k]))
                fail_msg("case %zu: '%s' not in '%s'", i, cases[i].expect[k], b.err);
        tu_cli_done(&b);
    }
    r = tu_cli_run("sim");
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    tu_cli_done(&r);
    r = tu_cli_run("sim --help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage"));
    tu_cli_done(&r);
}

int main(void)
{
    if (tu_cli_init())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_good_profile),
        cmocka_unit_test(plan_real_esp32_profile),
        cmocka_unit_test(plan_errors_name_the_field),
        cmocka_unit_test(sim_contract_and_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cli_cleanup();
    return rc;
}
