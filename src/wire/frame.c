/* frame.c — the cut frame: encoder, parser, decoder against a model, payload
 * reader (docs/PROTOCOL.md section 1, include/sciot/wire.h).
 *
 * Layout (all little-endian, every field read/written byte by byte through
 * wire_internal.h, so frames may sit at any address on any host):
 *   header   64 bytes + device id + 4 * n_times
 *   records  n_tensors x (24 + 4 * rank bytes + payload)
 *   crc      CRC-32C of everything before it
 *
 * The decoder runs the checks of PROTOCOL.md's table in its order:
 *   1. TRUNCATED     fewer than 68 bytes or fewer than frame_len
 *   2. BAD_MAGIC
 *   3. BAD_VERSION   version, unknown flag bits, reserved header byte
 *   4. LENGTH        more bytes than frame_len, frame_len > 64 MiB,
 *                    counts over their limits, header_len inconsistent
 *                    (it includes the 16-byte TELEMETRY block when flagged),
 *                    then the tensor records walked one by one. Format bytes
 *                    that can only be located once lengths are known -- the
 *                    telemetry reserved word, each record's reserved byte and
 *                    encoding -- are checked (BAD_VERSION) as soon as they
 *                    are known to lie inside the frame, before what follows
 *   5. CRC
 *   -- sciot_wire_decode only, against the model:
 *   6. MODEL_MISMATCH  7. SPLIT_RANGE  8. NOT_IN_CUT (every record)
 *   9. MISSING_TENSOR  10. TENSOR_MISMATCH (every record)
 *   11. LENGTH        RLE / mask payloads that do not decode to raw_len
 * sciot_wire_parse runs 1-5 and then 11 (no model needed for that).
 *
 * Every length is checked by subtraction against what is left (never by an
 * addition that could wrap), all counts against the wire.h limits before use.
 * No heap, no OS calls: builds for microcontrollers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sciot/wire.h"
#include "wire_internal.h"

/* header field offsets */
#define H_MAGIC 0
#define H_VERSION 4
#define H_FLAGS 5
#define H_HEADER_LEN 6
#define H_FRAME_LEN 8
#define H_REQUEST_ID 12
#define H_SHA 20
#define H_SPLIT 52
#define H_N_TIMES 56
#define H_N_TENSORS 60
#define H_DEVICE_ID_LEN 62
#define H_RESERVED 63
#define H_FIXED 64
/* tensor record */
#define R_INDEX 0
#define R_DTYPE 4
#define R_RANK 5
#define R_ENCODING 6
#define R_RESERVED 7
#define R_DIMS 8
#define R_FIXED 24 /* record bytes besides dims and payload */
#define CRC_LEN 4
#define MIN_FRAME (H_FIXED + CRC_LEN)

static const uint8_t MAGIC[4] = {'S', 'C', 'I', 'W'};
#define TEL_LEN 16 /* telemetry block: prev_request_id u64, prev_rtt_us u32, reserved u32 */

/* The byte the zero-point mask coding leaves out: the zero point of 8-bit
 * tensors, 0 for everything else. */
static uint8_t fill_byte(int32_t dtype, int32_t zero_point)
{
    return (dtype == SCIOT_INT8 || dtype == SCIOT_UINT8) ? (uint8_t)zero_point : 0;
}

/* ---- encoder ----------------------------------------------------------- */

static sciot_status need(size_t cap, size_t pos, size_t n, const char *what, sciot_error *err)
{
    if (n > cap - pos)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY,
                          "output buffer of %zu bytes too small: %s needs %zu bytes at offset %zu", cap, what, n,
                          pos);
    return SCIOT_OK;
}

