/* sciot/model.h — read a TensorFlow Lite flatbuffer (schema v3, subgraph 0).
 *
 * The reader never trusts the file: every offset, vtable, vector length and
 * tensor/buffer/opcode index is checked against the buffer before it is used,
 * and every error names what was wrong. It needs no flatbuffers library.
 *
 * Memory: the model keeps pointers into the caller's file buffer (weights are
 * used in place, never copied) plus a small table area the caller provides:
 *
 *     size_t need;
 *     sciot_model_storage_size(buf, len, &need, &err);   // pass 1: count
 *     sciot_model_parse(&m, buf, len, storage, need, &err); // pass 2: fill
 *
 * The buffer must outlive the model and should be 16-byte aligned (weights are
 * read through typed pointers only when properly aligned; otherwise the reader
 * reports SCIOT_ERR_OUT_OF_RANGE naming the misaligned buffer).
 * On a hosted system sciot_model_load_file() does both passes with malloc.
 *
 * Cut analysis (documented at sciot_model_cut): for a split point k, which
 * tensors cross from the device's head [0,k) to the edge's tail [k,N). */
#ifndef SCIOT_MODEL_H
#define SCIOT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIOT_MAX_RANK 6

typedef enum {               /* values equal TFLite's TensorType */
    SCIOT_FLOAT32 = 0,
    SCIOT_FLOAT16 = 1,
    SCIOT_INT32 = 2,
    SCIOT_UINT8 = 3,
    SCIOT_INT64 = 4,
    SCIOT_BOOL = 6,
    SCIOT_INT16 = 7,
    SCIOT_INT8 = 9,
} sciot_dtype;

const char *sciot_dtype_name(int dtype);
/* Bytes per element, 0 if the type is not supported. */
size_t sciot_dtype_size(int dtype);

typedef enum {               /* values equal TFLite's BuiltinOperator */
    SCIOT_OP_ADD = 0,
    SCIOT_OP_AVERAGE_POOL_2D = 1,
    SCIOT_OP_CONCATENATION = 2,
    SCIOT_OP_CONV_2D = 3,
    SCIOT_OP_DEPTHWISE_CONV_2D = 4,
    SCIOT_OP_DEQUANTIZE = 6,
    SCIOT_OP_FULLY_CONNECTED = 9,
    SCIOT_OP_LOGISTIC = 14,
    SCIOT_OP_MAX_POOL_2D = 17,
    SCIOT_OP_MUL = 18,
    SCIOT_OP_RELU = 19,
    SCIOT_OP_RELU6 = 21,
    SCIOT_OP_RESHAPE = 22,
    SCIOT_OP_SOFTMAX = 25,
    SCIOT_OP_PAD = 34,
    SCIOT_OP_MEAN = 40,
    SCIOT_OP_QUANTIZE = 114,
} sciot_op_code;

/* Name of any TFLite builtin operator code ("CONV_2D"), "UNKNOWN" otherwise. */
const char *sciot_op_name(int32_t builtin_code);

typedef enum {               /* TFLite ActivationFunctionType */
    SCIOT_ACT_NONE = 0,
    SCIOT_ACT_RELU = 1,
    SCIOT_ACT_RELU_N1_TO_1 = 2,
    SCIOT_ACT_RELU6 = 3,
} sciot_activation;

typedef enum { SCIOT_PAD_SAME = 0, SCIOT_PAD_VALID = 1 } sciot_padding;

typedef struct {
    int32_t n_scales;          /* 0: not quantized; 1: per-tensor; >1: per-channel */
    int32_t quantized_dimension;
    const float *scales;       /* n_scales values (copied into model storage) */
    const int32_t *zero_points;/* n_scales values (copied, narrowed from int64) */
} sciot_quant;

typedef struct {
    const char *name;          /* NUL-terminated (checked), "" if absent */
    int32_t dtype;             /* sciot_dtype */
    int32_t rank;
    int32_t dims[SCIOT_MAX_RANK];
    size_t elems;
    size_t bytes;              /* elems * dtype size */
    const void *data;          /* constant data inside the file, or NULL */
    int is_const;              /* has a non-empty buffer */
    sciot_quant q;
    float scale;               /* q.scales[0] or 0 */
    int32_t zero_point;        /* q.zero_points[0] or 0 */
} sciot_tensor;

/* Builtin options, decoded for the supported operators. */
typedef struct {
    int32_t padding;           /* sciot_padding */
    int32_t stride_w, stride_h;
    int32_t dilation_w, dilation_h;
    int32_t depth_multiplier;
    int32_t filter_w, filter_h; /* pooling */
    int32_t activation;        /* sciot_activation */
    int32_t axis;              /* concatenation */
    int32_t keep_dims;         /* mean */
    int32_t keep_num_dims;     /* fully connected */
    float beta;                /* softmax */
} sciot_op_options;

typedef struct {
    int32_t code;              /* builtin operator code */
    int32_t version;
    int32_t n_inputs, n_outputs;
    const int32_t *inputs;     /* tensor indices, -1 = optional input absent */
    const int32_t *outputs;
    sciot_op_options opt;
    uint64_t macs;             /* multiply-accumulates (0 for data movement) */
} sciot_op;

typedef struct {
    const uint8_t *file;
    size_t file_len;
    uint32_t schema_version;
    int32_t n_tensors, n_ops;
    int32_t n_inputs, n_outputs;
    sciot_tensor *tensors;
    sciot_op *ops;
    const int32_t *inputs;     /* model input tensor indices */
    const int32_t *outputs;
    /* per tensor: index of the producing op (-1: model input or constant),
     * first and last op that read it (-1 if never read) */
    int32_t *producer, *first_use, *last_use;
    void *owned;               /* set by sciot_model_load_file: freed by _free */
} sciot_model;

/* Pass 1: how many bytes of table storage sciot_model_parse needs. */
sciot_status sciot_model_storage_size(const uint8_t *buf, size_t len,
                                      size_t *need, sciot_error *err);

/* Pass 2: parse into `storage` (at least the size from pass 1, aligned to 8).
 * Fails with a precise error on anything malformed or unsupported. */
sciot_status sciot_model_parse(sciot_model *m, const uint8_t *buf, size_t len,
                               void *storage, size_t storage_size,
                               sciot_error *err);

/* Hosted only: read the file, parse it; the model owns the memory. */
sciot_status sciot_model_load_file(sciot_model *m, const char *path,
                                   sciot_error *err);
void sciot_model_free(sciot_model *m);

/* ---- cut analysis ------------------------------------------------------
 * Operators run in file order 0..N-1. Split point k in 0..N puts operators
 * [0,k) on the device and [k,N) on the edge. The cut of k is every
 * non-constant tensor t such that
 *     (t is a model input, or its producer < k)      -- exists on the device
 * and (some consumer >= k, or t is a model output)   -- still needed after.
 * k = 0 gives the model inputs (full offload); k = N gives the outputs.
 * Inside a residual block the cut holds the block input and the branch.
 * Writes at most `cap` indices in ascending order into `out`; returns the
 * count (which may exceed cap: call again with more room). */
int32_t sciot_model_cut(const sciot_model *m, int32_t k, int32_t *out,
                        int32_t cap);
/* Sum of the bytes of the cut tensors of k. */
size_t sciot_model_cut_bytes(const sciot_model *m, int32_t k);
/* 1 if tensor t is in the cut of k. */
int sciot_model_in_cut(const sciot_model *m, int32_t k, int32_t t);

#ifdef __cplusplus
}
#endif
#endif
