/* test_config.c — `sciot edge` configuration (src/edge/config.c).
 *
 *   - defaults are the documented ones and pass validation;
 *   - docs/edge.example.yaml (found next to this source file through
 *     __FILE__, which CMake makes absolute) loads, equals the defaults
 *     (workers: 0 = online CPUs), and validates;
 *   - a file changing every kind of key loads them all (tokens, delays, MQTT
 *     URL, u64 seed, yes/no booleans, nulls, float formats);
 *   - every error path names the file, the key and the value: unknown keys
 *     (top level and nested), wrong types (string for a number, quoted
 *     number, mapping for a scalar, scalar for a section), bad enum values
 *     (delay type, objective), negative port, probability 2.0, too-long
 *     strings, duplicate keys and tokens, integers with trailing junk, a YAML
 *     syntax error with libyaml's line number, a missing file; a failed load
 *     leaves the config unchanged;
 *   - MQTT URLs: default port, explicit port, IPv6, every rejection;
 *   - edge_config_validate catches what the command line could set. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge/config.h"

static char tmpdir[256];

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Load `text` over the defaults; returns the status, the message in err. */
static sciot_status load_text(const char *text, edge_config *c, sciot_error *err)
{
    edge_config_defaults(c);
    memset(err, 0, sizeof *err);
    return edge_config_load(c, write_tmp("t.yaml", text), err);
}

/* Loading `text` fails and the message contains every one of the strings. */
static void expect_error(const char *text, ...)
{
    edge_config c, d;
    sciot_error err;
    sciot_status st = load_text(text, &c, &err);
    if (st == SCIOT_OK)
        fail_msg("expected an error for:\n%s", text);
    if (getenv("SCIOT_TEST_VERBOSE"))
        printf("    %s\n", err.msg);
    /* the file name starts the message */
    if (!strstr(err.msg, "t.yaml: "))
        fail_msg("message does not name the file: %s", err.msg);
    va_list ap;
    va_start(ap, text);
    for (const char *want; (want = va_arg(ap, const char *));)
        if (!strstr(err.msg, want))
            fail_msg("message '%s' lacks '%s'", err.msg, want);
    va_end(ap);
    /* a failed load changes nothing */
    edge_config_defaults(&d);
    assert_memory_equal(&c, &d, sizeof c);
}

/* ---- defaults and the example file ------------------------------------------ */

static void defaults(void **state)
{
    edge_config c;
    sciot_error err = {0};
    edge_config_defaults(&c);
    assert_string_equal(c.model, "");
    assert_true(c.http_enabled);
    assert_string_equal(c.http_host, "127.0.0.1");
    assert_int_equal(c.http_port, 8000);
    assert_string_equal(c.ep_registration, "/api/registration");
    assert_string_equal(c.ep_device_input, "/api/device_input");
    assert_string_equal(c.ep_offloading_layer, "/api/offloading_layer");
    assert_string_equal(c.ep_result, "/api/device_inference_result");
    assert_string_equal(c.tls_certificate, "");
    assert_true(c.ws_enabled);
    assert_string_equal(c.ws_path, "/ws");
    assert_false(c.mqtt_enabled);
    assert_string_equal(c.mqtt_host, "127.0.0.1");
    assert_int_equal(c.mqtt_port, 1883);
    assert_string_equal(c.mqtt_prefix, "sciot");
    assert_string_equal(c.mqtt_shared_group, "sciot-edge");
    assert_string_equal(c.mqtt_username, "");
    assert_string_equal(c.mqtt_password, "");
    assert_string_equal(c.mqtt_client_id, "");
    assert_int_equal(c.mqtt_qos, 1);
    assert_false(c.delay_computation.enabled);
    assert_false(c.delay_network.enabled);
    assert_int_equal(c.delay_computation.type, DELAY_STATIC);
    assert_false(c.local_mode_enabled);
    assert_true(c.local_mode_probability == 0.1);
    assert_string_equal(c.db_path, "sciot_edge.db");
    assert_false(c.auth_required);
    assert_int_equal(c.n_tokens, 0);
    assert_int_equal(c.max_body_bytes, 8 * 1024 * 1024);
    assert_int_equal(c.max_devices, 1024);
    assert_int_equal(c.queue_depth, 64);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(c.workers, cpus < 1 ? 1 : cpus);
    assert_int_equal(c.request_timeout_s, 30);
    assert_string_equal(c.objective, "latency");
    assert_true(c.alpha == 0.2);
    assert_int_equal(c.variance_window, 10);
    assert_true(c.variance_threshold == 0.15);
    assert_int_equal(c.seed, 1);
    assert_true(c.adaptive_explore);
    assert_true(c.hysteresis == 0.02);
    assert_true(c.power_cpu_w == 0.5 && c.power_tx_w == 1.0 && c.power_idle_w == 0.1);
    assert_true(c.weight_latency == 1 && c.weight_energy == 0 && c.weight_bytes == 0);
    assert_int_equal(edge_config_validate(&c, &err), SCIOT_OK);
}

