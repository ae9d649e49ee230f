/* test_store.c — the edge's SQLite store (src/edge/store.c), on real files
 * in a temporary directory, checked through a second, independent SQLite
 * connection where it matters:
 *   - a new database gets the schema (tables, user_version = 1, WAL);
 *   - re-opening is idempotent and keeps the data; ":memory:" works;
 *   - devices round-trip exactly: doubles bit for bit (random bit patterns,
 *     integral values, denormals, extremes; NaN = unknown comes back NaN),
 *     sample counts, NULL token/state; an update replaces the estimates and
 *     keeps created_ms; tokens are found by device;
 *   - the load callback may call the store;
 *   - inference rows: per-device and total counts, negative times stored as
 *     NULL; batching: fewer than 64 rows are invisible to other connections
 *     until flushed, 64 rows commit at once, a row added 50 ms after the
 *     first pending one commits the batch, close commits;
 *   - 8 threads inserting (and writing devices) at once lose nothing;
 *   - refusals with clear messages: a file that is not a database, a path
 *     that cannot be created, a database of a future schema version (99). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "edge/store.h"
#include "testutil.h"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int i;
    i = (i + 1) & 3;
    snprintf(path[i], sizeof path[i], "%s/%s", tmpdir, name);
    return path[i];
}

static edge_store *open_ok(const char *path)
{
    edge_store *s = NULL;
    sciot_error err = {0};
    if (edge_store_open(&s, path, &err))
        fail_msg("open %s: %s", path, err.msg);
    assert_non_null(s);
    return s;
}

/* An independent connection to look at the file. */
static sqlite3 *peek_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t peek_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int64_t peek_path_int(const char *path, const char *sql)
{
    sqlite3 *db = peek_open(path);
    int64_t v = peek_int(db, sql);
    sqlite3_close(db);
    return v;
}

static edge_inference_row make_row(const char *device, uint64_t req)
{
    edge_inference_row r = {
        .time_ms = 1700000000000LL + (int64_t)req,
        .device_id = device,
        .transport = "http",
        .request_id = req,
        .split = 3,
        .where = "split",
        .device_ms = 1.5,
        .network_ms = 2.25,
        .edge_ms = 0.75,
        .total_ms = 4.5,
        .bytes_up = 9216,
        .bytes_down = 128,
        .reason = "best",
        .prediction = "argmax=1 [-113,113]",
    };
    return r;
}

static void add_ok(edge_store *s, const edge_inference_row *r)
{
    sciot_error err = {0};
    if (edge_store_add_inference(s, r, &err))
        fail_msg("add: %s", err.msg);
}

/* ---- schema ------------------------------------------------------------------- */

static void schema_created(void **state)
{
    const char *path = tmp_path("schema.db");
    edge_store *s = open_ok(path);
    sqlite3 *db = peek_open(path);
    assert_int_equal(peek_int(db, "PRAGMA user_version"), EDGE_STORE_SCHEMA_VERSION);
    assert_int_equal(peek_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                                  "('devices', 'device_estimates', 'inferences')"),
                     3);
    /* every documented column */
    assert_int_equal(peek_int(db, "SELECT count(*) FROM pragma_table_info('devices') WHERE name IN "
                                  "('device_id','token','model_sha256','created_ms','last_seen_ms','split','state_json')"),
                     7);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM pragma_table_info('device_estimates') WHERE name IN "
                                  "('device_id','side','op','ema_us','samples')"),
                     5);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM pragma_table_info('inferences') WHERE name IN "
                                  "('id','time_ms','device_id','transport','request_id','split','where_','device_ms',"
                                  "'network_ms','edge_ms','total_ms','bytes_up','bytes_down','reason','prediction')"),
                     15);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    edge_store_close(s);
}

static void reopen_idempotent(void **state)
{
    const char *path = tmp_path("reopen.db");
    edge_store *s = open_ok(path);
    edge_inference_row r = make_row("a", 1);
    add_ok(s, &r);
    edge_store_close(s); /* commits the pending row */
    for (int i = 0; i < 3; i++) {
        s = open_ok(path);
        assert_int_equal(edge_store_count_inferences(s, NULL), 1);
        edge_store_close(s);
    }
    assert_int_equal(peek_path_int(path, "PRAGMA user_version"), 2);
    assert_int_equal(peek_path_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 3);

    /* an in-memory database */
    s = open_ok(":memory:");
    add_ok(s, &r);
    assert_int_equal(edge_store_count_inferences(s, NULL), 1);
    edge_store_close(s);
}

/* ---- devices -------------------------------------------------------------------- */

