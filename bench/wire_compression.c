/* wire_compression.c — what the RLE payload coding of the wire frame buys on
 * real cuts, and what it costs.
 *
 *   sciot_bench_wire_compression [MODELS_DIR]      (default: $SCIOT_MODELS)
 *
 * For fomo_face and person_detect, every split point k: the head [0, k) runs
 * on each golden case input, the cut of k is encoded raw and with
 * SCIOT_WIRE_F_COMPRESS, and the table gives, for the first case:
 *   raw B     the cut tensors' bytes (what a raw frame carries as payload),
 *   RLE B     sciot_rle_encode of every cut tensor (even where it expands),
 *   mask B    the zero-point mask coding's size, ceil(n/8) + bytes != zero
 *             point (computed here from the definition, not by the library),
 *   sent B    the payload bytes of the COMPRESS frame as the library's
 *             encoder made it (per tensor the coding it chose, raw when no
 *             coding is smaller),
 *   frame B   whole frames, raw and COMPRESS (header, times, records, CRC),
 *   ratio     raw B / sent B,
 * and RLE B, mask B, sent B and the ratio averaged over all of its cases.
 * Then the throughput of sciot_rle_encode / sciot_rle_decode (and CRC-32C and
 * whole-frame encode/decode) on this machine, in MB/s of raw bytes, on the
 * real cut tensors, on all-zero and on random bytes. Output: Markdown. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "host/host.h"
#include "sciot/engine.h"
#include "sciot/wire.h"

#define MAX_K 512

typedef struct {
    int32_t n_cut;
    size_t raw, rle0, mask0, sent0, frame0, frame_raw0;
    double rle_sum, mask_sum, sent_sum;
    char tensors[64];
} row;

static uint8_t *pool;     /* every cut tensor of the first case, back to back */
static size_t pool_len, pool_cap;
/* whole-frame COMPRESS encode / decode + tensor_read, first case, all k */
static double frame_raw_bytes, frame_enc_us, frame_dec_us;
#define FRAME_REPS 20

