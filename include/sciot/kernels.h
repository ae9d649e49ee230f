/* sciot/kernels.h — int8 and float32 operator kernels.
 *
 * Kernels know nothing of models, files or networks: they take small
 * parameter structs, dimension structs and raw pointers. All tensors are NHWC.
 *
 * int8 kernels are bit-exact with TensorFlow Lite Micro's reference kernels:
 * the same fixed-point requantization (saturating rounding doubling high
 * multiply followed by a rounding right shift, see sciot_mbqm), the same
 * softmax/logistic fixed-point arithmetic, the same rounding in pooling and
 * mean. Each op has one portable C implementation; a faster path (AVX2 on x86)
 * may sit behind the same function and must produce identical bytes. Set
 * sciot_kernels_force_portable(1) to select the portable path (tests compare
 * both).
 *
 * No kernel allocates. Ops that need scratch say how much through a
 * *_scratch_size() query; the caller passes at least that many bytes. */
#ifndef SCIOT_KERNELS_H
#define SCIOT_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "sciot/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { int32_t n, h, w, c; } sciot_dims;

/* ---- quantization helpers (kernels/quant.c) --------------------------- */

/* TFLite QuantizeMultiplier: real = multiplier * 2^(shift-31),
 * multiplier in [2^30, 2^31) or 0. shift > 0 means left shift. */
void sciot_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);
/* TFLite MultiplyByQuantizedMultiplier (the int32 version). */
int32_t sciot_mbqm(int32_t x, int32_t multiplier, int32_t shift);
int32_t sciot_srdhm(int32_t a, int32_t b);              /* SaturatingRoundingDoublingHighMul */
int32_t sciot_rdivpot(int32_t x, int32_t exponent);     /* RoundingDivideByPOT */

/* Clamp range of a fused activation for a quantized output
 * (TFLite CalculateActivationRangeQuantized), for int8. */
void sciot_act_range_s8(int32_t activation, float out_scale, int32_t out_zp,
                        int32_t *act_min, int32_t *act_max);
/* Same for float (NONE: -inf..inf, RELU: 0..inf, RELU6: 0..6, N1_TO_1). */
void sciot_act_range_f32(int32_t activation, float *act_min, float *act_max);

/* ---- convolution family ---------------------------------------------- */

typedef struct {
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;           /* top / left padding (TFLite padding offsets) */
    int32_t depth_multiplier;       /* depthwise only */
    int32_t input_offset;           /* = -input zero point (int8) */
    int32_t output_offset;          /* = output zero point (int8) */
    int32_t act_min, act_max;       /* int8 clamp */
    float fact_min, fact_max;       /* float clamp */
} sciot_conv_params;

/* Per output channel requantization (n entries = output channels; for a
 * per-tensor quantized op the caller fills every entry with the same value). */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
} sciot_channel_quant;

/* CONV_2D. filter dims: n = out channels, h/w = kernel, c = in channels.
 * bias: out channels int32 (int8) / float (f32), may be NULL. */
size_t sciot_conv2d_s8_scratch_size(const sciot_dims *in, const sciot_dims *filter,
                                    const sciot_dims *out);
sciot_status sciot_conv2d_s8(const sciot_conv_params *p, const sciot_channel_quant *q,
                             const sciot_dims *in_dims, const int8_t *in,
                             const sciot_dims *f_dims, const int8_t *filter,
                             const int32_t *bias,
                             const sciot_dims *out_dims, int8_t *out, void *scratch);
/* Filter repacked for the SIMD path, done once at init: bytes needed (0 when
 * this build/CPU has no packed path; then pass packed = NULL). The size
 * depends on the dims only; pack writes that many bytes. *_s8_packed() runs
 * the SIMD path when packed != NULL, scratch has *_scratch_size() bytes and
 * the CPU supports it (and the portable path is not forced), else the
 * portable path with `filter`; the bytes are the same. The plain entry point
 * is *_s8_packed() with packed = NULL. */
size_t sciot_conv2d_s8_packed_size(const sciot_dims *filter);
void sciot_conv2d_s8_pack(const sciot_dims *filter, const int8_t *weights, void *dst);
sciot_status sciot_conv2d_s8_packed(const sciot_conv_params *p, const sciot_channel_quant *q,
                                    const sciot_dims *in_dims, const int8_t *in,
                                    const sciot_dims *f_dims, const int8_t *filter,
                                    const void *packed, const int32_t *bias,
                                    const sciot_dims *out_dims, int8_t *out, void *scratch);
size_t sciot_conv2d_f32_scratch_size(const sciot_dims *in, const sciot_dims *filter,
                                     const sciot_dims *out);
sciot_status sciot_conv2d_f32(const sciot_conv_params *p,
                              const sciot_dims *in_dims, const float *in,
                              const sciot_dims *f_dims, const float *filter,
                              const float *bias,
                              const sciot_dims *out_dims, float *out, void *scratch);