sciot_status sciot_wire_encode(const sciot_wire_frame *f, const sciot_model *m, uint8_t *out, size_t cap,
                               size_t *len, sciot_error *err)
{
    sciot_status s;
    if (len)
        *len = 0;
    if (!f || !m || !out || !len)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "wire encode: NULL frame, model, buffer or length");
    if (f->flags & ~SCIOT_WIRE_F_KNOWN)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "flags 0x%02x: unknown bits 0x%02x", f->flags,
                          f->flags & ~SCIOT_WIRE_F_KNOWN);
    if (f->device_id_len > SCIOT_WIRE_MAX_DEVICE_ID)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "device_id_len is %u, at most %d", f->device_id_len,
                          SCIOT_WIRE_MAX_DEVICE_ID);
    if (f->n_times > SCIOT_WIRE_MAX_OPS)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "n_times is %lu, at most %d", (unsigned long)f->n_times,
                          SCIOT_WIRE_MAX_OPS);
    if (f->n_times && !f->times_in)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "n_times is %lu but times_in is NULL",
                          (unsigned long)f->n_times);
    if (f->n_tensors > SCIOT_WIRE_MAX_TENSORS)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "n_tensors is %lu, at most %d", (unsigned long)f->n_tensors,
                          SCIOT_WIRE_MAX_TENSORS);

    /* every record's arguments, before anything is written */
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const int32_t idx = f->tensors[i].index;
        if (idx < 0 || idx >= m->n_tensors)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "tensor record %lu: index %ld, the model has %ld tensors",
                              (unsigned long)i, (long)idx, (long)m->n_tensors);
        const sciot_tensor *t = &m->tensors[idx];
        if (t->rank < 0 || t->rank > SCIOT_MAX_RANK)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "tensor %ld: rank %ld", (long)idx, (long)t->rank);
        if ((t->bytes >> 16 >> 16) != 0) /* > UINT32_MAX, without a 32-bit always-false warning */
            return sciot_fail(err, SCIOT_ERR_LENGTH, "tensor %ld: %zu bytes do not fit raw_len (u32)", (long)idx,
                              t->bytes);
        if (t->bytes && !f->tensors[i].data)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "tensor %ld: data is NULL", (long)idx);
    }

    /* header: <= 64 + 64 + 16 + 4 * 4096 = 16528 bytes, fits header_len's u16 */
    const size_t tel = (f->flags & SCIOT_WIRE_F_TELEMETRY) ? TEL_LEN : 0;
    const size_t header_len = H_FIXED + (size_t)f->device_id_len + tel + 4 * (size_t)f->n_times;
    if ((s = need(cap, 0, header_len, "the header", err)))
        return s;
    memcpy(out + H_MAGIC, MAGIC, 4);
    out[H_VERSION] = SCIOT_WIRE_VERSION;
    out[H_FLAGS] = f->flags;
    sciot_st16(out + H_HEADER_LEN, (uint16_t)header_len);
    sciot_st32(out + H_FRAME_LEN, 0); /* patched at the end */
    sciot_st64(out + H_REQUEST_ID, f->request_id);
    memcpy(out + H_SHA, f->model_sha256, 32);
    sciot_st32(out + H_SPLIT, f->split);
    sciot_st32(out + H_N_TIMES, f->n_times);
    sciot_st16(out + H_N_TENSORS, (uint16_t)f->n_tensors);
    out[H_DEVICE_ID_LEN] = f->device_id_len;
    out[H_RESERVED] = 0;
    memcpy(out + H_FIXED, f->device_id, f->device_id_len);
    size_t pos = H_FIXED + f->device_id_len;
    if (tel) {
        sciot_st64(out + pos, f->prev_request_id);
        sciot_st32(out + pos + 8, f->prev_rtt_us);
        sciot_st32(out + pos + 12, 0);
        pos += TEL_LEN;
    }
    for (uint32_t i = 0; i < f->n_times; i++, pos += 4)
        sciot_st32(out + pos, f->times_in[i]);

    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const int32_t idx = f->tensors[i].index;
        const sciot_tensor *t = &m->tensors[idx];
        const size_t rec = R_FIXED + 4 * (size_t)t->rank;
        if ((s = need(cap, pos, rec, "a tensor record", err)))
            return s;
        uint8_t *r = out + pos;
        sciot_st32(r + R_INDEX, (uint32_t)idx);
        r[R_DTYPE] = (uint8_t)t->dtype;
        r[R_RANK] = (uint8_t)t->rank;
        r[R_RESERVED] = 0;
        for (int32_t d = 0; d < t->rank; d++)
            sciot_st32(r + R_DIMS + 4 * d, (uint32_t)t->dims[d]);
        uint8_t *q = r + R_DIMS + 4 * t->rank;
        sciot_st32(q, sciot_f32_bits(t->scale));
        sciot_st32(q + 4, (uint32_t)t->zero_point);
        sciot_st32(q + 8, (uint32_t)t->bytes);
        pos += rec;

        /* payload: the smallest of raw, RLE and zero-point mask (a coding is
         * used only when strictly smaller than the raw bytes) */
        size_t plen = 0;
        uint8_t enc = SCIOT_WIRE_ENC_RAW;
        if ((f->flags & SCIOT_WIRE_F_COMPRESS) && t->bytes > 1) {
            const uint8_t *src = f->tensors[i].data;
            const uint8_t fill = fill_byte(t->dtype, t->zero_point);
            const size_t zsize = sciot_zmask_size(src, t->bytes, fill);
            size_t best = zsize < t->bytes ? zsize : t->bytes; /* RLE must beat this */
            size_t rcap = cap - pos < best - 1 ? cap - pos : best - 1;
            plen = best > 1 ? sciot_rle_encode(src, t->bytes, out + pos, rcap) : 0;
            if (plen) {
                enc = SCIOT_WIRE_ENC_RLE;
            } else if (zsize < t->bytes) {
                if ((s = need(cap, pos, zsize, "a masked payload", err)))
                    return s;
                plen = sciot_zmask_encode(src, t->bytes, fill, out + pos, zsize);
                enc = SCIOT_WIRE_ENC_ZMASK;
            }
        }
        if (enc == SCIOT_WIRE_ENC_RAW) {
            if ((s = need(cap, pos, t->bytes, "a raw payload", err)))
                return s;
            if (t->bytes)
                memcpy(out + pos, f->tensors[i].data, t->bytes);
            plen = t->bytes;
        }
        r[R_ENCODING] = enc;
        sciot_st32(q + 12, (uint32_t)plen);
        pos += plen;
        if (pos > SCIOT_WIRE_MAX_FRAME)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "frame exceeds %lu bytes at tensor %ld",
                              (unsigned long)SCIOT_WIRE_MAX_FRAME, (long)idx);
    }
    if ((s = need(cap, pos, CRC_LEN, "the CRC", err)))
        return s;
    if (pos + CRC_LEN > SCIOT_WIRE_MAX_FRAME)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "frame of %zu bytes exceeds %lu", pos + CRC_LEN,
                          (unsigned long)SCIOT_WIRE_MAX_FRAME);
    sciot_st32(out + H_FRAME_LEN, (uint32_t)(pos + CRC_LEN));
    sciot_st32(out + pos, sciot_crc32c(0, out, pos));
    *len = pos + CRC_LEN;
    return SCIOT_OK;
}