typedef struct {
    int n;
    char id[8][32];
    char *token[8], *sha[8], *json[8];
    int32_t split[8], n_ops[8];
    double *dev_ema[8], *edge_ema[8];
    uint32_t *dev_n[8], *edge_n[8];
} collected;

static void *dup_mem(const void *p, size_t n)
{
    if (!p)
        return NULL;
    void *r = malloc(n);
    assert_non_null(r);
    memcpy(r, p, n);
    return r;
}

static void collect_cb(void *user, const edge_device_row *d)
{
    collected *c = user;
    assert_true(c->n < 8);
    int i = c->n++;
    snprintf(c->id[i], sizeof c->id[i], "%s", d->device_id);
    c->token[i] = d->token ? strdup(d->token) : NULL;
    c->sha[i] = strdup(d->model_sha256);
    c->json[i] = d->state_json ? strdup(d->state_json) : NULL;
    c->split[i] = d->split;
    c->n_ops[i] = d->n_ops;
    size_t n = (size_t)d->n_ops;
    c->dev_ema[i] = dup_mem(d->dev_ema, n * sizeof(double));
    c->edge_ema[i] = dup_mem(d->edge_ema, n * sizeof(double));
    c->dev_n[i] = dup_mem(d->dev_n, n * sizeof(uint32_t));
    c->edge_n[i] = dup_mem(d->edge_n, n * sizeof(uint32_t));
}

static void collected_free(collected *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->token[i]);
        free(c->sha[i]);
        free(c->json[i]);
        free(c->dev_ema[i]);
        free(c->edge_ema[i]);
        free(c->dev_n[i]);
        free(c->edge_n[i]);
    }
    memset(c, 0, sizeof *c);
}

static void load_all(edge_store *s, collected *c)
{
    sciot_error err = {0};
    memset(c, 0, sizeof *c);
    if (edge_store_load_devices(s, collect_cb, c, &err))
        fail_msg("load: %s", err.msg);
}

static void assert_same_doubles(const double *a, const double *b, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (isnan(a[i])) {
            assert_true(isnan(b[i])); /* unknown stays unknown */
            continue;
        }
        uint64_t x, y;
        memcpy(&x, &a[i], 8);
        memcpy(&y, &b[i], 8);
        if (x != y)
            fail_msg("op %d: %.17g (0x%016llx) came back as %.17g (0x%016llx)", (int)i, a[i], (unsigned long long)x,
                     b[i], (unsigned long long)y);
    }
}

