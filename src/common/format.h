/* common/format.h — the library's own printf-style formatter (internal).
 *
 * Why not vsnprintf: the C libraries of microcontrollers disagree on what it
 * accepts. newlib-nano knows neither %zu nor %lld, and Debian's full newlib
 * has no %zu; an unknown conversion there leaves its argument unread, so
 * every later conversion reads the wrong one (a later %s can take a number
 * for a pointer). Here every flag, width, precision, length modifier and
 * conversion of C11 printf (but %n) is parsed the same on every target;
 * integers, characters, strings and pointers are formatted here, and only
 * the digits of a floating-point value come from the C library's snprintf
 * (so hosted builds print exactly what they printed before; newlib-nano
 * prints floats only when _printf_float is linked).
 *
 * Semantics of vsnprintf: writes at most cap bytes including the NUL (when
 * cap > 0) and returns the length the whole text would have. */
#ifndef SCIOT_COMMON_FORMAT_H
#define SCIOT_COMMON_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int sciot_vformat(char *out, size_t cap, const char *fmt, va_list ap);
int sciot_format(char *out, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