/* DEPTHWISE_CONV_2D. filter dims: n = 1, h/w = kernel, c = out channels
 * (= in channels * depth_multiplier). */
size_t sciot_dwconv_s8_scratch_size(const sciot_dims *in, const sciot_dims *filter,
                                    const sciot_dims *out);
size_t sciot_dwconv_s8_packed_size(const sciot_dims *filter);
void sciot_dwconv_s8_pack(const sciot_dims *filter, const int8_t *weights, void *dst);
sciot_status sciot_dwconv_s8_packed(const sciot_conv_params *p, const sciot_channel_quant *q,
                                    const sciot_dims *in_dims, const int8_t *in,
                                    const sciot_dims *f_dims, const int8_t *filter,
                                    const void *packed, const int32_t *bias,
                                    const sciot_dims *out_dims, int8_t *out, void *scratch);
sciot_status sciot_dwconv_s8(const sciot_conv_params *p, const sciot_channel_quant *q,
                             const sciot_dims *in_dims, const int8_t *in,
                             const sciot_dims *f_dims, const int8_t *filter,
                             const int32_t *bias,
                             const sciot_dims *out_dims, int8_t *out, void *scratch);
sciot_status sciot_dwconv_f32(const sciot_conv_params *p,
                              const sciot_dims *in_dims, const float *in,
                              const sciot_dims *f_dims, const float *filter,
                              const float *bias,
                              const sciot_dims *out_dims, float *out);

/* FULLY_CONNECTED: in is [batches, in_features] (flattened), filter
 * [units, in_features], out [batches, units]. p->input_offset, p->output_offset,
 * act range as in conv; filter_offset = -filter zero point (usually 0).
 * q has `units` entries (per-tensor: all equal). */
typedef struct {
    int32_t input_offset, filter_offset, output_offset;
    int32_t act_min, act_max;
    float fact_min, fact_max;
} sciot_fc_params;
sciot_status sciot_fc_s8(const sciot_fc_params *p, const sciot_channel_quant *q,
                         int32_t batches, int32_t in_features, int32_t units,
                         const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out);
sciot_status sciot_fc_f32(const sciot_fc_params *p,
                          int32_t batches, int32_t in_features, int32_t units,
                          const float *in, const float *filter, const float *bias,
                          float *out);

/* ---- elementwise binary (ADD, MUL) with 4-D broadcasting -------------- */
/* Shapes are given as 4-D (pad leading dims with 1). Broadcasting follows
 * numpy rules per dimension (size equal, or 1 on one side). */
typedef struct {
    /* ADD int8 (TFLite): left_shift = 20 */
    int32_t left_shift;
    int32_t input1_offset, input2_offset, output_offset;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
    float fact_min, fact_max;
} sciot_binary_params;

/* Fill ADD params from scales / zero points exactly as TFLite's Prepare. */
void sciot_add_s8_prepare(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp,
                          float out_scale, int32_t out_zp, int32_t activation,
                          sciot_binary_params *p);
/* Fill MUL params (output_multiplier from in1*in2/out scale). */
void sciot_mul_s8_prepare(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp,
                          float out_scale, int32_t out_zp, int32_t activation,
                          sciot_binary_params *p);

sciot_status sciot_add_s8(const sciot_binary_params *p,
                          const sciot_dims *d1, const int8_t *in1,
                          const sciot_dims *d2, const int8_t *in2,
                          const sciot_dims *dout, int8_t *out);
sciot_status sciot_mul_s8(const sciot_binary_params *p,
                          const sciot_dims *d1, const int8_t *in1,
                          const sciot_dims *d2, const int8_t *in2,
                          const sciot_dims *dout, int8_t *out);
sciot_status sciot_add_f32(const sciot_binary_params *p,
                           const sciot_dims *d1, const float *in1,
                           const sciot_dims *d2, const float *in2,
                           const sciot_dims *dout, float *out);
sciot_status sciot_mul_f32(const sciot_binary_params *p,
                           const sciot_dims *d1, const float *in1,
                           const sciot_dims *d2, const float *in2,
                           const sciot_dims *dout, float *out);

/* ---- pooling ---------------------------------------------------------- */
typedef struct {
    int32_t stride_h, stride_w;
    int32_t filter_h, filter_w;
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
    float fact_min, fact_max;
} sciot_pool_params;

sciot_status sciot_avgpool_s8(const sciot_pool_params *p, const sciot_dims *in_dims,
                              const int8_t *in, const sciot_dims *out_dims, int8_t *out);
sciot_status sciot_maxpool_s8(const sciot_pool_params *p, const sciot_dims *in_dims,
                              const int8_t *in, const sciot_dims *out_dims, int8_t *out);
sciot_status sciot_avgpool_f32(const sciot_pool_params *p, const sciot_dims *in_dims,
                               const float *in, const sciot_dims *out_dims, float *out);
