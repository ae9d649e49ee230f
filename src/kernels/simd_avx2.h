/* simd_avx2.h — AVX2 helpers shared by the *_avx2.c fast paths: exact
 * vectorized int8 requantization of eight int32 accumulators with
 * per-lane multiplier/shift, bit-identical to sk_requant() in
 * kernels_internal.h (TFLite MultiplyByQuantizedMultiplier, double rounding).
 * Include only from files compiled with -mavx2.
 *
 * SaturatingRoundingDoublingHighMul: gemmlowp computes
 * trunc((a*b + nudge) / 2^31) with nudge = 2^30 for a*b >= 0 and 1 - 2^30
 * otherwise. For a*b < 0 that equals floor((a*b + 2^30) / 2^31), the same
 * expression as the non-negative case, so the vector form is one 64-bit add
 * and a shift: (a*b + 2^30) >> 31 on the even lanes (_mm256_mul_epi32) and on
 * the odd lanes. The only input whose result does not fit is
 * INT32_MIN * INT32_MIN (result 2^31, read back as INT32_MIN, which no other
 * product gives): it is flipped to INT32_MAX, the saturated value.
 *
 * RoundingDivideByPOT: (x >> e) + (remainder > threshold) with
 * remainder = x & (2^e - 1), threshold = ((2^e - 1) >> 1) + (x < 0). */
#ifndef SCIOT_SIMD_AVX2_H
#define SCIOT_SIMD_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* Per-lane requantization constants for eight channels. */
typedef struct {
    __m256i bias;          /* int32 bias (0 without bias) */
    __m256i mult, mult_hi; /* multiplier; multiplier of the odd lanes in the even slots */
    __m256i lsh, rsh;      /* left shift max(shift, 0), right shift max(-shift, 0) */
    __m256i rmask, rhalf;  /* 2^rsh - 1 and its half (rounding threshold) */
} sk_rq8;

/* Build from eight bias/multiplier/shift values (any channel order). */
static inline void sk_rq8_init(sk_rq8 *r, const int32_t bias[8], const int32_t mult[8],
                               const int32_t shift[8])
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i s = _mm256_loadu_si256((const __m256i *)shift);
    r->bias = _mm256_loadu_si256((const __m256i *)bias);
    r->mult = _mm256_loadu_si256((const __m256i *)mult);
    r->mult_hi = _mm256_srli_epi64(r->mult, 32);
    r->lsh = _mm256_max_epi32(s, zero);
    r->rsh = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
    r->rmask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), r->rsh),
                                _mm256_set1_epi32(1));
    r->rhalf = _mm256_srli_epi32(r->rmask, 1);
}

/* Gather n (<= 8) channels starting at c0 from per-channel arrays (bias may
 * be NULL) into an sk_rq8; lanes past n get zeros. */
static inline void sk_rq8_load(sk_rq8 *r, const int32_t *bias, const int32_t *mult,
                               const int32_t *shift, int32_t c0, int32_t n)
{
    int32_t b[8] = {0}, m[8] = {0}, s[8] = {0};
    if (bias)
        memcpy(b, bias + c0, (size_t)n * 4);
    memcpy(m, mult + c0, (size_t)n * 4);
    memcpy(s, shift + c0, (size_t)n * 4);
    sk_rq8_init(r, b, m, s);
}

static inline __m256i sk_srdhm8(__m256i a, __m256i b, __m256i b_hi)
{
    const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(a, b), nudge);
    const __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), b_hi), nudge);
    /* bits 31..62 of each product: low dword of pe >> 31, high dword of po << 1 */
    const __m256i r = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_slli_epi64(po, 1), 0xAA);
    return _mm256_xor_si256(r, _mm256_cmpeq_epi32(r, _mm256_set1_epi32(INT32_MIN)));
}

static inline __m256i sk_rdivpot8(__m256i x, __m256i e, __m256i mask, __m256i half)
{
    const __m256i rem = _mm256_and_si256(x, mask);
    const __m256i neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), x);
    const __m256i thr = _mm256_sub_epi32(half, neg);
    return _mm256_sub_epi32(_mm256_srav_epi32(x, e), _mm256_cmpgt_epi32(rem, thr));
}

/* acc (bias already added) -> clamp(mbqm(acc) + out_off, lo, hi) as int32. */
static inline __m256i sk_requant8(__m256i acc, const sk_rq8 *r, __m256i out_off, __m256i lo,
                                  __m256i hi)
{
    __m256i x = _mm256_sllv_epi32(acc, r->lsh);
    x = sk_srdhm8(x, r->mult, r->mult_hi);
    x = sk_rdivpot8(x, r->rsh, r->rmask, r->rhalf);
    x = _mm256_add_epi32(x, out_off);
    return _mm256_min_epi32(_mm256_max_epi32(x, lo), hi);
}

/* Two vectors of eight int32 in [-128, 127] (a: bytes 0..7, b: bytes 8..15)
 * to sixteen int8 in order. */
static inline __m128i sk_pack16_s8(__m256i a, __m256i b)
{
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
    return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

/* Eight int32 in [-128, 127] to eight int8 in the low 8 bytes. */
static inline __m128i sk_pack8_s8(__m256i a)
{
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    return _mm_packs_epi16(w, w);
}

/* Store the first n (<= 16) bytes of v. */
static inline void sk_store_n(int8_t *dst, __m128i v, int32_t n)
{
    if (n >= 16) {
        _mm_storeu_si128((__m128i *)dst, v);
    } else if (n == 8) {
        _mm_storel_epi64((__m128i *)dst, v);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, v);
        memcpy(dst, tmp, (size_t)n);
    }
}

/* n int8 values + off -> int16 (n >= 0, reads exactly n bytes). */
static inline void sk_widen_off(int16_t *dst, const int8_t *src, int32_t n, int32_t off)
{
    const __m256i o = _mm256_set1_epi16((int16_t)off);
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + i)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_add_epi16(v, o));
    }
    if (i + 8 <= n) {
        const __m128i v = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(src + i)));
        _mm_storeu_si128((__m128i *)(dst + i), _mm_add_epi16(v, _mm256_castsi256_si128(o)));
        i += 8;
    }
    for (; i < n; ++i)
        dst[i] = (int16_t)(src[i] + off);
}

#endif