static void example_file(void **state)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    assert_non_null(slash); /* __FILE__ is absolute in CMake builds */
    snprintf(slash, sizeof path - (size_t)(slash - path), "/../../docs/edge.example.yaml");
    edge_config c, d;
    sciot_error err = {0};
    edge_config_defaults(&c);
    edge_config_defaults(&d);
    /* start from something different: the file must set every value back */
    c.http_port = 1;
    c.mqtt_qos = 2;
    c.alpha = 0.9;
    c.workers = 77;
    snprintf(c.ws_path, sizeof c.ws_path, "/other");
    if (edge_config_load(&c, path, &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(edge_config_validate(&c, &err), SCIOT_OK);
}

/* ---- a file that changes everything ---------------------------------------- */

static void every_key(void **state)
{
    static const char text[] =
        "model: /models/person_detect.tflite\n"
        "communication:\n"
        "  http:\n"
        "    enabled: yes\n"
        "    host: 0.0.0.0\n"
        "    port: 0\n"
        "    endpoints: {registration: /r, device_input: /i, offloading_layer: /o,\n"
        "                device_inference_result: /res}\n"
        "    tls:\n"
        "      certificate: \"/etc/sciot/cert.pem\"\n"
        "  websocket: {enabled: NO, path: /socket}\n"
        "  mqtt:\n"
        "    enabled: True\n"
        "    url: mqtt://broker.local:1999\n"
        "    topic_prefix: lab/sciot\n"
        "    shared_group: ''\n"
        "    username: edge\n"
        "    password: 's3cr:t #x'\n"
        "    client_id: edge-1\n"
        "    qos: 2\n"
        "delay_simulation:\n"
        "  computation: {enabled: true, type: gaussian, mean: 0.01, std_dev: 2e-3}\n"
        "  network:\n"
        "    enabled: true\n"
        "    type: uniform\n"
        "    min: .001\n"
        "    max: 0.5\n"
        "local_inference_mode: {enabled: true, probability: 1}\n"
        "database: {path: ':memory:'}\n"
        "auth:\n"
        "  required: true\n"
        "  tokens:\n"
        "    cam-01: abc\n"
        "    \"cam 02\": \"def\"\n"
        "limits:\n"
        "  max_body_bytes: 1048576\n"
        "  max_devices: 32\n"
        "  queue_depth: 8\n"
        "  workers: 3\n"
        "  request_timeout_s: 5\n"
        "planner:\n"
        "  objective: weighted\n"
        "  alpha: 1\n"
        "  variance_window: 64\n"
        "  variance_threshold: 0.5\n"
        "  seed: 18446744073709551615\n"
        "  adaptive_explore: false\n"
        "  hysteresis: 0\n"
        "  power_w: {cpu: 1.5, tx: 2, idle: 0}\n"
        "  weights: {latency: 0.5, energy: 2, bytes: 0.25}\n";
    edge_config c;
    sciot_error err;
    if (load_text(text, &c, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(c.model, "/models/person_detect.tflite");
    assert_true(c.http_enabled);
    assert_string_equal(c.http_host, "0.0.0.0");
    assert_int_equal(c.http_port, 0);
    assert_string_equal(c.ep_registration, "/r");
    assert_string_equal(c.ep_device_input, "/i");
    assert_string_equal(c.ep_offloading_layer, "/o");
    assert_string_equal(c.ep_result, "/res");
    assert_string_equal(c.tls_certificate, "/etc/sciot/cert.pem");
    assert_false(c.ws_enabled);
    assert_string_equal(c.ws_path, "/socket");
    assert_true(c.mqtt_enabled);
    assert_string_equal(c.mqtt_host, "broker.local");
    assert_int_equal(c.mqtt_port, 1999);
    assert_string_equal(c.mqtt_prefix, "lab/sciot");
    assert_string_equal(c.mqtt_shared_group, "");
    assert_string_equal(c.mqtt_username, "edge");
    assert_string_equal(c.mqtt_password, "s3cr:t #x");
    assert_string_equal(c.mqtt_client_id, "edge-1");
    assert_int_equal(c.mqtt_qos, 2);
    assert_true(c.delay_computation.enabled);
    assert_int_equal(c.delay_computation.type, DELAY_GAUSSIAN);
    assert_true(c.delay_computation.mean == 0.01 && c.delay_computation.std_dev == 2e-3);
    assert_true(c.delay_network.enabled);
    assert_int_equal(c.delay_network.type, DELAY_UNIFORM);
    assert_true(c.delay_network.min == 0.001 && c.delay_network.max == 0.5);
    assert_true(c.local_mode_enabled);
    assert_true(c.local_mode_probability == 1.0);
    assert_string_equal(c.db_path, ":memory:");
    assert_true(c.auth_required);
    assert_int_equal(c.n_tokens, 2);
    assert_string_equal(c.token_device[0], "cam-01");
    assert_string_equal(c.token_value[0], "abc");
    assert_string_equal(c.token_device[1], "cam 02");
    assert_string_equal(c.token_value[1], "def");
    assert_int_equal(c.max_body_bytes, 1048576);
    assert_int_equal(c.max_devices, 32);
    assert_int_equal(c.queue_depth, 8);
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.request_timeout_s, 5);
    assert_string_equal(c.objective, "weighted");
    assert_true(c.alpha == 1.0);
    assert_int_equal(c.variance_window, 64);
    assert_true(c.variance_threshold == 0.5);
    assert_true(c.seed == UINT64_MAX);
    assert_false(c.adaptive_explore);
    assert_true(c.hysteresis == 0);
    assert_true(c.power_cpu_w == 1.5 && c.power_tx_w == 2 && c.power_idle_w == 0);
    assert_true(c.weight_latency == 0.5 && c.weight_energy == 2 && c.weight_bytes == 0.25);
    assert_int_equal(edge_config_validate(&c, &err), SCIOT_OK);

    /* Loading is "over the current values": a second file changes only its keys. */
    if (edge_config_load(&c, write_tmp("u.yaml", "communication: {http: {port: 9000}}\n"), &err))
        fail_msg("%s", err.msg);
    assert_int_equal(c.http_port, 9000);
    assert_string_equal(c.http_host, "0.0.0.0");
    assert_int_equal(c.n_tokens, 2);
    /* ...and a tokens mapping replaces the list. */
    if (edge_config_load(&c, write_tmp("u.yaml", "auth: {tokens: {x: y}}\n"), &err))
        fail_msg("%s", err.msg);
    assert_int_equal(c.n_tokens, 1);
    assert_string_equal(c.token_device[0], "x");
}

static void empty_and_null(void **state)
{
    edge_config c, d;
    sciot_error err;
    edge_config_defaults(&d);
    /* an empty file, a file of comments, an empty document: nothing changes */
    const char *texts[] = {"", "# nothing\n", "---\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (load_text(texts[i], &c, &err))
            fail_msg("'%s': %s", texts[i], err.msg);
        assert_memory_equal(&c, &d, sizeof c);
    }
    /* empty sections; a null string is the empty string */
    if (load_text("communication:\n  http:\n    tls:\n  mqtt: {username: ~, password: null}\nauth: {tokens: }\n", &c,
                  &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(&c, &d, sizeof c);
    /* workers: 0 is the number of online CPUs */
    if (load_text("limits: {workers: 0}\n", &c, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(c.workers, d.workers);
    /* longest strings that fit */
    char text[512];
    char host[256];
    memset(host, 'h', 255);
    host[255] = 0;
    snprintf(text, sizeof text, "communication: {http: {host: %s}}\n", host);
    if (load_text(text, &c, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(c.http_host, host);
}

/* ---- errors ---------------------------------------------------------------------- */

static void unknown_keys(void **state)
{
    expect_error("communication:\n  http:\n    prot: 8000\n", "unknown key 'communication.http.prot'", "line 3",
                 NULL);
    expect_error("modell: x\n", "unknown key 'modell'", "line 1", NULL);
    expect_error("planner:\n  power_w: {cpu: 1, gpu: 2}\n", "unknown key 'planner.power_w.gpu'", "line 2", NULL);
    expect_error("delay_simulation: {computation: {stddev: 1}}\n", "unknown key 'delay_simulation.computation.stddev'",
                 NULL);
    expect_error("communication: {http: {endpoints: {metrics: /m}}}\n",
                 "unknown key 'communication.http.endpoints.metrics'", NULL);
    /* a key may not reach a value through a dotted name */
    expect_error("communication.http.port: 1\n", "unknown key 'communication.http.port'", NULL);
    expect_error("? [a, b]\n: 1\n", "a sequence as a key", NULL);
}

static void wrong_types(void **state)
{
    expect_error("communication: {http: {port: eighty}}\n", "'communication.http.port'", "expected an integer",
                 "'eighty'", "line 1", NULL);
    expect_error("communication:\n  http:\n    port: \"8000\"\n", "'communication.http.port'", "expected an integer",
                 "\"8000\"", "line 3", NULL);
    expect_error("communication: {http: {port: 80.5}}\n", "'communication.http.port'", "'80.5'", NULL);
    expect_error("communication: {http: {port: 8000x}}\n", "'communication.http.port'", "'8000x'", NULL);
    expect_error("communication: {http: {port: 99999999999999999999}}\n", "'communication.http.port'", NULL);
    expect_error("communication: {http: {enabled: maybe}}\n", "'communication.http.enabled'", "'maybe'", NULL);
    expect_error("communication: {http: {enabled: 1}}\n", "'communication.http.enabled'", "boolean", NULL);
    expect_error("communication: {http: {host: [a, b]}}\n", "'communication.http.host'", "expected a string",
                 "a sequence", NULL);
    expect_error("communication: {http: {host: {a: b}}}\n", "'communication.http.host'", "a mapping", NULL);
    expect_error("communication: 5\n", "'communication'", "expected a mapping", NULL);
    expect_error("communication: {http: [1]}\n", "'communication.http'", "expected a mapping", "a sequence", NULL);
    expect_error("planner: {alpha: fast}\n", "'planner.alpha'", "'fast'", NULL);
    expect_error("planner: {alpha: .nan}\n", "'planner.alpha'", NULL);
    expect_error("planner: {alpha: 1e999}\n", "'planner.alpha'", NULL);
    expect_error("planner: {seed: -1}\n", "'planner.seed'", "'-1'", NULL);
    expect_error("planner: {seed: 18446744073709551616}\n", "'planner.seed'", NULL);
    expect_error("auth: {tokens: [a, b]}\n", "'auth.tokens'", "a sequence", NULL);
    expect_error("auth: {tokens: {cam: {x: y}}}\n", "'auth.tokens.cam'", "a mapping", NULL);
    expect_error("auth: {tokens: {cam: }}\n", "'auth.tokens.cam'", "empty token", NULL);
    expect_error("- a\n- b\n", "expected a mapping at the top level", NULL);
    expect_error("just a string\n", "expected a mapping at the top level", NULL);
}

static void bad_values(void **state)
{
    expect_error("delay_simulation:\n  network:\n    type: normal\n", "'delay_simulation.network.type'",
                 "unknown delay type 'normal'", "line 3", NULL);
    expect_error("planner: {objective: speed}\n", "'planner.objective'", "unknown objective 'speed'", NULL);
    expect_error("communication: {http: {port: -1}}\n", "'communication.http.port'", "-1", "out of range",
                 "[0, 65535]", NULL);
    expect_error("communication: {http: {port: 65536}}\n", "'communication.http.port'", "65536", NULL);
    expect_error("local_inference_mode: {probability: 2.0}\n", "'local_inference_mode.probability'", "2.0",
                 "out of range", "[0, 1]", NULL);
    expect_error("local_inference_mode: {probability: -0.5}\n", "'local_inference_mode.probability'", NULL);
    expect_error("planner: {alpha: 0}\n", "'planner.alpha'", "(0, 1]", NULL);
    expect_error("planner: {hysteresis: 1}\n", "'planner.hysteresis'", "[0, 1)", NULL);
    expect_error("planner: {variance_window: 65}\n", "'planner.variance_window'", NULL);
    expect_error("planner: {power_w: {tx: -1}}\n", "'planner.power_w.tx'", NULL);
    expect_error("communication: {mqtt: {qos: 3}}\n", "'communication.mqtt.qos'", NULL);
    expect_error("communication: {mqtt: {url: 'http://x:1'}}\n", "'communication.mqtt.url'", "unsupported scheme 'http'",
                 NULL);
    expect_error("limits: {max_body_bytes: 0}\n", "'limits.max_body_bytes'", NULL);
    expect_error("limits: {workers: -2}\n", "'limits.workers'", NULL);
    expect_error("limits: {queue_depth: 0}\n", "'limits.queue_depth'", NULL);
    expect_error("delay_simulation: {computation: {value: -0.1}}\n", "'delay_simulation.computation.value'", NULL);
}

static void too_long(void **state)
{
    char text[4096], longs[300];
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    snprintf(text, sizeof text, "communication: {http: {host: %s}}\n", longs);
    expect_error(text, "'communication.http.host'", "299 characters long, at most 255", NULL);
    snprintf(text, sizeof text, "communication: {websocket: {path: /%s}}\n", longs);
    expect_error(text, "'communication.websocket.path'", "at most 127", NULL);
    snprintf(text, sizeof text, "auth: {tokens: {%.70s: t}}\n", longs);
    expect_error(text, "'auth.tokens'", "at most 64", NULL);
    snprintf(text, sizeof text, "auth: {tokens: {d: %.130s}}\n", longs);
    expect_error(text, "'auth.tokens.d'", "at most 128", NULL);
    /* more tokens than EDGE_MAX_TOKENS */
    size_t n = (size_t)snprintf(text, sizeof text, "auth:\n  tokens:\n");
    char *big = malloc(64 * (EDGE_MAX_TOKENS + 2));
    assert_non_null(big);
    memcpy(big, text, n + 1);
    for (int i = 0; i <= EDGE_MAX_TOKENS; i++)
        n += (size_t)sprintf(big + n, "    dev%d: tok%d\n", i, i);
    expect_error(big, "'auth.tokens'", "more than 256 tokens", NULL);
    free(big);
}

static void duplicates(void **state)
{
    expect_error("communication:\n  http:\n    port: 1\n    port: 2\n", "duplicate key 'communication.http.port'",
                 "line 4", NULL);
    expect_error("model: a\nmodel: b\n", "duplicate key 'model'", NULL);
    expect_error("auth:\n  tokens:\n    a: x\n    a: y\n", "'auth.tokens'", "device 'a' appears twice", "line 4",
                 NULL);
}

static void syntax_errors(void **state)
{
    /* libyaml's own message, with its line */
    expect_error("communication:\n  http:\n    port: 8000\n   host: x\n", "YAML syntax error", "line 4", NULL);
    expect_error("planner: {alpha: 0.2\n", "YAML syntax error", NULL);
    expect_error("model: \"unterminated\n\n", "YAML syntax error", NULL);
    expect_error("a: *nothing\n", "YAML syntax error", NULL);
    expect_error("model: a\n---\nmodel: b\n", "more than one YAML document", "line 2", NULL);
    expect_error("\tmodel: a\n", "YAML syntax error", "line 1", NULL);
}

static void missing_file(void **state)
{
    edge_config c;
    sciot_error err = {0};
    edge_config_defaults(&c);
    char path[512];
    snprintf(path, sizeof path, "%s/does-not-exist.yaml", tmpdir);
    assert_int_equal(edge_config_load(&c, path, &err), SCIOT_ERR_IO);
    assert_non_null(strstr(err.msg, "does-not-exist.yaml: cannot open"));
    /* a directory is not a config file */
    assert_int_not_equal(edge_config_load(&c, tmpdir, &err), SCIOT_OK);
    assert_non_null(strstr(err.msg, tmpdir));
}

/* ---- MQTT URL -------------------------------------------------------------------- */

static void mqtt_url(void **state)
{
    edge_config c;
    sciot_error err = {0};
    edge_config_defaults(&c);
    assert_int_equal(edge_config_set_mqtt_url(&c, "mqtt://broker", &err), SCIOT_OK);
    assert_true(c.mqtt_enabled);
    assert_string_equal(c.mqtt_host, "broker");
    assert_int_equal(c.mqtt_port, 1883);
    assert_int_equal(edge_config_set_mqtt_url(&c, "mqtt://10.0.0.7:18830", &err), SCIOT_OK);
    assert_string_equal(c.mqtt_host, "10.0.0.7");
    assert_int_equal(c.mqtt_port, 18830);
    assert_int_equal(edge_config_set_mqtt_url(&c, "MQTT://localhost:1/", &err), SCIOT_OK);
    assert_string_equal(c.mqtt_host, "localhost");
    assert_int_equal(c.mqtt_port, 1);
    assert_int_equal(edge_config_set_mqtt_url(&c, "mqtt://[::1]:1884", &err), SCIOT_OK);
    assert_string_equal(c.mqtt_host, "::1");
    assert_int_equal(c.mqtt_port, 1884);
    assert_int_equal(edge_config_set_mqtt_url(&c, "mqtt://[fe80::1]", &err), SCIOT_OK);
    assert_string_equal(c.mqtt_host, "fe80::1");
    assert_int_equal(c.mqtt_port, 1883);
    assert_int_equal(edge_config_validate(&c, &err), SCIOT_OK);

    static const struct {
        const char *url, *want;
    } bad[] = {
        {"mqtts://broker:8883", "unsupported scheme 'mqtts'"},
        {"http://broker", "unsupported scheme 'http'"},
        {"ws://broker", "unsupported scheme 'ws'"},
        {"broker:1883", "expected mqtt://host[:port]"},
        {"", "expected mqtt://host[:port]"},
        {"mqtt://", "empty host"},
        {"mqtt://:1883", "empty host"},
        {"mqtt://broker:", "bad port"},
        {"mqtt://broker:0", "port must be 1..65535"},
        {"mqtt://broker:65536", "port must be 1..65535"},
        {"mqtt://broker:-1", "bad port"},
        {"mqtt://broker:12ab", "port must be 1..65535"},
        {"mqtt://broker:1883/topic", "port must be 1..65535"},
        {"mqtt://broker/x", "unexpected '/x'"},
        {"mqtt://user:pw@broker", "bad port"},
        {"mqtt://user@broker", "bad character"},
        {"mqtt://[::1", "unterminated '['"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        edge_config d;
        edge_config_defaults(&d);
        memset(&err, 0, sizeof err);
        if (edge_config_set_mqtt_url(&d, bad[i].url, &err) == SCIOT_OK)
            fail_msg("'%s' accepted", bad[i].url);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].url, err.msg, bad[i].want);
        assert_false(d.mqtt_enabled);
        assert_string_equal(d.mqtt_host, "127.0.0.1");
    }
    assert_int_not_equal(edge_config_set_mqtt_url(&c, NULL, &err), SCIOT_OK);

    /* In a file the URL sets host and port; `enabled` alone decides. */
    if (load_text("communication: {mqtt: {url: 'mqtt://b:2000'}}\n", &c, &err))
        fail_msg("%s", err.msg);
    assert_false(c.mqtt_enabled);
    assert_string_equal(c.mqtt_host, "b");
    assert_int_equal(c.mqtt_port, 2000);
}

/* ---- validate ---------------------------------------------------------------------- */

static void validate(void **state)
{
    edge_config c;
    sciot_error err;
#define EXPECT_INVALID(mutation, want)                                          \
    do {                                                                        \
        edge_config_defaults(&c);                                               \
        mutation;                                                               \
        memset(&err, 0, sizeof err);                                            \
        assert_int_not_equal(edge_config_validate(&c, &err), SCIOT_OK);         \
        if (!strstr(err.msg, want))                                             \
            fail_msg("%s: message '%s' lacks '%s'", #mutation, err.msg, want);  \
    } while (0)
    EXPECT_INVALID(c.http_port = -1, "communication.http.port: -1");
    EXPECT_INVALID(c.http_port = 70000, "communication.http.port");
    EXPECT_INVALID(c.local_mode_probability = 2.0, "local_inference_mode.probability: 2");
    EXPECT_INVALID((c.http_enabled = false, c.ws_enabled = false), "no transport enabled");
    EXPECT_INVALID(c.http_host[0] = 0, "communication.http.host");
    EXPECT_INVALID(snprintf(c.ep_result, sizeof c.ep_result, "api/x"), "must start with '/'");
    EXPECT_INVALID(snprintf(c.ep_result, sizeof c.ep_result, "/api/registration"), "are the same path");
    EXPECT_INVALID(snprintf(c.ws_path, sizeof c.ws_path, "/a b"), "communication.websocket.path");
    EXPECT_INVALID(c.mqtt_port = 0, "communication.mqtt.url: port 0");
    EXPECT_INVALID(c.mqtt_qos = 3, "communication.mqtt.qos");
    EXPECT_INVALID(snprintf(c.mqtt_prefix, sizeof c.mqtt_prefix, "a/+/b"), "communication.mqtt.topic_prefix");
    EXPECT_INVALID(c.mqtt_prefix[0] = 0, "communication.mqtt.topic_prefix");
    EXPECT_INVALID(snprintf(c.mqtt_prefix, sizeof c.mqtt_prefix, "a/"), "empty topic level");
    EXPECT_INVALID(snprintf(c.mqtt_shared_group, sizeof c.mqtt_shared_group, "g/h"), "communication.mqtt.shared_group");
    EXPECT_INVALID(snprintf(c.mqtt_password, sizeof c.mqtt_password, "pw"), "without a username");
    EXPECT_INVALID((c.delay_network.enabled = true, c.delay_network.type = DELAY_UNIFORM, c.delay_network.min = 2,
                    c.delay_network.max = 1),
                   "delay_simulation.network: min 2 > max 1");
    EXPECT_INVALID(c.delay_computation.std_dev = -1, "delay_simulation.computation.std_dev");
    EXPECT_INVALID(c.delay_computation.type = (edge_delay_type)9, "delay_simulation.computation.type");
    EXPECT_INVALID(c.db_path[0] = 0, "database.path");
    EXPECT_INVALID(c.max_body_bytes = 0, "limits.max_body_bytes");
    EXPECT_INVALID(c.max_devices = 0, "limits.max_devices");
    EXPECT_INVALID(c.queue_depth = -1, "limits.queue_depth");
    EXPECT_INVALID(c.workers = 0, "limits.workers");
    EXPECT_INVALID(c.request_timeout_s = 0, "limits.request_timeout_s");
    EXPECT_INVALID(snprintf(c.objective, sizeof c.objective, "fast"), "planner.objective");
    EXPECT_INVALID(c.alpha = 0, "planner.alpha");
    EXPECT_INVALID(c.variance_window = 0, "planner.variance_window");
    EXPECT_INVALID(c.variance_threshold = 0, "planner.variance_threshold");
    EXPECT_INVALID(c.hysteresis = 1, "planner.hysteresis");
    EXPECT_INVALID(c.power_idle_w = -0.1, "planner.power_w.idle");
    EXPECT_INVALID((snprintf(c.objective, sizeof c.objective, "weighted"), c.weight_latency = 0), "all zero");
    EXPECT_INVALID((c.n_tokens = 1, c.token_device[0][0] = 0), "auth.tokens");
    /* websocket alone (its server is the HTTP server's) is a valid setup, MQTT alone too */
    edge_config_defaults(&c);
    c.http_enabled = false;
    assert_int_equal(edge_config_validate(&c, &err), SCIOT_OK);
    c.ws_enabled = false;
    c.mqtt_enabled = true;
    assert_int_equal(edge_config_validate(&c, &err), SCIOT_OK);
#undef EXPECT_INVALID
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sciot_edge_config_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),      cmocka_unit_test(example_file), cmocka_unit_test(every_key),
        cmocka_unit_test(empty_and_null), cmocka_unit_test(unknown_keys), cmocka_unit_test(wrong_types),
        cmocka_unit_test(bad_values),    cmocka_unit_test(too_long),     cmocka_unit_test(duplicates),
        cmocka_unit_test(syntax_errors), cmocka_unit_test(missing_file), cmocka_unit_test(mqtt_url),
        cmocka_unit_test(validate),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
