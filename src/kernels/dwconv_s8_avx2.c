/* dwconv_s8_avx2.c — AVX2 path of int8 DEPTHWISE_CONV_2D (any kernel size
 * up to 16 rows and 64 taps, strides, dilations, depth multipliers),
 * bit-identical to the portable sciot_dwconv_s8.
 *
 * The input rows a output row needs are widened once into int16 rows in the
 * scratch buffer, one value per OUTPUT channel (input channel oc / dm), with
 * the input offset added, and channels rounded up to Cp (a multiple of 8)
 * with zeros; rows are kept in a ring of kh slots so that a row is widened
 * once per image when the dilation is 1. Taps in the padding point at a
 * zero column, so they add nothing, as the portable kernel skips them.
 * Channels go 16 (or a last 8) at a time: two taps are interleaved
 * (unpacklo/hi_epi16) and _mm256_madd_epi16 with the weights packed at init
 * in the same interleaved order ([block][tap pair][..]) gives exact int32
 * sums of two taps per channel. 16-channel blocks hold channels
 * {0-3, 8-11} and {4-7, 12-15} in their two accumulators (the in-lane
 * unpack order), which packs_epi32 puts back in order; the requantization
 * constants are permuted the same way. */
#include "sciot/kernels.h"
#include "kernels_internal.h"
#include "simd_avx2.h"

enum { MAX_FH = 16, MAX_TAPS = 64 };

static int32_t dw_cp(const sciot_dims *f)
{
    return (f->c + 7) & ~7;
}

static int32_t dw_pairs(const sciot_dims *f)
{
    return (f->h * f->w + 1) / 2;
}

size_t sk_dwconv_s8_avx2_scratch(const sciot_dims *in, const sciot_dims *filter,
                                 const sciot_dims *out)
{
    (void)out;
    const size_t cp = (size_t)dw_cp(filter);
    return (cp / 8) * sizeof(sk_rq8) + 64 +
           (cp + (size_t)filter->h * (size_t)in->w * cp) * sizeof(int16_t);
}

size_t sk_dwconv_s8_avx2_packed_size(const sciot_dims *filter)
{
    return (size_t)dw_cp(filter) * (size_t)dw_pairs(filter) * 2 * sizeof(int16_t);
}

/* Channel of lane j (0..7) of accumulator h (0, 1) of a 16-channel block. */
static inline int32_t lane_ch16(int32_t h, int32_t j)
{
    return (j & 4 ? 8 : 0) + h * 4 + (j & 3);
}

void sk_dwconv_s8_avx2_pack(const sciot_dims *filter, const int8_t *w, void *dst)
{
    const int32_t c = filter->c, cp = dw_cp(filter), taps = filter->h * filter->w;
    const int32_t pairs = dw_pairs(filter);
    int16_t *o = dst;
#define WT(t, ch) ((t) < taps && (ch) < c ? (int16_t)w[(size_t)(t) * c + (ch)] : (int16_t)0)
    int32_t c0 = 0;
    for (; c0 + 16 <= cp; c0 += 16)
        for (int32_t pr = 0; pr < pairs; ++pr)
            for (int32_t h = 0; h < 2; ++h)
                for (int32_t j = 0; j < 8; ++j) {
                    const int32_t ch = c0 + lane_ch16(h, j);
                    *o++ = WT(2 * pr, ch);
                    *o++ = WT(2 * pr + 1, ch);
                }
    if (c0 < cp)
        for (int32_t pr = 0; pr < pairs; ++pr)
            for (int32_t j = 0; j < 8; ++j) {
                *o++ = WT(2 * pr, c0 + j);
                *o++ = WT(2 * pr + 1, c0 + j);
            }
#undef WT
}

/* Widen input row iy into dst: in_w pixels x cp int16, value for output
 * channel oc = in[ic = oc / dm] + off, zero for oc >= c. */