static size_t add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

size_t sciot_wire_frame_bound(const sciot_wire_frame *f)
{
    if (!f)
        return 0;
    uint32_t n = f->n_tensors < SCIOT_WIRE_MAX_TENSORS ? f->n_tensors : SCIOT_WIRE_MAX_TENSORS;
    size_t b = H_FIXED + CRC_LEN + SCIOT_WIRE_MAX_DEVICE_ID + TEL_LEN;
    for (int j = 0; j < 4; j++) /* 4 * n_times without a wrap on 32-bit size_t */
        b = add_sat(b, f->n_times);
    for (uint32_t i = 0; i < n; i++) /* payloads are never larger than raw */
        b = add_sat(b, add_sat(R_FIXED + 4 * SCIOT_MAX_RANK, f->tensors[i].raw_len));
    return b;
}

/* ---- parser ------------------------------------------------------------ */

static sciot_status parse_frame(const uint8_t *buf, size_t len, sciot_wire_frame *f, sciot_error *err)
{
    if (!f || (!buf && len))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "wire parse: NULL frame or buffer");
    memset(f, 0, sizeof *f);

    /* 1. truncation */
    if (len < MIN_FRAME)
        return sciot_fail(err, SCIOT_ERR_TRUNCATED, "frame of %zu bytes: the header and CRC alone take %d", len,
                          MIN_FRAME);
    const uint32_t frame_len = sciot_ld32(buf + H_FRAME_LEN);
    if (len < frame_len)
        return sciot_fail(err, SCIOT_ERR_TRUNCATED, "frame_len is %lu, only %zu bytes received",
                          (unsigned long)frame_len, len);
    /* 2. magic */
    if (memcmp(buf + H_MAGIC, MAGIC, 4))
        return sciot_fail(err, SCIOT_ERR_BAD_MAGIC, "magic is %02x %02x %02x %02x, expected \"SCIW\"", buf[0], buf[1],
                          buf[2], buf[3]);
    /* 3. version, flags, reserved */
    if (buf[H_VERSION] != SCIOT_WIRE_VERSION)
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "version is %u, this decoder reads version %d",
                          buf[H_VERSION], SCIOT_WIRE_VERSION);
    const uint8_t flags = buf[H_FLAGS];
    if (flags & ~SCIOT_WIRE_F_KNOWN)
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "flags 0x%02x: unknown bits 0x%02x", flags,
                          flags & ~SCIOT_WIRE_F_KNOWN);
    if (buf[H_RESERVED])
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "reserved header byte 63 is 0x%02x, must be 0",
                          buf[H_RESERVED]);
    /* 4. lengths and counts */
    if (len > frame_len)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "%zu bytes received, frame_len is %lu", len,
                          (unsigned long)frame_len);
    if (frame_len > SCIOT_WIRE_MAX_FRAME)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "frame_len is %lu, at most %lu", (unsigned long)frame_len,
                          (unsigned long)SCIOT_WIRE_MAX_FRAME);
    /* from here frame_len == len >= MIN_FRAME */
    const uint32_t n_times = sciot_ld32(buf + H_N_TIMES);
    const uint16_t n_tensors = sciot_ld16(buf + H_N_TENSORS);
    const uint8_t dlen = buf[H_DEVICE_ID_LEN];
    const uint16_t header_len = sciot_ld16(buf + H_HEADER_LEN);
    if (n_times > SCIOT_WIRE_MAX_OPS)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "n_times is %lu, at most %d", (unsigned long)n_times,
                          SCIOT_WIRE_MAX_OPS);
    if (n_tensors > SCIOT_WIRE_MAX_TENSORS)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "n_tensors is %u, at most %d", n_tensors, SCIOT_WIRE_MAX_TENSORS);
    if (dlen > SCIOT_WIRE_MAX_DEVICE_ID)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "device_id_len is %u, at most %d", dlen, SCIOT_WIRE_MAX_DEVICE_ID);
    const size_t tel = (flags & SCIOT_WIRE_F_TELEMETRY) ? TEL_LEN : 0;
    const size_t want_header = H_FIXED + (size_t)dlen + tel + 4 * (size_t)n_times; /* <= 16528 */
    if (header_len != want_header)
        return sciot_fail(err, SCIOT_ERR_LENGTH,
                          "header_len is %u, 64 + device_id_len %u + telemetry %zu + 4 * n_times %lu = %zu",
                          header_len, dlen, tel, (unsigned long)n_times, want_header);
    const size_t end = (size_t)frame_len - CRC_LEN; /* offset of the CRC */
    if (header_len > end)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "header of %u bytes runs past the CRC at offset %zu", header_len,
                          end);
    /* the telemetry block's reserved word: a format byte like the records'
     * reserved bytes, checked as soon as it is known to lie in the frame */
    if (tel && sciot_ld32(buf + H_FIXED + dlen + 12) != 0)
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "telemetry reserved field is 0x%08lx, must be 0",
                          (unsigned long)sciot_ld32(buf + H_FIXED + dlen + 12));

    size_t pos = header_len;
    for (uint32_t i = 0; i < n_tensors; i++) {
        sciot_wire_tensor *w = &f->tensors[i];
        if (end - pos < R_DIMS)
            return sciot_fail(err, SCIOT_ERR_LENGTH,
                              "tensor record %lu at offset %zu: its %d fixed bytes run past the CRC at offset %zu",
                              (unsigned long)i, pos, R_DIMS, end);
        const uint8_t *r = buf + pos;
        if (r[R_RESERVED])
            return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "tensor record %lu: reserved byte is 0x%02x, must be 0",
                              (unsigned long)i, r[R_RESERVED]);
        if (r[R_ENCODING] > SCIOT_WIRE_ENC_ZMASK)
            return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "tensor record %lu: unknown encoding %u", (unsigned long)i,
                              r[R_ENCODING]);
        if (r[R_ENCODING] != SCIOT_WIRE_ENC_RAW && !(flags & SCIOT_WIRE_F_COMPRESS))
            return sciot_fail(err, SCIOT_ERR_BAD_VERSION,
                              "tensor record %lu: %s encoding in a frame without the COMPRESS flag", (unsigned long)i,
                              r[R_ENCODING] == SCIOT_WIRE_ENC_RLE ? "RLE" : "mask");
        const uint8_t rank = r[R_RANK];
        if (rank > SCIOT_MAX_RANK)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "tensor record %lu: rank is %u, at most %d", (unsigned long)i,
                              rank, SCIOT_MAX_RANK);
        const size_t rec = R_FIXED + 4 * (size_t)rank;
        if (end - pos < rec)
            return sciot_fail(err, SCIOT_ERR_LENGTH,
                              "tensor record %lu at offset %zu: its %zu bytes run past the CRC at offset %zu",
                              (unsigned long)i, pos, rec, end);
        w->index = (int32_t)sciot_ld32(r + R_INDEX);
        w->dtype = r[R_DTYPE];
        w->rank = rank;
        for (int d = 0; d < rank; d++)
            w->dims[d] = (int32_t)sciot_ld32(r + R_DIMS + 4 * d);
        const uint8_t *q = r + R_DIMS + 4 * rank;
        w->scale = sciot_bits_f32(sciot_ld32(q));
        w->zero_point = (int32_t)sciot_ld32(q + 4);
        w->raw_len = sciot_ld32(q + 8);
        w->payload_len = sciot_ld32(q + 12);
        w->encoding = r[R_ENCODING];
        if (w->encoding == SCIOT_WIRE_ENC_RAW && w->payload_len != w->raw_len)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "tensor %ld: raw payload_len is %lu, raw_len is %lu",
                              (long)w->index, (unsigned long)w->payload_len, (unsigned long)w->raw_len);
        pos += rec;
        if (w->payload_len > end - pos)
            return sciot_fail(err, SCIOT_ERR_LENGTH,
                              "tensor %ld: payload of %lu bytes at offset %zu runs past the CRC at offset %zu",
                              (long)w->index, (unsigned long)w->payload_len, pos, end);
        w->payload = buf + pos;
        pos += w->payload_len;
    }
    if (pos != end)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "%zu bytes between the last tensor record (offset %zu) and the CRC",
                          end - pos, pos);
    /* 5. CRC */
    const uint32_t crc = sciot_ld32(buf + end), got = sciot_crc32c(0, buf, end);
    if (crc != got)
        return sciot_fail(err, SCIOT_ERR_CRC, "CRC-32C field is 0x%08lx, the frame's bytes give 0x%08lx",
                          (unsigned long)crc, (unsigned long)got);

    f->version = buf[H_VERSION];
    f->flags = flags;
    f->request_id = sciot_ld64(buf + H_REQUEST_ID);
    memcpy(f->model_sha256, buf + H_SHA, 32);
    f->split = sciot_ld32(buf + H_SPLIT);
    f->n_times = n_times;
    f->times = buf + H_FIXED + dlen + tel;
    if (tel) {
        f->prev_request_id = sciot_ld64(buf + H_FIXED + dlen);
        f->prev_rtt_us = sciot_ld32(buf + H_FIXED + dlen + 8);
    }
    f->n_tensors = n_tensors;
    f->device_id_len = dlen;
    memcpy(f->device_id, buf + H_FIXED, dlen);
    f->device_id[dlen] = 0;
    f->frame_len = frame_len;
    return SCIOT_OK;
}