static void devices_round_trip(void **state)
{
    enum { N = 200 };
    const char *path = tmp_path("devices.db");
    double dev[N], edge[N];
    uint32_t dn[N], en[N];
    uint32_t rng = 12345;
    for (int i = 0; i < N; i++) {
        double v;
        do { /* random finite bit patterns, positive and negative */
            uint64_t bits = ((uint64_t)tu_rand(&rng) << 32) | tu_rand(&rng);
            memcpy(&v, &bits, 8);
        } while (!isfinite(v) || v == 0);
        dev[i] = v;
        edge[i] = (double)tu_rand(&rng) / 7.0;
        dn[i] = tu_rand(&rng);
        en[i] = (uint32_t)i;
    }
    /* special values */
    dev[0] = 3.0;                   /* integral: SQLite may store it as an integer */
    dev[1] = 4.9406564584124654e-324; /* smallest denormal */
    dev[2] = 1.7976931348623157e308;
    dev[3] = 0.1;
    dev[4] = 1e18;
    dev[5] = -2.5;
    dev[6] = NAN;                   /* unknown */
    edge[0] = 0.0;
    edge[1] = 123456.789;
    dn[0] = UINT32_MAX;

    edge_store *s = open_ok(path);
    sciot_error err = {0};
    edge_device_row a = {.device_id = "cam-01",
                         .token = "tok-a",
                         .model_sha256 = "aa11",
                         .split = 7,
                         .state_json = "{\"k\":7,\"net\":{\"rtt_us\":1234.5}}",
                         .n_ops = N,
                         .dev_ema = dev,
                         .edge_ema = edge,
                         .dev_n = dn,
                         .edge_n = en};
    edge_device_row b = {.device_id = "cam-02", .model_sha256 = "bb22", .split = 0}; /* no token/state/estimates */
    edge_device_row c = {.device_id = "cam-03",
                         .model_sha256 = "cc33",
                         .split = 3,
                         .n_ops = 3,
                         .dev_ema = dev}; /* device side only, no counts */
    assert_int_equal(edge_store_put_device(s, &a, &err), SCIOT_OK);
    assert_int_equal(edge_store_put_device(s, &b, &err), SCIOT_OK);
    assert_int_equal(edge_store_put_device(s, &c, &err), SCIOT_OK);
    edge_store_close(s);

    s = open_ok(path); /* from the file, not from a cache */
    collected got;
    load_all(s, &got);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.id[0], "cam-01");
    assert_string_equal(got.token[0], "tok-a");
    assert_string_equal(got.sha[0], "aa11");
    assert_string_equal(got.json[0], a.state_json);
    assert_int_equal(got.split[0], 7);
    assert_int_equal(got.n_ops[0], N);
    assert_same_doubles(dev, got.dev_ema[0], N);
    assert_same_doubles(edge, got.edge_ema[0], N);
    assert_memory_equal(dn, got.dev_n[0], sizeof dn);
    assert_memory_equal(en, got.edge_n[0], sizeof en);

    assert_string_equal(got.id[1], "cam-02");
    assert_null(got.token[1]);
    assert_null(got.json[1]);
    assert_int_equal(got.n_ops[1], 0);
    assert_null(got.dev_ema[1]);
    assert_null(got.edge_ema[1]);

    assert_string_equal(got.id[2], "cam-03");
    assert_int_equal(got.n_ops[2], 3);
    assert_same_doubles(dev, got.dev_ema[2], 3);
    assert_null(got.edge_ema[2]);
    assert_int_equal(got.dev_n[2][0], 0);
    collected_free(&got);

    /* tokens */
    char *t = edge_store_device_token(s, "cam-01");
    assert_non_null(t);
    assert_string_equal(t, "tok-a");
    free(t);
    assert_null(edge_store_device_token(s, "cam-02"));
    assert_null(edge_store_device_token(s, "nobody"));

    /* an update replaces the row and the estimates, keeps created_ms */
    sqlite3 *db = peek_open(path);
    int64_t created = peek_int(db, "SELECT created_ms FROM devices WHERE device_id = 'cam-01'");
    assert_true(created > 1600000000000LL);
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
    a.n_ops = 2;
    a.split = 1;
    a.token = NULL;
    a.state_json = "{}";
    a.edge_ema = NULL;
    assert_int_equal(edge_store_put_device(s, &a, &err), SCIOT_OK);
    assert_int_equal(peek_int(db, "SELECT created_ms FROM devices WHERE device_id = 'cam-01'"), created);
    assert_true(peek_int(db, "SELECT last_seen_ms FROM devices WHERE device_id = 'cam-01'") > created);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM device_estimates WHERE device_id = 'cam-01'"), 2);
    sqlite3_close(db);
    load_all(s, &got);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.n_ops[0], 2);
    assert_int_equal(got.split[0], 1);
    assert_null(got.token[0]);
    assert_string_equal(got.json[0], "{}");
    assert_null(got.edge_ema[0]);
    assert_same_doubles(dev, got.dev_ema[0], 2);
    collected_free(&got);

    /* bad arguments */
    edge_device_row bad = {.device_id = "x", .model_sha256 = NULL};
    assert_int_equal(edge_store_put_device(s, &bad, &err), SCIOT_ERR_INVALID_ARG);
    bad.model_sha256 = "m";
    bad.n_ops = -1;
    assert_int_equal(edge_store_put_device(s, &bad, &err), SCIOT_ERR_INVALID_ARG);
    edge_store_close(s);
}

/* The callback runs without the store's lock: it may use the store. */
typedef struct {
    edge_store *s;
    int calls, tokens;
} reentry;

static void reentry_cb(void *user, const edge_device_row *d)
{
    reentry *r = user;
    sciot_error err = {0};
    r->calls++;
    char *t = edge_store_device_token(r->s, d->device_id);
    if (t)
        r->tokens++;
    free(t);
    edge_inference_row row = make_row(d->device_id, 1);
    assert_int_equal(edge_store_add_inference(r->s, &row, &err), SCIOT_OK);
}

static void load_callback_may_use_store(void **state)
{
    edge_store *s = open_ok(tmp_path("reentry.db"));
    sciot_error err = {0};
    edge_device_row a = {.device_id = "a", .token = "t", .model_sha256 = "m"};
    edge_device_row b = {.device_id = "b", .model_sha256 = "m"};
    assert_int_equal(edge_store_put_device(s, &a, &err), SCIOT_OK);
    assert_int_equal(edge_store_put_device(s, &b, &err), SCIOT_OK);
    reentry r = {s, 0, 0};
    assert_int_equal(edge_store_load_devices(s, reentry_cb, &r, &err), SCIOT_OK);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.tokens, 1);
    assert_int_equal(edge_store_count_inferences(s, NULL), 2);
    edge_store_close(s);
}

