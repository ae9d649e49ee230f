/* status.c — status strings and the error record (see sciot/status.h). */
#include "sciot/status.h"

#include <stdarg.h>
#include <string.h>

#include "common/format.h"

static const char *const status_text[SCIOT_ERR_COUNT_] = {
    [SCIOT_OK] = "ok",
    [SCIOT_ERR_INVALID_ARG] = "invalid argument",
    [SCIOT_ERR_IO] = "I/O error",
    [SCIOT_ERR_NO_MEMORY] = "not enough memory",
    [SCIOT_ERR_TRUNCATED] = "truncated input",
    [SCIOT_ERR_BAD_IDENTIFIER] = "bad file identifier",
    [SCIOT_ERR_OUT_OF_RANGE] = "offset or index out of range",
    [SCIOT_ERR_UNSUPPORTED_OP] = "unsupported operator",
    [SCIOT_ERR_UNSUPPORTED_DTYPE] = "unsupported data type",
    [SCIOT_ERR_SHAPE] = "inconsistent shapes",
    [SCIOT_ERR_QUANT] = "bad quantization parameters",
    [SCIOT_ERR_MODEL] = "malformed model",
    [SCIOT_ERR_ARENA] = "arena too small",
    [SCIOT_ERR_IMAGE] = "image could not be decoded",
    [SCIOT_ERR_BAD_MAGIC] = "bad frame magic",
    [SCIOT_ERR_BAD_VERSION] = "unknown frame format version",
    [SCIOT_ERR_CRC] = "CRC mismatch",
    [SCIOT_ERR_MODEL_MISMATCH] = "frame is for another model",
    [SCIOT_ERR_SPLIT_RANGE] = "split point out of range",
    [SCIOT_ERR_NOT_IN_CUT] = "tensor not in the cut of this split",
    [SCIOT_ERR_MISSING_TENSOR] = "cut tensor missing from frame",
    [SCIOT_ERR_TENSOR_MISMATCH] = "tensor dtype/shape/quantization differs from the model",
    [SCIOT_ERR_LENGTH] = "length overflow",
};

const char *sciot_strerror(sciot_status s)
{
    if ((unsigned)s < SCIOT_ERR_COUNT_ && status_text[s])
        return status_text[s];
    return "unknown status";
}

sciot_status sciot_fail(sciot_error *err, sciot_status s, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = s;
        va_start(ap, fmt);
        sciot_vformat(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

void sciot_error_prefix(sciot_error *err, const char *prefix)
{
    char tmp[2 * SCIOT_ERROR_MSG_MAX + 8];
    if (!err || !prefix)
        return;
    sciot_format(tmp, sizeof tmp, "%.*s: %s", SCIOT_ERROR_MSG_MAX, prefix, err->msg);
    memcpy(err->msg, tmp, sizeof err->msg - 1);
    err->msg[sizeof err->msg - 1] = 0;
}
