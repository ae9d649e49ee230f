/* client.h — the hosted device client (`sciot device`): transports that
 * implement the device core's `exchange` (sciot/device.h) with a hard
 * timeout, and the on-disk queue of undelivered LOCAL reports.
 *
 * Transports (one per edge URL scheme):
 *   http://host:port   libcurl, one easy handle reused (keep-alive); POST
 *                      /api/registration (JSON) and
 *                      /api/device_inference_result (frame → REPLY frame).
 *   ws://host:port/ws  civetweb's WebSocket client: text JSON registration,
 *                      binary frames answered by binary REPLY frames.
 *   mqtt://host:port[/prefix]  libmosquitto (MQTT v5, its loop thread):
 *                      P/<id>/register, P/<id>/result → P/<id>/registered,
 *                      P/<id>/reply, P/<id>/error (docs/PROTOCOL.md §5).
 * Every call returns within its timeout (connection set-up included),
 * whatever the network does; a failed connection is set up again by the
 * next call. Not thread-safe: one caller thread per transport. */
#ifndef SCIOT_CLIENT_H
#define SCIOT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "sciot/status.h"

typedef struct client_transport client_transport;

struct client_transport {
    const char *kind; /* "http", "ws", "mqtt" */
    /* Send the registration JSON, receive the edge's JSON answer (malloc'd,
     * NUL-terminated, in *answer; free() it). An error answer of the edge is
     * an error here, with last_status / last_code set. */
    sciot_status (*reg)(client_transport *t, const char *json, char **answer, uint32_t timeout_ms,
                        sciot_error *err);
    /* The device core's exchange: a frame out, a REPLY frame back. */
    sciot_status (*exchange)(client_transport *t, const uint8_t *req, size_t req_len, uint8_t *resp,
                             size_t resp_cap, size_t *resp_len, uint32_t timeout_ms, sciot_error *err);
    void (*destroy)(client_transport *t);
    /* What the edge said to the last call: its status (200, 404, 503, ...)
     * and error code ("unknown_device", ...); 0 and "" when no answer came
     * (connection refused, timeout, closed connection, ...). */
    int last_status;
    char last_code[48];
};

/* Open the transport for `url` (nothing is connected yet). `token` may be
 * NULL. Errors: unknown scheme, malformed URL, library initialisation. */
sciot_status client_transport_open(client_transport **t, const char *url, const char *device_id,
                                   const char *token, sciot_error *err);
void client_transport_close(client_transport *t);

/* Shared helpers for the transports. */
void client_answer_reset(client_transport *t);
/* Record an error answer of the edge (a JSON body {"error","detail",
 * "status"}, possibly not JSON at all) and fill err with
 * "edge answered STATUS CODE: DETAIL". Returns SCIOT_ERR_IO. */
sciot_status client_answer_error(client_transport *t, int status, const char *body, size_t len, sciot_error *err);
/* Milliseconds left until deadline_ms (monotonic); 0 when past. */
uint32_t client_ms_left(uint64_t deadline_ms);
uint64_t client_now_ms(void);
/* Request id of a wire frame (bytes 12..19), 0 when too short. */
uint64_t client_frame_request_id(const uint8_t *f, size_t len);
/* Copy a received reply (malloc'd `data`, freed here) into resp[cap]; marks
 * the exchange a success (last_status 200). */
sciot_status client_take_reply(client_transport *t, uint8_t *data, size_t len, uint8_t *resp, size_t cap,
                               size_t *resp_len, sciot_error *err);

sciot_status client_http_open(client_transport **t, const char *url, const char *token, sciot_error *err);
sciot_status client_ws_open(client_transport **t, const char *url, const char *token, sciot_error *err);
sciot_status client_mqtt_open(client_transport **t, const char *url, const char *device_id, const char *token,
                              sciot_error *err);

/* ---- the queue of undelivered LOCAL reports ---------------------------------
 * DIR/<seq>.frame, seq a 20-digit decimal counter (so names sort in order),
 * each written to DIR/.<seq>.tmp then renamed: a file either is a whole
 * frame or does not exist. At most `max` files: a push into a full queue
 * deletes the oldest first. DIR/.lock (an fcntl lock) keeps a second
 * process away from the same queue. */
typedef struct client_queue client_queue;

sciot_status client_queue_open(client_queue **q, const char *dir, size_t max, sciot_error *err);
void client_queue_close(client_queue *q);
size_t client_queue_len(const client_queue *q);
const char *client_queue_dir(const client_queue *q);
/* Append; when full, the oldest is deleted first (*dropped = 1, its seq in
 * *dropped_seq). */
sciot_status client_queue_push(client_queue *q, const uint8_t *frame, size_t len, int *dropped,
                               uint64_t *dropped_seq, sciot_error *err);
/* Read the oldest into buf (cap bytes). SCIOT_ERR_LENGTH when it does not
 * fit (a foreign or damaged file: pop it). */
sciot_status client_queue_peek(client_queue *q, uint8_t *buf, size_t cap, size_t *len, uint64_t *seq,
                               sciot_error *err);
/* Delete the oldest. */
sciot_status client_queue_pop(client_queue *q, sciot_error *err);

#endif
