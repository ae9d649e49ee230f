/* conv_s8_avx2.c — AVX2 path of int8 CONV_2D (groups == 1), bit-identical
 * to the portable sciot_conv2d_s8.
 *
 * Output pixels are processed in tiles of MT pixels. Each tile is unrolled
 * into an int16 im2col matrix [MT][Kp] in the scratch buffer holding
 * (input + input_offset), with 0 for taps in the padding (the portable kernel
 * skips those taps; a zero contributes nothing) and for the pad column that
 * rounds K = kh*kw*c up to an even Kp. The GEMM against the weights packed
 * at init (int16, [oc block of 16][Kp/2][16 oc][2 k]) uses _mm256_madd_epi16:
 * one broadcast pair of k values of a pixel times a pair of k weights for 16
 * output channels gives 16 exact int32 partial sums (|x+off| <= 256,
 * |w| <= 128). Micro-kernel: 4 pixels x 16 channels (8 accumulators), or
 * 4 x 8 for a final block of at most 8 channels. Accumulators start at the
 * bias; requantization is simd_avx2.h's exact sk_requant8. */
#include "sciot/kernels.h"
#include "kernels_internal.h"
#include "simd_avx2.h"

enum { MR = 4, NR = 16 };

static int32_t conv_kp(const sciot_dims *f)
{
    const int32_t k = f->h * f->w * f->c;
    return (k + 1) & ~1;
}

/* im2col tile rows: about 16 KiB of int16, a multiple of MR, 4..64. */
static int32_t conv_mt(int32_t kp)
{
    int32_t mt = (8192 / kp) & ~(MR - 1);
    return mt < MR ? MR : (mt > 64 ? 64 : mt);
}

size_t sk_conv2d_s8_avx2_scratch(const sciot_dims *in, const sciot_dims *filter,
                                 const sciot_dims *out)
{
    (void)in;
    (void)out;
    const int32_t kp = conv_kp(filter);
    return (size_t)conv_mt(kp) * (size_t)kp * sizeof(int16_t);
}

size_t sk_conv2d_s8_avx2_packed_size(const sciot_dims *filter)
{
    const size_t blocks = ((size_t)filter->n + NR - 1) / NR;
    return blocks * NR * (size_t)conv_kp(filter) * sizeof(int16_t);
}

void sk_conv2d_s8_avx2_pack(const sciot_dims *filter, const int8_t *w, void *dst)
{
    const int32_t n = filter->n, k = filter->h * filter->w * filter->c, kp = conv_kp(filter);
    int16_t *o = dst;
    for (int32_t oc0 = 0; oc0 < n; oc0 += NR)
        for (int32_t k2 = 0; k2 < kp; k2 += 2)
            for (int32_t j = 0; j < NR; ++j)
                for (int32_t e = 0; e < 2; ++e) {
                    const int32_t oc = oc0 + j, kk = k2 + e;
                    *o++ = (int16_t)(oc < n && kk < k ? w[(size_t)oc * k + kk] : 0);
                }
}

static inline __m256i bcast_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* acc[2*i + h] += sum_k a_i[k] * w[k][16 channels, half h], i < 4 */
static inline void kern_4x16(const int16_t *a, int32_t kp, const int16_t *w, __m256i acc[8])
{
    __m256i c00 = acc[0], c01 = acc[1], c10 = acc[2], c11 = acc[3];
    __m256i c20 = acc[4], c21 = acc[5], c30 = acc[6], c31 = acc[7];
    const int16_t *a0 = a, *a1 = a + kp, *a2 = a + 2 * kp, *a3 = a + 3 * kp;
    for (int32_t k = 0; k < kp; k += 2, w += 32) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 16));
        __m256i x = bcast_pair(a0 + k);
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, w0));
        c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, w1));
        x = bcast_pair(a1 + k);
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, w0));
        c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, w1));
        x = bcast_pair(a2 + k);
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x, w0));
        c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x, w1));
        x = bcast_pair(a3 + k);
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x, w0));
        c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x, w1));
    }
    acc[0] = c00, acc[1] = c01, acc[2] = c10, acc[3] = c11;
    acc[4] = c20, acc[5] = c21, acc[6] = c30, acc[7] = c31;
}

/* Same for the first 8 channels of the block only (acc[2*i]). */
static inline void kern_4x8(const int16_t *a, int32_t kp, const int16_t *w, __m256i acc[8])
{
    __m256i c0 = acc[0], c1 = acc[2], c2 = acc[4], c3 = acc[6];
    const int16_t *a0 = a, *a1 = a + kp, *a2 = a + 2 * kp, *a3 = a + 3 * kp;
    for (int32_t k = 0; k < kp; k += 2, w += 32) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(bcast_pair(a0 + k), w0));
        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(bcast_pair(a1 + k), w0));
        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(bcast_pair(a2 + k), w0));
        c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(bcast_pair(a3 + k), w0));
    }
    acc[0] = c0, acc[2] = c1, acc[4] = c2, acc[6] = c3;
}

/* Unroll output pixels [m0, m0 + rows) into `a` (rows rounded up to MR, the
 * extra rows zero). */