sciot_status sciot_maxpool_f32(const sciot_pool_params *p, const sciot_dims *in_dims,
                               const float *in, const sciot_dims *out_dims, float *out);

/* ---- PAD: up to 4-D, before/after per dim; pad_value in element type -- */
sciot_status sciot_pad(size_t elem_size, const sciot_dims *in_dims, const void *in,
                       const int32_t before[4], const int32_t after[4],
                       const void *pad_value, const sciot_dims *out_dims, void *out);

/* ---- SOFTMAX ----------------------------------------------------------- */
typedef struct {
    int32_t input_multiplier, input_left_shift, diff_min;
    int32_t output_zp;         /* int8 output zero point (TFLM requires -128) */
    float beta;
} sciot_softmax_params;
/* TFLite PreprocessSoftmaxScaling for int8 (kScaledDiffIntegerBits = 5). */
void sciot_softmax_s8_prepare(float input_scale, float beta, int32_t output_zp,
                              sciot_softmax_params *p);
/* Softmax over the last dimension: `outer` rows of `depth` values. */
sciot_status sciot_softmax_s8(const sciot_softmax_params *p, int32_t outer, int32_t depth,
                              const int8_t *in, int8_t *out);
sciot_status sciot_softmax_f32(float beta, int32_t outer, int32_t depth,
                               const float *in, float *out);

/* ---- LOGISTIC ---------------------------------------------------------- */
typedef struct {
    int32_t input_zero_point, input_range_radius, input_multiplier, input_left_shift;
} sciot_logistic_params;
void sciot_logistic_s8_prepare(float input_scale, int32_t input_zp,
                               sciot_logistic_params *p);
sciot_status sciot_logistic_s8(const sciot_logistic_params *p, size_t n,
                               const int8_t *in, int8_t *out);
sciot_status sciot_logistic_f32(size_t n, const float *in, float *out);

/* ---- RELU / RELU6 (quantized: requantize then clamp, as TFLM) --------- */
typedef struct {
    int32_t input_offset;      /* input zero point */
    int32_t output_offset;     /* output zero point */
    int32_t multiplier, shift; /* in_scale / out_scale */
    int32_t act_min, act_max;
} sciot_relu_params;
/* relu6 = 0: RELU, 1: RELU6 */
void sciot_relu_s8_prepare(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                           int relu6, sciot_relu_params *p);
sciot_status sciot_relu_s8(const sciot_relu_params *p, size_t n, const int8_t *in, int8_t *out);
sciot_status sciot_clamp_f32(float lo, float hi, size_t n, const float *in, float *out);

/* ---- QUANTIZE / DEQUANTIZE -------------------------------------------- */
sciot_status sciot_quantize_f32_s8(float scale, int32_t zp, size_t n,
                                   const float *in, int8_t *out);
/* int8 -> int8 requantization (QUANTIZE with an int8 input). */
sciot_status sciot_requantize_s8(int32_t in_zp, int32_t multiplier, int32_t shift,
                                 int32_t out_zp, size_t n, const int8_t *in, int8_t *out);
sciot_status sciot_dequantize_s8_f32(float scale, int32_t zp, size_t n,
                                     const int8_t *in, float *out);

/* ---- MEAN over H and W (axis {1,2}) or a general set of axes ----------- */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t multiplier, shift; /* in_scale / out_scale */
} sciot_mean_params;
void sciot_mean_s8_prepare(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                           sciot_mean_params *p);
/* Reduce a rank<=4 tensor (dims as 4-D) over the axes flagged in reduce[4].
 * Output has the non-reduced dims in order. scratch: int32 per output elem. */
size_t sciot_mean_scratch_size(const sciot_dims *in, const int reduce[4]);
sciot_status sciot_mean_s8(const sciot_mean_params *p, const sciot_dims *in_dims,
                           const int8_t *in, const int reduce[4], int8_t *out, void *scratch);
sciot_status sciot_mean_f32(const sciot_dims *in_dims, const float *in,
                            const int reduce[4], float *out, void *scratch);

/* ---- CONCATENATION ------------------------------------------------------
 * Concatenate n inputs along `axis` of a 4-D view; `outer` = product of dims
 * before axis, `in_axis_inner[i]` = dims[axis..] product of input i (elements),
 * copy semantics (int8 inputs must share output quantization). */
sciot_status sciot_concat(size_t elem_size, int32_t n, const void *const *inputs,
                          const size_t *in_axis_inner, size_t outer, void *out);

/* Force the portable path (1) or allow fast paths (0, default). Process-wide
 * switch meant for tests and benchmarks, read by dispatching kernels. */
void sciot_kernels_force_portable(int on);
int sciot_kernels_portable_forced(void);
/* Name of the fast path in use ("avx2", "none"). */
const char *sciot_kernels_fast_path(void);

#ifdef __cplusplus
}
#endif
#endif