/* 11. every RLE payload decodes to exactly raw_len bytes */
static sciot_status check_payloads(const sciot_wire_frame *f, sciot_error *err)
{
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const sciot_wire_tensor *w = &f->tensors[i];
        size_t at;
        sciot_rle_result r;
        if (w->encoding == SCIOT_WIRE_ENC_RLE)
            r = sciot_rle_walk(w->payload, w->payload_len, NULL, w->raw_len, &at);
        else if (w->encoding == SCIOT_WIRE_ENC_ZMASK)
            r = sciot_zmask_walk(w->payload, w->payload_len, fill_byte(w->dtype, w->zero_point), NULL, w->raw_len,
                                 &at);
        else
            continue;
        if (r != SCIOT_RLE_OK)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "tensor %ld: %s payload of %lu bytes, raw_len %lu: %s (offset %zu)",
                              (long)w->index, w->encoding == SCIOT_WIRE_ENC_RLE ? "RLE" : "mask",
                              (unsigned long)w->payload_len, (unsigned long)w->raw_len, sciot_rle_result_text(r), at);
    }
    return SCIOT_OK;
}

sciot_status sciot_wire_parse(const uint8_t *buf, size_t len, sciot_wire_frame *f, sciot_error *err)
{
    sciot_status s = parse_frame(buf, len, f, err);
    return s ? s : check_payloads(f, err);
}

