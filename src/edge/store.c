/* store.c — the edge's persistent state in SQLite (see store.h, docs/EDGE.md).
 *
 * One connection (opened SQLITE_OPEN_NOMUTEX) behind one pthread mutex; all
 * statements are prepared once at open and reset after each use.
 * Journal: WAL, synchronous=NORMAL (a commit is durable against a process
 * crash at once and against a power loss after the next checkpoint).
 *
 * Inference rows are batched: the first add opens a write transaction
 * (BEGIN IMMEDIATE), later adds insert into it, and it is committed when 64
 * rows are pending or when an add finds that 50 ms have passed since the
 * first pending row; edge_store_flush and edge_store_close commit whatever is
 * pending. Every other write (devices) and every read first commits the
 * pending batch, so that readers (also in other processes) see all rows and
 * a device write is durable on its own.
 *
 * Schema versions: PRAGMA user_version. migrations[] below is append-only:
 * migration i brings the schema from version i to i + 1 and runs in one
 * transaction together with the user_version update. A database whose
 * version is newer than this build knows is refused. */
#include "edge/store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define BATCH_ROWS 64
#define BATCH_NS (50 * 1000000LL)
#define BUSY_TIMEOUT_MS 5000

/* ---- migrations (append only) ------------------------------------------ */

static const char *const migrations[] = {
    /* 0 -> 1: the initial schema. */
    "CREATE TABLE devices ("
    "  device_id    TEXT PRIMARY KEY NOT NULL,"
    "  token        TEXT,"
    "  model_sha256 TEXT NOT NULL,"
    "  created_ms   INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL,"
    "  split        INTEGER NOT NULL,"
    "  state_json   TEXT"
    ");"
    "CREATE TABLE device_estimates ("
    "  device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,"
    "  side      TEXT NOT NULL CHECK (side IN ('device', 'edge')),"
    "  op        INTEGER NOT NULL CHECK (op >= 0),"
    "  ema_us    REAL,"
    "  samples   INTEGER NOT NULL,"
    "  PRIMARY KEY (device_id, side, op)"
    ") WITHOUT ROWID;"
    "CREATE TABLE inferences ("
    "  id         INTEGER PRIMARY KEY,"
    "  time_ms    INTEGER NOT NULL,"
    "  device_id  TEXT NOT NULL,"
    "  transport  TEXT NOT NULL,"
    "  request_id INTEGER,"
    "  split      INTEGER,"
    "  where_     TEXT CHECK (where_ IN ('split', 'local', 'edge')),"
    "  device_ms  REAL,"
    "  network_ms REAL,"
    "  edge_ms    REAL,"
    "  total_ms   REAL,"
    "  bytes_up   INTEGER,"
    "  bytes_down INTEGER,"
    "  reason     TEXT,"
    "  prediction TEXT"
    ");"
    "CREATE INDEX inferences_device_time ON inferences (device_id, time_ms);",
    /* 1 -> 2: find a device's request fast (duplicate reports, audits). */
    "CREATE INDEX inferences_device_request ON inferences (device_id, request_id);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

_Static_assert(N_MIGRATIONS == EDGE_STORE_SCHEMA_VERSION, "one migration per schema version");

/* ---- the store ------------------------------------------------------------- */

enum {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_UPSERT_DEVICE,
    ST_DELETE_ESTIMATES,
    ST_INSERT_ESTIMATE,
    ST_INSERT_INFERENCE,
    ST_COUNT_ALL,
    ST_COUNT_DEVICE,
    ST_HAS_REQUEST,
    ST_TOKEN,
    ST_LOAD_DEVICES,
    ST_LOAD_ESTIMATES,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_UPSERT_DEVICE] =
        "INSERT INTO devices (device_id, token, model_sha256, created_ms, last_seen_ms, split, state_json) "
        "VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6) "
        "ON CONFLICT (device_id) DO UPDATE SET token = excluded.token, model_sha256 = excluded.model_sha256, "
        "last_seen_ms = excluded.last_seen_ms, split = excluded.split, state_json = excluded.state_json",
    [ST_DELETE_ESTIMATES] = "DELETE FROM device_estimates WHERE device_id = ?1",
    [ST_INSERT_ESTIMATE] = "INSERT INTO device_estimates (device_id, side, op, ema_us, samples) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_INSERT_INFERENCE] =
        "INSERT INTO inferences (time_ms, device_id, transport, request_id, split, where_, device_ms, network_ms, "
        "edge_ms, total_ms, bytes_up, bytes_down, reason, prediction) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_COUNT_ALL] = "SELECT count(*) FROM inferences",
    [ST_COUNT_DEVICE] = "SELECT count(*) FROM inferences WHERE device_id = ?1",
    [ST_HAS_REQUEST] = "SELECT 1 FROM inferences WHERE device_id = ?1 AND request_id = ?2 LIMIT 1",
    [ST_TOKEN] = "SELECT token FROM devices WHERE device_id = ?1",
    [ST_LOAD_DEVICES] = "SELECT device_id, token, model_sha256, split, state_json FROM devices ORDER BY device_id",
    [ST_LOAD_ESTIMATES] = "SELECT side, op, ema_us, samples FROM device_estimates WHERE device_id = ?1 ORDER BY side, op",
};

