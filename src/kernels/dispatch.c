/* dispatch.c — process-wide switch between the portable kernels and the
 * fast (SIMD) paths, and the name of the fast path in use. The AVX2 paths are
 * compiled only on x86-64 (SCIOT_HAVE_AVX2) and chosen at run time, so the
 * binary still runs on CPUs without AVX2. */
#include "sciot/kernels.h"
#include "kernels_internal.h"

static volatile int g_force_portable = 0;

void sciot_kernels_force_portable(int on)
{
    g_force_portable = on ? 1 : 0;
}

int sciot_kernels_portable_forced(void)
{
    return g_force_portable;
}

int sk_cpu_avx2(void)
{
#if defined(SCIOT_HAVE_AVX2)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return cached;
#else
    return 0;
#endif
}

int sk_use_avx2(void)
{
    return !g_force_portable && sk_cpu_avx2();
}

const char *sciot_kernels_fast_path(void)
{
    return sk_use_avx2() ? "avx2" : "none";
}