/* ---- decoder: against the model --------------------------------------- */

static void hex8(char out[17], const uint8_t *b)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[16] = 0;
}

sciot_status sciot_wire_decode(const uint8_t *buf, size_t len, const sciot_model *m,
                               const uint8_t model_sha256[32], sciot_wire_frame *f, sciot_error *err)
{
    return sciot_wire_decode_opts(buf, len, m, model_sha256, 0, f, err);
}

sciot_status sciot_wire_decode_opts(const uint8_t *buf, size_t len, const sciot_model *m,
                                    const uint8_t model_sha256[32], unsigned opts, sciot_wire_frame *f,
                                    sciot_error *err)
{
    uint8_t sha[32];
    sciot_status s;
    if (!m || !f)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "wire decode: NULL model or frame");
    if ((s = parse_frame(buf, len, f, err)))
        return s;

    /* 6. model identity (NULL: hash the model's file) */
    if (!model_sha256) {
        if (!m->file)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "wire decode: no model SHA-256 and no model file to hash");
        sciot_sha256(m->file, m->file_len, sha);
        model_sha256 = sha;
    }
    if (memcmp(f->model_sha256, model_sha256, 32)) {
        char a[17], b[17];
        hex8(a, f->model_sha256);
        hex8(b, model_sha256);
        return sciot_fail(err, SCIOT_ERR_MODEL_MISMATCH, "frame's model SHA-256 is %s..., this model's is %s...", a,
                          b);
    }
    /* 7. split */
    const uint32_t n_ops = m->n_ops > 0 ? (uint32_t)m->n_ops : 0;
    if (f->split > n_ops)
        return sciot_fail(err, SCIOT_ERR_SPLIT_RANGE, "split k is %lu, the model has %lu operators",
                          (unsigned long)f->split, (unsigned long)n_ops);
    /* A reply's split is the next decision; its tensors are the model outputs
     * (the cut of N) or none (the answer to a LOCAL report), and its one time
     * is the edge's processing time. */
    const int reply = (f->flags & SCIOT_WIRE_F_REPLY) != 0;
    if (!reply && f->n_times != f->split)
        return sciot_fail(err, SCIOT_ERR_SPLIT_RANGE, "n_times is %lu, split k is %lu: must be equal",
                          (unsigned long)f->n_times, (unsigned long)f->split);
    if ((f->flags & SCIOT_WIRE_F_LOCAL) && !reply && f->split != n_ops)
        return sciot_fail(err, SCIOT_ERR_SPLIT_RANGE, "a LOCAL report has split k = %lu, it must be N = %lu",
                          (unsigned long)f->split, (unsigned long)n_ops);
    const int32_t k = reply ? (int32_t)n_ops : (int32_t)f->split;
    /* 8. every record a tensor of the cut, once */
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const int32_t idx = f->tensors[i].index;
        if (idx < 0 || idx >= m->n_tensors)
            return sciot_fail(err, SCIOT_ERR_NOT_IN_CUT, "tensor record %lu: index %ld, the model has %ld tensors",
                              (unsigned long)i, (long)idx, (long)m->n_tensors);
        if (!sciot_model_in_cut(m, k, idx))
            return sciot_fail(err, SCIOT_ERR_NOT_IN_CUT, "tensor %ld is not in the cut of k = %ld", (long)idx,
                              (long)k);
        for (uint32_t j = 0; j < i; j++)
            if (f->tensors[j].index == idx)
                return sciot_fail(err, SCIOT_ERR_NOT_IN_CUT, "tensor %ld appears twice (records %lu and %lu)",
                                  (long)idx, (unsigned long)j, (unsigned long)i);
    }
    /* 9. nothing of the cut missing (records are distinct members of it) */
    const int32_t n_cut = sciot_model_cut(m, k, NULL, 0);
    if ((uint32_t)n_cut != f->n_tensors && !(reply && f->n_tensors == 0)) {
        for (int32_t t = 0; t < m->n_tensors; t++) {
            uint32_t i = 0;
            if (!sciot_model_in_cut(m, k, t))
                continue;
            while (i < f->n_tensors && f->tensors[i].index != t)
                i++;
            if (i == f->n_tensors)
                return sciot_fail(err, SCIOT_ERR_MISSING_TENSOR,
                                  "tensor %ld of the cut of k = %ld is missing (%lu of %ld cut tensors sent)", (long)t,
                                  (long)k, (unsigned long)f->n_tensors, (long)n_cut);
        }
    }
    /* 10. dtype, shape, quantization, bytes */
    for (uint32_t i = 0; i < f->n_tensors; i++) {
        const sciot_wire_tensor *w = &f->tensors[i];
        const sciot_tensor *t = &m->tensors[w->index];
        const long idx = (long)w->index;
        if (w->dtype != t->dtype)
            return sciot_fail(err, SCIOT_ERR_TENSOR_MISMATCH, "tensor %ld: dtype is %s (%ld), the model says %s (%ld)",
                              idx, sciot_dtype_name(w->dtype), (long)w->dtype, sciot_dtype_name(t->dtype),
                              (long)t->dtype);
        if (w->rank != t->rank)
            return sciot_fail(err, SCIOT_ERR_TENSOR_MISMATCH, "tensor %ld: rank is %ld, the model says %ld", idx,
                              (long)w->rank, (long)t->rank);
        for (int32_t d = 0; d < w->rank; d++)
            if (w->dims[d] != t->dims[d])
                return sciot_fail(err, SCIOT_ERR_TENSOR_MISMATCH, "tensor %ld: dims[%ld] is %ld, the model says %ld",
                                  idx, (long)d, (long)w->dims[d], (long)t->dims[d]);
        if (sciot_f32_bits(w->scale) != sciot_f32_bits(t->scale))
            return sciot_fail(err, SCIOT_ERR_TENSOR_MISMATCH, "tensor %ld: scale is %.9g, the model says %.9g", idx,
                              (double)w->scale, (double)t->scale);
        if (w->zero_point != t->zero_point)
            return sciot_fail(err, SCIOT_ERR_TENSOR_MISMATCH, "tensor %ld: zero_point is %ld, the model says %ld",
                              idx, (long)w->zero_point, (long)t->zero_point);
        if (w->raw_len != t->bytes)
            return sciot_fail(err, SCIOT_ERR_TENSOR_MISMATCH, "tensor %ld: raw_len is %lu, the model says %zu bytes",
                              idx, (unsigned long)w->raw_len, t->bytes);
    }
    /* 11. coded payloads (deferred: sciot_wire_tensor_read checks the same) */
    if (opts & SCIOT_WIRE_DEFER_PAYLOADS)
        return SCIOT_OK;
    return check_payloads(f, err);
}

