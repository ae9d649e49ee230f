/* edge_internal.h — the edge's shared state, private to src/edge. */
#ifndef SCIOT_EDGE_INTERNAL_H
#define SCIOT_EDGE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "edge/config.h"
#include "edge/service.h"
#include "edge/store.h"
#include "sciot/engine.h"
#include "sciot/model.h"
#include "sciot/planner.h"
#include "sciot/wire.h"

typedef struct edge_device {
    char id[SCIOT_WIRE_MAX_DEVICE_ID + 1];
    char token[129];             /* bound at first registration with a token */
    pthread_mutex_t mu;
    sciot_planner planner;
    void *planner_mem;
    sciot_decision decision;     /* the current (next) decision */
    int has_decision;
    sciot_decision_reason last_reason;
    int last_reason_valid;
    /* the last answered request, completed by the next frame's telemetry */
    int pending;
    uint64_t pending_request_id;
    int32_t pending_split;
    uint32_t pending_edge_us, pending_bytes_up, pending_bytes_down;
    double pending_device_ms;
    /* observability */
    uint64_t n_inferences, n_local_reports, registrations;
    int32_t last_split;
    char last_where[8];
    double last_device_ms, last_edge_ms, last_network_ms, last_total_ms;
    char last_prediction[160];
    int64_t created_ms, last_seen_ms, persisted_ms;
    uint8_t *latest_input;
    size_t latest_input_len;
    int64_t latest_input_ms;
} edge_device;

typedef struct edge_job {
    uint64_t t_arrival;
    edge_transport tr;
    int want_json;
    edge_done_fn done;
    void *user;
    char token[129];
    size_t len;
    uint8_t frame[]; /* copy of the request */
} edge_job;

typedef struct edge_worker {
    struct edge_service *svc;
    pthread_t thread;
    sciot_engine engine;
    void *arena;
    float *edge_times, *dev_times; /* [n_ops] */
    sciot_wire_frame frame, reply;
} edge_worker;

struct edge_service {
    edge_config cfg;
    sciot_planner_config pcfg;
    sciot_model model;
    int model_loaded;
    uint8_t sha[32];
    char sha_hex[65];
    double *cut_bytes;             /* [n_ops + 1] */
    float *edge_profile;           /* [n_ops] start-up self profile (median us) */
    int edge_profile_ready;
    size_t arena_bytes;

    pthread_rwlock_t reg_mu;
    edge_device **devices;
    int n_devices;

    pthread_mutex_t q_mu;
    pthread_cond_t q_cv, idle_cv;
    edge_job **queue;
    int q_cap, q_head, q_len, busy, stopping;
    edge_worker *workers;
    int n_workers, n_started;

    edge_store *store;
    pthread_mutex_t rng_mu;
    sciot_rng rng;                 /* delay simulation */

    pthread_mutex_t metrics_mu;
    int64_t started_ms;
    uint64_t requests[3], errors_4xx, errors_5xx, queue_full, tails, local_reports, n_reprofiles;
    int64_t last_reprofile_ms;     /* edge_reprofile rate limit (metrics_mu) */
    double tail_us_sum, queue_us_sum;
};

int64_t edge_now_ms(void);
edge_device *edge_find_device(edge_service *s, const char *id);
void edge_reprofile(edge_service *s, edge_worker *w);

/* metrics.c */
void edge_count_request(edge_service *s, edge_transport tr);
void edge_count_error(edge_service *s, int status);
void edge_count_tail(edge_service *s, int ran_tail, double tail_us, double queue_us);

/* state.c: persistence of devices and history */
void edge_record_inference(edge_service *s, const edge_inference_row *row);
/* Persist a device (caller holds d->mu); force = 0 writes at most once a second. */
void edge_persist_device_locked(edge_service *s, edge_device *d, int force);
sciot_status edge_load_devices(edge_service *s, sciot_error *err);
/* Planner learned state <-> JSON (cJSON object). */
struct cJSON;
struct cJSON *edge_planner_to_json(const sciot_planner *p);
int edge_planner_from_json(sciot_planner *p, const struct cJSON *o);

#endif
