/* transport.c — choosing a transport by URL, and what they share. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "client/client.h"

sciot_status client_transport_open(client_transport **t, const char *url, const char *device_id,
                                   const char *token, sciot_error *err)
{
    *t = NULL;
    if (!url || !*url)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "empty edge URL");
    if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8))
        return client_http_open(t, url, token, err);
    if (!strncasecmp(url, "ws://", 5) || !strncasecmp(url, "wss://", 6))
        return client_ws_open(t, url, token, err);
    if (!strncasecmp(url, "mqtt://", 7))
        return client_mqtt_open(t, url, device_id, token, err);
    return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                      "edge URL '%.200s': expected http://HOST:PORT, ws://HOST:PORT/ws or mqtt://HOST:PORT", url);
}

void client_transport_close(client_transport *t)
{
    if (t)
        t->destroy(t);
}

void client_answer_reset(client_transport *t)
{
    t->last_status = 0;
    t->last_code[0] = '\0';
}

sciot_status client_answer_error(client_transport *t, int status, const char *body, size_t len, sciot_error *err)
{
    char detail[200] = "";
    t->last_status = status;
    snprintf(t->last_code, sizeof t->last_code, "error");
    cJSON *o = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    if (cJSON_IsObject(o)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "error");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "detail");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "status");
        if (cJSON_IsString(c))
            snprintf(t->last_code, sizeof t->last_code, "%s", c->valuestring);
        if (cJSON_IsString(d))
            snprintf(detail, sizeof detail, "%s", d->valuestring);
        if (cJSON_IsNumber(s) && s->valueint > 0 && status <= 0)
            t->last_status = status = s->valueint;
    } else if (body && len) {
        size_t n = len < sizeof detail - 1 ? len : sizeof detail - 1;
        for (size_t i = 0; i < n; i++) /* printable only */
            detail[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
        detail[n] = '\0';
    }
    cJSON_Delete(o);
    return sciot_fail(err, SCIOT_ERR_IO, "edge answered %d %s%s%s", status, t->last_code, detail[0] ? ": " : "",
                      detail);
}

uint64_t client_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint32_t client_ms_left(uint64_t deadline_ms)
{
    uint64_t now = client_now_ms();
    return now >= deadline_ms ? 0 : (uint32_t)(deadline_ms - now);
}

uint64_t client_frame_request_id(const uint8_t *f, size_t len)
{
    uint64_t v = 0;
    if (!f || len < 20)
        return 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | f[12 + i];
    return v;
}

sciot_status client_take_reply(client_transport *t, uint8_t *data, size_t len, uint8_t *resp, size_t cap,
                               size_t *resp_len, sciot_error *err)
{
    t->last_status = 200;
    if (len > cap) {
        free(data);
        return sciot_fail(err, SCIOT_ERR_LENGTH, "reply of %zu bytes, the reply buffer holds %zu", len, cap);
    }
    memcpy(resp, data, len);
    *resp_len = len;
    free(data);
    return SCIOT_OK;
}
