/* dispatch.c — process-wide switch between the portable kernels and the
 * fast (SIMD) paths, and the name of the fast path in use. No fast path is
 * built yet, so the name is "none" whatever the switch says. */
#include "sciot/kernels.h"

static volatile int g_force_portable = 0;

void sciot_kernels_force_portable(int on)
{
    g_force_portable = on ? 1 : 0;
}

int sciot_kernels_portable_forced(void)
{
    return g_force_portable;
}

const char *sciot_kernels_fast_path(void)
{
    return "none";
}
