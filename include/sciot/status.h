/* sciot/status.h — one status enum for the whole library, and an error
 * record that carries a human-readable message naming what was wrong.
 *
 * Every public call returns a sciot_status. Calls that can fail on bad input
 * also take an optional `sciot_error *` (may be NULL) that receives a message
 * such as "operator 12 (CONV_2D v9): unsupported version". The message buffer
 * lives in the caller's struct: no allocation, safe on microcontrollers. */
#ifndef SCIOT_STATUS_H
#define SCIOT_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SCIOT_OK = 0,
    SCIOT_ERR_INVALID_ARG,      /* caller passed a bad argument */
    SCIOT_ERR_IO,               /* file could not be read or written */
    SCIOT_ERR_NO_MEMORY,        /* caller-provided memory too small / alloc failed */
    SCIOT_ERR_TRUNCATED,        /* input shorter than its structure says */
    SCIOT_ERR_BAD_IDENTIFIER,   /* file identifier / magic wrong */
    SCIOT_ERR_OUT_OF_RANGE,     /* an offset, length or index points outside */
    SCIOT_ERR_UNSUPPORTED_OP,   /* operator (or its version) not implemented */
    SCIOT_ERR_UNSUPPORTED_DTYPE,/* tensor type not supported for this use */
    SCIOT_ERR_SHAPE,            /* inconsistent or unsupported shapes */
    SCIOT_ERR_QUANT,            /* missing / inconsistent quantization */
    SCIOT_ERR_MODEL,            /* other structural problem in the model */
    SCIOT_ERR_ARENA,            /* arena too small for the planned tensors */
    SCIOT_ERR_IMAGE,            /* image could not be decoded */
    /* wire format (issue 3) */
    SCIOT_ERR_BAD_MAGIC,
    SCIOT_ERR_BAD_VERSION,
    SCIOT_ERR_CRC,
    SCIOT_ERR_MODEL_MISMATCH,
    SCIOT_ERR_SPLIT_RANGE,
    SCIOT_ERR_NOT_IN_CUT,
    SCIOT_ERR_MISSING_TENSOR,
    SCIOT_ERR_TENSOR_MISMATCH,
    SCIOT_ERR_LENGTH,
    SCIOT_ERR_COUNT_
} sciot_status;

#define SCIOT_ERROR_MSG_MAX 256

typedef struct {
    sciot_status status;
    char msg[SCIOT_ERROR_MSG_MAX];
} sciot_error;

/* Short fixed description of a status ("truncated input", ...). */
const char *sciot_strerror(sciot_status s);

/* Record `s` and a printf-style message in `err` (if not NULL); returns `s`
 * so that callers can write `return sciot_fail(err, SCIOT_ERR_X, "...")`. */
sciot_status sciot_fail(sciot_error *err, sciot_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefix the message already in `err` with "prefix: " (e.g. a file name). */
void sciot_error_prefix(sciot_error *err, const char *prefix);

#ifdef __cplusplus
}
#endif
#endif