static void die(const char *what, const sciot_error *err)
{
    fprintf(stderr, "wire_compression: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static void pool_add(const void *d, size_t n)
{
    if (pool_len + n > pool_cap) {
        pool_cap = 2 * (pool_len + n);
        pool = realloc(pool, pool_cap);
        if (!pool)
            die("out of memory", NULL);
    }
    memcpy(pool + pool_len, d, n);
    pool_len += n;
}

static void model_table(const char *models, const cJSON *index, const char *name)
{
    char path[8300];
    sciot_error err = {0};
    sciot_model m;
    sciot_engine e;
    sciot_arena_info info;
    uint8_t *file, sha[32];
    size_t file_len;
    static row rows[MAX_K + 1];
    static uint32_t times[MAX_K];
    const cJSON *entry = cJSON_GetObjectItem(index, name);
    if (!entry)
        die(name, NULL);
    snprintf(path, sizeof path, "%s/%s", models, cJSON_GetObjectItem(entry, "model")->valuestring);
    if (sciot_read_file(path, &file, &file_len, &err))
        die(path, &err);
    sciot_sha256(file, file_len, sha);
    free(file);
    if (sciot_model_load_file(&m, path, &err))
        die(path, &err);
    if (m.n_ops > MAX_K || m.n_inputs != 1)
        die(name, NULL);
    if (sciot_engine_arena_size(&m, 0, m.n_ops, &info, &err))
        die(name, &err);
    void *arena = aligned_alloc(64, (info.total_bytes + 63) & ~(size_t)63);
    if (sciot_engine_init(&e, &m, 0, m.n_ops, arena, info.total_bytes, &err))
        die(name, &err);
    memset(rows, 0, sizeof rows);
    const cJSON *cases = cJSON_GetObjectItem(entry, "cases");
    const int n_cases = cJSON_GetArraySize(cases);
    uint8_t *buf = NULL, *scratch = NULL;
    size_t buf_cap = 0, scratch_cap = 0;
    for (int c = 0; c < n_cases; c++) {
        const cJSON *in0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cases, c), "inputs"), 0);
        uint8_t *in;
        size_t in_len;
        snprintf(path, sizeof path, "%s/%s/%s", models, name, cJSON_GetObjectItem(in0, "file")->valuestring);
        if (sciot_read_file(path, &in, &in_len, &err))
            die(path, &err);
        if (in_len != m.tensors[m.inputs[0]].bytes)
            die("input size", NULL);
        for (int32_t k = 0; k <= m.n_ops; k++) {
            row *r = &rows[k];
            int32_t cut[SCIOT_WIRE_MAX_TENSORS];
            sciot_wire_frame f, d;
            memcpy(sciot_engine_tensor(&e, m.inputs[0]), in, in_len);
            if (sciot_engine_run(&e, 0, k, &err))
                die(name, &err);
            int32_t n = sciot_model_cut(&m, k, cut, SCIOT_WIRE_MAX_TENSORS);
            if (n > SCIOT_WIRE_MAX_TENSORS)
                die("cut too large", NULL);
            memset(&f, 0, sizeof f);
            memcpy(f.model_sha256, sha, 32);
            f.device_id_len = 8;
            memcpy(f.device_id, "esp32-s3", 8);
            f.split = f.n_times = (uint32_t)k;
            f.times_in = times;
            f.n_tensors = (uint32_t)n;
            for (int32_t i = 0; i < n; i++) {
                f.tensors[i].index = cut[i];
                f.tensors[i].data = sciot_engine_tensor(&e, cut[i]);
                f.tensors[i].raw_len = (uint32_t)m.tensors[cut[i]].bytes;
                if (c == 0)
                    pool_add(f.tensors[i].data, m.tensors[cut[i]].bytes);
            }
            size_t cap = sciot_wire_frame_bound(&f), len_raw, len;
            if (cap > buf_cap && !(buf = realloc(buf, buf_cap = cap)))
                die("out of memory", NULL);
            if (sciot_wire_encode(&f, &m, buf, cap, &len_raw, &err))
                die(name, &err);
            f.flags = SCIOT_WIRE_F_COMPRESS;
            if (sciot_wire_encode(&f, &m, buf, cap, &len, &err))
                die(name, &err);
            if (sciot_wire_decode(buf, len, &m, sha, &d, &err))
                die(name, &err);
            size_t raw = 0, sent = 0, rle = 0, mask = 0;
            for (uint32_t i = 0; i < d.n_tensors; i++) {
                const sciot_tensor *t = &m.tensors[d.tensors[i].index];
                const uint8_t *src = f.tensors[i].data;
                raw += d.tensors[i].raw_len;
                sent += d.tensors[i].payload_len;
                /* pure RLE of the tensor, whatever the encoder chose */
                size_t rcap = sciot_rle_bound(t->bytes);
                if (rcap > scratch_cap && !(scratch = realloc(scratch, scratch_cap = rcap)))
                    die("out of memory", NULL);
                rle += t->bytes ? sciot_rle_encode(src, t->bytes, scratch, rcap) : 0;
                /* zero-point mask: one bit per byte + the bytes != zero point */
                const uint8_t fill = (t->dtype == SCIOT_INT8 || t->dtype == SCIOT_UINT8) ? (uint8_t)t->zero_point : 0;
                size_t mk = (t->bytes + 7) / 8;
                for (size_t b = 0; b < t->bytes; b++)
                    mk += src[b] != fill;
                mask += mk;
            }
            if (c == 0) { /* whole-frame timing */
                uint64_t t0 = sciot_now_us();
                for (int rep = 0; rep < FRAME_REPS; rep++)
                    if (sciot_wire_encode(&f, &m, buf, cap, &len, &err))
                        die(name, &err);
                uint64_t t1 = sciot_now_us();
                for (int rep = 0; rep < FRAME_REPS; rep++) {
                    if (sciot_wire_decode(buf, len, &m, sha, &d, &err))
                        die(name, &err);
                    for (uint32_t i = 0; i < d.n_tensors; i++)
                        if (sciot_wire_tensor_read(&d.tensors[i], scratch, scratch_cap, &err))
                            die(name, &err);
                }
                uint64_t t2 = sciot_now_us();
                frame_enc_us += (double)(t1 - t0);
                frame_dec_us += (double)(t2 - t1);
                frame_raw_bytes += (double)raw * FRAME_REPS;
            }
            r->rle_sum += (double)rle;
            r->mask_sum += (double)mask;
            r->sent_sum += (double)sent;
            if (c == 0) {
                r->n_cut = n;
                r->raw = raw;
                r->rle0 = rle;
                r->mask0 = mask;
                r->sent0 = sent;
                r->frame0 = len;
                r->frame_raw0 = len_raw;
                size_t o = 0;
                for (int32_t i = 0; i < n && o < sizeof r->tensors - 12; i++)
                    o += (size_t)snprintf(r->tensors + o, sizeof r->tensors - o, "%s%d", i ? "," : "", cut[i]);
            }
        }
        free(in);
    }
    printf("\n### %s (N = %d operators, %d cases; first case: %s)\n\n", name, m.n_ops, n_cases,
           cJSON_GetObjectItem(cJSON_GetArrayItem(cases, 0), "case")->valuestring);
    printf("| k | cut | raw B | RLE B | mask B | sent B | frame B (raw) | frame B (COMPRESS) | ratio "
           "| avg RLE B | avg mask B | avg sent B | avg ratio |\n");
    printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    double tot_raw = 0, tot_rle = 0, tot_mask = 0, tot_sent = 0, avg_rle = 0, avg_mask = 0, avg_sent = 0;
    for (int32_t k = 0; k <= m.n_ops; k++) {
        const row *r = &rows[k];
        double ar = r->rle_sum / n_cases, am = r->mask_sum / n_cases, as = r->sent_sum / n_cases;
        printf("| %d | %s | %zu | %zu | %zu | %zu | %zu | %zu | %.2f | %.0f | %.0f | %.0f | %.2f |\n", k, r->tensors,
               r->raw, r->rle0, r->mask0, r->sent0, r->frame_raw0, r->frame0,
               r->sent0 ? (double)r->raw / (double)r->sent0 : 1.0, ar, am, as, as > 0 ? (double)r->raw / as : 1.0);
        tot_raw += (double)r->raw;
        tot_rle += (double)r->rle0;
        tot_mask += (double)r->mask0;
        tot_sent += (double)r->sent0;
        avg_rle += ar;
        avg_mask += am;
        avg_sent += as;
    }
    printf("| all k | | %.0f | %.0f | %.0f | %.0f | | | %.3f | %.0f | %.0f | %.0f | %.3f |\n", tot_raw, tot_rle,
           tot_mask, tot_sent, tot_raw / tot_sent, avg_rle, avg_mask, avg_sent, tot_raw / avg_sent);
    printf("\nratio = raw B / sent B; over all k: pure RLE %.3f, pure mask %.3f (first case).\n",
           tot_raw / tot_rle, tot_raw / tot_mask);
    free(scratch);
    free(buf);
    free(arena);
    sciot_model_free(&m);
}

