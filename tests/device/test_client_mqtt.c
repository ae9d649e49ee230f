/* test_client_mqtt.c — `sciot device` over MQTT v5 (libmosquitto) through a
 * real broker (`mosquitto` on a free loopback port, started here) to the
 * real `sciot edge --mqtt`:
 *
 *   - split run: golden predictions, every split the edge's decision (the
 *     registration on P/<id>/register answered on P/<id>/registered, then
 *     each REPLY on P/<id>/reply), the edge counted every inference;
 *   - broker reachable but no edge subscribed: each request costs at most
 *     about the timeout, results local and correct, exit 0;
 *   - no broker at all: every inference local and correct, exit 0, quickly
 *     (only the first call waits for the connection). */
#include "client_harness.h"

#define N_OPS 31

static void test_split_run(void **state)
{
    (void)state;
    char db[600], q[600], prof[600], url[64];
    h_broker b;
    h_broker_start(&b);
    snprintf(db, sizeof db, "%s/mqtt.db", h_tmp);
    snprintf(q, sizeof q, "%s/q-mqtt", h_tmp);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", b.port);
    h_write_profile(prof, sizeof prof, N_OPS);
    h_edge e;
    h_edge_start(&e, "edge-mqtt", 0, db, NULL, url);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "20", "--device-id", "dev-mqtt", "--queue", q, "--profile", prof,
                          NULL};
    h_device_start(&d, "dev-mqtt", args);
    int st = h_device_wait(&d, 50000, NULL);
    assert_int_equal(st, 0);
    h_check_split_run(&d, &e, "dev-mqtt", 20);
    assert_int_equal(h_dir_frames(q), 0);
    assert_int_equal(h_edge_stop(&e), 0);
    h_broker_stop(&b);
}

static void test_no_edge_subscribed(void **state)
{
    (void)state;
    enum { COUNT = 3, TIMEOUT_MS = 1000, MARGIN_MS = 1000 };
    char q[600], url[64], tms[16];
    h_broker b;
    h_broker_start(&b);
    snprintf(q, sizeof q, "%s/q-mqtt-noedge", h_tmp);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", b.port);
    snprintf(tms, sizeof tms, "%d", TIMEOUT_MS);
    h_device d;
    const char *args[] = {"--edge", url, "--count", "3", "--device-id", "dev-mqtt-noedge", "--queue", q,
                          "--timeout-ms", tms, NULL};
    h_device_start(&d, "dev-mqtt-noedge", args);
    uint64_t wall;
    int st = h_device_wait(&d, 50000, &wall);
    h_broker_stop(&b);
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
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "queued")));
    }
    cJSON_Delete(lines);
    assert_int_equal(h_dir_frames(q), COUNT);
}

static void test_no_broker(void **state)
{
    (void)state;
    char q[600], url[64];
    snprintf(q, sizeof q, "%s/q-mqtt-nobroker", h_tmp);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", h_free_port());
    h_device d;
    const char *args[] = {"--edge", url, "--count", "5", "--device-id", "dev-mqtt-nobroker", "--queue", q,
                          "--timeout-ms", "1000", NULL};
    h_device_start(&d, "dev-mqtt-nobroker", args);
    uint64_t wall;
    assert_int_equal(h_device_wait(&d, 50000, &wall), 0);
    assert_true(wall < 1000 + 5000); /* one wait for the broker, then no more */
    cJSON *lines = h_lines(d.out);
    assert_int_equal(cJSON_GetArraySize(lines), 5);
    h_check_outputs(lines);
    cJSON_Delete(lines);
    assert_true(h_file_contains(d.err, "warning: edge"));
    assert_int_equal(h_dir_frames(q), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_run),
        cmocka_unit_test(test_no_edge_subscribed),
        cmocka_unit_test(test_no_broker),
    };
    return cmocka_run_group_tests(tests, h_setup, h_teardown);
}