sciot_status sciot_wire_tensor_read(const sciot_wire_tensor *t, void *dst, size_t dst_len, sciot_error *err)
{
    if (!t || (!dst && t->raw_len) || (!t->payload && t->payload_len))
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "wire tensor read: NULL tensor, payload or destination");
    if (dst_len < t->raw_len)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "tensor %ld: %lu bytes do not fit in %zu", (long)t->index,
                          (unsigned long)t->raw_len, dst_len);
    if (t->encoding == SCIOT_WIRE_ENC_RAW) {
        if (t->payload_len != t->raw_len)
            return sciot_fail(err, SCIOT_ERR_LENGTH, "tensor %ld: raw payload_len is %lu, raw_len is %lu",
                              (long)t->index, (unsigned long)t->payload_len, (unsigned long)t->raw_len);
        if (t->raw_len)
            memcpy(dst, t->payload, t->raw_len);
        return SCIOT_OK;
    }
    if (t->encoding != SCIOT_WIRE_ENC_RLE && t->encoding != SCIOT_WIRE_ENC_ZMASK)
        return sciot_fail(err, SCIOT_ERR_BAD_VERSION, "tensor %ld: unknown encoding %u", (long)t->index, t->encoding);
    size_t at;
    sciot_rle_result r = t->encoding == SCIOT_WIRE_ENC_RLE
                             ? sciot_rle_walk(t->payload, t->payload_len, dst, t->raw_len, &at)
                             : sciot_zmask_walk(t->payload, t->payload_len, fill_byte(t->dtype, t->zero_point), dst,
                                                t->raw_len, &at);
    if (r != SCIOT_RLE_OK)
        return sciot_fail(err, SCIOT_ERR_LENGTH, "tensor %ld: coded payload of %lu bytes, raw_len %lu: %s (offset %zu)",
                          (long)t->index, (unsigned long)t->payload_len, (unsigned long)t->raw_len,
                          sciot_rle_result_text(r), at);
    return SCIOT_OK;
}

uint32_t sciot_wire_time(const sciot_wire_frame *f, uint32_t i)
{
    if (!f || i >= f->n_times)
        return 0;
    if (f->times)
        return sciot_ld32(f->times + 4 * (size_t)i);
    return f->times_in ? f->times_in[i] : 0;
}
