/* fuzz_seeds.c — write small hand-built .tflite models (tests/util/fbbuild)
 * into a seed directory: `fuzz_seeds DIR`. They parse and run, and being a
 * few hundred bytes each they mutate far faster than the shared models. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "fbbuild.h"

static int write_seed(const char *dir, const char *name, const fbm_model *m)
{
    char path[4096];
    size_t len;
    uint8_t *img = fbm_build(m, &len, NULL);
    snprintf(path, sizeof path, "%s/handbuilt_%s.tflite", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(img, 1, len, f) != len || fclose(f)) {
        perror(path);
        free(img);
        return 1;
    }
    free(img);
    return 0;
}

int main(int argc, char **argv)
{
    static fbm_model m;
    int rc = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    fbm_residual(&m, 0, 0);
    rc |= write_seed(argv[1], "residual_s8", &m);
    fbm_residual(&m, 1, 0);
    rc |= write_seed(argv[1], "residual_softmax_s8", &m);
    fbm_residual(&m, 0, 1);
    rc |= write_seed(argv[1], "residual_f32", &m);
    fbm_residual(&m, 1, 1);
    rc |= write_seed(argv[1], "residual_softmax_f32", &m);
    return rc;
}
