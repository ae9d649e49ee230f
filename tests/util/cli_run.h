/* cli_run.h — run the real `sciot` binary from a test and capture its
 * exit status, stdout and stderr (through files in a temp directory). */
#ifndef SCIOT_TEST_CLI_RUN_H
#define SCIOT_TEST_CLI_RUN_H

#include <stddef.h>

typedef struct {
    int status;     /* exit code, 128 if it did not exit normally */
    char *out, *err;/* NUL-terminated, malloc'd */
    size_t out_len;
} tu_result;

/* Set the binary ($SCIOT_BIN) and create a private temp dir; 0 on success. */
int tu_cli_init(void);
const char *tu_cli_tmpdir(void);
/* Run "$SCIOT_BIN <args>" (args: printf format, shell-quoted by the caller). */
tu_result tu_cli_run(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void tu_cli_done(tu_result *r);
/* Number of '\n' in s. */
int tu_count_lines(const char *s);
/* Read a whole file (NUL-terminated); "" if it cannot be read. */
char *tu_slurp(const char *path, size_t *len);
/* Remove the temp dir. */
void tu_cli_cleanup(void);

#endif
