/* test_client_restart.c — no lost results: the edge is killed (SIGKILL) in
 * the middle of a `sciot device` run over HTTP and started again on the same
 * port and database.
 *
 *   - the run completes with every result (golden predictions, exit 0);
 *   - while the edge is gone every inference is local and its LOCAL report
 *     goes to the on-disk queue; once the edge is back the device registers
 *     again and delivers the queue, oldest first, so the edge's history (the
 *     SQLite `inferences` table) holds exactly N rows for the device, one per
 *     request id;
 *   - the device returns to split decisions (offloading) after the outage.
 *
 * The edge commits history rows in batches (at most 50 ms old: see
 * docs/EDGE.md); a SIGKILL loses the rows of its last moments, which the
 * device cannot know about since it had its replies. So that the count
 * tests the device and not that window, the device is paused (SIGSTOP)
 * around the kill: the edge answers what it has, commits, and then dies. */
#include "client_harness.h"

#include <sqlite3.h>

#define N_OPS 31
#define COUNT 40

static long long db_count(const char *db, const char *device_id, const char *sql_fmt)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char sql[300];
    snprintf(sql, sizeof sql, sql_fmt, device_id);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_kill_and_restart(void **state)
{
    (void)state;
    char db[600], q[600], url[64], count[16];
    snprintf(db, sizeof db, "%s/restart.db", h_tmp);
    snprintf(q, sizeof q, "%s/q-restart", h_tmp);
    snprintf(count, sizeof count, "%d", COUNT);
    h_edge e;
    h_edge_start(&e, "edge-r1", 0, db, NULL, NULL);
    int port = e.port;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    h_device d;
    const char *args[] = {"--edge", url, "--count", count, "--interval", "100", "--device-id", "dev-restart",
                          "--queue", q, "--slowdown", "30", "--timeout-ms", "2000", NULL};
    h_device_start(&d, "dev-restart", args);

    /* let it run with the edge for a while */
    uint64_t end = h_ms() + 30000;
    while (h_count_lines(d.out) < 10 && h_ms() < end)
        h_sleep_ms(20);
    assert_true(h_count_lines(d.out) >= 10);

    kill(d.pid, SIGSTOP);
    h_sleep_ms(400);
    kill(e.pid, SIGKILL);
    assert_int_equal(h_wait(e.pid, 10000), 128 + SIGKILL);
    e.pid = 0;
    kill(d.pid, SIGCONT);

    /* a few requests without an edge: local, queued */
    int at_kill = h_count_lines(d.out);
    end = h_ms() + 30000;
    while (h_count_lines(d.out) < at_kill + 6 && h_ms() < end)
        h_sleep_ms(20);
    assert_true(h_count_lines(d.out) >= at_kill + 6);
    assert_true(h_dir_frames(q) >= 5);

    h_edge_start(&e, "edge-r2", port, db, NULL, NULL);
    int st = h_device_wait(&d, 50000, NULL);
    assert_int_equal(st, 0);

    cJSON *lines = h_lines(d.out);
    assert_int_equal(cJSON_GetArraySize(lines), COUNT);
    h_check_outputs(lines);
    h_check_where(lines);
    int queued = 0, last_queued = -1, offloaded_after = 0, i = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, lines)
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "queued"))) {
            queued++;
            last_queued = i;
        }
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(l, lines)
    {
        if (i++ > last_queued && h_num(l, "split") < N_OPS)
            offloaded_after++;
    }
    assert_true(queued >= 5);
    if (offloaded_after == 0)
        fail_msg("no split decision after the edge came back (%d requests after the outage)", COUNT - 1 - last_queued);
    cJSON_Delete(lines);
    /* registered again once the edge was back; the queue is empty */
    assert_true(h_registered_split(d.err, 2) >= 0);
    assert_int_equal(h_dir_frames(q), 0);

    /* the edge's history holds every request exactly once */
    assert_int_equal(h_edge_stop(&e), 0);
    assert_int_equal(db_count(db, "dev-restart", "SELECT count(*) FROM inferences WHERE device_id = '%s'"), COUNT);
    assert_int_equal(
        db_count(db, "dev-restart", "SELECT count(DISTINCT request_id) FROM inferences WHERE device_id = '%s'"),
        COUNT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_and_restart),
    };
    return cmocka_run_group_tests(tests, h_setup, h_teardown);
}
