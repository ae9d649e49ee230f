/* config.h — `sciot edge` configuration: YAML file + command-line overrides.
 *
 * Keys (docs/EDGE.md has the full reference with defaults). The reference
 * system's keys are kept where they fit:
 *   model: PATH
 *   communication:
 *     http: {enabled, host, port, endpoints: {registration, device_input,
 *            offloading_layer, device_inference_result}, tls: {certificate}}
 *     websocket: {enabled, path}
 *     mqtt: {enabled, url (mqtt://host:port), topic_prefix, shared_group,
 *            username, password, client_id, qos}
 *   delay_simulation:
 *     computation: {enabled, type: static|gaussian|uniform|exponential,
 *                   value | mean, std_dev | min, max}   (seconds)
 *     network: {...same...}
 *   local_inference_mode: {enabled, probability}
 *   database: {path}                    (":memory:" allowed)
 *   auth: {required, tokens: {DEVICE_ID: TOKEN, ...}}
 *   limits: {max_body_bytes, max_devices, queue_depth, workers, request_timeout_s}
 *   planner: {objective, alpha, variance_window, variance_threshold, seed,
 *             adaptive_explore, hysteresis, power_w: {cpu, tx, idle},
 *             weights: {latency, energy, bytes}}
 * Unknown keys and values of the wrong type are errors that name the key. */
#ifndef SCIOT_EDGE_CONFIG_H
#define SCIOT_EDGE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "sciot/status.h"

#define EDGE_MAX_TOKENS 256

typedef enum { DELAY_STATIC = 0, DELAY_GAUSSIAN, DELAY_UNIFORM, DELAY_EXPONENTIAL } edge_delay_type;

typedef struct {
    bool enabled;
    edge_delay_type type;
    double value, mean, std_dev, min, max; /* seconds */
} edge_delay;

typedef struct {
    char model[1024];

    bool http_enabled;
    char http_host[256];
    int http_port;                 /* 0: any free port (printed when ready) */
    char ep_registration[128], ep_device_input[128], ep_offloading_layer[128], ep_result[128];
    char tls_certificate[1024];    /* PEM with key; empty: plain HTTP */

    bool ws_enabled;
    char ws_path[128];

    bool mqtt_enabled;
    char mqtt_host[256];
    int mqtt_port;
    char mqtt_prefix[128];         /* default "sciot" */
    char mqtt_shared_group[128];   /* default "sciot-edge"; "" = plain subscriptions */
    char mqtt_username[128], mqtt_password[128], mqtt_client_id[128];
    int mqtt_qos;                  /* default 1 */

    edge_delay delay_computation, delay_network;

    bool local_mode_enabled;
    double local_mode_probability; /* default 0.1 */

    char db_path[1024];            /* default "sciot_edge.db" */

    bool auth_required;
    int n_tokens;
    char token_device[EDGE_MAX_TOKENS][65];
    char token_value[EDGE_MAX_TOKENS][129];

    int64_t max_body_bytes;        /* default 8 MiB */
    int max_devices;               /* default 1024 */
    int queue_depth;               /* default 64 */
    int workers;                   /* default: online CPUs */
    int request_timeout_s;         /* default 30 */

    char objective[32];            /* latency | energy | bytes | weighted */
    double alpha;                  /* 0.2 */
    int variance_window;           /* 10 */
    double variance_threshold;     /* 0.15 */
    uint64_t seed;                 /* 1 */
    bool adaptive_explore;         /* true */
    double hysteresis;             /* 0.02 */
    double power_cpu_w, power_tx_w, power_idle_w;
    double weight_latency, weight_energy, weight_bytes; /* objective "weighted": 1, 0, 0 */
} edge_config;

/* Defaults: HTTP on 127.0.0.1:8000, WebSocket on /ws, MQTT off, db
 * sciot_edge.db, no auth, reference endpoints. */
void edge_config_defaults(edge_config *c);
/* Load a YAML file over the current values. Errors name the file and key. */
sciot_status edge_config_load(edge_config *c, const char *path, sciot_error *err);
/* Parse "mqtt://host:port" into the MQTT fields (enables MQTT). */
sciot_status edge_config_set_mqtt_url(edge_config *c, const char *url, sciot_error *err);
/* Check consistency (ports, limits, probability in [0,1], ...). */
sciot_status edge_config_validate(const edge_config *c, sciot_error *err);

#endif
