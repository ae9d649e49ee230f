/* format.c — printf-style formatting that behaves the same with every C
 * library (see common/format.h for why). No heap, no state. */
#include "common/format.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *out;
    size_t cap, n; /* n: bytes the full text has so far */
} sink;

static void put(sink *s, char c)
{
    if (s->n + 1 < s->cap)
        s->out[s->n] = c;
    s->n++;
}

static void put_n(sink *s, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        put(s, p[i]);
}

static void pad(sink *s, char c, size_t count)
{
    while (count--)
        put(s, c);
}

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16 };
enum { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T, L_BIG_L };

/* One integer: sign/prefix, precision zeros, width padding. */
static void put_int(sink *s, uintmax_t v, int negative, int base, int upper, int flags, int width, int prec)
{
    char digits[3 * sizeof(uintmax_t) + 2];
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t nd = 0;
    while (v) {
        digits[nd++] = set[v % (unsigned)base];
        v /= (unsigned)base;
    }
    /* precision: the minimum number of digits; "%.0d" of 0 prints nothing */
    size_t zeros = prec >= 0 && (size_t)prec > nd ? (size_t)prec - nd : 0;
    if (prec < 0 && nd == 0)
        zeros = 1;
    if (base == 8 && (flags & F_ALT) && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
        zeros = 1;
    char prefix[2];
    size_t np = 0;
    if (negative)
        prefix[np++] = '-';
    else if (flags & F_PLUS)
        prefix[np++] = '+';
    else if (flags & F_SPACE)
        prefix[np++] = ' ';
    if (base == 16 && (flags & F_ALT) && nd > 0) {
        prefix[0] = '0';
        prefix[1] = upper ? 'X' : 'x';
        np = 2;
    }
    size_t len = np + zeros + nd;
    size_t fill = width > 0 && (size_t)width > len ? (size_t)width - len : 0;
    if (!(flags & F_LEFT) && !((flags & F_ZERO) && prec < 0))
        pad(s, ' ', fill);
    put_n(s, prefix, np);
    if (!(flags & F_LEFT) && (flags & F_ZERO) && prec < 0)
        pad(s, '0', fill);
    pad(s, '0', zeros);
    while (nd)
        put(s, digits[--nd]);
    if (flags & F_LEFT)
        pad(s, ' ', fill);
}

static void put_str(sink *s, const char *p, int flags, int width, int prec)
{
    if (!p)
        p = "(null)";
    size_t len = 0;
    while ((prec < 0 || len < (size_t)prec) && p[len])
        len++;
    size_t fill = width > 0 && (size_t)width > len ? (size_t)width - len : 0;
    if (!(flags & F_LEFT))
        pad(s, ' ', fill);
    put_n(s, p, len);
    if (flags & F_LEFT)
        pad(s, ' ', fill);
}

/* A floating-point value: the C library formats this one value. */
static void put_float(sink *s, long double v, int big_l, char conv, int flags, int width, int prec)
{
    char spec[16], buf[512];
    size_t k = 0;
    spec[k++] = '%';
    if (flags & F_LEFT)
        spec[k++] = '-';
    if (flags & F_PLUS)
        spec[k++] = '+';
    if (flags & F_SPACE)
        spec[k++] = ' ';
    if (flags & F_ALT)
        spec[k++] = '#';
    if (flags & F_ZERO)
        spec[k++] = '0';
    spec[k++] = '*';
    spec[k++] = '.';
    spec[k++] = '*';
    if (big_l)
        spec[k++] = 'L';
    spec[k++] = conv;
    spec[k] = 0;
    if (prec < 0) /* the C default precision; %a's default is "exact", keep it */
        prec = (conv == 'a' || conv == 'A') ? -1 : 6;
    int len = big_l ? snprintf(buf, sizeof buf, spec, width, prec, v)
                    : snprintf(buf, sizeof buf, spec, width, prec, (double)v);
    if (len < 0)
        return;
    size_t have = (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1;
    put_n(s, buf, have);
    /* a value wider than buf (a huge %f): keep the count exact */
    s->n += (size_t)len - have;
}

int sciot_vformat(char *out, size_t cap, const char *fmt, va_list ap)
{
    sink s = {out, cap, 0};
    va_list args;
    va_copy(args, ap);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&s, *p);
            continue;
        }
        const char *start = p++;
        int flags = 0, width = 0, prec = -1, len = L_NONE;
        for (;; p++) {
            if (*p == '-')
                flags |= F_LEFT;
            else if (*p == '+')
                flags |= F_PLUS;
            else if (*p == ' ')
                flags |= F_SPACE;
            else if (*p == '#')
                flags |= F_ALT;
            else if (*p == '0')
                flags |= F_ZERO;
            else
                break;
        }
        if (*p == '*') {
            width = va_arg(args, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = width == INT_MIN ? 0 : -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(args, int); /* negative: as if omitted */
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        switch (*p) {
        case 'h':
            len = p[1] == 'h' ? (p++, L_HH) : L_H;
            p++;
            break;
        case 'l':
            len = p[1] == 'l' ? (p++, L_LL) : L_L;
            p++;
            break;
        case 'z': len = L_Z, p++; break;
        case 'j': len = L_J, p++; break;
        case 't': len = L_T, p++; break;
        case 'L': len = L_BIG_L, p++; break;
        default: break;
        }
        char c = *p;
        if (c == 'd' || c == 'i') {
            intmax_t v;
            switch (len) {
            case L_HH: v = (signed char)va_arg(args, int); break;
            case L_H: v = (short)va_arg(args, int); break;
            case L_L: v = va_arg(args, long); break;
            case L_LL: v = va_arg(args, long long); break;
            case L_Z: v = (intmax_t)va_arg(args, size_t); break; /* no signed size_t in C11: ssize_t is POSIX */
            case L_J: v = va_arg(args, intmax_t); break;
            case L_T: v = va_arg(args, ptrdiff_t); break;
            default: v = va_arg(args, int); break;
            }
            uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            put_int(&s, mag, v < 0, 10, 0, flags, width, prec);
        } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
            uintmax_t v;
            switch (len) {
            case L_HH: v = (unsigned char)va_arg(args, unsigned); break;
            case L_H: v = (unsigned short)va_arg(args, unsigned); break;
            case L_L: v = va_arg(args, unsigned long); break;
            case L_LL: v = va_arg(args, unsigned long long); break;
            case L_Z: v = va_arg(args, size_t); break;
            case L_J: v = va_arg(args, uintmax_t); break;
            case L_T: v = (uintmax_t)va_arg(args, ptrdiff_t); break;
            default: v = va_arg(args, unsigned); break;
            }
            put_int(&s, v, 0, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X', flags & ~(F_PLUS | F_SPACE), width,
                    prec);
        } else if (c == 'c') {
            char ch = (char)va_arg(args, int);
            size_t fill = width > 1 ? (size_t)width - 1 : 0;
            if (!(flags & F_LEFT))
                pad(&s, ' ', fill);
            put(&s, ch);
            if (flags & F_LEFT)
                pad(&s, ' ', fill);
        } else if (c == 's') {
            put_str(&s, va_arg(args, const char *), flags, width, prec);
        } else if (c == 'p') {
            put_int(&s, (uintmax_t)(uintptr_t)va_arg(args, void *), 0, 16, 0, flags | F_ALT, width, prec);
        } else if (c == 'f' || c == 'F' || c == 'e' || c == 'E' || c == 'g' || c == 'G' || c == 'a' || c == 'A') {
            long double v = len == L_BIG_L ? va_arg(args, long double) : (long double)va_arg(args, double);
            put_float(&s, v, len == L_BIG_L, c, flags, width, prec);
        } else if (c == '%') {
            put(&s, '%');
        } else if (c == 'n') {
            (void)va_arg(args, void *); /* not supported: nothing is stored */
        } else {
            /* not a conversion: copy the text as it is (no argument read) */
            put_n(&s, start, (size_t)(p - start) + (c ? 1 : 0));
            if (!c)
                break;
        }
    }
    va_end(args);
    if (cap)
        out[s.n < cap ? s.n : cap - 1] = 0;
    return s.n > INT_MAX ? -1 : (int)s.n;
}

int sciot_format(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = sciot_vformat(out, cap, fmt, ap);
    va_end(ap);
    return n;
}