static void fill_row(int16_t *dst, const int8_t *src, int32_t in_w, int32_t in_c, int32_t dm,
                     int32_t c, int32_t cp, int32_t off)
{
    if (dm == 1 && cp == c) {
        sk_widen_off(dst, src, in_w * c, off);
        return;
    }
    for (int32_t x = 0; x < in_w; ++x, dst += cp, src += in_c) {
        if (dm == 1) {
            sk_widen_off(dst, src, c, off);
        } else if (in_c == 1) {
            const __m128i v = _mm_set1_epi16((int16_t)(src[0] + off));
            for (int32_t oc = 0; oc < cp; oc += 8)
                _mm_storeu_si128((__m128i *)(dst + oc), v);
        } else {
            for (int32_t oc = 0; oc < c; ++oc)
                dst[oc] = (int16_t)(src[oc / dm] + off);
        }
        for (int32_t oc = c; oc < cp; ++oc)
            dst[oc] = 0;
    }
}

void sk_dwconv_s8_avx2(const sciot_conv_params *p, const sciot_channel_quant *q,
                       const sciot_dims *in_dims, const int8_t *in, const sciot_dims *f_dims,
                       const void *packed_w, const int32_t *bias, const sciot_dims *out_dims, int8_t *out,
                       void *scratch)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t fh = f_dims->h, fw = f_dims->w, taps = fh * fw;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, c = out_dims->c;
    const int32_t cp = dw_cp(f_dims), pairs = dw_pairs(f_dims), dm = p->depth_multiplier;
    const int32_t sh = p->stride_h, sw = p->stride_w, dh = p->dilation_h, dwl = p->dilation_w;
    const int16_t *packed = packed_w;

    /* scratch: rq table | zero column | kh row slots */
    sk_rq8 *rq = (sk_rq8 *)(((uintptr_t)scratch + 31) & ~(uintptr_t)31);
    int16_t *zc = (int16_t *)(((uintptr_t)(rq + cp / 8) + 31) & ~(uintptr_t)31);
    int16_t *slots = zc + cp;
    const size_t slot_len = (size_t)in_w * cp;
    memset(zc, 0, (size_t)cp * sizeof(int16_t));

    int32_t c0 = 0;
    for (; c0 + 16 <= cp; c0 += 16) {
        int32_t b[2][8], m[2][8], s[2][8];
        for (int32_t h = 0; h < 2; ++h)
            for (int32_t j = 0; j < 8; ++j) {
                const int32_t ch = c0 + lane_ch16(h, j);
                const int ok = ch < c;
                b[h][j] = ok && bias ? bias[ch] : 0;
                m[h][j] = ok ? q->multiplier[ch] : 0;
                s[h][j] = ok ? q->shift[ch] : 0;
            }
        sk_rq8_init(&rq[c0 / 8], b[0], m[0], s[0]);
        sk_rq8_init(&rq[c0 / 8 + 1], b[1], m[1], s[1]);
    }
    if (c0 < cp)
        sk_rq8_load(&rq[c0 / 8], bias, q->multiplier, q->shift, c0, c - c0);
    const int32_t c16 = c0; /* channels [0, c16) in 16-blocks, then one 8-block */

    const __m256i out_off = _mm256_set1_epi32(p->output_offset);
    const __m256i lo = _mm256_set1_epi32(p->act_min), hi = _mm256_set1_epi32(p->act_max);
    const int16_t *tp[MAX_TAPS + 1], *tap0[MAX_TAPS];
    const int16_t *rowp[MAX_FH];
    int32_t tag[MAX_FH];
    tp[taps] = zc; /* odd tap count: the last pair's second tap (weight 0) */

    for (int32_t bt = 0; bt < out_dims->n; ++bt) {
        const int8_t *in_b = in + (size_t)bt * in_h * in_w * in_c;
        for (int32_t k = 0; k < fh; ++k)
            tag[k] = -1;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * sh - p->pad_h;
            for (int32_t ky = 0; ky < fh; ++ky) {
                const int32_t iy = iy0 + ky * dh;
                if (iy < 0 || iy >= in_h) {
                    rowp[ky] = NULL;
                    continue;
                }
                const int32_t slot = dh == 1 ? iy % fh : ky;
                int16_t *row = slots + (size_t)slot * slot_len;
                if (tag[slot] != iy) {
                    fill_row(row, in_b + (size_t)iy * in_w * in_c, in_w, in_c, dm, c, cp,
                             p->input_offset);
                    tag[slot] = iy;
                }
                rowp[ky] = row;
            }
            int rows_ok = 1;
            for (int32_t ky = 0, t = 0; ky < fh; ++ky) {
                rows_ok &= rowp[ky] != NULL;
                for (int32_t kx = 0; kx < fw; ++kx, ++t)
                    tap0[t] = rowp[ky] ? rowp[ky] + (size_t)kx * dwl * cp : zc;
            }
            int8_t *o_row = out + ((size_t)bt * out_h + oy) * out_w * c;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * sw - p->pad_w;
                if (rows_ok && ix0 >= 0 && ix0 + (fw - 1) * dwl < in_w) {
                    /* interior pixel: every tap is in the image */
                    const size_t shift = (size_t)ix0 * cp;
                    for (int32_t t = 0; t < taps; ++t)
                        tp[t] = tap0[t] + shift;
                } else {
                    for (int32_t ky = 0, t = 0; ky < fh; ++ky)
                        for (int32_t kx = 0; kx < fw; ++kx, ++t) {
                            const int32_t ix = ix0 + kx * dwl;
                            tp[t] = rowp[ky] && ix >= 0 && ix < in_w ? rowp[ky] + (size_t)ix * cp
                                                                     : zc;
                        }
                }
                int8_t *o = o_row + (size_t)ox * c;
                const int16_t *w = packed;
                for (int32_t cb = 0; cb < c16; cb += 16) {
                    __m256i a0 = rq[cb / 8].bias, a1 = rq[cb / 8 + 1].bias;
                    for (int32_t pr = 0; pr < pairs; ++pr, w += 32) {
                        const __m256i x0 = _mm256_loadu_si256((const __m256i *)(tp[2 * pr] + cb));
                        const __m256i x1 = _mm256_loadu_si256((const __m256i *)(tp[2 * pr + 1] + cb));
                        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                                     _mm256_loadu_si256((const __m256i *)w)));
                        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                                     _mm256_loadu_si256((const __m256i *)(w + 16))));
                    }
                    const __m256i v0 = sk_requant8(a0, &rq[cb / 8], out_off, lo, hi);
                    const __m256i v1 = sk_requant8(a1, &rq[cb / 8 + 1], out_off, lo, hi);
                    const __m256i v = _mm256_packs_epi32(v0, v1); /* channels in order */
                    const __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(v),
                                                          _mm256_extracti128_si256(v, 1));
                    sk_store_n(o + cb, bytes, c - cb);
                }
                if (c16 < cp) {
                    __m256i a0 = rq[c16 / 8].bias;
                    for (int32_t pr = 0; pr < pairs; ++pr, w += 16) {
                        const __m128i x0 = _mm_loadu_si128((const __m128i *)(tp[2 * pr] + c16));
                        const __m128i x1 = _mm_loadu_si128((const __m128i *)(tp[2 * pr + 1] + c16));
                        const __m256i u = _mm256_set_m128i(_mm_unpackhi_epi16(x0, x1),
                                                           _mm_unpacklo_epi16(x0, x1));
                        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(u, _mm256_loadu_si256((const __m256i *)w)));
                    }
                    const __m256i v0 = sk_requant8(a0, &rq[c16 / 8], out_off, lo, hi);
                    sk_store_n(o + c16, sk_pack8_s8(v0), c - c16);
                }
            }
        }
    }
}
