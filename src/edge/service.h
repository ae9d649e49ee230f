/* service.h — the edge's transport-agnostic core.
 *
 * Every transport (HTTP and WebSocket in http.c, MQTT in mqtt.c) turns its
 * messages into calls of this API and sends back what it returns. The core
 * owns: the model (loaded once) and its SHA-256, the device registry with a
 * planner per device, the pool of worker threads that run tails (one engine
 * and arena each) behind a bounded queue, the SQLite store, the metrics.
 *
 * Threading: every function here may be called from any thread at once.
 * Results of inferences are delivered through a completion callback, so a
 * transport may wait for it (HTTP) or publish from it (MQTT). */
#ifndef SCIOT_EDGE_SERVICE_H
#define SCIOT_EDGE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "edge/config.h"
#include "sciot/model.h"
#include "sciot/status.h"

typedef struct edge_service edge_service;

typedef enum { EDGE_HTTP = 0, EDGE_WS = 1, EDGE_MQTT = 2 } edge_transport;
const char *edge_transport_name(edge_transport t);

/* A response: HTTP status, content type, body. JSON bodies are NUL-terminated. */
typedef struct {
    int status;                /* 200, 400, 401, 404, 409, 413, 503, ... */
    const char *content_type;  /* "application/json" or "application/octet-stream" */
    uint8_t *body;             /* malloc'd; free with edge_response_free */
    size_t len;
    int retry_after_s;         /* > 0 with 503 */
} edge_response;

void edge_response_free(edge_response *r);
/* Fill r with {"error": code, "detail": detail} and the status. */
void edge_response_error(edge_response *r, int status, const char *code, const char *detail_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

sciot_status edge_service_create(edge_service **svc, const edge_config *cfg, sciot_error *err);
/* Stop accepting work, finish queued and running tails, flush the store. */
void edge_service_destroy(edge_service *svc);

const sciot_model *edge_service_model(const edge_service *svc);
const char *edge_service_model_sha_hex(const edge_service *svc);

/* POST /api/registration: JSON body {"device_id","model_sha256","token"?}. */
void edge_register(edge_service *svc, edge_transport tr, const char *json, size_t len, const char *token,
                   edge_response *out);
/* GET /api/offloading_layer?device_id=D */
void edge_decision(edge_service *svc, edge_transport tr, const char *device_id, const char *token,
                   edge_response *out);
/* POST /api/device_input: the device's latest raw frame (image). */
void edge_device_input(edge_service *svc, edge_transport tr, const char *device_id, const char *token,
                       const uint8_t *body, size_t len, edge_response *out);
/* GET /api/devices, GET /metrics, GET /healthz */
void edge_devices_json(edge_service *svc, edge_response *out);
void edge_metrics_text(edge_service *svc, edge_response *out);
void edge_health(edge_service *svc, edge_response *out);

/* POST /api/device_inference_result: a wire frame. The tail runs on the
 * worker pool; `done` is called exactly once, from a worker thread or from
 * this call (errors, full queue), with the response: a REPLY frame
 * (application/octet-stream), or JSON when want_json. The response is the
 * callee's to free (edge_response_free) after `done` returns. */
typedef void (*edge_done_fn)(void *user, edge_response *resp);
void edge_result(edge_service *svc, edge_transport tr, const uint8_t *frame, size_t len, const char *token,
                 int want_json, edge_done_fn done, void *user);
/* Blocking convenience: submit and wait for the response. */
void edge_result_wait(edge_service *svc, edge_transport tr, const uint8_t *frame, size_t len, const char *token,
                      int want_json, edge_response *out);

#endif
