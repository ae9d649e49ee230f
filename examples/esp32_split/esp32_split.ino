/* esp32_split.ino — SCIoT on an ESP32: split inference over WiFi with the
 * portable device core, falling back to a full local run whenever the edge
 * cannot be reached.
 *
 * NOT EXERCISED BY THE PROJECT: no ESP32 toolchain or board is available to
 * its CI. What is tested is the same device core on a Cortex-M4F under QEMU
 * (firmware/cortex-m) and on aarch64 (scripts/cross-aarch64.sh), and the
 * Arduino library layout with the host compiler (scripts/arduino-lib.sh
 * --check). Treat this sketch as a starting point; see docs/PORTS.md.
 *
 * Before building, generate the model and a test input as C arrays next to
 * this file (16-byte aligned, as the model reader wants; never committed):
 *
 *   cmake -DIN=$SCIOT_MODELS/person_detect/model.tflite -DOUT=model_data.c \
 *         -DNAME=sciot_model_data -P <sciot>/firmware/cortex-m/embed.cmake
 *   cmake -DIN=$SCIOT_MODELS/person_detect/cases/tflm_person_bmp.in.bin \
 *         -DOUT=input_data.c -DNAME=sciot_input_data -P <sciot>/firmware/cortex-m/embed.cmake
 *
 * and set WIFI_SSID, WIFI_PASS, EDGE_URL (an `sciot edge` reachable from the
 * board), DEVICE_ID and TOKEN below.
 *
 * Each request: the core runs operators [0, k) (k = the edge's decision),
 * encodes the cut into a frame, http_exchange() POSTs it to
 * /api/device_inference_result and reads the REPLY frame (the prediction
 * and the next k). Any HTTP error or timeout: the core runs [k, N) here and
 * the prediction is the same bytes. Full local runs send a LOCAL report
 * (outputs + per-operator times) that the edge's planner learns from; the
 * ones that could not be delivered wait in a small RAM queue and are sent
 * when the edge answers again.
 *
 * Memory: the core never allocates. setup() takes the buffers once, sized
 * exactly by the core (person_detect: model tables 55 KB, arena 83 KB,
 * frame 37 KB); nothing is freed or allocated afterwards. */
#include <Arduino.h>
#include <HTTPClient.h>
#include <WiFi.h>
#include <esp_timer.h>

#include <SCIoT.h>

/* ---- configuration ------------------------------------------------------ */
static const char *WIFI_SSID = "your-ssid";
static const char *WIFI_PASS = "your-password";
static const char *EDGE_URL = "http://192.168.1.10:8080"; /* sciot edge, no trailing slash */
static const char *DEVICE_ID = "esp32-1";
static const char *TOKEN = ""; /* the edge's device token, if it requires one */
static const uint32_t INTERVAL_MS = 2000;
static const uint32_t TIMEOUT_MS = 5000;

/* generated at build time (see above) */
extern "C" {
extern const uint8_t sciot_model_data[];
extern const size_t sciot_model_data_len;
extern const uint8_t sciot_model_data_sha256[32]; /* the model's identity, hashed at build time */
extern const uint8_t sciot_input_data[];
extern const size_t sciot_input_data_len;
}

static sciot_model model;
static sciot_device dev;
static uint8_t model_sha[32];
static char model_sha_hex[65];

/* LOCAL reports the edge could not take yet */
#define REPORT_SLOTS 8
#define REPORT_MAX 1024
static uint8_t report_buf[REPORT_SLOTS][REPORT_MAX];
static size_t report_len[REPORT_SLOTS];
static unsigned report_head, report_count, reports_dropped;

/* One allocation per buffer, at boot, 16-byte aligned. */
static void *take(size_t bytes)
{
    uint8_t *raw = (uint8_t *)malloc(bytes + 15);
    if (!raw) {
        Serial.printf("out of memory taking %u bytes\n", (unsigned)bytes);
        for (;;)
            delay(1000);
    }
    return (void *)(((uintptr_t)raw + 15) & ~(uintptr_t)15);
}

/* ---- platform ------------------------------------------------------------ */
static uint64_t pf_now_us(void *ctx)
{
    (void)ctx;
    return (uint64_t)esp_timer_get_time();
}

static HTTPClient http; /* kept across requests: keep-alive */

