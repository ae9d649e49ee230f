/* mqtt.h — the edge's MQTT v5 transport (libmosquitto).
 *
 * Topics (P = cfg.mqtt_prefix, default "sciot"; docs/PROTOCOL.md §5):
 *   device -> edge   P/<device_id>/register       JSON, as the HTTP registration body
 *                    P/<device_id>/decision/get   empty or JSON {"token"?}
 *                    P/<device_id>/result         a binary wire frame
 *   edge -> device   P/<device_id>/registered     JSON registration response
 *                    P/<device_id>/decision       JSON decision
 *                    P/<device_id>/reply          binary REPLY frame
 *                    P/<device_id>/error          JSON {"error","detail","status",...}
 * A request carrying the MQTT v5 Response Topic property is answered there
 * instead, with its Correlation Data echoed. A User Property "token" on a
 * request is the device's token. With cfg.mqtt_shared_group set the edge
 * subscribes through $share/<group>/... so that several edge processes
 * share the requests.
 *
 * Threading: the client runs on a network thread of this module (the loop
 * of mosquitto_loop_start, but one that never gives up: see mqtt.c), which
 * reconnects with exponential backoff and subscribes again on every
 * connection. Registrations and decisions are
 * answered on that thread; results go to the service's worker pool and are
 * published from the completion callback. */
#ifndef SCIOT_EDGE_MQTT_H
#define SCIOT_EDGE_MQTT_H

#include <stdint.h>

#include "edge/config.h"
#include "edge/service.h"
#include "sciot/status.h"

typedef struct edge_mqtt edge_mqtt;

/* Connect to cfg.mqtt_host:mqtt_port (MQTT v5, username/password and client
 * id from cfg; an empty client id becomes "sciot-edge-<pid>-<random>") and
 * start the network thread. Waits up to 5 s for the first connection and
 * subscription; a broker that is not reachable yet is not an error (a line
 * on stderr, the thread keeps trying). Errors: invalid settings (prefix,
 * shared group, QoS, port), libmosquitto failures. `svc` must outlive `*m`. */
sciot_status edge_mqtt_start(edge_mqtt **m, edge_service *svc, const edge_config *cfg, sciot_error *err);

/* Unsubscribe, answer what is in flight (waits for every pending result
 * completion, then up to 2 s for the broker to acknowledge the answers),
 * disconnect, stop the thread, free. NULL is a no-op. */
void edge_mqtt_stop(edge_mqtt *m);

/* 1 while connected to the broker (CONNACK accepted), else 0. */
int edge_mqtt_connected(const edge_mqtt *m);

/* Counters since start (for metrics and tests). */
typedef struct {
    uint64_t received;   /* requests taken from our subscriptions */
    uint64_t answered;   /* answers published (replies and errors) */
    uint64_t errors;     /* of which error answers */
    uint64_t dropped;    /* requests that could not be answered (no valid reply topic) or publishes that failed */
    uint64_t connects;   /* successful connections (1 + reconnections) */
} edge_mqtt_stats;
void edge_mqtt_get_stats(edge_mqtt *m, edge_mqtt_stats *out);

#endif