/* MB/s (1e6 bytes) of f over `len` raw bytes, repeated for >= 0.3 s */
typedef size_t (*bench_fn)(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

static volatile size_t sink;

static size_t do_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    return sciot_rle_encode(src, len, dst, cap);
}

static size_t do_crc(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    (void)dst;
    (void)cap;
    return sciot_crc32c(0, src, len);
}

static double mbps(bench_fn fn, const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    uint64_t t0 = sciot_now_us(), t;
    size_t reps = 0;
    do {
        sink += fn(src, len, dst, cap);
        reps++;
    } while ((t = sciot_now_us()) - t0 < 300000);
    return (double)len * (double)reps / (double)(t - t0);
}

static double decode_mbps(const uint8_t *enc, size_t enc_len, uint8_t *dst, size_t raw_len)
{
    uint64_t t0 = sciot_now_us(), t;
    size_t reps = 0;
    do {
        if (sciot_rle_decode(enc, enc_len, dst, raw_len))
            die("decode", NULL);
        sink += dst[raw_len / 2];
        reps++;
    } while ((t = sciot_now_us()) - t0 < 300000);
    return (double)raw_len * (double)reps / (double)(t - t0);
}

static void throughput_row(const char *what, const uint8_t *src, size_t len)
{
    size_t cap = sciot_rle_bound(len);
    uint8_t *enc = malloc(cap), *dec = malloc(len);
    size_t e = sciot_rle_encode(src, len, enc, cap);
    double em = mbps(do_encode, src, len, enc, cap);
    double dm = decode_mbps(enc, e, dec, len);
    if (memcmp(dec, src, len))
        die("round trip", NULL);
    double cm = mbps(do_crc, src, len, NULL, 0);
    printf("| %s | %zu | %.3f | %.0f | %.0f | %.0f |\n", what, len, (double)len / (double)e, em, dm, cm);
    free(enc);
    free(dec);
}