/* POST body to EDGE_URL + path; the answer into resp[resp_cap]. */
static sciot_status http_post(const char *path, const char *content_type, const uint8_t *body, size_t body_len,
                              uint8_t *resp, size_t resp_cap, size_t *resp_len, uint32_t timeout_ms,
                              sciot_error *err)
{
    char url[160];
    *resp_len = 0;
    if (WiFi.status() != WL_CONNECTED)
        return sciot_fail(err, SCIOT_ERR_IO, "WiFi is not connected");
    snprintf(url, sizeof url, "%s%s", EDGE_URL, path);
    http.setReuse(true);
    http.setConnectTimeout((int32_t)timeout_ms);
    http.setTimeout((uint16_t)(timeout_ms > 65535 ? 65535 : timeout_ms));
    if (!http.begin(url))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "bad edge URL %s", url);
    http.addHeader("Content-Type", content_type);
    if (TOKEN[0])
        http.addHeader("X-SCIoT-Token", TOKEN);
    int code = http.POST((uint8_t *)body, body_len);
    if (code != 200) {
        sciot_status s = code < 0 ? sciot_fail(err, SCIOT_ERR_IO, "%s: %s", path, HTTPClient::errorToString(code).c_str())
                                  : sciot_fail(err, SCIOT_ERR_IO, "%s: HTTP %d", path, code);
        http.end();
        return s;
    }
    int len = http.getSize(); /* -1: no Content-Length */
    if (len > (int)resp_cap) {
        http.end();
        return sciot_fail(err, SCIOT_ERR_LENGTH, "%s: answer of %d bytes, buffer of %u", path, len, (unsigned)resp_cap);
    }
    auto *in = http.getStreamPtr(); /* WiFiClient (NetworkClient in core 3.x) */
    size_t n = 0, want = len >= 0 ? (size_t)len : resp_cap;
    uint32_t t0 = millis();
    while (n < want && millis() - t0 < timeout_ms) {
        int avail = in->available();
        if (avail > 0) {
            int r = in->read(resp + n, want - n);
            if (r > 0)
                n += (size_t)r;
        } else if (!in->connected()) {
            break;
        } else {
            delay(1);
        }
    }
    http.end();
    if (len >= 0 && n != (size_t)len)
        return sciot_fail(err, SCIOT_ERR_IO, "%s: answer cut at %u of %d bytes", path, (unsigned)n, len);
    *resp_len = n;
    return SCIOT_OK;
}

/* The device core's transport: frame out, REPLY frame back. */
static sciot_status pf_exchange(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                                size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    (void)ctx;
    return http_post("/api/device_inference_result", "application/octet-stream", req, req_len, resp, resp_cap,
                     resp_len, timeout_ms, err);
}

/* POST /api/registration; on success the edge's first decision. */
static bool register_device(void)
{
    char body[200], answer[512];
    size_t n = 0;
    sciot_error err = {};
    snprintf(body, sizeof body, "{\"device_id\":\"%s\",\"model_sha256\":\"%s\"%s%s%s}", DEVICE_ID, model_sha_hex,
             TOKEN[0] ? ",\"token\":\"" : "", TOKEN, TOKEN[0] ? "\"" : "");
    if (http_post("/api/registration", "application/json", (const uint8_t *)body, strlen(body), (uint8_t *)answer,
                  sizeof answer - 1, &n, TIMEOUT_MS, &err)) {
        Serial.printf("registration failed: %s\n", err.msg);
        return false;
    }
    answer[n] = 0;
    const char *k = strstr(answer, "\"split\":");
    int split = k ? atoi(k + 8) : -1;
    sciot_device_set_split(&dev, split); /* -1 or out of range: run locally */
    Serial.printf("registered with the edge, first split k = %d\n", split);
    return true;
}

static void queue_report(void)
{
    size_t len = 0;
    const uint8_t *p = sciot_device_pending_report(&dev, &len);
    if (!p || len > REPORT_MAX)
        return;
    if (report_count == REPORT_SLOTS) { /* full: the oldest goes */
        report_head = (report_head + 1) % REPORT_SLOTS;
        report_count--;
        reports_dropped++;
    }
    unsigned slot = (report_head + report_count) % REPORT_SLOTS;
    memcpy(report_buf[slot], p, len);
    report_len[slot] = len;
    report_count++;
}

static void send_queued_reports(void)
{
    while (report_count) {
        sciot_error err = {};
        if (sciot_device_send_report(&dev, report_buf[report_head], report_len[report_head], &err)) {
            Serial.printf("queued report not delivered yet: %s\n", err.msg);
            return;
        }
        report_head = (report_head + 1) % REPORT_SLOTS;
        report_count--;
    }
}

