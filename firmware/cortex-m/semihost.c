/* semihost.c — the Arm semihosting calls the firmware uses (SYS_WRITE0,
 * SYS_EXIT) and formatting helpers. */
#include "semihost.h"

#include <stdarg.h>
#include <stdio.h>

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

static uintptr_t semihost_call(uintptr_t op, uintptr_t arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_puts(const char *s)
{
    semihost_call(SYS_WRITE0, (uintptr_t)s);
}

void sh_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sh_puts(buf);
}

void sh_exit(int status)
{
    /* AArch32 SYS_EXIT takes the reason itself (no parameter block). */
    semihost_call(SYS_EXIT, status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR);
    for (;;)
        __asm__ volatile("wfi");
}

char *fmt_u64(char buf[24], uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

char *fmt_centi(char buf[32], uint64_t v_x100)
{
    char whole[24];
    unsigned frac = (unsigned)(v_x100 % 100);
    snprintf(buf, 32, "%s.%02u", fmt_u64(whole, v_x100 / 100), frac);
    return buf;
}