/* ---- inferences ------------------------------------------------------------------- */

static void inference_counts(void **state)
{
    const char *path = tmp_path("counts.db");
    edge_store *s = open_ok(path);
    assert_int_equal(edge_store_count_inferences(s, NULL), 0);
    assert_int_equal(edge_store_count_inferences(s, "a"), 0);
    for (uint64_t i = 0; i < 150; i++) {
        edge_inference_row r = make_row(i % 3 ? "a" : "b", i);
        if (i == 7) { /* unknown times and optional strings */
            r.device_ms = -1;
            r.network_ms = -1;
            r.edge_ms = -1;
            r.total_ms = -1;
            r.where = NULL;
            r.reason = NULL;
            r.prediction = NULL;
            r.transport = "mqtt";
        }
        if (i == 8)
            r.request_id = UINT64_MAX;
        add_ok(s, &r);
    }
    assert_int_equal(edge_store_count_inferences(s, NULL), 150);
    assert_int_equal(edge_store_count_inferences(s, "a"), 100);
    assert_int_equal(edge_store_count_inferences(s, "b"), 50);
    assert_int_equal(edge_store_count_inferences(s, "c"), 0);
    edge_store_close(s);

    sqlite3 *db = peek_open(path);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences WHERE request_id = 7 AND device_ms IS NULL AND "
                                  "network_ms IS NULL AND edge_ms IS NULL AND total_ms IS NULL AND where_ IS NULL AND "
                                  "reason IS NULL AND prediction IS NULL AND transport = 'mqtt'"),
                     1);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences WHERE request_id = 3 AND device_ms = 1.5 AND "
                                  "network_ms = 2.25 AND edge_ms = 0.75 AND total_ms = 4.5 AND bytes_up = 9216 AND "
                                  "bytes_down = 128 AND split = 3 AND where_ = 'split' AND reason = 'best' AND "
                                  "prediction = 'argmax=1 [-113,113]' AND time_ms = 1700000000003"),
                     1);
    /* u64 request ids keep their bits (read back as int64) */
    assert_int_equal((uint64_t)peek_int(db, "SELECT request_id FROM inferences WHERE id = 9"), UINT64_MAX);
    sqlite3_close(db);

    /* bad arguments */
    s = open_ok(path);
    sciot_error err = {0};
    edge_inference_row r = make_row(NULL, 1);
    assert_int_equal(edge_store_add_inference(s, &r, &err), SCIOT_ERR_INVALID_ARG);
    edge_store_close(s);
}

static void batching(void **state)
{
    const char *path = tmp_path("batch.db");
    edge_store *s = open_ok(path);
    sqlite3 *db = peek_open(path);
    sciot_error err = {0};
    /* fewer than 64 rows: pending, invisible to another connection */
    for (uint64_t i = 0; i < 10; i++) {
        edge_inference_row r = make_row("a", i);
        add_ok(s, &r);
    }
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 0);
    assert_int_equal(edge_store_flush(s, &err), SCIOT_OK);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 10);
    assert_int_equal(edge_store_flush(s, &err), SCIOT_OK); /* nothing pending: fine */

    /* the 64th pending row commits the batch */
    for (uint64_t i = 0; i < 63; i++) {
        edge_inference_row r = make_row("a", 100 + i);
        add_ok(s, &r);
    }
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 10);
    edge_inference_row r = make_row("a", 200);
    add_ok(s, &r);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 74);

    /* a row added 50 ms after the first pending one commits the batch */
    r = make_row("a", 300);
    add_ok(s, &r);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 74);
    struct timespec ts = {0, 60 * 1000000};
    nanosleep(&ts, NULL);
    r = make_row("a", 301);
    add_ok(s, &r);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 76);

    /* counting sees pending rows (it commits them) */
    r = make_row("b", 400);
    add_ok(s, &r);
    assert_int_equal(edge_store_count_inferences(s, "b"), 1);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 77);

    /* a device write commits pending rows first and is visible at once */
    r = make_row("b", 401);
    add_ok(s, &r);
    edge_device_row d = {.device_id = "b", .model_sha256 = "m", .split = 2};
    assert_int_equal(edge_store_put_device(s, &d, &err), SCIOT_OK);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 78);
    assert_int_equal(peek_int(db, "SELECT split FROM devices WHERE device_id = 'b'"), 2);

    /* close commits */
    r = make_row("b", 402);
    add_ok(s, &r);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 78);
    edge_store_close(s);
    assert_int_equal(peek_int(db, "SELECT count(*) FROM inferences"), 79);
    sqlite3_close(db);
}

