/* store.h — the edge's persistent state in SQLite (WAL mode).
 *
 * Tables (schema and migrations: docs/EDGE.md, versioned through
 * PRAGMA user_version; each migration runs in one transaction):
 *   devices(device_id PRIMARY KEY, token, model_sha256, created_ms, last_seen_ms,
 *           split, state_json)            -- state_json: the planner's learned state
 *   device_estimates(device_id, side ('device'|'edge'), op, ema_us, samples,
 *           PRIMARY KEY(device_id, side, op))
 *   inferences(id INTEGER PRIMARY KEY, time_ms, device_id, transport, request_id,
 *           split, where_ ('split'|'local'|'edge'), device_ms, network_ms, edge_ms,
 *           total_ms, bytes_up, bytes_down, reason, prediction)
 * One connection guarded by a mutex; every call is safe from any thread.
 * Writes of inference rows are batched in a transaction every few ms or N rows
 * (edge_store_flush forces it) so that the store is not the bottleneck. */
#ifndef SCIOT_EDGE_STORE_H
#define SCIOT_EDGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sciot/status.h"

typedef struct edge_store edge_store;

#define EDGE_STORE_SCHEMA_VERSION 2

typedef struct {
    int64_t time_ms;           /* unix epoch milliseconds */
    const char *device_id;
    const char *transport;     /* "http", "ws", "mqtt" */
    uint64_t request_id;
    int32_t split;
    const char *where;         /* "split", "local", "edge" */
    double device_ms, network_ms, edge_ms, total_ms; /* < 0: unknown (NULL) */
    uint32_t bytes_up, bytes_down;
    const char *reason;        /* decision reason of the split used */
    const char *prediction;    /* short summary, e.g. "argmax=1 [-113,113]" */
} edge_inference_row;

typedef struct {
    const char *device_id;
    const char *token;         /* may be NULL */
    const char *model_sha256;  /* hex */
    int32_t split;
    const char *state_json;    /* planner state, may be NULL */
    int32_t n_ops;
    const double *dev_ema, *edge_ema; /* [n_ops] or NULL */
    const uint32_t *dev_n, *edge_n;   /* samples, [n_ops] or NULL */
} edge_device_row;

/* Open (create) the database at path, enable WAL, apply migrations. */
sciot_status edge_store_open(edge_store **s, const char *path, sciot_error *err);
void edge_store_close(edge_store *s);  /* flushes */
sciot_status edge_store_flush(edge_store *s, sciot_error *err);

/* Insert or update a device and its per-operator estimates (one transaction). */
sciot_status edge_store_put_device(edge_store *s, const edge_device_row *d, sciot_error *err);
/* Call cb for every stored device (state_json and estimates as stored). */
typedef void (*edge_store_device_cb)(void *user, const edge_device_row *d);
sciot_status edge_store_load_devices(edge_store *s, edge_store_device_cb cb, void *user, sciot_error *err);
/* A device's token from the database (NULL if none); caller frees. */
char *edge_store_device_token(edge_store *s, const char *device_id);

sciot_status edge_store_add_inference(edge_store *s, const edge_inference_row *r, sciot_error *err);
/* 1 if a row of (device_id, request_id) exists, 0 if not, -1 on error. */
int edge_store_has_inference(edge_store *s, const char *device_id, uint64_t request_id);
/* Number of inference rows (of one device, or all when device_id is NULL). */
int64_t edge_store_count_inferences(edge_store *s, const char *device_id);

#endif