static void im2col(const sciot_conv_params *p, const sciot_dims *id, const int8_t *in,
                   const sciot_dims *fd, const sciot_dims *od, int32_t m0, int32_t rows,
                   int32_t kp, int16_t *a)
{
    const int32_t ih = id->h, iw = id->w, c = id->c, fh = fd->h, fw = fd->w;
    const int32_t ohw = od->h * od->w;
    const int32_t off = p->input_offset;
    const int32_t k = fh * fw * c;
    if (fh == 1 && fw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 &&
        p->pad_w == 0 && od->h == ih && od->w == iw) {
        /* pointwise: the tile's pixels are consecutive in the input */
        const int8_t *src = in + (size_t)m0 * c;
        if (kp == c) {
            sk_widen_off(a, src, rows * c, off);
        } else {
            for (int32_t i = 0; i < rows; ++i) {
                sk_widen_off(a + (size_t)i * kp, src + (size_t)i * c, c, off);
                a[(size_t)i * kp + c] = 0;
            }
        }
        const int32_t padded = (rows + MR - 1) & ~(MR - 1);
        if (padded > rows)
            memset(a + (size_t)rows * kp, 0, (size_t)(padded - rows) * kp * sizeof(int16_t));
        return;
    }
    int32_t b = m0 / ohw, r = m0 % ohw;
    int32_t oy = r / od->w, ox = r % od->w;
    for (int32_t i = 0; i < rows; ++i) {
        int16_t *row = a + (size_t)i * kp;
        const int8_t *in_b = in + (size_t)b * ih * iw * c;
        const int32_t iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
        for (int32_t ky = 0; ky < fh; ++ky) {
            const int32_t iy = iy0 + ky * p->dilation_h;
            int16_t *dst = row + (size_t)ky * fw * c;
            if (iy < 0 || iy >= ih) {
                memset(dst, 0, (size_t)fw * c * sizeof(int16_t));
                continue;
            }
            if (p->dilation_w == 1 && ix0 >= 0 && ix0 + fw <= iw) {
                sk_widen_off(dst, in_b + ((size_t)iy * iw + ix0) * c, fw * c, off);
                continue;
            }
            for (int32_t kx = 0; kx < fw; ++kx, dst += c) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                if (ix < 0 || ix >= iw)
                    memset(dst, 0, (size_t)c * sizeof(int16_t));
                else
                    sk_widen_off(dst, in_b + ((size_t)iy * iw + ix) * c, c, off);
            }
        }
        if (kp != k)
            row[k] = 0;
        if (++ox == od->w) {
            ox = 0;
            if (++oy == od->h) {
                oy = 0;
                ++b;
            }
        }
    }
    const int32_t padded = (rows + MR - 1) & ~(MR - 1);
    if (padded > rows)
        memset(a + (size_t)rows * kp, 0, (size_t)(padded - rows) * kp * sizeof(int16_t));
}

void sk_conv2d_s8_avx2(const sciot_conv_params *p, const sciot_channel_quant *q,
                       const sciot_dims *in_dims, const int8_t *in, const sciot_dims *f_dims,
                       const void *packed_w, const int32_t *bias, const sciot_dims *out_dims, int8_t *out,
                       void *scratch)
{
    const int32_t n = out_dims->c, kp = conv_kp(f_dims), mt = conv_mt(kp);
    const int32_t m = out_dims->n * out_dims->h * out_dims->w;
    const int16_t *packed = packed_w;
    int16_t *a = scratch;
    const __m256i out_off = _mm256_set1_epi32(p->output_offset);
    const __m256i lo = _mm256_set1_epi32(p->act_min), hi = _mm256_set1_epi32(p->act_max);

    for (int32_t m0 = 0; m0 < m; m0 += mt) {
        const int32_t rows = m - m0 < mt ? m - m0 : mt;
        im2col(p, in_dims, in, f_dims, out_dims, m0, rows, kp, a);
        for (int32_t oc0 = 0; oc0 < n; oc0 += NR) {
            const int32_t nc = n - oc0 < NR ? n - oc0 : NR;
            const int16_t *w = packed + (size_t)oc0 * kp;
            sk_rq8 r0, r1;
            sk_rq8_load(&r0, bias, q->multiplier, q->shift, oc0, nc < 8 ? nc : 8);
            sk_rq8_load(&r1, bias, q->multiplier, q->shift, oc0 + 8, nc > 8 ? nc - 8 : 0);
            for (int32_t i0 = 0; i0 < rows; i0 += MR) {
                __m256i acc[8];
                for (int32_t i = 0; i < MR; ++i) {
                    acc[2 * i] = r0.bias;
                    acc[2 * i + 1] = r1.bias;
                }
                const int16_t *ai = a + (size_t)i0 * kp;
                if (nc > 8)
                    kern_4x16(ai, kp, w, acc);
                else
                    kern_4x8(ai, kp, w, acc);
                for (int32_t i = 0; i < MR && i0 + i < rows; ++i) {
                    int8_t *o = out + (size_t)(m0 + i0 + i) * n + oc0;
                    const __m256i v0 = sk_requant8(acc[2 * i], &r0, out_off, lo, hi);
                    if (nc > 8) {
                        const __m256i v1 = sk_requant8(acc[2 * i + 1], &r1, out_off, lo, hi);
                        sk_store_n(o, sk_pack16_s8(v0, v1), nc);
                    } else {
                        sk_store_n(o, sk_pack8_s8(v0), nc);
                    }
                }
            }
        }
    }
}