int main(int argc, char **argv)
{
    const char *models = argc > 1 ? argv[1] : getenv("SCIOT_MODELS");
    char path[4096];
    uint8_t *txt;
    size_t len;
    sciot_error err = {0};
    if (!models) {
        fprintf(stderr, "usage: sciot_bench_wire_compression [MODELS_DIR]   (or set SCIOT_MODELS)\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/index.json", models);
    if (sciot_read_file(path, &txt, &len, &err))
        die(path, &err);
    cJSON *index = cJSON_ParseWithLength((const char *)txt, len);
    free(txt);
    if (!index)
        die("index.json does not parse", NULL);
    printf("## Wire frame: RLE payload compression per split point\n");
    printf("\nraw B: cut tensor bytes; RLE B: run-length coding of every cut tensor; mask B: zero-point mask\n"
           "coding (ceil(n/8) + bytes != zero point); sent B: payload bytes of the COMPRESS frame as encoded\n"
           "(per tensor the coding the encoder picked, raw if none is smaller); frame B: whole frame (header\n"
           "64 B + device id 8 B + 4 B per operator time + 24-48 B per tensor record + payloads + CRC 4 B);\n"
           "ratio: raw B / sent B. avg: over all golden cases of the model.\n");
    model_table(models, index, "fomo_face");
    model_table(models, index, "person_detect");
    cJSON_Delete(index);

    printf("\n## RLE and CRC-32C throughput (MB/s of raw bytes, this machine, one core)\n\n");
    printf("| data | bytes | ratio | RLE encode | RLE decode | CRC-32C |\n|---|---:|---:|---:|---:|---:|\n");
    throughput_row("every cut tensor of fomo_face + person_detect (first case, all k)", pool, pool_len);
    uint8_t *z = calloc(1, 1 << 20), *rnd = malloc(1 << 20);
    uint32_t s = 1;
    for (size_t i = 0; i < (1u << 20); i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        rnd[i] = (uint8_t)s;
    }
    throughput_row("all zero (1 MiB)", z, 1 << 20);
    throughput_row("random (1 MiB)", rnd, 1 << 20);
    printf("\nWhole frames (fomo_face + person_detect, first case, every k, COMPRESS): encode %.0f MB/s, "
           "decode + tensor_read %.0f MB/s of raw cut bytes (decode includes the SHA-256 comparison, the cut check\n"
           "and the CRC-32C over the frame).\n",
           frame_raw_bytes / frame_enc_us, frame_raw_bytes / frame_dec_us);
    free(z);
    free(rnd);
    free(pool);
    return 0;
}