/* Replace with the camera frame, quantized to the model's input. */
static void fill_input(void)
{
    memcpy(sciot_device_input(&dev, 0), sciot_input_data, sciot_input_data_len);
}

void setup()
{
    Serial.begin(115200);
    sciot_error err = {};
    size_t tables = 0, arena_bytes = 0;
    if (sciot_model_storage_size(sciot_model_data, sciot_model_data_len, &tables, &err) ||
        sciot_model_parse(&model, sciot_model_data, sciot_model_data_len, take(tables), tables, &err) ||
        sciot_device_arena_size(&model, &arena_bytes, &err)) {
        Serial.printf("model: %s\n", err.msg);
        for (;;)
            delay(1000);
    }
    size_t tx_cap = sciot_device_frame_cap(&model), rx_cap = sciot_device_reply_cap(&model);
    memcpy(model_sha, sciot_model_data_sha256, 32); /* or sciot_sha256() over the model: ~16M instructions */
    for (int i = 0; i < 32; i++)
        snprintf(model_sha_hex + 2 * i, 3, "%02x", model_sha[i]);

    sciot_device_platform pf = {};
    pf.now_us = pf_now_us;
    pf.delay_us = NULL;
    pf.exchange = pf_exchange;
    if (sciot_device_init(&dev, &model, model_sha, DEVICE_ID, take(arena_bytes), arena_bytes, (uint8_t *)take(tx_cap),
                          tx_cap, (uint8_t *)take(rx_cap), rx_cap,
                          (uint32_t *)take(sizeof(uint32_t) * (size_t)model.n_ops), &pf, &err)) {
        Serial.printf("device: %s\n", err.msg);
        for (;;)
            delay(1000);
    }
    dev.timeout_ms = TIMEOUT_MS;
    Serial.printf("SCIoT: %d operators, tables %u + arena %u + frame %u + reply %u bytes\n", (int)model.n_ops,
                  (unsigned)tables, (unsigned)arena_bytes, (unsigned)tx_cap, (unsigned)rx_cap);

    WiFi.mode(WIFI_STA);
    WiFi.begin(WIFI_SSID, WIFI_PASS);
    for (uint32_t t0 = millis(); WiFi.status() != WL_CONNECTED && millis() - t0 < 15000;)
        delay(250);
    Serial.printf("WiFi: %s\n", WiFi.status() == WL_CONNECTED ? WiFi.localIP().toString().c_str() : "not connected");
    register_device(); /* without an edge: full local runs until it answers */
}

void loop()
{
    static uint32_t last;
    if (millis() - last < INTERVAL_MS)
        return;
    last = millis();
    if (!dev.edge_ok && dev.has_prev) /* the edge was lost: it may have restarted and forgotten us */
        register_device();

    sciot_device_result r;
    sciot_error err = {};
    fill_input();
    if (sciot_device_infer(&dev, &r, &err)) {
        Serial.printf("inference failed: %s\n", err.msg);
        return;
    }
    if (r.report_pending)
        queue_report();
    else if (dev.edge_ok)
        send_queued_reports();

    const int8_t *out = (const int8_t *)sciot_device_output(&dev, 0);
    const sciot_tensor *ot = &model.tensors[model.outputs[0]];
    Serial.printf("{\"request\":%u,\"split\":%d,\"where\":\"%s\",\"next_split\":%d,\"device_ms\":%.2f,"
                  "\"network_ms\":%.2f,\"edge_ms\":%.2f,\"total_ms\":%.2f,\"bytes_sent\":%u,\"queued\":%u,\"error\":",
                  (unsigned)r.request_id, (int)r.split, sciot_where_name(r.where), (int)r.next_split,
                  r.device_us / 1000.0, r.network_us / 1000.0, r.edge_us / 1000.0, r.total_us / 1000.0,
                  (unsigned)r.bytes_sent, report_count);
    if (r.error[0]) {
        Serial.print('"');
        for (const char *c = r.error; *c; c++) {
            if (*c == '"' || *c == '\\')
                Serial.print('\\');
            Serial.print(*c);
        }
        Serial.print('"');
    } else {
        Serial.print("null");
    }
    Serial.print(",\"output\":[");
    for (size_t i = 0; ot->dtype == SCIOT_INT8 && i < ot->bytes && i < 16; i++)
        Serial.printf("%s%d", i ? "," : "", out[i]);
    Serial.println("]}");
}
