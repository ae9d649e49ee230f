/* cmd_edge.c — `sciot edge`: the edge server. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "edge/config.h"
#include "edge/http.h"
#include "edge/mqtt.h"
#include "edge/service.h"

static const char help[] =
    "usage: sciot edge [--config FILE] [--model M] [--port P] [--host H] [--db PATH]\n"
    "                  [--mqtt mqtt://HOST:PORT] [--workers N]\n"
    "Serves devices over HTTP, WebSocket and MQTT at once: registration, split\n"
    "decisions, tails [k, N) of the model, predictions; per-device planners\n"
    "persisted in SQLite. Defaults: 127.0.0.1:8000, WebSocket on /ws, database\n"
    "sciot_edge.db, MQTT off. --port 0 picks a free port. Prints one line\n"
    "'sciot edge: ready ...' when it serves; SIGINT/SIGTERM stop it gracefully\n"
    "(stop accepting, finish in-flight requests, flush the database).\n"
    "Configuration keys: docs/EDGE.md.\n";

int cmd_edge(int argc, char **argv)
{
    edge_config cfg;
    sciot_error err = {0};
    edge_config_defaults(&cfg);
    const char *config_path = NULL;
    /* the config file first, then the flags override it */
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_path = argv[i + 1];
    }
    if (config_path && edge_config_load(&cfg, config_path, &err))
        return cli_error("edge", "%s", err.msg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--config")) {
            i++;
        } else if (!strcmp(a, "--model") && v) {
            snprintf(cfg.model, sizeof cfg.model, "%s", v);
            i++;
        } else if (!strcmp(a, "--port") && v) {
            long p = cli_parse_long(v);
            if (p < 0 || p > 65535)
                return cli_error("edge", "--port '%s': expected 0..65535", v);
            cfg.http_port = (int)p;
            i++;
        } else if (!strcmp(a, "--host") && v) {
            snprintf(cfg.http_host, sizeof cfg.http_host, "%s", v);
            i++;
        } else if (!strcmp(a, "--db") && v) {
            snprintf(cfg.db_path, sizeof cfg.db_path, "%s", v);
            i++;
        } else if (!strcmp(a, "--workers") && v) {
            long w = cli_parse_long(v);
            if (w < 1 || w > 1024)
                return cli_error("edge", "--workers '%s': expected 1..1024", v);
            cfg.workers = (int)w;
            i++;
        } else if (!strcmp(a, "--mqtt") && v) {
            if (edge_config_set_mqtt_url(&cfg, v, &err))
                return cli_error("edge", "%s", err.msg);
            i++;
        } else {
            return cli_error("edge", "unknown or incomplete option '%s' (see 'sciot edge --help')", a);
        }
    }
    if (!cfg.model[0])
        return cli_error("edge", "no model: give --model M or 'model:' in the config");
    if (edge_config_validate(&cfg, &err))
        return cli_error("edge", "%s", err.msg);

    if (cfg.tls_certificate[0])
        fprintf(stderr, "sciot edge: warning: civetweb 1.15's TLS resets connections after the handshake with "
                        "OpenSSL 3 (Debian 12); terminate TLS in front of the edge (docs/EDGE.md, TLS)\n");
    /* block the stop signals in every thread; the main thread waits for them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    edge_service *svc;
    if (edge_service_create(&svc, &cfg, &err))
        return cli_error("edge", "%s", err.msg);
    edge_http *http = NULL;
    edge_mqtt *mqtt = NULL;
    if (cfg.http_enabled && edge_http_start(&http, svc, &cfg, &err)) {
        edge_service_destroy(svc);
        return cli_error("edge", "%s", err.msg);
    }
    if (cfg.mqtt_enabled && edge_mqtt_start(&mqtt, svc, &cfg, &err)) {
        edge_http_stop(http);
        edge_service_destroy(svc);
        return cli_error("edge", "%s", err.msg);
    }
    const sciot_model *m = edge_service_model(svc);
    char mq[300] = "off";
    if (cfg.mqtt_enabled)
        snprintf(mq, sizeof mq, "mqtt://%s:%d", cfg.mqtt_host, cfg.mqtt_port);
    printf("sciot edge: ready http=%s%s:%d ws=%s mqtt=%s model=%s ops=%d sha256=%s db=%s\n",
           cfg.tls_certificate[0] ? "https://" : "http://", cfg.http_host, http ? edge_http_port(http) : 0,
           cfg.ws_enabled && http ? cfg.ws_path : "off", mq, cfg.model, m->n_ops, edge_service_model_sha_hex(svc),
           cfg.db_path);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "sciot edge: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    edge_http_stop(http);  /* no new requests; running handlers finish */
    edge_mqtt_stop(mqtt);
    edge_service_destroy(svc); /* drain the pool, persist devices, flush SQLite */
    fprintf(stderr, "sciot edge: stopped\n");
    return 0;
}
