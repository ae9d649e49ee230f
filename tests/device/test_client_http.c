/* test_client_http.c — `sciot device` over HTTP against the real `sciot edge`
 * (both as subprocesses), on person_detect with the TFLM person image:
 *
 *   - split run: every prediction equals the golden output; every split is
 *     the one the edge decided (registration, then each reply's next
 *     decision); the edge counted every inference;
 *   - edge never started: every inference local and correct, exit 0, a
 *     one-line warning, each LOCAL report queued on disk;
 *   - decisions k = N (edge config local_inference_mode, probability 1):
 *     every operator runs on the device (device_ms > 0, edge_ms = 0,
 *     where "local") and every report reaches the edge;
 *   - an edge that accepts connections and never answers: each request
 *     costs at most about the timeout, every result local and correct;
 *   - the queue bound (--queue-max: the oldest report goes, with a warning)
 *     and reports queued by an earlier run delivered by the next one. */
#include "client_harness.h"

#define N_OPS 31 /* person_detect */

static void test_split_run(void **state)
{
    (void)state;
    h_split_run("http", "http://127.0.0.1:%d", N_OPS);
}

static void test_edge_never_started(void **state)
{
    (void)state;
    char q[600], url[64];
    snprintf(q, sizeof q, "%s/q-never", h_tmp);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", h_free_port()); /* nothing listens there */
    h_device d;
    const char *args[] = {"--edge", url, "--count", "5", "--device-id", "dev-never", "--queue", q, NULL};
    h_device_start(&d, "dev-never", args);
    uint64_t wall;
    assert_int_equal(h_device_wait(&d, 50000, &wall), 0);
    cJSON *lines = h_lines(d.out);
    assert_int_equal(cJSON_GetArraySize(lines), 5);
    h_check_outputs(lines);
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(l, "where")->valuestring, "local");
        assert_int_equal((int)h_num(l, "split"), N_OPS);
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(l, "error")));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "queued")));
        assert_true(h_num(l, "device_ms") > 0);
    }
    cJSON_Delete(lines);
    /* one clear warning, not one per request; the summary says it */
    char *err = h_slurp(d.err);
    int warnings = 0;
    for (const char *p = err; (p = strstr(p, "warning: edge")) != NULL; p++)
        warnings++;
    assert_int_equal(warnings, 1);
    assert_non_null(strstr(err, "never reachable"));
    free(err);
    /* refused connections cost nothing like a timeout */
    assert_true(wall < 20000);
    assert_int_equal(h_dir_frames(q), 5);
}

static void test_local_decisions(void **state)
{
    (void)state;
    char db[600], q[600], cfg[600], url[64];
    snprintf(db, sizeof db, "%s/local.db", h_tmp);
    snprintf(q, sizeof q, "%s/q-local", h_tmp);
    snprintf(cfg, sizeof cfg, "%s/local.yaml", h_tmp);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs("local_inference_mode:\n  enabled: true\n  probability: 1.0\n", f);
    fclose(f);
    h_edge e;
    h_edge_start(&e, "edge-local", 0, db, cfg, NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", e.port);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "8", "--device-id", "dev-local", "--queue", q, "--slowdown", "2",
                          NULL};
    h_device_start(&d, "dev-local", args);
    assert_int_equal(h_device_wait(&d, 50000, NULL), 0);
    cJSON *lines = h_lines(d.out);
    assert_int_equal(cJSON_GetArraySize(lines), 8);
    h_check_outputs(lines);
    assert_int_equal(h_registered_split(d.err, 1), N_OPS);
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        assert_int_equal((int)h_num(l, "split"), N_OPS);
        assert_int_equal((int)h_num(l, "next_split"), N_OPS);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(l, "where")->valuestring, "local");
        assert_true(h_num(l, "device_ms") > 0);
        assert_true(h_num(l, "edge_ms") == 0);
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l, "error")));
        assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "queued")));
    }
    cJSON_Delete(lines);
    /* the LOCAL reports all reached the edge */
    cJSON *root;
    cJSON *dev = h_edge_device(e.port, "dev-local", &root);
    assert_non_null(dev);
    assert_int_equal((int)h_num(dev, "inferences"), 8);
    assert_int_equal((int)h_num(dev, "local_reports"), 8);
    cJSON_Delete(root);
    assert_int_equal(h_dir_frames(q), 0);
    assert_int_equal(h_edge_stop(&e), 0);
}