/* ---- threads ------------------------------------------------------------------------ */

enum { THREADS = 8, ROWS_PER_THREAD = 1000 };

typedef struct {
    edge_store *s;
    int id;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    char dev[32];
    snprintf(dev, sizeof dev, "dev-%d", w->id);
    double ema[4] = {1, 2, 3, 4};
    for (int i = 0; i < ROWS_PER_THREAD; i++) {
        sciot_error err = {0};
        edge_inference_row r = make_row(dev, (uint64_t)(w->id * ROWS_PER_THREAD + i));
        if (edge_store_add_inference(w->s, &r, &err))
            w->failures++;
        if (i % 100 == 0) {
            ema[0] = i;
            edge_device_row d = {.device_id = dev, .model_sha256 = "m", .split = i % 5, .n_ops = 4, .dev_ema = ema};
            if (edge_store_put_device(w->s, &d, &err))
                w->failures++;
        }
        if (i % 250 == 0 && edge_store_count_inferences(w->s, dev) < 0)
            w->failures++;
    }
    return NULL;
}

static void threads_lose_nothing(void **state)
{
    const char *path = tmp_path("threads.db");
    edge_store *s = open_ok(path);
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){s, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    assert_int_equal(edge_store_count_inferences(s, NULL), THREADS * ROWS_PER_THREAD);
    for (int i = 0; i < THREADS; i++) {
        char dev[32];
        snprintf(dev, sizeof dev, "dev-%d", i);
        assert_int_equal(edge_store_count_inferences(s, dev), ROWS_PER_THREAD);
    }
    edge_store_close(s);
    assert_int_equal(peek_path_int(path, "SELECT count(DISTINCT request_id) FROM inferences"),
                     THREADS * ROWS_PER_THREAD);
    assert_int_equal(peek_path_int(path, "SELECT count(*) FROM devices"), THREADS);
    assert_int_equal(peek_path_int(path, "SELECT count(*) FROM device_estimates"), THREADS * 4);
}

/* ---- refusals ------------------------------------------------------------------------ */

static void expect_open_error(const char *path, sciot_status want_status, const char *want)
{
    edge_store *s = (edge_store *)1;
    sciot_error err = {0};
    sciot_status st = edge_store_open(&s, path, &err);
    if (getenv("SCIOT_TEST_VERBOSE"))
        printf("    %s\n", err.msg);
    assert_int_not_equal(st, SCIOT_OK);
    if (want_status)
        assert_int_equal(st, want_status);
    assert_null(s);
    if (!strstr(err.msg, path))
        fail_msg("message '%s' does not name %s", err.msg, path);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
}

static void not_a_database(void **state)
{
    const char *path = tmp_path("text.db");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fprintf(f, "this is a text file, line %d, not an SQLite database\n", i);
    fclose(f);
    expect_open_error(path, SCIOT_ERR_BAD_IDENTIFIER, "file is not a database");
    /* and the file is untouched */
    f = fopen(path, "rb");
    char head[16] = {0};
    assert_int_equal(fread(head, 1, 15, f), 15);
    fclose(f);
    assert_string_equal(head, "this is a text ");
}

static void unwritable_path(void **state)
{
    /* a path under a regular file cannot be created, even by root */
    const char *file = tmp_path("plainfile");
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fclose(f);
    char path[600];
    snprintf(path, sizeof path, "%s/sub/x.db", file);
    expect_open_error(path, SCIOT_ERR_IO, "unable to open database file");
    expect_open_error("/nonexistent-dir-sciot/x.db", SCIOT_ERR_IO, "unable to open database file");
    edge_store *s;
    sciot_error err = {0};
    assert_int_equal(edge_store_open(&s, "", &err), SCIOT_ERR_INVALID_ARG);
}

static void future_schema(void **state)
{
    const char *path = tmp_path("future.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE devices (x); PRAGMA user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_open_error(path, SCIOT_ERR_BAD_VERSION, "schema version 99 is newer than this build supports (2)");
    /* refused without touching it */
    assert_int_equal(peek_path_int(path, "PRAGMA user_version"), 99);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sciot_edge_store_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_created),   cmocka_unit_test(reopen_idempotent),
        cmocka_unit_test(devices_round_trip), cmocka_unit_test(load_callback_may_use_store),
        cmocka_unit_test(inference_counts), cmocka_unit_test(batching),
        cmocka_unit_test(threads_lose_nothing), cmocka_unit_test(not_a_database),
        cmocka_unit_test(unwritable_path),  cmocka_unit_test(future_schema),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