struct edge_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT_];
    pthread_mutex_t mu;
    int batch_open;       /* a BEGIN IMMEDIATE of inference rows is open */
    int pending;          /* rows inserted in it */
    int64_t first_ns;     /* monotonic time of its first row */
    char path[1024];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ms_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static sciot_status db_fail(edge_store *s, sciot_error *err, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    sciot_status st = (code & 0xff) == SQLITE_NOTADB ? SCIOT_ERR_BAD_IDENTIFIER : SCIOT_ERR_IO;
    return sciot_fail(err, st, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* Run a prepared statement that returns no rows (or whose rows we ignore). */
static int step_done(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int exec_stmt(edge_store *s, int which)
{
    return step_done(s->st[which]);
}

/* Commit the pending batch. Caller holds the mutex. */
static sciot_status commit_batch(edge_store *s, sciot_error *err)
{
    if (!s->batch_open)
        return SCIOT_OK;
    if (exec_stmt(s, ST_COMMIT) != SQLITE_OK) {
        sciot_status st = db_fail(s, err, "committing inference rows");
        if (sqlite3_get_autocommit(s->db)) { /* SQLite rolled it back: the rows are lost */
            s->batch_open = 0;
            s->pending = 0;
        }
        return st; /* otherwise (e.g. SQLITE_BUSY) it stays open; retried next time */
    }
    s->batch_open = 0;
    s->pending = 0;
    return SCIOT_OK;
}

/* ---- open / migrate / close ---------------------------------------------------- */

static int read_user_version(edge_store *s, int *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static sciot_status future_version(edge_store *s, int v, sciot_error *err)
{
    if (v < 0)
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "%s: database schema version %d is invalid", s->path, v);
    return sciot_fail(err, SCIOT_ERR_BAD_VERSION,
                      "%s: database schema version %d is newer than this build supports (%d): refusing to open it",
                      s->path, v, N_MIGRATIONS);
}

static sciot_status migrate(edge_store *s, sciot_error *err)
{
    int v = 0;
    if (read_user_version(s, &v) != SQLITE_OK)
        return db_fail(s, err, "reading the schema version");
    if (v > N_MIGRATIONS || v < 0)
        return future_version(s, v, err);
    while (v < N_MIGRATIONS) {
        char *msg = NULL;
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return db_fail(s, err, "starting a migration");
        /* Another process may have migrated while we waited for the lock. */
        if (read_user_version(s, &v) != SQLITE_OK) {
            sciot_status st = db_fail(s, err, "reading the schema version");
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return st;
        }
        if (v >= N_MIGRATIONS || v < 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            if (v > N_MIGRATIONS || v < 0)
                return future_version(s, v, err);
            break;
        }
        char setv[64];
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(s->db, setv, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            sciot_fail(err, SCIOT_ERR_IO, "%s: migration to schema version %d failed: %s", s->path, v + 1,
                       msg ? msg : sqlite3_errmsg(s->db));
            sqlite3_free(msg);
            if (!sqlite3_get_autocommit(s->db))
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return SCIOT_ERR_IO;
        }
        v++;
    }
    return SCIOT_OK;
}

static void store_free(edge_store *s)
{
    for (int i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

sciot_status edge_store_open(edge_store **out, const char *path, sciot_error *err)
{
    if (!out || !path || !*path)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: NULL or empty database path");
    *out = NULL;
    if (strlen(path) >= sizeof((edge_store *)0)->path)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: database path too long");
    edge_store *s = calloc(1, sizeof *s);
    if (!s)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: out of memory", path);
    snprintf(s->path, sizeof s->path, "%s", path);
    if (pthread_mutex_init(&s->mu, NULL)) {
        free(s);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: cannot create a mutex", path);
    }
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    sciot_status st = SCIOT_OK;
    if (rc != SQLITE_OK) {
        if (s->db)
            st = db_fail(s, err, "cannot open the database");
        else
            st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: cannot open the database: out of memory", path);
        store_free(s);
        return st;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);

    /* The first statement reads the file header: "not a database" shows
     * here. A database from a newer build is refused before anything (even
     * the journal mode) is changed in it. */
    int v = 0;
    if (read_user_version(s, &v) != SQLITE_OK) {
        st = db_fail(s, err, "cannot open the database");
        store_free(s);
        return st;
    }
    if (v > N_MIGRATIONS || v < 0) {
        st = future_version(s, v, err);
        store_free(s);
        return st;
    }
    /* (":memory:" and some file systems stay in another journal mode: fine.) */
    if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                     NULL, NULL, NULL) != SQLITE_OK) {
        st = db_fail(s, err, "cannot configure the database");
        store_free(s);
        return st;
    }
    if ((st = migrate(s, err))) {
        store_free(s);
        return st;
    }
    for (int i = 0; i < ST_COUNT_; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
            st = db_fail(s, err, "preparing statements");
            store_free(s);
            return st;
        }
    *out = s;
    return SCIOT_OK;
}

sciot_status edge_store_flush(edge_store *s, sciot_error *err)
{
    if (!s)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: NULL");
    pthread_mutex_lock(&s->mu);
    sciot_status st = commit_batch(s, err);
    pthread_mutex_unlock(&s->mu);
    return st;
}

void edge_store_close(edge_store *s)
{
    if (!s)
        return;
    sciot_error err = {0};
    pthread_mutex_lock(&s->mu);
    if (commit_batch(s, &err) != SCIOT_OK) {
        fprintf(stderr, "sciot edge: %s\n", err.msg);
        if (!sqlite3_get_autocommit(s->db))
            exec_stmt(s, ST_ROLLBACK);
    }
    pthread_mutex_unlock(&s->mu);
    store_free(s);
}

/* ---- devices ---------------------------------------------------------------- */

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* NaN cannot be stored as REAL (SQLite turns it into NULL): unknown = NULL. */
static void bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static int put_estimates(edge_store *s, const char *id, const char *side, int32_t n, const double *ema,
                         const uint32_t *cnt)
{
    sqlite3_stmt *st = s->st[ST_INSERT_ESTIMATE];
    for (int32_t i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, side, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, i);
        bind_real_or_null(st, 4, ema[i]);
        sqlite3_bind_int64(st, 5, cnt ? (sqlite3_int64)cnt[i] : 0);
        int rc = step_done(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

sciot_status edge_store_put_device(edge_store *s, const edge_device_row *d, sciot_error *err)
{
    if (!s || !d || !d->device_id || !d->model_sha256)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: NULL store, device, device id or model");
    if (d->n_ops < 0)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: device '%s': n_ops %d < 0", d->device_id,
                          (int)d->n_ops);
    pthread_mutex_lock(&s->mu);
    sciot_status st = commit_batch(s, err);
    if (st) {
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    const char *what = "starting a transaction";
    int rc = exec_stmt(s, ST_BEGIN);
    if (rc == SQLITE_OK) {
        sqlite3_stmt *u = s->st[ST_UPSERT_DEVICE];
        sqlite3_bind_text(u, 1, d->device_id, -1, SQLITE_STATIC);
        bind_text_or_null(u, 2, d->token);
        sqlite3_bind_text(u, 3, d->model_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int64(u, 4, now_ms_wall());
        sqlite3_bind_int(u, 5, d->split);
        bind_text_or_null(u, 6, d->state_json);
        what = "storing the device";
        rc = step_done(u);
        sqlite3_clear_bindings(u);
        if (rc == SQLITE_OK) {
            sqlite3_stmt *del = s->st[ST_DELETE_ESTIMATES];
            sqlite3_bind_text(del, 1, d->device_id, -1, SQLITE_STATIC);
            what = "storing the device's estimates";
            rc = step_done(del);
            sqlite3_clear_bindings(del);
        }
        if (rc == SQLITE_OK && d->dev_ema)
            rc = put_estimates(s, d->device_id, "device", d->n_ops, d->dev_ema, d->dev_n);
        if (rc == SQLITE_OK && d->edge_ema)
            rc = put_estimates(s, d->device_id, "edge", d->n_ops, d->edge_ema, d->edge_n);
        if (rc == SQLITE_OK) {
            what = "committing the device";
            rc = exec_stmt(s, ST_COMMIT);
        }
        if (rc != SQLITE_OK) {
            char buf[128];
            snprintf(buf, sizeof buf, "device '%.64s': %s", d->device_id, what);
            st = db_fail(s, err, buf);
            if (!sqlite3_get_autocommit(s->db))
                exec_stmt(s, ST_ROLLBACK);
        }
    } else {
        st = db_fail(s, err, what);
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* A device as loaded, owning its memory until the callback returns. */
typedef struct {
    char *device_id, *token, *model_sha256, *state_json;
    int32_t split, n_ops;
    double *dev_ema, *edge_ema;
    uint32_t *dev_n, *edge_n;
} loaded_device;

static void loaded_free(loaded_device *L)
{
    free(L->device_id);
    free(L->token);
    free(L->model_sha256);
    free(L->state_json);
    free(L->dev_ema);
    free(L->edge_ema);
    free(L->dev_n);
    free(L->edge_n);
}

static char *col_dup(sqlite3_stmt *st, int i, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *r = strdup((const char *)t);
    if (!r)
        *oom = 1;
    return r;
}

/* Read one device's estimates into L (n_ops = highest op + 1). */
static int load_estimates(edge_store *s, loaded_device *L, int *oom)
{
    sqlite3_stmt *st = s->st[ST_LOAD_ESTIMATES];
    int rc, n = 0, have_dev = 0, have_edge = 0;
    sqlite3_bind_text(st, 1, L->device_id, -1, SQLITE_STATIC);
    /* First pass: the size. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int op = sqlite3_column_int(st, 1);
        const char *side = (const char *)sqlite3_column_text(st, 0);
        if (op + 1 > n)
            n = op + 1;
        if (side && !strcmp(side, "device"))
            have_dev = 1;
        else
            have_edge = 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || n == 0) {
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    L->n_ops = n;
    if (have_dev) {
        L->dev_ema = malloc((size_t)n * sizeof(double));
        L->dev_n = calloc((size_t)n, sizeof(uint32_t));
    }
    if (have_edge) {
        L->edge_ema = malloc((size_t)n * sizeof(double));
        L->edge_n = calloc((size_t)n, sizeof(uint32_t));
    }
    if ((have_dev && (!L->dev_ema || !L->dev_n)) || (have_edge && (!L->edge_ema || !L->edge_n))) {
        *oom = 1;
        sqlite3_clear_bindings(st);
        return SQLITE_OK;
    }
    for (int i = 0; i < n; i++) {
        if (L->dev_ema)
            L->dev_ema[i] = NAN;
        if (L->edge_ema)
            L->edge_ema[i] = NAN;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *side = (const char *)sqlite3_column_text(st, 0);
        int op = sqlite3_column_int(st, 1);
        int is_dev = side && !strcmp(side, "device");
        double *ema = is_dev ? L->dev_ema : L->edge_ema;
        uint32_t *cnt = is_dev ? L->dev_n : L->edge_n;
        if (op < 0 || op >= n || !ema)
            continue; /* changed under us: cannot happen inside the read transaction */
        ema[op] = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
        cnt[op] = (uint32_t)sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

sciot_status edge_store_load_devices(edge_store *s, edge_store_device_cb cb, void *user, sciot_error *err)
{
    if (!s || !cb)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: NULL store or callback");
    loaded_device *devs = NULL;
    size_t n = 0, cap = 0;
    int oom = 0, rc;
    sciot_status st;

    /* Read everything in one read transaction, then call back without the
     * lock held (the callback may use the store). */
    pthread_mutex_lock(&s->mu);
    st = commit_batch(s, err);
    if (st) {
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    if ((rc = exec_stmt(s, ST_BEGIN_READ)) != SQLITE_OK) {
        st = db_fail(s, err, "reading devices");
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    sqlite3_stmt *q = s->st[ST_LOAD_DEVICES];
    while (!oom && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            loaded_device *nd = realloc(devs, nc * sizeof *nd);
            if (!nd) {
                oom = 1;
                break;
            }
            devs = nd;
            cap = nc;
        }
        loaded_device *L = &devs[n++];
        memset(L, 0, sizeof *L);
        L->device_id = col_dup(q, 0, &oom);
        L->token = col_dup(q, 1, &oom);
        L->model_sha256 = col_dup(q, 2, &oom);
        L->split = sqlite3_column_int(q, 3);
        L->state_json = col_dup(q, 4, &oom);
    }
    sqlite3_reset(q);
    if (!oom && rc != SQLITE_DONE)
        st = db_fail(s, err, "reading devices");
    for (size_t i = 0; !st && !oom && i < n; i++)
        if (devs[i].device_id && (rc = load_estimates(s, &devs[i], &oom)) != SQLITE_OK)
            st = db_fail(s, err, "reading device estimates");
    exec_stmt(s, ST_COMMIT);
    pthread_mutex_unlock(&s->mu);
    if (oom && !st)
        st = sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: out of memory reading devices", s->path);

    for (size_t i = 0; i < n; i++) {
        loaded_device *L = &devs[i];
        if (!st) {
            edge_device_row row = {
                .device_id = L->device_id,
                .token = L->token,
                .model_sha256 = L->model_sha256,
                .split = L->split,
                .state_json = L->state_json,
                .n_ops = L->n_ops,
                .dev_ema = L->dev_ema,
                .edge_ema = L->edge_ema,
                .dev_n = L->dev_n,
                .edge_n = L->edge_n,
            };
            cb(user, &row);
        }
        loaded_free(L);
    }
    free(devs);
    return st;
}

char *edge_store_device_token(edge_store *s, const char *device_id)
{
    if (!s || !device_id)
        return NULL;
    char *r = NULL;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *q = s->st[ST_TOKEN];
    sqlite3_bind_text(q, 1, device_id, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(q, 0);
        if (t)
            r = strdup((const char *)t);
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* ---- inferences ---------------------------------------------------------------- */

static void bind_ms(sqlite3_stmt *st, int i, double v)
{
    if (v < 0 || isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

sciot_status edge_store_add_inference(edge_store *s, const edge_inference_row *r, sciot_error *err)
{
    if (!s || !r || !r->device_id || !r->transport)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge store: NULL store, row, device id or transport");
    sciot_status st = SCIOT_OK;
    pthread_mutex_lock(&s->mu);
    if (!s->batch_open) {
        if (exec_stmt(s, ST_BEGIN) != SQLITE_OK) {
            st = db_fail(s, err, "starting a batch of inference rows");
            pthread_mutex_unlock(&s->mu);
            return st;
        }
        s->batch_open = 1;
        s->pending = 0;
        s->first_ns = now_ns();
    }
    sqlite3_stmt *q = s->st[ST_INSERT_INFERENCE];
    sqlite3_bind_int64(q, 1, r->time_ms);
    sqlite3_bind_text(q, 2, r->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->transport, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)r->request_id); /* stored as its two's complement above 2^63 */
    sqlite3_bind_int(q, 5, r->split);
    bind_text_or_null(q, 6, r->where);
    bind_ms(q, 7, r->device_ms);
    bind_ms(q, 8, r->network_ms);
    bind_ms(q, 9, r->edge_ms);
    bind_ms(q, 10, r->total_ms);
    sqlite3_bind_int64(q, 11, r->bytes_up);
    sqlite3_bind_int64(q, 12, r->bytes_down);
    bind_text_or_null(q, 13, r->reason);
    bind_text_or_null(q, 14, r->prediction);
    int rc = step_done(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_OK) {
        st = db_fail(s, err, "storing an inference row");
        if (sqlite3_get_autocommit(s->db)) { /* the error rolled the batch back */
            s->batch_open = 0;
            s->pending = 0;
        }
    } else {
        s->pending++;
        if (s->pending >= BATCH_ROWS || now_ns() - s->first_ns >= BATCH_NS)
            st = commit_batch(s, err);
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

int64_t edge_store_count_inferences(edge_store *s, const char *device_id)
{
    if (!s)
        return -1;
    int64_t n = -1;
    pthread_mutex_lock(&s->mu);
    if (commit_batch(s, NULL) == SCIOT_OK) {
        sqlite3_stmt *q = s->st[device_id ? ST_COUNT_DEVICE : ST_COUNT_ALL];
        if (device_id)
            sqlite3_bind_text(q, 1, device_id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

int edge_store_has_inference(edge_store *s, const char *device_id, uint64_t request_id)
{
    if (!s || !device_id)
        return -1;
    int found = -1;
    pthread_mutex_lock(&s->mu);
    if (commit_batch(s, NULL) == SCIOT_OK) {
        sqlite3_stmt *q = s->st[ST_HAS_REQUEST];
        sqlite3_bind_text(q, 1, device_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)request_id);
        int rc = sqlite3_step(q);
        found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}
