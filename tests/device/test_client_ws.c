/* test_client_ws.c — `sciot device` over WebSocket (civetweb's client)
 * against the real `sciot edge`:
 *
 *   - split run: golden predictions, every split the edge's decision, the
 *     edge counted every inference;
 *   - an edge that accepts TCP connections and never completes the upgrade:
 *     each request costs at most about the timeout (the handshake runs on a
 *     helper thread the request does not wait for beyond its timeout), every
 *     result local and correct, exit 0;
 *   - the edge stopped mid-run (SIGTERM) and started again on the same port:
 *     the client connects again by itself, the run completes, the queued
 *     reports are delivered. */
#include "client_harness.h"

#define N_OPS 31

static void test_split_run(void **state)
{
    (void)state;
    h_split_run("ws", "ws://127.0.0.1:%d/ws", N_OPS);
}

static void test_timeout(void **state)
{
    (void)state;
    enum { COUNT = 4, TIMEOUT_MS = 1000, MARGIN_MS = 1000 };
    char q[600], url[64], tms[16];
    h_fake fake;
    h_fake_start(&fake);
    snprintf(q, sizeof q, "%s/q-ws-timeout", h_tmp);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws", fake.port);
    snprintf(tms, sizeof tms, "%d", TIMEOUT_MS);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "4", "--device-id", "dev-ws-timeout", "--queue", q,
                          "--timeout-ms", tms, NULL};
    h_device_start(&d, "dev-ws-timeout", args);
    uint64_t wall;
    int st = h_device_wait(&d, 50000, &wall);
    h_fake_stop(&fake);
    assert_int_equal(st, 0);
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
        if (h_num(l, "total_ms") > TIMEOUT_MS + 500)
            fail_msg("request %g took %g ms with a %d ms timeout", h_num(l, "request"), h_num(l, "total_ms"),
                     TIMEOUT_MS);
    }
    cJSON_Delete(lines);
    assert_int_equal(h_dir_frames(q), COUNT);
}

static void test_reconnect(void **state)
{
    (void)state;
    enum { COUNT = 30 };
    char db[600], q[600], url[64];
    snprintf(db, sizeof db, "%s/ws-re.db", h_tmp);
    snprintf(q, sizeof q, "%s/q-ws-re", h_tmp);
    h_edge e;
    h_edge_start(&e, "edge-ws-re1", 0, db, NULL, NULL);
    int port = e.port;
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws", port);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "30", "--interval", "100", "--device-id", "dev-ws-re",
                          "--queue", q, "--slowdown", "20", "--timeout-ms", "2000", NULL};
    h_device_start(&d, "dev-ws-re", args);
    uint64_t end = h_ms() + 30000;
    while (h_count_lines(d.out) < 8 && h_ms() < end)
        h_sleep_ms(20);
    assert_true(h_count_lines(d.out) >= 8);
    assert_int_equal(h_edge_stop(&e), 0); /* graceful: it finishes what it took */
    end = h_ms() + 30000;
    int at_stop = h_count_lines(d.out);
    while (h_count_lines(d.out) < at_stop + 5 && h_ms() < end)
        h_sleep_ms(20);
    h_edge_start(&e, "edge-ws-re2", port, db, NULL, NULL);
    assert_int_equal(h_device_wait(&d, 50000, NULL), 0);
    cJSON *lines = h_lines(d.out);
    assert_int_equal(cJSON_GetArraySize(lines), COUNT);
    h_check_outputs(lines);
    h_check_where(lines);
    int queued = 0, back = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "queued")))
            queued++;
        else if (queued && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l, "error")))
            back++;
    }
    cJSON_Delete(lines);
    assert_true(queued >= 3);
    assert_true(back >= 1); /* talked to the edge again after the outage */
    assert_int_equal(h_dir_frames(q), 0);
    assert_int_equal(h_edge_stop(&e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_run),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_reconnect),
    };
    return cmocka_run_group_tests(tests, h_setup, h_teardown);
}
