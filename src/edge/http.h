/* http.h — the HTTP + WebSocket transport (civetweb). */
#ifndef SCIOT_EDGE_HTTP_H
#define SCIOT_EDGE_HTTP_H

#include "edge/config.h"
#include "edge/service.h"

typedef struct edge_http edge_http;

/* Listen on cfg->http_host:http_port (TLS when tls_certificate is set). */
sciot_status edge_http_start(edge_http **h, edge_service *svc, const edge_config *cfg, sciot_error *err);
/* The bound port (useful with port 0). */
int edge_http_port(const edge_http *h);
/* Stop accepting, wait for running handlers. */
void edge_http_stop(edge_http *h);

#endif
