/* fbbuild.h — a tiny FlatBuffers builder, just enough to write TensorFlow
 * Lite models (schema v3) in tests and fuzz seeds without flatc.
 *
 * Two layers:
 *   fbb_*  the generic builder. Like the real FlatBuffers builder it writes
 *          back to front: children first, parents after, so every uoffset
 *          points forward. A reference (fbb_ref) is the distance from the
 *          end of the finished buffer, which stays valid while it grows.
 *   fbm_*  a TFLite model described by plain structs (opcodes, tensors with
 *          quantization, operators with scalar builtin options, buffers),
 *          turned into a .tflite image by fbm_build(). fbm_build() can also
 *          report the file positions of interesting fields so that tests
 *          can corrupt exactly one thing.
 *
 * Scalars are written in host byte order (the tests run on little-endian
 * hosts, as FlatBuffers requires). Not for production: allocation failures
 * abort. */
#ifndef SCIOT_FBBUILD_H
#define SCIOT_FBBUILD_H

#include <stddef.h>
#include <stdint.h>

/* ---- generic builder -------------------------------------------------- */

typedef uint32_t fbb_ref;

#define FBB_MAX_FIELDS 32

typedef struct {
    uint8_t *buf;   /* data lives in buf[cap - size, cap) */
    size_t cap, size;
    size_t minalign;
    size_t tstart;  /* size when the current table was started */
    fbb_ref field[FBB_MAX_FIELDS]; /* where each field of the table was written, 0 = absent */
    int nfields;
} fbb;

void fbb_init(fbb *b);
void fbb_free(fbb *b);
/* Pad so that after `len` more bytes the size is a multiple of `align`. */
void fbb_align(fbb *b, size_t len, size_t align);

/* Vectors and strings (written immediately; not inside a table). */
fbb_ref fbb_vec(fbb *b, const void *elems, size_t n, size_t elem_size, size_t align);
fbb_ref fbb_vec_refs(fbb *b, const fbb_ref *refs, size_t n);
fbb_ref fbb_string(fbb *b, const char *s);

/* Tables: start, add fields (any order), end. Tables do not nest: build
 * children before starting their parent. */
void fbb_start(fbb *b);
void fbb_add_u8(fbb *b, int field, uint8_t v);
void fbb_add_i32(fbb *b, int field, int32_t v);
void fbb_add_u32(fbb *b, int field, uint32_t v);
void fbb_add_f32(fbb *b, int field, float v);
void fbb_add_i64(fbb *b, int field, int64_t v);
void fbb_add_ref(fbb *b, int field, fbb_ref target);
fbb_ref fbb_end(fbb *b);

/* Write the root offset and the 4-byte identifier; returns a malloc'd,
 * 16-byte-aligned copy of the finished buffer (free with free()). */
uint8_t *fbb_finish(fbb *b, fbb_ref root, const char *ident, size_t *len);
/* File position of a reference once the buffer is finished (size known). */
size_t fbb_pos(const fbb *b, fbb_ref r);

/* ---- TFLite models ---------------------------------------------------- */

typedef struct {
    int32_t builtin_code;     /* the int32 `builtin_code` field */
    int8_t deprecated_code;   /* the byte `deprecated_builtin_code` field */
    int32_t version;          /* 0: field absent (reader default 1) */
    const char *custom_code;  /* NULL: absent */
    int omit_builtin;         /* old files: no builtin_code field at all */
    int omit_deprecated;      /* no deprecated_builtin_code field */
} fbm_opcode;

enum { FBM_U8 = 1, FBM_I32, FBM_F32 };

typedef struct {
    int field;                /* field index in the options table */
    int kind;                 /* FBM_U8 / FBM_I32 / FBM_F32 */
    int32_t i;
    float f;
} fbm_opt;

#define FBM_MAX_IO 8
#define FBM_MAX_OPTS 8

typedef struct {
    uint32_t opcode_index;
    int omit_opcode_index;    /* leave the field out (reader default 0) */
    int n_inputs;
    int32_t inputs[FBM_MAX_IO];
    int n_outputs;
    int32_t outputs[FBM_MAX_IO];
    uint8_t options_type;     /* BuiltinOptions union tag, 0: none */
    int n_opts;
    fbm_opt opts[FBM_MAX_OPTS];
} fbm_op;

typedef struct {
    const char *name;         /* NULL: no name field */
    int8_t type;              /* TensorType */
    int rank;                 /* -1: no shape field (scalar) */
    int32_t shape[8];
    uint32_t buffer;          /* 0: the empty buffer */
    int has_quant;            /* write a QuantizationParameters table */
    int n_scales;             /* -1: no scale vector */
    const float *scales;
    int n_zero_points;        /* -1: no zero_point vector */
    const int64_t *zero_points;
    int32_t quantized_dimension;
} fbm_tensor;

