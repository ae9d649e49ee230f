/* add_s8_avx2.c — AVX2 path of int8 ADD for two inputs of the same shape,
 * bit-identical to add_one() in add_s8.c: per element
 * out = clamp(mbqm(mbqm((a + off1) << ls, m1, s1) + mbqm((b + off2) << ls, m2, s2),
 *                  m_out, s_out) + out_off), 8 lanes at a time with
 * simd_avx2.h's exact requantization; the last n % 8 elements go through the
 * scalar formula. */
#include "sciot/kernels.h"
#include "kernels_internal.h"
#include "simd_avx2.h"

static void rq_uniform(sk_rq8 *r, int32_t mult, int32_t shift)
{
    int32_t b[8], m[8], s[8];
    for (int i = 0; i < 8; ++i)
        b[i] = 0, m[i] = mult, s[i] = shift;
    sk_rq8_init(r, b, m, s);
}

/* mbqm of (x8 + off) << ls without offset/clamp: sk_requant8 minus the end. */
static inline __m256i scale_in(__m128i x8, __m256i off, __m128i ls, const sk_rq8 *r)
{
    __m256i v = _mm256_add_epi32(_mm256_cvtepi8_epi32(x8), off);
    v = _mm256_sll_epi32(v, ls);
    v = _mm256_sllv_epi32(v, r->lsh);
    v = sk_srdhm8(v, r->mult, r->mult_hi);
    return sk_rdivpot8(v, r->rsh, r->rmask, r->rhalf);
}

void sk_add_s8_avx2(const sciot_binary_params *p, size_t n, const int8_t *a, const int8_t *b,
                    int8_t *out)
{
    sk_rq8 r1, r2, ro;
    rq_uniform(&r1, p->input1_multiplier, p->input1_shift);
    rq_uniform(&r2, p->input2_multiplier, p->input2_shift);
    rq_uniform(&ro, p->output_multiplier, p->output_shift);
    const __m256i off1 = _mm256_set1_epi32(p->input1_offset);
    const __m256i off2 = _mm256_set1_epi32(p->input2_offset);
    const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
    const __m256i out_off = _mm256_set1_epi32(p->output_offset);
    const __m256i lo = _mm256_set1_epi32(p->act_min), hi = _mm256_set1_epi32(p->act_max);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i va = _mm_loadu_si128((const __m128i *)(a + i));
        const __m128i vb = _mm_loadu_si128((const __m128i *)(b + i));
        __m256i s0 = _mm256_add_epi32(scale_in(va, off1, ls, &r1), scale_in(vb, off2, ls, &r2));
        __m256i s1 = _mm256_add_epi32(scale_in(_mm_srli_si128(va, 8), off1, ls, &r1),
                                      scale_in(_mm_srli_si128(vb, 8), off2, ls, &r2));
        s0 = sk_requant8(s0, &ro, out_off, lo, hi);
        s1 = sk_requant8(s1, &ro, out_off, lo, hi);
        _mm_storeu_si128((__m128i *)(out + i), sk_pack16_s8(s0, s1));
    }
    for (; i < n; ++i) {
        const int32_t sa = sk_mbqm(sk_wrap_shl((int32_t)a[i] + p->input1_offset, p->left_shift),
                                   p->input1_multiplier, p->input1_shift);
        const int32_t sb = sk_mbqm(sk_wrap_shl((int32_t)b[i] + p->input2_offset, p->left_shift),
                                   p->input2_multiplier, p->input2_shift);
        out[i] = sk_requant(sk_wrap_add(sa, sb), p->output_multiplier, p->output_shift,
                            p->output_offset, p->act_min, p->act_max);
    }
}
