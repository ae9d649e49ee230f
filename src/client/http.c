/* http.c — the HTTP transport of the device client (libcurl).
 *
 * One easy handle for the whole run, so the TCP connection is kept alive
 * between requests (curl reconnects by itself when the edge closed it or
 * restarted). CURLOPT_TIMEOUT_MS bounds every call as a whole, connection
 * set-up included; CURLOPT_CONNECTTIMEOUT_MS the set-up alone. No
 * "Expect: 100-continue" (it would cost a round trip per frame). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "client/client.h"

#define HTTP_BODY_MAX (8u * 1024u * 1024u) /* more than any answer of the edge */

typedef struct {
    client_transport base;
    CURL *curl;
    struct curl_slist *hdr_frame, *hdr_json;
    char url_reg[1100], url_result[1100];
    char errbuf[CURL_ERROR_SIZE];
    uint8_t *body; /* the answer being received */
    size_t len, cap;
    int overflow;
} http_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    http_t *h = user;
    size_t bytes = size * n;
    if (h->len + bytes > HTTP_BODY_MAX) {
        h->overflow = 1;
        return 0; /* makes curl fail the transfer */
    }
    if (h->len + bytes + 1 > h->cap) {
        size_t ncap = h->cap ? h->cap : 4096;
        while (ncap < h->len + bytes + 1)
            ncap *= 2;
        uint8_t *nb = realloc(h->body, ncap);
        if (!nb) {
            h->overflow = 1;
            return 0;
        }
        h->body = nb;
        h->cap = ncap;
    }
    memcpy(h->body + h->len, data, bytes);
    h->len += bytes;
    h->body[h->len] = 0;
    return bytes;
}

/* POST body to url; on success *status and *ctype (curl-owned) are set. */
static sciot_status post(http_t *h, const char *url, struct curl_slist *hdr, const void *body, size_t len,
                         uint32_t timeout_ms, long *status, const char **ctype, sciot_error *err)
{
    CURL *c = h->curl;
    client_answer_reset(&h->base);
    h->len = 0;
    h->overflow = 0;
    h->errbuf[0] = 0;
    if (timeout_ms == 0)
        timeout_ms = 1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        if (h->overflow)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "%s: the edge's answer exceeds %u bytes", url, HTTP_BODY_MAX);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            return sciot_fail(err, SCIOT_ERR_IO, "%s: no answer within %u ms", url, timeout_ms);
        return sciot_fail(err, SCIOT_ERR_IO, "%s: %s", url, h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    *ctype = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, ctype);
    return SCIOT_OK;
}

static sciot_status http_reg(client_transport *t, const char *json, char **answer, uint32_t timeout_ms,
                             sciot_error *err)
{
    http_t *h = (http_t *)t;
    long status = 0;
    const char *ctype;
    *answer = NULL;
    sciot_status s = post(h, h->url_reg, h->hdr_json, json, strlen(json), timeout_ms, &status, &ctype, err);
    if (s)
        return s;
    if (status != 200)
        return client_answer_error(t, (int)status, (const char *)h->body, h->len, err);
    t->last_status = 200;
    *answer = malloc(h->len + 1);
    if (!*answer)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    if (h->len)
        memcpy(*answer, h->body, h->len);
    (*answer)[h->len] = 0;
    return SCIOT_OK;
}

static sciot_status http_exchange(client_transport *t, const uint8_t *req, size_t req_len, uint8_t *resp,
                                  size_t resp_cap, size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    http_t *h = (http_t *)t;
    long status = 0;
    const char *ctype;
    sciot_status s = post(h, h->url_result, h->hdr_frame, req, req_len, timeout_ms, &status, &ctype, err);
    if (s)
        return s;
    if (status != 200)
        return client_answer_error(t, (int)status, (const char *)h->body, h->len, err);
    if (!ctype || strncasecmp(ctype, "application/octet-stream", 24) != 0)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: answered 200 with content type '%.60s', expected a frame",
                          h->url_result, ctype ? ctype : "(none)");
    t->last_status = 200;
    if (h->len > resp_cap)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "reply of %zu bytes, the reply buffer holds %zu", h->len, resp_cap);
    memcpy(resp, h->body, h->len);
    *resp_len = h->len;
    return SCIOT_OK;
}

static void http_destroy(client_transport *t)
{
    http_t *h = (http_t *)t;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->hdr_frame);
    curl_slist_free_all(h->hdr_json);
    free(h->body);
    free(h);
}

sciot_status client_http_open(client_transport **out, const char *url, const char *token, sciot_error *err)
{
    *out = NULL;
    size_t ul = strlen(url);
    while (ul > 0 && url[ul - 1] == '/')
        ul--;
    if (ul > 1000)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "edge URL longer than 1000 characters");
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return sciot_fail(err, SCIOT_ERR_IO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    http_t *h = calloc(1, sizeof *h);
    if (!h)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    h->base.kind = "http";
    h->base.reg = http_reg;
    h->base.exchange = http_exchange;
    h->base.destroy = http_destroy;
    snprintf(h->url_reg, sizeof h->url_reg, "%.*s/api/registration", (int)ul, url);
    snprintf(h->url_result, sizeof h->url_result, "%.*s/api/device_inference_result", (int)ul, url);
    char auth[200] = "";
    if (token && *token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %.150s", token);
    h->hdr_frame = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    h->hdr_frame = curl_slist_append(h->hdr_frame, "Accept: application/octet-stream");
    h->hdr_frame = curl_slist_append(h->hdr_frame, "Expect:");
    h->hdr_json = curl_slist_append(NULL, "Content-Type: application/json");
    h->hdr_json = curl_slist_append(h->hdr_json, "Accept: application/json");
    h->hdr_json = curl_slist_append(h->hdr_json, "Expect:");
    if (auth[0]) {
        h->hdr_frame = curl_slist_append(h->hdr_frame, auth);
        h->hdr_json = curl_slist_append(h->hdr_json, auth);
    }
    h->curl = curl_easy_init();
    if (!h->curl || !h->hdr_frame || !h->hdr_json) {
        http_destroy(&h->base);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "cannot create a libcurl handle");
    }
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sciot-device/0.1");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    *out = &h->base;
    return SCIOT_OK;
}
