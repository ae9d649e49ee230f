#define _POSIX_C_SOURCE 200809L
#include "cli_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *bin;
static char tmpdir[256];

int tu_cli_init(void)
{
    bin = getenv("SCIOT_BIN");
    if (!bin) {
        fprintf(stderr, "SCIOT_BIN is not set (run through ctest)\n");
        return -1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sciot_cli_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

const char *tu_cli_tmpdir(void) { return tmpdir; }

char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    if (f) {
        while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap)
                buf = realloc(buf, (cap *= 2) + 1);
        }
        fclose(f);
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

tu_result tu_cli_run(const char *fmt, ...)
{
    char args[8192], cmd[9000], o[300], e[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(o, sizeof o, "%s/out", tmpdir);
    snprintf(e, sizeof e, "%s/err", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", bin, args, o, e);
    int st = system(cmd);
    tu_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    r.out = tu_slurp(o, &r.out_len);
    r.err = tu_slurp(e, NULL);
    return r;
}

void tu_cli_done(tu_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int tu_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

void tu_cli_cleanup(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}
