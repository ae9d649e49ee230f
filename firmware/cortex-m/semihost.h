/* semihost.h — Arm semihosting (the debugger or QEMU's
 * `-semihosting-config enable=on` does the I/O), plus small formatting
 * helpers that need neither printf's long long nor its float support
 * (newlib-nano has neither by default). */
#ifndef SCIOT_FW_SEMIHOST_H
#define SCIOT_FW_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* SYS_WRITE0: a NUL-terminated string to the host's console. */
void sh_puts(const char *s);
/* printf-style into a 256-byte buffer, then sh_puts. */
void sh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* SYS_EXIT: stop the simulation; QEMU exits with 0 for status 0
 * (ADP_Stopped_ApplicationExit) and 1 for anything else. */
__attribute__((noreturn)) void sh_exit(int status);

/* Decimal text of a 64-bit unsigned value into buf[24]; returns buf. */
char *fmt_u64(char buf[24], uint64_t v);
/* v / 100 with two decimals ("12.34") into buf[32]; returns buf. */
char *fmt_centi(char buf[32], uint64_t v_x100);

#endif