static void test_timeout(void **state)
{
    (void)state;
    enum { COUNT = 4, TIMEOUT_MS = 1000, MARGIN_MS = 1000 };
    char q[600], url[64], tms[16];
    h_fake fake;
    h_fake_start(&fake);
    snprintf(q, sizeof q, "%s/q-timeout", h_tmp);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fake.port);
    snprintf(tms, sizeof tms, "%d", TIMEOUT_MS);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "4", "--device-id", "dev-timeout", "--queue", q, "--timeout-ms",
                          tms, NULL};
    h_device_start(&d, "dev-timeout", args);
    uint64_t wall;
    int st = h_device_wait(&d, 50000, &wall);
    h_fake_stop(&fake);
    assert_int_equal(st, 0);
    /* registration + COUNT requests, each bounded by the timeout */
    if (wall > (uint64_t)COUNT * (TIMEOUT_MS + MARGIN_MS))
        fail_msg("the run took %llu ms, more than %d x (%d + %d) ms", (unsigned long long)wall, COUNT, TIMEOUT_MS,
                 MARGIN_MS);
    cJSON *lines = h_lines(d.out);
    assert_int_equal(cJSON_GetArraySize(lines), COUNT);
    h_check_outputs(lines);
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(l, "where")->valuestring, "local");
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(l, "error")));
        if (h_num(l, "total_ms") > TIMEOUT_MS + 500)
            fail_msg("request %g took %g ms with a %d ms timeout", h_num(l, "request"), h_num(l, "total_ms"),
                     TIMEOUT_MS);
    }
    cJSON_Delete(lines);
    assert_int_equal(h_dir_frames(q), COUNT);
}

static void test_queue_bound_and_later_delivery(void **state)
{
    (void)state;
    char q[600], url[64], db[600];
    snprintf(q, sizeof q, "%s/q-bound", h_tmp);
    snprintf(db, sizeof db, "%s/bound.db", h_tmp);
    int port = h_free_port();
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    /* no edge: 6 inferences into a queue of 4 */
    h_device d;
    const char *args[] = {"--edge", url, "--count", "6", "--device-id", "dev-bound", "--queue", q, "--queue-max", "4",
                          NULL};
    h_device_start(&d, "dev-bound-1", args);
    assert_int_equal(h_device_wait(&d, 50000, NULL), 0);
    assert_int_equal(h_dir_frames(q), 4);
    char *err = h_slurp(d.err);
    int dropped = 0;
    for (const char *p = err; (p = strstr(p, "queue full")) != NULL; p++)
        dropped++;
    free(err);
    assert_int_equal(dropped, 2);
    /* the next run, with an edge on that port: the 4 queued reports of the
     * first run reach the edge after its first exchange */
    h_edge e;
    h_edge_start(&e, "edge-bound", port, db, NULL, NULL);
    const char *args2[] = {"--edge", url, "--count", "2", "--device-id", "dev-bound", "--queue", q, "--queue-max", "4",
                           NULL};
    h_device_start(&d, "dev-bound-2", args2);
    assert_int_equal(h_device_wait(&d, 50000, NULL), 0);
    assert_true(h_file_contains(d.err, "4 report(s) of an earlier run queued"));
    assert_int_equal(h_dir_frames(q), 0);
    cJSON *root;
    cJSON *dev = h_edge_device(e.port, "dev-bound", &root);
    assert_non_null(dev);
    assert_int_equal((int)h_num(dev, "inferences"), 4 + 2);
    cJSON_Delete(root);
    assert_int_equal(h_edge_stop(&e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_run),
        cmocka_unit_test(test_edge_never_started),
        cmocka_unit_test(test_local_decisions),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_queue_bound_and_later_delivery),
    };
    return cmocka_run_group_tests(tests, h_setup, h_teardown);
}
