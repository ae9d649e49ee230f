/* sciot/device.h — the device side of a split inference, for any platform.
 *
 * No heap and no OS calls: the caller provides the arena, the frame buffers
 * and the per-operator time array, and a small platform interface (a clock
 * and a transport). The same code runs in the Linux client (`sciot device`)
 * and in Cortex-M firmware.
 *
 * One request (sciot_device_infer):
 *   1. take the current decision k (the edge's last answer; k = N, a full
 *      local run, until the edge has answered or while it is unreachable);
 *   2. run operators [0, k) with per-operator timing;
 *   3. encode the cut into a frame (with the round trip of the previous
 *      request as telemetry), hand it to the transport with a timeout;
 *   4. on a reply: check it (model, request id, outputs), take the
 *      prediction and the next decision from it;
 *      on any transport error, timeout or bad reply: run [k, N) locally.
 *   The prediction is the same bytes either way (bit-exact engine).
 * A full local run (k = N) still sends a LOCAL report (outputs + every
 * operator's time) when the edge is reachable, so that the edge learns the
 * device's times; when it is not, the encoded report stays in the frame
 * buffer for the caller to queue (sciot_device_pending_report) and send
 * later (sciot_device_send_report).
 *
 * Emulation for experiments: `slowdown` > 1 makes every operator take that
 * many times its measured time (the platform's delay_us sleeps the extra,
 * inside the measured interval), and `profile_us` replaces measured times by
 * a given per-operator profile (e.g. an ESP32-S3), also slept. */
#ifndef SCIOT_DEVICE_H
#define SCIOT_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "sciot/engine.h"
#include "sciot/model.h"
#include "sciot/status.h"
#include "sciot/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void *ctx;
    /* Monotonic microseconds. */
    uint64_t (*now_us)(void *ctx);
    /* Sleep (or busy-wait) us microseconds; may be NULL (no emulation). */
    void (*delay_us)(void *ctx, uint64_t us);
    /* Send req[req_len], receive the reply into resp[resp_cap]; SCIOT_OK
     * with *resp_len set, or an error (connection refused, timeout, HTTP
     * error ...) with a message in err. Must return within timeout_ms. */
    sciot_status (*exchange)(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                             size_t *resp_len, uint32_t timeout_ms, sciot_error *err);
} sciot_device_platform;

typedef enum { SCIOT_WHERE_SPLIT = 0, SCIOT_WHERE_LOCAL = 1, SCIOT_WHERE_EDGE = 2 } sciot_where;
const char *sciot_where_name(sciot_where w);

typedef struct {
    uint64_t request_id;
    int32_t split;             /* k used */
    sciot_where where;         /* split, local (device ran all), edge (k = 0) */
    int32_t next_split;        /* the decision for the next request */
    uint32_t device_us;        /* operators run on the device (incl. a local fallback) */
    uint32_t network_us;       /* round trip minus the edge's processing time (for a local
                                * run: of its LOCAL report) */
    uint32_t edge_us;          /* edge processing time (from the reply) */
    uint32_t total_us;         /* request start -> prediction ready (a LOCAL report sent
                                * after a local run is not counted: the answer is ready) */
    uint32_t bytes_sent, bytes_received;
    int fell_back;             /* the edge failed; [k, N) ran locally */
    int report_pending;        /* a LOCAL report could not be delivered */
    sciot_status net_status;   /* SCIOT_OK or the transport/reply error */
    char error[SCIOT_ERROR_MSG_MAX]; /* why it fell back ("" if it did not) */
} sciot_device_result;

typedef struct {
    const sciot_model *model;
    uint8_t model_sha256[32];
    char device_id[SCIOT_WIRE_MAX_DEVICE_ID + 1];
    sciot_engine engine;       /* planned for [0, N): the device can always run everything */
    sciot_device_platform pf;
    uint8_t *tx;               /* frame buffer */
    size_t tx_cap, tx_len;
    uint8_t *rx;               /* reply buffer */
    size_t rx_cap;
    uint32_t *times;           /* [n_ops] */
    sciot_wire_frame frame;    /* scratch for encode/decode */
    int32_t split;             /* current decision */
    int edge_ok;               /* the last exchange succeeded */
    uint32_t timeout_ms;       /* default 5000 */
    int compress;              /* default 1 */
    float slowdown;            /* default 1 */
    const float *profile_us;   /* NULL: measured times */
    uint64_t next_request_id;
    uint64_t prev_request_id;  /* telemetry of the last answered request */
    uint32_t prev_rtt_us;
    int has_prev;
} sciot_device;

/* Arena bytes sciot_device_init needs (the whole model, portable path). */
sciot_status sciot_device_arena_size(const sciot_model *m, size_t *bytes, sciot_error *err);
/* Frame buffer size that fits the largest cut frame (and a LOCAL report). */
size_t sciot_device_frame_cap(const sciot_model *m);
/* Reply buffer size that fits a reply with the outputs. */
size_t sciot_device_reply_cap(const sciot_model *m);

sciot_status sciot_device_init(sciot_device *d, const sciot_model *m, const uint8_t sha256[32], const char *device_id,
                               void *arena, size_t arena_size, uint8_t *tx, size_t tx_cap, uint8_t *rx,
                               size_t rx_cap, uint32_t *times, const sciot_device_platform *pf, sciot_error *err);

/* Where to write model input i before sciot_device_infer. */
void *sciot_device_input(sciot_device *d, int32_t i);
/* Output i after sciot_device_infer. */
const void *sciot_device_output(const sciot_device *d, int32_t i);

/* Set the decision (e.g. from the registration answer). k outside [0, N]
 * is treated as N (run locally); so is the reference's -1. */
void sciot_device_set_split(sciot_device *d, int32_t k);

/* One inference; fills r. Returns SCIOT_OK whenever a prediction was made
 * (also after a fallback); an error only if the model itself failed. */
sciot_status sciot_device_infer(sciot_device *d, sciot_device_result *r, sciot_error *err);

/* The LOCAL report left in the frame buffer by the last inference when the
 * edge could not take it (r->report_pending): bytes to queue and later hand
 * to sciot_device_send_report (which returns SCIOT_OK once delivered and
 * updates the decision from the reply). */
const uint8_t *sciot_device_pending_report(const sciot_device *d, size_t *len);
sciot_status sciot_device_send_report(sciot_device *d, const uint8_t *frame, size_t len, sciot_error *err);

#ifdef __cplusplus
}
#endif
#endif
