/* sciot/wire.h — the frame that carries a cut from device to edge.
 *
 * Byte-level format: docs/PROTOCOL.md. In short (all little-endian):
 *
 *   header   magic "SCIW", version, flags, header length, total length,
 *            request id, model SHA-256, split k, op-time count, tensor count,
 *            device id (length-prefixed, <= 64 bytes)
 *   times    k x u32: the device's measured microseconds of operators [0, k)
 *   tensors  per cut tensor: model tensor index, dtype, rank, encoding,
 *            dims, scale, zero point, raw length, payload length, payload
 *   crc      CRC-32C (Castagnoli) of every byte before it
 *
 * The encoder writes into a caller buffer; the decoder checks the frame
 * (lengths, magic, version, CRC) and then, against the model, the split and
 * the cut (every cut tensor exactly once, dtype/shape/quantization equal to
 * the model's) and returns views into the caller's buffer: no heap, builds
 * for microcontrollers. Payloads may be run-length coded (encoding 1) — the
 * run-length coder is cheap enough for an MCU and catches the long runs of
 * the zero point in post-ReLU int8 tensors. */
#ifndef SCIOT_WIRE_H
#define SCIOT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/model.h"
#include "sciot/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIOT_WIRE_VERSION 1
#define SCIOT_WIRE_MAX_TENSORS 16
#define SCIOT_WIRE_MAX_DEVICE_ID 64
#define SCIOT_WIRE_MAX_OPS 4096
#define SCIOT_WIRE_MAX_FRAME (64u << 20)

/* flags */
#define SCIOT_WIRE_F_COMPRESS 0x01u   /* encoder: RLE or zero-point mask when smaller */
#define SCIOT_WIRE_F_LOCAL 0x02u      /* device ran everything (k = N): a report */
#define SCIOT_WIRE_F_REPLY 0x04u      /* edge -> device: output tensors */
#define SCIOT_WIRE_F_TELEMETRY 0x08u  /* header carries the previous round trip */
#define SCIOT_WIRE_F_KNOWN 0x0Fu      /* decoder rejects other bits */

/* payload encodings */
#define SCIOT_WIRE_ENC_RAW 0
#define SCIOT_WIRE_ENC_RLE 1
#define SCIOT_WIRE_ENC_ZMASK 2   /* zero-point mask: docs/PROTOCOL.md */

typedef struct {
    int32_t index;           /* tensor index in the model */
    int32_t dtype;           /* sciot_dtype */
    int32_t rank;
    int32_t dims[SCIOT_MAX_RANK];
    float scale;
    int32_t zero_point;
    uint8_t encoding;        /* SCIOT_WIRE_ENC_* */
    uint32_t raw_len;        /* bytes after decoding = tensor bytes */
    uint32_t payload_len;    /* bytes on the wire */
    const uint8_t *payload;  /* view into the frame buffer */
    const void *data;        /* encoder input: raw tensor bytes */
} sciot_wire_tensor;

typedef struct {
    uint8_t version;
    uint8_t flags;
    uint64_t request_id;
    uint8_t device_id_len;
    char device_id[SCIOT_WIRE_MAX_DEVICE_ID + 1]; /* NUL-terminated copy */
    uint8_t model_sha256[32];
    uint32_t split;          /* k (REPLY: the next decision) */
    uint64_t prev_request_id;/* TELEMETRY: the request prev_rtt_us belongs to */
    uint32_t prev_rtt_us;    /* TELEMETRY: device-measured round trip of it */
    uint32_t n_times;        /* = k for a device frame */
    const uint8_t *times;    /* decoder: view of n_times LE u32 */
    const uint32_t *times_in;/* encoder input */
    uint32_t n_tensors;
    sciot_wire_tensor tensors[SCIOT_WIRE_MAX_TENSORS];
    uint32_t frame_len;      /* decoder: total bytes */
} sciot_wire_frame;

/* CRC-32C (Castagnoli, reflected 0x82F63B78, init/xorout 0xFFFFFFFF). */
uint32_t sciot_crc32c(uint32_t crc, const void *data, size_t len);
/* SHA-256 of a buffer (model identity). */
void sciot_sha256(const void *data, size_t len, uint8_t out[32]);

/* Run-length coding of a payload (docs/PROTOCOL.md). encode returns the
 * encoded size, or 0 if it would not fit in `cap` (then send raw). */
size_t sciot_rle_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);
sciot_status sciot_rle_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t raw_len);
/* Worst-case encoded size of `len` bytes. */
size_t sciot_rle_bound(size_t len);

/* Upper bound of the frame size for these tensors: set tensors[].raw_len
 * (the tensor bytes) and n_times first. */
size_t sciot_wire_frame_bound(const sciot_wire_frame *f);

/* Encode `f` (header fields, times_in, tensors[].index/data; dtype, shape and
 * quantization are taken from the model) into out[cap]. With
 * SCIOT_WIRE_F_COMPRESS each payload is RLE-coded when that is smaller. */
sciot_status sciot_wire_encode(const sciot_wire_frame *f, const sciot_model *m, uint8_t *out, size_t cap,
                               size_t *len, sciot_error *err);

/* Check the frame itself: lengths, magic, version, flags, CRC, limits.
 * Fills `f` with views into buf; no model needed (e.g. to route by device). */
sciot_status sciot_wire_parse(const uint8_t *buf, size_t len, sciot_wire_frame *f, sciot_error *err);

/* sciot_wire_parse + checks against the model: SHA-256, k in [0, N], every
 * tensor in the cut of k exactly once, dtype/shape/quantization/lengths
 * equal to the model's, n_times == k. */
sciot_status sciot_wire_decode(const uint8_t *buf, size_t len, const sciot_model *m,
                               const uint8_t model_sha256[32], sciot_wire_frame *f, sciot_error *err);

/* sciot_wire_decode with options. SCIOT_WIRE_DEFER_PAYLOADS skips the walk
 * that checks every coded payload decodes to exactly raw_len bytes, for a
 * caller that reads every tensor right away with sciot_wire_tensor_read,
 * which makes the same check (same status, SCIOT_ERR_LENGTH) while it
 * decodes: one pass over the payloads instead of two. */
#define SCIOT_WIRE_DEFER_PAYLOADS 0x1u
sciot_status sciot_wire_decode_opts(const uint8_t *buf, size_t len, const sciot_model *m,
                                    const uint8_t model_sha256[32], unsigned opts, sciot_wire_frame *f,
                                    sciot_error *err);

/* Decode one tensor's payload into dst (raw_len bytes). */
sciot_status sciot_wire_tensor_read(const sciot_wire_tensor *t, void *dst, size_t dst_len, sciot_error *err);

/* Device time of operator i (i < n_times) from a decoded frame. */
uint32_t sciot_wire_time(const sciot_wire_frame *f, uint32_t i);

#ifdef __cplusplus
}
#endif
#endif