typedef struct {
    const void *data;         /* NULL/0: a Buffer without data */
    size_t len;
} fbm_buffer;

#define FBM_MAX_OPCODES 32
#define FBM_MAX_TENSORS 64
#define FBM_MAX_OPS 32
#define FBM_MAX_BUFFERS 64

typedef struct {
    uint32_t version;         /* 3 */
    const char *description;  /* NULL: absent */
    const char *subgraph_name;
    int n_opcodes;
    fbm_opcode opcodes[FBM_MAX_OPCODES];
    int n_tensors;
    fbm_tensor tensors[FBM_MAX_TENSORS];
    int n_inputs;
    int32_t inputs[FBM_MAX_IO];
    int n_outputs;
    int32_t outputs[FBM_MAX_IO];
    int n_ops;
    fbm_op ops[FBM_MAX_OPS];
    int n_buffers;            /* buffer 0 should be the empty buffer */
    fbm_buffer buffers[FBM_MAX_BUFFERS];
    int n_subgraphs;          /* 0 means 1; >1 repeats subgraph 0 */
} fbm_model;

/* File positions (byte offsets) of fields of the built model, for targeted
 * corruption. A uoffset field at position p points to p + value. */
typedef struct {
    size_t model_table;       /* the Model table (its soffset to the vtable) */
    size_t model_vtable;
    size_t subgraph_table;
    size_t sg_tensors_field;  /* SubGraph.tensors uoffset */
    size_t tensors_vec;       /* length word of SubGraph.tensors */
    size_t ops_vec;           /* length word of SubGraph.operators */
    size_t buffers_vec;       /* length word of Model.buffers */
    size_t tensor_table[FBM_MAX_TENSORS];
    size_t tensor_shape_vec[FBM_MAX_TENSORS]; /* length word, 0 if no shape */
    size_t tensor_name_vec[FBM_MAX_TENSORS];  /* length word, 0 if no name */
    size_t tensor_quant_table[FBM_MAX_TENSORS]; /* 0 if no quantization */
    size_t op_table[FBM_MAX_OPS];
    size_t op_inputs_vec[FBM_MAX_OPS];        /* length word */
    size_t buffer_table[FBM_MAX_BUFFERS];     /* Buffer table */
    size_t buffer_data_vec[FBM_MAX_BUFFERS];  /* length word, 0 if no data */
} fbm_pos;

/* Build the model; returns a 16-byte-aligned malloc'd image. `pos` may be NULL. */
uint8_t *fbm_build(const fbm_model *m, size_t *len, fbm_pos *pos);

/* Helpers to fill descriptions. */
int fbm_add_buffer(fbm_model *m, const void *data, size_t len); /* returns its index */
int fbm_add_opcode(fbm_model *m, int32_t code, int32_t version); /* returns its index */
int fbm_add_tensor(fbm_model *m, const char *name, int type, int rank, const int32_t *shape,
                   uint32_t buffer);                                /* returns its index */
void fbm_set_quant(fbm_model *m, int tensor, int n, const float *scales, const int64_t *zero_points,
                   int32_t quantized_dimension);
int fbm_add_op(fbm_model *m, int opcode_index, int n_in, const int32_t *in, int n_out, const int32_t *out,
               uint8_t options_type);                               /* returns its index */
void fbm_add_opt(fbm_model *m, int op, int field, int kind, int32_t i, float f);

/* The small residual network used by the reader tests and as fuzz seeds.
 *   x[1,4,4,2] -> CONV_2D A (3x3, SAME, RELU) -> y
 *   y          -> CONV_2D B (1x1, VALID)      -> z
 *   ADD(y, z)  -> sum
 * with `full`: sum -> RESHAPE -> flat[1,32] -> SOFTMAX -> out.
 * int8 (float32 = 0): per-channel quantized filters (quantized_dimension 0)
 * and biases; conv B's bias says quantized_dimension 3 on a 1-D tensor with
 * one scale per element (as person_detect's biases do).
 * Tensors: 0 x, 1 wA, 2 bA, 3 y, 4 wB, 5 bB, 6 z, 7 sum
 *          (+ 8 shape, 9 flat, 10 out). Ops: 0 conv A, 1 conv B, 2 add
 *          (+ 3 reshape, 4 softmax). The data arrays are static. */
void fbm_residual(fbm_model *m, int full, int float32);

#endif
